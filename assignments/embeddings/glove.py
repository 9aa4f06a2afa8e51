"""GloVe: word vectors fitted to the logarithm of global co-occurrence counts.

Pennington, Socher and Manning (2014), "GloVe: Global Vectors for Word Representation".
Instead of predicting context words one window at a time (skip-gram), GloVe first counts how
often each pair of words occurs near each other in the whole corpus, giving a matrix ``X``, and
then fits

    w_i . w~_j + b_i + b~_j  ~  log X_ij

by weighted least squares. Two tables of vectors are learnt (``W`` for words, ``W_ctx`` for
context words) with one bias each; the weight ``f(X_ij)`` keeps rare, noisy pairs from counting
as much as frequent ones and caps very frequent pairs so they do not dominate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def cooccurrence_matrix(token_ids: Sequence[int] | np.ndarray, vocab_size: int, window: int) -> np.ndarray:
    """Distance-weighted co-occurrence counts ``X`` of shape ``(V, V)``, float64, symmetric.

    For every position ``i`` and every other position ``j`` with ``|i - j| <= window`` (inside the
    sequence), ``X[t_i, t_j] += 1 / |i - j|``: a neighbour at distance 1 counts 1, at distance 2
    counts 1/2, and so on (GloVe's harmonic weighting: nearer words say more about a word).
    Every pair is seen from both ends, so ``X`` is symmetric; a word next to itself adds to the
    diagonal twice. An id outside ``[0, vocab_size)`` raises ``ValueError`` naming it (a negative id
    would otherwise count silently for the word at the end of the vocabulary).

    Example (``window=2``):
        >>> cooccurrence_matrix([0, 1, 2], 3, 2)
        array([[0. , 1. , 0.5],
               [1. , 0. , 1. ],
               [0.5, 1. , 0. ]])
        >>> cooccurrence_matrix([0, 0], 1, 1)   # the pair (0, 0) seen from both positions
        array([[2.]])
    """
    # Hint (~6 lines): loop over the distance d = 1..window (not over positions): the pairs at
    # distance d are (ids[:-d], ids[d:]). Use np.add.at, since X[rows, cols] += w does not add
    # twice when a pair repeats.
    # YOUR CODE HERE
    raise NotImplementedError()


def glove_weight(x: np.ndarray | float, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weighting function ``f``, elementwise, float64, the shape of ``x``.

        f(x) = (x / x_max) ** alpha   if x < x_max
               1                      otherwise

    ``f(0) = 0``, so pairs never seen contribute nothing; the cap at 1 stops the most frequent
    pairs ("of the", ", and") from dominating the loss. ``x`` is a co-occurrence count, never
    negative: a negative entry raises ``ValueError`` (``(x / x_max) ** 0.75`` would be NaN).

    Example:
        >>> glove_weight(np.array([0.0, 50.0, 100.0, 400.0]), x_max=100.0, alpha=0.5)
        array([0.        , 0.70710678, 1.        , 1.        ])
    """
    # Hint (~4 lines): refuse x < 0; np.where(condition, value_if_true, value_if_false).
    # YOUR CODE HERE
    raise NotImplementedError()


def glove_loss_and_gradients(
    W: np.ndarray,
    W_ctx: np.ndarray,
    b: np.ndarray,
    b_ctx: np.ndarray,
    X: np.ndarray,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The GloVe loss over the whole matrix and its gradients.

        loss = sum over (i, j) with X_ij > 0 of  f(X_ij) * (w_i . w~_j + b_i + b~_j - log X_ij) ** 2

    (no factor 1/2, as in the paper). Pairs with ``X_ij = 0`` are left out: their log is -inf.

    Shapes: ``W``, ``W_ctx`` ``(V, D)``; ``b``, ``b_ctx`` ``(V,)``; ``X`` ``(V, V)`` (need not be
    symmetric: row ``i`` is the word, column ``j`` the context). Returns
    ``(loss, dW, dW_ctx, db, db_ctx)``: ``loss`` a Python float, each gradient float64 and of
    the shape of its parameter.

    With ``g_ij = 2 f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)`` (zero where ``X_ij = 0``):
    ``dW = g W_ctx``, ``dW_ctx = g^T W``, ``db = g summed over j``, ``db_ctx = g summed over i``.
    Vectorise: no Python loop over words.
    """
    # Hint (~10 lines): a boolean mask X > 0; log X only where the mask is True (np.log(X, where=...,
    # out=np.zeros_like(X))); the weights f(X) times the mask; then the formulas above.
    # YOUR CODE HERE
    raise NotImplementedError()
