"""Public tests for attention/masks.py: small masks written out by hand.

Reminder: ``True`` means *may attend*; rows are queries, columns are keys.
"""

import torch

from autograder.grading.compare import check
from autograder.grading.mistakes.masks import CAUSAL, COMBINE, DECODER, PADDING, causal_mistakes, decoder_mistakes, padding_mistakes
from autograder.grading.mistakes.names import MASKS_OR

T, F = True, False


def test_causal_mask_by_hand(student):
    """causal_mask(3): True on and below the diagonal"""
    expected = torch.tensor([[T, F, F], [T, T, F], [T, T, T]])
    check(student.call(CAUSAL, 3), expected, what="causal_mask(3)", mistakes=causal_mistakes(3))


def test_causal_mask_matches_torch(student):
    """causal_mask(6): True exactly where nn.Transformer's square subsequent mask is 0 (not -inf)"""
    expected = torch.nn.Transformer.generate_square_subsequent_mask(6) == 0
    check(student.call(CAUSAL, 6), expected, what="causal_mask(6)", mistakes=causal_mistakes(6))


def test_padding_mask_by_hand(student):
    """padding_mask: tokens [[5, 6, 0], [7, 0, 0]] with pad_id 0 -> shape (2, 1, 1, 3)"""
    tokens = torch.tensor([[5, 6, 0], [7, 0, 0]])
    expected = torch.tensor([[T, T, F], [T, F, F]]).reshape(2, 1, 1, 3)
    check(student.call(PADDING, tokens, 0), expected, what="padding_mask([[5, 6, 0], [7, 0, 0]], pad_id=0)", mistakes=padding_mistakes(tokens, 0))
    check(student.call(PADDING, tokens + 1, 1), expected, what="padding_mask([[6, 7, 1], [8, 1, 1]], pad_id=1)", mistakes=padding_mistakes(tokens + 1, 1))


def test_combine_masks_by_hand(student):
    """combine_masks: AND with broadcasting; None skipped; all None gives None"""
    row = torch.tensor([T, T, F])  # broadcasts over queries
    column = torch.tensor([[T], [F]])  # broadcasts over keys
    expected = torch.tensor([[T, T, F], [F, F, F]])
    union = {MASKS_OR: row | column}
    check(student.call(COMBINE, None, row, column), expected, what="combine_masks(None, [True, True, False], [[True], [False]])", mistakes=union)
    check(student.call(COMBINE, None, None), None, what="combine_masks(None, None)")


def test_decoder_mask_by_hand(student):
    """decoder_mask: tokens [[5, 6, 0]], pad_id 0 -> causal, and the padded last key hidden from everyone"""
    expected = torch.tensor([[T, F, F], [T, T, F], [T, T, F]]).reshape(1, 1, 3, 3)
    tokens = torch.tensor([[5, 6, 0]])
    got = student.call(DECODER, tokens, 0)
    check(got, expected, what="decoder_mask([[5, 6, 0]], pad_id=0)", mistakes=decoder_mistakes(tokens, 0, got))


def test_decoder_mask_shape(student):
    """decoder_mask: (B, L) tokens give a (B, 1, L, L) boolean mask"""
    tokens = torch.tensor([[4, 4, 4, 4, 2], [4, 4, 2, 2, 2]])
    not_padding = (tokens != 2).reshape(2, 1, 1, 5)  # hides padded keys (columns)
    no_future = torch.ones(5, 5, dtype=torch.bool).tril()  # hides later keys
    expected = not_padding & no_future  # broadcasts to (2, 1, 5, 5)
    got = student.call(DECODER, tokens, 2)
    check(got, expected, what="decoder_mask(<int64 (2, 5)>, pad_id=2)", mistakes=decoder_mistakes(tokens, 2, got))
