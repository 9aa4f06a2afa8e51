"""Stops: calls that hung or ended the worker, and what they cost the submission (DESIGN.md: bounded cost).

A submission's time is bounded at several levels, so that the global time budget is a last resort, not the
mechanism:

- a student function whose call stopped is remembered, keyed by the student modules the call ran, and its later
  calls fail at once with the same explanation (:meth:`Stops.refuse`);
- an exercise that stopped ``exercise_stops`` times, or once right after another exercise's stop, fails all its
  later calls at once;
- after ``max_stops`` stops, every call of the submission does;
- the call right after a stop, and a call that runs the module of an exercise whose code stopped, get the short
  leash (``suspect_timeout``: :meth:`Stops.suspect`). Such a call's stop is the upstream exercise's fault, and is not
  counted against the current one (no cascade).
"""

from __future__ import annotations

from autograder.grading.adapter import StudentError
from autograder.runtime.curriculum import EXERCISES
from autograder.settings import Settings


class Stops:
    """The stops of one submission; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.count = 0  # every stop of the submission
        self.streak = 0  # stops since the last call that answered
        self.by_exercise: dict[str, int] = {}
        self.stopped_exercises: dict[str, StudentError] = {}
        self.stopped_modules: set[str] = set()  # the modules of the exercises whose code stopped
        # (student function, the student modules the call ran) -> the timeout or crash of that call
        self.hung: dict[tuple[str, frozenset[str]], StudentError] = {}
        self._last: str | None = None  # the exercise of the last stop

    def upstream(self, exercise: str | None, reached: frozenset[str]) -> bool:
        """The call runs (``reached``) the module of another exercise than ``exercise`` whose code stopped before."""
        return bool(reached & (self.stopped_modules - {EXERCISES.get(exercise or "")}))

    def suspect(self, exercise: str | None, reached: frozenset[str]) -> bool:
        """The call gets the short leash: it follows a stop, or it runs an upstream module that stopped."""
        return bool(self.streak) or self.upstream(exercise, reached)

    def answered(self) -> None:
        """A call of student code answered: the streak of stops ends."""
        self.streak = 0

    def remember(self, functions: list[str], reached: frozenset[str], error: StudentError) -> None:
        """The call of ``functions`` that ran ``reached`` hung or ended the worker with ``error``: its later calls
        over the same modules fail at once (:meth:`refuse`)."""
        self.hung.update(dict.fromkeys(((f, reached) for f in functions), error))

    def stopped(self, exercise: str | None, reached: frozenset[str]) -> None:
        """A call in ``exercise`` that ran ``reached`` stopped: count it against the submission and, unless an
        upstream module that stopped before is the cause, against its exercise."""
        self.count += 1
        self.streak += 1
        name = exercise or "?"
        if self.upstream(exercise, reached):
            return
        if name in EXERCISES:
            self.stopped_modules.add(EXERCISES[name])
        count = self.by_exercise[name] = self.by_exercise.get(name, 0) + 1
        elsewhere = self.streak > 1 and self._last != name  # right after another exercise's stop
        if count >= self.settings.exercise_stops or elsewhere:
            self.stopped_exercises[name] = StudentError(
                "timeout",
                ["TimeoutError"],
                f"not run: the code of {name} hung or ended the process running it {count} time(s)"
                + (f", right after {self._last}'s code did the same" if elsewhere else "")
                + "; its remaining calls are not run, so that the rest of the submission is graded in time",
            )
        self._last = name

    def refuse(self, exercise: str | None, functions: list[str], reached: frozenset[str]) -> None:
        """Fail at once a call that would only stop again."""
        if self.count >= self.settings.max_stops:
            raise StudentError(
                "timeout",
                ["TimeoutError"],
                f"not run: this submission's calls hung or ended the process running them {self.count} times "
                f"(AUTOGRADER_MAX_STOPS={self.settings.max_stops}); its remaining calls are not run",
            )
        if exercise in self.stopped_exercises:
            raise self.stopped_exercises[exercise]
        for function in functions:
            if (function, reached) in self.hung:
                earlier = self.hung[(function, reached)]
                again = "it hung before" if earlier.kind == "timeout" else "it ended the process running it before"
                raise StudentError(earlier.kind, earlier.types, f"{earlier.message}\n(not run again: {again})")
