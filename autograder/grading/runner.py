"""Run the hidden suites on one submission and return the :class:`~autograder.results.Report`; the public tests
beside them where a channel shows them too (:func:`public_results`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from autograder.grading.results import Report, TestResult
from autograder.layout import PACKAGE, PUBLIC_TESTS
from autograder.runtime.curriculum import EXERCISES

SUITES = PACKAGE / "suites"
PUBLIC = PUBLIC_TESTS  # the student's own tests (``make test``); in the Gradescope zip too


class SuitesMissing(RuntimeError):
    """This copy of the kit has no hidden suites: grading would be a silent zero, so it does not start."""


def require_suites(only: list[str] | None = None) -> list[Path]:
    """The hidden suites to run, or :class:`SuitesMissing` naming what is missing and how to point at the kit."""
    files = suite_files(only)
    if not (SUITES / "pytest.ini").is_file() or not files:
        raise SuitesMissing(
            f"no hidden suites in {SUITES} (this copy of the kit is a student's, or incomplete): grade with the "
            "instructor's kit; nbgrader finds it through COURSE_KIT (docs/INSTRUCTOR.md)"
        )
    return files


def suite_files(only: list[str] | None = None) -> list[Path]:
    return [p for p in (SUITES / f"test_{name}.py" for name in (only or EXERCISES)) if p.exists()]


def pytest_args(
    submission: Path,
    only: list[str] | None,
    isolated: bool,
    results: Path | None = None,
    junit: Path | None = None,
    refused: str | None = None,
    tests: list[Path] | None = None,
) -> list[str]:
    """The pytest command line of a grading run: our suites (or ``tests``) and our config, nothing of the
    submission's."""
    args = [
        *map(str, require_suites(only) if tests is None else tests),
        "-c",
        str(SUITES / "pytest.ini"),
        "--rootdir",
        str(SUITES if tests is None else PUBLIC),
        "--import-mode=importlib",
        "-p",
        "autograder.grading.plugin",
        "-p",
        "no:cacheprovider",
        "--submission",
        str(submission),
        "-q",
        "--no-header",
        "-rN",
        "--tb=no",
    ]
    if tests is None:
        args.append("--points")  # the public tests are worth no points: their table shows passes only
    if isolated:
        args.append("--isolated")
    if results:
        args += ["--results", str(results)]
    if junit:
        args += ["--junitxml", str(junit)]
    if refused:
        args += ["--refused", refused]
    return args


class _Capture:
    """Keeps the plugin's report once the session ends."""

    report: Report | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from autograder.grading.plugin import report_of

        self.report = report_of(session.config)


def grade(
    submission: str | Path,
    only: list[str] | None = None,
    isolated: bool = True,
    results: Path | None = None,
    junit: Path | None = None,
    refused: str | None = None,
) -> tuple[Report, int]:
    """Grade ``submission``; returns the report and pytest's exit code.

    ``refused``: the submission was refused before grading (see :mod:`autograder.grading.sandbox`); every test fails
    with this reason.
    """
    args = pytest_args(Path(submission).resolve(), only, isolated, results, junit, refused)
    report, code = _run(args)
    if report is None:
        raise RuntimeError(f"the hidden suites did not run (pytest exit code {code})")
    return report, code


def public_results(submission: str | Path, only: list[str] | None = None, isolated: bool = True) -> list[TestResult]:
    """The public tests (``tests/public``, what ``make test`` runs) on ``submission``, in a worker of their own.

    They are feedback, not grade: each result is worth 0 points, whatever the test's marker says, so that a
    channel can show them beside the hidden tests (Gradescope: always visible) without changing the score.
    """
    files = [p for p in (PUBLIC / f"test_{name}.py" for name in (only or EXERCISES)) if p.exists()]
    if not files:
        raise RuntimeError(f"no public tests in {PUBLIC}: this copy of the kit does not carry tests/public")
    report, code = _run(pytest_args(Path(submission).resolve(), only, isolated, tests=files))
    if report is None:
        raise RuntimeError(f"the public tests did not run (pytest exit code {code})")
    for t in report.tests:
        t.score = t.max_score = 0.0
    return report.tests


def _run(args: list[str]) -> tuple[Report | None, int]:
    capture = _Capture()
    # the suites' tmp_path lives in a folder of this run's own: pytest's shared /tmp/pytest-of-<user> (and whatever
    # other runs left there) is never read, cleaned or written by a grading run
    with tempfile.TemporaryDirectory(prefix="autograder-pytest-") as basetemp:
        code = pytest.main([*args, "--basetemp", str(Path(basetemp) / "tmp")], plugins=[capture])
    return capture.report, int(code)
