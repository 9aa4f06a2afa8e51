"""Benchmark (not a test): what a submission that hangs or crashes costs to grade, with the default settings.

    .venv/bin/python -m bench.hanging_submission [--every]

Each submission is graded in full (every exercise) by ``python -m autograder grade``, beside the stubs:

- *one function hangs* (the stubs, with ``embeddings.one_hot:one_hot`` spinning, tests/attacks/hang.py): its first
  call costs one call timeout; every later test of that function fails at once with the same explanation.
- *a helper hangs* (the reference, with an endless loop in ``multi_head.split_heads``, which every multi-head test
  reaches through a method): the exercise is recognised after two stops, its other calls fail at once.
- *every call sleeps* and *every call ends the worker* (``--every``; each stub's ``raise NotImplementedError``
  replaced by a long sleep or ``os._exit(3)``): the first stop costs a timeout, then the short leash
  (``AUTOGRADER_SUSPECT_TIMEOUT``) and one stop per exercise.

Target for each: at most a minute more than the stubs (issue 18), never the time budget as the mechanism.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from autograder.grading.loader import SOLUTIONS
from bench.common import PY, Row
from tests.attacks import submission

TARGET = 60.0  # seconds over the stubs' grading time
STUB_BODY = re.compile(r"raise NotImplementedError\(\)")
EVERY = {
    "sleeps in every call": "__import__('time').sleep(600)",
    "ends the worker in every call": "__import__('os')._exit(3)",
}
SPLIT = "def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:\n"


def grade_seconds(root: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([PY, "-m", "autograder", "grade", str(root), "--results", str(Path(tmp) / "r.json")],
                       check=True, capture_output=True)
        return time.perf_counter() - start


def every_call(folder: Path, body: str) -> Path:
    """The stubs with every ``raise NotImplementedError()`` replaced by ``body``."""
    root = submission(folder)
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if STUB_BODY.search(text):
            path.write_text(STUB_BODY.sub(body, text), encoding="utf-8")
    return root


def helper_hangs(folder: Path) -> Path:
    root = submission(folder, base=SOLUTIONS)
    path = root / "attention" / "multi_head.py"
    path.write_text(path.read_text().replace(SPLIT, SPLIT + "    while True:\n        pass\n", 1))
    return root


def row(name: str, seconds: float, stubs: float) -> Row:
    return Row(f"grade a submission that {name}", f"{seconds:.0f} s", f"the stubs {stubs:.0f} s",
               f"+{seconds - stubs:.0f} s", f"<= +{TARGET:.0f} s", seconds - stubs <= TARGET)


def rows(every: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        stubs = grade_seconds(submission(base / "stubs"))
        out = [
            row("hangs in one function", grade_seconds(submission(base / "one", "hang")), stubs),
            row("hangs in a helper every method reaches", grade_seconds(helper_hangs(base / "helper")), stubs),
        ]
        if every:
            for i, (name, body) in enumerate(EVERY.items()):
                out.append(row(name, grade_seconds(every_call(base / f"every{i}", body)), stubs))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", action="store_true", help="also the submissions that stop in every call")
    for r in rows(parser.parse_args().every):
        print(r)
