"""What every benchmark returns, and timing helpers."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from autograder.grading.loader import REPO_ROOT


@dataclass
class Row:
    benchmark: str
    ours: str
    baseline: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: bool | None = None  # None when there is no target


def timing_row(benchmark: str, ours: float, baseline: float, target: float | None) -> Row:
    """Two timings in seconds, shown in ms with their ratio (ours / baseline), judged when there is a ``target``."""
    ratio = ours / baseline
    return Row(
        benchmark=benchmark,
        ours=f"{ours * 1e3:.1f} ms",
        baseline=f"{baseline * 1e3:.1f} ms",
        ratio=f"{ratio:.2f}x",
        target="-" if target is None else f"<= {target}x",
        met=None if target is None else ratio <= target,
    )


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
