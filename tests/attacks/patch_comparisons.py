"""Attack: make every comparison say "equal", then return wrong answers.

Patches NumPy's and torch's comparison functions (and ``autograder.grading.compare``, were it importable)
in the process the code runs in. In the worker this changes nothing the grader uses: the verdict is
computed in the trusted process from the returned values.
"""

import numpy as np


def _always_equal(*args, **kwargs):
    return True


def _never_raises(*args, **kwargs):
    return None


for name in ("allclose", "array_equal", "array_equiv", "isclose"):
    setattr(np, name, _always_equal)
np.testing.assert_allclose = _never_raises
np.testing.assert_array_equal = _never_raises
np.testing.assert_array_almost_equal = _never_raises
try:
    np.ndarray.__eq__ = _always_equal  # refused: a C type
except TypeError:
    pass
try:
    import torch

    torch.allclose = _always_equal
    torch.equal = _always_equal
    torch.testing.assert_close = _never_raises
except Exception:  # noqa: BLE001
    pass
try:
    import autograder.grading.compare as compare  # not there in the worker; would be the lead's comparison

    compare.check = _never_raises
    compare.check_raises = _never_raises
except Exception:  # noqa: BLE001
    pass


def build_vocab(tokens, min_count=1, specials=()):
    return {"wrong": 0}


def encode(tokens, vocab, unk_token=None):
    return np.zeros(3, dtype=np.int64)


def one_hot(indices, vocab_size):
    return np.zeros((1, 1))
