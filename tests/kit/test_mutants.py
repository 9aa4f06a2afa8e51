"""Every catalogued mistake loses points, the feedback names it where the catalogue says so, and
every failing test's message is useful: it shows expected against got and leaks no reference code.
The student's own loop names them too: of the mistakes the public tests catch, at least 80% are named
there. No mistake model may be broken (raise for a reason other than "does not apply to this input")."""

import numpy as np
import pytest

from autograder.grading.compare import Feedback, broken_models, check
from autograder.grading.loader import SOLUTIONS
from autograder.grading.results import Report
from autograder.grading.runner import grade
from tests.mutants import Mutant, all_mutants
from tests.mutants.generated import solution_lines
from tests.mutants.run import PUBLIC_NAMED_GOAL, PublicOutcome, public_outcomes

MUTANTS = all_mutants()


def reference_code_lines() -> set[str]:
    """The lines students must write themselves (inside solution regions), long enough to be telling."""
    lines = set()
    for path in SOLUTIONS.rglob("*.py"):
        text = path.read_text(encoding="utf-8").splitlines()
        lines |= {text[n - 1].strip() for n in solution_lines("\n".join(text)) if len(text[n - 1].strip()) >= 25}
    return lines


REFERENCE_LINES = reference_code_lines()


def assert_feedback_is_useful(report: Report) -> None:
    for t in report.tests:
        if t.status == "passed":
            continue
        assert t.output.strip(), f"{t.name}: failed with no message"
        if "elements differ" in t.output:
            for part in ("first at index", "Expected:", "Got:"):
                assert part in t.output, f"{t.name}: the message lacks {part!r}:\n{t.output}"
        if "your code raised" not in t.output:  # a traceback of the student's own code may quote it
            leaked = [line for line in REFERENCE_LINES if line in t.output]
            assert not leaked, f"{t.name}: the feedback quotes the reference: {leaked[:2]}"


def assert_no_broken_models(where: str) -> None:
    """A mistake model that raised silently stops naming its mistake: fail instead (compare.broken_models)."""
    broken = broken_models(clear=True)
    assert not broken, f"{where}: broken mistake model(s), fix them or raise DoesNotApply: {broken[:3]}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_killed_and_named(mutant: Mutant, tmp_path):
    root = mutant.apply(tmp_path / "submission")
    broken_models(clear=True)
    report, _ = grade(root, only=[mutant.exercise], isolated=False)
    assert_no_broken_models(f"the hidden suite on mutant {mutant.id}")
    assert report.tests, f"no hidden test ran for {mutant.exercise}"
    assert report.score < report.max_score, f"mutant {mutant.id} survived: it scored {report.score}/{report.max_score}"
    if mutant.expect:
        outputs = "\n".join(t.output for t in report.tests if t.status != "passed")
        assert mutant.expect in outputs, f"mutant {mutant.id} lost points but no feedback says {mutant.expect!r}:\n{outputs[:2000]}"
    assert_feedback_is_useful(report)


def test_catalogue_is_large_and_mostly_named():
    assert len(MUTANTS) >= 45
    ids = [m.id for m in MUTANTS]
    assert len(set(ids)) == len(ids), "mutant names must be unique within an exercise"
    named = sum(m.expect is not None for m in MUTANTS)
    assert named >= 0.8 * len(MUTANTS)


def test_every_exercise_has_mutants():
    from autograder.runtime.curriculum import EXERCISES

    assert {m.exercise for m in MUTANTS} == set(EXERCISES)



def test_a_broken_mistake_model_fails_the_kit():
    """Plant a model that raises (not DoesNotApply): the check the mutant tests run must fail on it."""
    broken_models(clear=True)
    with pytest.raises(Feedback):
        check(np.ones(2), np.zeros(2), what="planted", mistakes={"planted broken model": lambda: np.zeros(2)[5]})
    with pytest.raises(AssertionError, match="planted broken model"):
        assert_no_broken_models("planted")


@pytest.fixture(scope="session")
def public_pass() -> dict[str, PublicOutcome]:
    """The public tests of each mutant's exercise, run in-process on the mutated copy, as `make test` does."""
    broken_models(clear=True)
    outcomes = public_outcomes(MUTANTS)
    assert_no_broken_models("the public tests")
    return outcomes


def test_the_students_loop_names_most_mistakes_it_catches(public_pass):
    killed = [m for m in MUTANTS if m.expect and public_pass[m.id].killed]
    named = [m for m in killed if public_pass[m.id].named]
    unnamed = [m.id for m in killed if not public_pass[m.id].named]
    assert len(named) >= PUBLIC_NAMED_GOAL * len(killed), (
        f"the public tests name {len(named)} of the {len(killed)} mistakes they catch (goal {PUBLIC_NAMED_GOAL:.0%}); "
        f"not named: {unnamed}"
    )
