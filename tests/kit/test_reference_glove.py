"""The reference GloVe against independent oracles: co-occurrence counts by a plain double loop,
the weight and the loss by the paper's formula entry by entry, every gradient by central finite
differences."""

import math

import numpy as np
import pytest

from autograder.grading.loader import reference

GLOVE = reference()["glove"]


def cooccurrence_loop(ids: list[int], V: int, window: int) -> np.ndarray:
    X = np.zeros((V, V))
    for i in range(len(ids)):
        for j in range(len(ids)):
            if i != j and abs(i - j) <= window:
                X[ids[i], ids[j]] += 1.0 / abs(i - j)
    return X


@pytest.mark.parametrize("seed,n,V,window", [(0, 50, 6, 3), (1, 7, 3, 10), (2, 2, 1, 1), (3, 1, 2, 2), (4, 0, 2, 1)])
def test_cooccurrence_equals_a_double_loop(seed, n, V, window):
    ids = np.random.default_rng(seed).integers(0, V, size=n).tolist()
    X = GLOVE.cooccurrence_matrix(ids, V, window)
    assert X.dtype == np.float64 and X.shape == (V, V)
    np.testing.assert_allclose(X, cooccurrence_loop(ids, V, window), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(X, X.T)


def test_weight_equals_the_formula():
    x = np.array([0.0, 0.5, 7.0, 99.999, 100.0, 100.001, 1e6])
    expected = [(v / 100.0) ** 0.75 if v < 100.0 else 1.0 for v in x]
    np.testing.assert_allclose(GLOVE.glove_weight(x), expected, rtol=1e-14, atol=0)
    np.testing.assert_allclose(GLOVE.glove_weight(x.reshape(7, 1), x_max=5.0, alpha=0.5)[:, 0], [min(math.sqrt(v / 5.0), 1.0) for v in x], rtol=1e-14)


def problem(seed: int, V: int = 6, D: int = 3, x_max: float = 10.0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.1, 3 * x_max, size=(V, V)) * (rng.random((V, V)) > 0.4)
    return rng.normal(size=(V, D)), rng.normal(size=(V, D)), rng.normal(size=V), rng.normal(size=V), X


def loss_loop(W, W_ctx, b, b_ctx, X, x_max, alpha) -> float:
    total = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] > 0:
                f = (X[i, j] / x_max) ** alpha if X[i, j] < x_max else 1.0
                total += f * (float(W[i] @ W_ctx[j]) + b[i] + b_ctx[j] - math.log(X[i, j])) ** 2
    return total


@pytest.mark.parametrize("seed,x_max,alpha", [(0, 10.0, 0.75), (1, 3.0, 0.5), (2, 100.0, 0.75)])
def test_loss_equals_the_formula(seed, x_max, alpha):
    W, W_ctx, b, b_ctx, X = problem(seed, x_max=x_max)
    loss = GLOVE.glove_loss_and_gradients(W, W_ctx, b, b_ctx, X, x_max=x_max, alpha=alpha)[0]
    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_loop(W, W_ctx, b, b_ctx, X, x_max, alpha), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_gradients_equal_finite_differences(seed):
    params = list(problem(seed))
    X = params.pop()
    _, *grads = GLOVE.glove_loss_and_gradients(*params, X, x_max=10.0)
    h = 1e-6
    for p, grad in zip(params, grads):
        assert grad.shape == p.shape and grad.dtype == np.float64
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            plus = loss_loop(*params, X, 10.0, 0.75)
            p[idx] = old - h
            minus = loss_loop(*params, X, 10.0, 0.75)
            p[idx] = old
            numeric[idx] = (plus - minus) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


def test_zero_counts_give_no_nan():
    W, W_ctx, b, b_ctx, _ = problem(3)
    loss, *grads = GLOVE.glove_loss_and_gradients(W, W_ctx, b, b_ctx, np.zeros((6, 6)))
    assert loss == 0.0
    assert all(np.all(g == 0) for g in grads)
