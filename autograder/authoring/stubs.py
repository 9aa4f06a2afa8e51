"""Generate the student stubs in ``assignments/`` from ``solutions/`` with nbgrader's own rules.

Each solution file is wrapped in a one-cell notebook marked as an nbgrader solution cell and
passed through nbgrader's :class:`~nbgrader.preprocessors.ClearSolutions`, the preprocessor that
``nbgrader generate_assignment`` runs. Every ``### BEGIN SOLUTION`` / ``### END SOLUTION``
region therefore becomes exactly what nbgrader writes in a notebook: ``# YOUR CODE HERE`` and
``raise NotImplementedError()``, indented like the marker.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions

from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def solution_cell(source: str, grade_id: str = "solution") -> nbformat.NotebookNode:
    """A code cell with the metadata nbgrader gives a solution cell (schema 3)."""
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": grade_id,
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    return cell


def source_cell(source: str, grade_id: str = "solution") -> nbformat.NotebookNode:
    """A solution cell when ``source`` has a solution region, else a plain code cell.

    nbgrader replaces a solution cell *without* a region by the bare stub, so a file with no
    exercise in it (an ``__init__.py``) must not be marked as one.
    """
    return solution_cell(source, grade_id) if MARKERS[0] in source else nbformat.v4.new_code_cell(source)


def make_stub(source: str) -> str:
    """The stub nbgrader would produce from one solution file's source."""
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"language": "python", "name": "python3", "display_name": "Python 3"}}
    )
    nb.cells.append(source_cell(source))
    nb, _ = ClearSolutions().preprocess(nb, {})
    return nb.cells[0].source


def source_files(root: Path = SOLUTIONS) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def expected_stubs(src: Path = SOLUTIONS) -> dict[Path, str]:
    """Relative path -> stub text, for every Python file of ``src``."""
    return {p.relative_to(src): make_stub(p.read_text(encoding="utf-8")) for p in source_files(src)}


def all_stubs(src: Path = SOLUTIONS) -> dict[Path, str]:
    """The code stubs and, beside them, each part's ``written.md`` without its answers and rubrics."""
    from autograder.authoring import written

    return {**expected_stubs(src), **written.expected_stubs(src)}


def leaks(text: str) -> list[str]:
    return [m for m in MARKERS if m in text]


def generate(src: Path = SOLUTIONS, dst: Path = ASSIGNMENTS) -> list[Path]:
    """Write the stubs; remove stub files whose solution is gone. Returns the files written."""
    stubs = all_stubs(src)
    written = []
    for rel, text in stubs.items():
        target = dst / rel
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(target)
    for stale in source_files(dst):
        if stale.relative_to(dst) not in stubs:
            stale.unlink()
    return written


def problems(src: Path = SOLUTIONS, dst: Path = ASSIGNMENTS) -> list[str]:
    """Why ``dst`` is not exactly the stubs of ``src`` (empty when it is)."""
    stubs = all_stubs(src)
    found = []
    for rel, text in stubs.items():
        target = dst / rel
        if not target.exists():
            found.append(f"{target}: missing (run `make stubs`)")
        elif target.read_text(encoding="utf-8") != text:
            found.append(f"{target}: stale, differs from the stub of {src / rel} (run `make stubs`)")
    for p in source_files(dst):
        if p.relative_to(dst) not in stubs:
            found.append(f"{p}: has no solution file (run `make stubs`)")
        elif leaks(p.read_text(encoding="utf-8")):
            found.append(f"{p}: contains solution markers")
    return found
