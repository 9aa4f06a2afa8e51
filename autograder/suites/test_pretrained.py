"""Hidden suite: embeddings/pretrained.py.

Student code reads and writes files in its own process (a private working copy when grading), so
the suite never shares a path with it: the ``files_roundtrip`` probe writes the test's file
contents into a fresh temporary directory beside the student's code, calls ``load_vectors`` /
``save_vectors`` on paths inside it, and sends back what they returned and the bytes of the files
written. Here, in the trusted process, the reference loads the same text from a file of its own,
and a file the student saved is parsed by gensim's ``KeyedVectors.load_word2vec_format``, the
reader the curriculum names.
"""

import numpy as np
import pytest

from autograder.grading.compare import DoesNotApply, check, check_raises, describe_args

LOAD = "embeddings.pretrained:load_vectors"
SAVE = "embeddings.pretrained:save_vectors"

pytestmark = pytest.mark.timeout(20)

WORDS = ["the", ",", "naïve", "日本", "café", "x"]


def vectors_for(seed: int, V: int, D: int) -> np.ndarray:
    """float32 values over many magnitudes (1e-8 .. 1e3), both signs: formatting with few digits shows."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(V, D)) * 10.0 ** rng.integers(-8, 4, size=(V, D))).astype(np.float32)


def w2v_text(words, vectors, header=True, trailing_space=False, newline="\n", fmt=str) -> str:
    end = " " if trailing_space else ""
    lines = [f"{len(words)} {vectors.shape[1]}"] if header else []
    lines += [" ".join([w, *(fmt(v) for v in row)]) + end for w, row in zip(words, vectors)]
    return newline.join(lines) + newline


# -- load_vectors ------------------------------------------------------------------------------------


def student_load(student, text: str, **kwargs):
    out = student.probe(
        "files_roundtrip",
        files={"vectors.txt": text},
        calls=[{"target": LOAD, "path": "vectors.txt", "kwargs": kwargs}],
    )
    return out["results"][0]


def ref_load(ref, tmp_path, text: str, **kwargs):
    path = tmp_path / "reference.txt"
    path.write_bytes(text.encode("utf-8"))
    return ref["pretrained"].load_vectors(str(path), **kwargs)


def whole_file(ref, tmp_path, text: str):
    """The whole file read (no limit): a file with a bad line after the limit cannot be read so (does not apply)."""
    try:
        return ref_load(ref, tmp_path, text)
    except ValueError as error:
        raise DoesNotApply(f"the whole file does not load: {error}") from None


def load_mistakes(ref, tmp_path, text: str, kwargs: dict) -> dict:
    lines = text.splitlines(keepends=True)
    limit = kwargs.get("limit")
    out = {
        "the first line always skipped as a header: GloVe files have none (a header is exactly two integers)": lambda: (
            ref_load(ref, tmp_path, "".join(lines[1:]), **kwargs)
        ),
    }
    if limit is not None:
        out["limit ignored: keep only the first `limit` words"] = lambda: whole_file(ref, tmp_path, text)
        if limit > 0:
            out["limit counts the header line: it counts words"] = lambda: ref_load(
                ref, tmp_path, text, limit=limit - 1
            )
            out["one word too many: keep exactly `limit` words"] = lambda: ref_load(
                ref, tmp_path, text, limit=limit + 1
            )
    return out


def check_loaded(got, expected, what: str, mistakes: dict) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        check(got, expected, what=f"{what}: the returned (vocab, vectors)")
    check(
        got[0],
        expected[0],
        what=f"{what} -> vocab",
        mistakes={m: (lambda make=make: make()[0]) for m, make in mistakes.items()},
    )
    check(
        got[1],
        expected[1],
        what=f"{what} -> vectors",
        mistakes={m: (lambda make=make: make()[1]) for m, make in mistakes.items()},
    )


CASES = {
    "glove-no-header": dict(words=WORDS[:4], D=5, header=False),
    "word2vec-header": dict(words=WORDS, D=3, header=True),
    "fasttext-vec-trailing-spaces": dict(words=WORDS, D=4, header=True, trailing_space=True),
    "glove-windows-line-endings": dict(words=WORDS[1:], D=2, header=False, newline="\r\n"),
    "glove-one-number-per-word": dict(words=WORDS[:3], D=1, header=False),  # "the 0.5" is a word line, not a header
}


@pytest.mark.points(2)
@pytest.mark.parametrize("case", list(CASES))
def test_load_formats(student, ref, tmp_path, case):
    """load_vectors: with and without a header, UTF-8 words, float32 vectors in file order"""
    spec = dict(CASES[case])
    words, D = spec.pop("words"), spec.pop("D")
    text = w2v_text(words, vectors_for(len(words) * D, len(words), D), **spec)
    expected = ref_load(ref, tmp_path, text)
    got = student_load(student, text)
    check_loaded(
        got, expected, f"load_vectors(<{case} file: {len(words)} words, D={D}>)", load_mistakes(ref, tmp_path, text, {})
    )


@pytest.mark.points(1)
def test_load_number_formats_and_blank_lines(student, ref, tmp_path):
    """load_vectors: integers, exponents, signs; blank lines skipped"""
    text = "a 1 -2 3.5\n\nb 1e-05 -2.5E+02 +0.25\nc .5 -0 7.\n\n"
    expected = ref_load(ref, tmp_path, text)
    check_loaded(
        student_load(student, text), expected, f"load_vectors(<file {text!r}>)", load_mistakes(ref, tmp_path, text, {})
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("header,limit", [(True, 2), (False, 3), (True, 0)])
def test_load_limit(student, ref, tmp_path, header, limit):
    """load_vectors: limit keeps the first `limit` words"""
    text = w2v_text(WORDS, vectors_for(11, len(WORDS), 3), header=header)
    expected = ref_load(ref, tmp_path, text, limit=limit)
    got = student_load(student, text, limit=limit)
    check_loaded(
        got,
        expected,
        f"load_vectors(<{len(WORDS)} words, D=3, header={header}>, limit={limit})",
        load_mistakes(ref, tmp_path, text, {"limit": limit}),
    )


@pytest.mark.points(1)
def test_load_limit_stops_reading(student, ref, tmp_path):
    """load_vectors: lines after the limit are never parsed (a bad line there is no error)"""
    text = w2v_text(WORDS[:3], vectors_for(12, 3, 3)) + "broken 1.0 oops\nshort 1.0\n"
    expected = ref_load(ref, tmp_path, text, limit=2)
    got = student_load(student, text, limit=2)
    check_loaded(
        got,
        expected,
        "load_vectors(<3 good words, then 2 malformed lines>, limit=2)",
        load_mistakes(ref, tmp_path, text, {"limit": 2}),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("text", ["0 7\n", ""], ids=["header-only", "empty"])
def test_load_no_words(student, ref, tmp_path, text):
    """load_vectors: no word gives {} and a (0, dim) float32 array (dim from the header, else 0)"""
    check_loaded(student_load(student, text), ref_load(ref, tmp_path, text), f"load_vectors(<file {text!r}>)", {})


BAD_FILES = {
    "wrong-dimension": ("3 3\nthe 0.1 0.2 0.3\nof 0.4 0.5\nand 0.6 0.7 0.8\n", 3),
    "not-a-number": ("the 0.1 0.2\nof 0.3 zero\n", 2),
    "header-dimension": ("2 4\nthe 0.1 0.2 0.3\nof 0.4 0.5 0.6\n", 2),
    "word-without-values": ("the 0.1 0.2\nof 0.3 0.4\nlonely\n", 3),
    "repeated-word": ("2 2\nthe 0.1 0.2\nof 0.3 0.4\n\nthe 0.5 0.6\n", 5),
}


@pytest.mark.points(1)
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_load_malformed_line_names_its_number(student, case):
    """load_vectors: ValueError naming the malformed line ("line <n>", counting from 1, header included)"""
    text, line_no = BAD_FILES[case]
    check_raises(
        lambda: student_load(student, text),
        "ValueError",
        match=f"line {line_no}",
        what=f"load_vectors(<file {text!r}>) (lines count from 1, the header included)",
    )


# -- save_vectors ----------------------------------------------------------------------------------


def student_save(student, vocab, vectors) -> bytes | None:
    out = student.probe(
        "files_roundtrip", files={}, calls=[{"target": SAVE, "path": "out.txt", "args": [vocab, vectors]}]
    )
    data = out["files"].get("out.txt")
    return None if data is None else bytes(np.asarray(data, dtype=np.uint8))


def _written(fmt):
    return lambda rows: np.array([[np.float32(fmt(float(v))) for v in row] for row in rows], dtype=np.float32)


def check_saved_file(data, vocab, vectors, tmp_path, what: str) -> None:
    """The student's file, parsed here: header, UTF-8, then gensim reads it back unchanged."""
    from gensim.models import KeyedVectors

    text = _checked_text(data, vocab, vectors, what)
    path = tmp_path / "student-saved.txt"
    path.write_bytes(data)
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=False)
    except Exception as error:  # noqa: BLE001 - whatever gensim says about the file is the feedback
        first = "\n".join(text.split("\n")[:3])
        message = f"{type(error).__name__}: {error}"
        # These mistakes are recognised from the file's text: the message is "matched" when the text shows them.
        check(
            message,
            None,
            what=f"{what}: gensim's KeyedVectors.load_word2vec_format could not read the file (its first lines: "
            f"{first!r})",
            mistakes={
                "values written with repr() of NumPy scalars ('np.float32(0.1)'): write str(x)": message
                if "np.float" in text
                else None,
                "fields separated by tabs or several spaces: the format separates them by single spaces": message
                if "\t" in text or "  " in text.rstrip()
                else None,
            },
        )
        return
    _check_read_back(kv, vocab, vectors, what)


def _checked_text(data, vocab, vectors, what: str) -> str:
    """The file's text: written, UTF-8, and its first line the header ``count dim``."""
    check(data is not None, True, what=f"{what}: a file was written at the given path")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        text = None
        check(
            f"UnicodeDecodeError: {error}",
            None,
            what=f"{what}: the file must be UTF-8 (open(path, 'w', encoding='utf-8'))",
        )
    V, D = np.shape(vectors)
    header = text.split("\n", 1)[0].split()
    check(
        header,
        [str(V), str(D)],
        what=f"{what}: the first line (the header 'count dim')",
        mistakes={
            "no header line: the word2vec format starts with the line 'count dim'": lambda: (
                header if header and header[0] in vocab else None
            ),
            "header is 'dim count': the word count comes first": [str(D), str(V)],
        },
    )
    return text


def _check_read_back(kv, vocab, vectors, what: str) -> None:
    """What gensim read back: the words in row order and every float32 exactly."""
    order = [w for w, _ in sorted(vocab.items(), key=lambda item: item[1])]
    check(
        kv.index_to_key,
        order,
        what=f"{what}: the words gensim reads back, in file order",
        mistakes={"words written in the dict's order: write them by row, vocab[word] = 0, 1, 2 ...": list(vocab)},
    )
    expected = np.asarray(vectors, dtype=np.float32)[[vocab[w] for w in order]]
    mistakes = {
        "values rounded when written ('%.6f' or similar): write every digit a float32 needs, e.g. "
        "str(np.float32(x))": lambda: _written(lambda v: f"{v:.6f}")(expected),
        "values rounded when written ('%.4f' or similar): write every digit a float32 needs, e.g. "
        "str(np.float32(x))": lambda: _written(lambda v: f"{v:.4f}")(expected),
        "values rounded when written ('%.6g' or similar): write every digit a float32 needs, e.g. "
        "str(np.float32(x))": lambda: _written(lambda v: f"{v:.6g}")(expected),
    }
    # "Unchanged" is exact: the float32 values written must read back bit for bit (float32 tolerance would let '%.6f'
    # pass).
    check(
        kv.vectors,
        expected,
        what=f"{what}: the vectors gensim reads back (exactly, as float32)",
        mistakes=mistakes,
        rtol=0.0,
        atol=0.0,
    )


@pytest.mark.points(3)
@pytest.mark.parametrize("V,D", [(6, 5), (3, 1)])
def test_save_read_back_by_gensim(student, tmp_path, V, D):
    """save_vectors: gensim's load_word2vec_format reads the file back unchanged"""
    vocab = {w: i for i, w in enumerate(WORDS[:V])}
    vectors = vectors_for(V * D, V, D)
    data = student_save(student, vocab, vectors)
    check_saved_file(
        data, vocab, vectors, tmp_path, f"save_vectors(path, <vocab of {V} words>, {describe_args(vectors)})"
    )


@pytest.mark.points(2)
def test_save_writes_words_by_row(student, tmp_path):
    """save_vectors: words are written in the order of their rows, not of the dict"""
    vocab = {"naïve": 2, "the": 0, "日本": 3, ",": 1}
    vectors = vectors_for(5, 4, 3)
    data = student_save(student, vocab, vectors)
    check_saved_file(data, vocab, vectors, tmp_path, f"save_vectors(path, {vocab}, {describe_args(vectors)})")


@pytest.mark.points(1)
def test_save_float64_input(student, tmp_path):
    """save_vectors: float64 vectors are written so gensim reads them back (as float32)"""
    vocab = {w: i for i, w in enumerate(WORDS[:4])}
    vectors = np.random.default_rng(6).normal(size=(4, 3))
    data = student_save(student, vocab, vectors)
    check_saved_file(
        data,
        vocab,
        vectors.astype(np.float32),
        tmp_path,
        f"save_vectors(path, <vocab of 4 words>, {describe_args(vectors)})",
    )


@pytest.mark.points(1)
def test_save_then_load_roundtrip(student, tmp_path):
    """save_vectors then load_vectors (both yours) give back the same vocab and vectors"""
    vocab = {w: i for i, w in enumerate(WORDS)}
    vectors = vectors_for(9, len(WORDS), 4)
    out = student.probe(
        "files_roundtrip",
        files={},
        calls=[{"target": SAVE, "path": "v.txt", "args": [vocab, vectors]}, {"target": LOAD, "path": "v.txt"}],
    )
    check_loaded(
        out["results"][1],
        (vocab, vectors),
        f"load_vectors(save_vectors(path, <vocab of {len(WORDS)} words>, {describe_args(vectors)}))",
        {},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "vocab,shape",
    [({"two words": 0, "b": 1}, (2, 3)), ({"": 0}, (1, 2)), ({"a": 0, "b": 1}, (3, 2)), ({"a": 0, "b": 1}, (2,))],
    ids=["space-in-word", "empty-word", "rows-differ", "not-2d"],
)
def test_save_rejects_what_cannot_be_read_back(student, vocab, shape):
    """save_vectors: ValueError for a word with whitespace or empty, or vectors that are not (len(vocab), D)"""
    vectors = np.ones(shape, dtype=np.float32)
    check_raises(
        lambda: student_save(student, vocab, vectors),
        "ValueError",
        what=f"save_vectors(path, {vocab}, {describe_args(vectors)})",
    )


# -- edge cases the docstrings settle ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_load_blank_lines_before_the_header(student, ref, tmp_path):
    """load_vectors: the header is the first line that is not blank"""
    text = "\n\n2 3\nthe 0.1 0.2 0.3\nof 0.4 0.5 0.6\n"
    expected = ref_load(ref, tmp_path, text)
    check(student_load(student, text), expected, what=f"load_vectors(<file {text!r}>)")


@pytest.mark.points(1)
def test_load_limit_zero(student, ref, tmp_path):
    """load_vectors: limit=0 reads no word: an empty vocab and vectors of shape (0, dim)"""
    text = "2 3\nthe 0.1 0.2 0.3\nof 0.4 0.5 0.6\n"
    expected = ref_load(ref, tmp_path, text, limit=0)
    check(student_load(student, text, limit=0), expected, what=f"load_vectors(<file {text!r}>, limit=0)")


@pytest.mark.points(1)
def test_load_invalid_utf8_names_the_line(student):
    """load_vectors: a line that is not valid UTF-8 is a ValueError naming its line"""
    data = np.frombuffer(b"the 0.1 0.2\n\xff\xfe 0.3 0.4\n", dtype=np.uint8)
    check_raises(
        lambda: student.probe("files_roundtrip", files={"v.txt": data}, calls=[{"target": LOAD, "path": "v.txt"}]),
        "ValueError",
        match="line 2",
        what="load_vectors(<file b'the 0.1 0.2\\n\\xff\\xfe 0.3 0.4\\n'>)",
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("header", [True, False], ids=["with-header", "without-header"])
def test_load_limit_zero_reads_the_header_only(student, ref, tmp_path, header):
    """load_vectors: limit=0 still reads the header: shape (0, dim) with one, (0, 0) without (no word read)"""
    text = ("2 3\n" if header else "") + "the 0.1 0.2 0.3\nof 0.4 0.5 0.6\n"
    expected = ref_load(ref, tmp_path, text, limit=0)
    check(student_load(student, text, limit=0), expected, what=f"load_vectors(<file {text!r}>, limit=0)")


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "first", ["1_000 1", "+2 1", "\u0663 1"], ids=["underscore", "plus-sign", "arabic-indic-digit"]
)
def test_load_header_is_two_ascii_integers_only(student, ref, tmp_path, first):
    """load_vectors: a header is two runs of ASCII digits: "1_000 1", "+2 1", non-ASCII digits are a word and a value"""
    text = f"{first}\nthe 0.5\nof 0.25\n"
    expected = ref_load(ref, tmp_path, text)
    check(student_load(student, text), expected, what=f"load_vectors(<file {text!r}>)")


@pytest.mark.points(1)
def test_load_refuses_a_negative_limit(student):
    """load_vectors: a negative limit raises ValueError"""
    check_raises(
        lambda: student.probe(
            "files_roundtrip",
            files={"v.txt": "the 0.1\n"},
            calls=[{"target": LOAD, "path": "v.txt", "kwargs": {"limit": -1}}],
        ),
        "ValueError",
        what="load_vectors(<file>, limit=-1)",
    )
