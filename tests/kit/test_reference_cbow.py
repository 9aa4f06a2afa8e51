"""The reference CBOW against independent oracles: the loss against SciPy's ``log_softmax`` of the mean
context vector, both gradients against central finite differences and against torch autograd
(repeated context words included), and stability at scores of size 1000."""

import numpy as np
import pytest
import torch
from scipy import special

from autograder.grading.gradcheck import numerical_gradient
from autograder.grading.loader import reference

CBOW = reference()["cbow"].cbow_loss_and_gradient



CASES = [([1, 3, 5], 2), ([2, 0, 2, 2], 4), ([4], 4), ([0, 0], 1)]


@pytest.mark.parametrize("context,center", CASES)
def test_loss_and_finite_differences(context, center):
    rng = np.random.default_rng(len(context) + center)
    V_in, U = rng.normal(size=(7, 4)), rng.normal(size=(7, 4))
    loss, g_in, g_out = CBOW(context, center, V_in, U)
    h = sum(V_in[w] for w in context) / len(context)  # every occurrence counts
    assert isinstance(loss, float) and loss == pytest.approx(-special.log_softmax(U @ h)[center], rel=1e-12)
    assert g_in.shape == V_in.shape and g_out.shape == U.shape
    np.testing.assert_allclose(g_in, numerical_gradient(lambda x: CBOW(context, center, x, U)[0], V_in), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g_out, numerical_gradient(lambda x: CBOW(context, center, V_in, x)[0], U), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("context,center", CASES)
def test_equals_torch_autograd(context, center):
    rng = np.random.default_rng(10 + center)
    V_in, U = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    t_in, t_out = torch.tensor(V_in, requires_grad=True), torch.tensor(U, requires_grad=True)
    h = t_in[torch.tensor(context)].mean(0)
    t_loss = torch.nn.functional.cross_entropy((t_out @ h)[None], torch.tensor([center]))
    t_loss.backward()
    loss, g_in, g_out = CBOW(context, center, V_in, U)
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(g_in, t_in.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g_out, t_out.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_stable_for_large_scores():
    V_in = np.array([[10.0, 0.0], [0.0, 10.0]])
    U = np.array([[100.0, 0.0], [-100.0, 0.0], [98.0, 1.0]])  # scores (1000, -1000, 980) for context [0]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, g_in, g_out = CBOW([0], 2, V_in, U)
    assert loss == pytest.approx(-special.log_softmax(U @ V_in[0])[2], rel=1e-12)
    assert np.all(np.isfinite(g_in)) and np.all(np.isfinite(g_out))


def test_empty_context_raises():
    with pytest.raises(ValueError):
        CBOW([], 0, np.eye(3), np.eye(3))
