"""Public tests for transformer/models.py: properties you can reason about, PyTorch's own
``nn.TransformerEncoder`` as an oracle, and decoding on tiny scripted models whose answers you
can work out by hand.

The scripted models (see ``autograder/probes_transformer.py``) stand in for a trained model:
- a scripted Transformer: the logits at decoder position ``t`` for the row whose first source token
  is ``r`` are ``script[r, t]``, whatever was decoded before;
- a bigram language model: the logits after token ``a`` are ``table[a]``; it raises ValueError
  when it is given more than ``max_len`` tokens, as the real model does.
"""

import torch
from torch import nn

from autograder.grading.compare import check

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
    torch_layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    oracle = nn.TransformerEncoder(torch_layer, num_layers=2, enable_nested_tensor=False).double().eval()
    with torch.no_grad():
        for i, layer in enumerate(oracle.layers):
            p = f"layers.{i}."
            attn = p + "self_attn."
            layer.self_attn.in_proj_weight.copy_(torch.cat([state[attn + f"w_{n}.weight"] for n in "qkv"]))
            layer.self_attn.in_proj_bias.copy_(torch.cat([state[attn + f"w_{n}.bias"] for n in "qkv"]))
            layer.self_attn.out_proj.weight.copy_(state[attn + "w_o.weight"])
            layer.self_attn.out_proj.bias.copy_(state[attn + "w_o.bias"])
            for ours, theirs in (("ffn.linear1", layer.linear1), ("ffn.linear2", layer.linear2), ("norm1", layer.norm1), ("norm2", layer.norm2)):
                theirs.weight.copy_(state[p + ours + ".weight"])
                theirs.bias.copy_(state[p + ours + ".bias"])
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    src = torch.tensor([[3, 4, 5, 6, 2], [3, 4, 2, 0, 0]])
    with torch.no_grad():
        expected = oracle(x, src_key_padding_mask=src == PAD)  # PyTorch's True means "ignore"
    got = run(student, ENCODER, kwargs, [forward(x, (src != PAD)[:, None, None, :])], state)[0]
    check(got, expected, what="Encoder(2 layers, d_model=8)(x (2, 5, 8), padding mask) against nn.TransformerEncoder")


def test_transformer_logits_shape_and_causality(student):
    """Transformer: logits (B, Lt, tgt_vocab_size); target position t ignores later target tokens"""
    src = torch.tensor([[3, 4, 5, 2], [6, 2, 0, 0]])
    tgt = torch.tensor([[1, 7, 8, 9, 2], [1, 5, 2, 0, 0]])
    changed = tgt.clone()
    changed[:, 3:] = torch.tensor([[4, 4], [6, 6]])
    first, second = run(student, TRANSFORMER, SMALL, [forward(src, tgt), forward(src, changed)])
    check(tuple(first.shape), (2, 5, 10), what="Transformer(...)(src (2, 4), tgt (2, 5)).shape")
    check(second[:, :3], first[:, :3], what="logits at target positions 0..2 after changing target tokens 3..4 (must not change)")


def test_transformer_ignores_source_padding(student):
    """Transformer: appending PAD tokens to the source does not change the logits"""
    src = torch.tensor([[3, 4, 5, 2], [6, 2, 0, 0]])
    padded = torch.tensor([[3, 4, 5, 2, 0, 0], [6, 2, 0, 0, 0, 0]])
    tgt = torch.tensor([[1, 7, 8], [1, 5, 2]])
    first, second = run(student, TRANSFORMER, SMALL, [forward(src, tgt), forward(padded, tgt)])
    check(second, first, what="Transformer logits with src (2, 4) and the same src padded to (2, 6)")


def test_decoder_only_is_causal(student):
    """DecoderOnlyTransformer: logits (B, L, vocab_size); position t ignores tokens after t"""
    kwargs = dict(vocab_size=7, d_model=8, num_heads=2, num_layers=2, d_ff=16, max_len=6)
    tokens = torch.tensor([[1, 3, 4, 5, 6], [1, 6, 5, 4, 3]])
    changed = tokens.clone()
    changed[:, 2:] = 3
    first, second = run(student, GPT, kwargs, [forward(tokens), forward(changed)])
    check(tuple(first.shape), (2, 5, 7), what="DecoderOnlyTransformer(vocab_size=7, ...)(tokens (2, 5)).shape")
    check(second[:, :2], first[:, :2], what="logits at positions 0..1 after changing tokens 2..4 (must not change)")


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
    check(got, expected, what="greedy_decode(<scripted model>, src (3, 3), max_len=7, bos_id=1, eos_id=2)")


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
    got = student.probe("decode_run", function="transformer.models:generate", model=model, args=[prompt, 3], kwargs={"temperature": 0.0})[0]
    check(got, torch.tensor([[1, 2, 3, 4, 5, 6, 0], [6, 6, 6, 0, 1, 2, 3]]), what="generate(<bigram model, max_len=3>, prompt (2, 4), 3, temperature=0)")


def test_generate_top_k_one_is_greedy(student):
    """generate: top_k=1 leaves only the most likely token, whatever the temperature"""
    model = {"kind": "bigram_lm", "table": successor_table(), "max_len": 10}
    prompt = torch.tensor([[3], [5]])
    got = student.probe("decode_run", function="transformer.models:generate", model=model, args=[prompt, 4],
                        kwargs={"temperature": 3.0, "top_k": 1}, generator_seeds=[0])[0]
    check(got, torch.tensor([[3, 4, 5, 6, 0], [5, 6, 0, 1, 2]]), what="generate(<bigram model>, [[3], [5]], 4, temperature=3.0, top_k=1)")
