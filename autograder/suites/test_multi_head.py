"""Hidden suite: attention/multi_head.py.

The reference ``MultiHeadAttention`` is built here (trusted process) in float64 with every
parameter randomised, and its ``state_dict`` is loaded into the student's module by the
curriculum's submodule names (``w_q``, ``w_k``, ``w_v``, ``w_o``) through the ``module_run``
probe; outputs, attention weights, input gradients and parameter gradients are compared.
Dimensions all differ (B=2, H=3, Lq=5, Lk=7, d_head=4, d_model=12), so a missing transpose or a
query used where a key belongs changes the answer or its shape.

The student's module runs over a stand-in ``scaled_dot_product_attention`` built from PyTorch
(:mod:`autograder.runtime.standins`), and the reference over the same, so a mistake in the earlier exercise costs
nothing here; ``test_self_attention`` alone runs over the student's own attention.

Known mistakes (sqrt(d_model) instead of sqrt(d_head), heads split or merged without the
transpose, the query used for keys and values ...) are rebuilt below from the reference's own
projections, so a wrong answer that equals one of them is named. Dropout is checked exactly, in
train mode, at p = 1 and, at p = 0.5, through the structure it must leave: with every value equal
to 1, each head's output at a position is the sum of its *kept* attention weights times 1/(1-p).
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from autograder.grading.adapter import StudentError
from autograder.grading.compare import Feedback, check, check_raises, describe_args, naming
from autograder.grading.mistakes.multi_head import MERGE, MHA, SPLIT, bias_mistakes, check_output_weights, mha_mistakes
from autograder.grading.mistakes.names import (
    DROPOUT_NOT_APPLIED,
    DROPOUT_ON_OUTPUT,
    MERGE_NO_TRANSPOSE,
    SPLIT_FEATURE_MAJOR,
    SPLIT_NO_TRANSPOSE,
)
from autograder.grading.testing import causal, key_padding, module_run, randn, reference_run, state_of
from autograder.runtime.standins import UPSTREAM_OF

UPSTREAM = UPSTREAM_OF["attention.multi_head"]  # a correct scaled_dot_product_attention under the student's module
SDPA = "attention.scaled_dot_product:scaled_dot_product_attention"
B, H, LQ, LK, D = 2, 3, 5, 7, 12
DH = D // H
NAMES = ["w_q", "w_k", "w_v", "w_o"]

pytestmark = pytest.mark.timeout(30)


def reference_mha(
    ref, seed: int, dropout: float = 0.0, bias: bool = True, dtype: torch.dtype = torch.float64, heads: int = H
) -> torch.nn.Module:
    """The reference module, every parameter drawn afresh (PyTorch starts biases near 0), in eval mode."""
    torch.manual_seed(seed)
    module = ref.module("multi_head", UPSTREAM).MultiHeadAttention(D, heads, dropout=dropout, bias=bias).to(dtype)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(
                torch.randn(p.shape, generator=gen, dtype=torch.float64)
                / (math.sqrt(p.shape[-1]) if p.dim() == 2 else 3.0)
            )
    return module.eval()


# -- the student's module, and the reference's --------------------------------------------------------------


def run_student(
    student,
    calls: list[dict],
    state: dict,
    *,
    init_kwargs: dict | None = None,
    train: bool = False,
    grad_outputs: list | None = None,
    dtype: str = "float64",
    heads: int = H,
    own_stack: bool = False,
) -> dict:
    """The student's MultiHeadAttention over the stand-in attention (or, ``own_stack``, over their own)."""
    return module_run(
        student, MHA, [D, heads], init_kwargs, calls=calls, state=state, train=train, dtype=dtype,
        grad_outputs=grad_outputs, upstream=() if own_stack else UPSTREAM,
    )  # fmt: skip


def sdpa_note(student, ref) -> str:
    """A line for the feedback when the student's own scaled_dot_product_attention is already wrong."""
    q, k, v = randn(B, H, LQ, DH, seed=900), randn(B, H, LK, DH, seed=901), randn(B, H, LK, DH + 1, seed=902)
    mask = key_padding([LK, 3], LK)
    try:
        got = student.call(SDPA, q, k, v, mask)
        check(
            got,
            ref["scaled_dot_product"].scaled_dot_product_attention(q, k, v, mask),
            what="scaled_dot_product_attention",
        )
    except (StudentError, Feedback):
        return (
            "\n  Note: your scaled_dot_product_attention (attention/scaled_dot_product.py) is wrong on its own; if "
            "your "
            "MultiHeadAttention uses it, fix that exercise first."
        )
    return ""


def check_mha(student, ref, got, expected, *, what: str, mistakes: dict | None = None) -> None:
    """check_output_weights(), plus a note when the student's scaled_dot_product_attention may be the cause."""
    try:
        check_output_weights(got, expected, what=what, mistakes=mistakes)
    except Feedback as feedback:
        raise feedback.with_note(sdpa_note(student, ref)) from None


# -- wrong variants of multi-head attention, from the reference's own projections --------------------------


# -- split_heads / merge_heads --------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("heads", [3, 4])
def test_split_heads(student, ref, heads):
    """split_heads: (B, L, D) -> (B, H, L, D/H), head h holds features h*D/H ... (h+1)*D/H - 1"""
    x = randn(B, LQ, D, seed=heads)
    expected = ref["multi_head"].split_heads(x, heads)
    dh = D // heads
    check(
        student.call(SPLIT, x, heads),
        expected,
        what=f"split_heads({describe_args(x)}, {heads})",
        mistakes={
            SPLIT_NO_TRANSPOSE: lambda: x.reshape(B, heads, LQ, dh),
            SPLIT_FEATURE_MAJOR: lambda: x.view(B, LQ, dh, heads).permute(0, 3, 1, 2),
        },
    )


@pytest.mark.points(2)
def test_merge_heads(student, ref):
    """merge_heads: (B, H, L, D/H) -> (B, L, D), the heads concatenated per position"""
    x = randn(B, H, LQ, DH, seed=5)
    expected = ref["multi_head"].merge_heads(x)
    check(
        student.call(MERGE, x),
        expected,
        what=f"merge_heads({describe_args(x)})",
        mistakes={
            MERGE_NO_TRANSPOSE: lambda: x.reshape(B, LQ, D),
        },
    )


@pytest.mark.points(1)
def test_merge_inverts_split(student):
    """merge_heads(split_heads(x, H)) gives x back"""
    x = randn(B, LK, D, seed=6)
    split = student.call(SPLIT, x, H)
    check(student.call(MERGE, split), x, what=f"merge_heads(split_heads({describe_args(x)}, {H}))")


# -- construction ---------------------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("d_model,heads", [(10, 3), (12, 5)])
def test_rejects_heads_not_dividing_d_model(student, d_model, heads):
    """MultiHeadAttention: ValueError unless num_heads divides d_model"""
    check_raises(
        lambda: student.probe("module_state", target=MHA, init_args=[d_model, heads], init_kwargs={}),
        "ValueError",
        what=f"MultiHeadAttention({d_model}, {heads})",
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("bias", [True, False])
def test_submodules_and_parameters(student, ref, bias):
    """MultiHeadAttention: w_q, w_k, w_v, w_o are nn.Linear(d_model, d_model, bias)"""
    got = student.probe("module_state", target=MHA, init_args=[D, H], init_kwargs={"bias": bias})
    what = f"MultiHeadAttention({D}, {H}, bias={bias})"
    check(
        {name: got["modules"].get(name) for name in NAMES},
        {name: "Linear" for name in NAMES},
        what=f"{what}: submodules w_q, w_k, w_v, w_o",
    )
    shapes = {name: list(t.shape) for name, t in sorted(got["state"].items())}
    expected = {
        name: list(t.shape)
        for name, t in sorted(ref["multi_head"].MultiHeadAttention(D, H, bias=bias).state_dict().items())
    }
    check(shapes, expected, what=f"{what}: parameter names and shapes", mistakes=None if bias else bias_mistakes(D))


# -- forward --------------------------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_self_attention(student, ref):
    """MultiHeadAttention: self-attention output (B, Lq, D) and per-head weights (B, H, Lq, Lq), over your own
    scaled_dot_product_attention (the one integration test: every other test runs over a correct stand-in)"""
    m = reference_mha(ref, seed=10)
    x = randn(B, LQ, D, seed=11)
    got = run_student(student, [{"args": [x, x, x]}], state_of(m), own_stack=True)["outputs"][0]
    check_mha(
        student,
        ref,
        got,
        reference_run(m, [x, x, x])["output"],
        what=f"MultiHeadAttention({D}, {H})(x, x, x) with x {describe_args(x)}",
        mistakes=mha_mistakes(m, x, x, x, num_heads=H),
    )


@pytest.mark.points(3)
def test_cross_attention(student, ref):
    """MultiHeadAttention: cross-attention, queries from the decoder and keys/values from the encoder (Lq != Lk)"""
    m = reference_mha(ref, seed=20)
    query, key, value = randn(B, LQ, D, seed=21), randn(B, LK, D, seed=22), randn(B, LK, D, seed=23)
    got = run_student(student, [{"args": [query, key, value]}], state_of(m))["outputs"][0]
    check_output_weights(
        got,
        reference_run(m, [query, key, value])["output"],
        what=f"MultiHeadAttention({D}, {H})(query, key, value) with {describe_args(query, key, value)}",
        mistakes=mha_mistakes(m, query, key, value, num_heads=H),
    )


MASKED_CASES = {
    "cross, padding (B, 1, 1, Lk)": (LK, lambda: key_padding([LK, 4], LK)),
    "self, causal (Lq, Lq)": (LQ, lambda: causal(LQ)),
    "self, causal and padding (B, 1, Lq, Lq)": (LQ, lambda: key_padding([LQ, 3], LQ) & causal(LQ)),
}


@pytest.mark.points(3)
@pytest.mark.parametrize("case", list(MASKED_CASES))
def test_masked_attention(student, ref, case):
    """MultiHeadAttention: a boolean mask (True = may attend) applies to every head"""
    length, make_mask = MASKED_CASES[case]
    m = reference_mha(ref, seed=30)
    query = randn(B, LQ, D, seed=31)
    key, value = (randn(B, LK, D, seed=32), randn(B, LK, D, seed=33)) if length == LK else (query, query)
    mask = make_mask()
    got = run_student(student, [{"args": [query, key, value, mask]}], state_of(m))["outputs"][0]
    check_output_weights(
        got,
        reference_run(m, [query, key, value, mask])["output"],
        what=f"MultiHeadAttention({D}, {H})({describe_args(query, key, value, mask)}), {case} mask",
        mistakes=mha_mistakes(m, query, key, value, mask, num_heads=H),
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("heads", [1, D], ids=["one head", "d_head=1"])
def test_extreme_head_counts(student, ref, heads):
    """MultiHeadAttention: one head (plain attention on the projections) and d_model heads of size 1"""
    m = reference_mha(ref, seed=35, heads=heads)
    query, memory = randn(B, LQ, D, seed=36), randn(B, LK, D, seed=37)
    mask = key_padding([LK, 6], LK)
    got = run_student(student, [{"args": [query, memory, memory, mask]}], state_of(m), heads=heads)["outputs"][0]
    check_output_weights(
        got,
        reference_run(m, [query, memory, memory, mask])["output"],
        what=f"MultiHeadAttention({D}, {heads})({describe_args(query, memory, memory, mask)})",
    )


@pytest.mark.points(1)
def test_fully_masked_sequence(student, ref):
    """MultiHeadAttention: a sequence whose keys are all masked gets zero weights (output = w_o's bias), no NaN"""
    m = reference_mha(ref, seed=40)
    query, memory = randn(B, LQ, D, seed=41), randn(B, LK, D, seed=42)
    mask = key_padding([LK, 0], LK)
    got = run_student(student, [{"args": [query, memory, memory, mask]}], state_of(m))["outputs"][0]
    check_output_weights(
        got,
        reference_run(m, [query, memory, memory, mask])["output"],
        what=f"MultiHeadAttention({D}, {H})({describe_args(query, memory, memory, mask)}), every key of sequence 1 "
        "masked",
        mistakes=mha_mistakes(m, query, memory, memory, mask, num_heads=H),
    )


@pytest.mark.points(1)
def test_without_bias(student, ref):
    """MultiHeadAttention(bias=False): projections without biases"""
    m = reference_mha(ref, seed=50, bias=False)
    query, memory = randn(B, LQ, D, seed=51), randn(B, LK, D, seed=52)
    got = run_student(student, [{"args": [query, memory, memory]}], state_of(m), init_kwargs={"bias": False})[
        "outputs"
    ][0]
    check_output_weights(
        got,
        reference_run(m, [query, memory, memory])["output"],
        what=f"MultiHeadAttention({D}, {H}, bias=False)({describe_args(query, memory, memory)})",
        mistakes=mha_mistakes(m, query, memory, memory, num_heads=H),
    )


@pytest.mark.points(1)
def test_float32(student, ref):
    """MultiHeadAttention: a float32 module on float32 inputs gives float32 output and weights"""
    m = reference_mha(ref, seed=60, dtype=torch.float32)
    query, memory = randn(B, LQ, D, seed=61, dtype=torch.float32), randn(B, LK, D, seed=62, dtype=torch.float32)
    mask = key_padding([LK, 5], LK)
    got = run_student(student, [{"args": [query, memory, memory, mask]}], state_of(m), dtype="float32")["outputs"][0]
    check_output_weights(
        got,
        reference_run(m, [query, memory, memory, mask])["output"],
        what=f"MultiHeadAttention({D}, {H}).float()({describe_args(query, memory, memory, mask)})",
    )


@pytest.mark.points(3)
def test_gradients(student, ref):
    """MultiHeadAttention: backward runs; query/key/value and every parameter get the reference's gradient"""
    m = reference_mha(ref, seed=70)
    query, key, value = (randn(B, n, D, seed=71 + i).requires_grad_() for i, n in enumerate([LQ, LK, LK]))
    mask = key_padding([LK, 4], LK) & (torch.arange(LK) != 2)  # also a key masked for everyone
    g = randn(B, LQ, D, seed=75)
    expected = reference_run(m, [query, key, value, mask], grad_output=g)
    what = f"MultiHeadAttention({D}, {H})({describe_args(query, key, value, mask)})"
    try:
        got = run_student(student, [{"args": [query, key, value, mask]}], state_of(m), grad_outputs=[g])
    except StudentError:  # say what is wrong with the forward pass first, if anything
        got = run_student(student, [{"args": [query.detach(), key.detach(), value.detach(), mask]}], state_of(m))
        check_output_weights(
            got["outputs"][0],
            expected["output"],
            what=what,
            mistakes=mha_mistakes(m, query, key, value, mask, num_heads=H),
        )
        raise
    check_output_weights(
        got["outputs"][0],
        expected["output"],
        what=what,
        mistakes=mha_mistakes(m, query, key, value, mask, num_heads=H),
    )
    for name, got_grad, exp_grad in zip(["query", "key", "value"], got["input_grads"][0], expected["input_grads"]):
        check(got_grad, exp_grad, what=f"gradient of sum(output * g) with respect to {name} ({what})")
    check(
        dict(sorted(got["param_grads"].items())),
        expected["param_grads"],
        what=f"parameter gradients of sum(output * g) ({what}): every parameter must get one",
    )


# -- dropout (train mode) ---------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_train_mode_without_dropout(student, ref):
    """MultiHeadAttention: in train mode with dropout 0 the output is the eval output"""
    m = reference_mha(ref, seed=80)
    query, memory = randn(B, LQ, D, seed=81), randn(B, LK, D, seed=82)
    got = run_student(student, [{"args": [query, memory, memory]}], state_of(m), train=True)["outputs"][0]
    check_output_weights(
        got,
        reference_run(m, [query, memory, memory])["output"],
        what=f"MultiHeadAttention({D}, {H}, dropout=0.0).train()({describe_args(query, memory, memory)})",
    )


@pytest.mark.points(2)
def test_dropout_one_drops_every_weight(student, ref):
    """MultiHeadAttention: dropout=1 in train mode drops every attention weight (output = w_o's bias); the weights
    returned are pre-dropout
    """
    m = reference_mha(ref, seed=90, dropout=1.0)
    query, memory = randn(B, LQ, D, seed=91), randn(B, LK, D, seed=92)
    eval_out, eval_weights = reference_run(m, [query, memory, memory])["output"]
    bias = m.w_o.bias.detach().expand(B, LQ, D)
    got = run_student(
        student, [{"args": [query, memory, memory]}], state_of(m), init_kwargs={"dropout": 1.0}, train=True
    )["outputs"][0]
    check_output_weights(
        got,
        (bias, eval_weights),
        what=f"MultiHeadAttention({D}, {H}, dropout=1.0).train()({describe_args(query, memory, memory)})",
        mistakes={
            DROPOUT_NOT_APPLIED: (
                eval_out,
                eval_weights,
            ),
            "weights returned after dropout: return them as they were before dropout": (
                bias,
                torch.zeros_like(eval_weights),
            ),
            DROPOUT_ON_OUTPUT: (torch.zeros_like(bias), eval_weights),
        },
    )


def nearest_dropout_output(weights: torch.Tensor, got: torch.Tensor, scale: float) -> torch.Tensor:
    """The output (B, Lq, D) closest to ``got`` that dropout on ``weights`` (B, H, Lq, Lk) can give when every value is
    1:
    each head's features at a position all equal ``scale * sum of the kept weights`` for some subset of the keys."""
    subsets = torch.tensor(
        list(itertools.product([0.0, 1.0], repeat=weights.size(-1))), dtype=weights.dtype
    )  # (2^Lk, Lk)
    sums = scale * weights @ subsets.T  # (B, H, Lq, 2^Lk)
    target = got.reshape(B, LQ, H, DH)[..., 0].transpose(1, 2)  # (B, H, Lq): each head's first feature
    best = (sums - target[..., None]).abs().argmin(dim=-1, keepdim=True)
    nearest = sums.gather(-1, best)  # (B, H, Lq, 1)
    return nearest.expand(B, H, LQ, DH).transpose(1, 2).reshape(B, LQ, D)


@pytest.mark.points(3)
def test_dropout_acts_on_attention_weights(student, ref):
    """MultiHeadAttention: dropout=0.5 in train mode drops attention weights and rescales the kept ones by 1/(1-p)"""
    p = 0.5
    m = reference_mha(ref, seed=100, dropout=p)
    with torch.no_grad():  # every value 1, no output projection: each head then outputs the sum of its kept weights
        m.w_v.weight.zero_()
        m.w_v.bias.fill_(1.0)
        m.w_o.weight.copy_(torch.eye(D))
        m.w_o.bias.zero_()
    query, memory = randn(B, LQ, D, seed=101), randn(B, LK, D, seed=102)
    eval_out, eval_weights = reference_run(m, [query, memory, memory])["output"]
    calls = [{"args": [query, memory, memory]}] * 3
    outputs = run_student(student, calls, state_of(m), init_kwargs={"dropout": p}, train=True)["outputs"]
    what = (
        f"MultiHeadAttention({D}, {H}, dropout={p}).train()({describe_args(query, memory, memory)}), values all 1, "
        "w_o the identity"
    )
    for i, (out, weights) in enumerate(outputs):
        check_dropout_call(out, weights, eval_out, eval_weights, p, what=f"{what}, call {i}")


def check_dropout_call(out, weights, eval_out, eval_weights, p: float, *, what: str) -> None:
    """One train-mode call of test_dropout_acts_on_attention_weights: pre-dropout weights, and an output dropout on
    weights can give.
    """
    comparable = isinstance(weights, torch.Tensor) and weights.shape == eval_weights.shape
    dropped = comparable and bool(((weights == 0) | (weights - eval_weights / (1 - p)).abs().lt(1e-9)).all())
    check(
        weights,
        eval_weights,
        what=f"{what}: the weights returned (before dropout)",
        mistakes={
            "weights returned after dropout: return them as they were before dropout": weights if dropped else None,
        },
    )
    if not isinstance(out, torch.Tensor) or out.shape != (B, LQ, D):
        check(out, eval_out, what=f"{what}: output")
    heads = out.reshape(B, LQ, H, DH)
    per_feature = (heads - heads[..., :1]).abs().max() > 1e-9
    check(
        out,
        nearest_dropout_output(eval_weights, out, 1 / (1 - p)),
        what=f"{what}: output (each head's features must all equal the sum of its kept weights times 1/(1-p); "
        "expected shows the nearest such output)",
        mistakes={
            DROPOUT_NOT_APPLIED: eval_out,
            DROPOUT_ON_OUTPUT: out if per_feature else None,
            "dropout not rescaled by 1/(1-p) (nn.Dropout does it)": lambda: nearest_dropout_output(
                eval_weights, out, 1.0
            ),
        },
    )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("heads", [5, 0, -3])
def test_split_heads_rejects_bad_head_counts(student, heads):
    """split_heads: ValueError when num_heads <= 0 or does not divide D"""
    x = randn(B, LQ, D, seed=40)
    check_raises(lambda: student.call(SPLIT, x, heads), "ValueError", what=f"split_heads({describe_args(x)}, {heads})")


@pytest.mark.points(1)
def test_split_heads_non_contiguous_input(student, ref):
    """split_heads: a non-contiguous (transposed) input works (reshape, not view)"""
    x = randn(B, D, LQ, seed=41).transpose(1, 2)  # (B, LQ, D), not contiguous
    what = f"split_heads({describe_args(x)} made by a transpose, so not contiguous, {H})"
    check(student.call(SPLIT, x, H), ref["multi_head"].split_heads(x, H), what=what)


@pytest.mark.points(1)
def test_three_dimensional_mask_is_per_sequence(student, ref):
    """MultiHeadAttention: a 3-D (B, Lq, Lk) mask is one mask per sequence, for every head"""
    m = reference_mha(ref, seed=42)
    query, memory = randn(B, LQ, D, seed=43), randn(B, LK, D, seed=44)
    mask = torch.rand(B, LQ, LK, generator=torch.Generator().manual_seed(45)) < 0.6
    mask[..., 0] = True
    expected = reference_run(m, [query, memory, memory, mask])["output"]
    what = f"MultiHeadAttention({D}, {H})(query, memory, memory, mask {describe_args(mask)})"
    try:
        got = run_student(student, [{"args": [query, memory, memory, mask]}], state_of(m))["outputs"][0]
    except StudentError as error:
        if error.kind != "raised" or "must match" not in error.message:  # torch's broadcasting error
            raise
        hint = "the 3-D mask broadcast as (1, B, Lq, Lk): add the head axis first, mask.unsqueeze(1)"
        raise naming(f"{what}: {error}", hint) from None
    check_output_weights(got, expected, what=what)


@pytest.mark.points(1)
def test_dropout_submodule_is_named_dropout(student):
    """MultiHeadAttention: the dropout on the weights is the submodule `dropout`, an nn.Dropout"""
    got = student.probe("module_state", target=MHA, init_args=[D, H], init_kwargs={"dropout": 0.25})
    check(got["modules"].get("dropout"), "Dropout", what=f"MultiHeadAttention({D}, {H}, dropout=0.25).dropout")
