"""Public tests for embeddings/cbow.py: small cases you can check by hand, and a gradient check.

The gradient check compares your gradients with finite differences of YOUR OWN loss (accurate to
about 1e-7, hence the looser tolerance of those checks).
"""

import numpy as np

from autograder.grading.compare import check, check_raises
from autograder.grading.gradcheck import numerical_gradient

CBOW = "embeddings.cbow:cbow_loss_and_gradient"



def log_softmax(scores: np.ndarray) -> np.ndarray:
    return scores - scores.max() - np.log(np.sum(np.exp(scores - scores.max())))


def test_uniform_output_vectors_by_hand(student):
    """cbow: with U = 0 every word has probability 1/V, the loss is log V"""
    loss, g_in, g_out = student.call(CBOW, [1, 1], 0, np.eye(3, 2), np.zeros((3, 2)))
    check(loss, float(np.log(3.0)), what="loss of cbow(context=[1, 1], center=0, V_in=eye(3, 2), U=zeros(3, 2))")
    # h = V_in[1] = (0, 1); grad_output_vectors = (y_hat - y) h^T with y_hat = 1/3 everywhere
    check(g_out, np.outer([-2 / 3, 1 / 3, 1 / 3], [0.0, 1.0]), what="grad_output_vectors: (y_hat - y) h^T")
    check(g_in, np.zeros((3, 2)), what="grad_input_vectors: U^T (y_hat - y) is 0 when U = 0")


def test_h_is_the_mean_of_the_context(student):
    """cbow: h is the MEAN of the context's input vectors; a word listed twice counts twice"""
    V_in = np.array([[2.0, 0.0], [0.0, 4.0], [1.0, 1.0]])
    U = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    for context in ([0, 1], [0, 0, 1]):
        h = V_in[context].mean(axis=0)  # (1, 2) for [0, 1]; (4/3, 4/3) for [0, 0, 1]
        loss, _, _ = student.call(CBOW, context, 2, V_in, U)
        check(loss, float(-log_softmax(U @ h)[2]), what=f"loss of cbow(context={context}, center=2): -log softmax(U h)[2] with h = {h.round(4).tolist()}")


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
    _, g_in, g_out = student.call(CBOW, context, center, V_in, U)
    num_in = numerical_gradient(lambda x: student.call(CBOW, context, center, x, U)[0], V_in)
    num_out = numerical_gradient(lambda x: student.call(CBOW, context, center, V_in, x)[0], U)
    check(g_in, num_in, what="grad_input_vectors vs finite differences", rtol=1e-5, atol=1e-7)
    check(g_out, num_out, what="grad_output_vectors vs finite differences", rtol=1e-5, atol=1e-7)


def test_stable_for_large_scores(student):
    """cbow: scores of size 1000 give no NaN (subtract the max inside the softmax)"""
    V_in = np.array([[1.0, 0.0], [0.0, 1.0]])
    U = np.array([[1000.0, 0.0], [0.0, 0.0], [-1000.0, 0.0]])
    loss, g_in, g_out = student.call(CBOW, [0], 0, V_in, U)  # scores (1000, 0, -1000): P(word 0) = 1
    check(loss, 0.0, what="loss of cbow with scores (1000, 0, -1000) and the center the top word")
    check(g_out, np.zeros((3, 2)), what="grad_output_vectors when the prediction is already certain")
    check(g_in, np.zeros((2, 2)), what="grad_input_vectors when the prediction is already certain")


def test_empty_context_raises(student):
    """cbow: an empty context raises ValueError"""
    check_raises(lambda: student.call(CBOW, np.zeros(0, dtype=np.int64), 0, np.eye(2), np.eye(2)), "ValueError", what="cbow(context=[], ...)")
