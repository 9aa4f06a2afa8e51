"""Hidden suite: embeddings/skipgram.py.

Expected values come from the reference, computed here in the trusted process. The known
mistakes are small wrong versions written out below (a window off by one, a word paired with
itself, an unstable sigmoid or softmax, repeated negatives not accumulated, the 3/4 power left
out, sign errors, a batch loss summed instead of averaged ...), so a student whose output equals
one of them is told which. ``train_skipgram`` is checked for determinism, for the documented
initialisation, for the recipe step by step, and for actually learning on a tiny two-topic corpus.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.skipgram import (
    BATCH_OUT,
    NAIVE_OUT,
    NOT_DETERMINISTIC,
    batch_mistakes,
    naive_mistakes,
    neg_mistakes,
    noise_mistakes,
    pairs_mistakes,
    sig,
    softmax_mistakes,
)

M = "embeddings.skipgram"
PAIRS = f"{M}:skipgram_pairs"
SIGMOID = f"{M}:sigmoid"
SOFTMAX = f"{M}:softmax"
NAIVE = f"{M}:naive_softmax_loss_and_gradient"
NEG = f"{M}:neg_sampling_loss_and_gradient"
NOISE = f"{M}:noise_distribution"
BATCH = f"{M}:sgns_batch_loss_and_gradients"
TRAIN = f"{M}:train_skipgram"

pytestmark = pytest.mark.timeout(30)


def check_outputs(got, expected, what: str, names: tuple[str, ...], mistakes: dict) -> None:
    """Check a returned tuple item by item; a mistake's model gives the whole tuple (or its forms, AnyOf)."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        check(got, expected, what=f"{what}: the returned ({', '.join(names)})")
    check(tuple(got), tuple(expected), what=what, names=names, mistakes=mistakes)


# -- skipgram_pairs -----------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("seed,n,window", [(0, 9, 1), (1, 11, 2), (2, 8, 3)])
def test_pairs_match_reference(student, ref, seed, n, window):
    """skipgram_pairs: every j != i with |i - j| <= window, by position then increasing j"""
    ids = np.random.default_rng(seed).integers(0, 30, size=n)
    expected = ref[M].skipgram_pairs(ids, window)
    got = student.call(PAIRS, ids, window)
    check(
        got,
        expected,
        what=f"skipgram_pairs({describe_args(ids)}, window={window})",
        mistakes=pairs_mistakes(ids, window),
    )


@pytest.mark.points(1)
def test_pairs_window_longer_than_text_and_list_input(student, ref):
    """skipgram_pairs: a Python list, a window longer than the text"""
    ids = [4, 2, 4, 9]
    expected = ref[M].skipgram_pairs(ids, 6)
    check(
        student.call(PAIRS, ids, 6), expected, what=f"skipgram_pairs({ids}, window=6)", mistakes=pairs_mistakes(ids, 6)
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("ids,window", [([], 2), ([5], 3), ([1, 2, 3], 0)], ids=["empty", "one-token", "window-0"])
def test_pairs_none_is_an_empty_int64_array(student, ids, window):
    """skipgram_pairs: no pairs gives an int64 array of shape (0, 2)"""
    check(
        student.call(PAIRS, np.array(ids, dtype=np.int64), window),
        np.zeros((0, 2), dtype=np.int64),
        what=f"skipgram_pairs({ids}, window={window})",
    )


# -- sigmoid and softmax ------------------------------------------------------------------------------


def extreme_inputs(shape: tuple[int, ...], seed: int) -> np.ndarray:
    fixed = np.array([-1000.0, -750.0, -40.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 40.0, 750.0, 1000.0])
    rest = np.random.default_rng(seed).normal(scale=5.0, size=int(np.prod(shape)) - len(fixed))
    return np.concatenate([fixed, rest]).reshape(shape)


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(15,), (3, 5), (2, 3, 4)])
def test_sigmoid_matches_reference_at_extremes(student, ref, shape):
    """sigmoid: exact and NaN-free at |x| = 1000, float64, same shape"""
    x = extreme_inputs(shape, 0)
    expected = ref[M].sigmoid(x)

    def naive():
        with np.errstate(all="ignore"):
            return np.exp(x) / (1.0 + np.exp(x))

    mistakes = {
        "sigmoid as exp(x) / (1 + exp(x)) overflows to NaN for large x: use exp(-|x|), which never overflows": naive,
        "sigmoid sign flipped: s(x) = 1 / (1 + exp(-x))": lambda: sig(-x),
    }
    check(
        student.call(SIGMOID, x),
        expected,
        what=f"sigmoid({describe_args(x)} with values from -1000 to 1000)",
        mistakes=mistakes,
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(7,), (4, 6), (2, 3, 5)])
def test_softmax_matches_reference(student, ref, shape):
    """softmax: over the last axis, each slice sums to 1"""
    x = np.random.default_rng(len(shape)).normal(scale=2.0, size=shape)
    expected = ref[M].softmax(x)
    check(student.call(SOFTMAX, x), expected, what=f"softmax({describe_args(x)})", mistakes=softmax_mistakes(x))


@pytest.mark.points(2)
def test_softmax_stable_at_1000(student, ref):
    """softmax: exact and NaN-free when |x| = 1000, rows of very different sizes"""
    x = np.array([[1000.0, 999.0, 0.0, 998.0], [-1000.0, -999.0, -1000.0, -1001.0], [0.0, 1.0, 2.0, 3.0]])
    expected = ref[M].softmax(x)
    check(
        student.call(SOFTMAX, x),
        expected,
        what="softmax([[1000, 999, 0, 998], [-1000, -999, -1000, -1001], [0, 1, 2, 3]])",
        mistakes=softmax_mistakes(x),
    )


# -- naive softmax loss -------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("seed,V,D,o", [(0, 7, 4, 3), (1, 5, 6, 0), (2, 9, 3, 8)])
def test_naive_softmax_matches_reference(student, ref, seed, V, D, o):
    """naive_softmax_loss_and_gradient: the loss and both gradients"""
    rng = np.random.default_rng(seed)
    v, U = rng.normal(size=D), rng.normal(scale=0.7, size=(V, D))
    expected = ref[M].naive_softmax_loss_and_gradient(v, o, U)
    got = student.call(NAIVE, v, o, U)
    check_outputs(
        got, expected, f"naive_softmax_loss_and_gradient({describe_args(v, o, U)})", NAIVE_OUT, naive_mistakes(v, o, U)
    )


@pytest.mark.points(1)
def test_naive_softmax_stable_for_large_scores(student, ref):
    """naive_softmax_loss_and_gradient: scores of size 1000 give no NaN"""
    v = np.array([10.0, -5.0])
    U = np.array([[100.0, 0.0], [0.0, 200.0], [-100.0, 10.0], [99.0, 1.0]])  # scores (1000, -1000, -1050, 985)
    expected = ref[M].naive_softmax_loss_and_gradient(v, 0, U)
    got = student.call(NAIVE, v, 0, U)
    check_outputs(
        got,
        expected,
        f"naive_softmax_loss_and_gradient({describe_args(v, 0, U)}) with scores near +-1000",
        NAIVE_OUT,
        naive_mistakes(v, 0, U),
    )


# -- negative sampling loss ---------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize(
    "seed,V,D,o,negs",
    [(0, 8, 5, 2, [0, 5, 7]), (1, 7, 4, 1, [3, 6, 3, 3, 0]), (2, 6, 3, 4, [4, 2, 4, 5])],
    ids=["distinct", "repeated-negative", "outside-word-drawn"],
)
def test_neg_sampling_matches_reference(student, ref, seed, V, D, o, negs):
    """neg_sampling_loss_and_gradient: a negative drawn twice counts twice, in the loss and the gradient"""
    rng = np.random.default_rng(seed)
    v, U, negs = rng.normal(size=D), rng.normal(scale=0.7, size=(V, D)), np.array(negs, dtype=np.int64)
    expected = ref[M].neg_sampling_loss_and_gradient(v, o, U, negs)
    got = student.call(NEG, v, o, U, negs)
    what = f"neg_sampling_loss_and_gradient({describe_args(v, o, U)}, negative_indices={negs.tolist()})"
    check_outputs(got, expected, what, NAIVE_OUT, neg_mistakes(v, o, U, negs))


@pytest.mark.points(1)
def test_neg_sampling_list_of_negatives(student, ref):
    """neg_sampling_loss_and_gradient: negative_indices given as a Python list"""
    rng = np.random.default_rng(3)
    v, U, negs = rng.normal(size=3), rng.normal(size=(5, 3)), [1, 1, 4]
    expected = ref[M].neg_sampling_loss_and_gradient(v, 0, U, negs)
    got = student.call(NEG, v, 0, U, negs)
    check_outputs(
        got,
        expected,
        f"neg_sampling_loss_and_gradient({describe_args(v, 0, U)}, negative_indices={negs})",
        NAIVE_OUT,
        neg_mistakes(v, 0, U, negs),
    )


# -- noise distribution -------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("power", [None, 0.5, 1.0], ids=["default", "0.5", "1.0"])
def test_noise_distribution_matches_reference(student, ref, power):
    """noise_distribution: counts ** power, normalised; power 3/4 by default"""
    counts = np.array([5, 0, 12, 1, 100, 7, 3])
    kwargs = {} if power is None else {"power": power}
    expected = ref[M].noise_distribution(counts, **kwargs)
    got = student.call(NOISE, counts, **kwargs)
    check(
        got,
        expected,
        what=f"noise_distribution({counts.tolist()}{'' if power is None else f', power={power}'})",
        mistakes=noise_mistakes(counts, 0.75 if power is None else power),
    )


@pytest.mark.points(1)
def test_noise_distribution_counts_of_one(student, ref):
    """noise_distribution: counts of only 0 and 1 are valid (every word seen once at most)"""
    counts = np.array([1, 0, 1, 1])
    expected = ref[M].noise_distribution(counts)
    check(
        student.call(NOISE, counts),
        expected,
        what=f"noise_distribution({counts.tolist()})",
        mistakes=noise_mistakes(counts, 0.75),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("counts", [[3, -1, 2], [0, 0, 0]], ids=["negative", "all-zero"])
def test_noise_distribution_rejects_bad_counts(student, counts):
    """noise_distribution: ValueError for a negative count or all counts 0"""
    check_raises(lambda: student.call(NOISE, np.array(counts)), "ValueError", what=f"noise_distribution({counts})")


# -- the batched loss ---------------------------------------------------------------------------------


def batch_inputs(seed: int, V: int, D: int, B: int, K: int):
    rng = np.random.default_rng(seed)
    W_in, W_out = rng.normal(scale=0.6, size=(V, D)), rng.normal(scale=0.6, size=(V, D))
    # Few words, many draws: centers, contexts and negatives all repeat.
    return W_in, W_out, rng.integers(0, V, size=B), rng.integers(0, V, size=B), rng.integers(0, V, size=(B, K))


@pytest.mark.points(4)
@pytest.mark.parametrize("seed,V,D,B,K", [(0, 6, 4, 9, 3), (1, 5, 3, 12, 2), (2, 11, 5, 7, 4)])
def test_batch_matches_reference(student, ref, seed, V, D, B, K):
    """sgns_batch_loss_and_gradients: the batch mean; repeated centers, contexts and negatives accumulate"""
    W_in, W_out, c, o, negs = batch_inputs(seed, V, D, B, K)
    expected = ref[M].sgns_batch_loss_and_gradients(W_in, W_out, c, o, negs)
    got = student.call(BATCH, W_in, W_out, c, o, negs)
    what = f"sgns_batch_loss_and_gradients({describe_args(W_in, W_out, c, o, negs)})"
    check_outputs(got, expected, what, BATCH_OUT, batch_mistakes(W_in, W_out, c, o, negs))


@pytest.mark.points(1)
def test_batch_of_one_pair(student, ref):
    """sgns_batch_loss_and_gradients: B = 1, K = 1"""
    W_in, W_out, c, o, negs = batch_inputs(3, 4, 3, 1, 1)
    expected = ref[M].sgns_batch_loss_and_gradients(W_in, W_out, c, o, negs)
    got = student.call(BATCH, W_in, W_out, c, o, negs)
    check_outputs(
        got,
        expected,
        f"sgns_batch_loss_and_gradients({describe_args(W_in, W_out, c, o, negs)})",
        BATCH_OUT,
        batch_mistakes(W_in, W_out, c, o, negs),
    )


# -- training -----------------------------------------------------------------------------------------

TRAIN_ARGS = dict(vocab_size=6, dim=4, window=2, num_negatives=2, epochs=2, lr=0.5, batch_size=8)


def small_corpus(seed: int = 0, n: int = 30, V: int = 6) -> np.ndarray:
    # Word 5 never occurs: its count is 0, so it is never drawn as a negative.
    return np.random.default_rng(seed).integers(0, V - 1, size=n)


def train_variant(
    sg,
    token_ids,
    vocab_size,
    dim,
    window,
    num_negatives,
    epochs,
    lr,
    batch_size,
    seed,
    shuffle="each",
    power=0.75,
    uniform_negatives=False,
    step=-1.0,
    w_in="uniform",
    w_out="zeros",
    update_out=True,
):
    """The documented recipe with switches for the known mistakes (reference helpers for the rest)."""
    ids = np.asarray(token_ids, dtype=np.int64)
    rng = np.random.default_rng(seed)
    W_in = (
        rng.normal(size=(vocab_size, dim))
        if w_in == "normal"
        else rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))
    )
    W_out = (
        rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))
        if w_out == "uniform"
        else np.zeros((vocab_size, dim))
    )
    pairs = sg.skipgram_pairs(ids, window)
    counts = np.bincount(ids, minlength=vocab_size).astype(np.float64)
    noise = counts**power / np.sum(counts**power)
    order = rng.permutation(len(pairs)) if shuffle == "once" else np.arange(len(pairs))
    for _ in range(epochs):
        if shuffle == "each":
            order = rng.permutation(len(pairs))
        for start in range(0, len(pairs), batch_size):
            batch = pairs[order[start : start + batch_size]]
            size = (len(batch), num_negatives)
            negatives = (
                rng.choice(vocab_size, size=size) if uniform_negatives else rng.choice(vocab_size, size=size, p=noise)
            )
            _, g_in, g_out = sg.sgns_batch_loss_and_gradients(W_in, W_out, batch[:, 0], batch[:, 1], negatives)
            W_in += step * lr * g_in
            if update_out:
                W_out += step * lr * g_out
    return W_in, W_out


def train_mistakes(sg, ids, seed, **kwargs) -> dict:
    def run(**switches):
        return lambda: train_variant(sg, ids, seed=seed, **kwargs, **switches)

    return {
        "pairs not shuffled: call rng.permutation(len(pairs)) at the start of every epoch": run(shuffle="none"),
        "pairs shuffled once only: shuffle again at the start of every epoch": run(shuffle="once"),
        "noise distribution without the 3/4 power (plain unigram counts)": run(power=1.0),
        "negatives drawn uniformly: draw them from noise_distribution(counts) (rng.choice(..., p=noise))": run(
            uniform_negatives=True
        ),
        "gradient ascent: the SGD step moves against the gradient (W -= lr * grad)": run(step=1.0),
        "W_out initialised randomly: word2vec starts W_out at zeros": run(w_out="uniform"),
        "W_out never updated: the SGD step updates both W_in and W_out": run(update_out=False),
        "W_in drawn from a standard normal: use rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))": run(
            w_in="normal"
        ),
    }


@pytest.mark.points(2)
def test_train_is_deterministic_for_a_seed(student):
    """train_skipgram: the same seed gives identical vectors, another seed different ones"""
    ids = small_corpus()
    first = student.call(TRAIN, ids, seed=3, **TRAIN_ARGS)
    again = student.call(TRAIN, ids, seed=3, **TRAIN_ARGS)
    check(
        again,
        first,
        what=f"train_skipgram called twice with seed=3 ({NOT_DETERMINISTIC}, never np.random's global state)",
    )
    other = student.call(TRAIN, ids, seed=4, **TRAIN_ARGS)
    differ = (
        isinstance(other, (tuple, list))
        and len(other) == 2
        and not np.allclose(np.asarray(other[0]), np.asarray(first[0]))
    )
    check(
        differ, True, what=f"train_skipgram with seed=4 must differ from seed=3 ({NOT_DETERMINISTIC}, not a fixed seed)"
    )


@pytest.mark.points(1)
def test_train_shapes_and_dtypes(student):
    """train_skipgram: returns (W_in, W_out), both float64 (vocab_size, dim)"""
    got = student.call(TRAIN, small_corpus(), seed=0, **{**TRAIN_ARGS, "dim": 3})
    describe = (
        [(tuple(np.shape(w)), str(getattr(w, "dtype", type(w).__name__))) for w in got]
        if isinstance(got, (tuple, list))
        else got
    )
    check(
        describe,
        [((6, 3), "float64"), ((6, 3), "float64")],
        what="train_skipgram(..., vocab_size=6, dim=3): [(shape, dtype) of W_in, of W_out]",
    )


@pytest.mark.points(1)
def test_train_zero_epochs_is_the_documented_init(student, ref):
    """train_skipgram: epochs=0 returns the documented initialisation (uniform W_in, zero W_out)"""
    ids, args = small_corpus(), {**TRAIN_ARGS, "epochs": 0}
    expected = ref[M].train_skipgram(ids, seed=5, **args)
    got = student.call(TRAIN, ids, seed=5, **args)
    check_outputs(
        got,
        expected,
        "train_skipgram(..., epochs=0, seed=5)",
        ("W_in", "W_out"),
        train_mistakes(ref[M], ids, 5, **args),
    )


@pytest.mark.points(2)
def test_train_follows_the_recipe(student, ref):
    """train_skipgram: the documented recipe step by step (same vectors as the reference)"""
    ids = small_corpus(1)
    expected = ref[M].train_skipgram(ids, seed=7, **TRAIN_ARGS)
    got = student.call(TRAIN, ids, seed=7, **TRAIN_ARGS)
    check_outputs(
        got,
        expected,
        f"train_skipgram({describe_args(ids)}, {describe_args(**TRAIN_ARGS)}, seed=7)",
        ("W_in", "W_out"),
        train_mistakes(ref[M], ids, 7, **TRAIN_ARGS),
    )


def topic_corpus(seed: int, sentences: int = 40, length: int = 5, V: int = 10) -> np.ndarray:
    """Sentences of ``length`` words, each from one of two topics: words 0..V/2-1 or V/2..V-1."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.integers(0, V // 2, size=length) + rng.integers(2) * (V // 2) for _ in range(sentences)])


@pytest.mark.points(3)
def test_train_learns_topics(student, ref):
    """train_skipgram: on a two-topic corpus the loss falls and same-topic words end up closer"""
    V, K = 10, 3
    ids = topic_corpus(0)
    got = student.call(
        TRAIN, ids, vocab_size=V, dim=8, window=2, num_negatives=K, epochs=5, lr=1.0, batch_size=16, seed=0
    )
    check(isinstance(got, (tuple, list)) and len(got) == 2, True, what="train_skipgram returns a pair (W_in, W_out)")
    W_in, W_out = (np.asarray(w, dtype=np.float64) for w in got)
    pairs = ref[M].skipgram_pairs(ids, 2)
    negatives = np.random.default_rng(99).integers(0, V, size=(len(pairs), K))
    start = (1 + K) * np.log(2.0)  # the loss at the documented start, where W_out = 0 and every s(.) = 1/2
    with np.errstate(all="ignore"):
        loss = ref[M].sgns_batch_loss_and_gradients(W_in, W_out, pairs[:, 0], pairs[:, 1], negatives)[0]
        unit = W_in / np.linalg.norm(W_in, axis=1, keepdims=True)
    cos = unit @ unit.T
    topic = np.arange(V) < V // 2
    same = (topic[:, None] == topic[None, :]) & ~np.eye(V, dtype=bool)
    within, across = float(np.mean(cos[same])), float(np.mean(cos[~(topic[:, None] == topic[None, :])]))
    check(
        bool(loss < 0.85 * start),
        True,
        what=f"train_skipgram should lower the loss on its own pairs: {loss:.3f} after training, {start:.3f} at the "
        "start",
    )
    check(
        bool(within > across + 0.2),
        True,
        what=f"train_skipgram: mean cosine of same-topic words {within:.2f} should exceed that of different-topic "
        f"words {across:.2f} by 0.2",
    )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_train_empty_corpus_raises(student):
    """train_skipgram: an empty corpus raises ValueError (no counts to draw negatives from)"""
    check_raises(lambda: student.call(TRAIN, [], seed=0, **TRAIN_ARGS), "ValueError", what="train_skipgram([], ...)")


@pytest.mark.points(1)
def test_train_single_token_returns_the_initial_vectors(student, ref):
    """train_skipgram: a single token has no pairs: the initial (W_in, W_out) come back"""
    expected = ref[M].train_skipgram([3], seed=4, **(TRAIN_ARGS | {"epochs": 0}))
    check(student.call(TRAIN, [3], seed=4, **TRAIN_ARGS), expected, what="train_skipgram([3], seed=4, epochs=2, ...)")


@pytest.mark.points(1)
@pytest.mark.parametrize("bad", [6, -1])
def test_train_refuses_an_id_out_of_range(student, bad):
    """train_skipgram: an id outside [0, vocab_size) raises ValueError naming it"""
    ids = [0, 1, bad, 2]
    check_raises(
        lambda: student.call(TRAIN, ids, seed=0, **TRAIN_ARGS),
        "ValueError",
        match=str(bad),
        what=f"train_skipgram({ids}, vocab_size=6, ...)",
    )
