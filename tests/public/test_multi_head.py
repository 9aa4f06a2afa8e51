"""Public tests for attention/multi_head.py: split/merge by hand, and MultiHeadAttention against
PyTorch's own ``nn.MultiheadAttention(batch_first=True)`` given the same weights.

Two conventions differ between this course and PyTorch, and the helpers below translate them:
- PyTorch keeps W_q, W_k, W_v stacked in one ``in_proj_weight`` (3 * d_model rows); ours are three
  ``nn.Linear`` layers ``w_q``, ``w_k``, ``w_v`` (and its ``out_proj`` is our ``w_o``);
- PyTorch's boolean masks mark what may *not* be attended; ours mark what may. PyTorch also
  averages the weights over the heads unless ``average_attn_weights=False``.
"""


import torch
from torch import nn

from autograder.grading.compare import check, check_raises
from autograder.grading.mistakes.multi_head import MERGE, MHA, SPLIT, bias_mistakes, check_output_weights, mha_mistakes
from autograder.grading.mistakes.names import (
    DROPOUT_NOT_APPLIED,
    DROPOUT_ON_OUTPUT,
    MERGE_NO_TRANSPOSE,
    SPLIT_FEATURE_MAJOR,
    SPLIT_NO_TRANSPOSE,
)

B, H, LQ, LK, D = 2, 3, 5, 7, 12  # d_head = 4: all different


def randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def torch_mha(seed: int) -> nn.MultiheadAttention:
    """PyTorch's module in float64 with random weights and biases (it starts its biases at 0)."""
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(D, H, batch_first=True).double().eval()
    with torch.no_grad():
        theirs.in_proj_bias.normal_(0, 0.3)
        theirs.out_proj.bias.normal_(0, 0.3)
    return theirs


def our_state(theirs: nn.MultiheadAttention) -> dict:
    """PyTorch's weights under our names."""
    w_q, w_k, w_v = theirs.in_proj_weight.detach().chunk(3)
    b_q, b_k, b_v = theirs.in_proj_bias.detach().chunk(3)
    return {
        "w_q.weight": w_q, "w_q.bias": b_q, "w_k.weight": w_k, "w_k.bias": b_k, "w_v.weight": w_v, "w_v.bias": b_v,
        "w_o.weight": theirs.out_proj.weight.detach(), "w_o.bias": theirs.out_proj.bias.detach(),
    }


class Projections:
    """PyTorch's four projections as w_q, w_k, w_v, w_o (callables), for the models below."""

    def __init__(self, theirs: nn.MultiheadAttention) -> None:
        state = our_state(theirs)
        for name in ("w_q", "w_k", "w_v", "w_o"):
            weight, bias = state[f"{name}.weight"], state[f"{name}.bias"]
            setattr(self, name, lambda x, weight=weight, bias=bias: x @ weight.T + bias)


def mistakes_of(theirs: nn.MultiheadAttention, query, key, value, mask=None) -> dict:
    """The common wrong answers, each computed over PyTorch's own projections."""
    return mha_mistakes(Projections(theirs), query, key, value, mask, num_heads=H)


def run(student, theirs, *args):
    got = student.probe("module_run", target=MHA, init_args=[D, H], init_kwargs={}, calls=[{"args": list(args)}],
                        state=our_state(theirs), dtype="float64")
    return got["outputs"][0]


def test_split_heads_by_hand(student):
    """split_heads: (1, 2, 4) with 2 heads -> (1, 2, 2, 2); head 0 gets features 0-1, head 1 features 2-3"""
    x = torch.arange(8.0).reshape(1, 2, 4)  # position 0: [0, 1, 2, 3], position 1: [4, 5, 6, 7]
    expected = torch.tensor([[[[0.0, 1.0], [4.0, 5.0]], [[2.0, 3.0], [6.0, 7.0]]]])
    mistakes = {
        SPLIT_NO_TRANSPOSE: x.reshape(1, 2, 2, 2),
        SPLIT_FEATURE_MAJOR: x.view(1, 2, 2, 2).permute(0, 3, 1, 2),
    }
    check(student.call(SPLIT, x, 2), expected, what="split_heads(torch.arange(8.).reshape(1, 2, 4), 2)", mistakes=mistakes)


def test_merge_heads_inverts_split(student):
    """merge_heads: (B, H, L, D/H) -> (B, L, D), and merge_heads(split_heads(x, H)) == x"""
    x = torch.tensor([[[[0.0, 1.0], [4.0, 5.0]], [[2.0, 3.0], [6.0, 7.0]]]])
    mistakes = {MERGE_NO_TRANSPOSE: x.reshape(1, 2, 4)}
    check(student.call(MERGE, x), torch.arange(8.0).reshape(1, 2, 4), what="merge_heads of split_heads' example", mistakes=mistakes)
    y = randn(B, LK, D, seed=0)
    check(student.call(MERGE, student.call(SPLIT, y, H)), y, what="merge_heads(split_heads(y (2, 7, 12), 3))")


def test_heads_must_divide_d_model(student):
    """MultiHeadAttention(10, 3): ValueError, 3 heads cannot share 10 features"""
    check_raises(lambda: student.probe("module_state", target=MHA, init_args=[10, 3], init_kwargs={}), "ValueError",
                 what="MultiHeadAttention(10, 3)")


def test_parameters_are_the_four_projections(student):
    """MultiHeadAttention(12, 3): its parameters are exactly w_q, w_k, w_v, w_o (nn.Linear(12, 12)), weights and biases"""
    got = student.probe("module_state", target=MHA, init_args=[D, H], init_kwargs={})
    expected = {f"{name}.{p}": [D, D] if p == "weight" else [D] for name in ("w_q", "w_k", "w_v", "w_o") for p in ("weight", "bias")}
    check(
        {name: list(t.shape) for name, t in sorted(got["state"].items())},
        dict(sorted(expected.items())),
        what="MultiHeadAttention(12, 3).state_dict(): names and shapes (the grader loads weights by these names: "
        "the four projections are self.w_q, self.w_k, self.w_v, self.w_o, and no other submodule holds parameters)",
    )


def test_bias_false_leaves_no_bias(student):
    """MultiHeadAttention(12, 3, bias=False): the four projections have weights only"""
    got = student.probe("module_state", target=MHA, init_args=[D, H], init_kwargs={"bias": False})
    expected = {f"{name}.weight": [D, D] for name in ("w_k", "w_o", "w_q", "w_v")}
    check({name: list(t.shape) for name, t in sorted(got["state"].items())}, expected,
          what="MultiHeadAttention(12, 3, bias=False).state_dict(): names and shapes", mistakes=bias_mistakes(D))


def test_self_attention_equals_torch(student):
    """MultiHeadAttention: self-attention equals nn.MultiheadAttention (per-head weights)"""
    theirs = torch_mha(seed=1)
    x = randn(B, LQ, D, seed=2)
    expected = theirs(x, x, x, average_attn_weights=False)
    what = "MultiHeadAttention(12, 3)(x, x, x), x (2, 5, 12)"
    check_output_weights(run(student, theirs, x, x, x), tuple(t.detach() for t in expected), what=what, mistakes=mistakes_of(theirs, x, x, x))


def test_cross_attention_with_padding_equals_torch(student):
    """MultiHeadAttention: cross-attention with a key padding mask equals nn.MultiheadAttention"""
    theirs = torch_mha(seed=3)
    query, memory = randn(B, LQ, D, seed=4), randn(B, LK, D, seed=5)
    keep = torch.tensor([[True] * 7, [True] * 4 + [False] * 3])  # (B, Lk): the second sequence has 3 padding tokens
    expected = theirs(query, memory, memory, key_padding_mask=~keep, average_attn_weights=False)
    mask = keep[:, None, None, :]
    got = run(student, theirs, query, memory, memory, mask)
    what = "MultiHeadAttention(12, 3)(query (2, 5, 12), memory (2, 7, 12), memory, mask (2, 1, 1, 7))"
    check_output_weights(got, tuple(t.detach() for t in expected), what=what, mistakes=mistakes_of(theirs, query, memory, memory, mask))


def test_cross_attention_key_and_value_differ(student):
    """MultiHeadAttention: key and value are different tensors: w_k projects key, w_v projects value"""
    theirs = torch_mha(seed=10)
    query, key, value = randn(B, LQ, D, seed=11), randn(B, LK, D, seed=12), randn(B, LK, D, seed=13)
    expected = theirs(query, key, value, average_attn_weights=False)
    what = "MultiHeadAttention(12, 3)(query (2, 5, 12), key (2, 7, 12), value (2, 7, 12))"
    got = run(student, theirs, query, key, value)
    check_output_weights(got, tuple(t.detach() for t in expected), what=what, mistakes=mistakes_of(theirs, query, key, value))


def test_causal_self_attention_equals_torch(student):
    """MultiHeadAttention: a causal mask equals nn.MultiheadAttention's attn_mask (inverted)"""
    theirs = torch_mha(seed=6)
    x = randn(B, LQ, D, seed=7)
    causal = torch.ones(LQ, LQ, dtype=torch.bool).tril()
    expected = theirs(x, x, x, attn_mask=~causal, average_attn_weights=False)
    what = "MultiHeadAttention(12, 3)(x, x, x, causal (5, 5))"
    check_output_weights(run(student, theirs, x, x, x, causal), tuple(t.detach() for t in expected), what=what, mistakes=mistakes_of(theirs, x, x, x, causal))


def test_dropout_one_in_train_mode(student):
    """MultiHeadAttention: dropout=1 in train mode drops all attention (output = w_o's bias); weights are pre-dropout"""
    theirs = torch_mha(seed=8)
    x = randn(B, LQ, D, seed=9)
    output, weights = (t.detach() for t in theirs(x, x, x, average_attn_weights=False))
    got = student.probe("module_run", target=MHA, init_args=[D, H], init_kwargs={"dropout": 1.0}, calls=[{"args": [x, x, x]}],
                        state=our_state(theirs), dtype="float64", train=True)["outputs"][0]
    bias = theirs.out_proj.bias.detach().expand(B, LQ, D)
    mistakes = {
        DROPOUT_NOT_APPLIED: (output, weights),
        "weights returned after dropout: return them as they were before dropout": (bias, torch.zeros_like(weights)),
        DROPOUT_ON_OUTPUT: (torch.zeros_like(bias), weights),
    }
    check_output_weights(got, (bias, weights), what="MultiHeadAttention(12, 3, dropout=1.0).train()(x, x, x)", mistakes=mistakes)


def test_cross_attention_same_lengths_equals_torch(student):
    """MultiHeadAttention: query, key and value are three tensors of one length: each has its own projection"""
    theirs = torch_mha(seed=14)
    query, key, value = (randn(B, LQ, D, seed=s) for s in (15, 16, 17))  # one length: a wrong input still runs
    expected = theirs(query, key, value, average_attn_weights=False)
    what = "MultiHeadAttention(12, 3)(query, key, value), each (2, 5, 12)"
    got = run(student, theirs, query, key, value)
    check_output_weights(got, tuple(t.detach() for t in expected), what=what, mistakes=mistakes_of(theirs, query, key, value))


def test_cross_attention_3d_mask_equals_torch(student):
    """MultiHeadAttention: a (B, Lq, Lk) mask is one mask per sequence, the same for every head"""
    theirs = torch_mha(seed=18)
    batch = H  # as many sequences as heads: a mask without its head axis still broadcasts, and is named
    query, memory = randn(batch, LQ, D, seed=19), randn(batch, LK, D, seed=20)
    mask = torch.rand(batch, LQ, LK, generator=torch.Generator().manual_seed(21)) < 0.6
    mask[..., 0] = True  # every query may attend to some key
    # PyTorch's 3-D attn_mask is (B * H, Lq, Lk), True where a key may NOT be attended.
    expected = theirs(query, memory, memory, attn_mask=(~mask).repeat_interleave(H, dim=0), average_attn_weights=False)
    what = "MultiHeadAttention(12, 3)(query (3, 5, 12), memory (3, 7, 12), memory, mask <bool (3, 5, 7)>)"
    got = run(student, theirs, query, memory, memory, mask)
    check_output_weights(got, tuple(t.detach() for t in expected), what=what, mistakes=mistakes_of(theirs, query, memory, memory, mask))


def test_dropout_half_drops_attention_weights(student):
    """MultiHeadAttention: dropout acts on the attention weights, so the d_head features of one head drop together"""
    # Values all 1 (w_v = 0, bias 1) and w_o the identity: a head's output is (its kept weights' sum) / (1 - p) in each
    # of its d_head features alike. Dropout on the output instead drops each feature alone, to 0 or 1 / (1 - p).
    state = {f"{n}.{p}": torch.zeros(D, D) if p == "weight" else torch.zeros(D) for n in ("w_q", "w_k", "w_v", "w_o") for p in ("weight", "bias")}
    state["w_v.bias"], state["w_o.weight"] = torch.ones(D), torch.eye(D)
    x = randn(B, LK, D, seed=22)
    got = student.probe("module_run", target=MHA, init_args=[D, H], init_kwargs={"dropout": 0.5}, calls=[{"args": [x, x, x]}],
                        state=state, dtype="float64", train=True)["outputs"][0][0].reshape(B, LK, H, D // H)
    same_in_each_head = got[..., :1].expand_as(got)
    # Features of one head that differ can only come from a dropout that drops each feature alone: that is the mistake.
    mistakes = {DROPOUT_ON_OUTPUT: got}
    what = "MultiHeadAttention(12, 3, dropout=0.5).train()(x, x, x), values all 1, w_o the identity: output by head"
    check(got, same_in_each_head, what=what, mistakes=mistakes)
