"""Hidden suite: transformer/layers.py.

The reference modules are built here (trusted process) in float64 with every parameter
randomised (LayerNorm gains are not left at one, so swapped or shared norms show), and their
``state_dict`` is loaded into the student's modules through the ``module_run`` probe (nn.LayerNorm,
F.layer_norm and the nn.Transformer* classes are refused by the grader's forbidden-API check); outputs,
input gradients and parameter gradients are compared. Known mistakes (a missing residual, the
wrong norm order, a mask ignored ...) are modelled by re-wiring the reference's own submodules,
so a wrong answer that equals one of them is named.

The student's layers run over a stand-in attention built from PyTorch (:mod:`autograder.runtime.standins`), and
the reference's over the same, so a mistake in an earlier exercise costs nothing here. One integration test
(``test_encoder_layer_over_your_own_attention``) runs the student's own ``MultiHeadAttention``; when it fails,
the suite also runs that ``MultiHeadAttention`` alone and says so if it is the culprit.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import torch

from autograder.grading.adapter import StudentError
from autograder.grading.compare import Feedback, check, describe_args
from autograder.grading.mistakes.layers import (
    DEC,
    ENC,
    FFN,
    LN,
    decoder_mistakes,
    encoder_mistakes,
    layer_norm_mistakes,
)
from autograder.grading.mistakes.names import DROPOUT_NOT_APPLIED
from autograder.grading.testing import call, causal, module_run, randn, reference_run, state_of
from autograder.runtime.standins import UPSTREAM_OF

MHA = "attention.multi_head:MultiHeadAttention"
UPSTREAM = UPSTREAM_OF["transformer.layers"]  # a correct attention (and masks) under the student's layers

B, L, LT, LM, D, H, DFF = 2, 5, 5, 7, 12, 3, 20  # all different where it matters: (B, H, L, D/H) = (2, 3, 5, 4)

pytestmark = pytest.mark.timeout(30)


# -- inputs and reference runs ------------------------------------------------------------------------


def randomise(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """float64, every parameter drawn afresh: LayerNorm gains near 1, the rest small and non-zero."""
    module = module.double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for owner in module.modules():
            for name, p in owner.named_parameters(recurse=False):
                noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
                if type(owner).__name__ == "LayerNorm" and name == "weight":
                    p.copy_(1.0 + 0.3 * noise)
                elif p.dim() == 2:
                    p.copy_(noise / p.shape[1] ** 0.5)
                else:
                    p.copy_(0.2 * noise)
    return module


def sorted_dict(d: dict) -> dict:
    return {k: d[k] for k in sorted(d)}


def over(ref):
    """The reference's transformer/layers.py over the stand-in attention, which the student's layers are held to."""
    return ref.module("layers", UPSTREAM)


def run_student(
    student,
    target: str,
    init_args: list,
    init_kwargs: dict,
    args: list,
    kwargs: dict,
    state: dict,
    grad_output=None,
    own_stack: bool = False,
    **extra,
) -> dict:
    """The student's layer over a stand-in attention (or, ``own_stack``, over their own MultiHeadAttention)."""
    got = module_run(
        student, target, init_args, init_kwargs, calls=[call(*args, **kwargs)], state=state,
        grad_outputs=None if grad_output is None else [grad_output], upstream=() if own_stack else UPSTREAM, **extra,
    )  # fmt: skip
    return {
        "output": got["outputs"][0],
        "input_grads": got["input_grads"][0] if got["input_grads"] else [],
        "param_grads": sorted_dict(got["param_grads"]),
    }


def mha_note(student, ref) -> str:
    """A line for the feedback when the student's own MultiHeadAttention is what goes wrong."""
    mha = randomise(ref["multi_head"].MultiHeadAttention(D, H), seed=99)
    q, kv = randn(B, LT, D, seed=100), randn(B, LM, D, seed=101)
    mask = causal(LT) & padding_mask([LT, LT - 1], LT)
    calls = [{"args": [q, kv, kv]}, {"args": [q, q, q, mask]}]
    try:
        got = student.probe(
            "module_run",
            target=MHA,
            init_args=[D, H],
            init_kwargs={},
            calls=calls,
            state=state_of(mha),
            dtype="float64",
        )
        got = [out[0] for out in got["outputs"]]
    except StudentError as error:
        return (
            "\n  Note: these layers use your MultiHeadAttention (attention/multi_head.py), which fails on its "
            f"own: {error.summary()[:300]}"
        )
    except (TypeError, IndexError, KeyError):
        return "\n  Note: your MultiHeadAttention (attention/multi_head.py) must return (output, weights)."
    try:
        with torch.no_grad():
            check(got, [mha(q, kv, kv)[0], mha(q, q, q, mask)[0]], what="MultiHeadAttention")
    except Feedback:
        return (
            "\n  Note: these layers use your MultiHeadAttention, whose output is wrong on its own: fix the "
            "multi_head exercise first."
        )
    return ""


def check_layer(student, ref, got, expected, *, what: str, mistakes: dict | None = None) -> None:
    """check(), plus a note when the student's MultiHeadAttention is the cause."""
    try:
        check(got, expected, what=what, mistakes=mistakes)
    except Feedback as feedback:
        raise feedback.with_note(mha_note(student, ref)) from None


# -- wrong wirings of the reference's own submodules ----------------------------------------------------


def padding_mask(lengths: Sequence[int], size: int) -> torch.Tensor:
    """(B, 1, 1, size), True on the first lengths[b] keys."""
    return (torch.arange(size)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]


MASKS = {
    "none": None,
    "padding": padding_mask([L, L - 2], L),
    "causal": causal(L),
    "causal+padding": causal(L) & padding_mask([L, L - 2], L),
}


def describe_mask(mask: torch.Tensor | None) -> str:
    return "None" if mask is None else f"<bool {tuple(mask.shape)}>"


# -- LayerNorm --------------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_layer_norm_parameters(student):
    """LayerNorm: parameters weight (ones) and bias (zeros) of shape (d_model,)"""
    got = student.probe("module_state", target=LN, init_args=[7], init_kwargs={})
    check(got["state"], {"weight": torch.ones(7), "bias": torch.zeros(7)}, what="LayerNorm(7).state_dict()")


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "shape,eps,scale",
    [((2, 5, 7), 1e-5, 0.01), ((4, 9), 1e-5, 3.0), ((3, 6, 8), 0.1, 0.5)],
    ids=["3d-small-variance", "2d", "eps=0.1"],
)
def test_layer_norm_forward(student, ref, shape, eps, scale):
    """LayerNorm: weight * (x - mean) / sqrt(var + eps) + bias over the last axis (float64)"""
    d = shape[-1]
    module = randomise(over(ref).LayerNorm(d, eps=eps), seed=1)
    x = randn(*shape, seed=2, scale=scale, shift=1.5).requires_grad_()
    g = randn(*shape, seed=3)
    expected = reference_run(module, [x], {}, g)
    got = run_student(student, LN, [d], {"eps": eps}, [x], {}, state_of(module), g)
    what = f"LayerNorm({d}, eps={eps})({describe_args(x.detach())})"
    check(
        got["output"],
        expected["output"],
        what=what,
        mistakes=layer_norm_mistakes(x.detach(), module.weight.detach(), module.bias.detach(), eps),
    )
    check(got["input_grads"], expected["input_grads"], what=f"gradient of x for {what}")
    check(got["param_grads"], expected["param_grads"], what=f"gradients of weight and bias for {what}")


@pytest.mark.points(1)
def test_layer_norm_constant_rows(student, ref):
    """LayerNorm: a constant token vector gives bias (no NaN: eps is inside the square root)"""
    module = randomise(over(ref).LayerNorm(5), seed=4)
    x = torch.full((2, 3, 5), 2.5, dtype=torch.float64)
    got = run_student(student, LN, [5], {}, [x], {}, state_of(module))
    check(got["output"], module(x).detach(), what=f"LayerNorm(5)({describe_args(x)} filled with 2.5)")


# -- FeedForward ------------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_feed_forward_parameters(student, ref):
    """FeedForward: linear1 (d_model -> d_ff) and linear2 (d_ff -> d_model)"""
    got = student.probe("module_state", target=FFN, init_args=[D, DFF], init_kwargs={})
    shapes = sorted_dict({k: tuple(v.shape) for k, v in got["state"].items()})
    expected = sorted_dict({k: tuple(v.shape) for k, v in over(ref).FeedForward(D, DFF).state_dict().items()})
    check(shapes, expected, what=f"FeedForward({D}, {DFF}).state_dict() shapes")


@pytest.mark.points(2)
def test_feed_forward_forward(student, ref):
    """FeedForward: linear2(relu(linear1(x))) and its gradients (float64)"""
    m = randomise(over(ref).FeedForward(D, DFF), seed=5)
    x = randn(B, L, D, seed=6).requires_grad_()
    g = randn(B, L, D, seed=7)
    expected = reference_run(m, [x], {}, g)
    got = run_student(student, FFN, [D, DFF], {}, [x], {}, state_of(m), g)
    xd = x.detach()
    with torch.no_grad():
        mistakes = {
            "ReLU missing (linear2(linear1(x)))": m.linear2(m.linear1(xd)),
            "ReLU applied after linear2 instead of between the two linear layers": torch.relu(m.linear2(m.linear1(xd))),
            "ReLU also applied to the output (only the hidden layer is rectified)": torch.relu(m(xd)),
        }
    what = f"FeedForward({D}, {DFF})({describe_args(xd)})"
    check(got["output"], expected["output"], what=what, mistakes=mistakes)
    check(got["input_grads"], expected["input_grads"], what=f"gradient of x for {what}")
    check(got["param_grads"], expected["param_grads"], what=f"parameter gradients for {what}")


@pytest.mark.points(1)
def test_feed_forward_dropout(student, ref):
    """FeedForward: dropout on the hidden activations in train mode (torch.manual_seed(0) first)"""
    p, seed = 0.4, 0
    m = randomise(over(ref).FeedForward(D, DFF, dropout=p), seed=8).train()
    x = randn(B, L, D, seed=9)
    torch.manual_seed(seed)
    with torch.no_grad():
        expected = m(x)

        def dropout_on_output():
            torch.manual_seed(seed)
            return torch.nn.functional.dropout(m.linear2(torch.relu(m.linear1(x))), p, True)

        no_dropout = m.linear2(torch.relu(m.linear1(x)))
    got = run_student(student, FFN, [D, DFF], {"dropout": p}, [x], {}, state_of(m), train=True, seed=seed)
    check(
        got["output"],
        expected,
        what=f"FeedForward({D}, {DFF}, dropout={p}).train()({describe_args(x)})",
        mistakes={
            "dropout applied to the output (after linear2) instead of the hidden activations": dropout_on_output,
            DROPOUT_NOT_APPLIED: no_dropout,
        },
    )


# -- EncoderLayer -----------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_encoder_layer_names(student, ref):
    """EncoderLayer: submodules self_attn, ffn, norm1, norm2 (parameter names and shapes)"""
    got = student.probe("module_state", target=ENC, init_args=[D, H, DFF], init_kwargs={})
    shapes = sorted_dict({k: tuple(v.shape) for k, v in got["state"].items()})
    expected = sorted_dict({k: tuple(v.shape) for k, v in over(ref).EncoderLayer(D, H, DFF).state_dict().items()})
    check(shapes, expected, what=f"EncoderLayer({D}, {H}, {DFF}).state_dict() shapes")


ENCODER_CASES = [(False, "padding"), (False, "none"), (True, "causal+padding"), (True, "none")]


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "norm_first,mask_name", ENCODER_CASES, ids=[f"norm_first={n}-mask={m}" for n, m in ENCODER_CASES]
)
def test_encoder_layer_forward(student, ref, norm_first, mask_name):
    """EncoderLayer: self-attention then feed-forward, each with Add & Norm (float64)"""
    m = randomise(over(ref).EncoderLayer(D, H, DFF, norm_first=norm_first), seed=10 + norm_first).eval()
    mask = MASKS[mask_name]
    x = randn(B, L, D, seed=11)
    kwargs = {} if mask is None else {"mask": mask}
    got = run_student(student, ENC, [D, H, DFF], {"norm_first": norm_first}, [x], kwargs, state_of(m))
    with torch.no_grad():
        expected = m(x, mask)
    what = f"EncoderLayer({D}, {H}, {DFF}, norm_first={norm_first})({describe_args(x)}, mask={describe_mask(mask)})"
    check(got["output"], expected, what=what, mistakes=encoder_mistakes(m, x, mask, norm_first))


@pytest.mark.points(1)
def test_encoder_layer_over_your_own_attention(student, ref):
    """EncoderLayer over your own MultiHeadAttention (the one integration test: every other test of this suite runs
    over a correct stand-in attention)"""
    m = randomise(ref["layers"].EncoderLayer(D, H, DFF), seed=13).eval()
    x, mask = randn(B, L, D, seed=14), MASKS["padding"]
    got = run_student(student, ENC, [D, H, DFF], {}, [x], {"mask": mask}, state_of(m), own_stack=True)
    with torch.no_grad():
        expected = m(x, mask)
    what = f"EncoderLayer({D}, {H}, {DFF})({describe_args(x)}, mask={describe_mask(mask)}), your own attention"
    check_layer(student, ref, got["output"], expected, what=what, mistakes=encoder_mistakes(m, x, mask, False))


@pytest.mark.points(1)
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_layer_gradients(student, ref, norm_first):
    """EncoderLayer: gradients of the input and of every parameter (float64, with a mask)"""
    m = randomise(over(ref).EncoderLayer(D, H, DFF, norm_first=norm_first), seed=12).eval()
    mask = MASKS["causal+padding"]
    x = randn(B, L, D, seed=13).requires_grad_()
    g = randn(B, L, D, seed=14)
    expected = reference_run(m, [x], {"mask": mask}, g)
    got = run_student(student, ENC, [D, H, DFF], {"norm_first": norm_first}, [x], {"mask": mask}, state_of(m), g)
    what = (
        f"EncoderLayer({D}, {H}, {DFF}, norm_first={norm_first})({describe_args(x.detach())}, "
        f"mask={describe_mask(mask)})"
    )
    check(got["output"], expected["output"], what=what)
    check(got["input_grads"], expected["input_grads"], what=f"gradient of x for {what}")
    check(got["param_grads"], expected["param_grads"], what=f"parameter gradients for {what}")


@pytest.mark.points(1)
def test_encoder_layer_eval_has_no_dropout(student, ref):
    """EncoderLayer: eval() switches every dropout off (dropout=0.3)"""
    m = randomise(over(ref).EncoderLayer(D, H, DFF, dropout=0.3), seed=15).eval()
    x = randn(B, L, D, seed=16)
    got = run_student(student, ENC, [D, H, DFF], {"dropout": 0.3}, [x], {}, state_of(m))
    with torch.no_grad():
        expected = m(x)
    check(
        got["output"],
        expected,
        what=f"EncoderLayer({D}, {H}, {DFF}, dropout=0.3).eval()({describe_args(x)})",
    )


@pytest.mark.points(1)
def test_encoder_layer_train_uses_dropout(student, ref):
    """EncoderLayer: in train() mode dropout=0.5 changes the output"""
    m = randomise(over(ref).EncoderLayer(D, H, DFF, dropout=0.5), seed=17)
    x = randn(B, L, D, seed=18)
    args = (student, ENC, [D, H, DFF], {"dropout": 0.5}, [x], {}, state_of(m))
    train_out = run_student(*args, train=True)["output"]
    eval_out = run_student(*args, train=False)["output"]
    check(
        bool((train_out - eval_out).abs().max() > 1e-6),
        True,
        what=f"EncoderLayer({D}, {H}, {DFF}, dropout=0.5).train()({describe_args(x)}) differs from eval mode (dropout "
        "is applied)",
    )


# -- DecoderLayer -----------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_decoder_layer_names(student, ref):
    """DecoderLayer: submodules self_attn, cross_attn, ffn, norm1, norm2, norm3"""
    got = student.probe("module_state", target=DEC, init_args=[D, H, DFF], init_kwargs={})
    shapes = sorted_dict({k: tuple(v.shape) for k, v in got["state"].items()})
    expected = sorted_dict({k: tuple(v.shape) for k, v in over(ref).DecoderLayer(D, H, DFF).state_dict().items()})
    check(shapes, expected, what=f"DecoderLayer({D}, {H}, {DFF}).state_dict() shapes")


DECODER_CASES = [(False, True, True), (False, True, False), (True, True, True), (True, False, False)]


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "norm_first,with_tgt_mask,with_memory_mask",
    DECODER_CASES,
    ids=[f"norm_first={n}-tgt_mask={t}-memory_mask={mm}" for n, t, mm in DECODER_CASES],
)
def test_decoder_layer_forward(student, ref, norm_first, with_tgt_mask, with_memory_mask):
    """DecoderLayer: masked self-attention, cross-attention on memory, feed-forward, each with Add & Norm (float64)"""
    m = randomise(over(ref).DecoderLayer(D, H, DFF, norm_first=norm_first), seed=20 + norm_first).eval()
    x, memory = randn(B, LT, D, seed=21), randn(B, LM, D, seed=22)
    tgt_mask = causal(LT) & padding_mask([LT, LT - 1], LT) if with_tgt_mask else None
    memory_mask = padding_mask([LM - 3, LM], LM) if with_memory_mask else None
    got = run_student(
        student,
        DEC,
        [D, H, DFF],
        {"norm_first": norm_first},
        [x, memory],
        {"tgt_mask": tgt_mask, "memory_mask": memory_mask},
        state_of(m),
    )
    with torch.no_grad():
        expected = m(x, memory, tgt_mask, memory_mask)
    what = (
        f"DecoderLayer({D}, {H}, {DFF}, norm_first={norm_first})({describe_args(x, memory)}, "
        f"tgt_mask={describe_mask(tgt_mask)}, memory_mask={describe_mask(memory_mask)})"
    )
    check(
        got["output"],
        expected,
        what=what,
        mistakes=decoder_mistakes(m, x, memory, tgt_mask, memory_mask, norm_first),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_layer_gradients(student, ref, norm_first):
    """DecoderLayer: gradients of x, of memory and of every parameter (float64, with masks)"""
    m = randomise(over(ref).DecoderLayer(D, H, DFF, norm_first=norm_first), seed=23).eval()
    x, memory = randn(B, LT, D, seed=24).requires_grad_(), randn(B, LM, D, seed=25).requires_grad_()
    g = randn(B, LT, D, seed=26)
    masks = {"tgt_mask": causal(LT), "memory_mask": padding_mask([LM, LM - 2], LM)}
    expected = reference_run(m, [x, memory], masks, g)
    got = run_student(student, DEC, [D, H, DFF], {"norm_first": norm_first}, [x, memory], masks, state_of(m), g)
    what = (
        f"DecoderLayer({D}, {H}, {DFF}, norm_first={norm_first})({describe_args(x.detach(), memory.detach())}, "
        "<causal tgt_mask>, <padding memory_mask>)"
    )
    check(got["output"], expected["output"], what=what)
    check(got["input_grads"], expected["input_grads"], what=f"gradients of x and memory for {what}")
    check(got["param_grads"], expected["param_grads"], what=f"parameter gradients for {what}")


@pytest.mark.points(1)
def test_decoder_layer_eval_has_no_dropout(student, ref):
    """DecoderLayer: eval() switches every dropout off (dropout=0.3)"""
    m = randomise(over(ref).DecoderLayer(D, H, DFF, dropout=0.3), seed=27).eval()
    x, memory = randn(B, LT, D, seed=28), randn(B, LM, D, seed=29)
    got = run_student(student, DEC, [D, H, DFF], {"dropout": 0.3}, [x, memory], {}, state_of(m))
    with torch.no_grad():
        expected = m(x, memory)
    check(
        got["output"],
        expected,
        what=f"DecoderLayer({D}, {H}, {DFF}, dropout=0.3).eval()({describe_args(x, memory)})",
    )
