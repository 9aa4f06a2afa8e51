"""Hidden tests of the concept checks of Part 1 (word embeddings): one test per question, one point each.

The right answers are the reference's
(``solutions/embeddings/embedding_concepts.py``, read with :mod:`ast`, never run); a wrong
answer that is the typical answer of a misconception is named with the kit's own name for that mistake (the one the
code exercises' feedback uses), so the class report counts the misconception once, in the questions and in the code.
"""

import pytest

from autograder.grading import concepts
from autograder.grading.mistakes.names import DEDUPLICATED, PAIR_TYPES

MODULE = "embeddings.embedding_concepts"
# question -> {the answer a misconception gives: its name}
MISCONCEPTIONS = {
    "one_hot_shape": {(48, 10000): "flattened to 2-D instead of keeping the input's shape"},
    "bpe_pair_count": {
        2: PAIR_TYPES,
        5: "a pair counted once per word, not once per place it occurs",
    },
    "skipgram_pair_count": {
        19: "pairs include j == i: a word is not its own context",
        8: "window off by one: |i - j| < window, but the window includes |i - j| = window",
        18: "window off by one: |i - j| <= window + 1",
    },
    "cbow_hidden": {
        (6.0, 3.0): "context vectors summed instead of averaged: h is the MEAN of the context's input vectors",
        (2.5, 0.5): DEDUPLICATED,
    },
    "noise_probabilities": {
        (0.0588, 0.941): "noise distribution without the 3/4 power (plain unigram counts)",
        (1.0, 8.0): "not normalised: divide counts ** power by its sum",
    },
    "glove_weight_value": {5.62: "x not divided by x_max: f(x) = (x / x_max) ** alpha"},
    "cooccurrence_entry": {
        1.0: "no 1/d weighting: a pair at distance d must add 1/d, not 1",
        0.25: "1/d**2 weighting instead of 1/d",
        0.0: "distance `window` left out: the window includes |i - j| = window",
    },
    "fasttext_ngram_count": {
        6: "n-grams without the '<' and '>' boundary markers: cut \"<\" + word + \">\"",
        12: "n_max left out: lengths run from n_min to n_max inclusive",
    },
    "cosine_value": {
        1.0: "not normalised: plain dot products instead of cosines",
        0.5: "squared norms in the denominator (a . b / (|a|^2 |b|^2))",
    },
    "word2vec_header": {(50, 3): "header is 'dim count': the word count comes first"},
}


@pytest.mark.points(1)
@pytest.mark.parametrize("question", list(concepts.reference_questions(MODULE)))
def test_concept_check(question, request):
    """Concept check"""
    concepts.grade(request.config, MODULE, question, MISCONCEPTIONS.get(question, {}))
