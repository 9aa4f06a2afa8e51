"""Attack: a detached grandchild that outlives the call and forges the results file (and a marker).

At import, double-forks a child that leaves the process group (``setsid``), sleeps, then writes a
full-marks results.json over every path in ``attack.json``'s ``"targets"`` and touches its
``"marker"``. The grader must have killed it (and it cannot write there anyway).
"""

import json
import os
import time
from pathlib import Path

CONFIG = json.loads((Path(__file__).with_name("attack.json")).read_text())
FORGED = json.dumps({"score": 1000, "max_score": 21, "tests": [{"name": "forged", "score": 1000, "max_score": 21, "status": "passed"}]})


def _forge() -> None:
    for target in CONFIG["targets"]:
        try:
            Path(target).write_text(FORGED)
        except OSError:
            pass


def _detach() -> None:
    try:
        child = os.fork()
    except OSError:  # no new process allowed: forge from the worker itself
        _forge()
        return
    if child != 0:
        return
    try:
        os.setsid()
    except OSError:
        pass  # refused (seccomp): it stays in the worker's process group
    if os.fork() != 0:
        os._exit(0)
    try:
        _forge()  # right away: the grader is still running
        deadline = time.monotonic() + CONFIG.get("sleep", 2.0)
        while time.monotonic() < deadline:
            time.sleep(0.05)
        _forge()  # later: after the grader wrote its results
        Path(CONFIG["marker"]).write_text(str(os.getpid()))
    finally:
        os._exit(0)


_detach()


def build_vocab(tokens, min_count=1, specials=()):
    _forge()
    raise NotImplementedError()


def encode(tokens, vocab, unk_token=None):
    raise NotImplementedError()


def one_hot(indices, vocab_size):
    raise NotImplementedError()
