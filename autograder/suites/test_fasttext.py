"""Hidden suite: embeddings/fasttext.py.

Expected values come from the reference, computed here in the trusted process (the reference
itself is checked against gensim in the kit's tests). The known mistakes (no boundary markers,
longest n-grams first, unsigned bytes in the hash, hashing characters instead of UTF-8 bytes,
sum instead of mean, the word's own vector left out ...) are written out below so that a
student whose output equals one of them is told which. Non-ASCII words are essential: the sign
extension of fastText's hash only shows on bytes >= 0x80.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.fasttext import (
    BUCKETS,
    HASH,
    NGRAMS,
    VECTOR,
    bucket_mistakes,
    hash_mistakes,
    ngram_mistakes,
    vector_mistakes,
)

pytestmark = pytest.mark.timeout(10)

ASCII_WORDS = ["where", "a", "the", "unseeable", "banana", "x1", "<tag>"]
UNICODE_WORDS = ["naïve", "日本", "café", "Straße", "Ünïcödé", "🙂ok", "ё"]


# -- n-grams and their mistakes ----------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("n_min,n_max", [(3, 6), (1, 3), (2, 2), (4, 9)])
def test_ngrams_match_reference(student, ref, n_min, n_max):
    """char_ngrams: markers, shortest first, left to right, n_max included"""
    for word in ASCII_WORDS + UNICODE_WORDS:
        expected = ref["fasttext"].char_ngrams(word, n_min, n_max)
        got = student.call(NGRAMS, word, n_min, n_max)
        check(
            got,
            expected,
            what=f"char_ngrams({word!r}, n_min={n_min}, n_max={n_max})",
            mistakes=ngram_mistakes(word, n_min, n_max),
        )


@pytest.mark.points(1)
def test_ngrams_defaults_and_short_words(student, ref):
    """char_ngrams: defaults 3..6; a short word gives only the n-grams that fit"""
    for word in ["where", "a", "", "ab", "日"]:
        expected = ref["fasttext"].char_ngrams(word)
        check(student.call(NGRAMS, word), expected, what=f"char_ngrams({word!r})", mistakes=ngram_mistakes(word, 3, 6))


# -- the hash and its mistakes -----------------------------------------------------------------------


@pytest.mark.points(2)
def test_hash_ascii(student, ref):
    """fasttext_hash: ASCII strings (plain FNV-1a)"""
    for s in ["", "a", "abc", "foobar", "<wh", "here>", "<unseeable>"]:
        expected = ref["fasttext"].fasttext_hash(s)
        check(student.call(HASH, s), expected, what=f"fasttext_hash({s!r})", mistakes=hash_mistakes(s, expected))


@pytest.mark.points(4)
def test_hash_non_ascii_sign_extension(student, ref):
    """fasttext_hash: non-ASCII strings hash their UTF-8 bytes, sign-extended like fastText's signed char"""
    for s in UNICODE_WORDS + ["<na", "ïve>", "<日本>", "é", "Āā"]:  # "Āā" has the bytes 0x80 and 0x81
        expected = ref["fasttext"].fasttext_hash(s)
        check(
            student.call(HASH, s),
            expected,
            what=f"fasttext_hash({s!r})  (UTF-8 bytes {s.encode('utf-8').hex(' ')})",
            mistakes=hash_mistakes(s, expected),
        )


# -- buckets -------------------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("num_buckets,n_min,n_max", [(2_000_000, 3, 6), (97, 3, 6), (10, 2, 4)])
def test_buckets_match_reference(student, ref, num_buckets, n_min, n_max):
    """ngram_buckets: int64 hash % num_buckets for each n-gram, in n-gram order"""
    for word in ASCII_WORDS + UNICODE_WORDS:
        expected = ref["fasttext"].ngram_buckets(word, num_buckets, n_min, n_max)
        got = student.call(BUCKETS, word, num_buckets, n_min, n_max)
        check(
            got,
            expected,
            what=f"ngram_buckets({word!r}, num_buckets={num_buckets}, n_min={n_min}, n_max={n_max})",
            mistakes=bucket_mistakes(word, num_buckets, n_min, n_max),
        )


@pytest.mark.points(1)
def test_buckets_no_ngrams_is_empty_int64(student):
    """ngram_buckets: a word too short for any n-gram gives an empty int64 array"""
    check(
        student.call(BUCKETS, "a", 100, 4, 6),
        np.zeros(0, dtype=np.int64),
        what="ngram_buckets('a', 100, n_min=4, n_max=6)",
    )


# -- word vectors ----------------------------------------------------------------------------------------


def tables(seed: int, V: int, num_buckets: int, D: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(V, D)).astype(dtype), rng.normal(size=(num_buckets, D)).astype(dtype)


VOCAB = {"where": 0, "banana": 1, "naïve": 2, "日本": 3, "a": 4}


@pytest.mark.points(2)
@pytest.mark.parametrize("word", ["where", "banana", "naïve", "日本"])
def test_vector_in_vocab(student, ref, word):
    """fasttext_word_vector: a word in vocab averages its own vector and its n-gram buckets"""
    W, G = tables(1, len(VOCAB), 13, 4)  # 13 buckets: collisions happen, and count
    expected = ref["fasttext"].fasttext_word_vector(word, VOCAB, W, G)
    got = student.call(VECTOR, word, VOCAB, W, G)
    check(
        got,
        expected,
        what=f"fasttext_word_vector({word!r}, <vocab of {len(VOCAB)}>, {describe_args(W, G)})",
        mistakes=vector_mistakes(word, VOCAB, W, G, 3, 6),
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("word", ["unseeable", "wherever", "naïveté", "日本語"])
def test_vector_out_of_vocabulary(student, ref, word):
    """fasttext_word_vector: an out-of-vocabulary word gets the mean of its n-gram buckets"""
    W, G = tables(2, len(VOCAB), 50, 5)
    expected = ref["fasttext"].fasttext_word_vector(word, VOCAB, W, G, n_min=2, n_max=5)
    got = student.call(VECTOR, word, VOCAB, W, G, n_min=2, n_max=5)
    check(
        got,
        expected,
        what=f"fasttext_word_vector({word!r} (not in vocab), <vocab of {len(VOCAB)}>, {describe_args(W, G)}, n_min=2, "
        "n_max=5)",
        mistakes=vector_mistakes(word, VOCAB, W, G, 2, 5),
    )


@pytest.mark.points(2)
def test_vector_no_ngrams(student, ref):
    """fasttext_word_vector: no n-grams: own vector in vocab, zero vector otherwise"""
    W, G = tables(3, len(VOCAB), 11, 3)
    for word, n_min in [("a", 4), ("zz", 5), ("", 3)]:
        expected = ref["fasttext"].fasttext_word_vector(word, VOCAB, W, G, n_min=n_min, n_max=6)
        got = student.call(VECTOR, word, VOCAB, W, G, n_min=n_min, n_max=6)
        check(
            got,
            expected,
            what=f"fasttext_word_vector({word!r}, <vocab of {len(VOCAB)}>, {describe_args(W, G)}, n_min={n_min})",
            mistakes=vector_mistakes(word, VOCAB, W, G, n_min, 6),
        )


@pytest.mark.points(1)
def test_vector_keeps_float32(student, ref):
    """fasttext_word_vector: float32 tables give a float32 vector (also the zero vector)"""
    W, G = tables(4, len(VOCAB), 17, 6, dtype=np.float32)
    for word, n_min in [("where", 3), ("unseeable", 3), ("qq", 5)]:
        expected = ref["fasttext"].fasttext_word_vector(word, VOCAB, W, G, n_min=n_min)
        got = student.call(VECTOR, word, VOCAB, W, G, n_min=n_min)
        check(
            got,
            expected,
            what=f"fasttext_word_vector({word!r}, <vocab of {len(VOCAB)}>, {describe_args(W, G)}, n_min={n_min})",
            mistakes=vector_mistakes(word, VOCAB, W, G, n_min, 6),
        )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("n_min", [0, -2])
def test_ngrams_refuse_n_min_below_one(student, n_min):
    """char_ngrams: n_min < 1 raises ValueError (a 0-gram is the empty string)"""
    check_raises(
        lambda: student.call(NGRAMS, "where", n_min, 4),
        "ValueError",
        what=f"char_ngrams('where', n_min={n_min}, n_max=4)",
    )


@pytest.mark.points(1)
def test_ngrams_n_max_below_n_min_give_nothing(student, ref):
    """char_ngrams: n_max < n_min gives no n-gram"""
    check(
        student.call(NGRAMS, "where", 5, 3),
        ref["fasttext"].char_ngrams("where", 5, 3),
        what="char_ngrams('where', 5, 3)",
    )
