"""What the course holds (solution modules, exercises, suite points) and the paths releases write; shared by authoring/.

The course is released three ways: nbgrader notebooks, a student bundle (GitHub Classroom), a Gradescope autograder.

Everything is generated from ``solutions/`` (the code) and ``release/`` (the words and templates):

- ``make notebooks``: ``nbgrader/source/<part>/<part>.ipynb``, one nbgrader assignment per part,
  from ``release/notebooks/<part>.md`` (the narrative, with directives saying where each
  exercise's cells go) and the solution modules (one ``%%module`` cell per definition); then the
  reference notebooks are executed into ``build/notebooks/`` and their figures saved as PNGs;
- ``make release``: the stubs, the source notebooks, the real ``nbgrader generate_assignment``,
  and ``dist/student/`` (+ ``dist/student.zip``): stubs, public tests, release notebooks, the grader
  runtime without its hidden suites, ``course/``, a Makefile, a README and the GitHub Classroom
  workflow; it refuses to finish when the bundle holds solution code or hidden tests;
- ``make gradescope``: ``dist/autograder.zip`` (``setup.sh``, ``run_autograder``, the grader with
  its suites and the reference).

"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import os
import stat
import zipfile
from pathlib import Path

from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.runtime.curriculum import EXERCISES, PACKAGES

COURSE_DIR = REPO_ROOT / "nbgrader"
SOURCE_DIR = COURSE_DIR / "source"
TEMPLATES = REPO_ROOT / "release"
BUILD = REPO_ROOT / "build"
DIST = REPO_ROOT / "dist"
PARTS = PACKAGES  # one nbgrader assignment (and one notebook) per part
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def markers() -> tuple[str, str, str, str]:
    """nbgrader's markers (begin/end solution, begin/end hidden tests), spelled once in
    :mod:`autograder.authoring.stubs`.
    """
    from autograder.authoring.stubs import MARKERS

    return MARKERS


# --------------------------------------------------------------------------- what exists


def solution_modules(root: Path = SOLUTIONS) -> dict[str, Path]:
    """module name -> file, for every non-package module of ``root``."""
    return {
        ".".join(p.relative_to(root).with_suffix("").parts): p
        for p in sorted(root.rglob("*.py"))
        if p.name != "__init__.py" and "__pycache__" not in p.parts
    }


def available_exercises(modules: dict[str, Path] | None = None) -> list[str]:
    """The exercises whose solution module exists, in curriculum order."""
    modules = solution_modules() if modules is None else modules
    return [name for name, module in EXERCISES.items() if module in modules]


@functools.cache
def suite_points() -> dict[str, float]:
    """exercise -> the points of its hidden suite (collected, not run; once per process)."""
    import pytest

    from autograder.grading import runner as grading
    from autograder.grading.plugin import exercise_of, points_of

    points: dict[str, float] = {}

    class Collect:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            for item in session.items:
                points[exercise_of(item)] = points.get(exercise_of(item), 0.0) + points_of(item)

    if grading.suite_files():
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main([*grading.pytest_args(SOLUTIONS, None, isolated=False), "--collect-only"], plugins=[Collect()])
    return {name: points[name] for name in EXERCISES if name in points}


def course_imports(source: str) -> list[str]:
    """The course modules (``attention.masks``) that ``source`` imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and not node.level
            and node.module.split(".")[0] in PACKAGES
        ):
            found += [f"{node.module}.{a.name}" for a in node.names] if node.module in PACKAGES else [node.module]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in PACKAGES]
    return found


def carried_modules(part: str, modules: dict[str, Path]) -> list[str]:
    """Modules of other parts that ``part``'s modules need (transitively), dependencies first."""
    order = {module: i for i, module in enumerate([*EXERCISES.values(), *sorted(modules)])}
    seen: set[str] = set()
    needed: list[str] = []

    def visit(module: str) -> None:
        seen.add(module)
        for dep in sorted(
            set(course_imports(modules[module].read_text(encoding="utf-8"))) & set(modules), key=order.__getitem__
        ):
            if dep not in seen:
                visit(dep)
                if dep.split(".")[0] != part:
                    needed.append(dep)

    for module in sorted((m for m in modules if m.split(".")[0] == part), key=order.__getitem__):
        visit(module)
    return needed


def _pyfiles(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


# --------------------------------------------------------------------------- zips


def _add(z: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible: the same sources give the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    z.writestr(info, data)


def zip_tree(src: Path, dest: Path, prefix: str = "") -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as z:
        for path in sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            _add(z, prefix + path.relative_to(src).as_posix(), path.read_bytes(), executable=os.access(path, os.X_OK))
    return dest
