"""What fasttext's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

from collections.abc import Callable

import numpy as np

from autograder.grading.mistakes.names import DEDUPLICATED

NGRAMS = "embeddings.fasttext:char_ngrams"

HASH = "embeddings.fasttext:fasttext_hash"

BUCKETS = "embeddings.fasttext:ngram_buckets"

VECTOR = "embeddings.fasttext:fasttext_word_vector"


def ngram_mistakes(word: str, n_min: int, n_max: int) -> dict:
    marked = f"<{word}>"

    def grams(s: str, lengths) -> list[str]:
        return [s[i : i + n] for n in lengths for i in range(len(s) - n + 1)]

    lengths = range(n_min, n_max + 1)
    return {
        "n-grams without the '<' and '>' boundary markers: cut \"<\" + word + \">\"": lambda: grams(word, lengths),
        "longest n-grams first: the order is shortest first, then left to right": lambda: grams(
            marked, reversed(lengths)
        ),
        "grouped by start position (fastText's C++ order): the order is by length first, then left to right": lambda: [
            marked[i : i + n] for i in range(len(marked)) for n in lengths if i + n <= len(marked)
        ],
        "n_max left out: lengths run from n_min to n_max inclusive": lambda: grams(marked, range(n_min, n_max)),
        "right to left within a length: the order is left to right": lambda: [
            g for n in lengths for g in reversed(grams(marked, [n]))
        ],
    }


def fnv(units, sign_extend: bool, multiply_first: bool = False, reduce: bool = True) -> int:
    h = 2166136261
    for u in units:
        if sign_extend and u >= 0x80:
            u |= 0xFFFFFF00
        h = (h * 16777619) ^ u if multiply_first else (h ^ u) * 16777619
        if reduce:
            h &= 0xFFFFFFFF
    return h


def hash_mistakes(s: str, expected: int | None = None) -> dict:
    data = s.encode("utf-8")
    return {
        "unsigned bytes: fastText sign-extends each byte >= 0x80 before the xor (0xC3 -> 0xFFFFFFC3)": lambda: fnv(
            data, False
        ),
        "hashed the characters (ord(ch)) instead of the UTF-8 bytes of the string": lambda: fnv(
            [ord(ch) for ch in s], False
        ),
        "hashed the characters (ord(ch)), sign-extended, instead of the UTF-8 bytes": lambda: fnv(
            [ord(ch) for ch in s], True
        ),
        "FNV-1 (multiply, then xor) instead of FNV-1a (xor, then multiply)": lambda: fnv(
            data, True, multiply_first=True
        ),
        "not reduced modulo 2**32: keep h & 0xFFFFFFFF after each multiplication": lambda: fnv(
            data, True, reduce=False
        ),
        "returned as a signed 32-bit value: the hash is unsigned, in [0, 2**32)": lambda: (
            expected - 2**32 if expected is not None and expected >= 2**31 else None
        ),
    }


def ngrams(word: str, n_min: int = 3, n_max: int = 6) -> list[str]:
    """The n-grams of "<" + word + ">", shortest first, left to right (as the docstring asks)."""
    marked = f"<{word}>"
    return [marked[i : i + n] for n in range(n_min, n_max + 1) for i in range(len(marked) - n + 1)]


def buckets_of(grams: list[str], num_buckets: int) -> np.ndarray:
    """fastText's bucket of each n-gram: FNV-1a over its UTF-8 bytes, sign-extended, modulo ``num_buckets``."""
    return np.array([fnv(g.encode("utf-8"), True) % num_buckets for g in grams], dtype=np.int64)


def bucket_mistakes(word: str, num_buckets: int, n_min: int = 3, n_max: int = 6) -> dict:
    grams = ngrams(word, n_min, n_max)
    data = [g.encode("utf-8") for g in grams]

    def signed(h: int) -> int:
        return h - 2**32 if h >= 2**31 else h

    out = {
        name: lambda make=make: buckets_of(make(), num_buckets)
        for name, make in ngram_mistakes(word, n_min, n_max).items()
    }
    return out | {
        "unsigned bytes: fastText sign-extends each byte >= 0x80 before the xor (0xC3 -> 0xFFFFFFC3)": lambda: np.array(
            [fnv(d, False) % num_buckets for d in data], dtype=np.int64
        ),
        "hashed the characters (ord(ch)) instead of the UTF-8 bytes of the string": lambda: np.array(
            [fnv([ord(c) for c in g], False) % num_buckets for g in grams], dtype=np.int64
        ),
        "hash treated as a signed 32-bit value before % num_buckets: the hash is unsigned": lambda: np.array(
            [signed(fnv(d, True)) % num_buckets for d in data], dtype=np.int64
        ),
        "hash treated as a signed 32-bit value (C remainder) before % num_buckets: the hash is unsigned": lambda: (
            np.array([np.fmod(signed(fnv(d, True)), num_buckets) for d in data], dtype=np.int64)
        ),
    }


def vector_mistakes(word, vocab, word_vectors, ngram_vectors, n_min, n_max) -> dict:
    buckets = buckets_of(ngrams(word, n_min, n_max), len(ngram_vectors))
    grams = ngram_vectors[buckets]  # (n, D)
    D = word_vectors.shape[1]
    own = word_vectors[vocab[word]][None, :] if word in vocab else np.zeros((0, D), word_vectors.dtype)
    rows = np.concatenate([own, grams])
    dtype = np.result_type(word_vectors, ngram_vectors)

    def mean(x):
        return x.mean(axis=0).astype(dtype) if len(x) else np.zeros(D, dtype)

    out: dict[str, Callable[[], np.ndarray | None]] = {
        "sum instead of mean of the rows": lambda: rows.sum(axis=0).astype(dtype),
        "the word's own vector left out when the word is in vocab": lambda: mean(grams) if len(own) else None,
        "own vector and the n-gram mean averaged 50/50: every row (the word's and each n-gram's) counts "
        "equally": lambda: ((own[0] + grams.mean(axis=0)) / 2).astype(dtype) if len(own) and len(grams) else None,
        DEDUPLICATED: lambda: mean(np.concatenate([own, ngram_vectors[np.unique(buckets)]])),
        "only the word's own vector for a word in vocab: its n-grams count too": lambda: own[0] if len(own) else None,
    }

    def with_ngrams(make: Callable[[], list[str]]) -> Callable[[], np.ndarray | None]:
        return lambda: mean(np.concatenate([own, ngram_vectors[buckets_of(make(), len(ngram_vectors))]]))

    return out | {name: with_ngrams(make) for name, make in ngram_mistakes(word, n_min, n_max).items()}
