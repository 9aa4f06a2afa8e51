"""Public tests for embeddings/similarity.py: small cases you can check by hand."""

import numpy as np

from autograder.grading.compare import check
from autograder.grading.mistakes.similarity import (
    ANALOGY,
    COSINE,
    MOST_SIMILAR,
    PCA,
    PLOT,
    analogy_mistakes,
    cosine_mistakes,
    fix_signs,
    most_similar_mistakes,
    pca_mistakes,
)


def test_cosine_two_vectors_is_a_float(student):
    """cosine_similarity: (1, 0) and (1, 1) are 45 degrees apart: 1/sqrt(2), as a float"""
    a, b = np.array([1.0, 0.0]), np.array([1.0, 1.0])
    check(student.call(COSINE, a, b), 1 / np.sqrt(2), what="cosine_similarity([1, 0], [1, 1])", mistakes=cosine_mistakes(a, b, 1 / np.sqrt(2)))


def test_cosine_shapes(student):
    """cosine_similarity: (N, D) x (M, D) -> (N, M); a 1-D argument is one row whose axis is dropped"""
    a = np.array([[1.0, 0.0], [0.0, 3.0]])
    b = np.array([[2.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    s = 1 / np.sqrt(2)
    for x, y, expected, what in [
        (a, b, np.array([[1.0, 0.0, s], [0.0, -1.0, s]]), "cosine_similarity(<(2, 2)>, <(3, 2)>)"),
        (a[0], b, np.array([1.0, 0.0, s]), "cosine_similarity(<(2,)>, <(3, 2)>)"),
        (a, b[2], np.array([s, s]), "cosine_similarity(<(2, 2)>, <(2,)>)"),
    ]:
        check(student.call(COSINE, x, y), expected, what=what, mistakes=cosine_mistakes(x, y, expected))


def test_cosine_zero_vector(student):
    """cosine_similarity: a zero vector has similarity 0 (not NaN)"""
    b = np.array([[2.0, 0.0], [0.0, 0.0]])
    a = np.array([1.0, 0.0])
    expected = np.array([1.0, 0.0])
    check(student.call(COSINE, a, b), expected, what="cosine_similarity([1, 0], [[2, 0], [0, 0]])", mistakes=cosine_mistakes(a, b, expected))
    zero = np.zeros(2)
    check(student.call(COSINE, zero, zero), 0.0, what="cosine_similarity([0, 0], [0, 0])", mistakes=cosine_mistakes(zero, zero, 0.0))


def test_most_similar(student):
    """most_similar: best first; exclude skips rows; ties go to the lower index"""
    E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    q = np.array([1.0, 0.1])
    # cosines with q: 0.995, 0.0995, 0.774, 0.995 -> rows 0 and 3 tie: 0 first
    expected = np.array([0, 3], dtype=np.int64)
    check(student.call(MOST_SIMILAR, q, E, 2), expected, what="most_similar([1, 0.1], E, k=2)", mistakes=most_similar_mistakes(q, E, 2, ()))
    expected = np.array([3, 2], dtype=np.int64)
    what = "most_similar([1, 0.1], E, k=2, exclude=[0])"
    check(student.call(MOST_SIMILAR, q, E, 2, exclude=[0]), expected, what=what, mistakes=most_similar_mistakes(q, E, 2, [0]))


def test_most_similar_many_ties_keep_index_order(student):
    """most_similar: 40 rows at three similarity levels, many tied: ties in increasing index order (a stable sort)"""
    levels = [int(c) for c in "2110000002121122111202201210222002010011"]  # row i is one of three directions
    E = np.array([[-1.0, 1.0], [1.0, 0.0], [1.0, 1.0]])[levels]  # cosines with q: 0, 1/sqrt(2), 1
    q = np.array([1.0, 1.0])
    expected = np.array([0, 9, 11, 14, 15, 19, 21, 22], dtype=np.int64)  # the rows at level 2, by index
    cos = E @ q / (np.linalg.norm(E, axis=1) * np.linalg.norm(q))
    mistakes = most_similar_mistakes(q, E, 8, ()) | {
        "an unstable sort (np.argsort's default quicksort) reorders ties: use kind='stable'": np.argsort(-cos)[:8]
    }
    check(student.call(MOST_SIMILAR, q, E, 8), expected, what="most_similar([1, 1], E (40, 2), k=8)", mistakes=mistakes)


def test_analogy(student):
    """analogy: man : king :: woman : queen (inputs excluded)"""
    vocab = {"man": 0, "king": 1, "woman": 2, "queen": 3, "apple": 4}
    # Dimensions: (male, female, royal, fruit)
    E = np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    mistakes = analogy_mistakes("man", "king", "woman", E, vocab)
    check(student.call(ANALOGY, "man", "king", "woman", E, vocab), "queen", what="analogy('man', 'king', 'woman', E, vocab)", mistakes=mistakes)


def test_analogy_needs_unit_vectors_and_excluding_the_inputs(student):
    """analogy: vectors of different lengths; b - a + c or no exclusion of a, b, c give another word"""
    vocab = {"man": 0, "king": 1, "woman": 2, "queen": 3, "prince": 4, "apple": 5}
    E = np.array([[-2.0, 1.0, 0.0], [-2.0, 3.0, 1.0], [1.0, 3.0, 2.0], [-3.0, -3.0, 3.0], [-1.0, -3.0, 0.0], [-1.0, 0.0, 0.0]])
    # target unit(king) - unit(man) + unit(woman); woman itself is its nearest row, queen the nearest non-input;
    # without unit vectors, by dot product or with the signs mixed up, apple wins
    mistakes = analogy_mistakes("man", "king", "woman", E, vocab)
    check(student.call(ANALOGY, "man", "king", "woman", E, vocab), "queen", what="analogy('man', 'king', 'woman', E (6, 3), vocab)", mistakes=mistakes)


def test_pca_centres_and_fixes_signs(student):
    """pca: points on a line; centred at the mean, the largest coordinate positive"""
    X = np.array([[0.0, 7.0], [1.0, 7.0], [5.0, 7.0]])  # mean (2, 7); offsets along x: -2, -1, 3
    expected = np.array([[-2.0], [-1.0], [3.0]])
    got = student.call(PCA, X, n_components=1)
    check(got, expected, what=f"pca({X.tolist()}, n_components=1)", mistakes=pca_mistakes(X, 1, expected, got))
    # Offsets from the mean (10, -5): x in (-4, 2, 2, 0, 0, 0), y in (0, 0, 0, -2, 1, 1); x varies most, then y.
    X2 = np.array([[-4.0, 0.0], [2.0, 0.0], [2.0, 0.0], [0.0, -2.0], [0.0, 1.0], [0.0, 1.0]]) + np.array([10.0, -5.0])
    # Both columns flipped so that their largest-magnitude entries (-4 and -2) become positive.
    expected = np.array([[4.0, 0.0], [-2.0, 0.0], [-2.0, 0.0], [0.0, 2.0], [0.0, -1.0], [0.0, -1.0]])
    got = student.call(PCA, X2)
    check(got, expected, what=f"pca({X2.tolist()})", mistakes=pca_mistakes(X2, 2, expected, got))


def test_pca_of_spread_data_equals_the_svd(student):
    """pca: 8 points in 4-D: the centred data times the top 2 right singular vectors, signs by the largest entry"""
    X = np.random.default_rng(0).normal(size=(8, 4)) * np.array([3.0, 1.0, 0.5, 2.0]) + 5.0
    Xc = X - X.mean(axis=0)
    expected = fix_signs(Xc @ np.linalg.svd(Xc, full_matrices=False)[2][:2].T)
    got = student.call(PCA, X)
    check(got, expected, what="pca(X (8, 4))", mistakes=pca_mistakes(X, 2, expected, got))


def test_plot_labels_each_point(student):
    """plot_embeddings: returns the Axes, one text label per word at its point"""
    words, coords = ["king", "queen", "日本"], np.array([[0.0, 1.0], [2.0, -1.0], [-3.0, 0.5]])
    out = student.probe("plot_labels", target=PLOT, args=[words, coords], kwargs={})
    check(out["is_axes"], True, what=f"plot_embeddings(...) returns a matplotlib Axes (got a {out['type']})")
    labels = {lab["text"]: (lab["x"], lab["y"]) for lab in out["labels"]}
    check(sorted(labels), sorted(words), what="plot_embeddings(...): the labels on the axes (sorted)")
    # A label may sit a little off its point (e.g. ax.text(x + 0.05, y, word)): within 5% of the plot's extent.
    where = np.array([labels[w] for w in words])
    check(where, coords, what="plot_embeddings(...): where each word's label points", rtol=0.0, atol=0.05 * 5.0, mistakes={"x and y swapped": coords[:, ::-1]})
