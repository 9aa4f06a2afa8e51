"""The catalogue of known student mistakes: each a small, named patch of ``solutions/``.

One module per exercise (``tests/mutants/one_hot.py`` ...) defines ``MUTANTS``. A mutant replaces
one exact snippet of one solution file; the hidden suite must take points away from it and, when
``expect`` is given, say ``expect`` in its feedback (the mistake is *named*, not only caught).
"""

from __future__ import annotations

import importlib
import pkgutil
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.loader import SOLUTIONS


@dataclass(frozen=True)
class Mutant:
    exercise: str
    name: str  # a short id, unique within the exercise
    file: str  # relative to a submission root, e.g. "embeddings/one_hot.py"
    old: str  # exact snippet of the reference, present exactly once
    new: str  # what a student wrote instead
    expect: str | None = None  # text the feedback must contain (the mistake named); None = only killed

    @property
    def id(self) -> str:
        return f"{self.exercise}:{self.name}"

    def apply(self, dst: Path, src: Path = SOLUTIONS) -> Path:
        """Copy ``src`` to ``dst`` with this mistake patched in; returns ``dst``."""
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        target = dst / self.file
        text = target.read_text(encoding="utf-8")
        count = text.count(self.old)
        if count != 1:
            raise ValueError(f"mutant {self.id}: snippet found {count} times in {self.file}, expected exactly once")
        target.write_text(text.replace(self.old, self.new), encoding="utf-8")
        return dst


def all_mutants() -> list[Mutant]:
    found: list[Mutant] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "MUTANTS", []))
    return found
