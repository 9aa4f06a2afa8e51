"""Public tests for embeddings/fasttext.py.

The hash values below are the published FNV-1a test vectors (for ASCII, fastText's hash is plain
FNV-1a) and, for non-ASCII words, the values of gensim's ``ft_hash_bytes``, which reproduces fastText.
"""

import numpy as np

from autograder.grading.compare import check
from autograder.grading.mistakes.fasttext import BUCKETS, HASH, NGRAMS, VECTOR, fnv, hash_mistakes, ngram_mistakes

# -- models of the common mistakes, written out in Python: a wrong answer equal to one is named --










def ngrams(word: str, n_min: int = 3, n_max: int = 6) -> list[str]:
    """The n-grams of "<" + word + ">", shortest first, left to right (as the docstring asks)."""
    marked = f"<{word}>"
    return [marked[i : i + n] for n in range(n_min, n_max + 1) for i in range(len(marked) - n + 1)]


def bucket_mistakes(word: str, num_buckets: int, n_min: int = 3, n_max: int = 6) -> dict:
    data = [g.encode("utf-8") for g in ngrams(word, n_min, n_max)]

    def signed(h: int) -> int:
        return h - 2**32 if h >= 2**31 else h

    out = {
        name: lambda make=make: np.array([fnv(g.encode("utf-8"), True) % num_buckets for g in make()], dtype=np.int64)
        for name, make in ngram_mistakes(word, n_min, n_max).items()
    }
    return out | {
        "unsigned bytes: fastText sign-extends each byte >= 0x80 before the xor (0xC3 -> 0xFFFFFFC3)": lambda: np.array(
            [fnv(d, False) % num_buckets for d in data], dtype=np.int64
        ),
        "hash treated as a signed 32-bit value before % num_buckets: the hash is unsigned": lambda: np.array(
            [signed(fnv(d, True)) % num_buckets for d in data], dtype=np.int64
        ),
        "hash treated as a signed 32-bit value (C remainder) before % num_buckets: the hash is unsigned": lambda: np.array(
            [np.fmod(signed(fnv(d, True)), num_buckets) for d in data], dtype=np.int64
        ),
    }


def vector_mistakes(word: str, vocab: dict, word_vectors: np.ndarray, ngram_vectors: np.ndarray, n_min: int, n_max: int) -> dict:
    buckets = [fnv(g.encode("utf-8"), True) % len(ngram_vectors) for g in ngrams(word, n_min, n_max)]
    grams = ngram_vectors[buckets].reshape(-1, word_vectors.shape[1])
    own = word_vectors[[vocab[word]]] if word in vocab else np.zeros((0, word_vectors.shape[1]))
    rows = np.concatenate([own, grams])

    def mean(x):
        return x.mean(axis=0) if len(x) else np.zeros(word_vectors.shape[1])

    return {
        "sum instead of mean of the rows": lambda: rows.sum(axis=0),
        "the word's own vector left out when the word is in vocab": lambda: mean(grams) if len(own) else None,
        "own vector and the n-gram mean averaged 50/50: every row (the word's and each n-gram's) counts equally": lambda: (
            (own[0] + grams.mean(axis=0)) / 2 if len(own) and len(grams) else None
        ),
        "a repeated n-gram (or bucket) counted once: each n-gram counts every time it occurs": lambda: mean(
            np.concatenate([own, ngram_vectors[np.unique(buckets).astype(np.int64)].reshape(-1, own.shape[1])])
        ),
        "only the word's own vector for a word in vocab: its n-grams count too": lambda: own[0] if len(own) else None,
    }


def test_ngrams_where(student):
    """char_ngrams: "where" with n = 3..4, shortest first, left to right"""
    expected = ["<wh", "whe", "her", "ere", "re>", "<whe", "wher", "here", "ere>"]
    check(student.call(NGRAMS, "where", 3, 4), expected, what="char_ngrams('where', 3, 4)", mistakes=ngram_mistakes("where", 3, 4))


def test_ngrams_short_and_unicode_words(student):
    """char_ngrams: only the lengths that fit; characters, not bytes"""
    check(student.call(NGRAMS, "a"), ["<a>"], what="char_ngrams('a')", mistakes=ngram_mistakes("a", 3, 6))
    check(student.call(NGRAMS, "日本"), ["<日本", "日本>", "<日本>"], what="char_ngrams('日本')", mistakes=ngram_mistakes("日本", 3, 6))


def test_hash_ascii_test_vectors(student):
    """fasttext_hash: the FNV-1a test vectors "", "a", "foobar\""""
    for s, expected in [("", 0x811C9DC5), ("a", 0xE40C292C), ("foobar", 0xBF9CF968)]:
        check(student.call(HASH, s), expected, what=f"fasttext_hash({s!r})", mistakes=hash_mistakes(s, expected))


def test_hash_non_ascii(student):
    """fasttext_hash: UTF-8 bytes >= 0x80 are sign-extended (values from gensim)"""
    for s, expected in [("naïve", 3440832043), ("日本", 4164387409), ("café", 1970454601)]:
        check(student.call(HASH, s), expected, what=f"fasttext_hash({s!r})", mistakes=hash_mistakes(s, expected))


def test_buckets(student):
    """ngram_buckets: hash % num_buckets for "<ab", "ab>" (values from gensim)"""
    expected = np.array([508, 756], dtype=np.int64)
    check(student.call(BUCKETS, "ab", 1000, 3, 3), expected, what="ngram_buckets('ab', 1000, 3, 3)", mistakes=bucket_mistakes("ab", 1000, 3, 3))
    # "<日本", "日本>", "<日本>" (char_ngrams order; gensim's ft_ngram_hashes lists the same buckets by start position)
    expected = np.array([587, 157, 759], dtype=np.int64)
    check(student.call(BUCKETS, "日本", 1000), expected, what="ngram_buckets('日本', 1000)", mistakes=bucket_mistakes("日本", 1000))


# With 5 buckets and n = 3 only: "ab" -> "<ab", "ab>" -> buckets [3, 1]; "abc" -> "<ab", "abc", "bc>" -> [3, 1, 0].
WORD_VECTORS = np.array([[6.0, 0.0]])  # the vector of "ab", the only word in vocab
NGRAM_VECTORS = np.array([[0.0, 6.0], [3.0, 3.0], [0.0, 0.0], [9.0, 0.0], [0.0, 0.0]])


def test_vector_in_vocab(student):
    """fasttext_word_vector: mean of the word's own vector and its n-gram rows"""
    got = student.call(VECTOR, "ab", {"ab": 0}, WORD_VECTORS, NGRAM_VECTORS, n_min=3, n_max=3)
    # (own [6, 0] + bucket 3 [9, 0] + bucket 1 [3, 3]) / 3
    mistakes = vector_mistakes("ab", {"ab": 0}, WORD_VECTORS, NGRAM_VECTORS, 3, 3)
    check(got, np.array([6.0, 1.0]), what="fasttext_word_vector('ab', {'ab': 0}, <(1, 2)>, <(5, 2)>, 3, 3)", mistakes=mistakes)


def test_vector_out_of_vocabulary_and_empty(student):
    """fasttext_word_vector: an unseen word uses its n-grams alone; no n-grams and no vector gives zeros"""
    got = student.call(VECTOR, "abc", {"ab": 0}, WORD_VECTORS, NGRAM_VECTORS, n_min=3, n_max=3)
    # (bucket 3 [9, 0] + bucket 1 [3, 3] + bucket 0 [0, 6]) / 3
    mistakes = vector_mistakes("abc", {"ab": 0}, WORD_VECTORS, NGRAM_VECTORS, 3, 3)
    check(got, np.array([4.0, 3.0]), what="fasttext_word_vector('abc', {'ab': 0}, <(1, 2)>, <(5, 2)>, 3, 3)", mistakes=mistakes)
    got = student.call(VECTOR, "q", {"ab": 0}, WORD_VECTORS, NGRAM_VECTORS, n_min=4, n_max=6)
    check(got, np.zeros(2), what="fasttext_word_vector('q', {'ab': 0}, <(1, 2)>, <(5, 2)>, n_min=4)")
