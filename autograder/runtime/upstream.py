"""Stand-ins for the earlier exercises a later one builds on, made of PyTorch's own modules: no cascades.

A student's ``MultiHeadAttention`` calls their own ``scaled_dot_product_attention``; their ``EncoderLayer`` their
own ``MultiHeadAttention``; their ``Transformer`` all of Part 2 and 3. Graded over their own stack, one missing
``1/sqrt(d_k)`` would cost points in four exercises. So a downstream test imports the student's module afresh
with the upstream modules replaced by the stand-ins below (:func:`import_over`), and computes its expected values
with the reference's module over the *same* stand-ins: the exercise is graded on its own work. A few integration
tests per exercise still run the student's own stack.

The stand-ins are PyTorch's own code wherever PyTorch has it (``F.multi_head_attention_forward``,
``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` through ``torch.func.functional_call``,
``F.layer_norm``), and otherwise formulas PyTorch's documentation or the paper states (the attention weights of
``F.scaled_dot_product_attention``'s documented equivalent, the sinusoidal encoding), so they hold no reference
code (they ship with the runtime). They keep the curriculum's parameter names, so the reference's ``state_dict``
loads into a student module built over them. PyTorch's forbidden modules are called inside
:func:`autograder.runtime.forbidden.stand_in_call`, where no student code runs.
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

from autograder.runtime import forbidden

# The upstream modules each exercise module builds on (what a downstream test replaces).
UPSTREAM_OF: dict[str, tuple[str, ...]] = {
    "attention.multi_head": ("attention.scaled_dot_product",),
    "transformer.layers": ("attention.scaled_dot_product", "attention.masks", "attention.multi_head"),
    "transformer.models": (
        "attention.scaled_dot_product",
        "attention.masks",
        "attention.multi_head",
        "transformer.positional_encoding",
        "transformer.layers",
    ),
}


def _module(name: str, members: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(name, f"Stand-in for the student's {name} (autograder.runtime.upstream).")
    module.__dict__.update(members)
    module.__stand_in__ = True  # type: ignore[attr-defined]
    return module


def _attention_mask(mask: Any, batch: int, heads: int, lq: int, lk: int) -> Any:
    """The curriculum's mask (True = may attend, broadcast to (B, H, Lq, Lk)) as PyTorch's (B*H, Lq, Lk), True = not."""
    if mask is None:
        return None
    return ~mask.to(bool).expand(batch, heads, lq, lk).reshape(batch * heads, lq, lk)


def scaled_dot_product() -> types.ModuleType:
    import torch

    def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
        return torch.nan_to_num(torch.softmax(x, dim=dim), nan=0.0)  # an all -inf slice: zeros

    def scaled_dot_product_attention(
        q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # F.scaled_dot_product_attention's documented equivalent, which also gives the weights.
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (..., Lq, Lk)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = softmax(scores, dim=-1)
        return weights @ v, weights

    return _module(
        "attention.scaled_dot_product",
        {"softmax": softmax, "scaled_dot_product_attention": scaled_dot_product_attention},
    )


def masks() -> types.ModuleType:
    import torch

    def causal_mask(size: int, device: Any = None) -> torch.Tensor:
        return torch.ones(size, size, dtype=torch.bool, device=device).tril()

    def padding_mask(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
        return (tokens != pad_id)[:, None, None, :]  # (B, 1, 1, L)

    def combine_masks(*given: torch.Tensor | None) -> torch.Tensor | None:
        present = [m for m in given if m is not None]
        if not present:
            return None
        out = present[0]
        for m in present[1:]:
            out = out & m
        return out

    def decoder_mask(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
        return padding_mask(tokens, pad_id) & causal_mask(tokens.shape[-1], tokens.device)

    members = {"causal_mask": causal_mask, "padding_mask": padding_mask, "combine_masks": combine_masks}
    return _module("attention.masks", {**members, "decoder_mask": decoder_mask})


def multi_head() -> types.ModuleType:
    import torch
    from torch import nn
    from torch.nn import functional as F

    class MultiHeadAttention(nn.Module):
        """``w_q``, ``w_k``, ``w_v``, ``w_o`` around ``F.multi_head_attention_forward``; returns per-head weights."""

        def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
            super().__init__()
            if num_heads <= 0 or d_model % num_heads:
                raise ValueError(f"num_heads={num_heads} must divide d_model={d_model}")
            self.d_model, self.num_heads, self.dropout = d_model, num_heads, dropout
            self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model, bias) for _ in range(4))

        def in_proj_bias(self) -> torch.Tensor | None:
            if self.w_q.bias is None:
                return None
            return torch.cat([self.w_q.bias, self.w_k.bias, self.w_v.bias])

        def forward(
            self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None = None
        ) -> tuple[torch.Tensor, torch.Tensor]:
            (batch, lq, d), lk = query.shape, key.shape[1]
            # The output projection is applied here, after a query with every key masked is given a zero output.
            eye = torch.eye(d, dtype=query.dtype, device=query.device)
            with forbidden.stand_in_call():
                out, weights = F.multi_head_attention_forward(
                    query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), d, self.num_heads,
                    None, self.in_proj_bias(), None, None, False, self.dropout, eye, None,
                    training=self.training, need_weights=True,
                    attn_mask=_attention_mask(mask, batch, self.num_heads, lq, lk),
                    use_separate_proj_weight=True, q_proj_weight=self.w_q.weight, k_proj_weight=self.w_k.weight,
                    v_proj_weight=self.w_v.weight, average_attn_weights=False,
                )  # fmt: skip
            assert weights is not None  # need_weights=True
            out = torch.nan_to_num(out.transpose(0, 1), nan=0.0)  # (B, Lq, D)
            return self.w_o(out), torch.nan_to_num(weights, nan=0.0)  # (B, H, Lq, Lk)

    return _module("attention.multi_head", {"MultiHeadAttention": MultiHeadAttention})


def positional_encoding() -> types.ModuleType:
    import torch
    from torch import nn

    def sinusoidal_positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
        # PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...): the paper's formula, angles in float64
        position = torch.arange(max_len, dtype=torch.float64)[:, None]
        rate = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
        pe = torch.zeros(max_len, d_model, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(position * rate)
        pe[:, 1::2] = torch.cos(position * rate[: d_model // 2])
        return pe.float()

    class PositionalEncoding(nn.Module):
        pe: torch.Tensor

        def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0) -> None:
            super().__init__()
            self.dropout = nn.Dropout(dropout)
            self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.shape[1] > self.pe.shape[0]:
                raise ValueError(f"sequence length {x.shape[1]} exceeds max_len={self.pe.shape[0]}")
            return self.dropout(x + self.pe[: x.shape[1]])

    class LearnedPositionalEmbedding(nn.Module):
        def __init__(self, max_len: int, d_model: int) -> None:
            super().__init__()
            self.embedding = nn.Embedding(num_embeddings=max_len, embedding_dim=d_model)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.shape[1] > self.embedding.num_embeddings:
                raise ValueError(f"sequence length {x.shape[1]} exceeds max_len={self.embedding.num_embeddings}")
            return x + self.embedding(torch.arange(x.shape[1], device=x.device))

    members = {
        "sinusoidal_positional_encoding": sinusoidal_positional_encoding,
        "PositionalEncoding": PositionalEncoding,
    }
    return _module(
        "transformer.positional_encoding", {**members, "LearnedPositionalEmbedding": LearnedPositionalEmbedding}
    )


def layers() -> types.ModuleType:
    import torch
    from torch import nn
    from torch.nn import functional as F

    attention = multi_head().MultiHeadAttention

    class LayerNorm(nn.Module):
        def __init__(self, d_model: int, eps: float = 1e-5) -> None:
            super().__init__()
            self.eps = eps
            self.weight, self.bias = nn.Parameter(torch.ones(d_model)), nn.Parameter(torch.zeros(d_model))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            with forbidden.stand_in_call():
                return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)

    class FeedForward(nn.Module):
        def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0) -> None:
            super().__init__()
            self.linear1, self.dropout, self.linear2 = (
                nn.Linear(d_model, d_ff),
                nn.Dropout(dropout),
                nn.Linear(d_ff, d_model),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear2(self.dropout(torch.relu(self.linear1(x))))

    def attention_params(prefix: str, m: Any) -> dict[str, torch.Tensor]:
        """The curriculum's w_q/w_k/w_v/w_o as nn.MultiheadAttention's packed in_proj and out_proj."""
        params = {
            f"{prefix}.in_proj_weight": torch.cat([m.w_q.weight, m.w_k.weight, m.w_v.weight]),
            f"{prefix}.out_proj.weight": m.w_o.weight,
        }
        if m.w_q.bias is not None:
            params[f"{prefix}.in_proj_bias"] = m.in_proj_bias()
            params[f"{prefix}.out_proj.bias"] = m.w_o.bias
        return params

    class _TorchLayer(nn.Module):
        """Runs PyTorch's own layer, kept outside the module tree (the state_dict has the curriculum's names only)."""

        def __init__(self, layer: Callable[[], nn.Module]) -> None:
            super().__init__()
            # fork_rng: PyTorch's layer draws its own (unused) weights without moving the global generator, so a model
            # built over the stand-ins is initialised exactly as one built over the reference's layers
            with forbidden.stand_in_call(), torch.random.fork_rng():
                self.__dict__["_layer"] = layer()

        def run(self, params: dict[str, torch.Tensor], args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor:
            """PyTorch's layer on this module's parameters (``ffn.linear1`` -> ``linear1``, norms as they are)."""
            layer = self.__dict__["_layer"]
            layer.train(self.training)
            tensors = dict(params)
            for name, p in self.named_parameters():
                if name.startswith(("ffn.", "norm")):
                    tensors[name.removeprefix("ffn.")] = p
            with forbidden.stand_in_call():
                return torch.func.functional_call(layer, tensors, args, kwargs)

    class EncoderLayer(_TorchLayer):
        def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False):
            super().__init__(
                lambda: nn.TransformerEncoderLayer(
                    d_model, num_heads, d_ff, dropout, batch_first=True, norm_first=norm_first
                )
            )
            self.norm_first, self.num_heads = norm_first, num_heads
            self.self_attn = attention(d_model, num_heads, dropout)
            self.ffn = FeedForward(d_model, d_ff, dropout)
            self.norm1, self.norm2 = LayerNorm(d_model), LayerNorm(d_model)

        def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
            (batch, length, _), h = x.shape, self.num_heads
            kwargs = {"src_mask": _attention_mask(mask, batch, h, length, length)}
            return self.run(attention_params("self_attn", self.self_attn), (x,), kwargs)

    class DecoderLayer(_TorchLayer):
        def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False):
            super().__init__(
                lambda: nn.TransformerDecoderLayer(
                    d_model, num_heads, d_ff, dropout, batch_first=True, norm_first=norm_first
                )
            )
            self.norm_first, self.num_heads = norm_first, num_heads
            self.self_attn = attention(d_model, num_heads, dropout)
            self.cross_attn = attention(d_model, num_heads, dropout)
            self.ffn = FeedForward(d_model, d_ff, dropout)
            self.norm1, self.norm2, self.norm3 = LayerNorm(d_model), LayerNorm(d_model), LayerNorm(d_model)

        def forward(
            self,
            x: torch.Tensor,
            memory: torch.Tensor,
            tgt_mask: torch.Tensor | None = None,
            memory_mask: torch.Tensor | None = None,
        ) -> torch.Tensor:
            (batch, lt, _), lm, h = x.shape, memory.shape[1], self.num_heads
            params = {
                **attention_params("self_attn", self.self_attn),
                **attention_params("multihead_attn", self.cross_attn),
            }
            kwargs = {
                "tgt_mask": _attention_mask(tgt_mask, batch, h, lt, lt),
                "memory_mask": _attention_mask(memory_mask, batch, h, lt, lm),
            }
            return self.run(params, (x, memory), kwargs)

    members = {"LayerNorm": LayerNorm, "FeedForward": FeedForward, "EncoderLayer": EncoderLayer}
    return _module("transformer.layers", {**members, "DecoderLayer": DecoderLayer, "MultiHeadAttention": attention})


STAND_INS: dict[str, Callable[[], types.ModuleType]] = {
    "attention.scaled_dot_product": scaled_dot_product,
    "attention.masks": masks,
    "attention.multi_head": multi_head,
    "transformer.positional_encoding": positional_encoding,
    "transformer.layers": layers,
}


def import_over(
    module: str, upstream: Iterable[str], packages: Iterable[str], import_module: Callable[[str], types.ModuleType]
) -> types.ModuleType:
    """``module`` imported afresh with each ``upstream`` module replaced by its stand-in; ``sys.modules`` is restored.

    ``import_module`` imports from the submission root (the worker's source-only importer, or the in-process
    loader's private path). The returned module keeps its stand-ins through its globals.
    """
    upstream = list(dict.fromkeys(upstream))
    unknown = [u for u in upstream if u not in STAND_INS]
    if unknown:
        raise ValueError(f"no stand-in for {unknown}; choose from {sorted(STAND_INS)}")
    roots = tuple(packages)

    def owned(name: str) -> bool:
        return name.split(".")[0] in roots

    saved = {name: m for name, m in sys.modules.items() if owned(name)}
    for name in saved:
        del sys.modules[name]
    try:
        for name in upstream:
            parent, _, leaf = name.rpartition(".")
            package = import_module(parent)  # the student's package (its __init__ runs, as any import would)
            stand_in = STAND_INS[name]()
            sys.modules[name] = stand_in
            setattr(package, leaf, stand_in)
        return import_module(module)
    finally:
        for name in [n for n in sys.modules if owned(n)]:
            del sys.modules[name]
        sys.modules.update(saved)
