"""Ways to show a :class:`~autograder.results.Report`: a terminal table (rich).

A failure's first line is the submission's text as much as the grader's (its exception message, its reprs): it
reaches the table printable (:func:`~autograder.grading.textsafe.printable`, no escape sequence reaches the
terminal or a batch log) and as a :class:`rich.text.Text`, never parsed for rich markup or emoji codes.
"""

from __future__ import annotations

import io
import shutil

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.grading.results import Report
from autograder.grading.textsafe import capped, printable

STYLE = {"passed": "green", "failed": "red", "not implemented yet": "yellow"}
DETAIL_LIMIT = 300  # characters of a first failure shown


def render_table(report: Report, points: bool = True, width: int | None = None) -> str:
    """A per-exercise table that fits an 80-column terminal; the first failure of each exercise."""
    width = width or min(shutil.get_terminal_size((80, 24)).columns, 120)
    table = Table(title=None, show_lines=False, expand=False, width=width)
    table.add_column("exercise", no_wrap=True)
    table.add_column("tests", justify="right", no_wrap=True)
    if points:
        table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status / first problem", overflow="fold")
    for s in report.exercises():
        status = s.status
        detail = status if status != "failed" else s.first_failure
        row: list[str | Text] = [s.exercise, f"{s.passed}/{s.total}"]
        if points:
            row.append(f"{s.score:g}/{s.max_score:g}")
        row.append(Text(capped(printable(detail, keep_newlines=False), DETAIL_LIMIT), style=STYLE.get(status, "red")))
        table.add_row(*row)
    if points:
        table.add_section()
        table.add_row(
            "total",
            f"{sum(t.status == 'passed' for t in report.tests)}/{len(report.tests)}",
            f"{report.score:g}/{report.max_score:g}",
            "",
        )
    buf = io.StringIO()
    Console(
        file=buf, width=width, force_terminal=None, force_jupyter=False, color_system="auto" if _isatty() else None
    ).print(table)
    return buf.getvalue()


def _isatty() -> bool:
    import sys

    return sys.stdout.isatty()
