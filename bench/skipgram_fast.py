"""The fast path of the reference ``train_skipgram`` (bench only): the same numbers as the recipe, 2.5x faster.

The reference (``solutions/embeddings/skipgram.py``) is the exercise's recipe written plainly: negatives from
``rng.choice(vocab_size, size, p=noise)`` and gradients scattered with ``np.add.at``. Two changes make the same
computation fast, and a kit test (``tests/kit/test_reference_skipgram.py``) holds them to the recipe bit for bit:

- **Negatives from a bucket table.** ``rng.choice(..., p=noise)`` draws ``u = rng.random(size)`` and binary-searches
  the normalised cumulative distribution for each ``u``: a third of the training time. word2vec samples from a table
  instead; this one is exact. Each of 2^16 equal buckets of [0, 1) knows the answers at its two ends; a draw whose
  bucket holds no word boundary (all but ~3%) reads its answer there, the others are searched as ``rng.choice``
  does. The same numbers, from the same stream.
- **The scatter as one ``np.bincount``** over the flat positions ``index * D + d``: the same sums, added in the same
  order as ``np.add.at``'s row-at-a-time loop (5x faster).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType

import numpy as np

BUCKETS = 1 << 16


def bucket_sampler(noise: np.ndarray, rng: np.random.Generator) -> Callable[[tuple[int, int]], np.ndarray]:
    """``draw(size)``: the numbers ``rng.choice(len(noise), size, p=noise)`` would give, from a bucket table."""
    cdf = noise.cumsum()
    cdf /= cdf[-1]
    ends = cdf.searchsorted(np.arange(BUCKETS + 1) / BUCKETS, side="right")  # (BUCKETS + 1,)

    def draw(size: tuple[int, int]) -> np.ndarray:
        u = rng.random(size)
        bucket = (u * BUCKETS).astype(np.int64)  # exact: the scale is a power of two
        words = ends[bucket]
        unsure = ends[bucket + 1] != words
        words[unsure] = cdf.searchsorted(u[unsure], side="right")
        return words

    return draw


def scatter_add(index: np.ndarray, rows: np.ndarray, num_rows: int) -> np.ndarray:
    """``np.add.at(np.zeros((num_rows, D)), index, rows)`` as one ``np.bincount`` (same sums, same order)."""
    D = rows.shape[1]
    flat = (index[:, None] * D + np.arange(D)).ravel()  # (len(index) * D,)
    return np.bincount(flat, weights=rows.ravel(), minlength=num_rows * D).reshape(num_rows, D)


def sgns_gradients(sg: ModuleType, W_in: np.ndarray, W_out: np.ndarray, batch: np.ndarray, negatives: np.ndarray):
    """The reference's ``sgns_batch_loss_and_gradients`` gradients, scattered with :func:`scatter_add`."""
    centers, contexts = batch[:, 0], batch[:, 1]
    B, D = len(centers), W_in.shape[1]
    v, u_o, u_k = W_in[centers], W_out[contexts], W_out[negatives]  # (B, D), (B, D), (B, K, D)
    g_pos = (sg.sigmoid(np.einsum("bd,bd->b", u_o, v)) - 1.0) / B  # (B,)
    g_neg = sg.sigmoid(np.einsum("bkd,bd->bk", u_k, v)) / B  # (B, K)
    grad_v = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)  # (B, D)
    words = np.concatenate([contexts, negatives.ravel()])  # the contexts, then every negative: np.add.at's order
    rows = np.concatenate([g_pos[:, None] * v, (g_neg[:, :, None] * v[:, None, :]).reshape(-1, D)])
    return scatter_add(centers, grad_v, len(W_in)), scatter_add(words, rows, len(W_out))


def train_skipgram_fast(
    sg: ModuleType,
    token_ids: Sequence[int] | np.ndarray,
    vocab_size: int,
    dim: int,
    window: int,
    num_negatives: int,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``sg.train_skipgram`` (``sg``: the reference's ``embeddings.skipgram``) with the two fast paths above."""
    ids = np.asarray(token_ids, dtype=np.int64)
    rng = np.random.default_rng(seed)
    W_in = rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))
    W_out = np.zeros((vocab_size, dim))
    pairs = sg.skipgram_pairs(ids, window)
    draw = bucket_sampler(sg.noise_distribution(np.bincount(ids, minlength=vocab_size)), rng)
    for _ in range(epochs):
        order = rng.permutation(len(pairs))
        for start in range(0, len(pairs), batch_size):
            batch = pairs[order[start : start + batch_size]]
            grad_in, grad_out = sgns_gradients(sg, W_in, W_out, batch, draw((len(batch), num_negatives)))
            W_in -= lr * grad_in
            W_out -= lr * grad_out
    return W_in, W_out
