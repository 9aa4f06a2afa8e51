"""What fasttext's public tests and hidden suite share: the functions' targets, the models of the common mistakes.

Shipped to students, since the public tests import it: hand formulas and PyTorch's own functions only,
never the reference. A mistake only the hidden suite models stays in the suite.
"""

NGRAMS = "embeddings.fasttext:char_ngrams"

HASH = "embeddings.fasttext:fasttext_hash"

BUCKETS = "embeddings.fasttext:ngram_buckets"

VECTOR = "embeddings.fasttext:fasttext_word_vector"


def ngram_mistakes(word: str, n_min: int, n_max: int) -> dict:
    marked = f"<{word}>"

    def grams(s: str, lengths) -> list[str]:
        return [s[i : i + n] for n in lengths for i in range(len(s) - n + 1)]

    lengths = range(n_min, n_max + 1)
    return {
        "n-grams without the '<' and '>' boundary markers: cut \"<\" + word + \">\"": lambda: grams(word, lengths),
        "longest n-grams first: the order is shortest first, then left to right": lambda: grams(
            marked, reversed(lengths)
        ),
        "grouped by start position (fastText's C++ order): the order is by length first, then left to right": lambda: [
            marked[i : i + n] for i in range(len(marked)) for n in lengths if i + n <= len(marked)
        ],
        "n_max left out: lengths run from n_min to n_max inclusive": lambda: grams(marked, range(n_min, n_max)),
        "right to left within a length: the order is left to right": lambda: [
            g for n in lengths for g in reversed(grams(marked, [n]))
        ],
    }


def fnv(units, sign_extend: bool, multiply_first: bool = False, reduce: bool = True) -> int:
    h = 2166136261
    for u in units:
        if sign_extend and u >= 0x80:
            u |= 0xFFFFFF00
        h = (h * 16777619) ^ u if multiply_first else (h ^ u) * 16777619
        if reduce:
            h &= 0xFFFFFFFF
    return h


def hash_mistakes(s: str, expected: int | None = None) -> dict:
    data = s.encode("utf-8")
    return {
        "unsigned bytes: fastText sign-extends each byte >= 0x80 before the xor (0xC3 -> 0xFFFFFFC3)": lambda: fnv(
            data, False
        ),
        "hashed the characters (ord(ch)) instead of the UTF-8 bytes of the string": lambda: fnv(
            [ord(ch) for ch in s], False
        ),
        "hashed the characters (ord(ch)), sign-extended, instead of the UTF-8 bytes": lambda: fnv(
            [ord(ch) for ch in s], True
        ),
        "FNV-1 (multiply, then xor) instead of FNV-1a (xor, then multiply)": lambda: fnv(
            data, True, multiply_first=True
        ),
        "not reduced modulo 2**32: keep h & 0xFFFFFFFF after each multiplication": lambda: fnv(
            data, True, reduce=False
        ),
        "returned as a signed 32-bit value: the hash is unsigned, in [0, 2**32)": lambda: (
            expected - 2**32 if expected is not None and expected >= 2**31 else None
        ),
    }
