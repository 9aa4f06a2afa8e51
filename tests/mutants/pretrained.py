from autograder.grading.loader import SOLUTIONS
from tests.mutants import Mutant

F = "embeddings/pretrained.py"
LIMIT = "            if limit is not None and len(rows) >= limit:\n                break\n"
HEADER = "            if header:\n                dim = int(fields[1])\n                continue\n"
APPEND = "            vocab[word] = len(rows)\n            rows.append(vector)\n"
SOURCE = (SOLUTIONS / F).read_text(encoding="utf-8")
LOOP = SOURCE[SOURCE.index(LIMIT) : SOURCE.index(APPEND) + len(APPEND)]  # the loop body from the limit test to the append
ROWS = '        lines.append(" ".join([word, *(str(v) for v in vectors[row])]))'
MUTANTS = [
    Mutant(
        "pretrained",
        "first-line-always-header",
        F,
        HEADER,
        "            if line_no == 1:\n                continue\n",
        expect="the first line always skipped as a header",
    ),
    Mutant("pretrained", "limit-ignored", F, LIMIT, "", expect="limit ignored"),
    Mutant("pretrained", "limit-one-too-many", F, LIMIT, LIMIT.replace(">= limit", "> limit"), expect="one word too many"),
    Mutant(
        "pretrained",
        "limit-counts-header",
        F,
        LIMIT,
        "            if limit is not None and line_no > limit:\n                break\n",
        expect="limit counts the header line",
    ),
    Mutant("pretrained", "limit-after-parsing", F, LOOP, LOOP.replace(LIMIT, "").replace(APPEND, LIMIT.replace("break", "continue") + APPEND)),
    Mutant(
        "pretrained", "float64-vectors", F, "    vectors = np.array(rows, dtype=np.float32).reshape", "    vectors = np.array(rows, dtype=np.float64).reshape"
    ),
    Mutant(
        "pretrained", "line-numbers-from-0", F, "\n        for line_no, line in enumerate(f, start=1):", "\n        for line_no, line in enumerate(f, start=0):"
    ),
    Mutant(
        "pretrained",
        "repeated-word-overwrites",
        F,
        '            if word in vocab:\n                raise ValueError(f"line {line_no}: the word {word!r} was already read (it appears twice)")\n',
        "",
    ),
    Mutant("pretrained", "no-dimension-check", F, "            if len(values) != dim or dim == 0:", "            if dim == 0:"),
    Mutant("pretrained", "no-header-written", F, '    lines = [f"{vectors.shape[0]} {vectors.shape[1]}"]', "    lines = []", expect="no header line"),
    Mutant(
        "pretrained",
        "header-swapped",
        F,
        '    lines = [f"{vectors.shape[0]} {vectors.shape[1]}"]',
        '    lines = [f"{vectors.shape[1]} {vectors.shape[0]}"]',
        expect="header is 'dim count'",
    ),
    Mutant(
        "pretrained",
        "dict-order",
        F,
        "    for word, row in sorted(vocab.items(), key=lambda item: item[1]):",
        "    for word, row in vocab.items():",
        expect="words written in the dict's order",
    ),
    Mutant("pretrained", "six-decimals", F, ROWS, ROWS.replace("str(v)", 'f"{v:.6f}"'), expect="values rounded when written ('%.6f'"),
    Mutant("pretrained", "four-decimals", F, ROWS, ROWS.replace("str(v)", 'f"{v:.4f}"'), expect="values rounded when written ('%.4f'"),
    Mutant("pretrained", "six-significant", F, ROWS, ROWS.replace("str(v)", 'f"{v:.6g}"'), expect="values rounded when written ('%.6g'"),
    Mutant("pretrained", "repr-of-numpy-scalar", F, ROWS, ROWS.replace("str(v)", "repr(v)"), expect="values written with repr() of NumPy scalars"),
    Mutant("pretrained", "tab-separated", F, ROWS, ROWS.replace('" ".join', '"\\t".join'), expect="fields separated by tabs or several spaces"),
    Mutant(
        "pretrained",
        "latin-1-file",
        F,
        '    with open(path, "w", encoding="utf-8", newline="\\n") as f:',
        '    with open(path, "w", encoding="latin-1", errors="replace") as f:',
        expect="the file must be UTF-8",
    ),
    Mutant("pretrained", "no-word-validation", F, "        if not word or any(ch.isspace() for ch in word):", "        if False:"),
    Mutant("pretrained", "no-shape-validation", F, "    if vectors.ndim != 2 or vectors.shape[0] != len(vocab):", "    if False:"),
]
