"""The reference similarity tools against independent oracles: cosine by a plain loop, nearest
neighbours by sorting Python tuples, analogies by gensim's ``KeyedVectors.most_similar`` (3CosAdd),
PCA by scikit-learn (equal up to the sign of each component), and the plot through matplotlib."""

import math

import numpy as np
import pytest
from gensim.models import KeyedVectors
from sklearn.decomposition import PCA

from autograder.grading.loader import reference

SIM = reference()["similarity"]


def cosine_loop(u, v) -> float:
    dot = sum(x * y for x, y in zip(u, v))
    nu, nv = math.sqrt(sum(x * x for x in u)), math.sqrt(sum(y * y for y in v))
    return 0.0 if nu == 0 or nv == 0 else dot / (nu * nv)


def random_rows(seed: int, n: int, d: int, zero_rows=()) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.1, 10.0, size=(n, 1))
    x[list(zero_rows)] = 0.0
    return x


def test_cosine_equals_a_loop_in_every_shape():
    a, b = random_rows(0, 4, 6, zero_rows=(1,)), random_rows(1, 5, 6, zero_rows=(4,))
    full = SIM.cosine_similarity(a, b)
    assert full.shape == (4, 5) and full.dtype == np.float64
    np.testing.assert_allclose(full, [[cosine_loop(u, v) for v in b] for u in a], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(SIM.cosine_similarity(a[0], b), [cosine_loop(a[0], v) for v in b], rtol=1e-12)
    np.testing.assert_allclose(SIM.cosine_similarity(a, b[0]), [cosine_loop(u, b[0]) for u in a], rtol=1e-12)
    one = SIM.cosine_similarity(a[2], b[3])
    assert isinstance(one, float) and one == pytest.approx(cosine_loop(a[2], b[3]), rel=1e-12)
    assert SIM.cosine_similarity(np.zeros(3), np.zeros(3)) == 0.0
    assert not np.isnan(full).any()


@pytest.mark.parametrize("k,exclude", [(3, ()), (5, (0, 2)), (20, (1,))])
def test_most_similar_equals_sorting_tuples(k, exclude):
    E = random_rows(2, 9, 3)
    E[6] = E[1]  # an exact tie: the lower index first
    query = E[1] + 0.01
    ranked = sorted((-cosine_loop(query, row), i) for i, row in enumerate(E) if i not in exclude)
    got = SIM.most_similar(query, E, k, exclude=exclude)
    assert got.dtype == np.int64
    assert got.tolist() == [i for _, i in ranked[:k]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_analogy_equals_gensim_3cosadd(seed):
    words = [f"w{i}" for i in range(40)]
    E = random_rows(seed, len(words), 8).astype(np.float32)
    kv = KeyedVectors(8)
    kv.add_vectors(words, E)
    vocab = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(seed)
    for _ in range(20):
        a, b, c = (words[i] for i in rng.choice(len(words), size=3, replace=False))
        expected = kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
        assert SIM.analogy(a, b, c, E, vocab) == expected, (a, b, c)


@pytest.mark.parametrize("n,d,k", [(20, 5, 2), (8, 12, 3), (30, 4, 4), (10, 3, 1)])
def test_pca_equals_sklearn_up_to_sign(n, d, k):
    rng = np.random.default_rng(n * d)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 5.0
    got = SIM.pca(X, n_components=k)
    expected = PCA(n_components=k, svd_solver="full").fit_transform(X)
    assert got.shape == (n, k) and got.dtype == np.float64
    signs = np.sign(np.sum(got * expected, axis=0))
    np.testing.assert_allclose(got, expected * signs, rtol=1e-8, atol=1e-10)
    # The convention: each column's entry of largest magnitude is positive.
    assert np.all(got[np.argmax(np.abs(got), axis=0), np.arange(k)] > 0)


def test_pca_rejects_bad_n_components():
    for k in (0, 4):
        with pytest.raises(ValueError):
            SIM.pca(np.ones((5, 3)), n_components=k)


def test_plot_labels_every_point():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = ["king", "queen", "日本"]
    coords = np.array([[0.0, 1.0], [2.0, -1.0], [-3.0, 0.5]])
    fig, ax = plt.subplots()
    try:
        assert SIM.plot_embeddings(words, coords, ax=ax) is ax
        assert sorted(t.get_text() for t in ax.texts) == sorted(words)
        anchors = {t.get_text(): t.xy for t in ax.texts}
        np.testing.assert_array_equal([anchors[w] for w in words], coords)
        np.testing.assert_array_equal(ax.collections[0].get_offsets(), coords)
        new_ax = SIM.plot_embeddings(words, coords)
        assert new_ax is not ax and len(new_ax.texts) == 3
    finally:
        plt.close("all")
