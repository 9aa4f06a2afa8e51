"""The student's Jupyter kernel: ``%%module`` cells run inside their modules; ``check()`` and ``grade_hidden()``.

Run in Jupyter, a ``%%module embeddings.one_hot`` cell executes its code *inside that module*
(created in ``sys.modules`` on first use), so the modules import one another exactly as files do
(``from attention.masks import causal_mask``); the cell format is :mod:`autograder.notebook.cells`.

The test cells of a notebook call :func:`check` (the exercise's public tests, for the student)
and, in their hidden part that only nbgrader's autograder runs, :func:`grade_hidden` (the hidden
suite; its value is the cell's partial credit). Both run the modules *as the kernel has them*,
written to a temporary submission root.

Trust: code in the student's kernel can forge whatever runs after it there. The course's
``nbgrader_config.py`` therefore scores the test cells in the isolated worker under ``nbgrader
autograde`` (:mod:`autograder.grading.nbgrader_grades`), and :func:`grade_hidden` then leaves the
kernel's test cells alone; its own run of the hidden suite is for course folders configured otherwise.
"""

from __future__ import annotations
import __future__

import contextlib
import io
import linecache
import os
import re
import signal
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograder.notebook.cells import MODULES, is_module_name, join_chunks, write_root
from autograder.runtime.curriculum import EXERCISES

KIT_ROOT = Path(__file__).resolve().parents[2]  # the folder holding autograder/ and tests/


# --------------------------------------------------------------------------- the kernel side

# module -> {cell -> the code it last ran}, in the order the cells first ran. A cell run again replaces its
# earlier code; a cell that failed (a syntax error) stays, so that the grader sees the module as a file would be.
_RUN: dict[str, dict[str, str]] = {}
_DEFINITION = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)", re.MULTILINE)


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


def _cell_key(code: str, cell_id: str | None) -> str:
    """Which cell ran ``code``: Jupyter's cell id, else the first definition it holds, else a new key."""
    if cell_id:
        return f"cell {cell_id}"
    definition = _DEFINITION.search(code)
    return f"def {definition.group(1)}" if definition else f"run {sum(map(len, _RUN.values())) + 1}"


def run_module_cell(name: str, code: str, cell_id: str | None = None, filename: str | None = None) -> None:
    """Execute ``code`` inside the module ``name`` and remember it (what ``%%module name`` does).

    The code is remembered before it runs: a cell with a syntax error is part of the module the
    grader sees, so ``check()`` and the hidden tests report that error (with its line in the module)
    exactly as they do for a file.
    """
    if not is_module_name(name):
        raise ValueError(f"%%module {name}: not a module of the course (expected one of {sorted(MODULES)})")
    module = _module(name)
    _RUN.setdefault(name, {})[_cell_key(code, cell_id)] = code
    filename = filename or f"<{name} cell {sum(map(len, _RUN.values()))}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)  # tracebacks show it
    flags = __future__.annotations.compiler_flag if module.__dict__.get("annotations") is __future__.annotations else 0
    compiled = compile(code, filename, "exec", flags=flags, dont_inherit=True)
    exec(compiled, module.__dict__)  # running the student's cell is the point


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autograder.notebook`` defines the ``%%module`` cell magic."""

    def module(line: str, cell: str) -> None:
        """%%module package.module -- run this cell's code inside that module."""
        name = line.strip()
        if not name:
            raise ValueError("usage: %%module package.module")
        kernel = getattr(ipython, "kernel", None)
        parent = kernel.get_parent() if kernel is not None and hasattr(kernel, "get_parent") else {}
        run_module_cell(name, cell, ((parent or {}).get("metadata") or {}).get("cellId"))

    ipython.register_magic_function(module, magic_kind="cell", magic_name="module")
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        _bound_cells(ipython)


class CellTimeout(TimeoutError):
    """A notebook cell ran past its limit while nbgrader autograded (an endless loop in the student's code)."""


def _bound_cells(ipython: Any) -> None:
    """Under ``nbgrader autograde``, each cell may run ``AUTOGRADER_CALL_TIMEOUT`` seconds; test cells keep their own.

    A cell that calls the student's endless loop (a demo under an exercise) would otherwise wait for
    nbgrader's cell timeout, minutes, for each such cell; it now stops with a message that says why,
    and the notebook goes on. :func:`grade_hidden` lifts the limit for the hidden suite, which bounds
    its own time (a limit per test, a budget per exercise).
    """
    from autograder.settings import Settings

    seconds = Settings.from_env().call_timeout

    def expire(signum: int, frame: Any) -> None:
        raise CellTimeout(f"this cell did not finish within {seconds:g} s (an endless loop? far too slow?)")

    def start(*_: Any) -> None:
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)

    def stop(*_: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)

    ipython.events.register("pre_run_cell", start)
    ipython.events.register("post_run_cell", stop)


def kernel_modules() -> dict[str, str]:
    """module -> source, as this kernel ran its module cells."""
    return {name: join_chunks(cells.values()) for name, cells in _RUN.items()}


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
            stream.write = buffer.write  # type: ignore[method-assign]
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
                    stream.write = write  # type: ignore[method-assign]
            sink.seek(0)
            buffer.write(sink.read().decode("utf-8", "replace"))


def _run_tests(args: list[str], plugins: tuple[Any, ...] = ()) -> Any:
    """Run pytest in this process with the course's plugin; returns the plugin's report.

    A test may switch matplotlib to a non-interactive backend (to inspect a plot); the notebook
    gets its own backend back, so that its next figures still show.
    """
    from autograder.grading.plugin import report_of

    class Keep:
        report = None

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(self, session: pytest.Session) -> None:
            Keep.report = report_of(session.config)

    backend = sys.modules["matplotlib"].get_backend() if "matplotlib" in sys.modules else None
    try:
        pytest.main(args, plugins=[*plugins, Keep()])
    finally:
        if backend is not None and sys.modules["matplotlib"].get_backend() != backend:
            import matplotlib.pyplot as plt

            plt.switch_backend(backend)
    return Keep.report


# --------------------------------------------------------------------------- earlier parts, by the one rule

# module -> where bring() loaded it from (a file or a notebook), for the modules of earlier parts in this kernel
_BROUGHT: dict[str, str] = {}


def bring(*modules: str) -> None:
    """Load the student's own ``modules`` of earlier parts into this kernel, from what is graded; say where each came
    from (:mod:`autograder.notebook.carry`). Running it again reloads them: nothing is pasted, nothing drifts."""
    from autograder.notebook import carry

    here = Path.cwd()
    for module in modules:
        if not is_module_name(module):
            raise ValueError(f"bring({module!r}): not a module of the course (expected one of {sorted(MODULES)})")
        work = carry.find(module, here, KIT_ROOT)
        print(carry.describe(work, module))
        if work is None:
            continue
        _RUN[module] = {}  # what was brought before (or pasted into cells) gives way to what is graded now
        _BROUGHT[module] = work.origin
        try:
            run_module_cell(module, work.source, "brought", filename=f"<{module} from {work.origin}>")
        except Exception as error:  # noqa: BLE001 - the student's earlier module fails to run: said, and the rest load
            print(f"    ... but it fails to run: {type(error).__name__}: {error}")


class MissingWork(RuntimeError):
    """A cell needs an exercise (of this part or an earlier one) that is not written yet."""


def require(*exercises: str) -> None:
    """Stop a cell at once, with one sentence that says what to bring, when it needs an exercise not written yet.

    A stub's function raises ``NotImplementedError`` deep inside the cell; a cell that then fails leaves
    its names undefined, and each later cell fails with a ``NameError``. The capstone's cells call this
    first (``require("bpe", "models")``), so each says the same thing instead.
    """
    from autograder.notebook import carry

    for exercise in exercises:
        module = EXERCISES[exercise]
        part = module.split(".")[0]
        where = f"Part {carry.PART_NUMBER[part]}"
        code = kernel_modules().get(module)
        if code is None:
            raise MissingWork(
                f"this cell needs your {exercise} ({module}, {where}), which this kernel does not have: run its "
                "%%module cells above, or, for an earlier part, the cell bring(...) at the top of this notebook"
            )
        missing = carry.not_written(code)
        if missing:
            brought = module in _BROUGHT
            raise MissingWork(
                f"this cell needs your {exercise} ({module}, {where})"
                + (f" (loaded from {_BROUGHT[module]})" if brought else "")
                + f", and {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not written yet: finish "
                f"{exercise} in {where}, then "
                + ("re-run bring(...) at the top of this notebook and this cell" if brought else "run this cell again")
            )


def drift() -> list[str]:
    """Where what this kernel runs differs from what grading reads (one line each; empty when they agree).

    A module brought from an earlier part that changed since (re-run ``bring``), and a module of this
    notebook whose file in ``assignments/`` was changed and differs from the cells (the file is graded).
    """
    from autograder.grading.handin import digest, released_stubs
    from autograder.notebook import carry

    here, stubs, notes = Path.cwd(), released_stubs(), []
    for module, code in kernel_modules().items():
        if module in _BROUGHT:
            work = carry.find(module, here, KIT_ROOT)
            if work is None or digest(work.source) != digest(code):
                now = f"what is graded ({work.origin}) has changed since" if work else "it is no longer found"
                notes.append(f"{module}: this kernel runs what bring() loaded from {_BROUGHT[module]}, and {now}: "
                             "re-run bring(...) at the top of this notebook")  # fmt: skip
            continue
        path = KIT_ROOT / "assignments" / Path(*module.split(".")).with_suffix(".py")
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if digest(text) != stubs.get(module) and digest(text) != digest(code):
                notes.append(
                    f"{module}: assignments/{Path(*module.split('.')).as_posix()}.py is graded, not these cells: "
                    f"you changed that file, and it differs from the %%module {module} cells"
                )
    return notes


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
    for note in drift():
        print(f"Note: {note}.")
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


def _display(bundle: dict[str, Any]) -> None:
    """Show ``bundle`` as the cell's display output where a Jupyter kernel runs this (nbgrader), else nowhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display(bundle, raw=True)


class _HangGuard:
    """In the kernel, a call that the per-test timeout interrupted fails later calls of the same function at once.

    The hidden suite runs in the student's kernel (nbgrader), where pytest-timeout's alarm stops an
    endless loop inside the call. The failure then reads as it does from the isolated worker
    (``the call of ... did not finish within 60 s``), and the function's other tests fail at once
    instead of waiting for the alarm again, so the suite's other exercises keep their time and points.
    """

    def __init__(self) -> None:
        self.hung: dict[str, str] = {}

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from autograder.grading.adapter import InProcessStudent

        original = InProcessStudent.probe
        guard = self

        def probe(student: InProcessStudent, name: str, /, **kwargs: Any) -> Any:
            target = str(kwargs.get("target", name))
            if target in guard.hung:
                raise guard.error(guard.hung[target])
            start = time.monotonic()
            try:
                return original(student, name, **kwargs)
            except BaseException as error:
                if type(error).__name__ != "Failed" or "Timeout" not in str(error):
                    raise
                guard.hung[target] = (
                    f"the call of {target} did not finish within {time.monotonic() - start:.3g} s "
                    "(an endless loop? far too slow?)"
                )
                raise guard.error(guard.hung[target]) from None

        InProcessStudent.probe = probe  # type: ignore[method-assign]
        try:
            yield
        finally:
            InProcessStudent.probe = original  # type: ignore[method-assign]

    @staticmethod
    def error(message: str) -> Exception:
        from autograder.grading.adapter import StudentError

        return StudentError("timeout", ["TimeoutError"], message)


class _Budget:
    """Tests that would start after the suite's time budget fail at once, so the cell ends before nbgrader's timeout.

    What the suite earned until then is kept: nbgrader's cell timeout would wipe the whole cell.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: Any) -> None:
        if time.monotonic() > self.deadline:
            from autograder.grading.adapter import StudentError

            raise StudentError(
                "timeout",
                ["TimeoutError"],
                f"not run: the hidden tests of this exercise used up their {self.seconds:g} s "
                "(an earlier call was far too slow)",
            )


def grade_hidden(exercise: str, points: float) -> float:
    """Grade this notebook's code with ``exercise``'s hidden suite; print the feedback; return the score out of
    ``points``.

    Called by the hidden part of a test cell, whose value nbgrader reads as the cell's partial
    credit. Nothing reaches stderr (see :func:`_quiet`): what the code or pytest print while the
    suite runs is dropped, and the feedback is printed afterwards. A kit without its hidden suites
    (``COURSE_KIT`` not pointing at the instructor's kit) is an error, never a zero.

    Under ``nbgrader autograde`` with the course's sandbox step (``AUTOGRADER_NOTEBOOK_SANDBOX``, set by
    ``nbgrader_config.py``) it only says so and returns 0: that step scores the cell in the isolated worker.
    """
    from autograder.grading import runner
    from autograder.grading.nbgrader_grades import feedback, results_bundle
    from autograder.settings import Settings

    settings = Settings.from_env()
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and settings.notebook_sandbox:
        # the course's nbgrader_config.py scores this cell in the isolated worker and replaces what it shows; were
        # that step missing, this cell must be worth nothing rather than everything
        print(f"{exercise}: scored in the isolated worker by nbgrader autograde")
        return 0.0
    signal.setitimer(signal.ITIMER_REAL, 0)  # the cell's own limit (autograde): the suite bounds its time itself
    runner.require_suites([exercise])
    budget, guard = _Budget(settings.notebook_budget), _HangGuard()
    with tempfile.TemporaryDirectory(prefix="notebook-") as tmp, _quiet() as captured, guard.installed():
        root = write_root(kernel_modules(), tmp)
        report = _run_tests(
            [
                *runner.pytest_args(root, [exercise], isolated=False),
                "-p",
                "no:faulthandler",
                "--capture=sys",
                f"--timeout={settings.call_timeout:g}",  # the worker's limit per call; here per test
            ],
            (budget,),
        )
    if report is None or not report.tests:
        raise RuntimeError(f"{exercise}: the hidden tests did not run:\n{captured.getvalue()[-3000:]}")
    where, chosen_by = "in your notebook's kernel", "AUTOGRADER_HIDDEN_VISIBILITY"
    print(feedback(exercise, report.tests, settings.hidden_visibility, where, points, chosen_by))
    _display(results_bundle(report))
    return round(points * report.score / report.max_score, 4) if report.max_score else 0.0
