"""Hidden suite: attention/scaled_dot_product.py.

Expected values come from the reference, computed here in the trusted process, in float64 with
dimensions that all differ (B=2, H=3, Lq=5, Lk=7, d_k=4, d_v=6) so that no transpose or wrong
axis can pass. Known mistakes (no scaling, softmax over the queries, the mask applied after the
softmax or inverted, fully masked rows giving NaN or uniform weights ...) are rebuilt below from
the formula with torch's own operations, so a wrong answer that equals one of them is named.
Gradients come back from the ``function_run`` probe and are compared with the reference's autograd.
"""

from __future__ import annotations

import math

import pytest
import torch

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.scaled_dot_product import (
    NEG_INF,
    SDPA,
    SOFTMAX,
    sdpa_mistakes,
    softmax_mistakes,
)
from autograder.grading.testing import check_items

B, H, LQ, LK, DK, DV = 2, 3, 5, 7, 4, 6

pytestmark = pytest.mark.timeout(20)


def randn(*shape: int, seed: int, scale: float = 1.0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return (torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale).to(dtype)


def random_mask(*shape: int, seed: int, keep: float = 0.6, full_rows: bool = False) -> torch.Tensor:
    """A boolean mask; every row keeps at least one key unless ``full_rows`` (then row 1 is fully masked)."""
    mask = torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) < keep
    mask[..., 0] |= ~mask.any(dim=-1)  # no empty row by accident
    if full_rows:
        mask[..., 1, :] = False
    return mask


def qkv(seed: int, lead: tuple[int, ...] = (B, H), dtype: torch.dtype = torch.float64, scale: float = 1.0):
    return (
        randn(*lead, LQ, DK, seed=seed, scale=scale, dtype=dtype),
        randn(*lead, LK, DK, seed=seed + 1, dtype=dtype),
        randn(*lead, LK, DV, seed=seed + 2, dtype=dtype),
    )


# -- softmax and its known mistakes --------------------------------------------------------------------


# -- attention and its known mistakes ----------------------------------------------------------------


def check_output_weights(got, expected: tuple, *, what: str, mistakes: dict | None = None) -> None:
    """check_items() of an ``(output, weights)`` result: the weights first (they show most mistakes)."""
    check_items(got, expected, ("output", "weights"), order=("weights", "output"), what=what, mistakes=mistakes)


def detached(value):
    if isinstance(value, tuple):
        return tuple(detached(v) for v in value)
    return value.detach()


# -- softmax ---------------------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
def test_softmax_matches_reference(student, ref, dtype):
    """softmax: the last axis by default, same shape and dtype, rows sum to 1"""
    x = randn(B, LQ, LK, seed=1, scale=3.0, dtype=dtype)
    expected = ref["scaled_dot_product"].softmax(x)
    check(student.call(SOFTMAX, x), expected, what=f"softmax({describe_args(x)})", mistakes=softmax_mistakes(x))


@pytest.mark.points(2)
@pytest.mark.parametrize("dim", [0, 1, -2])
def test_softmax_respects_dim(student, ref, dim):
    """softmax: normalises along the axis given by dim"""
    x = randn(B, LQ, LK, seed=2, scale=3.0)
    expected = ref["scaled_dot_product"].softmax(x, dim=dim)
    check(
        student.call(SOFTMAX, x, dim=dim),
        expected,
        what=f"softmax({describe_args(x)}, dim={dim})",
        mistakes=softmax_mistakes(x, dim),
    )


@pytest.mark.points(2)
def test_softmax_is_stable_for_large_inputs(student, ref):
    """softmax: inputs of magnitude 1000 give no inf or NaN"""
    x = randn(LQ, LK, seed=3, scale=10.0) + torch.tensor([1000.0, -1000.0, 0.0, 800.0, -800.0])[:, None]
    expected = ref["scaled_dot_product"].softmax(x)
    got = student.call(SOFTMAX, x)
    check(
        got,
        expected,
        what=f"softmax({describe_args(x)} with entries near +-1000)",
        mistakes=softmax_mistakes(x, got=got),
    )


@pytest.mark.points(2)
def test_softmax_all_minus_inf_slice_is_zero(student, ref):
    """softmax: an all -inf slice gives zeros (never NaN); -inf entries get 0"""
    x = randn(3, LK, seed=4)
    x[0, 2:5] = NEG_INF
    x[1] = NEG_INF
    expected = ref["scaled_dot_product"].softmax(x)
    check(
        student.call(SOFTMAX, x),
        expected,
        what=f"softmax({describe_args(x)}) with row 1 all -inf and row 0 partly -inf",
        mistakes=softmax_mistakes(x),
    )


@pytest.mark.points(2)
def test_softmax_gradient(student, ref):
    """softmax: differentiable; the gradient equals autograd's on the reference"""
    x = randn(B, LQ, LK, seed=5, scale=2.0)
    x[0, 1, 3] = NEG_INF  # a masked entry gets zero gradient
    g = randn(B, LQ, LK, seed=6)
    xr = x.clone().requires_grad_()
    (ref["scaled_dot_product"].softmax(xr) * g).sum().backward()
    got = student.probe("function_run", target=SOFTMAX, args=[x.clone().requires_grad_()], kwargs={}, grad_outputs=[g])
    what = f"softmax({describe_args(x)})"
    check(got["outputs"], ref["scaled_dot_product"].softmax(x), what=what)
    check(
        got["differentiable"],
        True,
        what=f"{what} is on autograd's graph (no .detach(), .numpy() or torch.tensor(...) of the input)",
    )
    check(got["input_grads"][0], xr.grad, what=f"gradient of sum(softmax(x) * g) with respect to x <{tuple(x.shape)}>")


# -- scaled_dot_product_attention -------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("lead", [(B, H), (B,), ()], ids=["BxH", "B", "unbatched"])
def test_sdpa_matches_reference(student, ref, lead):
    """sdpa: output and weights without a mask, any leading batch axes"""
    q, k, v = qkv(10, lead)
    expected = ref["scaled_dot_product"].scaled_dot_product_attention(q, k, v)
    check_output_weights(
        student.call(SDPA, q, k, v),
        expected,
        what=f"scaled_dot_product_attention({describe_args(q, k, v)})",
        mistakes=sdpa_mistakes(q, k, v),
    )


@pytest.mark.points(1)
def test_sdpa_by_hand(student):
    """sdpa: one query, two keys, d_k = 1, small enough to work out by hand"""
    q, k, v = (
        torch.tensor([[2.0]], dtype=torch.float64),
        torch.tensor([[1.0], [0.0]], dtype=torch.float64),
        torch.tensor([[10.0], [20.0]], dtype=torch.float64),
    )
    w = torch.tensor([[math.exp(2) / (math.exp(2) + 1), 1 / (math.exp(2) + 1)]], dtype=torch.float64)
    what = "scaled_dot_product_attention(q=[[2.]], k=[[1.], [0.]], v=[[10.], [20.]])"
    check_output_weights(student.call(SDPA, q, k, v), (w @ v, w), what=what, mistakes=sdpa_mistakes(q, k, v))


MASKS = {
    "causal-like (Lq, Lk)": lambda: random_mask(LQ, LK, seed=20),
    "padding (B, 1, 1, Lk)": lambda: random_mask(B, 1, 1, LK, seed=21),
    "per head (B, H, Lq, Lk)": lambda: random_mask(B, H, LQ, LK, seed=22),
}


@pytest.mark.points(3)
@pytest.mark.parametrize("mask_kind", list(MASKS))
def test_sdpa_with_mask(student, ref, mask_kind):
    """sdpa: masked keys get weight 0 and the rest renormalise; masks broadcast"""
    q, k, v = qkv(30)
    mask = MASKS[mask_kind]()
    expected = ref["scaled_dot_product"].scaled_dot_product_attention(q, k, v, mask)
    check_output_weights(
        student.call(SDPA, q, k, v, mask),
        expected,
        what=f"scaled_dot_product_attention({describe_args(q, k, v, mask)}) with a {mask_kind} mask (True = may "
        "attend)",
        mistakes=sdpa_mistakes(q, k, v, mask),
    )


@pytest.mark.points(1)
def test_sdpa_mask_by_hand(student):
    """sdpa: with one of two keys masked, the only query reads the other value alone (worked out by hand)"""
    q, k, v = (
        torch.tensor([[2.0]], dtype=torch.float64),
        torch.tensor([[1.0], [0.0]], dtype=torch.float64),
        torch.tensor([[10.0], [20.0]], dtype=torch.float64),
    )
    mask = torch.tensor([[False, True]])
    expected = (torch.tensor([[20.0]], dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64))
    what = "scaled_dot_product_attention(q=[[2.]], k=[[1.], [0.]], v=[[10.], [20.]], mask=[[False, True]])"
    check_output_weights(student.call(SDPA, q, k, v, mask), expected, what=what, mistakes=sdpa_mistakes(q, k, v, mask))


@pytest.mark.points(2)
def test_sdpa_fully_masked_row(student, ref):
    """sdpa: a query with every key masked gets zero weights and a zero output, not NaN"""
    q, k, v = qkv(40)
    mask = random_mask(B, 1, LQ, LK, seed=41, full_rows=True)
    expected = ref["scaled_dot_product"].scaled_dot_product_attention(q, k, v, mask)
    check_output_weights(
        student.call(SDPA, q, k, v, mask),
        expected,
        what=f"scaled_dot_product_attention({describe_args(q, k, v, mask)}), query row 1 fully masked",
        mistakes=sdpa_mistakes(q, k, v, mask),
    )


@pytest.mark.points(1)
def test_sdpa_large_scores(student, ref):
    """sdpa: scores of magnitude ~1000 stay finite (a stable softmax)"""
    q, k, v = qkv(50, scale=300.0)
    mask = random_mask(LQ, LK, seed=51)
    expected = ref["scaled_dot_product"].scaled_dot_product_attention(q, k, v, mask)
    check_output_weights(
        student.call(SDPA, q, k, v, mask),
        expected,
        what=f"scaled_dot_product_attention({describe_args(q, k, v, mask)}) with scores near +-1000",
        mistakes=sdpa_mistakes(q, k, v, mask),
    )


@pytest.mark.points(1)
def test_sdpa_float32(student, ref):
    """sdpa: float32 inputs give float32 output and weights"""
    q, k, v = qkv(60, dtype=torch.float32)
    mask = random_mask(B, 1, 1, LK, seed=61)
    expected = ref["scaled_dot_product"].scaled_dot_product_attention(q, k, v, mask)
    check_output_weights(
        student.call(SDPA, q, k, v, mask),
        expected,
        what=f"scaled_dot_product_attention({describe_args(q, k, v, mask)})",
    )


@pytest.mark.points(3)
def test_sdpa_gradients(student, ref):
    """sdpa: differentiable; gradients of q, k, v equal autograd's on the reference (finite with a fully masked row)"""
    q, k, v = qkv(70)
    mask = random_mask(B, 1, LQ, LK, seed=71, full_rows=True)
    g_out, g_w = randn(B, H, LQ, DV, seed=72), randn(B, H, LQ, LK, seed=73)
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out, w = ref["scaled_dot_product"].scaled_dot_product_attention(*leaves, mask)
    ((out * g_out).sum() + (w * g_w).sum()).backward()
    got = student.probe(
        "function_run",
        target=SDPA,
        args=[t.clone().requires_grad_() for t in (q, k, v)] + [mask],
        kwargs={},
        grad_outputs=[g_out, g_w],
    )
    what = f"scaled_dot_product_attention({describe_args(q, k, v, mask)})"
    check_output_weights(got["outputs"], detached((out, w)), what=what, mistakes=sdpa_mistakes(q, k, v, mask))
    check(
        got["differentiable"],
        True,
        what=f"{what}: output and weights on autograd's graph (no .detach(), .numpy() or torch.tensor(...))",
    )
    for name, got_grad, leaf in zip("qkv", got["input_grads"], leaves):
        check(
            got_grad,
            leaf.grad,
            what=f"gradient of sum(output * g_out) + sum(weights * g_w) with respect to {name} <{tuple(leaf.shape)}>",
        )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64], ids=["float", "int"])
def test_sdpa_refuses_a_non_bool_mask(student, dtype):
    """sdpa: a mask that is not boolean raises TypeError (0/1 or an additive 0/-inf mask would be a guess)"""
    q, k, v = qkv(80)
    mask = torch.ones(LQ, LK, dtype=dtype)
    check_raises(
        lambda: student.call(SDPA, q, k, v, mask),
        "TypeError",
        what=f"scaled_dot_product_attention({describe_args(q, k, v, mask)})",
    )
