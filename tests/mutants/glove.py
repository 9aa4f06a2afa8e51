from tests.mutants import Mutant

F = "embeddings/glove.py"
ADD_BOTH = "        np.add.at(X, (left, right), 1.0 / d)\n        np.add.at(X, (right, left), 1.0 / d)  # and the same pairs seen from the other end\n"
LOSS = "    loss = float(np.sum(weight * diff**2))\n    g = 2.0 * weight * diff  # (V, V): d loss / d (w_i . w~_j + b_i + b~_j)\n"
MUTANTS = [
    Mutant("glove", "no-inverse-distance", F, ADD_BOTH, ADD_BOTH.replace("1.0 / d", "1.0"), expect="no 1/d weighting"),
    Mutant("glove", "one-direction", F, ADD_BOTH, "        np.add.at(X, (left, right), 1.0 / d)\n", expect="only one direction counted"),
    Mutant("glove", "pairs-counted-twice", F, ADD_BOTH, ADD_BOTH.replace("1.0 / d", "2.0 / d"), expect="each pair counted twice"),
    Mutant(
        "glove",
        "fancy-index-no-accumulate",
        F,
        ADD_BOTH,
        "        X[left, right] += 1.0 / d\n        X[right, left] += 1.0 / d\n",
        expect="repeated indices not accumulated",
    ),
    Mutant("glove", "window-exclusive", F, "for d in range(1, window + 1):", "for d in range(1, window):", expect="distance `window` left out"),
    Mutant("glove", "inverse-square-distance", F, ADD_BOTH, ADD_BOTH.replace("1.0 / d", "1.0 / d**2"), expect="1/d**2 weighting"),
    Mutant("glove", "no-cap", F, "return np.where(x < x_max, (x / x_max) ** alpha, 1.0)", "return (x / x_max) ** alpha", expect="no cap"),
    Mutant(
        "glove",
        "no-x-max-division",
        F,
        "return np.where(x < x_max, (x / x_max) ** alpha, 1.0)",
        "return np.where(x < x_max, x**alpha, 1.0)",
        expect="x not divided by x_max",
    ),
    Mutant("glove", "half-factor", F, LOSS, "    loss = float(0.5 * np.sum(weight * diff**2))\n    g = weight * diff\n", expect="factor 1/2 in the loss"),
    Mutant("glove", "gradient-no-factor-2", F, "    g = 2.0 * weight * diff  #", "    g = weight * diff  #", expect="gradients lack the factor 2"),
    Mutant(
        "glove",
        "log-of-zero-included",
        F,
        "    log_X = np.log(X, where=observed, out=np.zeros_like(X, dtype=np.float64))\n",
        "    log_X = np.log(X)\n",
        expect="log of zero entries included",
    ),
    Mutant(
        "glove",
        "log1p",
        F,
        "    log_X = np.log(X, where=observed, out=np.zeros_like(X, dtype=np.float64))\n",
        "    log_X = np.log1p(X)\n",
        expect="log(1 + X) instead of log X",
    ),
    Mutant(
        "glove",
        "weight-outside-square",
        F,
        LOSS,
        "    loss = float(np.sum((weight * diff) ** 2))\n    g = 2.0 * weight**2 * diff\n",
        expect="weight applied outside the square",
    ),
    Mutant("glove", "context-gradient-not-transposed", F, "    dW_ctx = g.T @ W  # (V, D)", "    dW_ctx = g @ W  # (V, D)", expect="dW_ctx computed as g @ W"),
    Mutant(
        "glove",
        "bias-gradients-swapped",
        F,
        "    db = g.sum(axis=1)  # (V,)\n    db_ctx = g.sum(axis=0)  # (V,)",
        "    db = g.sum(axis=0)  # (V,)\n    db_ctx = g.sum(axis=1)  # (V,)",
        expect="bias gradients swapped",
    ),
    Mutant(
        "glove", "weight-not-masked-log-zero", F, "    weight = glove_weight(X, x_max, alpha) * observed", "    weight = glove_weight(X + 1.0, x_max, alpha)"
    ),
]
