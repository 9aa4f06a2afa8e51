"""The reference reader and writer against gensim: gensim's ``load_word2vec_format`` reads what
``save_vectors`` writes, unchanged, and ``load_vectors`` reads what gensim's ``save_word2vec_format``
writes (with and without the header), ``limit`` included."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from autograder.grading.loader import reference

PRE = reference()["pretrained"]
WORDS = ["the", ",", "naïve", "日本", "café", "🙂", "x"]


def random_vectors(seed: int, V: int, D: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(V, D)) * 10.0 ** rng.integers(-30, 30, size=(V, D))).astype(np.float32)


def gensim_kv(words, vectors) -> KeyedVectors:
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    return kv


@pytest.mark.parametrize("V,D", [(7, 5), (1, 1), (3, 300)])
def test_gensim_reads_save_vectors_unchanged(tmp_path, V, D):
    vocab = {w: i for i, w in enumerate(WORDS[:V])}
    vectors = random_vectors(V * D, V, D)
    path = tmp_path / "saved.txt"
    PRE.save_vectors(str(path), vocab, vectors)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=False)
    assert kv.key_to_index == vocab
    np.testing.assert_array_equal(kv.vectors, vectors)  # bit for bit


def test_save_orders_words_by_row(tmp_path):
    vocab = {"b": 2, "a": 0, "日本": 1}
    vectors = random_vectors(1, 3, 4)
    PRE.save_vectors(tmp_path / "v.txt", vocab, vectors)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    assert kv.index_to_key == ["a", "日本", "b"]
    np.testing.assert_array_equal(kv.vectors, vectors)


def test_save_float64_reads_back_as_float32(tmp_path):
    vectors = np.random.default_rng(2).normal(size=(3, 4))
    PRE.save_vectors(tmp_path / "v.txt", {"a": 0, "b": 1, "c": 2}, vectors)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    np.testing.assert_array_equal(kv.vectors, vectors.astype(np.float32))


@pytest.mark.parametrize("header", [True, False])
def test_load_reads_gensim_files(tmp_path, header):
    vectors = random_vectors(3, len(WORDS), 6)
    path = tmp_path / "gensim.txt"
    gensim_kv(WORDS, vectors).save_word2vec_format(str(path), binary=False, write_header=header)
    vocab, got = PRE.load_vectors(path)
    assert vocab == {w: i for i, w in enumerate(WORDS)} and list(vocab) == WORDS
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, vectors)


@pytest.mark.parametrize("limit", [0, 1, 4, 100])
def test_limit_agrees_with_gensim(tmp_path, limit):
    vectors = random_vectors(4, len(WORDS), 3)
    path = tmp_path / "gensim.txt"
    gensim_kv(WORDS, vectors).save_word2vec_format(str(path), binary=False)
    vocab, got = PRE.load_vectors(path, limit=limit)
    if limit:  # gensim reads limit=0 as "no limit"
        kv = KeyedVectors.load_word2vec_format(str(path), binary=False, limit=limit)
        assert vocab == kv.key_to_index
        np.testing.assert_array_equal(got, kv.vectors)
    assert len(vocab) == min(limit, len(WORDS)) and got.shape == (len(vocab), 3)


@pytest.mark.parametrize(
    "text,line",
    [("2 3\na 1 2 3\nb 1 2\n", 3), ("a 1 2\nb 1 x\n", 2), ("2 3\na 1 2\n", 2), ("a 1\n\na 2\n", 3), ("a\n", 1)],
)
def test_malformed_lines_are_named(tmp_path, text, line):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=f"line {line}"):
        PRE.load_vectors(path)
