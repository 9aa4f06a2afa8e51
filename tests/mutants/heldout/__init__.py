"""Held-out sets of student mistakes: written without reading the kit's mistake models, frozen, then measured.

The catalogue (``tests/mutants/<exercise>.py``) is what the mistake models were built against, so the kit naming
it says little about a mistake nobody modelled. A held-out set is written from what a student sees (the stubs'
docstrings, the curriculum, the lectures) by someone who has not opened the mistake models, the hidden suites,
the public tests or the catalogue, and it is committed before anything measures it. One module per set
(``set_<yyyy>_<mm>.py``, a letter after it for a second set of a month) defines ``HELDOUT`` and ``LABEL``, the name its
figures are printed under (set A, the first, predates labels and keeps the plain ``"held-out"``); a committed set is
never edited, not even to fix a pattern: a later set goes in a new module, so every number measured on a set means
the same thing forever.

Naming rule (decided when the set is written, stated in each set's docstring): a held-out mistake is *named* when
one of its ``names`` (case-insensitive regular expressions) is found in the text of a named-mistake line of a
failing test's feedback, i.e. the text after ``Likely mistake:`` (the line ``autograder.grading.compare.check``
writes for a recognised mistake). Other lines of the feedback (the diagnosis, Expected, Got) never count, so a
pattern cannot be satisfied by a shape or a value that merely happens to be printed.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.grading.loader import SOLUTIONS
from tests.mutants import Mutant

NAMED_LINE = re.compile(r"likely mistake:\s*(.*)", re.IGNORECASE)
DEFAULT_LABEL = "held-out"  # the label of a set whose module names none (set A: its printed figures stay as they were)


def named_mistakes(output: str) -> list[str]:
    """The mistakes a feedback text names: what follows ``Likely mistake:`` on each line that has it."""
    return [match.group(1).strip() for match in map(NAMED_LINE.search, output.splitlines()) if match]


@dataclass(frozen=True)
class HeldOutMutant:
    exercise: str
    name: str  # a short id, unique within the exercise across every held-out set
    file: str  # relative to a submission root, e.g. "embeddings/one_hot.py"
    old: str  # exact snippet of the reference, present exactly once
    new: str  # what a student wrote instead
    description: str  # the mistake in plain words
    names: tuple[str, ...]  # case-insensitive regexes: any one in a named-mistake line means the kit named it
    label: str = DEFAULT_LABEL  # the set it belongs to, set by :func:`heldout_sets` from its module's ``LABEL``

    @property
    def id(self) -> str:
        return f"{self.exercise}:heldout:{self.name}"

    @property
    def expect(self) -> None:
        """No literal text to look for: naming is decided by :meth:`named_in` (the catalogue's ``expect`` is a string)."""
        return None

    def apply(self, dst: Path, src: Path = SOLUTIONS) -> Path:
        """Copy ``src`` to ``dst`` with this mistake patched in (the catalogue's rule: ``old`` found exactly once)."""
        return Mutant(self.exercise, self.name, self.file, self.old, self.new).apply(dst, src)

    def named_in(self, output: str) -> bool:
        """Whether ``output`` (failing tests' feedback) names this mistake, by the rule of the module docstring."""
        return any(re.search(pattern, line, re.IGNORECASE) for line in named_mistakes(output) for pattern in self.names)


def heldout_sets() -> dict[str, list[HeldOutMutant]]:
    """Every held-out set's mistakes by the set's label, oldest set first; each mistake carries its set's label."""
    sets: dict[str, list[HeldOutMutant]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        label = getattr(module, "LABEL", DEFAULT_LABEL)
        if label in sets:
            raise ValueError(f"held-out set {info.name}: its label {label!r} is another set's; each set needs its own LABEL")
        sets[label] = [replace(mutant, label=label) for mutant in getattr(module, "HELDOUT", [])]
    return sets


def all_heldout() -> list[HeldOutMutant]:
    """Every held-out set's mistakes, oldest set first."""
    return [mutant for mutants in heldout_sets().values() for mutant in mutants]
