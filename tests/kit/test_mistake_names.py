"""One name per misconception (autograder/grading/mistakes/names.py), and one "Likely mistake" line per mistake.

A misconception made in several exercises, or in a concept check and in code, is named by every model with the
constant declared once in the registry; a model that words a declared misconception its own way fails here, and the
class report then counts it once across exercises. A mistake that two models explain on one item is named once,
by the model that explains the whole answer (compare._ranked).
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from autograder.authoring import report
from autograder.grading.compare import AnyOf, Feedback, check, recognise
from autograder.grading.loader import REPO_ROOT
from autograder.grading.mistakes import names
from autograder.grading.mistakes.multi_head import mha_mistakes, variant
from autograder.grading.mistakes.scaled_dot_product import attention, sdpa_mistakes
from tests.mutants import all_mutants
from tests.mutants.concepts import misconception_table
from tests.mutants.heldout import named_mistakes
from tests.mutants.run import public_outcomes

# Where mistake models live: the shared models, the hidden suites (concept checks' distractors included), the public tests.
MODEL_SOURCES = [
    *(p for p in sorted((REPO_ROOT / "autograder" / "grading" / "mistakes").glob("*.py")) if p.name != "names.py"),
    *sorted((REPO_ROOT / "autograder" / "suites").glob("test_*.py")),
    *sorted((REPO_ROOT / "tests" / "public").glob("test_*.py")),
]


def own_wordings(source: str) -> list[tuple[int, str, str]]:
    """(line, phrase, text) of each string of ``source`` (docstrings aside) that spells a declared misconception's
    name or one of its retired wordings: a model naming it in words of its own instead of the registry's constant."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value.lower()
            for misconception in names.REGISTRY.values():
                said = [w for w in (misconception.name, *misconception.wordings) if w.lower() in text]
                if said:
                    found.append((node.lineno, said[0], node.value))
                    break
    return found


def test_a_misconception_is_declared_once_and_a_wording_belongs_to_one():
    assert len(names.REGISTRY) >= 30
    with pytest.raises(ValueError, match="declared twice"):
        names.declare(names.ATTENTION_OVER_QUERIES)
    with pytest.raises(ValueError, match="belongs to two misconceptions"):
        names.declare("softmax over the wrong axis, said anew")  # a wording of ATTENTION_OVER_QUERIES
    assert len(names.REGISTRY) == len({m.name for m in names.REGISTRY.values()})


def test_no_model_names_a_declared_misconception_in_words_of_its_own():
    assert own_wordings('MISTAKES = {"no 1/sqrt(d_head) scaling of the scores": 1}')  # the check sees a planted one
    assert not own_wordings('"""A docstring may say: mask ignored by the self-attention."""')
    found = {str(path.relative_to(REPO_ROOT)): own_wordings(path.read_text(encoding="utf-8")) for path in MODEL_SOURCES}
    found = {path: hits for path, hits in found.items() if hits}
    assert not found, f"name these with autograder.grading.mistakes.names' constants: {found}"


def test_scaled_dot_product_multi_head_and_the_concept_check_name_softmax_over_the_queries_alike():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 4, dtype=torch.float64) for _ in range(3))
    wrong_sdpa = attention(q, k, v, dim=-2)
    assert recognise(wrong_sdpa, sdpa_mistakes(q, k, v)) == [names.ATTENTION_OVER_QUERIES]

    projections = {name: torch.nn.Linear(8, 8, dtype=torch.float64) for name in ("w_q", "w_k", "w_v", "w_o")}
    m = SimpleNamespace(**projections)
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    wrong_mha = variant(m, x, x, x, num_heads=2, dim=-2)
    mistakes = mha_mistakes(m, x, x, x, num_heads=2)
    assert recognise(wrong_mha[1], {name: lambda model=model: model()[1] for name, model in mistakes.items()}) == [names.ATTENTION_OVER_QUERIES]
    assert misconception_table("attention_concepts")["two_key_weights"][(1.0, 1.0)] == names.ATTENTION_OVER_QUERIES


def test_a_mistake_of_several_forms_is_named_by_any_of_them():
    mistakes = {"one name": AnyOf(lambda: torch.zeros(2), lambda: torch.ones(2))}
    assert recognise(torch.ones(2), mistakes) == ["one name"]
    assert recognise(torch.full((2,), 5.0), mistakes) == []


def test_a_model_of_several_forms_explains_a_whole_answer_only_with_one_form():
    expected = (np.zeros(2), np.zeros(3))
    got = (np.zeros(2), np.ones(3))  # item a right, item b wrong
    whole = (np.zeros(2), np.ones(3))
    mixed = AnyOf((np.zeros(2), np.full(3, 5.0)), (np.full(2, 7.0), np.ones(3)))  # a form for a, another for b
    with pytest.raises(Feedback) as info:
        check(got, expected, what="f", names=("a", "b"), mistakes={"mixed": mixed, "whole": whole})
    assert info.value.mistakes == ("whole",)
    with pytest.raises(Feedback) as info:
        check(got, expected, what="f", names=("a", "b"), mistakes={"mixed": mixed, "forms": AnyOf(mixed.forms[0], whole)})
    assert info.value.mistakes == ("forms",)


def test_the_class_report_counts_one_misconception_once_across_exercises(tmp_path: Path):
    name = names.ATTENTION_OVER_QUERIES  # what both exercises' models name (the test above)

    def failed(exercise: str) -> report.Outcome:
        return report.Outcome(exercise, "matches the formula", 0.0, 2.0, False, f"...\n  Likely mistake: {name}", [name])

    cls = report.GradedClass(
        "batch",
        tmp_path,
        [
            report.Submission("ann", [failed("scaled_dot_product")]),
            report.Submission("ben", [failed("multi_head")]),
            report.Submission("cal", [failed("scaled_dot_product"), failed("multi_head")]),
        ],
    )
    named = report.misconceptions(cls)
    assert {f.name for f in named} == {name} and {f.exercise for f in named} == {"scaled_dot_product", "multi_head"}
    [shared] = report.across_exercises(named)
    assert (shared.name, shared.exercises, shared.students) == (
        name,
        ["scaled_dot_product", "multi_head"],
        ["ann", "ben", "cal"],
    )
    page = report.render(cls, named, report.unnamed_failures(cls), None, [], 0.9)
    across = page.split("id=across>", 1)[1].split("</table>", 1)[0]
    assert across.count(name) == 1 and "ann, ben, cal" in across


# Mistakes that two models explain on one item (np.add.at left out, repeated negatives de-duplicated): each must
# be named once, by its own name, and never by the other's, in the student's own loop.
ONE_LINE = {
    "skipgram:neg-not-accumulated": names.NOT_ACCUMULATED,
    "skipgram:neg-deduplicated": names.DEDUPLICATED,
    "skipgram:batch-negatives-not-accumulated": names.NOT_ACCUMULATED,
    "cbow:not-accumulated": names.NOT_ACCUMULATED,
    "cbow:duplicates-removed": names.DEDUPLICATED,
}


def test_one_mistake_gives_one_likely_mistake_line_in_the_public_tests():
    mutants = [m for m in all_mutants() if m.id in ONE_LINE]
    assert len(mutants) == len(ONE_LINE)
    outcomes = public_outcomes(mutants)
    for mutant in mutants:
        said = set(named_mistakes(outcomes[mutant.id].outputs))
        assert said == {ONE_LINE[mutant.id]}, f"{mutant.id}: the public tests named {said}"
