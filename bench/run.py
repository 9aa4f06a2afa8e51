"""``make bench``: every benchmark of the kit in one run, side by side, as one markdown table.

    .venv/bin/python -m bench.run [--quick] [--only SECTION ...] [--out bench/RESULTS.md] [--readme]

Sections: the student's ``make test``; the grader (one submission, overhead, batch ``--jobs 1``
vs ``--jobs 2``, determinism); one grade of the reference against the kit before issue 18, with and without the warm
template; the CPU a batch spends per submission, side by side with main before issue 20's savings
(``bench/batch_cpu.py``), with ``--jobs 1`` and ``--jobs 2``; reference attention and layers vs PyTorch's built-ins; the
reference skip-gram vs gensim's Word2Vec; the behaviour tests' margin over 20 seeds; nbgrader's
``autograde`` vs ``python -m autograder grade`` on the same submission; the class report on 100
graded submissions; the reference through Gradescope's ``run_autograder`` in Docker vs bare. ``--only``
re-measures the named sections and keeps the other rows of ``--out``.
``--readme`` copies the table into README.md between its bench markers. Numbers are timings of this machine at this
moment: a loaded machine makes them worse, never better.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from autograder.grading.loader import REPO_ROOT
from bench.common import PY, Row, median_of_runs

README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def make_test_rows() -> list[Row]:
    rows = []
    for name in ("solutions", "assignments"):
        seconds = median_of_runs([PY, "-m", "pytest", "tests/public", "-p", "autograder.grading.plugin", "--submission", name, "-q"])
        rows.append(Row(f"`make test` on {name}/", f"{seconds:.1f} s", target="<= 5 s", met=seconds <= 5))
    return rows


def grader_rows(quick: bool) -> list[Row]:
    from bench import grader_overhead

    only = ["one_hot"] if quick else None
    rows = grader_overhead.measure(only, count=0, jobs=2, log=lambda *a: None)
    times = {}
    for jobs in (1, 2):
        seconds, graded, _, _, _ = grader_overhead.batch_throughput(20, jobs, ["one_hot"] if quick else None)
        times[jobs] = seconds
        rows.append(Row(f"batch of 20 submissions{' (one_hot only)' if quick else ''}, --jobs {jobs}", f"{seconds:.1f} s ({graded} graded)"))
    rows.append(Row("batch speed-up, --jobs 2 vs 1", f"{times[1] / times[2]:.2f}x", target="> 1.3x", met=times[1] / times[2] > 1.3))
    return rows


def sections(quick: bool) -> list[tuple[str, Callable[[], list[Row]]]]:
    from bench import (
        attention_vs_torch,
        batch_cpu,
        behaviour_margin,
        bpe_vs_tokenizers,
        class_report,
        container_overhead,
        grading_time,
        hanging_submission,
        layers_vs_torch,
        nbgrader_vs_grader,
        skipgram_vs_gensim,
        watch_feedback,
    )

    return [
        ("student loop", make_test_rows),
        ("student loop", watch_feedback.rows),
        ("grader", lambda: grader_rows(quick)),
        ("grading time", lambda: grading_time.rows(runs=1 if quick else 3)),
        ("batch CPU", lambda: batch_cpu.rows(count=2 if quick else 6, repeat=1 if quick else 2)),
        ("hanging submission", lambda: hanging_submission.rows(every=not quick)),
        ("attention vs PyTorch", attention_vs_torch.rows),
        ("encoder layer vs PyTorch", layers_vs_torch.rows),
        ("skip-gram vs gensim", skipgram_vs_gensim.rows),
        ("BPE vs tokenizers", bpe_vs_tokenizers.rows),
        ("behaviour margin", lambda: behaviour_margin.rows(seeds=5 if quick else 20)),
        ("nbgrader", nbgrader_vs_grader.rows),
        ("class report", class_report.rows),
        ("container", container_overhead.rows),
    ]


HEADER = ["| section | benchmark | ours | baseline | ratio | target | met |", "| --- | --- | --- | --- | --- | --- | --- |"]


def to_markdown(table: list[tuple[str, str]], measured: str) -> str:
    """The table, from (section, markdown row) pairs, under the line that says how it was measured."""
    return "\n".join([measured, "", *HEADER, *(row for _, row in table)]) + "\n"


def row_markdown(section: str, r: Row) -> str:
    met = "-" if r.met is None else ("yes" if r.met else "**no**")
    return f"| {section} | {r.benchmark} | {r.ours} | {r.baseline} | {r.ratio} | {r.target} | {met} |"


def earlier_rows(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """(the measured-by line, (section, row) pairs) of an earlier table at ``path``; nothing when there is none."""
    if not path.is_file():
        return "", []
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [(line.split("|")[1].strip(), line) for line in lines if line.startswith("| ") and line not in HEADER]
    return (lines[0] if lines else ""), rows


def update_readme(markdown: str, readme: Path = REPO_ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    readme.write_text(f"{head}{README_START}\n{markdown}{README_END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (one exercise for the grader, 5 seeds)")
    parser.add_argument("--only", action="append", metavar="SECTION", help="re-measure this section only (repeatable)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--readme", action="store_true", help="copy the table into README.md")
    ns = parser.parse_args(argv)
    chosen = sections(ns.quick)
    names = list(dict.fromkeys(name for name, _ in chosen))
    unknown = sorted(set(ns.only or []) - set(names))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(names)}")
    console = Console(stderr=True)
    start = time.perf_counter()
    measured: dict[str, list[str]] = {}
    for name, fn in chosen:
        if ns.only and name not in ns.only:
            continue
        with console.status(f"bench: {name}"):
            try:
                rows = fn()
            except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the others
                rows = [Row(name, f"failed: {type(error).__name__}: {error}", met=False)]
        measured.setdefault(name, []).extend(row_markdown(name, r) for r in rows)
        console.print(f"[green]done[/] {name}: " + "; ".join(f"{r.benchmark} {r.ours}" for r in rows)[:300])
    seconds = time.perf_counter() - start
    line = f"Measured by `make bench` on {platform.machine()}, {platform.python_version()}, in {seconds:.0f} s."
    table = [(name, row) for name in measured for row in measured[name]]
    if ns.only:  # the other sections' rows stay as they were measured, in the table's order
        line, earlier = earlier_rows(ns.out)
        line += f" Re-measured on their own: {', '.join(ns.only)} ({seconds:.0f} s)."
        kept = {name: [row for section, row in earlier if section == name] for name in names}
        table = [(name, row) for name in names for row in (measured.get(name) or kept[name])]
    markdown = to_markdown(table, line)
    ns.out.write_text(markdown, encoding="utf-8")
    if ns.readme:
        update_readme(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
