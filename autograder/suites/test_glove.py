"""Hidden suite: embeddings/glove.py.

Expected values come from the reference, computed here in the trusted process. The known
mistakes are small wrong versions written out below (no 1/d weighting, one direction only, no
cap at x_max, a factor 1/2, log of the zero entries, the weight outside the square ...), so a
student whose output equals one of them is told which.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args

COOC = "embeddings.glove:cooccurrence_matrix"
WEIGHT = "embeddings.glove:glove_weight"
LOSS = "embeddings.glove:glove_loss_and_gradients"
OUTPUTS = ("loss", "dW", "dW_ctx", "db", "db_ctx")

pytestmark = pytest.mark.timeout(10)


# -- co-occurrence counts and their mistakes ----------------------------------------------------------


def corpus(seed: int, n: int, vocab_size: int) -> np.ndarray:
    # Few word types and a long sequence, so that the same pair occurs many times.
    return np.random.default_rng(seed).integers(0, vocab_size, size=n)


def _cooc(
    ids: np.ndarray, V: int, window: int, weight, both: bool = True, accumulate: bool = True, last: int | None = None
) -> np.ndarray:
    X = np.zeros((V, V))
    for d in range(1, (window if last is None else last) + 1):
        left, right = ids[:-d], ids[d:]
        pairs = [(left, right), (right, left)] if both else [(left, right)]
        for rows, cols in pairs:
            if accumulate:
                np.add.at(X, (rows, cols), weight(d))
            else:
                X[rows, cols] += weight(d)
    return X


def cooc_mistakes(ids: np.ndarray, V: int, window: int) -> dict:
    ids = np.asarray(ids)
    return {
        "no 1/d weighting: a pair at distance d must add 1/d, not 1": lambda: _cooc(ids, V, window, lambda d: 1.0),
        "only one direction counted (X[t_i, t_j] for j > i): every pair adds to both X[t_i, t_j] and X[t_j, t_i], so "
        "X is symmetric": lambda: _cooc(ids, V, window, lambda d: 1.0 / d, both=False),
        "each pair counted twice in each direction: looping over every j != i already sees both ends": lambda: (
            2 * _cooc(ids, V, window, lambda d: 1.0 / d)
        ),
        "repeated pairs not accumulated (X[rows, cols] += w adds once per distinct pair; use np.add.at)": lambda: _cooc(
            ids, V, window, lambda d: 1.0 / d, accumulate=False
        ),
        "distance `window` left out: the window includes |i - j| = window": lambda: _cooc(
            ids, V, window, lambda d: 1.0 / d, last=window - 1
        ),
        "1/d**2 weighting instead of 1/d": lambda: _cooc(ids, V, window, lambda d: 1.0 / d**2),
    }


@pytest.mark.points(3)
@pytest.mark.parametrize("seed,n,V,window", [(0, 40, 5, 2), (1, 60, 7, 3), (2, 25, 4, 1)])
def test_cooccurrence_matches_reference(student, ref, seed, n, V, window):
    """cooccurrence_matrix: 1/d weights, both directions, repeated pairs add up"""
    ids = corpus(seed, n, V)
    expected = ref["glove"].cooccurrence_matrix(ids, V, window)
    got = student.call(COOC, ids, V, window)
    check(
        got,
        expected,
        what=f"cooccurrence_matrix({describe_args(ids)}, vocab_size={V}, window={window})",
        mistakes=cooc_mistakes(ids, V, window),
    )


@pytest.mark.points(1)
def test_cooccurrence_small_by_hand(student, ref):
    """cooccurrence_matrix: [0, 1, 2] with window 2 is [[0, 1, .5], [1, 0, 1], [.5, 1, 0]]"""
    ids = [0, 1, 2]
    expected = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.5, 1.0, 0.0]])
    check(
        student.call(COOC, ids, 3, 2),
        expected,
        what="cooccurrence_matrix([0, 1, 2], 3, window=2)",
        mistakes=cooc_mistakes(np.array(ids), 3, 2),
    )


@pytest.mark.points(1)
def test_cooccurrence_python_list_and_window_longer_than_text(student, ref):
    """cooccurrence_matrix: a Python list input, a window longer than the text, unused words stay 0"""
    ids = [3, 1, 3, 3]
    expected = ref["glove"].cooccurrence_matrix(ids, 6, 10)
    check(
        student.call(COOC, ids, 6, 10),
        expected,
        what="cooccurrence_matrix([3, 1, 3, 3], vocab_size=6, window=10)",
        mistakes=cooc_mistakes(np.array(ids), 6, 10),
    )


@pytest.mark.points(1)
def test_cooccurrence_short_sequences(student):
    """cooccurrence_matrix: empty and one-token sequences give a zero (V, V) float64 matrix"""
    for ids in ([], [2]):
        check(
            student.call(COOC, np.array(ids, dtype=np.int64), 3, 2),
            np.zeros((3, 3)),
            what=f"cooccurrence_matrix({ids}, 3, window=2)",
        )


# -- the weighting function ---------------------------------------------------------------------------


def weight_mistakes(x: np.ndarray, x_max: float, alpha: float) -> dict:
    return {
        "no cap: f(x) must be 1 for x >= x_max": lambda: (x / x_max) ** alpha,
        "x not divided by x_max: f(x) = (x / x_max) ** alpha": lambda: np.where(x < x_max, x**alpha, 1.0),
    }


@pytest.mark.points(2)
@pytest.mark.parametrize("x_max,alpha", [(100.0, 0.75), (10.0, 0.5), (3.0, 1.0)])
def test_weight_matches_reference(student, ref, x_max, alpha):
    """glove_weight: (x / x_max)^alpha below x_max, 1 from x_max on"""
    x = np.concatenate(
        [[0.0, x_max, x_max * 0.999, x_max * 1.001], np.random.default_rng(7).uniform(0, 2.5 * x_max, size=14)]
    )
    x = x.reshape(3, 6)
    expected = ref["glove"].glove_weight(x, x_max=x_max, alpha=alpha)
    got = student.call(WEIGHT, x, x_max=x_max, alpha=alpha)
    check(
        got,
        expected,
        what=f"glove_weight({describe_args(x)}, x_max={x_max}, alpha={alpha})",
        mistakes=weight_mistakes(x, x_max, alpha),
    )


@pytest.mark.points(1)
def test_weight_defaults(student, ref):
    """glove_weight: the defaults are x_max=100, alpha=0.75"""
    x = np.array([1.0, 10.0, 99.0, 100.0, 1000.0])
    expected = ref["glove"].glove_weight(x)
    check(
        student.call(WEIGHT, x), expected, what=f"glove_weight({x.tolist()})", mistakes=weight_mistakes(x, 100.0, 0.75)
    )


# -- the loss and its gradients ----------------------------------------------------------------------


def _loss_variant(
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
            _loss_variant(*args, loss_scale=0.5, grad_scale=0.5)
        ),
        "gradients lack the factor 2 of the square's derivative": lambda: _loss_variant(*args, grad_scale=0.5),
        "log of zero entries included (0 * log 0 is NaN): sum only over X_ij > 0": lambda: _loss_variant(
            *args, log=np.log
        ),
        "log(1 + X) instead of log X": lambda: _loss_variant(*args, log=np.log1p),
        "weight applied outside the square: f(X_ij) * e_ij ** 2, not (f(X_ij) * e_ij) ** 2": lambda: _loss_variant(
            *args, square_weight=True
        ),
        "dW_ctx computed as g @ W: the context gradient is g.T @ W (column j of g belongs to context word j)": lambda: (
            _loss_variant(*args, swap_ctx=True)
        ),
        "bias gradients swapped: db sums g over j (each row), db_ctx over i (each column)": lambda: _loss_variant(
            *args, swap_bias=True
        ),
    }


def glove_inputs(seed: int, V: int, D: int, x_max: float, symmetric: bool = False):
    rng = np.random.default_rng(seed)
    W, W_ctx = rng.normal(scale=0.5, size=(V, D)), rng.normal(scale=0.5, size=(V, D))
    b, b_ctx = rng.normal(scale=0.3, size=V), rng.normal(scale=0.3, size=V)
    # About a third of the entries zero, the others on both sides of x_max.
    X = rng.uniform(0.2, 2.5 * x_max, size=(V, V)) * (rng.random((V, V)) > 0.35)
    if symmetric:
        X = np.triu(X) + np.triu(X, 1).T
    return W, W_ctx, b, b_ctx, X


def check_loss_outputs(got, expected, what: str, mistakes: dict) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != len(OUTPUTS):
        check(got, expected, what=f"{what}: the returned (loss, dW, dW_ctx, db, db_ctx)")
    for i, name in enumerate(OUTPUTS):
        check(
            got[i],
            expected[i],
            what=f"{what} -> {name}",
            mistakes={m: (lambda make=make, i=i: make()[i]) for m, make in mistakes.items()},
        )


@pytest.mark.points(4)
@pytest.mark.parametrize(
    "seed,V,D,x_max,alpha,symmetric",
    [(0, 7, 3, 10.0, 0.75, False), (1, 6, 4, 3.0, 0.5, True), (2, 9, 5, 100.0, 0.75, False)],
)
def test_loss_and_gradients_match_reference(student, ref, seed, V, D, x_max, alpha, symmetric):
    """glove_loss_and_gradients: the loss and all four gradients"""
    W, W_ctx, b, b_ctx, X = glove_inputs(seed, V, D, x_max, symmetric)
    expected = ref["glove"].glove_loss_and_gradients(W, W_ctx, b, b_ctx, X, x_max=x_max, alpha=alpha)
    got = student.call(LOSS, W, W_ctx, b, b_ctx, X, x_max=x_max, alpha=alpha)
    what = f"glove_loss_and_gradients({describe_args(W, W_ctx, b, b_ctx, X)}, x_max={x_max}, alpha={alpha})"
    check_loss_outputs(got, expected, what, loss_mistakes(W, W_ctx, b, b_ctx, X, x_max, alpha))


@pytest.mark.points(2)
def test_loss_on_a_cooccurrence_matrix_with_defaults(student, ref):
    """glove_loss_and_gradients: default x_max and alpha, X from a corpus"""
    V, D = 8, 3
    X = ref["glove"].cooccurrence_matrix(corpus(5, 300, V), V, 3)
    W, W_ctx, b, b_ctx, _ = glove_inputs(5, V, D, 100.0)
    expected = ref["glove"].glove_loss_and_gradients(W, W_ctx, b, b_ctx, X)
    got = student.call(LOSS, W, W_ctx, b, b_ctx, X)
    check_loss_outputs(
        got,
        expected,
        f"glove_loss_and_gradients({describe_args(W, W_ctx, b, b_ctx, X)})",
        loss_mistakes(W, W_ctx, b, b_ctx, X, 100.0, 0.75),
    )


@pytest.mark.points(1)
def test_loss_single_pair_by_hand(student):
    """glove_loss_and_gradients: one observed pair, f = 1, checked by hand"""
    W, W_ctx = np.array([[1.0], [0.0]]), np.array([[1.0], [2.0]])
    b, b_ctx = np.array([0.5, 0.0]), np.array([0.0, 0.25])
    X = np.array([[0.0, 1.0], [0.0, 0.0]])  # only (0, 1) observed; log 1 = 0; f(1) = 1 with x_max = 1
    # e = w_0 . w~_1 + b_0 + b~_1 - log 1 = 2 + 0.5 + 0.25 = 2.75; loss = e^2; g_01 = 2e = 5.5
    expected = (7.5625, np.array([[11.0], [0.0]]), np.array([[0.0], [5.5]]), np.array([5.5, 0.0]), np.array([0.0, 5.5]))
    got = student.call(LOSS, W, W_ctx, b, b_ctx, X, x_max=1.0, alpha=0.75)
    check_loss_outputs(
        got,
        expected,
        "glove_loss_and_gradients(<one pair X[0, 1] = 1>, x_max=1)",
        loss_mistakes(W, W_ctx, b, b_ctx, X, 1.0, 0.75),
    )


@pytest.mark.points(1)
def test_loss_all_zero_counts(student):
    """glove_loss_and_gradients: no observed pair gives loss 0 and zero gradients (no NaN)"""
    W, W_ctx, b, b_ctx, _ = glove_inputs(3, 4, 2, 10.0)
    X = np.zeros((4, 4))
    expected = (0.0, np.zeros((4, 2)), np.zeros((4, 2)), np.zeros(4), np.zeros(4))
    got = student.call(LOSS, W, W_ctx, b, b_ctx, X, x_max=10.0)
    check_loss_outputs(
        got,
        expected,
        f"glove_loss_and_gradients({describe_args(W, W_ctx, b, b_ctx, X)}, x_max=10) with X all zero",
        loss_mistakes(W, W_ctx, b, b_ctx, X, 10.0, 0.75),
    )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_weight_refuses_negative_counts(student):
    """glove_weight: a negative count raises ValueError (its power would be NaN)"""
    x = np.array([0.0, 5.0, -1.0])
    check_raises(lambda: student.call(WEIGHT, x), "ValueError", what="glove_weight([0, 5, -1])")
