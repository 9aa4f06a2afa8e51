"""Benchmark (not a test): the reference graded by the Gradescope zip's ``run_autograder``, bare and in Docker.

Bare: the zip unpacked into a temporary ``/autograder`` tree (``AUTOGRADER_ROOT``), graded with the kit's own
interpreter. In Docker: the image tests/kit/container.py builds (debootstrap, the zip's ``setup.sh``), a
fresh container per grade with Docker's default seccomp profile and ``--network none``, timed from
``docker start`` to its exit. The two are interleaved (``repeat`` of each) and the medians compared, so
that a machine busy with something else slows both alike. Needs root (it starts its own dockerd).

    .venv/bin/python -m bench.container_overhead [--repeat 3]

Target (issue 19): grading in the default container within 1.2x of the bare run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.authoring.gradescope import build_gradescope
from autograder.grading.loader import SOLUTIONS
from bench.common import Row
from tests.kit import container

TARGET = 1.2


def bare_run(autograder_zip: Path) -> float:
    """Seconds of one bare ``run_autograder`` of the reference in a temporary /autograder tree."""
    with tempfile.TemporaryDirectory(prefix="bare-autograder-") as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(autograder_zip) as z:
            z.extractall(root / "source")
        (root / "source" / "run_autograder").chmod(0o755)
        shutil.copytree(SOLUTIONS, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
        env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
        start = time.perf_counter()
        done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            raise RuntimeError(f"bare run_autograder exited {done.returncode}: {done.stderr[-2000:]}")
        return seconds


def rows(repeat: int = 3) -> list[Row]:
    reason = container.unavailable()
    if reason:
        return [Row("reference in Docker (default seccomp) vs bare", f"not measured: {reason}")]
    with tempfile.TemporaryDirectory() as tmp, container.engine() as docker:
        autograder_zip = build_gradescope(Path(tmp) / "autograder.zip")
        image = container.gradescope_image(docker, autograder_zip).image
        bare, boxed = [], []
        for _ in range(repeat):
            bare.append(bare_run(autograder_zip))
            ran = container.run(docker, image, ["/autograder/run_autograder"], {"/autograder/submission": SOLUTIONS}, None)
            if ran.returncode:
                raise RuntimeError(f"run_autograder in Docker exited {ran.returncode}: {ran.output[-2000:]}")
            boxed.append(ran.seconds)
        version = docker.version()
    ours, baseline = statistics.median(boxed), statistics.median(bare)
    ratio = ours / baseline
    return [
        Row(
            f"reference in {version} (default seccomp, --network none) vs bare, run_autograder, median of {repeat}",
            f"{ours:.1f} s",
            f"{baseline:.1f} s bare",
            f"{ratio:.2f}x",
            target=f"<= {TARGET}x",
            met=ratio <= TARGET,
        )
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    for r in rows(parser.parse_args().repeat):
        print(f"{r.benchmark}: {r.ours} vs {r.baseline} ({r.ratio}, target {r.target}, met {r.met})")
