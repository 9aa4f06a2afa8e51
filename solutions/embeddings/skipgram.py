"""Skip-gram with negative sampling (word2vec), gradients by hand.

Mikolov et al. (2013), "Distributed Representations of Words and Phrases and their
Compositionality". Every position ``i`` of a text and every neighbour ``j`` within a window give a
training pair (center word ``c``, outside/context word ``o``). Each word ``w`` has two vectors:
``v_w``, a row of ``W_in`` (the "input" or center vectors, the embeddings one keeps), and ``u_w``, a
row of ``W_out`` (the "output" or outside vectors). The model scores a pair by the dot product
``u_o . v_c``.

Two losses for one pair:
  - the naive softmax over the whole vocabulary, ``-log P(o | c)`` with
    ``P(o | c) = exp(u_o . v_c) / sum_w exp(u_w . v_c)``: exact, but every step touches all ``V``
    output vectors;
  - negative sampling: ``K + 1`` binary questions instead of one ``V``-way one ("is ``o`` a real
    context of ``c``? yes; is each of ``K`` noise words one? no"), so a step touches ``K + 1`` rows.

Conventions of this module (the same in every function):
  - vectors and matrices are float64 NumPy arrays; every gradient has the shape of the argument it
    is the gradient of (``grad_outside_vectors`` is ``(V, D)`` like ``outside_vectors``);
  - a loss is returned as a Python ``float``;
  - an index that appears several times (a negative drawn twice, a word twice in a batch) adds its
    contribution once per appearance, in the loss and in the gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def skipgram_pairs(token_ids: Sequence[int] | np.ndarray, window: int) -> np.ndarray:
    """All (center, context) training pairs of a sequence, as an int64 array of shape ``(N, 2)``.

    For each position ``i`` in order, for each ``j`` in ``[i - window, i + window]`` (both ends
    included) with ``j != i`` and ``0 <= j < len(token_ids)``, in increasing ``j``, one row
    ``(token_ids[i], token_ids[j])``. Positions near the ends simply have fewer neighbours (no
    padding, no wrapping around). A sequence with no pairs (empty, one token, ``window=0``) gives
    an empty ``(0, 2)`` array.

    Example:
        >>> skipgram_pairs([7, 8, 9], window=1)
        array([[7, 8],
               [8, 7],
               [8, 9],
               [9, 8]])
    """
    # Hint (~7 lines): two loops over i and j are fine; or vectorise: the offsets -window..-1, 1..window,
    # every position plus every offset as an (n, 2 * window) array, a boolean mask for 0 <= j < n.
    # Mind range()'s exclusive end, and reshape so that "no pairs" is still (0, 2).
    ### BEGIN SOLUTION
    ids = np.asarray(token_ids, dtype=np.int64)
    n = len(ids)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (2w,) increasing, 0 left out
    i = np.broadcast_to(np.arange(n)[:, None], (n, len(offsets)))  # (n, 2w) center positions
    j = i + offsets[None, :]  # (n, 2w) context positions, increasing along each row
    inside = (j >= 0) & (j < n)  # drop neighbours before the start or after the end
    # Boolean indexing walks the (n, 2w) grid row by row: position i first, then increasing j.
    return np.stack([ids[i[inside]], ids[j[inside]]], axis=1).reshape(-1, 2)
    ### END SOLUTION


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``s(x) = 1 / (1 + exp(-x))``, elementwise: float64, the shape of ``x``.

    Must be exact and warning-free for inputs of magnitude 1000: ``exp(1000)`` overflows to
    ``inf``, and ``exp(x) / (1 + exp(x))`` then gives ``inf / inf = nan``. Use only exponentials of
    non-positive numbers: with ``z = exp(-|x|)`` (in ``(0, 1]``),
    ``s(x) = 1 / (1 + z)`` for ``x >= 0`` and ``s(x) = z / (1 + z)`` for ``x < 0``.
    Useful identity: ``s(-x) = 1 - s(x)``.

    Example:
        >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """
    # Hint (~3 lines): z = np.exp(-np.abs(x)), then np.where(x >= 0, ..., ...).
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    ### END SOLUTION


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the LAST axis: float64, the shape of ``x``; each slice ``x[..., :]`` sums to 1.

        softmax(x)_i = exp(x_i) / sum_j exp(x_j)

    Stable for inputs of magnitude 1000: subtract each slice's maximum first (the result does not
    change, since ``exp(x_i - m) / sum_j exp(x_j - m)`` is the same fraction, but now the largest
    exponent is ``exp(0) = 1`` and nothing overflows).

    Example:
        >>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]))
        array([[0.5 , 0.5 ],
               [0.25, 0.75]])
    """
    # Hint (~4 lines): x.max(axis=-1, keepdims=True); keepdims makes the shapes broadcast.
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))  # every exponent <= 0: no overflow
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


def naive_softmax_loss_and_gradient(center_vec: np.ndarray, outside_idx: int, outside_vectors: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The softmax loss of one (center, outside) pair and its gradients.

    Shapes: ``center_vec`` ``v_c`` is ``(D,)``, ``outside_vectors`` ``U`` is ``(V, D)`` (one row
    ``u_w`` per word), ``outside_idx`` ``o`` is an int in ``[0, V)``. With ``y_hat = softmax(U v_c)``
    ``(V,)`` and ``y`` the one-hot vector of ``o``:

        loss                 = -log y_hat[o]
        grad_center_vec      = U^T (y_hat - y)               (D,)
        grad_outside_vectors = (y_hat - y) v_c^T             (V, D): every word's row, not only o's

    Returns ``(loss, grad_center_vec, grad_outside_vectors)``, ``loss`` a Python float.

    Example (``U = 0``: every word equally likely):
        >>> loss, g_v, g_U = naive_softmax_loss_and_gradient(np.ones(2), 0, np.zeros((4, 2)))
        >>> round(loss, 4), g_v            # log 4; U^T (...) = 0
        (1.3863, array([0., 0.]))
        >>> g_U[:, 0]                      # (y_hat - y) * v_c[0]: 1/4 - 1 for o, 1/4 for the others
        array([-0.75,  0.25,  0.25,  0.25])
    """
    # Hint (~6 lines): y_hat = softmax(outside_vectors @ center_vec); delta = y_hat - y (copy y_hat,
    # subtract 1 at outside_idx); np.outer for the (V, D) gradient.
    ### BEGIN SOLUTION
    y_hat = softmax(outside_vectors @ center_vec)  # (V,): P(w | c) for every word w
    loss = -float(np.log(y_hat[outside_idx]))
    delta = y_hat.copy()  # (V,): y_hat - y, the gradient of the loss with respect to the scores U v_c
    delta[outside_idx] -= 1.0
    grad_center_vec = outside_vectors.T @ delta  # (D,)
    grad_outside_vectors = np.outer(delta, center_vec)  # (V, D)
    return loss, grad_center_vec, grad_outside_vectors
    ### END SOLUTION


def neg_sampling_loss_and_gradient(
    center_vec: np.ndarray,
    outside_idx: int,
    outside_vectors: np.ndarray,
    negative_indices: Sequence[int] | np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray]:
    """The negative-sampling loss of one (center, outside) pair and its gradients.

    Shapes as in :func:`naive_softmax_loss_and_gradient`; ``negative_indices`` holds ``K`` word ids
    ``k_1..k_K`` drawn from the noise distribution. With ``s`` the sigmoid:

        loss = -log s(u_o . v_c) - sum_k log s(-u_k . v_c)

        grad_center_vec              = (s(u_o . v_c) - 1) u_o + sum_k s(u_k . v_c) u_k
        grad_outside_vectors[o]     += (s(u_o . v_c) - 1) v_c
        grad_outside_vectors[k]     += s(u_k . v_c) v_c          for each drawn k
        every other row of grad_outside_vectors is 0

    (use ``d/dx [-log s(x)] = s(x) - 1`` and ``d/dx [-log s(-x)] = s(x)``).

    Repeats count: a word drawn twice as a negative appears twice in the sum, so it adds twice to
    the loss and twice to its row of the gradient. ``grad[idx] += g`` does NOT do that (NumPy
    applies a repeated fancy index once); use ``np.add.at(grad, idx, g)``. The outside word itself
    may be drawn as a negative: its row then gets both contributions.

    Returns ``(loss, grad_center_vec, grad_outside_vectors)``, ``loss`` a Python float.

    Example (``v_c = 0``: every ``s(.) = 1/2``, so the loss is ``(1 + K) log 2``):
        >>> U = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
        >>> loss, g_v, g_U = neg_sampling_loss_and_gradient(np.zeros(2), 0, U, [2, 2])
        >>> round(loss, 4), g_v            # 3 log 2;  -u_0 / 2 + u_2 / 2 + u_2 / 2
        (2.0794, array([2.5, 3. ]))
    """
    # Hint (~10 lines): index the rows (u_o = outside_vectors[outside_idx], u_k = outside_vectors[negative_indices]
    # of shape (K, D)), the scores by dot products, then the formulas above with np.zeros_like and np.add.at.
    ### BEGIN SOLUTION
    negative_indices = np.asarray(negative_indices, dtype=np.int64)
    u_o = outside_vectors[outside_idx]  # (D,)
    u_k = outside_vectors[negative_indices]  # (K, D): one row per draw, a repeated draw repeated
    s_o = sigmoid(u_o @ center_vec)  # (): how sure the model is that o is a real context
    s_k = sigmoid(u_k @ center_vec)  # (K,): how sure it is, wrongly, that each noise word is one
    loss = float(-np.log(s_o) - np.sum(np.log(sigmoid(-(u_k @ center_vec)))))
    grad_center_vec = (s_o - 1.0) * u_o + s_k @ u_k  # (D,)
    grad_outside_vectors = np.zeros_like(outside_vectors)  # (V, D)
    grad_outside_vectors[outside_idx] += (s_o - 1.0) * center_vec
    np.add.at(grad_outside_vectors, negative_indices, s_k[:, None] * center_vec[None, :])  # repeats add up
    return loss, grad_center_vec, grad_outside_vectors
    ### END SOLUTION


def noise_distribution(counts: Sequence[float] | np.ndarray, power: float = 0.75) -> np.ndarray:
    """The noise distribution of negative sampling: ``P(w) = counts[w]**power / sum_w' counts[w']**power``.

    ``counts`` ``(V,)`` holds each word's frequency in the corpus; the result is float64 ``(V,)``
    and sums to 1. word2vec's ``power = 3/4`` flattens the unigram distribution a little: rare
    words are drawn more often than their frequency alone would give, very frequent ones
    ("the", "of") less. ``power=1`` is the plain unigram distribution, ``power=0`` the uniform one
    over all words. A word with count 0 gets probability 0 (for ``power > 0``).

    ``ValueError`` when a count is negative or all counts are 0 (nothing to normalise).

    Example:
        >>> noise_distribution([1, 16])       # 1**0.75 = 1, 16**0.75 = 8
        array([0.11111111, 0.88888889])
    """
    # Hint (~5 lines): validate, raise to the power, then divide by the sum.
    ### BEGIN SOLUTION
    counts = np.asarray(counts, dtype=np.float64)
    if np.any(counts < 0) or not np.any(counts > 0):
        raise ValueError("counts must be non-negative with at least one positive count")
    weights = counts**power  # (V,)
    return weights / weights.sum()
    ### END SOLUTION


def sgns_batch_loss_and_gradients(
    W_in: np.ndarray,
    W_out: np.ndarray,
    centers: np.ndarray,
    contexts: np.ndarray,
    negatives: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray]:
    """The negative-sampling loss of a batch of pairs, averaged over the batch, and its gradients.

    Shapes: ``W_in``, ``W_out`` ``(V, D)``; ``centers``, ``contexts`` int ``(B,)`` (``B >= 1``; pair
    ``b`` is ``(centers[b], contexts[b])``); ``negatives`` int ``(B, K)`` (the ``K`` noise words of
    pair ``b`` are ``negatives[b]``). With ``v_b = W_in[centers[b]]``, ``u_b = W_out[contexts[b]]``
    and ``u_bk = W_out[negatives[b, k]]``:

        loss = (1 / B) sum_b [ -log s(u_b . v_b) - sum_k log s(-u_bk . v_b) ]

    i.e. the mean over the batch of :func:`neg_sampling_loss_and_gradient`'s loss, so every
    gradient carries the factor ``1 / B`` as well. Returns ``(loss, grad_W_in, grad_W_out)``:
    ``loss`` a Python float, the gradients ``(V, D)`` like ``W_in`` and ``W_out``; rows of words not
    in the batch are 0.

    Vectorised: no Python loop over the batch (gather the rows with fancy indexing, dot products
    with ``np.sum(a * b, axis=-1)`` or ``np.einsum``). Repeated indices accumulate: the same center
    in two pairs, a context that is also another pair's negative, a negative drawn twice; scatter
    the per-pair gradients back with ``np.add.at``.

    Example: with ``B = 1`` it equals ``neg_sampling_loss_and_gradient(W_in[c], o, W_out, negatives[0])``
    with ``grad_center_vec`` put in row ``c`` of ``grad_W_in``.
    """
    # Hint (~14 lines): v = W_in[centers] (B, D), u_o = W_out[contexts] (B, D), u_k = W_out[negatives] (B, K, D);
    # scores by einsum; g_pos = (s(pos) - 1) / B and g_neg = s(neg) / B are the gradients with respect to the scores;
    # then np.add.at(grad_W_in, centers, ...) and np.add.at(grad_W_out, contexts | negatives, ...).
    ### BEGIN SOLUTION
    centers = np.asarray(centers, dtype=np.int64)
    contexts = np.asarray(contexts, dtype=np.int64)
    negatives = np.asarray(negatives, dtype=np.int64)
    B = len(centers)
    v = W_in[centers]  # (B, D) center vectors
    u_o = W_out[contexts]  # (B, D) true context vectors
    u_k = W_out[negatives]  # (B, K, D) noise vectors
    pos = np.einsum("bd,bd->b", u_o, v)  # (B,) u_o . v
    neg = np.einsum("bkd,bd->bk", u_k, v)  # (B, K) u_k . v
    loss = float(np.mean(-np.log(sigmoid(pos)) - np.sum(np.log(sigmoid(-neg)), axis=1)))
    g_pos = (sigmoid(pos) - 1.0) / B  # (B,) d loss / d (u_o . v)
    g_neg = sigmoid(neg) / B  # (B, K) d loss / d (u_k . v)
    grad_v = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)  # (B, D)
    grad_W_in = np.zeros_like(W_in)  # (V, D)
    np.add.at(grad_W_in, centers, grad_v)  # a center in several pairs collects all of them
    grad_W_out = np.zeros_like(W_out)  # (V, D)
    np.add.at(grad_W_out, contexts, g_pos[:, None] * v)  # repeats add up: a context in several pairs ...
    np.add.at(grad_W_out, negatives, g_neg[:, :, None] * v[:, None, :])  # ... a negative drawn twice, or drawn as a context
    return loss, grad_W_in, grad_W_out
    ### END SOLUTION


def train_skipgram(
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
    """Train skip-gram with negative sampling by minibatch SGD; returns ``(W_in, W_out)``, float64 ``(V, dim)``.

    The recipe, step by step (follow it exactly and your vectors equal the reference's for the
    same seed; all randomness comes from ONE generator, used in this order):

      1. ``rng = np.random.default_rng(seed)``;
      2. ``W_in = rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))`` (word2vec's
         initialisation: small random center vectors) and ``W_out = np.zeros((vocab_size, dim))``
         (zeros, as in word2vec; the first step therefore only moves ``W_out``);
      3. ``pairs = skipgram_pairs(token_ids, window)`` and the noise distribution
         ``noise_distribution(counts)`` (power 3/4), with ``counts = np.bincount(token_ids, minlength=vocab_size)``;
      4. each epoch: ``order = rng.permutation(len(pairs))`` (a new shuffle every epoch), then for each
         batch of ``batch_size`` consecutive entries of ``order`` (the last batch may be smaller):
         ``negatives = rng.choice(vocab_size, size=(B, num_negatives), p=noise)``, the batch's
         gradients from :func:`sgns_batch_loss_and_gradients`, and the SGD step
         ``W_in -= lr * grad_W_in``, ``W_out -= lr * grad_W_out``.

    A negative that happens to equal the true context word is kept, not redrawn. Because the batch
    loss is a mean, ``lr`` is the step for the *average* pair, so a good ``lr`` grows with the batch
    size: about 1 for batches of 128 on a small corpus, 50 to 100 for batches of 1024 (much larger
    than word2vec's per-pair 0.025). Too large a step diverges: the vectors blow up to inf/NaN.

    ``epochs=0`` returns the initial ``(W_in, W_out)``, and so does a corpus with no pairs (a single
    token). An empty ``token_ids`` raises ``ValueError``: with no counts there is no noise
    distribution to draw negatives from (step 3 raises it: ``noise_distribution`` refuses all-zero counts).
    An id outside ``[0, vocab_size)`` raises ``ValueError`` naming it, before step 1 (a negative id
    would otherwise index from the end of ``W_in``, and one too large fail deep inside NumPy).
    """
    # Hint (~14 lines): follow the numbered recipe; the negatives of a batch are one rng.choice call.
    ### BEGIN SOLUTION
    ids = np.asarray(token_ids, dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        bad = ids[(ids < 0) | (ids >= vocab_size)][0]
        raise ValueError(f"token id {bad} is out of range for vocab_size {vocab_size}")
    rng = np.random.default_rng(seed)
    W_in = rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))  # (V, D)
    W_out = np.zeros((vocab_size, dim))  # (V, D)
    pairs = skipgram_pairs(ids, window)  # (N, 2)
    noise = noise_distribution(np.bincount(ids, minlength=vocab_size))  # (V,)

    for _ in range(epochs):
        order = rng.permutation(len(pairs))  # a fresh shuffle each epoch
        for start in range(0, len(pairs), batch_size):
            batch = pairs[order[start : start + batch_size]]  # (B, 2)
            negatives = rng.choice(vocab_size, size=(len(batch), num_negatives), p=noise)  # (B, K)
            _, grad_in, grad_out = sgns_batch_loss_and_gradients(W_in, W_out, batch[:, 0], batch[:, 1], negatives)
            W_in -= lr * grad_in
            W_out -= lr * grad_out
    return W_in, W_out
    ### END SOLUTION
