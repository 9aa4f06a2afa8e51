"""The grader's side of the warm template (:mod:`autograder.runtime.template`): workers forked, not started afresh.

:class:`Template` starts the template process once per submission, over a slot of the workspace with no stand-in,
and asks it for each worker; :class:`Forked` is the worker it forked, waited for and killed the way a
:class:`subprocess.Popen` child is. The worker itself is the same as a fresh start's: the same config, environment
and descriptors, the same sandbox applied by itself before any student code. Where the template cannot start or has
died, the caller starts workers afresh (``AUTOGRADER_TEMPLATE=0`` always does).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from typing import Any

from autograder.grading.worker.workspace import Slot

BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from autograder.runtime.template import main; main(int(sys.argv[2]))"
)


class TemplateGone(Exception):
    """The template process has ended (or never started): start workers afresh."""


class Template:
    """One template process and its control socket; see the module docstring."""

    def __init__(self, interpreter: str, slot: Slot, cwd: str, env: dict[str, str]) -> None:
        self.slot = slot
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [interpreter, "-I", "-B", "-c", BOOT, str(slot.runtime), str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._started: list[int] = []
        self.exited: dict[int, int] = {}
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="worker-template", daemon=True)
        self._reader.start()

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
                if isinstance(message.get("started"), int):
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
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


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
