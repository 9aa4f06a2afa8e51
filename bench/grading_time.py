"""Benchmark (not a test): one grade of the reference, wall and CPU time, against the kit before issue 18, side by side.

    .venv/bin/python -m bench.grading_time [--baseline REV] [--runs 3]

Issue 18 split each full grade into phases (a worker per set of stand-ins: a worker never holds a correct
implementation of the exercise it grades or of anything downstream), which costs worker starts. The warm template
(``AUTOGRADER_TEMPLATE``, :mod:`autograder.runtime.template`) forks those workers from a process that imported
PyTorch once. This measures ``python -m autograder grade solutions`` at ``REV`` (default d8289b5, the last commit
before issue 18) in a checkout of its own, and at this checkout on the same exercises (``--only``: the concept
checks came later) with the template and without it, and on every exercise, interleaved, with the same interpreter.
CPU is that of every process of the grade, counted in a cgroup. Target: the same exercises within 1.1x of the
baseline's wall time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

from autograder.grading.loader import REPO_ROOT
from bench.batch_cpu import cpu_of
from bench.common import PY, Row

BASELINE = "d8289b5"
TARGET = 1.1


def grade(checkout: Path, env: dict[str, str], only: list[str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of one grade of the reference in ``checkout``; CPU of every process it started, counted in
    a cgroup (workers in PID namespaces are out of their parent's ``getrusage``)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [PY, "-m", "autograder", "grade", "solutions", "--results", str(Path(tmp) / "r.json")]
        cmd += [arg for exercise in only or [] for arg in ("--only", exercise)]
        cpu, wall = cpu_of(cmd, checkout, env)
    return wall, cpu


def exercises_at(checkout: Path) -> list[str]:
    """The exercises of the kit in ``checkout``."""
    done = subprocess.run(
        [PY, "-c", "from autograder.runtime.curriculum import EXERCISES; print(' '.join(EXERCISES))"],
        cwd=checkout, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.split()


def measure(baseline: str = BASELINE, runs: int = 3) -> dict[str, list[tuple[float, float]]]:
    """Each configuration's (wall, CPU) per run, interleaved so that the machine's load falls on all alike."""
    times: dict[str, list[tuple[float, float]]] = {"baseline": [], "template": [], "fresh": [], "all": []}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), baseline], cwd=REPO_ROOT, check=True)
        try:
            same = exercises_at(old)  # the same exercises: the concept checks added since are graded apart
            for _ in range(runs):
                times["baseline"].append(grade(old, {}))
                times["template"].append(grade(REPO_ROOT, {"AUTOGRADER_TEMPLATE": "1"}, same))
                times["fresh"].append(grade(REPO_ROOT, {"AUTOGRADER_TEMPLATE": "0"}, same))
                times["all"].append(grade(REPO_ROOT, {"AUTOGRADER_TEMPLATE": "1"}))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=REPO_ROOT, check=False)
    return times


def rows(baseline: str = BASELINE, runs: int = 3) -> list[Row]:
    times = measure(baseline, runs)
    wall = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    out = []
    for name, label in (
        ("template", "warm template"),
        ("fresh", "AUTOGRADER_TEMPLATE=0"),
        ("all", "warm template, concept checks too"),
    ):
        ratio = wall[name] / wall["baseline"]
        out.append(Row(
            f"grade of the reference, phases with {label}, vs {baseline} (median of {runs}, wall)",
            f"{wall[name]:.1f} s", f"{wall['baseline']:.1f} s", f"{ratio:.2f}x", f"<= {TARGET}x", ratio <= TARGET,
        ))  # fmt: skip
        out.append(Row(
            f"grade of the reference, phases with {label}, vs {baseline} (CPU of every process)",
            f"{cpu[name]:.1f} s", f"{cpu['baseline']:.1f} s", f"{cpu[name] / cpu['baseline']:.2f}x",
        ))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--runs", type=int, default=3)
    ns = parser.parse_args()
    for row in rows(ns.baseline, ns.runs):
        print(f"{row.benchmark}: {row.ours} vs {row.baseline} = {row.ratio}")


if __name__ == "__main__":
    main()
