"""Attack: print what a passing run looks like (pytest's summary, a results.json), then flood the output.

The grader never parses the student's output, so this gains nothing; the flood (bounded at
~40 MB) is drained and capped.
"""

import json
import os
import sys

FAKE = (
    "============================= 14 passed in 0.01s =============================\n"
    + json.dumps({"score": 21, "max_score": 21, "tests": []})
    + "\nPASSED one_hot\n\x1b[32m100%\x1b[0m\n"
)


def build_vocab(tokens, min_count=1, specials=()):
    print(FAKE)
    print(FAKE, file=sys.stderr)
    os.write(1, FAKE.encode())
    os.write(2, FAKE.encode())
    raise NotImplementedError()


def encode(tokens, vocab, unk_token=None):
    line = "14 passed " * 100 + "\n"
    for _ in range(20_000):  # ~20 MB on stdout and as much on stderr
        sys.stdout.write(line)
        sys.stderr.write(line)
    return [0] * len(tokens)


def one_hot(indices, vocab_size):
    raise NotImplementedError()
