"""Hidden tests of the concept checks of Part 2 (attention): one test per question, one point each.

The right answers are the reference's
(``solutions/attention/attention_concepts.py``, read with :mod:`ast`, never run); a wrong
answer that is the typical answer of a misconception is named with the kit's own name for that mistake (the one the
code exercises' feedback uses), so the class report counts the misconception once, in the questions and in the code.
"""

import pytest

from autograder.grading import concepts
from autograder.grading.mistakes.names import (
    ATTENTION_OVER_QUERIES,
    DIVIDED_BY_DK,
    KV_FROM_QUERY,
    MASK_AFTER_SOFTMAX,
    MASK_INVERTED,
    NO_SCALING,
    PADDING_ON_QUERIES,
    SCALED_BY_D_MODEL,
    SCALED_BY_DV,
    SPLIT_NO_TRANSPOSE,
    STRICT_CAUSAL,
)

MODULE = "attention.attention_concepts"
# question -> {the answer a misconception gives: its name}
MISCONCEPTIONS = {
    "two_key_weights": {
        (0.982, 0.018): NO_SCALING,
        (0.731, 0.269): DIVIDED_BY_DK,
        (1.0, 1.0): ATTENTION_OVER_QUERIES,
    },
    "two_key_output": {
        (9.82, 0.18): NO_SCALING,
        (7.31, 2.69): DIVIDED_BY_DK,
        (10.0, 10.0): ATTENTION_OVER_QUERIES,
    },
    "why_scale": {
        "c": SCALED_BY_DV,
        "d": DIVIDED_BY_DK,
    },
    "masked_weights": {
        (0.333, 0.333, 0.0): MASK_AFTER_SOFTMAX,
        (0.0, 0.0, 1.0): MASK_INVERTED,
    },
    "padding_mask_shape": {
        (2, 1, 7, 1): PADDING_ON_QUERIES,
        (2, 7): "padding mask not reshaped to (B, 1, 1, L) (the two singleton axes are heads and queries)",
        (2, 1, 7): "padding mask of shape (B, 1, L): it needs both singleton axes, (B, 1, 1, L)",
    },
    "causal_mask_count": {6: STRICT_CAUSAL},
    "split_heads_shape": {(2, 10, 8, 64): SPLIT_NO_TRANSPOSE},
    "head_scale": {22.6: SCALED_BY_D_MODEL},
    "cross_attention_sources": {"c": KV_FROM_QUERY},
}


@pytest.mark.points(1)
@pytest.mark.parametrize("question", list(concepts.reference_questions(MODULE)))
def test_concept_check(question, request):
    """Concept check"""
    concepts.grade(request.config, MODULE, question, MISCONCEPTIONS.get(question, {}))
