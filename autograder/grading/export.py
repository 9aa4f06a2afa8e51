"""Grades into an LMS: ``python -m autograder export OUT --canvas ROSTER.csv`` and ``--csv``.

Both read what a batch left in ``OUT`` (every submission it tried: ``meta/``, ``results/``, ``logs/``), through the
one reducer (:func:`autograder.grading.batch.collect`), and write every cell through
:func:`autograder.grading.textsafe.csv_row`, so no name or id reaches a spreadsheet as a formula.

- **Canvas** (:func:`canvas`): what Canvas's gradebook importer accepts. The header is ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then one assignment column ``Title (id)`` where the assignment
  exists in Canvas (its id from the roster's own header, or ``--assignment-id``) and ``Title`` alone where it does
  not (Canvas then creates it); the second row is ``Points Possible``. The roster is the course's gradebook as
  Canvas exports it (or any CSV with those five columns). A submission joins a student whose ``SIS Login ID``,
  ``SIS User ID`` or ``ID`` is its id (case and spaces aside; a login ``alice@uni.edu`` also answers to ``alice``).
  Every roster student gets a row (a blank grade where there is none: Canvas leaves a blank cell unchanged), and
  what did not join is listed in ``canvas-unmatched.csv``, never dropped: submissions no student claims (or that
  two students could claim), students without a submission, submissions without a grade.
- **Any other LMS** (:func:`plain`): ``grades.csv``, one row per submission with a column per exercise, the
  total, the status and the time of grading (UTC), below a ``points possible`` row with each exercise's maximum.

Where the TAs grade the written answers (``python -m autograder written`` left ``OUT/written/scores.csv``), both
carry the hand-graded points too (:func:`manual_points`): ``grades.csv`` has ``manual`` and ``combined`` (automatic
+ manual) beside ``total``, and ``manual_status``; Canvas's column is the combined grade, out of both maxima, and a
student whose written answers are not all graded is listed (``written``) beside what did not join.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import batch, written
from autograder.grading.results import atomic_write
from autograder.grading.textsafe import csv_cell, csv_row
from autograder.runtime.curriculum import EXERCISES

STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it; its importer looks for the words in the first cell
_TITLE_AND_ID = re.compile(r"^(.*\S)\s+\((\d+)\)$")


class ExportError(Exception):
    """The batch or the roster cannot be exported as asked; the message says why."""


@dataclass
class Unmatched:
    """What did not join, by kind: never dropped, always listed."""

    submissions: list[tuple[str, str]] = field(default_factory=list)  # (id, why)
    students: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    written: list[tuple[str, str]] = field(default_factory=list)  # (name, why): a grade without every written answer


def class_rows(out: Path) -> list[batch.Row]:
    """One row per submission the batch in ``out`` tried (a meta, results or log file), sorted by id."""
    ids = {p.stem for name in ("meta", "results") for p in (out / name).glob("*.json")}
    ids |= {p.stem for p in (out / "logs").glob("*.log")}
    if not ids:
        raise ExportError(f"{out} holds no graded class (no meta/, results/ or logs/ from `batch`)")
    return batch.collect(sorted(ids), out, [])


def points_possible(out: Path, rows: list[batch.Row], exercises: list[str]) -> tuple[dict[str, float], float]:
    """Each exercise's points possible and the total's, from the graded results; one grader's, or an error."""
    seen: set[tuple[tuple[float, ...], float]] = set()
    found: tuple[dict[str, float], float] = ({}, 0.0)
    for row in rows:
        path = out / "results" / f"{row.id}.json"
        if row.status != "graded" or not path.exists():
            continue
        _, maxima, _, max_score = batch.read_results(path, exercises)
        seen.add((tuple(maxima.get(e, 0.0) for e in exercises), max_score))
        found = (maxima, max_score)
    if len(seen) > 1:
        raise ExportError(f"{out} was graded with different points possible ({len(seen)} versions): regrade it")
    if not seen:
        raise ExportError(f"{out} has no graded submission: nothing says how many points each exercise is worth")
    return found


def _write(path: Path, rows: Sequence[Sequence[object]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(csv_row(list(row)))
    atomic_write(path, buffer.getvalue().encode("utf-8"))


@dataclass
class Manual:
    """The hand-graded written answers of a batch: each submission's points and status, and the points possible."""

    scores: dict[str, tuple[float, str]]  # id -> (points, "graded" | "3 of 14 graded" | "not graded" | "invalid: ...")
    maximum: float

    def of(self, ident: str) -> tuple[float, str]:
        """``ident``'s points (0 for an invalid entry) and status; scores.csv holds the id as a CSV cell (inert)."""
        found = self.scores.get(ident) or self.scores.get(str(csv_cell(ident)))
        points, status = found or (0.0, "not graded")
        return (0.0 if status.startswith("invalid") else points), status


def manual_points(out: Path) -> Manual | None:
    """The TAs' points from ``OUT/written/scores.csv`` (as the gradebook reads them); None where the written answers
    are not graded in this batch (no such file), so that a course that does not use them exports as before."""
    path = out / written.SCORES
    if not path.is_file():
        return None
    qs = written.questions()
    return Manual(written.manual_scores(path, qs), sum(q.points for q in qs))


def plain(out: Path, dest: Path) -> Path:
    """``grades.csv`` for any LMS: per-exercise scores, total, status and time of grading, under a maxima row; the
    manual and combined points beside the total where the written answers are graded (:func:`manual_points`)."""
    rows = class_rows(out)
    exercises = _exercises(out, rows)
    maxima, total = points_possible(out, rows, exercises)
    manual = manual_points(out)
    columns = ["total", "manual", "combined", "status", "manual_status"] if manual else ["total", "status"]
    possible = [_number(maxima.get(e)) for e in exercises] + [_number(total)]
    if manual:
        possible += [_number(manual.maximum), _number(total + manual.maximum), "", ""]
    else:
        possible.append("")
    table: list[list[object]] = [["id", *exercises, *columns, "graded_at"], ["points possible", *possible, ""]]
    for row in rows:
        graded = row.status in ("graded", "refused")
        cells: list[object] = [_number(row.scores.get(e, 0.0)) if graded else "" for e in exercises]
        cells.append(_number(row.total) if graded else "")
        if manual:
            points, status = manual.of(row.id)
            cells += [_number(points), _number(row.total + points) if graded else "", row.status, status]
        else:
            cells.append(row.status)
        table.append([row.id, *cells, row.graded_at])
    _write(dest, table)
    return dest


def _exercises(out: Path, rows: list[batch.Row]) -> list[str]:
    """The exercises the batch graded: the plan's, else those the rows scored, in curriculum order."""
    plan = out / "batch.json"
    if plan.exists():
        only = json.loads(plan.read_text(encoding="utf-8")).get("only")
        if only:
            return list(only)
    scored = {e for r in rows for e in r.scores}
    return [e for e in EXERCISES if e in scored] or list(EXERCISES)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _key(text: str) -> str:
    return "".join(text.split()).casefold()


def read_roster(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    """(students, header) of a Canvas gradebook export or any CSV with its five student columns."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or [])
            students = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ExportError(f"the roster {path} cannot be read: {error}") from None
    missing = [c for c in STUDENT_COLUMNS if c not in header]
    if missing:
        raise ExportError(f"the roster {path} lacks the column(s) {', '.join(missing)} (export the gradebook)")
    # Canvas's export has a Points Possible row, and may have Muted/Manual Posting rows: no student in them
    students = [
        s
        for s in students
        if "Points Possible" not in (s.get("Student") or "")
        and not all(
            re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", v or "", re.I) for v in s.values() if v is not None
        )
    ]
    return students, header


def assignment_column(title: str, header: list[str], assignment_id: str | None) -> str:
    """``Title (id)`` where the assignment exists (``assignment_id``, or the roster has that title), else ``Title``."""
    if assignment_id:
        return f"{title} ({assignment_id})"
    for name in header:
        match = _TITLE_AND_ID.match(name)
        if match and match.group(1) == title:
            return name
    return title


def _student_keys(student: dict[str, str]) -> set[str]:
    keys = {_key(student.get(c) or "") for c in ("ID", "SIS User ID", "SIS Login ID")}
    login = student.get("SIS Login ID") or ""
    if "@" in login:
        keys.add(_key(login.split("@")[0]))
    return keys - {""}


def canvas(
    out: Path, roster: Path, dest: Path, title: str, assignment_id: str | None = None
) -> tuple[Path, Path, Unmatched]:
    """Write Canvas's import CSV to ``dest`` and what did not join beside it; (dest, unmatched file, unmatched)."""
    rows = class_rows(out)
    _, total = points_possible(out, rows, _exercises(out, rows))
    manual = manual_points(out)
    students, header = read_roster(roster)
    column = assignment_column(title, header, assignment_id)
    by_key: dict[str, list[int]] = {}
    for i, student in enumerate(students):
        for key in _student_keys(student):
            by_key.setdefault(key, []).append(i)
    unmatched = Unmatched()
    claims: dict[int, list[batch.Row]] = {}
    for row in rows:
        found = sorted(set(by_key.get(_key(row.id), [])))
        if len(found) == 1:
            claims.setdefault(found[0], []).append(row)
        elif found:
            unmatched.submissions.append((row.id, f"matches {len(found)} students of the roster"))
        else:
            unmatched.submissions.append((row.id, "no student of the roster has this id or login"))
    grades: dict[int, str] = {}
    for i, student in enumerate(students):
        mine = claims.get(i, [])
        name = student.get("Student") or student.get("SIS Login ID") or ""
        if not mine:
            unmatched.students.append((name, "no submission"))
        elif len(mine) > 1:
            ids = ", ".join(r.id for r in mine)
            unmatched.students.append((name, f"more than one submission ({ids}): no grade written"))
            unmatched.submissions += [(r.id, f"one of {len(mine)} submissions of {name}") for r in mine]
        elif mine[0].status not in ("graded", "refused"):
            unmatched.students.append((name, f"submission {mine[0].id} has no grade: {mine[0].reason}"))
        elif manual is None:
            grades[i] = _number(mine[0].total)
        else:  # the combined grade: the automatic points and the TAs' (none yet is 0, listed below)
            points, status = manual.of(mine[0].id)
            grades[i] = _number(mine[0].total + points)
            if status != "graded":
                unmatched.written.append((name, f"written answers of {mine[0].id}: {status}"))
    possible = total + (manual.maximum if manual else 0.0)
    table: list[list[object]] = [[*STUDENT_COLUMNS, column], [POINTS_POSSIBLE, "", "", "", "", _number(possible)]]
    for i, student in enumerate(students):
        table.append([*(student.get(c) or "" for c in STUDENT_COLUMNS), grades.get(i, "")])
    _write(dest, table)
    listing = dest.with_name(dest.stem + "-unmatched.csv")
    _write(
        listing,
        [["what", "name", "why"]]
        + [["submission", ident, why] for ident, why in unmatched.submissions]
        + [["student", name, why] for name, why in unmatched.students]
        + [["written", name, why] for name, why in unmatched.written],
    )
    return dest, listing, unmatched
