"""Hidden tests of the concept checks of Part 2 (attention): one test per question, one point each.

The right answers are the reference's
(``solutions/attention/attention_concepts.py``, read with :mod:`ast`, never run); a wrong
answer that is the typical answer of a misconception is named with the kit's own name for that mistake (the one the
code exercises' feedback uses), so the class report counts the misconception once, in the questions and in the code.
"""

import pytest

from autograder.grading import concepts

MODULE = "attention.attention_concepts"
# question -> {the answer a misconception gives: its name}
MISCONCEPTIONS = {
    "two_key_weights": {
        (0.982, 0.018): "no 1/sqrt(d_k) scaling of the scores",
        (0.731, 0.269): "scores divided by d_k instead of sqrt(d_k)",
        (1.0, 1.0): "softmax over the wrong axis (the queries, dim=-2) instead of the keys (dim=-1)",
    },
    "two_key_output": {
        (9.82, 0.18): "no 1/sqrt(d_k) scaling of the scores",
        (7.31, 2.69): "scores divided by d_k instead of sqrt(d_k)",
        (10.0, 10.0): "softmax over the wrong axis (the queries, dim=-2) instead of the keys (dim=-1)",
    },
    "why_scale": {
        "c": "scores scaled by sqrt(d_v) (the values' size) instead of sqrt(d_k) (the keys' size)",
        "d": "scores divided by d_k instead of sqrt(d_k)",
    },
    "masked_weights": {
        (0.333, 0.333, 0.0): "mask applied after the softmax (masked weights zeroed without "
        "renormalising): mask the scores before it",
        (0.0, 0.0, 1.0): "mask inverted: True means the key may be attended",
    },
    "padding_mask_shape": {
        (2, 1, 7, 1): "padding mask on the query axis: the shape must be (B, 1, 1, L), keys last",
        (2, 7): "padding mask not reshaped to (B, 1, 1, L) (the two singleton axes are heads and queries)",
        (2, 1, 7): "padding mask of shape (B, 1, L): it needs both singleton axes, (B, 1, 1, L)",
    },
    "causal_mask_count": {6: "strict causal mask: the diagonal must be True (a position may attend to itself)"},
    "split_heads_shape": {
        (2, 10, 8, 64): "heads split without the transpose: view as (B, L, H, D/H), then "
        "transpose(1, 2); a reshape straight to (B, H, L, D/H) mixes positions"
    },
    "head_scale": {
        22.6: "scores scaled by sqrt(d_model) instead of sqrt(d_head) (each head's keys have d_head = "
        "d_model / num_heads features)"
    },
    "cross_attention_sources": {
        "c": "cross-attention on the decoder's own input instead of memory (keys and values come from memory)"
    },
}


@pytest.mark.points(1)
@pytest.mark.parametrize("question", list(concepts.reference_questions(MODULE)))
def test_concept_check(question, request):
    """Concept check"""
    concepts.grade(request.config, MODULE, question, MISCONCEPTIONS.get(question, {}))
