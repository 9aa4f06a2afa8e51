"""The student's commands as the README gives them: several exercises at once, and a hand-in that says what is graded."""

import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograder import cli, student
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS
from autograder.notebook.cells import cell_source, read_notebook


def test_test_takes_several_exercises_and_runs_each_ones_public_tests():
    ns = cli.parse(["test", "one_hot", "similarity", "--", "-x"])
    assert ns.exercises == ["one_hot", "similarity"] and ns.pytest_args == ["-x"]
    args = student.pytest_args(ns.exercises, SOLUTIONS)
    assert args[:2] == [str(REPO_ROOT / "tests" / "public" / f"test_{name}.py") for name in ("one_hot", "similarity")]
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "test", "one_hot", "similarity", "--no-venv", "--", "-p", "no:randomly",
         "--submission", str(SOLUTIONS)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "file or directory not found" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["watch", "cbow", "skipgram"], "watch EXERCISE [-- pytest arguments]"),
        (["test", "cbow", "-x", "skipgram"], "test [EXERCISE ...] [-- pytest arguments]"),
    ],
)
def test_an_exercise_where_pytest_arguments_go_is_refused_with_a_usage_line(argv, usage, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.parse(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "'skipgram' is an exercise, not a pytest argument" in err and usage in err


def test_an_unknown_exercise_is_refused_before_anything_runs(capsys):
    assert cli.main(["test", "cbow", "skipgrma", "--no-venv"]) == 2
    assert "unknown exercise(s) ['skipgrma']" in capsys.readouterr().err


def _bundle_like(tmp_path, notebook_modules: dict[str, str]):
    """assignments/ (the stubs) and notebooks/embeddings.ipynb holding ``notebook_modules``' cells."""
    root = tmp_path / "repo"
    for path in ASSIGNMENTS.rglob("*.py"):
        (root / path.relative_to(REPO_ROOT)).parent.mkdir(parents=True, exist_ok=True)
        (root / path.relative_to(REPO_ROOT)).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    nb = nbformat.v4.new_notebook(metadata={"course": {"part": "embeddings"}})
    nb.cells = [nbformat.v4.new_code_cell(cell_source(module, source)) for module, source in notebook_modules.items()]
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "embeddings.ipynb")
    return root


def test_the_hand_in_says_per_module_which_file_or_notebook_is_graded(tmp_path):
    one_hot = (SOLUTIONS / "embeddings" / "one_hot.py").read_text(encoding="utf-8")
    root = _bundle_like(tmp_path, {"embeddings.one_hot": one_hot})
    (root / "assignments" / "embeddings" / "bpe.py").write_text((SOLUTIONS / "embeddings" / "bpe.py").read_text())
    names = student.zip_handin(tmp_path / "handin.zip", root)
    assert "notebooks/embeddings.ipynb" in names
    notes = student.graded_from(tmp_path / "handin.zip")
    assert "embeddings.one_hot: graded from the notebook cells of notebooks/embeddings.ipynb (%%module embeddings.one_hot)" in notes
    assert "embeddings.bpe: graded from assignments/embeddings/bpe.py" in notes
    assert "embeddings.cbow: graded from assignments/embeddings/cbow.py (still the stub you were given)" in notes


def test_the_zip_command_prints_the_list(tmp_path, monkeypatch, capsys):
    root = _bundle_like(tmp_path, {})
    zip_handin = student.zip_handin
    monkeypatch.setattr(student, "zip_handin", lambda dest: zip_handin(dest, root))
    assert cli.main(["zip", "--out", str(root / "handin.zip")]) == 0
    out = capsys.readouterr().out
    assert "what will be graded, module by module:" in out
    assert "  embeddings.one_hot: graded from assignments/embeddings/one_hot.py (still the stub you were given)" in out


def test_a_notebook_reads_without_nbformat_as_with_it(tmp_path, monkeypatch):
    """``zip`` runs on the bare Python of the README, before any set-up: the notebooks read with the standard library."""
    path = tmp_path / "embeddings.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"course": {"part": "embeddings"}})
    nb.cells = [nbformat.v4.new_code_cell("%%module embeddings.one_hot\nX = 1\nY = 2")]
    nbformat.write(nb, path)
    with_nbformat = read_notebook(path)
    monkeypatch.setitem(sys.modules, "nbformat", None)  # import nbformat now raises ModuleNotFoundError
    bare = read_notebook(path)
    assert bare.cells[0].source == with_nbformat.cells[0].source and bare.metadata["course"] == {"part": "embeddings"}
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.writestr("notebooks/embeddings.ipynb", path.read_text())
    assert any("graded from the notebook cells of notebooks/embeddings.ipynb" in n for n in student.graded_from(tmp_path / "x.zip"))
