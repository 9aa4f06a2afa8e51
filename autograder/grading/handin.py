"""Whatever a student hands in (a submission root, a whole repository, loose files, notebooks) -> a submission root.

Runs in the trusted process and reads notebooks as data: no cell is ever executed here. Only the
curriculum's modules are written, inside the new root, whatever a notebook's ``%%module`` lines say.

**Files or notebooks: the rule.** For each module, the ``.py`` file is graded, unless it is still the
released stub and a notebook's ``%%module`` cells hold something else: then the notebook is. A
student who works only in the notebooks is graded on them; one who works only in the files, on
those; where both were changed and differ, the file wins, and the notes (printed by ``make test``,
in Gradescope's output, by ``python -m autograder handin`` and ``zip``) say so and name the file or notebook.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT
from autograder.grading.sandbox import MAX_DEPTH, SubmissionError
from autograder.notebook.cells import NotebookError, collect_sources, write_root
from autograder.runtime.curriculum import EXERCISES, PACKAGES
from autograder.settings import Settings

SKIPPED_DIRS = {"autograder", "course", "tests", "kit", "venv", "site-packages", "node_modules", "__pycache__"}
# In the student bundle, assignments/ is the student's: the released stubs are known by their digests.
STUB_DIGESTS = REPO_ROOT / ".released-stubs.json"


def _shipped(rel: Path) -> bool:
    """True for a path inside the course's own runtime or tooling (never the student's code)."""
    return any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1])


def _walk(handin: Path) -> Iterator[Path]:
    """The files of ``handin`` the grader may read: the course's own folders pruned, depth and count bounded."""
    count, most = 0, Settings.from_env().max_files
    for folder, dirs, files in os.walk(handin):
        rel = Path(folder).relative_to(handin)
        if len(rel.parts) > MAX_DEPTH:
            raise SubmissionError(f"the hand-in has folders more than {MAX_DEPTH} deep ({rel.as_posix()[:200]})")
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            count += 1
            if count > most:
                raise SubmissionError(f"the hand-in has more than {most} files")
            yield Path(folder, name)


def digest(text: str) -> str:
    """What the rule compares: a module's text without its leading and trailing blank space."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def stub_digests(root: Path = ASSIGNMENTS) -> dict[str, str]:
    """module -> digest of its released stub in ``root`` (what the student bundle ships as ``STUB_DIGESTS``)."""
    digests = {}
    for module in EXERCISES.values():
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        if path.is_file():
            digests[module] = digest(path.read_text(encoding="utf-8"))
    return digests


def released_stubs() -> dict[str, str]:
    """module -> digest of the released stub: the bundle's list, else this kit's own ``assignments/``."""
    if STUB_DIGESTS.is_file():
        return dict(json.loads(STUB_DIGESTS.read_text(encoding="utf-8")))
    return stub_digests()


def _module_files(files: list[Path], handin: Path) -> dict[str, Path]:
    """module -> file for the ``.py`` files of a hand-in: ``pkg/stem.py`` anywhere, or a bare ``one_hot.py``."""
    packaged: dict[str, list[Path]] = {}
    flat: dict[str, list[Path]] = {}
    stems = {module.split(".")[-1]: module for module in EXERCISES.values()}
    for path in files:
        rel = path.relative_to(handin)
        if path.suffix != ".py" or path.name == "__init__.py":
            continue
        if len(rel.parts) >= 2 and rel.parts[-2] in PACKAGES:
            packaged.setdefault(f"{rel.parts[-2]}.{path.stem}", []).append(path)
        elif path.stem in stems:
            flat.setdefault(stems[path.stem], []).append(path)
    chosen = {module: min(paths, key=lambda p: (len(p.parts), str(p))) for module, paths in flat.items()}
    chosen.update({module: min(paths, key=lambda p: (len(p.parts), str(p))) for module, paths in packaged.items()})
    return {module: path for module, path in chosen.items() if module in EXERCISES.values()}


def choose(
    module: str, file: tuple[str, str] | None, notebook: tuple[str, str] | None, stub: str | None
) -> tuple[str, str]:
    """The rule of this module's docstring for one module: ``(the source graded, a note that says which and why)``.

    ``file`` and ``notebook`` are ``(source, where it is)`` or None; ``stub`` is the digest of the released stub.
    """
    file_changed = file is not None and digest(file[0]) != stub
    notebook_changed = notebook is not None and digest(notebook[0]) != stub
    if file is not None and (file_changed or not notebook_changed):
        note = f"{module}: graded from {file[1]}"
        if notebook is not None and notebook_changed and digest(notebook[0]) != digest(file[0]):
            note += f" (the %%module {module} cells of {notebook[1]} differ and were not graded)"
        elif not file_changed and stub is not None:
            note += " (still the stub you were given)"
        return file[0], note
    if notebook is None:
        raise ValueError(f"{module}: neither a file nor notebook cells")
    return notebook[0], f"{module}: graded from the notebook cells of {notebook[1]} (%%module {module})"


def prepare(handin: str | Path, dest: str | Path, stubs: dict[str, str] | None = None) -> tuple[Path, list[str]]:
    """Whatever a student handed in -> a submission root at ``dest``; returns it and a note per module.

    ``handin`` is a submission root, a folder holding one (a whole repository: ``assignments/...``),
    loose files (``one_hot.py``), notebooks, or a mix, or a single ``.ipynb``. Which of a file and a
    notebook is graded follows the rule of this module's docstring (``stubs``: module -> digest of
    the released stub, by default :func:`released_stubs`). Raises :class:`SubmissionError` for a
    hand-in that cannot be graded (an unreadable notebook, a tree too deep or too large).
    """
    handin, dest = Path(handin), Path(dest)
    stubs = released_stubs() if stubs is None else stubs
    found = list(_walk(handin)) if handin.is_dir() else [handin]
    files = _module_files(found, handin) if handin.is_dir() else {}
    notes: list[str] = []
    try:
        from_notebooks = collect_sources([p for p in found if p.suffix == ".ipynb"], notes)
    except NotebookError as error:
        raise SubmissionError(f"the hand-in could not be graded: {error}") from None

    def where(path: Path) -> str:
        return path.relative_to(handin).as_posix() if handin.is_dir() else path.name

    chosen: dict[str, str] = {}
    for module in sorted(set(files) | set(from_notebooks)):
        file = (
            (files[module].read_text(encoding="utf-8", errors="replace"), where(files[module]))
            if module in files
            else None
        )
        notebook = (from_notebooks[module][0], where(from_notebooks[module][1])) if module in from_notebooks else None
        chosen[module], note = choose(module, file, notebook, stubs.get(module))
        notes.append(note)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    return write_root(chosen, dest), notes
