"""pytest plugin shared by the public tests and the hidden suites.

- ``--submission DIR``: the submission root the ``student`` fixture reaches (default ``assignments``);
- ``--isolated``: run student code in the sandboxed worker instead of in-process;
- ``--results PATH``: write Gradescope ``results.json``;
- ``@pytest.mark.points(n)``: what a test is worth (1 when absent);
- the exercise of a test is its file's name: ``test_one_hot.py`` -> ``one_hot``.

A failure's report is the feedback message alone (no traceback into grader code), a stub's
``NotImplementedError`` is reported as "not implemented yet", and a table per exercise closes
the run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from autograder.grading.adapter import InProcessStudent, Recording, Student, StudentError
from autograder.grading.compare import RAISES_CHECKED, VALUES_CHECKED, Feedback
from autograder.grading.loader import ASSIGNMENTS, Root, reference
from autograder.grading.results import Report, Status, TestResult
from autograder.grading.textsafe import printable
from autograder.grading.upstream_notes import UpstreamNotes, upstream_exercises
from autograder.layout import PUBLIC_TESTS
from autograder.runtime.curriculum import PACKAGES
from autograder.runtime.errors import ErrorKind

if TYPE_CHECKING:
    from autograder.grading.worker import IsolatedStudent

REPORT_KEY = pytest.StashKey[Report]()
NOTES_KEY = pytest.StashKey[list[str]]()
STUDENT_KEY = pytest.StashKey[Recording]()
ROOT_KEY = pytest.StashKey[Path]()
_EARLY: pytest.StashKey[IsolatedStudent] = pytest.StashKey()  # started before collection (pytest_collection)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--submission", default=str(ASSIGNMENTS), help="submission root to test (default: assignments/)")
    group.addoption("--isolated", action="store_true", help="run student code in the sandboxed worker")
    group.addoption("--results", default=None, help="write Gradescope results.json here")
    group.addoption("--points", action="store_true", help="show points in the closing table (grading runs)")
    group.addoption(
        "--refused", default=None, help=argparse.SUPPRESS
    )  # the grader refused the submission: every test fails with this


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): what the test is worth")
    config.stash[REPORT_KEY] = Report()
    config.pluginmanager.register(_PlainFailures(), "autograder-plain-failures")
    config.stash[_START] = time.perf_counter()


_START = pytest.StashKey[float]()


def exercise_of(item: pytest.Item) -> str:
    return exercise_of_file(Path(str(item.fspath)))


def exercise_of_file(path: Path) -> str:
    """The exercise a suite file tests (``test_<exercise>.py``)."""
    return path.stem.removeprefix("test_")


def points_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker and marker.args else 1.0


def title_of(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    # the first paragraph of the docstring, wrapped or not, is the title students read
    first = " ".join(line.strip() for line in doc.strip().split("\n\n")[0].splitlines()) if doc and doc.strip() else ""
    title = first or item.name.removeprefix("test_").replace("_", " ")
    return title + case_of(item)


def _named(mark: pytest.Mark) -> bool:
    """True when a ``parametrize`` mark names its cases itself: ``ids=``, ``pytest.param(..., id=...)`` each, or one
    argument whose values are ASCII strings (pytest's id is then the string: ``"padding (B, 1, 1, Lk)"``)."""
    if mark.kwargs.get("ids") is not None:
        return True
    names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
    values = list(mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues", []))
    if values and all(getattr(v, "id", None) is not None for v in values):
        return True
    single = len(names.split(",") if isinstance(names, str) else names) == 1
    return single and bool(values) and all(isinstance(v, str) and v.isascii() and v.isprintable() for v in values)


def case_of(item: pytest.Item) -> str:
    """`` [case]`` of a parametrized test as students read it: the ids its author wrote, else the case's number.

    pytest's own ids (``0-1-specials0``) are made of the inputs and mean nothing to a student; a title must also be
    safe to show under every visibility policy, and an input in it is not.
    """
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return ""
    marks = list(item.iter_markers("parametrize"))
    if marks and all(_named(mark) for mark in marks):
        return " [" + item.name.split("[", 1)[1]
    firsts = [mark.args[0] if mark.args else mark.kwargs.get("argnames", "") for mark in reversed(marks)]
    names = [(n.split(",")[0] if isinstance(n, str) else n[0]).strip() for n in firsts]
    numbers = [callspec.indices[n] + 1 for n in names if n in callspec.indices] or [
        i + 1 for i in callspec.indices.values()
    ]
    return f" [case {'-'.join(map(str, numbers))}]"


def submission_root(config: pytest.Config) -> Path:
    """The submission root to test: ``--submission`` itself, or the root made from a hand-in holding notebooks.

    ``make test`` in the student's repository passes the repository: its files and its notebooks are
    mapped onto the modules by the rule of :mod:`autograder.grading.handin`, so notebook work counts
    there as it does on Gradescope; the notes that mention a notebook are printed with the results.
    """
    from autograder.grading import handin
    from autograder.grading.sandbox import SubmissionError
    from autograder.notebook.cells import notebook_files

    if ROOT_KEY in config.stash:  # the student fixture and the concept checks read the same root, prepared once
        return config.stash[ROOT_KEY]
    path = Path(config.getoption("--submission")).resolve()
    if path.is_dir() and any((path / p).is_dir() for p in PACKAGES) and not notebook_files([path]):
        config.stash[ROOT_KEY] = path
        return path
    folder = Path(tempfile.mkdtemp(prefix="handin-"))
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    try:
        root, notes = handin.prepare(path, folder / "root")
    except SubmissionError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[NOTES_KEY] = [note for note in notes if "notebook" in note]
    config.stash[ROOT_KEY] = root
    return root


def make_student(config: pytest.Config, order: list[str] | None = None) -> Student:
    """The student for this session; ``order``: the exercises in the order their tests run."""
    from autograder.grading.worker import HangMemory, IsolatedStudent, RefusedStudent, StaticallyChecked

    root = submission_root(config)
    if config.getoption("--refused"):
        return RefusedStudent(config.getoption("--refused"))
    if config.getoption("--isolated"):
        return IsolatedStudent(root, exercises=set(order) if order is not None else None, order=order)
    return HangMemory(StaticallyChecked(InProcessStudent(root), root))  # a hung function costs one timeout


def suite_exercises(config: pytest.Config) -> set[str] | None:
    """The exercises whose suites this run was given (None: a folder, not test files, was given)."""
    paths = [Path(arg.split("::")[0]) for arg in config.args]
    if not paths or any(p.suffix != ".py" for p in paths):
        return None
    return {exercise_of_file(p) for p in paths}


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """Start the isolated student (its warm template imports PyTorch) before the suites are collected, so that its
    start-up and this process's collection overlap on a second core. A student that cannot be built here is built
    again by the ``student`` fixture, which reports why in every test."""
    config = session.config
    if not config.getoption("--isolated") or config.getoption("--refused"):
        return
    from autograder.grading.worker import IsolatedStudent

    try:
        early = IsolatedStudent(submission_root(config), exercises=suite_exercises(config))
    except Exception:  # noqa: BLE001 - said by the fixture, which builds it again
        return
    config.stash[_EARLY] = early
    config.add_cleanup(early.close)


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> Iterator[Student]:
    """The submission under test, reached only through plain-data calls."""
    order = list(dict.fromkeys(exercise_of(item) for item in request.session.items))
    early = request.config.stash.get(_EARLY, None)
    if early is not None and (early.exercises is None or early.exercises >= set(order)):
        early.order = order
        s = Recording(early)
    else:
        if early is not None:
            early.close()  # built for other exercises: its uid and template go back at once
        s = Recording(make_student(request.config, order))
    request.config.stash[STUDENT_KEY] = s
    yield s
    s.close()


def _timeout_of(item: pytest.Item) -> float | None:
    marker = item.get_closest_marker("timeout")
    value = marker.args[0] if marker and marker.args else marker.kwargs.get("timeout") if marker else None
    if value is None:
        try:
            value = item.config.getini("timeout")
        except ValueError:
            return None
    try:
        return float(value) or None
    except (TypeError, ValueError):
        return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Tell an isolated student the test's time limit, so the worker reports a hang before pytest-timeout cuts it."""
    RAISES_CHECKED.clear()
    VALUES_CHECKED.clear()
    s = item.config.stash.get(STUDENT_KEY, None)
    if s is not None:
        s.begin_test(_timeout_of(item), exercise_of(item))


@pytest.fixture(scope="session")
def ref() -> Root:
    """The reference solution, loaded in this (trusted) process."""
    return reference()


def _message(excinfo: pytest.ExceptionInfo[BaseException]) -> str | None:
    """The student-facing text of a failure, or None to keep pytest's own report."""
    err = excinfo.value
    if isinstance(err, (Feedback, StudentError)):
        return str(err)
    return None


def _status(excinfo: pytest.ExceptionInfo[BaseException] | None) -> Status:
    if excinfo is None:
        return "passed"
    if isinstance(excinfo.value, StudentError) and excinfo.value.kind is ErrorKind.NOT_IMPLEMENTED:
        return "not_implemented"
    return "failed"


def _error_kind(excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    """The student's error as an :class:`ErrorKind` value, "" when none: the class report reads it as data."""
    if excinfo is None:
        return ""
    if isinstance(excinfo.value, StudentError):
        return str(excinfo.value.kind)
    if isinstance(excinfo.value, pytest.fail.Exception) and str(excinfo.value).startswith("Timeout"):
        return str(ErrorKind.TIMEOUT)  # pytest-timeout stopped an in-process call (make test, nbgrader)
    return ""


class _PlainFailures:
    """A failure that carries a student-facing message is reported as that message alone.

    pytest would otherwise render a full traceback (of grader code) for every failing test and
    then throw it away: about 20 ms each, seconds on a run of stubs where every test fails.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
        message = _message(call.excinfo) if call.excinfo is not None and call.when == "call" else None
        if message is None:
            return None
        sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
        return pytest.TestReport(
            item.nodeid,
            item.location,
            {x: 1 for x in item.keywords},
            "failed",
            f"[{exercise_of(item)}] {message}",
            call.when,  # type: ignore[arg-type]  # "collect" never reaches a test's report
            sections,
            call.duration,
            call.start,
            call.stop,
            user_properties=item.user_properties,
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.skipped and (report.when == "call" or (report.when == "setup" and report.failed)):
        message = _message(call.excinfo) if call.excinfo else None
        if message is not None and report.when == "call":
            message += _upstream_note(item)
        if message is not None:
            report.longrepr = f"[{exercise_of(item)}] {message}"
        status: Status = _status(call.excinfo) if report.when == "call" else "error"
        if status == "error" and call.excinfo and isinstance(call.excinfo.value, StudentError):
            status = _status(call.excinfo)
        text = message if message is not None else (str(report.longreprtext)[-2000:] if report.failed else "")
        if status == "not_implemented":
            text = "not implemented yet"
        points = points_of(item)
        student = item.config.stash.get(STUDENT_KEY, None)
        item.config.stash[REPORT_KEY].tests.append(
            TestResult(
                exercise=exercise_of(item),
                name=item.name,
                title=title_of(item),
                max_score=points,
                score=points if status == "passed" else 0.0,
                status=status,
                output=text,
                duration=report.duration,
                error_kind=_error_kind(call.excinfo),
                mistakes=list(call.excinfo.value.mistakes)
                if call.excinfo and isinstance(call.excinfo.value, Feedback)
                else [],
                functions=tuple(sorted(student.called)) if student is not None else (),
                checks_raise=bool(RAISES_CHECKED),
                checks_value=bool(VALUES_CHECKED),
            )
        )


def _upstream_note(item: pytest.Item) -> str:
    """For a failing public test of an exercise that builds on earlier ones: which of those fail on their own.

    Only the public tests: the hidden suites run over stand-ins of the earlier exercises and say it themselves.
    """
    folder = Path(str(item.fspath)).parent
    s = item.config.stash.get(STUDENT_KEY, None)
    if s is None or not upstream_exercises(exercise_of(item)) or folder.resolve() != PUBLIC_TESTS.resolve():
        return ""
    notes = item.config.stash.setdefault(_UPSTREAM, UpstreamNotes(folder))
    return notes.for_failure(s, exercise_of(item))


_UPSTREAM = pytest.StashKey[UpstreamNotes]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    s = config.stash.get(STUDENT_KEY, None)
    if s is not None:
        s.close()  # the worker and everything it started are gone before the results are written
    report = config.stash[REPORT_KEY]
    report.require_working_functions()
    report.execution_time = time.perf_counter() - config.stash[_START]
    path = config.getoption("--results")
    if path:
        report.write(path)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    from autograder.grading.reporters import render_table

    report = config.stash[REPORT_KEY]
    for note in config.stash.get(NOTES_KEY, []):
        terminalreporter.write_line(printable(note))  # notes name the hand-in's files
    if report.tests:
        terminalreporter.write_line("")
        terminalreporter.write(render_table(report, points=config.getoption("--points")))


def report_of(config: pytest.Config) -> Report:
    return config.stash[REPORT_KEY]
