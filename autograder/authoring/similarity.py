"""Code similarity between the submissions of a class, per exercise: winnowing (as in MOSS) with ``copydetect``.

Each submission's module of an exercise, less the stub's lines and the docstrings (:func:`own_code`), is tokenised
by ``copydetect`` (names, strings and comments are folded, so renaming variables or rewording comments changes
nothing) and fingerprinted by winnowing its k-grams
(Schleimer, Wilkerson and Aiken 2003, the method of MOSS); the stub's fingerprints (the code students were given:
signatures, docstrings, hints) are removed as boilerplate. A pair's similarity is the *smaller* of the two shares
of fingerprints: how much of each submission's own code the other one has too, so a short answer that happens to
match one line of a long one is not flagged. The side-by-side view marks the shared code (copydetect's overlap).

A flagged pair is something for a person to look at, never a verdict: short exercises have few ways to be
written, and students may legitimately share a hint's one-liner.
"""

from __future__ import annotations

import ast
import difflib
import functools
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import copydetect.utils
import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap

from autograder.grading.textsafe import capped, printable

NOISE = 25  # k: the shortest match (in filtered characters) that counts, copydetect's default noise threshold
GUARANTEE = 35  # every match at least this long is found: winnowing's window is GUARANTEE - NOISE + 1 k-grams
THRESHOLD = 0.6  # default flag threshold on a pair's similarity
CONTEXT_LINES = 6  # lines of unmatched code shown around each match in the side-by-side view


@dataclass
class Pair:
    """Two submissions whose code for ``exercise`` overlaps."""

    exercise: str
    a: str
    b: str
    share_a: float  # share of a's own (non-boilerplate) fingerprints that b has too
    share_b: float
    _prints: tuple[CodeFingerprint, CodeFingerprint] | None = field(default=None, repr=False, compare=False)

    @property
    def similarity(self) -> float:
        return min(self.share_a, self.share_b)

    def side_by_side(self) -> tuple[str, str]:
        """Both codes HTML-escaped and printable (control characters as ``\\x1b``), the shared parts in ``<mark>``,
        long unshared stretches cut to ``...``."""
        assert self._prints is not None
        fa, fb = self._prints
        _, _, (slices_a, slices_b) = compare_files(fa, fb)
        return (
            printable(highlight_overlap(fa.raw_code, slices_a, "<mark>", "</mark>", CONTEXT_LINES, True)[0]),
            printable(highlight_overlap(fb.raw_code, slices_b, "<mark>", "</mark>", CONTEXT_LINES, True)[0]),
        )


def hashed_kgrams(text: str, k: int) -> np.ndarray:
    """The hash of every k-gram of ``text``: a polynomial hash modulo 2**64, the same in every process.

    copydetect hashes k-grams with Python's ``hash()``, which is salted per process (``PYTHONHASHSEED``): winnowing
    would then keep different fingerprints on every run, and in every worker process. This replaces it.
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < k:
        return np.zeros(0, dtype=np.int64)
    factors = np.full(k, _BASE, dtype=np.uint64)
    factors[0] = 1
    powers = np.cumprod(factors)[::-1]  # B**(k-1), ..., B, 1 (mod 2**64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
    return (windows * powers).sum(axis=1, dtype=np.uint64).view(np.int64)


_BASE = np.uint64(1_000_003)
copydetect.utils.hashed_kgrams = hashed_kgrams  # what CodeFingerprint's get_document_fingerprints calls


def _fingerprint(name: str, code: str, boilerplate: np.ndarray | None = None) -> CodeFingerprint:
    return CodeFingerprint(
        name, NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate, fp=io.StringIO(code), language="python"
    )


@functools.lru_cache(maxsize=64)  # a stub is read once per submission
def _code_lines(code: str) -> tuple[str, ...]:
    """The lines of ``code`` without its docstrings (copydetect folds a string to one token anyway)."""
    lines = code.splitlines()
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return tuple(lines)
    docstrings: set[int] = set()
    scopes: list[ast.AST] = [tree]
    while scopes:  # the module, and every class and function at any depth: only they have docstrings
        body = getattr(scopes.pop(), "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                docstrings.update(range(body[0].lineno - 1, body[0].end_lineno or body[0].lineno))
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                scopes.append(node)
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                scopes.append(node)  # a definition under `if TYPE_CHECKING:` and the like
    return tuple(line for i, line in enumerate(lines) if i not in docstrings)


def own_code(code: str, stub: str | None) -> str:
    """The lines of ``code`` that are not the stub's, block by block, each after a comment naming its function.

    Docstrings are left out. Only these lines are fingerprinted (the given code is boilerplate twice over: its lines
    are left out here and its fingerprints are removed), which also keeps the side-by-side view to what the students
    wrote, and spares tokenising what every submission has.
    """
    lines = list(_code_lines(code))
    if stub is None:
        return "\n".join(lines)
    given = list(_code_lines(stub))
    blocks = []
    matcher = difflib.SequenceMatcher(None, given, lines, autojunk=False)
    for tag, i1, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert") and any(line.strip() for line in lines[j1:j2]):
            where = next((g.strip() for g in reversed(given[:i1]) if g.lstrip().startswith(("def ", "class "))), "")
            blocks.append((f"# in {where}\n" if where else "") + "\n".join(lines[j1:j2]))
    return "\n\n".join(blocks)


def similar_pairs(
    exercise: str, codes: dict[str, str], stub: str | None, threshold: float = THRESHOLD
) -> tuple[list[Pair], int, dict[str, str]]:
    """Pairs of ``codes`` (id -> the module's source) at or above ``threshold``, most similar first.

    Returns the pairs, how many submissions had code of their own to compare (beyond the stub), and the
    submissions left out, each with why: code that cannot be parsed or fingerprinted (an expression nested
    deeper than Python's parser recurses ...) costs its own comparison, never the class's.
    """
    boilerplate = np.array(sorted(_fingerprint("stub.py", stub).hashes)) if stub else None
    by_text: dict[str, CodeFingerprint] = {}  # the same text is fingerprinted once (untouched files, copies)
    prints = {}
    skipped = {}
    for ident, text in sorted(codes.items()):
        try:
            code = own_code(text, stub)
            if not code.strip():
                continue
            if code not in by_text:
                by_text[code] = _fingerprint(f"{ident}.py", code, boilerplate)
        except (RecursionError, ValueError, SyntaxError) as error:
            skipped[ident] = f"its code could not be read: {type(error).__name__}: {capped(str(error), 200)}"
            continue
        if by_text[code].hashes:
            prints[ident] = by_text[code]
    hashes = {ident: frozenset(map(int, fp.hashes)) for ident, fp in prints.items()}
    pairs = []
    for a, b in itertools.combinations(prints, 2):
        common = len(hashes[a] & hashes[b])
        share_a, share_b = common / len(hashes[a]), common / len(hashes[b])
        if min(share_a, share_b) >= threshold:
            pairs.append(Pair(exercise, a, b, share_a, share_b, (prints[a], prints[b])))
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b)), len(prints), skipped


def module_code(root: Path, module: str) -> str | None:
    """The source of ``module`` (``"embeddings.one_hot"``) in a submission root, or None when it has none."""
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file() or path.is_symlink():
        return None
    return path.read_text(encoding="utf-8", errors="replace")
