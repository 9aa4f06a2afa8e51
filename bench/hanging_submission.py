"""Benchmark (not a test): what a hanging submission costs to grade, with the default settings.

    .venv/bin/python -m bench.hanging_submission [--every]

Each submission is graded in full (every exercise) by ``python -m autograder grade``:

- *one function hangs* (the stubs, with ``embeddings.one_hot:one_hot`` spinning, tests/attacks/hang.py):
  its first call costs one call timeout (``AUTOGRADER_CALL_TIMEOUT``, 60 s); every later test of
  that function fails at once with the same explanation. Target: at most about a minute more than the stubs.
- *every function hangs* (``--every``; the three functions of ``one_hot`` spin): one timeout each, and never more
  than the per-submission budget (``AUTOGRADER_TIME_BUDGET``, 300 s). Target: the budget plus the worker's start.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import PY, Row
from tests.attacks import submission

SPIN_ALL = "import time\ndef _spin():\n    deadline = time.monotonic() + 400\n    while time.monotonic() < deadline:\n        pass\n" + "".join(
    f"def {f}(*args, **kwargs):\n    _spin()\n" for f in ("build_vocab", "encode", "one_hot")
)


def grade_seconds(root: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([PY, "-m", "autograder", "grade", str(root), "--results", str(Path(tmp) / "r.json")],
                       check=True, capture_output=True)
        return time.perf_counter() - start


def rows(every: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        stubs = grade_seconds(submission(Path(tmp) / "stubs"))
        one = grade_seconds(submission(Path(tmp) / "one", "hang"))
        out = [Row("grade a submission hanging in one function", f"{one:.0f} s", f"the stubs {stubs:.0f} s",
                   f"+{one - stubs:.0f} s", "<= +75 s", one - stubs <= 75)]
        if every:
            all_ = grade_seconds(submission(Path(tmp) / "every", files={"embeddings/one_hot.py": SPIN_ALL}))
            out.append(Row("grade a submission hanging in every function", f"{all_:.0f} s", f"the stubs {stubs:.0f} s",
                           f"+{all_ - stubs:.0f} s", "<= +320 s", all_ - stubs <= 320))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", action="store_true", help="also the submission that hangs in every function")
    for r in rows(parser.parse_args().every):
        print(r)
