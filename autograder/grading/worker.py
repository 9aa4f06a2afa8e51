"""The isolated student: student code runs in a separate, limited worker process (the parent side).

:class:`IsolatedStudent` is the :class:`~autograder.adapter.Student` that grading uses. For one
submission it

- makes a private workspace (``mkdtemp``): ``runtime/`` holds a copy of the non-secret runtime
  (:mod:`autograder.runtime.protocol`, the ``probes*`` modules, :mod:`autograder.runtime.forbidden`, the worker's
  main and the course's ``course/`` package), ``submission/`` a copy of the submission (plain
  files only, see :mod:`autograder.grading.sandbox`), ``home/`` the worker's ``HOME``. Nothing of the
  hidden suites or the reference is in it;
- reads the copy's source for forbidden APIs (:mod:`autograder.runtime.forbidden`), so a probe whose
  target uses one fails with kind ``"forbidden"`` without running;
- starts the worker ONCE (:mod:`autograder.runtime.worker_main`: ``python -I -B``, a clean environment,
  its own session; as root under a dedicated uid claimed with a lock file, in new mount, network
  and PID namespaces where the platform allows) and keeps it for every test;
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
import errno
import fcntl
import json
import os
import pwd
import random
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from autograder.grading import sandbox
from autograder.grading.adapter import Student, StudentError, unwrap
from autograder.grading.loader import REPO_ROOT
from autograder.layout import worker_runtime_files
from autograder.runtime import forbidden, protocol
from autograder.runtime.curriculum import PACKAGES, PART_OF
from autograder.settings import Settings

AUTOGRADER = Path(__file__).resolve().parent
BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.runtime.worker_main import main; main(sys.argv[2])"
LAST_SANDBOX: dict[str, Any] = {}  # what the latest worker achieved (the CLI prints it)


# -- processes of a uid ------------------------------------------------------------------------------------


def _uids_of(pid: str) -> set[int]:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
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


class UidClaim:
    """A dedicated uid for one worker, held with a lock file so concurrent graders never share one."""

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
            self.uid, self.fd = uid, fd
            kill_uid(uid)  # whatever an earlier, crashed grader left behind
            return
        raise RuntimeError(f"no free uid in {base}..{base + slots - 1}")

    @staticmethod
    def _lock_dir() -> Path:
        for base in (Path("/run"), Path(tempfile.gettempdir())):
            path = base / "autograder-uids"
            try:
                path.mkdir(mode=0o700, exist_ok=True)
                st = path.lstat()
                if path.is_dir() and not path.is_symlink() and st.st_uid == 0 and st.st_mode & 0o077 == 0:
                    return path
            except OSError:
                continue
        return Path(tempfile.mkdtemp(prefix="autograder-uids-"))

    def release(self) -> None:
        os.close(self.fd)


# -- pipes with deadlines ----------------------------------------------------------------------------------


class Timeout(Exception):
    pass


class _Pipe:
    """One end of a pipe, read or written with a deadline (so a silent or stuck worker cannot block the grader)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.deadline = float("inf")
        self._buffer = bytearray()

    def _wait(self, for_write: bool) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout
        with selectors.DefaultSelector() as selector:  # poll/epoll: no FD_SETSIZE limit on descriptor numbers
            selector.register(self.fd, selectors.EVENT_WRITE if for_write else selectors.EVENT_READ)
            ready = selector.select(min(left, 3600))
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


class Workspace:
    """``mkdtemp`` folder with ``runtime/``, ``submission/`` (a private copy) and ``home/``."""

    def __init__(self, source: Path, uid: int | None) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="autograder-"))
        os.chmod(self.path, 0o711)  # others may pass through (the worker's uid), not list it
        self.runtime = self.path / "runtime"
        self.submission = self.path / "submission"
        self.home = self.path / "home"
        self.error: str | None = None
        for src, name in worker_runtime_files():
            dst = self.runtime / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        (self.runtime / "autograder" / "__init__.py").write_text("")
        for folder in [self.runtime, *self.runtime.rglob("*")]:
            os.chmod(folder, 0o755 if folder.is_dir() else 0o644)
        try:
            sandbox.copy_tree(source, self.submission)
        except sandbox.SubmissionError as error:
            self.error = str(error)
            self.submission.mkdir(exist_ok=True)
        self.home.mkdir()
        if uid is not None:
            for folder in (self.submission, self.home):
                for p in [folder, *folder.rglob("*")]:
                    os.lchown(p, uid, uid)

    def remove(self) -> None:
        sandbox.remove_tree(self.path)


class WorkerDied(Exception):
    """The worker ended (``ended``: its pipe closed) or sent something that is not an answer to the request."""

    def __init__(self, why: str, ended: bool = True) -> None:
        super().__init__(why)
        self.ended = ended


class Worker:
    """One worker process; requests and replies over two pipes; see the module docstring."""

    def __init__(self, workspace: Workspace, settings: Settings, uid: int | None, preload_torch: bool = True) -> None:
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
        config = {
            "runtime": str(workspace.runtime),
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
            "expose": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(workspace.path)}),
            "writable": [str(workspace.path)],
        }
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(workspace.home),
            "TMPDIR": "/tmp",
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(workspace.home / ".matplotlib"),
        }
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-c", BOOT, str(workspace.runtime), json.dumps(config)],
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
        self.requests = _Pipe(req_w)
        self.replies = _Pipe(rep_r)
        self.output = _Output(out_r, settings.output_cap)

    def wait_hello(self) -> dict[str, Any]:
        if self.hello is None:
            self.replies.deadline = self.started + self.settings.startup_timeout
            try:
                message = protocol.read_message(self.replies, self.settings.max_reply)
            except (Timeout, EOFError, protocol.ProtocolError, OSError, ValueError) as error:
                raise WorkerDied(f"the worker did not start ({type(error).__name__})") from None
            if not isinstance(message, dict) or not isinstance(message.get("hello"), dict):
                raise WorkerDied("the worker did not start (no hello)")
            self.hello = message["hello"]
        return self.hello

    def request(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and return its reply (``{"ok": ...}`` or ``{"error": ...}``).

        Raises :class:`Timeout` or :class:`WorkerDied`; the caller kills the worker then.
        """
        self.wait_hello()
        self._next_id += 1
        ident = self._next_id
        deadline = time.monotonic() + timeout
        self.requests.deadline = self.replies.deadline = deadline
        try:
            protocol.write_message(self.requests, {"id": ident, **payload})
            message = protocol.read_message(self.replies, self.settings.max_reply)
        except (EOFError, BrokenPipeError, ConnectionError) as error:
            raise WorkerDied(type(error).__name__) from None
        except (protocol.ProtocolError, ValueError, TypeError, KeyError) as error:
            raise WorkerDied(f"sent a malformed reply ({error})", ended=False) from None
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

    def kill(self) -> None:
        """SIGKILL the whole tree: the PID namespace's init, the process group, every process of the uid."""
        init_pid = (self.hello or {}).get("pid")
        if self.proc.poll() is None and isinstance(init_pid, int) and init_pid not in (self.proc.pid, os.getpid()):
            try:
                os.kill(init_pid, signal.SIGKILL)  # its parent (proc) has not reaped it: the pid is still its own
            except OSError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if self.uid is not None:
            kill_uid(self.uid)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.requests.close()
        self.replies.close()
        self.output.join(1.0)


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
    """Student code in a worker process; see the module docstring."""

    def __init__(self, root: str | Path, settings: Settings | None = None, exercises: set[str] | None = None) -> None:
        """``exercises``: those that will be graded, when known (Part 1 alone needs no torch in the worker)."""
        self.settings = settings or Settings.from_env()
        self.preload_torch = exercises is None or any(PART_OF.get(e) != "embeddings" for e in exercises)
        self.source = Path(root).resolve()
        self._claim: UidClaim | None = None
        if os.geteuid() == 0:
            self._claim = UidClaim(self.settings.uid_base, self.settings.uid_slots)
        self.uid = self._claim.uid if self._claim else None
        self.workspace = Workspace(self.source, self.uid)
        self.refused = self.workspace.error
        self.findings = forbidden.scan_root(self.workspace.submission)
        self.broken: dict[
            tuple[str, tuple[str, ...]], StudentError
        ] = {}  # (module, upstream) whose import hung or crashed
        self.sandbox: dict[str, Any] = {}
        self.restarts = 0
        self.calls = 0
        # Where the time went (bench/grader_overhead.py): waiting for workers to start, whole exchanges,
        # the part of them the worker spent running requests, and closing.
        self.seconds = {"startup": 0.0, "exchange": 0.0, "compute": 0.0, "close": 0.0}
        self._deadline: float | None = None
        self._worker: Worker | None = None
        self._closed = False
        if not self.refused:
            self._worker = Worker(
                self.workspace, self.settings, self.uid, self.preload_torch
            )  # starts now; the first call waits

    # -- the test's time limit
    def begin_test(self, timeout: float | None) -> None:
        """Called by the plugin before each test: calls must finish a little before the test's own limit."""
        self._deadline = time.monotonic() + max(timeout * 0.9 - 0.2, 0.5) if timeout else None

    def _call_timeout(self) -> float:
        timeout = self.settings.call_timeout
        if self._deadline is not None:
            timeout = min(timeout, max(self._deadline - time.monotonic(), 0.5))
        return timeout

    # -- the worker's life
    def _ensure_worker(self) -> Worker:
        if self._closed:
            raise StudentError("grader", ["RuntimeError"], "the grader already closed this submission")
        if self._worker is None:
            self.restarts += 1
            self._worker = Worker(self.workspace, self.settings, self.uid, self.preload_torch)
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
        if not self.sandbox:
            self.sandbox = hello
            LAST_SANDBOX.clear()
            LAST_SANDBOX.update(hello)
            self._protect_grader_files(hello)
        return worker

    def _protect_grader_files(self, hello: dict[str, Any]) -> None:
        """Without a mount namespace, an unprivileged worker would see the repository: make it unreadable to others."""
        if os.geteuid() != 0 or "mount" in hello.get("namespaces", []) or hello.get("uid") in (0, None):
            return
        keep = {Path(p).resolve() for p in (sys.prefix, sys.exec_prefix)}
        for entry in REPO_ROOT.iterdir():
            if any(k == entry.resolve() or entry.resolve() in k.parents for k in keep) or entry.is_symlink():
                continue
            mode = entry.lstat().st_mode
            if mode & 0o007:
                os.chmod(entry, mode & 0o7770)

    def _stop(self) -> None:
        if self._worker is not None:
            self.seconds["compute"] += self._worker.compute_seconds
            self._worker.kill()
            self._worker = None

    def _failure(self, kind: str, what: str, worker: Worker) -> StudentError:
        output = worker.output.last_lines()
        text = what + (f"\nThe last lines your code printed:\n{output}" if output.strip() else "")
        return StudentError(kind, ["TimeoutError" if kind == "timeout" else "WorkerCrash"], text)

    def _exchange(self, payload: dict[str, Any], doing: str) -> dict[str, Any]:
        worker = self._ensure_worker()
        timeout = self._call_timeout()
        start = time.perf_counter()
        try:
            return worker.request(payload, timeout)
        except Timeout:
            self._stop()
            raise self._failure(
                "timeout", f"{doing} did not finish within {timeout:.3g} s (an endless loop? far too slow?)", worker
            ) from None
        except WorkerDied as died:
            how = _describe_exit(worker.exit_status(), self.settings) if died.ended else str(died)
            self._stop()
            raise self._failure("crash", f"the process running your code {how} during {doing}", worker) from None
        except BaseException:  # the test's own timeout, Ctrl-C ...: the exchange is half done, so start afresh
            self._stop()
            raise
        finally:
            self.seconds["exchange"] += time.perf_counter() - start

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        if self.refused:
            raise StudentError("forbidden", ["SubmissionError"], self.refused)
        refusal = self.findings.message_for(kwargs)
        if refusal:
            raise StudentError("forbidden", ["ForbiddenAPIError"], refusal)
        self.calls += 1
        upstream = forbidden.upstream_of(kwargs)
        for module in dict.fromkeys(forbidden.targets_of(kwargs)):
            key = (
                module,
                upstream,
            )  # imported over stand-ins, the module is another import (autograder.runtime.upstream)
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
        return unwrap(self._exchange({"op": "probe", "name": name, "kwargs": kwargs}, f"the call of {target}"))

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
        if self.uid is not None:
            kill_uid(self.uid)
        self.workspace.remove()
        if self._claim is not None:
            self._claim.release()
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


class RefusedStudent(Student):
    """A submission that was refused before anything ran (a symlink, a zip slip ...): every call fails with why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        raise StudentError("forbidden", ["SubmissionError"], self.reason)


def isolation(hello: dict[str, Any]) -> set[str]:
    """What separates a worker from its grader: ``"uid"`` (another user), ``"mount"``, ``"net"``, ``"pid"``
    (namespaces).
    """
    found = set(hello.get("namespaces", [])) & {"mount", "net", "pid"}
    if hello.get("uid") not in (None, os.getuid()):
        found.add("uid")
    return found


def describe_sandbox(hello: dict[str, Any]) -> str:
    """One line: what isolation the worker achieved."""
    if not hello:
        return "worker sandbox: no worker was started"
    uid = hello.get("uid")
    parts = [f"uid {uid}" + (" (root!)" if uid == 0 else "")]
    parts.append("namespaces: " + (", ".join(hello.get("namespaces", [])) or "none"))
    if hello.get("covered"):
        parts.append("hidden: " + ", ".join(hello["covered"]))
    limits = hello.get("limits", {})
    if limits:
        parts.append("limits: " + ", ".join(f"{k}={v}" for k, v in limits.items()))
    if hello.get("uid_note"):
        parts.append(hello["uid_note"])
    return "worker sandbox: " + "; ".join(parts)
