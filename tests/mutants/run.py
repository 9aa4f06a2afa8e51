"""``make mutants``: grade every catalogued mistake (a sample of generated ones, and the held-out sets) with the real grader.

    python -m tests.mutants.run [--generated N] [--jobs 2] [--only EXERCISE] [--in-process] [--markdown PATH] [--heldout-only | --no-heldout] [--set LABEL]

Prints, per mutant, whether the hidden suite killed it (took points) and whether the feedback
named the mistake, and the same for the student's own loop: the public tests of the mutant's
exercise run in-process on the mutated copy (``make test``), killed when one of them fails, named
when a failing one says the mistake. Exits 1 when a hand-written mutant survives the hidden suite,
fewer than 80% of the named ones are named by it, or fewer than 80% of those the public tests
kill are named by them: a surviving mutant is a missing test, so add the test, never delete the mutant.

The held-out sets (``tests/mutants/heldout/``: mistakes written without reading the mistake models, frozen) are
graded the same way and named by their own rule (a regex in a ``Likely mistake:`` line). Their numbers are printed
beside the catalogue's, one line per set under the set's label (set A's plain "held-out", set B's "held-out B"),
public naming side by side, to show how far the models generalise; the held-out goal
(``HELDOUT_PUBLIC_NAMED_GOAL`` of them named by the public tests) is reported, not yet enforced.
``--heldout-only`` measures the held-out sets alone; ``--no-heldout`` leaves them out, for the runs made while the
mistake models are being changed (``--only EXERCISE`` alone would grade, and print, that exercise's held-out mistakes too).
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
from typing import Any, Literal

from rich.console import Console
from rich.progress import Progress

from autograder.grading.loader import REPO_ROOT
from autograder.grading.results import Report
from autograder.grading.textsafe import capped, printable
from tests.mutants import Mutant, all_mutants
from tests.mutants.generated import GeneratedMutant, sample
from tests.mutants.heldout import DEFAULT_LABEL, HeldOutMutant, all_heldout

NAMED_GOAL = 0.8  # of the named mutants, the share the hidden suites must name
PUBLIC_NAMED_GOAL = 0.8  # of the named mutants the public tests kill, the share they must name
HELDOUT_PUBLIC_NAMED_GOAL = 0.9  # of the held-out mistakes, the share the public tests should name: reported, not enforced yet
PUBLIC = REPO_ROOT / "tests" / "public"
FIRST_LINE_LIMIT = 200  # characters of a feedback line kept in the report

AnyMutant = Mutant | GeneratedMutant | HeldOutMutant
Kind = Literal["catalogue", "generated", "heldout"]


def kind_of(mutant: AnyMutant) -> Kind:
    if isinstance(mutant, HeldOutMutant):
        return "heldout"
    return "generated" if isinstance(mutant, GeneratedMutant) else "catalogue"


def names_mistake(mutant: AnyMutant, outputs: str) -> bool | None:
    """Whether failing tests' ``outputs`` name ``mutant``'s mistake; None when it names none to look for.

    The catalogue's rule is its literal ``expect`` anywhere in the feedback; a held-out mistake's is its own
    (a pattern in a named-mistake line, :meth:`HeldOutMutant.named_in`).
    """
    if isinstance(mutant, HeldOutMutant):
        return mutant.named_in(outputs)
    return None if not mutant.expect else mutant.expect in outputs


def first_line(outputs: str) -> str:
    """The first non-blank line of a feedback text, made inert and short enough for a table."""
    line = next((line.strip() for line in outputs.splitlines() if line.strip()), "")
    return capped(printable(line, keep_newlines=False), FIRST_LINE_LIMIT)


@dataclass
class Outcome:
    id: str
    kind: Kind
    killed: bool
    named: bool | None  # None: the mutant names no mistake to look for
    score: str
    seconds: float
    error: str = ""
    public_killed: bool | None = None  # None: the public pass was not run
    public_named: bool | None = None  # None: not run, or the mutant names no mistake
    description: str = ""  # a held-out mistake's description
    hidden_line: str = ""  # the first line of the hidden suite's failing feedback
    public_line: str = ""  # the first line of the public tests' failing feedback
    label: str = DEFAULT_LABEL  # a held-out mistake's set (its figures are printed per set)


@dataclass
class PublicOutcome:
    killed: bool  # a public test failed
    named: bool | None  # a failing public test says the mistake; None when the mutant names none
    outputs: str  # the failing public tests' messages

    @property
    def first_line(self) -> str:
        return first_line(self.outputs)


class _Capture:
    """Keeps the plugin's report once a pytest session ends."""

    report: Report | None = None

    def pytest_sessionfinish(self, session: Any) -> None:
        from autograder.grading.plugin import report_of

        self.report = report_of(session.config)


def public_pass(mutant: AnyMutant, root: Path) -> PublicOutcome:
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
    return PublicOutcome(bool(failed), names_mistake(mutant, outputs), outputs)


def public_outcomes(mutants: list[Mutant]) -> dict[str, PublicOutcome]:
    """The public pass alone over ``mutants``, in this process (what the kit test holding the floor runs)."""
    found = {}
    for mutant in mutants:
        with tempfile.TemporaryDirectory() as tmp:
            found[mutant.id] = public_pass(mutant, mutant.apply(Path(tmp) / "submission"))
    return found


def grade_mutant(mutant: AnyMutant, isolated: bool, public: bool = True) -> Outcome:
    """Grade ``mutant`` with its exercise's hidden suite and (``public``) run its public tests on it."""
    from autograder.grading.runner import grade

    start = time.perf_counter()
    kind = kind_of(mutant)
    label = mutant.label if isinstance(mutant, HeldOutMutant) else DEFAULT_LABEL
    with tempfile.TemporaryDirectory() as tmp:
        root = mutant.apply(Path(tmp) / "submission")
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                report, _ = grade(root, only=[mutant.exercise], isolated=isolated)
            seen = public_pass(mutant, root) if public else None
        except Exception as error:  # noqa: BLE001 - a grader failure is an outcome to report, not a crash
            return Outcome(mutant.id, kind, False, None, "-", time.perf_counter() - start, f"{type(error).__name__}: {error}", label=label)
    killed = report.score < report.max_score
    outputs = "\n".join(t.output for t in report.tests if t.status != "passed")
    return Outcome(
        mutant.id,
        kind,
        killed,
        names_mistake(mutant, outputs),
        f"{report.score:g}/{report.max_score:g}",
        time.perf_counter() - start,
        public_killed=None if seen is None else seen.killed,
        public_named=None if seen is None else seen.named,
        description=mutant.description if isinstance(mutant, HeldOutMutant) else "",
        hidden_line=first_line(outputs),
        public_line="" if seen is None else seen.first_line,
        label=label,
    )


def public_rate(outcomes: list[Outcome]) -> tuple[int, int, int]:
    """(killed, named, nameable killed) by the public tests, over the catalogue's mutants."""
    hand = [o for o in outcomes if o.kind == "catalogue" and o.public_killed is not None]
    killed = [o for o in hand if o.public_killed]
    nameable = [o for o in killed if o.public_named is not None]
    return len(killed), sum(bool(o.public_named) for o in nameable), len(nameable)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / max(whole, 1):.1f}%"


def heldout_by_set(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """The held-out outcomes by their set's label, in the order the sets were graded (oldest first)."""
    sets: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.kind == "heldout":
            sets.setdefault(o.label, []).append(o)
    return sets


def public_naming_line(outcomes: list[Outcome]) -> str:
    """Public naming side by side: of the catalogue's nameable mistakes the public tests kill, and of each held-out set's."""
    parts = []
    if any(o.kind == "catalogue" and o.public_killed is not None for o in outcomes):
        _, named, nameable = public_rate(outcomes)
        parts.append(f"catalogue {percent(named, nameable)} ({named}/{nameable} of those killed)")
    for label, heldout in heldout_by_set(outcomes).items():
        public = [o for o in heldout if o.public_killed is not None]
        if public:
            named = sum(bool(o.public_named) for o in public)
            killed = sum(bool(o.public_killed) for o in public)
            parts.append(f"{label} {percent(named, len(public))} ({named}/{len(public)}; {named}/{killed} of those killed)")
    return "public naming: " + " | ".join(parts)


def heldout_summary(outcomes: list[Outcome]) -> list[str]:
    """Each held-out set's rates on lines of its own: hidden suites and public tests, and the goal, reported (never fails the run)."""
    lines = []
    for label, heldout in heldout_by_set(outcomes).items():
        total = len(heldout)
        killed, named = sum(o.killed for o in heldout), sum(bool(o.named) for o in heldout)
        lines.append(f"{label + ' hidden suites:':<29}killed {killed}/{total} ({percent(killed, total)}), named {named}/{total} ({percent(named, total)})")
        public = [o for o in heldout if o.public_killed is not None]
        if public:
            public_killed, public_named = sum(bool(o.public_killed) for o in public), sum(bool(o.public_named) for o in public)
            met = public_named >= HELDOUT_PUBLIC_NAMED_GOAL * len(public)
            lines += [
                f"{label + ' public tests:':<29}killed {public_killed}/{len(public)} ({percent(public_killed, len(public))}), "
                f"named {public_named}/{len(public)} ({percent(public_named, len(public))})",
                f"{label} goal (public tests name >= {HELDOUT_PUBLIC_NAMED_GOAL:.0%}): {'met' if met else 'NOT met'} (reported, not enforced yet)",
            ]
    return lines


def summarise(outcomes: list[Outcome]) -> tuple[list[str], bool]:
    """The summary lines and whether the catalogue's goals hold (the held-out sets' numbers never fail the run)."""
    hand = [o for o in outcomes if o.kind == "catalogue"]
    gen = [o for o in outcomes if o.kind == "generated"]
    named_pool = [o for o in hand if o.named is not None]
    named = sum(bool(o.named) for o in named_pool)
    ok = all(o.killed for o in hand) and named >= NAMED_GOAL * len(named_pool)
    lines = []
    if hand or gen:
        lines += [
            f"hand-written mutants killed: {sum(o.killed for o in hand)}/{len(hand)} by the hidden suites",
            f"hand-written mutants named:  {named}/{len(named_pool)} ({100 * named / max(len(named_pool), 1):.0f}%) by the hidden suites",
            f"generated mutants killed:    {sum(o.killed for o in gen)}/{len(gen)} (equivalent mutants may survive)",
        ]
    if any(o.public_killed is not None for o in hand):
        public_killed, public_named, nameable = public_rate(outcomes)
        lines += [
            f"public tests killed:         {public_killed}/{len(hand)} hand-written mutants (make test)",
            f"public tests named:          {public_named}/{nameable} ({100 * public_named / max(nameable, 1):.0f}%) of the nameable ones they kill",
        ]
        ok = ok and public_named >= PUBLIC_NAMED_GOAL * nameable
    if any(o.public_killed is not None for o in outcomes):
        lines.append(public_naming_line(outcomes))
    return lines + heldout_summary(outcomes), ok


def _cell(text: str) -> str:
    """Feedback text as one markdown table cell: no pipe or backtick closes it early."""
    return text.replace("|", "\\|").replace("`", "'")


def yes(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "**no**")


def heldout_rows(outcomes: list[Outcome]) -> list[str]:
    """One table per held-out set: per mistake, caught and named by each pass, and the first feedback line when not named."""
    rows = []
    for label, heldout in heldout_by_set(outcomes).items():
        rows += [
            "",
            f"### {label[:1].upper()}{label[1:]} mistakes",
            "",
            "| mistake | hidden killed | hidden named | public killed | public named | first feedback line when not named | mistake in words |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for o in heldout:
            line = "" if o.public_named else (o.public_line if o.public_killed else f"(hidden) {o.hidden_line}" if o.hidden_line else o.error)
            rows.append(
                f"| `{o.id}` | {yes(o.killed)} | {yes(o.named)} | {yes(o.public_killed)} | {yes(o.public_named) if o.public_killed else '-'} "
                f"| {_cell(line)} | {_cell(o.description)} |"
            )
    return rows


def markdown(outcomes: list[Outcome], summary: list[str]) -> str:
    rows = []
    for o in outcomes:
        if o.kind == "heldout":
            continue
        public_named = "-" if not o.public_killed else yes(o.public_named)
        rows.append(f"| `{o.id}` | {yes(o.killed)} | {yes(o.named)} | {yes(o.public_killed)} | {public_named} | {o.score} | {o.seconds:.1f} |")
    if rows:
        rows[:0] = ["| mutant | killed | named | public killed | public named | score | s |", "| --- | --- | --- | --- | --- | --- | --- |"]
    return "\n".join(["\n".join(f"- {s}" for s in summary), "", *rows, *heldout_rows(outcomes), ""])


def report_progress(console: Console, outcome: Outcome) -> None:
    """One line for a mutant that needs attention: survived, not named by the hidden suite, or by the public tests."""
    if not outcome.killed or outcome.named is False or outcome.error:
        status = "SURVIVED" if not outcome.killed else "not named"
        line = f"{status:9} {outcome.id} {outcome.score} {outcome.error}"
    elif outcome.public_killed and outcome.public_named is False:
        line = f"{'public: not named':9} {outcome.id}"
        if outcome.kind == "heldout":
            line += f": {outcome.public_line}"
    else:
        return
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=40, help="how many generated mutants to sample (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", action="append", help="only mutants of this exercise")
    parser.add_argument("--in-process", action="store_true", help="grade in-process instead of in the sandboxed worker")
    parser.add_argument("--markdown", type=Path, help="also write the table as markdown")
    parser.add_argument("--no-public", action="store_true", help="skip the public pass (the student's loop)")
    parser.add_argument("--heldout-only", action="store_true", help="only the held-out sets (tests/mutants/heldout/), not the catalogue")
    parser.add_argument(
        "--no-heldout", action="store_true", help="leave the held-out sets out: while mistake models change, a held-out set is not looked at"
    )
    parser.add_argument("--set", action="append", dest="sets", metavar="LABEL", help="only this held-out set (its LABEL; repeatable)")
    ns = parser.parse_args(argv)

    mutants: list[AnyMutant] = [] if ns.no_heldout else [m for m in all_heldout() if not ns.sets or m.label in ns.sets]
    if not ns.heldout_only:
        mutants = [*all_mutants(), *sample(ns.generated, ns.seed), *mutants]
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
            report_progress(console, outcome)
    summary, ok = summarise(outcomes)
    for line in summary:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if ns.markdown:
        ns.markdown.parent.mkdir(parents=True, exist_ok=True)
        ns.markdown.write_text(markdown(outcomes, summary), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
