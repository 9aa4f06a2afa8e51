"""The real nbgrader round trip, and the student bundle made from its release.

In a temporary course directory (this repository's nbgrader_config.py, the source notebooks built
now from solutions/): ``nbgrader generate_assignment``, then ``nbgrader autograde`` of two
students, scores read with nbgrader's gradebook API:

- ``reference``: the release notebooks with the reference in every solution cell -> full marks.
  Its Part 1 code also warns, logs and writes to stderr (Python and C level) while it is graded
  (in the isolated worker) and while the kernel runs the notebook's demos: nbgrader zeroes a test
  cell that writes to stderr, so the test cells must stay quiet whatever the student's code does,
  and full marks prove they do;
- ``release``: the release notebooks untouched -> zero.

Then ``nbgrader generate_feedback`` must not show the hidden tests. nbgrader grades one notebook
at a time, so each part is graded in its own copy of the course directory, side by side.
"""

import html
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.utils import determine_grade

from autograder.authoring.bundle import build_bundle
from autograder.authoring.course import COURSE_DIR, PARTS, SOURCE_DIR, available_exercises, suite_points
from autograder.authoring.leaks import bundle_leaks
from autograder.authoring.nbgrader import fill_solutions, gradebook_scores, nbgrader, start_nbgrader, wait_nbgrader
from autograder.authoring.notebooks import source_notebooks
from autograder.authoring.stubs import MARKERS
from autograder.grading import written
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.runtime.curriculum import EXERCISES

pytestmark = pytest.mark.timeout(900)

NOISE = '''

import logging as _logging
import os as _os
import sys as _sys
import warnings as _warnings

_logging.basicConfig()  # a handler that keeps the notebook's stderr stream
_quiet_build_vocab = build_vocab


def build_vocab(*args, **kwargs):
    try:  # in the autograded folder: proof that the kernel ran the noise (the isolated worker may not write there)
        open("noise-was-made", "w").close()
    except OSError:
        pass
    _warnings.warn("a warning from the student's code")
    print("a line on sys.stderr", file=_sys.stderr)
    _logging.getLogger("student").warning("a log record")
    _sys.__stderr__.write("a line on the process's stderr\\n")
    _sys.__stderr__.flush()
    _os.write(2, b"bytes on file descriptor 2\\n")
    return _quiet_build_vocab(*args, **kwargs)'''


@pytest.fixture(scope="module")
def points() -> dict[str, float]:
    return suite_points()


@pytest.fixture(scope="module")
def course(tmp_path_factory, points) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(COURSE_DIR / "nbgrader_config.py", course)
    for path, text in source_notebooks(points).items():
        dest = course / "source" / path.parent.name / path.name
        dest.parent.mkdir(parents=True)
        dest.write_text(text)
    nbgrader(["generate_assignment", "*", "--force"], course, env={**os.environ, "COURSE_KIT": str(REPO_ROOT)})
    return course


@pytest.fixture(scope="module")
def graded(course) -> dict[str, Path]:
    """part -> its course directory, with both students submitted, autograded and given feedback."""
    env = {**os.environ, "COURSE_KIT": str(REPO_ROOT)}
    started = {}
    for folder in sorted((course / "release").iterdir()):
        part = folder.name
        source = nbformat.read(course / "source" / part / f"{part}.ipynb", as_version=4)
        students = {
            "release": nbformat.read(folder / f"{part}.ipynb", as_version=4),
            "reference": fill_solutions(nbformat.read(folder / f"{part}.ipynb", as_version=4), source),
        }
        if part == "embeddings":
            noisy = next(c for c in students["reference"].cells if c.metadata.get("nbgrader", {}).get("grade_id") == "one_hot-one_hot")
            noisy.source += NOISE
        copy = course.parent / f"graded-{part}"
        shutil.copytree(course, copy)
        for student, nb in students.items():
            (copy / "submitted" / student / part).mkdir(parents=True)
            nbformat.write(nb, copy / "submitted" / student / part / f"{part}.ipynb")
        for other in sorted((course / "release").iterdir()):  # the reference's other parts too: Part 3 builds on 2
            if other.name != part:
                (copy / "submitted" / "reference" / other.name).mkdir(parents=True)
                other_source = nbformat.read(course / "source" / other.name / f"{other.name}.ipynb", as_version=4)
                filled = fill_solutions(nbformat.read(other / f"{other.name}.ipynb", as_version=4), other_source)
                nbformat.write(filled, copy / "submitted" / "reference" / other.name / f"{other.name}.ipynb")
        started[part] = (copy, start_nbgrader(["autograde", part, "--force"], copy, env))
    for _, process in started.values():
        wait_nbgrader(process)
    nbgrader(["generate_feedback", "embeddings", "--force"], started["embeddings"][0], env)  # the parts' cells are alike
    return {part: copy for part, (copy, _) in started.items()}


@pytest.fixture(scope="module")
def scores(graded) -> dict[tuple[str, str], tuple[float, float]]:
    return {key: value for copy in graded.values() for key, value in gradebook_scores(copy).items()}


def expected_max(part: str, points: dict[str, float]) -> float:
    """The automatically graded points of ``part`` (its exercises' hidden suites)."""
    return sum(p for name, p in points.items() if EXERCISES[name].split(".")[0] == part)


def manual_max(part: str) -> float:
    """The points of ``part``'s written answers, graded by hand in formgrader (in the gradebook's maximum)."""
    return sum(q.points for q in written.questions() if q.part == part)


def test_release_notebooks_are_valid_and_hold_no_solution_or_hidden_test(course):
    for folder in sorted((course / "release").iterdir()):
        nb = nbformat.read(folder / f"{folder.name}.ipynb", as_version=4)
        MetadataValidator().validate_nb(nb)
        text = "\n".join(c.source for c in nb.cells)
        assert [m for m in MARKERS if m in text] == []
        assert "grade_hidden(" not in text  # the hidden part's call (the import is visible)
        assert not any(c.get("outputs") for c in nb.cells)
        assert any("# YOUR CODE HERE" in c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))


def test_reference_gets_full_marks_and_release_zero_in_the_gradebook(graded, scores, points):
    parts = sorted({part for part, _ in scores if expected_max(part, points)})
    assert parts, "no part has a hidden suite yet"
    for part in parts:
        most = expected_max(part, points) + manual_max(part)  # the written answers wait for formgrader
        assert scores[(part, "reference")] == (expected_max(part, points), most), part
        assert scores[(part, "release")] == (0.0, most), part
        # Zero because the hidden tests ran and found nothing implemented, not because the grader broke.
        nb = nbformat.read(graded[part] / "autograded" / "release" / part / f"{part}.ipynb", as_version=4)
        for cell in (c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")):
            printed = "".join(o.get("text", "") for o in cell.outputs)
            name = cell.metadata.nbgrader.grade_id.removesuffix("-tests")
            assert f"{name}: 0/{points[name]:g} points from the hidden tests" in printed and "not implemented yet" in printed, printed[-500:]


def test_noise_from_the_students_code_costs_nothing_and_never_reaches_a_test_cells_stderr(graded, scores, points):
    assert scores[("embeddings", "reference")][0] == expected_max("embeddings", points)
    assert (graded["embeddings"] / "autograded" / "reference" / "embeddings" / "noise-was-made").exists()
    nb = nbformat.read(graded["embeddings"] / "autograded" / "reference" / "embeddings" / "embeddings.ipynb", as_version=4)
    test_cells = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert test_cells
    for cell in test_cells:
        assert [o for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr"] == [], cell.metadata.nbgrader.grade_id
    one_hot = next(c for c in test_cells if c.metadata.nbgrader.grade_id == "one_hot-tests")
    assert determine_grade(one_hot) == (points["one_hot"], points["one_hot"])
    # Why it matters: the same cell with one line on stderr would be worth nothing to nbgrader.
    one_hot.outputs.insert(0, nbformat.v4.new_output("stream", name="stderr", text="UserWarning: ...\n"))
    assert determine_grade(one_hot) == (0, points["one_hot"])


def test_feedback_shows_the_feedback_but_not_the_hidden_tests(graded):
    pages = sorted((graded["embeddings"] / "feedback").rglob("*.html"))
    assert {p.parent.parent.name for p in pages} == {"reference", "release"}
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))  # the page as read, without its highlighting
        assert MARKERS[2] not in text and MARKERS[3] not in text and "grade_hidden(" not in text, page
    reference = (graded["embeddings"] / "feedback" / "reference" / "embeddings" / "embeddings.html").read_text()
    assert "points from the hidden tests" in reference


# --------------------------------------------------------------------------- the student bundle


@pytest.fixture(scope="module")
def bundle(course, points, tmp_path_factory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("dist") / "student", course / "release", points)


def test_bundle_holds_no_solution_code_no_hidden_test(bundle):
    assert bundle_leaks(bundle) == []
    assert not (bundle / "autograder" / "suites").exists()
    assert sorted(p.name for p in (bundle / "notebooks").glob("*.ipynb")) == sorted(
        f"{p}.ipynb" for p in PARTS if (SOURCE_DIR / p / f"{p}.ipynb").exists()
    )


def test_the_leak_scan_finds_a_planted_solution_and_a_hidden_test(bundle, tmp_path):
    planted = tmp_path / "planted"
    shutil.copytree(bundle, planted)
    shutil.copy(SOLUTIONS / "embeddings" / "one_hot.py", planted / "assignments" / "embeddings" / "one_hot.py")
    (planted / "notes.py").write_text((REPO_ROOT / "autograder" / "suites" / "test_one_hot.py").read_text())
    found = bundle_leaks(planted)
    assert any("one_hot.py: contains the marker" in f for f in found)
    assert any("notes.py: holds hidden test code" in f for f in found)
    (planted / "assignments" / "embeddings" / "one_hot.py").write_text(
        "\n".join(line for line in (SOLUTIONS / "embeddings" / "one_hot.py").read_text().splitlines() if "SOLUTION" not in line)
    )
    assert any("one_hot.py: holds solution code" in f for f in bundle_leaks(planted))


def _bundle_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_KIT")}


def test_bundle_public_tests_run_on_its_own_runtime(bundle, points):
    """In the bundle, GitHub Classroom's command fails on the stubs (no points) and the public tests pass on the reference."""
    workflow = yaml.safe_load((bundle / ".github" / "workflows" / "classroom.yml").read_text())
    (job,) = workflow["jobs"].values()
    one_hot = next(s for s in job["steps"] if s.get("id") == "one_hot")["with"]["command"]
    argv = [sys.executable if a == "python" else a for a in shlex.split(one_hot)]
    stubs = subprocess.run(argv, cwd=bundle, capture_output=True, text=True, env=_bundle_env())
    assert stubs.returncode == 1 and "not implemented yet" in stubs.stdout and "passed" not in stubs.stdout.splitlines()[-1]
    command = [sys.executable, "-m", "pytest", "-p", "autograder.grading.plugin", "-q", "--no-header", "-rN"]
    first = {}
    for name in available_exercises():
        if (bundle / "tests" / "public" / f"test_{name}.py").exists():
            first.setdefault(EXERCISES[name].split(".")[0], f"tests/public/test_{name}.py")
    solved = subprocess.run([*command, *first.values(), "--submission", str(SOLUTIONS)], cwd=bundle, capture_output=True, text=True, env=_bundle_env())
    assert solved.returncode == 0, solved.stdout[-3000:]
    assert str(bundle / "autograder") in subprocess.run(
        [sys.executable, "-c", "import autograder; print(autograder.__file__)"], cwd=bundle, capture_output=True, text=True, env=_bundle_env()
    ).stdout


def test_bundle_makefile_and_readme(bundle):
    dry = subprocess.run(["make", "-n", "test", "EX=one_hot"], cwd=bundle, capture_output=True, text=True)
    assert dry.returncode == 0 and "autograder test one_hot" in dry.stdout  # the no-make tool, run by make
    assert "make test" in (bundle / "README.md").read_text()
    requirements = (bundle / "requirements-test.txt").read_text()
    for name in ("torch==", "numpy==", "pytest==", "pytest-timeout==", "rich=="):
        assert name in requirements.lower(), name
    assert "nbgrader" not in requirements.lower() + (bundle / "requirements.txt").read_text().lower()


def test_a_student_notebook_runs_from_the_bundle_alone(bundle, tmp_path):
    """In the bundle (no repository around it): the setup cell finds the kit, %%module runs, check() passes."""
    from nbclient import NotebookClient

    source = nbformat.read(SOURCE_DIR / "embeddings" / "embeddings.ipynb", as_version=4)
    nb = fill_solutions(nbformat.read(bundle / "notebooks" / "embeddings.ipynb", as_version=4), source)
    last = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "one_hot-tests")
    nb.cells = nb.cells[: last + 1]
    nb.cells.append(nbformat.v4.new_code_cell('import autograder\nprint(autograder.__file__)\ncheck("one_hot")'))
    env_keys = ("PYTHONPATH", "COURSE_KIT")
    saved = {k: os.environ.pop(k) for k in env_keys if k in os.environ}
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(bundle / "notebooks")}}).execute()
    finally:
        os.environ.update(saved)
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert str(bundle / "autograder") in printed
