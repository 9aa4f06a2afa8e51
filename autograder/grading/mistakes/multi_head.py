"""What multi_head's public tests and hidden suite share: the targets, the models of the common mistakes.

Shipped to students, since the public tests import it: PyTorch's own functions over given projections, never
the reference. A mistake only the hidden suite models stays in the suite.
"""

import itertools
import math

import torch

from autograder.grading.compare import AnyOf
from autograder.grading.mistakes.names import (
    ATTENTION_OVER_QUERIES,
    BIAS_IGNORED,
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
    sources=("query", "key", "value"),
    dim=-1,
    mask_mode="given",
    w_o=True,
    average=False,
):
    """Multi-head attention with one thing changed (the defaults give the right answer): (output, weights).

    ``m`` holds the four projections as callables ``w_q``, ``w_k``, ``w_v``, ``w_o`` (PyTorch's weights in the
    public tests, the reference's in the hidden suite); the attention itself is written out here. ``sources``: which
    input (``"query"``, ``"key"`` or ``"value"``) each of ``w_q``, ``w_k``, ``w_v`` projects, in that order.
    """
    with torch.no_grad():
        H = num_heads
        inputs = {"query": query, "key": key, "value": value}
        q_in, k_in, v_in = (inputs[name] for name in sources)
        if mask is not None and mask.dim() == 3 and mask_mode != "no_head_axis":
            mask = mask.unsqueeze(1)  # (B, Lq, Lk) -> (B, 1, Lq, Lk): one mask per sequence, for every head
        fill = 0.0 if mask_mode == "zero" else float("-inf")  # 0: a masked key still gets weight exp(0)
        projected = [m.w_q(q_in), m.w_k(k_in), m.w_v(v_in)]  # each (B, L, D)
        D = projected[0].size(-1)
        DH = D // H
        if split == "reshape":
            q, k, v = (x.reshape(x.size(0), H, x.size(1), DH) for x in projected)
        elif split == "feature-major":
            q, k, v = (x.view(x.size(0), x.size(1), DH, H).permute(0, 3, 1, 2) for x in projected)
        else:
            q, k, v = (x.view(x.size(0), x.size(1), H, DH).transpose(1, 2) for x in projected)
        divisor = {"head": math.sqrt(DH), "model": math.sqrt(D), "none": 1.0, "head-unrooted": DH, "heads": H**0.5}
        scores = q @ k.transpose(-2, -1) / divisor[scale]
        if mask is not None and mask_mode in ("given", "inverted", "no_head_axis", "zero"):
            scores = scores.masked_fill(mask if mask_mode == "inverted" else ~mask, fill)
        weights = torch.softmax(scores, dim=dim).nan_to_num(0.0)
        if mask is not None and mask_mode == "after":
            weights = weights.masked_fill(~mask, 0.0)
        out = weights @ v  # (B, H, Lq, d_head)
        merged = (
            out.reshape(out.size(0), out.size(2), D)
            if merge == "reshape"
            else out.transpose(1, 2).reshape(out.size(0), out.size(2), D)
        )
        return (m.w_o(merged) if w_o else merged), (weights.mean(dim=1) if average else weights)


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
    out |= {
        "scores divided by d_head, not sqrt(d_head)": v(scale="head-unrooted"),
        "scores divided by sqrt(num_heads), not sqrt(d_head) (d_head = d_model / num_heads)": v(scale="heads"),
        "softmax over the heads (dim=1): each query's weights sum to 1 over its keys, the last axis": v(dim=1),
        "weights averaged over the heads (nn.MultiheadAttention's default): return them per head, (B, h, Lq, Lk)": v(
            average=True
        ),
    }
    out |= wrong_sources(v, query, key, value)
    if mask is not None:
        out |= {
            "masked scores set to 0, not -inf: a masked key still gets weight exp(0)": v(mask_mode="zero"),
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


KNOWN_SOURCES: dict[tuple[str, ...], str] = {  # the inputs w_q, w_k, w_v project in the forms with a name of their own
    ("query", "query", "query"): KV_FROM_QUERY,
    ("query", "query", "value"): "keys projected from the query: in cross-attention w_k projects the key input",
    ("query", "key", "query"): "values projected from the query: in cross-attention w_v projects the value input",
    ("query", "value", "key"): "key and value swapped: w_k projects key, w_v projects value",
}


def wrong_sources(v, query, key, value) -> dict:
    """Every other choice of the input each of w_q, w_k, w_v projects (an argument swapped or passed twice): the
    known forms by their names, the others named by what they changed. Choices that give the very tensors of the
    right answer, or of a form already listed, are left out."""
    inputs = {"query": query, "key": key, "value": value}
    seen: set[tuple[int, ...]] = {(id(query), id(key), id(value))}
    out = {}
    for sources in sorted(itertools.product(inputs, repeat=3), key=lambda s: s not in KNOWN_SOURCES):
        ids = tuple(id(inputs[name]) for name in sources)
        if ids in seen:
            continue
        seen.add(ids)
        roles = zip(("queries", "keys", "values"), ("w_q", "w_k", "w_v"), sources, inputs)
        wrong = [f"{role} projected from the {name} input, {w}({name})" for role, w, name, right in roles
                 if inputs[name] is not inputs[right]]  # fmt: skip
        out[KNOWN_SOURCES.get(sources) or " and ".join(wrong) + ": w_q projects query, w_k key, w_v value"] = v(
            sources=sources
        )
    return out


def bias_mistakes(d_model: int) -> dict:
    """``bias=False`` forgotten on any of the four projections: the parameter names and shapes it leaves, for
    ``MultiHeadAttention(d_model, h, bias=False)``'s ``{name: shape}``."""
    weights = {f"{name}.weight": [d_model, d_model] for name in ("w_q", "w_k", "w_v", "w_o")}
    forms = [
        dict(sorted({**weights, **{f"{name}.bias": [d_model] for name in biased}}.items()))
        for n in range(1, 5)
        for biased in itertools.combinations(("w_q", "w_k", "w_v", "w_o"), n)
    ]
    return {BIAS_IGNORED: AnyOf(*forms)}
