"""Positional encodings: telling an order-blind model where each token is.

Self-attention treats its input as a *set*: permute the tokens and the outputs are permuted the
same way, nothing else changes. Word order has to be injected into the vectors themselves. The
Transformer ("Attention Is All You Need", section 3.5) adds to each token embedding a vector that
depends only on the token's position ``p``:

    PE[p, 2i]   = sin(p / 10000^(2i / d_model))
    PE[p, 2i+1] = cos(p / 10000^(2i / d_model))

Each pair of columns ``(2i, 2i+1)`` is a point turning on a circle at its own frequency, from one
turn every ``2*pi`` positions (``i = 0``) to one turn every ``10000 * 2*pi`` positions. Because
``PE[p + k]`` is a rotation of ``PE[p]`` whose angle depends only on ``k``, relative offsets are easy
for attention to read off. GPT-style models instead *learn* one vector per position
(:class:`LearnedPositionalEmbedding`).

Layout everywhere in this package: batch first, ``x`` of shape ``(B, L, d_model)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The sinusoidal table of the original Transformer, float32 of shape ``(max_len, d_model)``.

    Formula, for position ``p`` and pair index ``i`` (so columns ``2i`` and ``2i+1``)::

        PE[p, 2i]   = sin(p / 10000^(2i / d_model))
        PE[p, 2i+1] = cos(p / 10000^(2i / d_model))

    Conventions:
      - *interleaved*, as in the paper: even columns are sines, odd columns cosines, and the two
        columns of a pair share one frequency (the exponent uses ``2i``, the even column's index,
        for both). Putting all the sines first and all the cosines after is a different table.
      - an odd ``d_model`` works: the last column is a sine whose cosine partner would be column
        ``d_model``, which does not exist.
      - the angles are computed in float64 and the table rounded once to float32, so that the
        large positions (``p`` up to thousands of radians) keep float32 accuracy.

    Example (``d_model = 4``: the frequencies are ``1`` and ``1/100``)::

        >>> sinusoidal_positional_encoding(2, 4)
        tensor([[0.0000, 1.0000, 0.0000, 1.0000],
                [0.8415, 0.5403, 0.0100, 0.9999]])
    """
    # Hint (~7 lines): positions as a column (max_len, 1) times the inverse frequencies
    # 10000^(-2i/d_model) for 2i in torch.arange(0, d_model, 2) as a row; fill the even columns
    # (pe[:, 0::2]) with the sines and the odd ones (pe[:, 1::2]) with the cosines.
    ### BEGIN SOLUTION
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)  # (max_len, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(d_model / 2),)
    inv_freq = torch.exp(-math.log(10000.0) * two_i / d_model)  # 10000^(-2i/d_model), in log space
    angles = position * inv_freq  # (max_len, ceil(d_model / 2))
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])  # an odd d_model has one cosine fewer
    return pe.to(torch.float32)
    ### END SOLUTION


class PositionalEncoding(nn.Module):
    """Adds the fixed sinusoidal encoding to a batch of embeddings, then applies dropout.

    ``PositionalEncoding(d_model, max_len=5000, dropout=0.0)``: ``d_model`` first, the reverse of
    ``LearnedPositionalEmbedding(max_len, d_model)`` (which follows ``nn.Embedding``).

    ``forward(x)`` with ``x`` of shape ``(B, L, d_model)`` returns ``dropout(x + pe[:L])``, same
    shape: position ``p`` of every sequence in the batch gets ``pe[p]`` added.

    Attributes (the names are part of the contract):
      - ``pe``: the table of :func:`sinusoidal_positional_encoding`, shape ``(max_len, d_model)``
        (no batch axis), registered with ``register_buffer``: it moves with ``.to(device)``,
        is saved in ``state_dict()``, and is not a parameter (nothing learns it);
      - ``dropout``: an ``nn.Dropout(dropout)`` (the paper uses 0.1), active in ``train()`` mode only.

    The result has ``x``'s dtype and device (the table is cast to them), and
    ``ValueError`` is raised when ``L > max_len``.

    Example::

        >>> PositionalEncoding(4)(torch.zeros(1, 2, 4))   # zeros in, so the table comes out
        tensor([[[0.0000, 1.0000, 0.0000, 1.0000],
                 [0.8415, 0.5403, 0.0100, 0.9999]]])
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0) -> None:
        """Build the table once for ``max_len`` positions and register it as the buffer ``pe``."""
        super().__init__()
        # Hint (~2 lines): self.dropout = nn.Dropout(...); self.register_buffer("pe", ...).
        ### BEGIN SOLUTION
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model))  # (max_len, D)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, d_model)`` -> ``dropout(x + pe[:L])``, same shape, dtype and device as ``x``."""
        # Hint (~4 lines): check L = x.size(1) against the table's length, slice the first L rows,
        # cast them with .to(dtype=x.dtype, device=x.device) and let broadcasting add them to every sequence.
        ### BEGIN SOLUTION
        length = x.size(1)
        if length > self.pe.size(0):
            raise ValueError(f"sequence length {length} exceeds max_len={self.pe.size(0)} of the positional encoding")
        pe = self.pe[:length].to(dtype=x.dtype, device=x.device)  # (L, D), broadcast over the batch
        return self.dropout(x + pe)
        ### END SOLUTION


class LearnedPositionalEmbedding(nn.Module):
    """One trained vector per position (GPT-style), added to the embeddings.

    ``forward(x)`` with ``x`` of shape ``(B, L, d_model)`` returns ``x + embedding(positions)``
    where ``positions = [0, 1, ..., L-1]``: the same ``(L, d_model)`` block is added to every
    sequence of the batch.

    Mind the argument order: ``LearnedPositionalEmbedding(max_len, d_model)``, as ``nn.Embedding(num_embeddings,
    embedding_dim)`` takes them, is the reverse of ``PositionalEncoding(d_model, max_len)``.

    Attributes: ``embedding``, an ``nn.Embedding(max_len, d_model)`` (row ``p`` is the vector of
    position ``p``; its default N(0, 1) initialisation is kept). Unlike the sinusoidal table it
    cannot describe a position it never saw in training, so ``ValueError`` is raised when
    ``L > max_len``. The result has ``x``'s dtype and device.

    Example: with ``embedding.weight = [[1., 1.], [2., 2.], [3., 3.]]`` (``max_len = 3``),
    ``forward(torch.zeros(1, 2, 2))`` is ``[[[1., 1.], [2., 2.]]]``.
    """

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the ``(max_len, d_model)`` table of position vectors as the submodule ``embedding``."""
        super().__init__()
        # Hint (1 line)
        ### BEGIN SOLUTION
        self.embedding = nn.Embedding(max_len, d_model)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, d_model)`` -> ``x + embedding([0, ..., L-1])``, same shape, dtype and device as ``x``."""
        # Hint (~5 lines): positions = torch.arange(L, device=x.device); look them up; add (broadcasting over B).
        ### BEGIN SOLUTION
        length = x.size(1)
        if length > self.embedding.num_embeddings:
            raise ValueError(f"sequence length {length} exceeds max_len={self.embedding.num_embeddings} of the position embedding")
        positions = torch.arange(length, device=x.device)  # (L,)
        return x + self.embedding(positions).to(x.dtype)  # (B, L, D) + (L, D)
        ### END SOLUTION
