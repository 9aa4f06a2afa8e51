"""The student's commands, with nothing but Python 3.11+ (the student Makefile's targets call them).

``python -m autograder setup`` creates ``.venv`` from the bundle's requirements by :mod:`autograder.install`;
``test [EX]``, ``watch EX`` and ``notebooks`` set it up when needed and then run inside it (a child process,
so that it works the same on Windows, macOS and Linux); ``zip`` writes ``handin.zip``. Only the standard library
is imported until the command runs in the environment; nothing here forks or uses a Linux-only call.

The watch mode is a warm process: it imports torch, NumPy and pytest once, then re-runs the exercise's public
tests in-process on every save of the student's file or of the part's notebook, and imports the student's
modules afresh each run (the plugin's loader imports them privately; no bytecode cache is read or written).
"""

from __future__ import annotations

import gc
import importlib
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from autograder import install
from autograder.layout import REPO_ROOT
from autograder.runtime.curriculum import EXERCISES

VENV = REPO_ROOT / ".venv"
REQUIREMENTS = ("requirements.txt", "requirements.lock")  # the student bundle's, else the kit's
HANDIN = ("assignments", "notebooks")
WARM = ("numpy", "torch", "pytest")  # imported once by the watch mode


def requirement_files(root: Path = REPO_ROOT) -> list[Path]:
    """The requirements this copy of the kit installs: the bundle's ``requirements.txt``, or the kit's lock."""
    found = [root / name for name in REQUIREMENTS if (root / name).exists()]
    if not found:
        raise FileNotFoundError(f"none of {REQUIREMENTS} in {root}")
    return found[:1]


def in_venv(venv_dir: Path = VENV) -> bool:
    """True when this interpreter is the one of ``venv_dir``."""
    return venv_dir.exists() and Path(sys.prefix).resolve() == venv_dir.resolve()


def setup(venv_dir: Path = VENV) -> int:
    """Create ``venv_dir`` and install the requirements, unless it is up to date; 0 when ready."""
    files = requirement_files()
    if install.is_current(venv_dir, files):
        return 0
    print(f"setting up {venv_dir.name} (first run only, a minute or a few)...", flush=True)
    return install.install(files, venv_dir)


def run_in_venv(argv: Sequence[str], venv_dir: Path = VENV) -> int:
    """``python -m autograder ARGV`` inside ``venv_dir`` (set up first when needed); its exit status."""
    status = setup(venv_dir)
    if status:
        return status
    return subprocess.call([str(install.venv_python(venv_dir)), "-m", "autograder", *argv], cwd=REPO_ROOT)


def exercise_files(exercise: str, root: Path = REPO_ROOT) -> list[Path]:
    """What a save of re-runs ``exercise``: its module in assignments/, its part's notebook, its public tests."""
    part, stem = EXERCISES[exercise].split(".")
    return [
        root / "assignments" / part / f"{stem}.py",
        root / "notebooks" / f"{part}.ipynb",
        root / "tests" / "public" / f"test_{exercise}.py",
    ]


def pytest_args(exercises: Sequence[str], submission: Path, extra: Sequence[str] = ()) -> list[str]:
    """The public tests of ``exercises`` (all when empty) on ``submission``, as ``make test`` runs them."""
    tests = REPO_ROOT / "tests" / "public"
    targets = [str(tests / f"test_{exercise}.py") for exercise in exercises] or [str(tests)]
    return [*targets, "-p", "autograder.grading.plugin", "--submission", str(submission), "-q", "--no-header",
            "-rN", *extra]  # fmt: skip


def run_tests(exercises: Sequence[str], extra: Sequence[str] = (), submission: Path | None = None) -> int:
    """Run the public tests of ``exercises`` (all when empty) in this process; pytest's exit status."""
    import pytest

    return int(pytest.main(pytest_args(exercises, submission or default_submission(), extra)))


def default_submission(root: Path = REPO_ROOT) -> Path:
    """What ``test`` grades: in the student bundle its root, so notebook work counts (autograder.grading.handin's rule:
    a file still equal to the released stub gives way to its notebook cells); in the course kit, assignments/."""
    from autograder.grading.handin import STUB_DIGESTS

    return root if STUB_DIGESTS.exists() else root / "assignments"


# --------------------------------------------------------------------------- watch


class Changes:
    """Polls the modification time and size of some files (standard library only, every platform)."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = list(paths)
        self.seen = self._snapshot()

    def _snapshot(self) -> dict[Path, tuple[int, int] | None]:
        state: dict[Path, tuple[int, int] | None] = {}
        for path in self.paths:
            try:
                st = path.stat()
                state[path] = (st.st_mtime_ns, st.st_size)
            except OSError:
                state[path] = None
        return state

    def poll(self) -> list[Path]:
        """The files changed (written, created or removed) since the last poll."""
        now = self._snapshot()
        changed = [p for p in self.paths if now[p] != self.seen[p]]
        self.seen = now
        return changed


def watch_loop(
    paths: Iterable[Path],
    run: Callable[[list[Path]], object],
    interval: float = 0.2,
    max_runs: int | None = None,
    settle: float = 0.05,
) -> int:
    """Call ``run(changed)`` once at the start and once after each save of ``paths``; returns the number of runs.

    A save is seen within ``interval`` seconds; after one, the loop waits ``settle`` seconds for an editor that
    writes a file in several steps, so that one save is one run. Stops after ``max_runs`` runs (or Ctrl-C).
    """
    changes = Changes(paths)
    runs = 0
    run([])
    runs += 1
    try:
        while max_runs is None or runs < max_runs:
            time.sleep(interval)
            changed = changes.poll()
            if not changed:
                continue
            time.sleep(settle)
            changed += [p for p in changes.poll() if p not in changed]
            run(changed)
            runs += 1
    except KeyboardInterrupt:
        print("\nwatch: stopped")
    return runs


def _forget_test_modules() -> None:
    """Drop the public test modules from ``sys.modules``, so that pytest imports them afresh."""
    tests = str(REPO_ROOT / "tests")
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(tests):
            del sys.modules[name]


def notebook_submission(notebook: Path, dest: Path) -> Path:
    """assignments/ with the modules of ``notebook``'s ``%%module`` cells written over it, at ``dest``."""
    from autograder.notebook.cells import collect_modules, write_root

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REPO_ROOT / "assignments", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return write_root(collect_modules([notebook]), dest)


def watch(exercise: str, extra: Sequence[str] = (), interval: float = 0.2, max_runs: int | None = None) -> int:
    """Re-run ``exercise``'s public tests on every save, from this warm process; returns the number of runs."""
    for name in WARM:
        importlib.import_module(name)
    sys.dont_write_bytecode = True  # the student's modules are compiled from the file just saved, every run
    cache = tempfile.mkdtemp(prefix="autograder-watch-")
    sys.pycache_prefix = cache  # ... and no __pycache__ of a save within the same second is read
    module, notebook, _ = paths = exercise_files(exercise)
    newer = notebook.exists() and notebook.stat().st_mtime_ns > module.stat().st_mtime_ns
    state = {"from": notebook if newer else module}  # at the start: the one saved last

    def run(changed: list[Path]) -> None:
        if notebook in changed and module not in changed:
            state["from"] = notebook
        elif module in changed:
            state["from"] = module
        _forget_test_modules()
        start = time.perf_counter()
        label = ", ".join(p.name for p in changed) or "start"
        print(f"\n=== {exercise}: {label} ({time.strftime('%H:%M:%S')}), testing {state['from'].name}", flush=True)
        submission = REPO_ROOT / "assignments"
        if state["from"] == notebook:
            submission = notebook_submission(notebook, Path(cache) / "from-notebook")
        status = run_tests([exercise], extra, submission)
        if not changed:  # after the first run, what torch, pytest and the plugin hold is frozen: pytest's gc passes
            gc.collect()  # at the end of each run then skip it (0.25 s instead of 1 s per run here)
            gc.freeze()
        print(f"=== watch: {exercise} tested in {time.perf_counter() - start:.2f} s (exit {status}); "
              f"save {module.relative_to(REPO_ROOT).as_posix()} or {notebook.name} to re-run, Ctrl-C to stop",
              flush=True)  # fmt: skip

    try:
        return watch_loop(paths, run, interval=interval, max_runs=max_runs)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


# --------------------------------------------------------------------------- hand-in


def zip_handin(dest: Path = REPO_ROOT / "handin.zip", root: Path = REPO_ROOT) -> list[str]:
    """Zip assignments/ and notebooks/ (no caches, no checkpoints) into ``dest``; the names written."""
    names = []
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for folder in HANDIN:
            for path in sorted((root / folder).rglob("*")):
                rel = path.relative_to(root)
                if path.is_file() and not {"__pycache__", ".ipynb_checkpoints"} & set(rel.parts):
                    z.write(path, rel.as_posix())
                    names.append(rel.as_posix())
    return names


def graded_from(handin_zip: Path) -> list[str]:
    """Per module, what grading ``handin_zip`` reads: its file or its notebook cells (the rule of
    :mod:`autograder.grading.handin`), each line naming the file or the notebook."""
    from autograder.grading.handin import prepare

    with tempfile.TemporaryDirectory(prefix="autograder-handin-") as tmp:
        with zipfile.ZipFile(handin_zip) as z:
            z.extractall(Path(tmp) / "handin")
        if not (Path(tmp) / "handin").is_dir():
            return []
        _, notes = prepare(Path(tmp) / "handin", Path(tmp) / "root")
    return notes
