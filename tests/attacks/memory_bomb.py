"""Attack: allocate far more memory than allowed (bounded at 3 GiB, in case the limit is missing)."""

import numpy as np

GIB = 1 << 30


def build_vocab(tokens, min_count=1, specials=()):
    block = bytearray(3 * GIB)  # MemoryError under the worker's address-space limit
    return {"size": len(block)}


def encode(tokens, vocab, unk_token=None):
    blocks = []
    for _ in range(3):
        blocks.append(np.ones(GIB // 8))  # touched pages, 1 GiB each
    return np.zeros(len(blocks), dtype=np.int64)


def one_hot(indices, vocab_size):
    raise NotImplementedError()
