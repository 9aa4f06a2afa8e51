"""nbgrader's scores from the isolated worker and their feedback; titles safe under every policy; Gradescope's
stable numbers and uploads; a new exercise's notebook marker checked before anything is written.

The whole nbgrader round trip (a kernel-side forgery earning nothing, the feedback HTML keeping its labels) is in
tests/kit/test_nbgrader_e2e.py; these are the parts, each on its own.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.utils import determine_grade

from autograder import cli
from autograder.authoring.course import suite_points
from autograder.authoring.report import parse_notebook_feedback
from autograder.grading import gradescope, nbgrader_grades, runner
from autograder.grading.compare import Feedback, check
from autograder.grading.grade import GradeOptions
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.grading.plugin import title_of
from autograder.grading.results import Report
from autograder.grading.results import TestResult as Result
from autograder.runtime import curriculum
from autograder.settings import VISIBILITIES
from tests.mutants import all_mutants

pytestmark = pytest.mark.timeout(300)

MISTAKE = "softmax over the wrong axis"


def _failure(seed: int) -> str:
    """A real failure message of two (2, 3, 5, 7) arrays that a named mistake explains (named as data in results)."""
    x = np.random.default_rng(seed).standard_normal((2, 3, 5, 7))
    right = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    wrong = np.exp(x) / np.exp(x).sum(-2, keepdims=True)
    with pytest.raises(Feedback) as caught:
        check(wrong, right, what=f"softmax(<float64 (2, 3, 5, 7)>, seed {seed})", mistakes={MISTAKE: wrong})
    return str(caught.value)


def _result(title: str, output: str = "", points: float = 1.0, mistakes: tuple[str, ...] = ()) -> Result:
    status = "passed" if not output else "failed"
    score = points if not output else 0.0
    return Result("scaled_dot_product", title, title, points, score, status, output, mistakes=list(mistakes))


def test_a_long_failure_keeps_every_label_and_cuts_only_inside_a_part():
    message = _failure(0)
    assert len(message.splitlines()) > nbgrader_grades.FEEDBACK_LINES  # long enough to be cut
    shown = nbgrader_grades.shorten(message)
    labels = [line.split(":")[0].strip() for line in shown if nbgrader_grades.LABEL.match(line)]
    assert labels == ["Likely mistake", "Expected", "Got", "Differs at"], shown
    assert shown[0] == message.splitlines()[0]
    assert any("lines left out" in line for line in shown)
    # each cut sits right after a part's own lines: an array row of Got never appears before its label
    got = next(i for i, line in enumerate(shown) if line.strip().startswith("Got:"))
    assert shown[got - 1].strip().startswith(("...", "[")), shown


def test_a_mistake_repeated_over_tests_is_named_once_with_the_tests_it_explains():
    tests = [_result("sdpa: passes")] + [_result(f"sdpa: case {i}", _failure(i), mistakes=(MISTAKE,)) for i in range(1, 4)]
    tests.append(_result("sdpa: unnamed", "sdpa(...): expected shape (2, 3), got shape (3, 2)"))
    text = nbgrader_grades.feedback("scaled_dot_product", tests, "visible", "in the isolated worker")
    assert text.count(f"Likely mistake: {MISTAKE}") == 1, text
    assert text.count('(same mistake as "sdpa: case 1" above)') == 2
    assert "also explains the 2 other failure(s)" in text
    assert text.count("Got:") == 1 and "expected shape (2, 3), got shape (3, 2)" in text
    # the class report still counts the mistake once per test it explains (from the cell's data, not the text)
    data = nbgrader_grades.results_bundle(Report(tests=tests))[nbgrader_grades.RESULTS_MIME]["tests"]
    outcomes = parse_notebook_feedback("scaled_dot_product", text, "", 5, data)
    assert [o.mistakes for o in outcomes] == [[], [MISTAKE], [MISTAKE], [MISTAKE], []]


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_the_feedback_records_its_policy_and_shows_only_what_it_allows(visibility):
    tests = [_result("sdpa: passes"), _result("sdpa: case 1", _failure(1))]
    text = nbgrader_grades.feedback("scaled_dot_product", tests, visibility, "in the isolated worker")
    assert f"hidden tests shown: {visibility} (the course's setting)" in text
    assert text.startswith("scaled_dot_product: 1/2 points from the hidden tests")
    assert ("Expected:" in text) == (visibility not in ("hidden", "points-only"))
    assert ("sdpa: case 1" in text) == (visibility != "hidden")


def test_points_the_cell_and_the_suite_disagree_on_are_said():
    tests = [_result("a", points=24), _result("b", "wrong", points=24)]
    text = nbgrader_grades.feedback("scaled_dot_product", tests, "visible", "in the isolated worker", points=45)
    assert "24/48 points from the hidden tests" in text and "worth 45 points, not 48: it records 22.5/45" in text
    assert "worth" not in nbgrader_grades.feedback("scaled_dot_product", tests, "visible", "here", points=48)


def _one_hot_notebook(points: float, wrong: bool) -> nbformat.NotebookNode:
    """The embeddings source notebook cut to one_hot's module cells and test cell, worth ``points``."""
    nb = nbformat.read(REPO_ROOT / "nbgrader" / "source" / "embeddings" / "embeddings.ipynb", as_version=4)
    mutant = next(m for m in all_mutants() if m.id == "one_hot:ties-first-occurrence")
    keep = []
    for cell in nb.cells:
        if (cell.metadata.get("course") or {}).get("module") == "embeddings.one_hot":
            cell.source = cell.source.replace(mutant.old, mutant.new) if wrong else cell.source
            keep.append(cell)
        elif nbgrader_grades.test_cell_exercise(cell) == "one_hot":
            cell.metadata.nbgrader["points"] = points
            # what a forging kernel leaves: full marks as the cell's value
            cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": str(points)}, execution_count=1)]
            keep.append(cell)
    nb.cells = keep
    return nb


def test_a_notebook_is_scored_in_the_worker_and_its_cells_record_that_score():
    suite = suite_points()["one_hot"]
    nb = _one_hot_notebook(suite + 3, wrong=True)
    assert determine_grade(nb.cells[-1]) == (suite + 3, suite + 3)  # the forged value, before the sandbox's grade
    grades, warnings = nbgrader_grades.grade_notebook(nb, "visible", "embeddings.ipynb")
    assert [w for w in warnings if f"worth {suite + 3:g} points but its hidden tests {suite:g}" in w] == warnings != []
    text = grades["one_hot"].text
    earned = float(re.search(r"one_hot: ([\d.]+)/", text).group(1))
    assert 0 < earned < suite and "Likely mistake: ties broken by first occurrence" in text
    assert "Scored in the isolated worker (sandbox: " in text
    nbgrader_grades.record_grades(nb, grades)
    assert determine_grade(nb.cells[-1]) == (round((suite + 3) * earned / suite, 4), suite + 3)
    assert nb.cells[-1].outputs[0].text == text + "\n"


def test_a_test_cell_the_worker_did_not_grade_is_an_error_never_a_kept_score():
    nb = _one_hot_notebook(1, wrong=False)
    with pytest.raises(nbgrader_grades.SandboxGradingError, match="one_hot was not graded"):
        nbgrader_grades.record_grades(nb, {})
    with pytest.raises(nbgrader_grades.SandboxGradingError, match="hidden_visibility = 'public'"):
        nbgrader_grades.grade_notebook(nb, "public")


def test_titles_name_cases_without_pytest_ids_and_state_no_answer():
    items = []

    class Collect:
        def pytest_collection_finish(self, session):
            items.extend(session.items)

    pytest.main([*runner.pytest_args(SOLUTIONS, None, False), "--collect-only", "-q"], plugins=[Collect()])
    assert items

    def generated(item) -> bool:
        """pytest made this id itself: an argument's name and index (``specials0``), or numbers joined (``0-1``)."""
        tokens = item.callspec.id.split("-")
        numbers = all(re.fullmatch(r"-?\d+(\.\d+)?|", token) for token in tokens) and len(tokens) > 1
        return numbers or any(re.fullmatch(rf"{re.escape(name)}\d+", token) for name in item.callspec.params for token in tokens)

    parametrized = [i for i in items if hasattr(i, "callspec")]
    assert [i.nodeid for i in parametrized if generated(i)]  # the suites have such cases
    assert [title_of(i) for i in parametrized if generated(i) and f"[{i.callspec.id}]" in title_of(i)] == []
    answer = re.compile(r"\b(is|are|gives?|outputs?|average of|equals?)\s+[\[(]*-?\d")
    assert [title_of(i) for i in items if answer.search(title_of(i))] == []
    assert "build_vocab: ids by count, ties alphabetical, specials first, min_count [case 2]" in map(title_of, items)


def test_gradescope_numbers_stay_when_an_exercise_is_inserted(monkeypatch):
    assert set(curriculum.EXERCISES) <= set(gradescope.EXERCISE_NUMBERS)
    assert len(set(gradescope.EXERCISE_NUMBERS.values())) == len(gradescope.EXERCISE_NUMBERS)
    report = Report(tests=[_result("sdpa: passes"), Result("models", "m", "m", 1, 1, "passed")])

    def numbers() -> list[str]:
        return [t["number"] for t in report.to_gradescope()["tests"]]

    before = numbers()
    inserted = {**dict(list(curriculum.EXERCISES.items())[:8]), "beam_search": "embeddings.beam_search"}
    inserted.update(dict(list(curriculum.EXERCISES.items())[8:]))
    monkeypatch.setattr("autograder.grading.results.EXERCISES", inserted)
    assert numbers() == before == ["9.1", "14.1"]


def test_a_zip_inside_a_gradescope_upload_is_graded(tmp_path):
    (tmp_path / "submission").mkdir()
    with zipfile.ZipFile(tmp_path / "submission" / "handin.zip", "w") as z:
        z.write(SOLUTIONS / "embeddings" / "one_hot.py", "embeddings/one_hot.py")
    gradescope.gradescope_run(tmp_path, GradeOptions(Path("unused.json"), only=["one_hot"], in_process=True))
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == results["max_score"] == suite_points()["one_hot"]
    assert "Graded the files inside handin.zip" in results["output"]


def test_an_upload_with_nothing_to_grade_says_what_it_holds(tmp_path):
    (tmp_path / "submission" / "docs").mkdir(parents=True)
    (tmp_path / "submission" / "docs" / "notes.txt").write_text("my answers")
    gradescope.gradescope_run(tmp_path, GradeOptions(Path("unused.json"), only=["one_hot"], in_process=True))
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "found: docs/notes.txt" in results["output"]


def test_a_new_exercise_without_its_notebook_marker_stops_before_any_stub_is_written(tmp_path, monkeypatch, capsys):
    src, dst = tmp_path / "solutions", tmp_path / "assignments"
    for path in SOLUTIONS.rglob("*.py"):
        (src / path.relative_to(SOLUTIONS)).parent.mkdir(parents=True, exist_ok=True)
        (src / path.relative_to(SOLUTIONS)).write_text(path.read_text())
    (src / "transformer" / "beam_search.py").write_text(
        'def beam_search(x):\n    """One step."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    )
    monkeypatch.setitem(curriculum.EXERCISES, "beam_search", "transformer.beam_search")
    monkeypatch.setitem(curriculum.PART_OF, "beam_search", "transformer")
    assert cli.main(["stubs", "--src", str(src), "--dst", str(dst)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: release/notebooks/transformer.md has no <!-- exercise: beam_search -->: add that line where the "
        "exercise's cells go in the notebook (docs/INSTRUCTOR.md, Add an exercise)"
    ]
    assert not dst.exists()


def test_the_instructor_guide_documents_each_step():
    guide = (REPO_ROOT / "docs" / "INSTRUCTOR.md").read_text()
    for step in ("<!-- exercise: beam_search -->", "AUTOGRADER_ROOT", "c.SandboxGrades.hidden_visibility",
                 "nbgrader autograde PART --force", "EXERCISE_NUMBERS"):
        assert step in guide, step
