"""Comparisons that explain themselves: one tolerance policy, "Expected / Got", named mistakes.

Every check in the public tests and hidden suites goes through :func:`check` (values) or
:func:`check_raises` (errors). A failure raises :class:`Feedback`, an ``AssertionError`` whose
message names what was checked, shows expected and got side by side, the first wrong element
and the size of the error, and, when the student's value equals the output of a known mistake,
names that mistake.

Tolerances: one policy per dtype (:data:`TOLERANCES`); a comparison uses the loosest dtype of
the two sides, so a float32 answer is held to float32 precision and a float64 one to float64.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograder.grading.adapter import StudentError

# dtype -> (rtol, atol).
TOLERANCES: dict[np.dtype, tuple[float, float]] = {
    np.dtype("float16"): (1e-2, 1e-3),
    np.dtype("float32"): (1e-4, 1e-5),
    np.dtype("float64"): (1e-7, 1e-9),
}
Mistakes = Mapping[str, Any]  # name -> the wrong answer, or a zero-argument callable making it


class Feedback(AssertionError):
    """A failed check; its message is what the student reads."""


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _kind(x: Any) -> str:
    torch = _torch()
    if torch is not None and isinstance(x, torch.Tensor):
        return "torch.Tensor"
    if isinstance(x, np.ndarray):
        return "numpy.ndarray"
    return type(x).__name__


def _as_array(x: Any) -> np.ndarray:
    torch = _torch()
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _dtype_name(x: Any) -> str:
    return str(x.dtype).replace("torch.", "") if hasattr(x, "dtype") else type(x).__name__


def tolerance(*values: Any) -> tuple[float, float]:
    """(rtol, atol) for comparing these values: the loosest of their float dtypes."""
    rtol, atol = TOLERANCES[np.dtype("float64")]
    for v in values:
        try:
            dtype = np.dtype(_dtype_name(v))
        except TypeError:
            continue
        if dtype in TOLERANCES:
            rtol, atol = max(rtol, TOLERANCES[dtype][0]), max(atol, TOLERANCES[dtype][1])
    return rtol, atol


def short(x: Any, limit: int = 300) -> str:
    """A readable, bounded rendering of a value for feedback."""
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic):
        a = _as_array(x)
        with np.printoptions(precision=4, threshold=20, edgeitems=3, linewidth=100, suppress=True):
            text = f"{_kind(x)} shape {tuple(a.shape)} dtype {_dtype_name(x)}\n{a}"
    else:
        text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_args(*args: Any, **kwargs: Any) -> str:
    """``f(...)`` argument list for messages: arrays by shape and dtype, the rest by repr."""

    def one(v: Any) -> str:
        if hasattr(v, "shape") and hasattr(v, "dtype"):
            return f"<{_dtype_name(v)} {tuple(v.shape)}>"
        text = repr(v)
        return text if len(text) <= 60 else text[:57] + "..."

    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _matches(got: Any, candidate: Any) -> bool:
    try:
        _compare(got, candidate, check_dtype=False, rtol=None, atol=None)
    except Feedback:
        return False
    except Exception:  # noqa: BLE001 - a candidate that cannot even be compared does not match
        return False
    return True


def recognise(got: Any, mistakes: Mistakes | None) -> list[str]:
    """Names of the known mistakes whose output equals ``got``."""
    found = []
    for name, candidate in (mistakes or {}).items():
        try:
            value = candidate() if callable(candidate) else candidate
        except Exception:  # noqa: BLE001 - a mistake model that does not apply to this input
            continue
        if _matches(got, value):
            found.append(name)
    return found


def _first_mismatch(bad: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _compare_arrays(got: Any, expected: Any, check_dtype: bool, rtol: float | None, atol: float | None) -> None:
    if _kind(got) != _kind(expected):
        raise Feedback(f"expected a {_kind(expected)}, got a {_kind(got)}")
    g, e = _as_array(got), _as_array(expected)
    if g.shape != e.shape:
        raise Feedback(f"expected shape {tuple(e.shape)}, got shape {tuple(g.shape)}")
    if check_dtype and _dtype_name(got) != _dtype_name(expected):
        raise Feedback(f"expected dtype {_dtype_name(expected)}, got dtype {_dtype_name(got)}")
    if e.dtype.kind in "biu" and g.dtype.kind in "biu" or e.dtype.kind == "b" or g.dtype.kind == "b":
        bad = g != e
        if bad.any():
            i = _first_mismatch(bad)
            raise Feedback(
                f"{int(bad.sum())} of {bad.size} elements differ; first at index {i}: expected {e[i]!r}, got {g[i]!r}"
            )
        return
    default_rtol, default_atol = tolerance(got, expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    g64, e64 = g.astype(np.float64, copy=False), e.astype(np.float64, copy=False)
    nan_got = np.isnan(g64) & ~np.isnan(e64)
    if nan_got.any():
        i = _first_mismatch(nan_got)
        raise Feedback(f"got NaN at index {i} (expected {e64[i]:.6g}); {int(nan_got.sum())} NaN value(s) in all")
    close = np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        i = _first_mismatch(~close)
        with np.errstate(invalid="ignore"):
            err = np.abs(g64 - e64)
        worst = float(np.nanmax(np.where(close, 0.0, err))) if err.size else 0.0
        raise Feedback(
            f"{int((~close).sum())} of {close.size} elements differ; first at index {i}: "
            f"expected {e64[i]:.6g}, got {g64[i]:.6g}; max abs error {worst:.3g} (rtol={rtol:g}, atol={atol:g})"
        )


def _compare(got: Any, expected: Any, check_dtype: bool, rtol: float | None, atol: float | None) -> None:
    if hasattr(expected, "shape") and hasattr(expected, "dtype") and not isinstance(expected, np.generic):
        _compare_arrays(got, expected, check_dtype, rtol, atol)
    elif isinstance(expected, dict):
        if not isinstance(got, dict):
            raise Feedback(f"expected a dict, got a {type(got).__name__}")
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            raise Feedback(f"keys differ: missing {missing[:5]}, unexpected {extra[:5]}")
        for k in expected:
            try:
                _compare(got[k], expected[k], check_dtype, rtol, atol)
            except Feedback as f:
                raise Feedback(f"at key {k!r}: {f}") from None
        if check_dtype and list(got) != list(expected):
            raise Feedback(f"same keys but a different order: expected {list(expected)[:8]}, got {list(got)[:8]}")
    elif isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            raise Feedback(f"expected a {type(expected).__name__}, got a {_kind(got)}")
        if len(got) != len(expected):
            raise Feedback(f"expected {len(expected)} items, got {len(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            try:
                _compare(g, e, check_dtype, rtol, atol)
            except Feedback as f:
                raise Feedback(f"at item {i}: {f}") from None
    elif isinstance(expected, (float, np.floating)) and not isinstance(expected, bool):
        if not isinstance(got, (int, float, np.integer, np.floating)) or isinstance(got, bool):
            raise Feedback(f"expected a number, got a {_kind(got)}")
        _compare_arrays(np.asarray(got).reshape(()), np.asarray(expected).reshape(()), False, rtol, atol)
    else:
        if isinstance(expected, (int, np.integer)) and not isinstance(expected, bool):
            same_kind = isinstance(got, (int, np.integer)) and not isinstance(got, bool)
        else:
            same_kind = type(got) is type(expected)
        if not same_kind or got != expected:
            raise Feedback(f"expected {short(expected, 120)}, got {short(got, 120)}")


def check(
    got: Any,
    expected: Any,
    *,
    what: str,
    mistakes: Mistakes | None = None,
    check_dtype: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    """Assert ``got`` equals ``expected`` (within the dtype's tolerance), explaining any difference.

    ``what`` names the call and its input, e.g. ``"softmax(x <float64 (3, 4)>)"``. ``mistakes``
    maps a mistake's name to the value it would produce on the same input; a failing value that
    equals one of them gets that name in the message.
    """
    try:
        _compare(got, expected, check_dtype, rtol, atol)
    except Feedback as f:
        lines = [f"{what}: {f}", f"  Expected: {short(expected)}", f"  Got:      {short(got)}"]
        lines[1:] = ["\n  ".join(line.splitlines()) for line in lines[1:]]
        for name in recognise(got, mistakes):
            lines.append(f"  Likely mistake: {name}")
        raise Feedback("\n".join(lines)) from None


def check_raises(fn: Callable[[], Any], exception: str, *, what: str, match: str | None = None) -> StudentError:
    """Assert that calling ``fn`` makes the student's code raise ``exception`` (by type name)."""
    try:
        value = fn()
    except StudentError as error:
        if error.kind.stops_checks:  # the call never really ran: not a wrong exception type
            raise
        if not error.is_a(exception):
            raise Feedback(
                f"{what}: expected {exception}, but your code raised {error.type_name}: {error.message}"
            ) from None
        if match is not None and match not in error.message:
            raise Feedback(
                f"{what}: raised {exception} as expected, but its message {error.message!r} should mention {match!r}"
            ) from None
        return error
    raise Feedback(f"{what}: expected {exception} to be raised, but it returned {short(value, 120)}")
