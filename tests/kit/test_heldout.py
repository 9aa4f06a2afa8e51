"""The held-out sets of student mistakes stay measurable: each one still patches the reference (its snippet found
exactly once, the result still Python), ids are unique, naming patterns compile, and the naming rule reads only the
named-mistake lines of a feedback. The measurement itself (slow) is ``python -m tests.mutants.run --heldout-only``."""

import ast
import re

import pytest

from autograder.grading.loader import SOLUTIONS
from autograder.runtime.curriculum import CONCEPTS, EXERCISES
from tests.mutants import all_mutants
from tests.mutants.heldout import DEFAULT_LABEL, HeldOutMutant, all_heldout, heldout_sets, named_mistakes, set_2026_12b, set_2026_12c, set_2026_12d
from tests.mutants.run import HELDOUT_PUBLIC_NAMED_GOAL, Outcome, heldout_rows, summarise

HELDOUT = all_heldout()


@pytest.mark.parametrize("mutant", HELDOUT, ids=[m.id for m in HELDOUT])
def test_heldout_mutant_applies_to_the_reference(mutant: HeldOutMutant):
    text = (SOLUTIONS / mutant.file).read_text(encoding="utf-8")
    assert text.count(mutant.old) == 1, f"{mutant.id}: its snippet is found {text.count(mutant.old)} times in {mutant.file}, expected once"
    assert mutant.new != mutant.old, f"{mutant.id}: the patch changes nothing"
    ast.parse(text.replace(mutant.old, mutant.new), filename=mutant.file)  # a mistake a student makes still runs
    assert mutant.names and mutant.description, f"{mutant.id}: a held-out mistake needs its naming rule and its description"
    for pattern in mutant.names:
        re.compile(pattern)


def test_heldout_ids_are_unique_and_apart_from_the_catalogue():
    ids = [m.id for m in HELDOUT]
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    assert not set(ids) & {m.id for m in all_mutants()}, "a held-out id collides with a catalogue id"


LETTERED = [(set_2026_12b, "b_"), (set_2026_12c, "c_"), (set_2026_12d, "d_")]  # oldest first, after set A


@pytest.mark.parametrize(("module", "prefix"), LETTERED, ids=[prefix.rstrip("_") for _, prefix in LETTERED])
def test_each_set_is_registered_in_order_measured_whole_and_covers_every_code_exercise(module, prefix):
    sets = heldout_sets()
    order = [DEFAULT_LABEL, *(m.LABEL for m, _ in LETTERED)]
    assert list(sets)[: len(order)] == order, "set A (plain label) first, then each lettered set in its order"
    assert [m.id for m in sets[module.LABEL]] == [m.id for m in module.HELDOUT], f"{module.LABEL} is measured whole"
    assert all(m.label == module.LABEL for m in sets[module.LABEL])
    assert all(m.label == DEFAULT_LABEL for m in sets[DEFAULT_LABEL])
    assert len(module.HELDOUT) >= 45
    assert all(m.name.startswith(prefix) for m in module.HELDOUT), f"{module.LABEL}'s ids carry its prefix"
    code = set(EXERCISES) - CONCEPTS  # the concept checks are answers, not code: no mistake of code to plant
    assert {m.exercise for m in module.HELDOUT} == code, f"{module.LABEL} covers every code exercise"


def test_naming_reads_only_the_named_mistake_lines():
    mutant = next(m for m in HELDOUT if m.names == (r"sqrt", r"scal"))
    feedback = "attention(q <float32 (2, 3)>): 4 of 6 elements differ\n  Likely mistake: no 1/sqrt(d_k) scaling\n  Expected: sqrt"
    assert named_mistakes(feedback) == ["no 1/sqrt(d_k) scaling"]
    assert mutant.named_in(feedback)
    assert not mutant.named_in(feedback.replace("Likely mistake: no 1/sqrt(d_k) scaling", "Likely mistake: softmax over the wrong axis"))
    assert not mutant.named_in("sqrt scaling mentioned outside a named-mistake line")


def outcome(kind, killed, named, public_killed, public_named, label=DEFAULT_LABEL) -> Outcome:
    return Outcome("x:y", kind, killed, named, "0/1", 0.0, public_killed=public_killed, public_named=public_named, label=label)


def test_the_heldout_goal_is_reported_not_enforced():
    catalogue = [outcome("catalogue", True, True, True, True)]
    heldout = [outcome("heldout", True, False, True, False), outcome("heldout", False, False, False, False)]
    lines, ok = summarise(catalogue + heldout)
    assert ok, "the held-out sets' numbers must not fail the run yet"
    text = "\n".join(lines)
    assert "public naming: catalogue 100.0% (1/1 of those killed) | held-out 0.0% (0/2; 0/1 of those killed)" in text
    assert f"held-out goal (public tests name >= {HELDOUT_PUBLIC_NAMED_GOAL:.0%}): NOT met" in text
    assert "held-out hidden suites:      killed 1/2 (50.0%), named 0/2 (0.0%)" in text


def test_each_heldout_set_is_reported_on_its_own_lines():
    set_a = [outcome("heldout", True, False, True, False), outcome("heldout", False, False, False, False)]
    set_b = [outcome("heldout", True, True, True, True, "held-out B")]
    lines, ok = summarise(set_a + set_b)
    assert ok
    text = "\n".join(lines)
    # set A's lines read exactly as they did before set B existed; set B's stand beside them under its label
    assert "held-out hidden suites:      killed 1/2 (50.0%), named 0/2 (0.0%)" in text
    assert "held-out public tests:       killed 1/2 (50.0%), named 0/2 (0.0%)" in text
    assert "held-out B hidden suites:    killed 1/1 (100.0%), named 1/1 (100.0%)" in text
    assert "held-out B public tests:     killed 1/1 (100.0%), named 1/1 (100.0%)" in text
    assert f"held-out B goal (public tests name >= {HELDOUT_PUBLIC_NAMED_GOAL:.0%}): met" in text
    assert "public naming: held-out 0.0% (0/2; 0/1 of those killed) | held-out B 100.0% (1/1; 1/1 of those killed)" in text
    tables = heldout_rows(set_a + set_b)
    assert tables.count("### Held-out mistakes") == 1 and tables.count("### Held-out B mistakes") == 1
