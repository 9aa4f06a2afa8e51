"""Attack: replies built to hurt the grader, written straight into the reply pipe.

``attack.json``'s ``"kind"`` picks one: ``"shape"`` (an .npy header claiming 2**40 float64 elements
for a 100-byte blob), ``"nesting"`` (JSON nested 100 000 deep), ``"header"`` (a header length of
2**40). The grader must refuse each before allocating it, fail that call, and go on.
"""

import json
import os
import struct
from pathlib import Path

KIND = json.loads((Path(__file__).with_name("attack.json")).read_text())["kind"]


def _message(ident: int) -> bytes:
    if KIND == "header":
        return struct.pack("!Q", 1 << 40)
    if KIND == "nesting":
        header = b'{"tree": ' + b"[" * 100_000 + b"]" * 100_000 + b', "sizes": []}'
        return struct.pack("!Q", len(header)) + header
    text = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }".ljust(117) + b"\n"
    blob = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + b"\0" * 100
    tree = {"__dict__": [["id", ident], ["reply", {"__dict__": [["ok", {"__array__": 0, "kind": "numpy"}]]}]]}
    header = json.dumps({"tree": tree, "sizes": [len(blob)]}).encode()
    return struct.pack("!Q", len(header)) + header + blob


def build_vocab(tokens, min_count=1, specials=()):
    for ident in range(1, 6):
        for fd in range(3, 32):
            try:
                os.write(fd, _message(ident))
            except OSError:
                continue
    os._exit(0)


def encode(tokens, vocab, unk_token=None):
    return [len(list(tokens))]


def one_hot(indices, vocab_size):
    raise NotImplementedError()
