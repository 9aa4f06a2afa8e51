"""Scaled dot-product attention: every query takes a weighted average of the values, weighted by
how well it matches each key ("Attention Is All You Need", section 3.2.1).

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

Shapes, with any leading batch axes ``...`` (batch, heads):
``q (..., Lq, d_k)``, ``k (..., Lk, d_k)``, ``v (..., Lk, d_v)`` -> output ``(..., Lq, d_v)`` and
weights ``(..., Lq, Lk)``; row ``i`` of the weights says how much query ``i`` reads from each key.

Masks (everywhere in this course) are boolean and broadcastable to ``(..., Lq, Lk)``; ``True``
means *may attend*, the convention of ``torch.nn.functional.scaled_dot_product_attention``.
"""

from __future__ import annotations

import math

import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim``, numerically stable, with all ``-inf`` slices mapped to zeros.

    ``softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m)`` with ``m = max_j x_j``: subtracting the
    maximum changes nothing mathematically but keeps ``exp`` from overflowing (``exp(1000)`` is
    ``inf`` in any float type), so inputs of magnitude 1000 work.

    A slice whose entries are all ``-inf`` (in attention: a query that may attend to no key) has
    no meaningful distribution; by this course's convention it becomes all zeros, never NaN
    (``torch.softmax`` gives NaN there, because ``m = -inf`` and ``-inf - (-inf)`` is NaN).

    Shapes: any shape -> the same shape and dtype; the slices along ``dim`` sum to 1 (or are all 0).
    Differentiable with autograd. Write it from elementary torch operations (``amax``, ``exp``, ``sum``).

    Example:
        >>> softmax(torch.tensor([[0.0, math.log(3.0)], [float("-inf"), float("-inf")]]))
        tensor([[0.2500, 0.7500],
                [0.0000, 0.0000]])
    """
    # Hint (~5 lines): x.amax(dim, keepdim=True); replace a -inf maximum by 0 before subtracting it,
    # and divide by a sum that cannot be 0 (torch.where or masked_fill).
    # YOUR CODE HERE
    raise NotImplementedError()


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention of queries ``q`` over keys ``k`` and values ``v``; returns ``(output, weights)``.

        scores  = q k^T / sqrt(d_k)                           (..., Lq, Lk)
        weights = softmax(scores with masked keys at -inf)    (..., Lq, Lk), over the keys (last axis)
        output  = weights v                                   (..., Lq, d_v)

    Why ``sqrt(d_k)``: with unit-variance entries a dot product of length ``d_k`` has variance
    ``d_k``; dividing by ``sqrt(d_k)`` keeps the scores near unit scale so the softmax does not
    saturate (and its gradients vanish) as ``d_k`` grows. It is the key size ``d_k`` (the last axis
    of ``q`` and ``k``), not the value size ``d_v``.

    ``mask``: boolean, broadcastable to ``(..., Lq, Lk)``, ``True`` = may attend, e.g. ``(Lq, Lk)``
    (causal) or ``(B, 1, 1, Lk)`` (padding). Masked keys get weight exactly 0: they are set to
    ``-inf`` *before* the softmax, so the remaining weights of the row still sum to 1. A query row
    with every key masked gets zero weights and a zero output (see :func:`softmax`), never NaN.
    A mask that is not boolean raises ``TypeError``: a float mask could be 0/1 or an additive mask of
    0/-inf (PyTorch accepts both), and guessing which would silently attend to the wrong keys.
    Differentiable. May not call ``torch.nn.functional.scaled_dot_product_attention``.

    Example (one query, two keys, d_k = 1): ``q = [[2.]]``, ``k = [[1.], [0.]]``, ``v = [[10.], [20.]]``.
    The scores are ``[2, 0] / sqrt(1)``, the weights ``softmax([2, 0]) = [0.881, 0.119]`` and the
    output ``0.881 * 10 + 0.119 * 20 = 11.19``. With ``mask = [[False, True]]`` the weights are
    ``[0, 1]`` and the output ``20``.
    """
    # Hint (~8 lines): refuse a non-bool mask; k.transpose(-2, -1); scores.masked_fill(~mask, float("-inf"));
    # softmax over dim=-1.
    # YOUR CODE HERE
    raise NotImplementedError()
