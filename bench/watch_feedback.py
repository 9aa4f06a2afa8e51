"""The watch mode's feedback after a save vs a cold ``make test EX=...``, on a copy of the student's kit.

    .venv/bin/python -m bench.watch_feedback

A save is the student's file written again (the stub, unchanged: the same tests, the same work); the feedback is
the end of that run's output. The cold run is the ``make test EX=`` command: a fresh interpreter that imports
torch, pytest and the plugin, then runs the same tests.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autograder.grading.loader import REPO_ROOT
from autograder.layout import student_kit_files
from autograder.runtime.curriculum import EXERCISES
from bench.common import PY, Row, median_of_runs

EXERCISE = "skipgram"
DONE = "=== watch:"  # the line that closes each run's output


def student_copy(dest: Path) -> Path:
    """A student's kit at ``dest``: the grader's student files, course/, the stubs and the public tests."""
    for path, name in student_kit_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / name)
    for folder in ("course", "assignments", "tests/public"):
        shutil.copytree(REPO_ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO_ROOT / "release" / "student" / "pytest.ini", dest / "pytest.ini")
    return dest


def student_file(root: Path, exercise: str) -> Path:
    """The student's file of ``exercise`` in the copy at ``root``."""
    return root / "assignments" / Path(*EXERCISES[exercise].split(".")).with_suffix(".py")


class Watching:
    """``python -m autograder watch EX`` running in ``root``; :meth:`next_run` reads one run's output."""

    def __init__(self, root: Path, exercise: str, max_runs: int, interval: float = 0.1) -> None:
        command = [PY, "-m", "autograder", "watch", exercise, "--no-venv", "--interval", str(interval),
                   "--max-runs", str(max_runs)]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def next_run(self) -> str:
        """The output of the next run, up to and including its closing line."""
        assert self.process.stdout is not None
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line.startswith(DONE):
                return "".join(lines)
        raise RuntimeError("watch ended before the run did:\n" + "".join(lines)[-3000:])

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@contextmanager
def watching(exercise: str, max_runs: int, interval: float = 0.1) -> Iterator[tuple[Path, Watching]]:
    """A student's copy and the watch mode on ``exercise`` in it, its first run already read."""
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        root = student_copy(Path(tmp))
        watch = Watching(root, exercise, max_runs, interval)
        try:
            watch.next_run()
            yield root, watch
        finally:
            watch.close()


def feedback_after_save(exercise: str = EXERCISE, saves: int = 5) -> float:
    """Median seconds from writing the student's file to the end of the run it triggers."""
    times = []
    with watching(exercise, max_runs=saves + 1) as (root, watch):
        path = student_file(root, exercise)
        text = path.read_text()
        for _ in range(saves):
            time.sleep(0.3)
            start = time.perf_counter()
            path.write_text(text)
            watch.next_run()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_make_test(exercise: str = EXERCISE, repeat: int = 3) -> float:
    """Median seconds of ``make test EX=exercise``'s command, a fresh interpreter each time."""
    command = [PY, "-m", "pytest", f"tests/public/test_{exercise}.py", "-p", "autograder.grading.plugin",
               "--submission", "assignments", "-q", "--no-header", "-rN"]  # fmt: skip
    return median_of_runs(command, repeat)


def rows() -> list[Row]:
    watch, cold = feedback_after_save(), cold_make_test()
    return [
        Row(f"`make watch EX={EXERCISE}`: feedback after a save vs a cold `make test EX={EXERCISE}`",
            f"{watch:.2f} s", f"{cold:.2f} s cold", f"{watch / cold:.2f}", target="<= 1 s", met=watch <= 1.0)
    ]  # fmt: skip


def main() -> None:
    for row in rows():
        print(row, file=sys.stdout)


if __name__ == "__main__":
    main()
