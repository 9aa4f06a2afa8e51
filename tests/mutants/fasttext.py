from tests.mutants import Mutant

F = "embeddings/fasttext.py"
NGRAMS = (
    '    marked = f"<{word}>"\n'
    "    return [marked[start : start + n] for n in range(n_min, min(n_max, len(marked)) + 1) for start in range(len(marked) - n + 1)]\n"
)
SIGN = "        if byte >= 0x80:\n            byte |= 0xFFFFFF00  # sign extension of a C (signed) char to 32 bits\n"
MEAN = (
    "    if word in vocab:\n        rows.append(word_vectors[vocab[word]])\n    if not rows:\n"
    "        return np.zeros(ngram_vectors.shape[1], dtype=dtype)\n    return np.mean(np.stack(rows), axis=0).astype(dtype, copy=False)\n"
)
MUTANTS = [
    Mutant("fasttext", "no-boundary-markers", F, NGRAMS, NGRAMS.replace('f"<{word}>"', "word"), expect="without the '<' and '>' boundary markers"),
    Mutant(
        "fasttext",
        "longest-first",
        F,
        NGRAMS,
        NGRAMS.replace("for n in range(n_min, min(n_max, len(marked)) + 1)", "for n in reversed(range(n_min, min(n_max, len(marked)) + 1))"),
        expect="longest n-grams first",
    ),
    Mutant(
        "fasttext",
        "by-start-position",
        F,
        NGRAMS,
        '    marked = f"<{word}>"\n'
        "    return [marked[start : start + n] for start in range(len(marked)) for n in range(n_min, n_max + 1) if start + n <= len(marked)]\n",
        expect="grouped by start position",
    ),
    Mutant("fasttext", "n-max-exclusive", F, NGRAMS, NGRAMS.replace("min(n_max, len(marked)) + 1", "min(n_max, len(marked) + 1)"), expect="n_max left out"),
    Mutant("fasttext", "unsigned-bytes", F, SIGN, "", expect="unsigned bytes"),
    Mutant(
        "fasttext", "hash-characters", F, '    for byte in s.encode("utf-8"):\n', "    for byte in map(ord, s):\n", expect="hashed the characters (ord(ch))"
    ),
    Mutant(
        "fasttext",
        "hash-characters-unsigned",
        F,
        '    for byte in s.encode("utf-8"):\n' + SIGN,
        "    for byte in map(ord, s):\n",
        expect="hashed the characters (ord(ch)) instead of the UTF-8 bytes",
    ),
    Mutant(
        "fasttext",
        "fnv1-order",
        F,
        "        h = ((h ^ byte) * FNV_PRIME) & MASK_32",
        "        h = ((h * FNV_PRIME) ^ byte) & MASK_32",
        expect="FNV-1 (multiply, then xor)",
    ),
    Mutant(
        "fasttext", "no-mod-2-32", F, "        h = ((h ^ byte) * FNV_PRIME) & MASK_32", "        h = (h ^ byte) * FNV_PRIME", expect="not reduced modulo 2**32"
    ),
    Mutant(
        "fasttext",
        "signed-result",
        F,
        "        h = ((h ^ byte) * FNV_PRIME) & MASK_32\n    return h\n",
        "        h = ((h ^ byte) * FNV_PRIME) & MASK_32\n    return h - 2**32 if h >= 2**31 else h\n",
        expect="returned as a signed 32-bit value",
    ),
    Mutant(
        "fasttext",
        "signed-before-modulo",
        F,
        "    return np.array([fasttext_hash(g) % num_buckets for g in char_ngrams(word, n_min, n_max)], dtype=np.int64)",
        "    signed = [h - 2**32 if h >= 2**31 else h for h in map(fasttext_hash, char_ngrams(word, n_min, n_max))]\n"
        "    return np.array([h % num_buckets for h in signed], dtype=np.int64)",
        expect="hash treated as a signed 32-bit value before % num_buckets",
    ),
    Mutant(
        "fasttext",
        "buckets-int32",
        F,
        "    return np.array([fasttext_hash(g) % num_buckets for g in char_ngrams(word, n_min, n_max)], dtype=np.int64)",
        "    return np.array([fasttext_hash(g) % num_buckets for g in char_ngrams(word, n_min, n_max)], dtype=np.int32)",
    ),
    Mutant(
        "fasttext", "sum-not-mean", F, MEAN, MEAN.replace("np.mean(np.stack(rows), axis=0)", "np.sum(np.stack(rows), axis=0)"), expect="sum instead of mean"
    ),
    Mutant(
        "fasttext",
        "own-vector-left-out",
        F,
        "    if word in vocab:\n        rows.append(word_vectors[vocab[word]])\n",
        "",
        expect="the word's own vector left out",
    ),
    Mutant(
        "fasttext",
        "own-vector-only",
        F,
        MEAN,
        "    if word in vocab:\n        return word_vectors[vocab[word]].astype(dtype)\n" + MEAN,
        expect="only the word's own vector",
    ),
    Mutant(
        "fasttext",
        "half-and-half",
        F,
        MEAN,
        "    if word in vocab and rows:\n        return ((word_vectors[vocab[word]] + np.mean(np.stack(rows), axis=0)) / 2).astype(dtype)\n" + MEAN,
        expect="averaged 50/50",
    ),
    Mutant(
        "fasttext",
        "unique-buckets",
        F,
        "for k in ngram_buckets(word, len(ngram_vectors), n_min, n_max)]",
        "for k in np.unique(ngram_buckets(word, len(ngram_vectors), n_min, n_max))]",
        expect="repeated ids de-duplicated",
    ),
    Mutant(
        "fasttext", "zero-vector-float64", F, "        return np.zeros(ngram_vectors.shape[1], dtype=dtype)", "        return np.zeros(ngram_vectors.shape[1])"
    ),
    Mutant(
        "fasttext", "oov-raises", F, "    if word in vocab:\n        rows.append(word_vectors[vocab[word]])\n", "    rows.append(word_vectors[vocab[word]])\n"
    ),
]
