"""Students that wrap another: the static forbidden-API check, the memory of hung functions, a refusal.

The in-process students (``make test``, nbgrader's ``grade_hidden``) get :class:`StaticallyChecked` and
:class:`HangMemory`; a submission refused before anything ran is a :class:`RefusedStudent`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.grading.adapter import Student, StudentError, functions_of
from autograder.runtime import forbidden


class StaticallyChecked(Student):
    """A student (in-process) whose probes first pass the static forbidden-API check of its root."""

    def __init__(self, inner: Student, root: str | Path) -> None:
        self.inner = inner
        self.findings = forbidden.scan_root(root)

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        refusal = self.findings.message_for(kwargs)
        if refusal:
            raise StudentError("forbidden", ["ForbiddenAPIError"], refusal)
        return self.inner.probe(name, **kwargs)

    def close(self) -> None:
        self.inner.close()


class HangMemory(Student):
    """A student (in-process: ``make test``, nbgrader's ``grade_hidden``) whose hung functions are remembered.

    In-process, pytest-timeout stops a hanging test by raising inside the call; the function's later
    tests then fail at once with the same explanation instead of costing a timeout each (the
    isolated student does the same by itself, see :class:`IsolatedStudent`).
    """

    def __init__(self, inner: Student) -> None:
        self.inner = inner
        self.hung: dict[str, str] = {}  # student function -> why it was stopped

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        functions = functions_of(kwargs)
        for function in functions:
            if function in self.hung:
                raise StudentError(
                    "timeout", ["TimeoutError"], f"{self.hung[function]}\n(not run again: it hung before)"
                )
        try:
            return self.inner.probe(name, **kwargs)
        except BaseException as error:
            timed_out = (isinstance(error, StudentError) and error.kind == "timeout") or (
                type(error).__name__ == "Failed" and str(error).startswith("Timeout")  # pytest-timeout's
            )
            if timed_out:
                why = f"the call of {kwargs.get('target', name)} did not finish in time ({error})"
                self.hung.update(dict.fromkeys(functions, why.splitlines()[0]))
            raise

    def close(self) -> None:
        self.inner.close()


class RefusedStudent(Student):
    """A submission that was refused before anything ran (a symlink, a zip slip ...): every call fails with why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        raise StudentError("forbidden", ["SubmissionError"], self.reason)
