"""Public tests for transformer/positional_encoding.py: small tables you can check by hand."""

import math

import torch

from autograder.grading.compare import check, check_raises

SINUSOIDAL = "transformer.positional_encoding:sinusoidal_positional_encoding"
PE = "transformer.positional_encoding:PositionalEncoding"
LEARNED = "transformer.positional_encoding:LearnedPositionalEmbedding"


def formula(max_len: int, d_model: int) -> torch.Tensor:
    """The paper's formula, one entry at a time (slow but obviously right)."""
    rows = []
    for p in range(max_len):
        row = []
        for j in range(d_model):
            i = j // 2  # columns 2i and 2i+1 share the frequency 1 / 10000^(2i / d_model)
            angle = p / 10000 ** (2 * i / d_model)
            row.append(math.sin(angle) if j % 2 == 0 else math.cos(angle))
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float32)


def test_sinusoidal_two_positions_by_hand(student):
    """sinusoidal: (2, 4) is [[0, 1, 0, 1], [sin 1, cos 1, sin 0.01, cos 0.01]]"""
    expected = torch.tensor([[0.0, 1.0, 0.0, 1.0], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)]], dtype=torch.float32)
    check(student.call(SINUSOIDAL, 2, 4), expected, what="sinusoidal_positional_encoding(2, 4)")


def test_sinusoidal_matches_the_formula(student):
    """sinusoidal: (10, 6) equals the formula entry by entry, float32, interleaved sin/cos"""
    check(student.call(SINUSOIDAL, 10, 6), formula(10, 6), what="sinusoidal_positional_encoding(10, 6)")


def test_sinusoidal_odd_d_model(student):
    """sinusoidal: an odd d_model (5) works; the last column is a sine"""
    check(student.call(SINUSOIDAL, 4, 5), formula(4, 5), what="sinusoidal_positional_encoding(4, 5)")


def test_positional_encoding_adds_the_table(student):
    """PositionalEncoding: zeros in -> the table's first L rows out, for every sequence in the batch"""
    x = torch.zeros(2, 3, 4)
    got = student.probe("module_run", target=PE, init_args=[4], init_kwargs={"max_len": 10}, calls=[{"args": [x]}])
    check(got["outputs"][0], formula(3, 4).expand(2, 3, 4), what="PositionalEncoding(4, max_len=10)(torch.zeros(2, 3, 4))")
    check(got["state_keys"], ["pe"], what="PositionalEncoding(4).state_dict().keys() (the buffer pe)")


def test_positional_encoding_eval_has_no_dropout(student):
    """PositionalEncoding: in eval mode, forward(x) = x + pe[:L] even with dropout=0.5"""
    x = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    got = student.probe("module_run", target=PE, init_args=[4], init_kwargs={"max_len": 3, "dropout": 0.5}, calls=[{"args": [x]}])
    check(got["outputs"][0], x + formula(3, 4), what="PositionalEncoding(4, max_len=3, dropout=0.5).eval()(x (2, 3, 4))")


def test_positional_encoding_too_long_raises(student):
    """PositionalEncoding: ValueError when L > max_len"""
    check_raises(
        lambda: student.probe("module_run", target=PE, init_args=[4], init_kwargs={"max_len": 2}, calls=[{"args": [torch.zeros(1, 3, 4)]}]),
        "ValueError",
        what="PositionalEncoding(4, max_len=2)(torch.zeros(1, 3, 4))",
    )


def test_learned_positional_embedding_by_hand(student):
    """LearnedPositionalEmbedding: with rows [1,1], [2,2], [3,3], zeros (1, 2, 2) -> [[1, 1], [2, 2]]"""
    weight = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    got = student.probe(
        "module_run", target=LEARNED, init_args=[3, 2], init_kwargs={}, calls=[{"args": [torch.zeros(1, 2, 2)]}], state={"embedding.weight": weight}
    )
    check(got["outputs"][0], torch.tensor([[[1.0, 1.0], [2.0, 2.0]]]), what="LearnedPositionalEmbedding(3, 2)(torch.zeros(1, 2, 2))")
