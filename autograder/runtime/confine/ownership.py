"""Ownership: the worker as its own unprivileged uid, and the files that uid must find closed.

As root, the worker drops to the dedicated uid and gid the grader claimed for it (no supplementary groups); it never
runs student code as root. Where the Python installation lies in a folder other users cannot enter (``/root/.pyenv``)
and no mount namespace shows it, the folders of ``sys.path`` are opened before the drop and reached through their
descriptors. Before any student code runs, the worker tries to open the files the grader named secret
(:func:`try_read`): where neither Landlock nor a mount namespace hides them, ``files`` holds by ownership only when
every one is refused (DESIGN.md: "files by ownership").
"""

from __future__ import annotations

import errno
import os
import sys

from autograder.runtime.confine.libc import O_PATH, PR_SET_DUMPABLE, libc
from autograder.runtime.confine.namespaces import blocking_ancestor, inside
from autograder.runtime.messages import Hello


def drop_to(uid: int, gid: int, achieved: Hello) -> None:
    """Become ``uid``/``gid`` for good (real, effective and saved), with no supplementary group."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    achieved["uid"] = uid
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # its own /proc/self/fd stays its own (see reach_unreadable)


def reach_unreadable(paths: list[str], achieved: Hello) -> None:
    """Keep the folders of ``sys.path`` that another uid could not reach (Python in ``/root/.pyenv``) importable.

    Each such folder is opened now (``O_PATH``) and named ``/proc/self/fd/N`` in ``sys.path`` and in
    the ``__path__`` of the packages already imported: a lookup through that link starts at the folder
    itself, so the folders above it (``/root``) stay closed to the worker. Needs the worker dumpable
    (set after the drop) so that its own ``/proc/self/fd`` stays its own.
    """
    blocked = sorted({p for p in paths if os.path.isdir(p) and blocking_ancestor(p)}, key=len, reverse=True)
    if not blocked:
        return
    links = {p: f"/proc/self/fd/{os.open(p, O_PATH)}" for p in blocked}

    def remap(path: str) -> str:
        for folder in blocked:  # longest first: lib-dynload before the stdlib holding it
            if inside(path, folder):
                return links[folder] + path[len(folder) :]
        return path

    sys.path[:] = [remap(p) for p in sys.path]
    for module in list(sys.modules.values()):
        search = getattr(module, "__path__", None)
        if isinstance(search, list):
            search[:] = [remap(p) for p in search]
    sys.path_importer_cache.clear()
    achieved["reached_through_fd"] = blocked


def try_read(path: str) -> str:
    """What opening ``path`` for reading gives, as student code would now: ``"readable"`` or the errno's name.

    The grader names files the worker must not read (its suites, the reference, a canary in its own temporary
    folder); where neither Landlock nor a mount namespace hides them, the grader believes ``files`` only when
    every one of them is refused here, by their owner and modes (DESIGN.md: "files by ownership").
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        return errno.errorcode.get(error.errno or 0, "error")
    os.close(fd)
    return "readable"
