"""The reference split_heads / merge_heads / MultiHeadAttention against independent oracles:
element-by-element definitions, and torch.nn.MultiheadAttention(batch_first=True) given the same
weights (outputs, per-head and averaged weights, input and parameter gradients), in float32 and
float64, with and without biases and masks; dropout in train mode; the ``meta`` device.

Translations: PyTorch stacks W_q, W_k, W_v in ``in_proj_weight`` (ours are ``w_q``, ``w_k``,
``w_v``; its ``out_proj`` is our ``w_o``), and its boolean masks mark what may *not* be attended.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from autograder.grading.loader import reference

MH = reference()["multi_head"]
B, H, LQ, LK, D = 2, 3, 5, 7, 12
DH = D // H
TOL = {torch.float32: {"rtol": 1e-4, "atol": 1e-5}, torch.float64: {"rtol": 1e-9, "atol": 1e-11}}
DTYPES = [torch.float32, torch.float64]


def randn(*shape: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


def pair(seed: int, dtype: torch.dtype = torch.float64, bias: bool = True, dropout: float = 0.0) -> tuple[nn.MultiheadAttention, nn.Module]:
    """nn.MultiheadAttention with random weights and biases, and the reference with the same weights."""
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(D, H, dropout=dropout, bias=bias, batch_first=True).to(dtype).eval()
    with torch.no_grad():
        for p in theirs.parameters():
            if p.dim() == 1:
                p.normal_(0, 0.3)
    ours = MH.MultiHeadAttention(D, H, dropout=dropout, bias=bias).to(dtype).eval()
    ours.load_state_dict(to_our_names(dict(theirs.named_parameters())), strict=True)
    return theirs, ours


def to_our_names(theirs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """PyTorch's parameter names (and values, or gradients) -> ours."""
    ours = {}
    for name, w in zip(["w_q", "w_k", "w_v"], theirs["in_proj_weight"].detach().chunk(3)):
        ours[f"{name}.weight"] = w
    if theirs.get("in_proj_bias") is not None:
        for name, b in zip(["w_q", "w_k", "w_v"], theirs["in_proj_bias"].detach().chunk(3)):
            ours[f"{name}.bias"] = b
    ours["w_o.weight"] = theirs["out_proj.weight"].detach()
    if theirs.get("out_proj.bias") is not None:
        ours["w_o.bias"] = theirs["out_proj.bias"].detach()
    return ours


# -- split_heads / merge_heads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("heads", [1, 3, 4, 12])
def test_split_heads_by_definition(heads):
    x = randn(B, LQ, D, seed=heads)
    got = MH.split_heads(x, heads)
    dh = D // heads
    assert got.shape == (B, heads, LQ, dh)
    for h in range(heads):
        torch.testing.assert_close(got[:, h], x[:, :, h * dh : (h + 1) * dh], rtol=0, atol=0)


@pytest.mark.parametrize("heads", [1, 3, 4])
def test_merge_heads_inverts_split_heads(heads):
    x = randn(B, LK, D, seed=10 + heads)
    torch.testing.assert_close(MH.merge_heads(MH.split_heads(x, heads)), x, rtol=0, atol=0)
    y = randn(B, heads, LQ, D // heads, seed=20 + heads)
    torch.testing.assert_close(MH.split_heads(MH.merge_heads(y), heads), y, rtol=0, atol=0)


# -- construction ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d_model,heads", [(10, 3), (12, 5), (12, 0), (4, 8)])
def test_heads_must_divide_d_model(d_model, heads):
    with pytest.raises(ValueError):
        MH.MultiHeadAttention(d_model, heads)


@pytest.mark.parametrize("bias", [True, False])
def test_submodules(bias):
    m = MH.MultiHeadAttention(D, H, bias=bias)
    for name in ["w_q", "w_k", "w_v", "w_o"]:
        layer = getattr(m, name)
        assert isinstance(layer, nn.Linear) and layer.in_features == layer.out_features == D
        assert (layer.bias is not None) == bias
    assert not any(isinstance(x, nn.MultiheadAttention) for x in m.modules())


# -- against nn.MultiheadAttention ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_equals_torch(dtype, bias):
    theirs, ours = pair(0, dtype, bias)
    x = randn(B, LQ, D, seed=1, dtype=dtype)
    out, weights = ours(x, x, x)
    expected_out, expected_weights = theirs(x, x, x, average_attn_weights=False)
    assert out.dtype == weights.dtype == dtype
    torch.testing.assert_close(out, expected_out, **TOL[dtype])
    torch.testing.assert_close(weights, expected_weights, **TOL[dtype])
    torch.testing.assert_close(weights.mean(dim=1), theirs(x, x, x)[1], **TOL[dtype])  # PyTorch's default averages the heads


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_attention_with_masks_equals_torch(dtype):
    theirs, ours = pair(2, dtype)
    query, key, value = randn(B, LQ, D, seed=3, dtype=dtype), randn(B, LK, D, seed=4, dtype=dtype), randn(B, LK, D, seed=5, dtype=dtype)
    keep = torch.ones(B, LK, dtype=torch.bool)
    keep[1, 4:] = False
    allowed = torch.rand(LQ, LK, generator=torch.Generator().manual_seed(6)) < 0.7
    allowed[:, 0] = True
    out, weights = ours(query, key, value, keep[:, None, None, :] & allowed)
    expected_out, expected_weights = theirs(query, key, value, key_padding_mask=~keep, attn_mask=~allowed, average_attn_weights=False)
    torch.testing.assert_close(out, expected_out, **TOL[dtype])
    torch.testing.assert_close(weights, expected_weights, **TOL[dtype])


def test_causal_and_padding_decoder_mask_equals_torch():
    theirs, ours = pair(7)
    tokens = torch.tensor([[5, 6, 7, 8, 9], [5, 6, 7, 0, 0]])
    mask = reference()["masks"].decoder_mask(tokens, 0)
    x = randn(B, LQ, D, seed=8)
    causal = torch.ones(LQ, LQ, dtype=torch.bool).tril()
    expected = theirs(x, x, x, key_padding_mask=tokens == 0, attn_mask=~causal, average_attn_weights=False)
    for got, exp in zip(ours(x, x, x, mask), expected):
        torch.testing.assert_close(got, exp, **TOL[torch.float64])


def test_gradients_equal_torch_autograd():
    theirs, ours = pair(9)
    query, memory = randn(B, LQ, D, seed=10), randn(B, LK, D, seed=11)
    keep = torch.ones(B, LK, dtype=torch.bool)
    keep[0, 5:] = False
    g = randn(B, LQ, D, seed=12)
    our_in = [query.clone().requires_grad_(), memory.clone().requires_grad_()]
    their_in = [query.clone().requires_grad_(), memory.clone().requires_grad_()]
    (ours(our_in[0], our_in[1], our_in[1], keep[:, None, None, :])[0] * g).sum().backward()
    (theirs(their_in[0], their_in[1], their_in[1], key_padding_mask=~keep)[0] * g).sum().backward()
    for a, b in zip(our_in, their_in):
        torch.testing.assert_close(a.grad, b.grad, **TOL[torch.float64])
    their_grads = to_our_names({n: p.grad for n, p in theirs.named_parameters()})
    for name, p in ours.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        torch.testing.assert_close(p.grad, their_grads[name], **TOL[torch.float64])


def test_gradcheck():
    _, ours = pair(13)
    query, memory = randn(1, 3, D, seed=14).requires_grad_(), randn(1, 4, D, seed=15).requires_grad_()
    mask = torch.tensor([True, True, False, True])
    assert torch.autograd.gradcheck(lambda q, m: ours(q, m, m, mask)[0], (query, memory))


# -- dropout, devices, forbidden built-ins ------------------------------------------------------------------------------


def test_dropout_in_train_mode():
    _, ours = pair(16, dropout=0.5)
    query, memory = randn(B, LQ, D, seed=17), randn(B, LK, D, seed=18)
    eval_out, eval_weights = ours(query, memory, memory)
    ours.train()
    torch.manual_seed(0)
    train_out, train_weights = ours(query, memory, memory)
    torch.testing.assert_close(train_weights, eval_weights, rtol=0, atol=0)  # returned before dropout
    assert not torch.allclose(train_out, eval_out)
    # Dropout is unbiased: averaged over many draws the output approaches the eval output.
    mean = torch.stack([ours(query, memory, memory)[0] for _ in range(2000)]).mean(dim=0)
    torch.testing.assert_close(mean, eval_out, rtol=0, atol=0.05)


def test_dropout_one_in_train_mode_drops_every_weight():
    _, ours = pair(19, dropout=1.0)
    x = randn(B, LQ, D, seed=20)
    eval_weights = ours(x, x, x)[1]
    out, weights = ours.train()(x, x, x)
    torch.testing.assert_close(out, ours.w_o.bias.detach().expand(B, LQ, D))
    torch.testing.assert_close(weights, eval_weights)


@pytest.mark.parametrize("dtype", DTYPES)
def test_keeps_device_and_dtype(dtype):
    ours = MH.MultiHeadAttention(D, H).to(device="meta", dtype=dtype)
    query, memory = torch.empty(B, LQ, D, device="meta", dtype=dtype), torch.empty(B, LK, D, device="meta", dtype=dtype)
    mask = reference()["masks"].padding_mask(torch.ones(B, LK, dtype=torch.long, device="meta"), 0)
    out, weights = ours(query, memory, memory, mask)
    assert out.device.type == weights.device.type == "meta"
    assert out.dtype == weights.dtype == dtype
    assert out.shape == (B, LQ, D) and weights.shape == (B, H, LQ, LK)


def test_does_not_use_torch_attention(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the reference must not use PyTorch's attention")

    monkeypatch.setattr(F, "scaled_dot_product_attention", forbidden)
    monkeypatch.setattr(F, "multi_head_attention_forward", forbidden)
    monkeypatch.setattr(nn.MultiheadAttention, "forward", forbidden)
    _, ours = pair(21)
    x = randn(B, LQ, D, seed=22)
    ours(x, x, x)
