"""Hidden tests of the concept checks of Part 3 (the Transformer): one test per question, one point each.

The right answers are the reference's
(``solutions/transformer/transformer_concepts.py``, read with :mod:`ast`, never run); a wrong
answer that is the typical answer of a misconception is named with the kit's own name for that mistake (the one the
code exercises' feedback uses), so the class report counts the misconception once, in the questions and in the code.
"""

import pytest

from autograder.grading import concepts
from autograder.grading.mistakes.names import EMBEDDINGS_NOT_SCALED, KV_FROM_QUERY, MASKS_OR, NO_CAUSAL_MASK

MODULE = "transformer.transformer_concepts"
# question -> {the answer a misconception gives: its name}
MISCONCEPTIONS = {
    "pe_entry": {
        0.0998: "exponent uses i instead of 2i (10000^(i/d_model))",
        1.0: "sin and cos swapped (even columns must be sines)",
        -0.506: "position multiplied by 10000^(2i/d_model) instead of divided",
    },
    "pe_first_row": {
        (0.0, 0.0, 1.0, 1.0): "sin and cos concatenated instead of interleaved (PE[p, 2i] = sin, PE[p, 2i+1] = cos)",
        (1.0, 0.0, 1.0, 0.0): "sin and cos swapped (even columns must be sines)",
    },
    "layer_norm_values": {
        (-1.162, -0.387, 0.387, 1.162): "unbiased variance (divided by d_model - 1; LayerNorm divides by d_model)"
    },
    "layer_norm_axis": {
        "b": "normalised over the wrong axis (dim=-2); the statistics are over the last axis, per token",
        "c": "normalised over the whole sequence (last two axes) instead of each token",
    },
    "post_norm_formula": {"b": "missing residual connection around the self-attention"},
    "cross_weights_shape": {(2, 8, 4, 4): KV_FROM_QUERY},
    "embedding_scale": {1.0: EMBEDDINGS_NOT_SCALED},
    "decoder_self_mask": {
        "a": NO_CAUSAL_MASK,
        "c": MASKS_OR,
        "d": "padding part missing: decoder_mask = padding_mask & causal_mask",
    },
}


@pytest.mark.points(1)
@pytest.mark.parametrize("question", list(concepts.reference_questions(MODULE)))
def test_concept_check(question, request):
    """Concept check"""
    concepts.grade(request.config, MODULE, question, MISCONCEPTIONS.get(question, {}))
