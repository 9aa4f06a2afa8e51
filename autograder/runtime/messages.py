"""The messages both sides of the worker pipe agree on: the worker's start-up config and its hello.

The grader builds a :class:`WorkerConfig` (passed as JSON on the worker's command line); the
worker answers with a :class:`Hello` saying what isolation it achieved. Requests and replies are
:class:`Request` and :class:`Reply`. Both sides type-check against these definitions, so a key
renamed on one side is a type error on the other.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class PipeFds(TypedDict):
    request: int  # the worker reads requests here
    reply: int  # the worker writes replies here


class WorkerConfig(TypedDict):
    runtime: str  # the folder holding this runtime (``runtime/autograder/runtime/...``)
    root: str  # the private copy of the submission
    packages: list[str]  # the submission's packages, the only ones its importer serves
    fds: PipeFds
    uid: int | None  # the dedicated uid to drop to (as root), or None
    gid: int | None
    grader_uid: int
    parent_pid: int  # the process the worker must die with: the grader, or the warm template that forked it
    namespaces: bool  # try mount/net/pid namespaces
    userns: bool  # enter a user namespace even as root (to test the unprivileged path)
    limits: dict[str, int]  # rlimits by name: memory, cpu, nproc, nofile, fsize, core
    threads: int  # torch/BLAS threads
    torch: Literal["preload", "lazy"]
    hide: list[str]  # folders covered by an empty read-only tmpfs
    scratch: list[str]  # folders covered by a small private writable tmpfs
    expose: list[str]  # folders mounted back read-only (the Python installation, the workspace)
    writable: list[str]  # of ``expose``, those that stay writable
    read: list[str]  # Landlock: what the worker may read (every other path is closed to it)
    write: list[str]  # Landlock: its scratch folders, the only places it may write
    confine: bool  # apply Landlock and seccomp (autograder.runtime.confine)
    secrets: NotRequired[list[str]]  # files the worker must not be able to read; it tries each before student code


class Hello(TypedDict):
    namespaces: list[str]  # "mount", "net", "pid", "ipc", "user"
    uid: int  # the uid student code runs as
    covered: list[str]  # folders hidden from the worker
    pid: int  # the worker's pid as the grader sees it
    limits: NotRequired[dict[str, int]]
    limit_errors: NotRequired[list[str]]
    unshare_errors: NotRequired[list[str]]
    proc: NotRequired[bool]
    capabilities: NotRequired[str]
    guarded: NotRequired[int]
    torch: NotRequired[bool]
    keeper: NotRequired[bool]  # a keeper outside kills the worker's tree when the grader dies
    landlock: NotRequired[dict[str, Any]]  # {"abi", "net", "scoped"} or {"abi": 0, "error"}
    seccomp: NotRequired[dict[str, Any]]  # {"denied": n} or {"error"}
    reached_through_fd: NotRequired[list[str]]  # folders of sys.path opened before the drop
    secrets: NotRequired[dict[str, str]]  # each secret file -> "readable" or the errno name its opening gave


class Request(TypedDict):
    id: int
    op: Literal["import", "probe", "ping"]
    module: NotRequired[str]  # op "import"
    upstream: NotRequired[list[str]]  # op "import": over stand-ins of these earlier modules
    name: NotRequired[str]  # op "probe"
    kwargs: NotRequired[dict[str, Any]]


class Reply(TypedDict):
    id: int
    reply: dict[str, Any]  # {"ok": value} or {"error": {"kind", "types", "message", "traceback"}}
    seconds: NotRequired[float]
