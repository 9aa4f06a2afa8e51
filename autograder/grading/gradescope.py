"""Gradescope's side of grading: what ``run_autograder`` runs for each submission (on the grading path, never
authoring/).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from autograder.grading.loader import ASSIGNMENTS


def gradescope_run(root: Path, grade_args: list[str]) -> int:
    """Grade ``root/submission`` into ``root/results/results.json`` (what ``run_autograder`` does)."""
    from autograder import cli
    from autograder.grading.handin import prepare

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="submission-") as tmp:
        submission, notes = prepare(root / "submission", Path(tmp) / "root", stubs_root=ASSIGNMENTS)
        code = cli.main(["grade", str(submission), "--results", str(results), *grade_args])
    if results.exists():
        data = json.loads(results.read_text(encoding="utf-8"))
        data["output"] = "\n".join([*notes, data.get("output", "")]).strip()
        results.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return code
