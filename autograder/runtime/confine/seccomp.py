"""seccomp through libseccomp (:mod:`pyseccomp`, the ctypes binding that mirrors libseccomp's own Python API).

No new process (threads only: the address-space limit bounds the whole worker, and nothing it starts outlives it),
no sockets of any family (no network, no Unix socket outside the sandbox), no ``setsid``/``setpgid`` (the keeper's
``killpg`` reaches all), no ptrace, no namespaces, mounts, keys, BPF or kernel modules, no System V IPC or POSIX
message queues (kernel objects that outlive a process), and no change of a file's mode, owner, times or extended
attributes (neither is a Landlock right). The filter is synchronised to every thread of the worker (``TSYNC``).
"""

from __future__ import annotations

import errno
from typing import Any

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
