from tests.mutants import Mutant

F = "embeddings/skipgram.py"
OFFSETS = "offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])"
PAIRS_OUT = "return np.stack([ids[i[inside]], ids[j[inside]]], axis=1).reshape(-1, 2)"
SOFTMAX_BODY = "e = np.exp(x - x.max(axis=-1, keepdims=True))  # every exponent <= 0: no overflow\n    return e / e.sum(axis=-1, keepdims=True)"
NAIVE_DELTA = "delta = y_hat.copy()  # (V,): y_hat - y, the gradient of the loss with respect to the scores U v_c\n    delta[outside_idx] -= 1.0\n"
NEG_ADD = "np.add.at(grad_outside_vectors, negative_indices, s_k[:, None] * center_vec[None, :])  # repeats add up"
NEG_GRADS = (
    "grad_center_vec = (s_o - 1.0) * u_o + s_k @ u_k  # (D,)\n"
    "    grad_outside_vectors = np.zeros_like(outside_vectors)  # (V, D)\n"
    "    grad_outside_vectors[outside_idx] += (s_o - 1.0) * center_vec\n"
    f"    {NEG_ADD}\n"
)
BATCH_SCALE = "g_pos = (sigmoid(pos) - 1.0) / B  # (B,) d loss / d (u_o . v)\n    g_neg = sigmoid(neg) / B  # (B, K) d loss / d (u_k . v)"
BATCH_LOSS = "loss = float(np.mean(-np.log(sigmoid(pos)) - np.sum(np.log(sigmoid(-neg)), axis=1)))"
BATCH_SCATTER = (
    "grad_W_in = np.zeros_like(W_in)  # (V, D)\n"
    "    np.add.at(grad_W_in, centers, grad_v)  # a center in several pairs collects all of them\n"
    "    grad_W_out = np.zeros_like(W_out)  # (V, D)\n"
    "    np.add.at(grad_W_out, contexts, g_pos[:, None] * v)  # repeats add up: a context in several pairs ...\n"
    "    np.add.at(grad_W_out, negatives, g_neg[:, :, None] * v[:, None, :])  # ... a negative drawn twice, or drawn as a context"
)
BATCH_NEGATIVES = "np.add.at(grad_W_out, negatives, g_neg[:, :, None] * v[:, None, :])"

TRAIN_RNG = "rng = np.random.default_rng(seed)\n    W_in = rng.uniform"

MUTANTS = [
    # skipgram_pairs
    Mutant("skipgram", "pairs-window-exclusive", F, OFFSETS, "offsets = np.concatenate([np.arange(-window + 1, 0), np.arange(1, window)])",
           expect="window off by one: |i - j| < window"),
    Mutant("skipgram", "pairs-range-end-exclusive", F, OFFSETS, "offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window)])",
           expect="window off by one on the right"),
    Mutant("skipgram", "pairs-window-plus-one", F, OFFSETS, "offsets = np.concatenate([np.arange(-window - 1, 0), np.arange(1, window + 2)])",
           expect="window off by one: |i - j| <= window + 1"),
    Mutant("skipgram", "pairs-include-self", F, OFFSETS, "offsets = np.arange(-window, window + 1)",
           expect="pairs include j == i"),
    Mutant("skipgram", "pairs-wrap-around", F, "inside = (j >= 0) & (j < n)", "inside = j < n",
           expect="wrap around to the end"),
    Mutant("skipgram", "pairs-columns-swapped", F, PAIRS_OUT, "return np.stack([ids[j[inside]], ids[i[inside]]], axis=1).reshape(-1, 2)",
           expect="columns swapped"),
    Mutant("skipgram", "pairs-by-offset", F, PAIRS_OUT, "return np.stack([ids[i.T[inside.T]], ids[j.T[inside.T]]], axis=1).reshape(-1, 2)",
           expect="pairs ordered by offset"),
    # sigmoid and softmax
    Mutant("skipgram", "sigmoid-overflows", F,
           "z = np.exp(-np.abs(x))  # in (0, 1]: never overflows\n    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
           "return np.exp(x) / (1.0 + np.exp(x))",
           expect="sigmoid as exp(x) / (1 + exp(x)) overflows"),
    Mutant("skipgram", "sigmoid-flipped", F, "np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))", "np.where(x >= 0, z / (1.0 + z), 1.0 / (1.0 + z))",
           expect="sigmoid sign flipped"),
    Mutant("skipgram", "softmax-no-max", F, "e = np.exp(x - x.max(axis=-1, keepdims=True))", "e = np.exp(x)",
           expect="softmax without subtracting the max"),
    Mutant("skipgram", "softmax-global-max", F, "e = np.exp(x - x.max(axis=-1, keepdims=True))", "e = np.exp(x - x.max())",
           expect="maximum of the whole tensor or array"),
    Mutant("skipgram", "softmax-axis-0", F, SOFTMAX_BODY, "e = np.exp(x - x.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)",
           expect="softmax taken along another axis"),
    Mutant("skipgram", "softmax-whole-array", F, SOFTMAX_BODY, "e = np.exp(x - x.max())\n    return e / e.sum()",
           expect="softmax over the whole array instead of the last axis"),
    # naive softmax loss
    Mutant("skipgram", "naive-sign", F, NAIVE_DELTA, "delta = -y_hat\n    delta[outside_idx] += 1.0\n",
           expect="gradient sign flipped"),
    Mutant("skipgram", "naive-no-y", F, NAIVE_DELTA, "delta = y_hat.copy()\n",
           expect="y not subtracted"),
    Mutant("skipgram", "naive-outside-row-only", F, "grad_outside_vectors = np.outer(delta, center_vec)  # (V, D)",
           "grad_outside_vectors = np.zeros_like(outside_vectors)\n    grad_outside_vectors[outside_idx] = delta[outside_idx] * center_vec",
           expect="grad_outside_vectors only in the outside word's row"),
    Mutant("skipgram", "naive-unstable-softmax", F, "y_hat = softmax(outside_vectors @ center_vec)  # (V,): P(w | c) for every word w",
           "y_hat = np.exp(outside_vectors @ center_vec)\n    y_hat = y_hat / y_hat.sum()",
           expect="softmax without subtracting the max"),
    # negative sampling loss
    Mutant("skipgram", "neg-not-accumulated", F, NEG_ADD, "grad_outside_vectors[negative_indices] += s_k[:, None] * center_vec[None, :]",
           expect="repeated indices not accumulated"),
    Mutant("skipgram", "neg-deduplicated", F, "negative_indices = np.asarray(negative_indices, dtype=np.int64)",
           "negative_indices = np.unique(np.asarray(negative_indices, dtype=np.int64))",
           expect="repeated ids de-duplicated"),
    Mutant("skipgram", "neg-sign", F, f"{NEG_ADD}\n    return loss, grad_center_vec, grad_outside_vectors",
           f"{NEG_ADD}\n    return loss, -grad_center_vec, -grad_outside_vectors",
           expect="gradient sign flipped"),
    Mutant("skipgram", "neg-negative-terms-sign", F, NEG_GRADS,
           NEG_GRADS.replace("+ s_k @ u_k", "- s_k @ u_k").replace("s_k[:, None] * center_vec", "-s_k[:, None] * center_vec"),
           expect="sign error in the negative-sample terms"),
    Mutant("skipgram", "neg-one-minus-s", F, "s_k = sigmoid(u_k @ center_vec)", "s_k = 1.0 - sigmoid(u_k @ center_vec)",
           expect="uses 1 - s(u_k . v_c) instead of s(u_k . v_c)"),
    Mutant("skipgram", "neg-outside-row-overwritten", F,
           f"grad_outside_vectors[outside_idx] += (s_o - 1.0) * center_vec\n    {NEG_ADD}",
           f"{NEG_ADD}\n    grad_outside_vectors[outside_idx] = (s_o - 1.0) * center_vec",
           expect="the outside word's row overwritten"),
    Mutant("skipgram", "neg-loss-wrong-sign", F, "np.log(sigmoid(-(u_k @ center_vec)))", "np.log(sigmoid(u_k @ center_vec))",
           expect="negative terms use log s(u_k . v_c) instead of log s(-u_k . v_c)"),
    # noise distribution
    Mutant("skipgram", "noise-power-ignored", F, "weights = counts**power  # (V,)", "weights = counts  # (V,)",
           expect="power ignored"),
    Mutant("skipgram", "noise-not-normalised", F, "return weights / weights.sum()", "return weights",
           expect="not normalised"),
    Mutant("skipgram", "noise-normalised-first", F, "weights = counts**power  # (V,)\n    return weights / weights.sum()",
           "return (counts / counts.sum()) ** power",
           expect="normalised before the power"),
    Mutant("skipgram", "noise-no-validation", F,
           "    if np.any(counts < 0) or not np.any(counts > 0):\n        raise ValueError(\"counts must be non-negative with at least one positive count\")\n",
           ""),
    # batched loss
    Mutant("skipgram", "batch-summed", F, f"{BATCH_LOSS}\n    {BATCH_SCALE}",
           f"{BATCH_LOSS.replace('np.mean', 'np.sum')}\n    {BATCH_SCALE.replace(' / B', '')}",
           expect="batch loss summed instead of averaged"),
    Mutant("skipgram", "batch-grads-not-divided", F, BATCH_SCALE, BATCH_SCALE.replace(" / B", ""),
           expect="gradients not divided by B"),
    Mutant("skipgram", "batch-not-accumulated", F, BATCH_SCATTER,
           "grad_W_in = np.zeros_like(W_in)\n    grad_W_in[centers] += grad_v\n    grad_W_out = np.zeros_like(W_out)\n"
           "    grad_W_out[contexts] += g_pos[:, None] * v\n    grad_W_out[negatives] += g_neg[:, :, None] * v[:, None, :]",
           expect="repeated indices not accumulated"),
    Mutant("skipgram", "batch-negatives-not-accumulated", F, BATCH_NEGATIVES, "grad_W_out[negatives] += g_neg[:, :, None] * v[:, None, :]",
           expect="repeated indices not accumulated"),
    Mutant("skipgram", "batch-sign", F, "return loss, grad_W_in, grad_W_out", "return loss, -grad_W_in, -grad_W_out",
           expect="gradient sign flipped"),
    Mutant("skipgram", "batch-negative-terms-sign", F, "g_neg = sigmoid(neg) / B", "g_neg = -sigmoid(neg) / B",
           expect="sign error in the negative-sample terms"),
    Mutant("skipgram", "batch-loss-wrong-sign", F, "np.sum(np.log(sigmoid(-neg)), axis=1)", "np.sum(np.log(sigmoid(neg)), axis=1)",
           expect="negative terms use log s(u_k . v) instead of log s(-u_k . v)"),
    # training
    Mutant("skipgram", "train-seed-ignored", F, TRAIN_RNG, TRAIN_RNG.replace("default_rng(seed)", "default_rng()"),
           expect="all randomness must come from np.random.default_rng(seed)"),
    Mutant("skipgram", "train-fixed-seed", F, TRAIN_RNG, TRAIN_RNG.replace("default_rng(seed)", "default_rng(0)"),
           expect="all randomness must come from np.random.default_rng(seed)"),
    Mutant("skipgram", "train-no-shuffle", F, "order = rng.permutation(len(pairs))  # a fresh shuffle each epoch", "order = np.arange(len(pairs))",
           expect="pairs not shuffled"),
    Mutant("skipgram", "train-shuffle-once", F,
           "    for _ in range(epochs):\n        order = rng.permutation(len(pairs))  # a fresh shuffle each epoch\n",
           "    order = rng.permutation(len(pairs))\n    for _ in range(epochs):\n",
           expect="pairs shuffled once only"),
    Mutant("skipgram", "train-noise-power-ignored", F, "noise = noise_distribution(np.bincount(ids, minlength=vocab_size))",
           "noise = noise_distribution(np.bincount(ids, minlength=vocab_size), power=1.0)",
           expect="noise distribution without the 3/4 power"),
    Mutant("skipgram", "train-uniform-negatives", F, "rng.choice(vocab_size, size=(len(batch), num_negatives), p=noise)",
           "rng.choice(vocab_size, size=(len(batch), num_negatives))",
           expect="negatives drawn uniformly"),
    Mutant("skipgram", "train-gradient-ascent", F, "W_in -= lr * grad_in\n            W_out -= lr * grad_out",
           "W_in += lr * grad_in\n            W_out += lr * grad_out",
           expect="gradient ascent"),
    Mutant("skipgram", "train-w-out-not-updated", F, "W_in -= lr * grad_in\n            W_out -= lr * grad_out", "W_in -= lr * grad_in",
           expect="W_out never updated"),
    Mutant("skipgram", "train-w-out-random", F, "W_out = np.zeros((vocab_size, dim))  # (V, D)",
           "W_out = rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))  # (V, D)",
           expect="W_out initialised randomly"),
    Mutant("skipgram", "train-w-in-normal", F, "W_in = rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))  # (V, D)",
           "W_in = rng.normal(size=(vocab_size, dim))  # (V, D)",
           expect="W_in drawn from a standard normal"),
]
