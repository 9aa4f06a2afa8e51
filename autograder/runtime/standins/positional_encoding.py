"""Stand-in for ``transformer.positional_encoding``: the paper's sinusoids (section 3.5), a learned table."""

from __future__ import annotations

import types

from autograder.runtime.standins.base import stand_in


def build() -> types.ModuleType:
    import torch
    from torch import nn

    def sinusoidal_positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
        # PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...): angles in float64
        position = torch.arange(max_len, dtype=torch.float64)[:, None]
        rate = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
        pe = torch.zeros(max_len, d_model, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(position * rate)
        pe[:, 1::2] = torch.cos(position * rate[: d_model // 2])
        return pe.float()

    class PositionalEncoding(nn.Module):
        pe: torch.Tensor

        def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0) -> None:
            super().__init__()
            self.dropout = nn.Dropout(dropout)
            self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.shape[1] > self.pe.shape[0]:
                raise ValueError(f"sequence length {x.shape[1]} exceeds max_len={self.pe.shape[0]}")
            return self.dropout(x + self.pe[: x.shape[1]])

    class LearnedPositionalEmbedding(nn.Module):
        def __init__(self, max_len: int, d_model: int) -> None:
            super().__init__()
            self.embedding = nn.Embedding(num_embeddings=max_len, embedding_dim=d_model)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.shape[1] > self.embedding.num_embeddings:
                raise ValueError(f"sequence length {x.shape[1]} exceeds max_len={self.embedding.num_embeddings}")
            return x + self.embedding(torch.arange(x.shape[1], device=x.device))

    return stand_in(
        "transformer.positional_encoding",
        sinusoidal_positional_encoding=sinusoidal_positional_encoding,
        PositionalEncoding=PositionalEncoding,
        LearnedPositionalEmbedding=LearnedPositionalEmbedding,
    )
