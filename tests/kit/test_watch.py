"""The watch mode: one save is one re-run, and each run sees the code just saved (file or notebook)."""

from __future__ import annotations

import _thread
import re
import threading
import time
from pathlib import Path

import nbformat

from autograder.grading.loader import SOLUTIONS
from autograder.student import Changes, watch_loop
from bench.watch_feedback import student_file, watching


def test_changes_sees_writes_creations_and_removals(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.ipynb"
    a.write_text("x = 1\n")
    changes = Changes([a, b])
    assert changes.poll() == []
    a.write_text("x = 22\n")
    b.write_text("{}")
    assert changes.poll() == [a, b]
    a.unlink()
    assert changes.poll() == [a] and changes.poll() == []


def test_one_save_is_exactly_one_re_run(tmp_path):
    path = tmp_path / "one_hot.py"
    path.write_text("stub\n")
    runs: list[list[Path]] = []

    def save_then_stop() -> None:
        time.sleep(0.3)
        path.write_text("half")  # an editor that writes in two steps
        time.sleep(0.005)
        path.write_text("the whole new code\n")
        time.sleep(1.0)  # long enough for any second, spurious run
        _thread.interrupt_main()

    threading.Thread(target=save_then_stop, daemon=True).start()
    count = watch_loop([path], runs.append, interval=0.05, settle=0.1)
    assert runs == [[], [path]] and count == 2


def test_the_warm_process_re_runs_the_tests_on_the_saved_file_and_notebook():
    with watching("one_hot", max_runs=3) as (root, watch):
        stub = student_file(root, "one_hot")
        notebook = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("%%module embeddings.one_hot\n" + (SOLUTIONS / "embeddings" / "one_hot.py").read_text())
        ])  # fmt: skip
        (root / "notebooks").mkdir()
        nbformat.write(notebook, root / "notebooks" / "embeddings.ipynb")
        from_notebook = watch.next_run()
        assert "testing embeddings.ipynb" in from_notebook and "(exit 0)" in from_notebook
        assert re.search(r"\b\d+ passed", from_notebook) and "failed" not in from_notebook
        stub.write_text(stub.read_text() + "\n# saved again, still the stub\n")
        start = time.perf_counter()
        from_file = watch.next_run()
        assert "testing one_hot.py" in from_file and "not implemented yet" in from_file and "(exit 1)" in from_file
        assert time.perf_counter() - start < 5  # warm: no interpreter start, no torch import
        watch.process.wait(timeout=30)
        assert watch.process.returncode == 0  # --max-runs 3: it stops by itself
