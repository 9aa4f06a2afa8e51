"""Run the hidden suites on one submission and return the :class:`~autograder.results.Report`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from autograder.grading.results import Report
from autograder.layout import PACKAGE
from autograder.runtime.curriculum import EXERCISES

SUITES = PACKAGE / "suites"


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
) -> list[str]:
    """The pytest command line of a grading run: our suites and our config, nothing of the submission's."""
    args = [
        *map(str, require_suites(only)),
        "-c",
        str(SUITES / "pytest.ini"),
        "--rootdir",
        str(SUITES),
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
        "--points",
    ]
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
    capture = _Capture()
    args = pytest_args(Path(submission).resolve(), only, isolated, results, junit, refused)
    # the suites' tmp_path lives in a folder of this run's own: pytest's shared /tmp/pytest-of-<user> (and whatever
    # other runs left there) is never read, cleaned or written by a grading run
    with tempfile.TemporaryDirectory(prefix="autograder-pytest-") as basetemp:
        code = pytest.main([*args, "--basetemp", str(Path(basetemp) / "tmp")], plugins=[capture])
    if capture.report is None:
        raise RuntimeError(f"the hidden suites did not run (pytest exit code {code})")
    return capture.report, int(code)
