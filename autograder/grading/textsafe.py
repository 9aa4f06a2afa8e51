"""Text a submission controls, made inert before it reaches a terminal, a log, a CSV, HTML or a plot.

A submission chooses its exception messages, the names of its files and folders, what it prints and the reprs of
what it returns. Any of that can reach what an instructor reads and runs, so every writer goes through one of
these functions (DESIGN.md, "Inert text"):

- :func:`printable`: C0 and C1 control characters (ESC, BEL, CR, the 8-bit CSI ...) written as ``\\x1b``-style
  escapes, so no escape sequence reaches a terminal or a log. Newlines and tabs are kept where a message may span
  lines (``keep_newlines``).
- :func:`capped`: at most ``limit`` characters, the cut said in the text itself.
- :func:`csv_cell`: a cell that a spreadsheet never reads as a formula. Following OWASP's advice on CSV
  injection, a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  ``'``; numbers stay numbers (a score of -1 is not a formula), and the ``csv`` module does the quoting.
- :func:`html_text`: printable, capped and HTML-escaped, for a page that must show markup as text.
- :func:`plot_label`: one printable, capped line for a matplotlib label, drawn under :data:`PLOT_RC` (mathtext
  and TeX off), so a ``$...$`` in a name is two dollar signs, never a formula the parser may refuse.

Lone surrogates (``\\ud800``, which JSON can carry) are escaped too: no writer then fails to encode the text.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # C0 but tab and newline, DEL, C1, surrogates
_CONTROL_ALL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# matplotlib draws every label as the plain text it is: no mathtext, no TeX
PLOT_RC: dict[RcKeyType, Any] = {"text.parse_math": False, "text.usetex": False}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, keep_newlines: bool = True) -> str:
    """``text`` with every control character written as an escape (``\\x1b``; a lone surrogate as ``\\ud800``),
    newlines and tabs kept if asked."""
    pattern = _CONTROL if keep_newlines else _CONTROL_ALL
    return pattern.sub(_escape, str(text))


def capped(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    note = f"... ({len(text) - limit} characters left out)"
    return text[: max(0, limit - len(note))] + note


def csv_cell(value: object) -> str | int | float:
    """One CSV cell that no spreadsheet evaluates: numbers as they are, text escaped and never a formula."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = printable(value, keep_newlines=False)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(values: list[object]) -> list[str | int | float]:
    """:func:`csv_cell` over one row."""
    return [csv_cell(value) for value in values]


def html_text(text: object, limit: int | None = None, keep_newlines: bool = False) -> str:
    """``text`` printable, capped at ``limit`` characters (if given) and HTML-escaped (quotes too)."""
    shown = printable(text, keep_newlines)
    return html.escape(shown if limit is None else capped(shown, limit), quote=True)


def plot_label(text: object, limit: int) -> str:
    """One printable line of at most ``limit`` characters for a matplotlib label (draw it under :data:`PLOT_RC`)."""
    return capped(printable(text, keep_newlines=False), limit)
