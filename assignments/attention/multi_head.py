"""Multi-head attention ("Attention Is All You Need", section 3.2.2).

One attention computes a single weighted average per query, so it can follow one kind of
relation at a time. Multi-head attention runs ``H`` smaller attentions side by side, each on its
own learned projection of the inputs, and concatenates their results:

    head_h = Attention(query W_q^h, key W_k^h, value W_v^h)        each (B, Lq, d_head)
    MultiHead(query, key, value) = concat(head_1, ..., head_H) W_o   (B, Lq, d_model)

with ``d_head = d_model / H``, so the cost is that of one full-width attention. In code the ``H``
projections are one ``nn.Linear(d_model, d_model)`` each for queries, keys and values, whose output
columns are cut into ``H`` groups of ``d_head`` (:func:`split_heads`); the heads then ride along as a
batch axis through :func:`~attention.scaled_dot_product.scaled_dot_product_attention`.
"""

from __future__ import annotations

import torch
from torch import nn

from attention.scaled_dot_product import scaled_dot_product_attention


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """``(B, L, D)`` -> ``(B, H, L, D/H)``: cut the features into ``H`` heads and move heads before positions.

    Head ``h`` gets features ``h * D/H`` to ``(h + 1) * D/H - 1`` of every position. Reshaping alone
    to ``(B, H, L, D/H)`` would be wrong: it would mix positions and features. First reshape the
    last axis to ``(H, D/H)``, then swap the position and head axes. Use ``.reshape``, not ``.view``:
    ``x`` may be non-contiguous (a transposed tensor), where ``.view`` raises.

    ``ValueError`` (naming both numbers) when ``num_heads <= 0`` or ``num_heads`` does not divide ``D``,
    e.g. ``split_heads(torch.zeros(1, 2, 10), 3)``.

    Example (B=1, L=2, D=4, H=2):
        >>> x = torch.arange(8.0).reshape(1, 2, 4)  # positions [0, 1, 2, 3] and [4, 5, 6, 7]
        >>> split_heads(x, 2)  # head 0: features 0-1 of each position; head 1: features 2-3
        tensor([[[[0., 1.],
                  [4., 5.]],
        <BLANKLINE>
                 [[2., 3.],
                  [6., 7.]]]])
    """
    # Hint (~4 lines): check num_heads; x.reshape(B, L, num_heads, D // num_heads), then .transpose(1, 2).
    # YOUR CODE HERE
    raise NotImplementedError()


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """``(B, H, L, D/H)`` -> ``(B, L, D)``: the inverse of :func:`split_heads` (concatenate the heads).

    ``merge_heads(split_heads(x, H))`` equals ``x``. Move the head axis back after the positions,
    then flatten ``(H, D/H)`` into ``D``; the transpose makes the tensor non-contiguous, so use
    ``.reshape`` (or ``.contiguous().view``), not ``.view``.

    Example: ``merge_heads`` of the output in :func:`split_heads`'s example gives back
    ``[[[0., 1., 2., 3.], [4., 5., 6., 7.]]]``.
    """
    # Hint (~2 lines): .transpose(1, 2), then .reshape(B, L, H * D/H).
    # YOUR CODE HERE
    raise NotImplementedError()


class MultiHeadAttention(nn.Module):
    """Multi-head attention with learned projections ``w_q``, ``w_k``, ``w_v`` and output projection ``w_o``.

    ``MultiHeadAttention(d_model, num_heads, dropout=0.0, bias=True)``:

    - ``ValueError`` unless ``num_heads`` divides ``d_model`` (each head has ``d_head = d_model // num_heads``);
    - submodules ``w_q``, ``w_k``, ``w_v``, ``w_o``, each ``nn.Linear(d_model, d_model, bias=bias)``
      (these names are part of the contract: the grader loads weights by them);
    - dropout with rate ``dropout`` on the attention *weights*, before they multiply the values: the
      submodule ``dropout``, an ``nn.Dropout(dropout)`` (active in ``train()`` mode only; the name is
      part of the contract, as ``w_q``'s is).

    ``forward(query, key, value, mask=None)``:

        q, k, v = split_heads(w_q(query)), split_heads(w_k(key)), split_heads(w_v(value))  # (B, H, L, d_head)
        weights = softmax(q k^T / sqrt(d_head), masked)                                     # (B, H, Lq, Lk)
        output  = w_o(merge_heads(dropout(weights) v))                                      # (B, Lq, d_model)

    - ``query (B, Lq, d_model)``, ``key`` and ``value`` ``(B, Lk, d_model)``. Self-attention passes the
      same tensor three times; cross-attention takes ``query`` from the decoder and ``key``/``value``
      from the encoder (so ``Lq`` and ``Lk`` may differ);
    - the scale is ``sqrt(d_head)``, the size of one head's keys, not ``sqrt(d_model)``;
    - ``mask``: boolean (``TypeError`` otherwise, as in attention), ``True`` = may attend, broadcastable
      to ``(B, H, Lq, Lk)``: ``(Lq, Lk)`` (causal), ``(B, 1, 1, Lk)`` (padding) or ``(B, 1, Lq, Lk)``; the
      same mask for every head. A 3-D mask is ``(B, Lq, Lk)``, one per sequence: forward adds the head
      axis (``mask.unsqueeze(1)``), so it is not broadcast as ``(1, B, Lq, Lk)``. (PyTorch's 3-D
      ``attn_mask`` is ``(B * H, Lq, Lk)`` instead, and its ``True`` means the opposite);
    - returns ``(output (B, Lq, d_model), weights (B, H, Lq, Lk))``, the weights of every head as they
      were *before* dropout (so in ``eval()`` mode and in ``train()`` mode they are the same).

    With dropout 0 it equals ``torch.nn.MultiheadAttention(d_model, num_heads, batch_first=True)``
    given the same weights (``w_q``, ``w_k``, ``w_v`` stacked are its ``in_proj_weight``, ``w_o`` its
    ``out_proj``) and called with ``average_attn_weights=False``. May not use ``nn.MultiheadAttention``
    or ``torch.nn.functional``'s attention functions.

    Example:
        >>> mha = MultiHeadAttention(d_model=8, num_heads=2)
        >>> x = torch.randn(3, 5, 8)  # (B, L, d_model)
        >>> output, weights = mha(x, x, x)  # self-attention
        >>> output.shape, weights.shape
        (torch.Size([3, 5, 8]), torch.Size([3, 2, 5, 5]))
    """

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
        """Check ``num_heads`` divides ``d_model``; create ``w_q``, ``w_k``, ``w_v``, ``w_o`` and the dropout."""
        super().__init__()
        # Hint (~9 lines): raise ValueError first; keep num_heads (forward needs it); nn.Dropout(dropout).
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, Lq, D)``, ``(B, Lk, D)``, ``(B, Lk, D)`` -> ``(output (B, Lq, D), weights (B, H, Lq, Lk))``."""
        # Hint (~9 lines): a 3-D mask gets its head axis; project, split_heads, scaled_dot_product_attention,
        # then (in training, with dropout) recompute dropout(weights) @ v; merge_heads and w_o.
        # YOUR CODE HERE
        raise NotImplementedError()
