"""Public tests for embeddings/fasttext.py.

The hash values below are the published FNV-1a test vectors (for ASCII, fastText's hash is plain
FNV-1a) and, for non-ASCII words, the values of gensim's ``ft_hash_bytes``, which reproduces fastText.
"""

import numpy as np

from autograder.grading.compare import check
from autograder.grading.mistakes.fasttext import BUCKETS, HASH, NGRAMS, VECTOR, bucket_mistakes, hash_mistakes, ngram_mistakes, vector_mistakes


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
