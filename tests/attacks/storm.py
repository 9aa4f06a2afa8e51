"""Attack: as many processes and threads as possible (bounded at 300 of each, each ending within 20 s).

``build_vocab`` returns how many it started; the worker's process limit stops the storm early,
and the grader kills whatever is left when the submission is done.
"""

import os
import threading
import time

CEILING = 300
LIFETIME = 20.0


def _linger() -> None:
    deadline = time.monotonic() + LIFETIME
    while time.monotonic() < deadline:
        time.sleep(0.2)


def build_vocab(tokens, min_count=1, specials=()):
    processes = threads = 0
    for _ in range(CEILING):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                _linger()
            finally:
                os._exit(0)
        processes += 1
    for _ in range(CEILING):
        try:
            threading.Thread(target=_linger, daemon=True).start()
        except RuntimeError:
            break
        threads += 1
    return {"processes": processes, "threads": threads}


def encode(tokens, vocab, unk_token=None):
    raise NotImplementedError()


def one_hot(indices, vocab_size):
    raise NotImplementedError()
