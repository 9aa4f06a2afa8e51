"""Benchmark (not a test): the CPU a batch spends per submission, this tree side by side with an earlier commit.

    .venv/bin/python -m bench.batch_cpu [--baseline f9b5eb8] [--count 6] [--repeat 2]

The same submissions (the reference and the stubs, alternating) are graded by ``python -m autograder batch`` of
this tree and of ``--baseline`` (``git archive`` of that commit into a temporary folder, run with the same Python),
interleaved (baseline, ours, baseline, ours ...) so that the machine's load falls on both alike, with ``--jobs 1``
and ``--jobs 2``. CPU is what a batch and everything it starts used (the grade processes and their workers, which
live in PID namespaces their parent's ``getrusage`` never sees): read from a cgroup of its own (v2 ``cpu.stat``, or
v1 ``cpuacct``). Without a writable cgroup (not root, no delegation) the rows say so instead of guessing.
The target (issue 20): per-submission CPU at most 0.6x the baseline's, ``--jobs 2`` faster than ``--jobs 1``.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS
from bench.common import Row

BASELINE = "f9b5eb8"  # main before the per-submission savings (issue 20)
TARGET = 0.6


class CgroupMissing(RuntimeError):
    """No cgroup this process may create: the CPU of the workers cannot be counted."""


def _cgroup_root() -> tuple[Path, str]:
    """(the folder to create a cgroup in, "v2" or "v1")."""
    unified = Path("/sys/fs/cgroup")
    if (unified / "cgroup.controllers").is_file():
        own = Path(open("/proc/self/cgroup", encoding="utf-8").read().strip().split("::", 1)[-1].lstrip("/"))
        return unified / own, "v2"
    v1 = unified / "cpuacct"
    if (v1 / "cpuacct.usage").is_file():
        return v1, "v1"
    raise CgroupMissing("no cgroup v2 and no v1 cpuacct hierarchy")


def cpu_of(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``cmd`` (with ``env`` added to this environment) and every process it starts,
    counted in a cgroup of its own."""
    root, version = _cgroup_root()
    group = root / f"bench-batch-cpu-{uuid.uuid4().hex[:8]}"
    try:
        group.mkdir()
    except OSError as error:
        raise CgroupMissing(f"cannot create a cgroup in {root}: {error}") from None
    try:
        procs = str(group / "cgroup.procs")
        start = time.perf_counter()
        # the child joins the cgroup before it runs the command: everything it starts is counted there
        subprocess.run(
            ["/bin/sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "sh", *cmd],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        if version == "v2":
            stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
            return int(stat["usage_usec"]) / 1e6, wall
        return int((group / "cpuacct.usage").read_text()) / 1e9, wall
    finally:
        for _ in range(50):  # the last processes of the tree may still be leaving
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def baseline_tree(commit: str, folder: Path) -> Path:
    """The kit at ``commit``, unpacked into ``folder`` (``git archive``)."""
    data = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO_ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(data.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def submissions(folder: Path, count: int) -> Path:
    for i in range(count):
        shutil.copytree(
            SOLUTIONS if i % 2 == 0 else ASSIGNMENTS, folder / f"s{i:02d}", ignore=shutil.ignore_patterns("__pycache__")
        )
    return folder


def batch_cpu(tree: Path, subs: Path, out: Path, jobs: int) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "autograder", "batch", str(subs), "--out", str(out), "--jobs", str(jobs)]
    return cpu_of(cmd, tree)


def measure(baseline: str, count: int, repeat: int, log=print) -> dict[tuple[str, int], list[tuple[float, float]]]:
    """(tree, jobs) -> [(CPU seconds per submission, wall seconds of the batch)] over ``repeat`` interleaved runs."""
    runs: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-batch-cpu-") as tmp:
        base = baseline_tree(baseline, Path(tmp) / "baseline")
        subs = submissions(Path(tmp) / "subs", count)
        trees = {"baseline": base, "ours": REPO_ROOT}
        for r in range(repeat):
            for jobs in (1, 2):
                for name, tree in trees.items():
                    cpu, wall = batch_cpu(tree, subs, Path(tmp) / f"out-{name}", jobs)
                    runs.setdefault((name, jobs), []).append((cpu / count, wall))
                    log(f"run {r + 1}/{repeat}, --jobs {jobs}, {name}: {cpu / count:.2f} s CPU per submission, "
                        f"{wall:.1f} s wall, load {os.getloadavg()[0]:.1f}")
    return runs


def rows(baseline: str = BASELINE, count: int = 6, repeat: int = 2, log=lambda *a: None) -> list[Row]:
    what = f"batch of {count} (reference and stubs alternating)"
    try:
        runs = measure(baseline, count, repeat, log)
    except CgroupMissing as error:
        return [Row(f"per-submission CPU, {what}", f"not measured: {error}", met=False)]
    cpu = {key: statistics.median(c for c, _ in values) for key, values in runs.items()}
    wall = {key: statistics.median(w for _, w in values) for key, values in runs.items()}
    out = []
    for jobs in (1, 2):
        ratio = cpu[("ours", jobs)] / cpu[("baseline", jobs)]
        out.append(Row(
            f"per-submission CPU, {what}, --jobs {jobs}, median of {repeat} interleaved",
            f"{cpu[('ours', jobs)]:.2f} s",
            f"{cpu[('baseline', jobs)]:.2f} s at {baseline}",
            f"{ratio:.2f}x",
            f"<= {TARGET}x",
            ratio <= TARGET,
        ))
    for name in ("ours", "baseline"):
        speedup = wall[(name, 1)] / wall[(name, 2)]
        label = "this tree" if name == "ours" else baseline
        out.append(Row(
            f"{what}, --jobs 2 vs --jobs 1 ({label}): wall time; CPU per submission",
            f"{wall[(name, 2)]:.1f} s; {cpu[(name, 2)]:.2f} s",
            f"{wall[(name, 1)]:.1f} s; {cpu[(name, 1)]:.2f} s",
            f"{speedup:.2f}x faster",
            "> 1.3x" if name == "ours" else "-",
            speedup > 1.3 if name == "ours" else None,
        ))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BASELINE, help="the commit to compare with (default: %(default)s)")
    parser.add_argument("--count", type=int, default=6, help="submissions per batch")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved runs of each side")
    ns = parser.parse_args(argv)
    for row in rows(ns.baseline, ns.count, ns.repeat, log=print):
        print(f"| {row.benchmark} | {row.ours} | {row.baseline} | {row.ratio} | {row.target} | {row.met} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
