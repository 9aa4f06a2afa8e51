from tests.mutants import Mutant

F = "embeddings/bpe.py"
MERGE_BODY = (
    "    out, i = [], 0\n    while i < len(symbols):\n        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:\n"
    "            out.append(symbols[i] + symbols[i + 1])\n            i += 2\n        else:\n"
    "            out.append(symbols[i])\n            i += 1\n    return out\n"
)
APPLY_LOOP = (
    "    while len(symbols) > 1:\n        best = min(zip(symbols, symbols[1:]), key=lambda pair: rank.get(pair, len(rank)))\n"
    "        if best not in rank:\n            break  # no adjacent pair is a merge: done\n        symbols = merge_pair(symbols, best)\n"
)
MUTANTS = [
    Mutant("bpe", "ties-higher-id", F, "return -pair_counts[pair], ids[pair[0]], ids[pair[1]], pair",
           "return -pair_counts[pair], -ids[pair[0]], -ids[pair[1]], pair", expect="ties broken towards the higher id"),
    Mutant("bpe", "ties-alphabetical", F, "return -pair_counts[pair], ids[pair[0]], ids[pair[1]], pair",
           "return -pair_counts[pair], 0, 0, pair", expect="ties broken alphabetically by the pair's strings"),
    Mutant("bpe", "pair-types-not-occurrences", F, "    counts = list(word_counts.values())\n",
           "    counts = [1] * len(word_counts)\n", expect="counting pair types instead of occurrences"),
    Mutant("bpe", "merge-first-occurrence-only", F, MERGE_BODY,
           "    for i in range(len(symbols) - 1):\n        if (symbols[i], symbols[i + 1]) == pair:\n"
           "            return [*symbols[:i], symbols[i] + symbols[i + 1], *symbols[i + 2 :]]\n    return list(symbols)\n",
           expect="merging only the first occurrence of the pair in a word"),
    Mutant("bpe", "merge-overlapping", F, "            i += 2\n", "            i += 1\n"),
    Mutant("bpe", "apply-in-learnt-order-per-pass", F, APPLY_LOOP,
           "    before = None\n    while symbols != before:\n        before = symbols\n        for pair in merges:\n"
           "            symbols = merge_pair(symbols, pair)\n",
           expect="applying the merges in learnt order per pass instead of the lowest rank first"),
    Mutant("bpe", "apply-one-pass", F, APPLY_LOOP, "    for pair in merges:\n        symbols = merge_pair(symbols, pair)\n",
           expect="applying the merges in learnt order, one pass, instead of the lowest rank first"),
    Mutant("bpe", "marker-separate-symbol", F, "    return [*word[:-1], word[-1] + EOW] if word else []\n",
           "    return [*word, EOW] if word else []\n",
           expect="the end-of-word marker as a separate symbol instead of fused to the last character"),
    Mutant("bpe", "no-unk-fallback", F,
           "            elif unk_token is not None:\n                ids.append(vocab[unk_token])\n", "",
           expect="no unk fallback"),
    Mutant("bpe", "marked-first-occurrence", F, "    last_chars = sorted({word[-1] for word in word_counts if word})\n",
           "    last_chars = list(dict.fromkeys(word[-1] for word in word_counts if word))\n",
           expect="marked last characters in first-occurrence order instead of sorted"),
    Mutant("bpe", "vocab-reassigns-repeated-token", F, "        vocab.setdefault(token, len(vocab))\n",
           "        vocab[token] = len(vocab)\n", expect="a repeated token given a new id"),
    Mutant("bpe", "decode-no-spaces", F, '.replace(EOW, " ").rstrip(" ")', '.replace(EOW, "")',
           expect="the end-of-word marker removed instead of turned into a space"),
    Mutant("bpe", "no-early-stop-check", F, "        if pair_counts.get(best, 0) != -negative_count:\n            continue  # stale\n", ""),
]
