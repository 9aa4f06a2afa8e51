"""Attack: a call that never returns, in the worker and in a forked child where it may fork (60 s of busy loop each).

When the grader itself is killed (SIGKILL: no clean-up runs), nothing of this may keep spinning.
"""

import os
import time


def _spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def build_vocab(tokens, min_count=1, specials=()):
    try:
        child = os.fork()
    except OSError:  # the worker may not start processes: it spins alone
        child = -1
    if child == 0:
        try:
            os.setsid()
        except OSError:
            pass
        _spin(60)
        os._exit(0)
    _spin(60)
    return {}


def encode(tokens, vocab, unk_token=None):
    raise NotImplementedError()


def one_hot(indices, vocab_size):
    raise NotImplementedError()
