"""Public tests for attention/scaled_dot_product.py: small cases you can check by hand, and
PyTorch's own softmax and scaled_dot_product_attention as the expected values.

Our masks and PyTorch's ``F.scaled_dot_product_attention`` boolean masks mean the same thing:
``True`` = may attend. (A query with every key masked is where they differ: PyTorch may give NaN,
this course wants zeros; the tests below compare PyTorch only on rows with at least one key.)
"""

import math

import torch
import torch.nn.functional as F

from autograder.grading.compare import check
from autograder.grading.mistakes.scaled_dot_product import (
    SDPA,
    SOFTMAX,
    sdpa_mistakes,
    softmax_mistakes,
)
from autograder.grading.testing import check_items

B, H, LQ, LK, DK, DV = 2, 3, 5, 7, 4, 6  # all different, so a transposed axis cannot pass unnoticed


def randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def check_sdpa(got, expected, *, what: str, mistakes: dict) -> None:
    """(output, weights) by name, the weights first: they show most mistakes."""
    check_items(got, expected, ("output", "weights"), order=("weights", "output"), what=what, mistakes=mistakes)


def test_softmax_equals_torch(student):
    """softmax: equals torch.softmax along the last axis and along dim=0"""
    x = randn(B, LQ, LK, seed=0)
    check(student.call(SOFTMAX, x), torch.softmax(x, dim=-1), what="softmax(x <float64 (2, 5, 7)>)", mistakes=softmax_mistakes(x))
    got = student.call(SOFTMAX, x, dim=0)
    check(got, torch.softmax(x, dim=0), what="softmax(x <float64 (2, 5, 7)>, dim=0)", mistakes=softmax_mistakes(x, 0, got))


def test_softmax_large_inputs_and_minus_inf(student):
    """softmax: [1000, 1000 + log 3] is [0.25, 0.75]; an all -inf row is all zeros"""
    x = torch.tensor([[1000.0, 1000.0 + math.log(3.0)], [float("-inf"), float("-inf")], [0.0, float("-inf")]], dtype=torch.float64)
    expected = torch.tensor([[0.25, 0.75], [0.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    got = student.call(SOFTMAX, x)
    check(got, expected, what="softmax([[1000, 1000 + log 3], [-inf, -inf], [0, -inf]])", mistakes=softmax_mistakes(x, got=got))


def test_sdpa_by_hand(student):
    """sdpa: q=[[2]], k=[[1], [0]], v=[[10], [20]]: weights softmax([2, 0]) = [0.881, 0.119], output 11.19"""
    q = torch.tensor([[2.0]], dtype=torch.float64)
    k = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    v = torch.tensor([[10.0], [20.0]], dtype=torch.float64)
    e = math.exp(2.0)
    weights = torch.tensor([[e / (e + 1), 1 / (e + 1)]], dtype=torch.float64)
    output = torch.tensor([[10 * e / (e + 1) + 20 / (e + 1)]], dtype=torch.float64)
    what = "scaled_dot_product_attention(q=[[2.]], k=[[1.], [0.]], v=[[10.], [20.]])"
    check_sdpa(student.call(SDPA, q, k, v), (output, weights), what=what, mistakes=sdpa_mistakes(q, k, v))
    masked = (torch.tensor([[20.0]], dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64))
    mask = torch.tensor([[False, True]])
    check_sdpa(student.call(SDPA, q, k, v, mask), masked, what="the same with mask=[[False, True]]", mistakes=sdpa_mistakes(q, k, v, mask))


def test_sdpa_by_hand_with_d_k_2(student):
    """sdpa: d_k = 2, q=[[1, 1]], k=[[2, 0], [0, 0]]: scores [2, 0] / sqrt(2), so a missing scale shows"""
    q = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    k = torch.tensor([[2.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    v = torch.tensor([[10.0], [20.0]], dtype=torch.float64)
    e = math.exp(2.0 / math.sqrt(2.0))  # softmax([sqrt 2, 0]) = [e, 1] / (e + 1)
    weights = torch.tensor([[e / (e + 1), 1 / (e + 1)]], dtype=torch.float64)
    output = torch.tensor([[(10 * e + 20) / (e + 1)]], dtype=torch.float64)
    what = "scaled_dot_product_attention(q=[[1., 1.]], k=[[2., 0.], [0., 0.]], v=[[10.], [20.]])"
    check_sdpa(student.call(SDPA, q, k, v), (output, weights), what=what, mistakes=sdpa_mistakes(q, k, v))


def test_sdpa_equals_torch(student):
    """sdpa: equals F.scaled_dot_product_attention; weights are softmax(q k^T / sqrt(d_k))"""
    q, k, v = randn(B, H, LQ, DK, seed=1), randn(B, H, LK, DK, seed=2), randn(B, H, LK, DV, seed=3)
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(DK), dim=-1)
    expected = (F.scaled_dot_product_attention(q, k, v), weights)
    what = "scaled_dot_product_attention(q (2, 3, 5, 4), k (2, 3, 7, 4), v (2, 3, 7, 6))"
    check_sdpa(student.call(SDPA, q, k, v), expected, what=what, mistakes=sdpa_mistakes(q, k, v))


def test_sdpa_with_mask_equals_torch(student):
    """sdpa: a boolean mask (True = may attend) as in F.scaled_dot_product_attention"""
    q, k, v = randn(B, H, LQ, DK, seed=4), randn(B, H, LK, DK, seed=5), randn(B, H, LK, DV, seed=6)
    mask = torch.rand(B, 1, LQ, LK, generator=torch.Generator().manual_seed(7)) < 0.6
    mask[..., 0] = True  # every query may attend to at least one key
    got = student.call(SDPA, q, k, v, mask)
    what = "scaled_dot_product_attention(q (2, 3, 5, 4), k (2, 3, 7, 4), v (2, 3, 7, 6), mask (2, 1, 5, 7))"
    mistakes = sdpa_mistakes(q, k, v, mask)
    check_items(got[:1], (F.scaled_dot_product_attention(q, k, v, attn_mask=mask),), ("output",), what=what, mistakes=mistakes)
    check(got[1] == 0, ~mask.expand(B, H, LQ, LK), what=what + ": weights == 0 exactly where the mask is False")


def test_sdpa_fully_masked_row_is_zero(student):
    """sdpa: a query row with every key masked gets zero weights and a zero output (not NaN)"""
    q, k, v = randn(LQ, DK, seed=8), randn(LK, DK, seed=9), randn(LK, DV, seed=10)
    mask = torch.ones(LQ, LK, dtype=torch.bool)
    mask[2] = False
    got = student.call(SDPA, q, k, v, mask)
    what = "scaled_dot_product_attention(q (5, 4), k (7, 4), v (7, 6), mask with row 2 all False)"
    weights = torch.softmax(q @ k.T / math.sqrt(DK), dim=-1)
    weights[2] = 0.0
    check_sdpa(got, (weights @ v, weights), what=what, mistakes=sdpa_mistakes(q, k, v, mask))


def test_sdpa_gradients_equal_torch(student):
    """sdpa: differentiable; gradients of q, k, v equal those of F.scaled_dot_product_attention"""
    q, k, v = randn(B, H, LQ, DK, seed=11), randn(B, H, LK, DK, seed=12), randn(B, H, LK, DV, seed=13)
    g = randn(B, H, LQ, DV, seed=14)
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    (F.scaled_dot_product_attention(*leaves) * g).sum().backward()
    got = student.probe("function_run", target=SDPA, args=[t.clone().requires_grad_() for t in (q, k, v)], kwargs={}, grad_outputs=[g, None])
    check(got["differentiable"], True, what="the output of scaled_dot_product_attention is on autograd's graph (no .detach())")
    detached = {"the weights are not on autograd's graph (a .detach(), .numpy() or torch.tensor(...) in softmax or after it)": None}
    for name, grad, leaf in zip("qkv", got["input_grads"], leaves):
        what = f"gradient of sum(output * g) with respect to {name} {tuple(leaf.shape)}"
        check(grad, leaf.grad, what=what, mistakes=detached if name in "qk" else None)
