"""What skipgram's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

import numpy as np

from autograder.grading.compare import AnyOf
from autograder.grading.mistakes.names import (
    DEDUPLICATED,
    GRADIENT_SIGN,
    NOT_ACCUMULATED,
    SOFTMAX_GLOBAL_MAX,
    SOFTMAX_NOT_STABILISED,
    SOFTMAX_OTHER_AXIS,
    Y_NOT_SUBTRACTED,
)


def sig(x: np.ndarray) -> np.ndarray:
    """A stable sigmoid of the suite's own (tanh never overflows)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def pairs_variant(
    ids, window, lo: int, hi: int, keep_self=False, wrap=False, by_offset=False, swap=False
) -> np.ndarray:
    """Pairs for the offsets lo..hi (inclusive), with switches for the known mistakes."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    offsets = [d for d in range(lo, hi + 1) if keep_self or d != 0]
    order = (
        [(i, i + d) for d in offsets for i in range(n)]
        if by_offset
        else [(i, i + d) for i in range(n) for d in offsets]
    )
    rows = [(ids[j], ids[i]) if swap else (ids[i], ids[j]) for i, j in order if j < n and (j >= 0 or wrap and j >= -n)]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def pairs_mistakes(ids, window) -> dict:
    w = window
    return {
        "window off by one: |i - j| < window, but the window includes |i - j| = window": lambda: pairs_variant(
            ids, w, -w + 1, w - 1
        ),
        "window off by one on the right: j stops at i + window - 1 (range's end is exclusive: use i + window + "
        "1)": lambda: pairs_variant(ids, w, -w, w - 1),
        "window off by one: |i - j| <= window + 1": lambda: pairs_variant(ids, w, -w - 1, w + 1),
        "pairs include j == i: a word is not its own context": lambda: pairs_variant(ids, w, -w, w, keep_self=True),
        "positions before the start wrap around to the end (a negative index): keep only 0 <= j < len": lambda: (
            pairs_variant(ids, w, -w, w, wrap=True)
        ),
        "pairs ordered by offset: the order is each position i, then each j in increasing order": lambda: pairs_variant(
            ids, w, -w, w, by_offset=True
        ),
        "columns swapped: each row is (center, context)": lambda: pairs_variant(ids, w, -w, w, swap=True),
    }


def softmax_mistakes(x: np.ndarray) -> dict:
    def over(axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def unstable():
        with np.errstate(all="ignore"):
            e = np.exp(x)
            return e / e.sum(axis=-1, keepdims=True)

    def row_max_whole_sum():
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum()

    def global_max():
        with np.errstate(all="ignore"):
            e = np.exp(x - x.max())
            return e / e.sum(axis=-1, keepdims=True)

    return {
        SOFTMAX_NOT_STABILISED: unstable,
        SOFTMAX_GLOBAL_MAX: global_max,
        # the sum taken over every axis, whichever max was subtracted: one slip
        "softmax over the whole array instead of the last axis": AnyOf(lambda: over(None), row_max_whole_sum),
        SOFTMAX_OTHER_AXIS: AnyOf(*(lambda axis=axis: over(axis) for axis in range(x.ndim - 1))),
    }


NAIVE_OUT = ("loss", "grad_center_vec", "grad_outside_vectors")


def softmax_loss(U, h, target, *, stable=True, subtract_y=True) -> tuple[float, np.ndarray]:
    """-log softmax(U h)[target] and its gradient with respect to the scores, y_hat - y (switches: the two mistakes)."""
    with np.errstate(all="ignore"):
        scores = U @ h
        e = np.exp(scores - scores.max()) if stable else np.exp(scores)
        y_hat = e / e.sum()
        loss = -float(np.log(y_hat[target]))
    delta = y_hat.copy()
    if subtract_y:
        delta[target] -= 1.0
    return loss, delta


def naive_variant(v, o, U, sign=1.0, subtract_y=True, all_rows=True, stable=True):
    loss, delta = softmax_loss(U, v, o, stable=stable, subtract_y=subtract_y)
    g_v, g_U = sign * (U.T @ delta), sign * np.outer(delta, v)
    if not all_rows:
        g_U = np.where(np.arange(len(U))[:, None] == o, g_U, 0.0)
    return loss, g_v, g_U


def naive_mistakes(v, o, U) -> dict:
    return {
        GRADIENT_SIGN: lambda: naive_variant(v, o, U, sign=-1.0),
        Y_NOT_SUBTRACTED: lambda: naive_variant(v, o, U, subtract_y=False),
        "grad_outside_vectors only in the outside word's row: every word w gets (y_hat[w] - y[w]) v_c": lambda: (
            naive_variant(v, o, U, all_rows=False)
        ),
        SOFTMAX_NOT_STABILISED: lambda: naive_variant(v, o, U, stable=False),
    }


NEG_SIGN = "sign error in the negative-sample terms: d/dx [-log s(-x)] = +s(x), so they add s(u_k . v_c) u_k"


# A term of the two gradients left out (the family "a missing term", wherever it is missed) -> how it reads.
NEG_TERMS = {
    "center_outside": "grad_center_vec misses the outside word's term (s(u_o . v_c) - 1) u_o",
    "center_negatives": "grad_center_vec misses the negatives' term: the center's gradient also sums s(u_k . v_c) u_k "
    "over the negative samples",
    "rows_outside": "grad_outside_vectors misses the outside word's row (s(u_o . v_c) - 1) v_c",
    "rows_negatives": "grad_outside_vectors misses the negatives' rows s(u_k . v_c) v_c",
}


# The other vector of a dot product taken in one term of the gradients (the family "the wrong vector", wherever
# it is taken) -> how it reads: d/dv_c (u . v_c) is u, and d/du (u . v_c) is v_c.
WRONG_VECTOR = {
    "center_outside": "grad_center_vec's outside term multiplies v_c instead of u_o: d/dv_c (u_o . v_c) = u_o",
    "center_negatives": "grad_center_vec's negatives' term multiplies v_c instead of u_k: d/dv_c (u_k . v_c) = u_k",
    "rows_outside": "the outside word's row gradient multiplies u_o instead of v_c: d/du_o (u_o . v_c) = v_c",
    "rows_negatives": "a negative's row gradient multiplies its own u_k instead of v_c: d/du_k (u_k . v_c) = v_c",
}


def dot_partners(wrong: str, v, u_o, u_k) -> dict:
    """The vector each gradient term multiplies (the other factor of its dot product), for one center word (v
    (d,), u_o (d,), u_k (K, d)) or a batch ((B, d), (B, d), (B, K, d)); the term ``wrong`` (a key of
    :data:`WRONG_VECTOR`) takes its own factor instead."""
    v_k = np.expand_dims(v, -2)  # (1, d) or (B, 1, d): against each negative's u_k
    return {
        "center_outside": v if wrong == "center_outside" else u_o,
        "center_negatives": np.broadcast_to(v_k, u_k.shape) if wrong == "center_negatives" else u_k,
        "rows_outside": u_o if wrong == "rows_outside" else v,
        "rows_negatives": u_k if wrong == "rows_negatives" else v_k,
    }


def neg_variant(
    v,
    o,
    U,
    negs,
    accumulate=True,
    dedup=False,
    sign=1.0,
    neg_sign=1.0,
    one_minus=False,
    overwrite_o=False,
    loss_neg_plus=False,
    drop="",
    wrong="",
):
    """The loss and both gradients, with switches for the known mistakes; ``drop`` names a term left out, ``wrong``
    a term that takes the other vector (keys of :data:`NEG_TERMS`, :data:`WRONG_VECTOR`)."""
    negs = np.unique(negs) if dedup else np.asarray(negs)
    u_o, u_k = U[o], U[negs]
    s_o, s_k = sig(u_o @ v), sig(u_k @ v)
    with np.errstate(all="ignore"):
        loss = float(-np.log(s_o) - np.sum(np.log(sig((1.0 if loss_neg_plus else -1.0) * (u_k @ v)))))
    c_k = neg_sign * ((1.0 - s_k) if one_minus else s_k)
    keep = {term: float(term != drop) for term in NEG_TERMS}
    by = dot_partners(wrong, v, u_o, u_k)
    g_v = keep["center_outside"] * (s_o - 1.0) * by["center_outside"] + keep["center_negatives"] * (
        c_k @ by["center_negatives"]
    )
    g_U = np.zeros_like(U)
    g_U[o] += keep["rows_outside"] * (s_o - 1.0) * by["rows_outside"]
    rows = keep["rows_negatives"] * c_k[:, None] * by["rows_negatives"]
    if accumulate:
        np.add.at(g_U, negs, rows)
    else:
        g_U[negs] += rows
    if overwrite_o:
        g_U[o] = (s_o - 1.0) * v
    return loss, sign * g_v, sign * g_U


def neg_mistakes(v, o, U, negs) -> dict:
    return {
        NOT_ACCUMULATED: lambda: neg_variant(v, o, U, negs, accumulate=False),
        DEDUPLICATED: lambda: neg_variant(v, o, U, negs, dedup=True),
        GRADIENT_SIGN: lambda: neg_variant(v, o, U, negs, sign=-1.0),
        NEG_SIGN: lambda: neg_variant(v, o, U, negs, neg_sign=-1.0),
        "the negatives' gradient uses 1 - s(u_k . v_c) instead of s(u_k . v_c)": lambda: neg_variant(
            v, o, U, negs, one_minus=True
        ),
        "the outside word's row overwritten where it is also drawn as a negative: both contributions add": lambda: (
            neg_variant(v, o, U, negs, overwrite_o=True)
        ),
        "negative terms use log s(u_k . v_c) instead of log s(-u_k . v_c)": lambda: neg_variant(
            v, o, U, negs, loss_neg_plus=True
        ),
        **{name: lambda term=term: neg_variant(v, o, U, negs, drop=term) for term, name in NEG_TERMS.items()},
        **{name: lambda term=term: neg_variant(v, o, U, negs, wrong=term) for term, name in WRONG_VECTOR.items()},
    }


POWER_IGNORED = "power ignored: probabilities proportional to counts, not to counts ** power (word2vec's 3/4)"


def noise_mistakes(counts, power) -> dict:
    c = np.asarray(counts, dtype=np.float64)
    w = c**power
    wrong_divisors = (1.0, w.max(), c.sum(), len(w), np.linalg.norm(w))  # none, the largest, the counts' sum, ...
    return {
        POWER_IGNORED: lambda: c / c.sum(),
        "not normalised: divide counts ** power by its sum": AnyOf(*(w / d for d in wrong_divisors)),
        "normalised before the power and not renormalised: (counts / total) ** power does not sum to 1": lambda: (
            (c / c.sum()) ** power
        ),
    }


BATCH_OUT = ("loss", "grad_W_in", "grad_W_out")

SUMMED = "batch loss summed instead of averaged: the loss is the mean over the batch, and so are its gradients"

NOT_DIVIDED = "gradients not divided by B: the loss is the batch mean, so every gradient carries 1/B too"


def batch_variant(
    W_in,
    W_out,
    c,
    o,
    negs,
    loss_scale=1.0,
    grad_scale=1.0,
    accumulate=True,
    accumulate_negatives=True,
    sign=1.0,
    neg_sign=1.0,
    loss_neg_plus=False,
    wrong="",
):
    """The batch loss and gradients, with switches for the known mistakes (``wrong``: a key of :data:`WRONG_VECTOR`)."""
    B = len(c)
    v, u_o, u_k = W_in[c], W_out[o], W_out[negs]
    pos, neg = np.sum(u_o * v, axis=1), np.einsum("bkd,bd->bk", u_k, v)
    with np.errstate(all="ignore"):
        loss = (
            float(np.mean(-np.log(sig(pos)) - np.sum(np.log(sig((1.0 if loss_neg_plus else -1.0) * neg)), axis=1)))
            * loss_scale
        )
    g_pos = (sig(pos) - 1.0) / B * grad_scale
    g_neg = neg_sign * sig(neg) / B * grad_scale
    by = dot_partners(wrong, v, u_o, u_k)
    g_v = g_pos[:, None] * by["center_outside"] + np.einsum("bk,bkd->bd", g_neg, by["center_negatives"])
    g_in, g_out = np.zeros_like(W_in), np.zeros_like(W_out)
    for target, rows, values, acc in [
        (g_in, c, g_v, accumulate),
        (g_out, o, g_pos[:, None] * by["rows_outside"], accumulate),
        (g_out, negs, g_neg[:, :, None] * by["rows_negatives"], accumulate and accumulate_negatives),
    ]:
        if acc:
            np.add.at(target, rows, values)
        else:
            target[rows] += values  # a repeated index keeps only one of its values
    return loss, sign * g_in, sign * g_out


def batch_mistakes(W_in, W_out, c, o, negs) -> dict:
    B = len(c)
    args = (W_in, W_out, c, o, negs)
    return {
        SUMMED: lambda: batch_variant(*args, loss_scale=B, grad_scale=B),
        NOT_DIVIDED: lambda: batch_variant(*args, grad_scale=B),
        # Left out everywhere, or for the negatives alone.
        NOT_ACCUMULATED: AnyOf(
            lambda: batch_variant(*args, accumulate=False), lambda: batch_variant(*args, accumulate_negatives=False)
        ),
        GRADIENT_SIGN: lambda: batch_variant(*args, sign=-1.0),
        NEG_SIGN: lambda: batch_variant(*args, neg_sign=-1.0),
        "negative terms use log s(u_k . v) instead of log s(-u_k . v)": lambda: batch_variant(
            *args, loss_neg_plus=True
        ),
        **{name: lambda term=term: batch_variant(*args, wrong=term) for term, name in WRONG_VECTOR.items()},
    }


NOT_DETERMINISTIC = "all randomness must come from np.random.default_rng(seed)"
