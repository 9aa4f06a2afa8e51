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

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograder.grading.adapter import StudentError

# dtype -> (rtol, atol).
TOLERANCES: dict[np.dtype, tuple[float, float]] = {
    np.dtype("float16"): (1e-2, 1e-3),
    np.dtype("float32"): (1e-4, 1e-5),
    np.dtype("float64"): (1e-7, 1e-9),
}
Mistakes = Mapping[str, Any]  # name -> the wrong answer, a zero-argument callable making it, or AnyOf them


class AnyOf:
    """The forms one mistake takes, under its one name: the same slip made in one place or in several (``np.add.at``
    left out for the negatives only, or everywhere), or on one axis or another. The name is given when any form
    equals the answer, so that a misconception keeps one name wherever and however often it is made
    (:mod:`autograder.grading.mistakes.names`)."""

    def __init__(self, *forms: Any) -> None:
        self.forms = forms


class Feedback(AssertionError):
    """A failed check; its message is what the student reads.

    ``mistakes``: the known mistakes the grader's own models recognised in the answer, as data. The message names
    them too ("Likely mistake: ..."), for the student; the class report and ``misconceptions.csv`` read this field
    alone (:attr:`autograder.grading.results.TestResult.mistakes`), never the message, whose text the submission's
    output and exceptions may fill.
    """

    def __init__(self, message: str = "", mistakes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.mistakes = tuple(dict.fromkeys(mistakes))

    def with_note(self, note: str) -> Feedback:
        """The same feedback, naming the same mistakes, with ``note`` after its message."""
        return Feedback(str(self) + note, self.mistakes)

    def with_mistake(self, name: str) -> Feedback:
        """The same feedback naming one more mistake, ``name``, after its first line."""
        first, *rest = str(self).split("\n")
        return Feedback("\n".join([first, LIKELY + name, *rest]), (*self.mistakes, name))


LIKELY = "  Likely mistake: "  # how a message names a mistake the grader recognised


def naming(message: str, *mistakes: str) -> Feedback:
    """Feedback whose message is ``message`` and one "Likely mistake" line per name, which it carries as data."""
    return Feedback("\n".join([message, *(LIKELY + name for name in mistakes)]), mistakes)


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


def _py(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (``np.int64(4)`` -> ``4``), for messages a student reads."""
    return value.item() if isinstance(value, np.generic) else value


def short(x: Any, limit: int = 300, precision: int = 4, suppress: bool = True) -> str:
    """A readable, bounded rendering of a value for feedback: arrays as a shape/dtype line and a preview."""
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic):
        a = _as_array(x)
        with np.printoptions(precision=precision, threshold=20, edgeitems=3, linewidth=100, suppress=suppress):
            text = f"{_kind(x)} shape {tuple(a.shape)} dtype {_dtype_name(x)}\n{a}"
    else:
        text = repr(_py(x))
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


class DoesNotApply(Exception):
    """Raised by a mistake model whose mistake cannot be made on this input: the model is skipped, silently."""


class BrokenMistakeModel(RuntimeError):
    """A mistake model raised something other than :class:`DoesNotApply` while :func:`strict_models` is on."""


_BROKEN: list[str] = []
_STRICT = [False]


def broken_models(clear: bool = False) -> list[str]:
    """The mistake models that raised (other than :class:`DoesNotApply`) in this process, as ``"name: error"``.

    Such a model silently stops naming its mistake; the kit's tests assert this list stays empty.
    """
    found = list(_BROKEN)
    if clear:
        _BROKEN.clear()
    return found


@contextmanager
def strict_models(on: bool = True) -> Iterator[None]:
    """Inside the block, a broken mistake model raises :class:`BrokenMistakeModel` instead of being recorded."""
    before, _STRICT[0] = _STRICT[0], on
    try:
        yield
    finally:
        _STRICT[0] = before


def _matches(got: Any, candidate: Any) -> bool:
    try:
        _compare(got, candidate, check_dtype=False, rtol=None, atol=None)
    except Feedback:
        return False
    except Exception:  # noqa: BLE001 - a candidate that cannot even be compared does not match
        return False
    return True


# What torch and NumPy say when shapes do not fit: the model's mistake cannot be made on this input.
_SHAPE_MISMATCH = re.compile(
    r"must match the size|size of tensor|could not be broadcast|not aligned|shape mismatch|mat1 and mat2 shapes|"
    r"Expected size|is invalid for input of size|mismatch in its core dimension"
)


def _broken(name: str, error: Exception) -> None:
    _BROKEN.append(f"{name}: {type(error).__name__}: {error}")
    if _STRICT[0]:
        raise BrokenMistakeModel(f"the mistake model {name!r} raised {type(error).__name__}: {error}") from error


def recognise(got: Any, mistakes: Mistakes | None) -> list[str]:
    """Names of the known mistakes whose output equals ``got``.

    A model (a zero-argument callable) does not apply to this input when it raises :class:`DoesNotApply`, when its
    call of the student's code fails, or when torch or NumPy refuse its shapes (a broadcast or size mismatch: the
    wrong answer cannot have this input's shape). Any other exception (``NameError``, ``TypeError``,
    ``IndexError`` ...) is a broken model: recorded in :func:`broken_models`, or raised as
    :class:`BrokenMistakeModel` under :func:`strict_models`.
    """
    found = []
    for name, candidate in (mistakes or {}).items():
        forms = candidate.forms if isinstance(candidate, AnyOf) else (candidate,)
        if any(_matches(got, value) for value in _values(name, forms)):
            found.append(name)
    return found


def _values(name: str, forms: Sequence[Any]) -> Iterator[Any]:
    """The values of a mistake's forms that apply to this input (see :func:`recognise`), made one at a time."""
    for form in forms:
        try:
            yield form() if callable(form) else form
        except (DoesNotApply, StudentError):
            continue
        except (RuntimeError, ValueError) as error:
            if not _SHAPE_MISMATCH.search(str(error)):
                _broken(name, error)
        except Exception as error:  # noqa: BLE001 - recorded (or raised under strict_models), never lost
            _broken(name, error)


class _Mismatch(Feedback):
    """A difference inside :func:`_compare`: where it is (``path``) and, for arrays, the entries that differ."""

    def __init__(
        self, message: str, path: tuple[Any, ...] = (), bad: np.ndarray | None = None, values: Any = None
    ) -> None:
        super().__init__(message)
        self.path, self.bad, self.values = path, bad, values


def _first_mismatch(bad: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _index(i: tuple[int, ...]) -> str:
    return str(i[0]) if len(i) == 1 else str(i)


def _compare_arrays(got: Any, expected: Any, check_dtype: bool, rtol: float | None, atol: float | None) -> None:
    if _kind(got) != _kind(expected):
        raise _Mismatch(f"expected a {_kind(expected)}, got a {_kind(got)}")
    g, e = _as_array(got), _as_array(expected)
    if g.shape != e.shape:
        raise _Mismatch(f"expected shape {tuple(e.shape)}, got shape {tuple(g.shape)}")
    if check_dtype and _dtype_name(got) != _dtype_name(expected):
        raise _Mismatch(f"expected dtype {_dtype_name(expected)}, got dtype {_dtype_name(got)}")
    if e.dtype.kind in "biu" and g.dtype.kind in "biu" or e.dtype.kind == "b" or g.dtype.kind == "b":
        bad = g != e
        if bad.any():
            if bad.ndim == 0:
                raise _Mismatch(f"expected {_py(e[()])!r}, got {_py(g[()])!r}")
            i = _first_mismatch(bad)
            raise _Mismatch(
                f"{int(bad.sum())} of {bad.size} elements differ; first at index {_index(i)}: "
                f"expected {_py(e[i])!r}, got {_py(g[i])!r}",
                bad=bad,
                values=(e, g),
            )
        return
    default_rtol, default_atol = tolerance(got, expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    g64, e64 = g.astype(np.float64, copy=False), e.astype(np.float64, copy=False)
    nan_got = np.isnan(g64) & ~np.isnan(e64)
    if nan_got.any():
        if nan_got.ndim == 0:
            raise _Mismatch(f"expected {e64[()]:.6g}, got NaN")
        i = _first_mismatch(nan_got)
        raise _Mismatch(
            f"got NaN at index {_index(i)} (expected {e64[i]:.6g}); {int(nan_got.sum())} NaN value(s) in all",
            bad=nan_got,
            values=(e64, g64),
        )
    close = np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        with np.errstate(invalid="ignore"):
            err = np.abs(g64 - e64)
        worst = float(np.nanmax(np.where(close, 0.0, err))) if err.size else 0.0
        tol = f"(rtol={rtol:g}, atol={atol:g})"
        if close.ndim == 0:
            e0, g0 = float(e64[()]), float(g64[()])
            p = _digits(e0, g0)
            raise _Mismatch(f"expected {e0:.{p}g}, got {g0:.{p}g}; abs error {worst:.3g} {tol}")
        i = _first_mismatch(~close)
        p = _digits(float(e64[i]), float(g64[i]))
        raise _Mismatch(
            f"{int((~close).sum())} of {close.size} elements differ; first at index {_index(i)}: "
            f"expected {e64[i]:.{p}g}, got {g64[i]:.{p}g}; max abs error {worst:.3g} {tol}",
            bad=~close,
            values=(e64, g64),
        )


def _digits(e: float, g: float) -> int:
    """Significant digits (6 at least) that show ``e`` and ``g`` as different numbers."""
    for p in range(6, 18):
        if f"{e:.{p}g}" != f"{g:.{p}g}":
            return p
    return 17


def _compare(got: Any, expected: Any, check_dtype: bool, rtol: float | None, atol: float | None) -> None:
    got, expected = _plain(got), _plain(expected)
    if hasattr(expected, "shape") and hasattr(expected, "dtype") and not isinstance(expected, np.generic):
        _compare_arrays(got, expected, check_dtype, rtol, atol)
    elif isinstance(expected, dict):
        if not isinstance(got, dict):
            raise _Mismatch(f"expected a dict, got a {type(got).__name__}")
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            raise _Mismatch(f"keys differ: missing {missing[:5]}, unexpected {extra[:5]}")
        for k in expected:
            try:
                _compare(got[k], expected[k], check_dtype, rtol, atol)
            except _Mismatch as f:
                raise _Mismatch(f"at key {k!r}: {f}", (k, *f.path), f.bad, f.values) from None
        if check_dtype and list(got) != list(expected):
            raise _Mismatch(f"same keys but a different order: expected {list(expected)[:8]}, got {list(got)[:8]}")
    elif isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            raise _Mismatch(f"expected a {type(expected).__name__}, got a {_kind(got)}")
        if len(got) != len(expected):
            raise _Mismatch(f"expected {len(expected)} items, got {len(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            try:
                _compare(g, e, check_dtype, rtol, atol)
            except _Mismatch as f:
                raise _Mismatch(f"at item {i}: {f}", (i, *f.path), f.bad, f.values) from None
    elif isinstance(expected, (float, np.floating)) and not isinstance(expected, bool):
        if not isinstance(got, (int, float, np.integer, np.floating)) or isinstance(got, bool):
            raise _Mismatch(f"expected a number, got a {_kind(got)}")
        _compare_arrays(np.asarray(got).reshape(()), np.asarray(expected).reshape(()), False, rtol, atol)
    else:
        if isinstance(expected, int) and not isinstance(expected, bool):
            same_kind = isinstance(got, int) and not isinstance(got, bool)
        else:
            same_kind = type(got) is type(expected)
        if not same_kind or got != expected:
            raise _Mismatch(f"expected {short(expected, 120)}, got {short(got, 120)}")


def _plain(value: Any) -> Any:
    """A NumPy bool or integer scalar as a Python one (``np.True_ == True`` is then the same kind); floats keep their
    dtype, which sets the tolerance."""
    return value if isinstance(value, np.floating) else _py(value)


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _differing(mismatch: _Mismatch, limit: int = 3) -> str | None:
    """The entries that differ, each with both values, e.g. ``(0, 1): 0.25 vs 0.3``; None when there is no array."""
    if mismatch.bad is None or mismatch.bad.ndim == 0:
        return None
    e, g = mismatch.values
    where = [tuple(int(k) for k in i) for i in np.argwhere(mismatch.bad)[:limit]]
    total = int(mismatch.bad.sum())

    def value(a: np.ndarray, i: tuple[int, ...], p: int) -> str:
        v = _py(a[i])
        return f"{v:.{p}g}" if isinstance(v, float) else repr(v)

    def digits(i: tuple[int, ...]) -> int:
        a, b = _py(e[i]), _py(g[i])
        return _digits(float(a), float(b)) if isinstance(a, float) and isinstance(b, float) else 6

    parts = [f"{_index(i)} expected {value(e, i, digits(i))}, got {value(g, i, digits(i))}" for i in where]
    more = f" ... ({total} in all)" if total > len(where) else ""
    return "  Differs at: " + "; ".join(parts) + more


def _preview_style(mismatch: _Mismatch) -> tuple[int, bool]:
    """(precision, suppress) for the previews, so that the first differing entry differs on screen too."""
    if mismatch.bad is None or mismatch.bad.ndim == 0 or not mismatch.bad.any():
        return 4, True
    e, g = mismatch.values
    i = _first_mismatch(mismatch.bad)
    a, b = _py(e[i]), _py(g[i])
    if not (isinstance(a, float) and isinstance(b, float)):
        return 4, True
    for p in range(4, 7):
        if f"{a:.{p}f}" != f"{b:.{p}f}":
            return p, True
    return 8, False  # a difference below 1e-6: scientific notation, up to 8 digits (1.2e-08 vs 0.)


_SCALARS = (bool, int, float, str, bytes, type(None), np.generic)


VALUES_CHECKED: list[str] = []  # the values check() found right in this test (the plugin empties it before each test)


def check(
    got: Any,
    expected: Any,
    *,
    what: str,
    mistakes: Mistakes | None = None,
    check_dtype: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    names: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
) -> None:
    """Assert ``got`` equals ``expected`` (within the dtype's tolerance), explaining any difference.

    ``what`` names the call and its input, e.g. ``"softmax(x <float64 (3, 4)>)"``. ``mistakes``
    maps a mistake's name to the value it would produce on the same input (or a zero-argument callable
    making it); a failing value that equals one of them gets that name in the message. ``names``: a tuple
    result is checked item by item, each under its name (``what -> weights``), and each mistake's item
    against the same item of ``got``, so a mistake shows on the item it changes even beside another mistake;
    ``order``: the names in the order to check them (the item that shows most mistakes first), default ``names``.

    The message reads: the one-line diagnosis, the named mistakes, then Expected and Got (the differing part
    alone, with enough digits to show the difference) and the entries that differ.
    """
    if names is not None:
        options = dict(check_dtype=check_dtype, rtol=rtol, atol=atol)
        _check_named(got, expected, names, order or names, what=what, mistakes=mistakes, **options)
        return
    try:
        _compare(got, expected, check_dtype, rtol, atol)
        VALUES_CHECKED.append(what)
    except _Mismatch as f:
        precision, suppress = _preview_style(f)
        try:
            shown_expected, shown_got = _at(expected, f.path), _at(got, f.path)
        except (KeyError, IndexError, TypeError):
            shown_expected, shown_got = expected, got
        found = recognise(got, mistakes) or _dtype_mistake(got, expected, f)
        lines = [f"{what}: {f}", *(LIKELY + name for name in found)]
        if all(isinstance(v, _SCALARS) for v in (shown_expected, shown_got)):
            raise Feedback("\n".join(lines), found) from None  # the diagnosis already says "expected 4, got 5"
        for label, value in (("Expected: ", shown_expected), ("Got:      ", shown_got)):
            lines.append("\n  ".join(f"  {label}{short(value, precision=precision, suppress=suppress)}".splitlines()))
        differing = _differing(f)
        if differing:
            lines.append(differing)
        raise Feedback("\n".join(lines), found) from None


def _dtype_mistake(got: Any, expected: Any, mismatch: _Mismatch) -> list[str]:
    """The mistake of a right value in the wrong dtype (float64 vectors where float32 was asked), when that is all."""
    if mismatch.path or not str(mismatch).startswith("expected dtype") or not _matches(got, expected):
        return []
    wanted, given = _dtype_name(expected), _dtype_name(got)
    return [f"values in {given} instead of {wanted}: convert them (.astype({wanted}) or dtype={wanted})"]


def _check_named(
    got: Any,
    expected: Any,
    names: Sequence[str],
    order: Sequence[str],
    *,
    what: str,
    mistakes: Mistakes | None,
    **options: Any,
) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        shape = f"a tuple of {len(got)}" if isinstance(got, (tuple, list)) else f"a {_kind(got)}"
        raise Feedback(f"{what}: expected a tuple ({', '.join(names)}), got {shape}")

    def part(candidate: Any, i: int) -> Any:
        if isinstance(candidate, AnyOf):
            return AnyOf(*(part(form, i) for form in candidate.forms))

        def item() -> Any:
            whole = candidate() if callable(candidate) else candidate
            if not isinstance(whole, (tuple, list)) or len(whole) != len(names):
                raise DoesNotApply(f"the model gives {type(whole).__name__}, not a tuple of {len(names)}")
            return whole[i]

        return item

    passed: list[int] = []
    for name in order:
        i = list(names).index(name)
        item_mistakes = {k: part(c, i) for k, c in (mistakes or {}).items()}
        try:
            check(got[i], expected[i], what=f"{what} -> {name}", mistakes=item_mistakes, **options)
        except Feedback as failed:
            # The items checked so far and this one: a model of several forms explains them all with one form.
            seen = [*passed, i]
            items = {k: [part(c, j) for j in seen] for k, c in (mistakes or {}).items()}
            raise _ranked(failed, got, seen, items) from None
        passed.append(i)


def _ranked(failed: Feedback, got: Any, seen: Sequence[int], items: Mapping[str, list[Any]]) -> Feedback:
    """``failed`` naming only the mistakes that also explain the items already checked (``seen``: those and the
    failing one, each model's own ``items`` there), when some do.

    Two models can give the same wrong item (``grad[idx] += g`` and de-duplicated negatives give the same
    ``grad_outside_vectors``); the one whose other items equal the student's right ones explains the whole answer,
    so it alone is named. When none does (two mistakes at once), every model that explains the item stays named.
    """
    if len(failed.mistakes) < 2:
        return failed
    whole = [name for name in failed.mistakes if _explains(got, seen, items[name])]
    if not whole or len(whole) == len(failed.mistakes):
        return failed
    dropped = {LIKELY + name for name in failed.mistakes if name not in whole}
    return Feedback("\n".join(line for line in str(failed).split("\n") if line not in dropped), whole)


def _explains(got: Any, seen: Sequence[int], items: list[Any]) -> bool:
    """Whether a model's ``items`` (one per index in ``seen``) equal the student's items there; a model of several
    forms (:class:`AnyOf`) explains them when one of its forms does, the same form for every item."""
    if items and isinstance(items[0], AnyOf):
        forms = zip(*(item.forms for item in items), strict=True)
        return any(all(_matches(got[j], _value(m)) for j, m in zip(seen, form, strict=True)) for form in forms)
    return all(_matches(got[j], _value(model)) for j, model in zip(seen, items, strict=True))


def _value(model: Any) -> Any:
    """A model's item, or a marker that matches nothing when the model does not apply to this input."""
    try:
        return model() if callable(model) else model
    except Exception:  # noqa: BLE001 - recognise() already recorded a broken model; here it only fails to rank
        return _NO_VALUE


_NO_VALUE = object()


RAISES_CHECKED: list[str] = []  # what check_raises accepted in this test (the plugin empties it before each test)


def check_raises(
    fn: Callable[[], Any],
    exception: str,
    *,
    what: str,
    match: str | None = None,
    mistakes: Mistakes | None = None,
    mismatches: Mapping[str, str] | None = None,
) -> StudentError:
    """Assert that calling ``fn`` makes the student's code raise ``exception`` (a built-in, by identity in the worker).

    ``mistakes``: what the known mistakes return instead of raising (a negative id that wraps around, ...); a value
    returned that equals one of them names it, as in :func:`check`. ``mismatches``: what a known mistake's message
    says instead of ``match`` (``"line 2"`` for ``"line 3"`` when lines are counted from 0) -> the mistake's name.

    The test's points then also need the functions it called to work on valid input somewhere in the same grading
    (:meth:`autograder.grading.results.Report.require_working_functions`): raising on everything validates nothing.
    """
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
            found = [name for said, name in (mismatches or {}).items() if said in error.message]
            message = f"{what}: raised {exception} as expected, but its message {error.message!r} should mention"
            raise Feedback("\n".join([f"{message} {match!r}", *(LIKELY + name for name in found)]), found) from None
        RAISES_CHECKED.append(what)
        return error
    found = recognise(value, mistakes)
    message = f"{what}: expected {exception} to be raised, but it returned {short(value, 120)}"
    raise Feedback("\n".join([message, *(LIKELY + name for name in found)]), found)
