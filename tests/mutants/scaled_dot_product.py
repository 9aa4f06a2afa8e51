from tests.mutants import Mutant

F = "attention/scaled_dot_product.py"
EX = "scaled_dot_product"
SCORES = "scores = (q / math.sqrt(d_k)) @ k.transpose(-2, -1)"
MASK_FILL = 'scores.masked_fill_(~mask, float("-inf"))'
SOFTMAX_CALL = "weights = softmax(scores, dim=-1)"
SOFTMAX_BODY = (
    "x_max = x.amax(dim=dim, keepdim=True).detach()\n"
    '    x_max = x_max.masked_fill(x_max == float("-inf"), 0.0)  # an all -inf slice: avoid -inf - (-inf) = NaN\n'
    "    # exp(t) = 2^(t log2 e), computed in place in the one new tensor. Same value (FlashAttention uses the same\n"
    "    # identity), but on CPU torch's exp2 is several times faster than its exp, whose special path for -inf and\n"
    "    # underflowing inputs (every masked key) is slower still. Entries at -inf become exactly 0.\n"
    "    exp = (x - x_max).mul_(math.log2(math.e)).exp2_()\n"
    "    total = exp.sum(dim=dim, keepdim=True)\n"
    "    return exp / total.masked_fill(total == 0, 1.0)  # an all -inf slice: 0 / 1 = 0"
)

MUTANTS = [
    # softmax
    Mutant(EX, "softmax-unstable", F, "exp = (x - x_max).mul_(math.log2(math.e)).exp2_()", "exp = torch.exp(x)", expect="softmax without subtracting the max"),
    Mutant(EX, "softmax-global-max", F, "x_max = x.amax(dim=dim, keepdim=True).detach()", "x_max = x.amax().detach()",
           expect="maximum of the whole tensor"),
    Mutant(EX, "softmax-nan-max", F, '    x_max = x_max.masked_fill(x_max == float("-inf"), 0.0)  # an all -inf slice: avoid -inf - (-inf) = NaN\n', "",
           expect="an all -inf slice gives NaN"),
    Mutant(EX, "softmax-zero-division", F, "return exp / total.masked_fill(total == 0, 1.0)", "return exp / total",
           expect="an all -inf slice gives NaN"),
    Mutant(EX, "softmax-torch-builtin", F, SOFTMAX_BODY, "return torch.softmax(x, dim=dim)", expect="an all -inf slice gives NaN"),
    Mutant(EX, "softmax-uniform-empty-slice", F, SOFTMAX_BODY, "return torch.softmax(x.nan_to_num(neginf=-1e9), dim=dim)",
           expect="uniform distribution"),
    Mutant(EX, "softmax-dim-ignored", F, SOFTMAX_BODY, SOFTMAX_BODY.replace("dim=dim", "dim=-1"), expect="dim argument ignored"),
    Mutant(EX, "softmax-detached", F, "return exp / total.masked_fill(total == 0, 1.0)", "return (exp / total.masked_fill(total == 0, 1.0)).detach()",
           expect="on autograd's graph"),
    # scaled_dot_product_attention
    Mutant(EX, "no-scaling", F, SCORES, "scores = q @ k.transpose(-2, -1)", expect="no 1/sqrt(d_k) scaling"),
    Mutant(EX, "divide-by-dk", F, SCORES, "scores = (q / d_k) @ k.transpose(-2, -1)", expect="divided by d_k instead of sqrt(d_k)"),
    Mutant(EX, "scale-by-dv", F, "d_k = q.size(-1)", "d_k = v.size(-1)", expect="sqrt(d_v)"),
    Mutant(EX, "softmax-over-queries", F, SOFTMAX_CALL, "weights = softmax(scores, dim=-2)", expect="softmax over the wrong axis"),
    Mutant(EX, "mask-after-softmax", F,
           f"if mask is not None:\n        {MASK_FILL}  # before the softmax, so each row renormalises; in place: scores is ours\n    {SOFTMAX_CALL}",
           f"{SOFTMAX_CALL}\n    if mask is not None:\n        weights = weights.masked_fill(~mask, 0.0)",
           expect="mask applied after the softmax"),
    Mutant(EX, "mask-inverted", F, MASK_FILL, 'scores.masked_fill_(mask, float("-inf"))', expect="mask inverted"),
    Mutant(EX, "mask-ignored", F, MASK_FILL, "pass", expect="mask ignored"),
    Mutant(EX, "fill-large-negative", F, MASK_FILL, "scores.masked_fill_(~mask, -1e9)", expect="large negative number instead of -inf"),
    Mutant(EX, "torch-softmax-nan-rows", F, SOFTMAX_CALL, "weights = torch.softmax(scores, dim=-1)", expect="a fully masked query row gives NaN"),
    Mutant(EX, "weights-detached", F, "return weights @ v, weights  # (..., Lq, d_v)", "return weights @ v, weights.detach()",
           expect="on autograd's graph"),
]
