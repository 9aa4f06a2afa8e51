"""The workspace: a private folder per submission, with one slot per worker.

``submission/`` is a private copy of the submission (plain files only, see :mod:`autograder.grading.sandbox`), owned
by the worker's uid alone; each worker gets a :class:`Slot` with a fresh read-only copy of the non-secret runtime
(with only the stand-ins it may hold) and its own ``home/`` and ``tmp/``, whose size is watched. The grader holds a
lock on the workspace while it lives; the next grader removes those whose grader died (:func:`sweep_workspaces`).
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

from autograder.grading import sandbox
from autograder.layout import worker_runtime_files


class ScratchFull(Exception):
    """The worker keeps more than the ``scratch`` setting in its scratch folders."""


WORKSPACE_PREFIX = "autograder-ws-"


def sweep_workspaces(older_than: float = 60.0) -> int:
    """Remove the workspaces of graders that died (their lock is free); returns how many.

    A grader killed with SIGKILL cannot clean up after itself; the next one does. A workspace
    younger than ``older_than`` seconds is left alone (its grader may not hold its lock yet).
    """
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(WORKSPACE_PREFIX + "*"):
        try:
            if path.is_symlink() or not path.is_dir() or time.time() - path.lstat().st_mtime < older_than:
                continue
            fd = os.open(path / ".lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            fd = None  # its grader died before taking the lock
        except OSError:
            continue
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live grader's
        finally:
            if fd is not None:
                os.close(fd)
        sandbox.remove_tree(path)
        removed += 1
    return removed


def copy_runtime(runtime: Path, stand_ins: frozenset[str] = frozenset()) -> None:
    """Copy the non-secret runtime, with only ``stand_ins``, into ``runtime`` (an empty ``autograder/__init__.py``:
    the copy imports nothing of the package but ``runtime``)."""
    for src, name in worker_runtime_files(stand_ins):
        dst = runtime / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    (runtime / "autograder" / "__init__.py").write_text("")


@dataclasses.dataclass(frozen=True)
class Slot:
    """One worker's own folders in the workspace: ``runtime/`` (read-only, the grader's) and ``home/`` and ``tmp/``."""

    path: Path
    runtime: Path
    home: Path
    tmp: Path


class Workspace:
    """``mkdtemp`` folder with ``submission/`` (a private copy) and one :class:`Slot` per worker (``w<k>/``).

    Each worker gets a slot of its own, with a fresh copy of the runtime (:meth:`new_slot`), so a worker can never
    leave code for the next one to boot from, and a worker started ahead of time shares nothing with the one
    running. The grader holds ``.lock`` while the workspace lives; :func:`sweep_workspaces` removes those whose
    grader died.
    """

    def __init__(self, source: Path, uid: int | None) -> None:
        sweep_workspaces()
        self.path = Path(tempfile.mkdtemp(prefix=WORKSPACE_PREFIX))
        self._lock = os.open(self.path / ".lock", os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        os.chmod(self.path, 0o711)  # others may pass through (the worker's uid), not list it
        self.submission = self.path / "submission"
        self.uid = uid
        self.error: str | None = None
        self._slots = 0
        try:
            sandbox.copy_tree(source, self.submission)
        except sandbox.SubmissionError as error:
            self.error = str(error)
            self.submission.mkdir(exist_ok=True)
        if uid is not None:  # the worker's own, and nobody else's: no other worker's uid may read it
            for p in [self.submission, *self.submission.rglob("*")]:
                os.lchown(p, uid, uid)
                if not p.is_symlink():
                    os.chmod(p, 0o700 if p.is_dir() else 0o600)
        fd, canary = tempfile.mkstemp(prefix=f"{WORKSPACE_PREFIX}canary-")  # 0600, the grader's
        os.close(fd)
        self.canary = Path(canary)

    def new_slot(self, stand_ins: frozenset[str] = frozenset()) -> Slot:
        """A fresh slot: the non-secret runtime copied from the kit with only ``stand_ins``, empty scratch folders."""
        self._slots += 1
        folder = self.path / f"w{self._slots}"
        slot = Slot(folder, folder / "runtime", folder / "home", folder / "tmp")
        folder.mkdir(mode=0o711)
        copy_runtime(slot.runtime, stand_ins)
        self._read_only(slot.runtime)
        self.clear_scratch(slot)
        return slot

    def add_stand_ins(self, slot: Slot, stand_ins: frozenset[str]) -> None:
        """Copy ``stand_ins`` into a slot whose worker has run no student code yet (one started ahead of time)."""
        names = {name for _, name in worker_runtime_files(stand_ins)} - {n for _, n in worker_runtime_files()}
        folder = slot.runtime / "autograder" / "runtime" / "standins"
        os.chmod(folder, 0o755)
        for src, name in worker_runtime_files(stand_ins):
            if name in names:
                shutil.copyfile(src, slot.runtime / name)
        self._read_only(folder)

    @staticmethod
    def _read_only(folder: Path) -> None:
        for p in [*folder.rglob("*"), folder]:
            os.chmod(p, 0o555 if p.is_dir() else 0o444)

    def clear_scratch(self, slot: Slot) -> None:
        """Empty the slot's ``home/`` and ``tmp/`` (the folders themselves stay: a started worker's Landlock rules
        name them) and give them to the worker's uid."""
        for folder in (slot.home, slot.tmp):
            if folder.is_dir() and not folder.is_symlink():
                for entry in list(folder.iterdir()):
                    if entry.is_dir() and not entry.is_symlink():
                        sandbox.remove_tree(entry)
                    else:
                        entry.unlink()
            else:
                sandbox.remove_tree(folder)
                folder.mkdir(mode=0o700)
            if self.uid is not None:
                os.chown(folder, self.uid, self.uid)

    @staticmethod
    def scratch_bytes(slot: Slot, cap: int) -> int:
        """Bytes used in the slot's scratch folders (blocks, as the disk counts them); stops counting past ``cap``."""
        total, todo = 0, [str(slot.home), str(slot.tmp)]
        while todo and total <= cap:
            try:
                with os.scandir(todo.pop()) as entries:
                    for entry in entries:
                        st = entry.stat(follow_symlinks=False)
                        total += st.st_blocks * 512 + 4096  # an inode costs too (a flood of empty files)
                        if entry.is_dir(follow_symlinks=False):
                            todo.append(entry.path)
            except OSError:
                continue
        return total

    def remove_slot(self, slot: Slot) -> None:
        sandbox.remove_tree(slot.path)

    def remove(self) -> None:
        self.canary.unlink(missing_ok=True)
        sandbox.remove_tree(self.path)
        os.close(self._lock)
