"""Public tests for embeddings/skipgram.py: small cases you can check by hand, and gradient checks.

A gradient check compares your gradient with finite differences of YOUR OWN loss,
``(loss(x + eps) - loss(x - eps)) / (2 eps)`` one coordinate at a time: when they disagree, the
gradient does not belong to the loss (a sign, a missing term, a row that should accumulate).
Finite differences are only accurate to about 1e-7, hence the looser tolerance of those checks.
"""

import numpy as np

from autograder.grading.compare import check, check_raises
from autograder.grading.gradcheck import numerical_gradient

PAIRS = "embeddings.skipgram:skipgram_pairs"
SIGMOID = "embeddings.skipgram:sigmoid"
SOFTMAX = "embeddings.skipgram:softmax"
NAIVE = "embeddings.skipgram:naive_softmax_loss_and_gradient"
NEG = "embeddings.skipgram:neg_sampling_loss_and_gradient"
NOISE = "embeddings.skipgram:noise_distribution"
BATCH = "embeddings.skipgram:sgns_batch_loss_and_gradients"
TRAIN = "embeddings.skipgram:train_skipgram"



def test_pairs_by_hand(student):
    """skipgram_pairs: (center, context) for each i, then each j != i in the window, in order"""
    check(student.call(PAIRS, [7, 8, 9], 1), np.array([[7, 8], [8, 7], [8, 9], [9, 8]]), what="skipgram_pairs([7, 8, 9], window=1)")
    expected = np.array([[10, 11], [10, 12], [11, 10], [11, 12], [11, 13], [12, 10], [12, 11], [12, 13], [13, 11], [13, 12]])
    check(student.call(PAIRS, [10, 11, 12, 13], 2), expected, what="skipgram_pairs([10, 11, 12, 13], window=2)")


def test_sigmoid_and_softmax_are_stable(student):
    """sigmoid and softmax: exact at |x| = 1000, no NaN; softmax works on the last axis"""
    check(student.call(SIGMOID, np.array([-1000.0, 0.0, 1000.0])), np.array([0.0, 0.5, 1.0]), what="sigmoid([-1000, 0, 1000])")
    x = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)], [-1000.0, -1000.0]])
    check(student.call(SOFTMAX, x), np.array([[0.5, 0.5], [0.25, 0.75], [0.5, 0.5]]), what="softmax([[1000, 1000], [0, log 3], [-1000, -1000]])")


def test_naive_softmax_by_hand_and_gradient_check(student):
    """naive_softmax_loss_and_gradient: U = 0 gives the loss log V; both gradients match finite differences"""
    loss, g_v, g_U = student.call(NAIVE, np.array([1.0, 2.0]), 1, np.zeros((4, 2)))
    check(loss, float(np.log(4.0)), what="loss of naive_softmax(v=[1, 2], o=1, U=zeros(4, 2)): every word has probability 1/4")
    check(g_v, np.zeros(2), what="grad_center_vec: U^T (y_hat - y) with U = 0")
    # (y_hat - y) v^T with y_hat = 1/4 everywhere and y the one-hot of word 1
    check(g_U, np.outer([0.25, -0.75, 0.25, 0.25], [1.0, 2.0]), what="grad_outside_vectors: (y_hat - y) v_c^T")

    rng = np.random.default_rng(0)
    v, U, o = rng.normal(size=3), rng.normal(size=(5, 3)), 2
    _, g_v, g_U = student.call(NAIVE, v, o, U)
    check(g_v, numerical_gradient(lambda x: student.call(NAIVE, x, o, U)[0], v), what="grad_center_vec vs finite differences", rtol=1e-5, atol=1e-7)
    check(g_U, numerical_gradient(lambda x: student.call(NAIVE, v, o, x)[0], U), what="grad_outside_vectors vs finite differences", rtol=1e-5, atol=1e-7)


def test_neg_sampling_by_hand(student):
    """neg_sampling_loss_and_gradient: with v_c = 0 every s(.) is 1/2; a negative drawn twice counts twice"""
    U = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    loss, g_v, g_U = student.call(NEG, np.zeros(2), 0, U, np.array([2, 2]))
    check(loss, 3 * float(np.log(2.0)), what="loss of neg_sampling(v=0, o=0, U, negatives=[2, 2]): 3 log 2")
    check(g_v, np.array([2.5, 3.0]), what="grad_center_vec: (1/2 - 1) u_0 + 1/2 u_2 + 1/2 u_2")
    check(g_U, np.zeros((3, 2)), what="grad_outside_vectors: every row is a multiple of v_c = 0")


def test_neg_sampling_gradient_check_with_repeats(student):
    """neg_sampling_loss_and_gradient: gradients match finite differences, repeated negatives included"""
    rng = np.random.default_rng(1)
    v, U, o = rng.normal(size=3), rng.normal(size=(6, 3)), 4
    negatives = np.array([2, 4, 2, 5])  # 2 is drawn twice; 4 is also the outside word
    _, g_v, g_U = student.call(NEG, v, o, U, negatives)
    check(g_v, numerical_gradient(lambda x: student.call(NEG, x, o, U, negatives)[0], v), what="grad_center_vec vs finite differences", rtol=1e-5, atol=1e-7)
    check(
        g_U, numerical_gradient(lambda x: student.call(NEG, v, o, x, negatives)[0], U), what="grad_outside_vectors vs finite differences", rtol=1e-5, atol=1e-7
    )


def test_noise_distribution_by_hand(student):
    """noise_distribution: proportional to counts ** 0.75 (16 ** 0.75 = 8), and sums to 1"""
    check(student.call(NOISE, np.array([1, 16])), np.array([1.0, 8.0]) / 9.0, what="noise_distribution([1, 16])")
    check(student.call(NOISE, np.array([1, 16]), power=1.0), np.array([1.0, 16.0]) / 17.0, what="noise_distribution([1, 16], power=1.0)")
    check_raises(lambda: student.call(NOISE, np.array([0, 0])), "ValueError", what="noise_distribution([0, 0])")


def test_sgns_batch_is_a_mean_that_accumulates(student):
    """sgns_batch_loss_and_gradients: finite differences; the same pair twice gives the same mean as once"""
    rng = np.random.default_rng(2)
    W_in, W_out = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    centers, contexts, negatives = np.array([0, 3, 0]), np.array([1, 1, 2]), np.array([[2, 2], [4, 0], [1, 3]])
    _, g_in, g_out = student.call(BATCH, W_in, W_out, centers, contexts, negatives)
    num_in = numerical_gradient(lambda x: student.call(BATCH, x, W_out, centers, contexts, negatives)[0], W_in)
    num_out = numerical_gradient(lambda x: student.call(BATCH, W_in, x, centers, contexts, negatives)[0], W_out)
    check(g_in, num_in, what="grad_W_in vs finite differences", rtol=1e-5, atol=1e-7)
    check(g_out, num_out, what="grad_W_out vs finite differences", rtol=1e-5, atol=1e-7)
    once = student.call(BATCH, W_in, W_out, centers[:1], contexts[:1], negatives[:1])
    twice = student.call(BATCH, W_in, W_out, centers[[0, 0]], contexts[[0, 0]], negatives[[0, 0]])
    check(twice, once, what="sgns_batch on the pair (0, 1) twice vs once (a mean over the batch)")


def test_train_skipgram_shapes_and_determinism(student):
    """train_skipgram: float64 (V, dim) arrays, identical for the same seed"""
    ids = np.array([0, 1, 2, 0, 1, 2, 3, 4, 3, 4] * 3)
    args = dict(vocab_size=6, dim=4, window=2, num_negatives=3, epochs=2, lr=0.5, batch_size=8)
    W_in, W_out = student.call(TRAIN, ids, seed=0, **args)
    check((W_in.shape, W_in.dtype.name, W_out.shape, W_out.dtype.name), ((6, 4), "float64", (6, 4), "float64"), what="train_skipgram shapes and dtypes")
    check(student.call(TRAIN, ids, seed=0, **args), (W_in, W_out), what="train_skipgram called twice with seed=0")
