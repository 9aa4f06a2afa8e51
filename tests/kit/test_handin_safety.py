"""Every hand-in format is as safe as a folder, and what students see of hidden tests follows the policy.

- notebook hand-ins write modules only inside the submission root, under the curriculum's names,
  whatever a cell's ``%%module`` line says;
- an unreadable or malformed notebook, a tree too deep or with too many files: a clear message in a
  results file, never a grader crash;
- results.json under each visibility policy; a kit without its hidden suites fails loudly.
"""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading import handin
from autograder.grading import results as grading_results
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.grading.sandbox import MAX_DEPTH, SubmissionError
from autograder.settings import VISIBILITIES

ONE_HOT = (SOLUTIONS / "embeddings" / "one_hot.py").read_text()


def _notebook(path: Path, cells: dict[str, str]) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"%%module {m}\n{code}") for m, code in cells.items()])
    nbformat.write(nb, path)
    return path


def _grade(submission: Path, results: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(results), "--only", "one_hot", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped", "embeddings/../../escaped", "os", "embeddings.one_hot.x"])
def test_a_module_line_never_writes_outside_the_root_nor_under_another_name(tmp_path, name):
    (tmp_path / "handin").mkdir()
    _notebook(tmp_path / "handin" / "work.ipynb", {"embeddings.one_hot": ONE_HOT, name: "X = 1\n"})
    root, notes = handin.prepare(tmp_path / "handin", tmp_path / "out" / "root")
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert written == ["embeddings/__init__.py", "embeddings/one_hot.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handin", "out"]  # nothing beside the root
    assert not Path("/tmp/escaped.py").exists()
    assert any("ignored (not a module of the course)" in n for n in notes), notes


def test_write_root_refuses_any_other_name(tmp_path):
    from autograder.notebook.cells import write_root

    with pytest.raises(ValueError, match="not a module of the course"):
        write_root({"../x": "X = 1\n"}, tmp_path / "root")
    assert not (tmp_path / "x.py").exists()


@pytest.mark.parametrize("content", [b"{not json", b'{"cells": 3}', b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', b"\xff\xfe"])
def test_a_malformed_notebook_is_a_clear_results_file(tmp_path, content):
    (tmp_path / "handin").mkdir()
    (tmp_path / "handin" / "embeddings.ipynb").write_bytes(content)
    with pytest.raises(SubmissionError, match="embeddings.ipynb is not a readable notebook"):
        handin.prepare(tmp_path / "handin", tmp_path / "root")
    done = _grade(tmp_path / "handin", tmp_path / "results.json", "--in-process")
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 0 and "embeddings.ipynb is not a readable notebook" in results["output"]
    assert results["tests"] and all(t["score"] == 0 for t in results["tests"])


def test_a_tree_too_deep_is_refused_with_a_message(tmp_path):
    deep = tmp_path / "handin"
    folder = deep.joinpath(*["d"] * (MAX_DEPTH + 2))
    folder.mkdir(parents=True)
    (folder / "one_hot.py").write_text(ONE_HOT)
    with pytest.raises(SubmissionError, match=r"folders more than \d+ deep"):
        handin.prepare(deep, tmp_path / "root")
    done = _grade(deep, tmp_path / "results.json", "--in-process")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "deep" in json.loads((tmp_path / "results.json").read_text())["output"]


MAX_FILES = 50  # AUTOGRADER_MAX_FILES, set lower for this test


def test_a_tree_with_too_many_files_is_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_MAX_FILES", str(MAX_FILES))
    many = tmp_path / "handin"
    many.mkdir()
    for i in range(MAX_FILES + 1):
        (many / f"f{i}.txt").write_bytes(b"")
    with pytest.raises(SubmissionError, match=f"more than {MAX_FILES} files"):
        handin.prepare(many, tmp_path / "root")
    done = _grade(many, tmp_path / "results.json", "--in-process")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"more than {MAX_FILES} files" in json.loads((tmp_path / "results.json").read_text())["output"]


def test_the_rule_for_a_file_and_a_notebook_that_differ(tmp_path):
    """The changed one is graded; both changed: the file, and the note says the notebook was not graded."""
    stub = (REPO_ROOT / "assignments" / "embeddings" / "one_hot.py").read_text()
    wrong = ONE_HOT.replace("def build_vocab", "def build_vocab_unused")
    for name, (file_text, notebook_text, graded, says) in {
        "notebook-only": (stub, ONE_HOT, ONE_HOT, "graded from the notebook cells of notebooks/embeddings.ipynb"),
        "file-only": (ONE_HOT, stub, ONE_HOT, "graded from assignments/embeddings/one_hot.py"),
        "both": (ONE_HOT, wrong, ONE_HOT, "cells of notebooks/embeddings.ipynb differ and were not graded"),
    }.items():
        repo = tmp_path / name
        (repo / "assignments" / "embeddings").mkdir(parents=True)
        (repo / "assignments" / "embeddings" / "one_hot.py").write_text(file_text)
        (repo / "notebooks").mkdir()
        _notebook(repo / "notebooks" / "embeddings.ipynb", {"embeddings.one_hot": notebook_text})
        root, notes = handin.prepare(repo, tmp_path / f"{name}-root")
        assert (root / "embeddings" / "one_hot.py").read_text().strip() == graded.strip(), name
        assert any(says in n for n in notes), (name, notes)


def _report() -> grading_results.Report:
    return grading_results.Report(tests=[
        grading_results.TestResult("one_hot", "t1", "encode of [1, 2]", 2, 2, "passed"),
        grading_results.TestResult("one_hot", "t2", "one_hot of [[1]]", 3, 0, "failed", "Likely mistake: transposed\nexpected [[0., 1.]] got [[1., 0.]]"),
    ])


def test_results_json_under_each_visibility_policy():
    for policy in VISIBILITIES:
        data = _report().to_gradescope(policy)
        assert data["score"] == 2 and data["max_score"] == 5 and data["visibility"] == "visible"
        per_test = [t for t in data["tests"] if t["name"].startswith("one_hot: ") and "hidden tests" not in t["name"]]
        shown = [t for t in data["tests"] if t["visibility"] == "visible"]
        if policy == "points-only":
            assert {t["visibility"] for t in per_test} == {"hidden"}
            (summary,) = shown
            assert summary["score"] == 2 and summary["max_score"] == 5
            assert "transposed" not in summary["output"] and "[[" not in summary["output"]
        else:
            assert {t["visibility"] for t in per_test} == {policy}
    with pytest.raises(ValueError):
        _report().to_gradescope("public")


def test_grade_hidden_visibility_option_and_setting(tmp_path):
    (tmp_path / "sub" / "embeddings").mkdir(parents=True)
    (tmp_path / "sub" / "embeddings" / "one_hot.py").write_text(ONE_HOT.replace("def one_hot(", "def _gone("))
    done = _grade(tmp_path / "sub", tmp_path / "r.json", "--in-process", "--hidden-visibility", "points-only")
    assert done.returncode == 0, done.stderr[-2000:]
    shown = [t for t in json.loads((tmp_path / "r.json").read_text())["tests"] if t["visibility"] == "visible"]
    assert [t["name"] for t in shown] == ["one_hot: hidden tests"] and 0 < shown[0]["score"] < shown[0]["max_score"]
    bad = _grade(tmp_path / "sub", tmp_path / "r.json", "--in-process", "--hidden-visibility", "public")
    assert bad.returncode == 2


def test_a_kit_without_hidden_suites_fails_loudly(tmp_path):
    """A student's copy of the grader (no autograder/suites/) exits non-zero and writes no zero."""
    from autograder.layout import student_kit_files

    kit = tmp_path / "kit"
    for path, name in student_kit_files():
        (kit / name).parent.mkdir(parents=True, exist_ok=True)
        (kit / name).write_bytes(path.read_bytes())
    (tmp_path / "sub" / "embeddings").mkdir(parents=True)
    (tmp_path / "sub" / "embeddings" / "one_hot.py").write_text(ONE_HOT)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "sub"), "--results", str(tmp_path / "r.json"), "--in-process"],
                          cwd=kit, capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 3, (done.stdout[-1000:], done.stderr[-2000:])
    assert "no hidden suites" in done.stderr and "COURSE_KIT" in done.stderr
    assert not (tmp_path / "r.json").exists()
