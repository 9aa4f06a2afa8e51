"""``make mutants``: grade every catalogued mistake (and a sample of generated ones) with the real grader.

    python -m tests.mutants.run [--generated N] [--jobs 2] [--only EXERCISE] [--in-process] [--markdown PATH]

Prints, per mutant, whether the hidden suite killed it (took points) and whether the feedback
named the mistake. Exits 1 when a hand-written mutant survives or fewer than 80% of the named
ones are named: a surviving mutant is a missing test, so add the test, never delete the mutant.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from tests.mutants import Mutant, all_mutants
from tests.mutants.generated import GeneratedMutant, sample

NAMED_GOAL = 0.8


@dataclass
class Outcome:
    id: str
    generated: bool
    killed: bool
    named: bool | None  # None: the mutant names no mistake to look for
    score: str
    seconds: float
    error: str = ""


def grade_mutant(mutant: Mutant | GeneratedMutant, isolated: bool) -> Outcome:
    from autograder.grading.runner import grade

    start = time.perf_counter()
    generated = isinstance(mutant, GeneratedMutant)
    with tempfile.TemporaryDirectory() as tmp:
        root = mutant.apply(Path(tmp) / "submission")
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                report, _ = grade(root, only=[mutant.exercise], isolated=isolated)
        except Exception as error:  # noqa: BLE001 - a grader failure is an outcome to report, not a crash
            return Outcome(mutant.id, generated, False, None, "-", time.perf_counter() - start, f"{type(error).__name__}: {error}")
    killed = report.score < report.max_score
    named = None
    if mutant.expect:
        named = any(mutant.expect in t.output for t in report.tests if t.status != "passed")
    return Outcome(mutant.id, generated, killed, named, f"{report.score:g}/{report.max_score:g}", time.perf_counter() - start)


def summarise(outcomes: list[Outcome]) -> tuple[list[str], bool]:
    hand = [o for o in outcomes if not o.generated]
    gen = [o for o in outcomes if o.generated]
    named_pool = [o for o in hand if o.named is not None]
    named = sum(bool(o.named) for o in named_pool)
    lines = [
        f"hand-written mutants killed: {sum(o.killed for o in hand)}/{len(hand)}",
        f"hand-written mutants named:  {named}/{len(named_pool)} ({100 * named / max(len(named_pool), 1):.0f}%)",
        f"generated mutants killed:    {sum(o.killed for o in gen)}/{len(gen)} (equivalent mutants may survive)",
    ]
    ok = all(o.killed for o in hand) and named >= NAMED_GOAL * len(named_pool)
    return lines, ok


def markdown(outcomes: list[Outcome], summary: list[str]) -> str:
    rows = ["| mutant | killed | named | score | s |", "| --- | --- | --- | --- | --- |"]
    for o in outcomes:
        named = "-" if o.named is None else ("yes" if o.named else "**no**")
        rows.append(f"| `{o.id}` | {'yes' if o.killed else '**no**'} | {named} | {o.score} | {o.seconds:.1f} |")
    return "\n".join(["\n".join(f"- {s}" for s in summary), "", *rows, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=40, help="how many generated mutants to sample (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", action="append", help="only mutants of this exercise")
    parser.add_argument("--in-process", action="store_true", help="grade in-process instead of in the sandboxed worker")
    parser.add_argument("--markdown", type=Path, help="also write the table as markdown")
    ns = parser.parse_args(argv)

    mutants: list[Mutant | GeneratedMutant] = [*all_mutants(), *sample(ns.generated, ns.seed)]
    if ns.only:
        mutants = [m for m in mutants if m.exercise in ns.only]
    console = Console()
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(max_workers=ns.jobs) as pool, Progress(console=console, transient=True) as progress:
        task = progress.add_task("grading mutants", total=len(mutants))
        futures = [pool.submit(grade_mutant, m, not ns.in_process) for m in mutants]
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            progress.advance(task)
            if not outcome.killed or outcome.named is False or outcome.error:
                status = "SURVIVED" if not outcome.killed else "not named"
                console.print(f"{status:9} {outcome.id} {outcome.score} {outcome.error}")
    summary, ok = summarise(outcomes)
    for line in summary:
        console.print(line)
    if ns.markdown:
        ns.markdown.parent.mkdir(parents=True, exist_ok=True)
        ns.markdown.write_text(markdown(outcomes, summary), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
