"""Public tests for transformer/layers.py: a hand-checked LayerNorm and FeedForward, and the layers
against PyTorch's own nn.LayerNorm / nn.TransformerEncoderLayer / nn.TransformerDecoderLayer given
the same weights.

Two conventions differ between this course and PyTorch, and the helpers below translate them:
- PyTorch's attention keeps W_q, W_k, W_v stacked in one ``in_proj_weight`` (3 * d_model rows);
  ours are three ``nn.Linear`` layers ``w_q``, ``w_k``, ``w_v`` (and ``out_proj`` is our ``w_o``).
- PyTorch's boolean masks say where attention is *not* allowed; ours say where it *is*.
"""

import math
from collections.abc import Callable
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from autograder.grading.compare import check
from autograder.grading.mistakes.layers import DEC, ENC, FFN, LN, decoder_mistakes, encoder_mistakes, layer_norm_mistakes

B, L, LM, D, H, DFF = 2, 5, 7, 12, 3, 20


def randomised(module: nn.Module, seed: int) -> nn.Module:
    """float64, with every parameter random (PyTorch starts biases at 0 and norms at 1)."""
    gen = torch.Generator().manual_seed(seed)
    module = module.double()
    with torch.no_grad():
        for owner in module.modules():
            for name, p in owner.named_parameters(recurse=False):
                one = 1.0 if isinstance(owner, nn.LayerNorm) and name == "weight" else 0.0  # norm gains near 1
                p.copy_(one + 0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    return module


def our_attention_state(prefix: str, theirs: dict, their_prefix: str) -> dict:
    w, b = theirs[f"{their_prefix}.in_proj_weight"], theirs[f"{their_prefix}.in_proj_bias"]
    state = {}
    for i, name in enumerate(["w_q", "w_k", "w_v"]):
        state[f"{prefix}.{name}.weight"] = w[i * D : (i + 1) * D]
        state[f"{prefix}.{name}.bias"] = b[i * D : (i + 1) * D]
    state[f"{prefix}.w_o.weight"] = theirs[f"{their_prefix}.out_proj.weight"]
    state[f"{prefix}.w_o.bias"] = theirs[f"{their_prefix}.out_proj.bias"]
    return state


def our_layer_state(layer: nn.Module) -> dict:
    """Our names for the weights of nn.TransformerEncoderLayer / nn.TransformerDecoderLayer."""
    theirs = {k: v.detach().clone() for k, v in layer.state_dict().items()}
    state = our_attention_state("self_attn", theirs, "self_attn")
    if "multihead_attn.in_proj_weight" in theirs:
        state |= our_attention_state("cross_attn", theirs, "multihead_attn")
    for name in ["linear1", "linear2"]:
        state[f"ffn.{name}.weight"], state[f"ffn.{name}.bias"] = theirs[f"{name}.weight"], theirs[f"{name}.bias"]
    for name in ["norm1", "norm2", "norm3"]:
        if f"{name}.weight" in theirs:
            state[f"{name}.weight"], state[f"{name}.bias"] = theirs[f"{name}.weight"], theirs[f"{name}.bias"]
    return state


def x_of(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def attention_of(theirs: nn.MultiheadAttention) -> Callable:
    """PyTorch's attention weights used our way: (query, key, value, mask True = may attend) -> (output, weights)."""
    w_q, w_k, w_v = theirs.in_proj_weight.detach().chunk(3)
    b_q, b_k, b_v = theirs.in_proj_bias.detach().chunk(3)

    def split(x):
        return x.view(x.size(0), x.size(1), H, D // H).transpose(1, 2)

    def attend(query, key, value, mask=None):
        q, k, v = split(query @ w_q.T + b_q), split(key @ w_k.T + b_k), split(value @ w_v.T + b_v)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // H)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)
        out = (weights @ v).transpose(1, 2).reshape(query.shape)
        return out @ theirs.out_proj.weight.detach().T + theirs.out_proj.bias.detach(), weights

    return attend


def parts_of(layer: nn.Module) -> SimpleNamespace:
    """A PyTorch layer's parts under our names (self_attn, cross_attn, ffn, norm1, norm2, norm3)."""
    parts = SimpleNamespace(self_attn=attention_of(layer.self_attn), norm1=layer.norm1, norm2=layer.norm2)
    parts.ffn = lambda h: layer.linear2(torch.relu(layer.linear1(h)))
    if hasattr(layer, "multihead_attn"):
        parts.cross_attn, parts.norm3 = attention_of(layer.multihead_attn), layer.norm3
    return parts


def test_layer_norm_by_hand(student):
    """LayerNorm: [1, 3] has mean 2 and (biased) variance 1, so it becomes [-1, 1] / sqrt(1 + eps)"""
    got = student.probe("module_run", target=LN, init_args=[2], init_kwargs={}, calls=[{"args": [torch.tensor([[1.0, 3.0]])]}])
    scale = 1 / math.sqrt(1 + 1e-5)
    x = torch.tensor([[1.0, 3.0]])
    mistakes = layer_norm_mistakes(x, torch.ones(2), torch.zeros(2), 1e-5)
    check(got["outputs"][0], torch.tensor([[-scale, scale]]), what="LayerNorm(2)(torch.tensor([[1., 3.]]))", mistakes=mistakes)


def test_layer_norm_equals_torch(student):
    """LayerNorm: equals nn.LayerNorm with the same weight and bias, output and gradient"""
    theirs = randomised(nn.LayerNorm(D), seed=0)
    x = x_of(B, L, D, seed=1).requires_grad_()
    expected = theirs(x)
    expected.sum().backward()
    got = student.probe(
        "module_run", target=LN, init_args=[D], init_kwargs={}, calls=[{"args": [x.detach().requires_grad_()]}],
        state=theirs.state_dict(), dtype="float64", grad_outputs=[torch.ones(B, L, D, dtype=torch.float64)],
    )
    with torch.no_grad():
        mistakes = layer_norm_mistakes(x.detach(), theirs.weight.detach(), theirs.bias.detach(), 1e-5)
    check(got["outputs"][0], expected.detach(), what=f"LayerNorm({D})(x (2, 5, 12))", mistakes=mistakes)
    check(got["input_grads"][0][0], x.grad, what=f"gradient of x through LayerNorm({D})")


def test_feed_forward_by_hand(student):
    """FeedForward: with linear1 = [[1], [-1]] and linear2 = [[1, 1]] (no bias) it computes relu(x) + relu(-x) = |x|"""
    state = {
        "linear1.weight": torch.tensor([[1.0], [-1.0]]), "linear1.bias": torch.zeros(2),
        "linear2.weight": torch.tensor([[1.0, 1.0]]), "linear2.bias": torch.zeros(1),
    }
    x = torch.tensor([[[2.0], [-3.0]]])
    got = student.probe("module_run", target=FFN, init_args=[1, 2], init_kwargs={}, calls=[{"args": [x]}], state=state)
    mistakes = {"ReLU missing (linear2(linear1(x)))": torch.tensor([[[0.0], [0.0]]])}  # x - x
    check(got["outputs"][0], torch.tensor([[[2.0], [3.0]]]), what="FeedForward(1, 2)(torch.tensor([[[2.], [-3.]]]))", mistakes=mistakes)


def test_feed_forward_equals_the_formula(student):
    """FeedForward: linear2(relu(linear1(x))) with PyTorch's nn.Linear weights, x (2, 5, 12)"""
    linear1, linear2 = randomised(nn.Linear(D, DFF), seed=20), randomised(nn.Linear(DFF, D), seed=21)
    state = {"linear1.weight": linear1.weight, "linear1.bias": linear1.bias, "linear2.weight": linear2.weight, "linear2.bias": linear2.bias}
    x = x_of(B, L, D, seed=22)
    state = {k: v.detach() for k, v in state.items()}
    got = student.probe("module_run", target=FFN, init_args=[D, DFF], init_kwargs={}, calls=[{"args": [x]}], state=state, dtype="float64")
    with torch.no_grad():
        expected = linear2(torch.relu(linear1(x)))
        mistakes = {
            "ReLU missing (linear2(linear1(x)))": linear2(linear1(x)),
            "ReLU applied after linear2 instead of between the two linear layers": torch.relu(linear2(linear1(x))),
            "ReLU also applied to the output (only the hidden layer is rectified)": torch.relu(expected),
        }
    check(got["outputs"][0], expected, what=f"FeedForward({D}, {DFF})(x (2, 5, 12))", mistakes=mistakes)


def test_encoder_layer_equals_torch_post_norm(student):
    """EncoderLayer: equals nn.TransformerEncoderLayer(batch_first=True) with the same weights (post-norm)"""
    theirs = randomised(nn.TransformerEncoderLayer(D, H, DFF, dropout=0.0, batch_first=True), seed=2)
    x = x_of(B, L, D, seed=3)
    got = student.probe("module_run", target=ENC, init_args=[D, H, DFF], init_kwargs={}, calls=[{"args": [x]}], state=our_layer_state(theirs), dtype="float64")
    mistakes = encoder_mistakes(parts_of(theirs), x, None, False)
    check(got["outputs"][0], theirs(x).detach(), what=f"EncoderLayer({D}, {H}, {DFF})(x (2, 5, 12))", mistakes=mistakes)


def test_encoder_layer_equals_torch_pre_norm_with_padding(student):
    """EncoderLayer: norm_first=True with a padding mask equals PyTorch's (whose mask is the negation of ours)"""
    theirs = randomised(nn.TransformerEncoderLayer(D, H, DFF, dropout=0.0, batch_first=True, norm_first=True), seed=4)
    x = x_of(B, L, D, seed=5)
    keep = torch.tensor([[True] * L, [True] * (L - 2) + [False] * 2])  # the second sequence ends with 2 pads
    mask = keep[:, None, None, :]  # (B, 1, 1, L): True = may attend
    got = student.probe(
        "module_run", target=ENC, init_args=[D, H, DFF], init_kwargs={"norm_first": True},
        calls=[{"args": [x], "kwargs": {"mask": mask}}], state=our_layer_state(theirs), dtype="float64",
    )
    expected = theirs(x, src_key_padding_mask=~keep).detach()
    what = f"EncoderLayer({D}, {H}, {DFF}, norm_first=True)(x (2, 5, 12), mask <bool (2, 1, 1, 5)>)"
    check(got["outputs"][0], expected, mistakes=encoder_mistakes(parts_of(theirs), x, mask, True), what=what)


def test_decoder_layer_equals_torch_causal(student):
    """DecoderLayer: equals nn.TransformerDecoderLayer(batch_first=True) with a causal target mask"""
    theirs = randomised(nn.TransformerDecoderLayer(D, H, DFF, dropout=0.0, batch_first=True), seed=6)
    x, memory = x_of(B, L, D, seed=7), x_of(B, LM, D, seed=8)
    causal = torch.ones(L, L, dtype=torch.bool).tril()  # True on and below the diagonal: may attend
    got = student.probe(
        "module_run", target=DEC, init_args=[D, H, DFF], init_kwargs={},
        calls=[{"args": [x, memory], "kwargs": {"tgt_mask": causal}}], state=our_layer_state(theirs), dtype="float64",
    )
    expected = theirs(x, memory, tgt_mask=~causal).detach()
    what = f"DecoderLayer({D}, {H}, {DFF})(x (2, 5, 12), memory (2, 7, 12), tgt_mask=causal)"
    check(got["outputs"][0], expected, mistakes=decoder_mistakes(parts_of(theirs), x, memory, causal, None, False), what=what)


def test_decoder_layer_equals_torch_pre_norm_with_memory_padding(student):
    """DecoderLayer: norm_first=True with a memory padding mask equals PyTorch's"""
    theirs = randomised(nn.TransformerDecoderLayer(D, H, DFF, dropout=0.0, batch_first=True, norm_first=True), seed=9)
    x, memory = x_of(B, L, D, seed=10), x_of(B, LM, D, seed=11)
    keep = torch.tensor([[True] * (LM - 3) + [False] * 3, [True] * LM])
    got = student.probe(
        "module_run", target=DEC, init_args=[D, H, DFF], init_kwargs={"norm_first": True},
        calls=[{"args": [x, memory], "kwargs": {"memory_mask": keep[:, None, None, :]}}], state=our_layer_state(theirs), dtype="float64",
    )
    expected = theirs(x, memory, memory_key_padding_mask=~keep).detach()
    mistakes = decoder_mistakes(parts_of(theirs), x, memory, None, keep[:, None, None, :], True)
    what = f"DecoderLayer({D}, {H}, {DFF}, norm_first=True)(x (2, 5, 12), memory (2, 7, 12), memory_mask <bool (2, 1, 1, 7)>)"
    check(got["outputs"][0], expected, mistakes=mistakes, what=what)


def test_decoder_layer_equals_torch_post_norm_with_both_masks(student):
    """DecoderLayer: post-norm with a causal tgt_mask and a memory padding mask equals PyTorch's (each mask in its own sublayer)"""
    theirs = randomised(nn.TransformerDecoderLayer(D, H, DFF, dropout=0.0, batch_first=True), seed=12)
    x, memory = x_of(B, L, D, seed=13), x_of(B, LM, D, seed=14)
    causal = torch.ones(L, L, dtype=torch.bool).tril()
    keep = torch.tensor([[True] * LM, [True] * (LM - 3) + [False] * 3])  # the second source ends with 3 pads
    memory_mask = keep[:, None, None, :]
    got = student.probe(
        "module_run", target=DEC, init_args=[D, H, DFF], init_kwargs={},
        calls=[{"args": [x, memory], "kwargs": {"tgt_mask": causal, "memory_mask": memory_mask}}], state=our_layer_state(theirs), dtype="float64",
    )
    expected = theirs(x, memory, tgt_mask=~causal, memory_key_padding_mask=~keep).detach()
    mistakes = decoder_mistakes(parts_of(theirs), x, memory, causal, memory_mask, False)
    what = f"DecoderLayer({D}, {H}, {DFF})(x (2, 5, 12), memory (2, 7, 12), tgt_mask=causal, memory_mask <bool (2, 1, 1, 7)>)"
    check(got["outputs"][0], expected, mistakes=mistakes, what=what)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_layer_memory_as_long_as_the_target(student, norm_first):
    """DecoderLayer: memory as long as x (a cross-attention with its roles swapped still runs)"""
    theirs = randomised(nn.TransformerDecoderLayer(D, H, DFF, dropout=0.0, batch_first=True, norm_first=norm_first), seed=15)
    x, memory = x_of(B, L, D, seed=16), x_of(B, L, D, seed=17)
    got = student.probe(
        "module_run", target=DEC, init_args=[D, H, DFF], init_kwargs={"norm_first": norm_first},
        calls=[{"args": [x, memory]}], state=our_layer_state(theirs), dtype="float64",
    )
    expected = theirs(x, memory).detach()
    mistakes = decoder_mistakes(parts_of(theirs), x, memory, None, None, norm_first)
    what = f"DecoderLayer({D}, {H}, {DFF}, norm_first={norm_first})(x (2, 5, 12), memory (2, 5, 12))"
    check(got["outputs"][0], expected, mistakes=mistakes, what=what)
