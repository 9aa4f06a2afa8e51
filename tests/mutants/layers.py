from tests.mutants import Mutant

F = "transformer/layers.py"
EX = "layers"
STATS = "mean = x.mean(dim=-1, keepdim=True)  # (..., 1)\n        centred = x - mean\n        var = centred.pow(2).mean(dim=-1, keepdim=True)"
NORMALISE = "return self.weight * centred / torch.sqrt(var + self.eps) + self.bias"
FFN = "return self.linear2(self.dropout(torch.relu(self.linear1(x))))"
ENC_PRE = "if self.norm_first:\n            h = self.norm1(x)\n            x = x + self.dropout1(self.self_attn(h, h, h, mask)[0])"
DEC_PRE = "if self.norm_first:\n            h = self.norm1(x)\n            x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])"
ENC_POST_ATTN = "x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, mask)[0]))"
ENC_POST_FFN = "x = self.norm2(x + self.dropout2(self.ffn(x)))"
DEC_POST_SELF = "x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))"
DEC_POST_CROSS = "x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))"
DEC_POST_FFN = "x = self.norm3(x + self.dropout3(self.ffn(x)))"
DEC_PRE_CROSS = "x = x + self.dropout2(self.cross_attn(self.norm2(x), memory, memory, memory_mask)[0])"
MISSING = "missing residual connection around the"

MUTANTS = [
    # LayerNorm
    Mutant(EX, "unbiased-variance", F, "var = centred.pow(2).mean(dim=-1, keepdim=True)",
           "var = centred.pow(2).sum(dim=-1, keepdim=True) / (x.size(-1) - 1)", expect="unbiased variance"),
    Mutant(EX, "eps-outside-sqrt", F, NORMALISE, "return self.weight * centred / (torch.sqrt(var) + self.eps) + self.bias",
           expect="eps added outside the square root"),
    Mutant(EX, "annotated-layer-norm", F, NORMALISE, "return self.weight * centred / (x.std(dim=-1, keepdim=True) + self.eps) + self.bias",
           expect="the Annotated Transformer's LayerNorm"),
    Mutant(EX, "no-eps", F, NORMALISE, "return self.weight * centred / torch.sqrt(var) + self.bias", expect="eps missing"),
    Mutant(EX, "eps-ignored", F, NORMALISE, "return self.weight * centred / torch.sqrt(var + 1e-5) + self.bias", expect="eps argument ignored"),
    Mutant(EX, "wrong-axis", F, STATS, STATS.replace("dim=-1", "dim=1"), expect="normalised over the wrong axis"),
    Mutant(EX, "whole-sequence", F, STATS, STATS.replace("dim=-1", "dim=(-2, -1)"), expect="normalised over the whole sequence"),
    Mutant(EX, "no-affine", F, NORMALISE, "return centred / torch.sqrt(var + self.eps)", expect="weight and bias not applied"),
    Mutant(EX, "torch-layer-norm", F, NORMALISE,
           "return torch.nn.functional.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)", expect="is not allowed"),
    # FeedForward
    Mutant(EX, "relu-missing", F, FFN, "return self.linear2(self.dropout(self.linear1(x)))", expect="ReLU missing"),
    Mutant(EX, "relu-after-linear2", F, FFN, "return torch.relu(self.linear2(self.dropout(self.linear1(x))))", expect="ReLU applied after linear2"),
    Mutant(EX, "relu-on-output-too", F, FFN, "return torch.relu(self.linear2(self.dropout(torch.relu(self.linear1(x)))))",
           expect="ReLU also applied to the output"),
    Mutant(EX, "ffn-dropout-on-output", F, FFN, "return self.dropout(self.linear2(torch.relu(self.linear1(x))))",
           expect="dropout applied to the output (after linear2)"),
    Mutant(EX, "ffn-dropout-missing", F, FFN, "return self.linear2(torch.relu(self.linear1(x)))", expect="dropout not applied in train mode"),
    # EncoderLayer
    Mutant(EX, "encoder-always-pre-norm", F, ENC_PRE, ENC_PRE.replace("if self.norm_first:", "if True:"),
           expect="pre-norm computed where post-norm was asked"),
    Mutant(EX, "encoder-always-post-norm", F, ENC_PRE, ENC_PRE.replace("if self.norm_first:", "if False:"),
           expect="post-norm computed where pre-norm was asked"),
    Mutant(EX, "encoder-no-attn-residual", F, ENC_POST_ATTN, ENC_POST_ATTN.replace("self.norm1(x + ", "self.norm1("),
           expect=f"{MISSING} self-attention"),
    Mutant(EX, "encoder-no-ffn-residual", F, ENC_POST_FFN, ENC_POST_FFN.replace("self.norm2(x + ", "self.norm2("),
           expect=f"{MISSING} feed-forward"),
    Mutant(EX, "encoder-pre-no-attn-residual", F, ENC_PRE, ENC_PRE.replace("x = x + self.dropout1", "x = self.dropout1"),
           expect=f"{MISSING} self-attention"),
    Mutant(EX, "encoder-mask-ignored", F, ENC_POST_ATTN, ENC_POST_ATTN.replace("(x, x, x, mask)", "(x, x, x)"), expect="mask ignored"),
    Mutant(EX, "encoder-mask-inverted", F, ENC_POST_ATTN, ENC_POST_ATTN.replace("(x, x, x, mask)", "(x, x, x, None if mask is None else ~mask)"),
           expect="mask inverted"),
    Mutant(EX, "encoder-norm1-twice", F, ENC_POST_FFN, ENC_POST_FFN.replace("self.norm2(", "self.norm1("), expect="norm1 used for both sublayers"),
    # DecoderLayer
    Mutant(EX, "decoder-always-pre-norm", F, DEC_PRE, DEC_PRE.replace("if self.norm_first:", "if True:"),
           expect="pre-norm computed where post-norm was asked"),
    Mutant(EX, "decoder-always-post-norm", F, DEC_PRE, DEC_PRE.replace("if self.norm_first:", "if False:"),
           expect="post-norm computed where pre-norm was asked"),
    Mutant(EX, "decoder-no-self-residual", F, DEC_POST_SELF, DEC_POST_SELF.replace("self.norm1(x + ", "self.norm1("),
           expect=f"{MISSING} self-attention"),
    Mutant(EX, "decoder-no-cross-residual", F, DEC_POST_CROSS, DEC_POST_CROSS.replace("self.norm2(x + ", "self.norm2("),
           expect=f"{MISSING} cross-attention"),
    Mutant(EX, "decoder-no-ffn-residual", F, DEC_POST_FFN, DEC_POST_FFN.replace("self.norm3(x + ", "self.norm3("),
           expect=f"{MISSING} feed-forward"),
    Mutant(EX, "decoder-pre-no-cross-residual", F, DEC_PRE_CROSS, DEC_PRE_CROSS.replace("x = x + self.dropout2", "x = self.dropout2"),
           expect=f"{MISSING} cross-attention"),
    Mutant(EX, "cross-attention-on-own-input", F, DEC_POST_CROSS, DEC_POST_CROSS.replace("(x, memory, memory, memory_mask)", "(x, x, x, memory_mask)"),
           expect="keys and values taken from the query side"),
    Mutant(EX, "memory-mask-ignored", F, DEC_POST_CROSS, DEC_POST_CROSS.replace("(x, memory, memory, memory_mask)", "(x, memory, memory)"),
           expect="memory mask missing"),
    Mutant(EX, "tgt-mask-ignored", F, DEC_POST_SELF, DEC_POST_SELF.replace("(x, x, x, tgt_mask)", "(x, x, x)"), expect="tgt_mask ignored"),
    Mutant(EX, "memory-normalised", F, DEC_PRE_CROSS,
           DEC_PRE_CROSS.replace("memory, memory, memory_mask", "self.norm2(memory), self.norm2(memory), memory_mask"),
           expect="memory normalised by norm2"),
    Mutant(EX, "attentions-swapped", F, DEC_POST_SELF + "\n            " + DEC_POST_CROSS,
           DEC_POST_SELF.replace("self.self_attn(", "self.cross_attn(") + "\n            " + DEC_POST_CROSS.replace("self.cross_attn(", "self.self_attn("),
           expect="self_attn and cross_attn swapped"),
]
