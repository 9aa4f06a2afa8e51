"""What one_hot's public tests and hidden suite share: the targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

from collections import Counter

import numpy as np

from autograder.grading.compare import DoesNotApply
from autograder.grading.mistakes.names import SPECIALS_LAST, UNKNOWN_DROPPED

BUILD_VOCAB = "embeddings.one_hot:build_vocab"
ENCODE = "embeddings.one_hot:encode"
ONE_HOT = "embeddings.one_hot:one_hot"


def vocab_mistakes(tokens: list[str], min_count: int = 1, specials: tuple[str, ...] = ()) -> dict:
    """The common wrong vocabularies, written out with Counter and sorted (a wrong answer equal to one is named)."""
    counts = Counter(tokens)

    def ranked(order):
        out = {w: i for i, w in enumerate(dict.fromkeys(specials))}
        for w in order:
            if counts[w] >= min_count and w not in out:
                out[w] = len(out)
        return out

    first_seen = list(dict.fromkeys(tokens))
    return {
        "ties broken by first occurrence instead of alphabetically": lambda: ranked(
            sorted(first_seen, key=lambda w: (-counts[w], first_seen.index(w)))
        ),
        "ascending count instead of descending": lambda: ranked(sorted(counts, key=lambda w: (counts[w], w))),
        SPECIALS_LAST: lambda: {
            w: i
            for i, w in enumerate(
                [*sorted((w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], w)), *specials]
            )
        },
        "min_count compared with > instead of >=": lambda: {
            **{w: i for i, w in enumerate(dict.fromkeys(specials))},
            **{
                w: len(dict.fromkeys(specials)) + i
                for i, w in enumerate(
                    sorted((w for w in counts if counts[w] > min_count), key=lambda w: (-counts[w], w))
                )
            },
        },
    }


def out_of_range_mistakes(ids, vocab_size: int) -> dict:
    """What one_hot returns when it refuses only one side of the range: a negative id indexes from the end."""
    ids = np.asarray(ids)

    def wrapped():
        if ids.size == 0 or ids.min() < -vocab_size or ids.max() >= vocab_size:
            raise DoesNotApply("an id no index can reach")
        return np.eye(vocab_size)[ids]

    return {"negative id not refused: it wraps around to the last rows (check 0 <= id < vocab_size)": wrapped}


def unknown_mistakes(tokens: list[str], vocab: dict[str, int]) -> dict:
    """An encoding's ids with the unknown tokens left out instead of mapped to ``vocab[unk_token]`` (one_hot's
    words, BPE's symbols)."""
    return {UNKNOWN_DROPPED: np.array([vocab[t] for t in tokens if t in vocab], dtype=np.int64)}
