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
    # YOUR CODE HERE
    raise NotImplementedError()
