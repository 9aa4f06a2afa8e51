"""fastText: a word is the bag of its character n-grams.

Bojanowski, Grave, Joulin and Mikolov (2017), "Enriching Word Vectors with Subword Information".
Each word is wrapped in boundary markers, ``"<where>"``, and cut into its character n-grams
(``"<wh"``, ``"whe"``, ..., ``"here>"``). Every n-gram is hashed into one of ``num_buckets``
rows of an n-gram table, and a word's vector combines its own vector with the rows of its
n-grams. A word never seen in training (out-of-vocabulary, "OOV") still has n-grams, so it
still gets a vector: "unseeable" shares most n-grams with "unseen" and "seeable".

The functions below reproduce fastText (and gensim's ``FastText``) exactly for ``n_min >= 2``
(fastText's default is 3 to 6), so vectors trained by those libraries can be used with them. (With
``n_min = 1`` fastText also drops the lone markers "<" and ">" from the n-grams; we keep the one
list of :func:`char_ngrams` everywhere.)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

FNV_OFFSET_BASIS = 2166136261  # FNV-1a 32-bit starting value
FNV_PRIME = 16777619  # FNV-1a 32-bit multiplier
MASK_32 = 0xFFFFFFFF  # keep the arithmetic of a C uint32_t: modulo 2**32


def char_ngrams(word: str, n_min: int = 3, n_max: int = 6) -> list[str]:
    """The character n-grams of ``"<" + word + ">"``, for ``n_min <= n <= n_max``.

    Order (the one gensim's ``compute_ngrams`` gives): shortest first; within one length, left
    to right. Lengths longer than the marked word give nothing, and so does ``n_max < n_min``.
    Characters are Python characters (Unicode code points), not bytes; repeated n-grams are kept,
    once per occurrence. ``n_min < 1`` raises ``ValueError`` (a 0-gram is the empty string, which
    says nothing about the word and would be hashed once per position).

    Example:
        >>> char_ngrams("where", 3, 4)
        ['<wh', 'whe', 'her', 'ere', 're>', '<whe', 'wher', 'here', 'ere>']
        >>> char_ngrams("a")
        ['<a>']
    """
    # Hint (~4 lines): two nested loops (length, then start), or one list comprehension.
    ### BEGIN SOLUTION
    if n_min < 1:
        raise ValueError(f"n_min must be at least 1, got {n_min}")
    marked = f"<{word}>"
    return [marked[start : start + n] for n in range(n_min, min(n_max, len(marked)) + 1) for start in range(len(marked) - n + 1)]
    ### END SOLUTION


def fasttext_hash(s: str) -> int:
    """fastText's 32-bit FNV-1a hash of ``s``'s UTF-8 bytes, as an int in ``[0, 2**32)``.

    fastText (C++) computes::

        uint32_t h = 2166136261;
        for (char c : utf8_bytes) { h = h ^ uint32_t(int8_t(c)); h = h * 16777619; }

    Two details make it differ from the textbook FNV-1a:

    - it hashes the UTF-8 *bytes* of the string ("é" is two bytes, 0xC3 0xA9), not its characters;
    - ``char`` is signed, so a byte ``>= 0x80`` is sign-extended before the xor: 0xC3 becomes
      0xFFFFFFC3 (that is ``byte - 256`` read modulo 2**32). ASCII words are unaffected; "naïve"
      and "日本" are not.

    Python integers never overflow, so reduce modulo 2**32 after the multiplication (``& 0xFFFFFFFF``).

    Example:
        >>> fasttext_hash("abc")
        440920331
        >>> fasttext_hash("naïve")
        3440832043
    """
    # Hint (~5 lines): s.encode("utf-8") gives the bytes; a byte b >= 0x80 becomes b | 0xFFFFFF00.
    ### BEGIN SOLUTION
    h = FNV_OFFSET_BASIS
    for byte in s.encode("utf-8"):
        if byte >= 0x80:
            byte |= 0xFFFFFF00  # sign extension of a C (signed) char to 32 bits
        h = ((h ^ byte) * FNV_PRIME) & MASK_32
    return h
    ### END SOLUTION


def ngram_buckets(word: str, num_buckets: int, n_min: int = 3, n_max: int = 6) -> np.ndarray:
    """Rows of the n-gram table for ``word``: ``fasttext_hash(g) % num_buckets`` for each n-gram.

    int64 array of shape ``(number of n-grams,)``: entry ``i`` is the bucket of
    ``char_ngrams(word, n_min, n_max)[i]`` (gensim's ``ft_ngram_hashes`` lists the same buckets in
    fastText's C++ order, by start position; the multiset is the same). The hash is the unsigned
    value in ``[0, 2**32)``, so every bucket is in ``[0, num_buckets)``. Two n-grams may share a
    bucket (a collision); both entries are kept. Every n-gram of :func:`char_ngrams` gets its
    bucket, also the lone "<" and ">" when ``n_min = 1`` (which fastText would skip).

    Example:
        >>> fasttext_hash("<a>")           # "a" has one n-gram, "<a>"
        2359087600
        >>> ngram_buckets("a", 1000)
        array([600])
    """
    # Hint (~1 line)
    ### BEGIN SOLUTION
    return np.array([fasttext_hash(g) % num_buckets for g in char_ngrams(word, n_min, n_max)], dtype=np.int64)
    ### END SOLUTION


def fasttext_word_vector(
    word: str,
    vocab: Mapping[str, int],
    word_vectors: np.ndarray,
    ngram_vectors: np.ndarray,
    n_min: int = 3,
    n_max: int = 6,
) -> np.ndarray:
    """A word's fastText vector: the mean of its own vector and its n-grams' bucket vectors.

    Shapes: ``word_vectors`` ``(V, D)`` (row ``vocab[word]`` is the word's own vector);
    ``ngram_vectors`` ``(num_buckets, D)`` (``num_buckets = len(ngram_vectors)``). Returns ``(D,)``.

    The rows averaged are:
      - ``word_vectors[vocab[word]]``, only when ``word`` is in ``vocab``;
      - ``ngram_vectors[k]`` for every bucket ``k`` of :func:`ngram_buckets` (an n-gram that occurs
        twice, or two n-grams that share a bucket, count twice).

    A word outside ``vocab`` (out-of-vocabulary) gets the mean of its n-gram rows alone; a word
    with neither (not in ``vocab`` and too short for any n-gram) gets a zero vector.
    dtype: that of the tables (``np.result_type(word_vectors, ngram_vectors)``), so float32
    tables give a float32 vector, also for the zero vector.

    Example: with ``n_min = n_max = 3``, "ab" in ``vocab`` has the n-grams "<ab" and "ab>", so its
    vector is ``(word_vectors[vocab["ab"]] + ngram_vectors[k1] + ngram_vectors[k2]) / 3``.
    """
    # Hint (~8 lines): collect the rows to average in a list, then np.mean(..., axis=0).
    ### BEGIN SOLUTION
    dtype = np.result_type(word_vectors, ngram_vectors)
    rows = [ngram_vectors[k] for k in ngram_buckets(word, len(ngram_vectors), n_min, n_max)]
    if word in vocab:
        rows.append(word_vectors[vocab[word]])
    if not rows:
        return np.zeros(ngram_vectors.shape[1], dtype=dtype)
    return np.mean(np.stack(rows), axis=0).astype(dtype, copy=False)
    ### END SOLUTION
