"""The student's Jupyter kernel: ``%%module`` cells run inside their modules; ``check()`` and ``grade_hidden()``.

Run in Jupyter, a ``%%module embeddings.one_hot`` cell executes its code *inside that module*
(created in ``sys.modules`` on first use), so the modules import one another exactly as files do
(``from attention.masks import causal_mask``); the cell format is :mod:`autograder.notebook.cells`.

The test cells of a notebook call :func:`check` (the exercise's public tests, for the student)
and, in their hidden part that only nbgrader's autograder runs, :func:`grade_hidden` (the hidden
suite; its value is the cell's partial credit). Both run the modules *as the kernel has them*,
written to a temporary submission root.

Trust: nbgrader runs the tests in the student's own kernel, so a determined student can forge an
nbgrader score (true of every nbgrader test). Where that matters, grade the notebooks with
``python -m autograder grade`` (isolated worker), which reads the cells and never runs them in
the grading process.
"""

from __future__ import annotations
import __future__

import contextlib
import io
import linecache
import os
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autograder.notebook.cells import join_chunks, write_root

KIT_ROOT = Path(__file__).resolve().parents[2]  # the folder holding autograder/ and tests/


# --------------------------------------------------------------------------- the kernel side

# module -> the code of every module cell run in this kernel, in the order it ran.
_RUN: dict[str, list[str]] = {}


def _module(name: str) -> types.ModuleType:
    """The notebook module ``name``, created (with its parent packages) on first use."""
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__notebook__", False):
        return existing
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        qualified = ".".join(parts[:depth])
        module = sys.modules.get(qualified)
        if module is None or not getattr(module, "__notebook__", False):
            module = types.ModuleType(qualified)
            module.__notebook__ = True  # type: ignore[attr-defined]
            if depth < len(parts):
                module.__path__ = []  # a package, so that `import package.module` works
            sys.modules[qualified] = module
            if depth > 1:
                setattr(sys.modules[".".join(parts[: depth - 1])], parts[depth - 1], module)
    return sys.modules[name]


def run_module_cell(name: str, code: str) -> None:
    """Execute ``code`` inside the module ``name`` and remember it (what ``%%module name`` does)."""
    module = _module(name)
    filename = f"<{name} cell {sum(map(len, _RUN.values())) + 1}>"
    linecache.cache[filename] = (
        len(code),
        None,
        code.splitlines(keepends=True),
        filename,
    )  # tracebacks show the cell's lines
    flags = __future__.annotations.compiler_flag if module.__dict__.get("annotations") is __future__.annotations else 0
    compiled = compile(code, filename, "exec", flags=flags, dont_inherit=True)
    exec(compiled, module.__dict__)  # running the student's cell is the point
    _RUN.setdefault(name, []).append(code)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autograder.notebook`` defines the ``%%module`` cell magic."""

    def module(line: str, cell: str) -> None:
        """%%module package.module -- run this cell's code inside that module."""
        name = line.strip()
        if not name:
            raise ValueError("usage: %%module package.module")
        run_module_cell(name, cell)

    ipython.register_magic_function(module, magic_kind="cell", magic_name="module")


def kernel_modules() -> dict[str, str]:
    """module -> source, as this kernel ran its module cells."""
    return {name: join_chunks(chunks) for name, chunks in _RUN.items()}


@contextlib.contextmanager
def _quiet() -> Iterator[io.StringIO]:
    """Send everything written to stdout and stderr, by Python or C code, into the yielded buffer.

    nbgrader gives a test cell zero points as soon as it writes to stderr, so a warning raised by
    the student's code (or by a library) while the grader runs must not reach the notebook's stderr.
    """
    buffer = io.StringIO()
    saved_writes = []
    # Objects that kept a reference to the kernel's streams (a logging handler) write through them.
    for stream in {id(sys.stdout): sys.stdout, id(sys.stderr): sys.stderr}.values():
        try:
            own = vars(stream).get("write")
            stream.write = buffer.write
        except (AttributeError, TypeError):
            continue
        saved_writes.append((stream, own))
    saved_fds = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        for fd in (1, 2):
            try:
                saved_fds.append((fd, os.dup(fd)))
                os.dup2(sink.fileno(), fd)
            except OSError:
                pass
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                yield buffer
        finally:
            for fd, copy in saved_fds:
                os.dup2(copy, fd)
                os.close(copy)
            for stream, write in saved_writes:
                if write is None:
                    del stream.write
                else:
                    stream.write = write
            sink.seek(0)
            buffer.write(sink.read().decode("utf-8", "replace"))


def _run_tests(args: list[str]) -> Any:
    """Run pytest in this process with the course's plugin; returns the plugin's report.

    A test may switch matplotlib to a non-interactive backend (to inspect a plot); the notebook
    gets its own backend back, so that its next figures still show.
    """
    import pytest

    from autograder.grading.plugin import report_of

    class Keep:
        report = None

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(self, session: pytest.Session) -> None:
            Keep.report = report_of(session.config)

    backend = sys.modules["matplotlib"].get_backend() if "matplotlib" in sys.modules else None
    try:
        pytest.main(args, plugins=[Keep()])
    finally:
        if backend is not None and sys.modules["matplotlib"].get_backend() != backend:
            import matplotlib.pyplot as plt

            plt.switch_backend(backend)
    return Keep.report


class PublicTestsFailed(AssertionError):
    """Some public tests of an exercise do not pass yet."""


def check(exercise: str) -> None:
    """Run ``exercise``'s public tests on this notebook's code; raise when one does not pass.

    While nbgrader autogrades, this only says that the hidden tests decide the points (they
    cover the same ground and more).
    """
    __tracebackhide__ = True
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(f"{exercise}: graded by the hidden tests (the public tests are the ones you ran yourself).")
        return
    tests = KIT_ROOT / "tests" / "public" / f"test_{exercise}.py"
    if not tests.exists():
        print(f"{exercise}: no public tests in {tests.parent}")
        return
    with tempfile.TemporaryDirectory(prefix="notebook-") as tmp, contextlib.redirect_stderr(sys.stdout):
        root = write_root(kernel_modules(), tmp)
        report = _run_tests(
            [
                str(tests),
                "-p",
                "autograder.grading.plugin",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:faulthandler",
                "--rootdir",
                str(tests.parent),
                "--capture=sys",
                "-q",
                "--no-header",
                "--color=no",
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
                "--submission",
                str(root),
            ]
        )
    failing = [t for t in report.tests if t.status != "passed"] if report and report.tests else [None]
    if failing:
        total = len(report.tests) if report else 0
        raise PublicTestsFailed(f"{len(failing)} of {total} public tests of {exercise} do not pass yet (see above)")


def _feedback(report: Any) -> str:
    lines = []
    for t in report.tests:
        mark = "ok  " if t.status == "passed" else "FAIL"
        lines.append(f"{mark} {t.title}  ({t.score:g}/{t.max_score:g})")
        if t.status != "passed" and t.output.strip():
            lines += ["       " + line for line in t.output.strip().splitlines()[:12]]
    return "\n".join(lines)


def grade_hidden(exercise: str, points: float) -> float:
    """Grade this notebook's code with ``exercise``'s hidden suite; print the feedback; return the score out of
    ``points``.

    Called by the hidden part of a test cell, whose value nbgrader reads as the cell's partial
    credit. Nothing reaches stderr (see :func:`_quiet`): what the code or pytest print while the
    suite runs is dropped, and the feedback is printed afterwards.
    """
    from autograder.grading import runner

    with tempfile.TemporaryDirectory(prefix="notebook-") as tmp, _quiet() as captured:
        root = write_root(kernel_modules(), tmp)
        report = _run_tests(
            [*runner.pytest_args(root, [exercise], isolated=False), "-p", "no:faulthandler", "--capture=sys"]
        )
    if report is None or not report.tests:
        print(f"{exercise}: the hidden tests did not run")
        print(captured.getvalue()[-3000:])
        return 0.0
    print(f"{exercise}: {report.score:g}/{report.max_score:g} points from the hidden tests")
    print(_feedback(report))
    return round(points * report.score / report.max_score, 4) if report.max_score else 0.0
