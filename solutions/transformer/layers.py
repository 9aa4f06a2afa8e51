"""The building blocks of a Transformer layer: LayerNorm, the position-wise feed-forward network,
and the encoder and decoder layers that wrap attention and feed-forward in "Add & Norm".

An encoder layer ("Attention Is All You Need", section 3.1) has two *sublayers*, a decoder layer
three; each sublayer is wrapped in a residual connection and a layer normalisation:

    post-norm (the paper, the default):   x = LayerNorm(x + Dropout(Sublayer(x)))
    pre-norm  (norm_first=True, GPT-2):   x = x + Dropout(Sublayer(LayerNorm(x)))

The residual path lets gradients skip every sublayer; normalising *inside* the branch (pre-norm)
keeps that path an identity from the output to the input, which is why deep pre-norm models
train without a learning-rate warm-up.

Shapes: batch first everywhere, ``x`` is ``(B, L, d_model)``. Masks are boolean, broadcastable
to ``(B, num_heads, L_query, L_key)``, ``True`` where a query *may* attend to a key (see
``attention/masks.py``). With dropout 0 the layers here equal ``torch.nn.TransformerEncoderLayer``
and ``torch.nn.TransformerDecoderLayer`` (``batch_first=True``, ReLU) given the same weights.

Dropout submodules (they hold no parameters, so the ``state_dict`` names do not depend on them) are
named like PyTorch's: ``FeedForward.dropout`` between its two linear layers, and ``dropout1``,
``dropout2`` (, ``dropout3``) on the output of the first, second (, third) sublayer.
"""

from __future__ import annotations

import torch
from torch import nn

from attention.multi_head import MultiHeadAttention


class LayerNorm(nn.Module):
    """Layer normalisation over the last axis (the features of one token), with a learned gain and bias.

    Formula, for each token vector ``x`` of ``d_model`` features::

        mean = x.mean()
        var  = ((x - mean) ** 2).mean()            # biased: divide by d_model, not d_model - 1
        y    = weight * (x - mean) / sqrt(var + eps) + bias

    ``eps`` goes *inside* the square root (a constant vector then gives ``bias``, not NaN).
    Parameters: ``weight`` (initialised to ones) and ``bias`` (zeros), both of shape ``(d_model,)``.
    Shapes: ``(..., d_model)`` -> same shape. Equals ``torch.nn.LayerNorm(d_model, eps)``, which
    this module may not call (nor ``F.layer_norm``).

    Example: ``LayerNorm(2)(torch.tensor([[1., 3.]]))`` is about ``[[-1., 1.]]`` (mean 2, variance 1).
    """

    def __init__(self, d_model: int, eps: float = 1e-5) -> None:
        """Create ``weight`` (ones) and ``bias`` (zeros) of shape ``(d_model,)`` and keep ``eps``."""
        super().__init__()
        # Hint (~3 lines): nn.Parameter(torch.ones(d_model)) and nn.Parameter(torch.zeros(d_model)).
        ### BEGIN SOLUTION
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., d_model)`` -> normalised ``(..., d_model)``, statistics over the last axis only."""
        # Hint (~4 lines): mean and variance over dim=-1 with keepdim=True, so that they broadcast back.
        ### BEGIN SOLUTION
        mean = x.mean(dim=-1, keepdim=True)  # (..., 1)
        centred = x - mean
        var = centred.pow(2).mean(dim=-1, keepdim=True)  # (..., 1), biased: the mean, not sum / (d_model - 1)
        return self.weight * centred / torch.sqrt(var + self.eps) + self.bias
        ### END SOLUTION


class FeedForward(nn.Module):
    """The position-wise feed-forward network: the same two-layer MLP applied to every token.

    Formula: ``FFN(x) = linear2(dropout(relu(linear1(x))))``, i.e. ``max(0, x W1 + b1) W2 + b2``
    (section 3.3), widening each token from ``d_model`` to ``d_ff`` features (the paper: 512 ->
    2048) and back. Submodules: ``linear1`` (``nn.Linear(d_model, d_ff)``), ``dropout``
    (``nn.Dropout(dropout)``, on the hidden activations), ``linear2`` (``nn.Linear(d_ff, d_model)``).
    The ReLU is between the two linear layers only: the output is not rectified.

    Shapes: ``(B, L, d_model)`` -> ``(B, L, d_ff)`` -> ``(B, L, d_model)``.

    Example: with ``d_model = 1``, ``d_ff = 2``, ``linear1.weight = [[1.], [-1.]]``,
    ``linear2.weight = [[1., 1.]]`` and zero biases, ``FFN(x) = relu(x) + relu(-x) = |x|``:
    ``[[[2.], [-3.]]]`` becomes ``[[[2.], [3.]]]``.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0) -> None:
        """Create ``linear1``, ``dropout`` and ``linear2``."""
        super().__init__()
        # Hint (~3 lines)
        ### BEGIN SOLUTION
        self.linear1 = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, d_model)`` -> ``linear2(dropout(relu(linear1(x))))``, shape ``(B, L, d_model)``."""
        # Hint (1 line): torch.relu.
        ### BEGIN SOLUTION
        return self.linear2(self.dropout(torch.relu(self.linear1(x))))  # (B, L, d_ff) inside
        ### END SOLUTION


class EncoderLayer(nn.Module):
    """One encoder layer: self-attention, then feed-forward, each with its residual "Add & Norm".

    Post-norm (``norm_first=False``, the paper's layout)::

        x = norm1(x + dropout1(self_attn(x, x, x, mask)))
        x = norm2(x + dropout2(ffn(x)))

    Pre-norm (``norm_first=True``, used by GPT-2 and by :class:`DecoderOnlyTransformer`)::

        x = x + dropout1(self_attn(h, h, h, mask))   with h = norm1(x)
        x = x + dropout2(ffn(norm2(x)))

    Submodules: ``self_attn`` (``MultiHeadAttention(d_model, num_heads, dropout)``: the same rate
    is used on the attention weights), ``ffn`` (``FeedForward(d_model, d_ff, dropout)``), ``norm1``,
    ``norm2`` (:class:`LayerNorm`), ``dropout1``, ``dropout2`` (``nn.Dropout(dropout)``).

    ``forward(x, mask=None)``: ``x`` ``(B, L, d_model)``; ``mask`` boolean, broadcastable to
    ``(B, num_heads, L, L)``, ``True`` = may attend (e.g. ``padding_mask(tokens, pad_id)``, shape
    ``(B, 1, 1, L)``). Returns ``(B, L, d_model)``; the attention weights are not returned.
    With dropout 0 it equals ``nn.TransformerEncoderLayer(d_model, num_heads, d_ff, 0.0,
    batch_first=True, norm_first=norm_first)`` given the same weights (whose boolean masks mean the
    opposite: ``True`` = may *not* attend).

    Example::

        >>> layer = EncoderLayer(d_model=8, num_heads=2, d_ff=32)
        >>> tokens = torch.tensor([[5, 6, 7], [5, 6, 0]])          # 0 is padding
        >>> layer(torch.randn(2, 3, 8), mask=padding_mask(tokens, pad_id=0)).shape
        torch.Size([2, 3, 8])
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False) -> None:
        """Create ``self_attn``, ``ffn``, ``norm1``, ``norm2``, ``dropout1``, ``dropout2``; keep ``norm_first``."""
        super().__init__()
        # Hint (~7 lines)
        ### BEGIN SOLUTION
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.norm1 = LayerNorm(d_model)
        self.norm2 = LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, L, d_model)`` -> ``(B, L, d_model)``: the two sublayers, post-norm or pre-norm."""
        # Hint (~8 lines): MultiHeadAttention returns (output, weights): keep the output only.
        ### BEGIN SOLUTION
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, h, h, mask)[0])
            x = x + self.dropout2(self.ffn(self.norm2(x)))
        else:
            x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, mask)[0]))
            x = self.norm2(x + self.dropout2(self.ffn(x)))
        return x
        ### END SOLUTION


class DecoderLayer(nn.Module):
    """One decoder layer: masked self-attention, cross-attention on the encoder's output, feed-forward.

    Post-norm (``norm_first=False``)::

        x = norm1(x + dropout1(self_attn(x, x, x, tgt_mask)))
        x = norm2(x + dropout2(cross_attn(x, memory, memory, memory_mask)))
        x = norm3(x + dropout3(ffn(x)))

    Pre-norm (``norm_first=True``) normalises each sublayer's input instead, as in
    :class:`EncoderLayer`; ``memory`` itself is never normalised here (the encoder's final norm
    does that): ``x = x + dropout2(cross_attn(norm2(x), memory, memory, memory_mask))``.

    In cross-attention the *queries* come from the decoder (``x``) and the keys and values from
    ``memory``, so the decoder can look at every source token. ``tgt_mask`` (usually causal and
    padding, ``(B, 1, Lt, Lt)``) hides future target tokens; ``memory_mask`` (usually the source
    padding mask ``(B, 1, 1, Ls)``) hides source padding. Both are boolean, ``True`` = may attend.

    Submodules: ``self_attn``, ``cross_attn`` (``MultiHeadAttention(d_model, num_heads, dropout)``),
    ``ffn``, ``norm1``, ``norm2``, ``norm3``, ``dropout1``, ``dropout2``, ``dropout3``.
    Shapes: ``x`` ``(B, Lt, d_model)``, ``memory`` ``(B, Ls, d_model)`` -> ``(B, Lt, d_model)``.
    With dropout 0 it equals ``nn.TransformerDecoderLayer(batch_first=True)`` given the same
    weights (its ``multihead_attn`` is our ``cross_attn``).

    Example::

        >>> layer = DecoderLayer(d_model=8, num_heads=2, d_ff=32)
        >>> memory = torch.randn(2, 6, 8)                          # the encoder's output, Ls = 6
        >>> layer(torch.randn(2, 4, 8), memory, tgt_mask=causal_mask(4)).shape
        torch.Size([2, 4, 8])
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False) -> None:
        """Create the two attentions, ``ffn``, ``norm1..3`` and ``dropout1..3``; keep ``norm_first``."""
        super().__init__()
        # Hint (~10 lines)
        ### BEGIN SOLUTION
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.norm1 = LayerNorm(d_model)
        self.norm2 = LayerNorm(d_model)
        self.norm3 = LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        tgt_mask: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``x (B, Lt, d_model)``, ``memory (B, Ls, d_model)`` -> ``(B, Lt, d_model)``."""
        # Hint (~12 lines): the same pattern as EncoderLayer with one more sublayer in the middle.
        ### BEGIN SOLUTION
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])
            x = x + self.dropout2(self.cross_attn(self.norm2(x), memory, memory, memory_mask)[0])
            x = x + self.dropout3(self.ffn(self.norm3(x)))
        else:
            x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
            x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
            x = self.norm3(x + self.dropout3(self.ffn(x)))
        return x
        ### END SOLUTION
