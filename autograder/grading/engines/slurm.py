"""Slurm job arrays: ``python -m autograder batch DIR --out OUT --slurm [sbatch options]``.

:func:`submit` writes ``OUT/batch.json`` (the plan) and ``OUT/slurm/grade.sbatch``, an array of one task per chunk,
and submits it with ``sbatch``. Each task runs ``batch DIR --out OUT --task SLURM_ARRAY_TASK_ID``: its chunk, one
submission after the other, each in its own grade process and worker as on one machine. What follows from the
settings (``python -m autograder config``):

- ``--array=0-(chunks-1)%K``: ``K`` is ``AUTOGRADER_MAX_TASKS``, the tasks running at once;
- ``--mem``: ``AUTOGRADER_MEMORY`` (the worker's limit) plus ``AUTOGRADER_GRADER_MEMORY`` (its grade process).
  That is Slurm's reservation; the worker's limit is still enforced in the sandbox (RLIMIT_AS), whatever Slurm's
  cgroup does or does not do;
- ``--time``: the chunk's submissions times ``AUTOGRADER_BATCH_TIMEOUT``, and a few minutes to start.

sbatch options given after ``--slurm`` come after the script's ``#SBATCH`` lines and so override them (``--partition``,
``--account``, ``--mem`` ...). The command returns the job id, or with ``--wait`` follows the array (tasks left,
rows written, an ETA) and reduces. The same command again resubmits: every task reuses what is graded (same hash,
same grader) and grades the rest, so a killed task costs only its unfinished submissions, and never a duplicate row
(one ``results/<id>.json`` and one ``meta/<id>.json`` per id, written atomically).

Submission folder, OUT and the kit must be on a filesystem the compute nodes share (they are on a cluster's /home
or /scratch); the tasks run this interpreter, from this kit.
"""

from __future__ import annotations

import math
import shlex
import subprocess
import sys
import time
from pathlib import Path

from autograder.grading.engines.plan import EngineError, Plan
from autograder.grading.loader import REPO_ROOT
from autograder.settings import Settings

STARTUP_MINUTES = 5  # a task's time beyond its submissions' own: the interpreter, the reference, the plan


def directives(plan: Plan, out: Path, settings: Settings) -> list[str]:
    """The ``#SBATCH`` options of the array: its chunks, the throttle, memory, time and logs."""
    per_task = len(plan.chunk(0))  # chunk 0 is the largest
    minutes = math.ceil(per_task * plan.timeout / 60) + STARTUP_MINUTES
    return [
        "--job-name=autograder",
        f"--array=0-{plan.chunks - 1}%{max(1, settings.max_tasks)}",
        "--ntasks=1",
        "--cpus-per-task=1",
        f"--mem={math.ceil(settings.task_memory() / (1 << 20))}M",
        f"--time={minutes}",
        f"--output={out / 'slurm' / '%A_%a.log'}",
        f"--chdir={REPO_ROOT}",
    ]


def script(plan: Plan, folder: Path, out: Path, settings: Settings) -> str:
    """The array's batch script: the directives, then one task's command (its chunk from SLURM_ARRAY_TASK_ID)."""
    command = [sys.executable, "-m", "autograder", "batch", str(folder), "--out", str(out)]
    command += ["--task", "SLURM_ARRAY_TASK_ID"]
    lines = ["#!/bin/bash", "# Written by `python -m autograder batch --slurm`: one task per chunk of OUT/batch.json."]
    lines += [f"#SBATCH {d}" for d in directives(plan, out, settings)]
    lines += [f"export PYTHONPATH={shlex.quote(str(REPO_ROOT))}", "exec " + shlex.join(command)]
    return "\n".join(lines) + "\n"


def submit(folder: Path, out: Path, plan: Plan, sbatch_args: list[str], settings: Settings) -> str:
    """Write the plan and the script, submit the array; the job id (the plan records it)."""
    folder, out = folder.resolve(), out.resolve()
    (out / "slurm").mkdir(parents=True, exist_ok=True)
    path = out / "slurm" / "grade.sbatch"
    path.write_text(script(plan, folder, out, settings), encoding="utf-8")
    plan.write(out)
    try:
        done = subprocess.run(["sbatch", "--parsable", *sbatch_args, str(path)], capture_output=True, text=True)
    except FileNotFoundError:
        raise EngineError("sbatch is not installed here: run --slurm on the cluster's login node") from None
    if done.returncode != 0:
        raise EngineError(f"sbatch refused the array: {done.stderr.strip() or done.stdout.strip()}")
    plan.job = done.stdout.strip().split(";")[0]  # --parsable: "jobid" or "jobid;cluster"
    plan.write(out)
    return plan.job


def tasks_left(job: str) -> int | None:
    """How many of the array's tasks are queued or running (0 once it is done); None when squeue cannot say."""
    done = subprocess.run(["squeue", "-h", "-r", "-j", job, "-o", "%i"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        return 0 if "Invalid job id" in done.stderr else None  # slurmctld forgets a finished job after MinJobAge
    return len(done.stdout.split())


def wait(job: str, out: Path, plan: Plan, poll: float = 5.0, progress: bool = True) -> None:
    """Follow the array until no task is left: tasks left, rows written and an ETA, each time they change."""
    from autograder.grading.batch import format_eta

    start, first = time.monotonic(), _rows_written(out, plan)
    said = ""
    while True:
        left = tasks_left(job)
        if left == 0:
            return
        rows = _rows_written(out, plan)
        rate = (rows - first) / (time.monotonic() - start)
        eta = format_eta((len(plan.entries) - rows) / rate if rate > 0 else None)
        line = f"job {job}: {'?' if left is None else left} task(s) queued or running; {rows}/{len(plan.entries)} rows"
        if progress and line != said:
            print(f"{line}, {eta}", file=sys.stderr)
            said = line
        time.sleep(poll)


def _rows_written(out: Path, plan: Plan) -> int:
    return sum((out / "meta" / f"{ident}.json").exists() for ident in plan.entries)
