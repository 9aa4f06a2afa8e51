"""Hidden suite: attention/masks.py.

Expected values come from the reference, computed here in the trusted process. Known mistakes
(a strict or transposed causal mask, the padding mask on the query axis or without its singleton
axes, OR instead of AND ...) are rebuilt below with torch's own operations, so a wrong mask that
equals one of them is named. Whether masks are built on the device of their inputs is checked on
PyTorch's ``meta`` device (no data, any machine) through the ``describe_call`` probe.
"""

from __future__ import annotations

import pytest
import torch

from autograder.grading.adapter import StudentError
from autograder.grading.compare import Feedback, check, describe_args
from autograder.grading.mistakes.masks import (
    CAUSAL,
    COMBINE,
    DECODER,
    PADDING,
    causal_mistakes,
    decoder_mistakes,
    padding_mistakes,
)
from autograder.grading.mistakes.names import MASKS_OR

B, L = 3, 6

pytestmark = pytest.mark.timeout(20)


def tokens_with_padding(pad_id: int, seed: int) -> torch.Tensor:
    """(B, L) token ids, sequences of lengths 6, 4 and 1 padded with pad_id at the end; no other token equals pad_id or
    0.
    """
    tokens = torch.randint(5, 50, (B, L), generator=torch.Generator().manual_seed(seed))
    for row, length in enumerate([L, 4, 1]):
        tokens[row, length:] = pad_id
    return tokens


# -- known wrong masks -----------------------------------------------------------------------------------


def on_device(student, target: str, args: list, kwargs: dict, device: str, hint: str):
    """The device, dtype and shape of the student's result for inputs on ``device``; a crash says why."""
    try:
        return student.probe("describe_call", target=target, args=args, kwargs=kwargs, device=device)
    except StudentError as error:
        if error.kind in ("not_implemented", "import", "crash", "timeout"):
            raise
        call = f"{target.split(':')[1]}({describe_args(*args, **kwargs)})"
        raise Feedback(f"{call} with inputs on the {device!r} device: {error.summary()}\n  Hint: {hint}") from None


# -- causal_mask ---------------------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("size", [1, 4, 7])
def test_causal_mask(student, ref, size):
    """causal_mask: bool (size, size), True on and below the diagonal"""
    expected = ref["masks"].causal_mask(size)
    check(student.call(CAUSAL, size), expected, what=f"causal_mask({size})", mistakes=causal_mistakes(size))


@pytest.mark.points(1)
def test_causal_mask_on_device(student):
    """causal_mask: created on the device it is given"""
    got = on_device(
        student, CAUSAL, [5], {"device": "meta"}, "meta", "pass device= to the function that creates the tensor"
    )
    check(
        got,
        {"device": "meta", "dtype": "bool", "shape": [5, 5]},
        what="causal_mask(5, device='meta'): device, dtype and shape",
        mistakes={"device argument ignored": {"device": "cpu", "dtype": "bool", "shape": [5, 5]}},
    )


# -- padding_mask --------------------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("pad_id", [0, 3])
def test_padding_mask(student, ref, pad_id):
    """padding_mask: bool (B, 1, 1, L), True where the key is not padding"""
    tokens = tokens_with_padding(pad_id, seed=pad_id)
    expected = ref["masks"].padding_mask(tokens, pad_id)
    check(
        student.call(PADDING, tokens, pad_id),
        expected,
        what=f"padding_mask({describe_args(tokens)} with rows of length 6, 4, 1, pad_id={pad_id})",
        mistakes=padding_mistakes(tokens, pad_id),
    )


@pytest.mark.points(1)
def test_padding_mask_on_device(student):
    """padding_mask: on the device of the tokens"""
    tokens = tokens_with_padding(0, seed=1)
    got = on_device(
        student, PADDING, [tokens, 0], {}, "meta", "build the mask from the tokens themselves (tokens != pad_id)"
    )
    check(
        got,
        {"device": "meta", "dtype": "bool", "shape": [B, 1, 1, L]},
        what="padding_mask(tokens on 'meta', 0): device, dtype and shape",
    )


# -- combine_masks -------------------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_combine_masks_broadcasts(student, ref):
    """combine_masks: logical AND with broadcasting ((B, 1, 1, L) & (L, L) -> (B, 1, L, L))"""
    pad = ref["masks"].padding_mask(tokens_with_padding(0, seed=2), 0)
    causal = ref["masks"].causal_mask(L)
    extra = torch.rand(B, 1, L, L, generator=torch.Generator().manual_seed(3)) < 0.7
    for masks in [(pad, causal), (causal, pad, extra)]:
        expected = ref["masks"].combine_masks(*masks)
        union = masks[0]
        for m in masks[1:]:
            union = union | m
        check(
            student.call(COMBINE, *masks),
            expected,
            what=f"combine_masks({describe_args(*masks)})",
            mistakes={MASKS_OR: union},
        )


@pytest.mark.points(2)
def test_combine_masks_skips_none(student, ref):
    """combine_masks: None entries are skipped; all None (or no mask) gives None"""
    pad = ref["masks"].padding_mask(tokens_with_padding(0, seed=4), 0)
    causal = ref["masks"].causal_mask(L)
    check(
        student.call(COMBINE, None, pad, None, causal),
        pad & causal,
        what=f"combine_masks(None, {describe_args(pad)}, None, {describe_args(causal)})",
    )
    check(student.call(COMBINE, pad, None), pad, what=f"combine_masks({describe_args(pad)}, None)")
    check(student.call(COMBINE, None, None), None, what="combine_masks(None, None)")
    check(student.call(COMBINE), None, what="combine_masks()")


# -- decoder_mask --------------------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("pad_id", [0, 3])
def test_decoder_mask(student, ref, pad_id):
    """decoder_mask: bool (B, 1, L, L), causal and padding together"""
    tokens = tokens_with_padding(pad_id, seed=10 + pad_id)
    expected = ref["masks"].decoder_mask(tokens, pad_id)
    got = student.call(DECODER, tokens, pad_id)
    check(
        got,
        expected,
        what=f"decoder_mask({describe_args(tokens)} with rows of length 6, 4, 1, pad_id={pad_id})",
        mistakes=decoder_mistakes(tokens, pad_id, got),
    )


@pytest.mark.points(1)
def test_decoder_mask_on_device(student):
    """decoder_mask: built on the device of the tokens"""
    tokens = tokens_with_padding(0, seed=20)
    got = on_device(
        student,
        DECODER,
        [tokens, 0],
        {},
        "meta",
        "build the causal part on the tokens' device: causal_mask(L, device=tokens.device)",
    )
    check(
        got,
        {"device": "meta", "dtype": "bool", "shape": [B, 1, L, L]},
        what="decoder_mask(tokens on 'meta', 0): device, dtype and shape",
    )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_combine_masks_with_one_mask(student, ref):
    """combine_masks: a single mask (alone or among None) comes back unchanged"""
    pad = ref["masks"].padding_mask(tokens_with_padding(0, seed=30), 0)
    for args in [(pad,), (None, pad, None)]:
        shown = ", ".join("None" if a is None else describe_args(a) for a in args)
        check(student.call(COMBINE, *args), pad, what=f"combine_masks({shown})")
