"""A failing public test of a later exercise says when an earlier exercise it builds on is wrong on its own.

The hidden suites grade ``multi_head``, ``layers`` and ``models`` over stand-ins of the earlier exercises
and add a note when the student's own earlier module is the cause ("your MultiHeadAttention is wrong on
its own: fix the multi_head exercise first"). The public tests run on the student's whole stack, so a
wrong ``multi_head`` makes the ``layers`` and ``models`` tests fail too; without a word, the student
looks for the bug in the wrong file. Here, when a public test of such an exercise fails, the public
tests of each earlier exercise it builds on (:data:`autograder.runtime.standins.UPSTREAM_OF`) are run
on the same student, once per run, and the failure names those that fail.

No reference is needed: the earlier exercises' public tests check them against PyTorch's own modules,
so this works in the student bundle as on Gradescope.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

from autograder.grading.adapter import Student, StudentError
from autograder.grading.compare import Feedback
from autograder.runtime.curriculum import EXERCISES
from autograder.runtime.standins import UPSTREAM_OF

EXERCISE_OF = {module: name for name, module in EXERCISES.items()}


def upstream_exercises(exercise: str) -> list[str]:
    """The earlier exercises ``exercise`` builds on, in curriculum order (none for most)."""
    return [EXERCISE_OF[module] for module in UPSTREAM_OF.get(EXERCISES.get(exercise, ""), ())]


def _public_module(folder: Path, exercise: str) -> ModuleType | None:
    path = folder / f"test_{exercise}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_upstream_public_{exercise}", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verdict(student: Student, folder: Path, exercise: str) -> str:
    """``"passes"``, ``"not written"`` or ``"wrong"``: how ``exercise``'s public tests (in ``folder``) fare on
    ``student``, stopping at the first that fails."""
    from autograder.runtime.errors import ErrorKind

    module = _public_module(folder, exercise)
    if module is None:
        return "passes"  # nothing to say about an exercise without public tests
    for name, test in sorted(vars(module).items()):
        if name.startswith("test_") and callable(test) and list(inspect.signature(test).parameters) == ["student"]:
            try:
                test(student)
            except StudentError as error:
                return "not written" if error.kind is ErrorKind.NOT_IMPLEMENTED else "wrong"
            except (Feedback, AssertionError):
                return "wrong"
    return "passes"


def note(exercise: str, verdicts: dict[str, str]) -> str:
    """The line a failing public test of ``exercise`` gets about the earlier exercises that fail on their own."""
    failing = {name: found for name, found in verdicts.items() if found != "passes"}
    if not failing:
        return ""
    said = "; ".join(
        f"{name} ({EXERCISES[name].replace('.', '/')}.py) is "
        + ("not written yet" if found == "not written" else "wrong on its own (its public tests fail)")
        for name, found in failing.items()
    )
    first = next(iter(failing))
    return (
        f"\n  Note: {exercise} builds on your earlier exercises, and {said}: fix "
        f"{' and '.join(failing)} first (make test EX={first}); this test may then pass as it is."
    )


class UpstreamNotes:
    """Per run: how the earlier exercises fare on their own public tests, each run at most once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.verdicts: dict[str, str] = {}

    def for_failure(self, student: Student, exercise: str) -> str:
        for earlier in upstream_exercises(exercise):
            if earlier not in self.verdicts:
                self.verdicts[earlier] = verdict(student, self.folder, earlier)
        return note(exercise, {earlier: self.verdicts[earlier] for earlier in upstream_exercises(exercise)})
