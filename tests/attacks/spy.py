"""Not an attack: reports what student code can see and do from inside the worker.

``build_vocab(paths)`` returns a dict of observations (ids, flags, environment, which of ``paths``
can be read or listed, what ``/proc`` shows, the resource limits); tests/kit/test_worker.py checks
them against the sandbox's promises.
"""

import os
import resource
import socket
import sys


def _readable(path: str) -> bool:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False


def build_vocab(paths, min_count=1, specials=()):
    package = os.path.join(sys.path[0], "autograder")  # the worker's runtime folder: what of the grader is there?

    try:
        with socket.create_connection(("127.0.0.1", int(min_count)), timeout=2):
            connected = True
    except OSError:
        connected = False
    limits = {name: resource.getrlimit(getattr(resource, f"RLIMIT_{name.upper()}"))[0] for name in ("as", "cpu", "nproc", "nofile", "fsize", "core")}
    return {
        "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
        "isolated": sys.flags.isolated, "no_user_site": sys.flags.no_user_site, "ignore_environment": sys.flags.ignore_environment,
        "env": sorted(os.environ), "cwd": os.getcwd(), "path": list(sys.path),
        "readable": {p: _readable(p) for p in paths},
        "processes": len([p for p in os.listdir("/proc") if p.isdigit()]),
        "connected": connected, "limits": limits, "pid": os.getpid(),
        "package": sorted(os.listdir(package)),
        "runtime": sorted(os.listdir(os.path.join(package, "runtime"))),
    }


def encode(tokens, vocab, unk_token=None):
    """Start a detached grandchild (new session) that lingers up to 20 s (where the worker may fork at all)."""
    try:
        child = os.fork()
    except OSError:  # refused: the worker's seccomp filter allows threads, not processes
        return [0] * len(list(tokens))
    if child == 0:
        try:
            os.setsid()  # refused by the worker's seccomp filter: it stays in the worker's process group
        except OSError:
            pass
        if os.fork() == 0:
            import time

            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                time.sleep(0.1)
        os._exit(0)
    os.wait()
    return [0] * len(list(tokens))


def one_hot(indices, vocab_size):
    print("hello from the student", flush=True)
    return [int(i) for i in indices]
