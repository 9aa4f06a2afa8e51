"""Benchmark (not a test): ``nbgrader autograde`` vs ``python -m autograder grade`` on the same full reference submission.

    .venv/bin/python -m bench.nbgrader_vs_grader
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.authoring.course import COURSE_DIR
from autograder.authoring.nbgrader import fill_solutions, nbgrader
from autograder.authoring.notebooks import source_notebooks
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from bench.common import PY, Row, median_of_runs


def autograde_seconds() -> float:
    """Wall time of `nbgrader autograde` of the three parts of one reference submission, one after another."""
    env = {**os.environ, "COURSE_KIT": str(REPO_ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(COURSE_DIR / "nbgrader_config.py", course)
        for path, text in source_notebooks().items():
            dest = course / "source" / path.parent.name / path.name
            dest.parent.mkdir(parents=True)
            dest.write_text(text)
        nbgrader(["generate_assignment", "*", "--force"], course, env=env)
        for folder in sorted((course / "release").iterdir()):
            part = folder.name
            source = nbformat.read(course / "source" / part / f"{part}.ipynb", as_version=4)
            filled = fill_solutions(nbformat.read(folder / f"{part}.ipynb", as_version=4), source)
            (course / "submitted" / "reference" / part).mkdir(parents=True)
            nbformat.write(filled, course / "submitted" / "reference" / part / f"{part}.ipynb")
        start = time.perf_counter()
        for folder in sorted((course / "release").iterdir()):
            nbgrader(["autograde", folder.name, "--force"], course, env=env)
        return time.perf_counter() - start


def rows() -> list[Row]:
    nbgrader = autograde_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        ours = median_of_runs([PY, "-m", "autograder", "grade", str(SOLUTIONS), "--results", str(Path(tmp) / "r.json")], repeat=1)
    return [Row("grade one full submission", f"{ours:.1f} s", f"nbgrader autograde {nbgrader:.1f} s", f"{ours / nbgrader:.2f}",
                "<= 0.5", ours <= 0.5 * nbgrader)]


if __name__ == "__main__":
    for r in rows():
        print(r)
