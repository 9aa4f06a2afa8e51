"""The plan an engine runs: which submissions, cut into how many chunks, graded how.

``batch --slurm`` and ``batch --k8s`` write ``OUT/batch.json`` before anything runs. Each task reads it and grades
its chunk; ``batch --reduce OUT`` reads it to know the whole class. The plan, not a fresh listing of the folder,
fixes what chunk ``k`` holds: a hand-in added after submission cannot shift the chunks (two tasks grading one
submission while none grades another). A chunk is every ``chunks``-th id in sorted order, so slow and fast
hand-ins (often alphabetical neighbours: one group's) spread over the tasks.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.grading import batch
from autograder.grading.results import atomic_write
from autograder.runtime.curriculum import EXERCISES

PLAN_FILE = "batch.json"


class EngineError(Exception):
    """An engine could not do what was asked (no plan, a bad task index, sbatch refused): the message says why."""


@dataclass
class Plan:
    entries: dict[str, str]  # id -> the name of its folder or zip in the submissions folder
    chunks: int
    only: list[str] | None
    timeout: float
    engine: str
    submissions: str  # the folder where the plan was made (a task may see it elsewhere: a pod's volume)
    job: str = ""  # the engine's name for the run (Slurm's job id, the Job's name)

    @classmethod
    def make(cls, folder: Path, only: list[str] | None, timeout: float, engine: str, chunk_size: int) -> Plan:
        entries = {ident: path.name for ident, path in batch.find_submissions(folder)}
        if not entries:
            raise EngineError(f"{folder} holds no submission (no sub-folder, no .zip)")
        chunks = math.ceil(len(entries) / max(1, chunk_size))
        return cls(entries, chunks, only, timeout, engine, str(folder.resolve()))

    def chunk(self, index: int) -> list[str]:
        """The ids of chunk ``index`` (0-based, as Slurm's and Kubernetes' task numbers)."""
        if not 0 <= index < self.chunks:
            raise EngineError(f"task {index} is not one of this plan's chunks (0 to {self.chunks - 1})")
        return sorted(self.entries)[index :: self.chunks]

    @property
    def exercises(self) -> list[str]:
        return list(self.only or EXERCISES)

    def write(self, out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / PLAN_FILE, (json.dumps(asdict(self), indent=1) + "\n").encode())
        return out / PLAN_FILE

    @classmethod
    def read(cls, out: Path) -> Plan:
        try:
            data = json.loads((out / PLAN_FILE).read_text(encoding="utf-8"))
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except FileNotFoundError:
            raise EngineError(
                f"{out} has no {PLAN_FILE}: `batch DIR --out {out} --slurm` (or --k8s) writes it"
            ) from None
        except (ValueError, TypeError) as error:
            raise EngineError(f"{out / PLAN_FILE} is not a batch plan ({error})") from None


def task_index(variable: str, env: Mapping[str, str] | None = None) -> int:
    """The chunk a task grades: the whole number in ``variable`` (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)."""
    value = (os.environ if env is None else env).get(variable)
    if value is None:
        raise EngineError(f"--task {variable}: the variable is not set (it is set in a Slurm array or an Indexed Job)")
    try:
        return int(value)
    except ValueError:
        raise EngineError(f"--task {variable}: {value!r} is not a task number") from None


def run_task(folder: Path, out: Path, index: int, progress: bool = True) -> list[batch.Row]:
    """Grade chunk ``index`` of the plan in ``out``, the submissions read from ``folder``; its rows."""
    plan = Plan.read(out)
    subs = [(ident, folder / plan.entries[ident]) for ident in plan.chunk(index)]
    return batch.grade_all(subs, out, jobs=1, only=plan.only, timeout=plan.timeout, progress=progress)


def reduce(out: Path) -> list[batch.Row]:
    """Write ``out/gradebook.csv`` from what the tasks left in ``out/meta``: one row per submission of the plan."""
    plan = Plan.read(out)
    rows = batch.collect(sorted(plan.entries), out, [])
    batch.write_gradebook(out / "gradebook.csv", rows, plan.exercises)
    return rows
