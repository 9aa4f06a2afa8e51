"""Public tests for embeddings/pretrained.py.

Your functions read and write real files: the ``files_roundtrip`` probe writes the test's file
into a fresh temporary directory, calls your function on a path inside it, and hands back what
it returned and the bytes of the files it wrote.
"""

import numpy as np

from autograder.grading.compare import check, check_raises

LOAD = "embeddings.pretrained:load_vectors"
SAVE = "embeddings.pretrained:save_vectors"


def load(student, text: str, **kwargs):
    out = student.probe("files_roundtrip", files={"vectors.txt": text}, calls=[{"target": LOAD, "path": "vectors.txt", "kwargs": kwargs}])
    return out["results"][0]


def save(student, vocab, vectors) -> str:
    out = student.probe("files_roundtrip", files={}, calls=[{"target": SAVE, "path": "out.txt", "args": [vocab, vectors]}])
    check("out.txt" in out["files"], True, what="save_vectors(path, ...): a file was written at path")
    return bytes(out["files"]["out.txt"]).decode("utf-8")


GLOVE = "the 0.5 -1 2\nnaïve 1e-3 0 0.25\n日本 3 2 1\n"
WORD2VEC = "3 2\nthe 0.5 -1 \nof 2 3 \nand 4 5 \n"  # a header, and a trailing space as in fastText's .vec files


def test_load_glove_file(student):
    """load_vectors: a GloVe file (no header), UTF-8 words, float32 vectors"""
    vocab, vectors = load(student, GLOVE)
    check(vocab, {"the": 0, "naïve": 1, "日本": 2}, what="load_vectors(<GloVe file>) -> vocab")
    check(vectors, np.array([[0.5, -1, 2], [1e-3, 0, 0.25], [3, 2, 1]], dtype=np.float32), what="load_vectors(<GloVe file>) -> vectors")


def test_load_word2vec_file_with_limit(student):
    """load_vectors: the header line is not a word; limit keeps the first words"""
    vocab, vectors = load(student, WORD2VEC)
    check(vocab, {"the": 0, "of": 1, "and": 2}, what="load_vectors(<word2vec file>) -> vocab")
    check(vectors, np.array([[0.5, -1], [2, 3], [4, 5]], dtype=np.float32), what="load_vectors(<word2vec file>) -> vectors")
    vocab, vectors = load(student, WORD2VEC, limit=2)
    check(vocab, {"the": 0, "of": 1}, what="load_vectors(<word2vec file>, limit=2) -> vocab")
    check(vectors, np.array([[0.5, -1], [2, 3]], dtype=np.float32), what="load_vectors(<word2vec file>, limit=2) -> vectors")


def test_load_malformed_line(student):
    """load_vectors: ValueError naming the line ("line 3": the header is line 1)"""
    text = "3 2\nthe 0.5 -1\nof 2\nand 4 5\n"
    check_raises(lambda: load(student, text), "ValueError", match="line 3", what=f"load_vectors(<file {text!r}>)")
    text = "the 0.5 -1\nof 2 three\n"
    check_raises(lambda: load(student, text), "ValueError", match="line 2", what=f"load_vectors(<file {text!r}>)")


def test_save_format(student):
    """save_vectors: header 'count dim', then one word per line in the order of its row"""
    text = save(student, {"b": 1, "a": 0}, np.array([[0.5, 1.0], [0.1, -2.0]], dtype=np.float32))
    lines = text.splitlines()
    check(lines[0].split(), ["2", "2"], what="save_vectors(path, {'b': 1, 'a': 0}, <(2, 2)>): the header line")
    check([line.split()[0] for line in lines[1:]], ["a", "b"], what="save_vectors(...): the words, in file order")
    values = np.array([[np.float32(x) for x in line.split()[1:]] for line in lines[1:]], dtype=np.float32)
    check(values, np.array([[0.5, 1.0], [0.1, -2.0]], dtype=np.float32), what="save_vectors(...): the values read back")


def test_save_keeps_every_digit(student):
    """save_vectors: values read back exactly (as float32), tiny and large ones too"""
    vectors = np.array([[1.2345678e-8, -3.3333333e5, 0.1]], dtype=np.float32)
    text = save(student, {"naïve": 0}, vectors)
    word, *values = text.splitlines()[1].split()
    check(word, "naïve", what="save_vectors(path, {'naïve': 0}, ...): the word (UTF-8)")
    # Exactly equal: "%.6f" would write 1.2345678e-08 as 0.000000.
    check(np.array(values, dtype=np.float32), vectors[0], what="save_vectors(...): the values read back", rtol=0.0, atol=0.0)


def test_save_then_load(student):
    """save_vectors then load_vectors give back what was saved"""
    vocab = {"the": 0, "naïve": 1, "日本": 2}
    vectors = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    out = student.probe("files_roundtrip", files={}, calls=[{"target": SAVE, "path": "v.txt", "args": [vocab, vectors]}, {"target": LOAD, "path": "v.txt"}])
    got_vocab, got_vectors = out["results"][1]
    check(got_vocab, vocab, what="load_vectors(save_vectors(...)) -> vocab")
    check(got_vectors, vectors, what="load_vectors(save_vectors(...)) -> vectors")
