"""The inert-text helpers every writer of submission-controlled text goes through (autograder/grading/textsafe.py)."""

from __future__ import annotations

import csv
import io

import pytest

from autograder.grading.textsafe import FORMULA_STARTS, PLOT_RC, capped, csv_cell, csv_row, html_text, plot_label, printable

CONTROLS = [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_printable_escapes_every_control_character(char: str) -> None:
    out = printable(f"a{char}b")
    assert out == f"a\\x{ord(char):02x}b"
    assert not any(c in out for c in CONTROLS)


def test_printable_keeps_or_escapes_newlines() -> None:
    assert printable("a\nb\tc") == "a\nb\tc"
    assert printable("a\nb\tc", keep_newlines=False) == "a\\x0ab\\x09c"


@pytest.mark.parametrize("start", FORMULA_STARTS)
@pytest.mark.parametrize("rest", ['HYPERLINK("http://x","y")', "1+2", "cmd|' /C calc'!A0"])
def test_csv_cell_never_starts_a_formula(start: str, rest: str) -> None:
    cell = csv_cell(start + rest)
    assert isinstance(cell, str)
    assert not cell.startswith(FORMULA_STARTS)
    assert rest in cell
    buffer = io.StringIO()
    csv.writer(buffer).writerow(csv_row([start + rest, 3]))
    parsed = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert not parsed[0].startswith(FORMULA_STARTS)
    assert parsed[1] == "3"


@pytest.mark.parametrize("number", [-1, -2.5, 0, 17.25])
def test_csv_cell_keeps_numbers(number: float) -> None:
    assert csv_cell(number) == number
    assert csv_cell(str(number)) == str(number)


def test_capped_says_what_it_cut() -> None:
    assert capped("short", 10) == "short"
    out = capped("x" * 1000, 100)
    assert len(out) <= 100
    assert "characters left out" in out


def test_printable_escapes_lone_surrogates_so_every_writer_can_encode() -> None:
    out = printable("a\ud800b\udfff")
    assert out == "a\\ud800b\\udfff"
    out.encode("utf-8")  # would raise on a lone surrogate


def test_html_text_is_escaped_printable_and_capped() -> None:
    out = html_text("<script>\x1b[2J'\"&</script>\n" + "x" * 500, limit=100)
    assert "<" not in out and ">" not in out and "'" not in out and '"' not in out
    assert "\\x1b" in out and "\\x0a" in out  # one line: the newline escaped too
    assert "characters left out" in out
    assert html_text("a\nb", keep_newlines=True) == "a\nb"


def test_plot_label_is_one_capped_printable_line_drawn_as_plain_text() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label = plot_label("$\\frac{}{}$\n\x1b]0;t\x07" + "y" * 200, 40)
    assert "\n" not in label and "\x1b" not in label and len(label) <= 40
    with matplotlib.rc_context(PLOT_RC):
        fig, ax = plt.subplots()
        ax.set_title(label)
        ax.set_yticks([0], [r"$\frac{}{}$ costs $5"])
        fig.savefig(io.BytesIO(), format="png")  # mathtext would refuse these labels
        plt.close(fig)
    fig, ax = plt.subplots()
    ax.set_yticks([0], [r"$\frac{}{}$"])
    with pytest.raises(ValueError):  # what PLOT_RC prevents: matplotlib's own default parses mathtext
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
