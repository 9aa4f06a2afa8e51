"""What multi_head's public tests and hidden suite share: the targets, the models of the common mistakes.

Shipped to students, since the public tests import it: PyTorch's own functions over given projections, never
the reference. A mistake only the hidden suite models stays in the suite.
"""

import math

import torch

from autograder.grading.mistakes.names import (
    ATTENTION_OVER_QUERIES,
    KV_FROM_QUERY,
    MASK_AFTER_SOFTMAX,
    MASK_IGNORED,
    MASK_INVERTED,
    MERGE_NO_TRANSPOSE,
    NO_SCALING,
    SCALED_BY_D_MODEL,
    SPLIT_FEATURE_MAJOR,
    SPLIT_NO_TRANSPOSE,
)
from autograder.grading.testing import check_items

SPLIT = "attention.multi_head:split_heads"
MERGE = "attention.multi_head:merge_heads"
MHA = "attention.multi_head:MultiHeadAttention"


def check_output_weights(got, expected: tuple, *, what: str, mistakes: dict | None = None) -> None:
    """check_items() of an ``(output, weights)`` result: the weights first (they show most mistakes)."""
    check_items(got, expected, ("output", "weights"), order=("weights", "output"), what=what, mistakes=mistakes)


def variant(
    m,
    query,
    key,
    value,
    mask=None,
    *,
    num_heads: int,
    scale="head",
    split="ok",
    merge="ok",
    kv="given",
    dim=-1,
    mask_mode="given",
    w_o=True,
):
    """Multi-head attention with one thing changed (the defaults give the right answer): (output, weights).

    ``m`` holds the four projections as callables ``w_q``, ``w_k``, ``w_v``, ``w_o`` (PyTorch's weights in the
    public tests, the reference's in the hidden suite); the attention itself is written out here.
    """
    with torch.no_grad():
        H = num_heads
        k_in, v_in = {
            "given": (key, value),
            "query": (query, query),
            "keys_from_query": (query, value),
            "values_from_query": (key, query),
            "swapped": (value, key),
        }[kv]
        if mask is not None and mask.dim() == 3 and mask_mode != "no_head_axis":
            mask = mask.unsqueeze(1)  # (B, Lq, Lk) -> (B, 1, Lq, Lk): one mask per sequence, for every head
        projected = [m.w_q(query), m.w_k(k_in), m.w_v(v_in)]  # each (B, L, D)
        D = projected[0].size(-1)
        DH = D // H
        if split == "reshape":
            q, k, v = (x.reshape(x.size(0), H, x.size(1), DH) for x in projected)
        elif split == "feature-major":
            q, k, v = (x.view(x.size(0), x.size(1), DH, H).permute(0, 3, 1, 2) for x in projected)
        else:
            q, k, v = (x.view(x.size(0), x.size(1), H, DH).transpose(1, 2) for x in projected)
        scores = q @ k.transpose(-2, -1) / {"head": math.sqrt(DH), "model": math.sqrt(D), "none": 1.0}[scale]
        if mask is not None and mask_mode in ("given", "inverted", "no_head_axis"):
            scores = scores.masked_fill(mask if mask_mode == "inverted" else ~mask, float("-inf"))
        weights = torch.softmax(scores, dim=dim).nan_to_num(0.0)
        if mask is not None and mask_mode == "after":
            weights = weights.masked_fill(~mask, 0.0)
        out = weights @ v  # (B, H, Lq, d_head)
        merged = (
            out.reshape(out.size(0), out.size(2), D)
            if merge == "reshape"
            else out.transpose(1, 2).reshape(out.size(0), out.size(2), D)
        )
        return (m.w_o(merged) if w_o else merged), weights


def mha_mistakes(m, query, key, value, mask=None, *, num_heads: int) -> dict:
    def v(**changes):
        return lambda: variant(m, query, key, value, mask, num_heads=num_heads, **changes)

    out = {
        SCALED_BY_D_MODEL: v(scale="model"),
        NO_SCALING: v(scale="none"),
        SPLIT_NO_TRANSPOSE: v(split="reshape"),
        SPLIT_FEATURE_MAJOR: v(split="feature-major"),
        MERGE_NO_TRANSPOSE: v(merge="reshape"),
        ATTENTION_OVER_QUERIES: v(dim=-2),
        "output projection w_o not applied": v(w_o=False),
    }
    if key is not query:
        out[KV_FROM_QUERY] = v(kv="query")
        out["keys projected from the query: in cross-attention w_k projects the key input"] = v(kv="keys_from_query")
        out["values projected from the query: in cross-attention w_v projects the value input"] = v(
            kv="values_from_query"
        )
    if key is not value:
        out["key and value swapped: w_k projects key, w_v projects value"] = v(kv="swapped")
    if mask is not None:
        out |= {
            MASK_INVERTED: v(mask_mode="inverted"),
            MASK_IGNORED: v(mask_mode="ignored"),
            MASK_AFTER_SOFTMAX: v(mask_mode="after"),
        }
    if mask is not None and mask.dim() == 3:
        out[
            "3-D (B, Lq, Lk) mask without a head axis: unsqueeze(1) to (B, 1, Lq, Lk), else it broadcasts as (1, B, "
            "Lq, Lk) and sequence b's mask lands on head b"
        ] = v(mask_mode="no_head_axis")
    return out
