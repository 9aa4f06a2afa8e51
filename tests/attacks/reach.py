"""Attack: reach everything outside the sandbox; ``build_vocab()`` reports what succeeded.

``attack.json`` names what to try: ``"read"`` (other submissions, the reference, the hidden suites,
the grader's files), ``"write"`` (the results path, the grader's files, shared temp folders),
``"grader_pid"`` (its ``/proc`` entries, signals), ``"port"`` (a TCP server on 127.0.0.1),
``"unix"`` (a Unix socket outside) and ``"secret"`` (a string no inherited descriptor may hold).
Every key of the answer names one way out; the grader's promise is that each is False.
"""

import json
import os
import signal
import socket
from pathlib import Path

CONFIG = json.loads((Path(__file__).with_name("attack.json")).read_text())


def _try(action) -> bool:
    try:
        action()
        return True
    except (OSError, ValueError):
        return False


def _read(path: str) -> None:
    if os.path.isdir(path):
        os.listdir(path)
    else:
        with open(path, "rb") as f:
            f.read(1)


def _write(path: str) -> None:
    with open(path, "a") as f:
        f.write("")


def _tcp() -> None:
    with socket.create_connection(("127.0.0.1", CONFIG["port"]), timeout=2):
        pass


def _unix() -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        s.connect(CONFIG["unix"])


def _descriptors() -> bool:
    """Does any open descriptor (inherited or the grader's, through /proc) hold the secret?"""
    found = False
    for folder in ("/proc/self/fd", f"/proc/{CONFIG['grader_pid']}/fd"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:  # non-blocking: one of them is the request pipe, which holds nothing during a call
                fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                found |= CONFIG["secret"].encode() in os.read(fd, 1 << 16)
            except OSError:
                pass
            finally:
                os.close(fd)
    return found


def build_vocab(tokens, min_count=1, specials=()):
    pid = CONFIG["grader_pid"]
    out = {f"read {p}": _try(lambda p=p: _read(p)) for p in CONFIG["read"]}
    out.update({f"write {p}": _try(lambda p=p: _write(p)) for p in CONFIG["write"]})
    out[f"/proc/{pid}/environ"] = _try(lambda: _read(f"/proc/{pid}/environ"))
    out[f"/proc/{pid}/mem"] = _try(lambda: _read(f"/proc/{pid}/mem"))
    out["signal the grader"] = _try(lambda: os.kill(pid, 0))
    out["signal the grader's group"] = _try(lambda: os.killpg(os.getpgid(pid), 0))
    _try(lambda: os.kill(-1, signal.SIGCONT))  # the test watches for it arriving (kill(-1) succeeds even when refused)
    out["tcp 127.0.0.1"] = _try(_tcp)
    out["unix socket outside"] = _try(_unix)
    out["secret in a descriptor"] = _descriptors()
    return out


def encode(tokens, vocab, unk_token=None):
    raise NotImplementedError()


def one_hot(indices, vocab_size):
    raise NotImplementedError()
