"""The reference masks against independent oracles: PyTorch's own causal masks
(nn.Transformer.generate_square_subsequent_mask, F.scaled_dot_product_attention(is_causal=True)),
nn.MultiheadAttention's key_padding_mask, and element-by-element definitions written as loops.
Devices are checked on PyTorch's ``meta`` device (no data, any machine).
"""

import functools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from autograder.grading.loader import reference

MASKS = reference()["masks"]
SDPA = reference()["scaled_dot_product"].scaled_dot_product_attention


def padded_tokens(lengths: list[int], size: int, pad_id: int, seed: int) -> torch.Tensor:
    tokens = torch.randint(pad_id + 1, pad_id + 30, (len(lengths), size), generator=torch.Generator().manual_seed(seed))
    for row, n in enumerate(lengths):
        tokens[row, n:] = pad_id
    return tokens


@pytest.mark.parametrize("size", [1, 2, 5, 8])
def test_causal_mask_equals_torch_subsequent_mask(size):
    got = MASKS.causal_mask(size)
    assert got.dtype == torch.bool and got.shape == (size, size)
    assert torch.equal(got, nn.Transformer.generate_square_subsequent_mask(size) == 0)


def test_causal_mask_by_definition():
    got = MASKS.causal_mask(6)
    assert all(bool(got[i, j]) == (j <= i) for i in range(6) for j in range(6))


def test_causal_mask_gives_torch_is_causal():
    q, k, v = (torch.randn(2, 3, 6, 4, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=MASKS.causal_mask(6)), expected)
    torch.testing.assert_close(SDPA(q, k, v, MASKS.causal_mask(6))[0], expected)


def test_causal_mask_on_device():
    got = MASKS.causal_mask(4, device="meta")
    assert got.device.type == "meta" and got.dtype == torch.bool and got.shape == (4, 4)
    assert MASKS.causal_mask(4, device=torch.device("cpu")).device.type == "cpu"


@pytest.mark.parametrize("pad_id", [0, 3])
def test_padding_mask_by_definition(pad_id):
    tokens = padded_tokens([6, 4, 1], 6, pad_id, seed=pad_id)
    got = MASKS.padding_mask(tokens, pad_id)
    assert got.dtype == torch.bool and got.shape == (3, 1, 1, 6)
    assert all(bool(got[b, 0, 0, j]) == (int(tokens[b, j]) != pad_id) for b in range(3) for j in range(6))


def test_padding_mask_equals_torch_key_padding_mask():
    """Attention with our padding mask equals nn.MultiheadAttention with key_padding_mask (True = padding)."""
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True).double().eval()
    tokens = padded_tokens([5, 3], 5, 0, seed=1)
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    expected, _ = mha(x, x, x, key_padding_mask=tokens == 0)
    ours, _ = mha(x, x, x, attn_mask=~MASKS.padding_mask(tokens, 0).expand(2, 2, 5, 5).reshape(4, 5, 5))
    torch.testing.assert_close(ours, expected)


def test_padding_mask_on_device():
    got = MASKS.padding_mask(padded_tokens([3, 2], 4, 0, seed=3).to("meta"), 0)
    assert got.device.type == "meta" and got.shape == (2, 1, 1, 4)


def test_combine_masks_equals_logical_and():
    a = torch.rand(2, 1, 1, 5, generator=torch.Generator().manual_seed(4)) < 0.5
    b = torch.rand(5, 5, generator=torch.Generator().manual_seed(5)) < 0.5
    c = torch.rand(2, 1, 5, 5, generator=torch.Generator().manual_seed(6)) < 0.5
    for masks in [(a, b), (b, a), (a, b, c), (c,)]:
        got = MASKS.combine_masks(*masks)
        expected = functools.reduce(torch.logical_and, masks)
        assert got.dtype == torch.bool and torch.equal(got, expected)
    assert torch.equal(MASKS.combine_masks(None, a, None, b), torch.logical_and(a, b))


def test_combine_masks_of_nothing_is_none():
    assert MASKS.combine_masks() is None
    assert MASKS.combine_masks(None) is None
    assert MASKS.combine_masks(None, None, None) is None


@pytest.mark.parametrize("pad_id", [0, 3])
def test_decoder_mask_by_definition(pad_id):
    tokens = padded_tokens([6, 4, 1], 6, pad_id, seed=10 + pad_id)
    got = MASKS.decoder_mask(tokens, pad_id)
    assert got.dtype == torch.bool and got.shape == (3, 1, 6, 6)
    for b in range(3):
        for i in range(6):
            for j in range(6):
                assert bool(got[b, 0, i, j]) == (j <= i and int(tokens[b, j]) != pad_id)


def test_decoder_mask_on_device():
    got = MASKS.decoder_mask(padded_tokens([3, 2], 4, 0, seed=20).to("meta"), 0)
    assert got.device.type == "meta" and got.dtype == torch.bool and got.shape == (2, 1, 4, 4)
