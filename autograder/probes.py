"""Probes: the small, non-secret operations that run *next to* student code.

A hidden test never touches a student object. It asks for a probe by name with plain
arguments (see :mod:`autograder.protocol`), the probe runs beside the student's modules (in the
worker process when grading, in-process for ``make test``) and returns plain data. The probe
code holds no reference solution, so shipping it to the worker reveals nothing.

Every probe takes ``resolve`` first: ``resolve("embeddings.one_hot:build_vocab")`` returns the
student's object.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

Resolve = Callable[[str], Any]
PROBES: dict[str, Callable[..., Any]] = {}
MAX_MESSAGE = 2000


def probe(fn: Callable[..., Any]) -> Callable[..., Any]:
    PROBES[fn.__name__] = fn
    return fn


@probe
def call(resolve: Resolve, target: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call the student's function ``target`` with ``args`` and ``kwargs``."""
    return resolve(target)(*args, **kwargs)


def _student_frames(tb: Any, roots: tuple[str, ...]) -> str:
    frames = [f for f in traceback.extract_tb(tb) if roots and f.filename.startswith(roots)]
    return "".join(traceback.format_list(frames[-5:]))


def describe(error: BaseException, roots: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plain-data description of an exception raised by student code (or its import)."""
    kind = "raised"
    cause = error
    if type(error).__name__ == "ModuleLoadError":
        kind, cause = "import", error.error  # type: ignore[attr-defined]
    if isinstance(cause, NotImplementedError):
        kind = "not_implemented"
    message = f"{cause}"
    if isinstance(cause, SyntaxError):
        where = f"{cause.filename}, line {cause.lineno}" if cause.filename else f"line {cause.lineno}"
        for root in roots:
            where = where.replace(root.rstrip("/") + "/", "")
        message = f"{cause.msg} ({where})"
    return {
        "kind": kind,
        "types": [cls.__name__ for cls in type(cause).__mro__],
        "message": message[:MAX_MESSAGE],
        "traceback": _student_frames(cause.__traceback__, roots)[:MAX_MESSAGE],
    }


def execute(resolve: Resolve, name: str, kwargs: dict[str, Any], roots: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run one probe; the reply is ``{"ok": value}`` or ``{"error": describe(...)}``."""
    try:
        fn = PROBES[name]
    except KeyError:
        return {"error": {"kind": "grader", "types": ["KeyError"], "message": f"unknown probe {name!r}", "traceback": ""}}
    try:
        return {"ok": fn(resolve, **kwargs)}
    except Exception as error:  # noqa: BLE001 - whatever student code raises is reported as data
        return {"error": describe(error, roots)}
