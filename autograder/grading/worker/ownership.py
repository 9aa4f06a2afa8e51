"""Ownership: the worker's own uid, and what that uid may never reach or leave behind.

As root, the grader gives each worker a dedicated, unprivileged uid (:class:`UidClaim`: no account, no process, held
with a lock so concurrent graders never share one). That uid is one of the mechanisms of isolation
(:mod:`autograder.grading.worker.isolation`): where neither Landlock nor a mount namespace hides the grader's files,
``files`` holds by ownership when the worker, under its uid, finds every :func:`secret_files` closed. At the end the
grader kills every process of the uid (:func:`kill_uid`) and removes its IPC objects (:func:`sweep_ipc`), so nothing
of a submission outlives its grading.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pwd
import random
import signal
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.grading.loader import REPO_ROOT

if TYPE_CHECKING:
    from autograder.grading.worker.workspace import Workspace


def _uids_of(pid: str) -> set[int]:
    """The uids of a live process; none for a zombie (it runs nothing, and only its parent can make it go)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("State:") and line.split()[1] in ("Z", "X"):
                return set()
            if line.startswith("Uid:"):
                return {int(x) for x in line.split()[1:]}
    return set()


def processes_of(uid: int) -> list[int]:
    """Ids of the live processes with ``uid`` as a real, effective or saved uid."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if uid in _uids_of(entry):
                    found.append(int(entry))
            except (OSError, ValueError):
                pass
    return found


def kill_uid(uid: int, rounds: int = 50) -> int:
    """SIGKILL every process of ``uid`` until none is left (a pidfd per process: a reused pid is never hit)."""
    killed = 0
    for _ in range(rounds):
        pids = processes_of(uid)
        if not pids:
            break
        for pid in pids:
            try:
                fd = os.pidfd_open(pid)
            except OSError as error:
                if error.errno == errno.ENOSYS:  # kernels before 5.3: a plain kill (the uid is checked just above)
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                continue
            try:
                if uid in _uids_of(str(pid)):
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
                    killed += 1
            except OSError:
                pass
            finally:
                os.close(fd)
        time.sleep(0.005)
    return killed


_IPC_KINDS = ("shm", "msg", "sem")  # /proc/sysvipc/<kind>: the id is the 2nd column; uid and cuid are named ones


def _remove_as(uid: int, objects: list[tuple[str, int]]) -> None:
    """IPC_RMID each of ``objects`` from a child that became ``uid`` (their owner may; root without CAP_SYS_ADMIN, as
    in Docker, may not). The libc functions are looked up before the fork: the child only calls them and exits."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    calls = [(libc.semctl, (ident, 0, 0, None)) if kind == "sem" else (getattr(libc, f"{kind}ctl"), (ident, 0, None))
             for kind, ident in objects]  # fmt: skip
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for function, args in calls:
                function(*args)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def sweep_ipc(uid: int) -> int:
    """Remove every System V IPC object and POSIX message queue that ``uid`` owns or created; returns how many.

    The worker's seccomp filter refuses to make them (:mod:`autograder.runtime.confine`); this sweep is for a
    worker that ran without it, so that nothing of a submission outlives its grading either way.
    """
    found: list[tuple[str, int]] = []
    for kind in _IPC_KINDS:
        try:
            header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except OSError:
            continue
        names = header.split()
        for row in rows:
            fields = dict(zip(names, row.split(), strict=False))
            if str(uid) in (fields.get("uid"), fields.get("cuid")):
                found.append((kind, int(row.split()[1])))
    if found:
        _remove_as(uid, found)
    removed = len(found)
    for folder in (Path("/dev/mqueue"), Path("/dev/shm")):
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                with contextlib.suppress(OSError):
                    if entry.lstat().st_uid == uid and not entry.is_dir():
                        entry.unlink()
                        removed += 1
    return removed


class UidClaim:
    """A dedicated uid for one worker, held with a lock file so concurrent graders never share one.

    A uid is claimed only when it has no account (``/etc/passwd``) and no process at all: a
    container's numeric uids have no passwd entry, and whatever runs as one of them is not ours to
    kill. (Workers of a grader that died are gone within seconds: their keeper kills them.) The lock
    folder must be root's own and closed to others; when it is not, the claim fails loudly rather than
    fall back to a private folder where two graders could claim the same uid.
    """

    LOCK_DIRS = (Path("/run"), Path(tempfile.gettempdir()))

    def __init__(self, base: int, slots: int) -> None:
        lock_dir = self._lock_dir()
        start = random.randrange(slots)
        for i in range(slots):
            uid = base + (start + i) % slots
            try:
                pwd.getpwuid(uid)
                continue  # a real account
            except KeyError:
                pass
            fd = os.open(lock_dir / str(uid), os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            if processes_of(uid):  # someone else's processes (a container's user, a stuck worker): not ours
                os.close(fd)
                continue
            self.uid, self.fd = uid, fd
            return
        raise RuntimeError(f"no free uid in {base}..{base + slots - 1} (AUTOGRADER_UID_BASE, AUTOGRADER_UID_SLOTS)")

    @classmethod
    def _lock_dir(cls) -> Path:
        problems = []
        for base in cls.LOCK_DIRS:
            path = base / "autograder-uids"
            try:
                path.mkdir(mode=0o700, exist_ok=True)
                st = path.lstat()
            except OSError as error:
                problems.append(f"{path}: {error.strerror}")
                continue
            if stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and st.st_mode & 0o077 == 0:
                return path
            problems.append(f"{path}: not a folder owned by root and closed to others")
        raise RuntimeError("no safe folder for the uid locks (" + "; ".join(problems) + "); fix or remove it")

    def release(self) -> None:
        os.close(self.fd)


def secret_files(workspace: Workspace, hidden: Sequence[str] = ()) -> list[str]:
    """Files the worker must not read, which it tries to open before any student code runs (``files`` by ownership).

    A canary the grader owns in its own temporary folder (where results and other submissions' copies live), where
    this copy of the kit has them a hidden suite and a file of the reference, and the folders the grader hides
    (``AUTOGRADER_HIDE``: a batch's other submissions and results, Gradescope's results folder).
    """
    kit = [REPO_ROOT / "autograder" / "suites" / "pytest.ini", REPO_ROOT / "solutions" / "attention" / "multi_head.py"]
    return [str(workspace.canary), *(str(p) for p in [*kit, *map(Path, hidden)] if p.exists())]
