"""Public tests for embeddings/bpe.py: small cases you can check by hand (Sennrich et al.'s example)."""

import numpy as np

from autograder.grading.adapter import StudentError
from autograder.grading.compare import AnyOf, Feedback, check, check_raises
from autograder.grading.mistakes.names import PAIR_TYPES, REPEATED_TOKEN_NEW_ID, TIES_HIGHER_ID, TIES_PAIR_STRINGS
from autograder.grading.mistakes.one_hot import unknown_mistakes

M = "embeddings.bpe"
SENNRICH = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
EOW = "</w>"


# -- the common mistakes on these small cases, worked out by hand: a wrong answer equal to one is named --
# (no BPE is written out here: the tests show what a mistake gives, never how to train or apply merges)

SENNRICH_MISTAKES = {
    TIES_HIGHER_ID: [
        ("s", "t</w>"), ("e", "st</w>"), ("l", "o"), ("w", "est</w>"), ("n", "e")],
    TIES_PAIR_STRINGS: [
        ("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w"), ("ew", "est</w>")],
    PAIR_TYPES: [
        ("e", "s"), ("l", "o"), ("es", "t</w>"), ("d", "est</w>"), ("e", "w")],
}
ABC_MISTAKES = {"applying the merges in learnt order, one pass, instead of the lowest rank first": ["ab", "c</w>"]}
LEFTMOST = "the leftmost pair that is a merge applied first, instead of the lowest-ranked (earliest learnt) one"
OVERLAP = "overlapping occurrences: after a merge the scan goes on after the pair's second symbol, not from it"
RIGHT_TO_LEFT = "occurrences merged right to left: merge_pair scans left to right"


def test_word_counts_in_first_occurrence_order(student):
    """word_counts: words split on whitespace, counted, in first-occurrence order"""
    got = student.call(f"{M}:word_counts", "low lower\nlow  newest")
    check(got, {"low": 2, "lower": 1, "newest": 1}, what="word_counts('low lower\\nlow  newest')")


def test_split_word_fuses_the_marker(student):
    """split_word: the end-of-word marker is fused to the last character"""
    separate = {"the end-of-word marker as a separate symbol instead of fused to the last character": ["l", "o", "w", EOW]}
    check(student.call(f"{M}:split_word", "low"), ["l", "o", "w</w>"], what="split_word('low')", mistakes=separate)
    check(student.call(f"{M}:split_word", "a"), ["a</w>"], what="split_word('a')")


def test_merge_pair_every_occurrence(student):
    """merge_pair: every occurrence, left to right, no overlaps"""
    got = student.call(f"{M}:merge_pair", ["a", "b", "c", "a", "b"], ("a", "b"))
    first = {
        "merging only the first occurrence of the pair in a word": ["ab", "c", "a", "b"],
        OVERLAP: ["ab", "b", "c", "ab", "b"],
    }
    check(got, ["ab", "c", "ab"], what="merge_pair(['a', 'b', 'c', 'a', 'b'], ('a', 'b'))", mistakes=first)
    got = student.call(f"{M}:merge_pair", ["a", "a", "a", "b"], ("a", "a"))
    overlapping = {OVERLAP: AnyOf(["aa", "aa", "b"], ["aa", "aa", "a", "b"]), RIGHT_TO_LEFT: ["a", "aa", "b"]}
    check(got, ["aa", "a", "b"], what="merge_pair(['a', 'a', 'a', 'b'], ('a', 'a'))", mistakes=overlapping)


def test_bpe_vocab_order(student):
    """bpe_vocab: specials, characters by code point, marked last characters, merges"""
    got = student.call(f"{M}:bpe_vocab", {"low": 2, "ow": 1}, [("o", "w</w>")])
    bare = {"a character seen only at a word's end has no bare token: every character of the corpus is one, as well as "
            "its marked form": {"<unk>": 0, "l": 1, "o": 2, "w</w>": 3, "ow</w>": 4}}
    check(got, {"<unk>": 0, "l": 1, "o": 2, "w": 3, "w</w>": 4, "ow</w>": 5}, what="bpe_vocab({'low': 2, 'ow': 1}, [('o', 'w</w>')])",
          mistakes=bare)
    # "ab" (first) ends in b, "ba" in a: sorted, a</w> still comes before b</w>; the merge (b, a</w>) is listed twice: one id
    counts, merges = {"ab": 1, "ba": 1}, [("b", "a</w>"), ("a", "b</w>"), ("b", "a</w>")]
    expected = {"<unk>": 0, "a": 1, "b": 2, "a</w>": 3, "b</w>": 4, "ba</w>": 5, "ab</w>": 6}
    mistakes = {
        "marked last characters in first-occurrence order instead of sorted": {"<unk>": 0, "a": 1, "b": 2, "b</w>": 3, "a</w>": 4, "ba</w>": 5, "ab</w>": 6},
        REPEATED_TOKEN_NEW_ID: {
            "<unk>": 0, "a": 1, "b": 2, "a</w>": 3, "b</w>": 4, "ab</w>": 6, "ba</w>": 7
        },
    }
    check(student.call(f"{M}:bpe_vocab", counts, merges), expected, what=f"bpe_vocab({counts}, {merges}) (a merge listed twice)", mistakes=mistakes)


def test_train_bpe_sennrich_example(student):
    """train_bpe: the first five merges of low/lower/newest/widest (ties to the lower id)"""
    got = student.call(f"{M}:train_bpe", SENNRICH, 5)
    # (e, s) and (s, t</w>) both occur 9 times: "e" has the lower id. Then (es, t</w>) 9, (l, o) 7,
    # and at 6 the tie (n, e), (e, w), (w, est</w>) goes to the lowest left id, "e"; then (n, ew) 6.
    expected = [("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w"), ("n", "ew")]
    check(got, expected, what=f"train_bpe({SENNRICH}, 5)", mistakes=SENNRICH_MISTAKES)


def test_train_bpe_stops_when_nothing_is_left(student):
    """train_bpe: stops early when every word is one symbol"""
    got = student.call(f"{M}:train_bpe", {"ab": 3, "b": 1}, 10)
    check(got, [("a", "b</w>")], what="train_bpe({'ab': 3, 'b': 1}, 10)")


def test_apply_bpe_by_rank(student):
    """apply_bpe: the lowest-ranked applicable merge first, until none applies"""
    merges = [("e", "s"), ("es", "t</w>"), ("l", "o"), ("lo", "w")]
    expected = ["low", "est</w>"]
    check(student.call(f"{M}:apply_bpe", "lowest", merges), expected, what=f"apply_bpe('lowest', {merges})")
    merges = [("ab", "c</w>"), ("a", "b")]
    check(student.call(f"{M}:apply_bpe", "abc", merges), ["abc</w>"], what=f"apply_bpe('abc', {merges})", mistakes=ABC_MISTAKES)
    merges = [("b", "c</w>"), ("a", "b"), ("a", "bc</w>")]  # (a, b) is leftmost, (b, c</w>) ranks first
    check(student.call(f"{M}:apply_bpe", "abc", merges), ["abc</w>"], what=f"apply_bpe('abc', {merges})",
          mistakes={LEFTMOST: ["ab", "c</w>"]})


def test_encode_with_unknown_and_decode(student):
    """encode / decode: an unknown token maps to <unk>; decode puts the spaces back"""
    vocab = {"<unk>": 0, "l": 1, "o": 2, "w": 3, "w</w>": 4, "lo": 5}
    merges = [("l", "o")]
    try:
        got = student.call(f"{M}:encode", "low lo", vocab, merges)
    except StudentError as error:
        if not error.is_a("KeyError"):
            raise
        hint = "Likely mistake: no unk fallback: an unknown token must map to vocab[unk_token]"
        raise Feedback(f"encode('low lo', {vocab}, {merges}): {error}\n  {hint}") from None
    symbols = ["lo", "w</w>", "l", "o</w>"]  # 'o</w>' is not in the vocabulary
    check(got, np.array([5, 4, 1, 0], dtype=np.int64), what=f"encode('low lo', {vocab}, {merges})",
          mistakes=unknown_mistakes(symbols, vocab))
    removed = {"the end-of-word marker removed instead of turned into a space": "lowlo"}
    check(student.call(f"{M}:decode", [5, 4, 5], vocab), "low lo", what=f"decode([5, 4, 5], {vocab})", mistakes=removed)


def test_encode_without_unk_raises(student):
    """encode: an unknown token with unk_token=None raises KeyError naming it"""
    check_raises(
        lambda: student.call(f"{M}:encode", "lo", {"l": 0, "o": 1}, [], unk_token=None),
        "KeyError",
        match="o</w>",
        what="encode('lo', {'l': 0, 'o': 1}, [], unk_token=None)",
    )
