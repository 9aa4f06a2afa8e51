"""The one seam between every test and the student's code.

Tests (public and hidden) hold a :class:`Student` and ask it to ``call`` a function or run a
``probe``; they get plain data back (:mod:`autograder.runtime.protocol`) or a :class:`StudentError`.
Two implementations share this interface:

- :class:`InProcessStudent` imports the submission privately in the test process, so ``print``
  and ``pdb`` work (``make test``);
- the isolated worker (:mod:`autograder.grading.worker`) runs the same probes in a separate, limited
  process and sends the same plain data back (``make grade`` / ``python -m autograder grade``).

Both pass every argument and result through the protocol's encoding, so a test sees the same
values in both modes.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from autograder.grading.loader import Root
from autograder.grading.textsafe import capped
from autograder.runtime import protocol
from autograder.runtime.curriculum import PACKAGES
from autograder.runtime.errors import ErrorKind
from autograder.runtime.probes import call_problem, execute

# What a reply from student code's process may claim happened. Crashes, timeouts and the grader's own faults are
# decided by the grader from what it saw (a worker that died, a call that ran out of time), never from a reply.
REPLY_KINDS = frozenset(
    {ErrorKind.RAISED, ErrorKind.NOT_IMPLEMENTED, ErrorKind.IMPORT, ErrorKind.PROTOCOL, ErrorKind.FORBIDDEN}
)
BUILTIN_EXCEPTION_NAMES = frozenset(
    name for name, cls in vars(builtins).items() if isinstance(cls, type) and issubclass(cls, BaseException)
)
MAX_TEXT = 2000  # characters of a message or a traceback that came from student code
MAX_TYPES = 8


class StudentError(Exception):
    """Student code failed: raised, was not implemented, did not import, crashed or hung.

    Only plain data is kept (type names, message, the student's traceback lines), so the
    grading process never holds an object made by student code.
    """

    def __init__(self, kind: ErrorKind | str, types: list[str], message: str, traceback: str = "") -> None:
        try:
            self.kind = ErrorKind(kind)
        except ValueError:  # a reply naming no kind the grader knows: a malformed reply, the student's
            self.kind = ErrorKind.PROTOCOL
            message = f"your code's process sent an unknown error kind {str(kind)[:40]!r}: {message}"
        self.types = list(types)
        self.message = message
        self.student_traceback = traceback
        super().__init__(self.summary())

    @property
    def type_name(self) -> str:
        return self.types[0] if self.types else "Error"

    def is_a(self, type_name: str) -> bool:
        """True when the student's exception is ``type_name`` or a subclass of it."""
        return type_name in self.types

    def summary(self) -> str:
        if self.kind is ErrorKind.NOT_IMPLEMENTED:
            return "not implemented yet (the stub still raises NotImplementedError)"
        if self.kind is ErrorKind.IMPORT:
            return f"the module could not be imported: {self.type_name}: {self.message}"
        if self.kind is not ErrorKind.RAISED:
            return self.message
        text = f"your code raised {self.type_name}: {self.message}"
        if self.student_traceback:
            text += "\n" + self.student_traceback.rstrip()
        return text

    @classmethod
    def from_reply(cls, error: dict[str, Any]) -> StudentError:
        """The error a reply describes, believed only as far as plain data allows.

        The reply comes from the process that runs student code, which the student controls: its kind must be one
        a reply may claim (:data:`REPLY_KINDS`), its types are kept only where they name built-in exceptions (the
        worker compares classes by identity; a forged name can still only claim a built-in, and the tests that
        reward an exception also demand correct results), and every text is capped here, whatever the worker did.
        """
        kind = str(error.get("kind", "raised"))[:40]
        message = capped(str(error.get("message", "")), MAX_TEXT)
        if kind not in REPLY_KINDS:
            message = f"your code's process claimed an error of kind {kind!r}, which only the grader decides: {message}"
            kind = ErrorKind.PROTOCOL
        raw = error.get("types", [])
        types = (
            list(dict.fromkeys(t for t in raw[:MAX_TYPES] if isinstance(t, str) and t in BUILTIN_EXCEPTION_NAMES))
            if isinstance(raw, list)
            else []
        )
        return cls(kind, types, message, capped(str(error.get("traceback", "")), MAX_TEXT))


class Student(ABC):
    """What a test may do with a submission."""

    @abstractmethod
    def probe(self, name: str, /, **kwargs: Any) -> Any:
        """Run probe ``name`` beside the student's code; plain data back or :class:`StudentError`."""

    def call(self, target: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call the student's ``"package.module:function"`` with plain arguments."""
        return self.probe("call", target=target, args=list(args), kwargs=kwargs)

    def close(self) -> None:  # noqa: B027 - most implementations hold nothing
        """Release whatever the implementation holds (a worker process)."""


def raise_grader_fault(name: str, kwargs: dict[str, Any]) -> None:
    """Raise the grader's own fault (a probe that does not exist, or arguments it does not take) as kind ``grader``:
    decided here, before the call, since a reply from student code's process is never believed about it."""
    problem = call_problem(name, kwargs)
    if problem is not None:
        raise StudentError(problem["kind"], problem["types"], problem["message"])


def functions_of(kwargs: dict[str, Any]) -> list[str]:
    """The student functions a probe's arguments name (``"embeddings.one_hot:build_vocab"``)."""
    found = []
    for value in kwargs.values():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, str) and ":" in v and v.split(".")[0] in PACKAGES:
                found.append(v)
    return found


class Recording(Student):
    """A student whose probes are remembered per test: which student functions each test called."""

    def __init__(self, inner: Student) -> None:
        self.inner = inner
        self.called: set[str] = set()

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        self.called.update(functions_of(kwargs))
        return self.inner.probe(name, **kwargs)

    def begin_test(self, timeout: float | None, exercise: str | None = None) -> None:
        self.called = set()
        begin = getattr(self.inner, "begin_test", None)
        if begin is not None:
            begin(timeout, exercise)

    def __getattr__(self, name: str) -> Any:  # what else a caller reads of the student (its sandbox, output ...)
        return getattr(self.inner, name)

    def close(self) -> None:
        self.inner.close()


def unwrap(reply: dict[str, Any]) -> Any:
    """The value of a probe reply, or its error raised as :class:`StudentError`."""
    if "error" in reply:
        raise StudentError.from_reply(reply["error"])
    return reply["ok"]


class InProcessStudent(Student):
    """Student code imported into this process (privately): for the student's own loop."""

    def __init__(self, root: str | Path) -> None:
        self.root = Root(root)
        self._roots = (str(self.root.path) + "/",)

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        raise_grader_fault(name, kwargs)
        kwargs = protocol.roundtrip(kwargs)
        reply = execute(self.root.resolve, name, kwargs, self._roots)
        try:
            reply = protocol.roundtrip(reply)
        except protocol.ProtocolError as error:
            raise StudentError("protocol", ["ProtocolError"], f"your code returned {error}") from None
        return unwrap(reply)
