"""The grade as plain data: one record per test, rolled up per exercise, written as Gradescope JSON."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autograder.runtime.curriculum import EXERCISES

Status = Literal["passed", "failed", "not_implemented", "error"]


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

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

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

    def to_gradescope(self) -> dict[str, Any]:
        """Gradescope's results.json: https://gradescope-autograders.readthedocs.io/en/latest/specs/"""
        exercise_number = {name: i + 1 for i, name in enumerate(EXERCISES)}
        counters: dict[str, int] = {}
        tests = []
        for t in self.tests:
            counters[t.exercise] = counters.get(t.exercise, 0) + 1
            tests.append(
                {
                    "name": f"{t.exercise}: {t.title}",
                    "number": f"{exercise_number.get(t.exercise, 0)}.{counters[t.exercise]}",
                    "score": round(t.score, 6),
                    "max_score": round(t.max_score, 6),
                    "status": "passed" if t.status == "passed" else "failed",
                    "output": t.output,
                    "visibility": "visible",
                    "tags": [t.exercise],
                }
            )
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "output": self.output,
            "stdout_visibility": "hidden",
            "visibility": "visible",
            "tests": tests,
        }

    def write(self, path: str | Path) -> None:
        atomic_write(Path(path), (json.dumps(self.to_gradescope(), indent=2) + "\n").encode("utf-8"))


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
