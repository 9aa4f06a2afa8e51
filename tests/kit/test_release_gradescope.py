"""Gradescope: `make gradescope`'s autograder.zip, and its run_autograder in a simulated /autograder tree.

Gradescope unpacks the zip into /autograder/source, copies run_autograder to /autograder/run_autograder,
puts the student's files in /autograder/submission and reads /autograder/results/results.json.
AUTOGRADER_ROOT moves that tree into a temporary folder. The reference runs on one exercise per
part (the full reference is graded by test_grading.py); the stubs run on every exercise.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from autograder.authoring.course import suite_points
from autograder.authoring.gradescope import build_gradescope
from autograder.authoring.notebooks import clear_hidden_tests, source_notebooks
from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS
from autograder.grading.runner import PUBLIC
from autograder.install import torch_requirements
from autograder.runtime.curriculum import EXERCISES

pytestmark = pytest.mark.timeout(600)

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
# https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format
RESULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number"},  # not in Gradescope's spec (it ignores it); the kit's gradebook reads it
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "score": {"type": "number", "minimum": 0},
                    "max_score": {"type": "number", "minimum": 0},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": FORMAT,
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": FORMAT,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": VISIBILITY,
                    "extra_data": {"type": "object"},
                },
                "additionalProperties": False,
            },
        },
    },
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def points() -> dict[str, float]:
    return suite_points()


@pytest.fixture(scope="module")
def one_per_part(points) -> list[str]:
    parts = {}
    for name in points:
        parts.setdefault(EXERCISES[name].split(".")[0], name)
    return list(parts.values())


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    return build_gradescope(tmp_path_factory.mktemp("dist") / "autograder.zip")


def start_autograder(autograder_zip: Path, tmp: Path, fill_submission, *args: str, python: str = sys.executable) -> tuple[subprocess.Popen, Path]:
    """Gradescope's steps in ``tmp/autograder``, up to starting run_autograder (several run at once)."""
    root = tmp / "autograder"
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    fill_submission(root / "submission")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_KIT")}
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python)
    process = subprocess.Popen([str(root / "run_autograder"), *args], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, root


def finish(started: tuple[subprocess.Popen, Path], graded: bool = True) -> dict:
    """Wait for run_autograder (exit 0 when it ``graded``, else non-zero); its results.json, checked against the
    schema."""
    process, root = started
    _, err = process.communicate(timeout=540)
    assert (process.returncode == 0) == graded, (process.returncode, err[-2000:])
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def copy_tree(src: Path):
    return lambda dest: shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


def only(names):
    return [arg for name in names for arg in ("--only", name)]


@pytest.fixture(scope="module")
def results(autograder_zip, tmp_path_factory, points, one_per_part) -> dict[str, dict]:
    """Every simulated submission, run side by side."""

    def repository(dest: Path) -> None:
        """A whole student repository: untouched stubs, the work done in the notebooks."""
        shutil.copytree(ASSIGNMENTS, dest / "assignments", ignore=shutil.ignore_patterns("__pycache__"))
        (dest / "notebooks").mkdir()
        for path, text in source_notebooks(points).items():
            nbformat.write(clear_hidden_tests(nbformat.reads(text, as_version=4)), dest / "notebooks" / path.name)

    runs = {
        "stubs": (copy_tree(ASSIGNMENTS),),
        "modules": (copy_tree(SOLUTIONS), *only(one_per_part)),
        "notebooks": (repository, *only(one_per_part)),
    }
    started = {name: start_autograder(autograder_zip, tmp_path_factory.mktemp(name), *run) for name, run in runs.items()}
    return {name: finish(run) for name, run in started.items()}


def test_zip_layout_scripts_and_pins(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        requirements = z.read("requirements.txt").decode()
        setup = z.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
    assert all(modes[name] & stat.S_IXUSR for name in ("setup.sh", "run_autograder"))
    assert any(n.startswith("autograder/suites/test_") for n in names) and "autograder/suites/pytest.ini" in names
    assert any(n.startswith("solutions/") for n in names) and any(n.startswith("course/") for n in names)
    assert not any("__pycache__" in n for n in names)
    assert "-m autograder.install" in setup and "autograder/install.py" in names and "@" not in setup
    assert set(torch_requirements()) <= set(requirements.splitlines())  # the CPU build, by platform
    for name in ("numpy==", "pytest==", "pytest-timeout==", "nbformat=="):
        assert name in requirements.lower(), name
    assert "nbgrader" not in requirements.lower()
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
    assert build_gradescope(autograder_zip.with_name("again.zip")).read_bytes() == autograder_zip.read_bytes(), "not reproducible"


def test_stubs_score_zero_on_every_exercise(results, points):
    assert results["stubs"]["score"] == 0
    assert {t["output"] for t in results["stubs"]["tests"]} == {"not implemented yet"}  # graded, not a grader failure
    assert {t["tags"][0] for t in results["stubs"]["tests"]} == set(points)
    assert sum(t["max_score"] for t in results["stubs"]["tests"]) == pytest.approx(sum(points.values()))


def test_reference_modules_and_reference_notebooks_get_the_same_full_marks(results, points, one_per_part):
    modules, notebooks = results["modules"], results["notebooks"]
    assert modules["score"] == sum(points[n] for n in one_per_part) > 0
    assert [(t["name"], t["score"], t["status"]) for t in notebooks["tests"]] == [(t["name"], t["score"], t["status"]) for t in modules["tests"]]
    assert "graded from the notebook cells" in notebooks["output"]


def test_a_grader_that_cannot_start_still_leaves_a_result_and_fails_loudly(autograder_zip, tmp_path):
    results = finish(start_autograder(autograder_zip, tmp_path, copy_tree(SOLUTIONS), python="/bin/false"), graded=False)
    assert results["score"] == 0 and "could not grade" in results["output"]


def test_hidden_tests_wait_for_publishing_by_default(results, autograder_zip):
    with zipfile.ZipFile(autograder_zip) as z:
        assert json.loads(z.read("gradescope.json")) == {"hidden_visibility": "after_published"}
    for run in results.values():
        hidden, public = split_public(run)
        assert {t["visibility"] for t in hidden} == {"after_published"}
        assert public and {t["visibility"] for t in public} == {"visible"}  # the student's own tests, seen at once
        assert run["visibility"] == "visible"  # the total is seen at once


def split_public(run: dict) -> tuple[list[dict], list[dict]]:
    """(hidden tests, public tests) of a results.json."""
    public = [t for t in run["tests"] if t["tags"][1:] == ["public"]]
    return [t for t in run["tests"] if t not in public], public


def test_the_public_tests_run_beside_the_hidden_ones_for_no_points(results, one_per_part):
    for name, run in results.items():
        hidden, public = split_public(run)
        assert {t["tags"][0] for t in public} == {t["tags"][0] for t in hidden}, name  # for each exercise graded
        assert all(t["max_score"] == t["score"] == 0 and t["name"].startswith("public: ") for t in public), name
        assert run["score"] == sum(t["score"] for t in hidden), name
    _, public = split_public(results["modules"])
    expected = sum(len(re.findall(r"^def test_", (PUBLIC / f"test_{e}.py").read_text(), re.M)) for e in one_per_part)
    assert len(public) == expected and {t["status"] for t in public} == {"passed"}


GRADESCOPE_METADATA = """\
submission_1:
  :submitters:
  - :name: Ada Lovelace
    :sid: '11'
    :email: ada@uni.example
  :created_at: 2024-03-01 10:00:00.000000000 +00:00
  :score: 35.0
submission_2:
  :submitters:
  - :name: Alan Turing
    :sid: '12'
    :email: aturing@uni.example
  - :name: Grace Hopper
    :sid: '14'
    :email: grace@uni.example
  :created_at: 2024-03-01 11:00:00.000000000 +00:00
  :score: 0.0
"""


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def test_written_answers_come_out_as_one_pdf_per_hand_in_of_the_export_beside_graded_concept_checks(autograder_zip, tmp_path):
    """As an instructor runs it: the zip grades two uploads (Ada's repository with her concept checks, one choice
    wrong, and written.md answers; Alan and Grace's single zip of a released notebook with a written answer in it);
    then Gradescope's *Download Submissions*, unzipped, gives one PDF per hand-in naming who handed it in, with the
    rubric for the graders and without it (``--no-rubric``) for the students."""
    import nbformat
    from nbgrader.preprocessors import ClearSolutions

    from autograder.authoring.notebooks import build_notebook
    from autograder.grading import written

    questions = written.questions(SOLUTIONS)
    bpe = next(q for q in questions if q.id == "bpe_merges")
    cbow = next(q for q in questions if q.id == "cbow_average")
    ada_answer, team_answer = "Merging the commonest pair saves most symbols.", "The mean keeps h at one vector's scale."

    def ada(dest: Path) -> None:
        shutil.copytree(ASSIGNMENTS, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        for part, module in (("embeddings", "embedding"), ("attention", "attention"), ("transformer", "transformer")):
            shutil.copy(SOLUTIONS / part / f"{module}_concepts.py", dest / part)
        concepts = dest / "attention" / "attention_concepts.py"
        source = concepts.read_text()
        wrong = source.replace('    return "b"\n    ### END SOLUTION\n\n\ndef why_dot', '    return "c"\n    ### END SOLUTION\n\n\ndef why_dot')
        assert wrong != source
        concepts.write_text(wrong)
        page = dest / "embeddings" / "written.md"
        page.write_text(page.read_text().replace(f"<!-- answer: {bpe.id} -->\nYOUR ANSWER HERE", f"<!-- answer: {bpe.id} -->\n{ada_answer}"))

    def team(dest: Path) -> None:
        nb, _ = ClearSolutions().preprocess(clear_hidden_tests(build_notebook("embeddings")), {})  # the released notebook
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == f"written-{cbow.id}":
                assert cell.source.strip() == "YOUR ANSWER HERE"
                cell.source = team_answer
        with zipfile.ZipFile(dest / "handin.zip", "w") as z:
            z.writestr("notebooks/embeddings.ipynb", nbformat.writes(nb))

    concepts = only(["embedding_concepts", "attention_concepts", "transformer_concepts"])
    started = [start_autograder(autograder_zip, tmp_path / name, fill, *concepts) for name, fill in (("ada", ada), ("team", team))]
    ada_results, team_results = (finish(run) for run in started)
    graded = [t for t in ada_results["tests"] if "public" not in t.get("tags", [])]
    assert ada_results["score"] == len(graded) - 1 == sum(len(re.findall(r"^def \w+\(", (SOLUTIONS / p).read_text(), re.M)) for p in (
        "embeddings/embedding_concepts.py", "attention/attention_concepts.py", "transformer/transformer_concepts.py")) - 1
    (failed,) = [t for t in graded if t["status"] == "failed"]
    assert "why_scale" in failed["name"] and "Likely mistake: scores scaled by sqrt(d_v)" in failed["output"]
    assert f"Written answers: 1 of {len(questions)} questions answered" in ada_results["output"]
    assert f"Written answers: 1 of {len(questions)} questions answered" in team_results["output"]
    # Download Submissions, unzipped: assignment_<n>_export/ with the metadata and each upload as Gradescope kept it
    export = tmp_path / "download" / "assignment_77_export"
    shutil.copytree(tmp_path / "ada" / "autograder" / "submission", export / "submission_1")
    shutil.copytree(tmp_path / "team" / "autograder" / "submission", export / "submission_2")
    (export / "submission_metadata.yml").write_text(GRADESCOPE_METADATA)
    for out, flag in ((tmp_path / "graders", []), (tmp_path / "students", ["--no-rubric"])):
        command = [sys.executable, "-m", "autograder", "written", str(tmp_path / "download"), "--out", str(out), *flag]
        run = subprocess.run(command, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert sorted(p.name for p in (out / "written").glob("*.pdf")) == ["submission_1.pdf", "submission_2.pdf"]
    for who in ("graders", "students"):
        first, second = (_pdf_text(tmp_path / who / "written" / f"submission_{n}.pdf") for n in (1, 2))
        assert "Submitted by: Ada Lovelace <ada@uni.example>, SID 11" in first and ada_answer in first
        assert "Alan Turing <aturing@uni.example>, SID 12; Grace Hopper <grace@uni.example>, SID 14" in second
        assert team_answer in second and ada_answer not in second
        for q in questions:
            assert q.title in first and q.prompt.split()[-1] in first
            assert " ".join(q.reference.split())[:60] not in first, f"{q.id}: the reference answer is in the PDF"
            for _, item in q.rubric:
                assert (item[:40] in first) == (who == "graders"), f"{q.id}: the rubric is for the graders only"
        assert ("Rubric:" in first) == (who == "graders")
