"""Hidden suite: embeddings/cbow.py.

Expected values come from the reference, computed here in the trusted process. The known
mistakes are small wrong versions written out below (the context summed instead of averaged,
duplicate context words de-duplicated or not accumulated, the 1/C of the mean left out of the
gradient, sign errors, an unstable softmax), so a student whose output equals one of them is told which.
"""

import numpy as np
import pytest

from autograder.grading.compare import check, check_raises, describe_args

CBOW = "embeddings.cbow:cbow_loss_and_gradient"
OUTPUTS = ("loss", "grad_input_vectors", "grad_output_vectors")

pytestmark = pytest.mark.timeout(10)


def cbow_variant(
    context,
    center,
    V_in,
    U,
    mean=True,
    dedup=False,
    accumulate=True,
    backward_mean=True,
    sign=1.0,
    subtract_y=True,
    stable=True,
):
    """CBOW written out, with switches for the known mistakes."""
    context = np.unique(context) if dedup else np.asarray(context)
    C = len(context)
    h = V_in[context].sum(axis=0) / (C if mean else 1)
    with np.errstate(all="ignore"):
        scores = U @ h
        e = np.exp(scores - scores.max()) if stable else np.exp(scores)
        y_hat = e / e.sum()
        loss = -float(np.log(y_hat[center]))
    delta = y_hat.copy()
    if subtract_y:
        delta[center] -= 1.0
    g_out = np.outer(delta, h)
    g_h = U.T @ delta / (C if mean and backward_mean else 1)
    g_in = np.zeros_like(V_in)
    if accumulate:
        np.add.at(g_in, context, g_h)
    else:
        g_in[context] += g_h  # a repeated index keeps only one of its values
    return loss, sign * g_in, sign * g_out


def cbow_mistakes(context, center, V_in, U) -> dict:
    args = (context, center, V_in, U)
    return {
        "context vectors summed instead of averaged: h is the MEAN of the context's input vectors": lambda: (
            cbow_variant(*args, mean=False)
        ),
        "duplicate context words de-duplicated: a word that appears twice counts twice in the mean": lambda: (
            cbow_variant(*args, dedup=True)
        ),
        "repeated context words not accumulated in grad_input_vectors: grad[idx] += g adds once (use "
        "np.add.at)": lambda: cbow_variant(*args, accumulate=False),
        "grad_input_vectors misses the 1/C of the mean: each occurrence gets grad_h / C": lambda: cbow_variant(
            *args, backward_mean=False
        ),
        "gradient sign flipped (the gradient of the loss, not of -loss: y_hat - y)": lambda: cbow_variant(
            *args, sign=-1.0
        ),
        "y not subtracted: the gradients use y_hat instead of y_hat - y": lambda: cbow_variant(*args, subtract_y=False),
        "softmax without subtracting the max: exp overflows (NaN/inf at |x| = 1000)": lambda: cbow_variant(
            *args, stable=False
        ),
    }


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
