"""The warm template: a process that has imported NumPy and PyTorch once, and forks every worker from that state.

A worker started as a fresh interpreter spends about a second of CPU importing PyTorch, and one grade starts several
(one per set of stand-ins, see :mod:`autograder.runtime.standins`, and one after each stop). So the grader starts this
template once per submission (:mod:`autograder.grading.worker.template`). It imports NumPy and PyTorch, never any
student code and nothing of the grader (its ``autograder`` package is a slot's copy of the non-secret runtime, with
no stand-in), and then, for each request on its control socket, forks a child that becomes a worker
(:func:`autograder.runtime.worker_main.main`) with the descriptors, environment, folder and config it was sent: the
same worker as a fresh start, minus the imports. A worker forked here dies with the template (``parent_pid``), and the
template dies with the grader.

It also imports what PyTorch itself imports on first use (:data:`LAZY`): an optimizer's constructor and a meta
tensor's decomposition import ``torch._dynamo``, about 0.9 s of CPU, which each forked worker would otherwise pay
again (a full grade's masks and models phases both reach it). The grader starts the template before it collects the
suites (:func:`autograder.grading.plugin.pytest_collection`), so these imports overlap that work on a second core.

The control socket (``SOCK_SEQPACKET``: one JSON message per packet, descriptors beside it) carries requests
``{"op": "start", "runtime", "cwd", "env", "config"}`` with the worker's request, reply and output descriptors, and
``{"op": "release", "pid"}``; and replies ``{"started": pid}`` and, when a child exits, ``{"exited": pid, "status":
code}`` (``-signal`` when killed, as :class:`subprocess.Popen` says it). An exited child stays a zombie, its pid
reserved so that a kill by the grader cannot reach another process, until the grader releases it.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import socket
import sys
from typing import Any

PR_SET_PDEATHSIG = 1
MAX_MESSAGE = 1 << 20


def _start(sock: socket.socket, request: dict[str, Any], fds: list[int]) -> int:
    """Fork a worker (see the module docstring); the parent returns its pid, the child never returns."""
    pid = os.fork()
    if pid != 0:
        for fd in fds:
            os.close(fd)
        return pid
    try:
        sock.close()
        os.setsid()  # a session and process group of its own, as a fresh start's (the grader kills the group)
        request_fd, reply_fd, output_fd = fds
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        keep = {0, 1, 2, request_fd, reply_fd}
        for fd in map(int, os.listdir("/proc/self/fd")):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass  # the listing's own descriptor
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile

        tempfile.tempdir = None  # TMPDIR is the worker's now
        for name in [n for n in sys.modules if n == "autograder" or n.startswith("autograder.")]:
            del sys.modules[name]  # this template's runtime copy: the worker imports its own slot's
        sys.path[0] = request["runtime"]
        config = dict(request["config"], fds={"request": request_fd, "reply": reply_fd})
        from autograder.runtime.worker_main import main as worker

        worker(json.dumps(config))
    except BaseException:  # noqa: BLE001 - said on the worker's output, which the grader shows
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(1)
    return -1  # never reached: the child ends in the worker or above


LAZY = ("torch._dynamo",)  # imported by PyTorch on first use, about 0.9 s each time; see the module docstring


def _exit_code(info: os.waitid_result) -> int:
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def main(control: str) -> None:
    """Serve start requests until the grader closes the control socket; see the module docstring."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    grader = os.getppid()
    try:
        import importlib

        import numpy  # noqa: F401 - imported for the forked workers
        import torch  # noqa: F401

        for name in LAZY:
            importlib.import_module(name)
    except ImportError:
        pass  # the workers report what they lack
    try:
        os.close(os.pidfd_open(os.getpid()))  # Linux >= 5.3: without pidfds, no template (the grader starts afresh)
    except OSError:
        os._exit(1)
    if os.getppid() != grader:
        os._exit(1)
    sock = socket.socket(fileno=int(control))
    children: dict[int, int] = {}  # pid -> pidfd (readable once the child exits), until it is reported
    while True:
        ready: list[Any] = select.select([sock.fileno(), *children.values()], [], [])[0]
        for pid, pidfd in list(children.items()):
            if pidfd in ready:
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                if info is not None:
                    os.close(children.pop(pid))
                    sock.send(json.dumps({"exited": pid, "status": _exit_code(info)}).encode())
        if sock.fileno() not in ready:
            continue
        message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        if not message:  # the grader is done (or gone): each worker dies with this template (parent_pid)
            os._exit(0)
        request = json.loads(message)
        if request.get("op") == "start" and len(fds) == 3:
            pid = _start(sock, request, fds)
            children[pid] = os.pidfd_open(pid)
            sock.send(json.dumps({"started": pid}).encode())
        elif request.get("op") == "release":
            try:
                os.waitpid(int(request["pid"]), 0)
            except ChildProcessError:
                pass
        else:
            for fd in fds:
                os.close(fd)
