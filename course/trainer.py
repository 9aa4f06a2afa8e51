"""A small, seeded trainer for the toy tasks of :mod:`course.tasks`, and token-accuracy metrics.

It works with any model of the curriculum's interface and never imports one itself:

- a sequence-to-sequence model: ``model(src (B, Ls), tgt (B, Lt)) -> logits (B, Lt, V)`` (``Transformer``);
- a language model: ``model(tokens (B, L)) -> logits (B, L, V)`` (``DecoderOnlyTransformer``).

Training is teacher forcing with Adam: the decoder reads the target shifted right
(``tgt[:, :-1]``, starting with BOS) and learns to predict ``tgt[:, 1:]`` with the cross-entropy,
padding ignored. ``train_*`` first re-initialises the parameters from the seed (Xavier-uniform
for matrices, zeros for biases, LayerNorm weights left at one, as in the Annotated Transformer),
visiting them by name, so two models with the same parameter names start from the same weights
whatever order their constructors built them in. With a seed, a run is deterministic.

Example (train a Transformer on the copy task, then measure it on held-out sequences)::

    recipe = RECIPES["copy"]
    torch.manual_seed(0)
    model = Transformer(**recipe.model_kwargs)
    train_seq2seq(model, recipe.task, recipe, seed=0)
    src, tgt = recipe.task.sample(200, make_generator(EVAL_SEED))
    predictions = greedy_decode(model.eval(), src, recipe.task.tgt_len, BOS_ID, EOS_ID)
    sequence_accuracy(predictions, tgt)   # >= 0.95
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course.tasks import PAD_ID, MarkovLanguage, SequenceTask, make_generator

EVAL_SEED = 987_654  # held-out data comes from a generator the training data never uses


@dataclass(frozen=True)
class Recipe:
    """What to build and how long to train: tuned so a correct model learns its task in a few CPU seconds."""

    task: Any  # a SequenceTask or a MarkovLanguage
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    steps: int = 250
    batch_size: int = 64
    lr: float = 2e-2
    warmup: int = 30
    clip: float = 1.0


def _seq2seq_recipe(name: str) -> Recipe:
    task = SequenceTask(name, vocab_size=11, min_len=3, max_len=8)
    model_kwargs = dict(
        src_vocab_size=task.vocab_size, tgt_vocab_size=task.vocab_size, d_model=32, num_heads=4,
        num_encoder_layers=1, num_decoder_layers=1, d_ff=64, dropout=0.0, max_len=32, pad_id=PAD_ID,
    )
    return Recipe(task, model_kwargs, steps=250, batch_size=64, lr=2e-2, warmup=30)


def _lm_recipe() -> Recipe:
    language = MarkovLanguage(num_symbols=8, seq_len=16, noise=0.1)
    model_kwargs = dict(vocab_size=language.vocab_size, d_model=32, num_heads=4, num_layers=2, d_ff=64, max_len=language.seq_len, dropout=0.0)
    return Recipe(language, model_kwargs, steps=250, batch_size=64, lr=2e-2, warmup=30)


RECIPES: dict[str, Recipe] = {"copy": _seq2seq_recipe("copy"), "reverse": _seq2seq_recipe("reverse"), "language": _lm_recipe()}


def reinitialize(model: nn.Module, seed: int) -> None:
    """Xavier-uniform for every parameter with 2+ dimensions, zeros for every ``*bias``, by sorted name."""
    g = make_generator(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if p.dim() > 1:
                nn.init.xavier_uniform_(p, generator=g)
            elif name.endswith("bias"):
                p.zero_()


def _schedule(step: int, recipe: Recipe) -> float:
    """Learning-rate factor: linear warm-up, then cosine decay to zero."""
    if step < recipe.warmup:
        return (step + 1) / recipe.warmup
    progress = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one CPU thread: for models this small, more threads only add synchronisation
    (and on a busy machine, threads that wait for each other can make training ten times slower)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def _fit(model: nn.Module, recipe: Recipe, seed: int, reinit: bool, loss_of: Any) -> list[float]:
    with one_thread():
        return _fit_loop(model, recipe, seed, reinit, loss_of)


def _fit_loop(model: nn.Module, recipe: Recipe, seed: int, reinit: bool, loss_of: Any) -> list[float]:
    torch.manual_seed(seed)  # dropout draws from torch's global generator
    if reinit:
        reinitialize(model, seed)
    data = make_generator(seed)
    # foreach: each step updates all parameters in a few calls instead of a Python loop over them; the same arithmetic
    # (the trained weights are bit for bit the loop's: tests/kit/test_course_trainer.py), a tenth less CPU at this size
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, betas=(0.9, 0.98), eps=1e-9, foreach=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _schedule(step, recipe))
    model.train()
    losses = []
    for _ in range(recipe.steps):
        loss = loss_of(data)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
    model.eval()
    return losses


def train_seq2seq(model: nn.Module, task: SequenceTask, recipe: Recipe, seed: int = 0, reinit: bool = True) -> list[float]:
    """Teacher-forced training of ``model(src, tgt_in)`` on ``task``; returns the loss of every step; leaves the model in eval mode."""

    def loss_of(data: torch.Generator) -> torch.Tensor:
        src, tgt = task.sample(recipe.batch_size, data)
        logits = model(src, tgt[:, :-1])  # (B, Lt - 1, V): position t predicts tgt[:, t + 1]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1), ignore_index=PAD_ID)

    return _fit(model, recipe, seed, reinit, loss_of)


def train_lm(model: nn.Module, language: MarkovLanguage, recipe: Recipe, seed: int = 0, reinit: bool = True) -> list[float]:
    """Next-token training of ``model(tokens)`` on sequences of ``language``; returns the loss of every step; leaves the model in eval mode."""

    def loss_of(data: torch.Generator) -> torch.Tensor:
        tokens = language.sample(recipe.batch_size, data)  # (B, seq_len + 1)
        logits = model(tokens[:, :-1])  # (B, seq_len, V): position t predicts tokens[:, t + 1]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))

    return _fit(model, recipe, seed, reinit, loss_of)


def token_accuracy(predictions: torch.Tensor, targets: torch.Tensor, pad_id: int = PAD_ID) -> float:
    """Fraction of the non-padding ``targets`` positions where ``predictions`` (same shape) is equal."""
    real = targets != pad_id
    return int(((predictions == targets) & real).sum()) / max(1, int(real.sum()))


def sequence_accuracy(predictions: torch.Tensor, targets: torch.Tensor, pad_id: int = PAD_ID) -> float:
    """Token accuracy of decoded sequences ``(N, T')`` against targets ``(N, T)`` (both start with BOS).

    The predictions are padded (or cut) to ``T`` columns; BOS is not counted, EOS is.
    """
    width = targets.shape[1]
    aligned = torch.full_like(targets, pad_id)
    n = min(width, predictions.shape[1])
    aligned[:, :n] = predictions[:, :n]
    return token_accuracy(aligned[:, 1:], targets[:, 1:], pad_id)


def teacher_forced_accuracy(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, pad_id: int = PAD_ID) -> float:
    """Token accuracy of ``argmax model(src, tgt[:, :-1])`` against ``tgt[:, 1:]``."""
    with torch.no_grad():
        predictions = model(src, tgt[:, :-1]).argmax(-1)
    return token_accuracy(predictions, tgt[:, 1:], pad_id)


def lm_accuracy(logits: torch.Tensor, tokens: torch.Tensor, language: MarkovLanguage) -> float:
    """How often the model's most likely next token is the language's most likely one (positions ``t >= 2``).

    ``logits (N, L, V)`` are the model's output for ``tokens (N, L)``, e.g.
    ``tokens = language.sample(n, g)[:, :-1]`` (a model's context is ``seq_len`` long).
    """
    predictions = logits[:, language.first_predicted :].argmax(-1)
    return float((predictions == language.most_likely_next(tokens)).double().mean())
