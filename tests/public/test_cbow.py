"""Public tests for embeddings/cbow.py: small cases you can check by hand, and a gradient check.

The gradient check compares your gradients with finite differences of YOUR OWN loss (accurate to
about 1e-7, hence the looser tolerance of those checks).
"""

import numpy as np

from autograder.grading.compare import check, check_raises
from autograder.grading.gradcheck import numerical_gradient
from autograder.grading.mistakes.cbow import CBOW, OUTPUTS, cbow_mistakes, cbow_variant
from autograder.grading.testing import check_items


def log_softmax(scores: np.ndarray) -> np.ndarray:
    return scores - scores.max() - np.log(np.sum(np.exp(scores - scores.max())))


def test_uniform_output_vectors_by_hand(student):
    """cbow: with U = 0 every word has probability 1/V, the loss is log V"""
    V_in, U = np.eye(3, 2), np.zeros((3, 2))
    got = student.call(CBOW, [1, 1], 0, V_in, U)
    # loss log 3; h = V_in[1] = (0, 1); grad_output_vectors = (y_hat - y) h^T with y_hat = 1/3 everywhere;
    # grad_input_vectors: U^T (y_hat - y) is 0 when U = 0
    expected = (float(np.log(3.0)), np.zeros((3, 2)), np.outer([-2 / 3, 1 / 3, 1 / 3], [0.0, 1.0]))
    check_items(got, expected, OUTPUTS, what="cbow(context=[1, 1], center=0, V_in=eye(3, 2), U=zeros(3, 2))", mistakes=cbow_mistakes([1, 1], 0, V_in, U))


def test_h_is_the_mean_of_the_context(student):
    """cbow: h is the MEAN of the context's input vectors; a word listed twice counts twice"""
    V_in = np.array([[2.0, 0.0], [0.0, 4.0], [1.0, 1.0]])
    U = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    for context in ([0, 1], [0, 0, 1]):
        h = V_in[context].mean(axis=0)  # (1, 2) for [0, 1]; (4/3, 4/3) for [0, 0, 1]
        loss = student.call(CBOW, context, 2, V_in, U)[0]
        what = f"loss of cbow(context={context}, center=2): -log softmax(U h)[2] with h = {h.round(4).tolist()}"
        check(loss, float(-log_softmax(U @ h)[2]), what=what, mistakes={k: lambda m=m: m()[0] for k, m in cbow_mistakes(context, 2, V_in, U).items()})


def test_single_context_word(student):
    """cbow: one context word w gives the softmax loss of U v_w"""
    rng = np.random.default_rng(0)
    V_in, U = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    loss, _, _ = student.call(CBOW, [4], 1, V_in, U)
    check(loss, float(-log_softmax(U @ V_in[4])[1]), what="loss of cbow(context=[4], center=1) = -log softmax(U V_in[4])[1]")


def test_gradient_check_with_a_repeated_word(student):
    """cbow: both gradients match finite differences of your loss; context [2, 0, 2] repeats word 2"""
    rng = np.random.default_rng(1)
    V_in, U = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    context, center = [2, 0, 2], 1
    got = student.call(CBOW, context, center, V_in, U)
    what = "cbow(context=[2, 0, 2], center=1, V_in (4, 3), U (4, 3))"
    check_items(got, cbow_variant(context, center, V_in, U), OUTPUTS, what=what, mistakes=cbow_mistakes(context, center, V_in, U))
    _, g_in, g_out = got
    num_in = numerical_gradient(lambda x: student.call(CBOW, context, center, x, U)[0], V_in)
    num_out = numerical_gradient(lambda x: student.call(CBOW, context, center, V_in, x)[0], U)
    check(g_in, num_in, what="grad_input_vectors vs finite differences", rtol=1e-5, atol=1e-7)
    check(g_out, num_out, what="grad_output_vectors vs finite differences", rtol=1e-5, atol=1e-7)


def test_stable_for_large_scores(student):
    """cbow: scores of size 1000 give no NaN (subtract the max inside the softmax)"""
    V_in = np.array([[1.0, 0.0], [0.0, 1.0]])
    U = np.array([[1000.0, 0.0], [0.0, 0.0], [-1000.0, 0.0]])
    got = student.call(CBOW, [0], 0, V_in, U)  # scores (1000, 0, -1000): P(word 0) = 1, nothing to learn
    what = "cbow(context=[0], center=0) with scores (1000, 0, -1000): the prediction is already certain"
    check_items(got, (0.0, np.zeros((2, 2)), np.zeros((3, 2))), OUTPUTS, what=what, mistakes=cbow_mistakes([0], 0, V_in, U))


def test_empty_context_raises(student):
    """cbow: an empty context raises ValueError"""
    check_raises(lambda: student.call(CBOW, np.zeros(0, dtype=np.int64), 0, np.eye(2), np.eye(2)), "ValueError", what="cbow(context=[], ...)")
