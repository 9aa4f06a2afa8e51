"""The course's notebooks: one module per ``%%module`` cell group, and the way back from cells to files.

A notebook of the course holds each exercise module as a run of code cells that start with the
cell magic ``%%module <package.module>`` (``%%module embeddings.one_hot``). Run in Jupyter, such
a cell executes its code *inside that module* (:mod:`autograder.notebook.kernel`). Read from disk,
the same cells, joined in order, are the module's source file: that is how a notebook hand-in
becomes a submission root that the grader grades like any other (:func:`to_submission`).

Standard library only (nbformat is imported where notebooks are read, when it is installed): the grader, the kernel
and the authoring tools share this format.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autograder.runtime.curriculum import EXERCISES

MAGIC = "%%module"
METADATA_KEY = (
    "course"  # cell.metadata["course"] = {"module": "embeddings.one_hot"}; nb.metadata["course"] = {"part": ...}
)
CHUNK_SEPARATOR = "\n\n\n"  # two blank lines, as between top-level definitions
MODULES = frozenset(EXERCISES.values())  # the only names a module cell may have: the curriculum's


class NotebookError(ValueError):
    """A notebook cannot be read as a hand-in (not JSON, not a notebook); the message names it and says why."""


def is_module_name(name: str) -> bool:
    """True for a module of the curriculum (``embeddings.one_hot``); never a path, never another name."""
    return name in MODULES


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


class _Node(dict[str, Any]):
    """A JSON object read with attribute access, as nbformat's ``NotebookNode`` (what this module reads of one)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _read_json(path: Path) -> Any:
    """A version-4 notebook read with the standard library (``python -m autograder zip`` runs before any set-up)."""
    import json

    nb = json.loads(path.read_text(encoding="utf-8"), object_hook=_Node)
    if not isinstance(nb, dict) or nb.get("nbformat") != 4:
        raise ValueError("it is not a version-4 notebook")
    for cell in nb.get("cells") or []:
        if isinstance(cell, dict) and isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])  # the file format allows a list of lines
    nb.setdefault("metadata", _Node())
    return nb


def _read(path: Path) -> Any:
    """nbformat's reading (which upgrades older notebook versions), or the standard library's where it is missing."""
    try:
        import nbformat
    except ModuleNotFoundError:
        return _read_json(path)
    return nbformat.read(path, as_version=4)


def read_notebook(path: Path) -> Any:
    """The notebook at ``path``, or :class:`NotebookError` saying why it is not one."""
    try:
        nb = _read(path)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
        for cell in nb.cells:
            if not isinstance(cell.get("source"), str) or not isinstance(cell.get("cell_type"), str):
                raise ValueError("a cell has no text")
    except Exception as error:  # noqa: BLE001 - whatever nbformat or the JSON parser raise, for any file
        raise NotebookError(f"{path.name} is not a readable notebook ({type(error).__name__}: {error})") from None
    return nb


def collect_sources(notebooks: Iterable[str | Path], notes: list[str] | None = None) -> dict[str, tuple[str, Path]]:
    """module -> ``(source, the notebook it came from)``, from the module cells of ``notebooks``.

    A module may appear in several notebooks (an older Part 3 notebook carried a pasted copy of
    Part 2's attention). The notebook of the module's own part wins (``attention.ipynb`` for
    ``attention.*``); otherwise the first notebook that has it. Only the curriculum's modules are
    kept: a cell whose ``%%module`` line names anything else (``../../x``, ``os``) is left out, with
    a line in ``notes``. A file that is not a notebook raises :class:`NotebookError`.
    """
    by_module: dict[str, list[tuple[bool, list[str], Path]]] = {}
    for path in notebook_files(notebooks):
        nb = read_notebook(path)
        part = (nb.metadata.get(METADATA_KEY) or {}).get("part", path.stem)
        for module, chunks in notebook_modules(nb).items():
            if not is_module_name(module):
                if notes is not None:
                    notes.append(f"{path.name}: cells of %%module {module[:80]!r} ignored (not a module of the course)")
                continue
            by_module.setdefault(module, []).append((part == _part_of(module), chunks, path))
    chosen = {module: max(found, key=lambda item: item[0]) for module, found in by_module.items()}
    return {module: (join_chunks(chunks), path) for module, (_, chunks, path) in chosen.items()}


def collect_modules(notebooks: Iterable[str | Path], notes: list[str] | None = None) -> dict[str, str]:
    """module -> source, from the module cells of ``notebooks`` (:func:`collect_sources` without the origins)."""
    return {module: source for module, (source, _) in collect_sources(notebooks, notes).items()}


def write_root(modules: dict[str, str], dest: str | Path) -> Path:
    """Write ``modules`` (name -> source) as a submission root at ``dest`` (packages get an ``__init__.py``).

    Only the curriculum's module names are written (``ValueError`` for any other), so no name can
    place a file outside ``dest``.
    """
    dest = Path(dest)
    for module in modules:
        if not is_module_name(module):
            raise ValueError(f"{module!r} is not a module of the course")
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
