"""CBOW (continuous bag-of-words): predict the center word from the average of its context.

Mikolov et al. (2013), "Efficient Estimation of Word Representations in Vector Space". Skip-gram
predicts each context word from the center word; CBOW runs the other way: it averages the input
vectors of the context words into one hidden vector ``h`` and predicts the center word with a
softmax over the output vectors. The average smooths over the context, so CBOW trains faster
and does well on frequent words; skip-gram, one prediction per pair, does better on rare ones.

Conventions (as in :mod:`embeddings.skipgram`): float64 arrays, a loss is a Python ``float``, every
gradient has the shape of its argument, and a word listed twice counts twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def cbow_loss_and_gradient(
    context_indices: Sequence[int] | np.ndarray,
    center_idx: int,
    input_vectors: np.ndarray,
    output_vectors: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray]:
    """The CBOW softmax loss of one window and its gradients.

    Shapes: ``context_indices`` ``C`` word ids (``C >= 1``; the words around the center, in any
    order); ``center_idx`` an int in ``[0, V)``; ``input_vectors`` ``V_in`` and ``output_vectors``
    ``U``, both ``(V, D)``. With ``y`` the one-hot vector of the center word:

        h        = (1 / C) sum_{w in context} V_in[w]          (D,)   the MEAN, not the sum
        y_hat    = softmax(U h)                                 (V,)   stable: subtract the max
        loss     = -log y_hat[center_idx]

        grad_output_vectors = (y_hat - y) h^T                   (V, D)
        grad_h              = U^T (y_hat - y)                   (D,)
        grad_input_vectors[w] += grad_h / C   for each context position (rows of other words are 0)

    A context word that appears twice (``[3, 5, 3]``) counts twice: twice in the mean (``h`` is
    ``(2 V_in[3] + V_in[5]) / 3``, not ``(V_in[3] + V_in[5]) / 2``) and so twice in its gradient
    row (``2 grad_h / 3``). ``grad[idx] += g`` applies a repeated index once; use ``np.add.at``.

    Returns ``(loss, grad_input_vectors, grad_output_vectors)``, ``loss`` a Python float.
    ``ValueError`` for an empty context (the mean of nothing is undefined).

    Example (``U = 0``: every word equally likely, so the loss is ``log V`` whatever ``h`` is):
        >>> loss, g_in, g_out = cbow_loss_and_gradient([1, 1], 0, np.eye(3, 2), np.zeros((3, 2)))
        >>> round(loss, 4), g_out[:, 1]    # h = V_in[1] = (0, 1); (y_hat - y) * h[1]
        (1.0986, array([-0.66666667,  0.33333333,  0.33333333]))
    """
    # Hint (~12 lines): h = input_vectors[context].mean(axis=0); a stable softmax of output_vectors @ h;
    # delta = y_hat - y; np.outer for grad_output_vectors; np.add.at(grad_input_vectors, context, grad_h / C).
    ### BEGIN SOLUTION
    context = np.asarray(context_indices, dtype=np.int64)
    if context.size == 0:
        raise ValueError("CBOW needs at least one context word")
    h = input_vectors[context].mean(axis=0)  # (D,): a word listed twice is averaged in twice
    scores = output_vectors @ h  # (V,)
    e = np.exp(scores - scores.max())  # stable softmax: every exponent <= 0
    y_hat = e / e.sum()  # (V,): P(w | context)
    loss = -float(np.log(y_hat[center_idx]))
    delta = y_hat.copy()  # (V,): y_hat - y, the gradient with respect to the scores U h
    delta[center_idx] -= 1.0
    grad_output_vectors = np.outer(delta, h)  # (V, D)
    grad_h = output_vectors.T @ delta  # (D,)
    grad_input_vectors = np.zeros_like(input_vectors)  # (V, D)
    np.add.at(grad_input_vectors, context, grad_h / len(context))  # each occurrence gets 1/C of grad_h
    return loss, grad_input_vectors, grad_output_vectors
    ### END SOLUTION
