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
from autograder.grading.testing import check_items

SOFTMAX = "attention.scaled_dot_product:softmax"
SDPA = "attention.scaled_dot_product:scaled_dot_product_attention"
B, H, LQ, LK, DK, DV = 2, 3, 5, 7, 4, 6  # all different, so a transposed axis cannot pass unnoticed


def randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# -- models of the common mistakes, from torch's own functions: a wrong answer equal to one is named --


def normalise_like(e: torch.Tensor, dim: int, got) -> torch.Tensor:
    """e / e.sum(dim), where a slice summing to 0 follows ``got`` (NaN if ``got`` has NaN there, else 0)."""
    total = e.sum(dim=dim, keepdim=True)
    out = e / total
    if isinstance(got, torch.Tensor) and got.shape == e.shape:
        out = out.masked_fill((total == 0) & ~got.isnan().any(dim=dim, keepdim=True), 0.0)
    return out


def softmax_mistakes(x: torch.Tensor, dim: int = -1, got=None) -> dict:
    out = {
        "softmax not stabilised: subtract each slice's maximum before exp (exp(1000) is inf)": lambda: normalise_like(torch.exp(x), dim, got),
        "subtracted the maximum of the whole tensor instead of each slice's maximum": lambda: normalise_like(torch.exp(x - x.max()), dim, got),
        "an all -inf slice gives NaN (as torch.softmax does); it must give zeros": lambda: torch.softmax(x, dim=dim),
        "an all -inf slice gives a uniform distribution; it must give zeros": lambda: torch.softmax(x.nan_to_num(neginf=-1e9), dim=dim),
    }
    if dim % x.dim() != x.dim() - 1:
        out["dim argument ignored (softmax taken over the last axis)"] = lambda: torch.softmax(x, dim=-1).nan_to_num(0.0)
    return out


def attention(q, k, v, mask=None, *, scale=None, dim=-1, fill=float("-inf"), after=False, nan_rows=False):
    """Attention with one thing changed (the defaults give the right answer)."""
    scores = q @ k.transpose(-2, -1) / (math.sqrt(q.size(-1)) if scale is None else scale)
    if mask is not None and not after:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=dim)
    weights = weights if nan_rows else weights.nan_to_num(0.0)
    if mask is not None and after:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


def sdpa_mistakes(q, k, v, mask=None) -> dict:
    d_k, d_v = q.size(-1), v.size(-1)
    out = {
        "no 1/sqrt(d_k) scaling of the scores": lambda: attention(q, k, v, mask, scale=1.0),
        "scores divided by d_k instead of sqrt(d_k)": lambda: attention(q, k, v, mask, scale=d_k),
        "scores scaled by sqrt(d_v) (the values' size) instead of sqrt(d_k) (the keys' size)": lambda: attention(q, k, v, mask, scale=math.sqrt(d_v)),
        "softmax over the wrong axis (the queries, dim=-2) instead of the keys (dim=-1)": lambda: attention(q, k, v, mask, dim=-2),
    }
    if mask is not None:
        out |= {
            "mask applied after the softmax (masked weights zeroed without renormalising): mask the scores before it": lambda: attention(
                q, k, v, mask, after=True
            ),
            "mask inverted: True means the key may be attended": lambda: attention(q, k, v, ~mask),
            "mask ignored": lambda: attention(q, k, v),
            "a fully masked query row gives NaN: it must give zero weights and a zero output": lambda: attention(q, k, v, mask, nan_rows=True),
            "masked with a large negative number instead of -inf: a fully masked row gets uniform weights instead of zeros": lambda: attention(
                q, k, v, mask, fill=-1e9
            ),
        }
    return out


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
