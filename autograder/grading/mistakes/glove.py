"""What glove's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

import numpy as np

from autograder.grading.compare import AnyOf
from autograder.grading.mistakes.names import NOT_ACCUMULATED

COOC = "embeddings.glove:cooccurrence_matrix"

WEIGHT = "embeddings.glove:glove_weight"

LOSS = "embeddings.glove:glove_loss_and_gradients"

OUTPUTS = ("loss", "dW", "dW_ctx", "db", "db_ctx")


def cooc(
    ids: np.ndarray,
    V: int,
    window: int,
    weight,
    both: bool = True,
    accumulate: tuple[bool, bool] = (True, True),
    last: int | None = None,
) -> np.ndarray:
    """X written out with switches for the known mistakes; ``accumulate``: whether the pairs seen from the left end,
    and from the right end, are added with np.add.at (False: ``X[rows, cols] += w``, a repeated pair added once)."""
    X = np.zeros((V, V))
    for d in range(1, (window if last is None else last) + 1):
        left, right = ids[:-d], ids[d:]
        pairs = [(left, right), (right, left)] if both else [(left, right)]
        for (rows, cols), add_at in zip(pairs, accumulate, strict=False):
            if add_at:
                np.add.at(X, (rows, cols), weight(d))
            else:
                X[rows, cols] += weight(d)
    return X


def cooc_mistakes(ids: np.ndarray, V: int, window: int) -> dict:
    ids = np.asarray(ids)
    return {
        "no 1/d weighting: a pair at distance d must add 1/d, not 1": lambda: cooc(ids, V, window, lambda d: 1.0),
        "only one direction counted (X[t_i, t_j] for j > i): every pair adds to both X[t_i, t_j] and X[t_j, t_i], so "
        "X is symmetric": lambda: cooc(ids, V, window, lambda d: 1.0 / d, both=False),
        "each pair counted twice in each direction: looping over every j != i already sees both ends": lambda: (
            2 * cooc(ids, V, window, lambda d: 1.0 / d)
        ),
        # Made for the pairs seen from both ends, or from one of them only.
        NOT_ACCUMULATED: AnyOf(
            *(
                lambda flags=flags: cooc(ids, V, window, lambda d: 1.0 / d, accumulate=flags)
                for flags in ((False, False), (False, True), (True, False))
            )
        ),
        "distance `window` left out: the window includes |i - j| = window": lambda: cooc(
            ids, V, window, lambda d: 1.0 / d, last=window - 1
        ),
        "1/d**2 weighting instead of 1/d": lambda: cooc(ids, V, window, lambda d: 1.0 / d**2),
    }


def weight_mistakes(x: np.ndarray, x_max: float, alpha: float) -> dict:
    return {
        "no cap: f(x) must be 1 for x >= x_max": lambda: (x / x_max) ** alpha,
        "x not divided by x_max: f(x) = (x / x_max) ** alpha": lambda: np.where(x < x_max, x**alpha, 1.0),
        "exponent alpha forgotten: below x_max, f(x) = (x / x_max) ** alpha, not the linear x / x_max": lambda: (
            np.where(x < x_max, x / x_max, 1.0)
        ),
        "exponent fixed at 0.75: use the alpha argument, f(x) = (x / x_max) ** alpha": lambda: np.where(
            x < x_max, (x / x_max) ** 0.75, 1.0
        ),
    }


def loss_variant(
    W,
    W_ctx,
    b,
    b_ctx,
    X,
    x_max,
    alpha,
    *,
    log=None,
    square_weight=False,
    loss_scale=1.0,
    grad_scale=1.0,
    swap_ctx=False,
    swap_bias=False,
):
    """A GloVe loss written out, with switches for the known mistakes."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if log is None:
            observed = X > 0
            log_X = np.where(observed, np.log(np.where(observed, X, 1.0)), 0.0)
        else:
            observed = np.ones_like(X, dtype=bool)
            log_X = log(X)
        f = np.where(X < x_max, (X / x_max) ** alpha, 1.0) * observed
        diff = W @ W_ctx.T + b[:, None] + b_ctx[None, :] - log_X
        w = f**2 if square_weight else f
        loss = float(np.sum(w * diff**2)) * loss_scale
        g = 2.0 * w * diff * grad_scale
        dW, dW_ctx = g @ W_ctx, (g @ W if swap_ctx else g.T @ W)
        db, db_ctx = g.sum(axis=1), g.sum(axis=0)
    if swap_bias:
        db, db_ctx = db_ctx, db
    return loss, dW, dW_ctx, db, db_ctx


def loss_mistakes(W, W_ctx, b, b_ctx, X, x_max, alpha) -> dict:
    args = (W, W_ctx, b, b_ctx, X, x_max, alpha)
    return {
        "factor 1/2 in the loss (the curriculum's loss has none, so the gradients are halved too)": lambda: (
            loss_variant(*args, loss_scale=0.5, grad_scale=0.5)
        ),
        "gradients lack the factor 2 of the square's derivative": lambda: loss_variant(*args, grad_scale=0.5),
        "log of zero entries included (0 * log 0 is NaN): sum only over X_ij > 0": lambda: loss_variant(
            *args, log=np.log
        ),
        "log(1 + X) instead of log X": lambda: loss_variant(*args, log=np.log1p),
        "weight applied outside the square: f(X_ij) * e_ij ** 2, not (f(X_ij) * e_ij) ** 2": lambda: loss_variant(
            *args, square_weight=True
        ),
        "dW_ctx computed as g @ W: the context gradient is g.T @ W (column j of g belongs to context word j)": lambda: (
            loss_variant(*args, swap_ctx=True)
        ),
        "bias gradients swapped: db sums g over j (each row), db_ctx over i (each column)": lambda: loss_variant(
            *args, swap_bias=True
        ),
    }
