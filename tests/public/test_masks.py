"""Public tests for attention/masks.py: small masks written out by hand.

Reminder: ``True`` means *may attend*; rows are queries, columns are keys.
"""

import torch

from autograder.grading.compare import check

CAUSAL = "attention.masks:causal_mask"
PADDING = "attention.masks:padding_mask"
COMBINE = "attention.masks:combine_masks"
DECODER = "attention.masks:decoder_mask"
T, F = True, False


# -- models of the common mistakes, from torch's own functions: a wrong answer equal to one is named --


def causal_mistakes(size: int) -> dict:
    ones = torch.ones(size, size, dtype=torch.bool)
    return {
        "strict causal mask: the diagonal must be True (a position may attend to itself)": lambda: torch.tril(
            ones, diagonal=-1
        ),
        "transposed causal mask (True above the diagonal): query i may read the keys j <= i": lambda: torch.triu(ones),
        "inverted causal mask: True must mark the keys that may be attended (j <= i), not the future": lambda: (
            torch.triu(ones, diagonal=1)
        ),
        "causal mask is not boolean (create it with dtype=torch.bool)": lambda: torch.tril(torch.ones(size, size)),
    }


def padding_mistakes(tokens: torch.Tensor, pad_id: int) -> dict:
    keep = tokens != pad_id
    return {
        "padding mask on the query axis: the shape must be (B, 1, 1, L), keys last": lambda: keep[:, None, :, None],
        "padding mask not reshaped to (B, 1, 1, L) (the two singleton axes are heads and queries)": lambda: keep,
        "padding mask of shape (B, 1, L): it needs both singleton axes, (B, 1, 1, L)": lambda: keep[:, None, :],
        "inverted padding mask: True must mark real tokens (which may be attended), False the padding": lambda: (
            tokens == pad_id
        )[:, None, None, :],
        "pad_id ignored (compared with 0)": lambda: (tokens != 0)[:, None, None, :],
        "padding mask is not boolean": lambda: keep[:, None, None, :].long(),
    }


def like(got, *candidates: torch.Tensor) -> torch.Tensor:
    """The candidate with ``got``'s shape (one mistake can come out broadcast or not), else the last."""
    shape = tuple(getattr(got, "shape", ()))
    return next((c for c in candidates if tuple(c.shape) == shape), candidates[-1])


def decoder_mistakes(tokens: torch.Tensor, pad_id: int, got=None) -> dict:
    length = tokens.size(-1)
    keep = tokens != pad_id
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    keys = keep[:, None, None, :]
    queries = keep[:, None, :, None]
    full = (tokens.size(0), 1, length, length)
    return {
        "causal part missing: decoder_mask = padding_mask & causal_mask": lambda: like(got, keys, keys.expand(full)),
        "padding part missing: decoder_mask = padding_mask & causal_mask": lambda: like(
            got, causal, causal.expand(full)
        ),
        "padding applied on the query axis instead of the key axis": lambda: queries & causal,
        "padding applied on both the query and the key axes (only keys are masked)": lambda: queries & keys & causal,
        "strict causal mask: the diagonal must be True (a position may attend to itself)": lambda: (
            keys & causal.tril(-1)
        ),
        "transposed causal mask (True above the diagonal): query i may read the keys j <= i": lambda: keys & causal.T,
        "padding and causal masks combined with OR instead of AND": lambda: keys | causal,
        "decoder mask of shape (B, L, L): it needs the head axis, (B, 1, L, L)": lambda: (keys & causal)[:, 0],
    }


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
    union = {"masks combined with OR instead of AND (a key may be attended only if every mask allows it)": row | column}
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
