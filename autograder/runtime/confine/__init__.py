"""Stage 1 of the worker: everything it does to itself before any student code runs, one module per mechanism.

Called by :mod:`autograder.runtime.worker_main` first thing (stdlib only, no thread exists yet), in this order:

1. :mod:`.namespaces`: mount, network, PID and IPC namespaces where the platform allows; without a PID namespace,
   :mod:`.keeper` stays outside as the worker's parent and kills its whole tree when the grader dies;
2. :mod:`.ownership`: as root, the dedicated unprivileged uid the grader claimed (never student code as root);
   without root, inside a user namespace, every capability is dropped;
3. :mod:`.landlock` and :mod:`.seccomp`, which need no privilege (an allow-list of readable and writable folders, no
   TCP, no signal or abstract socket outside; no process, socket, ``setsid``, IPC object or change of file modes);
4. :mod:`.limits`: address space, CPU seconds, processes and threads, open files, file size, no core dumps;
5. :mod:`.ownership` again: the files the grader named secret, tried as student code would.

:func:`apply` returns what was achieved, for the worker's hello: a mechanism the platform lacks is reported, never
faked. The grader decides whether that is enough, in one place (:mod:`autograder.grading.worker.isolation`).
"""

from __future__ import annotations

import os
import signal
import sys

from autograder.runtime.confine import keeper, landlock, limits, namespaces, ownership, seccomp
from autograder.runtime.confine.libc import MS_NODEV, MS_NOEXEC, MS_NOSUID, PR_SET_NO_NEW_PRIVS, libc, mount
from autograder.runtime.confine.namespaces import CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER
from autograder.runtime.messages import Hello, WorkerConfig


def _host_pid() -> int:
    """This process's id as the grader sees it (the host's ``/proc`` is still mounted)."""
    try:
        return int(os.readlink("/proc/self"))
    except (OSError, ValueError):
        return os.getpid()


def _processes(config: WorkerConfig, flags: int, as_root: bool, achieved: Hello) -> int:
    """Fork what watches the worker: in a PID namespace its init (and a parent outside), else the keeper. Only the
    worker returns, with the pid of the parent it must die with."""
    fds = [config["fds"]["request"], config["fds"]["reply"]]
    if flags & CLONE_NEWPID:
        namespaces.fork_into_pid_namespace(fds, config["parent_pid"])  # only the child returns
        achieved["pid"] = _host_pid()  # the id the grader can signal
        if flags & CLONE_NEWNS:
            _view(config, flags, achieved)
        namespaces.become_init(fds)  # only the worker (PID 2) returns
        achieved["keeper"] = True
        return 1
    watcher = os.getpid()
    child = os.fork()
    if child != 0:
        keeper.keep(child, fds, config["parent_pid"], config.get("uid") if as_root else None)
    achieved["pid"] = os.getpid()
    achieved["keeper"] = True
    if flags & CLONE_NEWNS:
        _view(config, flags, achieved)
    return watcher


def _view(config: WorkerConfig, flags: int, achieved: Hello) -> None:
    """The mount namespace's view of the file system; a half-built view is never trusted."""
    try:
        achieved["covered"] = namespaces.hide_and_expose(
            config["hide"], config["scratch"], config["expose"], config["writable"]
        )
    except OSError as error:
        raise SystemExit(f"worker: could not set up the file system view: {error}") from None
    if flags & CLONE_NEWPID:
        try:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            achieved["proc"] = True
        except OSError:
            achieved["proc"] = False


def _credentials(config: WorkerConfig, flags: int, as_root: bool, achieved: Hello) -> None:
    """As root, the dedicated uid; in a user namespace, no capability; never student code as root."""
    if as_root:
        uid, gid = config.get("uid"), config.get("gid")
        assert uid is not None and gid is not None  # apply() refused a root worker without one
        if not flags & CLONE_NEWNS:
            ownership.reach_unreadable(list(sys.path), achieved)
        ownership.drop_to(uid, gid, achieved)
    elif flags & CLONE_NEWUSER:
        namespaces.drop_capabilities()
        achieved["capabilities"] = "none"
    if os.geteuid() == 0 and not flags & CLONE_NEWUSER:
        raise SystemExit("worker: refusing to run student code as root")


def apply(config: WorkerConfig) -> Hello:
    """Stage 1 (see the module docstring); returns what was achieved, for the hello message."""
    achieved: Hello = {"namespaces": [], "uid": os.getuid(), "covered": [], "pid": os.getpid()}
    flags = (namespaces.enter(config, achieved) if config.get("namespaces", True) else None) or 0
    achieved["namespaces"] = namespaces.names_of(flags)
    as_root = os.geteuid() == 0 and not flags & CLONE_NEWUSER
    if as_root and config.get("uid") is None:
        raise SystemExit("worker: refusing to run student code as root (the grader gave no dedicated uid)")
    parent = _processes(config, flags, as_root, achieved)
    # Opened while every folder can still be reached: Landlock's rules name folders by descriptor.
    read_fds = landlock.open_paths(config["read"])
    write_fds = landlock.open_paths(config["write"])
    seccomp.prepare()
    _credentials(config, flags, as_root, achieved)
    keeper.die_with_parent(parent)  # after the last change of credentials, which clears it
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if config.get("confine", True):
        achieved["landlock"] = landlock.landlock(read_fds, write_fds)
        achieved["seccomp"] = seccomp.seccomp()
    for fd in [*read_fds.values(), *write_fds.values()]:
        os.close(fd)
    wanted = dict(config.get("limits", {}))
    if wanted.get("nproc") is not None and achieved["uid"] == config.get("grader_uid"):
        wanted["nproc"] += limits.count_my_tasks(achieved["uid"])  # same uid as the grader: count from what exists
    limits.set_limits(wanted, achieved)
    achieved["secrets"] = {path: ownership.try_read(path) for path in config.get("secrets", [])}
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file is an OSError for the student, not a crash
    os.chdir(config["root"])
    return achieved
