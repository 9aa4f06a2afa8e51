"""Attack: fill the disk from the scratch folder (bounded: at most 512 files of 1 MiB), and plant undeletable files.

``build_vocab`` writes into ``$TMPDIR`` until the grader stops it; ``encode`` makes folders with no
rights (``chmod 000``, where the worker may still chmod) full of files, nested, which the grader must still remove.
"""

import os
import tempfile


def build_vocab(tokens, min_count=1, specials=()):
    chunk = b"\1" * (1 << 20)
    for i in range(512):
        with open(os.path.join(tempfile.gettempdir(), f"fill{i}"), "wb") as f:
            f.write(chunk)
    return {"written": 512}


def encode(tokens, vocab, unk_token=None):
    top = os.path.join(os.path.expanduser("~"), "trap")
    folder = top
    for _ in range(6):
        os.makedirs(folder)
        for i in range(3):
            with open(os.path.join(folder, f"f{i}"), "w") as f:
                f.write("x")
        folder = os.path.join(folder, "d")
    for root, _dirs, _files in sorted(os.walk(top), key=lambda t: -len(t[0])):
        try:
            os.chmod(root, 0)
        except PermissionError:  # the seccomp filter refuses chmod (no Landlock right covers it): nothing to undo
            break
    return [0]


def one_hot(indices, vocab_size):
    raise NotImplementedError()
