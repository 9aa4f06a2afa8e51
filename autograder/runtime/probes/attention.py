"""Probes specific to the attention exercises (see :mod:`autograder.runtime.probes`).

- ``function_run``: call a student function and back-propagate through it (``softmax``,
  ``scaled_dot_product_attention`` are functions, not modules, so ``module_run`` does not apply);
- ``describe_call``: call a student function with its tensor arguments moved to another device
  (the ``meta`` device works on any machine) and report only the device, dtype and shape of what
  comes back, which shows whether the code builds its tensors where its inputs live.
"""

from __future__ import annotations

from typing import Any

from autograder.runtime.probes.registry import Resolve, probe


def _tensors(value: Any) -> list[Any]:
    """The tensors of a result: the result itself, or the tensor items of a tuple or list."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, torch.Tensor)]
    return []


@probe
def function_run(
    resolve: Resolve,
    target: str,
    args: list[Any],
    kwargs: dict[str, Any],
    grad_outputs: list[Any] | None = None,
) -> dict[str, Any]:
    """Call ``target(*args, **kwargs)``; with ``grad_outputs`` (one tensor, or ``None``, per tensor of
    the result, in order) back-propagate ``sum(out * g)`` into the floating arguments sent with
    ``requires_grad``.

    Returns ``{"outputs": the result, "differentiable": whether every output given a grad_output is
    on autograd's graph, "input_grads": [grad or None per positional argument]}``; when the result
    has fewer tensors than ``grad_outputs`` or a shape differs, nothing is back-propagated
    (``differentiable`` stays ``None``).
    """
    import torch

    result = resolve(target)(*args, **kwargs)
    reply: dict[str, Any] = {"outputs": result, "differentiable": None, "input_grads": []}
    if grad_outputs is None:
        return reply
    pairs = [(out, g) for out, g in zip(_tensors(result), grad_outputs) if g is not None]
    if len(_tensors(result)) < len(grad_outputs) or any(out.shape != g.shape for out, g in pairs):
        return reply  # a wrong result: the test reports it from the outputs, no gradient is computed
    connected = [(out, g) for out, g in pairs if out.requires_grad]
    reply["differentiable"] = bool(pairs) and len(connected) == len(pairs)
    if connected:
        loss = sum((out * g.to(out.dtype)).sum() for out, g in connected)
        loss.backward()
    reply["input_grads"] = [a.grad if isinstance(a, torch.Tensor) and a.requires_grad else None for a in args]
    return reply


def _describe(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return {
            "device": value.device.type,
            "dtype": str(value.dtype).replace("torch.", ""),
            "shape": list(value.shape),
        }
    if isinstance(value, (tuple, list)):
        return [_describe(v) for v in value]
    return None if value is None else type(value).__name__


@probe
def describe_call(resolve: Resolve, target: str, args: list[Any], kwargs: dict[str, Any], device: str) -> Any:
    """Call ``target`` with every tensor argument moved to ``device``; return, for each tensor of the
    result, ``{"device", "dtype", "shape"}`` (a list of them for a tuple result)."""
    import torch

    def move(v: Any) -> Any:
        return v.to(device) if isinstance(v, torch.Tensor) else v

    result = resolve(target)(*[move(a) for a in args], **{k: move(v) for k, v in kwargs.items()})
    return _describe(result)
