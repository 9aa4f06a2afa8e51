"""Namespaces: a view of the file system, the network and the processes of the worker's own.

Where the platform allows (root with ``CAP_SYS_ADMIN``, or unprivileged user namespaces), the worker moves into new
namespaces before anything else (stdlib only, no thread exists yet):

- mount: the grader's repository, the grader's temporary folders and private folders above the Python installation
  (``/root`` when it lives in ``/root/.pyenv``) are covered by empty read-only tmpfs; only the Python installation and
  this worker's workspace are mounted back; ``/tmp`` and ``/dev/shm`` become private and small;
- network: no interface but a down loopback;
- PID: a small init is PID 1 of the new namespace and the worker PID 2, so when the worker dies its init exits and
  the kernel kills every process the student started; a small parent outside waits for the init, and each of the
  three dies with its parent, down from the grader;
- IPC: System V objects and POSIX message queues of its own, gone with it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import stat

from autograder.runtime.confine.keeper import die_with_parent, wait_and_mirror
from autograder.runtime.confine.libc import (
    MS_BIND,
    MS_NODEV,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    O_PATH,
    PR_CAPBSET_DROP,
    PR_SET_PDEATHSIG,
    check,
    libc,
    mount,
)
from autograder.runtime.messages import Hello, WorkerConfig

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMES = (
    ("mount", CLONE_NEWNS),
    ("net", CLONE_NEWNET),
    ("pid", CLONE_NEWPID),
    ("ipc", CLONE_NEWIPC),
    ("user", CLONE_NEWUSER),
)


def names_of(flags: int) -> list[str]:
    """The namespaces ``flags`` made, by name (the hello's ``namespaces``)."""
    return [name for name, flag in NAMES if flags & flag]


def _other_traversable(path: str) -> bool:
    st = os.stat(path)
    return bool(st.st_mode & stat.S_IXOTH)


def blocking_ancestor(path: str) -> str | None:
    """The highest folder above (or at) ``path`` that other users cannot traverse, if any."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        p = "/" + "/".join(parts[:i])
        if os.path.isdir(p) and not _other_traversable(p):
            return p
    return None


def inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def hide_and_expose(hide: list[str], scratch: list[str], expose: list[str], writable: list[str]) -> list[str]:
    """Cover each folder of ``hide`` and ``scratch`` with an empty tmpfs and mount the ``expose`` folders back.

    ``hide`` folders become read-only; ``scratch`` ones (``/tmp`` ...) writable by everybody but small.
    Also covers the folders above ``expose`` that others cannot traverse (``/root`` when Python
    lives in ``/root/.pyenv``). Returns the folders covered.
    """
    expose = sorted({os.path.realpath(p) for p in expose if os.path.exists(p)})
    expose = [p for p in expose if not any(q != p and inside(p, q) for q in expose)]
    covered = {os.path.realpath(h): False for h in hide if os.path.isdir(h)}
    covered.update({os.path.realpath(s): True for s in scratch if os.path.isdir(s)})
    for p in expose:
        blocker = blocking_ancestor(p)
        if blocker and blocker != p:
            covered.setdefault(blocker, False)
    fds = {p: os.open(p, O_PATH | os.O_CLOEXEC) for p in expose}  # opened before anything is covered
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here propagates to the host
    done = []
    for folder in sorted(covered, key=lambda f: f.count("/")):
        if any(inside(folder, p) for p in expose):
            continue  # a folder of the Python installation or the workspace itself
        is_scratch = covered[folder]
        options = "mode=1777,size=64m,nr_inodes=4096" if is_scratch else "mode=0755,size=1m,nr_inodes=256"
        mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
        done.append(folder)
        for p in expose:
            if inside(p, folder) and not any(inside(p, f) and f.count("/") > folder.count("/") for f in covered):
                os.makedirs(p, mode=0o755, exist_ok=True)
                mount(f"/proc/self/fd/{fds[p]}", p, None, MS_BIND | MS_REC)
                if p not in writable:
                    mount(None, p, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        for sub in covered:  # a deeper covered folder needs its mount point
            if sub != folder and inside(sub, folder):
                os.makedirs(sub, mode=0o755, exist_ok=True)
        if not is_scratch:
            mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755")
    for fd in fds.values():
        os.close(fd)
    return done


def enter(config: WorkerConfig, achieved: Hello) -> int | None:
    """unshare() what the platform allows; returns the flags obtained (None: none).

    Without root (or with ``"userns"`` in the config, to test that path as root), a user namespace comes first.
    """
    root = os.geteuid() == 0 and not config.get("userns")
    wanted = [
        CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC,
        CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID,
        CLONE_NEWNS | CLONE_NEWNET,
        CLONE_NEWNET,
    ]
    uid, gid = os.getuid(), os.getgid()
    for flags in wanted:
        flags |= 0 if root else CLONE_NEWUSER
        if libc.unshare(ctypes.c_int(flags)) == 0:
            if not root:
                with open("/proc/self/setgroups", "w") as f:
                    f.write("deny")
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"0 {uid} 1")
                with open("/proc/self/gid_map", "w") as f:
                    f.write(f"0 {gid} 1")
            return flags
        achieved.setdefault("unshare_errors", []).append(os.strerror(ctypes.get_errno()))
    return None


def fork_into_pid_namespace(fds: list[int], grader: int) -> None:
    """After unshare(CLONE_NEWPID): fork; the child is PID 1 of the new namespace and goes on, the parent waits."""
    pid = os.fork()
    if pid == 0:
        return
    die_with_parent(grader)
    for fd in fds:
        os.close(fd)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: os.kill(pid, signal.SIGKILL))
    wait_and_mirror(pid)


def become_init(fds: list[int]) -> None:
    """In the new PID namespace: fork the worker; this process stays PID 1, reaps orphans and exits with the worker.

    (PID 1 ignores signals it has no handler for, so student code runs as PID 2, where a signal
    means what it means anywhere.) When PID 1 exits, the kernel kills everything left in the namespace.
    """
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the outer process died: so does the namespace
    worker = os.fork()
    if worker == 0:
        return
    for fd in fds:
        os.close(fd)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
        if pid == worker:
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def drop_capabilities() -> None:
    """Inside a user namespace (no root): no capability left, and none to regain through exec."""
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    check(libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")
