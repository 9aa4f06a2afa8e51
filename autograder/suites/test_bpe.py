"""Hidden suite: embeddings/bpe.py.

Expected values come from the reference, computed here; the student's values come back as plain
data. Known mistakes are modelled by a small BPE written plainly (recount every pair after each
merge) with one knob per mistake, so a wrong answer that equals one of them is named.
"""

from collections import Counter

import numpy as np
import pytest

from autograder.grading.adapter import StudentError
from autograder.grading.compare import check, check_raises, naming
from autograder.grading.mistakes.names import (
    PAIR_TYPES,
    REPEATED_TOKEN_NEW_ID,
    SPECIALS_LAST,
    TIES_HIGHER_ID,
    TIES_PAIR_STRINGS,
)

M = "embeddings.bpe"
EOW = "</w>"

pytestmark = pytest.mark.timeout(20)


def corpus(seed: int, num_words: int = 300) -> dict[str, int]:
    """Word counts of a random text over a small alphabet (repeated letters and shared stems on purpose)."""
    rng = np.random.default_rng(seed)
    stems = ["low", "new", "wid", "aab", "ba", "naïv", "日本", "abab"]
    suffixes = ["", "est", "er", "s", "e", "ing", "aa"]
    words = [
        stems[i] + suffixes[j]
        for i, j in zip(rng.integers(0, len(stems), num_words), rng.integers(0, len(suffixes), num_words))
    ]
    return dict(Counter(words))


def text_of(counts: dict[str, int], seed: int) -> str:
    words = [w for w, c in counts.items() for _ in range(c)]
    np.random.default_rng(seed).shuffle(words)
    return " ".join(words)


# -- mistake models ---------------------------------------------------------------------------------------------


def fused(word):
    return [*word[:-1], word[-1] + EOW]


def separate(word):
    return [*word, EOW]


def merge_all(symbols, pair):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def merge_first(symbols, pair):
    for i in range(len(symbols) - 1):
        if (symbols[i], symbols[i + 1]) == pair:
            return [*symbols[:i], symbols[i] + symbols[i + 1], *symbols[i + 2 :]]
    return list(symbols)


def plain_train(counts, num_merges, *, split=fused, merge=merge_all, weighted=True, per_occurrence=True, tie="id"):
    """BPE as the docstring says it, one knob per known mistake."""
    words = [split(w) for w in counts]
    ids = {}
    for token in sorted({s for w in words for s in w if len(s) == 1}) + sorted(
        {s for w in words for s in w if len(s) > 1}
    ):
        ids.setdefault(token, len(ids))
    merges = []
    while len(merges) < num_merges:
        pairs = Counter()
        for symbols, n in zip(words, counts.values()):
            seen = list(zip(symbols, symbols[1:]))
            for pair in seen if per_occurrence else dict.fromkeys(seen):
                pairs[pair] += n if weighted else 1
        if not pairs:
            break
        if tie == "id":
            best = min(pairs, key=lambda p: (-pairs[p], ids[p[0]], ids[p[1]]))
        elif tie == "higher id":
            best = min(pairs, key=lambda p: (-pairs[p], -ids[p[0]], -ids[p[1]]))
        elif tie == "alphabetical":
            best = min(pairs, key=lambda p: (-pairs[p], p))
        else:  # first seen: Counter.most_common keeps insertion order among equal counts
            best = pairs.most_common(1)[0][0]
        merges.append(best)
        ids.setdefault(best[0] + best[1], len(ids))
        words = [merge(w, best) for w in words]
    return merges


def train_mistakes(counts, num_merges):
    return {
        TIES_HIGHER_ID: lambda: plain_train(counts, num_merges, tie="higher id"),
        TIES_PAIR_STRINGS: lambda: plain_train(counts, num_merges, tie="alphabetical"),
        "ties broken by first occurrence (max over a Counter) instead of by id": lambda: plain_train(
            counts, num_merges, tie="first seen"
        ),
        PAIR_TYPES: lambda: plain_train(counts, num_merges, weighted=False),
        "a pair counted once per word, not once per place it occurs": lambda: plain_train(
            counts, num_merges, per_occurrence=False
        ),
        "merging only the first occurrence of the pair in a word": lambda: plain_train(
            counts, num_merges, merge=merge_first
        ),
        "the end-of-word marker as a separate symbol instead of fused to the last character": lambda: plain_train(
            counts, num_merges, split=separate
        ),
    }


def apply_mistakes(word, merges):
    def one_pass():
        symbols = fused(word)
        for pair in merges:
            symbols = merge_all(symbols, pair)
        return symbols

    def passes():
        symbols, before = fused(word), None
        while symbols != before:
            before = symbols
            for pair in merges:
                symbols = merge_all(symbols, pair)
        return symbols

    return {
        "applying the merges in learnt order, one pass, instead of the lowest rank first": one_pass,
        "applying the merges in learnt order per pass instead of the lowest rank first": passes,
        "the end-of-word marker as a separate symbol instead of fused to the last character": lambda: [*word, EOW],
    }


# -- word_counts, split_word, merge_pair ----------------------------------------------------------------------------


@pytest.mark.points(1)
def test_word_counts_matches_reference(student, ref):
    """word_counts: whitespace split, counts, first-occurrence order"""
    text = text_of(corpus(0), 0).replace(" ", " \n\t ", 7) + "  \n"
    expected = ref[M].word_counts(text)
    check(
        student.call(f"{M}:word_counts", text),
        expected,
        what=f"word_counts(<text of {len(text.split())} words>)",
        mistakes={"words sorted instead of in first-occurrence order": lambda: dict(sorted(expected.items()))},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("word", ["low", "a", "naïve", "日本", "aaa"])
def test_split_word_matches_reference(student, ref, word):
    """split_word: characters, the end-of-word marker fused to the last"""
    check(
        student.call(f"{M}:split_word", word),
        ref[M].split_word(word),
        what=f"split_word({word!r})",
        mistakes={"the end-of-word marker as a separate symbol instead of fused to the last character": [*word, EOW]},
    )


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "symbols,pair",
    [
        (["a", "b", "a", "b</w>"], ("a", "b")),
        (["a", "a", "a", "a", "b</w>"], ("a", "a")),
        (["x", "ab", "c", "ab", "c</w>"], ("ab", "c")),
    ],
)
def test_merge_pair_matches_reference(student, ref, symbols, pair):
    """merge_pair: every occurrence, left to right, no overlaps"""
    check(
        student.call(f"{M}:merge_pair", symbols, pair),
        ref[M].merge_pair(symbols, pair),
        what=f"merge_pair({symbols}, {pair})",
        mistakes={"merging only the first occurrence of the pair in a word": lambda: merge_first(symbols, pair)},
    )


# -- bpe_vocab -------------------------------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("seed,specials", [(1, ("<unk>",)), (2, ("<pad>", "<unk>", "<bos>"))])
def test_bpe_vocab_matches_reference(student, ref, seed, specials):
    """bpe_vocab: specials, alphabet by code point, marked last characters sorted, one token per merge"""
    counts = corpus(seed)
    merges = ref[M].train_bpe(counts, 25)
    expected = ref[M].bpe_vocab(counts, merges, specials)
    last_seen = list(dict.fromkeys(w[-1] + EOW for w in counts))

    def marked_first_seen():
        out = {t: i for t, i in expected.items() if len(t) == 1 or t in specials}
        for token in [*last_seen, *(a + b for a, b in merges)]:
            out.setdefault(token, len(out))
        return out

    check(
        student.call(f"{M}:bpe_vocab", counts, merges, specials=list(specials)),
        expected,
        what=f"bpe_vocab(<{len(counts)} words, seed {seed}>, <{len(merges)} merges>, specials={list(specials)})",
        mistakes={
            "marked last characters in first-occurrence order instead of sorted": marked_first_seen,
            SPECIALS_LAST: lambda: {
                t: i for i, t in enumerate([*(t for t in expected if t not in specials), *specials])
            },
        },
    )


@pytest.mark.points(1)
def test_bpe_vocab_two_merges_spelling_one_token(student, ref):
    """bpe_vocab: a token two merges spell keeps its first id"""
    counts = {"abc": 2, "ab": 1}
    merges = [("b", "c</w>"), ("a", "bc</w>"), ("a", "b"), ("ab", "c</w>")]
    expected = ref[M].bpe_vocab(counts, merges)

    def reassigned():
        out = dict(expected)
        out["abc</w>"] = len(expected)  # vocab[token] = len(vocab) when the second merge spells it again
        return out

    check(
        student.call(f"{M}:bpe_vocab", counts, merges),
        expected,
        what=f"bpe_vocab({counts}, {merges})",
        mistakes={REPEATED_TOKEN_NEW_ID: reassigned},
    )


# -- train_bpe -------------------------------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("seed,num_merges", [(3, 40), (4, 80), (5, 15)])
def test_train_bpe_matches_reference(student, ref, seed, num_merges):
    """train_bpe: most frequent pair by occurrences, ties to the lower id, every occurrence merged"""
    counts = corpus(seed)
    check(
        student.call(f"{M}:train_bpe", counts, num_merges),
        ref[M].train_bpe(counts, num_merges),
        what=f"train_bpe(<{len(counts)} words, seed {seed}>, {num_merges})",
        mistakes=train_mistakes(counts, num_merges),
    )


@pytest.mark.points(2)
def test_train_bpe_repeated_letters(student, ref):
    """train_bpe: words with a pair twice ("aaaa", "abab") count and merge it at every place"""
    counts = {"aaaa": 3, "abab": 4, "ab": 2, "ba": 5, "aab": 2}
    check(
        student.call(f"{M}:train_bpe", counts, 6),
        ref[M].train_bpe(counts, 6),
        what=f"train_bpe({counts}, 6)",
        mistakes=train_mistakes(counts, 6),
    )


@pytest.mark.points(1)
def test_train_bpe_stops_early(student, ref):
    """train_bpe: stops when no word has two symbols left"""
    counts = {"ab": 2, "abc": 1, "c": 4}
    check(student.call(f"{M}:train_bpe", counts, 50), ref[M].train_bpe(counts, 50), what=f"train_bpe({counts}, 50)")


# -- apply_bpe, encode, decode ---------------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("shuffle", [False, True], ids=["learnt-order", "any-order"])
def test_apply_bpe_matches_reference(student, ref, shuffle):
    """apply_bpe: the lowest-ranked applicable merge first, until none applies"""
    counts = corpus(6)
    merges = ref[M].train_bpe(counts, 60)
    if shuffle:
        np.random.default_rng(7).shuffle(merges)
        merges = [tuple(m) for m in merges]
    for word in [*list(counts)[:25], "lowest", "newer", "abababab", "zebra", "aaaaab"]:
        check(
            student.call(f"{M}:apply_bpe", word, merges),
            ref[M].apply_bpe(word, merges),
            what=f"apply_bpe({word!r}, <{len(merges)} merges{', shuffled' if shuffle else ''}>)",
            mistakes=apply_mistakes(word, merges),
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("word", ["abcde", "xabcdabcd"])
def test_apply_bpe_rank_not_list_order(student, ref, word):
    """apply_bpe: a merge made possible by a later one is still applied by its rank"""
    merges = [("ab", "c"), ("a", "b"), ("c", "d")]  # by rank: "ab" (1), then "abc" (0) before "cd" (2)
    check(
        student.call(f"{M}:apply_bpe", word, merges),
        ref[M].apply_bpe(word, merges),
        what=f"apply_bpe({word!r}, {merges})",
        mistakes=apply_mistakes(word, merges),
    )


@pytest.mark.points(2)
def test_encode_matches_reference(student, ref):
    """encode: every word through apply_bpe, tokens to ids, int64"""
    counts = corpus(8)
    merges = ref[M].train_bpe(counts, 50)
    vocab = ref[M].bpe_vocab(counts, merges)
    text = text_of(corpus(9, 80), 9)
    check(
        student.call(f"{M}:encode", text, vocab, merges),
        ref[M].encode(text, vocab, merges),
        what="encode(<text of 80 words>, vocab, merges)",
    )


@pytest.mark.points(2)
def test_encode_unknown_maps_to_unk(student, ref):
    """encode: a token not in the vocabulary maps to unk_token"""
    counts = corpus(10)
    merges = ref[M].train_bpe(counts, 30)
    vocab = ref[M].bpe_vocab(counts, merges, specials=("<pad>", "<unk>"))
    text = "lowest zebra naïve 日本語 q"
    what = f"encode({text!r}, vocab, merges)"
    try:
        got = student.call(f"{M}:encode", text, vocab, merges)
    except StudentError as error:
        if error.is_a("KeyError"):
            raise naming(
                f"{what}: your code raised KeyError ({error.message[:120]})",
                "no unk fallback: an unknown token must map to vocab[unk_token]",
            ) from None
        raise
    check(got, ref[M].encode(text, vocab, merges), what=what)


@pytest.mark.points(1)
def test_encode_without_unk_raises_naming_the_token(student):
    """encode: an unknown token with unk_token=None raises KeyError naming it"""
    check_raises(
        lambda: student.call(f"{M}:encode", "ab ☃", {"a": 0, "b</w>": 1}, [], unk_token=None),
        "KeyError",
        match="☃",
        what="encode('ab ☃', {'a': 0, 'b</w>': 1}, [], unk_token=None)",
    )


@pytest.mark.points(2)
def test_decode_round_trips(student, ref):
    """decode: tokens joined, "</w>" ends a word, one space between words"""
    counts = corpus(11)
    merges = ref[M].train_bpe(counts, 40)
    vocab = ref[M].bpe_vocab(counts, merges)
    text = text_of(corpus(12, 60), 12)
    ids = ref[M].encode(text, vocab, merges)
    ids = np.concatenate([ids, [vocab["l"], vocab["o"]]])  # a last word cut short
    expected = ref[M].decode(ids, vocab)
    tokens = {i: t for t, i in vocab.items()}
    joined = "".join(tokens[int(i)] for i in ids)
    check(
        student.call(f"{M}:decode", ids, vocab),
        expected,
        what=f"decode(<{len(ids)} ids>, vocab)",
        mistakes={
            "the end-of-word marker removed instead of turned into a space": joined.replace(EOW, ""),
            "the end-of-word marker left in the text": joined,
            "a space after every token instead of at the end-of-word marker": " ".join(
                tokens[int(i)].replace(EOW, "") for i in ids
            ),
        },
    )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_encode_unk_token_missing_from_vocab(student, ref):
    """encode: an unk_token that is not in vocab raises KeyError naming it, checked first (one_hot.encode's rule)"""
    counts = {"low": 2, "lower": 1}
    merges = ref[M].train_bpe(counts, 3)
    vocab = ref[M].bpe_vocab(counts, merges, specials=())  # no "<unk>" in it
    check_raises(
        lambda: student.call(f"{M}:encode", "low lower", vocab, merges, unk_token="<unk>"),
        "KeyError",
        match="<unk>",
        what="encode('low lower', <vocab without '<unk>'>, merges, unk_token='<unk>'), every token known",
    )
