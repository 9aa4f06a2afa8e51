"""``python -m autograder batch DIR --out OUT --jobs N``: grade a whole class.

Every sub-folder and ``.zip`` of ``DIR`` is one submission, its id the folder's name or the zip's
stem. Each is graded by its own ``python -m autograder grade`` process (so a submission that
crashes or wedges the grader costs only its own row), at most ``--jobs`` at a time, each with a
wall-clock limit. ``OUT`` receives

- ``results/<id>.json``: the submission's Gradescope results;
- ``logs/<id>.log``: the grader's own output for it (capped);
- ``meta/<id>.json``: the content hash it was graded from, the grader's fingerprint and its row;
- ``gradebook.csv``: one row per submission, always (``id``, one column per exercise, ``total``,
  ``max_score``, ``status``, ``reason``). ``status`` is ``graded``, ``refused`` (the submission
  broke a rule: a symlink, a zip slip ...) or ``error`` (the grader could not finish it); the
  reason says why.

Re-running skips every submission whose content hash (:func:`autograder.sandbox.content_hash`:
the files that would be graded, however packed) and grader fingerprint (the grader's code,
suites, reference and the exercises asked for) match its ``meta`` file, so a batch that was
interrupted resumes where it stopped, and a changed grader regrades everything.

For a class too large for one machine, each submission is an independent job: run
``python -m autograder batch DIR --out OUT --shard K/N`` on N machines (K = 1..N, each takes every
N-th submission in sorted order, writing into its own OUT or a shared one), or simply
``python -m autograder grade SUB --results OUT/results/<id>.json`` per submission in any job
scheduler; then one final ``batch DIR --out OUT`` over the merged OUT finds everything graded
(same hashes) and only writes the gradebook.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.grading import sandbox, written
from autograder.grading.loader import REPO_ROOT
from autograder.grading.results import PUBLIC_TAG, atomic_write
from autograder.layout import grader_files
from autograder.runtime.curriculum import EXERCISES
from autograder.settings import STRICT

LOG_CAP = 256 << 10


@dataclass
class Row:
    id: str
    scores: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    max_score: float = 0.0
    status: str = "error"
    reason: str = ""
    hash: str = ""
    seconds: float = 0.0
    skipped: bool = False  # already graded with the same content

    def csv(self, exercises: list[str]) -> list[str]:
        scores = [f"{self.scores[e]:g}" if e in self.scores else "" for e in exercises]
        return [self.id, *scores, f"{self.total:g}", f"{self.max_score:g}", self.status, self.reason]


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes K/N, e.g. 2/8, not {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text}: K must be between 1 and N")
    return k, n


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(id, path) of every sub-folder and .zip (hidden entries ignored); ids are unique."""
    entries = sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".zip" or p.is_symlink())
    )
    stems = [p.stem if p.suffix.lower() == ".zip" and not p.is_dir() else p.name for p in entries]
    return [(stem if stems.count(stem) == 1 else p.name, p) for stem, p in zip(stems, entries)]


def fingerprint(only: list[str] | None) -> str:
    """The grader's identity: its code, the hidden suites graded, the reference, course/ and what is graded."""
    exercises = sorted(only or EXERCISES)
    suites = REPO_ROOT / "autograder" / "suites"
    other_suites = {suites / f"test_{e}.py" for e in EXERCISES if e not in exercises}
    paths = [p for p in grader_files() if p not in other_suites]
    digest = hashlib.sha256(json.dumps(exercises).encode())
    for path in paths:
        if path.exists():
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def submission_hash(path: Path) -> tuple[str, str | None]:
    """(content hash, refusal reason or None); a refused submission is named by its raw bytes."""
    with tempfile.TemporaryDirectory(prefix="autograder-hash-") as tmp:
        try:
            root = sandbox.prepare(path, Path(tmp) / "s")
        except sandbox.SubmissionError as error:
            raw = hashlib.sha256(str(error).encode())
            if path.is_file() and not path.is_symlink():
                raw.update(path.read_bytes())
            return "refused-" + raw.hexdigest(), str(error)
        return sandbox.content_hash(root), None


def read_results(path: Path, exercises: list[str]) -> tuple[dict[str, float], float, float]:
    data = json.loads(path.read_text(encoding="utf-8"))
    scores: dict[str, float] = {}
    for t in data.get("tests", []):
        if PUBLIC_TAG in (t.get("tags") or [])[1:]:
            continue  # a public test: feedback, never points
        exercise = (t.get("tags") or [str(t.get("name", "")).split(":")[0]])[0]
        scores[exercise] = scores.get(exercise, 0.0) + float(t.get("score", 0))
    return (
        {e: round(scores[e], 6) for e in exercises if e in scores},
        float(data.get("score", 0)),
        float(data.get("max_score", 0)),
    )


def _run_grader(
    path: Path, results: Path, log: Path, only: list[str] | None, timeout: float, in_process: bool
) -> tuple[int | None, str]:
    """One ``grade`` process; returns (exit code or None on timeout, the tail of its output)."""
    cmd = [sys.executable, "-m", "autograder", "grade", str(path), "--results", str(results)]
    cmd += [a for e in only or [] for a in ("--only", e)]
    cmd += ["--in-process"] if in_process else []
    # a batch grades a class: the worker must have its own uid and no network, or nothing is graded (settings.STRICT)
    env = {"AUTOGRADER_REQUIRE": STRICT, **os.environ, "COLUMNS": "100", "PYTHONPATH": str(REPO_ROOT)}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)  # the grader kills its workers on the way out
            try:
                output, _ = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                output, _ = proc.communicate()
            code = None
        out.write(output[: LOG_CAP // 2] + (b"\n[...]\n" + output[-LOG_CAP // 2 :] if len(output) > LOG_CAP else b""))
    lines = [line for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    return code, lines[-1][:300] if lines else ""


def grade_one(
    ident: str,
    path: Path,
    out: Path,
    exercises: list[str],
    only: list[str] | None,
    timeout: float,
    in_process: bool,
    grader: str,
) -> Row:
    """Grade one submission (or reuse its earlier row); never raises."""
    start = time.perf_counter()
    row = Row(ident)
    results, log, meta = (
        out / "results" / f"{ident}.json",
        out / "logs" / f"{ident}.log",
        out / "meta" / f"{ident}.json",
    )
    try:
        row.hash, refusal = submission_hash(path)
        kept = _read_meta(meta) if results.exists() else None
        if kept is not None and kept[0] == row.hash and kept[1] == grader:
            kept[2].skipped = True
            return kept[2]
        results.unlink(missing_ok=True)
        code, last = _run_grader(path, results, log, only, timeout, in_process)
        if code is None:
            row.reason = f"grading took longer than {timeout:g} s and was stopped"
        elif code != 0 or not results.exists():
            row.reason = f"the grader failed (exit code {code}): {last}"
        else:
            row.scores, row.total, row.max_score = read_results(results, exercises)
            row.status, row.reason = ("refused", refusal) if refusal else ("graded", "")
    except Exception as error:  # noqa: BLE001 - one submission's problem is its row's reason, never a missing row
        row.status, row.reason = "error", f"{type(error).__name__}: {error}"[:300]
    row.seconds = round(time.perf_counter() - start, 2)
    try:
        if row.status != "error":  # an error is retried on the next run
            atomic_write(meta, json.dumps({"hash": row.hash, "grader": grader, "row": asdict(row)}, indent=1).encode())
        else:
            meta.unlink(missing_ok=True)
    except OSError as error:  # the row stands; only the skip on the next run is lost
        row.reason = (row.reason + "; " if row.reason else "") + f"its meta file could not be written: {error}"
    return row


def _read_meta(meta: Path) -> tuple[str, str, Row] | None:
    """(hash, grader, row) of a meta file, or None when it is missing or corrupt (then it is graded again)."""
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        row = Row(**{k: v for k, v in data["row"].items() if k in Row.__dataclass_fields__})
        return str(data["hash"]), str(data["grader"]), row
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_gradebook(path: Path, rows: list[Row], exercises: list[str]) -> None:
    """Write the gradebook atomically (a fresh temporary name per writer: shards sharing OUT never collide)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", *exercises, "total", "max_score", "status", "reason"])
    for row in sorted(rows, key=lambda r: r.id):
        writer.writerow(row.csv(exercises))
    atomic_write(path, buffer.getvalue().encode("utf-8"))


def run(
    folder: Path,
    out: Path,
    jobs: int = 1,
    only: list[str] | None = None,
    timeout: float = 1800,
    in_process: bool = False,
    shard: tuple[int, int] | None = None,
    progress: bool = True,
) -> list[Row]:
    """Grade every submission of ``folder`` into ``out``; returns one row per submission."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    exercises = list(only or EXERCISES)
    subs = find_submissions(folder)
    if shard:
        k, n = shard
        subs = subs[k - 1 :: n]
    for name in ("results", "logs", "meta"):
        (out / name).mkdir(parents=True, exist_ok=True)
    grader = fingerprint(only)
    rows: list[Row] = []
    console = Console(stderr=True)
    with Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task("", total=len(subs))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {
                pool.submit(grade_one, ident, path, out, exercises, only, timeout, in_process, grader): ident
                for ident, path in subs
            }
            for future in as_completed(futures):
                row = future.result()
                rows.append(row)
                bar.update(
                    task, advance=1, description=f"{row.id}: {row.status}" + (" (unchanged)" if row.skipped else "")
                )
    # A shard writes the rows it graded beside those already in OUT, so the last run sees the whole class.
    # One row per submission, always: one that another shard graded, or not yet, or whose meta file is corrupt.
    known = {r.id for r in rows}
    for ident, _ in find_submissions(folder):
        if ident in known:
            continue
        meta = out / "meta" / f"{ident}.json"
        kept = _read_meta(meta)
        if kept is not None:
            rows.append(kept[2])
        elif meta.exists():
            rows.append(Row(ident, reason="its meta file is corrupt; run the batch again to regrade it"))
        else:
            rows.append(Row(ident, reason="not graded yet (another shard's, or an interrupted run)"))
    write_gradebook(out / "gradebook.csv", rows, exercises)
    written.add_manual_columns(out / "gradebook.csv")  # the hand-graded written answers beside the automatic points
    return sorted(rows, key=lambda r: r.id)
