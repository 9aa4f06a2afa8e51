"""Code similarity between the submissions of a class, per exercise: winnowing (as in MOSS) with ``copydetect``.

Each submission's module of an exercise is tokenised by ``copydetect`` (names, strings and comments are folded,
so renaming variables or rewording comments changes nothing), fingerprinted by winnowing its k-grams, and the
stub's fingerprints (the code students were given: signatures, docstrings, hints) are removed as boilerplate.
A pair's similarity is the *smaller* of the two shares: how much of each submission's own code the other one
has too, so a short answer that happens to match one line of a long one is not flagged.

A flagged pair is something for a person to look at, never a verdict: short exercises have few ways to be
written, and students may legitimately share a hint's one-liner.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap

NOISE = 25  # k: the shortest match (in filtered characters) that counts, copydetect's default noise threshold
GUARANTEE = 25  # every match at least this long is found (winnow window = GUARANTEE - NOISE + 1)
THRESHOLD = 0.6  # default flag threshold on a pair's similarity
CONTEXT_LINES = 6  # lines of unmatched code shown around each match in the side-by-side view


@dataclass
class Pair:
    """Two submissions whose code for ``exercise`` overlaps."""

    exercise: str
    a: str
    b: str
    share_a: float  # share of a's own (non-boilerplate) code that b has too
    share_b: float
    html_a: str = ""  # a's code, HTML-escaped, the shared parts in <mark>
    html_b: str = ""

    @property
    def similarity(self) -> float:
        return min(self.share_a, self.share_b)


def _fingerprint(name: str, code: str, boilerplate: np.ndarray | None = None) -> CodeFingerprint:
    return CodeFingerprint(
        name, NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate, fp=io.StringIO(code), language="python"
    )


def similar_pairs(
    exercise: str, codes: dict[str, str], stub: str | None, threshold: float = THRESHOLD
) -> tuple[list[Pair], int]:
    """Pairs of ``codes`` (id -> the module's source) at or above ``threshold``, most similar first.

    Returns the pairs and how many submissions had code of their own to compare (beyond the stub).
    """
    boilerplate = np.array(sorted(_fingerprint("stub.py", stub).hashes)) if stub else None
    prints = {ident: _fingerprint(f"{ident}.py", code, boilerplate) for ident, code in sorted(codes.items())}
    prints = {ident: fp for ident, fp in prints.items() if fp.token_coverage > 0}
    pairs = []
    for (a, fa), (b, fb) in itertools.combinations(prints.items(), 2):
        if not fa.hashes & fb.hashes:  # the common case, decided without numpy
            continue
        _, (share_a, share_b), (slices_a, slices_b) = compare_files(fa, fb)
        pair = Pair(exercise, a, b, float(share_a), float(share_b))
        if pair.similarity >= threshold:
            pair.html_a = highlight_overlap(fa.raw_code, slices_a, "<mark>", "</mark>", CONTEXT_LINES, True)[0]
            pair.html_b = highlight_overlap(fb.raw_code, slices_b, "<mark>", "</mark>", CONTEXT_LINES, True)[0]
            pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b)), len(prints)


def module_code(root: Path, module: str) -> str | None:
    """The source of ``module`` (``"embeddings.one_hot"``) in a submission root, or None when it has none."""
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file() or path.is_symlink():
        return None
    return path.read_text(encoding="utf-8", errors="replace")
