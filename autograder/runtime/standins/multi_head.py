"""Stand-in for ``attention.multi_head``: the paper's equations (section 3.2.2) with allowed operators only."""

from __future__ import annotations

import math
import types

import torch
from torch import nn

from autograder.runtime.standins.base import stand_in


class MultiHeadAttention(nn.Module):
    """``w_q``, ``w_k``, ``w_v``, ``w_o``; returns the output and the per-head (undropped) weights."""

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if num_heads <= 0 or d_model % num_heads:
            raise ValueError(f"num_heads={num_heads} must divide d_model={d_model}")
        self.d_model, self.num_heads = d_model, num_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model, bias) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, heads = query.shape[0], self.num_heads

        def heads_of(x: torch.Tensor) -> torch.Tensor:  # (B, L, D) -> (B, H, L, D/H)
            return x.view(batch, x.shape[1], heads, -1).transpose(1, 2)

        q, k, v = heads_of(self.w_q(query)), heads_of(self.w_k(key)), heads_of(self.w_v(value))
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, H, Lq, Lk)
        if mask is not None:
            scores = scores.masked_fill(~mask.to(torch.bool), float("-inf"))
        weights = torch.nan_to_num(torch.softmax(scores, dim=-1), nan=0.0)  # a fully masked query: zeros
        out = (self.dropout(weights) @ v).transpose(1, 2).reshape(batch, query.shape[1], self.d_model)
        return self.w_o(out), weights


def build() -> types.ModuleType:
    return stand_in("attention.multi_head", MultiHeadAttention=MultiHeadAttention)
