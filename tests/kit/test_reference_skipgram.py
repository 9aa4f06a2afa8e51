"""The reference skip-gram against independent oracles.

- every hand-written gradient against central finite differences of its own loss, and the batched
  one against torch autograd too (repeated negatives, repeated centers and contexts, the outside
  word drawn as a negative);
- the losses against SciPy's ``log_softmax`` / ``log_expit`` written from the formulas;
- ``sigmoid`` / ``softmax`` against ``scipy.special.expit`` / ``softmax`` at |x| = 1000, with every
  overflow, invalid operation and division by zero turned into an error;
- ``skipgram_pairs`` against two plain nested loops;
- ``train_skipgram``: deterministic for a seed, and the vectors it learns on gensim's Lee corpus
  correlate positively with human similarity judgements (WordSim-353). The comparison with gensim's
  own Word2Vec is ``python -m bench.skipgram_vs_gensim`` (a benchmark, not a test).
"""

import time

import numpy as np
import pytest
import torch
from scipy import special

from autograder.grading.gradcheck import numerical_gradient
from autograder.grading.loader import reference
from bench.skipgram_vs_gensim import SETTINGS, lee_corpus, train_reference, wordsim_spearman

SG = reference()["skipgram"]



def assert_close_fd(analytic: np.ndarray, numeric: np.ndarray) -> None:
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


# -- pairs --------------------------------------------------------------------------------------------


def loop_pairs(ids: list[int], window: int) -> list[tuple[int, int]]:
    return [(ids[i], ids[j]) for i in range(len(ids)) for j in range(len(ids)) if j != i and abs(i - j) <= window]


@pytest.mark.parametrize("n,window", [(0, 2), (1, 1), (2, 5), (9, 1), (13, 3), (20, 0)])
def test_pairs_equal_nested_loops(n, window):
    ids = np.random.default_rng(n).integers(0, 50, size=n).tolist()
    got = SG.skipgram_pairs(ids, window)
    assert got.dtype == np.int64 and got.shape == (len(loop_pairs(ids, window)), 2)
    assert [tuple(r) for r in got.tolist()] == loop_pairs(ids, window)


# -- sigmoid and softmax ------------------------------------------------------------------------------


def test_sigmoid_equals_scipy_expit_without_warnings():
    x = np.concatenate([np.linspace(-1000, 1000, 2001), [-745.2, -709.8, 709.8, 36.8, -36.8]]).reshape(-1, 2)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the right answer
        got = SG.sigmoid(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    np.testing.assert_allclose(got, special.expit(x), rtol=1e-15, atol=1e-300)  # SciPy flushes subnormals to 0
    assert got.flat[0] == 0.0 and got.flat[2000] == 1.0  # x = -1000 and x = 1000


@pytest.mark.parametrize("shape,scale", [((6,), 1.0), ((4, 7), 1000.0), ((2, 3, 5), 1000.0), ((3, 4), 1e-3)])
def test_softmax_equals_scipy_without_warnings(shape, scale):
    x = np.random.default_rng(0).normal(size=shape) * scale
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the right answer
        got = SG.softmax(x)
    np.testing.assert_allclose(got, special.softmax(x, axis=-1), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(got.sum(axis=-1), 1.0, rtol=1e-12)


# -- single-pair losses -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed,V,D,o", [(0, 7, 4, 3), (1, 3, 6, 0)])
def test_naive_softmax_loss_and_finite_differences(seed, V, D, o):
    rng = np.random.default_rng(seed)
    v, U = rng.normal(size=D), rng.normal(size=(V, D))
    loss, g_v, g_U = SG.naive_softmax_loss_and_gradient(v, o, U)
    assert isinstance(loss, float) and g_v.shape == v.shape and g_U.shape == U.shape
    assert loss == pytest.approx(-special.log_softmax(U @ v)[o], rel=1e-12)
    assert_close_fd(g_v, numerical_gradient(lambda x: SG.naive_softmax_loss_and_gradient(x, o, U)[0], v))
    assert_close_fd(g_U, numerical_gradient(lambda x: SG.naive_softmax_loss_and_gradient(v, o, x)[0], U))


@pytest.mark.parametrize("negs", [[0, 5, 6], [3, 3, 1, 3], [2, 4, 2, 2]], ids=["distinct", "repeated", "outside-word-drawn"])
def test_neg_sampling_loss_and_finite_differences(negs):
    rng = np.random.default_rng(len(negs))
    V, D, o = 7, 4, 2
    v, U = rng.normal(size=D), rng.normal(size=(V, D))
    loss, g_v, g_U = SG.neg_sampling_loss_and_gradient(v, o, U, negs)
    expected = -special.log_expit(U[o] @ v) - sum(special.log_expit(-(U[k] @ v)) for k in negs)  # one term per draw
    assert isinstance(loss, float) and loss == pytest.approx(expected, rel=1e-12)
    assert_close_fd(g_v, numerical_gradient(lambda x: SG.neg_sampling_loss_and_gradient(x, o, U, negs)[0], v))
    assert_close_fd(g_U, numerical_gradient(lambda x: SG.neg_sampling_loss_and_gradient(v, o, x, negs)[0], U))


def test_a_negative_drawn_twice_counts_twice():
    rng = np.random.default_rng(5)
    v, U = rng.normal(size=3), rng.normal(size=(4, 3))
    once, twice = SG.neg_sampling_loss_and_gradient(v, 0, U, [2]), SG.neg_sampling_loss_and_gradient(v, 0, U, [2, 2])
    assert twice[0] - once[0] == pytest.approx(-special.log_expit(-(U[2] @ v)), rel=1e-12)
    np.testing.assert_allclose(twice[2][2], 2 * once[2][2], rtol=1e-14)


def test_noise_distribution_ratios():
    counts = np.array([1, 16, 0, 81, 7])
    for power in (0.75, 0.5, 1.0):
        p = SG.noise_distribution(counts, power=power)
        assert p.dtype == np.float64 and p.sum() == pytest.approx(1.0, rel=1e-15)
        assert p[2] == 0.0
        assert p[3] / p[1] == pytest.approx((81 / 16) ** power, rel=1e-12)
    assert SG.noise_distribution([1, 16])[1] == pytest.approx(8 / 9, rel=1e-15)  # the default power is 3/4
    for bad in ([1, -1], [0, 0]):
        with pytest.raises(ValueError):
            SG.noise_distribution(bad)


# -- the batch ----------------------------------------------------------------------------------------


def batch(seed: int, V: int = 6, D: int = 4, B: int = 9, K: int = 3):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(scale=0.6, size=(V, D)),
        rng.normal(scale=0.6, size=(V, D)),
        rng.integers(0, V, size=B),
        rng.integers(0, V, size=B),
        rng.integers(0, V, size=(B, K)),
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_batch_finite_differences(seed):
    W_in, W_out, c, o, negs = batch(seed)
    assert len(set(c.tolist())) < len(c) and len(set(negs.ravel().tolist())) < negs.size  # repeats are exercised
    loss, g_in, g_out = SG.sgns_batch_loss_and_gradients(W_in, W_out, c, o, negs)
    assert isinstance(loss, float) and g_in.shape == W_in.shape and g_out.shape == W_out.shape
    assert_close_fd(g_in, numerical_gradient(lambda x: SG.sgns_batch_loss_and_gradients(x, W_out, c, o, negs)[0], W_in))
    assert_close_fd(g_out, numerical_gradient(lambda x: SG.sgns_batch_loss_and_gradients(W_in, x, c, o, negs)[0], W_out))


def test_batch_equals_torch_autograd():
    W_in, W_out, c, o, negs = batch(2, V=11, D=5, B=40, K=5)
    t_in, t_out = torch.tensor(W_in, requires_grad=True), torch.tensor(W_out, requires_grad=True)
    v, u_o, u_k = t_in[torch.tensor(c)], t_out[torch.tensor(o)], t_out[torch.tensor(negs)]
    pos, neg = (u_o * v).sum(-1), torch.einsum("bkd,bd->bk", u_k, v)
    t_loss = (-torch.nn.functional.logsigmoid(pos) - torch.nn.functional.logsigmoid(-neg).sum(-1)).mean()
    t_loss.backward()
    loss, g_in, g_out = SG.sgns_batch_loss_and_gradients(W_in, W_out, c, o, negs)
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(g_in, t_in.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g_out, t_out.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_batch_is_the_mean_of_single_pairs():
    W_in, W_out, c, o, negs = batch(3)
    loss, g_in, g_out = SG.sgns_batch_loss_and_gradients(W_in, W_out, c, o, negs)
    singles = [SG.neg_sampling_loss_and_gradient(W_in[c[b]], o[b], W_out, negs[b]) for b in range(len(c))]
    expected_in = np.zeros_like(W_in)
    for b, (_, g_v, _) in enumerate(singles):
        expected_in[c[b]] += g_v / len(c)
    assert loss == pytest.approx(np.mean([s[0] for s in singles]), rel=1e-12)
    np.testing.assert_allclose(g_in, expected_in, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_out, np.mean([s[2] for s in singles], axis=0), rtol=1e-12, atol=1e-15)


# -- training -----------------------------------------------------------------------------------------


def test_train_is_deterministic_and_starts_from_the_documented_init():
    ids = np.random.default_rng(0).integers(0, 7, size=60)
    args = dict(vocab_size=8, dim=5, window=2, num_negatives=3, epochs=2, lr=0.5, batch_size=16)
    first, again, other = (SG.train_skipgram(ids, seed=s, **args) for s in (1, 1, 2))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], other[0])
    W_in, W_out = SG.train_skipgram(ids, seed=1, **{**args, "epochs": 0})
    assert W_in.dtype == W_out.dtype == np.float64 and W_in.shape == W_out.shape == (8, 5)
    assert np.all(np.abs(W_in) <= 0.5 / 5) and np.all(W_out == 0)
    np.testing.assert_array_equal(W_in, np.random.default_rng(1).uniform(-0.1, 0.1, size=(8, 5)))


def train_by_the_recipe(ids, vocab_size, dim, window, num_negatives, epochs, lr, batch_size, seed):
    """train_skipgram's docstring recipe, written plainly: rng.choice for the negatives, np.add.at for the scatter."""
    rng = np.random.default_rng(seed)
    W_in, W_out = rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim)), np.zeros((vocab_size, dim))
    pairs = loop_pairs(list(ids), window)
    noise = np.bincount(ids, minlength=vocab_size) ** 0.75
    noise = noise / noise.sum()
    for _ in range(epochs):
        order = rng.permutation(len(pairs))
        for start in range(0, len(pairs), batch_size):
            batch = np.array([pairs[i] for i in order[start : start + batch_size]])
            c, o = batch[:, 0], batch[:, 1]
            negatives = rng.choice(vocab_size, size=(len(batch), num_negatives), p=noise)
            v, u_o, u_k = W_in[c], W_out[o], W_out[negatives]
            g_pos = (SG.sigmoid(np.einsum("bd,bd->b", u_o, v)) - 1.0) / len(batch)
            g_neg = SG.sigmoid(np.einsum("bkd,bd->bk", u_k, v)) / len(batch)
            grad_in, grad_out = np.zeros_like(W_in), np.zeros_like(W_out)
            np.add.at(grad_in, c, g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k))
            np.add.at(grad_out, o, g_pos[:, None] * v)
            np.add.at(grad_out, negatives, g_neg[:, :, None] * v[:, None, :])
            W_in -= lr * grad_in
            W_out -= lr * grad_out
    return W_in, W_out


ZIPF_ARGS = dict(vocab_size=40, dim=6, window=3, num_negatives=4, epochs=2, lr=0.5, batch_size=64, seed=3)


def zipf_ids() -> np.ndarray:
    zipf = 1.0 / np.arange(1, 38)  # words 37 to 39 never occur: probability 0 as negatives, at the end of the table
    return np.random.default_rng(7).choice(37, size=300, p=zipf / zipf.sum())


def test_train_equals_the_recipe_written_plainly():
    """The reference is the docstring's recipe: the same numbers as the recipe written independently here."""
    ours, plain = SG.train_skipgram(zipf_ids(), **ZIPF_ARGS), train_by_the_recipe(zipf_ids(), **ZIPF_ARGS)
    for a, b in zip(ours, plain):
        np.testing.assert_array_equal(a, b)


def test_the_bench_fast_path_equals_the_reference_bit_for_bit():
    """bench/skipgram_fast.py's speed-ups (negatives from a bucket table, the scatter as one bincount) change no number."""
    from bench.skipgram_fast import train_skipgram_fast

    ours, fast = SG.train_skipgram(zipf_ids(), **ZIPF_ARGS), train_skipgram_fast(SG, zipf_ids(), **ZIPF_ARGS)
    for a, b in zip(ours, fast):
        np.testing.assert_array_equal(a, b)


def test_quality_on_lee_corpus():
    """WordSim-353 Spearman of the reference's vectors is positive (0.20 with these settings; gensim: see the bench)."""
    documents, vocab = lee_corpus(SETTINGS["min_count"], SETTINGS["subsample"], SETTINGS["seed"])
    start = time.process_time()
    W_in = train_reference(documents, vocab, **SETTINGS)
    seconds = time.process_time() - start
    spearman, pairs = wordsim_spearman(W_in, vocab)
    print(f"Lee corpus, {len(vocab)} words: WordSim-353 Spearman {spearman:.3f} on {pairs} pairs, {seconds:.1f} s CPU")
    assert pairs >= 100
    assert spearman > 0.05
