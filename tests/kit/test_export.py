"""Grades into an LMS: Canvas's gradebook import, read back by a parser that follows Canvas's own rules, and the
plain per-exercise CSV.

:func:`canvas_import` is an independent reading of Canvas's importer (``GradebookImporter`` in canvas-lms): the
header must start ``Student``, ``ID``, and the student columns end at ``Section`` (with ``SIS User ID`` then
``SIS Login ID`` before it); a column ``Title (digits)`` is the existing assignment with that id, any other title a
new one; a row whose first cell holds ``Points Possible`` gives each assignment's points; a student is found by
``ID``, else ``SIS User ID``, else ``SIS Login ID``; numbers are read after Canvas's decimal-comma conversion.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading import batch, export, written
from tests.attacks import submission

ROSTER = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1 (1001)", "Transformers (4242)"],
    ["    Points Possible", "", "", "", "", "10", "25"],
    ["Lovelace, Ada", "11", "S-ada", "ada@uni.example", "A", "9", ""],
    ["Turing, Alan", "12", "S-alan", "aturing", "A", "8", ""],
    ["=cmd|' /C calc'!A0", "13", "S-mal", "mallory", "B", "7", ""],  # a name someone typed into the SIS
    ["Hopper, Grace", "14", "S-grace", "grace", "B", "10", ""],  # hands in nothing
]


def canvas_import(path: Path) -> dict[str, object]:
    """What Canvas's importer reads from ``path``: assignments (title, id or None, points) and grades by student."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], "Invalid header row"
    columns = 3
    sis_user = sis_login = None
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        sis_login, columns = 2, columns + 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        sis_user, sis_login, columns = 2, 3, columns + 2
    assert "Section" in header[columns - 1], "Invalid header row"
    non_assignment = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade")
    assignments = []
    for index, name in enumerate(header[columns:], start=columns):
        if non_assignment.search(name):
            continue
        match = re.match(r"^(.*)\s+\((\d+)\)$", name)
        assignments.append({"index": index, "title": match.group(1) if match else name,
                            "id": match.group(2) if match else None, "points": None})  # fmt: skip
    grades: dict[str, dict[str | None, float | None]] = {}
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            for a in assignments:
                a["points"] = float(row[a["index"]]) if row[a["index"]] else None
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, re.I) for c in row):
            continue
        student = row[1] or (row[sis_user] if sis_user is not None else "") or (row[sis_login] if sis_login else "")
        cells = {}
        for a in assignments:
            cell = row[a["index"]].strip()
            cells[a["id"] or a["title"]] = float(cell.replace(",", ".")) if cell else None
        grades[student] = cells
    return {"assignments": assignments, "grades": grades}


# The class: each id joins the roster another way (a login's name, the SIS User ID, Canvas's ID), or not at all.
SCORES = {"ada": 17.0, "S-alan": 12.0, "13": 3.0, "=HYPERLINK(0)": 5.0, "stranger": 9.0}


def _fake_grader(path, results, log, only, timeout, in_process, server=None):
    """A results file with the submission's score from :data:`SCORES` in one_hot, and 1 of 5 in masks."""
    tests = [{"name": "one_hot: a", "score": SCORES[path.name], "max_score": 20, "tags": ["one_hot"]},
             {"name": "masks: b", "score": 1, "max_score": 5, "tags": ["masks"]}]  # fmt: skip
    results.write_text(json.dumps({"score": SCORES[path.name] + 1, "max_score": 25, "tests": tests}))
    return 0, ""


@pytest.fixture
def graded(tmp_path, monkeypatch) -> Path:
    subs = tmp_path / "subs"
    for name in SCORES:
        submission(subs / name)
    monkeypatch.setattr(batch, "_run_grader", _fake_grader)
    batch.run(subs, tmp_path / "out", only=["one_hot", "masks"], progress=False)
    return tmp_path / "out"


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(ROSTER)
    return path


def test_the_canvas_import_round_trips(graded, tmp_path):
    assert main(["export", str(graded), "--canvas", str(_roster(tmp_path)), "--title", "Transformers"]) == 0
    read = canvas_import(graded / "canvas.csv")
    [assignment] = read["assignments"]
    assert (assignment["title"], assignment["id"], assignment["points"]) == ("Transformers", "4242", 25.0)
    assert read["grades"] == {
        "11": {"4242": 18.0},  # 17 + 1
        "12": {"4242": 13.0},
        "13": {"4242": 4.0},
        "14": {"4242": None},  # no submission: a blank cell, which Canvas leaves unchanged
    }
    cells = [c for row in csv.reader(io.StringIO((graded / "canvas.csv").read_text())) for c in row]
    assert "'=cmd|' /C calc'!A0" in cells and not [c for c in cells if c.startswith(("=", "@", "+"))]
    with open(graded / "canvas-unmatched.csv", newline="", encoding="utf-8") as f:
        listed = {(r["what"], r["name"]) for r in csv.DictReader(f)}
    assert listed == {("submission", "'=HYPERLINK(0)"), ("submission", "stranger"), ("student", "Hopper, Grace")}


def test_a_new_assignment_has_no_id_and_its_points(graded, tmp_path):
    export.canvas(graded, _roster(tmp_path), tmp_path / "c.csv", "Autograder")
    [assignment] = canvas_import(tmp_path / "c.csv")["assignments"]
    assert (assignment["title"], assignment["id"], assignment["points"]) == ("Autograder", None, 25.0)


def test_a_roster_without_the_student_columns_is_refused(graded, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nAda,ada@uni.example\n")
    with pytest.raises(export.ExportError, match="lacks the column"):
        export.canvas(graded, bad, tmp_path / "c.csv", "Autograder")


def test_the_plain_csv_has_the_maxima_and_the_time_of_grading(graded):
    assert main(["export", str(graded), "--csv"]) == 0
    with open(graded / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "one_hot", "masks", "total", "status", "graded_at"]
    assert rows[1] == ["points possible", "20", "5", "25", "", ""]
    by_id = {r[0]: r for r in rows[2:]}
    assert by_id["stranger"][1:5] == ["9", "1", "10", "graded"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", by_id["stranger"][5])
    assert "'=HYPERLINK(0)" in by_id and len(by_id) == 5


def test_the_gradebook_and_both_exports_show_automatic_manual_and_combined_points(graded, tmp_path):
    """The TAs enter the written answers' points in written/scores.csv: the batch's gradebook (refreshed by the next
    `batch`), grades.csv and Canvas's import then carry them apart (manual) and together (combined)."""
    qs = written.questions()
    first, second = qs[0], qs[1]
    manual_max = sum(q.points for q in qs)
    ids = sorted(SCORES)
    written.write_scores_template(graded / written.SCORES, ids, qs)
    with open(graded / written.SCORES, newline="", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    header = written.scores_header(qs)
    for q in qs:
        rows["ada"][q.column] = f"{q.points:g}"  # every answer graded, full marks
    rows["S-alan"][first.column] = "1"  # one answer graded so far
    rows["13"][second.column] = "-2"  # out of range: no points, and said so
    rows["'=HYPERLINK(0)"][first.column] = "1"  # an id kept inert in the CSV still joins its submission
    with open(graded / written.SCORES, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows.values())
    batch.run(graded.parent / "subs", graded, only=["one_hot", "masks"], progress=False)  # nothing regraded: meta kept
    with open(graded / "gradebook.csv", newline="", encoding="utf-8") as f:
        book = {r["id"]: r for r in csv.DictReader(f)}
    ada = book["ada"]
    assert (ada["total"], ada["max_score"]) == ("18", "25")
    assert (ada["manual"], ada["manual_max"], ada["manual_status"]) == (f"{manual_max:g}", f"{manual_max:g}", "graded")
    assert (ada["combined"], ada["combined_max"]) == (f"{18 + manual_max:g}", f"{25 + manual_max:g}")
    assert (book["S-alan"]["manual"], book["S-alan"]["combined"]) == ("1", "14")
    assert book["13"]["manual"] == "0" and book["13"]["manual_status"].startswith("invalid: ")
    assert main(["export", str(graded), "--csv"]) == 0
    with open(graded / "grades.csv", newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["id", "one_hot", "masks", "total", "manual", "combined", "status", "manual_status", "graded_at"]
    assert table[1][:6] == ["points possible", "20", "5", "25", f"{manual_max:g}", f"{25 + manual_max:g}"]
    plain = {r[0]: r for r in table[2:]}
    assert plain["ada"][3:8] == ["18", f"{manual_max:g}", f"{18 + manual_max:g}", "graded", "graded"]
    assert plain["S-alan"][3:8] == ["13", "1", "14", "graded", f"1 of {len(qs)} graded"]
    assert plain["stranger"][3:8] == ["10", "0", "10", "graded", "not graded"]
    assert plain["'=HYPERLINK(0)"][3:6] == ["6", "1", "7"]
    assert main(["export", str(graded), "--canvas", str(_roster(tmp_path)), "--title", "Transformers"]) == 0
    read = canvas_import(graded / "canvas.csv")
    [assignment] = read["assignments"]
    assert assignment["points"] == 25 + manual_max
    assert read["grades"] == {"11": {"4242": 18 + manual_max}, "12": {"4242": 14.0}, "13": {"4242": 4.0}, "14": {"4242": None}}
    with open(graded / "canvas-unmatched.csv", newline="", encoding="utf-8") as f:
        listed = {(r["what"], r["name"]): r["why"] for r in csv.DictReader(f)}
    assert listed[("written", "Turing, Alan")] == f"written answers of S-alan: 1 of {len(qs)} graded"
    assert listed[("written", "'=cmd|' /C calc'!A0")].startswith("written answers of 13: invalid: ")
    assert ("written", "Lovelace, Ada") not in listed
