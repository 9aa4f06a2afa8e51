"""One-hot vectors: the simplest word representation, and the reason we want better ones.

A vocabulary maps each word type to an integer id; a one-hot vector is all zeros except a 1 at
the word's id. Every pair of distinct words is then equally far apart (orthogonal), which is
exactly the problem dense embeddings solve.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np


def build_vocab(tokens: Iterable[str], min_count: int = 1, specials: Sequence[str] = ()) -> dict[str, int]:
    """Map each word type to an integer id.

    Order of ids:
      1. ``specials`` first, in the order given (e.g. ``("<pad>", "<unk>")``);
      2. then every token seen at least ``min_count`` times, by descending count;
         ties are broken alphabetically (not by first occurrence), so the result does not
         depend on the order of the corpus. A special that also occurs in ``tokens`` keeps its
         special id and is not added twice.

    The dict's own order is the id order: ``list(vocab)`` lists the words by id (a dict keeps the
    order its keys were inserted in, so insert them by increasing id). A special listed twice gets
    one id, at its first place: ``specials=["<pad>", "<unk>", "<pad>"]`` gives ``<pad>`` 0, ``<unk>`` 1.

    Example:
        >>> build_vocab(["b", "a", "b", "c"], specials=["<unk>"])
        {'<unk>': 0, 'b': 1, 'a': 2, 'c': 3}
        >>> build_vocab(["apple", "ball", "cat"])
        {'apple': 0, 'ball': 1, 'cat': 2}
    """
    # Hint (~5 lines): collections.Counter, then sorted(..., key=lambda item: (-count, word)).
    ### BEGIN SOLUTION
    vocab = {word: i for i, word in enumerate(dict.fromkeys(specials))}
    counts = Counter(tokens)
    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count >= min_count and word not in vocab:
            vocab[word] = len(vocab)
    return vocab
    ### END SOLUTION


def encode(tokens: Iterable[str], vocab: dict[str, int], unk_token: str | None = None) -> np.ndarray:
    """Token strings -> int64 array of ids.

    A token missing from ``vocab`` maps to ``vocab[unk_token]``; when ``unk_token`` is None it
    raises ``KeyError`` whose message names the token. An ``unk_token`` that is not in ``vocab``
    raises ``KeyError`` naming it, checked first: even when every token is known (a typo in
    ``unk_token`` should not wait for the first unknown word to show up).

    Example:
        >>> encode(["a", "zebra"], {"<unk>": 0, "a": 1}, unk_token="<unk>")
        array([1, 0])
    """
    # Hint (~6 lines)
    ### BEGIN SOLUTION
    unk_id = vocab[unk_token] if unk_token is not None else None
    ids = []
    for token in tokens:
        if token in vocab:
            ids.append(vocab[token])
        elif unk_id is not None:
            ids.append(unk_id)
        else:
            raise KeyError(f"token {token!r} is not in the vocabulary and no unk_token was given")
    return np.array(ids, dtype=np.int64)
    ### END SOLUTION


def one_hot(indices: Sequence[int] | np.ndarray, vocab_size: int) -> np.ndarray:
    """One-hot encode integer ids.

    Shapes: ``indices`` of any shape ``S`` -> float64 array of shape ``S + (vocab_size,)``.
    Raises ``ValueError`` for an id outside ``[0, vocab_size)`` or a non-integer array
    (floats such as ``1.0`` are refused: an id is a count, not a measurement; a bool array too:
    ``True`` is not an id, even though NumPy would index with it). No ids at all is fine, whatever
    the dtype: ``one_hot([], 3)`` is a float64 array of shape ``(0, 3)`` (an empty list reads as a
    float64 array, so an empty float or bool array gives the same, ``(0, 3)``, and is not refused).

    Example:
        >>> one_hot([1], 3)
        array([[0., 1., 0.]])
    """
    # Hint (~8 lines): validate first, then index an identity matrix (np.eye) or use put_along_axis.
    ### BEGIN SOLUTION
    indices = np.asarray(indices)
    if indices.size and not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"one_hot needs integer ids, got an array of dtype {indices.dtype}")
    indices = indices.astype(np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= vocab_size):
        bad = indices[(indices < 0) | (indices >= vocab_size)].flat[0]
        raise ValueError(f"id {bad} is out of range for a vocabulary of size {vocab_size}")
    return np.eye(vocab_size, dtype=np.float64)[indices]
    ### END SOLUTION
