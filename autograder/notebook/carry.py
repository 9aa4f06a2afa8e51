"""A later part's notebook uses the student's own work of the earlier parts, found by the kit's one rule, never pasted.

Part 3 builds on Part 2's attention and, in its capstone, on Part 1's BPE. Its notebook's first cells
call :func:`bring`, which loads each of those modules into the kernel from what is graded: the file
in ``assignments/`` when the student changed it, else the ``%%module`` cells of that part's notebook
(:func:`autograder.grading.handin.choose`, the rule every channel follows). It says where each module
came from. :func:`drift` tells ``check()`` when what the kernel runs is no longer what is graded (the
student changed Part 2 after bringing it, or a changed file overrides this notebook's cells), and
:func:`require` turns the "not written yet" of an earlier exercise into one sentence that says what
to bring, before a cell fails with a bare ``NotImplementedError``.

Where the notebooks are: the student bundle keeps all three in ``notebooks/`` (beside each other),
nbgrader gives each part its own folder (``attention/attention.ipynb`` beside
``transformer/transformer.ipynb``), and ``nbgrader autograde`` runs Part 3 in
``autograded/<student>/transformer``, where the student's Part 2 is ``submitted/<student>/attention``.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.handin import choose, released_stubs
from autograder.notebook.cells import NotebookError, collect_sources
from autograder.runtime.curriculum import EXERCISES

EXERCISE_OF = {module: name for name, module in EXERCISES.items()}
PART_NUMBER = {"embeddings": 1, "attention": 2, "transformer": 3}


@dataclass(frozen=True)
class Work:
    """One module of the student's earlier work: its source and where it came from (a file or a notebook)."""

    module: str
    source: str
    origin: str


def notebook_places(part: str, here: Path, kit: Path) -> list[Path]:
    """Where ``part``'s notebook may be, most likely first (see the module's docstring)."""
    name = f"{part}.ipynb"
    places = [here / name, here.parent / part / name, kit / "notebooks" / name]
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and len(here.parents) >= 3:
        places.append(here.parents[2] / "submitted" / here.parent.name / part / name)
    return places


def find(module: str, here: Path, kit: Path) -> Work | None:
    """The student's ``module`` as grading would read it (file or notebook cells), or None when neither exists."""
    part, stem = module.split(".")
    path = kit / "assignments" / part / f"{stem}.py"
    file = (path.read_text(encoding="utf-8", errors="replace"), _shown(path, here)) if path.is_file() else None
    notebook = None
    for place in notebook_places(part, here, kit):
        if place.is_file():
            try:
                sources = collect_sources([place])
            except NotebookError:
                continue
            if module in sources:
                notebook = (sources[module][0], _shown(place, here))
                break
    if file is None and notebook is None:
        return None
    source, note = choose(module, file, notebook, released_stubs().get(module))
    return Work(module, source, note.split(": graded from ", 1)[1])


def _shown(path: Path, here: Path) -> str:
    """``path`` as the student would find it from this notebook's folder."""
    try:
        return os.path.relpath(path, here)
    except ValueError:  # another drive (Windows)
        return str(path)


def not_written(source: str) -> list[str]:
    """The functions and methods of ``source`` whose body still raises ``NotImplementedError`` (the stub's line)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in node.body:
                if isinstance(inner, ast.Raise) and inner.exc is not None:
                    exc = inner.exc.func if isinstance(inner.exc, ast.Call) else inner.exc
                    if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                        found.append(node.name)
    return found


def describe(work: Work | None, module: str) -> str:
    """One line for ``bring``: where ``module`` came from, or what is missing."""
    part, stem = module.split(".")
    where = f"Part {PART_NUMBER.get(part, '?')}"
    if work is None:
        return (
            f"{module}: NOT FOUND: no assignments/{part}/{stem}.py and no {part}.ipynb beside this notebook or in "
            f"../{part}/; put your {where} notebook there, then re-run this cell"
        )
    line = f"{module}: from {work.origin}"
    missing = not_written(work.source)
    if missing:
        line += f"  (not written yet: {', '.join(missing)}; finish {EXERCISE_OF.get(module, module)} in {where} first)"
    return line
