"""Attack: a call that never returns and ignores SIGTERM and SIGINT (bounded at 30 s of busy loop)."""

import signal
import time


def _hang() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pass


def build_vocab(tokens, min_count=1, specials=()):
    raise NotImplementedError()


def encode(tokens, vocab, unk_token=None):
    raise NotImplementedError()


def one_hot(indices, vocab_size):
    _hang()
    raise ValueError("too late")
