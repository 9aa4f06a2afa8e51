"""A submission on disk, made safe to grade: safe zip extraction, a private copy, a content hash.

A submission is a folder or a ``.zip`` holding the curriculum's packages (``embeddings/``,
``attention/``, ``transformer/``), possibly inside a single top folder. :func:`prepare` turns it
into a fresh directory the grader owns:

- a zip entry with an absolute path, a ``..`` component, a symlink or a special file, too many
  files or too many bytes (counted while extracting, not trusted from the zip's header) refuses
  the whole submission with a :class:`SubmissionError` that says why;
- a symlink (or a FIFO, a device ...) in a folder submission is refused the same way, so the
  grader never follows a link into its own files and never blocks reading a pipe;
- compiled files (``*.pyc``, ``__pycache__``, extension modules) are left out: only source code is
  graded, so what the static checks read is what runs.

:func:`content_hash` names a submission's content (same files, same hash, zip or folder), which
batch grading uses to skip submissions already graded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import zipfile
from pathlib import Path

from autograder.runtime.curriculum import PACKAGES
from autograder.settings import Settings

MAX_DEPTH = 24  # folders inside folders: the curriculum needs 3; deeper is a trap for recursive tools
# Never copied: caches and metadata that no submission needs, and compiled code that would run
# instead of the source the checks read.
SKIP_DIRS = frozenset(
    {
        "__pycache__",
        "__MACOSX",
        ".git",
        ".hg",
        ".svn",
        ".ipynb_checkpoints",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    }
)
SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll")
SKIP_FILES = frozenset({".DS_Store", "Thumbs.db"})


class SubmissionError(Exception):
    """The submission cannot be graded as handed in; the message says why, for the student."""


def _skipped(parts: tuple[str, ...]) -> bool:
    return (
        any(p in SKIP_DIRS for p in parts[:-1])
        or parts[-1] in SKIP_DIRS
        or parts[-1] in SKIP_FILES
        or parts[-1].endswith(SKIP_SUFFIXES)
    )


class _Budget:
    """What a submission may hold (settings max_files, max_file_bytes, max_total_bytes), counted while reading."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.limits = Settings.from_env()

    def add_file(self, name: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise SubmissionError(f"the submission has more than {self.limits.max_files} files")

    def add_bytes(self, name: str, n: int, file_total: int) -> None:
        self.bytes += n
        if file_total > self.limits.max_file_bytes:
            raise SubmissionError(f"the file {name} is larger than {self.limits.max_file_bytes >> 20} MiB")
        if self.bytes > self.limits.max_total_bytes:
            raise SubmissionError(f"the submission is larger than {self.limits.max_total_bytes >> 20} MiB")


def _copy_stream(src, dst, name: str, budget: _Budget) -> None:
    total = 0
    while chunk := src.read(1 << 20):
        total += len(chunk)
        budget.add_bytes(name, len(chunk), total)
        dst.write(chunk)


def copy_tree(src: Path, dest: Path) -> None:
    """Copy the regular files and folders of ``src`` into the new folder ``dest``; refuse links and special files."""
    refused: list[str] = []
    budget = _Budget()
    dest.mkdir(parents=True)

    def walk(directory: Path, rel: tuple[str, ...]) -> None:
        with os.scandir(directory) as scan:
            entries = []
            for entry in scan:  # counted while listing: a folder of a million entries is refused, never sorted
                budget.add_file(entry.name)
                entries.append(entry)
            for entry in sorted(entries, key=lambda e: e.name):
                parts = (*rel, entry.name)
                name = "/".join(parts)
                if entry.is_symlink():
                    refused.append(f"{name} is a symbolic link")
                    continue
                if _skipped(parts):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if len(parts) > MAX_DEPTH:
                        raise SubmissionError(
                            f"the submission nests folders more than {MAX_DEPTH} deep ({name[:200]}...)"
                        )
                    (dest.joinpath(*parts)).mkdir()
                    todo.append((Path(entry.path), parts))
                elif entry.is_file(follow_symlinks=False):
                    # O_NOFOLLOW: a file swapped for a link after the scan is refused, not followed.
                    fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
                    with os.fdopen(fd, "rb") as fsrc, open(dest.joinpath(*parts), "xb") as fdst:
                        if not stat.S_ISREG(os.fstat(fsrc.fileno()).st_mode):
                            raise SubmissionError(f"the file {name} is not a regular file")
                        _copy_stream(fsrc, fdst, name, budget)
                else:
                    refused.append(f"{name} is not a regular file or folder")

    todo: list[tuple[Path, tuple[str, ...]]] = [(src, ())]  # a work list, not recursion: no depth crashes the grader
    try:
        while todo:
            walk(*todo.pop())
    except OSError as error:
        raise SubmissionError(f"the submission could not be read: {error.strerror or error}") from None
    if refused:
        shown = "; ".join(refused[:5]) + (f" (and {len(refused) - 5} more)" if len(refused) > 5 else "")
        raise SubmissionError(f"the submission was refused: {shown}. Hand in plain files only.")


def extract_zip(archive: Path, dest: Path) -> None:
    """Extract ``archive`` into the new folder ``dest``, refusing anything that could land outside it."""
    budget = _Budget()
    dest.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > 4 * budget.limits.max_files:
                raise SubmissionError(f"the zip file has more than {4 * budget.limits.max_files} entries")
            for info in infos:
                raw = info.filename
                name = raw.replace("\\", "/")
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise SubmissionError(f"the zip file was refused: {raw} is a symbolic link")
                if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
                    raise SubmissionError(f"the zip file was refused: {raw} has an absolute path")
                parts = tuple(p for p in name.split("/") if p not in ("", "."))
                if ".." in parts:
                    raise SubmissionError(f"the zip file was refused: {raw} points outside the submission (..)")
                if not parts or _skipped(parts):
                    continue
                if len(parts) > MAX_DEPTH + 1:
                    raise SubmissionError(f"the zip file has folders more than {MAX_DEPTH} deep ({raw[:200]})")
                kind = stat.S_IFMT(mode)
                if info.is_dir() or kind == stat.S_IFDIR:
                    dest.joinpath(*parts).mkdir(parents=True, exist_ok=True)
                    continue
                if kind not in (0, stat.S_IFREG):
                    raise SubmissionError(f"the zip file was refused: {raw} is not a regular file")
                budget.add_file(raw)
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as fsrc, open(target, "xb") as fdst:
                        _copy_stream(fsrc, fdst, raw, budget)
                except FileExistsError:
                    raise SubmissionError(f"the zip file was refused: {raw} appears twice") from None
    except SubmissionError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
    ) as error:
        raise SubmissionError(f"the zip file could not be read: {error}") from None


def find_root(folder: Path) -> Path:
    """The folder holding the packages: ``folder`` itself, or its single top folder (a zip of ``mywork/``)."""
    if any((folder / p).is_dir() for p in PACKAGES):
        return folder
    entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return find_root(entries[0]) if any((entries[0] / p).is_dir() for p in PACKAGES) else folder
    return folder


def prepare(submission: str | Path, dest: str | Path) -> Path:
    """Copy (folder) or extract (zip) ``submission`` into the new folder ``dest``; return the root to grade.

    Raises :class:`SubmissionError` when the submission is refused.
    """
    src, dest = Path(submission), Path(dest)
    if src.is_symlink():
        raise SubmissionError(f"the submission {src.name} is a symbolic link")
    if src.is_dir():
        copy_tree(src, dest)
    elif src.is_file() and zipfile.is_zipfile(src):
        extract_zip(src, dest)
    elif src.is_file() and src.suffix == ".ipynb":
        dest.mkdir(parents=True)
        with src.open("rb") as fin, (dest / src.name).open("wb") as fout:
            _copy_stream(fin, fout, src.name, _Budget())
    elif src.is_file():
        raise SubmissionError(f"the hand-in {src.name} is neither a folder, a zip file nor a notebook")
    else:
        raise SubmissionError(f"the submission {src} does not exist")
    return find_root(dest)


def content_hash(root: str | Path) -> str:
    """SHA-256 of the files that would be graded (relative names and bytes), independent of how they were packed."""
    digest = hashlib.sha256()
    root = Path(root)
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and not _skipped(p.relative_to(root).parts)
    )
    for path in files:
        rel = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def remove_tree(path: str | Path) -> None:
    """Delete a folder the grader made, whatever the worker left in it (folders without rights, any depth).

    A work list, not recursion (``shutil.rmtree`` recurses once per level): every folder is first
    given back its owner's rights (the grader owns them, or is root), its files are unlinked, and the
    folders are removed deepest first.
    """
    path = Path(path)
    if path.is_symlink():
        path.unlink()
        return
    todo, folders = [str(path)], []
    while todo:
        folder = todo.pop()
        folders.append(folder)
        try:
            os.chmod(folder, 0o700)
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    else:
                        with contextlib.suppress(OSError):
                            os.unlink(entry.path)
        except OSError:
            continue
    for folder in reversed(folders):  # found after its parent: removed before it
        try:
            os.rmdir(folder)
        except OSError:
            pass
