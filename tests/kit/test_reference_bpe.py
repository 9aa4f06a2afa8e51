"""The reference BPE against Hugging Face ``tokenizers`` on a real corpus (gensim's Lee corpus):
``BpeTrainer`` for the merges, the vocabulary and its ids, the ``BPE`` model for the tokens of
every word, ``BPEDecoder`` for the text.

``BpeTrainer`` gives the marked last characters (``"w</w>"``) ids in the order of a Rust hash map,
which changes from run to run, and ties between two pairs that differ only in such a symbol
follow that order: on Lee, two runs of ``tokenizers`` part ways after about 1,500 merges. The
exact comparison therefore hands ``BpeTrainer`` the initial symbols as special tokens, in the
reference's order (``tokenizers`` gives a special token its id first and never re-adds it), so
that both start from the same ids; a plain run is compared on what it fixes itself. (The training
times are compared by `make bench`: bench/bpe_vs_tokenizers.py.)
"""

import json
import random

import pytest
from gensim.test.utils import datapath
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from autograder.grading.loader import reference

BPE = reference()["bpe"]
EOW = "</w>"


@pytest.fixture(scope="module")
def lee_text() -> str:
    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        return f.read()


def hf_train(text: str, vocab_size: int, specials: list[str]) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix=EOW))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, end_of_word_suffix=EOW, show_progress=False)
    tokenizer.train_from_iterator(text.splitlines(), trainer)
    return tokenizer


def hf_merges(tokenizer: Tokenizer) -> list[tuple[str, str]]:
    return [tuple(pair) for pair in json.loads(tokenizer.to_str())["model"]["merges"]]


def hf_model(vocab: dict[str, int], merges: list[tuple[str, str]]) -> Tokenizer:
    """A tokenizer with only the BPE model (no added tokens), the whitespace split and the decoder."""
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", end_of_word_suffix=EOW))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.decoder = decoders.BPEDecoder(suffix=EOW)
    return tokenizer


@pytest.fixture(scope="module")
def trained(lee_text):
    """``(word counts, merges, vocab, tokenizers' merges, tokenizers' vocab)`` after 3,000 merges on Lee."""
    counts = BPE.word_counts(lee_text)
    initial = BPE.bpe_vocab(counts, [])  # "<unk>", the alphabet, the marked last characters
    hf = hf_train(lee_text, len(initial) + 3000, list(initial))
    theirs = hf_merges(hf)
    merges = BPE.train_bpe(counts, len(theirs))
    return counts, merges, BPE.bpe_vocab(counts, merges), theirs, hf.get_vocab()


def test_word_counts_are_the_trainers_words(lee_text):
    counts = BPE.word_counts(lee_text)
    assert list(counts) == list(dict.fromkeys(lee_text.split()))
    assert sum(counts.values()) == len(pre_tokenizers.WhitespaceSplit().pre_tokenize_str(lee_text))


def test_merges_equal_tokenizers(trained):
    _, merges, _, theirs, _ = trained
    assert len(theirs) == 3000
    assert merges == theirs


def test_vocabulary_and_ids_equal_tokenizers(trained):
    _, _, vocab, _, theirs = trained
    assert vocab == theirs


def test_training_to_exhaustion_stops_where_tokenizers_stops(lee_text):
    """Asked for more merges than there are pairs, both stop when no word has two symbols left."""
    counts = {w: c for w, c in BPE.word_counts(lee_text).items() if w[:1] in "ab"}
    text = " ".join(w for w, c in counts.items() for _ in range(c))
    initial = BPE.bpe_vocab(counts, [])
    theirs = hf_merges(hf_train(text, len(initial) + 10**6, list(initial)))
    merges = BPE.train_bpe(counts, 10**6)
    assert merges == theirs
    assert all(len(BPE.apply_bpe(w, merges)) == 1 for w in counts)


def test_a_plain_tokenizers_run_agrees_on_what_it_fixes(lee_text, trained):
    """Without the pinned ids: the alphabet has the same ids (by code point), the marked last
    characters are the same set at the same ids in another order, and the first 1,000 merges,
    long before a tie turns on that order, are the same."""
    counts, merges, vocab, _, _ = trained
    plain = hf_train(lee_text, len(vocab), ["<unk>"])
    theirs = plain.get_vocab()
    alphabet = {t: i for t, i in vocab.items() if not t.endswith(EOW) and len(t) == 1}
    assert {t: theirs[t] for t in alphabet} == alphabet
    marked = {t: i for t, i in vocab.items() if t.endswith(EOW) and len(t) == 1 + len(EOW)}
    assert {t for t in theirs if t.endswith(EOW) and len(t) == 1 + len(EOW)} == set(marked)
    assert sorted(theirs[t] for t in marked) == sorted(marked.values())
    assert hf_merges(plain)[:1000] == merges[:1000]


def test_every_word_of_the_corpus_encodes_and_decodes_as_tokenizers(trained):
    counts, merges, vocab, _, _ = trained
    hf = hf_model(vocab, merges)
    words = list(counts)
    for word, encoding in zip(words, hf.encode_batch(words)):
        assert BPE.apply_bpe(word, merges) == encoding.tokens, word
        ids = BPE.encode(word, vocab, merges)
        assert ids.tolist() == encoding.ids, word
        assert BPE.decode(ids, vocab) == word == hf.decode(encoding.ids)


def test_a_whole_text_round_trips(lee_text, trained):
    _, merges, vocab, _, _ = trained
    hf = hf_model(vocab, merges)
    ids = BPE.encode(lee_text, vocab, merges)
    assert ids.dtype.name == "int64"
    assert ids.tolist() == hf.encode(lee_text).ids
    assert BPE.decode(ids, vocab) == " ".join(lee_text.split()) == hf.decode(ids.tolist())


def test_unknown_characters_map_to_unk_as_tokenizers_does(trained):
    _, merges, vocab, _, _ = trained
    text = "naïve café 日本 Zürich 🙂ok x🙂y ☃"
    assert BPE.encode(text, vocab, merges).tolist() == hf_model(vocab, merges).encode(text).ids
    assert vocab["<unk>"] in BPE.encode(text, vocab, merges).tolist()
    with pytest.raises(KeyError, match="☃"):
        BPE.encode("☃", vocab, merges, unk_token=None)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_apply_bpe_by_rank_with_merges_in_any_order(trained, seed):
    """Merges are applied by rank, whatever their order in the list: shuffled merges give tokenizers' tokens too.

    ``tokenizers`` merges one occurrence at a time (the leftmost of the lowest rank), the reference
    every occurrence of the pair at once (as GPT-2's ``bpe`` does). With merges in learnt order the
    two are the same (a pair that contains a new symbol was learnt after it); in any order they
    differ only where a pair occurs twice in a word, which needs a repeated character bigram: the
    words compared here have none.
    """
    counts, merges, _, _, _ = trained
    shuffled = merges[:800]
    random.Random(seed).shuffle(shuffled)
    vocab = BPE.bpe_vocab(counts, shuffled)
    hf = hf_model(vocab, shuffled)
    words = [w for w in counts if len(set(zip(w, w[1:]))) == len(w) - 1]
    assert len(words) > 5000
    assert [BPE.apply_bpe(w, shuffled) for w in words] == [e.tokens for e in hf.encode_batch(words)]


def test_sennrich_example_equals_tokenizers():
    counts = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
    text = " ".join(w for w, c in counts.items() for _ in range(c))
    initial = BPE.bpe_vocab(counts, [])
    hf = hf_train(text, 10**4, list(initial))
    assert BPE.train_bpe(counts, 10**4) == hf_merges(hf)
    assert BPE.train_bpe(counts, 3) == [("e", "s"), ("es", "t</w>"), ("l", "o")]
