"""Attack: return objects that lie about equality, or that would run code when unpickled.

If the grader compared these objects themselves (or unpickled them), a wrong answer could pass or
the payload would run in the trusted process and touch ``attack.json``'s marker. The protocol
sends plain data only, so each arrives as a plain value (wrong) or is refused.
"""

import json
import os
from pathlib import Path

import numpy as np

CONFIG = json.loads((Path(__file__).with_name("attack.json")).read_text())


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {CONFIG['marker']}",))


class Liar(dict):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


class LiarArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)


def build_vocab(tokens, min_count=1, specials=()):
    return Liar(wrong=0)  # reaches the grader as a plain dict {"wrong": 0}


def encode(tokens, vocab, unk_token=None):
    if unk_token is None:
        return Payload()  # refused: not a type the protocol carries
    return np.zeros(len(list(tokens)), dtype=np.int64).view(LiarArray)  # a plain ndarray of zeros


def one_hot(indices, vocab_size):
    out = np.empty(np.shape(indices) + (vocab_size,), dtype=object)
    out[...] = Payload()
    return out  # refused: object arrays do not cross
