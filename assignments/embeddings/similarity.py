"""Using word vectors: cosine similarity, nearest neighbours, analogies, and a 2-D picture.

The geometry of an embedding space is mostly about *directions*: two words are similar when
their vectors point the same way, whatever their lengths (a frequent word tends to have a longer
vector). Cosine similarity measures exactly that, and the rest of this module builds on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
    """``cos(a, b) = a . b / (|a| |b|)`` for every pair of rows, in float64.

    Shapes:
      - ``(N, D)`` and ``(M, D)`` -> ``(N, M)``: entry ``[i, j]`` compares ``a[i]`` with ``b[j]``;
      - ``(D,)`` and ``(D,)`` -> a Python ``float``;
      - ``(D,)`` and ``(M, D)`` -> ``(M,)``, and ``(N, D)`` and ``(D,)`` -> ``(N,)``: the 1-D
        argument is a single row, and its axis is dropped from the result.

    A zero vector has no direction: its similarity with anything (a zero vector included) is 0,
    never NaN. Normalise the rows first, then take dot products (np.divide(..., where=norms > 0)
    avoids dividing by zero).

    Example:
        >>> cosine_similarity(np.array([1.0, 0.0]), np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))
        array([1.        , 0.70710678, 0.        ])
    """
    # Hint (~8 lines): work with 2-D arrays (np.atleast_2d), then drop the axes of 1-D arguments.
    # YOUR CODE HERE
    raise NotImplementedError()


def most_similar(query: np.ndarray, embeddings: np.ndarray, k: int, exclude: Iterable[int] = ()) -> np.ndarray:
    """Indices of the ``k`` rows of ``embeddings`` ``(N, D)`` most cosine-similar to ``query`` ``(D,)``.

    Returns an int64 array, best first. Rows whose index is in ``exclude`` are never returned
    (e.g. the query word itself). Ties (equal similarity) go to the lower index first, so the
    answer is unique; a stable sort (``np.argsort(-sims, kind="stable")``) gives that. When fewer
    than ``k`` rows remain, all of them are returned; ``k=0`` returns none, and a negative ``k``
    raises ``ValueError`` (``[:k]`` would silently drop the last rows instead).

    Example:
        >>> E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
        >>> most_similar(np.array([1.0, 0.1]), E, k=2)
        array([0, 3])
        >>> most_similar(np.array([1.0, 0.1]), E, k=2, exclude=[0])
        array([3, 2])
    """
    # Hint (~5 lines): cosine_similarity, then a stable argsort of the negated similarities.
    # YOUR CODE HERE
    raise NotImplementedError()


def analogy(a: str, b: str, c: str, embeddings: np.ndarray, vocab: Mapping[str, int]) -> str:
    """Solve ``a : b :: c : ?`` ("man : king :: woman : queen") with vector arithmetic.

    The target direction is ``unit(b) - unit(a) + unit(c)`` (each input vector normalised
    first, so that no single word dominates by its length; the "3CosAdd" method of Mikolov et
    al. and gensim's ``most_similar(positive=[b, c], negative=[a])``). The answer is the word
    whose row of ``embeddings`` ``(V, D)`` has the highest cosine similarity with it, excluding
    ``a``, ``b`` and ``c`` themselves (otherwise ``b`` or ``c`` usually wins), ties to the lower
    index. ``vocab`` maps word -> row; an unknown word raises ``KeyError``. With no candidate left
    (every row is ``a``, ``b`` or ``c``: a vocabulary of three words), it raises ``ValueError``.

    Example: with vectors man=(1, 0), king=(1, 1), woman=(0, 1) and queen=(0.1, 1.5),
    the target is (0.707, 0.707) - (1, 0) + (0, 1) = (-0.29, 1.71), closest to queen:
    ``analogy("man", "king", "woman", E, vocab)`` is ``"queen"``.
    """
    # Hint (~6 lines): the inverse of vocab gives the word of a row; reuse most_similar with exclude.
    # YOUR CODE HERE
    raise NotImplementedError()


def pca(X: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Project the rows of ``X`` ``(N, D)`` on their top ``n_components`` principal axes -> ``(N, n_components)``, float64.

    1. centre: subtract the mean row (PCA describes the spread *around* the mean);
    2. the principal axes are the right singular vectors of the centred data,
       ``Xc = U S V^T`` (``np.linalg.svd(Xc, full_matrices=False)``), largest singular value first;
    3. the output is ``Xc @ V[:, :n_components]`` (equivalently ``U S`` restricted to those columns).

    An axis and its opposite explain the data equally well, so the sign of each output column
    is fixed by a convention: each column is flipped (multiplied by -1) when needed so that its
    entry of largest magnitude is positive (the first such entry if several tie). ``ValueError`` unless ``1 <= n_components <= min(N, D)``.

    Example:
        >>> pca(np.array([[0.0, 7.0], [1.0, 7.0], [5.0, 7.0]]), n_components=1)   # mean (2, 7)
        array([[-2.],
               [-1.],
               [ 3.]])
    """
    # Hint (~8 lines): after projecting, np.argmax(np.abs(Z), axis=0) finds each column's largest entry.
    # YOUR CODE HERE
    raise NotImplementedError()


def plot_embeddings(words: Sequence[str], coords: np.ndarray, ax: Axes | None = None) -> Axes:
    """Scatter the 2-D points ``coords`` ``(N, 2)`` and label point ``i`` with ``words[i]``.

    Draws on ``ax`` when given (and returns it), else on the axes of a new figure
    (``plt.subplots()``). Each label is a text placed at its point in data coordinates
    (``ax.annotate(word, (x, y))`` or ``ax.text(x, y, word)``); the points themselves are drawn
    too (``ax.scatter``). Returns the ``Axes``, so a caller can add a title or save the figure.

    Typical use: ``plot_embeddings(words, pca(vectors))``.
    """
    import matplotlib.pyplot as plt  # imported here so that importing this module stays fast

    # Hint (~6 lines)
    # YOUR CODE HERE
    raise NotImplementedError()
