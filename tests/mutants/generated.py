"""Mutants a tool makes: operator and constant swaps inside the solution regions of ``solutions/``.

Hand-written mutants (the other modules of this package) model the mistakes we thought of;
these are the ones we did not. Each mutant changes one AST node inside a
``### BEGIN SOLUTION`` / ``### END SOLUTION`` region, in place, so the rest of the file keeps its
text. Some generated mutants are equivalent to the reference (they change nothing observable):
their survival is reported, not failed.
"""

from __future__ import annotations

import ast
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.loader import SOLUTIONS
from autograder.runtime.curriculum import EXERCISES

SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div, ast.Pow: ast.Mult,
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.And: ast.Or, ast.Or: ast.And,
}


@dataclass(frozen=True)
class GeneratedMutant:
    exercise: str
    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    new: str
    description: str

    @property
    def id(self) -> str:
        return f"{self.exercise}:gen:{self.file}:{self.line}:{self.col}:{self.description}"

    @property
    def expect(self) -> None:
        return None

    def apply(self, dst: Path, src: Path = SOLUTIONS) -> Path:
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        target = dst / self.file
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        start = sum(len(x) for x in lines[: self.line - 1]) + _byte_col(lines[self.line - 1], self.col)
        end = sum(len(x) for x in lines[: self.end_line - 1]) + _byte_col(lines[self.end_line - 1], self.end_col)
        text = "".join(lines)
        target.write_text(text[:start] + self.new + text[end:], encoding="utf-8")
        return dst


def _byte_col(line: str, col: int) -> int:
    """AST columns count UTF-8 bytes; convert to a character offset."""
    return len(line.encode("utf-8")[:col].decode("utf-8"))


def solution_lines(text: str) -> set[int]:
    inside, lines = False, set()
    for number, line in enumerate(text.splitlines(), start=1):
        if "BEGIN SOLUTION" in line:
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _mutations(node: ast.AST) -> list[tuple[ast.AST, str]]:
    out: list[tuple[ast.AST, str]] = []
    if isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
        new = ast.BinOp(node.left, SWAPS[type(node.op)](), node.right)
        out.append((new, f"{type(node.op).__name__}->{SWAPS[type(node.op)].__name__}"))
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAPS:
        new = ast.Compare(node.left, [SWAPS[type(node.ops[0])]()], node.comparators)
        out.append((new, f"{type(node.ops[0]).__name__}->{SWAPS[type(node.ops[0])].__name__}"))
    elif isinstance(node, ast.BoolOp) and type(node.op) in SWAPS:
        out.append((ast.BoolOp(SWAPS[type(node.op)](), node.values), f"{type(node.op).__name__}->{SWAPS[type(node.op)].__name__}"))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
        out.append((ast.Constant(node.value + 1), f"{node.value!r}->{node.value + 1!r}"))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        out.append((node.operand, "drop unary minus"))
    return out


def _render(node: ast.AST) -> str:
    # Parenthesised so that the new expression binds the same way wherever the old one stood.
    return repr(node.value) if isinstance(node, ast.Constant) else f"({ast.unparse(node)})"


def generate(src: Path = SOLUTIONS) -> list[GeneratedMutant]:
    module_to_exercise = {module: name for name, module in EXERCISES.items()}
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        exercise = module_to_exercise.get(".".join(rel.with_suffix("").parts))
        if exercise is None:
            continue
        text = path.read_text(encoding="utf-8")
        region = solution_lines(text)
        for node in ast.walk(ast.parse(text)):
            if not hasattr(node, "lineno") or node.lineno not in region or node.end_lineno not in region:
                continue
            for new, description in _mutations(node):
                found.append(
                    GeneratedMutant(exercise, str(rel), node.lineno, node.col_offset, node.end_lineno, node.end_col_offset,
                                    _render(new), description)
                )
    return found


def sample(n: int, seed: int = 0, src: Path = SOLUTIONS) -> list[GeneratedMutant]:
    """A seeded sample of ``n`` generated mutants, spread over the exercises."""
    every = generate(src)
    return sorted(random.Random(seed).sample(every, min(n, len(every))), key=lambda m: m.id)
