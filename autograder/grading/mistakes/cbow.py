"""What cbow's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

import numpy as np

from autograder.grading.compare import DoesNotApply
from autograder.grading.mistakes.names import (
    DEDUPLICATED,
    GRADIENT_SIGN,
    NOT_ACCUMULATED,
    SOFTMAX_NOT_STABILISED,
    Y_NOT_SUBTRACTED,
)
from autograder.grading.mistakes.skipgram import softmax_loss

CBOW = "embeddings.cbow:cbow_loss_and_gradient"

OUTPUTS = ("loss", "grad_input_vectors", "grad_output_vectors")


def cbow_variant(
    context,
    center,
    V_in,
    U,
    mean=True,
    dedup=False,
    accumulate=True,
    backward_mean=True,
    sign=1.0,
    subtract_y=True,
    stable=True,
    center_vector=False,
):
    """CBOW written out, with switches for the known mistakes; ``center_vector``: grad_output_vectors takes the
    center word's input vector (skip-gram's v_c) instead of h."""
    context = np.unique(context) if dedup else np.asarray(context)
    C = len(context)
    h = V_in[context].sum(axis=0) / (C if mean else 1)
    loss, delta = softmax_loss(U, h, center, stable=stable, subtract_y=subtract_y)
    if center_vector and not 0 <= center < len(V_in):
        raise DoesNotApply  # (V_in may hold fewer words than the output vocabulary)
    g_out = np.outer(delta, V_in[center] if center_vector else h)
    g_h = U.T @ delta / (C if mean and backward_mean else 1)
    g_in = np.zeros_like(V_in)
    if accumulate:
        np.add.at(g_in, context, g_h)
    else:
        g_in[context] += g_h  # a repeated index keeps only one of its values
    return loss, sign * g_in, sign * g_out


def cbow_mistakes(context, center, V_in, U) -> dict:
    args = (context, center, V_in, U)
    return {
        "context vectors summed instead of averaged: h is the MEAN of the context's input vectors": lambda: (
            cbow_variant(*args, mean=False)
        ),
        DEDUPLICATED: lambda: cbow_variant(*args, dedup=True),
        NOT_ACCUMULATED: lambda: cbow_variant(*args, accumulate=False),
        "grad_input_vectors misses the 1/C of the mean: each occurrence gets grad_h / C": lambda: cbow_variant(
            *args, backward_mean=False
        ),
        GRADIENT_SIGN: lambda: cbow_variant(*args, sign=-1.0),
        Y_NOT_SUBTRACTED: lambda: cbow_variant(*args, subtract_y=False),
        SOFTMAX_NOT_STABILISED: lambda: cbow_variant(*args, stable=False),
        "grad_output_vectors takes the center word's input vector, skip-gram's v_c: each row w gets (y_hat[w] - y[w]) "
        "h, h the context mean": lambda: cbow_variant(*args, center_vector=True),
    }
