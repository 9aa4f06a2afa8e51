"""Running nbgrader's own commands (generate_assignment ...) and reading its gradebook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from autograder.authoring.course import (
    COURSE_DIR,
)


def tools_on_path(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with this interpreter's scripts first on PATH: nbgrader runs ``alembic`` by
    name.
    """
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def start_nbgrader(args: list[str], course_dir: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start an nbgrader command in ``course_dir`` (see :func:`wait_nbgrader`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course_dir,
        env=tools_on_path(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_nbgrader(process: subprocess.Popen[str]) -> str:
    """The log of a finished nbgrader command; an error with the log when it failed."""
    log, _ = process.communicate()
    if process.returncode:
        command = process.args if isinstance(process.args, list) else [process.args]
        raise RuntimeError(f"{' '.join(map(str, command[2:]))} failed ({process.returncode}):\n{log}")
    return log


def nbgrader(args: list[str], course_dir: Path, env: dict[str, str] | None = None) -> str:
    """Run an nbgrader command in ``course_dir``; its log on success, an error with the log otherwise."""
    return wait_nbgrader(start_nbgrader(args, course_dir, env))


def generate_assignments(course_dir: Path = COURSE_DIR) -> list[Path]:
    """``nbgrader generate_assignment`` for every part; returns the release folders."""
    nbgrader(["generate_assignment", "*", "--force"], course_dir)
    return sorted(p for p in (course_dir / "release").iterdir() if p.is_dir())


def fill_solutions(released: Any, source: Any) -> Any:
    """``released`` (a release notebook) with every solution cell holding the reference: a perfect hand-in."""
    reference = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in released.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = reference[cell.metadata["nbgrader"]["grade_id"]]
    return released


def gradebook_scores(course_dir: Path, course_id: str = "eat") -> dict[tuple[str, str], tuple[float, float]]:
    """(assignment, student) -> (score, max_score), read with nbgrader's gradebook API."""
    from nbgrader.api import Gradebook

    scores = {}
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = tools_on_path()["PATH"]
    try:
        with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", course_id) as gb:
            for assignment in gb.assignments:
                for submission in assignment.submissions:
                    scores[(assignment.name, submission.student_id)] = (submission.score, submission.max_score)
    finally:
        os.environ["PATH"] = saved
    return scores
