"""Who is blamed: the grader's own mistakes are never reported as the student's, and the student's read the same in
both grading modes (issue 9's defects 1, 2 and 9)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from autograder.grading.adapter import InProcessStudent, StudentError
from autograder.grading.worker import IsolatedStudent
from autograder.runtime import protocol
from autograder.runtime.errors import ErrorKind, describe
from tests.attacks import submission

BUILD_VOCAB = "embeddings.one_hot:build_vocab"
BOTH = pytest.mark.parametrize("isolated", [False, True], ids=["in-process", "isolated"])


@contextlib.contextmanager
def student_of(root: Path, isolated: bool):
    s = IsolatedStudent(root, exercises={"one_hot"}) if isolated else InProcessStudent(root)
    try:
        yield s
    finally:
        s.close()


def with_one_hot(tmp_path: Path, source: str) -> Path:
    return submission(tmp_path / "sub", files={"embeddings/one_hot.py": source})


@BOTH
def test_a_probe_called_wrongly_is_the_graders_fault(tmp_path, isolated):
    with student_of(with_one_hot(tmp_path, "def build_vocab(tokens):\n    return {}\n"), isolated) as s:
        with pytest.raises(StudentError) as raised:
            s.probe("call", target=BUILD_VOCAB, args=[[]], kwargs={}, no_such_keyword=1)
    assert raised.value.kind == ErrorKind.GRADER
    assert "called wrongly by the grader" in raised.value.message and "your code raised" not in str(raised.value)


@BOTH
def test_a_student_class_named_module_load_error_is_a_plain_exception(tmp_path, isolated):
    source = "class ModuleLoadError(Exception):\n    error = ValueError('fake')\n\ndef build_vocab(tokens):\n    raise ModuleLoadError('mine')\n"
    with student_of(with_one_hot(tmp_path, source), isolated) as s:
        with pytest.raises(StudentError) as raised:
            s.call(BUILD_VOCAB, ["a"])
    # a class of the student's, whatever it calls itself: only the built-ins it really is count (here, Exception)
    assert raised.value.kind == ErrorKind.RAISED and "ModuleLoadError" not in raised.value.types
    assert raised.value.type_name == "Exception" if isolated else True
    assert "mine" in str(raised.value)


@BOTH
def test_sys_exit_at_import_reads_the_same_in_both_modes(tmp_path, isolated):
    with student_of(with_one_hot(tmp_path, "import sys\nsys.exit('leaving')\n"), isolated) as s:
        with pytest.raises(StudentError) as raised:
            s.call(BUILD_VOCAB, ["a"])
    assert raised.value.kind == ErrorKind.IMPORT and raised.value.type_name == "SystemExit"
    assert "could not be imported: SystemExit: leaving" in str(raised.value)


def test_describe_recognises_only_the_runtime_module_load_error():
    class ModuleLoadError(Exception):  # a student's class of the same name
        error = NotImplementedError()

    assert describe(ModuleLoadError("x"))["kind"] == "raised"
    from autograder.runtime.errors import ModuleLoadError as Real

    assert describe(Real("embeddings.one_hot", SyntaxError("bad")))["kind"] == "import"


def test_decode_refuses_what_encode_never_writes():
    good = protocol.encode({"a": 1, 2: "b"})
    assert protocol.decode(good.tree, good.arrays) == {"a": 1, 2: "b"}
    for bad in ({"__dict__": [[True, 1]]}, {"__dict__": [[1.5, 1]]}, {"__dict__": [["a"]]}, {"__dict__": "ab"}):
        with pytest.raises(protocol.ProtocolError, match="malformed dict"):
            protocol.decode(bad, [])
