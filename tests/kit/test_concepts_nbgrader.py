"""Concept checks and written answers through nbgrader's own commands: a round trip of Part 2's questions.

The course folder holds the attention notebook built with its concept module alone (the code exercises' sections
left out, so the notebook is small and quick to autograde; every question is then placed under the concept
exercise). ``nbgrader generate_assignment`` releases it, two students hand it in (``submitted/``, as ``collect``
leaves it), ``nbgrader autograde`` grades the concept checks and leaves the written cells to formgrader with the
rubric under each answer, a grader's manual scores (set through nbgrader's gradebook API, as formgrader does) are
added by ``nbgrader export``, and ``nbgrader generate_feedback`` leaves the rubrics out.

- ``alice`` hands in the reference: every concept check right, her written answers wait for the grader;
- ``bob`` leaves out the 1/sqrt(d_k) in the two-key example and writes no written answer.
"""

import csv
import html
import os
import re
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.course import COURSE_DIR, solution_modules, suite_points
from autograder.authoring.nbgrader import fill_solutions, nbgrader, tools_on_path
from autograder.authoring.notebooks import build_notebook
from autograder.authoring.written import by_id
from autograder.grading.loader import REPO_ROOT

pytestmark = pytest.mark.timeout(600)

PART = "attention"
EXERCISE = "attention_concepts"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_KIT", "PYTHONPATH")}
    return {**env, "COURSE_KIT": str(REPO_ROOT)}


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text((COURSE_DIR / "nbgrader_config.py").read_text())
    modules = {m: p for m, p in solution_modules().items() if m == f"{PART}.{EXERCISE}"}
    source = build_notebook(PART, suite_points(), modules)
    (course / "source" / PART).mkdir(parents=True)
    nbformat.write(source, course / "source" / PART / f"{PART}.ipynb")
    env = _env()
    nbgrader(["generate_assignment", PART, "--force"], course, env)
    released = nbformat.read(course / "release" / PART / f"{PART}.ipynb", as_version=4)
    for student in ("alice", "bob"):
        nb = fill_solutions(nbformat.read(course / "release" / PART / f"{PART}.ipynb", as_version=4), source)
        if student == "bob":
            cell = _cell(nb, f"{EXERCISE}-two_key_weights")
            cell.source = cell.source.replace("return [0.881, 0.119]", "return [0.982, 0.018]")
            for c in nb.cells:
                if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("written-"):
                    c.source = _cell(released, c.metadata.nbgrader.grade_id).source  # as released: unanswered
        folder = course / "submitted" / student / PART
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{PART}.ipynb")
        (folder / "timestamp.txt").write_text("2030-01-01 00:00:00.000000 UTC")
    nbgrader(["autograde", PART, "--force"], course, env)
    return {"course": course, "released": released, "env": env}


def _grades(course: Path) -> dict[tuple[str, str], tuple[float | None, bool]]:
    """(student, grade_id) -> (auto score, needs manual grade), with nbgrader's gradebook API."""
    from nbgrader.api import Gradebook

    os.environ["PATH"] = tools_on_path()["PATH"]
    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "eat") as gb:
        for student in ("alice", "bob"):
            nb = gb.find_submission_notebook(PART, PART, student)
            for grade in nb.grades:
                out[(student, grade.name)] = (grade.auto_score, grade.needs_manual_grade)
    return out


def test_the_release_asks_each_question_without_its_answer(course):
    released = course["released"]
    text = "\n".join(c.source for c in released.cells)
    assert "return [0.881, 0.119]" not in text and "BEGIN SOLUTION" not in text
    for qid, q in by_id(PART).items():
        assert _cell(released, f"written-{qid}").source.strip() == "YOUR ANSWER HERE"
        assert q.title in _cell(released, f"written-{qid}-question").source
        assert q.rubric[0][1] not in text  # no rubric reaches the students


def test_autograde_grades_the_concept_checks_and_names_the_misconception(course):
    grades = _grades(course["course"])
    points = suite_points()[EXERCISE]
    assert grades[("alice", f"{EXERCISE}-tests")] == (points, False)
    assert grades[("bob", f"{EXERCISE}-tests")][0] == points - 1
    bob = nbformat.read(course["course"] / "autograded" / "bob" / PART / f"{PART}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in _cell(bob, f"{EXERCISE}-tests").outputs)
    assert "two_key_weights: your answer [0.982, 0.018] is not right" in printed
    assert "Likely mistake: no 1/sqrt(d_k) scaling of the scores" in printed


def test_written_answers_wait_for_formgrader_with_the_rubric_under_each(course):
    grades = _grades(course["course"])
    questions = by_id(PART)
    for qid in questions:
        assert grades[("alice", f"written-{qid}")] == (None, True)  # answered: formgrader's
        assert grades[("bob", f"written-{qid}")] == (0, False)  # unanswered: nbgrader gives 0 itself
    alice = nbformat.read(course["course"] / "autograded" / "alice" / PART / f"{PART}.ipynb", as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in alice.cells]
    for qid, q in questions.items():
        rubric = alice.cells[ids.index(f"written-{qid}") + 1]
        assert rubric.cell_type == "markdown" and rubric.source.startswith("**Rubric for the grader")
        assert all(text in rubric.source for _, text in q.rubric) and q.errors[0] in rubric.source


def test_manual_scores_add_up_in_the_export_and_feedback_has_no_rubric(course):
    from nbgrader.api import Gradebook

    os.environ["PATH"] = tools_on_path()["PATH"]
    questions = by_id(PART)
    with Gradebook(f"sqlite:///{course['course'] / 'gradebook.db'}", "eat") as gb:
        for qid, q in questions.items():  # what formgrader does when the grader types a score
            gb.find_grade(f"written-{qid}", PART, PART, "alice").manual_score = q.points - 1
        gb.db.commit()
    nbgrader(["export"], course["course"], course["env"])
    rows = {r["student_id"]: r for r in csv.DictReader((course["course"] / "grades.csv").open())}
    auto = suite_points()[EXERCISE]
    written = sum(q.points for q in questions.values())
    assert float(rows["alice"]["score"]) == auto + written - len(questions)
    assert float(rows["alice"]["max_score"]) == auto + written
    nbgrader(["generate_feedback", PART, "--force"], course["course"], course["env"])
    page = (course["course"] / "feedback" / "alice" / PART / f"{PART}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "Rubric for the grader" not in text
    assert not [t for q in questions.values() for _, t in q.rubric if t in text]
