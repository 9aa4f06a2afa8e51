"""Where a grade's CPU goes: per test, the grader process vs the worker, and the process as a whole.

    .venv/bin/python -m bench.grade_profile [SUBMISSION] [--only EXERCISE ...] [--top 15]

Grades ``SUBMISSION`` (default: the reference) isolated, the way ``python -m autograder grade`` does, in
this process, with one more pytest plugin that reads, around each test, this process's CPU time (the
trusted grader: collecting the suites, computing the reference's expected values, comparing) and the
compute time the worker reports for its requests (the student's code). At the end it prints the
tests that cost the most, the totals per exercise, and this process's CPU (``RUSAGE_SELF``) against
its finished children's (``RUSAGE_CHILDREN``: the workers, start-up included). A tool to decide what to
make cheaper, not a row of ``make bench``: the per-test split is what the worker claims, statistics only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.grading import plugin
from autograder.grading.loader import SOLUTIONS
from autograder.grading.runner import pytest_args


@dataclass
class Cost:
    test: str
    wall: float
    grader_cpu: float
    worker: float  # the worker's own compute time for this test's requests (its claim)


def _worker_seconds(config: pytest.Config) -> float:
    s = config.stash.get(plugin.STUDENT_KEY, None)
    inner = getattr(s, "inner", None)
    seconds = getattr(inner, "seconds", None)
    if seconds is None:
        return 0.0
    current = getattr(inner, "_worker", None)
    return float(seconds["compute"]) + (current.compute_seconds if current is not None else 0.0)


class _Timer:
    def __init__(self) -> None:
        self.costs: list[Cost] = []
        self.workers: dict[str, float] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        inner = getattr(session.config.stash.get(plugin.STUDENT_KEY, None), "inner", None)
        if hasattr(inner, "seconds"):
            self.workers = {"started": inner.started, **inner.seconds}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> object:
        wall, cpu, worker = time.perf_counter(), time.process_time(), _worker_seconds(item.config)
        yield
        self.costs.append(Cost(
            item.nodeid.split("::", 1)[-1] if "::" in item.nodeid else item.nodeid,
            time.perf_counter() - wall,
            time.process_time() - cpu,
            _worker_seconds(item.config) - worker,
        ))
        self.costs[-1].test = f"{plugin.exercise_of(item)}::{self.costs[-1].test}"


def profile(submission: Path, only: list[str] | None) -> tuple[list[Cost], dict[str, float]]:
    timer = _Timer()
    start_self, start_children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    args = pytest_args(submission.resolve(), only, isolated=True)
    with tempfile.TemporaryDirectory(prefix="autograder-pytest-") as basetemp, contextlib.redirect_stdout(io.StringIO()):
        pytest.main([*args, "--basetemp", str(Path(basetemp) / "tmp")], plugins=[timer])
    end_self, end_children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    totals = {
        "wall": time.perf_counter() - wall,
        "grader": (end_self.ru_utime - start_self.ru_utime) + (end_self.ru_stime - start_self.ru_stime),
        "workers": (end_children.ru_utime - start_children.ru_utime) + (end_children.ru_stime - start_children.ru_stime),
    }
    totals.update({f"worker {k}": v for k, v in timer.workers.items()})
    return timer.costs, totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="?", type=Path, default=SOLUTIONS)
    parser.add_argument("--only", action="append", metavar="EXERCISE", help="grade only this exercise (repeatable)")
    parser.add_argument("--top", type=int, default=15, help="how many of the costliest tests to list")
    ns = parser.parse_args(argv)
    costs, totals = profile(ns.submission, ns.only)
    print(f"{'test':70} {'wall s':>7} {'grader CPU s':>12} {'worker s':>9}")
    for c in sorted(costs, key=lambda c: c.grader_cpu + c.worker, reverse=True)[: ns.top]:
        print(f"{c.test[:70]:70} {c.wall:7.2f} {c.grader_cpu:12.2f} {c.worker:9.2f}")
    per: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for c in costs:
        row = per[c.test.split("::")[0]]
        row[0] += 1
        row[1] += c.wall
        row[2] += c.grader_cpu
        row[3] += c.worker
    print(f"\n{'exercise':24} {'tests':>5} {'wall s':>7} {'grader CPU s':>12} {'worker s':>9}")
    for name, (n, wall, cpu, worker) in sorted(per.items(), key=lambda kv: kv[1][2] + kv[1][3], reverse=True):
        print(f"{name:24} {int(n):5} {wall:7.2f} {cpu:12.2f} {worker:9.2f}")
    in_tests = sum(c.grader_cpu for c in costs)
    print(f"\n{len(costs)} tests, {totals['wall']:.1f} s wall; grader process CPU {totals['grader']:.1f} s "
          f"({in_tests:.1f} s inside tests, the rest collecting and reporting); workers' CPU {totals['workers']:.1f} s "
          f"(of which compute they claim {sum(c.worker for c in costs):.1f} s, the rest starting up; finished children only: "
          "a worker in a PID namespace is not counted)")
    print("workers: " + ", ".join(f"{k.removeprefix('worker ')} {v:.2f}" for k, v in totals.items() if k.startswith("worker ")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
