"""Finite differences: the independent check of every gradient written by hand (Part 1)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(loss_of: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar function ``loss_of`` at ``x`` (same shape as ``x``).

    The error is O(eps^2) in exact arithmetic; in float64 with ``eps = 1e-6`` agreement to about
    1e-6 relative is the best to expect, so compare with a tolerance of that order.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (loss_of(plus) - loss_of(minus)) / (2 * eps)
    return grad
