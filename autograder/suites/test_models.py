"""Hidden suite: transformer/models.py.

Three kinds of test:

- module tests: the student's ``Encoder``, ``Decoder``, ``Transformer`` and ``DecoderOnlyTransformer``
  are built with the reference's weights (float64, dropout 0) and must give the reference's
  outputs and gradients; wrong variants of the reference (no sqrt(d_model) scaling, no causal
  mask, ...) name the mistake. Properties (causality, source padding) are checked with the
  student's own initialisation, so they hold whatever went wrong with the names;
- decoding tests: ``greedy_decode`` and ``generate`` run on stand-in models whose logits are
  scripted (hand-checkable) and on the student's model with the reference's weights;
- behaviour: the student's model is trained where student code runs (probe ``train_on_task``,
  with the course's trainer); its weights come back as plain tensors and are loaded here into
  the REFERENCE architecture, whose accuracy on held-out data generated here decides the points.
  The student's own predictions must agree with the reference architecture's.

Every test but one runs the student's ``transformer/models.py`` over stand-ins of Parts 2 and 3 built from PyTorch
(:mod:`autograder.runtime.standins`), and the reference's over the same, so a mistake in an earlier exercise costs
nothing here; ``test_transformer_forward_matches_reference`` runs the student's own stack.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch

from autograder.grading.adapter import StudentError
from autograder.grading.compare import AnyOf, check, describe_args, naming
from autograder.grading.mistakes.names import (
    EMBEDDINGS_NOT_SCALED,
    ENCODER_MASK_MISSING,
    FINAL_NORM_MISSING,
    MASK_IGNORED,
    MEMORY_MASK_MISSING,
    NO_CAUSAL_MASK,
    POSITIONS_NOT_ADDED,
    TGT_MASK_IGNORED,
)
from autograder.grading.testing import module_run, state_of
from autograder.runtime.standins import UPSTREAM_OF
from course.tasks import BOS_ID, EOS_ID, PAD_ID, make_generator
from course.trainer import EVAL_SEED, RECIPES, one_thread, sequence_accuracy

pytestmark = pytest.mark.timeout(60)

MODELS = "transformer.models"
ENCODER = f"{MODELS}:Encoder"
DECODER = f"{MODELS}:Decoder"
TRANSFORMER = f"{MODELS}:Transformer"
GPT = f"{MODELS}:DecoderOnlyTransformer"
GREEDY = f"{MODELS}:greedy_decode"
GENERATE = f"{MODELS}:generate"
UPSTREAM = UPSTREAM_OF["transformer.models"]  # correct Parts 2 and 3 under the student's models

THRESHOLD = 0.95  # held-out token accuracy a correct model reaches (CURRICULUM, "Behaviour on a task")
AGREEMENT = 0.99  # share of the student's own predictions that must equal the reference architecture's
NUM_HELD_OUT = 300
SAMPLING_ATOL = 0.03  # 3000 draws: a frequency's standard deviation is <= 0.0092, so 0.03 is over 3 sigma

# Every dimension differs, so a transposed axis cannot pass.
D_MODEL, HEADS, D_FF, SRC_V, TGT_V, MAX_LEN = 12, 3, 20, 11, 13, 40
TRANSFORMER_KWARGS = dict(
    src_vocab_size=SRC_V,
    tgt_vocab_size=TGT_V,
    d_model=D_MODEL,
    num_heads=HEADS,
    num_encoder_layers=2,
    num_decoder_layers=3,
    d_ff=D_FF,
    dropout=0.0,
    max_len=MAX_LEN,
    pad_id=PAD_ID,
)
GPT_V, GPT_MAX_LEN = 9, 7
GPT_KWARGS = dict(
    vocab_size=GPT_V, d_model=D_MODEL, num_heads=HEADS, num_layers=2, d_ff=D_FF, max_len=GPT_MAX_LEN, dropout=0.0
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These models are tiny: one thread is fastest, and on a busy machine extra threads spin and slow it all."""
    with one_thread():
        yield


# -- inputs and reference models ---------------------------------------------------------------------------------


def tokens(
    seed: int, batch: int, length: int, vocab: int, lengths: list[int] | None = None, first: int | None = None
) -> torch.Tensor:
    """Random ids in [3, vocab) (no special token), then PAD after ``lengths[b]`` real tokens; optional ``first``
    column.
    """
    g = make_generator(seed)
    out = torch.randint(3, vocab, (batch, length), generator=g)
    if first is not None:
        out[:, 0] = first
    if lengths is not None:
        for b, n in enumerate(lengths):
            out[b, n:] = PAD_ID
    return out


def src_tgt(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """B=3 sources of 7 columns (padded differently) and targets of 5 columns starting with BOS (one padded)."""
    src = tokens(seed, 3, 7, SRC_V, lengths=[7, 4, 2])
    tgt = tokens(seed + 1, 3, 5, TGT_V, lengths=[5, 5, 3], first=BOS_ID)
    return src, tgt


def build(cls: type, seed: int = 0, **kwargs: Any) -> Any:
    torch.manual_seed(seed)
    return cls(**kwargs).double().eval()


def over(ref):
    """The reference's transformer/models.py over the stand-ins of Parts 2 and 3, which the student's is held to."""
    return ref.module("models", UPSTREAM)


def run(
    student,
    target: str,
    init_kwargs: dict[str, Any],
    calls: list[dict[str, Any]],
    state: dict | None,
    grad_outputs=None,
    own_stack: bool = False,
) -> dict[str, Any]:
    """The student's model over stand-ins of the earlier exercises (or, ``own_stack``, over their own)."""
    upstream = () if own_stack else UPSTREAM
    return module_run(
        student, target, [], init_kwargs, calls=calls, state=state, grad_outputs=grad_outputs, upstream=upstream
    )


def fwd(*args: Any, method: str = "forward") -> dict[str, Any]:
    return {"method": method, "args": list(args), "kwargs": {}}


# -- wrong variants of the reference, to name mistakes ---------------------------------------------------------


def stack(layers, x, *extra, final=None, mask_args=None, repeat_last: bool = False):
    """Run a layer stack the way a (possibly mistaken) student would."""
    chosen = [layers[-1]] * len(layers) if repeat_last else list(layers)
    for layer in chosen:
        x = layer(x, *extra, *(mask_args or ()))
    return final(x) if final is not None else x


def transformer_variant(
    m,
    masks,
    src,
    tgt,
    *,
    scale_src=True,
    scale_tgt=True,
    positions=True,
    causal=True,
    memory_mask=True,
    encoder_mask=True,
) -> torch.Tensor:
    """The reference Transformer's forward with one convention switched off."""

    def embed(table, ids, scale):
        x = table(ids) * (math.sqrt(m.d_model) if scale else 1.0)
        return m.pos_encoding(x) if positions else x

    src_mask = masks.padding_mask(src, m.pad_id)
    tgt_mask = masks.decoder_mask(tgt, m.pad_id) if causal else masks.padding_mask(tgt, m.pad_id)
    memory = m.encoder(embed(m.src_embed, src, scale_src), src_mask if encoder_mask else None)
    hidden = m.decoder(embed(m.tgt_embed, tgt, scale_tgt), memory, tgt_mask, src_mask if memory_mask else None)
    return m.generator(hidden)


def gpt_variant(
    m, masks, layers_mod, ids, *, causal=True, final_norm=True, positions=True, scale=False, post_norm=False
):
    """The reference DecoderOnlyTransformer's forward with one convention switched off."""
    x = m.token_embed(ids) * (math.sqrt(m.token_embed.embedding_dim) if scale else 1.0)
    x = m.pos_embed(x) if positions else x
    mask = masks.causal_mask(ids.shape[-1]) if causal else None
    for layer in m.layers:
        if post_norm:
            twin = layers_mod.EncoderLayer(x.shape[-1], HEADS, D_FF, 0.0, norm_first=False).double()
            twin.load_state_dict(layer.state_dict())
            layer = twin.eval()
        x = layer(x, mask)
    return m.lm_head(m.norm(x) if final_norm else x)


def no_grad(fn: Callable[[], Any]) -> Callable[[], Any]:
    def wrapped():
        with torch.no_grad():
            return fn()

    return wrapped


# -- module tests (reference weights, float64) -------------------------------------------------------------------


@pytest.mark.points(1)
def test_transformer_submodules(student, ref):
    """Transformer: submodules and parameter names as in the curriculum"""
    state = student.probe(
        "module_state", target=TRANSFORMER, init_args=[], init_kwargs=TRANSFORMER_KWARGS, upstream=list(UPSTREAM)
    )
    m = build(over(ref).Transformer, **TRANSFORMER_KWARGS)
    check(
        sorted(state["state"]),
        sorted(m.state_dict()),
        what=f"Transformer({describe_args(**TRANSFORMER_KWARGS)}).state_dict() names",
    )
    kinds = {
        name: state["modules"].get(name)
        for name in ("src_embed", "tgt_embed", "generator", "encoder.layers", "encoder.norm", "decoder.norm")
    }
    check(
        kinds,
        {
            "src_embed": "Embedding",
            "tgt_embed": "Embedding",
            "generator": "Linear",
            "encoder.layers": "ModuleList",
            "encoder.norm": "Identity",
            "decoder.norm": "Identity",
        },
        what="Transformer submodule types (post-norm stacks end with norm = nn.Identity)",
    )


@pytest.mark.points(1)
def test_decoder_only_submodules(student, ref):
    """DecoderOnlyTransformer: submodules and parameter names as in the curriculum"""
    state = student.probe("module_state", target=GPT, init_args=[], init_kwargs=GPT_KWARGS, upstream=list(UPSTREAM))
    m = build(over(ref).DecoderOnlyTransformer, **GPT_KWARGS)
    check(
        sorted(state["state"]),
        sorted(m.state_dict()),
        what=f"DecoderOnlyTransformer({describe_args(**GPT_KWARGS)}).state_dict() names",
    )
    kinds = {name: state["modules"].get(name) for name in ("token_embed", "pos_embed", "layers", "norm", "lm_head")}
    check(
        kinds,
        {
            "token_embed": "Embedding",
            "pos_embed": "LearnedPositionalEmbedding",
            "layers": "ModuleList",
            "norm": "LayerNorm",
            "lm_head": "Linear",
        },
        what="DecoderOnlyTransformer submodule types",
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_matches_reference(student, ref, norm_first):
    """Encoder: a stack of layers with the padding mask, then the final norm"""
    kwargs = dict(num_layers=3, d_model=D_MODEL, num_heads=HEADS, d_ff=D_FF, dropout=0.0, norm_first=norm_first)
    m = build(over(ref).Encoder, **kwargs)
    src, _ = src_tgt(1)
    x = torch.randn(3, 7, D_MODEL, generator=make_generator(2), dtype=torch.float64)
    mask = ref["masks"].padding_mask(src, PAD_ID)
    with torch.no_grad():
        expected = m(x, mask)
    got = run(student, ENCODER, kwargs, [fwd(x, mask)], state_of(m))["outputs"][0]
    check(
        got,
        expected,
        what=f"Encoder({describe_args(**kwargs)})(x {describe_args(x)}, mask {describe_args(mask)})",
        mistakes={
            FINAL_NORM_MISSING: no_grad(lambda: stack(m.layers, x, mask_args=(mask,))),
            MASK_IGNORED: no_grad(lambda: stack(m.layers, x, final=m.norm)),
            "the same layer object repeated (nn.ModuleList([layer] * n) shares one set of weights)": no_grad(
                lambda: stack(m.layers, x, final=m.norm, mask_args=(mask,), repeat_last=True)
            ),
        },
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_matches_reference(student, ref, norm_first):
    """Decoder: every layer reads the encoder's memory with both masks, then the final norm"""
    kwargs = dict(num_layers=2, d_model=D_MODEL, num_heads=HEADS, d_ff=D_FF, dropout=0.0, norm_first=norm_first)
    m = build(over(ref).Decoder, **kwargs)
    src, tgt = src_tgt(3)
    x = torch.randn(3, 5, D_MODEL, generator=make_generator(4), dtype=torch.float64)
    memory = torch.randn(3, 7, D_MODEL, generator=make_generator(5), dtype=torch.float64)
    tgt_mask, memory_mask = ref["masks"].decoder_mask(tgt, PAD_ID), ref["masks"].padding_mask(src, PAD_ID)
    with torch.no_grad():
        expected = m(x, memory, tgt_mask, memory_mask)
    got = run(student, DECODER, kwargs, [fwd(x, memory, tgt_mask, memory_mask)], state_of(m))["outputs"][0]
    check(
        got,
        expected,
        what=f"Decoder({describe_args(**kwargs)})(x {describe_args(x)}, memory {describe_args(memory)}, tgt_mask, "
        "memory_mask)",
        mistakes={
            FINAL_NORM_MISSING: no_grad(lambda: stack(m.layers, x, memory, mask_args=(tgt_mask, memory_mask))),
            MEMORY_MASK_MISSING: no_grad(lambda: stack(m.layers, x, memory, final=m.norm, mask_args=(tgt_mask,))),
            TGT_MASK_IGNORED: no_grad(lambda: stack(m.layers, x, memory, final=m.norm, mask_args=(None, memory_mask))),
            "the same layer object repeated (nn.ModuleList([layer] * n) shares one set of weights)": no_grad(
                lambda: stack(m.layers, x, memory, final=m.norm, mask_args=(tgt_mask, memory_mask), repeat_last=True)
            ),
        },
    )


def transformer_mistakes(m, masks, src, tgt) -> dict[str, Callable[[], Any]]:
    def v(**kw):
        return no_grad(lambda: transformer_variant(m, masks, src, tgt, **kw))

    return {
        # On both sides, or on the source (encode) or the target (decode) side alone.
        EMBEDDINGS_NOT_SCALED: AnyOf(v(scale_src=False, scale_tgt=False), v(scale_src=False), v(scale_tgt=False)),
        POSITIONS_NOT_ADDED: v(positions=False),
        NO_CAUSAL_MASK: v(causal=False),
        MEMORY_MASK_MISSING: v(memory_mask=False),
        ENCODER_MASK_MISSING: v(encoder_mask=False),
    }


@pytest.mark.points(3)
def test_transformer_forward_matches_reference(student, ref):
    """Transformer.forward over your own attention, masks, positions and layers (the one integration test: every
    other test of this suite runs over correct stand-ins): embeddings * sqrt(d_model), masks from pad_id, generator"""
    m = build(over(ref).Transformer, **TRANSFORMER_KWARGS)
    src, tgt = src_tgt(6)
    with torch.no_grad():
        expected = m(src, tgt)
    got = run(student, TRANSFORMER, TRANSFORMER_KWARGS, [fwd(src, tgt)], state_of(m), own_stack=True)["outputs"][0]
    check(
        got,
        expected,
        what=f"Transformer(...)(src {describe_args(src)} padded, tgt {describe_args(tgt)} padded) logits",
        mistakes=transformer_mistakes(m, ref["masks"], src, tgt),
    )


@pytest.mark.points(2)
def test_transformer_encode_decode(student, ref):
    """Transformer.encode / decode: use exactly the masks they are given"""
    m = build(over(ref).Transformer, **TRANSFORMER_KWARGS)
    masks = ref["masks"]
    src, tgt = src_tgt(7)
    src_mask, tgt_mask = masks.padding_mask(src, PAD_ID), masks.decoder_mask(tgt, PAD_ID)
    memory = torch.randn(3, 7, D_MODEL, generator=make_generator(8), dtype=torch.float64)
    with torch.no_grad():
        expected = [m.encode(src, src_mask), m.encode(src), m.decode(tgt, memory, tgt_mask, src_mask)]

    def unscaled(table, ids):
        return m.pos_encoding(table(ids))

    got = run(
        student,
        TRANSFORMER,
        TRANSFORMER_KWARGS,
        [
            fwd(src, src_mask, method="encode"),
            fwd(src, method="encode"),
            fwd(tgt, memory, tgt_mask, src_mask, method="decode"),
        ],
        state_of(m),
    )["outputs"]
    names = [
        "encode(src, src_mask)",
        "encode(src) (no mask: attend everywhere)",
        "decode(tgt, memory, tgt_mask, memory_mask)",
    ]
    variants = [
        {
            EMBEDDINGS_NOT_SCALED: no_grad(lambda: m.encoder(unscaled(m.src_embed, src), src_mask)),
            POSITIONS_NOT_ADDED: no_grad(lambda: m.encoder(m.src_embed(src) * math.sqrt(D_MODEL), src_mask)),
        },
        {"encode builds a padding mask itself when src_mask is None": no_grad(lambda: m.encode(src, src_mask))},
        {
            EMBEDDINGS_NOT_SCALED: no_grad(lambda: m.decoder(unscaled(m.tgt_embed, tgt), memory, tgt_mask, src_mask)),
            MEMORY_MASK_MISSING: no_grad(lambda: m.decode(tgt, memory, tgt_mask)),
        },
    ]
    for g, e, name, mistakes in zip(got, expected, names, variants):
        check(
            g, e, what=f"Transformer.{name} with src {describe_args(src)}, tgt {describe_args(tgt)}", mistakes=mistakes
        )


@pytest.mark.points(3)
def test_decoder_only_matches_reference(student, ref):
    """DecoderOnlyTransformer.forward: unscaled embeddings, learned positions, causal pre-norm layers, final norm"""
    m = build(over(ref).DecoderOnlyTransformer, **GPT_KWARGS)
    ids = tokens(9, 2, 6, GPT_V)
    with torch.no_grad():
        expected = m(ids)
    masks, layers = ref["masks"], ref["layers"]

    def v(**kw):
        return no_grad(lambda: gpt_variant(m, masks, layers, ids, **kw))

    got = run(student, GPT, GPT_KWARGS, [fwd(ids)], state_of(m))["outputs"][0]
    check(
        got,
        expected,
        what=f"DecoderOnlyTransformer({describe_args(**GPT_KWARGS)})(tokens {describe_args(ids)}) logits",
        mistakes={
            NO_CAUSAL_MASK: v(causal=False),
            FINAL_NORM_MISSING: v(final_norm=False),
            POSITIONS_NOT_ADDED: v(positions=False),
            "token embeddings scaled by sqrt(d_model) (GPT does not scale them)": v(scale=True),
            "post-norm layers (the blocks need EncoderLayer(..., norm_first=True))": v(post_norm=True),
        },
    )


@pytest.mark.points(2)
def test_gradients_match_reference(student, ref):
    """Transformer and DecoderOnlyTransformer: finite gradients for every parameter, equal to the reference's"""
    for cls, target, kwargs, inputs in (
        (over(ref).Transformer, TRANSFORMER, TRANSFORMER_KWARGS, src_tgt(10)),
        (over(ref).DecoderOnlyTransformer, GPT, GPT_KWARGS, (tokens(11, 2, 7, GPT_V),)),
    ):
        m = build(cls, **kwargs)
        out = m(*inputs)
        g = torch.randn(out.shape, generator=make_generator(12), dtype=torch.float64)
        (out * g).sum().backward()
        expected = {name: p.grad for name, p in m.named_parameters()}
        got = run(student, target, kwargs, [fwd(*inputs)], state_of(m), grad_outputs=[g])["param_grads"]
        name = target.rpartition(":")[2]
        finite = {k: bool(torch.isfinite(v).all()) if isinstance(v, torch.Tensor) else v for k, v in got.items()}
        check(
            finite,
            {k: True for k in expected},
            what=f"{name}: every parameter has a finite gradient (None = no gradient reached it)",
        )
        for param, grad in expected.items():
            check(
                got[param],
                grad,
                what=f"{name}: gradient of {param} for sum(logits * g) with inputs {describe_args(*inputs)}",
            )


# -- properties with the student's own initialisation ------------------------------------------------------------


@pytest.mark.points(2)
def test_decoder_only_is_causal(student):
    """DecoderOnlyTransformer: a token's logits never depend on later tokens"""
    ids = tokens(13, 2, 7, GPT_V)
    later = ids.clone()
    later[:, 4:] = tokens(14, 2, 3, GPT_V)
    out = run(student, GPT, GPT_KWARGS, [fwd(ids), fwd(later)], None)["outputs"]
    check(
        out[1][:, :4],
        out[0][:, :4],
        what=f"DecoderOnlyTransformer logits at positions 0..3 after changing tokens 4..6 of {describe_args(ids)} "
        "(they must not change: no causal mask?)",
    )


@pytest.mark.points(2)
def test_transformer_decoder_is_causal(student):
    """Transformer: target position t never depends on target tokens after t"""
    src, tgt = src_tgt(15)
    tgt = tokens(16, 3, 5, TGT_V, first=BOS_ID)
    later = tgt.clone()
    later[:, 2:] = tokens(17, 3, 3, TGT_V)
    out = run(student, TRANSFORMER, TRANSFORMER_KWARGS, [fwd(src, tgt), fwd(src, later)], None)["outputs"]
    check(
        out[1][:, :2],
        out[0][:, :2],
        what=f"Transformer logits at target positions 0..1 after changing target tokens 2..4 of {describe_args(tgt)} "
        "(they must not change: is the decoder's causal mask missing?)",
    )


@pytest.mark.points(2)
def test_source_padding_does_not_change_outputs(student):
    """Transformer: padding the source does not change the logits"""
    src, tgt = src_tgt(18)
    padded = torch.cat([src, torch.full((3, 4), PAD_ID)], dim=1)
    out = run(student, TRANSFORMER, TRANSFORMER_KWARGS, [fwd(src, tgt), fwd(padded, tgt)], None)["outputs"]
    check(
        out[1],
        out[0],
        what=f"Transformer logits with src {describe_args(src)} and with 4 more PAD columns "
        "(they must be equal: are padding_mask(src) and the memory mask both used?)",
    )


# -- greedy_decode -------------------------------------------------------------------------------------------------

NEVER = -1  # in a script: this row never produces EOS


def script_of(rows: dict[int, list[int]], length: int, vocab: int = 7) -> torch.Tensor:
    """Logits (R, length, vocab) whose argmax at position t is rows[r][t]; positions past the list prefer token 4."""
    script = torch.zeros((max(rows) + 1, length, vocab), dtype=torch.float64)
    script[..., 4] = 1.0
    for r, seq in rows.items():
        for t, token in enumerate(seq):
            script[r, t] = 0.0
            script[r, t, token] = 2.0 + 0.1 * t
    return script


def simulate_greedy(
    script: torch.Tensor, src: torch.Tensor, max_len: int, *, pad_after=True, keep_eos=True, stop=True, steps=None
) -> torch.Tensor:
    """What a greedy loop produces on a scripted model, with one rule switched off (to name mistakes)."""
    rows = script[src[:, 0]]  # (B, T, V)
    ys = torch.full((src.shape[0], 1), BOS_ID)
    finished = torch.zeros(src.shape[0], dtype=torch.bool)
    for t in range(max_len - 1 if steps is None else steps):
        nxt = rows[:, t].argmax(-1)
        if pad_after:
            nxt = nxt.masked_fill(finished, PAD_ID)
        new_finished = finished | (nxt == EOS_ID)
        if not keep_eos:
            nxt = nxt.masked_fill(new_finished, PAD_ID)
        finished = new_finished
        ys = torch.cat([ys, nxt[:, None]], 1)
        if stop and finished.all():
            break
    return ys


def greedy_mistakes(script, src, max_len) -> dict[str, Callable[[], Any]]:
    return {
        "does not pad after eos_id (tokens after eos_id must be pad_id)": lambda: simulate_greedy(
            script, src, max_len, pad_after=False
        ),
        "eos_id replaced by padding (a finished sequence keeps its eos_id)": lambda: simulate_greedy(
            script, src, max_len, keep_eos=False
        ),
        "does not stop once every sequence has produced eos_id": lambda: simulate_greedy(
            script, src, max_len, stop=False
        ),
        "bos_id not counted in max_len (one token too many)": lambda: simulate_greedy(
            script, src, max_len, steps=max_len
        ),
        "bos_id not counted in max_len and no early stop": lambda: simulate_greedy(
            script, src, max_len, stop=False, steps=max_len
        ),
    }


def scripted_spec(script: torch.Tensor) -> dict[str, Any]:
    # upstream: the decoding function comes from the student's models over stand-ins, like every test here
    return {"kind": "scripted_seq2seq", "script": script, "pad_id": PAD_ID, "upstream": list(UPSTREAM)}


def check_scripted_greedy(
    student, script: torch.Tensor, src: torch.Tensor, max_len: int, expected: torch.Tensor
) -> None:
    """greedy_decode on a scripted model (hand-checkable logits) against the hand-worked ``expected``."""
    got = student.probe(
        "decode_run", function=GREEDY, model=scripted_spec(script), args=[src, max_len, BOS_ID, EOS_ID], kwargs={}
    )[0]
    check(
        got,
        expected,
        what=f"greedy_decode(<scripted model>, src {describe_args(src)}, max_len={max_len}, bos_id=1, eos_id=2)",
        mistakes=greedy_mistakes(script, src, max_len),
    )


@pytest.mark.points(2)
def test_greedy_decode_eos_and_padding(student):
    """greedy_decode: keeps eos_id, pads after it, runs to max_len while a sequence is unfinished"""
    rows = {3: [5, 6, EOS_ID], 4: [EOS_ID], 5: [6, 5, 6, 5, 6, 5, 6, 5]}
    src = torch.tensor([[3, 6, 2], [4, 2, 0], [5, 5, 2]])
    expected = torch.tensor([[1, 5, 6, 2, 0, 0], [1, 2, 0, 0, 0, 0], [1, 6, 5, 6, 5, 6]])
    check_scripted_greedy(student, script_of(rows, length=10), src, 6, expected)


@pytest.mark.points(2)
def test_greedy_decode_stops_early(student):
    """greedy_decode: stops as soon as every sequence has produced eos_id"""
    rows = {3: [5, EOS_ID], 4: [6, 5, 5, EOS_ID], 5: [EOS_ID]}
    src = torch.tensor([[4, 6, 2], [3, 2, 0], [5, 6, 2], [3, 3, 2]])
    expected = torch.tensor([[1, 6, 5, 5, 2], [1, 5, 2, 0, 0], [1, 2, 0, 0, 0], [1, 5, 2, 0, 0]])
    check_scripted_greedy(student, script_of(rows, length=12), src, 9, expected)


def reference_greedy(
    m, masks, src, max_len, *, encoder_mask=True, memory_mask=True, pad_after=True, stop=True
) -> torch.Tensor:
    """The greedy loop on the reference model, optionally with one of its rules switched off."""
    src_mask = masks.padding_mask(src, m.pad_id)
    memory = m.encode(src, src_mask if encoder_mask else None)
    ys = torch.full((src.shape[0], 1), BOS_ID)
    finished = torch.zeros(src.shape[0], dtype=torch.bool)
    for _ in range(max_len - 1):
        hidden = m.decode(ys, memory, masks.decoder_mask(ys, m.pad_id), src_mask if memory_mask else None)
        nxt = m.generator(hidden[:, -1]).argmax(-1)
        if pad_after:
            nxt = nxt.masked_fill(finished, m.pad_id)
        ys = torch.cat([ys, nxt[:, None]], 1)
        finished |= nxt == EOS_ID
        if stop and finished.all():
            break
    return ys


@pytest.mark.points(2)
def test_greedy_decode_matches_reference(student, ref):
    """greedy_decode: on a real Transformer (reference weights), the reference's tokens"""
    m = build(over(ref).Transformer, **TRANSFORMER_KWARGS)
    with torch.no_grad():
        m.generator.weight *= 3.0  # logits that depend on the input more than at initialisation
        m.generator.bias[EOS_ID] += 1.0  # some sequences end early, others run to max_len
    src = tokens(19, 5, 7, SRC_V, lengths=[7, 6, 3, 2, 5])
    max_len = 8
    with torch.no_grad():
        expected = over(ref).greedy_decode(m, src, max_len, BOS_ID, EOS_ID)
    spec = {
        "kind": "student",
        "upstream": list(UPSTREAM),
        "target": TRANSFORMER,
        "init_kwargs": TRANSFORMER_KWARGS,
        "state": state_of(m),
        "dtype": "float64",
    }
    got = student.probe("decode_run", function=GREEDY, model=spec, args=[src, max_len, BOS_ID, EOS_ID], kwargs={})[0]
    check(
        got,
        expected,
        what=f"greedy_decode(Transformer with the reference's weights, src {describe_args(src)} padded, "
        f"max_len={max_len})",
        mistakes={
            MEMORY_MASK_MISSING: no_grad(lambda: reference_greedy(m, ref["masks"], src, max_len, memory_mask=False)),
            ENCODER_MASK_MISSING: no_grad(lambda: reference_greedy(m, ref["masks"], src, max_len, encoder_mask=False)),
            "no source masks in greedy_decode": no_grad(
                lambda: reference_greedy(m, ref["masks"], src, max_len, encoder_mask=False, memory_mask=False)
            ),
            "does not pad after eos_id (tokens after eos_id must be pad_id)": no_grad(
                lambda: reference_greedy(m, ref["masks"], src, max_len, pad_after=False)
            ),
        },
    )


# -- generate ------------------------------------------------------------------------------------------------------


def rollout(m, prompt, steps, crop: str = "last") -> torch.Tensor:
    """Greedy continuation by the reference model; ``crop="first"`` models the wrong crop."""
    ys = prompt
    for _ in range(steps):
        context = ys[:, -m.max_len :] if crop == "last" else ys[:, : m.max_len]
        ys = torch.cat([ys, m(context)[:, -1].argmax(-1, keepdim=True)], 1)
    return ys


def calling(fn: Callable[[], Any], error_hints: dict[str, str]) -> Any:
    """``fn()``; a StudentError whose message contains a key becomes feedback naming that mistake."""
    try:
        return fn()
    except StudentError as error:
        for needle, mistake in error_hints.items():
            if error.kind == "raised" and needle in error.message:
                raise naming(str(error), mistake) from None
        raise


CROP_HINT = {"max_len": "context not cropped to max_len (the model must see only the last max_len tokens)"}


@pytest.mark.points(2)
def test_generate_greedy_matches_reference(student, ref):
    """generate: temperature=0 is greedy, keeps the prompt, and crops the context to the last max_len tokens"""
    m = build(over(ref).DecoderOnlyTransformer, **GPT_KWARGS)
    prompt = tokens(20, 3, 4, GPT_V)
    steps = 6  # 4 + 6 > max_len = 7: the context must be cropped
    with torch.no_grad():
        expected = rollout(m, prompt, steps)
    spec = {
        "kind": "student",
        "upstream": list(UPSTREAM),
        "target": GPT,
        "init_kwargs": GPT_KWARGS,
        "state": state_of(m),
        "dtype": "float64",
    }
    got = calling(
        lambda: student.probe(
            "decode_run", function=GENERATE, model=spec, args=[prompt, steps], kwargs={"temperature": 0.0}
        )[0],
        CROP_HINT,
    )
    check(
        got,
        expected,
        what=f"generate(DecoderOnlyTransformer with the reference's weights and max_len={GPT_MAX_LEN}, prompt "
        f"{describe_args(prompt)}, "
        f"max_new_tokens={steps}, temperature=0)",
        mistakes={
            "context crop keeps the first max_len tokens instead of the last": no_grad(
                lambda: rollout(m, prompt, steps, crop="first")
            ),
        },
    )


def bigram_spec(table: torch.Tensor, max_len: int = 50) -> dict[str, Any]:
    return {"kind": "bigram_lm", "table": table, "max_len": max_len, "upstream": list(UPSTREAM)}


def sampled_ranks(table: torch.Tensor, out: Any, start: int) -> list[int]:
    """The distinct ranks (0 = most likely) of the tokens a bigram model generated from column ``start`` on."""
    rank = table.argsort(dim=-1, descending=True).argsort(dim=-1)  # rank[a, b]: the rank of b after a
    ids = out.long().clamp(0, table.shape[0] - 1)
    return sorted(int(r) for r in rank[ids[:, start - 1 : -1], ids[:, start:]].unique())


LOGITS = torch.tensor(
    [0.2, -1.0, 1.0, 2.0, 0.5, -0.5, 1.5], dtype=torch.float64
)  # the next-token logits after any token


def near(got: Any, candidate: torch.Tensor) -> Callable[[], Any]:
    """A mistake model for a sampled frequency: the frequency itself when within sampling noise of ``candidate``."""
    return lambda: (
        got if isinstance(got, torch.Tensor) and float((got - candidate).abs().max()) < SAMPLING_ATOL else candidate
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_generate_temperature_changes_sampling(student, temperature):
    """generate: samples from softmax(logits / temperature)"""
    table = LOGITS.expand(7, 7).clone()
    n = 3000
    prompt = torch.full((n, 1), 3)
    out = student.probe(
        "decode_run",
        function=GENERATE,
        model=bigram_spec(table),
        args=[prompt, 1],
        kwargs={"temperature": temperature},
        generator_seeds=[21],
    )[0]
    check(tuple(out.shape), (n, 2), what=f"generate(<model>, prompt {describe_args(prompt)}, max_new_tokens=1).shape")
    got = torch.bincount(out[:, 1].long().clamp(0, 6), minlength=7).double() / n
    expected = torch.softmax(LOGITS / temperature, -1)
    check(
        got,
        expected,
        atol=SAMPLING_ATOL,
        rtol=0.0,
        what=f"frequency of each token in {n} draws of generate(<model with logits {LOGITS.tolist()}>, "
        f"temperature={temperature})",
        mistakes={
            "temperature ignored (sampled at temperature 1)": near(got, torch.softmax(LOGITS, -1)),
            "logits multiplied by the temperature instead of divided": near(
                got, torch.softmax(LOGITS * temperature, -1)
            ),
            "always the argmax (temperature > 0 must sample)": near(
                got, torch.nn.functional.one_hot(LOGITS.argmax(), 7).double()
            ),
        },
    )


@pytest.mark.points(2)
def test_generate_top_k_restricts_support(student):
    """generate: top_k samples only among the k most likely tokens, at every step"""
    g = make_generator(22)
    table = torch.randn(7, 7, generator=g, dtype=torch.float64)
    prompt = torch.randint(0, 7, (500, 2), generator=g)
    k, steps = 3, 4
    out = student.probe(
        "decode_run",
        function=GENERATE,
        model=bigram_spec(table),
        args=[prompt, steps],
        kwargs={"temperature": 2.0, "top_k": k},
        generator_seeds=[23],
    )[0]
    check(
        tuple(out.shape),
        (500, 2 + steps),
        what=f"generate(<model>, prompt {describe_args(prompt)}, max_new_tokens={steps}, top_k={k}).shape",
    )
    got = sampled_ranks(table, out, start=2)
    check(
        got,
        list(range(k)),
        what=f"ranks (0 = most likely) of the tokens sampled by generate(<bigram model>, temperature=2.0, top_k={k}) "
        f"over {500 * steps} draws",
        mistakes={
            "top_k ignored": list(range(7)),
            "top_k keeps k + 1 tokens (off by one)": list(range(k + 1)),
            "top_k keeps k - 1 tokens (off by one)": list(range(k - 1)),
        },
    )


@pytest.mark.points(1)
def test_generate_top_k_larger_than_vocabulary(student):
    """generate: top_k >= vocabulary size keeps every token"""
    g = make_generator(24)
    table = torch.randn(7, 7, generator=g, dtype=torch.float64)
    prompt = torch.randint(0, 7, (500, 2), generator=g)
    out = student.probe(
        "decode_run",
        function=GENERATE,
        model=bigram_spec(table),
        args=[prompt, 4],
        kwargs={"temperature": 2.0, "top_k": 10},
        generator_seeds=[26],
    )[0]
    got = sampled_ranks(table, out, start=2)
    check(
        got,
        list(range(7)),
        what="ranks (0 = most likely) of the tokens sampled by generate(<bigram model with 7 tokens>, temperature=2.0, "
        "top_k=10) over 2000 draws (every token may be drawn)",
    )


@pytest.mark.points(1)
def test_generate_uses_the_generator(student):
    """generate: the same generator seed gives the same tokens, another seed other tokens"""
    prompt = torch.randint(0, 7, (20, 3), generator=make_generator(27))
    outs = student.probe(
        "decode_run",
        function=GENERATE,
        model=bigram_spec(torch.zeros(7, 7, dtype=torch.float64)),
        args=[prompt, 8],
        kwargs={"temperature": 1.0},
        generator_seeds=[28, 28, 29],
    )
    check(outs[1], outs[0], what="generate(..., generator=torch.Generator().manual_seed(28)) called twice")
    check(
        bool((outs[2] != outs[0]).any()),
        True,
        what="generate with generator seeds 28 and 29 on a uniform model gave different tokens",
    )


@pytest.mark.points(1)
def test_generate_crops_while_sampling(student):
    """generate: with temperature > 0 the model also sees at most max_len tokens"""
    prompt = torch.randint(0, 7, (4, 5), generator=make_generator(30))
    out = calling(
        lambda: student.probe(
            "decode_run",
            function=GENERATE,
            model=bigram_spec(torch.zeros(7, 7, dtype=torch.float64), max_len=3),
            args=[prompt, 4],
            kwargs={"temperature": 1.0, "top_k": 2},
            generator_seeds=[31],
        )[0],
        CROP_HINT,
    )
    check(
        out[:, :5],
        prompt,
        what=f"generate(<model with max_len=3>, prompt {describe_args(prompt)}, max_new_tokens=4)[:, :5] (the prompt, "
        "unchanged)",
    )


# -- behaviour: learning the course's tasks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(student) -> Callable[[str], dict[str, Any]]:
    """Train once per task (in the student's process) and share the result between the tests of that task."""
    cache: dict[str, Any] = {}

    def get(task: str) -> dict[str, Any]:
        if task not in cache:
            recipe = RECIPES[task]
            if task == "language":
                inputs = recipe.task.sample(NUM_HELD_OUT, make_generator(EVAL_SEED))[:, :-1]
                targets = inputs
            else:
                inputs, targets = recipe.task.sample(NUM_HELD_OUT, make_generator(EVAL_SEED))
            try:
                model, decode = (GPT, None) if task == "language" else (TRANSFORMER, GREEDY)
                result = student.probe(
                    "train_on_task",
                    target=model,
                    task=task,
                    seed=0,
                    inputs=inputs,
                    decode=decode,
                    upstream=list(UPSTREAM),
                )
                cache[task] = {"result": result, "inputs": inputs, "targets": targets, "error": None}
            except StudentError as error:
                cache[task] = {"error": error}
        if cache[task]["error"] is not None:
            raise cache[task]["error"]
        return cache[task]

    return get


def reference_with(ref, task: str, state: Any) -> torch.nn.Module:
    """The reference architecture of ``task`` holding the student's trained weights."""
    recipe = RECIPES[task]
    cls = over(ref).DecoderOnlyTransformer if task == "language" else over(ref).Transformer
    model = cls(**recipe.model_kwargs)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    shapes = (
        {k: tuple(v.shape) for k, v in state.items()}
        if isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())
        else state
    )
    check(
        shapes,
        expected,
        what=f"{cls.__name__}(**{describe_args(**recipe.model_kwargs)}).state_dict() after training: names and shapes",
    )
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return model.eval()


def reference_predictions(ref, task: str, model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        if task == "language":
            return model(inputs).argmax(-1)
        return over(ref).greedy_decode(model, inputs, RECIPES[task].task.tgt_len, BOS_ID, EOS_ID)


def accuracy(task: str, predictions: torch.Tensor, data: dict[str, Any]) -> float:
    """Held-out token accuracy of ``predictions`` (decoded sequences, or the argmax at every position of a language
    model).
    """
    if task == "language":
        language = RECIPES[task].task
        truth = language.most_likely_next(data["inputs"])
        return float((predictions[:, language.first_predicted :] == truth).double().mean())
    return sequence_accuracy(predictions, data["targets"])


def check_learned(ref, trained, task: str) -> None:
    data = trained(task)
    result = data["result"]
    model = reference_with(ref, task, result["state"])
    score = accuracy(task, reference_predictions(ref, task, model, data["inputs"]), data)
    losses = result["losses"]
    trend = (
        f"{losses[0]:.2f} -> {losses[-1]:.2f}"
        if isinstance(losses, list) and losses and all(isinstance(x, float) for x in losses)
        else "?"
    )
    hint = ""
    own = result.get("predictions")
    if score < THRESHOLD and isinstance(own, torch.Tensor) and own.dim() == 2 and own.shape[0] == NUM_HELD_OUT:
        own_score = accuracy(task, own.long(), data)
        if own_score >= THRESHOLD:
            hint = (
                f"; your own model gets {own_score:.1%}, so it learns, but its weights do not work in the curriculum's "
                "architecture (see the feedback of the forward tests: scaling, positions, masks)"
            )
    unit = "positions" if task == "language" else "sequences"
    check(
        round(min(score, THRESHOLD), 4),
        THRESHOLD,
        what=f"{task}: held-out token accuracy (needs >= {THRESHOLD:.0%}) of your trained weights loaded into the "
        "curriculum's architecture, "
        f"on {NUM_HELD_OUT} {unit}: {score:.1%}; training loss {trend}{hint}",
    )


def check_agreement(ref, trained, task: str) -> None:
    data = trained(task)
    result = data["result"]
    if result.get("prediction_error") is not None:
        raise StudentError.from_reply(result["prediction_error"])
    model = reference_with(ref, task, result["state"])
    expected = reference_predictions(ref, task, model, data["inputs"])
    got = result["predictions"]
    if isinstance(got, torch.Tensor) and got.dim() == 2 and got.shape[0] == expected.shape[0]:
        width = max(got.shape[1], expected.shape[1])
        a = torch.nn.functional.pad(got.long(), (0, width - got.shape[1]), value=PAD_ID)
        b = torch.nn.functional.pad(expected, (0, width - expected.shape[1]), value=PAD_ID)
        if float((a == b).double().mean()) >= AGREEMENT:
            return
    name = "argmax of your model's logits" if task == "language" else "your greedy_decode of your trained model"
    check(
        got,
        expected,
        what=f"{task}: {name} on {NUM_HELD_OUT} held-out inputs, against the curriculum's architecture "
        f"with your weights (at least {AGREEMENT:.0%} of the tokens must agree)",
    )


@pytest.mark.points(4)
def test_learns_copy(ref, trained):
    """Behaviour: the Transformer learns to copy sequences (>= 95% held-out token accuracy)"""
    check_learned(ref, trained, "copy")


@pytest.mark.points(4)
def test_learns_reverse(ref, trained):
    """Behaviour: the Transformer learns to reverse sequences (>= 95% held-out token accuracy)"""
    check_learned(ref, trained, "reverse")


@pytest.mark.points(4)
def test_learns_language(ref, trained):
    """Behaviour: the DecoderOnlyTransformer learns the synthetic language (>= 95% most-likely next tokens)"""
    check_learned(ref, trained, "language")


@pytest.mark.points(1)
@pytest.mark.parametrize("task", ["copy", "reverse", "language"])
def test_own_predictions_agree(ref, trained, task):
    """Behaviour: your own predictions equal the curriculum's architecture's with your trained weights"""
    check_agreement(ref, trained, task)


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("max_len", [0, -2])
def test_greedy_decode_refuses_max_len_below_one(student, max_len):
    """greedy_decode: max_len < 1 raises ValueError (no room even for bos_id)"""
    from autograder.grading.compare import check_raises

    src = torch.tensor([[3, 4, 2]])
    check_raises(
        lambda: student.probe(
            "decode_run",
            function=GREEDY,
            model=scripted_spec(torch.zeros(5, 4, 6, dtype=torch.float64)),
            args=[src, max_len, BOS_ID, EOS_ID],
            kwargs={},
        ),
        "ValueError",
        what=f"greedy_decode(<model>, src (1, 3), max_len={max_len}, ...)",
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "kwargs", [{"temperature": -0.5}, {"top_k": 0}, {"top_k": -1}], ids=["temperature", "top_k0", "top_k-1"]
)
def test_generate_refuses_bad_sampling_arguments(student, kwargs):
    """generate: temperature < 0 and top_k < 1 raise ValueError"""
    from autograder.grading.compare import check_raises

    table = torch.zeros(7, 7, dtype=torch.float64)
    check_raises(
        lambda: student.probe(
            "decode_run", function=GENERATE, model=bigram_spec(table), args=[torch.tensor([[1, 2]]), 2], kwargs=kwargs
        ),
        "ValueError",
        what=f"generate(<model>, [[1, 2]], 2, {', '.join(f'{k}={v}' for k, v in kwargs.items())})",
    )


@pytest.mark.points(1)
def test_generate_top_k_keeps_ties_with_the_kth_logit(student):
    """generate: top_k=2 keeps every token tied with the 2nd largest logit (here 3 tokens), and only those"""
    table = torch.zeros(7, 7, dtype=torch.float64)
    table[:, 4], table[:, 1], table[:, 5] = 3.0, 2.0, 2.0  # after any token: 4 first, then 1 and 5 tied, the rest 0
    prompt = torch.zeros(300, 1, dtype=torch.long)
    out = student.probe(
        "decode_run",
        function=GENERATE,
        model=bigram_spec(table),
        args=[prompt, 1],
        kwargs={"temperature": 1.0, "top_k": 2},
        generator_seeds=[5],
    )[0]
    got = sorted({int(t) for t in out[:, -1]})
    check(
        got,
        [1, 4, 5],
        what="the tokens generate(<bigram model>, top_k=2) sampled over 300 draws, logits [0, 2, 0, 0, 3, 2, 0] "
        "(a tie at the 2nd largest keeps both)",
        mistakes={
            "ties at the k-th logit dropped (keep every logit >= the k-th largest)": [4, 5] if got == [4, 5] else [1, 4]
        },
    )
