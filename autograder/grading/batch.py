"""``python -m autograder batch DIR --out OUT --jobs N``: grade a whole class.

Every sub-folder and ``.zip`` of ``DIR`` is one submission, its id the folder's name or the zip's
stem, unique by construction (:func:`find_submissions`). Each is graded by its own ``grade`` process,
forked from a warm grader that imported the grader once (:mod:`autograder.grading.warm`), so a
submission that crashes or wedges the grader costs only its own row; at most ``--jobs`` at a time,
each with a wall-clock limit. ``OUT`` receives

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

For a class too large for one machine, an engine (:mod:`autograder.grading.engines`: a Slurm job
array, a Kubernetes Indexed Job) runs :func:`grade_all` over chunks of the class wherever it likes, and
:func:`collect` (the one reducer) writes the gradebook from ``OUT/meta``. By hand: run
``python -m autograder batch DIR --out OUT --shard K/N`` on N machines (K = 1..N, each takes every
N-th submission in sorted order, writing into its own OUT or a shared one); then one final
``batch DIR --out OUT`` over the merged OUT finds everything graded (same hashes) and only writes the
gradebook.

Every cell of the gradebook goes through :func:`autograder.grading.textsafe.csv_row`: an id or a
reason comes from a file name the submission chose, and must never reach a spreadsheet as a formula.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing.context import ForkServerProcess
from pathlib import Path

from autograder.grading import sandbox, warm, written
from autograder.grading.loader import REPO_ROOT
from autograder.grading.results import PUBLIC_TAG, atomic_write
from autograder.grading.textsafe import csv_row, printable
from autograder.grading.worker.process import base_environment, interpreter
from autograder.grading.worker.template import batch_server
from autograder.layout import grader_files
from autograder.runtime.curriculum import EXERCISES, PART_OF
from autograder.settings import STRICT, Settings

LOG_CAP = 256 << 10
STOP_GRACE = 15.0  # seconds a stopped grade process has to kill its worker before it is killed itself


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
    graded_at: str = ""  # when its results were written (UTC, ISO 8601): what an LMS export calls the time of grading
    maxima: dict[str, float] = field(default_factory=dict)  # each exercise's points possible, from its results
    pending: bool = False  # no chunk has graded it yet (an engine's task not run, or killed): graded on the next run

    def csv(self, exercises: list[str]) -> list[str | int | float]:
        scores = [f"{self.scores[e]:g}" if e in self.scores else "" for e in exercises]
        return csv_row([self.id, *scores, f"{self.total:g}", f"{self.max_score:g}", self.status, self.reason])

    @property
    def outcome(self) -> str:
        """How this run dealt with it, in the summary's words."""
        if self.skipped:
            return "reused unchanged"
        if self.pending:
            return "not graded yet"
        return {"graded": "graded", "refused": "refused"}.get(self.status, "crashed")


OUTCOMES = ("graded", "reused unchanged", "refused", "crashed", "not graded yet")


def summary(rows: list[Row]) -> str:
    """``"7 submission(s): 1 graded, 5 reused unchanged, 1 refused, 0 crashed"`` (not graded yet only when some are)."""
    counts = Counter(r.outcome for r in rows)
    parts = [f"{counts[k]} {k}" for k in OUTCOMES if k != "not graded yet" or counts[k]]
    return f"{len(rows)} submission(s): " + ", ".join(parts)


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
    """(id, path) of every sub-folder and .zip (hidden entries ignored), ids unique by construction.

    An id names the submission's ``results/<id>.json``, ``meta/`` and ``logs/`` files, so two submissions must never
    share one, not even on a case-insensitive disk: the id is the folder's name or the zip's stem where no other
    entry has that (case-folded) name; entries that share it keep their full names (``alice`` and ``alice.zip``),
    and a full name that is still taken (``alice.zip.zip``'s stem is ``alice.zip``) gets ``~2``, ``~3`` ...
    """
    entries = sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".zip" or p.is_symlink())
    )
    stems = [p.stem if p.suffix.lower() == ".zip" and not p.is_dir() else p.name for p in entries]
    shared = Counter(stem.casefold() for stem in stems)
    taken = {stem.casefold() for stem in stems if shared[stem.casefold()] == 1}
    found = []
    for stem, path in zip(stems, entries):
        ident = stem
        if shared[stem.casefold()] > 1:
            ident, n = path.name, 1
            while ident.casefold() in taken:
                n += 1
                ident = f"{path.name}~{n}"
            taken.add(ident.casefold())
        found.append((ident, path))
    return found


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


def read_results(path: Path, exercises: list[str]) -> tuple[dict[str, float], dict[str, float], float, float]:
    """(score per exercise, points possible per exercise, total, max_score) of a Gradescope results file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    scores: dict[str, float] = {}
    maxima: dict[str, float] = {}
    for t in data.get("tests", []):
        if PUBLIC_TAG in (t.get("tags") or [])[1:]:
            continue  # a public test: feedback, never points
        exercise = (t.get("tags") or [str(t.get("name", "")).split(":")[0]])[0]
        scores[exercise] = scores.get(exercise, 0.0) + float(t.get("score", 0))
        maxima[exercise] = maxima.get(exercise, 0.0) + float(t.get("max_score", 0))
    return (
        {e: round(scores[e], 6) for e in exercises if e in scores},
        {e: round(maxima[e], 6) for e in exercises if e in maxima},
        float(data.get("score", 0)),
        float(data.get("max_score", 0)),
    )


_LIVE: set[ForkServerProcess] = set()  # the grade processes running now (each in its own session)
_LIVE_LOCK = threading.Lock()


def _kill_group(process: ForkServerProcess, sig: int) -> None:
    """``sig`` to the grade process's session (itself, its workers); to the process alone while it is not its own
    session's leader yet (just forked)."""
    if not process.pid:
        return
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, sig)
        else:
            os.kill(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_graders() -> None:
    """Stop every grade process still running (a batch interrupted: Ctrl-C, SIGTERM from scancel or a pod's end).

    Each runs in its own session (so a timeout kills its whole tree), out of reach of the signal its batch got: SIGTERM
    lets it kill its worker on the way out; what is left after :data:`STOP_GRACE` seconds is killed.
    """
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        _kill_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for proc in procs:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
        if proc.exitcode is None:
            _kill_group(proc, signal.SIGKILL)


def _capped(output: bytes) -> bytes:
    return output[: LOG_CAP // 2] + (b"\n[...]\n" + output[-LOG_CAP // 2 :] if len(output) > LOG_CAP else b"")


def _run_grader(
    path: Path,
    results: Path,
    log: Path,
    only: list[str] | None,
    timeout: float,
    in_process: bool,
    server: socket.socket | None = None,
) -> tuple[int | None, str]:
    """One ``grade`` process, forked from the warm grader (:mod:`autograder.grading.warm`); returns (exit code or
    None on timeout, the tail of its output)."""
    argv = [str(path), "--results", str(results)]
    argv += [a for e in only or [] for a in ("--only", e)]
    argv += ["--in-process"] if in_process else []
    # a batch grades a class: the worker must have its own uid and no network, or nothing is graded (settings.STRICT)
    env = {"AUTOGRADER_REQUIRE": STRICT, **os.environ, "COLUMNS": "100", "PYTHONPATH": str(REPO_ROOT)}
    # the other submissions and the class's results: hidden from the worker, and, where only their owners and modes
    # can keep it out (no Landlock, no mount namespace), checked unreadable to it before any student code runs
    env["AUTOGRADER_HIDE"] = os.pathsep.join(
        filter(None, [env.get("AUTOGRADER_HIDE", ""), str(path.parent), str(results.parent)])
    )
    with tempfile.NamedTemporaryFile(dir=log.parent, prefix=f".{log.name}.", delete=False) as raw:
        output_file = Path(raw.name)
    try:
        proc = warm.start(argv, env, output_file, server)
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            proc.join(timeout)
            code: int | None = proc.exitcode
            if code is None:
                _kill_group(proc, signal.SIGTERM)  # the grader kills its workers on the way out
                proc.join(STOP_GRACE)
                if proc.exitcode is None:
                    _kill_group(proc, signal.SIGKILL)
                    proc.join()
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
            proc.close()
        output = output_file.read_bytes()
    finally:
        output_file.unlink(missing_ok=True)
    log.write_bytes(_capped(output))
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
    server: socket.socket | None = None,
) -> Row:
    """Grade one submission (or reuse its earlier row); never raises. ``server``: the batch's template server."""
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
        code, last = _run_grader(path, results, log, only, timeout, in_process, server)
        if code is None:
            row.reason = f"grading took longer than {timeout:g} s and was stopped"
        elif code != 0 or not results.exists():
            row.reason = f"the grader failed (exit code {code}): {last}"
        else:
            row.scores, row.maxima, row.total, row.max_score = read_results(results, exercises)
            row.status, row.reason = ("refused", refusal) if refusal else ("graded", "")
            row.graded_at = datetime.fromtimestamp(results.stat().st_mtime, UTC).isoformat(timespec="seconds")
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
    """Write the gradebook atomically (a fresh temporary name per writer: shards sharing OUT never collide), with the
    hand-graded written answers beside the automatic points (:func:`autograder.grading.written.add_manual_columns`):
    the one reducer of every engine."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", *exercises, "total", "max_score", "status", "reason"])
    for row in sorted(rows, key=lambda r: r.id):
        writer.writerow(row.csv(exercises))
    atomic_write(path, buffer.getvalue().encode("utf-8"))
    written.add_manual_columns(path)


def format_eta(seconds: float | None) -> str:
    """``"ETA 2m05s"``, or ``"ETA unknown"`` before anything was graded."""
    if seconds is None:
        return "ETA unknown"
    minutes, secs = divmod(round(seconds), 60)
    return f"ETA {minutes}m{secs:02d}s" if minutes else f"ETA {secs}s"


class Progress:
    """What a person follows while a class is graded: how many are done, the last one, and an ETA.

    The ETA is the mean time of the submissions graded so far (reused ones cost nothing and say nothing) times
    those left, over the processes grading at once. On a terminal it is a progress bar; elsewhere (a Slurm task's
    log, a pod's) one line per submission, since a bar redrawn in a file is unreadable.
    """

    def __init__(self, total: int, jobs: int, enabled: bool = True) -> None:
        from rich.console import Console

        self.total, self.jobs, self.enabled = total, max(1, jobs), enabled
        self.done, self.spent = 0, [0.0, 0]  # seconds spent on fresh grades, and how many
        self.console = Console(stderr=True)
        self.bar = None
        if enabled and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
            )
            self.task = self.bar.add_task(format_eta(None), total=total)

    def eta(self) -> float | None:
        if not self.spent[1]:
            return None
        return self.spent[0] / self.spent[1] * (self.total - self.done) / self.jobs

    def advance(self, row: Row) -> None:
        self.done += 1
        if not row.skipped:
            self.spent[0] += row.seconds
            self.spent[1] += 1
        what = f"{printable(row.id, keep_newlines=False)}: {row.outcome}"
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{format_eta(self.eta())}  {what}")
        elif self.enabled:
            print(f"[{self.done}/{self.total}] {what} ({row.seconds:g} s), {format_eta(self.eta())}", file=sys.stderr)

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def templates(exercises: list[str], in_process: bool) -> contextlib.AbstractContextManager[socket.socket | None]:
    """The batch's template server (:func:`autograder.grading.worker.template.batch_server`), where its grades fork
    workers from a template (PyTorch needed, ``AUTOGRADER_TEMPLATE`` on): each submission's template is then forked
    from it rather than started and importing PyTorch afresh."""
    settings = Settings.from_env()
    if in_process or not settings.template or all(PART_OF.get(e) == "embeddings" for e in exercises):
        return contextlib.nullcontext(None)
    return batch_server(interpreter(), base_environment(settings))


def grade_all(
    subs: list[tuple[str, Path]],
    out: Path,
    jobs: int = 1,
    only: list[str] | None = None,
    timeout: float = 1800,
    in_process: bool = False,
    progress: bool = True,
) -> list[Row]:
    """Grade ``subs`` into ``out`` (reusing what is graded already), ``jobs`` at a time; one row each.

    The unit every engine runs. Interrupted (Ctrl-C, SIGTERM), it stops its grade processes before it returns, so
    a killed batch leaves no grader behind and resumes where it stopped: what was not finished has no meta file.
    """
    exercises = list(only or EXERCISES)
    for name in ("results", "logs", "meta"):
        (out / name).mkdir(parents=True, exist_ok=True)
        os.chmod(out / name, 0o700)  # the class's results are its grader's alone (never a worker's to read)
    grader = fingerprint(only)
    rows: list[Row] = []
    with (
        templates(exercises, in_process) as server,
        Progress(len(subs), jobs, progress) as bar,
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
    ):
        try:
            futures = [
                pool.submit(grade_one, ident, path, out, exercises, only, timeout, in_process, grader, server)
                for ident, path in subs
            ]
            for future in as_completed(futures):
                row = future.result()
                rows.append(row)
                bar.advance(row)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            stop_graders()
            raise
    return rows


def collect(ids: list[str], out: Path, rows: list[Row]) -> list[Row]:
    """The reducer: ``rows``, and for every other id of ``ids`` the row its meta file keeps; one row per id, always.

    A row no chunk has written yet (another shard's, an engine's task not run or killed, an interrupted run) says
    so, and so does a corrupt meta file: the next run grades both.
    """
    known = {r.id for r in rows}
    found = list(rows)
    for ident in ids:
        if ident in known:
            continue
        meta = out / "meta" / f"{ident}.json"
        kept = _read_meta(meta)
        if kept is not None:
            found.append(kept[2])
        elif meta.exists():
            found.append(Row(ident, reason="its meta file is corrupt; run the batch again to regrade it"))
        else:
            found.append(
                Row(ident, reason="not graded yet (another shard's or task's, or an interrupted run)", pending=True)
            )
    return sorted(found, key=lambda r: r.id)


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
    """Grade every submission of ``folder`` into ``out`` and write its gradebook; returns one row per submission."""
    everyone = find_submissions(folder)
    subs = everyone[shard[0] - 1 :: shard[1]] if shard else everyone
    rows = grade_all(subs, out, jobs, only, timeout, in_process, progress)
    # A shard writes the rows it graded beside those already in OUT, so the last run sees the whole class.
    rows = collect([ident for ident, _ in everyone], out, rows)
    write_gradebook(out / "gradebook.csv", rows, list(only or EXERCISES))
    return rows
