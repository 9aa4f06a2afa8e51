"""Benchmark (not a test): what the isolated grader costs on top of the student's code.

Measured, in this order:

1. worker start: spawn to "hello" (sandbox, limits, runtime), Part 1 only (NumPy) and with torch preloaded;
2. the address-space limit torch needs: a torch probe in workers limited to 1, 2 and 4 GiB;
3. per call: the round trip of an empty request, and a small real call isolated vs in-process;
4. one full submission (the reference): wall time and CPU of ``python -m autograder grade`` isolated
   and ``--in-process``, and, inside an isolated run, where the time went: waiting for the worker
   to start, exchanges minus the worker's own compute time (the protocol), closing (killing the
   process tree, deleting the workspace), and writing the results and the table;
5. batch throughput: ``--count`` submissions (reference and stubs alternating) with ``--jobs``;
6. determinism: the same (imperfect) submission graded twice gives the same results.json but for timings.

    .venv/bin/python -m bench.grader_overhead                         # everything, all exercises
    .venv/bin/python -m bench.grader_overhead --only one_hot --count 20 --jobs 2

Targets (from the grader's issue): a full submission <= 30 s, grader overhead <= 3 s.
``rows()`` gives the measurements as :class:`bench.common.Row` for ``make bench``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.grading import batch, worker
from autograder.grading.adapter import InProcessStudent
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS
from autograder.grading.worker import IsolatedStudent, describe_sandbox
from autograder.settings import Settings
from bench.common import Row

ONE_HOT = "embeddings.one_hot:one_hot"


def worker_start(preload_torch: bool, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        s = IsolatedStudent(SOLUTIONS, exercises=None if preload_torch else {"one_hot"})
        try:
            s.ping()
            times.append(time.perf_counter() - start)
        finally:
            s.close()
    return statistics.median(times)


def torch_under(memory: int) -> str:
    settings = Settings.from_env()
    settings.memory = memory
    s = IsolatedStudent(SOLUTIONS, settings=settings)
    try:
        s.probe("module_run", target="transformer.layers:EncoderLayer", init_args=[32, 4, 64], init_kwargs={},
                calls=[{"args": [__import__("torch").randn(4, 10, 32)]}], seed=0)
        return "ok"
    except Exception as error:  # noqa: BLE001 - the failure is the measurement
        return f"fails ({str(error).splitlines()[0][:80]})"
    finally:
        s.close()


def per_call(n: int = 300) -> tuple[float, float, float]:
    """(empty round trip, small call isolated, the same call in-process), median seconds."""
    local = InProcessStudent(SOLUTIONS)
    s = IsolatedStudent(SOLUTIONS, exercises={"one_hot"})
    try:
        s.call(ONE_HOT, [1], 3)
        pings, isolated, inproc = [], [], []
        for _ in range(n):
            pings.append(s.ping())
            t = time.perf_counter()
            s.call(ONE_HOT, [1, 2, 0], 4)
            isolated.append(time.perf_counter() - t)
            t = time.perf_counter()
            local.call(ONE_HOT, [1, 2, 0], 4)
            inproc.append(time.perf_counter() - t)
        return statistics.median(pings), statistics.median(isolated), statistics.median(inproc)
    finally:
        s.close()


def grade_command(root: Path, only: list[str] | None, in_process: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the grader and everything it started) of one ``grade`` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "autograder", "grade", str(root), "--results", f"{tmp}/r.json"]
        cmd += [a for e in only or [] for a in ("--only", e)] + (["--in-process"] if in_process else [])
        subprocess.run(cmd, cwd=REPO_ROOT, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def breakdown(only: list[str] | None) -> dict[str, float]:
    """Grade the reference isolated in this process and split the grader's time."""
    from autograder.grading.reporters import render_table
    from autograder.grading.runner import grade

    students: list[IsolatedStudent] = []
    original = IsolatedStudent.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        students.append(self)

    IsolatedStudent.__init__ = recording  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            report, _ = grade(SOLUTIONS, only=only, isolated=True)
        total = time.perf_counter() - start
    finally:
        IsolatedStudent.__init__ = original  # type: ignore[method-assign]
    s = students[-1]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        report.write(Path(tmp) / "results.json")
        render_table(report)
        reporting = time.perf_counter() - t
    return {
        "total": total, "calls": s.calls, "restarts": s.restarts, "startup": s.seconds["startup"],
        "protocol": s.seconds["exchange"] - s.seconds["compute"], "compute": s.seconds["compute"], "close": s.seconds["close"],
        "reporting": reporting, "score": report.score, "max_score": report.max_score,
    }


def batch_throughput(count: int, jobs: int, only: list[str] | None) -> tuple[float, int, float, int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        for i in range(count):
            shutil.copytree(SOLUTIONS if i % 2 == 0 else ASSIGNMENTS, subs / f"s{i:02d}", ignore=shutil.ignore_patterns("__pycache__"))
        grader = batch.fingerprint(only)
        start = time.perf_counter()
        rows = batch.run(subs, Path(tmp) / "out", jobs=jobs, only=only, progress=False)
        seconds = time.perf_counter() - start
        again = time.perf_counter()
        rerun = batch.run(subs, Path(tmp) / "out", jobs=jobs, only=only, progress=False)
        note = "" if grader == batch.fingerprint(only) else " (the grader's files changed meanwhile, so it regraded)"
        return seconds, sum(r.status == "graded" for r in rows), time.perf_counter() - again, sum(r.skipped for r in rerun), note


def determinism(only: list[str] | None) -> bool:
    from autograder.cli import main
    from tests.attacks import submission

    with tempfile.TemporaryDirectory() as tmp:
        root = submission(Path(tmp) / "sub", "patch_comparisons")  # failures, so their messages are compared too
        results = []
        for i in range(2):
            path = Path(tmp) / f"r{i}.json"
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                main(["grade", str(root), "--results", str(path), *[a for e in only or [] for a in ("--only", e)]])
            data = json.loads(path.read_text())
            data.pop("execution_time")
            results.append(data)
        return results[0] == results[1]


def measure(only: list[str] | None, count: int, jobs: int, log=print) -> list[Row]:
    rows: list[Row] = []
    log(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; worker threads {Settings.from_env().threads}")
    part1, with_torch = worker_start(False), worker_start(True)
    log(describe_sandbox(worker.LAST_SANDBOX))
    log(f"worker start (spawn to first answer): Part 1 {part1:.2f} s, with torch {with_torch:.2f} s")
    rows += [Row("worker start, Part 1", f"{part1:.2f} s"), Row("worker start, torch", f"{with_torch:.2f} s")]
    for gib in (1, 2, 4):
        result = torch_under(gib << 30)
        log(f"torch probe with RLIMIT_AS = {gib} GiB: {result}")
    ping, iso, inproc = per_call()
    log(f"per call: empty round trip {ping * 1e6:.0f} us; one_hot isolated {iso * 1e6:.0f} us vs in-process {inproc * 1e6:.0f} us "
        f"(overhead {max(iso - inproc, 0) * 1e6:.0f} us)")
    rows.append(Row("per-call overhead", f"{max(iso - inproc, 0) * 1e6:.0f} us"))
    split = breakdown(only)
    overhead = split["startup"] + split["protocol"] + split["close"] + split["reporting"]
    log(f"one submission in this process ({split['calls']} calls, {split['restarts']} restarts, {split['score']:g}/{split['max_score']:g}): "
        f"{split['total']:.1f} s, of which worker start {split['startup']:.2f} s, protocol {split['protocol']:.2f} s, "
        f"close {split['close']:.2f} s, reporting {split['reporting']:.2f} s (grader overhead {overhead:.2f} s); "
        f"student code {split['compute']:.1f} s")
    rows.append(Row("grader overhead, one submission", f"{overhead:.2f} s", target="<= 3 s", met=overhead <= 3))
    iso_wall, iso_cpu = grade_command(SOLUTIONS, only, in_process=False)
    in_wall, in_cpu = grade_command(SOLUTIONS, only, in_process=True)
    log(f"`grade` of the reference: isolated {iso_wall:.1f} s (grader process CPU {iso_cpu:.1f} s, the worker's not counted); "
        f"in-process {in_wall:.1f} s (CPU {in_cpu:.1f} s)")
    rows.append(Row("grade one submission (isolated)", f"{iso_wall:.1f} s", f"{in_wall:.1f} s in-process", f"{iso_wall / in_wall:.2f}",
                    "<= 30 s", iso_wall <= 30))
    if count:
        seconds, graded, rerun, skipped, note = batch_throughput(count, jobs, only)
        log(f"batch: {count} submissions, --jobs {jobs}: {seconds:.1f} s ({60 * count / seconds:.1f} per minute, {graded} graded); "
            f"re-run with nothing changed {rerun:.1f} s, {skipped} skipped{note}")
        rows.append(Row(f"batch {count} submissions, --jobs {jobs}", f"{seconds:.1f} s"))
    same = determinism(only)
    log(f"same submission graded twice: results.json {'identical' if same else 'DIFFERENT'} apart from timings")
    rows.append(Row("deterministic results", "yes" if same else "no", target="yes", met=same))
    return rows


def rows(**kwargs: object) -> list[Row]:
    return measure(kwargs.get("only"), int(kwargs.get("count", 20)), int(kwargs.get("jobs", 2)), log=lambda *a: None)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="EXERCISE", help="grade only this exercise (repeatable; default: all)")
    parser.add_argument("--count", type=int, default=20, help="submissions in the batch measurement (0: skip it)")
    parser.add_argument("--jobs", type=int, default=2)
    ns = parser.parse_args()
    measure(ns.only, ns.count, ns.jobs)


if __name__ == "__main__":
    main()
