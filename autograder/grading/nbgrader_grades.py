"""What ``nbgrader autograde`` records for a notebook's test cells: scores from the isolated worker, and their feedback.

Under nbgrader, a test cell's hidden part would run the hidden suite in the student's own kernel, after the
student's code, which can then make any test cell pass (redefine ``grade_hidden``, patch what the tests call).
The course's ``nbgrader_config.py`` therefore grades each notebook with ``python -m autograder grade`` (the
isolated worker, as every other channel does) before the kernel runs any of the student's code
(:func:`grade_notebook`), and writes each test cell's output from that grade after the kernel ran
(:func:`record_grades`): the score nbgrader stores is the sandbox's, whatever the kernel printed or returned.

The feedback (:func:`feedback`) is one text for both paths (this one and the kernel's own ``grade_hidden``, for a
course folder whose configuration predates it): a header with the exercise's points, a line that records how it
was scored and under which visibility policy, then one line per test. A failure's message keeps every labelled
part (``Expected:``, ``Got:``, ``Likely mistake:``) and cuts only inside a part (:func:`shorten`); a mistake that
explains several failures is shown in full once, and the other tests it explains point to that one
(:data:`SAME_MISTAKE`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.grading.loader import ASSIGNMENTS
from autograder.grading.results import PUBLIC_TAG, TestResult
from autograder.grading.textsafe import printable
from autograder.layout import REPO_ROOT
from autograder.runtime.curriculum import EXERCISES
from autograder.settings import VISIBILITIES, Settings

TEST_CELL_SUFFIX = "-tests"  # an exercise's autograded test cell is the grade cell "<exercise>-tests"
FEEDBACK_LINES = 12  # lines of a failure's message kept, besides its labels (each part's first line is always kept)
LINE_WIDTH = 160  # a longer line of a part's body (a tensor dump) is cut at its end, never dropped
LABEL_WIDTH = 400  # a part's first line (the diagnosis, "Differs at: ...") says what is wrong: cut only far later
DETAIL = " " * 7  # the indent of a test's message under its ``ok``/``FAIL`` line
# A line that starts a part of a failure's message: "Expected: ...", "Got:      ...", "Likely mistake: ...".
LABEL = re.compile(r"^\s*[A-Z][A-Za-z' ]{0,40}:(\s|$)")
SAME_MISTAKE = '(same mistake as "{title}" above)'  # a test explained by a mistake shown in full above
SAME_MISTAKE_LINE = re.compile(r'^\(same mistake as "(.*)" above\)$')
HIDDEN_NOTE = "(the hidden tests' details are not shown in this course)"


# --------------------------------------------------------------------------- the feedback text


def _parts(lines: list[str]) -> list[list[str]]:
    """The message's parts: its first line (the diagnosis), then one part per labelled line and the lines under it."""
    parts: list[list[str]] = []
    for i, line in enumerate(lines):
        if i == 0 or LABEL.match(line):
            parts.append([line])
        else:
            parts[-1].append(line)
    return parts


def shorten(text: str, keep: int = FEEDBACK_LINES) -> list[str]:
    """A failure's message in at most about ``keep`` lines, every part's label kept.

    Each part (the diagnosis, ``Likely mistake: ...``, ``Expected: ...``, ``Got: ...``, ``Differs at: ...``) keeps
    its first line, the one with its label; the lines left to share go to the parts' bodies in turn (an array
    preview's first rows), and a part cut short says how many of its lines were left out. Lines are at most
    ``LINE_WIDTH`` long (a part's first line ``LABEL_WIDTH``) and made printable.
    """

    def cut(line: str, width: int) -> str:
        return line if len(line) <= width else line[: width - 3] + "..."

    parts = [
        [cut(part[0], LABEL_WIDTH), *(cut(line, LINE_WIDTH) for line in part[1:])]
        for part in _parts([printable(line) for line in text.strip().splitlines()])
    ]
    if sum(map(len, parts)) <= keep:
        return [line for part in parts for line in part]
    room = max(keep - len(parts), 0)
    allowed = [0] * len(parts)
    while room and any(a < len(p) - 1 for a, p in zip(allowed, parts)):
        for i, part in enumerate(parts):
            if room and allowed[i] < len(part) - 1:
                allowed[i] += 1
                room -= 1
    out = []
    for part, shown in zip(parts, allowed):
        out += part[: 1 + shown]
        if shown < len(part) - 1:
            indent = re.match(r"\s*", part[0]).group()  # type: ignore[union-attr]  # \s* always matches
            out.append(f"{indent}  ... ({len(part) - 1 - shown} lines left out)")
    return out


def how_scored(visibility: str, where: str, chosen_by: str = "the course's setting") -> str:
    """The line of the feedback that records how a cell was scored and under which visibility policy."""
    return f"Scored {where}; hidden tests shown: {visibility} ({chosen_by})"


RESULTS_MIME = "application/vnd.autograder.results+json"  # a test cell's tests as data, for the class report


def results_bundle(report: Any) -> dict[str, Any]:
    """The hidden suite's tests as data, a display output of the test cell that the class report reads: each test's
    title, points, the mistakes the grader's models named and its error kind, so that no name is ever parsed from
    the printed feedback (which the code's own prints share). Shown by no notebook viewer: a MIME type of its own,
    beside an empty ``text/plain`` that nbconvert (nbgrader's feedback, formgrader) renders as nothing instead of
    warning that it cannot show the data. ``report``: anything with ``tests`` (a Report, a CellGrade).
    """
    tests = [
        {
            "title": t.title,
            "score": t.score,
            "max_score": t.max_score,
            "passed": t.status == "passed",
            "mistakes": list(t.mistakes),
            "error_kind": t.error_kind,
        }
        for t in report.tests
    ]
    return {RESULTS_MIME: {"tests": tests}, "text/plain": ""}


def feedback(
    exercise: str,
    tests: list[TestResult],
    visibility: str,
    where: str,
    points: float | None = None,
    chosen_by: str = "the course's setting",
) -> str:
    """What an exercise's test cell shows of its hidden tests, under the course's visibility ``policy``.

    nbgrader's feedback reaches students only when the instructor releases it, so Gradescope's ``visible``,
    ``after_due_date`` and ``after_published`` all show the messages; ``points-only`` shows each test's title and
    points without any message (no input, no expected value); ``hidden`` shows the exercise's points alone.
    ``points``: what the cell is worth, said when it is not the hidden tests' total (a stale notebook);
    ``chosen_by``: where the policy came from, recorded with it.
    """
    score, total = round(sum(t.score for t in tests), 6), round(sum(t.max_score for t in tests), 6)
    lines = [f"{exercise}: {score:g}/{total:g} points from the hidden tests", how_scored(visibility, where, chosen_by)]
    if points is not None and abs(points - total) > 1e-9:
        scaled = round(points * score / total, 4) if total else 0.0
        lines.append(
            f"This cell is worth {points:g} points, not {total:g}: it records {scaled:g}/{points:g} "
            "(the notebook is older than the hidden tests; your instructor has been warned)"
        )
    if visibility == "hidden":
        return "\n".join([*lines, HIDDEN_NOTE])
    shown_in_full: dict[tuple[str, ...], TestResult] = {}
    explained: dict[tuple[str, ...], int] = {}
    for t in tests:
        if t.status != "passed":
            named = tuple(t.mistakes)
            explained[named] = explained.get(named, 0) + 1
    for t in tests:
        mark = "ok  " if t.status == "passed" else "FAIL"
        lines.append(f"{mark} {printable(t.title, keep_newlines=False)}  ({t.score:g}/{t.max_score:g})")
        if t.status == "passed" or not t.output.strip() or visibility == "points-only":
            continue
        message = shorten(t.output)
        named = tuple(t.mistakes)
        first = shown_in_full.get(named) if named else None
        if first is not None:
            lines += [DETAIL + message[0], DETAIL + SAME_MISTAKE.format(title=printable(first.title, False))]
            continue
        lines += [DETAIL + line for line in message]
        if named and explained[named] > 1:
            shown_in_full[named] = t
            others = explained[named] - 1
            lines.append(f"{DETAIL}This mistake also explains the {others} other failure(s) below that say so.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- nbgrader's autograde step


def test_cell_exercise(cell: Any) -> str | None:
    """The exercise whose autograded test cell ``cell`` is (grade id ``<exercise>-tests``), or None."""
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    grade_id = str(meta.get("grade_id", ""))
    if cell.get("cell_type") != "code" or not meta.get("grade") or not grade_id.endswith(TEST_CELL_SUFFIX):
        return None
    exercise = grade_id.removesuffix(TEST_CELL_SUFFIX)
    return exercise if exercise in EXERCISES else None


@dataclass
class CellGrade:
    """One test cell's grade from the sandbox: what nbgrader records (out of the cell's points) and what it shows."""

    exercise: str
    score: float
    text: str
    tests: list[TestResult] = dataclasses.field(default_factory=list)  # shown as data too (results_bundle)


class SandboxGradingError(RuntimeError):
    """The isolated grader could not grade a notebook (it refused the sandbox, or the kit has no hidden suites)."""


def _results_tests(data: dict[str, Any]) -> dict[str, list[TestResult]]:
    """exercise -> its hidden tests, from a ``results.json`` written with the ``visible`` policy."""
    by_exercise: dict[str, list[TestResult]] = {}
    for entry in data.get("tests", []):
        tags = entry.get("tags") or []
        if PUBLIC_TAG in tags or not tags:
            continue
        exercise = str(tags[0])
        extra = entry.get("extra_data") if isinstance(entry.get("extra_data"), dict) else {}
        by_exercise.setdefault(exercise, []).append(
            TestResult(
                exercise=exercise,
                name=str(entry.get("name", "")),
                title=str(entry.get("name", "")).removeprefix(f"{exercise}: "),
                max_score=float(entry.get("max_score", 0.0)),
                score=float(entry.get("score", 0.0)),
                status="passed" if entry.get("status") == "passed" else "failed",
                output=str(entry.get("output", "")),
                mistakes=[str(m) for m in extra.get("mistakes", []) if isinstance(m, str)],
                error_kind=str(extra.get("error_kind", "")),
            )
        )
    return by_exercise


def _sandbox(data: dict[str, Any]) -> str:
    isolation = (data.get("extra_data") or {}).get("isolation") or {}
    achieved = ", ".join(isolation.get("achieved", [])) or "none"
    return f"in the isolated worker (sandbox: {achieved})"


def grade_notebook(
    nb: Any, visibility: str, name: str = "notebook", siblings: Sequence[Path] = ()
) -> tuple[dict[str, CellGrade], list[str]]:
    """Grade the ``%%module`` cells of ``nb`` in the isolated worker; exercise -> its test cell's grade, and warnings.

    Runs ``python -m autograder grade`` on the notebook as handed in (only its module cells are read, as for any
    notebook hand-in; nothing of it runs in this process), for the exercises that have a test cell. Beside it go
    ``siblings`` (the same student's notebooks of the other parts: Part 3 builds on Part 2, which its notebook brings
    rather than pastes) and the released stubs, so that a module no notebook holds is the stub, by the hand-in's one
    rule (:mod:`autograder.grading.handin`): an exercise is never lost to a missing import of another part. A cell whose
    points differ from its hidden tests' total (a course folder older than the suites) is scaled to its points, and
    a warning says so. Raises :class:`SandboxGradingError` when the grader could not run: never a silent zero.
    """
    if visibility not in VISIBILITIES:
        raise SandboxGradingError(
            f"c.SandboxGrades.hidden_visibility = {visibility!r} in nbgrader_config.py: expected one of "
            + ", ".join(VISIBILITIES)
        )
    cells = {exercise: cell for cell in nb.cells if (exercise := test_cell_exercise(cell))}
    if not cells:
        return {}, []
    data, stderr = _grade_in_worker(nb, name, siblings, list(cells))
    tests, where = _results_tests(data), _sandbox(data)
    grades, warnings = {}, []
    for exercise, cell in cells.items():
        mine = tests.get(exercise)
        if not mine:
            raise SandboxGradingError(f"{name}: the hidden tests of {exercise} did not run:\n{stderr[-3000:]}")
        points = float(cell.metadata.nbgrader.get("points", 0))
        score, total = sum(t.score for t in mine), sum(t.max_score for t in mine)
        if abs(points - total) > 1e-9:
            warnings.append(
                f"{name}: the test cell of {exercise} is worth {points:g} points but its hidden tests {total:g}: the "
                "course folder's notebooks are older than the suites, so its score is scaled to the cell's points. "
                "Regenerate them and re-autograde every student (docs/INSTRUCTOR.md, Change points)."
            )
        grades[exercise] = CellGrade(
            exercise,
            round(points * score / total, 4) if total else 0.0,
            feedback(exercise, mine, visibility, where, points),
            mine,
        )
    return grades, warnings


def _grade_in_worker(nb: Any, name: str, siblings: Sequence[Path], exercises: list[str]) -> tuple[dict[str, Any], str]:
    """results.json (every message visible: the course's policy is applied by the caller) of ``python -m autograder
    grade`` on the notebook beside ``siblings`` and the released stubs, and the grader's stderr."""
    import nbformat

    with tempfile.TemporaryDirectory(prefix="nbgrader-sandbox-") as tmp:
        folder, results = Path(tmp) / "handin", Path(tmp) / "results.json"
        shutil.copytree(ASSIGNMENTS, folder / "assignments", ignore=shutil.ignore_patterns("__pycache__"))
        nbformat.write(nb, folder / f"{Path(name).stem or 'notebook'}.ipynb")
        for sibling in siblings:
            if sibling.is_file() and sibling.name != f"{Path(name).stem}.ipynb":
                shutil.copyfile(sibling, folder / sibling.name)
        only = [arg for exercise in exercises for arg in ("--only", exercise)]
        command = [sys.executable, "-m", "autograder", "grade", str(folder), "--results", str(results), *only]
        done = subprocess.run(
            [*command, "--hidden-visibility", "visible"],
            cwd=REPO_ROOT,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            capture_output=True,
            text=True,
            timeout=Settings.from_env().batch_timeout,
            check=False,
        )
        if done.returncode or not results.is_file():
            raise SandboxGradingError(
                f"python -m autograder grade {name} failed (exit status {done.returncode}):\n{done.stderr[-3000:]}"
            )
        return json.loads(results.read_text(encoding="utf-8")), done.stderr


def record_grades(nb: Any, grades: dict[str, CellGrade]) -> Any:
    """``nb`` with each exercise's test cell showing its sandbox grade: the feedback, then the score as the cell's
    value (nbgrader's partial credit). Whatever the kernel printed, raised or returned there is replaced.

    A test cell without a grade raises :class:`SandboxGradingError` (a cell left as the kernel ran it would keep a
    score the student's code could have forged).
    """
    import nbformat

    for cell in nb.cells:
        exercise = test_cell_exercise(cell)
        if exercise is None:
            continue
        if exercise not in grades:
            raise SandboxGradingError(f"the test cell of {exercise} was not graded in the isolated worker")
        grade = grades[exercise]
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=grade.text + "\n"),
            nbformat.v4.new_output("display_data", data=results_bundle(grade)),  # the class report reads this
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": f"{grade.score:g}"}, execution_count=cell.get("execution_count")
            ),
        ]
    return nb
