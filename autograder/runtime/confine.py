"""Confinement that needs no privilege: Landlock (files, TCP, signals, abstract sockets) and seccomp (system calls).

Both are Linux mechanisms an unprivileged process applies to itself once ``no_new_privs`` is set, so
they hold where namespaces cannot be made: in a container without ``CAP_SYS_ADMIN`` (Gradescope), as
root with namespaces off, and as an ordinary user. Both are inherited by every thread and process
the worker starts and cannot be lifted.

- **Landlock** (kernel LSM, ABI 1..7): the worker may read only an allow-list (the Python
  installation, its runtime, the submission, system folders) and write only its own scratch
  folders; from ABI 4 it may neither bind nor connect a TCP socket; from ABI 6 it may not signal
  a process outside its domain (the grader) nor reach an abstract Unix socket; and in every ABI it
  cannot ptrace, so the grader's ``/proc/<pid>/{environ,fd,mem}`` are closed to it. The kernel API
  is three system calls; no maintained Python binding exists, so they are called with ctypes.
- **seccomp** through libseccomp (:mod:`pyseccomp`, the ctypes binding that mirrors libseccomp's
  own Python API): no new process (threads only: the address-space limit bounds the whole worker,
  and nothing it starts outlives it), no sockets of any family (no network, no Unix socket outside
  the sandbox), no ``setsid``/``setpgid`` (the keeper's ``killpg`` reaches all), no ptrace, no
  namespaces, mounts, keys, BPF or kernel modules. The filter is synchronised to every thread of
  the worker (``TSYNC``).

Each function returns what it achieved, for the worker's hello; a mechanism the platform lacks is
reported, never faked (the grader decides whether that is enough, see ``autograder.grading.isolation``).
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


CLONE_THREAD = 0x00010000
# System calls a submission never needs, refused with EPERM (the rest of the interface stays as it is).
DENIED_SYSCALLS = (
    "socket",  # no network, no Unix socket to anything outside (socketpair stays: it reaches nothing)
    "setsid",
    "setpgid",  # the process group holds everything the worker started
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "kcmp",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_by_handle_at",
    "name_to_handle_at",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "io_uring_setup",
    "fanotify_init",
    # Kernel objects that outlive the process, outside both Landlock and the file system view: System V IPC
    # (shared memory, message queues, semaphores) and POSIX message queues. (No IPC namespace under Docker's
    # capability set: a segment would outlive the worker and could carry one test's inputs to another.)
    "shmget",
    "shmat",
    "shmctl",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    # File modes, owners, times and extended attributes: not Landlock rights, and as a non-root grader the worker
    # runs as the grader's uid, so it could change the instructor's files outside its sandbox.
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "utime",
    "utimes",
    "futimesat",
    "utimensat",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
)


def prepare() -> None:
    """Load libseccomp while the worker can still read every folder (before it drops to another uid)."""
    try:
        import pyseccomp  # noqa: F401 - imported for its side effect: libseccomp is loaded
    except (ImportError, OSError):
        pass  # seccomp() reports it


def seccomp() -> dict[str, Any]:
    """Load the filter (see the module docstring); returns ``{"denied": n}`` or ``{"error": ...}``."""
    try:
        import pyseccomp
    except (ImportError, OSError) as error:  # OSError: libseccomp.so.2 missing
        return {"error": f"libseccomp is not available ({error}); install libseccomp2 and pyseccomp"}
    try:
        flt = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
        flt.set_attr(pyseccomp.Attr.CTL_TSYNC, 1)
        denied = 0
        for name in DENIED_SYSCALLS:
            try:
                flt.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
                denied += 1
            except (RuntimeError, ValueError, OSError):
                pass  # a call this architecture does not have
        # One process: threads yes, new processes no (fork, vfork, and clone without CLONE_THREAD; clone3 says
        # ENOSYS, so the C library falls back to clone). The address-space limit then bounds the whole worker's
        # memory, not each of its processes, and nothing it starts can outlive it.
        for name in ("fork", "vfork"):
            flt.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, CLONE_THREAD, 0))
        flt.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
        flt.load()
    except (RuntimeError, ValueError, OSError, AttributeError) as error:
        return {"error": f"seccomp: {error}"}
    return {"denied": denied, "processes": "none"}
