"""The C library calls the confinement needs and the standard library lacks (mount, unshare, prctl, capset)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 1, 4, 38, 24
O_PATH = getattr(os, "O_PATH", 0o10000000)

libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def as_bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    check(
        libc.mount(as_bytes(source), as_bytes(target), as_bytes(fstype), ctypes.c_ulong(flags), as_bytes(data)),
        f"mount {target}",
    )
