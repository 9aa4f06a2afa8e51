"""What positional_encoding's public tests and hidden suite share: the targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

import math

import torch

from autograder.grading.compare import AnyOf
from autograder.grading.mistakes.names import POSITIONS_ALONG_BATCH, POSITIONS_NOT_ADDED

SINUSOIDAL = "transformer.positional_encoding:sinusoidal_positional_encoding"

PE = "transformer.positional_encoding:PositionalEncoding"

LEARNED = "transformer.positional_encoding:LearnedPositionalEmbedding"


def angles(max_len: int, exponents: torch.Tensor, d_model: int, sign: float = -1.0) -> torch.Tensor:
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    return position * torch.exp(sign * math.log(10000.0) * exponents / d_model)


def interleave(even: torch.Tensor, odd: torch.Tensor, d_model: int) -> torch.Tensor:
    pe = torch.zeros(even.size(0), d_model, dtype=torch.float64)
    pe[:, 0::2] = even
    pe[:, 1::2] = odd
    return pe.float()


def table_mistakes(max_len: int, d_model: int) -> dict:
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)
    half = d_model // 2
    a = angles(max_len, two_i, d_model)
    return {
        "sin and cos swapped (even columns must be sines)": lambda: interleave(
            torch.cos(a), torch.sin(a[:, :half]), d_model
        ),
        "sin and cos concatenated instead of interleaved (PE[p, 2i] = sin, PE[p, 2i+1] = cos)": lambda: torch.cat(
            [torch.sin(a), torch.cos(a[:, :half])], dim=1
        ).float(),
        "exponent uses i instead of 2i (10000^(i/d_model))": lambda: interleave(
            torch.sin(b := angles(max_len, two_i / 2, d_model)), torch.cos(b[:, :half]), d_model
        ),
        "exponent uses the column index: the cosine column 2i+1 must share the frequency 10000^(2i/d_model) of column "
        "2i": lambda: interleave(torch.sin(a), torch.cos(angles(max_len, two_i[:half] + 1, d_model)), d_model),
        "position multiplied by 10000^(2i/d_model) instead of divided": lambda: interleave(
            torch.sin(b := angles(max_len, two_i, d_model, sign=1.0)), torch.cos(b[:, :half]), d_model
        ),
    }


def forward_mistakes(x: torch.Tensor, pe: torch.Tensor, max_len: int) -> dict:
    """Wrong outputs of PositionalEncoding.forward (dropout off); ``pe`` is the correct table."""
    B, L, D = x.shape
    out = {
        POSITIONS_NOT_ADDED: x,
        "positional encoding multiplied instead of added": lambda: x * pe[:L],
        # the table sliced by x.size(0): added along the batch axis, or as rows that broadcast over the positions
        POSITIONS_ALONG_BATCH: AnyOf(lambda: x + pe[:B].unsqueeze(1), lambda: x + pe[:B]),
    }
    for name, table in table_mistakes(max_len, D).items():
        out[name] = lambda table=table: x + table()[:L]
    return out
