"""The nbgrader source notebooks, built from ``solutions/`` and ``release/notebooks/<part>.md``; the reference run and
its figures.
"""

from __future__ import annotations

import ast
import base64
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.authoring.course import (
    BUILD,
    KERNELSPEC,
    PARTS,
    SOURCE_DIR,
    TEMPLATES,
    available_exercises,
    carried_modules,
    markers,
    solution_modules,
    suite_points,
)
from autograder.grading.loader import REPO_ROOT
from autograder.notebook.cells import METADATA_KEY, cell_source, split_module
from autograder.runtime.curriculum import CONCEPTS, EXERCISES, PART_OF


def _nbgrader(
    grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points: float | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _code(source: str, **nbgrader: Any) -> Any:
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = _nbgrader(**nbgrader)
    return cell


def _first_definition(chunk: str) -> str:
    for node in ast.parse(chunk).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
    return "module"


def module_cells(module: str, path: Path, prefix: str, keep: set[int] | None = None) -> list[Any]:
    """One cell per chunk of the module (those numbered in ``keep``, if given): a solution cell where the chunk has
    a region to write, else read-only."""
    cells = []
    for i, chunk in enumerate(split_module(path.read_text(encoding="utf-8"))):
        if keep is not None and i not in keep:
            continue
        grade_id = f"{prefix}-{_first_definition(chunk)}"
        if markers()[0] in chunk:
            cell = _code(cell_source(module, chunk), grade_id=grade_id, solution=True)
        else:
            cell = _code(cell_source(module, chunk), grade_id=grade_id, locked=True)
        cell.metadata[METADATA_KEY] = {"module": module}
        cells.append(cell)
    return cells


def test_cell(exercise: str, points: float) -> Any:
    """The exercise's autograded test cell: public tests for the student, the hidden suite for nbgrader."""
    begin_hidden, end_hidden = markers()[2:]
    source = "\n".join(
        [
            f"# Tests of {exercise}: its public tests (tests/public/test_{exercise}.py) run here; hidden tests decide "
            f"its {points:g} points.",
            f'check("{exercise}")',
            f"### {begin_hidden}",
            f'grade_hidden("{exercise}", points={points:g})',
            f"### {end_hidden}",
        ]
    )
    return _code(source, grade_id=f"{exercise}-tests", grade=True, locked=True, points=points)


SETUP = """\
# Setup (read-only): run this cell first. It finds the course kit and defines %%module.
import os
import sys
from pathlib import Path

if os.environ.get("NBGRADER_EXECUTION") == "autograde":  # grading: the instructor's kit only, never the hand-in's
    KIT = Path(os.environ.get("COURSE_KIT", "COURSE_KIT is not set"))
    if not (KIT / "autograder" / "suites" / "pytest.ini").is_file():
        raise RuntimeError(f"COURSE_KIT={KIT} holds no hidden suites: set COURSE_KIT for nbgrader")
else:
    here = Path.cwd().resolve()
    places = [Path(os.environ.get("COURSE_KIT", here)), *(q for p in (here, *here.parents) for q in (p, p / "kit"))]
    KIT = next((p for p in places if (p / "autograder" / "notebook" / "kernel.py").is_file()), None)
    if KIT is None:
        raise RuntimeError("cannot find the course kit (a folder holding autograder/): open this notebook inside "
                           "it, or set COURSE_KIT")
sys.path.insert(0, str(KIT))
%load_ext autograder.notebook"""
PART_IMPORTS = {
    "embeddings": "import matplotlib.pyplot as plt\nimport numpy as np",
    "attention": "import matplotlib.pyplot as plt\nimport torch",
    "transformer": "import matplotlib.pyplot as plt\nimport torch",
}


def setup_cells(part: str, helpers: tuple[str, ...] = ()) -> list[Any]:
    """The read-only cells that open a notebook: find the kit, then the imports every cell below uses (the kernel's
    ``helpers`` too: ``bring`` and ``require`` where the part builds on earlier ones)."""
    names = ", ".join(sorted({"check", "grade_hidden", *helpers}))
    imports = PART_IMPORTS[part] + f"\n\nfrom autograder.notebook import {names}"
    return [_code(SETUP, grade_id="setup", locked=True), _code(imports, grade_id="imports", locked=True)]


BRING = """\
# Your own work from the earlier parts (read-only): nothing to paste. Each module is loaded from what is graded:
# its file in assignments/ if you changed it, else the %%module cells of that part's notebook, beside this one.
# Re-run this cell after changing them (check() says when to)."""


def bring_cell(modules: list[str]) -> Any:
    """The cell that loads the student's own earlier modules into the kernel (:func:`autograder.notebook.bring`)."""
    return _code(BRING + "\nbring(" + ", ".join(f'"{m}"' for m in modules) + ")", grade_id="bring", locked=True)


# --------------------------------------------------------------------------- the narrative


DIRECTIVES = ("section", "setup", "exercise", "carry-over", "contents", "concept", "written")
DIRECTIVE = re.compile(r"^<!--\s*(" + "|".join(DIRECTIVES) + r")\s*:?\s*(.*?)\s*-->\s*$")


def parse_narrative(text: str) -> list[tuple[frozenset[str], list[tuple[str, str, dict[str, str]]]]]:
    """The sections of a narrative file: ``(required exercises, blocks)``; a block is markdown, code or a directive.

    Format: markdown; fenced ```` ```python ```` blocks become code cells (``requires=a,b`` and
    ``figure=name`` after ``python``); ``<!-- section: a b -->`` starts a section kept only when
    exercises ``a`` and ``b`` exist; ``<!-- setup -->``, ``<!-- exercise: name -->``,
    ``<!-- carry-over -->`` and ``<!-- contents -->`` insert generated cells (``<!-- carry-over: a.b -->``
    brings the named modules besides those the part imports); ``tags=a,b`` gives a code cell those tags
    (``parameters``: the cell a test may follow with its own settings, as papermill does);
    ``<!-- concept: question -->`` places one concept check where its idea is taught and ``<!-- written: id -->``
    one written question (the part's concept exercise places the questions not placed yet, then its test cell).
    """
    sections: list[tuple[frozenset[str], list[tuple[str, str, dict[str, str]]]]] = [(frozenset(), [])]
    markdown: list[str] = []

    def flush() -> None:
        if "".join(markdown).strip():
            sections[-1][1].append(("markdown", "\n".join(markdown).strip("\n"), {}))
        markdown.clear()

    lines = iter(text.splitlines())
    for line in lines:
        directive = DIRECTIVE.match(line)
        if line.startswith("```python"):
            flush()
            info = dict(item.split("=", 1) for item in line.removeprefix("```python").split())
            code = []
            for inner in lines:
                if inner.startswith("```"):
                    break
                code.append(inner)
            sections[-1][1].append(("code", "\n".join(code).strip("\n"), info))
        elif directive:
            flush()
            name, arg = directive.groups()
            if name == "section":
                sections.append((frozenset(arg.split()), []))
            else:
                sections[-1][1].append(("directive", name, {"arg": arg}))
        else:
            markdown.append(line)
    flush()
    return sections


def _unplaced(part: str, names: list[str]) -> str:
    """The one line that says which exercises a part's narrative does not place, and how to place them."""
    lines = " and ".join(f"<!-- exercise: {name} -->" for name in names)
    return (
        f"release/notebooks/{part}.md has no {lines}: add that line where the exercise's cells go in the notebook "
        "(docs/INSTRUCTOR.md, Add an exercise)"
    )


def narrative_problems(modules: dict[str, Path] | None = None) -> list[str]:
    """One line per part whose narrative does not place every exercise written in ``solutions/`` (empty when all are).

    ``make stubs`` checks this before it writes anything, so that a new exercise without its ``<!-- exercise: -->``
    line stops with this line rather than a traceback after the stubs were written.
    """
    have = available_exercises(solution_modules() if modules is None else modules)
    problems = []
    for part in PARTS:
        mine = [name for name in have if PART_OF[name] == part]
        path = TEMPLATES / "notebooks" / f"{part}.md"
        if not mine:
            continue
        if not path.is_file():
            problems.append(f"release/notebooks/{part}.md is missing: the notebook of part {part} needs its narrative")
            continue
        placed = {
            info.get("arg")
            for _, blocks in parse_narrative(path.read_text(encoding="utf-8"))
            for kind, text, info in blocks
            if kind == "directive" and text == "exercise"
        }
        missing = [name for name in mine if name not in placed]
        if missing:
            problems.append(_unplaced(part, missing))
    return problems


def _contents(exercises: list[str], points: dict[str, float], written_points: float = 0.0) -> str:
    """A markdown table of the notebook's exercises and their points."""
    rows = ["| exercise | module | points |", "| --- | --- | --- |"]
    rows += [f"| {name} | `{EXERCISES[name]}` | {points.get(name, 0):g} |" for name in exercises]
    if written_points:
        rows.append(f"| written answers (graded by hand) | | {written_points:g} |")
    return "\n".join(rows)


class ConceptPlacement:
    """Where a part's concept checks and written questions go: each where a directive places it, the rest (and
    the concept exercise's test cell) where the concept exercise is placed."""

    def __init__(self, part: str, modules: dict[str, Path]) -> None:
        from autograder.authoring import written

        self.part = part
        self.name = next((n for n in CONCEPTS if PART_OF[n] == part and EXERCISES[n] in modules), None)
        self.path = modules[EXERCISES[self.name]] if self.name else None
        self.chunks = split_module(self.path.read_text(encoding="utf-8")) if self.path else []
        self.placed: set[int] = set()
        self.written = written.by_id(part)
        self.written_placed: set[str] = set()

    def written_points(self) -> float:
        return sum(q.points for q in self.written.values())

    def _chunk_of(self, question: str) -> int:
        for i, chunk in enumerate(self.chunks):
            if re.search(rf"^def {re.escape(question)}\(", chunk, re.MULTILINE):
                return i
        raise ValueError(f"release/notebooks/{self.part}.md: no concept check {question!r} in {self.path}")

    def place(self, kind: str, name: str, have: set[str]) -> list[Any]:
        """The cells of one concept check (``kind`` "concept") or one written question ("written")."""
        from autograder.authoring import written

        if kind == "written":
            if name not in self.written:
                raise ValueError(f"release/notebooks/{self.part}.md: no written question {name!r}")
            self.written_placed.add(name)
            return written.question_cells(self.part, name)
        if self.name is None or self.name not in have:
            return []
        chunk = self._chunk_of(name)
        if any(i > chunk for i in self.placed):  # the notebook's cells, in order, must give back the module's file
            raise ValueError(f"release/notebooks/{self.part}.md: concept check {name!r} placed after a later one")
        keep = {i for i in (0, chunk) if i not in self.placed}  # the module's header comes first
        self.placed |= keep
        return module_cells(EXERCISES[self.name], self.path, self.name, keep) if self.path else []

    def rest(self) -> list[Any]:
        """The concept checks and written questions no directive placed (their sections were left out)."""
        from autograder.authoring import written

        keep = set(range(len(self.chunks))) - self.placed
        self.placed |= keep
        cells = module_cells(EXERCISES[self.name], self.path, self.name, keep) if self.name and self.path else []
        for qid in self.written:
            if qid not in self.written_placed:
                self.written_placed.add(qid)
                cells += written.question_cells(self.part, qid)
        return cells


@dataclass
class _Build:
    """What every block of a part's narrative is built against (see :func:`build_notebook`)."""

    part: str
    points: dict[str, float]
    modules: dict[str, Path]
    have: set[str]  # the exercises whose solution modules exist
    mine: list[str]  # of those, the part's own
    brought: list[str]  # the modules of other parts this part uses, never pasted
    concepts: ConceptPlacement
    placed: list[str] = field(default_factory=list)

    def cells(self, kind: str, text: str, info: dict[str, Any]) -> list[Any]:
        """The cells of one block: markdown, code, or a directive (setup, contents, concept, written, carry-over,
        exercise)."""
        import nbformat

        if kind == "markdown":
            return [nbformat.v4.new_markdown_cell(text)]
        if kind == "code":
            if not {r for r in info.get("requires", "").split(",") if r} <= self.have:
                return []
            cell = _code(text)
            if "figure" in info:
                cell.metadata[METADATA_KEY] = {"figure": info["figure"]}
            if "tags" in info:
                cell.metadata["tags"] = info["tags"].split(",")
            return [cell]
        if text == "setup":
            return setup_cells(self.part, ("bring", "require") if self.brought else ())
        if text == "contents":
            return [nbformat.v4.new_markdown_cell(_contents(self.mine, self.points, self.concepts.written_points()))]
        if text in ("concept", "written"):
            return self.concepts.place(text, info["arg"], self.have)
        if text == "carry-over" and self.brought:
            return [bring_cell(self.brought)]
        if text == "exercise":
            return self.exercise(info["arg"])
        return []

    def exercise(self, name: str) -> list[Any]:
        """An exercise's cells: its module cells (or its remaining concept checks) and its test cell."""
        if PART_OF.get(name) != self.part:
            raise ValueError(f"release/notebooks/{self.part}.md: {name!r} is not an exercise of part {self.part}")
        if name not in self.have:
            return []
        if name in CONCEPTS:
            cells = [*self.concepts.rest()]
        else:
            cells = [*module_cells(EXERCISES[name], self.modules[EXERCISES[name]], name)]
        cells.append(test_cell(name, self.points[name]) if name in self.points else _code(f'check("{name}")'))
        self.placed.append(name)
        return cells


def build_notebook(part: str, points: dict[str, float] | None = None, modules: dict[str, Path] | None = None) -> Any:
    """The nbgrader source notebook of ``part``, from its narrative and the solution modules that exist."""
    import nbformat

    modules = solution_modules() if modules is None else modules
    have = set(available_exercises(modules))
    sections = parse_narrative((TEMPLATES / "notebooks" / f"{part}.md").read_text(encoding="utf-8"))
    named = [b[2]["arg"].split() for _, blocks in sections for b in blocks if b[:2] == ("directive", "carry-over")]
    wanted = [*carried_modules(part, modules), *(m for names in named for m in names)]
    build = _Build(
        part,
        suite_points() if points is None else points,
        modules,
        have,
        [name for name in available_exercises(modules) if PART_OF[name] == part],
        [m for m in dict.fromkeys(wanted) if m in modules],
        ConceptPlacement(part, modules),
    )
    cells: list[Any] = []
    for requires, blocks in sections:
        unknown = requires - set(EXERCISES)
        if unknown:
            raise ValueError(f"release/notebooks/{part}.md: unknown exercise(s) {sorted(unknown)} in a section")
        if requires <= have:
            cells += [cell for kind, text, info in blocks for cell in build.cells(kind, text, info)]
    missing = [name for name in build.mine if name not in build.placed]
    if missing:
        raise ValueError(_unplaced(part, missing))
    for i, cell in enumerate(cells):
        cell.id = cell.metadata["nbgrader"]["grade_id"] if "nbgrader" in cell.metadata else f"{part}-{i:03d}"
    return nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}, METADATA_KEY: {"part": part}},
    )


def source_notebooks(points: dict[str, float] | None = None) -> dict[Path, str]:
    """path -> text of every source notebook (parts with at least one exercise written)."""
    import nbformat

    modules = solution_modules()
    points = suite_points() if points is None else points
    out = {}
    for part in PARTS:
        if any(PART_OF[name] == part for name in available_exercises(modules)):
            out[SOURCE_DIR / part / f"{part}.ipynb"] = nbformat.writes(build_notebook(part, points, modules)) + "\n"
    return out


def write_source_notebooks() -> list[Path]:
    written = []
    expected = source_notebooks()
    for path, text in expected.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for stale in SOURCE_DIR.glob("*/*.ipynb"):
        if stale not in expected:
            stale.unlink()
    return written


def notebook_problems(points: dict[str, float] | None = None) -> list[str]:
    """Why ``nbgrader/source`` is not what ``make notebooks`` writes (empty when it is)."""
    expected = source_notebooks(points)
    found = [f"{p}: missing (run `make notebooks`)" for p in expected if not p.exists()]
    found += [
        f"{p}: stale (run `make notebooks`)"
        for p, text in expected.items()
        if p.exists() and p.read_text(encoding="utf-8") != text
    ]
    found += [f"{p}: has no part (run `make notebooks`)" for p in SOURCE_DIR.glob("*/*.ipynb") if p not in expected]
    return found


def clear_hidden_tests(nb: Any) -> Any:
    """``nb`` without the hidden part of its test cells (nbgrader's own preprocessor)."""
    from nbgrader.preprocessors import ClearHiddenTests

    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


def execute_reference(
    out: Path = BUILD / "notebooks", parts: Iterable[str] = PARTS, timeout: int = 600, parameters: str = ""
) -> list[Path]:
    """Run the reference notebooks (hidden tests cleared) into ``out``, in order; save their figures in ``out/figures``.

    They run side by side in ``out``, as a student's notebooks do in the bundle's ``notebooks/``, so a
    later part brings the earlier parts' work from their notebooks (the kit's ``assignments/`` holds
    only stubs), the path of a student who works in the notebooks alone. ``parameters``: code run
    right after each cell tagged ``parameters`` (papermill's convention), e.g. a smaller capstone.
    """
    import nbformat
    from nbclient import NotebookClient

    (out / "figures").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COURSE_KIT": str(REPO_ROOT)}
    notebooks = {}
    for part in PARTS:
        path = SOURCE_DIR / part / f"{part}.ipynb"
        if path.exists():
            notebooks[part] = clear_hidden_tests(nbformat.read(path, as_version=4))
            nbformat.write(notebooks[part], out / f"{part}.ipynb")  # where a later part finds it before it runs
    written = []
    for part in [p for p in parts if p in notebooks]:
        nb = notebooks[part]
        if parameters:
            tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", [])]
            for i in reversed(tagged):
                injected = nbformat.v4.new_code_cell(parameters, metadata={"tags": ["injected-parameters"]})
                nb.cells.insert(i + 1, injected)
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(out)}}).execute(
            env=env
        )
        nbformat.write(nb, out / f"{part}.ipynb")
        written.append(out / f"{part}.ipynb")
        for cell in nb.cells:
            name = (cell.metadata.get(METADATA_KEY) or {}).get("figure")
            images = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            for i, image in enumerate(images):
                figure = out / "figures" / (f"{name}.png" if i == 0 else f"{name}-{i + 1}.png")
                figure.write_bytes(base64.b64decode(image))
                written.append(figure)
    return written
