"""The Part 3 capstone, CI-sized, on the reference: BPE on the Lee corpus, a DecoderOnlyTransformer
trained on its tokens by the course trainer, generation from a prompt, and one head's attention.

The trained model's held-out loss must be well below a unigram model's (which knows each token's
frequency and nothing of order); the notebook runs the same pipeline with ``CAPSTONE``."""

import time

import pytest
import torch
from gensim.test.utils import datapath

from autograder.grading.loader import reference
from course.corpus import CAPSTONE_CI, TokenStream, mean_loss, split_stream, unigram_loss
from course.trainer import Recipe, train_lm

REF = reference()
BPE, MODELS = REF["bpe"], REF["models"]
S = CAPSTONE_CI


@pytest.fixture(scope="module")
def capstone():
    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        lee = f.read()
    counts = BPE.word_counts(lee)
    merges = BPE.train_bpe(counts, S["num_merges"])
    vocab = BPE.bpe_vocab(counts, merges)
    ids = torch.as_tensor(BPE.encode(lee, vocab, merges))
    train, held_out = split_stream(ids, len(vocab), S["seq_len"])
    torch.manual_seed(0)
    model = MODELS.DecoderOnlyTransformer(
        vocab_size=len(vocab), max_len=S["seq_len"], **{k: S[k] for k in ("d_model", "num_heads", "num_layers", "d_ff")}
    )
    recipe = Recipe(train, steps=S["steps"], batch_size=S["batch_size"], lr=S["lr"], warmup=S["warmup"])
    start = time.process_time()
    losses = train_lm(model, train, recipe, seed=0)
    seconds = time.process_time() - start
    return dict(lee=lee, vocab=vocab, merges=merges, ids=ids, train=train, held_out=held_out, model=model, losses=losses, seconds=seconds)


def test_tokens_are_sub_words_and_round_trip(capstone):
    vocab, ids = capstone["vocab"], capstone["ids"]
    assert len(vocab) == len(BPE.bpe_vocab(BPE.word_counts(capstone["lee"]), [])) + S["num_merges"]
    words = len(capstone["lee"].split())
    assert words < len(ids) < 3 * words  # more tokens than words (sub-words), far fewer than characters
    assert BPE.decode(ids, vocab) == " ".join(capstone["lee"].split())


def test_held_out_loss_is_well_below_the_unigram_baseline(capstone):
    loss = mean_loss(capstone["model"], capstone["held_out"])
    baseline = unigram_loss(capstone["train"], capstone["held_out"])
    assert loss < baseline - 0.3, f"held-out {loss:.3f} nats/token, unigram {baseline:.3f}"
    assert capstone["seconds"] < 60, f"training took {capstone['seconds']:.0f} s of CPU"


def test_generation_greedy_and_sampled_decodes_to_text(capstone):
    vocab, merges, model = capstone["vocab"], capstone["merges"], capstone["model"]
    prompt = torch.as_tensor(BPE.encode("The government said", vocab, merges))[None]
    greedy = MODELS.generate(model, prompt, max_new_tokens=20, temperature=0.0)
    again = MODELS.generate(model, prompt, max_new_tokens=20, temperature=0.0)
    sampled = MODELS.generate(model, prompt, 20, temperature=0.8, top_k=20, generator=torch.Generator().manual_seed(0))
    assert torch.equal(greedy, again) and greedy.shape == sampled.shape == (1, prompt.shape[1] + 20)
    for out in (greedy, sampled):
        assert torch.equal(out[:, : prompt.shape[1]], prompt)
        assert BPE.decode(out[0], vocab).startswith("The government said")


def test_one_heads_attention_over_sub_word_tokens(capstone):
    model, held_out = capstone["model"], capstone["held_out"]
    tokens = held_out.windows()[:1, :24]
    captured = []
    hook = model.layers[0].self_attn.register_forward_hook(lambda module, args, output: captured.append(output[1]))
    with torch.no_grad():
        model(tokens)
    hook.remove()
    weights = captured[0][0, 0]  # (L, L) of head 0
    assert weights.shape == (24, 24)
    torch.testing.assert_close(weights.sum(-1), torch.ones(24))
    assert torch.all(weights.triu(1) == 0)  # causal: no token looks ahead


def test_token_stream_windows():
    stream = TokenStream(torch.arange(20), vocab_size=20, seq_len=4)
    windows = stream.windows()
    assert windows.tolist()[:2] == [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8]] and windows.shape == (4, 5)
    batch = stream.sample(7, torch.Generator().manual_seed(0))
    assert batch.shape == (7, 5) and torch.all(batch[:, 1:] - batch[:, :-1] == 1)
    with pytest.raises(ValueError):
        TokenStream(torch.arange(5), vocab_size=5, seq_len=4)
