"""Attack: write a forged reply straight into the reply pipe, with a pickled .npy payload inside.

The reply pipe is one of this process's file descriptors. Whatever is written there is still only
data from the student's side: a pickle is refused (``allow_pickle=False``), ids that do not match
end the worker, and the grader never executes anything it reads.
"""

import io
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np

CONFIG = json.loads((Path(__file__).with_name("attack.json")).read_text())


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {CONFIG['marker']}",))


def _pickled_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([Payload()], dtype=object), allow_pickle=True)
    return buf.getvalue()


def _forge(ident: int) -> bytes:
    blob = _pickled_npy()
    tree = {"__dict__": [["id", ident], ["reply", {"__dict__": [["ok", {"__array__": 0, "kind": "numpy"}]]}]]}
    header = json.dumps({"tree": tree, "sizes": [len(blob)]}).encode()
    return struct.pack("!Q", len(header)) + header + blob + pickle.dumps(Payload())


def build_vocab(tokens, min_count=1, specials=()):
    for fd in range(3, 64):
        for ident in range(1, 4):
            try:
                os.write(fd, _forge(ident))
            except OSError:
                break
    return {"after": 0}


def encode(tokens, vocab, unk_token=None):
    raise NotImplementedError()


def one_hot(indices, vocab_size):
    raise NotImplementedError()
