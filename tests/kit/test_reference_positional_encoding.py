"""The reference positional encodings against independent oracles: the paper's formula entry by
entry (float64), the Annotated Transformer's recipe, the rotation property, torch's dropout and a
plain embedding lookup."""

import math

import numpy as np
import pytest
import torch

from autograder.grading.loader import reference

PE = reference()["positional_encoding"]


def formula(max_len: int, d_model: int) -> np.ndarray:
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)), one entry at a time, float64."""
    out = np.zeros((max_len, d_model))
    for p in range(max_len):
        for j in range(d_model):
            angle = p / 10000 ** (2 * (j // 2) / d_model)
            out[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return out


def annotated_transformer(max_len: int, d_model: int) -> torch.Tensor:
    """The Annotated Transformer's table (float32 throughout; its buffer also has a leading batch axis, dropped here)."""
    pe = torch.zeros(max_len, d_model)
    position = torch.arange(0, max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2) * -(math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


@pytest.mark.parametrize("max_len,d_model", [(1, 4), (50, 8), (31, 7), (12, 1)])
def test_table_equals_the_formula(max_len, d_model):
    table = PE.sinusoidal_positional_encoding(max_len, d_model)
    assert table.dtype == torch.float32 and table.shape == (max_len, d_model)
    np.testing.assert_allclose(table.numpy(), formula(max_len, d_model), rtol=0, atol=1e-7)


def test_table_is_float32_accurate_at_large_positions():
    """Computed in float64 and rounded once: the 5000th row is as good as float32 allows."""
    table = PE.sinusoidal_positional_encoding(5000, 6).numpy().astype(np.float64)
    p = np.arange(5000)[:, None]
    angles = p / 10000 ** (np.arange(0, 6, 2) / 6)
    exact = np.zeros((5000, 6))
    exact[:, 0::2], exact[:, 1::2] = np.sin(angles), np.cos(angles)
    np.testing.assert_allclose(table, exact, rtol=0, atol=1e-7)


@pytest.mark.parametrize("max_len,d_model", [(100, 16), (64, 6)])
def test_table_equals_the_annotated_transformer(max_len, d_model):
    # Their float32 angles drift by ~p * 1e-7 rad; 1e-5 is the float32 tolerance of compare.py.
    torch.testing.assert_close(PE.sinusoidal_positional_encoding(max_len, d_model), annotated_transformer(max_len, d_model), rtol=1e-4, atol=1e-5)


def test_shifting_a_position_rotates_each_pair():
    """[sin(a + b), cos(a + b)] = R(b) [sin a, cos a]: PE[p + k] depends linearly on PE[p], through k only."""
    table = PE.sinusoidal_positional_encoding(40, 8).double()
    shift = 5
    freqs = 1 / 10000 ** (torch.arange(0, 8, 2, dtype=torch.float64) / 8)
    c, s = torch.cos(shift * freqs), torch.sin(shift * freqs)
    sin_p, cos_p = table[:-shift, 0::2], table[:-shift, 1::2]
    torch.testing.assert_close(table[shift:, 0::2], sin_p * c + cos_p * s, rtol=0, atol=1e-6)
    torch.testing.assert_close(table[shift:, 1::2], cos_p * c - sin_p * s, rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_positional_encoding_adds_the_table_and_keeps_dtype(dtype):
    module = PE.PositionalEncoding(6, max_len=20)
    assert [name for name, _ in module.named_parameters()] == []
    assert list(module.state_dict()) == ["pe"] and module.pe.shape == (20, 6)
    x = torch.randn(3, 7, 6, generator=torch.Generator().manual_seed(0), dtype=dtype)
    out = module(x)
    assert out.dtype == dtype and out.shape == x.shape
    torch.testing.assert_close(out, x + torch.from_numpy(formula(7, 6)).to(dtype), rtol=0, atol=1e-6)


def test_positional_encoding_follows_the_module_to_float64():
    module = PE.PositionalEncoding(4, max_len=9).double()
    assert module.pe.dtype == torch.float64
    x = torch.zeros(1, 9, 4, dtype=torch.float64)
    np.testing.assert_allclose(module(x)[0].numpy(), formula(9, 4), rtol=0, atol=1e-7)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_positional_encoding_follows_x_to_the_gpu():
    cpu_module = PE.PositionalEncoding(8, max_len=16)
    x = torch.randn(2, 5, 8, device="cuda")
    out = cpu_module(x)
    assert out.device == x.device
    torch.testing.assert_close(out.cpu(), x.cpu() + cpu_module.pe[:5])
    gpu_module = PE.PositionalEncoding(8, max_len=16).to("cuda")
    assert gpu_module.pe.device.type == "cuda"
    torch.testing.assert_close(gpu_module(x), out)
    learned = PE.LearnedPositionalEmbedding(16, 8).to("cuda")
    torch.testing.assert_close(learned(x), x + learned.embedding.weight[:5])


def test_positional_encoding_dropout_is_torch_dropout_on_the_sum():
    module = PE.PositionalEncoding(8, max_len=10, dropout=0.3).train()
    x = torch.randn(4, 10, 8, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(7)
    got = module(x)
    torch.manual_seed(7)
    expected = torch.nn.functional.dropout(x + torch.from_numpy(formula(10, 8)).float(), 0.3, training=True)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(module.eval()(x), x + module.pe)


def test_positional_encoding_rejects_long_sequences():
    with pytest.raises(ValueError):
        PE.PositionalEncoding(4, max_len=3)(torch.zeros(1, 4, 4))


def test_learned_embedding_is_a_lookup_with_gradients():
    torch.manual_seed(0)
    module = PE.LearnedPositionalEmbedding(12, 5).double()
    assert isinstance(module.embedding, torch.nn.Embedding) and module.embedding.weight.shape == (12, 5)
    x = torch.randn(3, 7, 5, dtype=torch.float64, requires_grad=True)
    g = torch.randn(3, 7, 5, dtype=torch.float64)
    out = module(x)
    torch.testing.assert_close(out, x + module.embedding.weight[:7])
    (out * g).sum().backward()
    torch.testing.assert_close(x.grad, g)
    expected = torch.zeros(12, 5, dtype=torch.float64)
    expected[:7] = g.sum(0)
    torch.testing.assert_close(module.embedding.weight.grad, expected)
    with pytest.raises(ValueError):
        module(torch.zeros(1, 13, 5, dtype=torch.float64))
