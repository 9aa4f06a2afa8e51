"""Release the course three ways: nbgrader notebooks, a student bundle (GitHub Classroom), a Gradescope autograder.

Everything is generated from ``solutions/`` (the code) and ``release/`` (the words and templates):

- ``make notebooks``: ``nbgrader/source/<part>/<part>.ipynb``, one nbgrader assignment per part,
  from ``release/notebooks/<part>.md`` (the narrative, with directives saying where each
  exercise's cells go) and the solution modules (one ``%%module`` cell per definition); then the
  reference notebooks are executed into ``build/notebooks/`` and their figures saved as PNGs;
- ``make release``: the stubs, the source notebooks, the real ``nbgrader generate_assignment``,
  and ``dist/student/`` (+ ``dist/student.zip``): stubs, public tests, release notebooks, the grader
  runtime without its hidden suites, ``course/``, a Makefile, a README and the GitHub Classroom
  workflow; it refuses to finish when the bundle holds solution code or hidden tests;
- ``make gradescope``: ``dist/autograder.zip`` (``setup.sh``, ``run_autograder``, the grader with
  its suites and the reference).

``python -m autograder.release gradescope-run`` is what ``run_autograder`` calls on Gradescope.
"""

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import functools
import importlib.metadata
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from autograder.loader import ASSIGNMENTS, EXERCISES, PACKAGES, PART_OF, REPO_ROOT, SOLUTIONS
from autograder.notebooks import METADATA_KEY, cell_source, split_module

COURSE_DIR = REPO_ROOT / "nbgrader"
SOURCE_DIR = COURSE_DIR / "source"
TEMPLATES = REPO_ROOT / "release"
BUILD = REPO_ROOT / "build"
DIST = REPO_ROOT / "dist"
PARTS = PACKAGES  # one nbgrader assignment (and one notebook) per part
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PUBLIC_TEST_TIMEOUT = 120  # seconds per public test in GitHub Classroom (pytest-timeout)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def markers() -> tuple[str, str, str, str]:
    """nbgrader's markers (begin/end solution, begin/end hidden tests), spelled once in :mod:`autograder.stubs`."""
    from autograder.stubs import MARKERS

    return MARKERS


# --------------------------------------------------------------------------- what exists


def solution_modules(root: Path = SOLUTIONS) -> dict[str, Path]:
    """module name -> file, for every non-package module of ``root``."""
    return {
        ".".join(p.relative_to(root).with_suffix("").parts): p
        for p in sorted(root.rglob("*.py"))
        if p.name != "__init__.py" and "__pycache__" not in p.parts
    }


def available_exercises(modules: dict[str, Path] | None = None) -> list[str]:
    """The exercises whose solution module exists, in curriculum order."""
    modules = solution_modules() if modules is None else modules
    return [name for name, module in EXERCISES.items() if module in modules]


@functools.cache
def suite_points() -> dict[str, float]:
    """exercise -> the points of its hidden suite (collected, not run; once per process)."""
    import pytest

    from autograder import grading
    from autograder.plugin import exercise_of, points_of

    points: dict[str, float] = {}

    class Collect:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            for item in session.items:
                points[exercise_of(item)] = points.get(exercise_of(item), 0.0) + points_of(item)

    if grading.suite_files():
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main([*grading.pytest_args(SOLUTIONS, None, isolated=False), "--collect-only"], plugins=[Collect()])
    return {name: points[name] for name in EXERCISES if name in points}


def course_imports(source: str) -> list[str]:
    """The course modules (``attention.masks``) that ``source`` imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module.split(".")[0] in PACKAGES:
            found += [f"{node.module}.{a.name}" for a in node.names] if node.module in PACKAGES else [node.module]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in PACKAGES]
    return found


def carried_modules(part: str, modules: dict[str, Path]) -> list[str]:
    """Modules of other parts that ``part``'s modules need (transitively), dependencies first."""
    order = {module: i for i, module in enumerate([*EXERCISES.values(), *sorted(modules)])}
    seen: set[str] = set()
    needed: list[str] = []

    def visit(module: str) -> None:
        seen.add(module)
        for dep in sorted(set(course_imports(modules[module].read_text(encoding="utf-8"))) & set(modules), key=order.get):
            if dep not in seen:
                visit(dep)
                if dep.split(".")[0] != part:
                    needed.append(dep)

    for module in sorted((m for m in modules if m.split(".")[0] == part), key=order.get):
        visit(module)
    return needed


def _pyfiles(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


# --------------------------------------------------------------------------- notebook cells


def _nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution, "task": False}
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


def module_cells(module: str, path: Path, prefix: str) -> list[Any]:
    """One cell per chunk of the module: a solution cell where the chunk has a region to write, else read-only."""
    cells = []
    for chunk in split_module(path.read_text(encoding="utf-8")):
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
            f"# Tests of {exercise}: its public tests (tests/public/test_{exercise}.py) run here; hidden tests decide its {points:g} points.",
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

here = Path.cwd().resolve()
places = [Path(os.environ.get("COURSE_KIT", here)), *(q for p in (here, *here.parents) for q in (p, p / "kit"))]
KIT = next((p for p in places if (p / "autograder" / "notebooks.py").is_file()), None)
if KIT is None:
    raise RuntimeError("cannot find the course kit (a folder holding autograder/): open this notebook inside it, or set COURSE_KIT")
if str(KIT) not in sys.path:
    sys.path.insert(0, str(KIT))
%load_ext autograder.notebooks"""
PART_IMPORTS = {
    "embeddings": "import matplotlib.pyplot as plt\nimport numpy as np",
    "attention": "import matplotlib.pyplot as plt\nimport torch",
    "transformer": "import matplotlib.pyplot as plt\nimport torch",
}


def setup_cells(part: str) -> list[Any]:
    """The read-only cells that open a notebook: find the kit, then the imports every cell below uses."""
    imports = PART_IMPORTS[part] + "\n\nfrom autograder.notebooks import check, grade_hidden"
    return [_code(SETUP, grade_id="setup", locked=True), _code(imports, grade_id="imports", locked=True)]


# --------------------------------------------------------------------------- the narrative


DIRECTIVES = ("section", "setup", "exercise", "carry-over", "contents")
DIRECTIVE = re.compile(r"^<!--\s*(" + "|".join(DIRECTIVES) + r")\s*:?\s*(.*?)\s*-->\s*$")


def parse_narrative(text: str) -> list[tuple[frozenset[str], list[tuple[str, str, dict[str, str]]]]]:
    """The sections of a narrative file: ``(required exercises, blocks)``; a block is markdown, code or a directive.

    Format: markdown; fenced ```` ```python ```` blocks become code cells (``requires=a,b`` and
    ``figure=name`` after ``python``); ``<!-- section: a b -->`` starts a section kept only when
    exercises ``a`` and ``b`` exist; ``<!-- setup -->``, ``<!-- exercise: name -->``,
    ``<!-- carry-over -->`` and ``<!-- contents -->`` insert generated cells.
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


def _contents(exercises: list[str], points: dict[str, float]) -> str:
    """A markdown table of the notebook's exercises and their points."""
    rows = ["| exercise | module | points |", "| --- | --- | --- |"]
    rows += [f"| {name} | `{EXERCISES[name]}` | {points.get(name, 0):g} |" for name in exercises]
    return "\n".join(rows)


def build_notebook(part: str, points: dict[str, float] | None = None, modules: dict[str, Path] | None = None) -> Any:
    """The nbgrader source notebook of ``part``, from its narrative and the solution modules that exist."""
    import nbformat

    modules = solution_modules() if modules is None else modules
    points = suite_points() if points is None else points
    have = set(available_exercises(modules))
    mine = [name for name in available_exercises(modules) if PART_OF[name] == part]
    narrative = (TEMPLATES / "notebooks" / f"{part}.md").read_text(encoding="utf-8")
    cells: list[Any] = []
    placed = []
    for requires, blocks in parse_narrative(narrative):
        unknown = requires - set(EXERCISES)
        if unknown:
            raise ValueError(f"release/notebooks/{part}.md: unknown exercise(s) {sorted(unknown)} in a section")
        if not requires <= have:
            continue
        for kind, text, info in blocks:
            if kind == "markdown":
                cells.append(nbformat.v4.new_markdown_cell(text))
            elif kind == "code":
                if not {r for r in info.get("requires", "").split(",") if r} <= have:
                    continue
                cell = _code(text)
                if "figure" in info:
                    cell.metadata[METADATA_KEY] = {"figure": info["figure"]}
                cells.append(cell)
            elif text == "setup":
                cells += setup_cells(part)
            elif text == "contents":
                cells.append(nbformat.v4.new_markdown_cell(_contents(mine, points)))
            elif text == "carry-over":
                for module in carried_modules(part, modules):
                    cells += module_cells(module, modules[module], f"carry-{module.replace('.', '-')}")
            elif text == "exercise":
                name = info["arg"]
                if PART_OF.get(name) != part:
                    raise ValueError(f"release/notebooks/{part}.md: {name!r} is not an exercise of part {part}")
                if name in have:
                    cells += module_cells(EXERCISES[name], modules[EXERCISES[name]], name)
                    cells.append(test_cell(name, points[name]) if name in points else _code(f'check("{name}")'))
                    placed.append(name)
    missing = [name for name in mine if name not in placed]
    if missing:
        raise ValueError(f"release/notebooks/{part}.md places no <!-- exercise: ... --> for {missing}")
    for i, cell in enumerate(cells):
        cell.id = cell.metadata["nbgrader"]["grade_id"] if "nbgrader" in cell.metadata else f"{part}-{i:03d}"
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}, METADATA_KEY: {"part": part}})


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
    found += [f"{p}: stale (run `make notebooks`)" for p, text in expected.items() if p.exists() and p.read_text(encoding="utf-8") != text]
    found += [f"{p}: has no part (run `make notebooks`)" for p in SOURCE_DIR.glob("*/*.ipynb") if p not in expected]
    return found


def clear_hidden_tests(nb: Any) -> Any:
    """``nb`` without the hidden part of its test cells (nbgrader's own preprocessor)."""
    from nbgrader.preprocessors import ClearHiddenTests

    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


def execute_reference(out: Path = BUILD / "notebooks", parts: Iterable[str] = PARTS, timeout: int = 600) -> list[Path]:
    """Run the reference notebooks (hidden tests cleared) into ``out``; save their figures in ``out/figures``."""
    import nbformat
    from nbclient import NotebookClient

    (out / "figures").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COURSE_KIT": str(REPO_ROOT)}
    written = []
    for part in parts:
        path = SOURCE_DIR / part / f"{part}.ipynb"
        if not path.exists():
            continue
        nb = clear_hidden_tests(nbformat.read(path, as_version=4))
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(out)}}).execute(env=env)
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


# --------------------------------------------------------------------------- nbgrader


def tools_on_path(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with this interpreter's scripts first on PATH: nbgrader runs ``alembic`` by name."""
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def start_nbgrader(args: list[str], course_dir: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start an nbgrader command in ``course_dir`` (see :func:`wait_nbgrader`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=tools_on_path(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_nbgrader(process: subprocess.Popen) -> str:
    """The log of a finished nbgrader command; an error with the log when it failed."""
    log, _ = process.communicate()
    if process.returncode:
        raise RuntimeError(f"{' '.join(process.args[2:])} failed ({process.returncode}):\n{log}")
    return log


def nbgrader(args: list[str], course_dir: Path, env: dict[str, str] | None = None) -> str:
    """Run an nbgrader command in ``course_dir``; its log on success, an error with the log otherwise."""
    return wait_nbgrader(start_nbgrader(args, course_dir, env))


def generate_assignments(course_dir: Path = COURSE_DIR) -> list[Path]:
    """``nbgrader generate_assignment`` for every part; returns the release folders."""
    nbgrader(["generate_assignment", "*", "--force"], course_dir)
    return sorted(p for p in (course_dir / "release").iterdir() if p.is_dir())


def fill_solutions(released: Any, source: Any) -> Any:
    """``released`` (a release notebook) with every solution cell holding the reference: a perfect hand-in."""
    reference = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in released.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = reference[cell.metadata["nbgrader"]["grade_id"]]
    return released


def gradebook_scores(course_dir: Path, course_id: str = "eat") -> dict[tuple[str, str], tuple[float, float]]:
    """(assignment, student) -> (score, max_score), read with nbgrader's gradebook API."""
    from nbgrader.api import Gradebook

    scores = {}
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = tools_on_path()["PATH"]
    try:
        with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", course_id) as gb:
            for assignment in gb.assignments:
                for submission in assignment.submissions:
                    scores[(assignment.name, submission.student_id)] = (submission.score, submission.max_score)
    finally:
        os.environ["PATH"] = saved
    return scores


# --------------------------------------------------------------------------- requirements


def lock_pins(lock: Path = REPO_ROOT / "requirements.lock") -> dict[str, str]:
    """canonical name -> ``Name==version`` line of the lock file."""
    from packaging.utils import canonicalize_name

    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            pins[canonicalize_name(line.split("==")[0].strip())] = line.strip()
    return pins


def top_level_imports(texts: Iterable[str]) -> set[str]:
    names = set()
    for text in texts:
        names |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", text, flags=re.MULTILINE))
    return names


def distributions(imports: Iterable[str]) -> set[str]:
    """The installed distributions that provide these top-level modules (standard library and the kit's own skipped)."""
    provided = importlib.metadata.packages_distributions()
    return {dist for name in imports for dist in provided.get(name, [])}


def closure(dists: Iterable[str]) -> set[str]:
    """``dists`` and everything they require on this platform, as canonical names."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    stack = list(dists)
    while stack:
        name = canonicalize_name(stack.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.distribution(name).requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return seen


INSTALLER_TOOLS = {"pip", "setuptools", "wheel"}  # come with every virtual environment; pip does not lock them


def pinned(names: Iterable[str]) -> list[str]:
    pins = lock_pins()
    names = set(names) - INSTALLER_TOOLS
    missing = sorted(names - set(pins))
    if missing:
        raise RuntimeError(f"not in requirements.lock: {missing}")
    return sorted((pins[name] for name in names), key=str.lower)


def _texts(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        yield path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the student bundle

RUNTIME_EXCLUDE = ("suites", "stubs.py", "release.py")  # hidden tests, and instructor tools that need nbgrader
STUDENT_TEST_EXTRAS = ("pytest-timeout",)  # a pytest plugin: configured (pytest.ini), never imported
STUDENT_EXTRAS = ("notebook", "ipykernel")  # to open the notebooks (their own imports are found by scanning them)


def _copy_tree(src: Path, dst: Path, exclude: Iterable[str] = ()) -> None:
    exclude = set(exclude)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or "__pycache__" in rel.parts or path.suffix == ".pyc" or rel.parts[0] in exclude:
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst / rel)


def student_requirements(bundle: Path) -> tuple[list[str], list[str]]:
    """``(requirements-test.txt lines, the notebooks' extra lines)``, pinned from requirements.lock."""
    import nbformat

    test = closure({*STUDENT_TEST_EXTRAS, *distributions(top_level_imports(_texts(_pyfiles(bundle))))})
    notebook_code = [c.source for nb in bundle.glob("notebooks/*.ipynb") for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code"]
    extra = closure({*STUDENT_EXTRAS, *distributions(top_level_imports(notebook_code))}) - test
    return pinned(test), pinned(extra)


def classroom_steps(points: dict[str, float], torch_pin: str) -> tuple[str, dict[str, Any]]:
    """The GitHub Classroom workflow (YAML text) and the classic ``autograding.json`` for these exercises."""
    import yaml

    template = (TEMPLATES / "classroom" / "classroom.yml").read_text(encoding="utf-8")
    template = template.replace("@TORCH_PIN@", torch_pin).replace("@TORCH_INDEX@", TORCH_CPU_INDEX)
    steps, tests = [], []
    for name, value in points.items():
        score = int(value) if float(value).is_integer() else value
        command = f"python -m pytest tests/public/test_{name}.py -p autograder.plugin -q --no-header --timeout={PUBLIC_TEST_TIMEOUT}"
        steps.append(
            {
                "name": f"{name} ({score} points)",
                "id": name,
                "uses": "classroom-resources/autograding-command-grader@v1",
                "with": {"test-name": name, "command": command, "timeout": 10, "max-score": score},
            }
        )
        tests.append({"name": name, "setup": "", "run": command, "input": "", "output": "", "comparison": "included", "timeout": 10, "points": score})
    steps.append(
        {
            "name": "Autograding Reporter",
            "uses": "classroom-resources/autograding-grading-reporter@v1",
            "env": {f"{name.upper()}_RESULTS": "${{ steps." + name + ".outputs.result }}" for name in points},
            "with": {"runners": ",".join(points)},
        }
    )
    generated = yaml.safe_dump(steps, sort_keys=False, width=1000, default_flow_style=False)
    text = template.rstrip("\n") + "\n" + "".join("      " + line if line.strip() else line for line in generated.splitlines(keepends=True))
    if tests:
        tests[0]["setup"] = f"python -m pip install --index-url {TORCH_CPU_INDEX} {torch_pin} && python -m pip install -r requirements-test.txt"
    return text, {"tests": tests}


def build_bundle(dest: Path = DIST / "student", release_dir: Path = COURSE_DIR / "release", points: dict[str, float] | None = None) -> Path:
    """The student bundle at ``dest``: what a student clones (a GitHub Classroom template repository)."""
    points = suite_points() if points is None else points
    if dest.exists():
        shutil.rmtree(dest)
    _copy_tree(ASSIGNMENTS, dest / "assignments")
    _copy_tree(REPO_ROOT / "tests" / "public", dest / "tests" / "public")
    _copy_tree(REPO_ROOT / "autograder", dest / "autograder", exclude=RUNTIME_EXCLUDE)
    _copy_tree(REPO_ROOT / "course", dest / "course")
    for part in PARTS:
        notebook = release_dir / part / f"{part}.ipynb"
        if notebook.exists():
            (dest / "notebooks").mkdir(parents=True, exist_ok=True)
            shutil.copy2(notebook, dest / "notebooks" / notebook.name)
    for name in ("README.md", "Makefile", "pytest.ini"):
        shutil.copy2(TEMPLATES / "student" / name, dest / name)
    shutil.copy2(TEMPLATES / "student" / "gitignore", dest / ".gitignore")
    test, extra = student_requirements(dest)
    (dest / "requirements-test.txt").write_text("# Pinned from the course's requirements.lock: what `make test` needs.\n" + "\n".join(test) + "\n")
    (dest / "requirements.txt").write_text(
        "# Pinned from the course's requirements.lock: `make test` and the notebooks.\n-r requirements-test.txt\n" + "\n".join(extra) + "\n"
    )
    torch_pin = next(line for line in test if line.lower().startswith("torch=="))
    workflow, autograding = classroom_steps({name: points[name] for name in available_exercises() if name in points}, torch_pin)
    (dest / ".github" / "workflows").mkdir(parents=True)
    (dest / ".github" / "workflows" / "classroom.yml").write_text(workflow)
    (dest / ".github" / "classroom").mkdir(parents=True)
    (dest / ".github" / "classroom" / "autograding.json").write_text(json.dumps(autograding, indent=2) + "\n")
    return dest


def copy_kit_into(release_dir: Path, bundle: Path) -> None:
    """Give each nbgrader release folder the runtime its notebooks import (``kit/``), taken from the bundle."""
    for folder in (p for p in release_dir.iterdir() if p.is_dir()):
        kit = folder / "kit"
        if kit.exists():
            shutil.rmtree(kit)
        for name in ("autograder", "course", "tests"):
            _copy_tree(bundle / name, kit / name)


TRIVIAL_LINE = re.compile(r"^(#|@|import\s|from\s+\S+\s+import\s|pass$|return$)|^[\W_]*$")


def _windows(lines: list[str], size: int = 3, min_chars: int = 30) -> set[str]:
    """Runs of ``size`` consecutive telling lines (stripped; no blank, comment, import or punctuation-only line)."""
    lines = [line.strip() for line in lines if not TRIVIAL_LINE.match(line.strip())]
    size = min(size, len(lines))
    found = {"\n".join(lines[i : i + size]) for i in range(len(lines) - size + 1)} if size else set()
    return {w for w in found if len(w) >= min_chars}


def solution_fingerprints(root: Path = SOLUTIONS) -> set[str]:
    """Telling runs of lines of every solution region of ``root``."""
    begin, end = markers()[:2]
    found = set()
    for path in _pyfiles(root):
        region: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if begin in line:
                region = []
            elif end in line and region is not None:
                found |= _windows(region)
                region = None
            elif region is not None:
                region.append(line)
    return found


def hidden_fingerprints() -> set[str]:
    """Telling runs of lines of the hidden suites that the shipped sources (public tests, runtime, stubs) do not share."""
    from autograder.grading import SUITES

    shipped = set()
    legitimate = [REPO_ROOT / "tests" / "public", REPO_ROOT / "autograder", REPO_ROOT / "course", ASSIGNMENTS]
    for path in [p for folder in legitimate for p in _pyfiles(folder)]:
        if SUITES not in path.parents:
            shipped |= _windows(path.read_text(encoding="utf-8").splitlines())
    return {w for path in _pyfiles(SUITES) for w in _windows(path.read_text(encoding="utf-8").splitlines())} - shipped


def bundle_leaks(bundle: Path) -> list[str]:
    """What in ``bundle`` gives away a solution or a hidden test (empty when nothing does)."""
    import nbformat

    problems = []
    fingerprints = {"solution code": solution_fingerprints(), "hidden test code": hidden_fingerprints()}
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle)
        if {"suites", "solutions"} & set(rel.parts) or path.suffix == ".db":
            problems.append(f"{rel}: must not be shipped")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        problems += [f"{rel}: contains the marker {m!r}" for m in markers() if m in text]
        if path.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            if any(c.get("outputs") for c in nb.cells):
                problems.append(f"{rel}: has outputs")
            lines = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()]
        else:
            lines = text.splitlines()
        windows = set().union(*(_windows(lines, size, min_chars=0) for size in (1, 2, 3)))  # short regions give short prints
        for what, prints in fingerprints.items():
            hits = prints & windows
            if hits:
                problems.append(f"{rel}: holds {what}: {sorted(hits)[0]!r}")
    return problems


def release(dest: Path = DIST, course_dir: Path = COURSE_DIR) -> Path:
    """stubs, source notebooks, ``nbgrader generate_assignment``, the student bundle and its zip; refuses to ship a leak."""
    from autograder import stubs

    stubs.generate()
    write_source_notebooks()
    points = suite_points()
    generate_assignments(course_dir)
    bundle = build_bundle(dest / "student", course_dir / "release", points)
    leaks = bundle_leaks(bundle)
    if leaks:
        raise RuntimeError("the student bundle would leak:\n" + "\n".join(leaks))
    copy_kit_into(course_dir / "release", bundle)
    zip_tree(bundle, dest / "student.zip")
    return bundle


# --------------------------------------------------------------------------- Gradescope


def _add(z: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible: the same sources give the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    z.writestr(info, data)


def zip_tree(src: Path, dest: Path, prefix: str = "") -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as z:
        for path in sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            _add(z, prefix + path.relative_to(src).as_posix(), path.read_bytes(), executable=os.access(path, os.X_OK))
    return dest


GRADER_EXTRAS = ("pytest-timeout", "nbformat")  # a pytest plugin (configured, not imported); notebooks read lazily


def grader_requirements() -> list[str]:
    """What the grader needs on Gradescope: the imports of the grader, its suites, course/ and the reference."""
    files = [p for p in _pyfiles(REPO_ROOT / "autograder") if p.name not in ("stubs.py", "release.py")]
    files += _pyfiles(REPO_ROOT / "course") + _pyfiles(SOLUTIONS)
    return pinned(closure(distributions(top_level_imports(_texts(files))) | set(GRADER_EXTRAS)))


def build_gradescope(dest: Path = DIST / "autograder.zip") -> Path:
    """Gradescope's autograder zip: setup.sh and run_autograder at its root, the grader and the reference beside them."""
    requirements = grader_requirements()
    torch_pin = next(line for line in requirements if line.lower().startswith("torch=="))
    setup = (TEMPLATES / "gradescope" / "setup.sh").read_text(encoding="utf-8")
    setup = setup.replace("@TORCH_PIN@", torch_pin).replace("@TORCH_INDEX@", TORCH_CPU_INDEX)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as z:
        _add(z, "setup.sh", setup.encode(), executable=True)
        _add(z, "run_autograder", (TEMPLATES / "gradescope" / "run_autograder").read_bytes(), executable=True)
        _add(z, "requirements.txt", ("\n".join(requirements) + "\n").encode())
        for folder in ("autograder", "course", "solutions", "assignments"):
            for path in sorted(p for p in (REPO_ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"):
                _add(z, path.relative_to(REPO_ROOT).as_posix(), path.read_bytes())
    return dest


def gradescope_run(root: Path, grade_args: list[str]) -> int:
    """Grade ``root/submission`` into ``root/results/results.json`` (what ``run_autograder`` does)."""
    from autograder import cli
    from autograder.notebooks import prepare

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="submission-") as tmp:
        submission, notes = prepare(root / "submission", Path(tmp) / "root", stubs_root=Path(__file__).resolve().parent.parent / "assignments")
        code = cli.main(["grade", str(submission), "--results", str(results), *grade_args])
    if results.exists():
        data = json.loads(results.read_text(encoding="utf-8"))
        data["output"] = "\n".join([*notes, data.get("output", "")]).strip()
        results.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return code


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.release", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    nb = sub.add_parser("notebooks", help="write nbgrader/source/<part>/<part>.ipynb from solutions/ and release/notebooks/")
    nb.add_argument("--check", action="store_true", help="only check that they are up to date")
    nb.add_argument("--execute", action="store_true", help="also run the reference notebooks into build/notebooks (figures)")
    rel = sub.add_parser("release", help="nbgrader generate_assignment + the student bundle in dist/")
    rel.add_argument("--dest", type=Path, default=DIST)
    gs = sub.add_parser("gradescope", help="build dist/autograder.zip")
    gs.add_argument("--dest", type=Path, default=DIST / "autograder.zip")
    run = sub.add_parser("gradescope-run", help="grade ROOT/submission into ROOT/results/results.json (run_autograder)")
    run.add_argument("--root", type=Path, default=Path("/autograder"))
    run.add_argument("grade_args", nargs=argparse.REMAINDER, help="extra arguments of `python -m autograder grade`")
    leaks = sub.add_parser("leaks", help="list what in a bundle gives away solutions or hidden tests")
    leaks.add_argument("bundle", type=Path)
    ns = parser.parse_args(argv)

    if ns.command == "notebooks":
        if ns.check:
            found = notebook_problems()
            for line in found:
                print(line, file=sys.stderr)
            return 1 if found else 0
        written = write_source_notebooks()
        print(f"{len(written)} source notebook(s) written to {SOURCE_DIR.relative_to(REPO_ROOT)}")
        if ns.execute:
            for path in execute_reference():
                print(f"  {path.relative_to(REPO_ROOT)}")
        return 0
    if ns.command == "release":
        bundle = release(ns.dest)
        print(f"student bundle: {bundle} (+ {ns.dest / 'student.zip'}); nbgrader release: {COURSE_DIR / 'release'}")
        return 0
    if ns.command == "gradescope":
        print(f"Gradescope autograder: {build_gradescope(ns.dest)}")
        return 0
    if ns.command == "gradescope-run":
        return gradescope_run(ns.root, [a for a in ns.grade_args if a != "--"])
    found = bundle_leaks(ns.bundle)
    print("\n".join(found) or "no leaks")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
