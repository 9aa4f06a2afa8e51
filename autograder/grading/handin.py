"""Whatever a student hands in (a submission root, a whole repository, loose files, notebooks) -> a submission root.

Runs in the trusted process and reads notebooks as data: no cell is ever executed here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.notebook.cells import collect_modules, notebook_files, write_root
from autograder.runtime.curriculum import EXERCISES, PACKAGES

SKIPPED_DIRS = {"autograder", "course", "tests", "kit", "venv", "site-packages", "node_modules", "__pycache__"}


def _shipped(rel: Path) -> bool:
    """True for a path inside the course's own runtime or tooling (never the student's code)."""
    return any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1])


def _module_files(handin: Path) -> dict[str, Path]:
    """module -> file for the ``.py`` files of a hand-in: ``pkg/stem.py`` anywhere, or a bare ``one_hot.py``."""
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
