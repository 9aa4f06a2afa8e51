"""``python -m autograder report`` on a class of 100 graded submissions, with code similarity.

The class is made from real grades: the reference and the stubs graded in-process on every exercise, and a few
catalogued mistakes (``tests/mutants/``) graded on their own exercise and put in place of the reference's tests of
it. Each of the 100 submissions is one of these, with its hand-in (a copy of the tree it was graded from, each file
with a comment of its own, so that no two texts are the same) and a ``meta`` row with a grading time, as ``batch``
writes them.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS
from bench.common import Row

STUDENTS = 100
GOAL = 30.0  # seconds
MISTAKES = (
    "one_hot:ties-first-occurrence",
    "scaled_dot_product:no-scaling",
    "masks:causal-transposed",
    "positional_encoding:sin-cos-swapped",
)


def _graded(root: Path, only: list[str] | None) -> dict[str, Any]:
    from autograder.grading.runner import grade

    with contextlib.redirect_stdout(io.StringIO()):
        report, _ = grade(root, only=only, isolated=False)
    return report.to_gradescope()


def make_class(tmp: Path, students: int = STUDENTS) -> tuple[Path, Path]:
    """(OUT as ``batch`` writes it, the hand-ins) for ``students`` submissions."""
    from tests.mutants import all_mutants

    mutants = {m.id: m for m in all_mutants()}
    reference = _graded(SOLUTIONS, None)
    variants: list[tuple[Path, dict[str, Any]]] = [(SOLUTIONS, reference), (ASSIGNMENTS, _graded(ASSIGNMENTS, None))]
    for ident in MISTAKES:
        if ident not in mutants:
            continue
        mutant = mutants[ident]
        tree = mutant.apply(tmp / "trees" / ident.replace(":", "-"))
        own = _graded(tree, [mutant.exercise])["tests"]
        tests = [t for t in reference["tests"] if t["tags"] != [mutant.exercise]] + own
        score = sum(t["score"] for t in tests)
        variants.append((tree, {**reference, "tests": tests, "score": score}))
    out, subs = tmp / "out", tmp / "submissions"
    for folder in ("results", "meta"):
        (out / folder).mkdir(parents=True)
    rng = random.Random(0)
    for n in range(students):
        ident = f"student{n:03d}"
        tree, results = variants[n % len(variants)]
        shutil.copytree(tree, subs / ident, ignore=shutil.ignore_patterns("__pycache__"))
        for module in (subs / ident).rglob("*.py"):  # every file its own text: nothing is fingerprinted only once
            module.write_text(f"# {ident}\n" + module.read_text(encoding="utf-8"), encoding="utf-8")
        (out / "results" / f"{ident}.json").write_text(json.dumps(results), encoding="utf-8")
        row = {"id": ident, "status": "graded", "reason": "", "seconds": round(rng.uniform(8, 14), 2)}
        (out / "meta" / f"{ident}.json").write_text(json.dumps({"row": row}), encoding="utf-8")
    return out, subs


def rows() -> list[Row]:
    from autograder.authoring.report import write_report

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        out, subs = make_class(Path(tmp))
        start = time.perf_counter()
        page, _ = write_report(out, submissions=subs)
        seconds = time.perf_counter() - start
        size = page.stat().st_size
    return [
        Row(
            f"class report (report.html, misconceptions.csv, code similarity) for {STUDENTS} graded submissions",
            f"{seconds:.1f} s ({size / 1e6:.1f} MB page)",
            target=f"< {GOAL:g} s",
            met=seconds < GOAL,
        )
    ]


if __name__ == "__main__":
    for row in rows():
        print(row)
