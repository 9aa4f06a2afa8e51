"""The probe registry: :func:`probe` registers a function by name; :func:`execute` runs one, plain data in and out.

Every probe takes ``resolve`` first: ``resolve("embeddings.one_hot:build_vocab")`` returns the student's object;
``resolve(target, upstream)`` the same from the module imported over stand-ins of the earlier exercises named in
``upstream`` (:mod:`autograder.runtime.standins`). Probes are registered by the modules of this package (imported
by :mod:`autograder.runtime.probes`), which import this module and nothing else of the package.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from autograder.runtime.errors import ErrorKind, GraderError, describe, error_reply

Resolve = Callable[..., Any]  # (target: str, upstream: Sequence[str] = ()) -> the student's object
PROBES: dict[str, Callable[..., Any]] = {}


def probe(fn: Callable[..., Any]) -> Callable[..., Any]:
    PROBES[fn.__name__] = fn
    return fn


def _signature_problem(fn: Callable[..., Any], kwargs: dict[str, Any]) -> str | None:
    """Why ``fn(resolve, **kwargs)`` cannot bind (a suite's mistake), or None."""
    try:
        inspect.signature(fn).bind(None, **kwargs)
    except TypeError as error:
        return str(error)
    return None


def call_problem(name: str, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The ``error`` member for a probe that does not exist or is called with arguments it does not take (the
    grader's mistake, kind ``grader``), or None. The isolated grader checks this itself, before it sends anything:
    a worker's reply is never believed about a grader fault."""
    fn = PROBES.get(name)
    if fn is None:
        return error_reply(ErrorKind.GRADER, f"unknown probe {name!r}", ("KeyError",))
    problem = _signature_problem(fn, kwargs)
    if problem is not None:
        return error_reply(ErrorKind.GRADER, f"probe {name!r} called wrongly by the grader: {problem}", ("TypeError",))
    return None


def execute(resolve: Resolve, name: str, kwargs: dict[str, Any], roots: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run one probe; the reply is ``{"ok": value}`` or ``{"error": ...}``.

    A probe that does not exist or is called with arguments it does not take is the grader's
    mistake (kind ``grader``), checked before any student code runs, never blamed on the student.
    """
    problem = call_problem(name, kwargs)
    if problem is not None:
        return {"error": problem}
    fn = PROBES[name]
    try:
        return {"ok": fn(resolve, **kwargs)}
    except GraderError as error:
        return {"error": error_reply(ErrorKind.GRADER, f"probe {name!r}: {error}", ("GraderError",))}
    except Exception as error:  # noqa: BLE001 - whatever student code raises is reported as data
        return {"error": describe(error, roots)}
