from tests.mutants import Mutant

F = "embeddings/cbow.py"
MEAN = "h = input_vectors[context].mean(axis=0)  # (D,): a word listed twice is averaged in twice"
SCATTER = "np.add.at(grad_input_vectors, context, grad_h / len(context))"
BODY = (
    f"{MEAN}\n"
    "    scores = output_vectors @ h  # (V,)\n"
    "    e = np.exp(scores - scores.max())  # stable softmax: every exponent <= 0\n"
    "    y_hat = e / e.sum()  # (V,): P(w | context)\n"
    "    loss = -float(np.log(y_hat[center_idx]))\n"
    "    delta = y_hat.copy()  # (V,): y_hat - y, the gradient with respect to the scores U h\n"
    "    delta[center_idx] -= 1.0\n"
    "    grad_output_vectors = np.outer(delta, h)  # (V, D)\n"
    "    grad_h = output_vectors.T @ delta  # (D,)\n"
    "    grad_input_vectors = np.zeros_like(input_vectors)  # (V, D)\n"
    f"    {SCATTER}"
)

MUTANTS = [
    Mutant("cbow", "sum-not-mean", F, BODY, BODY.replace(".mean(axis=0)", ".sum(axis=0)").replace("grad_h / len(context)", "grad_h"),
           expect="context vectors summed instead of averaged"),
    Mutant("cbow", "sum-in-forward-only", F, MEAN, "h = input_vectors[context].sum(axis=0)",
           expect="context vectors summed instead of averaged"),
    Mutant("cbow", "duplicates-removed", F, "context = np.asarray(context_indices, dtype=np.int64)",
           "context = np.unique(np.asarray(context_indices, dtype=np.int64))",
           expect="repeated ids de-duplicated"),
    Mutant("cbow", "not-accumulated", F, SCATTER, "grad_input_vectors[context] += grad_h / len(context)",
           expect="repeated indices not accumulated"),
    Mutant("cbow", "no-1-over-C-in-gradient", F, SCATTER, "np.add.at(grad_input_vectors, context, grad_h)",
           expect="misses the 1/C of the mean"),
    Mutant("cbow", "sign", F, "return loss, grad_input_vectors, grad_output_vectors", "return loss, -grad_input_vectors, -grad_output_vectors",
           expect="gradient sign flipped"),
    Mutant("cbow", "y-not-subtracted", F, "    delta[center_idx] -= 1.0\n", "",
           expect="y not subtracted"),
    Mutant("cbow", "unstable-softmax", F, "e = np.exp(scores - scores.max())", "e = np.exp(scores)",
           expect="softmax without subtracting the max"),
    Mutant("cbow", "empty-context-accepted", F,
           "    if context.size == 0:\n        raise ValueError(\"CBOW needs at least one context word\")\n", ""),
]
