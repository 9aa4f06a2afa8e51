from tests.mutants import Mutant

F = "embeddings/one_hot.py"
MUTANTS = [
    Mutant("one_hot", "ties-first-occurrence", F, "key=lambda item: (-item[1], item[0])", "key=lambda item: -item[1]",
           expect="ties broken by first occurrence"),
    Mutant("one_hot", "min-count-strict", F, "if count >= min_count and", "if count > min_count and",
           expect="min_count compared with > instead of >="),
    Mutant("one_hot", "specials-last", F,
           "vocab = {word: i for i, word in enumerate(dict.fromkeys(specials))}\n    counts = Counter(tokens)\n"
           "    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):\n"
           "        if count >= min_count and word not in vocab:\n            vocab[word] = len(vocab)\n    return vocab",
           "vocab = {}\n    counts = Counter(tokens)\n"
           "    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):\n"
           "        if count >= min_count and word not in vocab:\n            vocab[word] = len(vocab)\n"
           "    for word in specials:\n        vocab.setdefault(word, len(vocab))\n    return vocab",
           expect="specials put after the other tokens"),
    Mutant("one_hot", "unk-silently-dropped", F, "            raise KeyError(f\"token {token!r} is not in the vocabulary and no unk_token was given\")",
           "            continue"),
    Mutant("one_hot", "float-ids-accepted", F, "    if indices.size and not np.issubdtype(indices.dtype, np.integer):\n", "    if False:\n"),
]
