"""Hidden suite: embeddings/similarity.py.

Expected values come from the reference, computed here in the trusted process; the known mistakes
(NaN for zero vectors, an input word returned by the analogy, no normalisation, PCA not centred or
without its sign convention, exclusions ignored, ties to the higher index ...) are written out
below so that a student whose output equals one of them is told which. A matplotlib Axes cannot
cross the process boundary, so ``plot_embeddings`` is run by the ``plot_labels`` probe, which sends
back its text labels and drawn points as plain data.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.similarity import (
    ANALOGY,
    COSINE,
    MOST_SIMILAR,
    PCA,
    PLOT,
    analogy_mistakes,
    cosine_mistakes,
    most_similar_mistakes,
    pca_mistakes,
)

pytestmark = pytest.mark.timeout(20)


def rows(seed: int, n: int, d: int, zero_rows=(), spread: bool = True) -> np.ndarray:
    """Random rows with very different norms (so that normalising matters) and some zero rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    if spread:
        x *= rng.uniform(0.2, 5.0, size=(n, 1))
    x[list(zero_rows)] = 0.0
    return x


# -- cosine_similarity ---------------------------------------------------------------------------------


COSINE_CASES = {
    "2d-2d": ((4, 5), (6, 5)),
    "1d-2d": ((5,), (6, 5)),
    "2d-1d": ((4, 5), (5,)),
    "1d-1d": ((5,), (5,)),
}


@pytest.mark.points(2)
@pytest.mark.parametrize("case", list(COSINE_CASES))
def test_cosine_shapes_and_values(student, ref, case):
    """cosine_similarity: (N, M) for matrices, 1-D arguments drop their axis, a float for two vectors"""
    sa, sb = COSINE_CASES[case]
    a = rows(1, *((1,) + sa if len(sa) == 1 else sa))
    b = rows(2, *((1,) + sb if len(sb) == 1 else sb), zero_rows=(2,) if len(sb) == 2 else ())
    a, b = (a[0] if len(sa) == 1 else a), (b[0] if len(sb) == 1 else b)
    expected = ref["similarity"].cosine_similarity(a, b)
    got = student.call(COSINE, a, b)
    check(got, expected, what=f"cosine_similarity({describe_args(a, b)})", mistakes=cosine_mistakes(a, b, expected))


@pytest.mark.points(2)
def test_cosine_zero_vectors_give_zero(student, ref):
    """cosine_similarity: a zero vector has similarity 0 with everything (never NaN)"""
    a = rows(3, 3, 4, zero_rows=(1,))
    b = rows(4, 5, 4, zero_rows=(0, 3))
    expected = ref["similarity"].cosine_similarity(a, b)
    check(
        student.call(COSINE, a, b),
        expected,
        what=f"cosine_similarity({describe_args(a, b)}) with zero rows",
        mistakes=cosine_mistakes(a, b, expected),
    )
    z = np.zeros(4)
    check(
        student.call(COSINE, z, z),
        0.0,
        what="cosine_similarity(zeros(4), zeros(4))",
        mistakes=cosine_mistakes(z, z, 0.0),
    )


@pytest.mark.points(1)
def test_cosine_by_hand(student):
    """cosine_similarity: parallel 1, orthogonal 0, opposite -1, 45 degrees 1/sqrt(2)"""
    a = np.array([[1.0, 0.0], [0.0, 3.0]])
    b = np.array([[2.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    expected = np.array([[1.0, 0.0, 1 / np.sqrt(2)], [0.0, -1.0, 1 / np.sqrt(2)]])
    check(
        student.call(COSINE, a, b),
        expected,
        what=f"cosine_similarity({a.tolist()}, {b.tolist()})",
        mistakes=cosine_mistakes(a, b, expected),
    )


@pytest.mark.points(1)
def test_cosine_integer_input(student, ref):
    """cosine_similarity: integer arrays give float64 similarities"""
    a = np.array([[1, 2, 0], [3, 0, 4]])
    b = np.array([[0, 1, 1], [2, 2, 2], [0, 0, 0], [5, 0, 0]])
    expected = ref["similarity"].cosine_similarity(a, b)
    check(
        student.call(COSINE, a, b),
        expected,
        what=f"cosine_similarity({describe_args(a, b)})",
        mistakes=cosine_mistakes(a, b, expected),
    )


# -- most_similar ----------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("seed,k,exclude", [(0, 4, ()), (1, 5, (3, 7)), (2, 1, (0,))])
def test_most_similar_matches_reference(student, ref, seed, k, exclude):
    """most_similar: the k most cosine-similar rows, best first, excluded rows skipped"""
    E = rows(seed, 12, 4)
    query = E[3] * 0.7 + rows(seed + 10, 1, 4)[0] * 0.3  # near row 3, so excluding it matters
    expected = ref["similarity"].most_similar(query, E, k, exclude=exclude)
    got = student.call(MOST_SIMILAR, query, E, k, exclude=list(exclude))
    check(
        got,
        expected,
        what=f"most_similar({describe_args(query, E)}, k={k}, exclude={list(exclude)})",
        mistakes=most_similar_mistakes(query, E, k, exclude),
    )


@pytest.mark.points(2)
def test_most_similar_ties_to_lower_index(student, ref):
    """most_similar: equal similarities (duplicate rows) go to the lower index first"""
    base = rows(5, 4, 3)
    E = np.stack([base[0], base[1], base[0], base[2], base[1], base[0], base[3]])  # rows 0, 2, 5 equal; 1, 4 equal
    query = base[0] + 0.1 * base[1]
    for k in (2, 5):
        expected = ref["similarity"].most_similar(query, E, k)
        check(
            student.call(MOST_SIMILAR, query, E, k),
            expected,
            what=f"most_similar({describe_args(query, E)} with duplicate rows 0=2=5 and 1=4, k={k})",
            mistakes=most_similar_mistakes(query, E, k, ()),
        )


@pytest.mark.points(1)
def test_most_similar_fewer_rows_than_k(student, ref):
    """most_similar: when fewer than k rows remain, all of them are returned (int64)"""
    E = rows(6, 4, 3)
    query = rows(7, 1, 3)[0]
    expected = ref["similarity"].most_similar(query, E, 10, exclude=[1])
    check(
        student.call(MOST_SIMILAR, query, E, 10, exclude=[1]),
        expected,
        what=f"most_similar({describe_args(query, E)}, k=10, exclude=[1])",
    )


# -- analogy ---------------------------------------------------------------------------------------------


def separating_triples(ref, E, vocab, how_many: int, seed: int) -> list[tuple[str, str, str]]:
    """``how_many`` seeded triples such that every modelled mistake gives a wrong answer on at least one of them."""
    words = list(vocab)
    rng = np.random.default_rng(seed)
    found, separated = [], set()
    names = set(analogy_mistakes(words[0], words[1], words[2], E, vocab))
    for _ in range(500):
        a, b, c = (words[i] for i in rng.choice(len(words), size=3, replace=False))
        right = ref["similarity"].analogy(a, b, c, E, vocab)
        wrong = {name for name, make in analogy_mistakes(a, b, c, E, vocab).items() if make() != right}
        if wrong - separated or (separated == names and len(found) < how_many):
            found.append((a, b, c))
            separated |= wrong
        if separated == names and len(found) >= how_many:
            return found
    raise AssertionError(f"grader setup: no triples separate the mistakes {sorted(names - separated)}")


ANALOGY_VOCAB = {
    w: i
    for i, w in enumerate(
        ["man", "woman", "king", "queen", "naïve", "日本", "paris", "france", "rome", "italy"]
        + [f"w{i}" for i in range(20)]
    )
}


@pytest.mark.points(4)
def test_analogy_matches_reference(student, ref):
    """analogy: cosine with unit(b) - unit(a) + unit(c), excluding a, b and c"""
    E = rows(8, len(ANALOGY_VOCAB), 5)
    for a, b, c in separating_triples(ref, E, ANALOGY_VOCAB, 6, seed=0):
        expected = ref["similarity"].analogy(a, b, c, E, ANALOGY_VOCAB)
        got = student.call(ANALOGY, a, b, c, E, ANALOGY_VOCAB)
        check(
            got,
            expected,
            what=f"analogy({a!r}, {b!r}, {c!r}, {describe_args(E)}, <vocab of {len(ANALOGY_VOCAB)}>)",
            mistakes=analogy_mistakes(a, b, c, E, ANALOGY_VOCAB),
        )


@pytest.mark.points(1)
def test_analogy_king_queen(student, ref):
    """analogy: man : king :: woman : queen on hand-made vectors"""
    vocab = {"man": 0, "king": 1, "woman": 2, "queen": 3, "apple": 4}
    # Dimensions: (male, female, royal, fruit). king is by far the longest vector.
    E = np.array(
        [[1.0, 0.0, 0.0, 0.0], [8.0, 0.0, 8.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.2, 0.0], [0.0, 0.2, 0.0, 1.0]]
    )
    expected = ref["similarity"].analogy("man", "king", "woman", E, vocab)
    check(expected, "queen", what="the reference's analogy on the hand-made vectors (a grader check)")
    check(
        student.call(ANALOGY, "man", "king", "woman", E, vocab),
        expected,
        what="analogy('man', 'king', 'woman', <(5, 4) hand-made vectors>, vocab)",
        mistakes=analogy_mistakes("man", "king", "woman", E, vocab),
    )


@pytest.mark.points(1)
def test_analogy_unknown_word_raises(student):
    """analogy: a word missing from vocab raises KeyError"""
    E = rows(9, 3, 2)
    check_raises(
        lambda: student.call(ANALOGY, "a", "b", "zebra", E, {"a": 0, "b": 1, "c": 2}),
        "KeyError",
        what="analogy('a', 'b', 'zebra', ...)",
    )


# -- pca ----------------------------------------------------------------------------------------------


def pca_data(seed: int, n: int, d: int) -> np.ndarray:
    """Columns of clearly different variance and a mean far from 0 (so centring matters)."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d))
    return rng.normal(size=(n, d)) * np.geomspace(5.0, 0.5, d) @ mixing + rng.uniform(3.0, 8.0, size=d)


@pytest.mark.points(3)
@pytest.mark.parametrize("seed,n,d,k", [(0, 9, 5, 2), (1, 12, 4, 3), (2, 6, 7, 1)])
def test_pca_matches_reference(student, ref, seed, n, d, k):
    """pca: centred data on the top axes, each column's largest entry positive"""
    X = pca_data(seed, n, d)
    expected = ref["similarity"].pca(X, n_components=k)
    got = student.call(PCA, X, n_components=k)
    check(got, expected, what=f"pca({describe_args(X)}, n_components={k})", mistakes=pca_mistakes(X, k, expected, got))


@pytest.mark.points(1)
def test_pca_default_two_components(student, ref):
    """pca: two components by default"""
    X = pca_data(3, 8, 6)
    expected = ref["similarity"].pca(X)
    got = student.call(PCA, X)
    check(got, expected, what=f"pca({describe_args(X)})", mistakes=pca_mistakes(X, 2, expected, got))


@pytest.mark.points(1)
def test_pca_sign_convention_by_hand(student):
    """pca: a line of points along x; the farthest point from the mean gets the positive coordinate"""
    X = np.array([[0.0, 7.0], [1.0, 7.0], [5.0, 7.0]])  # mean (2, 7): x-offsets -2, -1, 3
    expected = np.array([[-2.0], [-1.0], [3.0]])
    got = student.call(PCA, X, n_components=1)
    check(got, expected, what=f"pca({X.tolist()}, n_components=1)", mistakes=pca_mistakes(X, 1, expected, got))


@pytest.mark.points(1)
@pytest.mark.parametrize("k", [0, 4])
def test_pca_rejects_bad_n_components(student, k):
    """pca: ValueError unless 1 <= n_components <= min(N, D)"""
    X = pca_data(4, 5, 3)
    check_raises(
        lambda: student.call(PCA, X, n_components=k), "ValueError", what=f"pca({describe_args(X)}, n_components={k})"
    )


# -- plot_embeddings ----------------------------------------------------------------------------------

PLOT_WORDS = ["king", "queen", "naïve", "日本", "apple"]


def plot_coords() -> np.ndarray:
    return np.array([[0.5, 2.0], [-1.5, 1.0], [3.0, -2.5], [0.0, 0.0], [-2.0, -3.0]])


def check_plot(out: dict, words: list[str], coords: np.ndarray, what: str) -> None:
    check(out["is_axes"], True, what=f"{what} returns a matplotlib Axes (it returned a {out['type']})")
    labels = out["labels"]
    check(sorted(lab["text"] for lab in labels), sorted(words), what=f"{what}: the text labels on the axes (sorted)")
    by_text = {lab["text"]: (lab["x"], lab["y"]) for lab in labels}
    where = np.array([by_text[w] for w in words])
    span = float(np.ptp(coords, axis=0).max())
    # A label may sit a little off its point (e.g. ax.text(x + 0.05, y, word)): within 5% of the plot's extent.
    check(
        where,
        coords,
        what=f"{what}: the position of each word's label (in order {words})",
        mistakes={"x and y swapped": coords[:, ::-1]},
        rtol=0.0,
        atol=0.05 * span,
    )
    points = np.asarray(out["points"], dtype=np.float64).reshape(-1, 2)
    drawn = np.array([bool(len(points)) and bool(np.min(np.abs(points - c).max(axis=1)) < 1e-9) for c in coords])
    check(
        drawn,
        np.ones(len(coords), dtype=bool),
        what=f"{what}: each point drawn at its coordinates (ax.scatter or markers); True = found",
    )


@pytest.mark.points(2)
def test_plot_on_given_axes(student):
    """plot_embeddings: draws on the given ax, returns it, one label per word at its point"""
    coords = plot_coords()
    out = student.probe("plot_labels", target=PLOT, args=[PLOT_WORDS, coords], kwargs={}, pass_ax=True)
    check(out["same_axes"], True, what="plot_embeddings(words, coords, ax=ax) returns the ax it was given")
    check_plot(out, PLOT_WORDS, coords, "plot_embeddings(<5 words>, <(5, 2) coords>, ax=ax)")


@pytest.mark.points(1)
def test_plot_new_axes(student):
    """plot_embeddings: without ax, draws on a new figure and returns its Axes"""
    coords = plot_coords()[:3] * 10
    out = student.probe("plot_labels", target=PLOT, args=[PLOT_WORDS[:3], coords], kwargs={})
    check_plot(out, PLOT_WORDS[:3], coords, "plot_embeddings(<3 words>, <(3, 2) coords>)")


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_most_similar_k_zero_and_negative(student, ref):
    """most_similar: k=0 returns no row; a negative k raises ValueError (never [:k], which drops the last rows)"""
    E, query = rows(5, 6, 3), rows(6, 1, 3)[0]
    check(
        student.call(MOST_SIMILAR, query, E, 0),
        ref["similarity"].most_similar(query, E, 0),
        what="most_similar(q, E, k=0)",
    )
    check_raises(lambda: student.call(MOST_SIMILAR, query, E, -1), "ValueError", what="most_similar(q, E, k=-1)")


@pytest.mark.points(1)
def test_analogy_with_no_candidate_left(student):
    """analogy: with no word besides a, b and c it raises ValueError"""
    E = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    vocab = {"man": 0, "king": 1, "woman": 2}
    check_raises(
        lambda: student.call(ANALOGY, "man", "king", "woman", E, vocab),
        "ValueError",
        what="analogy('man', 'king', 'woman', <3 rows>, <vocab of exactly those 3 words>)",
    )
