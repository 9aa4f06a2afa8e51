"""What similarity's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

from typing import Any

import numpy as np

from autograder.grading.compare import DoesNotApply

COSINE = "embeddings.similarity:cosine_similarity"

MOST_SIMILAR = "embeddings.similarity:most_similar"

ANALOGY = "embeddings.similarity:analogy"

PCA = "embeddings.similarity:pca"

PLOT = "embeddings.similarity:plot_embeddings"


def norms(x, axis=-1):
    return np.linalg.norm(x, axis=axis, keepdims=True)


def cosine_mistakes(a: np.ndarray, b: np.ndarray, expected) -> dict:
    A, B = np.atleast_2d(a), np.atleast_2d(b)

    def shaped(m):
        if a.ndim == 1 and b.ndim == 1:
            return float(m[0, 0])
        return m[0] if a.ndim == 1 else (m[:, 0] if b.ndim == 1 else m)

    with np.errstate(divide="ignore", invalid="ignore"):
        naive = (A @ B.T) / (norms(A) * norms(B).T)
        cols = (A / norms(A, 0)) @ (B / norms(B, 0)).T
    out: dict[str, Any] = {
        "NaN for zero vectors: a zero vector has similarity 0 with everything": lambda: shaped(naive),
        "not normalised: plain dot products instead of cosines": lambda: shaped(A @ B.T),
        "only the first argument normalised": lambda: shaped(
            np.nan_to_num((A / np.where(norms(A) > 0, norms(A), 1)) @ B.T)
        ),
        "only the second argument normalised": lambda: shaped(
            np.nan_to_num(A @ (B / np.where(norms(B) > 0, norms(B), 1)).T)
        ),
        "normalised over the wrong axis (columns instead of rows)": lambda: shaped(cols),
        "squared norms in the denominator (a . b / (|a|^2 |b|^2))": lambda: shaped(
            np.nan_to_num((A @ B.T) / (norms(A) ** 2 * norms(B).T ** 2), nan=0.0, posinf=0.0)
        ),
    }
    if isinstance(expected, np.ndarray) and expected.ndim == 2:
        out["transposed: entry [i, j] compares a[i] with b[j], shape (N, M)"] = expected.T
    if isinstance(expected, np.ndarray) and expected.ndim == 1:
        keep = expected[None, :] if a.ndim == 1 else expected[:, None]
        out["kept the axis of the 1-D argument: a 1-D argument is a single row and its axis is dropped"] = keep
    if isinstance(expected, float):
        out["returned an array for two 1-D vectors: the answer is a Python float"] = np.array([[expected]])
        out["returned a 0-d array or (1,) array for two 1-D vectors: the answer is a Python float"] = np.array(expected)
    return out


def rank(scores: np.ndarray, k: int, exclude, high_first_ties: bool = False) -> np.ndarray:
    order = np.argsort(scores, kind="stable")[::-1] if high_first_ties else np.argsort(-scores, kind="stable")
    skip = set(exclude)
    return np.array([i for i in order if i not in skip][:k], dtype=np.int64)


def most_similar_mistakes(query, E, k, exclude) -> dict:
    exclude = list(exclude)
    cos = np.nan_to_num(E @ query / (np.linalg.norm(E, axis=1) * np.linalg.norm(query)))
    return {
        "excluded rows returned: rows in `exclude` must be skipped": lambda: rank(cos, k, ()),
        "excluded rows removed after taking the top k (fewer than k returned)": lambda: np.array(
            [i for i in rank(cos, k, ()) if i not in exclude], dtype=np.int64
        ),
        "worst first: the most similar row comes first": lambda: np.array(
            [i for i in np.argsort(cos, kind="stable") if i not in set(exclude)][:k], dtype=np.int64
        ),
        "ranked by dot product instead of cosine similarity": lambda: rank(E @ query, k, exclude),
        "ranked by Euclidean distance instead of cosine similarity": lambda: rank(
            -np.linalg.norm(E - query, axis=1), k, exclude
        ),
        "ties broken by higher index: equal similarities go to the lower index first (a stable sort)": lambda: rank(
            cos, k, exclude, high_first_ties=True
        ),
    }


def analogy_mistakes(a, b, c, E, vocab) -> dict:
    word_of = {i: w for w, i in vocab.items()}
    ia, ib, ic = vocab[a], vocab[b], vocab[c]

    def unit(v):
        return v / np.linalg.norm(v)

    def best(target, score="cos", exclude=(ia, ib, ic)):
        s = E @ target
        if score == "cos":
            s = s / (np.linalg.norm(E, axis=1) * np.linalg.norm(target))
        return word_of[int(rank(s, 1, exclude)[0])]

    target = unit(E[ib]) - unit(E[ia]) + unit(E[ic])
    return {
        "returned an input word: a, b and c must be excluded from the answers": lambda: best(target, exclude=()),
        "analogy without normalising: the target is unit(b) - unit(a) + unit(c), not b - a + c": lambda: best(
            E[ib] - E[ia] + E[ic]
        ),
        "ranked by dot product instead of cosine similarity": lambda: best(target, score="dot"),
        "signs mixed up: for a : b :: c : ? the target is b - a + c": lambda: best(
            unit(E[ia]) - unit(E[ib]) + unit(E[ic])
        ),
    }


def fix_signs(Z: np.ndarray) -> np.ndarray:
    largest = Z[np.argmax(np.abs(Z), axis=0), np.arange(Z.shape[1])]
    return Z * np.where(largest < 0, -1.0, 1.0)


def like(Z: np.ndarray, got) -> np.ndarray:
    """``Z`` with each column's sign chosen to agree with ``got`` (mistakes that are right only up to signs)."""
    got = np.asarray(got, dtype=np.float64)
    if got.shape != Z.shape:
        return Z
    return Z * np.where(np.sum(got * Z, axis=0) < 0, -1.0, 1.0)


def pca_mistakes(X: np.ndarray, k: int, expected: np.ndarray, got) -> dict:
    Xc = X - X.mean(axis=0)

    def axes(data: np.ndarray) -> np.ndarray:
        return np.linalg.svd(data, full_matrices=False)[2]  # Vt

    def first_entry_sign() -> np.ndarray:
        Z = Xc @ axes(Xc)[:k].T
        return Z * np.where(Z[0] < 0, -1.0, 1.0)

    def standardised() -> np.ndarray:
        if (Xc.std(axis=0) == 0).any():
            raise DoesNotApply("a constant column cannot be standardised")
        std = Xc / Xc.std(axis=0)
        return like(std @ axes(std)[:k].T, got)

    return {
        "no sign convention: flip each column so that its entry of largest magnitude is positive": lambda: like(
            expected, got
        ),
        "sign fixed by the first entry of each column: the convention uses the entry of largest "
        "magnitude": first_entry_sign,
        "PCA not centred: subtract the mean row before the SVD": lambda: like(X @ axes(X)[:k].T, got),
        "the data were not centred before projecting (axes from the centred data, projection of X itself)": lambda: (
            like(X @ axes(Xc)[:k].T, got)
        ),
        "returned U (unit-variance scores) instead of the projection Xc V = U S": lambda: like(
            np.linalg.svd(Xc, full_matrices=False)[0][:, :k], got
        ),
        "columns standardised first: PCA here only centres": standardised,
        "projected on the smallest axes instead of the largest": lambda: like(Xc @ axes(Xc)[::-1][:k].T, got),
    }
