"""Public tests for embeddings/glove.py: small cases you can check by hand, and a gradient check."""

import numpy as np

from autograder.grading.compare import check
from autograder.grading.mistakes.glove import COOC, LOSS, OUTPUTS, WEIGHT, cooc_mistakes, loss_mistakes, loss_variant, weight_mistakes
from autograder.grading.testing import check_items


def test_cooccurrence_three_words(student):
    """cooccurrence_matrix: [0, 1, 2] with window 2; the pair at distance 2 adds 1/2"""
    expected = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.5, 1.0, 0.0]])
    check(student.call(COOC, [0, 1, 2], 3, 2), expected, what="cooccurrence_matrix([0, 1, 2], 3, window=2)", mistakes=cooc_mistakes([0, 1, 2], 3, 2))


def test_cooccurrence_repeated_pairs_add_up(student):
    """cooccurrence_matrix: [0, 1, 0, 1] with window 1 sees the pair (0, 1) three times"""
    # Adjacent pairs (0,1), (1,0), (0,1): each adds 1 to X[0, 1] and to X[1, 0].
    expected = np.array([[0.0, 3.0], [3.0, 0.0]])
    check(student.call(COOC, [0, 1, 0, 1], 2, 1), expected, what="cooccurrence_matrix([0, 1, 0, 1], 2, window=1)", mistakes=cooc_mistakes([0, 1, 0, 1], 2, 1))


def test_cooccurrence_word_next_to_itself(student):
    """cooccurrence_matrix: [0, 0] with window 1 adds 2 to the diagonal (seen from both ends)"""
    check(student.call(COOC, [0, 0], 1, 1), np.array([[2.0]]), what="cooccurrence_matrix([0, 0], 1, window=1)", mistakes=cooc_mistakes([0, 0], 1, 1))


def test_weight_values(student):
    """glove_weight: 0 at 0, sqrt(1/2) at x_max/2 with alpha 1/2, capped at 1 from x_max on"""
    x = np.array([0.0, 50.0, 100.0, 400.0])
    expected = np.array([0.0, np.sqrt(0.5), 1.0, 1.0])
    what = "glove_weight([0, 50, 100, 400], x_max=100, alpha=0.5)"
    check(student.call(WEIGHT, x, x_max=100.0, alpha=0.5), expected, what=what, mistakes=weight_mistakes(x, 100.0, 0.5))


def test_loss_single_pair_by_hand(student):
    """glove_loss_and_gradients: one observed pair, checked by hand"""
    W, W_ctx = np.array([[1.0], [0.0]]), np.array([[1.0], [2.0]])
    b, b_ctx = np.array([0.5, 0.0]), np.array([0.0, 0.25])
    X = np.array([[0.0, 1.0], [0.0, 0.0]])  # only the pair (0, 1) is observed; log 1 = 0; f(1) = 1 when x_max = 1
    # error e = w_0 . w~_1 + b_0 + b~_1 - log X_01 = 2 + 0.5 + 0.25 - 0 = 2.75;  loss = f * e^2 = 7.5625
    # g_01 = 2 f e = 5.5:  dW[0] = g_01 w~_1 = 11,  dW_ctx[1] = g_01 w_0 = 5.5,  db[0] = db_ctx[1] = 5.5
    expected = (7.5625, np.array([[11.0], [0.0]]), np.array([[0.0], [5.5]]), np.array([5.5, 0.0]), np.array([0.0, 5.5]))
    what = "glove_loss_and_gradients(<X with one pair X[0, 1] = 1>, x_max=1)"
    got = student.call(LOSS, W, W_ctx, b, b_ctx, X, x_max=1.0)
    check_items(got, expected, OUTPUTS, what=what, mistakes=loss_mistakes(W, W_ctx, b, b_ctx, X, 1.0, 0.75))


def test_loss_and_gradients_equal_the_formula(student):
    """glove_loss_and_gradients: V=5, D=3, some X_ij = 0 and some above x_max: the loss and its gradients in NumPy"""
    W, W_ctx, b, b_ctx, X = small_problem()
    expected = loss_variant(W, W_ctx, b, b_ctx, X, 10.0, 0.75)
    got = student.call(LOSS, W, W_ctx, b, b_ctx, X, x_max=10.0)
    check_items(got, expected, OUTPUTS, what="glove_loss_and_gradients(<V=5, D=3>, x_max=10)", mistakes=loss_mistakes(W, W_ctx, b, b_ctx, X, 10.0, 0.75))


def small_problem():
    rng = np.random.default_rng(0)
    V, D = 5, 3
    X = rng.uniform(0.5, 20.0, size=(V, V)) * (rng.random((V, V)) > 0.3)
    return rng.normal(size=(V, D)), rng.normal(size=(V, D)), rng.normal(size=V), rng.normal(size=V), X


def test_loss_equals_a_plain_loop(student):
    """glove_loss_and_gradients: the loss equals the formula summed with two loops"""
    W, W_ctx, b, b_ctx, X = small_problem()
    expected = 0.0
    for i in range(len(X)):
        for j in range(len(X)):
            if X[i, j] > 0:
                f = min((X[i, j] / 10.0) ** 0.75, 1.0)
                expected += f * (W[i] @ W_ctx[j] + b[i] + b_ctx[j] - np.log(X[i, j])) ** 2
    loss = student.call(LOSS, W, W_ctx, b, b_ctx, X, x_max=10.0)[0]
    check(loss, float(expected), what="glove_loss_and_gradients(<V=5, D=3>, x_max=10) -> loss")


def test_gradients_match_finite_differences(student):
    """glove_loss_and_gradients: each gradient matches finite differences of your own loss"""
    params = list(small_problem())
    X = params.pop()
    _, *grads = student.call(LOSS, *params, X, x_max=10.0)
    h = 1e-6
    for name, p, grad in zip(["dW", "dW_ctx", "db", "db_ctx"], params, grads):
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            plus = student.call(LOSS, *params, X, x_max=10.0)[0]
            p[idx] = old - h
            minus = student.call(LOSS, *params, X, x_max=10.0)[0]
            p[idx] = old
            numeric[idx] = (plus - minus) / (2 * h)
        # Central differences are accurate to about 1e-6 here, not to float64 precision.
        check(grad, numeric, what=f"glove_loss_and_gradients(<V=5, D=3>) -> {name} vs finite differences", rtol=1e-5, atol=1e-6)
