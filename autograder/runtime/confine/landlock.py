"""Landlock (kernel LSM, ABI 1..7): files, TCP, signals and abstract sockets, with no privilege.

The worker may read only an allow-list (the Python installation, its runtime, the submission, system folders) and
write only its own scratch folders; from ABI 4 it may neither bind nor connect a TCP socket; from ABI 6 it may not
signal a process outside its domain (the grader) nor reach an abstract Unix socket; and in every ABI it cannot
ptrace, so the grader's ``/proc/<pid>/{environ,fd,mem}`` are closed to it. The kernel API is three system calls; no
maintained Python binding exists, so they are called with ctypes. Older kernels, or Docker profiles that refuse the
calls, leave ``{"error": ...}`` in the hello, and ``files`` must then come from a mount namespace or ownership.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from typing import Any

SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
# access rights on files (ABI 1), plus REFER (2), TRUNCATE (3), IOCTL_DEV (5)
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_WRITE_ALL_ABI1 = sum(1 << i for i in range(4, 13))  # remove dir/file, make char/dir/reg/sock/fifo/block/sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing, disabled or refused (:func:`landlock_missing`)."""
    abi = _libc.syscall(
        SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION)
    )
    return int(abi) if abi > 0 else 0


def landlock_missing() -> str:
    """Why :func:`landlock_abi` is 0, from the errno it left: the fix differs (a newer kernel, a boot option, or a
    container engine's seccomp profile that refuses Landlock's system calls)."""
    code = ctypes.get_errno()
    why = {
        errno.ENOSYS: "no Landlock system calls (Linux < 5.13, or a seccomp profile answering ENOSYS)",
        errno.EOPNOTSUPP: "Landlock is disabled (add landlock to the lsm= boot option)",
        errno.EPERM: "Landlock's system calls are refused (a seccomp profile, e.g. a container engine's default)",
    }
    return why.get(code, f"Landlock is not available ({os.strerror(code)})")


def _fs_rights(abi: int) -> tuple[int, int]:
    """(read-only rights, all rights) this ABI knows."""
    read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    every = read | FS_WRITE_FILE | FS_WRITE_ALL_ABI1
    every |= FS_REFER if abi >= 2 else 0
    every |= FS_TRUNCATE if abi >= 3 else 0
    every |= FS_IOCTL_DEV if abi >= 5 else 0
    return read, every


def open_paths(paths: list[str]) -> dict[str, int]:
    """``O_PATH`` descriptors of the existing ``paths`` (opened while the folders above them can still be traversed)."""
    fds = {}
    for path in paths:
        try:
            fds[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            pass
    return fds


def landlock(read: dict[str, int], write: dict[str, int]) -> dict[str, Any]:
    """Restrict this process (and all it starts) to reading ``read`` and writing ``write`` (path -> O_PATH fd).

    Returns ``{"abi": n, "net": bool, "scoped": bool}``, or ``{"abi": 0, "error": ...}`` where Landlock is unavailable.
    """
    abi = landlock_abi()
    if abi == 0:
        return {"abi": 0, "error": landlock_missing()}
    read_rights, every = _fs_rights(abi)
    attr = _RulesetAttr(
        every,
        NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0,
    )
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return {"abi": abi, "error": f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}"}
    try:
        for fds, rights in ((read, read_rights), (write, every)):
            for path, fd in fds.items():
                # a file's rule may hold only the rights that apply to a file
                allowed = rights if stat.S_ISDIR(os.fstat(fd).st_mode) else rights & FILE_RIGHTS
                rule = _PathBeneath(allowed, fd)
                kind = ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH)
                if _libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), kind, ctypes.byref(rule), 0) != 0:
                    return {"abi": abi, "error": f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}"}
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return {"abi": abi, "error": f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}"}
    finally:
        os.close(ruleset)
    return {"abi": abi, "net": abi >= 4, "scoped": abi >= 6}
