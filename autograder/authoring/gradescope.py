"""Gradescope's autograder zip: ``setup.sh``, ``run_autograder``, the grader with its suites and the reference."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from autograder.authoring.course import (
    DIST,
    TEMPLATES,
    _add,
    _pyfiles,
)
from autograder.authoring.requirements import _texts, closure, distributions, pinned, top_level_imports
from autograder.grading.gradescope import CONFIG, DEFAULT_VISIBILITY
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.layout import gradescope_kit_files

GRADER_EXTRAS = ("pytest-timeout", "nbformat")  # a pytest plugin (configured, not imported); notebooks read lazily


def grader_requirements() -> list[str]:
    """What the grader needs on Gradescope: the imports of the grader, its suites, course/ and the reference."""
    files = [path for path, _ in gradescope_kit_files() if path.suffix == ".py"]
    files += _pyfiles(REPO_ROOT / "course") + _pyfiles(SOLUTIONS)
    return pinned(closure(distributions(top_level_imports(_texts(files))) | set(GRADER_EXTRAS)))


def build_gradescope(dest: Path = DIST / "autograder.zip", hidden_visibility: str = DEFAULT_VISIBILITY) -> Path:
    """Gradescope's autograder zip: setup.sh and run_autograder at its root, the grader and reference beside them.

    ``hidden_visibility`` (``gradescope.json`` in the zip) is what students see of the hidden tests:
    by default ``after_published``, so that unlimited resubmissions do not turn them into an answer key.
    """
    requirements = grader_requirements()
    setup = (TEMPLATES / "gradescope" / "setup.sh").read_text(encoding="utf-8")  # installs by autograder/install.py
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as z:
        _add(z, "setup.sh", setup.encode(), executable=True)
        _add(z, "run_autograder", (TEMPLATES / "gradescope" / "run_autograder").read_bytes(), executable=True)
        _add(z, "requirements.txt", ("\n".join(requirements) + "\n").encode())
        _add(z, CONFIG.name, (json.dumps({"hidden_visibility": hidden_visibility}, indent=2) + "\n").encode())
        for path, name in gradescope_kit_files():  # the folder rule: autograder/ without authoring/, tests/public/
            _add(z, name, path.read_bytes())
        for folder in ("course", "solutions", "assignments"):
            for path in sorted(
                p
                for p in (REPO_ROOT / folder).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            ):
                _add(z, path.relative_to(REPO_ROOT).as_posix(), path.read_bytes())
    return dest
