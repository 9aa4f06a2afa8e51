"""Hidden suite: embeddings/one_hot.py.

Expected values come from the reference, computed here in the trusted process; the student's
values come back through the adapter as plain data. Known mistakes are modelled by small wrong
versions of the function, so a failing answer that equals one of them is named.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.one_hot import BUILD_VOCAB, ENCODE, ONE_HOT, unknown_mistakes, vocab_mistakes

pytestmark = pytest.mark.timeout(10)


def corpus(seed: int, n: int = 200) -> list[str]:
    rng = np.random.default_rng(seed)
    words = ["naïve", "日本", "zeta", "alpha", "beta", "gamma", "delta", "b", "a", "c"]
    # A Zipf-ish draw with many tied counts.
    return [words[i] for i in rng.integers(0, len(words), size=n) % len(words)]


@pytest.mark.points(2)
@pytest.mark.parametrize("seed,min_count,specials", [(0, 1, ()), (1, 3, ("<pad>", "<unk>")), (2, 25, ("<unk>",))])
def test_build_vocab_matches_reference(student, ref, seed, min_count, specials):
    """build_vocab: ids by count, ties alphabetical, specials first, min_count"""
    tokens = corpus(seed)
    expected = ref[BUILD_VOCAB.split(":")[0]].build_vocab(tokens, min_count=min_count, specials=specials)
    got = student.call(BUILD_VOCAB, tokens, min_count=min_count, specials=list(specials))
    check(
        got,
        expected,
        what=f"build_vocab(<{len(tokens)} tokens, seed {seed}>, min_count={min_count}, specials={list(specials)})",
        mistakes=vocab_mistakes(tokens, min_count, specials),
    )


@pytest.mark.points(1)
def test_build_vocab_special_in_corpus_not_duplicated(student, ref):
    """build_vocab: a special that also occurs in the corpus keeps its special id"""
    tokens = ["<unk>", "a", "a", "<unk>", "<unk>", "b"]
    expected = ref["one_hot"].build_vocab(tokens, specials=["<unk>"])
    check(
        student.call(BUILD_VOCAB, tokens, specials=["<unk>"]),
        expected,
        what=f"build_vocab({tokens}, specials=['<unk>'])",
    )


@pytest.mark.points(1)
def test_build_vocab_empty(student):
    """build_vocab: an empty corpus gives just the specials"""
    check(student.call(BUILD_VOCAB, [], specials=["<pad>"]), {"<pad>": 0}, what="build_vocab([], specials=['<pad>'])")


@pytest.mark.points(2)
def test_encode_matches_reference(student, ref):
    """encode: ids as int64, unknown words to unk_token"""
    tokens = corpus(3, 50) + ["never-seen", "日本"]
    vocab = ref["one_hot"].build_vocab(corpus(4, 100), min_count=12, specials=["<unk>"])
    expected = ref["one_hot"].encode(tokens, vocab, unk_token="<unk>")
    got = student.call(ENCODE, tokens, vocab, unk_token="<unk>")
    what = f"encode(<{len(tokens)} tokens>, <vocab of {len(vocab)}>, unk_token='<unk>')"
    check(got, expected, what=what, mistakes=unknown_mistakes(tokens, vocab))


@pytest.mark.points(1)
def test_encode_unknown_raises_keyerror(student):
    """encode: an unknown word without unk_token raises KeyError naming it"""
    check_raises(
        lambda: student.call(ENCODE, ["a", "naïve"], {"a": 0}),
        "KeyError",
        match="naïve",
        what="encode(['a', 'naïve'], {'a': 0})",
    )


@pytest.mark.points(1)
def test_encode_empty_is_int64(student):
    """encode: no tokens gives an empty int64 array"""
    check(student.call(ENCODE, [], {"a": 0}), np.zeros(0, dtype=np.int64), what="encode([], {'a': 0})")


@pytest.mark.points(2)
@pytest.mark.parametrize("shape,vocab_size", [((7,), 5), ((2, 3), 11), ((4, 1, 3), 6)])
def test_one_hot_matches_reference(student, ref, shape, vocab_size):
    """one_hot: shape S + (V,), float64, a single 1 per row"""
    indices = np.random.default_rng(vocab_size).integers(0, vocab_size, size=shape)
    expected = ref["one_hot"].one_hot(indices, vocab_size)
    got = student.call(ONE_HOT, indices, vocab_size)
    check(
        got,
        expected,
        what=f"one_hot({describe_args(indices)}, {vocab_size})",
        mistakes={
            "ids and vocabulary axes swapped (transposed)": lambda: np.moveaxis(expected, -1, 0),
            "flattened to 2-D instead of keeping the input's shape": lambda: expected.reshape(-1, vocab_size),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("bad", [[0, 5], [-1], [0.0, 1.0]], ids=["too-large", "negative", "floats"])
def test_one_hot_rejects_bad_ids(student, bad):
    """one_hot: ValueError for an out-of-range id or a non-integer array"""
    check_raises(lambda: student.call(ONE_HOT, np.array(bad), 5), "ValueError", what=f"one_hot(np.array({bad}), 5)")


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_build_vocab_dict_order_is_id_order(student, ref):
    """build_vocab: iterating the dict gives the words by id"""
    tokens = corpus(30, n=60)
    got = student.call(BUILD_VOCAB, tokens, specials=["<pad>"])
    expected = ref["one_hot"].build_vocab(tokens, specials=["<pad>"])
    check(got, expected, what=f"build_vocab({describe_args(tokens)}, specials=['<pad>'])")
    check(list(got), sorted(got, key=got.get), what="list(build_vocab(...)): the words in the dict's order, by id")


@pytest.mark.points(1)
def test_build_vocab_duplicate_specials(student, ref):
    """build_vocab: a special listed twice gets one id, at its first place"""
    specials = ["<pad>", "<unk>", "<pad>"]
    expected = ref["one_hot"].build_vocab(["a", "b", "a"], specials=specials)
    check(
        student.call(BUILD_VOCAB, ["a", "b", "a"], specials=specials),
        expected,
        what=f"build_vocab(['a', 'b', 'a'], specials={specials})",
    )


@pytest.mark.points(1)
def test_encode_unk_token_missing_from_vocab(student):
    """encode: an unk_token that is not in vocab raises KeyError naming it, even when every token is known"""
    check_raises(
        lambda: student.call(ENCODE, ["a"], {"a": 0}, unk_token="<unk>"),
        "KeyError",
        match="<unk>",
        what="encode(['a'], {'a': 0}, unk_token='<unk>')",
    )


@pytest.mark.points(1)
def test_one_hot_of_no_ids(student, ref):
    """one_hot: [] gives a float64 array of shape (0, vocab_size)"""
    check(student.call(ONE_HOT, [], 4), ref["one_hot"].one_hot([], 4), what="one_hot([], 4)")


@pytest.mark.points(1)
def test_one_hot_refuses_a_bool_array_and_takes_an_empty_float_one(student, ref):
    """one_hot: a bool array raises ValueError (True is not an id); an empty float array gives shape (0, V) like []"""
    check_raises(
        lambda: student.call(ONE_HOT, np.array([True, False]), 3),
        "ValueError",
        what="one_hot(np.array([True, False]), 3)",
    )
    empty = np.zeros((0,), dtype=np.float64)
    check(
        student.call(ONE_HOT, empty, 3),
        ref["one_hot"].one_hot(empty, 3),
        what="one_hot(np.array([], dtype=float64), 3)",
    )
