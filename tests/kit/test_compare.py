"""Feedback messages: expected/got, first mismatch, error size, named mistakes, one tolerance per dtype."""

import numpy as np
import pytest
import torch

from autograder.grading.adapter import StudentError
from autograder.grading.compare import TOLERANCES, Feedback, check, check_raises, tolerance


def message(got, expected, **kw) -> str:
    with pytest.raises(Feedback) as info:
        check(got, expected, what="f(x <float64 (2, 3)>)", **kw)
    return str(info.value)


def test_value_mismatch_names_call_index_and_error_size():
    expected = np.arange(6, dtype=np.float64).reshape(2, 3)
    got = expected.copy()
    got[1, 2] += 0.5
    text = message(got, expected)
    assert text.startswith("f(x <float64 (2, 3)>): 1 of 6 elements differ; first at index (1, 2): expected 5, got 5.5")
    assert "max abs error 0.5" in text and "Expected:" in text and "Got:" in text


def test_shape_dtype_kind_and_nan_are_reported():
    e = np.zeros((2, 3))
    assert "expected shape (2, 3), got shape (3, 2)" in message(np.zeros((3, 2)), e)
    assert "expected dtype float64, got dtype float32" in message(np.zeros((2, 3), dtype=np.float32), e)
    assert "expected a torch.Tensor, got a numpy.ndarray" in message(e, torch.zeros(2, 3, dtype=torch.float64))
    assert "got NaN at index (0, 1)" in message(np.array([[0, np.nan, 0], [0, 0, 0]]), e)


def test_known_mistake_is_named_only_when_it_matches():
    expected = np.array([1.0, 2.0, 3.0])
    mistakes = {"forgot the square root": expected**2, "off by one": lambda: expected + 1}
    assert "Likely mistake: forgot the square root" in message(expected**2, expected, mistakes=mistakes)
    assert "Likely mistake" not in message(expected * 7, expected, mistakes=mistakes)


def test_tolerance_follows_the_loosest_dtype():
    assert tolerance(np.zeros(1), np.zeros(1)) == TOLERANCES[np.dtype("float64")]
    assert tolerance(np.zeros(1, np.float32), np.zeros(1)) == TOLERANCES[np.dtype("float32")]
    check(np.float32(1.00001), 1.0, what="float32 within tolerance", check_dtype=False)
    with pytest.raises(Feedback):
        check(np.float64(1.00001), 1.0, what="float64 outside tolerance")


def test_containers_point_at_the_first_difference():
    assert "at key 'b': expected 2, got 3" in message({"a": 1, "b": 3}, {"a": 1, "b": 2})
    assert "same keys but a different order" in message({"b": 2, "a": 1}, {"a": 1, "b": 2})
    assert "at item 1" in message((np.zeros(2), np.ones(2)), (np.zeros(2), np.zeros(2)))
    assert "expected 3 items, got 2" in message([1, 2], [1, 2, 3])


def test_check_raises_reports_wrong_or_missing_exceptions():
    def raiser(kind, text):
        def fn():
            raise StudentError("raised", [kind, "Exception"], text)

        return fn

    assert check_raises(raiser("KeyError", "'zebra'"), "KeyError", match="zebra", what="encode").type_name == "KeyError"
    with pytest.raises(Feedback, match="expected ValueError, but your code raised TypeError"):
        check_raises(raiser("TypeError", "x"), "ValueError", what="one_hot")
    with pytest.raises(Feedback, match="should mention 'zebra'"):
        check_raises(raiser("KeyError", "'x'"), "KeyError", match="zebra", what="encode")
    with pytest.raises(Feedback, match="expected ValueError to be raised, but it returned 3"):
        check_raises(lambda: 3, "ValueError", what="one_hot")
