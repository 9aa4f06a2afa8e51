"""The probes every part uses: ``call`` a function, ``module_run`` / ``module_state`` an ``nn.Module`` class."""

from __future__ import annotations

from typing import Any

from autograder.runtime.probes.registry import Resolve, probe


@probe
def call(resolve: Resolve, target: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call the student's function ``target`` with ``args`` and ``kwargs``."""
    return resolve(target)(*args, **kwargs)


def _first_tensor(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return value[0]
    raise TypeError(f"expected the call to return a tensor (or a tuple starting with one), got {type(value).__name__}")


@probe
def module_run(
    resolve: Resolve,
    target: str,
    init_args: list[Any],
    init_kwargs: dict[str, Any],
    calls: list[dict[str, Any]],
    state: dict[str, Any] | None = None,
    seed: int = 0,
    train: bool = False,
    dtype: str | None = None,
    grad_outputs: list[Any] | None = None,
    upstream: list[str] | None = None,
) -> dict[str, Any]:
    """Build the student's ``nn.Module`` class ``target`` and run it.

    - ``upstream``: the earlier modules ``target``'s module builds on, replaced by stand-ins for this run;
    - ``torch.manual_seed(seed)`` before construction and before the calls (init and dropout);
    - ``dtype`` ("float64") converts the module; ``state`` (name -> tensor) is loaded strictly,
      so the submodule names of the curriculum are checked as a side effect;
    - ``calls``: ``[{"method": "forward", "args": [...], "kwargs": {...}}, ...]`` run in order;
    - ``grad_outputs``: one tensor per call; ``sum(out * g)`` over the calls is back-propagated
      and the gradients of the floating inputs (those sent with ``requires_grad``) and of the
      parameters come back.

    Returns ``{"outputs", "state_keys", "param_grads", "input_grads"}``.
    """
    import torch

    torch.manual_seed(seed)
    module = resolve(target, upstream or ())(*init_args, **init_kwargs)
    if dtype is not None:
        module = module.to(getattr(torch, dtype))
    if state is not None:
        module.load_state_dict(state, strict=True)
    module.train(train)
    torch.manual_seed(seed)
    outputs = [getattr(module, c.get("method", "forward"))(*c.get("args", []), **c.get("kwargs", {})) for c in calls]
    result: dict[str, Any] = {
        "outputs": outputs,
        "state_keys": list(module.state_dict().keys()),
        "param_grads": {},
        "input_grads": [],
    }
    if grad_outputs is not None:
        loss = sum((_first_tensor(out) * g).sum() for out, g in zip(outputs, grad_outputs))
        loss.backward()
        result["param_grads"] = {name: p.grad for name, p in module.named_parameters()}
        result["input_grads"] = [
            [a.grad if isinstance(a, torch.Tensor) and a.requires_grad else None for a in c.get("args", [])]
            for c in calls
        ]
    return result


@probe
def module_state(
    resolve: Resolve,
    target: str,
    init_args: list[Any],
    init_kwargs: dict[str, Any],
    seed: int = 0,
    upstream: list[str] | None = None,
) -> dict[str, Any]:
    """The freshly constructed module's parameters and buffers (name -> tensor), and its submodule names."""
    import torch

    torch.manual_seed(seed)
    module = resolve(target, upstream or ())(*init_args, **init_kwargs)
    return {
        "state": dict(module.state_dict()),
        "parameters": [name for name, _ in module.named_parameters()],
        "modules": {name: type(m).__name__ for name, m in module.named_modules() if name},
    }
