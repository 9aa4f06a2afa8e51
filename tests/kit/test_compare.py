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


def test_the_named_mistake_comes_right_after_the_diagnosis():
    expected = np.arange(20, dtype=np.float64)
    text = message(expected * 2, expected, mistakes={"doubled": expected * 2})
    lines = text.splitlines()
    assert lines[0].startswith("f(x <float64 (2, 3)>): 19 of 20 elements differ")
    assert lines[1] == "  Likely mistake: doubled"
    assert lines[2].startswith("  Expected: numpy.ndarray shape (20,) dtype float64")


def test_tuple_items_are_checked_by_name_each_with_its_own_block():
    expected = (torch.zeros(2, 3, dtype=torch.float64), torch.ones(2, dtype=torch.float64))
    got = (torch.zeros(2, 3, dtype=torch.float64), torch.full((2,), 0.5, dtype=torch.float64))
    with pytest.raises(Feedback) as info:
        check(got, expected, what="sdpa(q, k, v)", names=("output", "weights"), mistakes={"halved": (got[0], got[1])})
    text = str(info.value)
    assert text.startswith("sdpa(q, k, v) -> weights: 2 of 2 elements differ") and "item" not in text
    assert "  Likely mistake: halved" in text
    assert "Expected: torch.Tensor shape (2,) dtype float64" in text and "Got:      torch.Tensor shape (2,) dtype float64" in text
    with pytest.raises(Feedback, match=r"expected a tuple \(output, weights\), got a torch.Tensor"):
        check(got[0], expected, what="sdpa(q, k, v)", names=("output", "weights"))


def test_a_mistake_combined_with_another_is_named_on_the_item_it_changes():
    expected = (np.zeros(3), np.ones(3))
    got = (np.full(3, 7.0), np.full(3, 2.0))  # output wrong for some other reason, weights doubled
    with pytest.raises(Feedback) as info:
        check(got, expected, what="f", names=("output", "weights"), order=("weights", "output"), mistakes={"doubled": (np.zeros(3), np.full(3, 2.0))})
    assert str(info.value).startswith("f -> weights") and "Likely mistake: doubled" in str(info.value)


def test_messages_use_python_reprs_and_scalars_have_no_index():
    assert message(np.int64(4), 5) == "f(x <float64 (2, 3)>): expected 5, got 4"
    assert message(np.False_, True) == "f(x <float64 (2, 3)>): expected True, got False"
    assert message(np.array([1, 2]), np.array([1, 3])).startswith("f(x <float64 (2, 3)>): 1 of 2 elements differ; first at index 1: expected 3, got 2")
    text = message(0.6, 0.5)
    assert text.startswith("f(x <float64 (2, 3)>): expected 0.5, got 0.6; abs error 0.1") and "index ()" not in text
    check(np.True_, True, what="a NumPy bool equals a Python bool")


def test_previews_show_the_digits_that_differ_and_mark_the_entries():
    text = message(np.array([1.2e-8, 1.0]), np.array([0.0, 1.0]))
    assert "got 1.2e-08" in text and "[1.2e-08 1.0e+00]" in text
    assert "  Differs at: 0 expected 0, got 1.2e-08" in text
    text = message(np.array([0.123456, 0.5]), np.array([0.123451, 0.5]), atol=0.0, rtol=0.0)
    assert "0.123451" in text and "0.123456" in text


def test_a_broken_mistake_model_is_recorded_or_raised_never_lost():
    from autograder.grading.compare import BrokenMistakeModel, DoesNotApply, broken_models, strict_models

    broken_models(clear=True)
    expected = np.zeros(3)

    def does_not_apply():
        raise DoesNotApply("needs a square matrix")

    mistakes = {"broken": lambda: expected[7], "not here": does_not_apply, "ones": np.ones(3)}
    assert "Likely mistake: ones" in message(np.ones(3), expected, mistakes=mistakes)
    assert [entry.split(":")[0] for entry in broken_models(clear=True)] == ["broken"]
    with strict_models(), pytest.raises(BrokenMistakeModel, match="'broken' raised IndexError"):
        check(np.ones(3), expected, what="f", mistakes=mistakes)
    broken_models(clear=True)


def test_a_model_whose_shapes_do_not_fit_this_input_does_not_apply():
    from autograder.grading.compare import broken_models

    broken_models(clear=True)
    expected = torch.zeros(2, 3)
    mistakes = {"broadcast": lambda: torch.zeros(2, 3) + torch.zeros(4, 3), "numpy": lambda: np.zeros(2) @ np.zeros(3)}
    assert "Likely mistake" not in message(torch.ones(2, 3), expected, mistakes=mistakes)
    assert broken_models(clear=True) == []


def test_of_two_models_explaining_an_item_the_one_explaining_the_whole_answer_is_named():
    expected = (np.zeros(2), np.zeros(3))
    got = (np.zeros(2), np.ones(3))  # the first item right, the second wrong
    models = {"second only": (np.zeros(2), np.ones(3)), "both": (np.full(2, 5.0), np.ones(3))}
    with pytest.raises(Feedback) as info:
        check(got, expected, what="f", names=("a", "b"), mistakes=models)
    assert info.value.mistakes == ("second only",) and "both" not in str(info.value)
    got = (np.full(2, 9.0), np.ones(3))  # wrong in a way neither model explains: both stay named on item b
    with pytest.raises(Feedback) as info:
        check(got, expected, what="f", names=("a", "b"), order=("b", "a"), mistakes=models)
    assert info.value.mistakes == ("second only", "both")


def test_check_raises_names_what_a_mistake_returns_or_says_instead():
    with pytest.raises(Feedback) as info:
        check_raises(lambda: np.eye(3)[[-1]], "ValueError", what="one_hot", mistakes={"wraps around": np.eye(3)[[2]], "zeros": np.zeros((1, 3))})
    assert info.value.mistakes == ("wraps around",) and "Likely mistake: wraps around" in str(info.value)

    def says_line_2():
        raise StudentError("raised", ["ValueError", "Exception"], "line 2: bad")

    with pytest.raises(Feedback) as info:
        check_raises(says_line_2, "ValueError", match="line 3", what="load", mismatches={"line 2": "from 0", "line 4": "from 2"})
    assert info.value.mistakes == ("from 0",)


def test_a_right_value_in_the_wrong_dtype_is_named_and_a_wrong_value_is_not():
    expected = np.array([0.5, 1.0], dtype=np.float32)
    with pytest.raises(Feedback) as info:
        check(expected.astype(np.float64), expected, what="load")
    assert len(info.value.mistakes) == 1 and "float64 instead of float32" in info.value.mistakes[0]
    with pytest.raises(Feedback) as info:
        check(np.array([0.5, 2.0]), expected, what="load")
    assert info.value.mistakes == ()
