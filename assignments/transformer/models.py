"""Whole models: the encoder-decoder Transformer (Vaswani et al., 2017) and a GPT-style decoder-only model.

The layers (``EncoderLayer``, ``DecoderLayer``) do the real work; this module stacks them, adds
token embeddings and positions, builds the masks, and turns hidden states into next-token logits.
Two decoding loops close the exercise: ``greedy_decode`` for the encoder-decoder model and
``generate`` (temperature and top-k sampling) for the decoder-only one.

Token conventions used by the course (``course/tasks.py``): ``pad_id`` marks padding (default 0),
``bos_id`` starts every target sequence and ``eos_id`` ends it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from attention.masks import causal_mask, decoder_mask, padding_mask
from transformer.layers import DecoderLayer, EncoderLayer, LayerNorm
from transformer.positional_encoding import LearnedPositionalEmbedding, PositionalEncoding


class Encoder(nn.Module):
    """A stack of ``num_layers`` ``EncoderLayer``s, then a final ``norm``.

    Submodules:
      - ``layers``: ``nn.ModuleList`` of ``EncoderLayer(d_model, num_heads, d_ff, dropout, norm_first)``;
      - ``norm``: ``LayerNorm(d_model)`` when ``norm_first`` (pre-norm), else ``nn.Identity()``.

    Why the final norm only for pre-norm: a post-norm layer already ends with a LayerNorm, but a
    pre-norm layer ends with a bare residual sum ``x + ffn(norm2(x))`` whose scale grows with depth,
    so the stack needs one last LayerNorm (``torch.nn.TransformerEncoder`` is given one for the same reason).

    ``forward(x (B, L, d_model), mask=None)`` -> ``(B, L, d_model)``; the same ``mask`` (boolean,
    ``True`` = may attend, e.g. ``padding_mask(src, pad_id)`` of shape ``(B, 1, 1, L)``) is passed
    to every layer.
    """

    def __init__(self, num_layers: int, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False) -> None:
        """Build ``layers`` (``num_layers`` ``EncoderLayer``s) and the final ``norm``."""
        super().__init__()
        # Hint (~3 lines): nn.ModuleList([...] for _ in range(num_layers)); LayerNorm or nn.Identity.
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x (B, L, d_model)`` through every layer with the same ``mask``, then ``norm`` -> ``(B, L, d_model)``."""
        # Hint (~3 lines): every layer in order with the same mask, then the final norm.
        # YOUR CODE HERE
        raise NotImplementedError()


class Decoder(nn.Module):
    """A stack of ``num_layers`` ``DecoderLayer``s, then a final ``norm`` (as in ``Encoder``).

    Submodules: ``layers`` (``nn.ModuleList`` of ``DecoderLayer(d_model, num_heads, d_ff, dropout,
    norm_first)``) and ``norm`` (``LayerNorm(d_model)`` when ``norm_first``, else ``nn.Identity()``).

    ``forward(x (B, Lt, d_model), memory (B, Ls, d_model), tgt_mask=None, memory_mask=None)`` ->
    ``(B, Lt, d_model)``. Every layer gets the same ``memory`` (the encoder's output, not the
    previous decoder layer's) and the same two masks: ``tgt_mask`` for the masked self-attention
    (causal and padding, ``(B, 1, Lt, Lt)``), ``memory_mask`` for the cross-attention (the
    source's padding, ``(B, 1, 1, Ls)``).
    """

    def __init__(self, num_layers: int, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False) -> None:
        """Build ``layers`` (``num_layers`` ``DecoderLayer``s) and the final ``norm``."""
        super().__init__()
        # Hint (~3 lines): as in Encoder, with DecoderLayer.
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(
        self, x: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``x (B, Lt, d_model)`` through every layer, each reading the same ``memory`` and masks, then ``norm``."""
        # Hint (~3 lines)
        # YOUR CODE HERE
        raise NotImplementedError()


class Transformer(nn.Module):
    """The encoder-decoder Transformer of "Attention Is All You Need" (post-norm, as in the paper).

    Submodules (names matter: the grader loads weights by name):
      - ``src_embed``: ``nn.Embedding(src_vocab_size, d_model)``; ``tgt_embed``: ``nn.Embedding(tgt_vocab_size, d_model)``;
      - ``pos_encoding``: ``PositionalEncoding(d_model, max_len, dropout)`` (sinusoidal, shared by both sides);
      - ``encoder``: ``Encoder(num_encoder_layers, d_model, num_heads, d_ff, dropout)`` (post-norm, so its ``norm`` is ``nn.Identity``);
      - ``decoder``: ``Decoder(num_decoder_layers, d_model, num_heads, d_ff, dropout)``;
      - ``generator``: ``nn.Linear(d_model, tgt_vocab_size)``, hidden state -> logits.

    Embeddings are multiplied by ``sqrt(d_model)`` before the positions are added (section 3.4 of
    the paper), so that token vectors and the (magnitude <= 1) positional encodings are of
    comparable size: ``x = pos_encoding(embed(tokens) * sqrt(d_model))``.

    - ``encode(src (B, Ls), src_mask=None)`` -> memory ``(B, Ls, d_model)``;
    - ``decode(tgt (B, Lt), memory, tgt_mask=None, memory_mask=None)`` -> hidden states ``(B, Lt, d_model)``;
      both use exactly the masks they are given (``None``: attend everywhere);
    - ``forward(src, tgt)`` -> logits ``(B, Lt, tgt_vocab_size)``, building the masks from
      ``pad_id`` itself: ``padding_mask(src, pad_id)`` for the encoder and, again, as the
      cross-attention's ``memory_mask`` (no decoder position may read source padding), and
      ``decoder_mask(tgt, pad_id)`` (padding and causal) for the decoder's self-attention.

    Teacher forcing: ``forward(src, tgt[:, :-1])`` gives at position ``t`` the logits of ``tgt[:, t + 1]``.

    The attributes ``d_model`` and ``pad_id`` are set for you (``greedy_decode`` reads ``model.pad_id``).
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        d_model: int = 512,
        num_heads: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        d_ff: int = 2048,
        dropout: float = 0.1,
        max_len: int = 5000,
        pad_id: int = 0,
    ) -> None:
        """Build the submodules listed in the class docstring."""
        super().__init__()
        self.d_model = d_model
        self.pad_id = pad_id
        # Hint (~6 lines): one line per submodule listed in the docstring.
        # YOUR CODE HERE
        raise NotImplementedError()

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``src (B, Ls)`` token ids -> memory ``(B, Ls, d_model)``: scaled embedding + positions, then the encoder."""
        # Hint (~2 lines): embed, scale by sqrt(d_model), add positions, run the encoder.
        # YOUR CODE HERE
        raise NotImplementedError()

    def decode(
        self, tgt: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``tgt (B, Lt)`` token ids and ``memory`` -> hidden states ``(B, Lt, d_model)`` (no ``generator``)."""
        # Hint (~2 lines)
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        """``src (B, Ls)``, ``tgt (B, Lt)`` -> logits ``(B, Lt, tgt_vocab_size)``, masks built from ``pad_id``."""
        # Hint (~4 lines): build both masks from self.pad_id, encode, decode, then the generator.
        # YOUR CODE HERE
        raise NotImplementedError()


class DecoderOnlyTransformer(nn.Module):
    """A GPT-style language model: a stack of pre-norm self-attention layers with a causal mask.

    Submodules (names matter: the grader loads weights by name):
      - ``token_embed``: ``nn.Embedding(vocab_size, d_model)``, NOT scaled by ``sqrt(d_model)`` (GPT's choice);
      - ``pos_embed``: ``LearnedPositionalEmbedding(max_len, d_model)``, which adds the positions;
      - ``layers``: ``nn.ModuleList`` of ``num_layers`` ``EncoderLayer(d_model, num_heads, d_ff, dropout, norm_first=True)``.
        A decoder-only model has no cross-attention, so its block is an encoder layer run with a
        causal mask;
      - ``norm``: ``LayerNorm(d_model)``, the final LayerNorm every pre-norm stack needs;
      - ``lm_head``: ``nn.Linear(d_model, vocab_size)`` (with a bias, like ``Transformer.generator``).

    ``forward(tokens (B, L))`` -> logits ``(B, L, vocab_size)``: embed, add positions, every layer
    with ``causal_mask(L)``, ``norm``, ``lm_head``. The logits at position ``t`` predict token
    ``t + 1`` and never depend on tokens after ``t``. There is no padding mask (the model is trained
    on full-length sequences). ``ValueError`` when ``L > max_len``: there is no position embedding
    for it (``generate`` crops the context so this never happens).

    The attribute ``max_len`` is set for you (``generate`` reads ``model.max_len``).
    """

    def __init__(self, vocab_size: int, d_model: int, num_heads: int, num_layers: int, d_ff: int, max_len: int, dropout: float = 0.0) -> None:
        """Build the submodules listed in the class docstring."""
        super().__init__()
        self.max_len = max_len
        # Hint (~5 lines): one line per submodule listed in the docstring.
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens (B, L)`` -> next-token logits ``(B, L, vocab_size)``, causal: position t sees tokens 0..t."""
        length = tokens.shape[-1]
        if length > self.max_len:
            raise ValueError(f"sequence length {length} exceeds max_len {self.max_len}; crop the context to the last max_len tokens")
        # Hint (~6 lines): causal_mask(L, device=tokens.device) is shared by all layers.
        # YOUR CODE HERE
        raise NotImplementedError()


@torch.no_grad()
def greedy_decode(model: Transformer, src: torch.Tensor, max_len: int, bos_id: int, eos_id: int) -> torch.Tensor:
    """Translate ``src (B, Ls)`` greedily: at each step append the most likely next token.

    Encode the source once (with ``padding_mask(src, model.pad_id)``), then grow
    ``ys`` from a column of ``bos_id``; each step decodes the whole ``ys`` with
    ``decoder_mask(ys, model.pad_id)`` and the source padding mask as ``memory_mask``, so the step's
    logits are exactly ``model(src, ys)[:, -1]``, and appends the argmax (the first one on a tie).

    Returns an int64 tensor ``(B, T)``, ``T <= max_len``:
      - column 0 is ``bos_id`` (it counts towards ``max_len``);
      - a sequence that produced ``eos_id`` keeps it, and every later position is ``model.pad_id``;
      - decoding stops as soon as every sequence has produced ``eos_id`` (then ``T < max_len`` is
        possible), and otherwise after ``max_len - 1`` generated tokens.

    ``max_len < 1`` raises ``ValueError`` (there is no room even for ``bos_id``); ``max_len = 1`` gives
    the ``(B, 1)`` column of ``bos_id`` without calling the decoder.

    Example (a model that has learnt to copy, ``bos_id=1, eos_id=2, pad_id=0``):
        src = [[5, 6, 2], [7, 2, 0]] -> [[1, 5, 6, 2], [1, 7, 2, 0]]

    Runs without gradients; it does not change ``model.train()``/``model.eval()``: call
    ``model.eval()`` first so dropout is off.
    """
    # Hint (~14 lines): refuse max_len < 1; keep a boolean `finished` (B,); where finished, append pad_id
    # instead of the argmax; update finished with (next == eos_id); break when finished.all().
    # YOUR CODE HERE
    raise NotImplementedError()


@torch.no_grad()
def generate(
    model: DecoderOnlyTransformer,
    prompt: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Continue ``prompt (B, L)`` with ``max_new_tokens`` sampled tokens -> ``(B, L + max_new_tokens)`` int64.

    At each step:
      1. crop the context to its last ``model.max_len`` tokens (the model has no position beyond that);
      2. take the logits of the last position, ``(B, V)``;
      3. ``temperature == 0``: the argmax (greedy, first index on a tie; ``top_k`` changes nothing);
         otherwise divide the logits by ``temperature`` (< 1 sharpens, > 1 flattens), keep only the
         ``top_k`` largest (set the others to ``-inf``; ``top_k=None`` keeps all, ``top_k >= V`` too;
         a logit tied with the ``k``-th largest is kept as well, so a tie may keep more than ``k``:
         mask ``logits < kth_largest``), softmax, and draw ONE token per row with
         ``torch.multinomial(probs, 1, generator=generator)``;
      4. append it.

    The prompt is returned unchanged as the first ``L`` columns. Same ``generator`` state, same
    output. Runs without gradients and does not change the model's train/eval mode.

    ``ValueError`` for ``temperature < 0`` (there is no such distribution) and for ``top_k < 1``
    (nothing would be left to sample), raised before any step, even when ``max_new_tokens`` is 0.

    Example: ``generate(model, torch.tensor([[1, 5]]), 3, temperature=0)`` -> ``[[1, 5, a, b, c]]``
    where ``a = argmax model([[1, 5]])[0, -1]``, then ``b`` from ``[[1, 5, a]]``, and so on.
    """
    # Hint (~16 lines): check temperature and top_k first; tokens[:, -model.max_len:];
    # torch.topk(logits, k).values[:, [-1]] is the k-th largest.
    # YOUR CODE HERE
    raise NotImplementedError()
