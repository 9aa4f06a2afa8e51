"""Concept checks: short questions with exact answers, read from a module's source and never run.

A concept module (``solutions/attention/attention_concepts.py`` ...) holds one function per question: the
docstring asks it (a multiple-choice question lists its options as ``(a) ...`` lines), the return annotation
says the answer's form, and the body is ``return <answer>``, inside nbgrader's solution markers, so that the stub
and the notebook cell are made from it like every exercise's (``raise NotImplementedError()`` until answered).

The grader reads such a module in the trusted process with :mod:`ast` and takes each answer with
:func:`ast.literal_eval`: a submission's answers are plain data (a number, a string, a list or tuple of them),
nothing of the module is imported or executed, and anything else in a body is ignored. The hidden suites
(``autograder/suites/test_<part>_concepts.py``) compare each answer with the reference's, read the same way from
``solutions/``, and name the misconception a wrong answer reveals with the kit's own mistake names; the public
tests only check that each answer has the form its question asks for.
"""

from __future__ import annotations

import ast
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autograder.grading.adapter import StudentError
from autograder.grading.compare import Feedback
from autograder.grading.loader import SOLUTIONS
from autograder.grading.textsafe import capped, printable
from autograder.runtime.errors import ErrorKind

MAX_SOURCE = 256 << 10  # bytes of a concept module read at most: a few dozen short answers need far less
MAX_ANSWER = 200  # characters of an answer quoted back in feedback
OPTION = re.compile(r"^\s*\(([a-z])\)\s", re.MULTILINE)  # "(a) ..." lines of a multiple-choice docstring
RTOL, ATOL = 5e-3, 1e-3  # a float worked by hand: three significant digits are enough
Answer = str | int | float | tuple[Any, ...]


class NotAnswered(Exception):
    """The question's body still raises ``NotImplementedError`` (the stub)."""


class Malformed(Exception):
    """The question's body holds no answer the grader can read; the message says what to write instead."""


@dataclass(frozen=True)
class Question:
    name: str
    annotation: str  # the return annotation as written: "float", "list[float]", "tuple[int, ...]", "str"
    prompt: str  # the docstring
    options: tuple[str, ...]  # the letters of a multiple-choice question; () for any other
    body: ast.FunctionDef

    @property
    def title(self) -> str:
        return self.prompt.strip().splitlines()[0] if self.prompt.strip() else self.name

    def answer(self) -> Answer:
        """The answer written in the body, as plain data (lists become tuples); :class:`NotAnswered` or
        :class:`Malformed` when there is none to read."""
        returns = [s for s in self.body.body if isinstance(s, ast.Return)]
        if not returns:
            raises = any(isinstance(s, ast.Raise) for s in self.body.body)
            if raises:
                raise NotAnswered(self.name)
            raise Malformed("no answer: write `return <your answer>` in its body")
        if len(returns) > 1 or returns[0].value is None:
            raise Malformed("write exactly one `return <your answer>` in its body")
        try:
            value = ast.literal_eval(returns[0].value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise Malformed(
                'the answer must be a plain value (a number such as 0.333, a letter such as "b", a list or a '
                "tuple of numbers): it is read, never run, so a computation or a name is not an answer"
            ) from None
        return _plain(value)


def _plain(value: Any) -> Any:
    """``value`` with every list made a tuple, so that answers compare and hash alike."""
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return value


def parse(source: str) -> dict[str, Question]:
    """The questions of a concept module's source: every top-level function with a return annotation."""
    tree = ast.parse(source)
    questions = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.returns is not None:
            prompt = ast.get_docstring(node) or ""
            questions[node.name] = Question(
                node.name, ast.unparse(node.returns), prompt, tuple(OPTION.findall(prompt)), node
            )
    return questions


def read_source(root: Path, module: str) -> str:
    """The text of ``module``'s file under ``root``, read without following a link and at most
    :data:`MAX_SOURCE` bytes; :class:`StudentError` (kind ``import``) when it cannot be read."""
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    rel = path.relative_to(root)
    try:
        if path.parent.resolve() != (root.resolve() / rel.parent):
            raise OSError("a folder on its path is a link")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError("not a regular file")
            if info.st_size > MAX_SOURCE:
                raise OSError(f"{info.st_size} bytes, more than the {MAX_SOURCE} a concept module may have")
            data = os.read(fd, MAX_SOURCE + 1)
        finally:
            os.close(fd)
        return data.decode("utf-8")
    except FileNotFoundError:
        raise StudentError(ErrorKind.IMPORT, ["FileNotFoundError"], f"{rel} is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StudentError(ErrorKind.IMPORT, [type(error).__name__], f"{rel} cannot be read: {error}") from None


def read_questions(root: Path, module: str) -> dict[str, Question]:
    """The questions of ``module`` in the submission ``root``; :class:`StudentError` when it cannot be parsed."""
    source = read_source(root, module)
    try:
        return parse(source)
    except SyntaxError as error:
        where = f" (line {error.lineno})" if error.lineno else ""
        raise StudentError(ErrorKind.IMPORT, ["SyntaxError"], f"SyntaxError{where}: {error.msg}") from None
    except (ValueError, MemoryError, RecursionError) as error:
        raise StudentError(ErrorKind.IMPORT, [type(error).__name__], f"the module cannot be parsed: {error}") from None


def reference_questions(module: str, root: Path = SOLUTIONS) -> dict[str, Question]:
    """The reference's questions (the hidden suites parametrize over them when they are collected)."""
    return parse(root.joinpath(*module.split(".")).with_suffix(".py").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- form and comparison


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def form_problem(question: Question, value: Answer) -> str | None:
    """Why ``value`` does not have the form ``question`` asks for (its annotation, its options); None when it does."""
    annotation = question.annotation.replace(" ", "")
    if question.options:
        if not isinstance(value, str) or normalise(value) not in question.options:
            return f"answer with one of the letters {', '.join(map(repr, question.options))}"
        return None
    if annotation == "str":
        return None if isinstance(value, str) and value.strip() else "answer with a non-empty string"
    if annotation == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else "answer with a whole number"
    if annotation == "float":
        return None if _is_number(value) else "answer with a number"
    sequence = re.fullmatch(r"(list|tuple)\[(int|float)(?:,(int|float))*(,\.\.\.)?\]", annotation)
    if sequence:
        kind = int if sequence.group(2) == "int" else float
        if not isinstance(value, tuple) or not value:
            return f"answer with a {sequence.group(1)} of numbers"
        # tuple[int, int] fixes the length; list[float] and tuple[int, ...] do not
        fixed = annotation.count(",") + 1 if sequence.group(1) == "tuple" and not sequence.group(4) else None
        if fixed is not None and len(value) != fixed:
            return f"answer with {fixed} numbers"
        if not all(_is_number(v) and (kind is float or isinstance(v, int)) for v in value):
            return f"answer with {'whole numbers' if kind is int else 'numbers'} only"
        return None
    return None


def normalise(text: str) -> str:
    """A letter or short answer as compared: no surrounding space or parentheses, lower case (``" (B) "`` is ``b``)."""
    return text.strip().strip("()").strip().lower()


def same(expected: Any, got: Any) -> bool:
    """``got`` is ``expected``: exactly for whole numbers and text, within a hand computation's precision for
    floats, item by item for sequences."""
    if isinstance(expected, tuple):
        return isinstance(got, tuple) and len(got) == len(expected) and all(map(same, expected, got))
    if isinstance(expected, str):
        return isinstance(got, str) and normalise(got) == normalise(expected)
    if isinstance(expected, bool) or not _is_number(got):
        return False
    if isinstance(expected, int):
        return got == expected
    return abs(got - expected) <= ATOL + RTOL * abs(expected)


def misconception(got: Any, misconceptions: Mapping[Any, str]) -> str | None:
    """The name of the misconception whose typical answer ``got`` is, if any."""
    for wrong, name in misconceptions.items():
        if same(_plain(wrong), got):
            return name
    return None


def _quoted(value: Answer) -> str:
    shown = list(value) if isinstance(value, tuple) else value
    return printable(capped(repr(shown), MAX_ANSWER), keep_newlines=False)


# --------------------------------------------------------------------------- what the suites call

_ROOTS = pytest.StashKey[dict[str, Any]]()


def _submitted(config: pytest.Config, module: str) -> dict[str, Question]:
    """The submission's questions of ``module`` (parsed once per run), or the reason they cannot be read."""
    from autograder.grading.plugin import submission_root

    refused = config.getoption("--refused")
    if refused:
        raise StudentError(ErrorKind.FORBIDDEN, ["SubmissionError"], refused)
    cache = config.stash.setdefault(_ROOTS, {})
    if module not in cache:
        try:
            cache[module] = read_questions(submission_root(config), module)
        except StudentError as error:
            cache[module] = error
    found = cache[module]
    if isinstance(found, StudentError):
        raise found
    return found


def _answer_of(question: Question) -> Answer:
    try:
        return question.answer()
    except NotAnswered:
        raise StudentError(ErrorKind.NOT_IMPLEMENTED, ["NotImplementedError"], question.name) from None
    except Malformed as error:
        raise Feedback(f"{question.name}: {error}") from None


def grade(config: pytest.Config, module: str, name: str, misconceptions: Mapping[Any, str]) -> None:
    """The hidden test of question ``name``: pass when the submission's answer is the reference's; else a
    :class:`Feedback` that names the misconception the answer reveals (never the right answer)."""
    expected = reference_questions(module)[name].answer()
    questions = _submitted(config, module)
    if name not in questions:
        raise Feedback(f"{name}: no question of that name in {module} (keep each question's function and its name)")
    question = questions[name]
    got = _answer_of(question)
    problem = form_problem(question, got)
    if problem:
        raise Feedback(f"{name}: your answer {_quoted(got)} does not have the form asked for: {problem}")
    if same(expected, got):
        return
    message = f"{name}: your answer {_quoted(got)} is not right ({question.title})"
    named = misconception(got, misconceptions)
    if named:
        message += f"\n  Likely mistake: {named}"
    raise Feedback(message, [named] if named else [])  # named as data too: the class report reads only that


def check_forms(config: pytest.Config, module: str) -> None:
    """The public test of a concept module: every question answered, each answer in the form its question asks for.

    It never says whether an answer is right (students have no reference); all questions unanswered reads as
    "not implemented yet", as an untouched stub does.
    """
    questions = _submitted(config, module)
    unanswered, problems = [], []
    for question in questions.values():
        try:
            problem = form_problem(question, question.answer())
        except NotAnswered:
            unanswered.append(question.name)
            continue
        except Malformed as error:
            problem = str(error)
        if problem:
            problems.append(f"{question.name}: {problem}")
    if questions and len(unanswered) == len(questions):
        raise StudentError(ErrorKind.NOT_IMPLEMENTED, ["NotImplementedError"], module)
    lines = [*problems]
    if unanswered:
        lines.append(f"not answered yet: {', '.join(unanswered)}")
    if lines:
        raise Feedback(f"{len(lines)} problem(s) with the answers of {module}:\n  " + "\n  ".join(lines))
