"""The benchmark table's plumbing (the measurements themselves are ``make bench``, not tests)."""

from bench.common import Row, timing_row
from bench.run import to_markdown


def test_timing_row_shows_both_sides_and_judges_the_ratio_only_against_a_target():
    judged = timing_row("sdpa", 0.015, 0.010, 1.5)
    assert (judged.ours, judged.baseline, judged.ratio, judged.target, judged.met) == ("15.0 ms", "10.0 ms", "1.50x", "<= 1.5x", True)
    assert timing_row("sdpa", 0.0151, 0.010, 1.5).met is False
    unjudged = timing_row("sdpa, default malloc", 0.03, 0.01, None)
    assert (unjudged.ratio, unjudged.target, unjudged.met) == ("3.00x", "-", None)


def test_markdown_marks_missed_targets_and_leaves_unjudged_rows_blank():
    table = to_markdown([("a", Row("met", "1 s", target="<= 2 s", met=True)), ("a", Row("missed", "3 s", target="<= 2 s", met=False)),
                         ("b", Row("info", "4 s"))], seconds=12.0)
    lines = table.splitlines()
    assert lines[0].endswith("in 12 s.") and lines[2].startswith("| section | benchmark |")
    assert lines[4:] == ["| a | met | 1 s | - | - | <= 2 s | yes |", "| a | missed | 3 s | - | - | <= 2 s | **no** |", "| b | info | 4 s | - | - | - | - |"]
