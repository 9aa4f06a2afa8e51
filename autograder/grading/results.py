"""The grade as plain data: one record per test, rolled up per exercise, written as Gradescope JSON."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autograder.grading.gradescope import exercise_number
from autograder.grading.textsafe import capped
from autograder.runtime.curriculum import EXERCISES
from autograder.settings import VISIBILITIES

Status = Literal["passed", "failed", "not_implemented", "error"]
PUBLIC_TAG = "public"  # results.json's tag of a public test (feedback, 0 points): readers of grades skip them


OUTPUT_CAP = 8000  # characters of one test's output in results.json
RESULTS_CAP = 4 << 20  # bytes of results.json as a whole


@dataclass
class TestResult:
    exercise: str
    name: str  # the test function's name
    title: str  # what the student reads (the test's docstring or its name)
    max_score: float
    score: float
    status: Status
    output: str = ""
    duration: float = 0.0
    error_kind: str = ""  # the student's error (an ErrorKind value: "timeout", "crash" ...), "" when none
    mistakes: list[str] = field(default_factory=list)  # the known mistakes the grader's models named (Feedback)
    functions: tuple[str, ...] = ()  # the student functions the test called (not written to results.json)
    checks_raise: bool = False  # the test rewards an exception on bad input (compare.check_raises passed)
    checks_value: bool = False  # the test found a result right (compare.check passed at least once)


@dataclass
class ExerciseSummary:
    exercise: str
    score: float = 0.0
    max_score: float = 0.0
    passed: int = 0
    total: int = 0
    not_implemented: int = 0
    first_failure: str = ""

    @property
    def status(self) -> str:
        if self.total and self.passed == self.total:
            return "passed"
        if self.total and self.not_implemented == self.total:
            return "not implemented yet"
        return "failed"


@dataclass
class Report:
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    output: str = ""
    isolation: dict[str, Any] = field(default_factory=dict)  # what the worker's sandbox achieved (worker/isolation.py)
    public: list[TestResult] = field(default_factory=list)  # the public tests, 0 points each (runner.public_results)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    def require_working_functions(self) -> None:
        """Take back the points of a passed "raises on bad input" test whose functions never worked on good input.

        A function that raises on everything validates nothing: a test that rewards an exception only counts
        when every student function it called also gave a right result in this grading (in a passed test without
        an exception check, or in one whose ``check`` of a value passed).
        """
        working = {
            f
            for t in self.tests
            if t.status == "passed" and (t.checks_value or not t.checks_raise)
            for f in t.functions
        }
        for t in self.tests:
            broken = [f for f in t.functions if f not in working]
            if t.checks_raise and t.status == "passed" and broken:
                t.score, t.status = 0.0, "failed"
                t.output = (
                    f"{', '.join(broken)} raised on bad input as asked, but gave no correct result on valid input "
                    "in this grading: a function that raises on everything validates nothing (make it work first)"
                )

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def exercises(self) -> list[ExerciseSummary]:
        """One summary per exercise, in curriculum order (unknown names last)."""
        order = {name: i for i, name in enumerate(EXERCISES)}
        by_name: dict[str, ExerciseSummary] = {}
        for t in self.tests:
            s = by_name.setdefault(t.exercise, ExerciseSummary(t.exercise))
            s.score += t.score
            s.max_score += t.max_score
            s.total += 1
            s.passed += t.status == "passed"
            s.not_implemented += t.status == "not_implemented"
            if t.status != "passed" and not s.first_failure:
                s.first_failure = t.output.strip().splitlines()[0] if t.output.strip() else t.status
        return sorted(by_name.values(), key=lambda s: (order.get(s.exercise, len(order)), s.exercise))

    def to_gradescope(self, visibility: str = "visible", output_cap: int = OUTPUT_CAP) -> dict[str, Any]:
        """Gradescope's results.json: https://gradescope-autograders.readthedocs.io/en/latest/specs/

        ``visibility`` is the hidden tests' policy (:data:`~autograder.settings.VISIBILITIES`): one of
        Gradescope's values gives every test that visibility (the total stays visible); ``points-only``
        keeps the tests for the instructor (``hidden``) and shows the student one line per exercise,
        its points, without any input or expected value. The public tests (:attr:`public`) are always
        ``visible``: the student runs them anyway. They come last, named ``public: ...``, numbered
        ``P.<n>.<k>`` (``n``: the exercise's number), tagged ``[exercise, "public"]``, worth 0 points.

        Each test's ``extra_data`` (Gradescope keeps it and shows it to no one) holds what the class report reads as
        data, never from the output a submission can fill: the ``mistakes`` the grader's models named and the
        student's ``error_kind`` (:class:`~autograder.runtime.errors.ErrorKind`, "" when none).
        """
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility {visibility!r}: expected one of {VISIBILITIES}")

        tests = _entries(self.tests, "", "hidden" if visibility == "points-only" else visibility, [], output_cap)
        if visibility == "points-only":
            tests += [_exercise_entry(summary) for summary in self.exercises()]
        tests += _entries(self.public, "P.", "visible", [PUBLIC_TAG], output_cap)  # runner.public_results: 0 points
        output = self.output
        if self.isolation:  # every reader of results.json learns what the grade was protected by
            achieved = ", ".join(self.isolation.get("achieved", [])) or "none"
            missing = ", ".join(self.isolation.get("missing", []))
            output = "\n".join(
                filter(None, [output, f"Sandbox: {achieved}" + (f" (not: {missing})" if missing else "")])
            )
        data = {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "output": output,
            "stdout_visibility": "hidden",
            "visibility": "visible",
            "tests": tests,
        }
        if self.isolation:  # Gradescope's schema allows extra keys under extra_data only
            data["extra_data"] = {"isolation": self.isolation}
        return data

    def write(self, path: str | Path, visibility: str = "visible") -> None:
        """Write results.json; past :data:`RESULTS_CAP` bytes, every test's output is cut harder, and it says so."""
        data = self.to_gradescope(visibility)
        text = json.dumps(data, indent=2) + "\n"
        if len(text) > RESULTS_CAP:
            data = self.to_gradescope(visibility, output_cap=max(200, OUTPUT_CAP * RESULTS_CAP // (4 * len(text))))
            data["output"] = (
                f"results.json reached its cap of {RESULTS_CAP >> 20} MiB: each test's output is cut shorter\n"
                + data["output"]
            )
            text = json.dumps(data, indent=2) + "\n"
        atomic_write(Path(path), text.encode("utf-8"))


def _entries(
    results: list[TestResult], prefix: str, shown: str, tags: list[str], output_cap: int
) -> list[dict[str, Any]]:
    """One Gradescope test per result, numbered ``<prefix><exercise number>.<k>`` within its exercise.

    The exercise's number is :func:`~autograder.grading.gradescope.exercise_number`: stable when exercises
    are added."""
    counters: dict[str, int] = {}
    out = []
    for t in results:
        counters[t.exercise] = counters.get(t.exercise, 0) + 1
        out.append(
            {
                "name": f"{'public: ' if prefix else ''}{t.exercise}: {t.title}",
                "number": f"{prefix}{exercise_number(t.exercise)}.{counters[t.exercise]}",
                "score": round(t.score, 6),
                "max_score": round(t.max_score, 6),
                "status": "passed" if t.status == "passed" else "failed",
                "output": capped(t.output, output_cap),
                "visibility": shown,
                "tags": [t.exercise, *tags],
                "extra_data": {"mistakes": list(t.mistakes), "error_kind": t.error_kind},
            }
        )
    return out


def _exercise_entry(s: ExerciseSummary) -> dict[str, Any]:
    """``points-only``: one visible line per exercise, its points, no input or expected value."""
    return {
        "name": f"{s.exercise}: hidden tests",
        "number": f"{exercise_number(s.exercise)}",
        "score": round(s.score, 6),
        "max_score": round(s.max_score, 6),
        "status": "passed" if s.status == "passed" else "failed",
        "output": f"{s.score:g}/{s.max_score:g} points, {s.passed} of {s.total} hidden tests passed "
        "(their inputs and expected values are not shown)",
        "visibility": "visible",
        "tags": [s.exercise],
    }


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a fresh temporary file (never a planted link) and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # O_EXCL: a new file, never a link
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
