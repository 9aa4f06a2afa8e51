"""Public tests for embeddings/similarity.py: small cases you can check by hand."""

import numpy as np

from autograder.grading.compare import check

COSINE = "embeddings.similarity:cosine_similarity"
MOST_SIMILAR = "embeddings.similarity:most_similar"
ANALOGY = "embeddings.similarity:analogy"
PCA = "embeddings.similarity:pca"
PLOT = "embeddings.similarity:plot_embeddings"


def test_cosine_two_vectors_is_a_float(student):
    """cosine_similarity: (1, 0) and (1, 1) are 45 degrees apart: 1/sqrt(2), as a float"""
    check(student.call(COSINE, np.array([1.0, 0.0]), np.array([1.0, 1.0])), 1 / np.sqrt(2), what="cosine_similarity([1, 0], [1, 1])")


def test_cosine_shapes(student):
    """cosine_similarity: (N, D) x (M, D) -> (N, M); a 1-D argument is one row whose axis is dropped"""
    a = np.array([[1.0, 0.0], [0.0, 3.0]])
    b = np.array([[2.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    s = 1 / np.sqrt(2)
    check(student.call(COSINE, a, b), np.array([[1.0, 0.0, s], [0.0, -1.0, s]]), what="cosine_similarity(<(2, 2)>, <(3, 2)>)")
    check(student.call(COSINE, a[0], b), np.array([1.0, 0.0, s]), what="cosine_similarity(<(2,)>, <(3, 2)>)")
    check(student.call(COSINE, a, b[2]), np.array([s, s]), what="cosine_similarity(<(2, 2)>, <(2,)>)")


def test_cosine_zero_vector(student):
    """cosine_similarity: a zero vector has similarity 0 (not NaN)"""
    b = np.array([[2.0, 0.0], [0.0, 0.0]])
    check(student.call(COSINE, np.array([1.0, 0.0]), b), np.array([1.0, 0.0]), what="cosine_similarity([1, 0], [[2, 0], [0, 0]])")
    check(student.call(COSINE, np.zeros(2), np.zeros(2)), 0.0, what="cosine_similarity([0, 0], [0, 0])")


def test_most_similar(student):
    """most_similar: best first; exclude skips rows; ties go to the lower index"""
    E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    q = np.array([1.0, 0.1])
    # cosines with q: 0.995, 0.0995, 0.774, 0.995 -> rows 0 and 3 tie: 0 first
    check(student.call(MOST_SIMILAR, q, E, 2), np.array([0, 3], dtype=np.int64), what="most_similar([1, 0.1], E, k=2)")
    check(student.call(MOST_SIMILAR, q, E, 2, exclude=[0]), np.array([3, 2], dtype=np.int64), what="most_similar([1, 0.1], E, k=2, exclude=[0])")


def test_analogy(student):
    """analogy: man : king :: woman : queen (inputs excluded)"""
    vocab = {"man": 0, "king": 1, "woman": 2, "queen": 3, "apple": 4}
    # Dimensions: (male, female, royal, fruit)
    E = np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    check(student.call(ANALOGY, "man", "king", "woman", E, vocab), "queen", what="analogy('man', 'king', 'woman', E, vocab)")


def test_pca_centres_and_fixes_signs(student):
    """pca: points on a line; centred at the mean, the largest coordinate positive"""
    X = np.array([[0.0, 7.0], [1.0, 7.0], [5.0, 7.0]])  # mean (2, 7); offsets along x: -2, -1, 3
    check(student.call(PCA, X, n_components=1), np.array([[-2.0], [-1.0], [3.0]]), what=f"pca({X.tolist()}, n_components=1)")
    # Offsets from the mean (10, -5): x in (-4, 2, 2, 0, 0, 0), y in (0, 0, 0, -2, 1, 1); x varies most, then y.
    X2 = np.array([[-4.0, 0.0], [2.0, 0.0], [2.0, 0.0], [0.0, -2.0], [0.0, 1.0], [0.0, 1.0]]) + np.array([10.0, -5.0])
    # Both columns flipped so that their largest-magnitude entries (-4 and -2) become positive.
    expected = np.array([[4.0, 0.0], [-2.0, 0.0], [-2.0, 0.0], [0.0, 2.0], [0.0, -1.0], [0.0, -1.0]])
    check(student.call(PCA, X2), expected, what=f"pca({X2.tolist()})")


def test_plot_labels_each_point(student):
    """plot_embeddings: returns the Axes, one text label per word at its point"""
    words, coords = ["king", "queen", "日本"], np.array([[0.0, 1.0], [2.0, -1.0], [-3.0, 0.5]])
    out = student.probe("plot_labels", target=PLOT, args=[words, coords], kwargs={})
    check(out["is_axes"], True, what=f"plot_embeddings(...) returns a matplotlib Axes (got a {out['type']})")
    labels = {lab["text"]: (lab["x"], lab["y"]) for lab in out["labels"]}
    check(sorted(labels), sorted(words), what="plot_embeddings(...): the labels on the axes (sorted)")
    # A label may sit a little off its point (e.g. ax.text(x + 0.05, y, word)): within 5% of the plot's extent.
    check(np.array([labels[w] for w in words]), coords, what="plot_embeddings(...): where each word's label points", rtol=0.0, atol=0.05 * 5.0)
