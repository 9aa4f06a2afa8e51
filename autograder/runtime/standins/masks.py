"""Stand-in for ``attention.masks``: boolean masks, ``True`` = may attend."""

from __future__ import annotations

import types
from typing import Any

from autograder.runtime.standins.base import stand_in


def build() -> types.ModuleType:
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

    return stand_in(
        "attention.masks",
        causal_mask=causal_mask,
        padding_mask=padding_mask,
        combine_masks=combine_masks,
        decoder_mask=decoder_mask,
    )
