"""Public tests for transformer/models.py: properties you can reason about, PyTorch's own
``nn.TransformerEncoder`` as an oracle, and decoding on tiny scripted models whose answers you
can work out by hand.

The scripted models (see ``autograder/probes_transformer.py``) stand in for a trained model:
- a scripted Transformer: the logits at decoder position ``t`` for the row whose first source token
  is ``r`` are ``script[r, t]``, whatever was decoded before;
- a bigram language model: the logits after token ``a`` are ``table[a]``; it raises ValueError
  when it is given more than ``max_len`` tokens, as the real model does.
"""

import math

import torch
from torch import nn

from autograder.grading.adapter import StudentError
from autograder.grading.compare import Feedback, check, naming
from autograder.grading.mistakes.models import ONLY_ARGMAX, TEMPERATURE_NOT_DIVIDING, generate_mistakes, greedy_mistakes
from autograder.grading.mistakes.names import (
    EMBEDDINGS_NOT_SCALED,
    ENCODER_MASK_MISSING,
    FINAL_NORM_MISSING,
    MEMORY_MASK_MISSING,
    NO_CAUSAL_MASK,
    POSITIONS_NOT_ADDED,
)

ENCODER = "transformer.models:Encoder"
TRANSFORMER = "transformer.models:Transformer"
GPT = "transformer.models:DecoderOnlyTransformer"
PAD, BOS, EOS = 0, 1, 2
SMALL = dict(src_vocab_size=9, tgt_vocab_size=10, d_model=8, num_heads=2, num_encoder_layers=2, num_decoder_layers=2,
             d_ff=16, dropout=0.0, max_len=20, pad_id=PAD)


def run(student, target, init_kwargs, calls, state=None):
    """Build the student's module (seed 0, float64, eval mode) and call it; returns the outputs."""
    return student.probe("module_run", target=target, init_args=[], init_kwargs=init_kwargs, calls=calls, state=state,
                         seed=0, dtype="float64")["outputs"]


def forward(*args):
    return {"method": "forward", "args": list(args), "kwargs": {}}


def test_encoder_equals_torch_transformer_encoder(student):
    """Encoder: equals nn.TransformerEncoder (post-norm, padding mask) given the same weights"""
    kwargs = dict(num_layers=2, d_model=8, num_heads=2, d_ff=16, dropout=0.0)
    state = student.probe("module_state", target=ENCODER, init_args=[], init_kwargs=kwargs, seed=0)["state"]
    oracle = nn.TransformerEncoder(torch_layer(8, 2, 16), num_layers=2, enable_nested_tensor=False).double().eval()
    with_weights(oracle.layers, state)
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    src = torch.tensor([[3, 4, 5, 6, 2], [3, 4, 2, 0, 0]])
    with torch.no_grad():
        expected = oracle(x, src_key_padding_mask=src == PAD)  # PyTorch's True means "ignore"
    got = run(student, ENCODER, kwargs, [forward(x, (src != PAD)[:, None, None, :])], state)[0]
    check(got, expected, what="Encoder(2 layers, d_model=8)(x (2, 5, 8), padding mask) against nn.TransformerEncoder")


def torch_layer(d_model: int, num_heads: int, d_ff: int, norm_first: bool = False) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first)


def with_weights(layers: nn.ModuleList, state: dict[str, torch.Tensor]) -> None:
    """Copy the student's EncoderLayer weights (``layers.{i}.`` in ``state``) into PyTorch's own layers."""
    with torch.no_grad():
        for i, layer in enumerate(layers):
            p = f"layers.{i}."
            attn = p + "self_attn."
            layer.self_attn.in_proj_weight.copy_(torch.cat([state[attn + f"w_{n}.weight"] for n in "qkv"]))
            layer.self_attn.in_proj_bias.copy_(torch.cat([state[attn + f"w_{n}.bias"] for n in "qkv"]))
            layer.self_attn.out_proj.weight.copy_(state[attn + "w_o.weight"])
            layer.self_attn.out_proj.bias.copy_(state[attn + "w_o.bias"])
            for ours, theirs in (("ffn.linear1", layer.linear1), ("ffn.linear2", layer.linear2), ("norm1", layer.norm1), ("norm2", layer.norm2)):
                theirs.weight.copy_(state[p + ours + ".weight"])
                theirs.bias.copy_(state[p + ours + ".bias"])


def test_transformer_logits_shape_and_causality(student):
    """Transformer: logits (B, Lt, tgt_vocab_size); target position t ignores later target tokens"""
    src = torch.tensor([[3, 4, 5, 2], [6, 2, 0, 0]])
    tgt = torch.tensor([[1, 7, 8, 9, 2], [1, 5, 2, 0, 0]])
    changed = tgt.clone()
    changed[:, 3:] = torch.tensor([[4, 4], [6, 6]])
    first, second = run(student, TRANSFORMER, SMALL, [forward(src, tgt), forward(src, changed)])
    check(tuple(first.shape), (2, 5, 10), what="Transformer(...)(src (2, 4), tgt (2, 5)).shape")
    what = "logits at target positions 0..2 after changing target tokens 3..4 (they must not change: is the decoder's causal mask missing?)"
    check(second[:, :3], first[:, :3], what=what, mistakes={NO_CAUSAL_MASK: lambda: no_causal_logits(student, src, changed)[:, :3]})


def no_causal_logits(student, src, tgt) -> torch.Tensor:
    """The logits forward gives when the decoder gets the target padding mask alone (built from the student's own encode/decode)."""
    src_mask = (src != PAD)[:, None, None, :]
    memory = run(student, TRANSFORMER, SMALL, [{"method": "encode", "args": [src], "kwargs": {"src_mask": src_mask}}])[0]
    calls = [{"method": "decode", "args": [tgt, memory], "kwargs": {"tgt_mask": (tgt != PAD)[:, None, None, :], "memory_mask": src_mask}}]
    hidden = run(student, TRANSFORMER, SMALL, calls)[0]
    state = student.probe("module_state", target=TRANSFORMER, init_args=[], init_kwargs=SMALL, seed=0)["state"]
    return hidden @ state["generator.weight"].double().T + state["generator.bias"].double()


def test_transformer_ignores_source_padding(student):
    """Transformer: appending PAD tokens to the source does not change the logits"""
    src = torch.tensor([[3, 4, 5, 2], [6, 2, 0, 0]])
    padded = torch.tensor([[3, 4, 5, 2, 0, 0], [6, 2, 0, 0, 0, 0]])
    tgt = torch.tensor([[1, 7, 8], [1, 5, 2]])
    encode = {"method": "encode", "args": [src], "kwargs": {"src_mask": (src != PAD)[:, None, None, :]}}
    encode_padded = {"method": "encode", "args": [padded], "kwargs": {"src_mask": (padded != PAD)[:, None, None, :]}}
    calls = [encode, encode_padded, forward(src, tgt), forward(padded, tgt)]
    memory, memory_padded, first, second = run(student, TRANSFORMER, SMALL, calls)
    # encode is given its mask: the real tokens' states must not change
    check(memory_padded[0, :4], memory[0, :4], what="Transformer.encode(src, padding_mask(src)) of the first sequence, padded from 4 to 6 tokens")
    hint = "forward must build padding_mask(src) itself, for the encoder and as the memory mask"
    what = f"Transformer logits with src (2, 4) and the same src padded to (2, 6) ({hint})"
    check(second, first, what=what, mistakes=padding_mistakes(student, padded, tgt))


def padding_mistakes(student, padded, tgt) -> dict:
    """What forward gives on the padded source when one of its two padding masks is missing (built from its own encode/decode)."""
    pad_mask = (padded != PAD)[:, None, None, :]

    def logits(encoder_mask, memory_mask):
        calls = [{"method": "encode", "args": [padded], "kwargs": {"src_mask": encoder_mask}}]
        memory = run(student, TRANSFORMER, SMALL, calls)[0]
        decoder_mask = (tgt != PAD)[:, None, None, :] & torch.ones(3, 3, dtype=torch.bool).tril()
        calls = [{"method": "decode", "args": [tgt, memory], "kwargs": {"tgt_mask": decoder_mask, "memory_mask": memory_mask}}]
        hidden = run(student, TRANSFORMER, SMALL, calls)[0]
        state = student.probe("module_state", target=TRANSFORMER, init_args=[], init_kwargs=SMALL, seed=0)["state"]
        return hidden @ state["generator.weight"].double().T + state["generator.bias"].double()

    return {
        ENCODER_MASK_MISSING: lambda: logits(None, pad_mask),
        MEMORY_MASK_MISSING: lambda: logits(pad_mask, None),
    }


def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    return (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-5) * weight + bias


def sinusoids(length: int, d_model: int) -> torch.Tensor:
    angles = torch.arange(length, dtype=torch.float64)[:, None] / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).reshape(length, d_model).float().double()


def test_transformer_scales_embeddings_and_adds_positions(student):
    """Transformer: with no layers, encode(src) = src_embed(src) * sqrt(d_model) + PE, and decode likewise on tgt"""
    kwargs = SMALL | dict(num_encoder_layers=0, num_decoder_layers=0)
    state = student.probe("module_state", target=TRANSFORMER, init_args=[], init_kwargs=kwargs, seed=0)["state"]
    src, tgt = torch.tensor([[3, 4, 5, 2]]), torch.tensor([[1, 7, 8]])
    memory = torch.zeros(1, 4, 8, dtype=torch.float64)
    calls = [{"method": "encode", "args": [src], "kwargs": {}}, {"method": "decode", "args": [tgt, memory], "kwargs": {}}]
    encoded, decoded = run(student, TRANSFORMER, kwargs, calls, state)
    for name, got, ids, table in (("encode(src)", encoded, src, "src_embed.weight"), ("decode(tgt, memory)", decoded, tgt, "tgt_embed.weight")):
        embedded, pe = state[table].double()[ids], sinusoids(ids.size(1), 8)
        mistakes = {
            EMBEDDINGS_NOT_SCALED: embedded + pe,
            POSITIONS_NOT_ADDED: embedded * math.sqrt(8),
        }
        check(got, embedded * math.sqrt(8) + pe, what=f"Transformer(..., 0 layers).{name} = embed * sqrt(d_model) + PE", mistakes=mistakes)


def test_decoder_only_does_not_scale_embeddings(student):
    """DecoderOnlyTransformer: with no layers, logits = lm_head(norm(token_embed(tokens) + pos_embed)), no sqrt(d_model)"""
    kwargs = dict(vocab_size=7, d_model=8, num_heads=2, num_layers=0, d_ff=16, max_len=6)
    state = {k: v.double() for k, v in student.probe("module_state", target=GPT, init_args=[], init_kwargs=kwargs, seed=0)["state"].items()}
    tokens = torch.tensor([[1, 3, 4, 5]])
    got = run(student, GPT, kwargs, [forward(tokens)], state)[0]

    def logits(x):
        return layer_norm(x, state["norm.weight"], state["norm.bias"]) @ state["lm_head.weight"].T + state["lm_head.bias"]

    embedded, positions = state["token_embed.weight"][tokens], state["pos_embed.embedding.weight"][:4]
    mistakes = {
        "token embeddings scaled by sqrt(d_model) (GPT does not scale them)": logits(embedded * math.sqrt(8) + positions),
        POSITIONS_NOT_ADDED: logits(embedded),
        FINAL_NORM_MISSING: (embedded + positions) @ state["lm_head.weight"].T + state["lm_head.bias"],
    }
    check(got, logits(embedded + positions), what="DecoderOnlyTransformer(vocab_size=7, d_model=8, num_layers=0)(tokens (1, 4))", mistakes=mistakes)


def test_decoder_only_is_causal(student):
    """DecoderOnlyTransformer: logits (B, L, vocab_size); position t ignores tokens after t"""
    kwargs = dict(vocab_size=7, d_model=8, num_heads=2, num_layers=2, d_ff=16, max_len=6)
    tokens = torch.tensor([[1, 3, 4, 5, 6], [1, 6, 5, 4, 3]])
    changed = tokens.clone()
    changed[:, 2:] = 3
    first, second = run(student, GPT, kwargs, [forward(tokens), forward(changed)])
    check(tuple(first.shape), (2, 5, 7), what="DecoderOnlyTransformer(vocab_size=7, ...)(tokens (2, 5)).shape")
    what = "logits at positions 0..1 after changing tokens 2..4 (they must not change: is the decoder's causal mask missing?)"
    check(second[:, :2], first[:, :2], what=what, mistakes={NO_CAUSAL_MASK: lambda: gpt_without_causal_mask(student, kwargs, changed)[:, :2]})


def gpt_without_causal_mask(student, kwargs: dict, tokens: torch.Tensor) -> torch.Tensor:
    """The logits of the student's DecoderOnlyTransformer weights (seed 0) with no mask: PyTorch's own pre-norm layers."""
    state = {k: v.double() for k, v in student.probe("module_state", target=GPT, init_args=[], init_kwargs=kwargs, seed=0)["state"].items()}
    layers = nn.ModuleList(torch_layer(kwargs["d_model"], kwargs["num_heads"], kwargs["d_ff"], norm_first=True) for _ in range(kwargs["num_layers"]))
    layers = layers.double().eval()
    with_weights(layers, state)
    x = state["token_embed.weight"][tokens] + state["pos_embed.embedding.weight"][: tokens.size(1)]
    with torch.no_grad():
        for layer in layers:
            x = layer(x)
    return layer_norm(x, state["norm.weight"], state["norm.bias"]) @ state["lm_head.weight"].T + state["lm_head.bias"]


def test_greedy_decode_keeps_eos_and_pads_after(student):
    """greedy_decode: bos first, eos kept, pad after it, stop when all are done"""
    script = torch.zeros(6, 8, 7, dtype=torch.float64)  # rows 3, 4, 5 are used (the first source token picks the row)
    for row, answer in ((3, [5, 6, EOS]), (4, [EOS]), (5, [6, 6, 5, EOS])):
        script[row, :, 4] = 1.0  # after the answer the model would say 4: a finished row must get PAD instead
        for t, token in enumerate(answer):
            script[row, t, token] = 5.0
    src = torch.tensor([[3, 6, 2], [4, 2, 0], [5, 5, 2]])
    model = {"kind": "scripted_seq2seq", "script": script, "pad_id": PAD}
    got = student.probe("decode_run", function="transformer.models:greedy_decode", model=model, args=[src, 7, BOS, EOS], kwargs={})[0]
    expected = torch.tensor([[1, 5, 6, 2, 0], [1, 2, 0, 0, 0], [1, 6, 6, 5, 2]])  # all done after 4 steps: 5 columns, not 7
    mistakes = greedy_mistakes(script, src, 7, BOS, EOS, PAD)
    check(got, expected, what="greedy_decode(<scripted model>, src (3, 3), max_len=7, bos_id=1, eos_id=2)", mistakes=mistakes)


def test_greedy_decode_max_len_counts_bos(student):
    """greedy_decode: max_len counts bos, so a sequence that never ends has max_len tokens, bos included"""
    script = torch.zeros(6, 8, 7, dtype=torch.float64)
    script[3, :, 5] = 1.0  # row 3 says 5 forever: never eos
    script[4, :, 6] = 1.0
    src = torch.tensor([[3, 2], [4, 2]])
    model = {"kind": "scripted_seq2seq", "script": script, "pad_id": PAD}
    got = student.probe("decode_run", function="transformer.models:greedy_decode", model=model, args=[src, 4, BOS, EOS], kwargs={})[0]
    expected = torch.tensor([[1, 5, 5, 5], [1, 6, 6, 6]])
    mistakes = greedy_mistakes(script, src, 4, BOS, EOS, PAD)
    check(got, expected, what="greedy_decode(<scripted model that never says eos>, src (2, 2), max_len=4, bos_id=1, eos_id=2)", mistakes=mistakes)


def successor_table(vocab=7):
    """Bigram logits: after token a, the most likely token is (a + 1) % vocab, then (a + 2) % vocab."""
    table = torch.zeros(vocab, vocab, dtype=torch.float64)
    for a in range(vocab):
        table[a, (a + 1) % vocab] = 3.0
        table[a, (a + 2) % vocab] = 2.0
    return table


def test_generate_greedy_and_cropped(student):
    """generate: temperature=0 appends the argmax; the model sees at most max_len tokens"""
    model = {"kind": "bigram_lm", "table": successor_table(), "max_len": 3}
    prompt = torch.tensor([[1, 2, 3, 4], [6, 6, 6, 0]])  # longer than max_len: generate must crop
    try:
        got = student.probe("decode_run", function="transformer.models:generate", model=model, args=[prompt, 3], kwargs={"temperature": 0.0})[0]
    except StudentError as error:
        if "max_len" in error.message:
            raise naming(str(error), "context not cropped to max_len (the model must see only the last max_len tokens)") from None
        if any(word in error.message for word in ("inf", "nan", "division by zero")):  # logits / 0, then sampled
            raise naming(str(error), "temperature=0 not treated as greedy: it takes the argmax, never divides by 0") from None
        raise
    mistakes = generate_mistakes(successor_table(), prompt, 3, 3)
    expected = torch.tensor([[1, 2, 3, 4, 5, 6, 0], [6, 6, 6, 0, 1, 2, 3]])
    check(got, expected, what="generate(<bigram model, max_len=3>, prompt (2, 4), 3, temperature=0)", mistakes=mistakes)


def test_generate_top_k_one_is_greedy(student):
    """generate: top_k=1 leaves only the most likely token, whatever the temperature"""
    model = {"kind": "bigram_lm", "table": successor_table(), "max_len": 10}
    prompt = torch.tensor([[3], [5]])
    got = student.probe("decode_run", function="transformer.models:generate", model=model, args=[prompt, 4],
                        kwargs={"temperature": 3.0, "top_k": 1}, generator_seeds=[0])[0]
    check(got, torch.tensor([[3, 4, 5, 6, 0], [5, 6, 0, 1, 2]]), what="generate(<bigram model>, [[3], [5]], 4, temperature=3.0, top_k=1)")


def test_generate_top_k_samples_among_the_k_best(student):
    """generate: top_k=3 at temperature 2 samples only the 3 most likely tokens (ranks 0, 1, 2), each of them"""
    table = torch.randn(7, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    prompt = torch.randint(0, 7, (300, 1), generator=torch.Generator().manual_seed(1))
    model = {"kind": "bigram_lm", "table": table, "max_len": 10}
    out = student.probe("decode_run", function="transformer.models:generate", model=model, args=[prompt, 3],
                        kwargs={"temperature": 2.0, "top_k": 3}, generator_seeds=[2])[0]
    rank = torch.argsort(torch.argsort(table, dim=-1, descending=True), dim=-1)  # rank[a, b]: rank of b after a
    ranks = sorted({int(rank[a, b]) for row in out.tolist() for a, b in zip(row[:-1], row[1:])})
    mistakes = {
        "top_k ignored": list(range(7)),
        "top_k keeps k + 1 tokens (off by one)": list(range(4)),
        "top_k keeps k - 1 tokens (off by one)": list(range(2)),
        ONLY_ARGMAX: [0],
    }
    what = "ranks (0 = most likely) of the tokens generate(<bigram model>, temperature=2.0, top_k=3) sampled over 900 draws"
    check(ranks, [0, 1, 2], what=what, mistakes=mistakes)


def test_generate_divides_by_a_small_temperature(student):
    """generate: temperature 0.05 divides the logits (gaps of 1 become 20): only the most likely token is drawn"""
    model = {"kind": "bigram_lm", "table": successor_table(), "max_len": 10}
    prompt = torch.arange(7).repeat(43)[:, None]  # 301 prompts, every token
    out = student.probe("decode_run", function="transformer.models:generate", model=model, args=[prompt, 3],
                        kwargs={"temperature": 0.05}, generator_seeds=[3])[0]
    steps = sorted({(b - a) % 7 for row in out.tolist() for a, b in zip(row[:-1], row[1:])})  # 1: the most likely
    # Dividing by 0.05 leaves the runner-up e^-20 as likely; multiplying (or ignoring the temperature) spreads the draws
    # over every token of the 903.
    what = "steps (next token - token) % 7 drawn by generate(<bigram model: +1 most likely>, temperature=0.05) over 903 draws"
    check(steps, [1], what=what, mistakes={TEMPERATURE_NOT_DIVIDING: list(range(7))})


def test_greedy_decode_ignores_source_padding(student):
    """greedy_decode: a padded batch decodes each sentence as it decodes alone (the source padding is masked)"""
    model = {"kind": "student", "target": TRANSFORMER, "init_args": [], "init_kwargs": SMALL, "dtype": "float64", "seed": 0}
    src = torch.tensor([[3, 4, 5, 6, 7, 2], [6, 2, 0, 0, 0, 0]])  # the second sentence has 4 pads
    got = student.probe("decode_run", function="transformer.models:greedy_decode", model=model, args=[src, 8, BOS, EOS], kwargs={})[0]
    alone = student.probe("decode_run", function="transformer.models:greedy_decode", model=model, args=[src[1:, :2], 8, BOS, EOS], kwargs={})[0]
    # No model of the mistake here (it would write out the decoding loop); the two runs differ only in the source
    # padding, which the forward pass masks (test_transformer_ignores_source_padding), so a difference names it.
    what = "greedy_decode(Transformer(...), src (2, 6) padded, max_len=8)[1] against the same sentence decoded alone, unpadded"
    try:
        check(got[1, : alone.shape[1]], alone[0], what=what)
    except Feedback as failed:
        raise failed.with_mistake(MEMORY_MASK_MISSING) from None

