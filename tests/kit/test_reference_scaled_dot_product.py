"""The reference softmax and scaled dot-product attention against PyTorch: torch.softmax,
F.scaled_dot_product_attention (with and without boolean masks), autograd of the built-ins and
finite differences (gradcheck), in float32 and float64, on the CPU and on the ``meta`` device.

PyTorch and this course differ on one point: a query row with every key masked. PyTorch's softmax
gives NaN there (and F.scaled_dot_product_attention NaN or zeros depending on the backend); the
course wants zeros. Comparisons with PyTorch therefore use only rows with at least one key, and
the fully masked rows are checked on their own.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from autograder.grading.loader import reference

SDP = reference()["scaled_dot_product"]
B, H, LQ, LK, DK, DV = 2, 3, 5, 7, 4, 6
TOL = {torch.float32: {"rtol": 1e-5, "atol": 1e-6}, torch.float64: {"rtol": 1e-10, "atol": 1e-12}}
DTYPES = [torch.float32, torch.float64]


def randn(*shape: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


def qkv(seed: int, dtype: torch.dtype = torch.float64, lead: tuple[int, ...] = (B, H)):
    return randn(*lead, LQ, DK, seed=seed, dtype=dtype), randn(*lead, LK, DK, seed=seed + 1, dtype=dtype), randn(*lead, LK, DV, seed=seed + 2, dtype=dtype)


def mask_of(*shape: int, seed: int, full_row: bool = False) -> torch.Tensor:
    mask = torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) < 0.6
    mask[..., 0] |= ~mask.any(dim=-1)
    if full_row:
        mask[..., 1, :] = False
    return mask


MASK_SHAPES = {"(Lq, Lk)": (LQ, LK), "(B, 1, 1, Lk)": (B, 1, 1, LK), "(B, 1, Lq, Lk)": (B, 1, LQ, LK), "(B, H, Lq, Lk)": (B, H, LQ, LK)}


# -- softmax -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_equals_torch(dtype, dim):
    x = randn(B, LQ, LK, seed=0, dtype=dtype) * 4
    x[0, 1, 2] = float("-inf")  # partly -inf slices are ordinary
    got = SDP.softmax(x, dim=dim)
    assert got.dtype == dtype and got.shape == x.shape
    torch.testing.assert_close(got, torch.softmax(x, dim=dim), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_large_magnitudes_equal_torch(dtype):
    x = randn(4, LK, seed=1, dtype=dtype) * 10 + torch.tensor([1000.0, -1000.0, 5000.0, -5000.0], dtype=dtype)[:, None]
    got = SDP.softmax(x)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, torch.softmax(x, dim=-1), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_all_minus_inf_slices_are_zero(dtype):
    x = randn(3, 4, LK, seed=2, dtype=dtype)
    x[1, 2] = float("-inf")
    x[:, :, 3] = float("-inf")
    got = SDP.softmax(x)
    assert not got.isnan().any()
    assert (got[1, 2] == 0).all()
    rows = ~torch.isinf(x).all(dim=-1)
    torch.testing.assert_close(got[rows], torch.softmax(x, dim=-1)[rows], **TOL[dtype])
    dim0 = SDP.softmax(x, dim=1)  # along another axis: column 3 is all -inf in every slice
    assert (dim0[:, :, 3] == 0).all() and not dim0.isnan().any()


def test_softmax_gradient_equals_torch_autograd():
    x = randn(B, LQ, LK, seed=3) * 2
    x[0, 0, 1] = float("-inf")
    g = randn(B, LQ, LK, seed=4)
    ours, theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    (SDP.softmax(ours) * g).sum().backward()
    (torch.softmax(theirs, dim=-1) * g).sum().backward()
    torch.testing.assert_close(ours.grad, theirs.grad, **TOL[torch.float64])


def test_softmax_gradcheck():
    x = (randn(3, LK, seed=5) * 2).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: SDP.softmax(t, dim=0), (x,))
    assert torch.autograd.gradcheck(SDP.softmax, (x,))


def test_softmax_gradient_of_all_minus_inf_slice_is_zero():
    x = randn(3, LK, seed=6)
    x[1] = float("-inf")
    x.requires_grad_()
    (SDP.softmax(x) * randn(3, LK, seed=7)).sum().backward()
    assert torch.isfinite(x.grad).all() and (x.grad[1] == 0).all()


# -- scaled_dot_product_attention ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lead", [(B, H), (B,), ()], ids=["BxH", "B", "unbatched"])
def test_sdpa_equals_torch_without_mask(dtype, lead):
    q, k, v = qkv(10, dtype, lead)
    out, weights = SDP.scaled_dot_product_attention(q, k, v)
    assert out.dtype == weights.dtype == dtype
    assert out.shape == (*lead, LQ, DV) and weights.shape == (*lead, LQ, LK)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), **TOL[dtype])
    torch.testing.assert_close(weights, torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(DK), dim=-1), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", list(MASK_SHAPES))
def test_sdpa_equals_torch_with_bool_mask(dtype, shape):
    q, k, v = qkv(20, dtype)
    mask = mask_of(*MASK_SHAPES[shape], seed=21, full_row=shape != "(B, 1, 1, Lk)")
    out, weights = SDP.scaled_dot_product_attention(q, k, v, mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    rows = mask.any(dim=-1).expand(B, H, LQ)  # PyTorch's answer for a fully masked row is not ours
    torch.testing.assert_close(out[rows], expected[rows], **TOL[dtype])
    assert (weights[~mask.expand(B, H, LQ, LK)] == 0).all()
    assert (weights[~rows] == 0).all() and (out[~rows] == 0).all()
    assert not out.isnan().any() and not weights.isnan().any()


def test_sdpa_is_causal_equals_torch():
    q, k, v = qkv(25)
    k, v = k[..., :LQ, :], v[..., :LQ, :]
    causal = torch.ones(LQ, LQ, dtype=torch.bool).tril()
    out, _ = SDP.scaled_dot_product_attention(q, k, v, causal)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL[torch.float64])


def test_sdpa_gradients_equal_torch_autograd():
    q, k, v = qkv(30)
    mask = mask_of(B, 1, LQ, LK, seed=31)
    g = randn(B, H, LQ, DV, seed=32)
    ours = [t.clone().requires_grad_() for t in (q, k, v)]
    theirs = [t.clone().requires_grad_() for t in (q, k, v)]
    (SDP.scaled_dot_product_attention(*ours, mask)[0] * g).sum().backward()
    (F.scaled_dot_product_attention(*theirs, attn_mask=mask) * g).sum().backward()
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.grad, b.grad, **TOL[torch.float64])


def test_sdpa_gradcheck_with_fully_masked_row():
    q, k, v = (t[:1, :2].clone().requires_grad_() for t in qkv(40))
    mask = mask_of(1, 1, LQ, LK, seed=41, full_row=True)
    assert torch.autograd.gradcheck(lambda a, b, c: SDP.scaled_dot_product_attention(a, b, c, mask), (q, k, v))


def test_sdpa_fully_masked_row_has_finite_zero_gradient():
    q, k, v = (t.clone().requires_grad_() for t in qkv(50))
    mask = mask_of(B, 1, LQ, LK, seed=51, full_row=True)
    out, weights = SDP.scaled_dot_product_attention(q, k, v, mask)
    (out.sum() + weights.sum()).backward()
    for t in (q, k, v):
        assert torch.isfinite(t.grad).all()
    assert (q.grad[:, :, 1] == 0).all()  # that query reads nothing, so nothing depends on it


@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_keeps_device_and_dtype(dtype):
    q, k, v = (t.to("meta") for t in qkv(60, dtype))
    mask = mask_of(LQ, LK, seed=61).to("meta")
    out, weights = SDP.scaled_dot_product_attention(q, k, v, mask)
    assert out.device.type == weights.device.type == "meta"
    assert out.dtype == weights.dtype == dtype


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_on_the_gpu_equals_torch_and_the_cpu(dtype):
    q, k, v = qkv(70, dtype)
    mask = mask_of(B, 1, LQ, LK, seed=71, full_row=True)
    cpu_out, cpu_weights = SDP.scaled_dot_product_attention(q, k, v, mask)
    gq, gk, gv = (t.cuda().requires_grad_() for t in (q, k, v))
    out, weights = SDP.scaled_dot_product_attention(gq, gk, gv, mask.cuda())
    assert out.device.type == weights.device.type == "cuda" and out.dtype == dtype
    rows = mask.any(dim=-1).expand(B, H, LQ).cuda()
    expected = F.scaled_dot_product_attention(gq, gk, gv, attn_mask=mask.cuda())
    torch.testing.assert_close(out[rows], expected[rows], **TOL[dtype])
    torch.testing.assert_close(out.cpu(), cpu_out, **TOL[dtype])
    torch.testing.assert_close(weights.cpu(), cpu_weights, **TOL[dtype])
    assert (out[~rows] == 0).all() and (weights[~rows] == 0).all()
    out.sum().backward()
    assert all(torch.isfinite(t.grad).all() for t in (gq, gk, gv))


def test_sdpa_does_not_call_the_builtin(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the reference must not call F.scaled_dot_product_attention or torch.softmax")

    monkeypatch.setattr(F, "scaled_dot_product_attention", forbidden)
    monkeypatch.setattr(torch, "softmax", forbidden)
    monkeypatch.setattr(torch.Tensor, "softmax", forbidden)
    SDP.scaled_dot_product_attention(*qkv(70), mask_of(LQ, LK, seed=71))
