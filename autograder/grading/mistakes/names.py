"""One name per misconception: the names of the mistakes that more than one model gives, each declared once here.

A misconception made in several exercises (softmax over the queries in scaled_dot_product and in multi_head), in
several places of one (``np.add.at`` left out for the negatives or for every row), or answered in a concept check,
is named by every model with the constant declared here, so the feedback says it one way and the class report
counts it under one name. A name says the mistake, never where it was made: the feedback's first line already
names the call and the item checked.

``declare`` also takes the *wordings* a misconception was once given elsewhere ("no 1/sqrt(d_head) scaling" for
the scaled dot product's "no 1/sqrt(d_k) scaling"): ``tests/kit/test_mistake_names.py`` fails when a model's
source spells one of them again, that is, names a declared misconception in words of its own.

Shipped to students with the rest of :mod:`autograder.grading.mistakes` (the public tests import it): names only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Misconception:
    name: str  # what every model of it says after "Likely mistake:"
    wordings: tuple[str, ...]  # other words once used for it: no model may use them again (case-insensitive)


REGISTRY: dict[str, Misconception] = {}


def declare(name: str, *wordings: str) -> str:
    """Declare the misconception called ``name`` (once); ``wordings``: phrases that mean it and must not reappear."""
    if name in REGISTRY:
        raise ValueError(f"misconception declared twice: {name!r}")
    for other in REGISTRY.values():
        taken = [w for w in wordings if w.lower() in other.name.lower()] + [
            w for w in other.wordings if w.lower() in name.lower()
        ]
        if taken:
            raise ValueError(f"the wording {taken[0]!r} belongs to two misconceptions: {other.name!r} and {name!r}")
    REGISTRY[name] = Misconception(name, wordings)
    return name


# --------------------------------------------------------------------------------------------------- softmax
SOFTMAX_NOT_STABILISED = declare(
    "softmax without subtracting the max: exp overflows (NaN/inf at |x| = 1000); subtract each slice's maximum first",
    "softmax not stabilised",
    "softmax without subtracting the max",
)
SOFTMAX_GLOBAL_MAX = declare(
    "the maximum of the whole tensor or array subtracted instead of each slice's maximum (the max along the softmax's "
    "axis, keepdims)",
    "max subtracted over the whole array",
    "subtracted the maximum of the whole tensor",
)
SOFTMAX_OTHER_AXIS = declare(
    "softmax taken along another axis than the one asked for (the last axis, or the given dim)",
    "softmax over axis 0",
    "softmax over axis 1",
    "dim=-2 instead of the given dim=-1",
)

# ------------------------------------------------------------------------------------------------- attention
ATTENTION_OVER_QUERIES = declare(
    "softmax over the wrong axis (the queries, dim=-2) instead of the keys (dim=-1)", "softmax over the wrong axis"
)
NO_SCALING = declare(
    "no 1/sqrt(d_k) scaling of the scores (d_k: the size of each key, d_head in multi-head attention)",
    "no 1/sqrt(d_head)",
    "no 1/sqrt(d_k)",
)
DIVIDED_BY_DK = declare("scores divided by d_k instead of sqrt(d_k)")
SCALED_BY_DV = declare("scores scaled by sqrt(d_v) (the values' size) instead of sqrt(d_k) (the keys' size)")
SCALED_BY_D_MODEL = declare(
    "scores scaled by sqrt(d_model) instead of sqrt(d_head) (each head's keys have d_head = d_model / num_heads "
    "features)"
)
MASK_AFTER_SOFTMAX = declare(
    "mask applied after the softmax (masked weights zeroed without renormalising): mask the scores before it",
    "mask applied after the softmax",
)
MASK_INVERTED = declare(
    "mask inverted: True must mark the keys that may be attended, False those hidden",
    "mask inverted",
    "True means the key may be attended",
    "inverted causal mask",
    "inverted padding mask",
)
MASK_IGNORED = declare(
    "mask ignored: it never reaches the attention's scores",
    "mask ignored by the self-attention",
    "the mask is not passed to the layers",
)
SPLIT_NO_TRANSPOSE = declare(
    "heads split without the transpose: view as (B, L, H, D/H), then transpose(1, 2); a reshape straight to (B, H, "
    "L, D/H) mixes positions",
    "reshaped straight to (B, H, L, D/H) without the transpose",
    "heads split without the transpose",
)
SPLIT_FEATURE_MAJOR = declare(
    "features grouped as (D/H, H) instead of (H, D/H): head h takes the consecutive features h*D/H to (h+1)*D/H - 1",
    "heads split feature-major",
    "features grouped as (D/H, H)",
)
MERGE_NO_TRANSPOSE = declare(
    "heads merged without the transpose: transpose(1, 2) back to (B, L, H, D/H) before flattening to (B, L, D)",
    "merged without the transpose",
)
KV_FROM_QUERY = declare(
    "keys and values taken from the query side: in cross-attention they come from memory (the key and value inputs)",
    "query used for the keys and values",
    "cross-attention on the decoder's own input",
)
DROPOUT_NOT_APPLIED = declare(
    "dropout not applied in train mode (the nn.Dropout submodule is never called)",
    "dropout ignored in train mode",
    "dropout not applied in train mode",
)
DROPOUT_ON_OUTPUT = declare(
    "dropout applied to the values or to the output instead of the attention weights",
    "instead of the attention weights",
)
BIAS_IGNORED = declare(
    "bias=False ignored by a projection: pass bias=bias to each of the four nn.Linear",
    "bias argument ignored",
)

# ----------------------------------------------------------------------------------------------------- masks
STRICT_CAUSAL = declare("strict causal mask: the diagonal must be True (a position may attend to itself)")
TRANSPOSED_CAUSAL = declare("transposed causal mask (True above the diagonal): query i may read the keys j <= i")
PADDING_ON_QUERIES = declare(
    "padding mask on the query axis instead of the key axis: padding hides keys (the last axis)",
    "padding applied on the query axis",
    "padding mask on the query axis",
)
MASKS_OR = declare(
    "masks combined with OR instead of AND (a key may be attended only if every mask allows it)",
    "combined with OR instead of AND",
)
NO_CAUSAL_MASK = declare(
    "no causal mask in the decoder: a position may attend only to itself and earlier ones",
    "no causal mask in the decoder",
)
TGT_MASK_IGNORED = declare(
    "tgt_mask ignored: the decoder's self-attention sees later positions",
    "tgt_mask ignored",
    "tgt_mask not passed",
)
MEMORY_MASK_MISSING = declare(
    "memory mask missing: the cross-attention reads the source padding",
    "memory mask missing",
    "memory_mask ignored",
)
ENCODER_MASK_MISSING = declare(
    "encoder padding mask missing: the encoder attends to the source padding",
    "encoder padding mask missing",
)

# --------------------------------------------------------------------------------- layers, models, positions
FINAL_NORM_MISSING = declare(
    "final norm not applied: a pre-norm stack ends with its LayerNorm (before lm_head in GPT)",
    "final norm not applied",
    "final LayerNorm missing",
)
EMBEDDINGS_NOT_SCALED = declare("token embeddings not scaled by sqrt(d_model)", "not scaled by sqrt(d_model)")
POSITIONS_NOT_ADDED = declare(
    "positions not added: the positional encoding (or embedding) never reaches x",
    "positions not added",
    "positional encoding not added",
    "position embedding not added",
)
POSITIONS_ALONG_BATCH = declare(
    "sequence-first layout assumed: positions taken along the batch axis (x is (B, L, d_model))",
    "positions taken along the batch axis",
)

# ------------------------------------------------------------------------------ vocabularies and tokenisers
SPECIALS_LAST = declare("specials put after the other tokens: they take the first ids", "specials put after")
REPEATED_TOKEN_NEW_ID = declare(
    "a repeated token given a new id (vocab[token] = len(vocab)): a token already in the vocabulary keeps its first id",
    "a repeated token given a new id",
)
TIES_HIGHER_ID = declare("ties broken towards the higher id instead of the lower", "ties broken towards the higher id")
TIES_PAIR_STRINGS = declare(
    "ties broken alphabetically by the pair's strings instead of by id",
    "ties broken alphabetically by the pair's strings",
)
UNKNOWN_DROPPED = declare(
    "unknown tokens dropped: each maps to vocab[unk_token], one id per token", "unknown tokens dropped"
)
PAIR_TYPES = declare(
    "counting pair types instead of occurrences: each word counted once, not word_counts[word] times",
    "counting pair types instead of occurrences",
)

# ---------------------------------------------------------------------------------- gradients, repeated ids
NOT_ACCUMULATED = declare(
    "repeated indices not accumulated: x[idx] += v adds once per distinct index (use np.add.at)",
    "repeated context words not accumulated",
    "repeated pairs not accumulated",
    "repeated negatives not accumulated",
    "repeated indices not accumulated",
    "grad[idx] += g adds once",
)
DEDUPLICATED = declare(
    "repeated ids de-duplicated (a set or np.unique): an id that appears twice counts twice",
    "duplicate context words de-duplicated",
    "repeated negatives de-duplicated",
    "de-duplicated",
    "counted once: each n-gram counts",
)
GRADIENT_SIGN = declare(
    "gradient sign flipped (the gradient of the loss, not of -loss: y_hat - y, s(x) - 1)",
    "gradient sign flipped",
)
Y_NOT_SUBTRACTED = declare("y not subtracted: the gradients use y_hat instead of y_hat - y", "y not subtracted")
