"""Toy tasks for Part 3: small enough to learn on a laptop CPU in seconds, hard enough to need attention.

Token ids shared by every task (the ``pad_id``, ``bos_id``, ``eos_id`` of the models):

    PAD_ID = 0   padding, ignored by the loss and the metrics
    BOS_ID = 1   begins every target sequence (the decoder's first input)
    EOS_ID = 2   ends every source and target sequence
    3 .. V-1     the symbols

Sequence-to-sequence (``SequenceTask``, for ``Transformer``): a source is ``n`` random symbols
(``min_len <= n <= max_len``) then ``EOS``, padded with ``PAD``; its target is ``BOS``, the
answer, ``EOS``, padded. ``copy`` answers the symbols, ``reverse`` answers them backwards::

    src  5 9 4 2 0 0            (symbols 5 9 4, EOS, padding)
    copy    1 5 9 4 2 0 0       reverse 1 4 9 5 2 0 0

Language modelling (``MarkovLanguage``, for ``DecoderOnlyTransformer``): a sequence is ``BOS``,
two uniform random symbols, then every next symbol follows a fixed, seeded rule of the two before
it, ``rule[a, b]``, with probability ``1 - noise`` and is uniform otherwise. The next-token
distribution is therefore known exactly, and a model has learnt the language when its most
likely next token is ``rule[a, b]``. One previous token is not enough to predict the next one,
so the model must use attention and positions.

Everything that samples takes a ``torch.Generator`` and is deterministic for its seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

PAD_ID = 0
BOS_ID = 1
EOS_ID = 2
NUM_SPECIALS = 3
TASK_NAMES = ("copy", "reverse")


def make_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed``."""
    return torch.Generator().manual_seed(seed)


@dataclass(frozen=True)
class SequenceTask:
    """The copy or reverse task over ``vocab_size - 3`` symbols and sources of ``min_len..max_len`` symbols."""

    name: str = "copy"
    vocab_size: int = 11
    min_len: int = 3
    max_len: int = 8

    def __post_init__(self) -> None:
        if self.name not in TASK_NAMES:
            raise ValueError(f"unknown task {self.name!r}; expected one of {TASK_NAMES}")
        if self.vocab_size <= NUM_SPECIALS or not 1 <= self.min_len <= self.max_len:
            raise ValueError(f"bad task sizes: {self}")

    @property
    def src_len(self) -> int:
        """Columns of a source batch: the longest source and its EOS."""
        return self.max_len + 1

    @property
    def tgt_len(self) -> int:
        """Columns of a target batch: BOS, the longest answer, EOS; also the ``max_len`` to decode with."""
        return self.max_len + 2

    def answer(self, symbols: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The answer to ``symbols (N, max_len)`` whose first ``lengths[i]`` entries are real; the rest is padding."""
        if self.name == "copy":
            return symbols
        j = torch.arange(symbols.shape[1])
        source_index = (lengths[:, None] - 1 - j).clamp(min=0)  # (N, max_len): reading backwards
        return symbols.gather(1, source_index)

    def sample(self, num: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``num`` examples -> ``(src (num, src_len), tgt (num, tgt_len))``, int64."""
        lengths = torch.randint(self.min_len, self.max_len + 1, (num,), generator=generator)
        symbols = torch.randint(NUM_SPECIALS, self.vocab_size, (num, self.max_len), generator=generator)
        j = torch.arange(self.max_len)
        real = j[None, :] < lengths[:, None]  # (N, max_len)
        src = torch.full((num, self.src_len), PAD_ID, dtype=torch.long)
        src[:, : self.max_len] = symbols.masked_fill(~real, PAD_ID)
        src.scatter_(1, lengths[:, None], EOS_ID)
        tgt = torch.full((num, self.tgt_len), PAD_ID, dtype=torch.long)
        tgt[:, 0] = BOS_ID
        tgt[:, 1 : self.max_len + 1] = self.answer(symbols, lengths).masked_fill(~real, PAD_ID)
        tgt.scatter_(1, lengths[:, None] + 1, EOS_ID)
        return src, tgt


def _rule(num_symbols: int, seed: int) -> torch.Tensor:
    """A seeded table ``rule[a, b]`` of symbol ids (``a``, ``b`` symbol indices 0..num_symbols-1)."""
    g = make_generator(seed)
    # Each row is a permutation, so every next symbol is reachable from every previous one and the
    # language uses all symbols about equally often.
    rows = [torch.randperm(num_symbols, generator=g) for _ in range(num_symbols)]
    return torch.stack(rows) + NUM_SPECIALS  # (K, K) of ids


@dataclass(frozen=True)
class MarkovLanguage:
    """A second-order Markov chain over ``num_symbols`` symbols with a known next-token distribution."""

    num_symbols: int = 8
    seq_len: int = 16  # the context a model reads
    noise: float = 0.1
    seed: int = 1234
    rule: torch.Tensor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.seq_len < 4 or not 0.0 <= self.noise < 1.0:
            raise ValueError(f"bad language settings: {self}")
        object.__setattr__(self, "rule", _rule(self.num_symbols, self.seed))

    @property
    def vocab_size(self) -> int:
        return NUM_SPECIALS + self.num_symbols

    @property
    def first_predicted(self) -> int:
        """The first position whose next token follows the rule (it needs two symbols before it)."""
        return 2

    def sample(self, num: int, generator: torch.Generator) -> torch.Tensor:
        """``num`` sequences -> int64 ``(num, seq_len + 1)``: BOS, two uniform symbols, then the chain.

        One token more than the context (as in minGPT): a model reads ``tokens[:, :-1]`` and
        learns to predict ``tokens[:, 1:]``, both ``seq_len`` long.
        """
        k = self.num_symbols
        length = self.seq_len + 1
        tokens = torch.empty((num, length), dtype=torch.long)
        tokens[:, 0] = BOS_ID
        tokens[:, 1:3] = torch.randint(NUM_SPECIALS, NUM_SPECIALS + k, (num, 2), generator=generator)
        noisy = torch.rand((num, length), generator=generator) < self.noise
        uniform = torch.randint(NUM_SPECIALS, NUM_SPECIALS + k, (num, length), generator=generator)
        for t in range(3, length):
            ruled = self.rule[tokens[:, t - 2] - NUM_SPECIALS, tokens[:, t - 1] - NUM_SPECIALS]
            tokens[:, t] = torch.where(noisy[:, t], uniform[:, t], ruled)
        return tokens

    def most_likely_next(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(N, L)`` -> ``(N, L - 2)``: the most likely token after each position ``t >= 2`` (``rule[tokens[t-1], tokens[t]]``)."""
        a = tokens[:, 1:-1] - NUM_SPECIALS
        b = tokens[:, 2:] - NUM_SPECIALS
        return self.rule[a, b]

    def next_token_probs(self, tokens: torch.Tensor) -> torch.Tensor:
        """The true distribution of the token after each position ``t >= 2``: ``(N, L - 2, vocab_size)``."""
        probs = torch.zeros((*tokens.shape[:-1], tokens.shape[-1] - 2, self.vocab_size), dtype=torch.float64)
        probs[..., NUM_SPECIALS:] = self.noise / self.num_symbols
        probs.scatter_add_(-1, self.most_likely_next(tokens)[..., None], torch.full(probs.shape[:-1] + (1,), 1.0 - self.noise, dtype=torch.float64))
        return probs
