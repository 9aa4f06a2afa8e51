"""The reference fastText functions against gensim (which reproduces Facebook's fastText):
``compute_ngrams`` for the n-grams, ``ft_hash_bytes`` for the hash, ``ft_ngram_hashes`` for the
buckets and ``FastTextKeyedVectors`` for word vectors, in vocabulary and out of it."""

import numpy as np
import pytest
from gensim.models.fasttext import FastTextKeyedVectors, compute_ngrams, ft_hash_bytes, ft_ngram_hashes

from autograder.grading.loader import reference

FT = reference()["fasttext"]

WORDS = [
    "",
    "a",
    "ab",
    "where",
    "banana",
    "unseeable",
    "aaaaaaa",
    "x1-y2_z3",
    "<tag>",
    "naïve",
    "café",
    "Straße",
    "日本",
    "日本語",
    "Ünïcödé",
    "ё",
    "🙂",
    "🙂ok",
    "مرحبا",
    "Ελληνικά",
    "n\u0303",
]


def random_words(seed: int, n: int) -> list[str]:
    """Words drawn from a mix of ASCII, Latin-1, CJK and astral-plane code points."""
    rng = np.random.default_rng(seed)
    pools = [range(0x61, 0x7B), range(0xC0, 0x100), range(0x4E00, 0x4E40), range(0x1F600, 0x1F610)]
    out = []
    for _ in range(n):
        length = int(rng.integers(1, 9))
        out.append("".join(chr(int(rng.choice(pools[int(rng.integers(len(pools)))]))) for _ in range(length)))
    return out


ALL_WORDS = WORDS + random_words(0, 200)


@pytest.mark.parametrize("n_min,n_max", [(3, 6), (1, 3), (2, 2), (4, 9), (1, 12)])
def test_ngrams_equal_gensim(n_min, n_max):
    for word in ALL_WORDS:
        assert FT.char_ngrams(word, n_min, n_max) == compute_ngrams(word, n_min, n_max), word


def test_ngrams_default_range_is_3_to_6():
    for word in WORDS:
        assert FT.char_ngrams(word) == compute_ngrams(word, 3, 6)


def test_hash_equals_gensim_on_many_strings():
    strings = ALL_WORDS + [g for w in WORDS for g in compute_ngrams(w, 1, 6)]
    for s in strings:
        h = FT.fasttext_hash(s)
        assert isinstance(h, int) and 0 <= h < 2**32
        assert h == ft_hash_bytes(s.encode("utf-8")), s


def test_hash_differs_from_unsigned_fnv_on_non_ascii():
    """The sign extension matters: plain FNV-1a (unsigned bytes) gives another value for "naïve"."""
    h = 2166136261
    for byte in "naïve".encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    assert FT.fasttext_hash("naïve") != h
    assert FT.fasttext_hash("abc") == ft_hash_bytes(b"abc")


@pytest.mark.parametrize("num_buckets,n_min,n_max", [(2_000_000, 3, 6), (97, 3, 6), (10, 2, 4), (1, 2, 3)])
def test_buckets_equal_gensim(num_buckets, n_min, n_max):
    for word in ALL_WORDS:
        got = FT.ngram_buckets(word, num_buckets, n_min, n_max)
        assert got.dtype == np.int64
        # Entry i is the bucket of char_ngrams()[i] ...
        expected = [ft_hash_bytes(g.encode("utf-8")) % num_buckets for g in compute_ngrams(word, n_min, n_max)]
        assert got.tolist() == expected, word
        # ... and the multiset is gensim's (which lists them by start position).
        assert sorted(got.tolist()) == sorted(ft_ngram_hashes(word, n_min, n_max, num_buckets)), word


def test_n_min_1_keeps_the_lone_markers_that_fasttext_drops():
    """The documented difference: with n_min = 1, fastText (gensim's ft_ngram_hashes) skips "<" and ">"."""
    got = FT.ngram_buckets("ab", 1000, 1, 3).tolist()
    lone = [ft_hash_bytes(b"<") % 1000, ft_hash_bytes(b">") % 1000]
    assert sorted(got) == sorted(ft_ngram_hashes("ab", 1, 3, 1000) + lone)


def gensim_vectors(vocab_words: list[str], n_min: int, n_max: int, num_buckets: int, D: int, seed: int):
    rng = np.random.default_rng(seed)
    kv = FastTextKeyedVectors(D, n_min, n_max, num_buckets, count=len(vocab_words))
    kv.index_to_key = list(vocab_words)
    kv.key_to_index = {w: i for i, w in enumerate(vocab_words)}
    kv.vectors_vocab = rng.normal(size=(len(vocab_words), D)).astype(np.float32)
    kv.vectors_ngrams = rng.normal(size=(num_buckets, D)).astype(np.float32)
    kv.recalc_char_ngram_buckets()
    kv.adjust_vectors()  # in-vocabulary vectors: (own + sum of n-gram rows) / (1 + number of n-grams)
    return kv


@pytest.mark.parametrize("n_min,n_max,num_buckets", [(3, 6, 13), (2, 5, 1000), (2, 3, 7)])
def test_word_vectors_equal_gensim(n_min, n_max, num_buckets):
    vocab_words = ["where", "banana", "naïve", "日本", "a", "aaaaaaa"]
    kv = gensim_vectors(vocab_words, n_min, n_max, num_buckets, 5, seed=num_buckets)
    vocab = dict(kv.key_to_index)
    for word in vocab_words + ["unseeable", "wherever", "naïveté", "日本語", "🙂ok", "b"]:
        got = FT.fasttext_word_vector(word, vocab, kv.vectors_vocab, kv.vectors_ngrams, n_min, n_max)
        assert got.dtype == np.float32 and got.shape == (5,)
        np.testing.assert_allclose(got, kv.get_vector(word), rtol=1e-5, atol=1e-6, err_msg=word)


def test_word_vector_with_no_ngrams():
    kv = gensim_vectors(["ab"], 5, 6, 11, 3, seed=0)
    # gensim returns the origin for an OOV word without n-grams, as Facebook's fastText does.
    np.testing.assert_array_equal(FT.fasttext_word_vector("q", {"ab": 0}, kv.vectors_vocab, kv.vectors_ngrams, 5, 6), kv.get_vector("q"))
    # In vocabulary with no n-grams: just its own vector.
    np.testing.assert_allclose(FT.fasttext_word_vector("ab", {"ab": 0}, kv.vectors_vocab, kv.vectors_ngrams, 5, 6), kv.vectors_vocab[0])
    zero = FT.fasttext_word_vector("q", {}, np.zeros((0, 3)), np.ones((4, 3)), 5, 6)
    assert zero.dtype == np.float64 and np.all(zero == 0)
