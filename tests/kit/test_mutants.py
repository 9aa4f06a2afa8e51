"""Every catalogued mistake loses points, and the feedback names it where the catalogue says so."""

import pytest

from autograder.grading import grade
from tests.mutants import Mutant, all_mutants

MUTANTS = all_mutants()


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_killed_and_named(mutant: Mutant, tmp_path):
    root = mutant.apply(tmp_path / "submission")
    report, _ = grade(root, only=[mutant.exercise], isolated=False)
    assert report.tests, f"no hidden test ran for {mutant.exercise}"
    assert report.score < report.max_score, f"mutant {mutant.id} survived: it scored {report.score}/{report.max_score}"
    if mutant.expect:
        outputs = "\n".join(t.output for t in report.tests if t.status != "passed")
        assert mutant.expect in outputs, f"mutant {mutant.id} lost points but no feedback says {mutant.expect!r}:\n{outputs[:2000]}"
