from tests.mutants import Mutant

F = "attention/multi_head.py"
EX = "multi_head"
SPLIT = "return x.reshape(batch, length, num_heads, d_model // num_heads).transpose(1, 2)"
MERGE = "return x.transpose(1, 2).reshape(batch, length, num_heads * d_head)"
ATTEND = "out, weights = scaled_dot_product_attention(q, k, v, mask)"
DROPOUT = "            out = self.dropout(weights) @ v\n"
DROPOUT_BLOCK = (
    "        if self.training and self.dropout.p > 0:\n"
    "            # Dropout acts on the weights, which then average the values again; the weights returned stay undropped.\n" + DROPOUT
)
RETURN = "return self.w_o(merge_heads(out)), weights"
KV = "k = split_heads(self.w_k(key), self.num_heads)  # (B, H, Lk, d_head)\n        v = split_heads(self.w_v(value), self.num_heads)"


def inline_attention(scale: str, dim: int = -1) -> str:
    """The attention written out in forward (a student who does not call scaled_dot_product_attention)."""
    return (
        f"scores = q @ k.transpose(-2, -1){scale}\n"
        "        if mask is not None:\n"
        '            scores = scores.masked_fill(~mask, float("-inf"))\n'
        f"        weights = torch.softmax(scores, dim={dim}).nan_to_num(0.0)\n"
        "        out = weights @ v"
    )


MUTANTS = [
    # split_heads / merge_heads
    Mutant(EX, "split-reshape-only", F, SPLIT, "return x.reshape(batch, num_heads, length, d_model // num_heads)",
           expect="heads split without the transpose"),
    Mutant(EX, "split-feature-major", F, SPLIT, "return x.view(batch, length, d_model // num_heads, num_heads).permute(0, 3, 1, 2)",
           expect="features grouped as (D/H, H)"),
    Mutant(EX, "merge-reshape-only", F, MERGE, "return x.reshape(batch, length, num_heads * d_head)", expect="merged without the transpose"),
    # construction
    Mutant(EX, "no-value-error", F,
           '        if num_heads <= 0 or d_model % num_heads != 0:\n'
           '            raise ValueError(f"num_heads ({num_heads}) must divide d_model ({d_model})")\n', "",
           expect="expected ValueError"),
    Mutant(EX, "bias-ignored", F, "self.w_q = nn.Linear(d_model, d_model, bias=bias)\n        self.w_k = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.w_v = nn.Linear(d_model, d_model, bias=bias)\n        self.w_o = nn.Linear(d_model, d_model, bias=bias)",
           "self.w_q = nn.Linear(d_model, d_model)\n        self.w_k = nn.Linear(d_model, d_model)\n"
           "        self.w_v = nn.Linear(d_model, d_model)\n        self.w_o = nn.Linear(d_model, d_model)",
           expect="bias=False ignored by a projection"),
    Mutant(EX, "renamed-submodule", F, "self.w_o = nn.Linear(d_model, d_model, bias=bias)\n", "self.out_proj = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.w_o = self.out_proj\n", expect="w_o"),
    # forward
    Mutant(EX, "scale-by-d-model", F, ATTEND, inline_attention(" / self.d_model ** 0.5"), expect="sqrt(d_model) instead of sqrt(d_head)"),
    Mutant(EX, "no-scaling", F, ATTEND, inline_attention(""), expect="no 1/sqrt(d_k) scaling"),
    Mutant(EX, "softmax-over-queries", F, ATTEND, inline_attention(" / self.d_head ** 0.5", dim=-2), expect="softmax over the wrong axis"),
    Mutant(EX, "cross-uses-query", F, KV, KV.replace("(key)", "(query)").replace("(value)", "(query)"), expect="keys and values taken from the query side"),
    Mutant(EX, "key-value-swapped", F, KV, KV.replace("(key)", "(tmp)").replace("(value)", "(key)").replace("(tmp)", "(value)"),
           expect="key and value swapped"),
    Mutant(EX, "mask-not-passed", F, ATTEND, "out, weights = scaled_dot_product_attention(q, k, v)", expect="mask ignored"),
    Mutant(EX, "no-output-projection", F, RETURN, "return merge_heads(out), weights", expect="output projection w_o not applied"),
    # dropout
    Mutant(EX, "dropout-ignored", F, DROPOUT_BLOCK, "", expect="dropout not applied in train mode"),
    Mutant(EX, "weights-after-dropout", F, DROPOUT, "            weights = self.dropout(weights)\n            out = weights @ v\n",
           expect="weights returned after dropout"),
    Mutant(EX, "dropout-on-output", F, RETURN, "return self.dropout(self.w_o(merge_heads(scaled_dot_product_attention(q, k, v, mask)[0]))), weights",
           expect="dropout applied to the values or to the output"),
    Mutant(EX, "dropout-on-values", F, DROPOUT, "            out = weights @ self.dropout(v)\n",
           expect="dropout applied to the values or to the output"),
    Mutant(EX, "dropout-not-rescaled", F, DROPOUT, "            out = (weights * (torch.rand_like(weights) >= self.dropout.p)) @ v\n",
           expect="not rescaled by 1/(1-p)"),
]
