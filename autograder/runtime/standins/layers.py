"""Stand-in for ``transformer.layers``: the paper's sublayers (section 3.1) over the stand-in attention.

Every sublayer is ``x + dropout(f(x))`` then a norm (post-norm, the paper's), or ``x + dropout(f(norm(x)))``
(pre-norm, GPT-2's); the submodules keep the curriculum's names, so the reference's ``state_dict`` loads.
"""

from __future__ import annotations

import types
from collections.abc import Callable

import torch
from torch import nn

from autograder.runtime.standins.base import stand_in
from autograder.runtime.standins.multi_head import MultiHeadAttention


class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight, self.bias = nn.Parameter(torch.ones(d_model)), nn.Parameter(torch.zeros(d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var, mean = torch.var_mean(x, dim=-1, unbiased=False, keepdim=True)  # (..., 1) each
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias


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


def sublayer(
    x: torch.Tensor, f: Callable[[torch.Tensor], torch.Tensor], norm: nn.Module, drop: nn.Module, first: bool
) -> torch.Tensor:
    return x + drop(f(norm(x))) if first else norm(x + drop(f(x)))


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.norm1, self.norm2 = LayerNorm(d_model), LayerNorm(d_model)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = sublayer(x, lambda h: self.self_attn(h, h, h, mask)[0], self.norm1, self.dropout1, self.norm_first)
        return sublayer(x, self.ffn, self.norm2, self.dropout2, self.norm_first)


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.norm1, self.norm2, self.norm3 = LayerNorm(d_model), LayerNorm(d_model), LayerNorm(d_model)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        tgt_mask: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        first = self.norm_first
        x = sublayer(x, lambda h: self.self_attn(h, h, h, tgt_mask)[0], self.norm1, self.dropout1, first)
        x = sublayer(x, lambda h: self.cross_attn(h, memory, memory, memory_mask)[0], self.norm2, self.dropout2, first)
        return sublayer(x, self.ffn, self.norm3, self.dropout3, first)


def build() -> types.ModuleType:
    return stand_in(
        "transformer.layers",
        LayerNorm=LayerNorm,
        FeedForward=FeedForward,
        EncoderLayer=EncoderLayer,
        DecoderLayer=DecoderLayer,
        MultiHeadAttention=MultiHeadAttention,
    )
