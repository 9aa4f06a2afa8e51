"""What goes where, decided by the trust-domain folders alone (see :mod:`autograder`).

Each copy of the kit is one folder rule, never a list of file names:

- the worker (:func:`worker_runtime_files`): ``autograder/runtime/`` and ``course/``;
- the student bundle (:func:`student_kit_files`): ``autograder/`` without ``suites/`` and ``authoring/``;
- the Gradescope zip (:func:`gradescope_kit_files`): ``autograder/`` without ``authoring/``, and ``tests/public/``;
- the grader's own files, which no submission may change (:func:`grader_files`): all of ``autograder/``,
  ``solutions/``, ``course/`` and ``tests/public/``.

A new module lands in the right copies by the folder it is written in.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # autograder/
REPO_ROOT = PACKAGE.parent
STAND_INS_DIR = PACKAGE / "runtime" / "standins"
STAND_INS_SHARED = ("__init__.py", "base.py")  # the stand-ins package's own files: no implementation in them
PUBLIC_TESTS = REPO_ROOT / "tests" / "public"  # the student's own tests; Gradescope runs them too (grade --public)
DOMAINS = {
    "runtime": "runs next to student code in the worker; imports nothing from the other folders",
    "grading": "the trusted process; never imports student code or authoring/",
    "notebook": "what the student's Jupyter kernel loads",
    "authoring": "instructor-only tooling; never shipped, never on the grading path",
    "suites": "the hidden tests; never shipped",
}
NOT_FOR_STUDENTS = ("suites", "authoring")
NOT_FOR_GRADESCOPE = ("authoring",)


def _files(folder: Path) -> list[Path]:
    """Every file of ``folder`` that a copy carries: no caches, no hidden files (.ruff_cache), no compiled files."""

    def kept(p: Path) -> bool:
        rel = p.relative_to(folder).parts
        return p.is_file() and "__pycache__" not in rel and not any(part.startswith(".") for part in rel)

    return sorted(p for p in folder.rglob("*") if kept(p) and p.suffix not in (".pyc", ".pyo"))


def _kit(without: tuple[str, ...]) -> list[tuple[Path, str]]:
    return [
        (p, p.relative_to(REPO_ROOT).as_posix())
        for p in _files(PACKAGE)
        if p.relative_to(PACKAGE).parts[0] not in without
    ]


def worker_runtime_files(stand_ins: Iterable[str] = ()) -> list[tuple[Path, str]]:
    """(source, name in the worker's runtime folder) of ``autograder/runtime/`` and ``course/``.

    Of the stand-ins (``autograder/runtime/standins/``), only those of ``stand_ins`` (student module names) are
    copied: a worker never holds the stand-in of the exercise it grades, or of one downstream of it. The worker's
    ``autograder/__init__.py`` is an empty file the workspace writes, so the worker imports nothing of the package
    but ``runtime``.
    """
    from autograder.runtime import standins

    wanted = standins.files_of(stand_ins) | set(STAND_INS_SHARED)
    files = [
        (p, p.relative_to(REPO_ROOT).as_posix())
        for folder in (PACKAGE / "runtime", REPO_ROOT / "course")
        for p in _files(folder)
    ]
    return [(p, name) for p, name in files if p.suffix == ".py" and (p.parent != STAND_INS_DIR or p.name in wanted)]


def student_kit_files() -> list[tuple[Path, str]]:
    """(source, name in the bundle) of the grader a student gets: ``autograder/`` without the hidden suites and
    authoring/, and without the stand-ins' implementations (``runtime/standins/``: working attention and layers, which
    only a downstream exercise's hidden tests run; the student's own loop never needs them).
    """
    return [(p, name) for p, name in _kit(NOT_FOR_STUDENTS) if not _stand_in_implementation(p)]


def _stand_in_implementation(path: Path) -> bool:
    return path.parent == STAND_INS_DIR and path.name not in STAND_INS_SHARED


def gradescope_kit_files() -> list[tuple[Path, str]]:
    """(source, name in the zip) of the grader Gradescope runs: ``autograder/`` without authoring/, and the public
    tests (``tests/public/``), which Gradescope shows beside the hidden ones.
    """
    return _kit(NOT_FOR_GRADESCOPE) + [(p, p.relative_to(REPO_ROOT).as_posix()) for p in _files(PUBLIC_TESTS)]


def grader_files() -> list[Path]:
    """The files that decide a grade or run in the grading process: all of ``autograder/``, the reference,
    ``course/`` and the public tests (``grade --public`` runs them there).
    """
    folders = (PACKAGE, REPO_ROOT / "solutions", REPO_ROOT / "course", PUBLIC_TESTS)
    return [p for folder in folders for p in _files(folder)]
