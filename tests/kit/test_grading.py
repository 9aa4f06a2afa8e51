"""The hidden suites end to end: the reference scores full marks, the stubs zero, every exercise is graded."""

import json
import shutil
import subprocess
import sys

import pytest

from autograder import cli
from autograder.grading import runner
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS
from autograder.grading.results import Report
from autograder.grading.runner import grade, suite_files
from autograder.runtime.curriculum import EXERCISES


@pytest.fixture(scope="module")
def reference_report() -> Report:
    report, _ = grade(SOLUTIONS, isolated=False)
    return report


@pytest.fixture(scope="module")
def stub_report() -> Report:
    report, _ = grade(ASSIGNMENTS, isolated=False)
    return report


def test_every_exercise_has_a_hidden_suite_and_public_tests():
    assert [p.stem.removeprefix("test_") for p in suite_files()] == list(EXERCISES)
    public = REPO_ROOT / "tests" / "public"
    assert sorted(p.stem.removeprefix("test_") for p in public.glob("test_*.py")) == sorted(EXERCISES)


def test_reference_scores_full_marks(reference_report: Report):
    failed = [f"{t.exercise}::{t.name}: {t.output[:300]}" for t in reference_report.tests if t.status != "passed"]
    assert failed == []
    assert reference_report.score == reference_report.max_score > 0
    assert {t.exercise for t in reference_report.tests} == set(EXERCISES)


def test_stubs_score_zero_and_say_not_implemented(stub_report: Report):
    assert stub_report.score == 0
    assert {t.status for t in stub_report.tests} == {"not_implemented"}
    assert {s.status for s in stub_report.exercises()} == {"not implemented yet"}


def test_results_json_follows_gradescope_schema(tmp_path):
    path = tmp_path / "results.json"
    grade(SOLUTIONS, only=["one_hot"], isolated=False, results=path)
    data = json.loads(path.read_text())
    assert set(data) >= {"score", "max_score", "execution_time", "output", "stdout_visibility", "tests"}
    assert data["score"] == data["max_score"] == sum(t["max_score"] for t in data["tests"])
    numbers = [t["number"] for t in data["tests"]]
    assert len(set(numbers)) == len(numbers)
    for t in data["tests"]:
        assert set(t) >= {"name", "number", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed") and t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")


def test_public_tests_join_the_results_visible_and_worth_nothing(tmp_path):
    path = tmp_path / "results.json"
    assert cli.main(["grade", str(ASSIGNMENTS), "--only", "masks", "--in-process", "--public", "--hidden-visibility", "hidden",
                     "--results", str(path)]) == 0
    data = json.loads(path.read_text())
    public = [t for t in data["tests"] if t["tags"] == ["masks", "public"]]
    hidden = [t for t in data["tests"] if t not in public]
    assert len(public) == (REPO_ROOT / "tests" / "public" / "test_masks.py").read_text().count("\ndef test_") > 0
    assert {t["visibility"] for t in public} == {"visible"} and {t["visibility"] for t in hidden} == {"hidden"}
    assert {(t["score"], t["max_score"], t["status"], t["output"]) for t in public} == {(0, 0, "failed", "not implemented yet")}
    assert all(t["name"].startswith("public: masks: ") and t["number"].startswith("P.") for t in public)
    assert data["max_score"] == sum(t["max_score"] for t in hidden) > 0
    assert len({t["number"] for t in data["tests"]}) == len(data["tests"])


def test_public_tests_that_cannot_run_leave_the_grade_and_say_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "PUBLIC", tmp_path / "no-public-tests")
    path = tmp_path / "results.json"
    assert cli.main(["grade", str(SOLUTIONS), "--only", "one_hot", "--in-process", "--public", "--results", str(path)]) == 0
    data = json.loads(path.read_text())
    assert data["score"] == data["max_score"] > 0 and all("public" not in t["tags"] for t in data["tests"])
    assert "The public tests did not run: no public tests in" in data["output"]
    assert "warning: no public tests in" in capsys.readouterr().err

def test_an_exercise_that_hung_in_the_hidden_tests_is_not_hung_again_by_the_public_ones(tmp_path):
    submission = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, submission, ignore=shutil.ignore_patterns("__pycache__"))
    masks = submission / "attention" / "masks.py"
    masks.write_text(masks.read_text() + "\n\ndef padding_mask(tokens, pad_id):\n    while True:\n        pass\n")
    path = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--only", "one_hot", "--only", "masks",
                           "--public", "--results", str(path)], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(path.read_text())
    assert {t["tags"][0] for t in data["tests"] if t["tags"][1:] == ["public"]} == {"one_hot"}
    assert "Public tests not run for masks: a function there hung in the hidden tests." in data["output"]
    assert any(t["tags"] == ["masks"] and "did not finish" in t["output"] for t in data["tests"])

def test_grading_is_deterministic(tmp_path):
    first, second = (grade(SOLUTIONS, only=["one_hot"], isolated=False)[0] for _ in range(2))
    strip = [(t.name, t.score, t.status, t.output) for t in first.tests]
    assert strip == [(t.name, t.score, t.status, t.output) for t in second.tests]


def run_public(submission, *extra):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/public", "-p", "autograder.grading.plugin", "--submission", str(submission), "-q", *extra],
        cwd=REPO_ROOT, capture_output=True, text=True, env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"},
    )


def test_public_tests_pass_on_the_reference():
    result = run_public(SOLUTIONS)
    assert result.returncode == 0, result.stdout[-3000:]


def test_public_tests_on_the_stubs_list_every_exercise_as_not_implemented():
    result = run_public(ASSIGNMENTS)
    assert result.returncode == 1
    table = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│├└"]
    for name in EXERCISES:
        row = next((line for line in table if f" {name} " in line), "")
        assert "not implemented yet" in row, f"{name}: {row!r}"
    assert table and max(len(line) for line in table) <= 80
