"""What every benchmark returns, and timing helpers."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from autograder.loader import REPO_ROOT


@dataclass
class Row:
    benchmark: str
    ours: str
    baseline: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: bool | None = None  # None when there is no target


def best_of(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """The fastest of ``repeat`` timed calls, in seconds (the least disturbed by the machine)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_of_runs(cmd: list[str], repeat: int = 3) -> float:
    """Median wall time of a command run from the repository root."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


PY = sys.executable
