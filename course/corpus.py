"""Next-token data from a real text: token ids cut into windows, and the baseline a model must beat.

The capstone of Part 3 tokenizes a corpus with the student's BPE (``embeddings.bpe``) and trains
the student's ``DecoderOnlyTransformer`` on it with :func:`course.trainer.train_lm`, which only
needs ``sample(num, generator)`` and ``vocab_size``: a :class:`TokenStream` has both. Held-out text
is the end of the corpus, never sampled in training.

Example::

    ids = torch.as_tensor(encode(text, vocab, merges))
    train, held_out = split_stream(ids, len(vocab), seq_len=32)
    train_lm(model, train, Recipe(train, steps=300), seed=0)
    mean_loss(model, held_out), unigram_loss(train, held_out)   # the model's loss is well below
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

# The capstone's settings: the notebook's (about a minute of CPU) and the kit's CI-sized check (a few seconds).
# bpe_seconds: the most the capstone's BPE may take (see train_bpe_within); a slower train_bpe learns fewer merges.
CAPSTONE = dict(num_merges=1000, seq_len=48, d_model=64, num_heads=4, num_layers=2, d_ff=256, steps=600, batch_size=32, lr=1e-2, warmup=30, bpe_seconds=60.0)
CAPSTONE_CI = dict(num_merges=300, seq_len=32, d_model=48, num_heads=4, num_layers=2, d_ff=192, steps=250, batch_size=32, lr=2e-2, warmup=30, bpe_seconds=20.0)
PROBE_MERGES = 30  # merges learnt first to measure what one costs with the student's train_bpe


@dataclass(frozen=True)
class TokenStream:
    """One long int64 sequence of token ids ``(N,)``, read in windows of ``seq_len + 1`` tokens."""

    ids: torch.Tensor
    vocab_size: int
    seq_len: int

    def __post_init__(self) -> None:
        if self.ids.dim() != 1 or len(self.ids) <= self.seq_len + 1:
            raise ValueError(f"need a 1-D stream longer than seq_len + 1 = {self.seq_len + 1}, got shape {tuple(self.ids.shape)}")

    def sample(self, num: int, generator: torch.Generator) -> torch.Tensor:
        """``num`` windows at random starts -> ``(num, seq_len + 1)``: a model reads ``[:, :-1]`` and predicts ``[:, 1:]``."""
        starts = torch.randint(0, len(self.ids) - self.seq_len, (num,), generator=generator)
        return self.ids[starts[:, None] + torch.arange(self.seq_len + 1)]

    def windows(self) -> torch.Tensor:
        """Every window that does not overlap the previous one's targets -> ``(M, seq_len + 1)``, for evaluation."""
        count = (len(self.ids) - 1) // self.seq_len
        starts = torch.arange(count) * self.seq_len
        return self.ids[starts[:, None] + torch.arange(self.seq_len + 1)]


def split_stream(ids: torch.Tensor, vocab_size: int, seq_len: int, held_out: float = 0.1) -> tuple[TokenStream, TokenStream]:
    """The first ``1 - held_out`` of the ids for training, the rest held out (a contiguous split: no window is in both)."""
    ids = torch.as_tensor(ids, dtype=torch.long)
    cut = int(len(ids) * (1.0 - held_out))
    return TokenStream(ids[:cut], vocab_size, seq_len), TokenStream(ids[cut:], vocab_size, seq_len)


def unigram_loss(train: TokenStream, held_out: TokenStream) -> float:
    """Cross-entropy (nats per token) on ``held_out`` of the unigram model of ``train`` (add-one smoothed).

    The baseline a language model must beat: it knows how often each token occurs, and nothing of
    the order. Scored on the same targets as :func:`mean_loss` (each window's ``[1:]``).
    """
    counts = torch.bincount(train.ids, minlength=train.vocab_size).double() + 1.0
    log_probs = torch.log(counts / counts.sum())
    targets = held_out.windows()[:, 1:].reshape(-1)
    return float(-log_probs[targets].mean())


def mean_loss(model: nn.Module, held_out: TokenStream, batch_size: int = 64) -> float:
    """The model's mean next-token cross-entropy (nats per token) over ``held_out.windows()``."""
    windows = held_out.windows()
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for batch in windows.split(batch_size):
            logits = model(batch[:, :-1])
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), reduction="sum"))
            count += batch[:, 1:].numel()
    return total / count


def perplexity(loss: float) -> float:
    """``exp(loss)``: the number of equally likely tokens the model is, on average, choosing from."""
    return math.exp(loss)


def train_bpe_within(
    train_bpe: Callable[[dict[str, int], int], list[tuple[str, str]]],
    word_counts: dict[str, int],
    num_merges: int,
    seconds: float,
) -> tuple[list[tuple[str, str]], str]:
    """``(merges, a line that says what they cost)``: the student's ``train_bpe``, held to about ``seconds`` of wall time.

    A trainer that recounts every pair after each merge (the plain one of Part 1's hint) pays the same
    for every merge: about 0.1 s each on Lee, minutes for 1,000. The incremental one (only the words
    that hold the merged pair are recounted) learns 1,000 in about a second. ``PROBE_MERGES`` merges
    first measure which one this is; when ``num_merges`` would take longer than ``seconds``, as many
    merges as fit are learnt instead (fewer merges, a smaller vocabulary, the same pipeline), and the
    line says so. Wall time is printed beside CPU time: on a busy machine they differ.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    merges = train_bpe(word_counts, min(PROBE_MERGES, num_merges))
    per_merge = (time.perf_counter() - wall) / max(len(merges), 1)
    fits = max(PROBE_MERGES, int(seconds / per_merge)) if per_merge > 0 else num_merges
    wanted = min(num_merges, fits)
    if wanted > len(merges) and len(merges) == min(PROBE_MERGES, num_merges):  # an early stop means no pair was left
        merges = train_bpe(word_counts, wanted)
    line = (
        f"BPE: {len(merges)} merges in {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
        f"(about {per_merge * 1000:.0f} ms per merge)"
    )
    if wanted < num_merges:
        line += (
            f"; {num_merges} merges would take about {per_merge * num_merges:.0f} s with your train_bpe, more than "
            f"settings['bpe_seconds'] = {seconds:g}, so {wanted} were learnt. The incremental trainer of Part 1's "
            "hint (recount only the words that hold the merged pair) learns 1,000 in about a second; or raise "
            "settings['bpe_seconds']"
        )
    return merges, line
