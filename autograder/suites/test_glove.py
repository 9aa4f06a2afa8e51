"""Hidden suite: embeddings/glove.py.

Expected values come from the reference, computed here in the trusted process. The known
mistakes are small wrong versions written out below (no 1/d weighting, one direction only, no
cap at x_max, a factor 1/2, log of the zero entries, the weight outside the square ...), so a
student whose output equals one of them is told which.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.glove import (
    COOC,
    LOSS,
    OUTPUTS,
    WEIGHT,
    cooc_mistakes,
    loss_mistakes,
    weight_mistakes,
)

pytestmark = pytest.mark.timeout(10)


# -- co-occurrence counts and their mistakes ----------------------------------------------------------


def corpus(seed: int, n: int, vocab_size: int) -> np.ndarray:
    # Few word types and a long sequence, so that the same pair occurs many times.
    return np.random.default_rng(seed).integers(0, vocab_size, size=n)


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
    """cooccurrence_matrix: three tokens with window 2, small enough to work out by hand"""
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


@pytest.mark.points(1)
@pytest.mark.parametrize("bad", [3, -1])
def test_cooccurrence_refuses_an_id_out_of_range(student, bad):
    """cooccurrence_matrix: an id outside [0, vocab_size) raises ValueError naming it (-1 would count silently)"""
    ids = [0, bad, 1]
    check_raises(
        lambda: student.call(COOC, np.array(ids), 3, 2),
        "ValueError",
        match=str(bad),
        what=f"cooccurrence_matrix(np.array({ids}), 3, window=2)",
    )
