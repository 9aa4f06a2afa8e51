"""The course's tasks and trainer (course/), checked on their own: the data follow their
documented conventions, everything is deterministic for a seed, and the trainer works with any
model of the right interface (here tiny models that are not Transformers)."""

import pytest
import torch
from torch import nn

from course.tasks import BOS_ID, EOS_ID, NUM_SPECIALS, PAD_ID, MarkovLanguage, SequenceTask, make_generator
from course.trainer import (
    RECIPES,
    Recipe,
    lm_accuracy,
    reinitialize,
    sequence_accuracy,
    teacher_forced_accuracy,
    token_accuracy,
    train_lm,
    train_seq2seq,
)


def symbols_of(row: torch.Tensor) -> list[int]:
    """The symbols of a source or target row: everything before EOS, after BOS."""
    ids = row.tolist()
    ids = ids[1:] if ids[0] == BOS_ID else ids
    return ids[: ids.index(EOS_ID)]


@pytest.mark.parametrize("name", ["copy", "reverse"])
def test_sequence_task_layout(name):
    task = SequenceTask(name, vocab_size=9, min_len=2, max_len=6)
    src, tgt = task.sample(200, make_generator(0))
    assert src.dtype == tgt.dtype == torch.int64
    assert src.shape == (200, 7) and tgt.shape == (200, 8)
    assert (tgt[:, 0] == BOS_ID).all()
    lengths = set()
    for s, t in zip(src, tgt):
        symbols = symbols_of(s)
        lengths.add(len(symbols))
        assert all(NUM_SPECIALS <= x < 9 for x in symbols)
        answer = symbols if name == "copy" else symbols[::-1]
        assert symbols_of(t) == answer
        n = len(symbols)
        assert (s[n + 1 :] == PAD_ID).all() and (t[n + 2 :] == PAD_ID).all()
        assert int((s == EOS_ID).sum()) == 1 and int((t == EOS_ID).sum()) == 1
    assert lengths == set(range(2, 7))


def test_sequence_task_is_seeded():
    task = SequenceTask("reverse")
    a, b, c = (task.sample(50, make_generator(s)) for s in (3, 3, 4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_sequence_task_rejects_bad_settings():
    with pytest.raises(ValueError):
        SequenceTask("sort")
    with pytest.raises(ValueError):
        SequenceTask("copy", min_len=5, max_len=3)


def test_language_follows_its_rule():
    language = MarkovLanguage(num_symbols=6, seq_len=30, noise=0.2, seed=3)
    tokens = language.sample(2000, make_generator(1))
    assert tokens.shape == (2000, 31) and (tokens[:, 0] == BOS_ID).all()
    assert ((tokens[:, 1:] >= NUM_SPECIALS) & (tokens[:, 1:] < language.vocab_size)).all()
    ruled = language.most_likely_next(tokens[:, :-1])  # the prediction after positions 2..29, for tokens 3..30
    follows = (tokens[:, 3:] == ruled).double().mean()
    assert abs(float(follows) - (0.8 + 0.2 / 6)) < 0.01  # a noisy draw can hit the rule's token too
    # Every row of the rule is a permutation: each symbol can follow each pair context.
    assert all(sorted(row.tolist()) == list(range(NUM_SPECIALS, NUM_SPECIALS + 6)) for row in language.rule)


def test_language_probabilities():
    language = MarkovLanguage(num_symbols=5, seq_len=8, noise=0.1)
    tokens = language.sample(7, make_generator(2))
    probs = language.next_token_probs(tokens)
    assert probs.shape == (7, tokens.shape[1] - 2, language.vocab_size)
    torch.testing.assert_close(probs.sum(-1), torch.ones(probs.shape[:-1], dtype=torch.float64))
    assert torch.equal(probs.argmax(-1), language.most_likely_next(tokens))
    assert (probs[..., :NUM_SPECIALS] == 0).all()
    assert torch.allclose(probs.max(-1).values, torch.tensor(0.9 + 0.1 / 5, dtype=torch.float64))


def test_language_rule_depends_on_seed_only():
    assert torch.equal(MarkovLanguage(seed=5).rule, MarkovLanguage(seed=5).rule)
    assert not torch.equal(MarkovLanguage(seed=5).rule, MarkovLanguage(seed=6).rule)


def test_token_and_sequence_accuracy_by_hand():
    targets = torch.tensor([[1, 5, 6, 2, 0], [1, 7, 2, 0, 0]])
    assert token_accuracy(torch.tensor([[1, 5, 6, 2, 9], [1, 7, 2, 9, 9]]), targets) == 1.0  # padding positions do not count
    # Decoded sequences may be shorter (early stop) or longer; BOS is not scored, EOS is.
    predictions = torch.tensor([[1, 5, 9, 2], [1, 7, 3, 2]])
    assert sequence_accuracy(predictions, targets) == pytest.approx(3 / 5)  # 6 -> 9 and 2 -> 3 are wrong
    assert sequence_accuracy(torch.tensor([[1, 5, 6, 2, 0, 0, 0], [1, 7, 2, 0, 0, 0, 0]]), targets) == 1.0


def test_lm_accuracy_by_hand():
    language = MarkovLanguage(num_symbols=4, seq_len=6)
    tokens = language.sample(3, make_generator(0))[:, :-1]
    truth = language.most_likely_next(tokens)  # (3, 4): after positions 2..5
    logits = torch.zeros(3, 6, language.vocab_size)
    logits[:, 2:].scatter_(-1, truth[..., None], 1.0)
    assert lm_accuracy(logits, tokens, language) == 1.0
    logits[0, 2] = 0.0
    logits[0, 2, 0] = 1.0
    assert lm_accuracy(logits, tokens, language) == pytest.approx(11 / 12)


class BagSeq2Seq(nn.Module):
    """Not a Transformer: a position-wise model of the right interface (it can learn copy of the first tokens only)."""

    def __init__(self, vocab: int, width: int = 16, length: int = 12) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(length, width)
        self.tgt_embed = nn.Embedding(vocab, width)
        self.out = nn.Linear(2 * width, vocab)

    def forward(self, src, tgt):
        context = self.src_embed(src).mean(1, keepdim=True).expand(-1, tgt.shape[1], -1)
        positions = self.pos(torch.arange(tgt.shape[1]))[None]
        return self.out(torch.cat([context, self.tgt_embed(tgt) + positions], -1))


class BigramLM(nn.Module):
    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.head = nn.Linear(16, vocab)

    def forward(self, tokens):
        return self.head(self.embed(tokens))


def test_trainer_is_model_agnostic_and_reduces_the_loss():
    task = SequenceTask("copy", vocab_size=8, min_len=1, max_len=3)
    recipe = Recipe(task, steps=60, batch_size=32, lr=1e-2, warmup=5)
    model = BagSeq2Seq(8)
    losses = train_seq2seq(model, task, recipe, seed=0)
    assert len(losses) == 60 and sum(losses[-10:]) < 0.8 * sum(losses[:10])
    assert not model.training  # left in eval mode
    src, tgt = task.sample(100, make_generator(9))
    assert 0.0 <= teacher_forced_accuracy(model, src, tgt) <= 1.0


def test_lm_training_learns_a_first_order_chain():
    # A bigram model cannot learn the second-order rule but gets the loss down from uniform.
    language = MarkovLanguage(num_symbols=4, seq_len=8)
    recipe = Recipe(language, steps=80, batch_size=32, lr=3e-2, warmup=5)
    losses = train_lm(BigramLM(language.vocab_size), language, recipe, seed=0)
    assert losses[-1] < losses[0]


def test_training_is_deterministic_for_a_seed():
    task = SequenceTask("reverse", vocab_size=8, min_len=1, max_len=3)
    recipe = Recipe(task, steps=15, batch_size=16, lr=1e-2, warmup=3)
    states = []
    for seed in (4, 4, 5):
        torch.manual_seed(100 + len(states))  # a different construction: reinitialisation makes it irrelevant
        model = BagSeq2Seq(8)
        train_seq2seq(model, task, recipe, seed=seed)
        states.append(model.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert not all(torch.equal(states[0][k], states[2][k]) for k in states[0])


def test_the_foreach_optimizer_trains_bit_for_bit_like_the_loop(monkeypatch):
    """The trainer's Adam updates all parameters at once (cheaper per submission); the weights are the per-parameter
    loop's exactly, so the behaviour tests' margins (bench/behaviour_margin.py) are the loop's too."""
    task = SequenceTask("reverse", vocab_size=8, min_len=1, max_len=3)
    recipe = Recipe(task, steps=15, batch_size=16, lr=1e-2, warmup=3)
    states, made = [], []
    adam = torch.optim.Adam

    def recording(params, **kwargs):
        made.append(kwargs.get("foreach"))
        return adam(params, **kwargs)

    monkeypatch.setattr(torch.optim, "Adam", recording)
    for foreach in (True, False):
        model = BagSeq2Seq(8)
        if not foreach:  # the same trainer with the loop forced
            monkeypatch.setattr(torch.optim, "Adam", lambda params, **kwargs: adam(params, **{**kwargs, "foreach": False}))
        train_seq2seq(model, task, recipe, seed=2)
        states.append(model.state_dict())
    assert made == [True]  # the trainer asked for foreach itself
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_reinitialize_ignores_construction_order():
    class A(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Linear(3, 4)
            self.second = nn.Linear(4, 5)

    class B(nn.Module):  # the same parameters, registered in the other order
        def __init__(self):
            super().__init__()
            self.second = nn.Linear(4, 5)
            self.first = nn.Linear(3, 4)

    a, b = A(), B()
    reinitialize(a, 7)
    reinitialize(b, 7)
    for name, p in a.named_parameters():
        assert torch.equal(p, dict(b.named_parameters())[name])
    assert (a.first.bias == 0).all()
    bound = (6 / (3 + 4)) ** 0.5
    assert a.first.weight.abs().max() <= bound


def test_recipes_are_consistent():
    for name in ("copy", "reverse"):
        recipe = RECIPES[name]
        assert recipe.task.name == name
        assert recipe.model_kwargs["src_vocab_size"] == recipe.model_kwargs["tgt_vocab_size"] == recipe.task.vocab_size
        assert recipe.model_kwargs["max_len"] >= recipe.task.tgt_len and recipe.model_kwargs["pad_id"] == PAD_ID
    language = RECIPES["language"]
    assert language.model_kwargs["vocab_size"] == language.task.vocab_size
    assert language.model_kwargs["max_len"] == language.task.seq_len


def test_trainer_restores_the_thread_count():
    before = torch.get_num_threads()
    task = SequenceTask("copy", vocab_size=6, min_len=1, max_len=2)
    train_seq2seq(BagSeq2Seq(6), task, Recipe(task, steps=2, batch_size=4, warmup=1), seed=0)
    assert torch.get_num_threads() == before
