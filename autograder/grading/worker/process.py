"""One worker process: started, asked, and killed (the parent side of :mod:`autograder.runtime.worker_main`).

:class:`Worker` starts a fresh interpreter in isolated mode (``python -I -B``, a clean environment, its own session)
over a slot of the workspace, with a :class:`~autograder.runtime.messages.WorkerConfig` that says what to hide and
what to confine (the worker applies it, :mod:`autograder.runtime.confine`), and exchanges requests and replies with
it over two pipes with deadlines. Whatever goes wrong is one of three exceptions: :class:`~autograder.grading.worker.
pipes.Timeout`, :class:`WorkerDied` or :class:`GraderFault` (nothing was sent); the caller decides what it costs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autograder.grading.loader import REPO_ROOT
from autograder.grading.worker.ownership import kill_uid, secret_files
from autograder.grading.worker.pipes import Output, Pipe, Timeout
from autograder.grading.worker.template import Forked, Template, TemplateGone
from autograder.grading.worker.workspace import ScratchFull, Slot, Workspace
from autograder.runtime import protocol
from autograder.runtime.curriculum import PACKAGES
from autograder.runtime.messages import WorkerConfig
from autograder.settings import Settings


def interpreter() -> str:
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


def base_environment(settings: Settings) -> dict[str, str]:
    """What every worker's environment holds, whatever its slot: what PyTorch and NumPy read as they are imported
    (a template's imports see this, see :mod:`autograder.grading.worker.template`)."""
    threads = str(settings.threads)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MPLBACKEND": "Agg",
    }


def environment(settings: Settings, slot: Slot) -> dict[str, str]:
    """A worker's whole environment: nothing of the grader's, its home and temporary folders in its slot."""
    return base_environment(settings) | {
        "HOME": str(slot.home),
        "TMPDIR": str(slot.tmp),
        "MPLCONFIGDIR": str(slot.home / ".matplotlib"),
    }


class Worker:
    """One worker process; requests and replies over two pipes; see the module docstring."""

    def __init__(
        self,
        workspace: Workspace,
        settings: Settings,
        uid: int | None,
        preload_torch: bool = True,
        stand_ins: frozenset[str] = frozenset(),
        template: Template | None = None,
    ) -> None:
        """``template``: fork the worker from it (PyTorch already imported) rather than start an interpreter."""
        self.slot = workspace.new_slot(stand_ins)
        self.stand_ins = stand_ins
        self.workspace = workspace
        self.settings = settings
        self.uid = uid
        self.preload_torch = preload_torch
        self.imported: set[tuple[str, tuple[str, ...]]] = set()
        self.hello: dict[str, Any] | None = None
        self.compute_seconds = 0.0  # what the worker says it spent running requests (its own claim: statistics only)
        self._next_id = 0
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        self.started = time.monotonic()
        try:
            self.proc = self._spawn(template, (req_r, rep_w, out_w))
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        self.requests = Pipe(req_w, self._check_scratch)
        self.replies = Pipe(rep_r, self._check_scratch)
        self.output = Output(out_r, settings.output_cap)

    def _spawn(self, template: Template | None, fds: tuple[int, int, int]) -> subprocess.Popen[bytes] | Forked:
        """The worker process: forked by ``template`` where it is alive, else a fresh interpreter."""
        request, reply, output = fds
        env = environment(self.settings, self.slot)
        if template is not None and self.preload_torch:
            cwd, timeout = str(self.workspace.path), self.settings.startup_timeout
            try:
                config = self._config(request, reply, template.pid)
                return template.start(str(self.slot.runtime), cwd, env, dict(config), fds, timeout)
            except TemplateGone:
                pass  # started afresh below
        return subprocess.Popen(
            [interpreter(), "-I", "-B", "-c", BOOT, str(self.slot.runtime), json.dumps(self._config(request, reply))],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            pass_fds=(request, reply),
            cwd=self.workspace.path,
            env=env,
            start_new_session=True,
        )

    def _config(self, request: int, reply: int, parent: int | None = None) -> WorkerConfig:
        """What the worker applies before any student code runs (it reads the same TypedDict,
        :mod:`autograder.runtime.messages`): the pipes, its uid, what to hide, expose, read and write, its limits."""
        named = (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
        prefixes = sorted({*named, *map(os.path.realpath, named)})
        return {
            "runtime": str(self.slot.runtime),
            "root": str(self.workspace.submission),
            "packages": list(PACKAGES),
            "fds": {"request": request, "reply": reply},
            "uid": self.uid,
            "gid": self.uid,
            "grader_uid": os.getuid(),
            "parent_pid": parent or os.getpid(),
            "namespaces": self.settings.namespaces,
            "userns": self.settings.userns,
            "limits": self.settings.limits(),
            "threads": self.settings.threads,
            "torch": "preload" if self.preload_torch else "lazy",
            "hide": sorted({str(REPO_ROOT), *self.settings.hide}),
            "scratch": ["/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()],
            "expose": sorted({*prefixes, str(self.workspace.submission), str(self.slot.path)}),
            "writable": [str(self.slot.path)],
            "read": [*SYSTEM_READ, *prefixes, str(self.slot.runtime), str(self.workspace.submission)],
            "write": [str(self.slot.home), str(self.slot.tmp)],
            "confine": self.settings.confine,
            "secrets": secret_files(self.workspace, self.settings.hide),
        }

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

    def template_lost(self) -> bool:
        """Forked by a template that has ended (which ends every worker it forked)."""
        return isinstance(self.proc, Forked) and self.proc.template.lost()

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


def describe_exit(status: int | None, settings: Settings) -> str:
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
