"""The course's notebooks: one module per ``%%module`` cell group, mapped back onto a submission root.

A notebook of the course holds each exercise module as a run of code cells that start with the
cell magic ``%%module <package.module>`` (``%%module embeddings.one_hot``). Run in Jupyter, such
a cell executes its code *inside that module* (created in ``sys.modules`` on first use), so the
modules import one another exactly as files do (``from attention.masks import causal_mask``).
Read from disk, the same cells, joined in order, are the module's source file: that is how a
notebook hand-in becomes a submission root that ``python -m autograder grade`` grades like any
other (:func:`to_submission`).

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

import ast
import contextlib
import io
import json
import linecache
import os
import shutil
import sys
import tempfile
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

MAGIC = "%%module"
METADATA_KEY = "course"  # cell.metadata["course"] = {"module": "embeddings.one_hot"}; nb.metadata["course"] = {"part": ...}
KIT_ROOT = Path(__file__).resolve().parent.parent
CHUNK_SEPARATOR = "\n\n\n"  # two blank lines, as between top-level definitions


# --------------------------------------------------------------------------- module <-> cells


def split_module(source: str) -> list[str]:
    """Cut a module's source into cells: the header with the first definition, then one per top-level definition.

    Joining the chunks with :func:`join_chunks` gives back ``source`` exactly; a cut is only made
    where two blank lines separate the definitions, so that promise holds for any file (a file
    that cannot be cut that way stays one chunk).
    """
    lines = source.splitlines(keepends=True)
    starts = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1  # comments directly above a definition belong to it
            starts.append(first)
    cuts = [s for s in starts[1:] if s >= 3 and "".join(lines[s - 3 : s]).endswith("\n\n\n") and lines[s - 3].strip()]
    chunks, previous = [], 0
    for cut in cuts:
        chunks.append("".join(lines[previous:cut]).rstrip("\n"))
        previous = cut
    chunks.append("".join(lines[previous:]).rstrip("\n"))
    if join_chunks(chunks) != source:
        return [source.rstrip("\n")]
    return chunks


def join_chunks(chunks: Iterable[str]) -> str:
    """The module source of its cells' code (the inverse of :func:`split_module`)."""
    return CHUNK_SEPARATOR.join(chunk.strip("\n") for chunk in chunks) + "\n"


def cell_source(module: str, chunk: str) -> str:
    """The text of a notebook cell holding ``chunk`` of ``module``."""
    return f"{MAGIC} {module}\n{chunk}"


def parse_cell(source: str, metadata: dict[str, Any] | None = None) -> tuple[str, str] | None:
    """``(module, code)`` of a module cell, or None for any other cell.

    The ``%%module`` line decides; a cell whose magic line was deleted still belongs to the module
    its metadata names.
    """
    first, _, rest = source.partition("\n")
    if first.startswith(MAGIC + " "):
        return first[len(MAGIC) :].strip(), rest
    module = ((metadata or {}).get(METADATA_KEY) or {}).get("module")
    return (module, source) if module else None


def _part_of(module: str) -> str:
    return module.split(".")[0]


def notebook_modules(nb: Any) -> dict[str, list[str]]:
    """module -> the code of its cells, in notebook order."""
    modules: dict[str, list[str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parsed = parse_cell(cell.source, cell.get("metadata"))
        if parsed:
            modules.setdefault(parsed[0], []).append(parsed[1])
    return modules


def notebook_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every ``.ipynb`` among ``paths`` (files, or folders searched recursively), checkpoints skipped."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.suffix == ".ipynb":
            found.append(path)
    return found


def collect_modules(notebooks: Iterable[str | Path]) -> dict[str, str]:
    """module -> source, from the module cells of ``notebooks``.

    A module may appear in several notebooks: Part 3's notebook carries the student's Part 2
    attention code. The notebook of the module's own part wins (``attention.ipynb`` for
    ``attention.*``); otherwise the first notebook that has it.
    """
    import nbformat

    by_module: dict[str, list[tuple[bool, list[str]]]] = {}
    for path in notebook_files(notebooks):
        nb = nbformat.read(path, as_version=4)
        part = (nb.metadata.get(METADATA_KEY) or {}).get("part", path.stem)
        for module, chunks in notebook_modules(nb).items():
            by_module.setdefault(module, []).append((part == _part_of(module), chunks))
    return {module: join_chunks(max(found, key=lambda item: item[0])[1]) for module, found in by_module.items()}


def write_root(modules: dict[str, str], dest: str | Path) -> Path:
    """Write ``modules`` (name -> source) as a submission root at ``dest`` (packages get an ``__init__.py``)."""
    dest = Path(dest)
    for module, source in modules.items():
        *packages, stem = module.split(".")
        folder = dest.joinpath(*packages)
        folder.mkdir(parents=True, exist_ok=True)
        for depth in range(1, len(packages) + 1):
            init = dest.joinpath(*packages[:depth], "__init__.py")
            if not init.exists():
                init.write_text("", encoding="utf-8")
        (folder / f"{stem}.py").write_text(source, encoding="utf-8")
    return dest


def to_submission(notebooks: Iterable[str | Path], dest: str | Path) -> Path:
    """Notebooks (files or folders holding them) -> a submission root at ``dest`` that the grader reads.

    Each module becomes the file made of its cells; a module no notebook holds is absent, which
    costs its exercise's points and nothing else. Returns ``dest``.
    """
    return write_root(collect_modules(notebooks), dest)


SKIPPED_DIRS = {"autograder", "course", "tests", "kit", "venv", "site-packages", "node_modules", "__pycache__"}


def _shipped(rel: Path) -> bool:
    """True for a path inside the course's own runtime or tooling (never the student's code)."""
    return any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1])


def _module_files(handin: Path) -> dict[str, Path]:
    """module -> file for the ``.py`` files of a hand-in: ``pkg/stem.py`` anywhere, or a bare ``one_hot.py``."""
    from autograder.loader import EXERCISES, PACKAGES

    packaged: dict[str, list[Path]] = {}
    flat: dict[str, list[Path]] = {}
    stems = {module.split(".")[-1]: module for module in EXERCISES.values()}
    for path in sorted(handin.rglob("*.py")):
        rel = path.relative_to(handin)
        if _shipped(rel) or path.name == "__init__.py":
            continue
        if len(rel.parts) >= 2 and rel.parts[-2] in PACKAGES:
            packaged.setdefault(f"{rel.parts[-2]}.{path.stem}", []).append(path)
        elif path.stem in stems:
            flat.setdefault(stems[path.stem], []).append(path)
    chosen = {module: min(paths, key=lambda p: (len(p.parts), str(p))) for module, paths in flat.items()}
    chosen.update({module: min(paths, key=lambda p: (len(p.parts), str(p))) for module, paths in packaged.items()})
    return chosen


def prepare(handin: str | Path, dest: str | Path, stubs_root: str | Path | None = None) -> tuple[Path, list[str]]:
    """Whatever a student handed in -> a submission root at ``dest``; returns it and a note per module.

    ``handin`` is a submission root, a folder holding one (a whole repository: ``assignments/...``),
    loose files (``one_hot.py``), notebooks, or a mix, or a single ``.ipynb``. For each module the
    ``.py`` file wins, unless it is still the released stub (``stubs_root``) and a notebook holds
    something else: a student who worked in the notebooks and handed in the whole repository is
    graded on the notebooks.
    """
    handin, dest = Path(handin), Path(dest)
    files = _module_files(handin) if handin.is_dir() else {}
    notebooks = [p for p in notebook_files([handin]) if not handin.is_dir() or not _shipped(p.relative_to(handin))]
    from_notebooks = collect_modules(notebooks)

    def stub(module: str) -> str | None:
        path = Path(stubs_root, *module.split(".")).with_suffix(".py") if stubs_root else None
        return path.read_text(encoding="utf-8").strip() if path and path.exists() else None

    chosen: dict[str, str] = {}
    notes = []
    for module in sorted(set(files) | set(from_notebooks)):
        text = files[module].read_text(encoding="utf-8") if module in files else None
        notebook = from_notebooks.get(module)
        stale = text is not None and text.strip() == stub(module)
        if text is not None and not (stale and notebook is not None and notebook.strip() != stub(module)):
            chosen[module] = text
            origin = files[module].relative_to(handin) if handin.is_dir() else files[module]
            notes.append(f"{module}: graded from {origin}")
        else:
            chosen[module] = notebook or ""
            notes.append(f"{module}: graded from the notebook cells (%%module {module})")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    return write_root(chosen, dest), notes


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
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)  # tracebacks show the cell's lines
    flags = __future__.annotations.compiler_flag if module.__dict__.get("annotations") is __future__.annotations else 0
    compiled = compile(code, filename, "exec", flags=flags, dont_inherit=True)
    exec(compiled, module.__dict__)  # running the student's cell is the point
    _RUN.setdefault(name, []).append(code)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autograder.notebooks`` defines the ``%%module`` cell magic."""

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

    from autograder.plugin import report_of

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
            [str(tests), "-p", "autograder.plugin", "-p", "no:cacheprovider", "-p", "no:faulthandler", "--rootdir", str(tests.parent),
             "--capture=sys", "-q", "--no-header", "--color=no", "-W", "ignore::pytest.PytestAssertRewriteWarning", "--submission", str(root)]
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
    """Grade this notebook's code with ``exercise``'s hidden suite; print the feedback; return the score out of ``points``.

    Called by the hidden part of a test cell, whose value nbgrader reads as the cell's partial
    credit. Nothing reaches stderr (see :func:`_quiet`): what the code or pytest print while the
    suite runs is dropped, and the feedback is printed afterwards.
    """
    from autograder import grading

    with tempfile.TemporaryDirectory(prefix="notebook-") as tmp, _quiet() as captured:
        root = write_root(kernel_modules(), tmp)
        report = _run_tests([*grading.pytest_args(root, [exercise], isolated=False), "-p", "no:faulthandler", "--capture=sys"])
    if report is None or not report.tests:
        print(f"{exercise}: the hidden tests did not run")
        print(captured.getvalue()[-3000:])
        return 0.0
    print(f"{exercise}: {report.score:g}/{report.max_score:g} points from the hidden tests")
    print(_feedback(report))
    return round(points * report.score / report.max_score, 4) if report.max_score else 0.0


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.notebooks NOTEBOOK_OR_FOLDER... --out ROOT``: write the submission root."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.notebooks", description=main.__doc__)
    parser.add_argument("notebooks", nargs="+", help=".ipynb files or folders holding them")
    parser.add_argument("--out", required=True, help="the submission root to write")
    ns = parser.parse_args(argv)
    modules = collect_modules(ns.notebooks)
    write_root(modules, ns.out)
    print(json.dumps(sorted(modules)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
