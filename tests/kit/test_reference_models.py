"""The reference transformer/models.py against independent oracles: PyTorch's nn.TransformerEncoder,
nn.TransformerDecoder and nn.Transformer given the same weights, autograd for causality, decoding
loops written here on top of the model's forward, sampling statistics, and the course's trainer
(the reference must learn every task of the behaviour tests)."""

import copy
import dataclasses
import math

import pytest
import torch
from torch import nn

from autograder.grading.loader import reference
from course.tasks import BOS_ID, EOS_ID, PAD_ID, make_generator
from course.trainer import EVAL_SEED, RECIPES, lm_accuracy, one_thread, sequence_accuracy, train_lm, train_seq2seq

ref = reference()
M = ref["models"]
D, H, FF = 12, 3, 20


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Models this small run fastest on one thread, and a busy machine makes extra threads much slower."""
    with one_thread():
        yield


def copy_attention(theirs: nn.MultiheadAttention, ours) -> None:
    theirs.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))
    theirs.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))
    theirs.out_proj.weight.copy_(ours.w_o.weight)
    theirs.out_proj.bias.copy_(ours.w_o.bias)


def copy_norm_or_linear(theirs, ours) -> None:
    theirs.weight.copy_(ours.weight)
    theirs.bias.copy_(ours.bias)


@torch.no_grad()
def fill_encoder(theirs: nn.TransformerEncoder, ours) -> nn.TransformerEncoder:
    """Copy our Encoder's weights into an nn.TransformerEncoder of the same shape."""
    for t, o in zip(theirs.layers, ours.layers, strict=True):
        copy_attention(t.self_attn, o.self_attn)
        for name in ("linear1", "linear2"):
            copy_norm_or_linear(getattr(t, name), getattr(o.ffn, name))
        for name in ("norm1", "norm2"):
            copy_norm_or_linear(getattr(t, name), getattr(o, name))
    if theirs.norm is not None:
        copy_norm_or_linear(theirs.norm, ours.norm)
    return theirs


@torch.no_grad()
def fill_decoder(theirs: nn.TransformerDecoder, ours) -> nn.TransformerDecoder:
    for t, o in zip(theirs.layers, ours.layers, strict=True):
        copy_attention(t.self_attn, o.self_attn)
        copy_attention(t.multihead_attn, o.cross_attn)
        for name in ("linear1", "linear2"):
            copy_norm_or_linear(getattr(t, name), getattr(o.ffn, name))
        for name in ("norm1", "norm2", "norm3"):
            copy_norm_or_linear(getattr(t, name), getattr(o, name))
    if theirs.norm is not None:
        copy_norm_or_linear(theirs.norm, ours.norm)
    return theirs


def torch_encoder(ours, norm_first: bool) -> nn.TransformerEncoder:
    """nn.TransformerEncoder holding our Encoder's weights (a final LayerNorm only for pre-norm, as ours)."""
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    norm = nn.LayerNorm(D) if norm_first else None
    return fill_encoder(nn.TransformerEncoder(layer, len(ours.layers), norm=norm, enable_nested_tensor=False).double().eval(), ours)


def torch_decoder(ours, norm_first: bool) -> nn.TransformerDecoder:
    layer = nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    norm = nn.LayerNorm(D) if norm_first else None
    return fill_decoder(nn.TransformerDecoder(layer, len(ours.layers), norm=norm).double().eval(), ours)


def padded_tokens(seed, batch, length, vocab, lengths=None, first=None):
    g = make_generator(seed)
    out = torch.randint(3, vocab, (batch, length), generator=g)
    if first is not None:
        out[:, 0] = first
    for b, n in enumerate(lengths or []):
        out[b, n:] = PAD_ID
    return out


def future_mask(length: int) -> torch.Tensor:
    """PyTorch's convention: True where a query may NOT attend."""
    return torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_equals_torch(norm_first):
    torch.manual_seed(0)
    ours = M.Encoder(3, D, H, FF, norm_first=norm_first).double().eval()
    theirs = torch_encoder(ours, norm_first)
    src = padded_tokens(1, 3, 7, 10, lengths=[7, 4, 2])
    x = torch.randn(3, 7, D, dtype=torch.float64, generator=make_generator(2))
    with torch.no_grad():
        got = ours(x, (src != PAD_ID)[:, None, None, :])
        expected = theirs(x, src_key_padding_mask=src == PAD_ID)
    torch.testing.assert_close(got, expected)
    assert isinstance(ours.norm, nn.Identity) != norm_first


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_equals_torch(norm_first):
    torch.manual_seed(1)
    ours = M.Decoder(2, D, H, FF, norm_first=norm_first).double().eval()
    theirs = torch_decoder(ours, norm_first)
    src = padded_tokens(3, 3, 7, 10, lengths=[7, 5, 1])
    tgt = padded_tokens(4, 3, 5, 10, lengths=[5, 3, 2], first=BOS_ID)
    x = torch.randn(3, 5, D, dtype=torch.float64, generator=make_generator(5))
    memory = torch.randn(3, 7, D, dtype=torch.float64, generator=make_generator(6))
    tgt_mask = (tgt != PAD_ID)[:, None, None, :] & ~future_mask(5)
    with torch.no_grad():
        got = ours(x, memory, tgt_mask, (src != PAD_ID)[:, None, None, :])
        expected = theirs(x, memory, tgt_mask=future_mask(5), tgt_key_padding_mask=tgt == PAD_ID, memory_key_padding_mask=src == PAD_ID)
    torch.testing.assert_close(got, expected)


def sinusoids(length: int, d_model: int) -> torch.Tensor:
    """The paper's formula, evaluated here; float32 as the curriculum specifies, returned in float64."""
    pe = torch.zeros(length, d_model, dtype=torch.float64)
    for p in range(length):
        for i in range(d_model):
            angle = p / 10000 ** (2 * (i // 2) / d_model)
            pe[p, i] = math.sin(angle) if i % 2 == 0 else math.cos(angle)
    return pe.float().double()


def test_transformer_equals_torch_transformer():
    torch.manual_seed(2)
    kwargs = dict(src_vocab_size=11, tgt_vocab_size=13, d_model=D, num_heads=H, num_encoder_layers=2, num_decoder_layers=3,
                  d_ff=FF, dropout=0.0, max_len=30, pad_id=PAD_ID)
    ours = M.Transformer(**kwargs).double().eval()
    # nn.Transformer always adds final LayerNorms; the paper's post-norm stacks have none, so give it
    # stacks without them. Its constructor re-initialises every matrix, so copy the weights afterwards.
    theirs = nn.Transformer(D, H, batch_first=True, dropout=0.0, custom_encoder=torch_encoder(ours.encoder, False),
                            custom_decoder=torch_decoder(ours.decoder, False)).double().eval()
    fill_encoder(theirs.encoder, ours.encoder)
    fill_decoder(theirs.decoder, ours.decoder)
    src = padded_tokens(7, 3, 8, 11, lengths=[8, 5, 2])
    tgt = padded_tokens(8, 3, 6, 13, lengths=[6, 6, 3], first=BOS_ID)
    pe = sinusoids(30, D)
    with torch.no_grad():
        src_x = ours.src_embed(src) * math.sqrt(D) + pe[:8]
        tgt_x = ours.tgt_embed(tgt) * math.sqrt(D) + pe[:6]
        hidden = theirs(src_x, tgt_x, tgt_mask=future_mask(6), src_key_padding_mask=src == PAD_ID,
                        tgt_key_padding_mask=tgt == PAD_ID, memory_key_padding_mask=src == PAD_ID)
        expected = ours.generator(hidden)
        got = ours(src, tgt)
    torch.testing.assert_close(got, expected)
    assert got.shape == (3, 6, 13)


def test_decoder_only_equals_torch_encoder_with_causal_mask():
    torch.manual_seed(3)
    ours = M.DecoderOnlyTransformer(vocab_size=9, d_model=D, num_heads=H, num_layers=2, d_ff=FF, max_len=8).double().eval()
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=True)
    stack = fill_encoder(nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(D), enable_nested_tensor=False).double().eval(), ours)
    ids = torch.randint(0, 9, (2, 7), generator=make_generator(9))
    with torch.no_grad():
        x = ours.token_embed(ids) + ours.pos_embed.embedding.weight[:7]  # no sqrt(d_model) scaling in GPT
        expected = ours.lm_head(stack(x, mask=future_mask(7)))
        got = ours(ids)
    torch.testing.assert_close(got, expected)
    with pytest.raises(ValueError):
        ours(torch.zeros(1, 9, dtype=torch.long))


def embedding_gradients(model, embed: nn.Module, run, position: int) -> torch.Tensor:
    """d logits[:, position].sum() / d (the embedding output), by autograd."""
    captured = {}

    def hook(module, inputs, output):
        output.retain_grad()
        captured["x"] = output

    handle = embed.register_forward_hook(hook)
    try:
        run()[:, position].sum().backward()
    finally:
        handle.remove()
    return captured["x"].grad


def test_causality_by_autograd():
    torch.manual_seed(4)
    gpt = M.DecoderOnlyTransformer(vocab_size=9, d_model=D, num_heads=H, num_layers=2, d_ff=FF, max_len=8).double()
    ids = torch.randint(0, 9, (2, 8), generator=make_generator(10))
    transformer = M.Transformer(11, 13, D, H, 2, 2, FF, 0.0, 30, PAD_ID).double()
    src = padded_tokens(11, 2, 6, 11, lengths=[6, 3])
    tgt = padded_tokens(12, 2, 7, 13, first=BOS_ID)
    for t in range(7):
        grad = embedding_gradients(gpt, gpt.token_embed, lambda: gpt(ids), t)
        assert (grad[:, t + 1 :] == 0).all() and (grad[:, : t + 1].abs().sum(-1) > 0).all()
        grad = embedding_gradients(transformer, transformer.tgt_embed, lambda: transformer(src, tgt), t)
        assert (grad[:, t + 1 :] == 0).all() and (grad[:, : t + 1].abs().sum(-1) > 0).all()
    # Source padding gets no gradient from any output: the encoder and the cross-attention both mask it.
    grad = embedding_gradients(transformer, transformer.src_embed, lambda: transformer(src, tgt), 6)
    assert (grad[1, 3:] == 0).all() and (grad[1, :3].abs().sum(-1) > 0).all()


def test_causality_by_perturbation():
    torch.manual_seed(5)
    gpt = M.DecoderOnlyTransformer(vocab_size=9, d_model=D, num_heads=H, num_layers=2, d_ff=FF, max_len=8).double().eval()
    ids = torch.randint(0, 9, (3, 8), generator=make_generator(13))
    changed = ids.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 9
    with torch.no_grad():
        a, b = gpt(ids), gpt(changed)
    torch.testing.assert_close(a[:, :5], b[:, :5], rtol=0, atol=0)
    assert not torch.allclose(a[:, 5:], b[:, 5:])


def naive_greedy(model, src, max_len):
    """Greedy decoding through the model's forward only, one sequence at a time."""
    rows = []
    for b in range(src.shape[0]):
        ys = [BOS_ID]
        while len(ys) < max_len and ys[-1] != EOS_ID:
            logits = model(src[b : b + 1], torch.tensor([ys]))
            ys.append(int(logits[0, -1].argmax()))
        rows.append(ys)
    width = max(len(r) for r in rows)
    return torch.tensor([r + [model.pad_id] * (width - len(r)) for r in rows])


def test_greedy_decode_equals_a_loop_over_forward():
    torch.manual_seed(6)
    model = M.Transformer(11, 11, D, H, 2, 2, FF, 0.0, 30, PAD_ID).double().eval()
    with torch.no_grad():
        model.generator.weight *= 3.0  # logits that depend on the input more than at initialisation
        model.generator.bias[EOS_ID] += 1.0  # some rows stop early, some run to max_len
        src = padded_tokens(14, 6, 7, 11, lengths=[7, 6, 3, 2, 5, 1])
        got = M.greedy_decode(model, src, 9, BOS_ID, EOS_ID)
        expected = naive_greedy(model, src, 9)
    assert torch.equal(got, expected)
    assert {int((row == EOS_ID).sum()) for row in got} == {0, 1}  # both kinds of rows occur
    assert got.dtype == torch.int64


def test_greedy_decode_stops_when_all_rows_are_done():
    torch.manual_seed(7)
    model = M.Transformer(11, 11, D, H, 1, 1, FF, 0.0, 30, PAD_ID).double().eval()
    with torch.no_grad():
        model.generator.bias[EOS_ID] += 100.0  # EOS right away
        out = M.greedy_decode(model, padded_tokens(15, 3, 5, 11), 10, BOS_ID, EOS_ID)
    assert torch.equal(out, torch.tensor([[BOS_ID, EOS_ID]] * 3))


def naive_generate(model, prompt, steps):
    ys = prompt
    for _ in range(steps):
        ys = torch.cat([ys, model(ys[:, -model.max_len :])[:, -1].argmax(-1, keepdim=True)], 1)
    return ys


def gpt(seed=8, max_len=6):
    torch.manual_seed(seed)
    return M.DecoderOnlyTransformer(vocab_size=9, d_model=D, num_heads=H, num_layers=2, d_ff=FF, max_len=max_len).double().eval()


def test_generate_greedy_crops_the_context():
    model = gpt()
    prompt = torch.randint(0, 9, (3, 4), generator=make_generator(16))
    with torch.no_grad():
        got = M.generate(model, prompt, 7, temperature=0)
        expected = naive_generate(model, prompt, 7)
    assert torch.equal(got, expected) and torch.equal(got[:, :4], prompt)


def test_generate_samples_from_the_tempered_distribution():
    model = gpt()
    n = 20000
    prompt = torch.tensor([[3, 5]]).expand(n, 2)
    with torch.no_grad():
        logits = model(prompt[:1])[0, -1]
        for temperature in (0.5, 2.0):
            out = M.generate(model, prompt, 1, temperature=temperature, generator=make_generator(17))
            freq = torch.bincount(out[:, -1], minlength=9).double() / n
            probs = torch.softmax(logits / temperature, -1)
            sigma = (probs * (1 - probs) / n).sqrt()
            assert ((freq - probs).abs() <= 5 * sigma + 1e-4).all(), (temperature, freq, probs)


def test_generate_top_k_support_and_determinism():
    model = gpt()
    prompt = torch.randint(0, 9, (400, 3), generator=make_generator(18))
    with torch.no_grad():
        out = M.generate(model, prompt, 3, temperature=3.0, top_k=2, generator=make_generator(19))
        again = M.generate(model, prompt, 3, temperature=3.0, top_k=2, generator=make_generator(19))
        for t in range(3, 6):
            allowed = model(out[:, t - model.max_len if t > model.max_len else 0 : t])[:, -1].topk(2).indices
            assert (allowed == out[:, t : t + 1]).any(-1).all()
    assert torch.equal(out, again)
    with torch.no_grad():
        whole = M.generate(model, prompt, 3, temperature=1.0, top_k=50, generator=make_generator(20))
        plain = M.generate(model, prompt, 3, temperature=1.0, generator=make_generator(20))
    assert torch.equal(whole, plain)


def trained_accuracy(task: str, seed: int = 0) -> float:
    recipe = RECIPES[task]
    torch.manual_seed(seed)
    if task == "language":
        model = M.DecoderOnlyTransformer(**recipe.model_kwargs)
        train_lm(model, recipe.task, recipe, seed=seed)
        tokens = recipe.task.sample(300, make_generator(EVAL_SEED))[:, :-1]
        with torch.no_grad():
            return lm_accuracy(model(tokens), tokens, recipe.task)
    model = M.Transformer(**recipe.model_kwargs)
    train_seq2seq(model, recipe.task, recipe, seed=seed)
    src, tgt = recipe.task.sample(300, make_generator(EVAL_SEED))
    return sequence_accuracy(M.greedy_decode(model, src, recipe.task.tgt_len, BOS_ID, EOS_ID), tgt)


@pytest.mark.parametrize("task", ["copy", "reverse", "language"])
def test_reference_learns_the_behaviour_tasks(task):
    """The behaviour tests' premise: the reference reaches the 95% threshold (bench/behaviour_margin.py: over 20 seeds)."""
    assert trained_accuracy(task) >= 0.95


def test_training_the_reference_is_deterministic():
    recipe = dataclasses.replace(RECIPES["copy"], steps=12)
    states = []
    for construction_seed in (0, 1):
        torch.manual_seed(construction_seed)
        model = M.Transformer(**recipe.model_kwargs)
        train_seq2seq(model, recipe.task, recipe, seed=3)
        states.append(model.state_dict())
    for name in states[0]:
        assert torch.equal(states[0][name], states[1][name]), name


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_models_and_decoding_on_the_gpu_equal_the_cpu():
    torch.manual_seed(0)
    model = M.Transformer(11, 13, D, H, 2, 2, FF, dropout=0.0, max_len=32, pad_id=PAD_ID).double().eval()
    src, tgt = torch.randint(3, 11, (2, 7)), torch.randint(3, 13, (2, 5))
    src[0, -2:] = PAD_ID
    gpu = copy.deepcopy(model).cuda()
    logits = gpu(src.cuda(), tgt.cuda())
    assert logits.device.type == "cuda"
    torch.testing.assert_close(logits.cpu(), model(src, tgt))
    decoded = M.greedy_decode(gpu, src.cuda(), max_len=6, bos_id=BOS_ID, eos_id=EOS_ID)
    assert decoded.device.type == "cuda" and torch.equal(decoded.cpu(), M.greedy_decode(model, src, 6, BOS_ID, EOS_ID))

    lm = M.DecoderOnlyTransformer(13, D, H, 2, FF, max_len=8).double().eval()
    gpu_lm, prompt = copy.deepcopy(lm).cuda(), torch.randint(0, 13, (2, 3))
    torch.testing.assert_close(gpu_lm(prompt.cuda()).cpu(), lm(prompt))
    greedy = M.generate(gpu_lm, prompt.cuda(), 9, temperature=0.0)  # 3 + 9 tokens > max_len: the crop runs there too
    assert greedy.device.type == "cuda" and torch.equal(greedy.cpu(), M.generate(lm, prompt, 9, temperature=0.0))
    sampled = M.generate(gpu_lm, prompt.cuda(), 5, temperature=1.0, top_k=4, generator=torch.Generator("cuda").manual_seed(0))
    assert sampled.device.type == "cuda" and sampled.shape == (2, 8) and torch.equal(sampled[:, :3].cpu(), prompt)
