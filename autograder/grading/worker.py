"""The isolated student: student code runs in a separate, limited worker process (the parent side).

:class:`IsolatedStudent` is the :class:`~autograder.adapter.Student` that grading uses. For one
submission it

- makes a private workspace (``mkdtemp``, held with a lock so that the next grader removes it if
  this one dies): ``runtime/`` holds a read-only copy of ``autograder/runtime/`` and ``course/``,
  rebuilt before every worker starts, ``submission/`` a copy of the submission (plain files only,
  see :mod:`autograder.grading.sandbox`), ``home/`` and ``tmp/`` the worker's only writable folders
  (their size is watched: ``scratch``). Nothing of the hidden suites or the reference is in it;
- reads the copy's source for forbidden APIs (:mod:`autograder.runtime.forbidden`), so a probe whose
  target uses one fails with kind ``"forbidden"`` without running;
- starts the worker ONCE (:mod:`autograder.runtime.worker_main`: ``python -I -B``, a clean environment,
  its own session; as root under a dedicated uid claimed with a lock file, in new mount, network
  and PID namespaces where the platform allows, confined by Landlock and seccomp) and keeps it for
  every test; each worker's hello says what isolation it achieved (:func:`isolation`), and a hello
  below ``settings.require`` stops everything before any student code is imported;
- sends each probe as a request over a pipe (JSON + raw ``.npy``, :mod:`autograder.runtime.protocol`)
  and waits for the reply with a deadline: the test's own time limit when the plugin said it
  (:meth:`IsolatedStudent.begin_test`), else ``call_timeout``;
- on a timeout, a crash (``os._exit``, a signal, a limit), a broken reply or an interrupted
  exchange, kills the worker's whole process tree, raises :class:`StudentError` (``"timeout"``
  or ``"crash"``) with what happened and the tail of the student's output, and starts a fresh
  worker for the next call. A module whose import hangs or crashes the worker is remembered,
  so its later calls fail at once instead of costing a timeout each;
- on :meth:`close`, kills the process group, the PID namespace and every process of the
  dedicated uid (no detached grandchild survives), then deletes the workspace.

The worker's stdout and stderr go to a pipe that a thread drains into a capped buffer; they are
never parsed. Settings come from :class:`autograder.settings.Settings` (environment variables ``AUTOGRADER_*``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import pwd
import random
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autograder.grading import sandbox
from autograder.grading.adapter import Student, StudentError, functions_of, raise_grader_fault, unwrap
from autograder.grading.loader import REPO_ROOT
from autograder.layout import worker_runtime_files
from autograder.runtime import forbidden, protocol, standins
from autograder.runtime.curriculum import EXERCISES, PACKAGES, PART_OF
from autograder.runtime.messages import WorkerConfig
from autograder.settings import Settings

AUTOGRADER = Path(__file__).resolve().parent


def _interpreter() -> str:
    """This interpreter, named through the real folder of its virtual environment (never through a symlink to it).

    A worker in a mount namespace sees the folders it is shown; a symlink to the environment in a
    hidden folder would dangle there.
    """
    exe, prefix = Path(sys.executable), Path(sys.prefix)
    try:
        return str(prefix.resolve() / exe.relative_to(prefix))
    except ValueError:
        return sys.executable


BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.runtime.worker_main import main; main(sys.argv[2])"
LAST_SANDBOX: dict[str, Any] = {}  # what the latest worker achieved (the CLI prints it)


# -- processes of a uid ------------------------------------------------------------------------------------


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


# -- pipes with deadlines ----------------------------------------------------------------------------------


class Timeout(Exception):
    pass


class _Pipe:
    """One end of a pipe, read or written with a deadline (so a silent or stuck worker cannot block the grader)."""

    def __init__(self, fd: int, check: Callable[[], None] | None = None) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.deadline = float("inf")
        self.check = check  # called about every CHECK_EVERY s while waiting (the scratch quota); may raise
        self._buffer = bytearray()

    CHECK_EVERY = 0.25

    def _wait(self, for_write: bool) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout
        with selectors.DefaultSelector() as selector:  # poll/epoll: no FD_SETSIZE limit on descriptor numbers
            selector.register(self.fd, selectors.EVENT_WRITE if for_write else selectors.EVENT_READ)
            ready = selector.select(min(left, self.CHECK_EVERY if self.check else 3600))
        if self.check is not None:
            self.check()
        if not ready and time.monotonic() >= self.deadline:
            raise Timeout

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            try:
                chunk = os.read(self.fd, max(n - len(self._buffer), 1 << 16))
            except BlockingIOError:
                self._wait(False)
                continue
            if not chunk:
                break
            self._buffer += chunk
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view[: 1 << 16]) :]
            except BlockingIOError:
                self._wait(True)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class _Output:
    """Drains the worker's stdout+stderr in a thread; keeps the first and the last bytes."""

    def __init__(self, fd: int, cap: int) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.total = 0
        self.cap = cap
        self._fd = fd
        self._thread = threading.Thread(target=self._drain, name="worker-output", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            room = self.cap // 4 - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail.append(chunk)
                self.tail_size += len(chunk)
                while self.tail_size - len(self.tail[0]) >= self.cap * 3 // 4:
                    self.tail_size -= len(self.tail.popleft())
        os.close(self._fd)

    def text(self) -> str:
        tail = b"".join(self.tail)[-(self.cap * 3 // 4) :]
        skipped = self.total - len(self.head) - len(tail)
        middle = f"\n[... {skipped} bytes of output skipped ...]\n".encode() if skipped > 0 else b""
        return (bytes(self.head) + middle + tail).decode("utf-8", "replace")

    def last_lines(self, n: int = 8) -> str:
        lines = self.text().rstrip().splitlines()[-n:]
        return "\n".join(line[:200] for line in lines)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


# -- the workspace and the worker process ------------------------------------------------------------------


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
        for src, name in worker_runtime_files(stand_ins):
            dst = slot.runtime / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        (slot.runtime / "autograder" / "__init__.py").write_text("")
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


class WorkerDied(Exception):
    """The worker ended (``ended``: its pipe closed) or sent something that is not an answer to the request."""

    def __init__(self, why: str, ended: bool = True) -> None:
        super().__init__(why)
        self.ended = ended


class GraderFault(Exception):
    """The grader itself could not make its request (a value it cannot encode): never the student's fault."""


SYSTEM_READ = (
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/sbin",
    "/etc",
    "/proc",
    "/sys",
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
)


def secret_files(workspace: Workspace, hidden: Sequence[str] = ()) -> list[str]:
    """Files the worker must not read, which it tries to open before any student code runs (``files`` by ownership).

    A canary the grader owns in its own temporary folder (where results and other submissions' copies live), where
    this copy of the kit has them a hidden suite and a file of the reference, and the folders the grader hides
    (``AUTOGRADER_HIDE``: a batch's other submissions and results, Gradescope's results folder).
    """
    kit = [REPO_ROOT / "autograder" / "suites" / "pytest.ini", REPO_ROOT / "solutions" / "attention" / "multi_head.py"]
    return [str(workspace.canary), *(str(p) for p in [*kit, *map(Path, hidden)] if p.exists())]


class Worker:
    """One worker process; requests and replies over two pipes; see the module docstring."""

    def __init__(
        self,
        workspace: Workspace,
        settings: Settings,
        uid: int | None,
        preload_torch: bool = True,
        stand_ins: frozenset[str] = frozenset(),
    ) -> None:
        self.slot = workspace.new_slot(stand_ins)
        self.stand_ins = stand_ins
        self.workspace = workspace
        self.settings = settings
        self.uid = uid
        self.imported: set[tuple[str, tuple[str, ...]]] = set()
        self.hello: dict[str, Any] | None = None
        self.compute_seconds = 0.0  # what the worker says it spent running requests (its own claim: statistics only)
        self._next_id = 0
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        threads = str(settings.threads)
        named = (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
        prefixes = sorted({*named, *map(os.path.realpath, named)})
        config: WorkerConfig = {  # the worker reads the same TypedDict (autograder.runtime.messages)
            "runtime": str(self.slot.runtime),
            "root": str(workspace.submission),
            "packages": list(PACKAGES),
            "fds": {"request": req_r, "reply": rep_w},
            "uid": uid,
            "gid": uid,
            "grader_uid": os.getuid(),
            "grader_pid": os.getpid(),
            "namespaces": settings.namespaces,
            "userns": settings.userns,
            "limits": settings.limits(),
            "threads": settings.threads,
            "torch": "preload" if preload_torch else "lazy",
            "hide": sorted({str(REPO_ROOT), *settings.hide}),
            "scratch": ["/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()],
            "expose": sorted({*prefixes, str(workspace.submission), str(self.slot.path)}),
            "writable": [str(self.slot.path)],
            "read": [*SYSTEM_READ, *prefixes, str(self.slot.runtime), str(workspace.submission)],
            "write": [str(self.slot.home), str(self.slot.tmp)],
            "confine": settings.confine,
            "secrets": secret_files(workspace, settings.hide),
        }
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(self.slot.home),
            "TMPDIR": str(self.slot.tmp),
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(self.slot.home / ".matplotlib"),
        }
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                [_interpreter(), "-I", "-B", "-c", BOOT, str(self.slot.runtime), json.dumps(config)],
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                pass_fds=(req_r, rep_w),
                cwd=workspace.path,
                env=env,
                start_new_session=True,
            )
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        self.requests = _Pipe(req_w, self._check_scratch)
        self.replies = _Pipe(rep_r, self._check_scratch)
        self.output = _Output(out_r, settings.output_cap)

    def _check_scratch(self) -> None:
        if self.workspace.scratch_bytes(self.slot, self.settings.scratch) > self.settings.scratch:
            raise ScratchFull

    def wait_hello(self) -> dict[str, Any]:
        if self.hello is None:
            self.replies.deadline = self.started + self.settings.startup_timeout
            try:
                message = protocol.read_message(self.replies, self.settings.max_reply, self.settings.max_header)
            except (Timeout, EOFError, protocol.ProtocolError, OSError, ValueError, RecursionError) as error:
                raise WorkerDied(f"the worker did not start ({type(error).__name__})") from None
            if not isinstance(message, dict) or not isinstance(message.get("hello"), dict):
                raise WorkerDied("the worker did not start (no hello)")
            self.hello = message["hello"]
        return self.hello

    def request(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and return its reply (``{"ok": ...}`` or ``{"error": ...}``).

        Raises :class:`Timeout`, :class:`ScratchFull` or :class:`WorkerDied`; the caller kills the worker then.
        Raises :class:`GraderFault` when the request itself cannot be encoded (nothing was sent: the worker is intact).
        """
        self.wait_hello()
        self._next_id += 1
        ident = self._next_id
        try:
            data = protocol.encode_message({"id": ident, **payload})
        except (protocol.ProtocolError, ValueError, TypeError, RecursionError) as error:
            raise GraderFault(f"the grader could not encode its request: {error}") from None
        deadline = time.monotonic() + timeout
        self.requests.deadline = self.replies.deadline = deadline
        try:
            self.requests.write(data)
            message = protocol.read_message(self.replies, self.settings.max_reply, self.settings.max_header)
        except (EOFError, BrokenPipeError, ConnectionError) as error:
            raise WorkerDied(type(error).__name__) from None
        except (protocol.ProtocolError, ValueError, TypeError, KeyError, RecursionError, MemoryError) as error:
            raise WorkerDied(f"sent a malformed reply ({str(error)[:200]})", ended=False) from None
        if not isinstance(message, dict) or message.get("id") != ident or not isinstance(message.get("reply"), dict):
            raise WorkerDied("sent a reply that does not answer the request", ended=False)
        reply = message["reply"]
        if not ("ok" in reply or isinstance(reply.get("error"), dict)):
            raise WorkerDied("sent a malformed reply", ended=False)
        seconds = message.get("seconds")
        self.compute_seconds += seconds if isinstance(seconds, float) and 0 <= seconds < timeout else 0.0
        return reply

    def exit_status(self, wait: float = 1.0) -> int | None:
        try:
            return self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, sweep_uid: bool = True) -> None:
        """SIGKILL the whole tree: the PID namespace's init, the process group, and (``sweep_uid``) every process of
        the uid; then remove the worker's slot. Without ``sweep_uid`` (a worker started ahead of time shares the uid),
        the tree is all there is: the caller allows that only where the worker could start no process of its own
        (seccomp) or lived in its own PID namespace."""
        init_pid = (self.hello or {}).get("pid")
        if self.proc.poll() is None and isinstance(init_pid, int) and init_pid not in (self.proc.pid, os.getpid()):
            try:
                os.kill(init_pid, signal.SIGKILL)  # its parent (proc) has not reaped it: the pid is still its own
            except OSError:
                pass
            # its parent (the keeper, or the PID namespace's outer process) reaps it and exits: no zombie is left
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if self.uid is not None and sweep_uid:
            kill_uid(self.uid)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.requests.close()
        self.replies.close()
        self.output.join(1.0)
        self.workspace.remove_slot(self.slot)


def _describe_exit(status: int | None, settings: Settings) -> str:
    if status is None:
        return "stopped answering"
    if status < 0 or status > 128:
        sig = -status if status < 0 else status - 128
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        hint = {
            "SIGKILL": "killed: it probably used too much memory",
            "SIGXCPU": f"killed: it used more than {settings.cpu} s of CPU time",
            "SIGSEGV": "crashed (segmentation fault)",
            "SIGABRT": "aborted",
            "SIGBUS": "crashed (bus error)",
        }.get(name, f"was killed by {name}")
        return hint
    return f"exited with code {status} (os._exit? a sys.exit in a thread?)"


# -- the Student ---------------------------------------------------------------------------------------------


class IsolatedStudent(Student):
    """Student code in a worker process; see the module docstring.

    Time is bounded twice: a student function whose call timed out is remembered, so every later
    call of it fails at once with the same explanation (a submission that hangs in one function
    costs one timeout); and all calls together may take ``time_budget`` seconds, after which every
    call fails at once (a submission that hangs in every function), everything graded before kept.
    """

    def __init__(
        self,
        root: str | Path,
        settings: Settings | None = None,
        exercises: set[str] | None = None,
        order: list[str] | None = None,
    ) -> None:
        """``exercises``: those that will be graded, when known (Part 1 alone needs no torch in the worker);
        ``order``: the exercises in the order their tests will run, so that the next worker can start ahead."""
        self.settings = settings or Settings.from_env()
        self.preload_torch = exercises is None or any(PART_OF.get(e) != "embeddings" for e in exercises)
        self.source = Path(root).resolve()
        self._claim: UidClaim | None = None
        self.workspace: Workspace | None = None
        self._worker: Worker | None = None
        self._closed = False
        try:  # whatever fails half-way releases what was taken (the uid's lock, the workspace)
            if os.geteuid() == 0:
                self._claim = UidClaim(self.settings.uid_base, self.settings.uid_slots)
            self.uid = self._claim.uid if self._claim else None
            self.workspace = Workspace(self.source, self.uid)
            self.refused = self.workspace.error
            self.findings = forbidden.scan_root(self.workspace.submission)
            # (module, upstream) -> why it cannot run (its import hung or crashed); over stand-ins it is another import
            self.broken: dict[tuple[str, tuple[str, ...]], StudentError] = {}
            # (student function, the student modules the call ran) -> the timeout or crash of that call
            self.hung: dict[tuple[str, frozenset[str]], StudentError] = {}
            self.sandbox: dict[str, Any] = {}
            self.below_level: str | None = None  # the isolation achieved is below settings.require
            self.restarts = 0
            self.phases = 0  # workers started for another exercise's set of stand-ins
            self.exercise: str | None = None  # the exercise of the test running now (begin_test)
            # Stops: calls that hung or ended the worker. A function that stopped fails its later calls at once; an
            # exercise that stopped exercise_stops times, or once right after another exercise's stop, fails all its
            # later calls at once; after max_stops, every call does. ``streak``: stops since the last call answered.
            self.stops = 0
            self.streak = 0
            self.exercise_stops: dict[str, int] = {}
            self.stopped_exercises: dict[str, StudentError] = {}
            self.stopped_modules: set[str] = set()  # the modules of the exercises whose code stopped
            self._charge_start = False
            self._last_stop: str | None = None  # the exercise of the last stop
            self._spare: Worker | None = None  # started ahead of time (see _prepare_spare)
            self.order = list(order or [])  # the exercises in the order their tests run (the plugin's plan)
            self.calls = 0
            self.budget_used = 0.0
            # Where the time went (bench/grader_overhead.py): waiting for workers to start, whole exchanges,
            # the part of them the worker spent running requests, and closing.
            self.seconds = {"startup": 0.0, "exchange": 0.0, "compute": 0.0, "close": 0.0}
            self._deadline: float | None = None
            if not self.refused:
                self._worker = Worker(
                    self.workspace, self.settings, self.uid, self.preload_torch
                )  # the first call waits
        except BaseException:
            self.close()
            raise

    # -- the test's time limit
    def begin_test(self, timeout: float | None, exercise: str | None = None) -> None:
        """Called by the plugin before each test: calls must finish a little before the test's own limit, in a
        worker that holds only the stand-ins ``exercise`` may see (:mod:`autograder.runtime.standins`)."""
        self._deadline = time.monotonic() + max(timeout * 0.9 - 0.2, 0.5) if timeout else None
        self.exercise = exercise

    def _call_timeout(self, reached: frozenset[str] = frozenset()) -> float:
        """How long this call may take. A short leash (``suspect_timeout``) right after a call that stopped, until one
        answers, and for a call that reaches (``reached``: the student modules it runs) the module of an exercise
        whose code stopped before: its own-stack tests downstream would only hang again."""
        timeout = min(self.settings.call_timeout, max(self.settings.time_budget - self.budget_used, 0.5))
        if self.streak or self._stopped_upstream(reached):
            timeout = min(timeout, self.settings.suspect_timeout)
        if self._deadline is not None:
            timeout = min(timeout, max(self._deadline - time.monotonic(), 0.5))
        return timeout

    # -- the worker's life
    def _ensure_worker(self) -> Worker:
        if self._closed or self.workspace is None:
            raise StudentError("grader", ["RuntimeError"], "the grader already closed this submission")
        if self.below_level:
            raise StudentError("grader", ["IsolationError"], self.below_level)
        module = EXERCISES.get(self.exercise or "")
        needed = standins.needed_by(module)
        held = self._worker.stand_ins if self._worker is not None else frozenset()
        if self._worker is not None and not standins.fits(held, module):
            self._stop()  # another exercise's stand-ins: a worker of its own (not a restart the submission pays for)
            self.phases += 1
        if self._worker is None:
            self.restarts += 1
            self._worker = self._take_spare(needed) or Worker(
                self.workspace, self.settings, self.uid, self.preload_torch, needed
            )
        worker = self._worker
        start = time.perf_counter()
        try:
            hello = worker.wait_hello()
        except WorkerDied as error:
            output = worker.output.last_lines(12)
            self._stop()
            raise StudentError(
                "grader", ["WorkerDied"], f"the grader could not start the worker: {error}\n{output}".rstrip()
            ) from None
        finally:
            self.seconds["startup"] += time.perf_counter() - start
            if self._charge_start:  # a worker that replaces one the submission stopped: the submission's time
                self.budget_used += time.perf_counter() - start
                self._charge_start = False
        if not self.sandbox:
            self.sandbox = hello
            LAST_SANDBOX.clear()
            LAST_SANDBOX.update(hello)
        missing = missing_isolation(hello, self.settings.require or [])
        if missing:  # checked on every worker's hello, before any student code is imported
            self.below_level = refusal(missing, hello)
            self._stop()
            raise StudentError("grader", ["IsolationError"], self.below_level)
        self._prepare_spare(hello, module, worker.stand_ins)
        return worker

    # -- a worker started ahead of time, for the next set of stand-ins or after a stop
    def _prepare_spare(self, hello: dict[str, Any], module: str | None, held: frozenset[str]) -> None:
        """Start a spare worker (no stand-ins yet) while this one works, when another will be needed soon.

        Soon: a later exercise of :attr:`order` needs other stand-ins, or the last call stopped (hung or crashed).
        Only where killing a worker's tree needs no sweep by uid (the spare shares the uid): seccomp kept it from
        starting processes, or it lives in a PID namespace.
        """
        if self._spare is not None or self._closed or self.workspace is None:
            return
        contained = (hello.get("seccomp") or {}).get("processes") == "none" or "pid" in hello.get("namespaces", [])
        later = self.order[self.order.index(self.exercise) + 1 :] if self.exercise in self.order else []
        phase_ahead = any(not standins.fits(held, m) for m in (EXERCISES.get(e) for e in later) if m)
        if contained and (phase_ahead or self.streak):
            self._spare = Worker(self.workspace, self.settings, self.uid, self.preload_torch)

    def _take_spare(self, needed: frozenset[str]) -> Worker | None:
        """The spare, given ``needed`` stand-ins and emptied scratch folders, or None when there is none alive."""
        spare, self._spare = self._spare, None
        if spare is None or self.workspace is None:
            return None
        if spare.proc.poll() is not None:
            spare.kill()
            return None
        self.workspace.add_stand_ins(spare.slot, needed)  # it has run no student code: nothing of it saw these
        self.workspace.clear_scratch(spare.slot)
        spare.stand_ins = needed
        spare.started = time.monotonic()  # its start-up limit counts from now
        return spare

    def _stop(self) -> None:
        if self._worker is not None:
            self.seconds["compute"] += self._worker.compute_seconds
            self._worker.kill(sweep_uid=self._spare is None)
            self._worker = None

    def _stopped_upstream(self, reached: frozenset[str]) -> bool:
        """The call runs (``reached``) the module of another exercise whose code stopped before."""
        return bool(reached & (self.stopped_modules - {EXERCISES.get(self.exercise or "")}))

    def _stopped_by_student(self, reached: frozenset[str] = frozenset()) -> None:
        """The current call hung or ended the worker: count the stop against the submission and its exercise.

        A call that ran (``reached``) the module of an exercise whose code stopped before is that exercise's fault,
        not the current one's: it does not count towards stopping the current exercise (no cascade).
        """
        self._stop()
        self._charge_start = True
        self.stops += 1
        self.streak += 1
        exercise = self.exercise or "?"
        if self._stopped_upstream(reached):
            return
        if exercise in EXERCISES:
            self.stopped_modules.add(EXERCISES[exercise])
        count = self.exercise_stops[exercise] = self.exercise_stops.get(exercise, 0) + 1
        elsewhere = self.streak > 1 and self._last_stop != exercise  # right after another exercise's stop
        if count >= self.settings.exercise_stops or elsewhere:
            self.stopped_exercises[exercise] = StudentError(
                "timeout",
                ["TimeoutError"],
                f"not run: the code of {exercise} hung or ended the process running it {count} time(s)"
                + (f", right after {self._last_stop}'s code did the same" if elsewhere else "")
                + "; its remaining calls are not run, so that the rest of the submission is graded in time",
            )
        self._last_stop = exercise

    def _refuse_stopped(self, functions: list[str], reached: frozenset[str]) -> None:
        """Fail at once a call that would only stop again (see :meth:`_stopped_by_student`)."""
        if self.stops >= self.settings.max_stops:
            raise StudentError(
                "timeout",
                ["TimeoutError"],
                f"not run: this submission's calls hung or ended the process running them {self.stops} times "
                f"(AUTOGRADER_MAX_STOPS={self.settings.max_stops}); its remaining calls are not run",
            )
        if self.exercise in self.stopped_exercises:
            raise self.stopped_exercises[self.exercise]
        for function in functions:
            if (function, reached) in self.hung:
                earlier = self.hung[(function, reached)]
                again = "it hung before" if earlier.kind == "timeout" else "it ended the process running it before"
                raise StudentError(earlier.kind, earlier.types, f"{earlier.message}\n(not run again: {again})")

    def _failure(self, kind: str, what: str, worker: Worker) -> StudentError:
        output = worker.output.last_lines()
        text = what + (f"\nThe last lines your code printed:\n{output}" if output.strip() else "")
        return StudentError(kind, ["TimeoutError" if kind == "timeout" else "WorkerCrash"], text)

    def _exchange(self, payload: dict[str, Any], doing: str, reached: frozenset[str] = frozenset()) -> dict[str, Any]:
        """One request and its reply; a reply to a call of student code (not an import) ends a streak of stops."""
        if self.budget_used >= self.settings.time_budget:
            raise StudentError(
                "timeout",
                ["TimeoutError"],
                f"{doing} was not run: this submission used up its time budget of {self.settings.time_budget:g} s "
                "(its calls are too slow or hang; AUTOGRADER_TIME_BUDGET)",
            )
        worker = self._ensure_worker()
        timeout = self._call_timeout(reached)
        start = time.perf_counter()
        try:
            reply = worker.request(payload, timeout)
            if payload.get("op") == "probe":
                self.streak = 0
            return reply
        except GraderFault as fault:
            raise StudentError("grader", ["GraderError"], str(fault)) from None
        except Timeout:
            self._stopped_by_student(reached)
            raise self._failure(
                "timeout", f"{doing} did not finish within {timeout:.3g} s (an endless loop? far too slow?)", worker
            ) from None
        except ScratchFull:
            self._stopped_by_student(reached)
            limit = self.settings.scratch >> 20
            raise self._failure(
                "crash", f"your code wrote more than {limit} MiB of files during {doing} (AUTOGRADER_SCRATCH)", worker
            ) from None
        except WorkerDied as died:
            how = _describe_exit(worker.exit_status(), self.settings) if died.ended else str(died)
            self._stopped_by_student(reached)
            raise self._failure("crash", f"the process running your code {how} during {doing}", worker) from None
        except BaseException:  # the test's own timeout, Ctrl-C ...: the exchange is half done, so start afresh
            self._stop()
            raise
        finally:
            elapsed = time.perf_counter() - start
            self.seconds["exchange"] += elapsed
            self.budget_used += elapsed

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        if self.refused:
            raise StudentError("forbidden", ["SubmissionError"], self.refused)
        refusal_text = self.findings.message_for(kwargs)
        if refusal_text:
            raise StudentError("forbidden", ["ForbiddenAPIError"], refusal_text)
        raise_grader_fault(name, kwargs)
        functions = functions_of(kwargs)
        upstream = forbidden.upstream_of(kwargs)
        reached = frozenset(  # the student modules this call runs: its targets and their own, not replaced, upstream
            m for t in forbidden.targets_of(kwargs) for m in (t, *standins.UPSTREAM_OF.get(t, ())) if m not in upstream
        )
        self._refuse_stopped(functions, reached)
        self.calls += 1
        for module in dict.fromkeys(forbidden.targets_of(kwargs)):
            key = (module, upstream)
            if key in self.broken:
                raise self.broken[key]
            if key in self._worker_imports():
                continue
            request = {"op": "import", "module": module, "upstream": list(upstream)}
            try:
                reply = self._exchange(request, f"importing {module}")
            except StudentError as error:
                if error.kind in ("timeout", "crash"):
                    self.broken[key] = error
                raise
            if "error" in reply:
                raise StudentError.from_reply(reply["error"])
            if self._worker is not None:
                self._worker.imported.add(key)
        target = kwargs.get("target", name)
        try:
            reply = self._exchange({"op": "probe", "name": name, "kwargs": kwargs}, f"the call of {target}", reached)
        except StudentError as error:
            if error.kind in ("timeout", "crash"):
                self.hung.update(dict.fromkeys(((f, reached) for f in functions), error))
            raise
        return unwrap(reply)

    def _worker_imports(self) -> set[tuple[str, tuple[str, ...]]]:
        return self._worker.imported if self._worker is not None else set()

    def ping(self) -> float:
        """Round-trip time of an empty request (for the benchmark)."""
        start = time.perf_counter()
        unwrap(self._exchange({"op": "ping"}, "ping"))
        return time.perf_counter() - start

    def output(self) -> str:
        """What the student's code printed so far in the current worker (capped)."""
        return self._worker.output.text() if self._worker is not None else ""

    def close(self) -> None:
        if self._closed:
            return
        start = time.perf_counter()
        self._closed = True
        self._stop()
        if self._spare is not None:
            self._spare.kill()
            self._spare = None
        if self._claim is not None:
            kill_uid(self._claim.uid)
            sweep_ipc(self._claim.uid)
        if self.workspace is not None:
            self.workspace.remove()
        if self._claim is not None:
            self._claim.release()
        if hasattr(self, "seconds"):
            self.seconds["close"] += time.perf_counter() - start


class StaticallyChecked(Student):
    """A student (in-process) whose probes first pass the static forbidden-API check of its root."""

    def __init__(self, inner: Student, root: str | Path) -> None:
        self.inner = inner
        self.findings = forbidden.scan_root(root)

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        refusal = self.findings.message_for(kwargs)
        if refusal:
            raise StudentError("forbidden", ["ForbiddenAPIError"], refusal)
        return self.inner.probe(name, **kwargs)

    def close(self) -> None:
        self.inner.close()


class HangMemory(Student):
    """A student (in-process: ``make test``, nbgrader's ``grade_hidden``) whose hung functions are remembered.

    In-process, pytest-timeout stops a hanging test by raising inside the call; the function's later
    tests then fail at once with the same explanation instead of costing a timeout each (the
    isolated student does the same by itself, see :class:`IsolatedStudent`).
    """

    def __init__(self, inner: Student) -> None:
        self.inner = inner
        self.hung: dict[str, str] = {}  # student function -> why it was stopped

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        functions = functions_of(kwargs)
        for function in functions:
            if function in self.hung:
                raise StudentError(
                    "timeout", ["TimeoutError"], f"{self.hung[function]}\n(not run again: it hung before)"
                )
        try:
            return self.inner.probe(name, **kwargs)
        except BaseException as error:
            timed_out = (isinstance(error, StudentError) and error.kind == "timeout") or (
                type(error).__name__ == "Failed" and str(error).startswith("Timeout")  # pytest-timeout's
            )
            if timed_out:
                why = f"the call of {kwargs.get('target', name)} did not finish in time ({error})"
                self.hung.update(dict.fromkeys(functions, why.splitlines()[0]))
            raise

    def close(self) -> None:
        self.inner.close()


class RefusedStudent(Student):
    """A submission that was refused before anything ran (a symlink, a zip slip ...): every call fails with why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        raise StudentError("forbidden", ["SubmissionError"], self.reason)


HOW_TO_GET = {
    "uid": "run the grader as root (as Gradescope and CI do): it gives each worker a dedicated, unprivileged uid",
    "files": "needs Landlock (Linux >= 5.13, 'landlock' in the kernel's lsm= list), a mount namespace "
    "(root with CAP_SYS_ADMIN, or unprivileged user namespaces), or, as root, a kit other users cannot read "
    "(chmod -R go-rwx on it, as the Gradescope setup.sh does): the worker's own uid then reaches nothing of it",
    "net": "needs seccomp (libseccomp2 and pyseccomp from requirements.lock) or a network namespace",
    "tree": "needs seccomp (the worker may start threads, not processes; its keeper kills it) or a PID namespace",
    "signals": "needs Landlock ABI 6 (Linux >= 6.12), a PID namespace, or a dedicated uid",
}


def _confined(hello: dict[str, Any], mechanism: str) -> bool:
    achieved = hello.get(mechanism)
    return isinstance(achieved, dict) and "error" not in achieved


def _secrets_closed(hello: dict[str, Any]) -> bool:
    """True when the worker tried every secret file the grader named and could open none (``files`` by ownership)."""
    secrets = hello.get("secrets")
    return isinstance(secrets, dict) and bool(secrets) and all(v != "readable" for v in secrets.values())


def _own_uid(hello: dict[str, Any]) -> bool:
    """The worker runs as another, unprivileged user than the grader (not merely root inside a user namespace)."""
    return hello.get("uid") not in (None, 0, os.getuid()) and "user" not in hello.get("namespaces", [])


def mechanisms(hello: dict[str, Any]) -> dict[str, list[str]]:
    """What separates a worker from its grader, property by property, and by which mechanisms (the one place that
    decides it; see :data:`HOW_TO_GET`).

    ``uid``: another, unprivileged user than the grader's; ``files``: the grader's files out of reach (a mount
    namespace's view, Landlock's allow-list, or, for a worker under its own uid, the files' owners and modes, which
    the worker itself found closed); ``net``: no network (a network namespace, or seccomp refusing sockets);
    ``tree``: everything it starts dies with it and with the grader (a PID namespace, or the keeper's process group
    that seccomp forbids leaving); ``signals``: it cannot signal the grader (a PID namespace, another uid, or
    Landlock's signal scope).
    """
    names = set(hello.get("namespaces", []))
    landlock, seccomp, own_uid = _confined(hello, "landlock"), _confined(hello, "seccomp"), _own_uid(hello)
    found = {
        "uid": [("uid", own_uid)],
        "files": [
            ("mount", "mount" in names),
            ("landlock", landlock),
            ("ownership", own_uid and _secrets_closed(hello)),
        ],
        "net": [("netns", "net" in names), ("seccomp", seccomp)],
        "tree": [("pid", "pid" in names), ("keeper", bool(hello.get("keeper")) and seccomp)],
        "signals": [
            ("pid", "pid" in names),
            ("uid", own_uid),
            ("landlock", landlock and hello["landlock"].get("scoped")),
        ],
    }
    return {prop: [name for name, ok in ways if ok] for prop, ways in found.items()}


def isolation(hello: dict[str, Any]) -> set[str]:
    """The properties achieved (see :func:`mechanisms`)."""
    return {prop for prop, by in mechanisms(hello).items() if by}


def missing_isolation(hello: dict[str, Any], required: list[str]) -> list[str]:
    have = isolation(hello)
    return [p for p in required if p not in have]


def refusal(missing: list[str], hello: dict[str, Any]) -> str:
    """Why grading refuses to run in this sandbox, and how to get what is missing."""
    lines = [f"grading refused: the worker's sandbox lacks {', '.join(missing)} (required: AUTOGRADER_REQUIRE)"]
    lines += [f"  {p}: {HOW_TO_GET[p]}" for p in missing]
    readable = [path for path, got in (hello.get("secrets") or {}).items() if got == "readable"]
    if "files" in missing and readable:
        lines.append("  the worker could read: " + ", ".join(readable))
    lines.append("  " + describe_sandbox(hello))
    return "\n".join(lines)


def describe_sandbox(hello: dict[str, Any]) -> str:
    """One line: what isolation the worker achieved, and by what."""
    if not hello:
        return "worker sandbox: no worker was started"
    have = isolation(hello)
    parts = ["isolation: " + (", ".join(p for p in HOW_TO_GET if p in have) or "none")]
    missing = [p for p in HOW_TO_GET if p not in have]
    if missing:
        parts.append("missing: " + ", ".join(missing))
    parts.append(f"uid {hello.get('uid')}")
    parts.append("namespaces: " + (", ".join(hello.get("namespaces", [])) or "none"))
    for mechanism in ("landlock", "seccomp"):
        achieved = hello.get(mechanism)
        if isinstance(achieved, dict):
            parts.append(
                f"{mechanism}: "
                + (achieved["error"] if "error" in achieved else ", ".join(f"{k}={v}" for k, v in achieved.items()))
            )
    limits = hello.get("limits", {})
    if limits:
        parts.append("limits: " + ", ".join(f"{k}={v}" for k, v in limits.items()))
    return "worker sandbox: " + "; ".join(parts)


def isolation_record(hello: dict[str, Any]) -> dict[str, Any]:
    """What results.json records of the sandbox (``isolation``)."""
    have = isolation(hello)
    return {
        "achieved": [p for p in HOW_TO_GET if p in have],
        "missing": [p for p in HOW_TO_GET if p not in have],
        "by": mechanisms(hello),
        "root_grader": os.geteuid() == 0,  # (not the uid itself: grading the same submission twice gives the same file)
        "namespaces": hello.get("namespaces", []),
        "landlock": hello.get("landlock"),
        "seccomp": hello.get("seccomp"),
    }


def probe_isolation(settings: Settings) -> dict[str, Any]:
    """Start a worker over an empty submission and return its hello: what this platform lets the grader enforce."""
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as empty:
        student = IsolatedStudent(empty, settings=dataclasses.replace(settings, require=[]), exercises={"one_hot"})
        try:
            student._ensure_worker()
            return dict(student.sandbox)
        finally:
            student.close()
