"""Mutants of the concept checks, made from the hidden suites' own tables: each named wrong answer, handed in.

A concept check's misconception is a wrong *answer*, so its mutant replaces the reference's answer to one question
with that wrong answer; the hidden suite must take the point away and name the misconception.
"""

from __future__ import annotations

import ast
from typing import Any

from autograder.grading.loader import SOLUTIONS
from autograder.grading.mistakes import names
from autograder.grading.runner import SUITES
from autograder.runtime.curriculum import CONCEPTS, EXERCISES
from tests.mutants import Mutant


class _Names(ast.NodeTransformer):
    """A name of :mod:`autograder.grading.mistakes.names` (the misconceptions' one name each) as the text it holds."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = getattr(names, node.id, None)
        return ast.copy_location(ast.Constant(value), node) if isinstance(value, str) else node


def misconception_table(exercise: str) -> dict[str, dict[Any, str]]:
    """The hidden suite's ``MISCONCEPTIONS`` literal, read (importing a suite outside a grading run would register
    its tests' marks nowhere); its names are the constants of :mod:`autograder.grading.mistakes.names` or strings."""
    tree = ast.parse((SUITES / f"test_{exercise}.py").read_text(encoding="utf-8"))
    value = next(n.value for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "MISCONCEPTIONS")
    table: dict[str, dict[Any, str]] = ast.literal_eval(_Names().visit(value))
    return table


def concept_mutants(exercise: str) -> list[Mutant]:
    """One mutant per (question, named wrong answer) of ``exercise``'s hidden suite."""
    file = EXERCISES[exercise].replace(".", "/") + ".py"
    source = (SOLUTIONS / file).read_text(encoding="utf-8")
    functions = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    table = misconception_table(exercise)
    mutants = []
    for question, wrong_answers in table.items():
        function = functions[question]
        old = ast.get_source_segment(source, function)
        answer = next(s for s in function.body if isinstance(s, ast.Return))
        right = ast.get_source_segment(source, answer)
        assert old is not None and right is not None
        for wrong, name in wrong_answers.items():
            new = old.replace(right, f"return {list(wrong) if isinstance(wrong, tuple) else wrong!r}")
            mutants.append(Mutant(exercise, f"{question}={wrong!r}", file, old, new, expect=name))
    return mutants


MUTANTS = [m for exercise in sorted(CONCEPTS) for m in concept_mutants(exercise)]
