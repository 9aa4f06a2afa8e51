"""The reference layers against PyTorch's own modules given the same weights: nn.LayerNorm,
nn.TransformerEncoderLayer and nn.TransformerDecoderLayer (batch_first=True, dropout 0, ReLU),
both norm orders, with masks; outputs, input gradients and parameter gradients, float32 and float64.

Two conventions are translated here: PyTorch stacks W_q, W_k, W_v in one ``in_proj_weight`` (ours
are ``w_q``, ``w_k``, ``w_v``, and its ``out_proj`` is our ``w_o``; its decoder's
``multihead_attn`` is our ``cross_attn``), and PyTorch's boolean masks mark what may *not* be
attended (ours mark what may).
"""

import pytest
import torch
from torch import nn

from autograder.grading.loader import reference

LAYERS = reference()["layers"]
B, L, LM, D, H, DFF = 2, 5, 7, 12, 3, 20
TOL = {torch.float32: {"rtol": 1e-4, "atol": 1e-5}, torch.float64: {"rtol": 1e-7, "atol": 1e-9}}


def randomised(module: nn.Module, seed: int, dtype: torch.dtype) -> nn.Module:
    """Every parameter random (PyTorch starts its biases at 0 and its norm gains at 1)."""
    gen = torch.Generator().manual_seed(seed)
    module = module.to(dtype)
    with torch.no_grad():
        for owner in module.modules():
            for name, p in owner.named_parameters(recurse=False):
                one = 1.0 if isinstance(owner, nn.LayerNorm) and name == "weight" else 0.0
                p.copy_(one + 0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64).to(dtype))
    return module


def to_our_names(theirs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """PyTorch's layer parameter names (and values, or gradients) -> ours."""
    if "linear1.weight" not in theirs:  # a LayerNorm: weight and bias, the same names
        return dict(theirs)
    ours = {}
    for their_attn, our_attn in [("self_attn", "self_attn"), ("multihead_attn", "cross_attn")]:
        if f"{their_attn}.in_proj_weight" not in theirs:
            continue
        w_q, w_k, w_v = theirs[f"{their_attn}.in_proj_weight"].chunk(3)
        b_q, b_k, b_v = theirs[f"{their_attn}.in_proj_bias"].chunk(3)
        for name, w, b in [("w_q", w_q, b_q), ("w_k", w_k, b_k), ("w_v", w_v, b_v)]:
            ours[f"{our_attn}.{name}.weight"], ours[f"{our_attn}.{name}.bias"] = w, b
        ours[f"{our_attn}.w_o.weight"] = theirs[f"{their_attn}.out_proj.weight"]
        ours[f"{our_attn}.w_o.bias"] = theirs[f"{their_attn}.out_proj.bias"]
    for name in ["linear1", "linear2"]:
        ours[f"ffn.{name}.weight"], ours[f"ffn.{name}.bias"] = theirs[f"{name}.weight"], theirs[f"{name}.bias"]
    for name in ["norm1", "norm2", "norm3"]:
        if f"{name}.weight" in theirs:
            ours[f"{name}.weight"], ours[f"{name}.bias"] = theirs[f"{name}.weight"], theirs[f"{name}.bias"]
    return ours


def twin(theirs: nn.Module, ours: nn.Module) -> nn.Module:
    """``ours`` (already in the right dtype) with ``theirs``'s weights."""
    ours.load_state_dict(to_our_names({k: v.detach().clone() for k, v in theirs.state_dict().items()}), strict=True)
    return ours


def their_mask(mask: torch.Tensor, lq: int, lk: int) -> torch.Tensor:
    """Our (B, 1, Lq|1, Lk) "may attend" mask -> PyTorch's (B * H, Lq, Lk) "may not attend" mask."""
    return ~mask.expand(B, H, lq, lk).reshape(B * H, lq, lk)


def padding(lengths: list[int], size: int) -> torch.Tensor:
    return (torch.arange(size)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]


def causal(size: int) -> torch.Tensor:
    return torch.ones(size, size, dtype=torch.bool).tril()


def inputs(*shapes: tuple[int, ...], dtype: torch.dtype, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(*s, generator=gen, dtype=torch.float64).to(dtype).requires_grad_() for s in shapes]


def assert_same_run(ours: nn.Module, theirs: nn.Module, our_args, their_args, dtype: torch.dtype) -> None:
    """Equal outputs, equal input gradients, equal parameter gradients (mapped to our names)."""
    tol = TOL[dtype]
    our_in = [a.detach().clone().requires_grad_() for a in our_args[0]]
    their_in = [a.detach().clone().requires_grad_() for a in our_args[0]]
    out_ours = ours(*our_in, **our_args[1])
    out_theirs = theirs(*their_in, **their_args)
    torch.testing.assert_close(out_ours, out_theirs, **tol)
    g = torch.randn(out_ours.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64).to(dtype)
    (out_ours * g).sum().backward()
    (out_theirs * g).sum().backward()
    for a, b in zip(our_in, their_in):
        torch.testing.assert_close(a.grad, b.grad, **tol)
    our_grads = {n: p.grad for n, p in ours.named_parameters()}
    torch.testing.assert_close(our_grads, to_our_names({n: p.grad for n, p in theirs.named_parameters()}), **tol)


# -- LayerNorm and FeedForward ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape,eps,scale", [((2, 5, 7), 1e-5, 1.0), ((4, 9), 1e-5, 0.01), ((3, 4, 6), 0.1, 0.3)])
def test_layer_norm_equals_torch(dtype, shape, eps, scale):
    theirs = randomised(nn.LayerNorm(shape[-1], eps=eps), seed=0, dtype=dtype)
    ours = twin(theirs, LAYERS.LayerNorm(shape[-1], eps=eps).to(dtype))
    x = (torch.randn(*shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * scale + 3.0 * scale).to(dtype)  # mean != 0
    assert_same_run(ours, theirs, ([x], {}), {}, dtype)


def test_layer_norm_starts_as_torch_does_and_handles_constant_rows():
    ours, theirs = LAYERS.LayerNorm(6), nn.LayerNorm(6)
    torch.testing.assert_close(dict(ours.state_dict()), dict(theirs.state_dict()))
    x = torch.full((2, 6), -4.0)
    torch.testing.assert_close(ours(x), theirs(x))


def test_layer_norm_does_not_call_torch_layer_norm(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the reference LayerNorm must compute the statistics itself")

    monkeypatch.setattr(torch.nn.functional, "layer_norm", forbidden)
    monkeypatch.setattr(torch, "layer_norm", forbidden)
    monkeypatch.setattr(nn.LayerNorm, "forward", forbidden)
    LAYERS.LayerNorm(5)(torch.randn(3, 5))


def test_feed_forward_equals_linear_relu_linear():
    torch.manual_seed(0)
    ours = LAYERS.FeedForward(D, DFF).double()
    assert [name for name, _ in ours.named_children()] == ["linear1", "dropout", "linear2"]
    theirs = nn.Sequential(nn.Linear(D, DFF), nn.ReLU(), nn.Linear(DFF, D)).double()
    theirs.load_state_dict({k.replace("linear1", "0").replace("linear2", "2"): v for k, v in ours.state_dict().items()})
    x = torch.randn(B, L, D, dtype=torch.float64)
    torch.testing.assert_close(ours(x), theirs(x))


# -- EncoderLayer -------------------------------------------------------------------------------------------


ENCODER_MASKS = {
    "none": None,
    "padding": padding([L, L - 2], L),
    "causal": causal(L),
    "causal+padding": causal(L) & padding([L - 1, L], L),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("mask_name", list(ENCODER_MASKS))
def test_encoder_layer_equals_torch(dtype, norm_first, mask_name):
    theirs = randomised(nn.TransformerEncoderLayer(D, H, DFF, dropout=0.0, batch_first=True, norm_first=norm_first), seed=3, dtype=dtype)
    ours = twin(theirs, LAYERS.EncoderLayer(D, H, DFF, norm_first=norm_first).to(dtype))
    mask = ENCODER_MASKS[mask_name]
    their_kwargs = {} if mask is None else {"src_mask": their_mask(mask, L, L)}
    assert_same_run(ours, theirs, (inputs((B, L, D), dtype=dtype), {"mask": mask}), their_kwargs, dtype)


def test_encoder_layer_padding_mask_equals_key_padding_mask():
    theirs = randomised(nn.TransformerEncoderLayer(D, H, DFF, dropout=0.0, batch_first=True), seed=4, dtype=torch.float64)
    ours = twin(theirs, LAYERS.EncoderLayer(D, H, DFF).double())
    keep = padding([L - 2, L], L)
    assert_same_run(ours, theirs, (inputs((B, L, D), dtype=torch.float64), {"mask": keep}), {"src_key_padding_mask": ~keep[:, 0, 0, :]}, torch.float64)


# -- DecoderLayer -------------------------------------------------------------------------------------------


DECODER_MASKS = {
    "none": (None, None),
    "causal": (causal(L), None),
    "causal+padding, memory padding": (causal(L) & padding([L, L - 1], L), padding([LM - 3, LM], LM)),
    "memory padding": (None, padding([LM, LM - 2], LM)),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks_name", list(DECODER_MASKS))
def test_decoder_layer_equals_torch(dtype, norm_first, masks_name):
    theirs = randomised(nn.TransformerDecoderLayer(D, H, DFF, dropout=0.0, batch_first=True, norm_first=norm_first), seed=5, dtype=dtype)
    ours = twin(theirs, LAYERS.DecoderLayer(D, H, DFF, norm_first=norm_first).to(dtype))
    tgt_mask, memory_mask = DECODER_MASKS[masks_name]
    their_kwargs = {}
    if tgt_mask is not None:
        their_kwargs["tgt_mask"] = their_mask(tgt_mask, L, L)
    if memory_mask is not None:
        their_kwargs["memory_mask"] = their_mask(memory_mask, L, LM)
    our_args = (inputs((B, L, D), (B, LM, D), dtype=dtype), {"tgt_mask": tgt_mask, "memory_mask": memory_mask})
    assert_same_run(ours, theirs, our_args, their_kwargs, dtype)


# -- dropout, names, dtypes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,extra", [("EncoderLayer", []), ("DecoderLayer", ["cross_attn", "norm3", "dropout3"])])
def test_submodule_names_and_dropout(cls, extra):
    torch.manual_seed(0)
    layer = getattr(LAYERS, cls)(D, H, DFF, dropout=0.3)
    children = {name for name, _ in layer.named_children()}
    assert children == {"self_attn", "ffn", "norm1", "norm2", "dropout1", "dropout2", *extra}
    assert {m.p for m in layer.modules() if isinstance(m, nn.Dropout)} == {0.3}
    args = [torch.randn(B, L, D)] + ([torch.randn(B, LM, D)] if cls == "DecoderLayer" else [])
    layer.eval()
    torch.testing.assert_close(layer(*args), layer(*args))
    layer.train()
    assert not torch.allclose(layer(*args), layer.eval()(*args))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_layers_keep_the_dtype(dtype):
    torch.manual_seed(0)
    x, memory = torch.randn(B, L, D, dtype=dtype), torch.randn(B, LM, D, dtype=dtype)
    assert LAYERS.LayerNorm(D).to(dtype)(x).dtype == dtype
    assert LAYERS.EncoderLayer(D, H, DFF).to(dtype)(x, causal(L)).dtype == dtype
    assert LAYERS.DecoderLayer(D, H, DFF, norm_first=True).to(dtype)(x, memory, causal(L)).dtype == dtype


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("norm_first", [False, True])
def test_layers_on_the_gpu_equal_torch(norm_first):
    dtype, device = torch.float64, torch.device("cuda")
    theirs = randomised(nn.TransformerDecoderLayer(D, H, DFF, dropout=0.0, batch_first=True, norm_first=norm_first), seed=6, dtype=dtype).to(device)
    ours = twin(theirs, LAYERS.DecoderLayer(D, H, DFF, norm_first=norm_first).to(dtype)).to(device)
    x, memory = (t.to(device) for t in inputs((B, L, D), (B, LM, D), dtype=dtype))
    tgt, mem = causal(L).to(device), padding([LM - 2, LM], LM).to(device)
    got = ours(x, memory, tgt, mem)
    assert got.device.type == "cuda"
    torch.testing.assert_close(got, theirs(x, memory, tgt_mask=~tgt, memory_key_padding_mask=~mem[:, 0, 0, :]))
