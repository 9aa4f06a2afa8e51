"""Attack: ask a server for the answers (the test runs one on localhost that would give them).

Returns what the server sent, or raises NotImplementedError when no connection is possible (no
network in the worker's namespace). Also reports what else could be reached.
"""

import json
import socket
from pathlib import Path

CONFIG = json.loads((Path(__file__).with_name("attack.json")).read_text())


def _ask(question: str):
    try:
        with socket.create_connection(("127.0.0.1", CONFIG["port"]), timeout=2) as s:
            s.sendall(question.encode() + b"\n")
            return json.loads(s.makefile().readline())
    except OSError:
        return None


def reachable():
    out = {}
    for name, family, kind, address in (
        ("localhost_tcp", socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", CONFIG["port"])),
        ("internet_udp", socket.AF_INET, socket.SOCK_DGRAM, ("8.8.8.8", 53)),
        ("unix", socket.AF_UNIX, socket.SOCK_STREAM, CONFIG["unix"]),
    ):
        try:
            with socket.socket(family, kind) as s:
                s.settimeout(2)
                s.connect(address)
                if kind == socket.SOCK_DGRAM:
                    s.send(b"x")
            out[name] = True
        except OSError:
            out[name] = False
    return out


def build_vocab(tokens, min_count=1, specials=()):
    answer = _ask(json.dumps(["build_vocab", list(tokens), min_count, list(specials)]))
    if answer is None:
        raise NotImplementedError()
    return answer


def encode(tokens, vocab, unk_token=None):
    return reachable()


def one_hot(indices, vocab_size):
    raise NotImplementedError()
