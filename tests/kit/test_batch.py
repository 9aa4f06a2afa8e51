"""Batch grading: one row per submission whatever happens, results per submission, re-runs skip what is unchanged."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading import batch
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.grading.written import MANUAL_COLUMNS
from tests.attacks import submission

pytestmark = pytest.mark.timeout(300)


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                zf.write(p, prefix + p.relative_to(folder).as_posix())
    return archive


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def cls(tmp_path_factory) -> Path:
    """A small class: a perfect folder, a zipped stub, a zip with one top folder, a symlink, a broken zip."""
    tmp = tmp_path_factory.mktemp("class")
    subs = tmp / "subs"
    subs.mkdir()
    shutil.copytree(SOLUTIONS, subs / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    zip_folder(submission(tmp / "stub"), subs / "bob.zip")
    zip_folder(SOLUTIONS, subs / "carol.zip", prefix="carol-hw2/")
    dave = subs / "dave"
    shutil.copytree(SOLUTIONS, dave, ignore=shutil.ignore_patterns("__pycache__"))
    (dave / "embeddings" / "one_hot.py").unlink()
    (dave / "embeddings" / "one_hot.py").symlink_to(SOLUTIONS / "embeddings" / "one_hot.py")
    (subs / "erin.zip").write_bytes(b"PK\x03\x04 not really a zip")
    return subs


def test_every_submission_gets_a_row_and_a_results_file(cls, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "fingerprint", lambda only: "grader")  # the kit's files may change while this runs
    out = tmp_path / "out"
    rows = batch.run(cls, out, jobs=2, only=["one_hot"], progress=False)
    book = gradebook(out)
    assert sorted(book) == ["alice", "bob", "carol", "dave", "erin"] == [r.id for r in rows]
    assert list(next(iter(book.values()))) == ["id", "one_hot", "total", "max_score", "status", "reason", *MANUAL_COLUMNS]
    full = book["alice"]["max_score"]
    assert (book["alice"]["one_hot"], book["alice"]["status"]) == (full, "graded")
    assert (book["carol"]["total"], book["carol"]["status"]) == (full, "graded")  # zip with a single top folder
    assert (book["bob"]["total"], book["bob"]["status"]) == ("0", "graded")
    assert book["dave"]["status"] == "refused" and "symbolic link" in book["dave"]["reason"] and book["dave"]["total"] == "0"
    assert book["erin"]["status"] == "refused" and book["erin"]["reason"]
    for ident in book:
        data = json.loads((out / "results" / f"{ident}.json").read_text())
        assert data["max_score"] == float(full)

    # Re-running grades nothing unchanged; a changed submission is graded again.
    again = batch.run(cls, out, jobs=2, only=["one_hot"], progress=False)
    assert all(r.skipped for r in again) and gradebook(out) == book
    (cls / "alice" / "embeddings" / "one_hot.py").write_text("raise ImportError('gone')\n")
    third = {r.id: r for r in batch.run(cls, out, jobs=2, only=["one_hot"], progress=False)}
    assert not third["alice"].skipped and third["alice"].total == 0 and all(r.skipped for i, r in third.items() if i != "alice")


def test_a_grader_that_fails_or_overruns_is_a_row_with_its_reason(cls, tmp_path, monkeypatch):
    out = tmp_path / "out"
    for name in ("results", "logs", "meta"):
        (out / name).mkdir(parents=True)
    monkeypatch.setattr(batch, "_run_grader", lambda *a, **k: (3, "RuntimeError: the hidden suites did not run"))
    row = batch.grade_one("bob", cls / "bob.zip", out, ["one_hot"], ["one_hot"], 60, False, "g")
    assert (row.status, row.reason) == ("error", "the grader failed (exit code 3): RuntimeError: the hidden suites did not run")
    monkeypatch.setattr(batch, "_run_grader", lambda *a, **k: (None, ""))
    row = batch.grade_one("bob", cls / "bob.zip", out, ["one_hot"], ["one_hot"], 60, False, "g")
    assert row.status == "error" and "longer than 60 s" in row.reason
    assert not (out / "meta" / "bob.json").exists()  # an error is retried next time


def test_a_submission_over_its_time_is_stopped(tmp_path):
    subs = tmp_path / "subs"
    submission(subs / "slow", "hang")
    rows = batch.run(subs, tmp_path / "out", timeout=1, only=["one_hot"], progress=False)
    assert [(r.id, r.status) for r in rows] == [("slow", "error")] and "longer than 1 s" in rows[0].reason


def test_the_grader_fingerprint_depends_on_what_is_graded():
    assert batch.fingerprint(["one_hot"]) == batch.fingerprint(["one_hot"]) != batch.fingerprint(["masks"]) != batch.fingerprint(None)


def test_shards_split_the_class(cls):
    ids = [i for i, _ in batch.find_submissions(cls)]
    shards = [[i for i, _ in batch.find_submissions(cls)[k - 1::3]] for k in (1, 2, 3)]
    assert sorted(sum(shards, [])) == sorted(ids)
    assert batch.parse_shard("2/3") == (2, 3)
    with pytest.raises(ValueError):
        batch.parse_shard("4/3")


def test_grading_twice_gives_the_same_results(tmp_path):
    root = submission(tmp_path / "sub", "patch_comparisons")  # wrong answers: failure messages to compare too
    results = []
    for i in range(2):
        path = tmp_path / f"r{i}.json"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["grade", str(root), "--only", "one_hot", "--results", str(path)]) == 0
        data = json.loads(path.read_text())
        data.pop("execution_time")
        results.append(data)
    assert results[0] == results[1] and results[0]["tests"]


def test_a_grade_forked_from_the_warm_grader_equals_a_fresh_grade_process(tmp_path):
    """A batch forks its grades from one warm process (autograder.grading.warm): each result is what a fresh
    ``python -m autograder grade`` of the same submission writes, failures and their messages included."""
    subs = tmp_path / "subs"
    root = submission(subs / "sub", "patch_comparisons")
    batch.run(subs, tmp_path / "out", only=["one_hot"], progress=False)
    fresh = tmp_path / "fresh.json"
    cmd = [sys.executable, "-m", "autograder", "grade", str(root), "--only", "one_hot", "--results", str(fresh)]
    env = {**os.environ, "AUTOGRADER_REQUIRE": batch.STRICT, "AUTOGRADER_HIDE": os.pathsep.join([str(subs), str(tmp_path / "out" / "results")])}
    subprocess.run(cmd, cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    warm, plain = (json.loads(p.read_text()) for p in (tmp_path / "out" / "results" / "sub.json", fresh))
    for data in (warm, plain):
        data.pop("execution_time")
    assert warm == plain and any(t["score"] < t["max_score"] for t in warm["tests"])
    assert "worker sandbox" in (tmp_path / "out" / "logs" / "sub.log").read_text()  # the grade's own output, logged


# -- issue 9.7: one row per submission, always; the gradebook and meta files written atomically


def _fake_grader(path, results, log, only, timeout, in_process, server=None):
    results.write_text(json.dumps({"score": 1, "max_score": 2, "tests": [{"name": "one_hot: x", "score": 1, "tags": ["one_hot"]}]}))
    return 0, ""


def test_a_corrupt_or_missing_meta_file_is_a_row_with_its_reason(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    for name in ("a", "b", "c"):
        submission(subs / name)
    out = tmp_path / "out"
    (out / "meta").mkdir(parents=True)
    (out / "meta" / "b.json").write_text("{corrupt")
    monkeypatch.setattr(batch, "_run_grader", _fake_grader)
    rows = {r.id: r for r in batch.run(subs, out, only=["one_hot"], shard=(1, 3), progress=False)}  # grades "a" only
    book = gradebook(out)
    assert sorted(book) == ["a", "b", "c"] == sorted(rows)
    assert book["a"]["status"] == "graded" and book["a"]["total"] == "1"
    assert book["b"]["status"] == "error" and "meta file is corrupt" in book["b"]["reason"]
    assert book["c"]["status"] == "error" and "not graded yet" in book["c"]["reason"]


def test_a_meta_file_that_cannot_be_written_keeps_the_row_and_the_batch(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    submission(subs / "a")
    out = tmp_path / "out"
    (out / "meta" / "a.json").mkdir(parents=True)  # os.replace onto a folder fails
    monkeypatch.setattr(batch, "_run_grader", _fake_grader)
    [row] = batch.run(subs, out, only=["one_hot"], progress=False)
    assert row.status == "graded" and "meta file could not be written" in row.reason
    assert gradebook(out)["a"]["total"] == "1"


def test_concurrent_gradebook_writers_never_collide(tmp_path):
    rows = [batch.Row(f"s{i}", status="graded") for i in range(50)]
    errors = []

    def write():
        try:
            for _ in range(40):
                batch.write_gradebook(tmp_path / "gradebook.csv", rows, ["one_hot"])
        except OSError as error:
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(gradebook(tmp_path)) == 50
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]


# -- issue 18: ids unique by construction; every gradebook cell inert


def test_ids_are_unique_by_construction(tmp_path):
    subs = tmp_path / "subs"
    for name in ("alice", "Bob", "bob"):
        submission(subs / name)
    zip_folder(subs / "alice", subs / "alice.zip")
    zip_folder(subs / "alice", subs / "alice.zip.zip")
    zip_folder(subs / "alice", subs / "carol.zip")
    found = dict(batch.find_submissions(subs))
    assert {i: p.name for i, p in found.items()} == {
        "alice": "alice",  # alice/ and alice.zip share a stem: both keep their full names ...
        "alice.zip~2": "alice.zip",  # ... and alice.zip is alice.zip.zip's stem already
        "alice.zip": "alice.zip.zip",
        "Bob": "Bob",  # one name on a case-insensitive disk
        "bob~2": "bob",
        "carol": "carol.zip",
    }


def test_two_entries_sharing_a_stem_get_two_rows_and_two_results(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    submission(subs / "alice")
    zip_folder(subs / "alice", subs / "alice.zip")
    zip_folder(subs / "alice", subs / "alice.zip.zip")
    monkeypatch.setattr(batch, "_run_grader", _fake_grader)
    rows = batch.run(subs, tmp_path / "out", only=["one_hot"], progress=False)
    assert len({r.id for r in rows}) == 3 == len(gradebook(tmp_path / "out"))
    assert len(list((tmp_path / "out" / "results").glob("*.json"))) == 3


def test_no_gradebook_cell_is_a_formula(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    formula = '=HYPERLINK("http://evil.example","open me")'
    submission(subs / "@SUM(1+1)")  # an id a spreadsheet would evaluate
    with zipfile.ZipFile(subs / "zipped.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{formula}.py", b"#" * (2 << 20))  # over the limit below: the reason starts with its name
    monkeypatch.setenv("AUTOGRADER_MAX_FILE_BYTES", "1M")
    monkeypatch.setattr(batch, "_run_grader", _fake_grader)
    batch.run(subs, tmp_path / "out", only=["one_hot"], progress=False)
    book = gradebook(tmp_path / "out")
    assert book["'@SUM(1+1)"]["status"] == "graded"
    # the reason names the entry in the kit's own words first ("the file ..."), never as a formula
    assert book["zipped"]["status"] == "refused" and formula in book["zipped"]["reason"]
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@")) or (c.startswith("-") and not c[1:2].isdigit())]


def test_the_summary_counts_each_outcome(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    for name in ("a", "b"):
        submission(subs / name)
    (subs / "broken.zip").write_bytes(b"not a zip")
    monkeypatch.setattr(batch, "_run_grader", _fake_grader)
    first = batch.run(subs, tmp_path / "out", only=["one_hot"], progress=False)
    assert batch.summary(first) == "3 submission(s): 2 graded, 0 reused unchanged, 1 refused, 0 crashed"
    submission(subs / "c")
    monkeypatch.setattr(batch, "_run_grader", lambda *a, **k: (3, "boom"))
    second = batch.run(subs, tmp_path / "out", only=["one_hot"], progress=False)
    assert batch.summary(second) == "4 submission(s): 0 graded, 3 reused unchanged, 0 refused, 1 crashed"


def test_the_progress_gives_an_eta_from_fresh_grades_only(capsys):
    bar = batch.Progress(total=5, jobs=2)
    assert bar.eta() is None
    bar.advance(batch.Row("a", seconds=0.1, skipped=True))  # reused: says nothing about time
    assert bar.eta() is None
    bar.advance(batch.Row("b", status="graded", seconds=10.0))
    assert bar.eta() == pytest.approx(10.0 * 3 / 2)
    assert "[2/5] b: graded (10 s), ETA 15s" in capsys.readouterr().err
    assert batch.format_eta(125) == "ETA 2m05s"


def test_an_interrupted_batch_stops_its_graders_and_resumes(tmp_path):
    subs = tmp_path / "subs"
    for name in ("a", "b", "c"):
        submission(subs / name)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cmd = [sys.executable, "-m", "autograder", "batch", str(subs), "--out", str(out), "--only", "one_hot"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not (out / "meta" / "a.json").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)  # as scancel does, or a pod's end
    proc.communicate(timeout=60)
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _grades(p, subs)]
    resumed = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "reused unchanged" in resumed.stderr and not resumed.stderr.count(" 0 reused unchanged")
    assert sorted(gradebook(out)) == ["a", "b", "c"]


def _grades(proc: Path, subs: Path) -> bool:
    try:
        parts = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"grade" in parts and any(str(subs).encode() in p for p in parts)
