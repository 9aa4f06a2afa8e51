"""The class report's section on the concept checks: which questions the class gets wrong, and how the
misconceptions its answers reveal relate to the mistakes its code makes.

A concept check's failure names its misconception with the same name the code exercises' feedback uses
(``autograder/suites/test_<part>_concepts.py``), so one name links a student's answer to their code: a student who
chooses "divide by sqrt(d_v)" and whose attention is scaled by sqrt(d_v) shows the same misconception twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from autograder.authoring.report import Finding, GradedClass, _e, _table
from autograder.runtime.curriculum import CONCEPTS


def question_rows(cls: GradedClass) -> list[list[str]]:
    """Per concept question: its exercise, how many answered it wrong of those who answered, the most common
    misconception among the wrong answers."""
    answered: Counter[tuple[str, str]] = Counter()
    wrong: Counter[tuple[str, str]] = Counter()
    named: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for sub in cls.graded:
        for o in sub.outcomes:
            if o.exercise not in CONCEPTS or o.kind == "not_implemented":
                continue
            key = (o.exercise, o.title)
            answered[key] += 1
            if not o.passed:
                wrong[key] += 1
                named[key].update(o.mistakes)
    rows = []
    for key in sorted(answered, key=lambda k: (-wrong[k] / answered[k], k)):
        top = named[key].most_common(1)
        rows.append(
            [
                key[0],
                key[1],
                f"{wrong[key]} of {answered[key]}",
                f"{top[0][0]} ({top[0][1]})" if top else "",
            ]
        )
    return rows


def overlap_rows(named: list[Finding]) -> list[list[str]]:
    """Per misconception a concept check names: the students who showed it in their answers, in their code, in both."""
    in_answers: dict[str, set[str]] = defaultdict(set)
    in_code: dict[str, set[str]] = defaultdict(set)
    for finding in named:
        (in_answers if finding.exercise in CONCEPTS else in_code)[finding.name].update(finding.students)
    rows = []
    for name in sorted(in_answers, key=lambda n: (-len(in_answers[n]), n)):
        both = in_answers[name] & in_code.get(name, set())
        rows.append([name, str(len(in_answers[name])), str(len(in_code.get(name, set()))), str(len(both))])
    return rows


def _escaped(rows: list[list[str]]) -> list[list[str]]:
    """Cells as HTML text: names and titles come from results files, which a hand-in's output may reach."""
    return [[_e(cell) for cell in row] for row in rows]


def section(cls: GradedClass, named: list[Finding]) -> str:
    """The HTML section (an empty one says that no concept check was graded)."""
    questions = question_rows(cls)
    parts = ["<h2 id=concepts>Concept checks</h2>"]
    if not questions:
        return "\n".join([*parts, "<p>No concept check was graded.</p>"])
    parts += [
        "<p>Each concept question, the share of the class that answered it wrong, and the misconception most of "
        "the wrong answers reveal. The questions the class gets most wrong come first.</p>",
        _table(["exercise", "question", "wrong", "most common misconception"], _escaped(questions)),
        "<h3>Answers and code</h3>",
        "<p>Each misconception a concept check named, with how many students showed it in their answers, in their "
        "code (the same name in a code exercise's feedback) and in both: a misconception shown in both is a "
        "misunderstanding, one in the code alone may be a slip.</p>",
        _table(["misconception", "in answers", "in code", "in both"], _escaped(overlap_rows(named)), numeric={1, 2, 3}),
    ]
    return "\n".join(parts)
