"""Hidden suite: embeddings/cbow.py.

Expected values come from the reference, computed here in the trusted process. The known
mistakes are small wrong versions written out below (the context summed instead of averaged,
duplicate context words de-duplicated or not accumulated, the 1/C of the mean left out of the
gradient, sign errors, an unstable softmax), so a student whose output equals one of them is told which.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.cbow import CBOW, OUTPUTS, cbow_mistakes

pytestmark = pytest.mark.timeout(10)


def check_cbow(got, expected, what: str, mistakes: dict) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != len(OUTPUTS):
        check(got, expected, what=f"{what}: the returned (loss, grad_input_vectors, grad_output_vectors)")
    for i, name in enumerate(OUTPUTS):
        check(
            got[i],
            expected[i],
            what=f"{what} -> {name}",
            mistakes={m: (lambda make=make, i=i: make()[i]) for m, make in mistakes.items()},
        )


def vectors(seed: int, V: int, D: int, scale: float = 0.7):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=scale, size=(V, D)), rng.normal(scale=scale, size=(V, D))


@pytest.mark.points(4)
@pytest.mark.parametrize(
    "seed,V,D,context,center",
    [(0, 7, 4, [1, 3, 5, 6], 2), (1, 8, 3, [2, 5, 2, 2, 0], 5), (2, 6, 5, [4, 4], 1)],
    ids=["distinct", "repeated-word", "one-word-twice"],
)
def test_cbow_matches_reference(student, ref, seed, V, D, context, center):
    """cbow_loss_and_gradient: h is the mean of the context; a word listed twice counts twice"""
    V_in, U = vectors(seed, V, D)
    context = np.array(context, dtype=np.int64)
    expected = ref["cbow"].cbow_loss_and_gradient(context, center, V_in, U)
    got = student.call(CBOW, context, center, V_in, U)
    what = f"cbow_loss_and_gradient(context={context.tolist()}, center={center}, {describe_args(V_in, U)})"
    check_cbow(got, expected, what, cbow_mistakes(context, center, V_in, U))


@pytest.mark.points(1)
def test_cbow_single_context_word(student, ref):
    """cbow_loss_and_gradient: a one-word context"""
    V_in, U = vectors(3, 5, 3)
    expected = ref["cbow"].cbow_loss_and_gradient([2], 4, V_in, U)
    got = student.call(CBOW, [2], 4, V_in, U)
    check_cbow(
        got,
        expected,
        f"cbow_loss_and_gradient(context=[2], center=4, {describe_args(V_in, U)})",
        cbow_mistakes([2], 4, V_in, U),
    )


@pytest.mark.points(1)
def test_cbow_context_as_list_with_center_inside(student, ref):
    """cbow_loss_and_gradient: context as a Python list, the center word also in its own context"""
    V_in, U = vectors(4, 6, 4)
    context = [3, 0, 3, 5]
    expected = ref["cbow"].cbow_loss_and_gradient(context, 3, V_in, U)
    got = student.call(CBOW, context, 3, V_in, U)
    check_cbow(
        got,
        expected,
        f"cbow_loss_and_gradient(context={context}, center=3, {describe_args(V_in, U)})",
        cbow_mistakes(context, 3, V_in, U),
    )


@pytest.mark.points(2)
def test_cbow_stable_for_large_scores(student, ref):
    """cbow_loss_and_gradient: scores near +-1000 give no NaN"""
    V_in = np.array([[10.0, 0.0], [0.0, 10.0], [5.0, 5.0]])
    U = np.array(
        [[100.0, 0.0], [0.0, -100.0], [-100.0, 1.0], [98.0, 3.0]]
    )  # scores of context [0, 0] near (1000, 0, -1000, 980)
    context = [0, 0]
    expected = ref["cbow"].cbow_loss_and_gradient(context, 3, V_in, U)
    got = student.call(CBOW, context, 3, V_in, U)
    check_cbow(
        got,
        expected,
        f"cbow_loss_and_gradient(context={context}, center=3, {describe_args(V_in, U)}) with scores near +-1000",
        cbow_mistakes(context, 3, V_in, U),
    )


@pytest.mark.points(1)
def test_cbow_empty_context_raises(student):
    """cbow_loss_and_gradient: an empty context raises ValueError"""
    V_in, U = vectors(5, 4, 2)
    check_raises(
        lambda: student.call(CBOW, np.zeros(0, dtype=np.int64), 1, V_in, U),
        "ValueError",
        what="cbow_loss_and_gradient(context=[], ...)",
    )
