"""Attack: kill the process mid-call in three ways: os._exit(0), SIGKILL to itself, abort()."""

import os
import signal


def build_vocab(tokens, min_count=1, specials=()):
    os._exit(0)


def encode(tokens, vocab, unk_token=None):
    os.kill(os.getpid(), signal.SIGKILL)


def one_hot(indices, vocab_size):
    os.abort()
