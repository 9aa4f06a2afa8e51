"""One mistake costs points where it was made: a holdout check over the mistake catalogue.

For each upstream exercise, mistakes from ``tests/mutants/`` are planted in a copy of the reference and the
exercises built on it are graded: the points lost *outside* the mistake's own exercise must stay within 10% of
those exercises' points (DESIGN.md: downstream tests run over stand-ins of the earlier exercises, plus at most a
small integration test over the student's own stack). The stand-ins themselves are checked against the reference.
"""

from __future__ import annotations

import contextlib
import importlib
import io

import pytest
import torch

from autograder.grading.loader import SOLUTIONS, private_imports
from autograder.grading.runner import grade
from autograder.runtime.curriculum import EXERCISES, PACKAGES
from autograder.runtime.standins import STAND_INS, UPSTREAM_OF, build, import_over
from tests.mutants import all_mutants

DOWNSTREAM = {exercise: [e for e, m in EXERCISES.items() if EXERCISES[exercise] in UPSTREAM_OF.get(m, ())] for exercise in EXERCISES}
# One mistake per upstream exercise (for scaled_dot_product, the one the issue measured: no 1/sqrt(d_k)).
HOLDOUT = [
    "scaled_dot_product:no-scaling",
    "masks:causal-transposed",
    "multi_head:split-reshape-only",
    "positional_encoding:sin-cos-swapped",
    "layers:unbiased-variance",
]
MUTANTS = {m.id: m for m in all_mutants()}
SHARE = 0.10


def test_the_holdout_mistakes_exist_and_have_downstream_exercises():
    missing = [i for i in HOLDOUT if i not in MUTANTS]
    assert missing == [], f"not in the catalogue: {missing}; pick others from {sorted(MUTANTS)[:10]} ..."
    assert all(DOWNSTREAM[MUTANTS[i].exercise] for i in HOLDOUT)


@pytest.mark.parametrize("mutant_id", HOLDOUT)
def test_an_upstream_mistake_costs_at_most_a_tenth_downstream(mutant_id, tmp_path):
    mutant = MUTANTS[mutant_id]
    downstream = DOWNSTREAM[mutant.exercise]
    root = mutant.apply(tmp_path / "submission")
    with contextlib.redirect_stdout(io.StringIO()):
        report, _ = grade(root, only=downstream, isolated=False)
    lost = report.max_score - report.score
    failed = [f"{t.exercise}: {t.title}" for t in report.tests if t.status != "passed"]
    assert report.max_score > 0
    assert lost <= SHARE * report.max_score, f"{mutant_id} costs {lost:g} of the {report.max_score:g} points of {downstream}; failed:\n" + "\n".join(failed)


def reference(module: str):
    with private_imports(SOLUTIONS):
        return importlib.import_module(module)


def test_the_stand_ins_equal_the_reference():
    torch.manual_seed(0)
    with private_imports(SOLUTIONS):
        over = import_over("transformer.models", list(STAND_INS), PACKAGES, importlib.import_module)
        plain = importlib.import_module("transformer.models")
    assert type(over.Transformer(5, 6).encoder.layers[0]).__module__ == "autograder.runtime.standins.layers"
    kwargs = dict(d_model=12, num_heads=3, num_encoder_layers=2, num_decoder_layers=2, d_ff=20, dropout=0.0)
    ours, theirs = over.Transformer(11, 13, **kwargs).double().eval(), plain.Transformer(11, 13, **kwargs).double().eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    torch.manual_seed(3)
    fresh_ours = over.DecoderOnlyTransformer(11, 12, 3, 2, 20, 7).state_dict()
    torch.manual_seed(3)
    fresh_theirs = plain.DecoderOnlyTransformer(11, 12, 3, 2, 20, 7).state_dict()
    # the same initialisation for the same seed: a test's model is the same whichever stack it is built over
    assert all(torch.equal(fresh_ours[k], fresh_theirs[k]) for k in fresh_theirs)
    ours.load_state_dict(theirs.state_dict())
    src, tgt = torch.randint(1, 11, (3, 7), generator=torch.Generator().manual_seed(1)), torch.randint(1, 13, (3, 5))
    src[1, 4:] = 0
    torch.testing.assert_close(ours(src, tgt), theirs(src, tgt), rtol=1e-10, atol=1e-12)
    q, kv = torch.randn(2, 5, 12, dtype=torch.float64), torch.randn(2, 7, 12, dtype=torch.float64)
    mask = torch.ones(2, 1, 1, 7, dtype=torch.bool)
    mask[0] = False  # a query row with every key masked: zero weights
    mha, ref_mha = build("attention.multi_head").MultiHeadAttention(12, 3).double(), reference("attention.multi_head")
    theirs_mha = ref_mha.MultiHeadAttention(12, 3).double()
    mha.load_state_dict(theirs_mha.state_dict())
    for got, expected in zip(mha(q, kv, kv, mask), theirs_mha(q, kv, kv, mask)):
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_stand_ins_leave_the_real_modules_alone():
    with private_imports(SOLUTIONS):
        before = importlib.import_module("attention.scaled_dot_product")
        import_over("attention.multi_head", ["attention.scaled_dot_product"], PACKAGES, importlib.import_module)
        after = importlib.import_module("attention.scaled_dot_product")
        assert before is after and not getattr(after, "__stand_in__", False)
    with pytest.raises(ValueError, match="no stand-in"):
        import_over("transformer.models", ["embeddings.one_hot"], PACKAGES, importlib.import_module)
