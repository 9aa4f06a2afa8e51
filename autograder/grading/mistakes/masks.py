"""What masks's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

import torch

from autograder.grading.mistakes.names import (
    MASK_INVERTED,
    MASKS_OR,
    PADDING_ON_QUERIES,
    STRICT_CAUSAL,
    TRANSPOSED_CAUSAL,
)

CAUSAL = "attention.masks:causal_mask"

PADDING = "attention.masks:padding_mask"

COMBINE = "attention.masks:combine_masks"

DECODER = "attention.masks:decoder_mask"


def causal_mistakes(size: int) -> dict:
    ones = torch.ones(size, size, dtype=torch.bool)
    return {
        STRICT_CAUSAL: lambda: torch.tril(ones, diagonal=-1),
        TRANSPOSED_CAUSAL: lambda: torch.triu(ones),
        MASK_INVERTED: lambda: torch.triu(ones, diagonal=1),
        "causal mask is not boolean (create it with dtype=torch.bool)": lambda: torch.tril(torch.ones(size, size)),
    }


def padding_mistakes(tokens: torch.Tensor, pad_id: int) -> dict:
    keep = tokens != pad_id
    return {
        PADDING_ON_QUERIES: lambda: keep[:, None, :, None],
        "padding mask not reshaped to (B, 1, 1, L) (the two singleton axes are heads and queries)": lambda: keep,
        "padding mask of shape (B, 1, L): it needs both singleton axes, (B, 1, 1, L)": lambda: keep[:, None, :],
        MASK_INVERTED: lambda: (tokens == pad_id)[:, None, None, :],
        "pad_id ignored (compared with 0)": lambda: (tokens != 0)[:, None, None, :],
        "padding mask is not boolean": lambda: keep[:, None, None, :].long(),
    }


def like(got, *candidates: torch.Tensor) -> torch.Tensor:
    """The candidate with ``got``'s shape (one mistake can come out broadcast or not), else the last."""
    shape = tuple(getattr(got, "shape", ()))
    return next((c for c in candidates if tuple(c.shape) == shape), candidates[-1])


def decoder_mistakes(tokens: torch.Tensor, pad_id: int, got=None) -> dict:
    length = tokens.size(-1)
    keep = tokens != pad_id
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    keys = keep[:, None, None, :]
    queries = keep[:, None, :, None]
    full = (tokens.size(0), 1, length, length)
    return {
        "causal part missing: decoder_mask = padding_mask & causal_mask": lambda: like(got, keys, keys.expand(full)),
        "padding part missing: decoder_mask = padding_mask & causal_mask": lambda: like(
            got, causal, causal.expand(full)
        ),
        PADDING_ON_QUERIES: lambda: queries & causal,
        "padding applied on both the query and the key axes (only keys are masked)": lambda: queries & keys & causal,
        STRICT_CAUSAL: lambda: keys & causal.tril(-1),
        TRANSPOSED_CAUSAL: lambda: keys & causal.T,
        MASKS_OR: lambda: keys | causal,
        "decoder mask of shape (B, L, L): it needs the head axis, (B, 1, L, L)": lambda: (keys & causal)[:, 0],
    }
