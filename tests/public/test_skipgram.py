"""Public tests for embeddings/skipgram.py: small cases you can check by hand, and gradient checks.

A gradient check compares your gradient with finite differences of YOUR OWN loss,
``(loss(x + eps) - loss(x - eps)) / (2 eps)`` one coordinate at a time: when they disagree, the
gradient does not belong to the loss (a sign, a missing term, a row that should accumulate).
Finite differences are only accurate to about 1e-7, hence the looser tolerance of those checks.
"""

import warnings

import numpy as np

from autograder.grading.adapter import StudentError
from autograder.grading.compare import Feedback, check, check_raises
from autograder.grading.gradcheck import numerical_gradient
from autograder.grading.mistakes.skipgram import (
    BATCH_OUT,
    NAIVE_OUT,
    NOT_DETERMINISTIC,
    batch_mistakes,
    batch_variant,
    naive_mistakes,
    naive_variant,
    neg_mistakes,
    neg_variant,
    noise_mistakes,
    pairs_mistakes,
    pairs_variant,
    sig,
    softmax_mistakes,
)
from autograder.grading.testing import check_items

PAIRS = "embeddings.skipgram:skipgram_pairs"
SIGMOID = "embeddings.skipgram:sigmoid"
SOFTMAX = "embeddings.skipgram:softmax"
NAIVE = "embeddings.skipgram:naive_softmax_loss_and_gradient"
NEG = "embeddings.skipgram:neg_sampling_loss_and_gradient"
NOISE = "embeddings.skipgram:noise_distribution"
BATCH = "embeddings.skipgram:sgns_batch_loss_and_gradients"
TRAIN = "embeddings.skipgram:train_skipgram"


OVERFLOW = "sigmoid as exp(x) / (1 + exp(x)) overflows to NaN for large x: use exp(-|x|), which never overflows"


def sigmoid_mistakes(x: np.ndarray) -> dict:
    def naive():
        with np.errstate(all="ignore"):
            return np.exp(x) / (1.0 + np.exp(x))

    return {
        OVERFLOW: naive,
        "sigmoid sign flipped: s(x) = 1 / (1 + exp(-x))": lambda: sig(-x),
    }


def test_pairs_by_hand(student):
    """skipgram_pairs: (center, context) for each i, then each j != i in the window, in order"""
    ids = [7, 8, 9]
    check(student.call(PAIRS, ids, 1), np.array([[7, 8], [8, 7], [8, 9], [9, 8]]), what="skipgram_pairs([7, 8, 9], window=1)", mistakes=pairs_mistakes(ids, 1))
    ids = [10, 11, 12, 13, 14]
    expected = np.array(
        [[10, 11], [10, 12], [11, 10], [11, 12], [11, 13], [12, 10], [12, 11], [12, 13], [12, 14], [13, 11], [13, 12], [13, 14], [14, 12], [14, 13]]
    )
    check(student.call(PAIRS, ids, 2), expected, what="skipgram_pairs([10, 11, 12, 13, 14], window=2)", mistakes=pairs_mistakes(ids, 2))


def test_sigmoid_and_softmax_are_stable(student):
    """sigmoid and softmax: exact at |x| = 1000, no NaN; softmax works on the last axis"""
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    expected = np.array([0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1.0)), 1.0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow warning in sigmoid is an error here (the docstring promises none)
            got = student.call(SIGMOID, x)
    except StudentError as error:
        if not error.is_a("RuntimeWarning"):
            raise
        raise Feedback(
            f"sigmoid([-1000, -1, 0, 1, 1000]) warned: {error.message}\n  Likely mistake: {OVERFLOW}; it must be warning-free at |x| = 1000"
        ) from None
    check(got, expected, what="sigmoid([-1000, -1, 0, 1, 1000])", mistakes=sigmoid_mistakes(x))
    x = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)], [-1000.0, -1000.0]])
    expected = np.array([[0.5, 0.5], [0.25, 0.75], [0.5, 0.5]])
    check(student.call(SOFTMAX, x), expected, what="softmax([[1000, 1000], [0, log 3], [-1000, -1000]])", mistakes=softmax_mistakes(x))
    x = np.log(np.array([[1.0, 3.0, 4.0], [2.0, 2.0, 4.0]]))  # the softmax of log(c) is c / c.sum()
    expected = np.array([[0.125, 0.375, 0.5], [0.25, 0.25, 0.5]])
    check(student.call(SOFTMAX, x), expected, what="softmax(log([[1, 3, 4], [2, 2, 4]]))", mistakes=softmax_mistakes(x))


def test_naive_softmax_by_hand_and_gradient_check(student):
    """naive_softmax_loss_and_gradient: U = 0 gives the loss log V; both gradients match finite differences"""
    v, U = np.array([1.0, 2.0]), np.zeros((4, 2))
    got = student.call(NAIVE, v, 1, U)
    # every word has probability 1/4; grad_center_vec = U^T (y_hat - y) = 0; grad_outside_vectors = (y_hat - y) v_c^T
    expected = (float(np.log(4.0)), np.zeros(2), np.outer([0.25, -0.75, 0.25, 0.25], [1.0, 2.0]))
    check_items(got, expected, NAIVE_OUT, what="naive_softmax_loss_and_gradient(v=[1, 2], o=1, U=zeros(4, 2))", mistakes=naive_mistakes(v, 1, U))
    v, U = np.array([1.0, -1.0]), np.array([[1.0, 0.0], [0.0, 1.0], [1000.0, 0.0]])
    what = "naive_softmax_loss_and_gradient(v=[1, -1], o=2, U=[[1, 0], [0, 1], [1000, 0]]): scores [1, -1, 1000]"
    check_items(student.call(NAIVE, v, 2, U), naive_variant(v, 2, U), NAIVE_OUT, what=what, mistakes=naive_mistakes(v, 2, U))

    rng = np.random.default_rng(0)
    v, U, o = rng.normal(size=3), rng.normal(size=(5, 3)), 2
    _, g_v, g_U = student.call(NAIVE, v, o, U)
    check(g_v, numerical_gradient(lambda x: student.call(NAIVE, x, o, U)[0], v), what="grad_center_vec vs finite differences", rtol=1e-5, atol=1e-7)
    check(g_U, numerical_gradient(lambda x: student.call(NAIVE, v, o, x)[0], U), what="grad_outside_vectors vs finite differences", rtol=1e-5, atol=1e-7)


def test_neg_sampling_by_hand(student):
    """neg_sampling_loss_and_gradient: with v_c = 0 every s(.) is 1/2; a negative drawn twice counts twice"""
    U = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    got = student.call(NEG, np.zeros(2), 0, U, np.array([2, 2]))
    # loss 3 log 2; grad_center_vec (1/2 - 1) u_0 + 1/2 u_2 + 1/2 u_2; grad_outside_vectors: every row a multiple of v_c = 0
    expected = (3 * float(np.log(2.0)), np.array([2.5, 3.0]), np.zeros((3, 2)))
    what = "neg_sampling_loss_and_gradient(v=0, o=0, U=[[1, 0], [0, 2], [3, 3]], negatives=[2, 2])"
    check_items(got, expected, NAIVE_OUT, what=what, mistakes=neg_mistakes(np.zeros(2), 0, U, np.array([2, 2])))
    v, negatives = np.array([0.5, -0.25]), np.array([2, 0, 2])  # 2 drawn twice, 0 also the outside word
    what = "neg_sampling_loss_and_gradient(v=[0.5, -0.25], o=0, U=[[1, 0], [0, 2], [3, 3]], negatives=[2, 0, 2])"
    check_items(student.call(NEG, v, 0, U, negatives), neg_variant(v, 0, U, negatives), NAIVE_OUT, what=what, mistakes=neg_mistakes(v, 0, U, negatives))


def test_neg_sampling_gradient_check_with_repeats(student):
    """neg_sampling_loss_and_gradient: gradients match finite differences, repeated negatives included"""
    rng = np.random.default_rng(1)
    v, U, o = rng.normal(size=3), rng.normal(size=(6, 3)), 4
    negatives = np.array([2, 4, 2, 5])  # 2 is drawn twice; 4 is also the outside word
    _, g_v, g_U = student.call(NEG, v, o, U, negatives)
    numerical = (
        numerical_gradient(lambda x: student.call(NEG, x, o, U, negatives)[0], v),
        numerical_gradient(lambda x: student.call(NEG, v, o, x, negatives)[0], U),
    )
    # A gradient mistake leaves the loss right, so finite differences of it give the right gradients: a wrong gradient
    # equal to a model's gradients is named here too.
    gradients = {name: lambda m=m: m()[1:] for name, m in neg_mistakes(v, o, U, negatives).items()}
    what = "neg_sampling_loss_and_gradient(v, o=4, U (6, 3), negatives=[2, 4, 2, 5]) gradients vs finite differences"
    check((g_v, g_U), numerical, what=what, names=NAIVE_OUT[1:], mistakes=gradients, rtol=1e-5, atol=1e-7)


def test_noise_distribution_by_hand(student):
    """noise_distribution: proportional to counts ** 0.75 (16 ** 0.75 = 8), and sums to 1"""
    counts = np.array([1, 16])
    check(student.call(NOISE, counts), np.array([1.0, 8.0]) / 9.0, what="noise_distribution([1, 16])", mistakes=noise_mistakes(counts, 0.75))
    expected = np.array([1.0, 4.0]) / 5.0
    check(student.call(NOISE, counts, power=0.5), expected, what="noise_distribution([1, 16], power=0.5)", mistakes=noise_mistakes(counts, 0.5))
    check_raises(lambda: student.call(NOISE, np.array([0, 0])), "ValueError", what="noise_distribution([0, 0])")


def test_sgns_batch_is_a_mean_that_accumulates(student):
    """sgns_batch_loss_and_gradients: finite differences; the same pair twice gives the same mean as once"""
    rng = np.random.default_rng(2)
    W_in, W_out = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    centers, contexts, negatives = np.array([0, 3, 0]), np.array([1, 1, 2]), np.array([[2, 2], [4, 0], [1, 3]])
    got = student.call(BATCH, W_in, W_out, centers, contexts, negatives)
    what = "sgns_batch_loss_and_gradients(W_in (5, 3), W_out (5, 3), centers=[0, 3, 0], contexts=[1, 1, 2], negatives=[[2, 2], [4, 0], [1, 3]])"
    expected = batch_variant(W_in, W_out, centers, contexts, negatives)
    check_items(got, expected, BATCH_OUT, what=what, mistakes=batch_mistakes(W_in, W_out, centers, contexts, negatives))
    _, g_in, g_out = got
    num_in = numerical_gradient(lambda x: student.call(BATCH, x, W_out, centers, contexts, negatives)[0], W_in)
    num_out = numerical_gradient(lambda x: student.call(BATCH, W_in, x, centers, contexts, negatives)[0], W_out)
    check(g_in, num_in, what="grad_W_in vs finite differences", rtol=1e-5, atol=1e-7)
    check(g_out, num_out, what="grad_W_out vs finite differences", rtol=1e-5, atol=1e-7)
    once = student.call(BATCH, W_in, W_out, centers[:1], contexts[:1], negatives[:1])
    twice = student.call(BATCH, W_in, W_out, centers[[0, 0]], contexts[[0, 0]], negatives[[0, 0]])
    check(twice, once, what="sgns_batch on the pair (0, 1) twice vs once (a mean over the batch)")


def train_recipe(ids, vocab_size, dim, window, num_negatives, epochs, lr, batch_size, seed, **mistake) -> tuple:
    """The docstring's recipe, step by step, in NumPy; ``mistake`` switches one step to a common wrong version."""
    rng = np.random.default_rng(seed)
    shape = (vocab_size, dim)
    W_in = rng.normal(size=shape) if mistake.get("w_in") == "normal" else rng.uniform(-0.5 / dim, 0.5 / dim, size=shape)
    W_out = rng.uniform(-0.5 / dim, 0.5 / dim, size=shape) if mistake.get("w_out") == "uniform" else np.zeros(shape)
    pairs = pairs_variant(ids, window, -window, window)
    counts = np.bincount(ids, minlength=vocab_size).astype(np.float64) ** mistake.get("power", 0.75)
    noise = counts / counts.sum()
    shuffle = mistake.get("shuffle", "each")
    order = rng.permutation(len(pairs)) if shuffle == "once" else np.arange(len(pairs))
    for _ in range(epochs):
        if shuffle == "each":
            order = rng.permutation(len(pairs))
        for start in range(0, len(pairs), batch_size):
            batch = pairs[order[start : start + batch_size]]
            size = (len(batch), num_negatives)
            negatives = rng.choice(vocab_size, size=size) if mistake.get("uniform") else rng.choice(vocab_size, size=size, p=noise)
            _, g_in, g_out = batch_variant(W_in, W_out, batch[:, 0], batch[:, 1], negatives)
            step = mistake.get("step", -1.0) * lr
            W_in += step * g_in
            if mistake.get("update_out", True):
                W_out += step * g_out
    return W_in, W_out


def train_mistakes(*args, **kwargs) -> dict:
    def run(**switch):
        return lambda: train_recipe(*args, **kwargs, **switch)

    return {
        "pairs not shuffled: call rng.permutation(len(pairs)) at the start of every epoch": run(shuffle="none"),
        "pairs shuffled once only: shuffle again at the start of every epoch": run(shuffle="once"),
        "noise distribution without the 3/4 power (plain unigram counts)": run(power=1.0),
        "negatives drawn uniformly: draw them from noise_distribution(counts) (rng.choice(..., p=noise))": run(uniform=True),
        "gradient ascent: the SGD step moves against the gradient (W -= lr * grad)": run(step=1.0),
        "W_out initialised randomly: word2vec starts W_out at zeros": run(w_out="uniform"),
        "W_out never updated: the SGD step updates both W_in and W_out": run(update_out=False),
        "W_in drawn from a standard normal: use rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))": run(w_in="normal"),
        f"a fixed seed 0 instead of the seed given: {NOT_DETERMINISTIC}": lambda: train_recipe(*args, **{**kwargs, "seed": 0}),
    }


def test_train_skipgram_follows_the_recipe(student):
    """train_skipgram: a tiny corpus; the first step by hand, then the docstring's recipe for two epochs"""
    # The first step by hand: W_out starts at zeros, so every s(u . v) = 1/2 and only W_out moves; with ids [0, 1],
    # window 1 and one batch of both pairs, grad_W_out = ((1/2 - 1) v_c (context rows) + 1/2 v_c (negative rows)) / 2.
    ids = np.array([0, 1])
    args = dict(vocab_size=2, dim=2, window=1, num_negatives=1, epochs=1, lr=1.0, batch_size=2, seed=3)
    rng = np.random.default_rng(3)
    W_in = rng.uniform(-0.25, 0.25, size=(2, 2))
    rng.permutation(2)
    negatives = rng.choice(2, size=(2, 1), p=[0.5, 0.5])  # both words occur once: the noise is [1/2, 1/2]
    W_out = np.zeros((2, 2))
    for center, context, negative in zip([0, 1], [1, 0], negatives[:, 0]):
        W_out[context] -= (0.5 - 1.0) * W_in[center] / 2
        W_out[negative] -= 0.5 * W_in[center] / 2
    what = "train_skipgram([0, 1], vocab_size=2, dim=2, window=1, num_negatives=1, epochs=1, lr=1.0, batch_size=2, seed=3)"
    check_items(student.call(TRAIN, ids, **args), (W_in, W_out), ("W_in", "W_out"), what=what, mistakes=train_mistakes(ids, **args))
    ids = np.array([0, 1, 2, 0, 1, 3, 3, 2, 0])
    args = dict(vocab_size=5, dim=3, window=2, num_negatives=2, epochs=2, lr=0.5, batch_size=4, seed=1)
    what = f"train_skipgram({ids.tolist()}, {', '.join(f'{k}={v}' for k, v in args.items())})"
    check_items(student.call(TRAIN, ids, **args), train_recipe(ids, **args), ("W_in", "W_out"), what=what, mistakes=train_mistakes(ids, **args))


def test_train_skipgram_shapes_and_determinism(student):
    """train_skipgram: float64 (V, dim) arrays, identical for the same seed"""
    ids = np.array([0, 1, 2, 0, 1, 2, 3, 4, 3, 4] * 3)
    args = dict(vocab_size=6, dim=4, window=2, num_negatives=3, epochs=2, lr=0.5, batch_size=8)
    W_in, W_out = student.call(TRAIN, ids, seed=0, **args)
    check((W_in.shape, W_in.dtype.name, W_out.shape, W_out.dtype.name), ((6, 4), "float64", (6, 4), "float64"), what="train_skipgram shapes and dtypes")
    check(student.call(TRAIN, ids, seed=0, **args), (W_in, W_out), what=f"train_skipgram called twice with seed=0 ({NOT_DETERMINISTIC})")
