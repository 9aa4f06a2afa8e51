"""The grader's side of the warm template (:mod:`autograder.runtime.template`): workers forked, not started afresh.

:class:`Template` starts the template process once per submission, over a slot of the workspace with no stand-in
(in a batch, it asks the batch's template server, :func:`batch_server`, to fork it instead), and asks it for each
worker; :class:`Forked` is the worker it forked, waited for and killed the way a
:class:`subprocess.Popen` child is. The worker itself is the same as a fresh start's: the same config, environment
and descriptors, the same sandbox applied by itself before any student code. Where the template cannot start or has
died, the caller starts workers afresh (``AUTOGRADER_TEMPLATE=0`` always does).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autograder.grading.worker.workspace import Slot, copy_runtime

BOOT = (  # {}: main (one template) or serve_templates (a batch's server)
    "import sys; sys.path.insert(0, sys.argv[1]); from autograder.runtime import template; "
    "template.{}(int(sys.argv[2]))"
)

SERVER: socket.socket | None = None  # a batch's template server (set in each grade process: batch, warm.start)
HELLO_TIMEOUT = 60.0  # seconds a template may take to say its pid (it imports PyTorch first when started afresh)


@contextlib.contextmanager
def batch_server(interpreter: str, env: dict[str, str]) -> Iterator[socket.socket]:
    """A batch's template server (:func:`autograder.runtime.template.serve_templates`), over a copy of the
    non-secret runtime of its own, for the batch's duration; yields the socket its grade processes ask it on (each
    sets :data:`SERVER` to it). ``env``: the environment the workers' imports see (their thread counts)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with tempfile.TemporaryDirectory(prefix="autograder-templates-") as folder:
        runtime = Path(folder) / "runtime"
        copy_runtime(runtime)
        env = env | {"MPLCONFIGDIR": str(Path(folder) / "matplotlib")}  # its font cache (see runtime/template.py)
        try:
            proc = subprocess.Popen(
                [interpreter, "-I", "-B", "-c", BOOT.format("serve_templates"), str(runtime), str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), cwd=runtime, env=env, start_new_session=True,
            )  # fmt: skip
        finally:
            theirs.close()
        try:
            yield ours
        finally:
            ours.close()  # the server ends once no grade process holds the socket either
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class TemplateGone(Exception):
    """The template process has ended (or never started): start workers afresh."""


class Template:
    """One template process and its control socket; see the module docstring."""

    def __init__(self, interpreter: str, slot: Slot, cwd: str, env: dict[str, str]) -> None:
        """Forked by the batch's template server where there is one (:data:`SERVER`), else started afresh."""
        self.slot = slot
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc: subprocess.Popen[bytes] | None = None  # a template started afresh; None: forked by the server
        try:
            if not _ask_server(theirs):
                self.proc = subprocess.Popen(
                    [interpreter, "-I", "-B", "-c", BOOT.format("main"), str(slot.runtime), str(theirs.fileno())],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    pass_fds=(theirs.fileno(),), cwd=cwd, env=env, start_new_session=True,
                )  # fmt: skip
        finally:
            theirs.close()
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._started: list[int] = []
        self._pid: int | None = None
        self._pidfd: int | None = None
        self.exited: dict[int, int] = {}
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="worker-template", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The template's pid, once it has said it (raises :class:`TemplateGone` if it never does)."""
        with self._changed:
            self._changed.wait_for(lambda: self._pid is not None or not self.alive, HELLO_TIMEOUT)
            if self._pid is None:
                raise TemplateGone
            return self._pid

    def lost(self) -> bool:
        """Whether the template has ended (which ends every worker it forked)."""
        if self.proc is not None:
            return self.proc.poll() is not None
        if self._pidfd is None:
            return not self.alive
        return bool(select.select([self._pidfd], [], [], 0.2)[0])  # readable once it exited

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(1 << 16)
                message = json.loads(data) if data else None
            except (OSError, ValueError):
                message = None
            with self._changed:
                if not isinstance(message, dict):
                    self.alive = False
                    self._changed.notify_all()
                    return
                if isinstance(message.get("template"), int) and self._pid is None:
                    self._pid = message["template"]
                    with contextlib.suppress(OSError):  # (it cannot have exited: it is waiting on this socket)
                        self._pidfd = os.pidfd_open(self._pid)
                elif isinstance(message.get("started"), int):
                    self._started.append(message["started"])
                elif isinstance(message.get("exited"), int) and isinstance(message.get("status"), int):
                    self.exited[message["exited"]] = message["status"]
                self._changed.notify_all()

    def start(self, runtime: str, cwd: str, env: dict[str, str], config: dict[str, Any], fds: tuple[int, int, int],
              timeout: float) -> Forked:  # fmt: skip
        """Fork a worker with ``fds`` (its request, reply and output descriptors); raises :class:`TemplateGone`."""
        request = {"op": "start", "runtime": runtime, "cwd": cwd, "env": env, "config": config}
        deadline = time.monotonic() + timeout
        with self._lock, self._changed:
            if not self.alive:
                raise TemplateGone
            try:
                socket.send_fds(self._sock, [json.dumps(request).encode()], list(fds))
            except OSError:
                raise TemplateGone from None
            while not self._started:
                left = deadline - time.monotonic()
                if not self.alive or left <= 0:
                    raise TemplateGone
                self._changed.wait(left)
            return Forked(self, self._started.pop(0))

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The exit code of ``pid`` once the template reports it (None: not within ``timeout`` s, or no template)."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self.exited or not self.alive, timeout)
            return self.exited.get(pid)

    def release(self, pid: int) -> None:
        """Let the template reap ``pid`` (its id is free for reuse from then on)."""
        try:
            self._sock.send(json.dumps({"op": "release", "pid": pid}).encode())
        except OSError:
            pass

    def close(self) -> None:
        """End the template; each worker it forked dies with it."""
        try:
            # shutdown first: the reader thread's recv holds the socket open, so close() alone would send no EOF
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        finally:
            if self.proc is not None:
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            elif self._pidfd is not None:  # a child of the server: waited for by its pidfd, killed through it
                if not select.select([self._pidfd], [], [], 5)[0]:
                    with contextlib.suppress(OSError):
                        signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None


def _ask_server(theirs: socket.socket) -> bool:
    """Ask the batch's template server for a template on ``theirs``; False when there is none (or it has ended)."""
    if SERVER is None:
        return False
    try:
        socket.send_fds(SERVER, [json.dumps({"op": "template"}).encode()], [theirs.fileno()])
    except OSError:
        return False
    return True


class Forked:
    """A worker the template forked, with the part of :class:`subprocess.Popen`'s interface the grader uses."""

    def __init__(self, template: Template, pid: int) -> None:
        self.template = template
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code; raises :class:`subprocess.TimeoutExpired` while it runs. A worker whose template died is
        dead too (it dies with the template): its code is then unknown, -9."""
        if self.returncode is not None:
            return self.returncode
        code = self.template.wait(self.pid, timeout)
        if code is None and self.template.alive:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
        self.returncode = -9 if code is None else code
        self.template.release(self.pid)
        return self.returncode
