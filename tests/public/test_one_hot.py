"""Public tests for embeddings/one_hot.py: small cases you can check by hand."""


import numpy as np

from autograder.grading.compare import check, check_raises
from autograder.grading.mistakes.one_hot import BUILD_VOCAB, ENCODE, ONE_HOT, out_of_range_mistakes, unknown_mistakes, vocab_mistakes


def test_build_vocab_in_order(student):
    """build_vocab: three distinct words keep alphabetical order"""
    got = student.call(BUILD_VOCAB, ["apple", "ball", "cat"])
    check(got, {"apple": 0, "ball": 1, "cat": 2}, what="build_vocab(['apple', 'ball', 'cat'])")


def test_build_vocab_counts_specials_and_ties(student):
    """build_vocab: specials first, then by count, ties alphabetical"""
    tokens = ["b", "a", "b", "c", "d", "d"]
    got = student.call(BUILD_VOCAB, tokens, specials=["<pad>", "<unk>"])
    expected = {"<pad>": 0, "<unk>": 1, "b": 2, "d": 3, "a": 4, "c": 5}
    check(got, expected, what=f"build_vocab({tokens}, specials=['<pad>', '<unk>'])", mistakes=vocab_mistakes(tokens, specials=("<pad>", "<unk>")))


def test_build_vocab_ties_alphabetical_not_first_seen(student):
    """build_vocab: "z" is seen before "a" and both occur twice: "a" comes first; min_count=2 keeps count 2"""
    tokens = ["z", "m", "z", "a", "m", "a", "m", "q"]
    got = student.call(BUILD_VOCAB, tokens, min_count=2)
    check(got, {"m": 0, "a": 1, "z": 2}, what=f"build_vocab({tokens}, min_count=2)", mistakes=vocab_mistakes(tokens, min_count=2))


def test_encode_with_unknown_token(student):
    """encode: unknown words map to unk_token"""
    got = student.call(ENCODE, ["a", "zebra"], {"<unk>": 0, "a": 1}, unk_token="<unk>")
    vocab = {"<unk>": 0, "a": 1}
    check(got, np.array([1, 0], dtype=np.int64), what="encode(['a', 'zebra'], {'<unk>': 0, 'a': 1}, unk_token='<unk>')",
          mistakes=unknown_mistakes(["a", "zebra"], vocab))


def test_encode_unknown_without_unk_raises(student):
    """encode: an unknown word without unk_token raises KeyError naming it"""
    check_raises(lambda: student.call(ENCODE, ["zebra"], {"a": 0}), "KeyError", match="zebra", what="encode(['zebra'], {'a': 0})")


def test_one_hot_small(student):
    """one_hot: [1] with 3 words is [[0, 1, 0]]"""
    check(student.call(ONE_HOT, [1], 3), np.array([[0.0, 1.0, 0.0]]), what="one_hot([1], 3)")


def test_one_hot_out_of_range_or_float_raises(student):
    """one_hot: an id >= vocab_size, and an array of floats (even 1.0), raise ValueError"""
    check_raises(lambda: student.call(ONE_HOT, [3], 3), "ValueError", what="one_hot([3], 3)")
    check_raises(lambda: student.call(ONE_HOT, np.array([1.0, 0.0]), 3), "ValueError", what="one_hot(np.array([1.0, 0.0]), 3)")


def test_one_hot_negative_id_raises(student):
    """one_hot: a negative id raises ValueError too (NumPy would wrap it around to the last row)"""
    ids = np.array([-1])
    check_raises(lambda: student.call(ONE_HOT, ids, 5), "ValueError", what="one_hot(np.array([-1]), 5)", mistakes=out_of_range_mistakes(ids, 5))
