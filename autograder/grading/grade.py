"""Grading one submission: the isolation check, a private copy, the hidden suites, the public tests, results.json.

``python -m autograder grade`` (and Gradescope's ``run_autograder``, through :func:`autograder.grading.gradescope.
gradescope_run`) parse their arguments into :class:`GradeOptions` and call :func:`grade_submission`; the CLI only
parses and prints.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.grading import handin, runner, sandbox
from autograder.grading.results import Report, atomic_write
from autograder.notebook.cells import notebook_files
from autograder.runtime.curriculum import EXERCISES, PACKAGES
from autograder.runtime.errors import ErrorKind
from autograder.settings import STRICT, Settings

REFUSED = 3  # the exit status when the sandbox is below what is required, or the grader itself failed


@dataclass(frozen=True)
class GradeOptions:
    """What ``grade`` was asked for (the CLI's options, one field each)."""

    results: Path  # where results.json goes (written atomically, at the end)
    only: list[str] | None = None  # the exercises to grade (None: all)
    junit: Path | None = None  # also JUnit XML here
    in_process: bool = False  # import the submission in this process (debugging only: no isolation)
    public: bool = False  # also run the public tests, 0 points each
    hidden_visibility: str | None = None  # None: AUTOGRADER_HIDDEN_VISIBILITY


class Refused(Exception):
    """Grading cannot run here (the sandbox is below ``AUTOGRADER_REQUIRE``); the message says why and what to do."""


def check_sandbox(settings: Settings) -> dict[str, Any]:
    """Before any student code runs: what this platform lets the grader enforce, against what is required.

    Prints the sandbox's line (and a warning for what it lacks where nothing is required); returns what results.json
    records of it. Raises :class:`Refused` when a required property is missing.
    """
    from autograder.grading.worker import describe_sandbox, isolation_record, missing_isolation, probe_isolation
    from autograder.grading.worker import refusal as isolation_refusal

    hello = probe_isolation(settings)
    missing = missing_isolation(hello, settings.require or [])
    if missing:
        raise Refused(isolation_refusal(missing, hello))
    print(describe_sandbox(hello), file=sys.stderr)
    record = isolation_record(hello)
    if record["missing"] and settings.require is None:
        print(
            f"warning: this sandbox lacks {', '.join(record['missing'])}; AUTOGRADER_REQUIRE={STRICT} makes grading "
            "refuse to run in it (the default for Gradescope and batch)",
            file=sys.stderr,
        )
    return record


def _private_copy(submission: Path, private: Path) -> tuple[Path, str | None, list[str]]:
    """(the folder to grade, why the submission was refused or None, notes for the student) from a safe copy."""
    try:
        root = sandbox.prepare(submission, private / "submission")
        if notebook_files([root]) or not any((root / p).is_dir() for p in PACKAGES):  # notebooks, loose files
            root, notes = handin.prepare(root, private / "from-notebooks")
        else:
            notes = []
        return root, None, notes
    except sandbox.SubmissionError as error:
        refused = str(error)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, UnicodeError) as error:
        # a malformed hand-in (a notebook that is not one ...) is the submission's problem: a result that says so
        refused = f"the hand-in could not be read ({type(error).__name__}: {str(error)[:200]})"
    empty = private / "empty"
    empty.mkdir(exist_ok=True)
    return empty, refused, []


def _public_tests(report: Report, root: Path, options: GradeOptions, notes: list[str]) -> None:
    """The public tests beside the hidden ones, except where a function hung in the hidden tests (its time is spent)."""
    hung = sorted({t.exercise for t in report.tests if t.error_kind == ErrorKind.TIMEOUT})
    public = [e for e in options.only or EXERCISES if e not in hung]
    if hung:
        notes.append(f"Public tests not run for {', '.join(hung)}: a function there hung in the hidden tests.")
    try:
        if public:
            report.public = runner.public_results(root, public, isolated=not options.in_process)
    except RuntimeError as error:  # the grade stands; the missing feedback is said, never silent
        print(f"warning: {error}", file=sys.stderr)
        notes.append(f"The public tests did not run: {error}")


def grade_submission(submission: Path, options: GradeOptions) -> None:
    """Grade ``submission`` (a folder, a zip, notebooks) into ``options.results``.

    Raises :class:`Refused` where the sandbox is below what is required, or the grader itself could not run; a bad
    submission is never an exception: its results.json says what was wrong.
    """
    settings = Settings.from_env()
    sandbox_record = {} if options.in_process else check_sandbox(settings)
    with tempfile.TemporaryDirectory(prefix="autograder-grade-") as tmp:
        private = Path(tmp)
        os.chmod(private, 0o700)
        root, refused, notes = _private_copy(submission, private)
        junit = private / "junit.xml" if options.junit else None
        try:
            report, _ = runner.grade(root, options.only, isolated=not options.in_process, junit=junit, refused=refused)
        except RuntimeError as error:
            raise Refused(f"error: {error}") from None
        if options.public and not refused:
            _public_tests(report, root, options, notes)
        if refused:
            report.output = f"This submission was not graded: {refused}"
        elif notes:
            report.output = "\n".join(notes)
        report.isolation = sandbox_record
        report.write(private / "results.json", options.hidden_visibility or settings.hidden_visibility)
        atomic_write(options.results.resolve(), (private / "results.json").read_bytes())
        if options.junit is not None and junit is not None and junit.exists():
            atomic_write(options.junit.resolve(), junit.read_bytes())
