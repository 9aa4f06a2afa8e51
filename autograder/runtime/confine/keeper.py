"""The keeper: nothing the worker starts outlives it, or the grader.

Without a PID namespace, a keeper stays outside as the worker's parent and kills the worker's process group (and, as
root, its uid) when the grader dies, however it dies. seccomp keeps the worker in the keeper's process group
(no ``setsid``/``setpgid``) and from starting processes at all, so one ``killpg`` reaches everything. Every process of
the chain dies with its parent (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import os
import signal
import time
from typing import NoReturn

from autograder.runtime.confine.libc import PR_SET_PDEATHSIG, libc


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent dies (the grader killed or gone: nothing may outlive it)."""
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def kill_uid(uid: int) -> None:
    """SIGKILL every process whose real uid is ``uid`` (the keeper, as root, for a worker that dropped to it)."""
    for _ in range(20):
        found = False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and entry != str(os.getpid()):
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        found = True
                        os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return
        time.sleep(0.01)


def keep(child: int, fds: list[int], grader: int, uid: int | None) -> None:
    """The keeper: the worker's parent outside any namespace; when the grader dies, it kills the worker's whole tree.

    The worker cannot leave the keeper's process group (seccomp refuses ``setsid``/``setpgid``), so one
    ``killpg`` reaches all it started; a worker that dropped to a dedicated uid is also swept by uid.
    Never returns: it exits with the worker's status, so the grader reads the same status as without it.
    """

    def kill_tree(signum: int = 0, frame: object = None) -> None:
        if uid is not None and os.geteuid() == 0:
            kill_uid(uid)
        os.killpg(os.getpgrp(), signal.SIGKILL)  # the keeper included

    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, kill_tree)
    if os.getppid() != grader:
        kill_tree()
    for fd in fds:
        os.close(fd)
    wait_and_mirror(child)


def wait_and_mirror(child: int) -> NoReturn:
    """Wait for ``child`` and end the same way: its exit code, or its signal (so the grader reads the status it would
    read without this process in between)."""
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        died_of = os.WTERMSIG(status)
        signal.signal(died_of, signal.SIG_DFL)
        os.kill(os.getpid(), died_of)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
