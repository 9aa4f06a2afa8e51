"""``make mutants``: grade every catalogued mistake (and a sample of generated ones) with the real grader.

    python -m tests.mutants.run [--generated N] [--jobs 2] [--only EXERCISE] [--in-process] [--markdown PATH]

Prints, per mutant, whether the hidden suite killed it (took points) and whether the feedback
named the mistake, and the same for the student's own loop: the public tests of the mutant's
exercise run in-process on the mutated copy (``make test``), killed when one of them fails, named
when a failing one says the mistake. Exits 1 when a hand-written mutant survives the hidden suite,
fewer than 80% of the named ones are named by it, or fewer than 80% of those the public tests
kill are named by them: a surviving mutant is a missing test, so add the test, never delete the mutant.
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
from typing import Any

from rich.console import Console
from rich.progress import Progress

from autograder.grading.loader import REPO_ROOT
from autograder.grading.results import Report
from tests.mutants import Mutant, all_mutants
from tests.mutants.generated import GeneratedMutant, sample

NAMED_GOAL = 0.8  # of the named mutants, the share the hidden suites must name
PUBLIC_NAMED_GOAL = 0.8  # of the named mutants the public tests kill, the share they must name
PUBLIC = REPO_ROOT / "tests" / "public"


@dataclass
class Outcome:
    id: str
    generated: bool
    killed: bool
    named: bool | None  # None: the mutant names no mistake to look for
    score: str
    seconds: float
    error: str = ""
    public_killed: bool | None = None  # None: the public pass was not run
    public_named: bool | None = None  # None: not run, or the mutant names no mistake


@dataclass
class PublicOutcome:
    killed: bool  # a public test failed
    named: bool | None  # a failing public test says the mistake; None when the mutant names none
    outputs: str  # the failing public tests' messages


class _Capture:
    """Keeps the plugin's report once a pytest session ends."""

    report: Report | None = None

    def pytest_sessionfinish(self, session: Any) -> None:
        from autograder.grading.plugin import report_of

        self.report = report_of(session.config)


def public_pass(mutant: Mutant | GeneratedMutant, root: Path) -> PublicOutcome:
    """Run the public tests of ``mutant``'s exercise in this process on ``root`` (the mutated copy), as ``make test`` does."""
    import pytest

    capture = _Capture()
    args = [str(PUBLIC / f"test_{mutant.exercise}.py"), "--rootdir", str(REPO_ROOT), "-c", str(REPO_ROOT / "pyproject.toml")]
    args += ["-p", "autograder.grading.plugin", "-p", "no:cacheprovider", "-p", "no:unraisableexception", "--submission", str(root), "-q", "--tb=no", "-rN"]
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main(args, plugins=[capture])
    if capture.report is None:
        raise RuntimeError(f"the public tests of {mutant.exercise} did not run")
    failed = [t for t in capture.report.tests if t.status != "passed"]
    outputs = "\n".join(t.output for t in failed)
    named = None if not mutant.expect else bool(failed) and mutant.expect in outputs
    return PublicOutcome(bool(failed), named, outputs)


def public_outcomes(mutants: list[Mutant]) -> dict[str, PublicOutcome]:
    """The public pass alone over ``mutants``, in this process (what the kit test holding the floor runs)."""
    found = {}
    for mutant in mutants:
        with tempfile.TemporaryDirectory() as tmp:
            found[mutant.id] = public_pass(mutant, mutant.apply(Path(tmp) / "submission"))
    return found


def grade_mutant(mutant: Mutant | GeneratedMutant, isolated: bool, public: bool = True) -> Outcome:
    """Grade ``mutant`` with its exercise's hidden suite and (``public``) run its public tests on it."""
    from autograder.grading.runner import grade

    start = time.perf_counter()
    generated = isinstance(mutant, GeneratedMutant)
    with tempfile.TemporaryDirectory() as tmp:
        root = mutant.apply(Path(tmp) / "submission")
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                report, _ = grade(root, only=[mutant.exercise], isolated=isolated)
            seen = public_pass(mutant, root) if public else None
        except Exception as error:  # noqa: BLE001 - a grader failure is an outcome to report, not a crash
            return Outcome(mutant.id, generated, False, None, "-", time.perf_counter() - start, f"{type(error).__name__}: {error}")
    killed = report.score < report.max_score
    named = None
    if mutant.expect:
        named = any(mutant.expect in t.output for t in report.tests if t.status != "passed")
    return Outcome(
        mutant.id,
        generated,
        killed,
        named,
        f"{report.score:g}/{report.max_score:g}",
        time.perf_counter() - start,
        public_killed=None if seen is None else seen.killed,
        public_named=None if seen is None else seen.named,
    )


def public_rate(outcomes: list[Outcome]) -> tuple[int, int, int]:
    """(killed, named, nameable killed) by the public tests, over the hand-written mutants."""
    hand = [o for o in outcomes if not o.generated and o.public_killed is not None]
    killed = [o for o in hand if o.public_killed]
    nameable = [o for o in killed if o.public_named is not None]
    return len(killed), sum(bool(o.public_named) for o in nameable), len(nameable)


def summarise(outcomes: list[Outcome]) -> tuple[list[str], bool]:
    hand = [o for o in outcomes if not o.generated]
    gen = [o for o in outcomes if o.generated]
    named_pool = [o for o in hand if o.named is not None]
    named = sum(bool(o.named) for o in named_pool)
    lines = [
        f"hand-written mutants killed: {sum(o.killed for o in hand)}/{len(hand)} by the hidden suites",
        f"hand-written mutants named:  {named}/{len(named_pool)} ({100 * named / max(len(named_pool), 1):.0f}%) by the hidden suites",
        f"generated mutants killed:    {sum(o.killed for o in gen)}/{len(gen)} (equivalent mutants may survive)",
    ]
    ok = all(o.killed for o in hand) and named >= NAMED_GOAL * len(named_pool)
    if any(o.public_killed is not None for o in hand):
        public_killed, public_named, nameable = public_rate(outcomes)
        lines += [
            f"public tests killed:         {public_killed}/{len(hand)} hand-written mutants (make test)",
            f"public tests named:          {public_named}/{nameable} ({100 * public_named / max(nameable, 1):.0f}%) of the nameable ones they kill",
        ]
        ok = ok and public_named >= PUBLIC_NAMED_GOAL * nameable
    return lines, ok


def markdown(outcomes: list[Outcome], summary: list[str]) -> str:
    def yes(value: bool | None) -> str:
        return "-" if value is None else ("yes" if value else "**no**")

    rows = ["| mutant | killed | named | public killed | public named | score | s |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for o in outcomes:
        public_named = "-" if not o.public_killed else yes(o.public_named)
        rows.append(f"| `{o.id}` | {yes(o.killed)} | {yes(o.named)} | {yes(o.public_killed)} | {public_named} | {o.score} | {o.seconds:.1f} |")
    return "\n".join(["\n".join(f"- {s}" for s in summary), "", *rows, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=40, help="how many generated mutants to sample (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", action="append", help="only mutants of this exercise")
    parser.add_argument("--in-process", action="store_true", help="grade in-process instead of in the sandboxed worker")
    parser.add_argument("--markdown", type=Path, help="also write the table as markdown")
    parser.add_argument("--no-public", action="store_true", help="skip the public pass (the student's loop)")
    ns = parser.parse_args(argv)

    mutants: list[Mutant | GeneratedMutant] = [*all_mutants(), *sample(ns.generated, ns.seed)]
    if ns.only:
        mutants = [m for m in mutants if m.exercise in ns.only]
    console = Console()
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(max_workers=ns.jobs) as pool, Progress(console=console, transient=True) as progress:
        task = progress.add_task("grading mutants", total=len(mutants))
        futures = [pool.submit(grade_mutant, m, not ns.in_process, not ns.no_public) for m in mutants]
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            progress.advance(task)
            if not outcome.killed or outcome.named is False or outcome.error:
                status = "SURVIVED" if not outcome.killed else "not named"
                console.print(f"{status:9} {outcome.id} {outcome.score} {outcome.error}")
            elif outcome.public_killed and outcome.public_named is False:
                console.print(f"{'public: not named':9} {outcome.id}")
    summary, ok = summarise(outcomes)
    for line in summary:
        console.print(line)
    if ns.markdown:
        ns.markdown.parent.mkdir(parents=True, exist_ok=True)
        ns.markdown.write_text(markdown(outcomes, summary), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
