"""What scaled_dot_product's public tests and hidden suite share: the targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

import math

import torch

from autograder.grading.mistakes.names import (
    ATTENTION_OVER_QUERIES,
    DIVIDED_BY_DK,
    MASK_AFTER_SOFTMAX,
    MASK_IGNORED,
    MASK_INVERTED,
    NO_SCALING,
    SCALED_BY_DV,
    SOFTMAX_GLOBAL_MAX,
    SOFTMAX_NOT_STABILISED,
    SOFTMAX_OTHER_AXIS,
)

SOFTMAX = "attention.scaled_dot_product:softmax"
SDPA = "attention.scaled_dot_product:scaled_dot_product_attention"
NEG_INF = float("-inf")


def torch_softmax_zero_rows(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """torch.softmax with all -inf slices set to 0: the course's convention, computed independently of the reference."""
    return torch.softmax(x, dim=dim).nan_to_num(0.0)


def normalise_like(e: torch.Tensor, dim: int, got) -> torch.Tensor:
    """e / e.sum(dim): a slice that sums to 0 gives 0/0 = NaN, or 0 when the code guards the
    division; each such slice follows ``got`` (NaN where ``got``'s slice has NaN, else 0)."""
    total = e.sum(dim=dim, keepdim=True)
    out = e / total
    if isinstance(got, torch.Tensor) and got.shape == e.shape:
        out = out.masked_fill((total == 0) & ~got.isnan().any(dim=dim, keepdim=True), 0.0)
    return out


def softmax_mistakes(x: torch.Tensor, dim: int = -1, got=None) -> dict:
    def unstable():
        return normalise_like(torch.exp(x), dim, got)

    def global_max():
        return normalise_like(torch.exp(x - x.max()), dim, got)

    out = {
        SOFTMAX_NOT_STABILISED: unstable,
        SOFTMAX_GLOBAL_MAX: global_max,
        "an all -inf slice gives NaN (as torch.softmax does); it must give zeros": lambda: torch.softmax(x, dim=dim),
        "an all -inf slice gives a uniform distribution; it must give zeros": lambda: torch.softmax(
            x.nan_to_num(neginf=-1e9), dim=dim
        ),
    }
    if dim % x.dim() != x.dim() - 1:
        out["dim argument ignored (softmax taken over the last axis)"] = lambda: torch_softmax_zero_rows(x, -1)
    else:
        out[SOFTMAX_OTHER_AXIS] = lambda: torch_softmax_zero_rows(x, -2)
    return out


def attention(
    q,
    k,
    v,
    mask=None,
    *,
    scale: float | None = None,
    dim: int = -1,
    fill: float = NEG_INF,
    after: bool = False,
    nan_rows: bool = False,
):
    """Scaled dot-product attention with one thing changed (the defaults give the right answer)."""
    scale = math.sqrt(q.size(-1)) if scale is None else scale
    scores = q @ k.transpose(-2, -1) / scale
    if mask is not None and not after:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=dim)
    if not nan_rows:
        weights = weights.nan_to_num(0.0)
    if mask is not None and after:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


def sdpa_mistakes(q, k, v, mask=None) -> dict:
    d_k, d_v = q.size(-1), v.size(-1)
    out = {
        NO_SCALING: lambda: attention(q, k, v, mask, scale=1.0),
        DIVIDED_BY_DK: lambda: attention(q, k, v, mask, scale=d_k),
        SCALED_BY_DV: lambda: attention(q, k, v, mask, scale=math.sqrt(d_v)),
        ATTENTION_OVER_QUERIES: lambda: attention(q, k, v, mask, dim=-2),
    }
    if mask is not None:
        out |= {
            MASK_AFTER_SOFTMAX: lambda: attention(q, k, v, mask, after=True),
            MASK_INVERTED: lambda: attention(q, k, v, ~mask),
            MASK_IGNORED: lambda: attention(q, k, v),
            "a fully masked query row gives NaN: it must give zero weights and a zero output": lambda: attention(
                q, k, v, mask, nan_rows=True
            ),
            "masked with a large negative number instead of -inf: a fully masked row gets uniform weights instead of "
            "zeros": lambda: attention(q, k, v, mask, fill=-1e9),
        }
    return out
