"""The benchmark table's plumbing (the measurements themselves are ``make bench``, not tests)."""

import pytest

from bench import run
from bench.common import Row, timing_row
from bench.run import row_markdown, to_markdown


def test_timing_row_shows_both_sides_and_judges_the_ratio_only_against_a_target():
    judged = timing_row("sdpa", 0.015, 0.010, 1.5)
    assert (judged.ours, judged.baseline, judged.ratio, judged.target, judged.met) == ("15.0 ms", "10.0 ms", "1.50x", "<= 1.5x", True)
    assert timing_row("sdpa", 0.0151, 0.010, 1.5).met is False
    unjudged = timing_row("sdpa, default malloc", 0.03, 0.01, None)
    assert (unjudged.ratio, unjudged.target, unjudged.met) == ("3.00x", "-", None)


def test_markdown_marks_missed_targets_and_leaves_unjudged_rows_blank():
    rows = [("a", Row("met", "1 s", target="<= 2 s", met=True)), ("a", Row("missed", "3 s", target="<= 2 s", met=False)), ("b", Row("info", "4 s"))]
    table = to_markdown([(section, row_markdown(section, r)) for section, r in rows], "Measured in 12 s.")
    lines = table.splitlines()
    assert lines[0] == "Measured in 12 s." and lines[2].startswith("| section | benchmark |")
    assert lines[4:] == ["| a | met | 1 s | - | - | <= 2 s | yes |", "| a | missed | 3 s | - | - | <= 2 s | **no** |", "| b | info | 4 s | - | - | - | - |"]


def test_only_re_measures_one_section_and_keeps_the_other_rows_in_order(tmp_path, monkeypatch):
    out = tmp_path / "RESULTS.md"
    first = {"a": [Row("one", "1 s")], "b": [Row("two", "2 s")], "c": [Row("three", "3 s")]}
    monkeypatch.setattr(run, "sections", lambda quick: [(name, lambda rows=rows: rows) for name, rows in first.items()])
    assert run.main(["--out", str(out)]) == 0
    monkeypatch.setattr(run, "sections", lambda quick: [(name, lambda: [Row("two again", "5 s")]) for name in first])
    assert run.main(["--out", str(out), "--only", "b"]) == 0
    lines = out.read_text().splitlines()
    assert "Re-measured on their own: b" in lines[0]
    assert [line.split("|")[2].strip() for line in lines[4:]] == ["one", "two again", "three"]
    with pytest.raises(SystemExit):
        run.main(["--out", str(out), "--only", "nope"])
