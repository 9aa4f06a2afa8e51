"""The warm template: a process that has imported NumPy and PyTorch once, and forks every worker from that state.

A worker started as a fresh interpreter spends about a second of CPU importing PyTorch, and one grade starts several
(one per set of stand-ins, see :mod:`autograder.runtime.standins`, and one after each stop). So the grader starts this
template once per submission (:mod:`autograder.grading.worker.template`). It imports NumPy and PyTorch, never any
student code and nothing of the grader (its ``autograder`` package is a slot's copy of the non-secret runtime, with
no stand-in), and then, for each request on its control socket, forks a child that becomes a worker
(:func:`autograder.runtime.worker_main.main`) with the descriptors, environment, folder and config it was sent: the
same worker as a fresh start, minus the imports. A worker forked here dies with the template (``parent_pid``), and the
template dies with the grader.

It also imports what the workers would otherwise each import on first use (:data:`LAZY`): an optimizer's
constructor and a meta tensor's decomposition import ``torch._dynamo``, about 0.9 s of CPU (a full grade's masks
and models phases both reach it), and the similarity probes draw with ``matplotlib.pyplot``, whose first import in a
fresh home also builds its font cache (0.3 to 0.9 s). Its ``matplotlibrc`` is read from folders the grader made (the
workspace's root or the server's runtime copy, never the submission's), its cache goes to ``MPLCONFIGDIR``. The
grader starts the template before it collects the suites (:func:`autograder.grading.plugin.pytest_collection`), so
these imports overlap that work on a second core.

The control socket (``SOCK_SEQPACKET``: one JSON message per packet, descriptors beside it) carries requests
``{"op": "start", "runtime", "cwd", "env", "config"}`` with the worker's request, reply and output descriptors, and
``{"op": "release", "pid"}``; and replies ``{"template": pid}`` first (the template's own pid), ``{"started": pid}``
and, when a child exits, ``{"exited": pid, "status": code}`` (``-signal`` when killed, as :class:`subprocess.Popen`
says it). An exited child stays a zombie, its pid reserved so that a kill by the grader cannot reach another
process, until the grader releases it.

A batch forks each submission's template from one process that imported all this once (:func:`serve_templates`).
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


LAZY = ("torch._dynamo", "matplotlib.pyplot")  # imported on first use by the workers; see the module docstring


def _exit_code(info: os.waitid_result) -> int:
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _warm() -> bool:
    """Import what the workers will use (see the module docstring); False where this kernel has no pidfds (Linux
    < 5.3), which the template needs: the grader then starts its workers afresh."""
    try:
        import importlib

        import numpy  # noqa: F401 - imported for the forked workers
        import torch  # noqa: F401

        for name in LAZY:
            importlib.import_module(name)
    except ImportError:
        pass  # the workers report what they lack
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


def _die_with_parent() -> int:
    """SIGKILL when the parent ends; returns the parent's pid (compare it to ``os.getppid()`` after a slow step)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return os.getppid()


def main(control: str) -> None:
    """One template for one grader: serve start requests until the grader closes the control socket."""
    grader = _die_with_parent()
    if not _warm() or os.getppid() != grader:
        os._exit(1)
    _serve(socket.socket(fileno=int(control)))


def serve_templates(listen: str) -> None:
    """A batch's source of templates: imports once, then forks a template for each request on ``listen``.

    A batch starts this process once (:func:`autograder.grading.worker.template.batch_server`) and each of its grade
    processes asks it for its template: ``{"op": "template"}`` with the grader's end of a new control socket beside
    it, on the socket every grade process of the batch shares (one message each, never a reply on it). The forked
    child is a template like :func:`main`'s, serving that one control socket, minus the imports every submission's
    template used to repeat. It holds nothing of any submission and nothing of the grader: it is forked from this
    process, never from another template. The server ends when the last holder of ``listen`` closes it, and with
    the batch (its parent).
    """
    batch = _die_with_parent()
    if not _warm() or os.getppid() != batch:
        os._exit(1)
    server = socket.socket(fileno=int(listen))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the templates are reaped by the kernel
    while True:
        message, fds, _, _ = socket.recv_fds(server, 1024, 1)
        if not message:
            os._exit(0)
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:
            try:
                server.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a template waits for its own workers
                _die_with_parent()
                _serve(socket.socket(fileno=fds[0]))
            finally:
                os._exit(1)
        os.close(fds[0])


def _serve(sock: socket.socket) -> None:
    """The template's loop (see the module docstring); ends the process when the grader closes ``sock``."""
    sock.send(json.dumps({"template": os.getpid()}).encode())
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
