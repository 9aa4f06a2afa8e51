"""Gradescope's side of grading: what ``run_autograder`` runs for each submission (on the grading path, never
authoring/).
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.grading.loader import REPO_ROOT

CONFIG = REPO_ROOT / "gradescope.json"  # the zip's settings, chosen by the instructor at `make gradescope`
DEFAULT_VISIBILITY = "after_published"  # hidden tests' details wait until the instructor publishes the grades


def zip_config() -> dict[str, str]:
    """The Gradescope zip's settings (``gradescope.json`` beside ``autograder/``); the defaults without one."""
    config = {"hidden_visibility": DEFAULT_VISIBILITY}
    if CONFIG.is_file():
        config.update(json.loads(CONFIG.read_text(encoding="utf-8")))
    return config


def gradescope_run(root: Path, grade_args: list[str]) -> int:
    """Grade ``root/submission`` into ``root/results/results.json`` (what ``run_autograder`` does).

    Whatever the student uploaded (a repository, a zip, loose files, notebooks) goes through
    ``python -m autograder grade``, which copies it safely and maps notebooks back onto modules. The public
    tests run too (``--public``): visible at once whatever the hidden tests' visibility, worth 0 points.
    """
    from autograder import cli

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    args = list(grade_args)
    if "--public" not in args:
        args.append("--public")  # the student's own tests, visible at once and worth 0 points, beside the hidden ones
    if "--hidden-visibility" not in args:
        args += ["--hidden-visibility", zip_config()["hidden_visibility"]]
    return cli.main(["grade", str(root / "submission"), "--results", str(results), *args])
