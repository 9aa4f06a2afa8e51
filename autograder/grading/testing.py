"""What every hidden suite and public test shares: seeded inputs, module state, tuple results by name, module runs.

A test reads as a few lines over these and the ``student`` / ``ref`` fixtures (:mod:`autograder.grading.plugin`)::

    out = module_run(student, MHA, [D, H], calls=[call(q, k, v)], state=state_of(ref_mha))
    check_items(out["outputs"][0], ref_mha(q, k, v), ("output", "weights"), what="MultiHeadAttention(...)")

Nothing here holds a reference answer, so the module ships with the public tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from autograder.grading.adapter import Student, StudentError
from autograder.grading.compare import Feedback, Mistakes, check


def randn(
    *shape: int, seed: int, dtype: torch.dtype = torch.float64, scale: float = 1.0, shift: float = 0.0
) -> torch.Tensor:
    """A seeded standard normal tensor (drawn in float64, then cast), times ``scale`` plus ``shift``."""
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale + shift
    return x.to(dtype)


def state_of(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of ``module``'s ``state_dict``: what ``module_run`` loads into the student's module."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def causal(size: int) -> torch.Tensor:
    """Bool ``(size, size)``, True on and below the diagonal (may attend)."""
    return torch.ones(size, size, dtype=torch.bool).tril()


def key_padding(lengths: Sequence[int], size: int) -> torch.Tensor:
    """Bool ``(B, 1, 1, size)``: True for the first ``lengths[b]`` keys of sequence ``b``."""
    return (torch.arange(size)[None, :] < torch.tensor(list(lengths))[:, None])[:, None, None, :]


def call(*args: Any, method: str = "forward", **kwargs: Any) -> dict[str, Any]:
    """One call of a ``module_run`` probe: ``module.method(*args, **kwargs)``."""
    return {"method": method, "args": list(args), "kwargs": kwargs}


def module_run(
    student: Student,
    target: str,
    init_args: Sequence[Any],
    init_kwargs: Mapping[str, Any] | None = None,
    *,
    calls: Sequence[dict[str, Any]],
    state: Mapping[str, torch.Tensor] | None = None,
    seed: int = 0,
    train: bool = False,
    dtype: str | None = "float64",
    grad_outputs: Sequence[Any] | None = None,
    upstream: Sequence[str] = (),
) -> dict[str, Any]:
    """Build the student's class ``target`` in the worker and run ``calls`` (see the ``module_run`` probe).

    ``upstream``: modules of earlier exercises replaced, for this run, by stand-ins built from PyTorch's own
    functions (:mod:`autograder.runtime.standins`), so this exercise is graded on its own work.
    """
    kwargs: dict[str, Any] = dict(
        target=target,
        init_args=list(init_args),
        init_kwargs=dict(init_kwargs or {}),
        calls=list(calls),
        state=None if state is None else dict(state),
        seed=seed,
        train=train,
        dtype=dtype,
        grad_outputs=None if grad_outputs is None else list(grad_outputs),
    )
    if upstream:
        kwargs["upstream"] = list(upstream)
    return student.probe("module_run", **kwargs)


def reference_run(
    module: torch.nn.Module,
    args: Sequence[Any],
    kwargs: Mapping[str, Any] | None = None,
    grad_output: torch.Tensor | None = None,
) -> dict[str, Any]:
    """What ``module_run`` returns for one call, computed on a module of this process (the reference).

    ``{"output": detached output (a tuple stays a tuple), "input_grads": [...], "param_grads": {name: grad}}``;
    with ``grad_output``, ``sum(first output * grad_output)`` is back-propagated, as the probe does.
    """
    module.zero_grad(set_to_none=True)
    args = [a.detach().clone().requires_grad_() if isinstance(a, torch.Tensor) and a.requires_grad else a for a in args]
    out = module(*args, **dict(kwargs or {}))
    first = out[0] if isinstance(out, tuple) else out
    result: dict[str, Any] = {"output": _detached(out), "input_grads": [], "param_grads": {}}
    if grad_output is not None:
        (first * grad_output).sum().backward()
        result["input_grads"] = [a.grad if isinstance(a, torch.Tensor) and a.requires_grad else None for a in args]
        result["param_grads"] = {n: p.grad for n, p in sorted(module.named_parameters())}
    return result


def _detached(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_detached(v) for v in value)
    return value.detach() if isinstance(value, torch.Tensor) else value


def check_items(
    got: Any,
    expected: Sequence[Any],
    names: Sequence[str],
    *,
    what: str,
    mistakes: Mistakes | None = None,
    order: Sequence[str] | None = None,
) -> None:
    """check() a tuple result item by item, each under its name (``what -> weights``), never "item 1".

    ``mistakes`` maps a mistake's name to the whole wrong tuple (or a callable making it); each item is
    compared with the same item of each mistake. ``order``: the names in the order to check them (the item
    that shows most mistakes first); default ``names``. A result that is not a tuple of ``len(names)`` is
    reported as such, with the names expected.
    """
    check(got, tuple(expected), what=what, mistakes=mistakes, names=names, order=order)


def file_error(error: StudentError, what: str, text: str) -> Feedback:
    """The failure of a call on a file (``what``, e.g. ``"load_vectors(<GloVe file>)"``) that raised: the error, the
    file's line it names ("line 3"), or the file's first lines when it names none, then the student's traceback.

    ``raise file_error(error, what, text) from None`` in a test that reads a file the test wrote.
    """
    lines = text.splitlines()
    named = re.search(r"\bline (\d+)", error.message)
    if named and 1 <= int(named.group(1)) <= len(lines):
        n = int(named.group(1))
        shown = f"  the file's line {n}: {lines[n - 1]!r}"
    else:
        shown = "  the file's first lines: " + "; ".join(f"{i}: {line!r}" for i, line in enumerate(lines[:3], 1))
    parts = [f"{what}: your code raised {error.type_name}: {error.message}", shown]
    if error.student_traceback:
        parts.append(error.student_traceback.rstrip())
    return Feedback("\n".join(parts))
