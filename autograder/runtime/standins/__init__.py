"""Stand-ins for the earlier exercises a later one builds on, written with PyTorch's allowed operators: no cascades.

A student's ``MultiHeadAttention`` calls their own ``scaled_dot_product_attention``; their ``EncoderLayer`` their
own ``MultiHeadAttention``; their ``Transformer`` all of Part 2 and 3. Graded over their own stack, one missing
``1/sqrt(d_k)`` would cost points in four exercises. So a downstream test imports the student's module afresh
with the upstream modules replaced by the stand-ins (:func:`import_over`), and computes its expected values with
the reference's module over the *same* stand-ins: the exercise is graded on its own work. A few integration tests
per exercise still run the student's own stack.

One module per stand-in (``scaled_dot_product``, ``masks``, ``multi_head``, ``positional_encoding``, ``layers``),
each a ``build()`` of the formulas the paper or PyTorch's documentation states, with the curriculum's names (so the
reference's ``state_dict`` loads into a student module built over them). None calls an operator the course
forbids, so the worker's guard has no exception for them (:mod:`autograder.runtime.forbidden`).

What keeps them from helping the exercise they replace (DESIGN.md, "Nothing worth taking"): the worker that runs
exercise X's tests holds only the stand-ins of modules that are neither X nor downstream of X
(:func:`allowed_in`); the others are not even copied into its runtime (the grader starts another worker when the
next exercise needs a different set).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable

# The upstream modules each exercise module builds on (what a downstream test replaces).
UPSTREAM_OF: dict[str, tuple[str, ...]] = {
    "attention.multi_head": ("attention.scaled_dot_product",),
    "transformer.layers": ("attention.scaled_dot_product", "attention.masks", "attention.multi_head"),
    "transformer.models": (
        "attention.scaled_dot_product",
        "attention.masks",
        "attention.multi_head",
        "transformer.positional_encoding",
        "transformer.layers",
    ),
}
# student module -> the module of this package that builds its stand-in
STAND_INS: dict[str, str] = {
    name: f"{__name__}.{name.rpartition('.')[2]}" for name in UPSTREAM_OF["transformer.models"]
}
# a stand-in's module needs these stand-in modules beside it (layers is built over the stand-in attention)
NEEDS: dict[str, tuple[str, ...]] = {"transformer.layers": ("attention.multi_head",)}


def downstream_of(module: str) -> set[str]:
    """``module`` and every module that builds on it."""
    return {module} | {m for m, ups in UPSTREAM_OF.items() if module in ups}


def allowed_in(module: str | None) -> frozenset[str]:
    """The stand-ins a worker grading ``module`` may hold: none of ``module`` or of what builds on it."""
    if module is None:
        return frozenset()
    return frozenset(STAND_INS) - downstream_of(module)


def needed_by(module: str | None) -> frozenset[str]:
    """The stand-ins the tests of ``module`` import over (with what each is built from)."""
    needed = set(UPSTREAM_OF.get(module or "", ()))
    for name in list(needed):
        needed.update(NEEDS.get(name, ()))
    return frozenset(needed)


def fits(held: frozenset[str], module: str | None) -> bool:
    """A worker holding the stand-ins ``held`` may run the tests of ``module``: all it needs, none it may not see."""
    return needed_by(module) <= held <= allowed_in(module)


def files_of(stand_ins: Iterable[str]) -> set[str]:
    """The file names (in this package) of ``stand_ins``."""
    return {STAND_INS[name].rpartition(".")[2] + ".py" for name in stand_ins}


def build(name: str) -> types.ModuleType:
    """A fresh stand-in of the student's module ``name``."""
    if name not in STAND_INS:
        raise ValueError(f"no stand-in for {name!r}; choose from {sorted(STAND_INS)}")
    module: types.ModuleType = importlib.import_module(STAND_INS[name]).build()
    return module


def import_over(
    module: str, upstream: Iterable[str], packages: Iterable[str], import_module: Callable[[str], types.ModuleType]
) -> types.ModuleType:
    """``module`` imported afresh with each ``upstream`` module replaced by its stand-in; ``sys.modules`` is restored.

    ``import_module`` imports from the submission root (the worker's source-only importer, or the in-process
    loader's private path). The returned module keeps its stand-ins through its globals.
    """
    upstream = list(dict.fromkeys(upstream))
    unknown = [u for u in upstream if u not in STAND_INS]
    if unknown:
        raise ValueError(f"no stand-in for {unknown}; choose from {sorted(STAND_INS)}")
    roots = tuple(packages)

    def owned(name: str) -> bool:
        return name.split(".")[0] in roots

    saved = {name: m for name, m in sys.modules.items() if owned(name)}
    for name in saved:
        del sys.modules[name]
    try:
        for name in upstream:
            parent, _, leaf = name.rpartition(".")
            package = import_module(parent)  # the student's package (its __init__ runs, as any import would)
            stand_in = build(name)
            sys.modules[name] = stand_in
            setattr(package, leaf, stand_in)
        return import_module(module)
    finally:
        for name in [n for n in sys.modules if owned(n)]:
            del sys.modules[name]
        sys.modules.update(saved)
