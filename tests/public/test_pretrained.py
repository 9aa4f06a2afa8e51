"""Public tests for embeddings/pretrained.py.

Your functions read and write real files: the ``files_roundtrip`` probe writes the test's file
into a fresh temporary directory, calls your function on a path inside it, and hands back what
it returned and the bytes of the files it wrote.
"""

import numpy as np

from autograder.grading.adapter import StudentError
from autograder.grading.compare import Feedback, check, check_raises
from autograder.grading.testing import check_items, file_error

LOAD = "embeddings.pretrained:load_vectors"
SAVE = "embeddings.pretrained:save_vectors"
ROUNDED = "values rounded when written ('{}' or similar): write every digit a float32 needs, e.g. str(np.float32(x))"


def load_raw(student, text: str, **kwargs):
    out = student.probe("files_roundtrip", files={"vectors.txt": text}, calls=[{"target": LOAD, "path": "vectors.txt", "kwargs": kwargs}])
    return out["results"][0]


def load(student, text: str, **kwargs):
    """load_vectors on a file holding ``text``; an exception names the call and shows the file's line it is about."""
    try:
        return load_raw(student, text, **kwargs)
    except StudentError as error:
        if error.kind != "raised":
            raise
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        failed = file_error(error, f"load_vectors(<file {text[:40]!r}...>{args})", text)
        first = text.splitlines()[0].split()
        if not is_header(first) and any(repr(field) in error.message for field in first):
            # A file without a header that fails on its first line's own fields: that line was read as the header.
            raise failed.with_mistake(ALWAYS_HEADER) from None
        raise failed from None


ALWAYS_HEADER = "the first line always skipped as a header: GloVe files have none (a header is exactly two integers)"


def is_header(fields: list[str]) -> bool:
    return len(fields) == 2 and all(x.isdigit() for x in fields)


def save(student, vocab, vectors) -> str:
    out = student.probe("files_roundtrip", files={}, calls=[{"target": SAVE, "path": "out.txt", "args": [vocab, vectors]}])
    check("out.txt" in out["files"], True, what="save_vectors(path, ...): a file was written at path")
    data = bytes(out["files"]["out.txt"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Feedback(
            f"save_vectors(path, ...): the file is not UTF-8 ({error})\n"
            "  Likely mistake: the file must be UTF-8 (open(path, 'w', encoding='utf-8'))"
        ) from None


def numbers(fields: list[str], what: str) -> np.ndarray:
    """The values of a written line, as float32; a field that is not a number is reported with the likely cause."""
    try:
        return np.array([np.float32(x) for x in fields], dtype=np.float32)
    except ValueError:
        mistakes = {"values written with repr() of NumPy scalars ('np.float32(0.1)'): write str(x)": fields} if any("np.float" in f for f in fields) else {}
        check(fields, ["<numbers>"], what=f"{what}: the fields after the word must be numbers", mistakes=mistakes)
        raise


def rounded(fmt: str, vectors: np.ndarray) -> np.ndarray:
    return np.array([[np.float32(fmt % float(v)) for v in row] for row in vectors], dtype=np.float32)


def load_mistakes(text: str, expected: tuple, limit: int | None = None) -> dict:
    """Wrong (vocab, vectors) for a file whose words ``expected`` lists in file order: as each mistake reads it."""
    vocab, vectors = expected
    words = list(vocab)

    def first(n: int) -> tuple:
        return {w: i for i, w in enumerate(words[:n])}, vectors[:n]

    out = {}
    if not is_header(text.splitlines()[0].split()):
        out[ALWAYS_HEADER] = {w: i for i, w in enumerate(words[1:])}, vectors[1:]
    if limit is not None:
        out["limit counts the header line: it counts words"] = first(limit - 1)
        out["one word too many: keep exactly `limit` words"] = first(limit + 1)
    return out


GLOVE = "the 0.5 -1 2\nnaïve 1e-3 0 0.25\n日本 3 2 1\n"
WORD2VEC = "3 2\nthe 0.5 -1 \nof 2 3 \nand 4 5 \n"  # a header, and a trailing space as in fastText's .vec files


def test_load_glove_file(student):
    """load_vectors: a GloVe file (no header), UTF-8 words, float32 vectors"""
    expected = ({"the": 0, "naïve": 1, "日本": 2}, np.array([[0.5, -1, 2], [1e-3, 0, 0.25], [3, 2, 1]], dtype=np.float32))
    check_items(load(student, GLOVE), expected, ("vocab", "vectors"), what="load_vectors(<GloVe file>)", mistakes=load_mistakes(GLOVE, expected))


def test_load_word2vec_file_with_limit(student):
    """load_vectors: the header line is not a word; limit keeps the first words"""
    full = ({"the": 0, "of": 1, "and": 2}, np.array([[0.5, -1], [2, 3], [4, 5]], dtype=np.float32))
    check_items(load(student, WORD2VEC), full, ("vocab", "vectors"), what="load_vectors(<word2vec file>)")
    expected = ({"the": 0, "of": 1}, full[1][:2])
    mistakes = load_mistakes(WORD2VEC, full, limit=2) | {"limit ignored: keep only the first `limit` words": full}
    check_items(load(student, WORD2VEC, limit=2), expected, ("vocab", "vectors"), what="load_vectors(<word2vec file>, limit=2)", mistakes=mistakes)


def test_load_malformed_line(student):
    """load_vectors: ValueError naming the line ("line 3": the header is line 1)"""
    text = "3 2\nthe 0.5 -1\nof 2\nand 4 5\n"
    from_zero = "lines counted from 0: the file's first line is line 1 (enumerate(f, start=1))"
    check_raises(lambda: load_raw(student, text), "ValueError", match="line 3", what=f"load_vectors(<file {text!r}>)", mismatches={"line 2": from_zero})
    text = "the 0.5 -1\nof 2 three\n"
    check_raises(lambda: load_raw(student, text), "ValueError", match="line 2", what=f"load_vectors(<file {text!r}>)", mismatches={"line 1": from_zero})


def test_save_format(student):
    """save_vectors: header 'count dim', then one word per line in the order of its row"""
    text = save(student, {"b": 1, "a": 0}, np.array([[0.5, 1.0], [0.1, -2.0]], dtype=np.float32))
    lines = text.splitlines()
    header_mistakes = {
        "no header line: the word2vec format starts with the line 'count dim'": ["a", "0.5", "1.0", "0.0"],
        "header is 'dim count': the word count comes first": ["3", "2"],
    }
    text = save(student, {"b": 1, "a": 0}, np.array([[0.5, 1.0, 0.0], [0.1, -2.0, 0.0]], dtype=np.float32))
    lines = text.splitlines()
    check(lines[0].split(), ["2", "3"], what="save_vectors(path, {'b': 1, 'a': 0}, <(2, 3)>): the header line", mistakes=header_mistakes)
    tabs = {"fields separated by tabs or several spaces: the format separates them by single spaces": True}
    spaced = any("\t" in line or "  " in line.rstrip() for line in lines)
    check(spaced, False, what="save_vectors(...): tabs or double spaces in the file", mistakes=tabs)
    order = {"words written in the dict's order: write them by row, vocab[word] = 0, 1, 2 ...": ["b", "a"]}
    check([line.split(" ")[0] for line in lines[1:]], ["a", "b"], what="save_vectors(...): the words, in file order", mistakes=order)
    values = np.array([numbers(line.split()[1:], "save_vectors(...)") for line in lines[1:]], dtype=np.float32)
    check(values, np.array([[0.5, 1.0, 0.0], [0.1, -2.0, 0.0]], dtype=np.float32), what="save_vectors(...): the values read back")


def test_save_keeps_every_digit(student):
    """save_vectors: values read back exactly (as float32), tiny and large ones too"""
    vectors = np.array([[1.2345678e-8, -3.3333333e5, 0.1]], dtype=np.float32)
    text = save(student, {"naïve": 0}, vectors)
    word, *values = text.splitlines()[1].split()
    check(word, "naïve", what="save_vectors(path, {'naïve': 0}, ...): the word (UTF-8)")
    # Exactly equal: "%.6f" would write 1.2345678e-08 as 0.000000.
    mistakes = {ROUNDED.format(fmt): rounded(fmt, vectors)[0] for fmt in ("%.6f", "%.4f", "%.6g")}
    check(numbers(values, "save_vectors(...)"), vectors[0], what="save_vectors(...): the values read back", rtol=0.0, atol=0.0, mistakes=mistakes)


def test_save_then_load(student):
    """save_vectors then load_vectors give back what was saved"""
    vocab = {"the": 0, "naïve": 1, "日本": 2}
    vectors = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    out = student.probe("files_roundtrip", files={}, calls=[{"target": SAVE, "path": "v.txt", "args": [vocab, vectors]}, {"target": LOAD, "path": "v.txt"}])
    got_vocab, got_vectors = out["results"][1]
    check(got_vocab, vocab, what="load_vectors(save_vectors(...)) -> vocab")
    check(got_vectors, vectors, what="load_vectors(save_vectors(...)) -> vectors")
