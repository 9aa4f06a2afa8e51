"""Reading and writing pretrained word vectors in the word2vec / GloVe text format.

Vectors trained elsewhere (word2vec, GloVe, fastText) are shipped as plain text, one word a line:

    3 4                          <- optional header: how many words, how many numbers per word
    the 0.418 0.24968 -0.41242 0.1217
    , 0.013441 0.23682 -0.16899 0.40951
    naïve -0.1 0.5 0.25 1e-05

word2vec and fastText (``.vec``) files start with the header; GloVe files do not. The file is
UTF-8. A word holds no whitespace, so splitting a line on whitespace gives the word and its
numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np


def load_vectors(path: str | Path, limit: int | None = None) -> tuple[dict[str, int], np.ndarray]:
    """Read a word2vec/GloVe text file -> ``(vocab, vectors)``.

    - ``vocab``: ``dict[str, int]``, word -> row, in file order (the first word gets 0);
    - ``vectors``: float32 array ``(V, D)``; row ``vocab[w]`` is ``w``'s vector.

    Format:
      - an optional header, the first line that is not blank, when it is exactly two integers
        ``count dim`` (then every word must have ``dim`` numbers; ``count`` is not checked). An
        integer here is one or more ASCII digits ``0-9`` and nothing else: ``1_000``, ``+3``,
        ``3.0`` and non-ASCII digits (``"٣"``) are not, though Python's ``int`` accepts some of
        them, so such a first line is a word with one value;
      - then one word per line followed by its ``D`` numbers, separated by whitespace
        (``line.split()``: a trailing space, as in fastText's ``.vec`` files, is fine). Without
        a header, ``D`` is the number of values of the first word. Blank lines are skipped;
      - the file is read as UTF-8 whatever the computer's locale; a line that is not valid UTF-8 is
        a malformed line (``ValueError`` naming it, below), not a ``UnicodeDecodeError``.

    ``limit``: keep only the first ``limit`` words and stop reading there (the lines after them
    are never parsed, so a large file loads quickly and a bad line after the limit is not an error).
    The header is not a word: ``limit=0`` still reads it, and only it, and gives
    ``({}, vectors of shape (0, dim))`` with ``dim`` from the header, or ``(0, 0)`` without one (no
    word is read, so no width is known). A negative ``limit`` raises ``ValueError``.

    Errors: a ``ValueError`` whose message contains ``"line <n>"`` (``n`` counts every line of the
    file from 1, header included, as an editor shows them) for a malformed line: a word with the
    wrong number of values (or none), a value that is not a number, or a word seen before.

    With no word at all, ``vectors`` has shape ``(0, dim)`` (``dim`` from the header, else 0).

    Example (the file of the module docstring):
        >>> vocab, vectors = load_vectors("vectors.txt")
        >>> vocab
        {'the': 0, ',': 1, 'naïve': 2}
        >>> vectors.shape, vectors.dtype
        ((3, 4), dtype('float32'))
    """
    # Hint (~28 lines): with open(path, "rb") as f: for line_no, line in enumerate(f, start=1):
    # line.decode("utf-8") and line.split() ... np.array(fields[1:], dtype=np.float32) raises ValueError
    # for text that is not a number: catch it (and UnicodeDecodeError) and raise your own ValueError naming the line.
    # YOUR CODE HERE
    raise NotImplementedError()


def save_vectors(path: str | Path, vocab: Mapping[str, int], vectors: np.ndarray) -> None:
    """Write ``vocab`` and ``vectors`` in the word2vec text format, header included.

    - ``vocab``: word -> row of ``vectors`` (``(V, D)``), rows ``0 .. V-1``, as :func:`load_vectors`
      returns them;
    - first line ``"V D"``; then one line per word **in the order of its row**
      (``vectors[0]``'s word first, whatever the order of the dict): the word, a single space,
      its ``D`` values separated by single spaces; ``"\\n"`` ends every line; UTF-8.

    gensim's ``KeyedVectors.load_word2vec_format(path, binary=False)`` must read the file back
    *unchanged*: the same words in the same order and exactly the same float32 values. So the
    values are written as float32 with all the digits a float32 needs: ``str(np.float32(x))``
    (``"0.1"``, ``"-2.5e-08"``) does that; ``"%.6f"`` does not (``1.2345678e-08`` would come back as 0).

    Errors: ``ValueError`` when ``vectors`` is not 2-D with one row per word, or when a word is
    empty or contains whitespace (it could not be read back).

    Example:
        >>> save_vectors("out.txt", {"b": 1, "a": 0}, np.array([[0.5, 1.0], [0.1, -2.0]]))
        >>> print(open("out.txt", encoding="utf-8").read())
        2 2
        a 0.5 1.0
        b 0.1 -2.0
    """
    # Hint (~12 lines): sorted(vocab.items(), key=lambda item: item[1]) lists the words by row;
    # open(path, "w", encoding="utf-8").
    # YOUR CODE HERE
    raise NotImplementedError()
