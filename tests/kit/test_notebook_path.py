"""A student who works in the notebooks alone goes from Part 1 to the capstone: nothing pasted, no unexplained error.

Part 3 brings the student's own Part 1 and Part 2 work from what is graded (``bring``), ``check()`` says
when the kernel runs something else than what is graded, and a cell that needs an exercise not
written yet says so in one sentence (``require``). The last test executes the reference-filled
notebooks headlessly, in order, side by side as in the student bundle, with the capstone's CI size.
"""

import shutil
import sys
import time
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader.preprocessors import ClearSolutions

from autograder.authoring.course import PARTS, SOURCE_DIR
from autograder.authoring.notebooks import execute_reference
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT
from autograder.notebook import cells, kernel
from autograder.notebook.carry import not_written

ATTENTION = ("attention.scaled_dot_product", "attention.masks", "attention.multi_head")


@pytest.fixture
def fresh_kernel(monkeypatch):
    """The kernel's module state, emptied for the test and given back afterwards."""
    saved_run, saved_brought = dict(kernel._RUN), dict(kernel._BROUGHT)
    kernel._RUN.clear()
    kernel._BROUGHT.clear()
    yield kernel
    kernel._RUN.clear()
    kernel._RUN.update(saved_run)
    kernel._BROUGHT.clear()
    kernel._BROUGHT.update(saved_brought)
    for name in [n for n in sys.modules if n.split(".")[0] in PARTS and getattr(sys.modules[n], "__notebook__", False)]:
        del sys.modules[name]


@pytest.fixture
def student(tmp_path, monkeypatch):
    """A student bundle's layout: assignments/ (the stubs), notebooks/ with Part 2 done in its notebook and Part 1 not."""
    kit = tmp_path / "kit"
    shutil.copytree(ASSIGNMENTS, kit / "assignments", ignore=shutil.ignore_patterns("__pycache__"))
    (kit / "notebooks").mkdir()
    shutil.copy(SOURCE_DIR / "attention" / "attention.ipynb", kit / "notebooks")  # the reference: Part 2 done
    released, _ = ClearSolutions().preprocess(nbformat.read(SOURCE_DIR / "embeddings" / "embeddings.ipynb", as_version=4), {})
    nbformat.write(released, kit / "notebooks" / "embeddings.ipynb")  # Part 1 as released: BPE not written
    monkeypatch.setattr(kernel, "KIT_ROOT", kit)
    monkeypatch.chdir(kit / "notebooks")  # Jupyter's kernel runs in the notebook's folder
    return kit


def _edit_cell(path, module, add):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if cells.parse_cell(c.source, c.metadata) and cells.parse_cell(c.source, c.metadata)[0] == module)
    cell.source += add
    nbformat.write(nb, path)


def test_bring_loads_part_2_from_its_notebook_and_says_so(student, fresh_kernel, capsys):
    fresh_kernel.bring(*ATTENTION, "embeddings.bpe")
    out = capsys.readouterr().out.splitlines()
    for module in ATTENTION:
        assert f"{module}: from the notebook cells of attention.ipynb (%%module {module})" in out
    bpe = next(line for line in out if line.startswith("embeddings.bpe:"))
    assert "from ../assignments/embeddings/bpe.py (still the stub you were given)" in bpe
    assert "not written yet: word_counts, split_word, merge_pair, bpe_vocab, train_bpe" in bpe and "finish bpe in Part 1" in bpe
    # the attention runs as the student wrote it, from this kernel
    mha = sys.modules["attention.multi_head"].MultiHeadAttention(8, 2)
    assert type(mha).__module__ == "attention.multi_head" and set(fresh_kernel.kernel_modules()) >= set(ATTENTION)
    assert fresh_kernel.drift() == []


def test_a_cell_that_needs_an_unwritten_exercise_says_what_to_bring(student, fresh_kernel):
    fresh_kernel.bring(*ATTENTION, "embeddings.bpe")
    with pytest.raises(fresh_kernel.MissingWork) as stopped:
        fresh_kernel.require("bpe", "models")
    message = str(stopped.value)
    assert message.startswith("this cell needs your bpe (embeddings.bpe, Part 1) (loaded from ../assignments/embeddings/bpe.py")
    assert "train_bpe" in message and "finish bpe in Part 1, then re-run bring(...) at the top of this notebook" in message
    with pytest.raises(fresh_kernel.MissingWork, match=r"needs your models \(transformer.models, Part 3\), which this kernel does not have"):
        fresh_kernel.require("models")
    fresh_kernel.require("multi_head", "masks")  # written: no error


def test_check_says_when_part_2_changed_after_it_was_brought(student, fresh_kernel, monkeypatch, capsys):
    fresh_kernel.bring(*ATTENTION)
    _edit_cell(student / "notebooks" / "attention.ipynb", "attention.masks", "\n\nFIXED_LATER = True")
    monkeypatch.setattr(kernel, "_run_tests", lambda args, plugins=(): SimpleNamespace(tests=[SimpleNamespace(status="passed")]))
    capsys.readouterr()
    fresh_kernel.check("layers")
    out = capsys.readouterr().out
    assert "Note: attention.masks: this kernel runs what bring() loaded from the notebook cells of attention.ipynb" in out
    assert "has changed since: re-run bring(...) at the top of this notebook" in out
    fresh_kernel.bring(*ATTENTION)  # re-run: what is graded again
    assert fresh_kernel.drift() == [] and sys.modules["attention.masks"].FIXED_LATER


def test_check_says_when_a_changed_file_is_graded_instead_of_the_cells(student, fresh_kernel):
    source = (REPO_ROOT / "solutions" / "attention" / "masks.py").read_text()
    for chunk in cells.split_module(source):
        fresh_kernel.run_module_cell("attention.masks", chunk)
    assert fresh_kernel.drift() == []  # the file is still the stub: the cells are graded
    (student / "assignments" / "attention" / "masks.py").write_text(source.replace("def causal_mask", "def causal_mask_v2"))
    (note,) = fresh_kernel.drift()
    assert note.startswith("attention.masks: assignments/attention/masks.py is graded, not these cells")


def test_not_written_finds_the_stubs_functions_only():
    stub = (ASSIGNMENTS / "embeddings" / "bpe.py").read_text()
    assert not_written(stub) == ["word_counts", "split_word", "merge_pair", "bpe_vocab", "train_bpe", "apply_bpe", "encode", "decode"]
    assert not_written((REPO_ROOT / "solutions" / "embeddings" / "bpe.py").read_text()) == []
    assert not_written("def f(:") == []  # a syntax error is check()'s to report


def test_part_three_carries_no_pasted_copy_and_announces_what_it_brings():
    nb = nbformat.read(SOURCE_DIR / "transformer" / "transformer.ipynb", as_version=4)
    assert {m.split(".")[0] for m in cells.notebook_modules(nb)} == {"transformer"}
    (bring,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "bring"]
    call = bring.source.rstrip().splitlines()[-1]
    assert call.startswith("bring(") and sorted(call[6:-1].replace('"', "").split(", ")) == sorted([*ATTENTION, "embeddings.bpe"])
    text = "\n".join(c.source for c in nb.cells[: nb.cells.index(bring)] if c.cell_type == "markdown")
    assert "Part 1 BPE" in text and "Nothing to paste" in text
    capstone = [c.source for c in nb.cells if c.cell_type == "code" and ("gpt_lee" in c.source or "train_bpe_within" in c.source)]
    assert capstone and all(
        not [line for line in source.split('require("bpe", "models")')[0].splitlines() if not line.startswith(("from ", "import ", "#")) and line.strip()]
        for source in capstone
    )  # each capstone cell requires the BPE and the models before it runs anything


def test_a_notebook_only_student_runs_part_1_to_the_capstone(tmp_path):
    """The reference notebooks, executed headlessly in order, side by side; the capstone at its CI size."""
    start = time.perf_counter()
    execute_reference(tmp_path, PARTS, timeout=300, parameters="from course.corpus import CAPSTONE_CI\n\nsettings = dict(CAPSTONE_CI)")
    seconds = time.perf_counter() - start
    print(f"notebooks Part 1 to the capstone: {seconds:.0f} s")
    nb = nbformat.read(tmp_path / "transformer.ipynb", as_version=4)
    text = {c.id: "".join(o.get("text", "") for o in c.get("outputs", [])) for c in nb.cells if c.cell_type == "code"}
    for module in ATTENTION:
        assert f"{module}: from the notebook cells of attention.ipynb" in text["bring"], text["bring"]
    assert "embeddings.bpe: from the notebook cells of embeddings.ipynb" in text["bring"]
    printed = "\n".join(text.values())
    assert "Note:" not in printed  # what ran is what is graded
    assert "BPE: 300 merges in" in printed and "s wall" in printed and "s CPU" in printed
    assert "trained in" in printed and "held-out loss" in printed


def test_a_slow_train_bpe_learns_fewer_merges_and_the_capstone_says_so():
    """The plain trainer pays for every merge: the capstone keeps to its budget, and says what the full run costs."""
    from course.corpus import PROBE_MERGES, train_bpe_within

    calls = []

    def slow_train_bpe(counts, num_merges):  # at least 10 ms per merge, as a recounting trainer on a big corpus
        calls.append(num_merges)
        time.sleep(0.01 * num_merges)
        return [("a", str(i)) for i in range(num_merges)]

    merges, line = train_bpe_within(slow_train_bpe, {"ab": 1}, 1000, seconds=0.5)
    assert calls[0] == PROBE_MERGES and len(merges) < 1000 and len(calls) <= 2
    assert f"BPE: {len(merges)} merges in" in line and "s wall" in line and "s CPU" in line
    assert "1000 merges would take about" in line and "settings['bpe_seconds'] = 0.5" in line
    fast, line = train_bpe_within(lambda counts, n: [("a", str(i)) for i in range(n)], {"ab": 1}, 1000, seconds=60)
    assert len(fast) == 1000 and "would take" not in line
