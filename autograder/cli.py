"""``python -m autograder``: grade one submission, regenerate or check the stubs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.loader import ASSIGNMENTS, EXERCISES, SOLUTIONS


def cmd_grade(ns: argparse.Namespace) -> int:
    from autograder import grading

    submission = Path(ns.submission)
    if not submission.exists():
        print(f"error: submission {submission} does not exist", file=sys.stderr)
        return 2
    unknown = [e for e in ns.only or [] if e not in EXERCISES]
    if unknown:
        print(f"error: unknown exercise(s) {unknown}; choose from {list(EXERCISES)}", file=sys.stderr)
        return 2
    results = Path(ns.results).resolve()
    try:
        grading.grade(submission, ns.only, isolated=not ns.in_process, results=results, junit=ns.junit)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    if not results.exists():
        print(f"error: the grader did not produce {results}", file=sys.stderr)
        return 3
    return 0


def cmd_stubs(ns: argparse.Namespace) -> int:
    from autograder import stubs

    if ns.check:
        found = stubs.problems(Path(ns.src), Path(ns.dst))
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    written = stubs.generate(Path(ns.src), Path(ns.dst))
    print(f"{len(written)} stub file(s) written to {ns.dst}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="grade one submission with the hidden suites")
    grade.add_argument("submission", help="a submission root (folder with embeddings/, attention/, transformer/)")
    grade.add_argument("--results", default="results.json", help="where to write Gradescope results.json")
    grade.add_argument("--only", action="append", metavar="EXERCISE", help="grade only this exercise (repeatable)")
    grade.add_argument("--junit", type=Path, default=None, help="also write JUnit XML here")
    grade.add_argument("--in-process", action="store_true", help="import the submission here instead of in the worker (debugging only)")
    grade.set_defaults(run=cmd_grade)

    st = sub.add_parser("stubs", help="regenerate assignments/ from solutions/ (nbgrader's ClearSolutions)")
    st.add_argument("--check", action="store_true", help="only check that the stubs are up to date and leak nothing")
    st.add_argument("--src", default=str(SOLUTIONS))
    st.add_argument("--dst", default=str(ASSIGNMENTS))
    st.set_defaults(run=cmd_stubs)
    return parser


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    return ns.run(ns)
