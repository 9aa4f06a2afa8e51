"""The nbgrader source notebooks: generated from solutions/ (never stale), valid nbgrader metadata, and
mapped back onto exactly the reference modules (and, through nbgrader's ClearSolutions, the stubs)."""

import sys

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearSolutions

from autograder.authoring.course import available_exercises, solution_modules, suite_points
from autograder.authoring.notebooks import notebook_problems, parse_narrative, source_notebooks
from autograder.authoring.stubs import MARKERS
from autograder.grading import runner
from autograder.grading.handin import prepare as prepare_handin
from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS
from autograder.notebook import cells, kernel
from autograder.runtime.curriculum import EXERCISES

BEGIN_HIDDEN, END_HIDDEN = MARKERS[2:]


@pytest.fixture(scope="module")
def points() -> dict[str, float]:
    return suite_points()


@pytest.fixture(scope="module")
def generated(points) -> dict[str, nbformat.NotebookNode]:
    """part -> its source notebook, built now from solutions/."""
    return {path.parent.name: nbformat.reads(text, as_version=4) for path, text in source_notebooks(points).items()}


def test_committed_source_notebooks_are_up_to_date(points):
    assert notebook_problems(points) == []


def test_every_written_exercise_is_in_its_part_notebook(generated):
    for name in available_exercises():
        part = EXERCISES[name].split(".")[0]
        modules = cells.notebook_modules(generated[part])
        assert EXERCISES[name] in modules, f"{name} has no %%module cells in {part}.ipynb"


def test_nbgrader_metadata_is_valid_schema_3_with_unique_ids(generated):
    validator = MetadataValidator()
    for part, nb in generated.items():
        validator.validate_nb(nb)  # raises on a bad cell, a wrong schema version or a duplicate grade_id
        nbformat.validate(nb)
        meta = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
        assert all(m["schema_version"] == 3 for m in meta)
        ids = [m["grade_id"] for m in meta]
        assert len(ids) == len(set(ids)), part
        assert [c.id for c in nb.cells] == list(dict.fromkeys(c.id for c in nb.cells)), f"{part}: duplicate cell ids"


def test_each_exercise_has_one_autograded_test_cell_worth_its_hidden_suite(generated, points):
    for part, nb in generated.items():
        graded = {
            c.metadata["nbgrader"]["grade_id"]: c
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"  # markdown: written, by hand
        }
        mine = [n for n in available_exercises() if EXERCISES[n].split(".")[0] == part and n in points]
        assert sorted(graded) == sorted(f"{n}-tests" for n in mine)
        for name in mine:
            cell = graded[f"{name}-tests"]
            assert cell.cell_type == "code" and cell.metadata["nbgrader"]["locked"] and not cell.metadata["nbgrader"]["solution"]
            assert cell.metadata["nbgrader"]["points"] == points[name]
            visible, hidden = cell.source.split(f"### {BEGIN_HIDDEN}")
            assert visible.rstrip().endswith(f'check("{name}")') and "grade_hidden" not in visible
            assert f'grade_hidden("{name}", points={points[name]:g})' in hidden and hidden.rstrip().endswith(f"### {END_HIDDEN}")


def test_solution_regions_are_only_in_solution_cells(generated):
    for nb in generated.values():
        for cell in nb.cells:
            solution = cell.metadata.get("nbgrader", {}).get("solution", False)
            assert (MARKERS[0] in cell.source) == solution, cell.source[:200]


def test_split_and_join_give_back_every_module_exactly():
    for path in solution_modules().values():
        source = path.read_text(encoding="utf-8")
        chunks = cells.split_module(source)
        assert cells.join_chunks(chunks) == source
        assert len(chunks) > 1 or source.count("\ndef ") + source.count("\nclass ") <= 1, f"{path} was not cut into cells"


def test_reference_notebooks_map_back_onto_the_reference_modules(generated, tmp_path):
    """A notebook hand-in is graded as exactly these files, so it gets the module submission's score."""
    for part, nb in generated.items():
        nbformat.write(nb, tmp_path / f"{part}.ipynb")
    root = cells.to_submission([tmp_path], tmp_path / "root")
    for module, path in solution_modules().items():
        assert (root / path.relative_to(SOLUTIONS)).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), module


def test_released_notebooks_map_back_onto_the_stubs(generated, tmp_path):
    """nbgrader's ClearSolutions on the notebooks gives, module by module, the stubs of assignments/."""
    for part, nb in generated.items():
        cleared, _ = ClearSolutions().preprocess(nbformat.from_dict(nb), {})
        nbformat.write(cleared, tmp_path / f"{part}.ipynb")
    modules = cells.collect_modules([tmp_path])
    for module, path in solution_modules().items():
        stub = (ASSIGNMENTS / path.relative_to(SOLUTIONS)).read_text(encoding="utf-8")
        assert modules[module] == stub, module


def test_a_module_in_two_notebooks_is_taken_from_its_own_part(generated, tmp_path):
    """An older Part 3 notebook with a pasted copy of Part 2's attention: Part 2's own notebook is graded."""
    module = "attention.masks"
    stale = nbformat.from_dict(generated["transformer"])
    stale.cells.append(nbformat.v4.new_code_cell(cells.cell_source(module, "STALE_COPY = True")))
    nbformat.write(stale, tmp_path / "transformer.ipynb")
    nbformat.write(generated["attention"], tmp_path / "attention.ipynb")
    assert "STALE_COPY" not in cells.collect_modules([tmp_path])[module]
    assert "STALE_COPY" in cells.collect_modules([tmp_path / "transformer.ipynb"])[module]
    source, origin = cells.collect_sources([tmp_path])[module]
    assert origin == tmp_path / "attention.ipynb" and "STALE_COPY" not in source


def test_an_edited_notebook_is_graded_like_the_same_edit_in_the_module(generated, tmp_path):
    """The grader (what `python -m autograder grade` runs) scores a notebook-derived root like the edited module file."""
    mistake = "    vocab = {word: i for i, word in enumerate(dict.fromkeys(specials))}"
    wrong = "    vocab = {word: i + 1 for i, word in enumerate(dict.fromkeys(specials))}"
    nb = nbformat.from_dict(generated["embeddings"])
    for cell in nb.cells:
        if (cell.metadata.get("course") or {}).get("module") == "embeddings.one_hot":
            cell.source = cell.source.replace(mistake, wrong)
    nbformat.write(nb, tmp_path / "embeddings.ipynb")
    from_notebook = cells.to_submission([tmp_path / "embeddings.ipynb"], tmp_path / "from_notebook")
    by_hand = tmp_path / "by_hand" / "embeddings"
    by_hand.mkdir(parents=True)
    (by_hand / "__init__.py").write_text("")
    (by_hand / "one_hot.py").write_text((SOLUTIONS / "embeddings" / "one_hot.py").read_text().replace(mistake, wrong))

    def score(root):
        report, _ = runner.grade(root, only=["one_hot"], isolated=False)
        return report.score, report.max_score, [t.status for t in report.tests]

    a, b = score(from_notebook), score(by_hand.parent)
    assert 0 < a[0] < a[1]
    assert a == b


def test_prepare_picks_the_notebook_over_an_untouched_stub(generated, tmp_path):
    """A whole repository handed in: stubs in assignments/, the work in the notebooks."""
    handin = tmp_path / "repo"
    for path in solution_modules().values():
        stub = handin / "assignments" / path.relative_to(SOLUTIONS)
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text((ASSIGNMENTS / path.relative_to(SOLUTIONS)).read_text())
    (handin / "notebooks").mkdir()
    nbformat.write(generated["embeddings"], handin / "notebooks" / "embeddings.ipynb")
    (handin / "autograder").mkdir()
    (handin / "autograder" / "one_hot.py").write_text("raise SystemExit('the kit runtime is never graded')\n")
    root, notes = prepare_handin(handin, tmp_path / "root")
    solved = (root / "embeddings" / "one_hot.py").read_text()
    assert solved == (SOLUTIONS / "embeddings" / "one_hot.py").read_text()
    assert any("embeddings.one_hot: graded from the notebook" in n for n in notes)
    for module in [m for m in solution_modules() if not m.startswith("embeddings.")]:
        assert (root / (module.replace(".", "/") + ".py")).read_text() == (ASSIGNMENTS / (module.replace(".", "/") + ".py")).read_text()


def test_prepare_places_loose_files_in_their_package(tmp_path):
    (tmp_path / "handin").mkdir()
    (tmp_path / "handin" / "one_hot.py").write_text((SOLUTIONS / "embeddings" / "one_hot.py").read_text())
    root, notes = prepare_handin(tmp_path / "handin", tmp_path / "root")
    assert (root / "embeddings" / "one_hot.py").exists() and (root / "embeddings" / "__init__.py").exists()
    assert notes == ["embeddings.one_hot: graded from one_hot.py"]


def test_module_cells_run_as_modules_that_import_each_other():
    """What %%module does in Jupyter: each cell runs inside its module; modules see one another."""
    sources = {"embeddings.one_hot": (SOLUTIONS / "embeddings" / "one_hot.py").read_text()}
    before = dict(kernel._RUN)
    try:
        for module, source in sources.items():
            for chunk in cells.split_module(source):
                kernel.run_module_cell(module, chunk)
        kernel.run_module_cell("embeddings.similarity", "from embeddings.one_hot import one_hot\nX = one_hot([0, 2], 3)")
        assert sys.modules["embeddings.similarity"].X.tolist() == [[1, 0, 0], [0, 0, 1]]
        assert kernel.kernel_modules()["embeddings.one_hot"] == sources["embeddings.one_hot"]
        with pytest.raises(ValueError, match="not a module of the course"):
            kernel.run_module_cell("../../outside", "X = 1")
    finally:
        kernel._RUN.clear()
        kernel._RUN.update(before)
        for name in [n for n in sys.modules if n.split(".")[0] == "embeddings" and getattr(sys.modules[n], "__notebook__", False)]:
            del sys.modules[name]


def test_narrative_directives_and_requirements():
    sections = parse_narrative(
        "intro\n<!-- setup -->\n<!-- section: one_hot -->\n## A\ntext\n<!-- exercise: one_hot -->\n```python requires=glove figure=f\nx = 1\n```\n"
    )
    assert sections[0] == (frozenset(), [("markdown", "intro", {}), ("directive", "setup", {"arg": ""})])
    requires, blocks = sections[1]
    assert requires == {"one_hot"}
    assert blocks == [("markdown", "## A\ntext", {}), ("directive", "exercise", {"arg": "one_hot"}), ("code", "x = 1", {"requires": "glove", "figure": "f"})]
