"""What layers's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from autograder.grading.compare import AnyOf
from autograder.grading.mistakes.names import (
    KV_FROM_QUERY,
    MASK_IGNORED,
    MASK_INVERTED,
    MEMORY_MASK_MISSING,
    TGT_MASK_IGNORED,
)

LN = "transformer.layers:LayerNorm"

FFN = "transformer.layers:FeedForward"

ENC = "transformer.layers:EncoderLayer"

DEC = "transformer.layers:DecoderLayer"


def stack(
    x: torch.Tensor,
    sublayers: Sequence[Callable],
    norms: Sequence[torch.nn.Module],
    pre: bool,
    residual: Sequence[bool],
    forms: Mapping[int, str] | None = None,
) -> torch.Tensor:
    """Sublayers with Add & Norm: post-norm x = norm(x + f(x)) or pre-norm x = x + f(norm(x)); residual False drops the
    x +. ``forms`` gives some sublayers (by index) another place of the norm, a key of :data:`FORMS`.
    """
    for i, (f, norm, res) in enumerate(zip(sublayers, norms, residual, strict=True)):
        form = (forms or {}).get(i, "pre" if pre else "post")
        skip = x if res else 0.0
        if form == "pre":
            x = skip + f(norm(x))
        elif form == "post":
            x = norm(skip + f(x))
        elif form == "residual_normed":
            h = norm(x)
            x = (h if res else 0.0) + f(h)
        elif form == "norm_output":
            x = skip + norm(f(x))
        else:  # "no_norm"
            x = skip + f(x)
    return x


# Where a sublayer's norm can go (the family "the norm in the wrong place", wherever it is misplaced) -> how the
# mistake reads, {s} being the sublayer.
FORMS = {
    "pre": "the {s} sublayer is pre-norm, x + f(norm(x)), in a post-norm layer (norm_first=False): post-norm "
    "normalises the sum, norm(x + f(x))",
    "post": "the {s} sublayer is post-norm, norm(x + f(x)), in a pre-norm layer (norm_first=True): pre-norm adds "
    "f(norm(x)) to x",
    "residual_normed": "the {s} sublayer's residual is taken from the normalised input, norm(x) + f(norm(x)): "
    "the residual adds the sublayer to x itself",
    "norm_output": "the {s} sublayer normalises only its own output, x + norm(f(x)): the norm's place is "
    "norm(x + f(x)) (post-norm) or f(norm(x)) (pre-norm)",
    "no_norm": "the {s} sublayer's norm is missing",
}


def misplaced_norms(run: Callable[..., torch.Tensor], sublayers: Sequence[str], norm_first: bool) -> dict:
    """One model per sublayer and per wrong place of its norm (:data:`FORMS`); ``run(forms=...)`` computes the layer."""
    right = "pre" if norm_first else "post"
    return {
        text.format(s=name): lambda i=i, form=form: run(forms={i: form})
        for i, name in enumerate(sublayers)
        for form, text in FORMS.items()
        if form != right and not (form == "residual_normed" and not norm_first)
    }


def wrong_order(norm_first: bool) -> str:
    """The mistake of computing the other norm order than the one asked for."""
    if norm_first:
        return "post-norm computed where pre-norm was asked (norm_first=True)"
    return "pre-norm computed where post-norm was asked (norm_first=False)"


def encoder_mistakes(m: torch.nn.Module, x: torch.Tensor, mask: torch.Tensor | None, norm_first: bool) -> dict:
    def run(pre=norm_first, residual=(True, True), attn_mask="given", norms=(m.norm1, m.norm2), forms=None):
        mk = {"given": mask, "none": None, "inverted": None if mask is None else ~mask}[attn_mask]
        with torch.no_grad():
            return stack(x, [lambda h: m.self_attn(h, h, h, mk)[0], m.ffn], norms, pre, residual, forms)

    out = {
        wrong_order(norm_first): lambda: run(pre=not norm_first),
        "missing residual connection around the self-attention": lambda: run(residual=(False, True)),
        "missing residual connection around the feed-forward": lambda: run(residual=(True, False)),
        "norm1 used for both sublayers (norm2 must normalise the feed-forward sublayer)": lambda: run(
            norms=(m.norm1, m.norm1)
        ),
        **misplaced_norms(run, ("self-attention", "feed-forward"), norm_first),
    }
    if mask is not None:
        out[MASK_IGNORED] = lambda: run(attn_mask="none")
        out[MASK_INVERTED] = lambda: run(attn_mask="inverted")
    return out


def decoder_mistakes(m, x, memory, tgt_mask, memory_mask, norm_first: bool) -> dict:
    def run(
        pre=norm_first,
        residual=(True, True, True),
        tgt="given",
        mem="given",
        kv="memory",
        swapped=False,
        norm_memory=False,
        forms=None,
    ):
        tm = {"given": tgt_mask, "none": None}[tgt]
        mm = {"given": memory_mask, "none": None}[mem]
        self_attn, cross_attn = (m.cross_attn, m.self_attn) if swapped else (m.self_attn, m.cross_attn)

        def cross(h):
            if kv == "roles":  # queries from memory, keys and values from the decoder's stream
                return cross_attn(memory, h, h, mm)[0]
            source = {"memory": memory, "self": h}[kv]
            if norm_memory:
                source = m.norm2(source)
            return cross_attn(h, source, source, mm)[0]

        with torch.no_grad():
            return stack(
                x,
                [lambda h: self_attn(h, h, h, tm)[0], cross, m.ffn],
                [m.norm1, m.norm2, m.norm3],
                pre,
                residual,
                forms,
            )

    out = {
        wrong_order(norm_first): lambda: run(pre=not norm_first),
        "missing residual connection around the self-attention": lambda: run(residual=(False, True, True)),
        "missing residual connection around the cross-attention": lambda: run(residual=(True, False, True)),
        "missing residual connection around the feed-forward": lambda: run(residual=(True, True, False)),
        "self_attn and cross_attn swapped (self_attn attends within x, cross_attn to memory)": lambda: run(
            swapped=True
        ),
        **misplaced_norms(run, ("self-attention", "cross-attention", "feed-forward"), norm_first),
        # runs only where memory is as long as x (a public test gives one such case)
        "cross-attention's roles swapped: its queries come from the decoder (x), its keys and values from memory": (
            lambda: run(kv="roles")
        ),
    }
    if tgt_mask is not None:
        out[TGT_MASK_IGNORED] = lambda: run(tgt="none")
    if memory_mask is not None:
        out[MEMORY_MASK_MISSING] = lambda: run(mem="none")
    else:
        out[KV_FROM_QUERY] = lambda: run(kv="self")
    if norm_first:
        out["memory normalised by norm2 too: pre-norm normalises only the decoder's own stream, never memory"] = (
            lambda: run(norm_memory=True)
        )
    return out


def layer_norm_mistakes(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> dict:
    def norm(dims=(-1,), unbiased=False, eps_outside=False, affine=True, eps_value=eps, mean_dims=None, centred=False):
        """``mean_dims``: the mean alone over other axes, the variance per token (``centred``: around that mean)."""
        mean = x.mean(dim=mean_dims or dims, keepdim=True)
        if centred:
            var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        else:
            var = x.var(dim=dims, unbiased=unbiased, keepdim=True)
        y = (x - mean) / (var.sqrt() + eps_value if eps_outside else (var + eps_value).sqrt())
        return weight * y + bias if affine else y

    return {
        "unbiased variance (divided by d_model - 1; LayerNorm divides by d_model)": lambda: norm(unbiased=True),
        "eps added outside the square root (use sqrt(var + eps))": lambda: norm(eps_outside=True),
        "the Annotated Transformer's LayerNorm (unbiased std, eps added to the std)": lambda: norm(
            unbiased=True, eps_outside=True
        ),
        **wrong_axes(x, norm),
        "weight and bias not applied": lambda: norm(affine=False),
        "eps argument ignored (1e-5 used)": lambda: norm(eps_value=1e-5),
        "eps missing (divide by sqrt(var + eps), not sqrt(var))": lambda: norm(eps_value=0.0),
    }


def wrong_axes(x: torch.Tensor, norm: Callable[..., torch.Tensor]) -> dict:
    """LayerNorm's statistics over any other set of axes than the last alone (``norm(dims=...)`` computes it)."""
    every = tuple(range(-x.dim(), 0))
    out: dict[str, Any] = {
        "normalised over the wrong axis (dim=-2); the statistics are over the last axis, per token": lambda: norm(
            dims=(-2,)
        ),
        "normalised over the whole sequence (last two axes) instead of each token": lambda: norm(dims=(-2, -1)),
    }
    if x.dim() > 2:  # (a 2-D input's every axis is its last two)
        out["normalised over the whole tensor (every axis) instead of each token's features"] = lambda: norm(dims=every)
    subsets = [dims for n in range(1, x.dim() + 1) for dims in itertools.combinations(range(-x.dim(), 0), n)]
    for dims in subsets:
        if dims == (-1,):
            continue
        if dims not in ((-2,), (-2, -1), every):  # (those three have their names above)
            out[f"normalised over the axes {dims} instead of the last axis alone (each token's features)"] = (
                lambda dims=dims: norm(dims=dims)
            )
        out[f"the mean taken over the axes {dims}: each token subtracts the mean of its own features (dim=-1)"] = AnyOf(
            lambda dims=dims: norm(mean_dims=dims), lambda dims=dims: norm(mean_dims=dims, centred=True)
        )
    return out
