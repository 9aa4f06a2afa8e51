"""nbgrader end to end, with its real commands and an exchange directory, the course folder outside the repository.

One assignment (``attention``), three students who fetch, work and submit as students do:

- ``alice`` hands in the reference: full marks;
- ``bob`` scales no scores by 1/sqrt(d_k), leaves ``multi_head`` a stub, and hands in a ``kit/``
  whose ``grade_hidden`` gives full marks and an ``autograder/`` that exits: neither is used. He also
  adds a cell that redefines ``grade_hidden`` and ``check`` in his kernel, so that ``multi_head``'s test
  cell passes there: the score comes from the isolated worker, and his stub earns nothing;
- ``carol`` has a syntax error in one cell (``multi_head``) and an endless loop in another
  (``padding_mask``): the other exercises keep their points, the messages read as the CLI's, and
  her autograde is bounded in time.

The instructor runs generate_assignment (twice: nbgrader rebuilds the release each time),
release_assignment, collect, autograde, generate_feedback, release_feedback and export; a course
folder whose ``COURSE_KIT`` is not the kit fails generate and autograde loudly. The autograde runs with
``AUTOGRADER_HIDDEN_VISIBILITY=points-only`` in its environment, which the course's own setting overrides.
"""

import csv
import html
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.course import COURSE_DIR, suite_points
from autograder.authoring.nbgrader import fill_solutions, gradebook_scores, nbgrader, start_nbgrader
from autograder.authoring.notebooks import source_notebooks
from autograder.authoring.written import by_id
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.runtime.curriculum import EXERCISES

pytestmark = pytest.mark.timeout(900)

PART = "attention"
CONCEPTS = "attention_concepts"  # the part's concept checks: graded by their test cell like an exercise
CALL_TIMEOUT = 8  # seconds per hidden test in the kernel (AUTOGRADER_CALL_TIMEOUT): keeps carol's loop short
LOOP = "\n\n\ndef padding_mask(tokens, pad_id):\n    while True:\n        pass\n"
SYNTAX_ERROR = "\n\n\ndef split_heads(x, num_heads:\n    return x\n"
FORGED_KERNEL = "def grade_hidden(exercise, points):\n    return points\n\n\ndef check(exercise):\n    pass\n"
# A cell of bob's notebook, just above multi_head's test cell: in the kernel, that cell now passes with full marks.
FORGED_CELL = FORGED_KERNEL + "\n\nprint('multi_head: all hidden tests pass')\n"


def written_points() -> float:
    return sum(q.points for q in by_id(PART).values())


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_KIT", "PYTHONPATH")}
    return {**env, **extra}


def _student(home: Path, name: str, *args: str) -> str:
    return nbgrader([*args, "--course=eat", f"--student={name}", f"--Exchange.root={home.parent.parent / 'exchange'}",
                     f"--Exchange.cache={home / '.cache'}"], home, _env())


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def points() -> dict[str, float]:
    return {name: p for name, p in suite_points().items() if name in ("scaled_dot_product", "masks", "multi_head", CONCEPTS)}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder outside the repository: nbgrader_config.py, the attention source and an exchange."""
    top = tmp_path_factory.mktemp("hub")
    course = top / "course"
    (course / "source" / PART).mkdir(parents=True)
    config = (COURSE_DIR / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(top / 'exchange')!r}\n")
    (top / "exchange").mkdir(mode=0o777)
    os.chmod(top / "exchange", 0o777)
    for path, text in source_notebooks().items():
        if path.parent.name == PART:
            (course / "source" / PART / path.name).write_text(text)
    return course


def test_without_the_kit_generate_and_autograde_fail_naming_the_setting(course, tmp_path):
    copy = tmp_path / "elsewhere"
    shutil.copytree(course, copy)
    nbgrader(["generate_assignment", PART, "--force"], copy, _env(COURSE_KIT=str(REPO_ROOT)))
    (copy / "submitted" / "dave" / PART).mkdir(parents=True)
    shutil.copy(copy / "release" / PART / f"{PART}.ipynb", copy / "submitted" / "dave" / PART)
    shutil.rmtree(copy / "release")
    for command in (["generate_assignment", PART, "--force"], ["autograde", PART, "--force"]):
        process = start_nbgrader(command, copy, _env())  # the course folder moved; COURSE_KIT not set
        log, _ = process.communicate(timeout=300)
        assert process.returncode != 0, log[-2000:]
        assert "COURSE_KIT=" in log and "is not the course kit" in log, log[-2000:]
    assert not (copy / "release" / PART / "kit").exists()
    assert not (copy / "autograded" / "dave").exists()


@pytest.fixture(scope="module")
def graded(course, points, tmp_path_factory) -> dict:
    """The whole term: generate (twice), release, three students fetch and submit, collect, autograde, feedback."""
    env = _env(COURSE_KIT=str(REPO_ROOT), AUTOGRADER_CALL_TIMEOUT=str(CALL_TIMEOUT),
               AUTOGRADER_HIDDEN_VISIBILITY="points-only")  # forgotten from another course: the course's setting wins
    nbgrader(["generate_assignment", PART, "--force"], course, env)
    nbgrader(["generate_assignment", PART, "--force"], course, env)  # the kit survives nbgrader rebuilding release/
    nbgrader(["release_assignment", PART, "--force"], course, env)
    source = nbformat.read(course / "source" / PART / f"{PART}.ipynb", as_version=4)
    for name in ("alice", "bob", "carol"):
        home = course.parent / "home" / name
        home.mkdir(parents=True)
        _student(home, name, "fetch_assignment", PART)
        path = home / PART / f"{PART}.ipynb"
        nb = fill_solutions(nbformat.read(path, as_version=4), source)
        if name == "bob":
            sdpa = _cell(nb, "scaled_dot_product-scaled_dot_product_attention")
            assert "scores = (q / math.sqrt(d_k)) @ k.transpose(-2, -1)" in sdpa.source
            sdpa.source = sdpa.source.replace("scores = (q / math.sqrt(d_k))", "scores = (q)")
            released = nbformat.read(course / "release" / PART / f"{PART}.ipynb", as_version=4)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("multi_head-"):
                    cell.source = _cell(released, cell.metadata.nbgrader.grade_id).source
            tests = nb.cells.index(_cell(nb, "multi_head-tests"))
            nb.cells.insert(tests, nbformat.v4.new_code_cell(FORGED_CELL))
            (home / PART / "kit" / "autograder" / "notebook" / "kernel.py").write_text(FORGED_KERNEL)
            (home / PART / "autograder").mkdir()
            (home / PART / "autograder" / "__init__.py").write_text("raise SystemExit('never imported')\n")
        if name == "carol":
            _cell(nb, "masks-padding_mask").source += LOOP
            _cell(nb, "multi_head-split_heads").source += SYNTAX_ERROR
        nbformat.write(nb, path)
        _student(home, name, "submit", PART)
    nbgrader(["collect", PART], course, env)
    seconds, logs = {}, {}
    for name in ("alice", "bob", "carol"):
        start = time.monotonic()
        logs[name] = log = nbgrader(["autograde", PART, f"--student={name}", "--force"], course, env)
        seconds[name] = time.monotonic() - start
    print("autograde seconds:", seconds)
    nbgrader(["generate_feedback", PART, "--force"], course, env)
    nbgrader(["release_feedback", PART], course, env)
    nbgrader(["export"], course, env)
    return {"course": course, "seconds": seconds, "log": log, "logs": logs}


def _cells(course: Path, student: str) -> dict[str, tuple[float, str]]:
    """grade_id of each test cell -> (points nbgrader gave, what it printed)."""
    from nbgrader.utils import determine_grade

    nb = nbformat.read(course / "autograded" / student / PART / f"{PART}.ipynb", as_version=4)
    return {
        c.metadata.nbgrader.grade_id.removesuffix("-tests"): (
            determine_grade(c)[0],
            "".join(o.get("text", "") for o in c.outputs) + "".join("\n".join(o.get("traceback", [])) for o in c.outputs),
        )
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"  # markdown: written, by hand
    }


def test_the_release_carries_the_kit_and_no_hidden_suite(graded):
    release = graded["course"] / "release" / PART
    assert (release / "kit" / "autograder" / "notebook" / "kernel.py").is_file()
    assert (release / "kit" / "tests" / "public" / "test_masks.py").is_file()
    assert not (release / "kit" / "autograder" / "suites").exists() and not (release / "kit" / "solutions").exists()
    fetched = graded["course"].parent / "home" / "alice" / PART
    assert (fetched / "kit" / "autograder" / "notebook" / "kernel.py").is_file()


def test_a_forgery_in_the_kernel_earns_nothing(graded, points):
    """bob's kernel makes multi_head's test cell pass; nbgrader records the isolated worker's 0 for his stub."""
    bob = _cells(graded["course"], "bob")
    assert bob["multi_head"][0] == 0
    assert f"multi_head: 0/{points['multi_head']:g} points from the hidden tests" in bob["multi_head"][1]
    assert "not implemented yet" in bob["multi_head"][1] and "Scored in the isolated worker (sandbox: " in bob["multi_head"][1]
    nb = nbformat.read(graded["course"] / "autograded" / "bob" / PART / f"{PART}.ipynb", as_version=4)
    forged = next(c for c in nb.cells if c.source == FORGED_CELL)
    assert "all hidden tests pass" in "".join(o.get("text", "") for o in forged.outputs)  # the forgery did run
    assert gradebook_scores(graded["course"])[(PART, "alice")][0] == sum(points.values())


def test_the_feedback_page_keeps_every_label_and_records_the_courses_policy(graded):
    """nbgrader's feedback HTML for bob: each Expected has its Got, the repeated mistake is named once."""
    page = graded["course"] / "feedback" / "bob" / PART / f"{PART}.html"
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
    header = r"{}: [\d.]+/[\d.]+ points from the hidden tests"
    sdpa = text[re.search(header.format("scaled_dot_product"), text).start():re.search(header.format("masks"), text).start()]
    expected, got = re.findall(r"^\s*Expected: ", sdpa, re.M), re.findall(r"^\s*Got:      ", sdpa, re.M)
    assert len(expected) == len(got) >= 1, sdpa[-3000:]
    named = re.findall(r"Likely mistake: (.+)", sdpa)
    assert named and len(named) == len(set(named)) and any("sqrt(d_k)" in n for n in named), named
    assert "(same mistake as " in sdpa
    exercises = [e for e in EXERCISES if EXERCISES[e].startswith(f"{PART}.")]  # the code exercises and the concept checks
    assert text.count("hidden tests shown: visible (the course's setting)") == len(exercises)
    assert "AUTOGRADER_HIDDEN_VISIBILITY=points-only is ignored" in graded["logs"]["bob"]


def test_scores_in_the_gradebook(graded, points):
    total = sum(points.values())
    scores = gradebook_scores(graded["course"])
    assert scores[(PART, "alice")] == (total, total + written_points())  # her written answers wait for formgrader
    bob, carol = _cells(graded["course"], "bob"), _cells(graded["course"], "carol")
    assert bob["masks"][0] == points["masks"] and bob["multi_head"][0] == 0  # the forged kit/ changed nothing
    assert 0 < bob["scaled_dot_product"][0] < points["scaled_dot_product"]
    assert "Likely mistake" in bob["scaled_dot_product"][1] and "sqrt(d_k)" in bob["scaled_dot_product"][1]
    assert carol["scaled_dot_product"][0] == points["scaled_dot_product"]  # earned points survive the loop
    assert 0 < carol["masks"][0] < points["masks"] and carol["multi_head"][0] == 0
    assert scores[(PART, "bob")][0] == sum(p for p, _ in bob.values())
    assert scores[(PART, "carol")][0] == sum(p for p, _ in carol.values())


def test_a_syntax_error_and_a_hang_read_as_they_do_on_the_command_line(graded):
    carol = _cells(graded["course"], "carol")
    assert "SyntaxError" in carol["multi_head"][1] and re.search(r"line \d+", carol["multi_head"][1])
    assert "ModuleNotFoundError" not in carol["multi_head"][1] and "NameError" not in carol["multi_head"][1]
    hang = carol["masks"][1]
    assert re.search(r"the call of attention.masks:padding_mask did not finish within \d+ s \(an endless loop", hang), hang[-1500:]
    assert "pytest-timeout" not in hang


def test_the_endless_loop_costs_bounded_time(graded):
    seconds = graded["seconds"]
    # each hung function costs one test's limit (the masks suite's 20 s), each demo cell calling it CALL_TIMEOUT
    assert seconds["carol"] < seconds["alice"] + 2 * 20 + 4 * CALL_TIMEOUT + 30, seconds


def test_export_writes_every_students_score(graded, points):
    rows = {r["student_id"]: r for r in csv.DictReader((graded["course"] / "grades.csv").open())}
    assert set(rows) == {"alice", "bob", "carol"}
    assert float(rows["alice"]["score"]) == sum(points.values())
    scores = gradebook_scores(graded["course"])
    for name in ("bob", "carol"):
        assert float(rows[name]["score"]) == pytest.approx(scores[(PART, name)][0])


def test_feedback_holds_no_hidden_test_and_no_reference_code(graded):
    course = graded["course"]
    released = "\n".join(c.source for c in nbformat.read(course / "release" / PART / f"{PART}.ipynb", as_version=4).cells)

    def lines(text: str) -> set[str]:  # long lines a student did not already have in the release
        return {line.strip() for line in text.splitlines() if len(line.strip()) > 30 and line.strip() not in released}

    suites = [REPO_ROOT / "autograder" / "suites" / f"test_{n}.py" for n in ("scaled_dot_product", "masks", "multi_head")]
    hidden = set().union(*(lines(s.read_text()) for s in suites))
    reference = {line for line in lines((SOLUTIONS / "attention" / "multi_head.py").read_text()) if "SOLUTION" not in line}
    assert hidden and reference
    pages = {p.parent.parent.name: html.unescape(re.sub(r"<[^>]+>", "", p.read_text())) for p in (course / "feedback").rglob("*.html")}
    assert set(pages) == {"alice", "bob", "carol"}
    for student, text in pages.items():
        assert 'grade_hidden("' not in text and "BEGIN HIDDEN TESTS" not in text, student  # bob's own cell defines one
        assert [line for line in hidden if line in text] == [], student
    assert [line for line in reference if line in pages["bob"]] == []  # bob never wrote multi_head


def test_the_log_holds_only_the_warnings_the_docs_explain(graded):
    """nbgrader's checksum warning once per test cell (docs/INSTRUCTOR.md), no SQLAlchemy warning, no traceback."""
    log = graded["log"]
    assert "SAWarning" not in log and "Traceback" not in log, log[-3000:]
    changed = re.findall(r"Attribute '\w+' for cell (\S+) has changed!", log)
    assert sorted(changed) == sorted(f"{name}-tests" for name in ("scaled_dot_product", "masks", "multi_head", CONCEPTS)), changed
    assert "for cell <exercise>-tests has changed!" in (REPO_ROOT / "docs" / "INSTRUCTOR.md").read_text()
