"""Stand-in for ``attention.scaled_dot_product``: ``F.scaled_dot_product_attention``'s documented equivalent."""

from __future__ import annotations

import math
import types

from autograder.runtime.standins.base import stand_in


def build() -> types.ModuleType:
    import torch

    def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
        return torch.nan_to_num(torch.softmax(x, dim=dim), nan=0.0)  # an all -inf slice: zeros

    def scaled_dot_product_attention(
        q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (..., Lq, Lk)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = softmax(scores, dim=-1)
        return weights @ v, weights

    return stand_in(
        "attention.scaled_dot_product",
        softmax=softmax,
        scaled_dot_product_attention=scaled_dot_product_attention,
    )
