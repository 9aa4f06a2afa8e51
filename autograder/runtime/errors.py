"""What can go wrong with student code, as plain data: one :class:`ErrorKind`, one :class:`ModuleLoadError`,
:func:`describe`.

Both sides of the worker pipe use these: the worker describes an exception of student code as a
plain dict (:func:`describe`), the grader rebuilds a ``StudentError`` from it. Nothing here refers
to a class by its name, so a student class called ``ModuleLoadError`` (or ``ValueError``) is just another
exception: the types sent are the built-in classes the exception is an instance of, compared by identity.
"""

from __future__ import annotations

import builtins
import traceback
from enum import StrEnum
from typing import Any

MAX_MESSAGE = 2000
# The built-in exception classes, taken when the runtime is imported (before any student code runs): an exception's
# types are the built-ins it really is an instance of, by identity, never the names its classes give themselves.
BUILTIN_EXCEPTIONS: frozenset[type] = frozenset(
    cls for cls in vars(builtins).values() if isinstance(cls, type) and issubclass(cls, BaseException)
)


class ErrorKind(StrEnum):
    """Why a call of student code did not return a value."""

    RAISED = "raised"  # the student's code raised an exception
    NOT_IMPLEMENTED = "not_implemented"  # the stub's NotImplementedError
    IMPORT = "import"  # the student's module could not be imported
    CRASH = "crash"  # the worker died (os._exit, a signal, a limit)
    TIMEOUT = "timeout"  # the call did not finish in time
    PROTOCOL = "protocol"  # the student's code returned a value that cannot be graded
    FORBIDDEN = "forbidden"  # a forbidden API, or a refused submission
    GRADER = "grader"  # the grader's own fault (a bad request, a probe called wrongly): never the student's

    @property
    def stops_checks(self) -> bool:
        """True when no check of the value or of the exception's type applies (the call never really ran)."""
        return self in (
            ErrorKind.NOT_IMPLEMENTED,
            ErrorKind.IMPORT,
            ErrorKind.CRASH,
            ErrorKind.TIMEOUT,
            ErrorKind.FORBIDDEN,
            ErrorKind.GRADER,
        )


class ModuleLoadError(Exception):
    """A student module could not be imported; carries the original exception (reported as kind ``import``)."""

    def __init__(self, module: str, error: BaseException) -> None:
        super().__init__(f"{module}: {type(error).__name__}: {error}")
        self.module = module
        self.error = error


class GraderError(Exception):
    """A probe was called in a way it does not support: the grader's bug, reported as kind ``grader``."""


def error_reply(kind: ErrorKind, message: str, types: tuple[str, ...] = ("RuntimeError",)) -> dict[str, Any]:
    """A reply's ``error`` member made by the runtime itself (not from a student exception)."""
    return {"kind": str(kind), "types": list(types), "message": message[:MAX_MESSAGE], "traceback": ""}


def _student_frames(tb: Any, roots: tuple[str, ...]) -> str:
    frames = [f for f in traceback.extract_tb(tb) if roots and f.filename.startswith(roots)]
    return "".join(traceback.format_list(frames[-5:]))


def describe(error: BaseException, roots: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plain-data description of an exception raised by student code (or its import)."""
    kind = ErrorKind.RAISED
    cause = error
    if type(error) is ModuleLoadError:  # this very class, never one a student named the same
        kind, cause = ErrorKind.IMPORT, error.error
    if isinstance(cause, NotImplementedError):
        kind = ErrorKind.NOT_IMPLEMENTED
    message = f"{cause}"
    if isinstance(cause, SyntaxError):
        where = f"{cause.filename}, line {cause.lineno}" if cause.filename else f"line {cause.lineno}"
        for root in roots:
            where = where.replace(root.rstrip("/") + "/", "")
        message = f"{cause.msg} ({where})"
    return {
        "kind": str(kind),
        "types": [cls.__name__ for cls in type(cause).__mro__ if cls in BUILTIN_EXCEPTIONS],
        "message": message[:MAX_MESSAGE],
        "traceback": _student_frames(cause.__traceback__, roots)[:MAX_MESSAGE],
    }
