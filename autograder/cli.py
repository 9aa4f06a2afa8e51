"""``python -m autograder``: grade one submission, regenerate or check the stubs."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

from autograder.loader import ASSIGNMENTS, EXERCISES, SOLUTIONS
from autograder.results import atomic_write


def _known_exercises(only: list[str] | None) -> bool:
    unknown = [e for e in only or [] if e not in EXERCISES]
    if unknown:
        print(f"error: unknown exercise(s) {unknown}; choose from {list(EXERCISES)}", file=sys.stderr)
    return not unknown


def _terminate_gracefully() -> None:
    """SIGTERM (from batch grading's timeout, CI's cancel) ends the run like Ctrl-C: the workers are killed on the way out."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def cmd_grade(ns: argparse.Namespace) -> int:
    from autograder import grading, notebooks, sandbox

    submission = Path(ns.submission)
    if not submission.exists():
        print(f"error: submission {submission} does not exist", file=sys.stderr)
        return 2
    if not _known_exercises(ns.only):
        return 2
    results = Path(ns.results).resolve()
    _terminate_gracefully()
    with tempfile.TemporaryDirectory(prefix="autograder-grade-") as tmp:
        private = Path(tmp)
        os.chmod(private, 0o700)
        refused = None
        notes: list[str] = []
        try:
            root = sandbox.prepare(submission, private / "submission")
            if notebooks.notebook_files([root]):  # solution cells are mapped back onto the modules
                root, notes = notebooks.prepare(root, private / "from-notebooks", stubs_root=ASSIGNMENTS)
        except sandbox.SubmissionError as error:
            refused, root = str(error), private / "empty"
            root.mkdir()
        junit = private / "junit.xml" if ns.junit else None
        try:
            report, _ = grading.grade(root, ns.only, isolated=not ns.in_process, junit=junit, refused=refused)
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 3
        if refused:
            report.output = f"This submission was not graded: {refused}"
        elif notes:
            report.output = "\n".join(notes)
        report.write(private / "results.json")
        atomic_write(results, (private / "results.json").read_bytes())
        if junit is not None and junit.exists():
            atomic_write(Path(ns.junit).resolve(), junit.read_bytes())
    if not ns.in_process and not refused:
        from autograder.worker import LAST_SANDBOX, describe_sandbox

        print(describe_sandbox(LAST_SANDBOX), file=sys.stderr)
    return 0


def cmd_batch(ns: argparse.Namespace) -> int:
    from autograder import batch

    folder = Path(ns.submissions)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    if not _known_exercises(ns.only):
        return 2
    try:
        shard = batch.parse_shard(ns.shard)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows = batch.run(folder, Path(ns.out), jobs=ns.jobs, only=ns.only, timeout=ns.timeout, in_process=ns.in_process, shard=shard)
    failed = sum(r.status != "graded" for r in rows)
    print(f"{len(rows)} submission(s): {len(rows) - failed} graded, {failed} not; gradebook: {Path(ns.out) / 'gradebook.csv'}", file=sys.stderr)
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
    grade.add_argument("submission", help="a submission: a folder with embeddings/, attention/, transformer/, or a .zip of one")
    grade.add_argument("--results", default="results.json", help="where to write Gradescope results.json")
    grade.add_argument("--only", action="append", metavar="EXERCISE", help="grade only this exercise (repeatable)")
    grade.add_argument("--junit", type=Path, default=None, help="also write JUnit XML here")
    grade.add_argument("--in-process", action="store_true", help="import the submission here instead of in the worker (debugging only)")
    grade.set_defaults(run=cmd_grade)

    bt = sub.add_parser("batch", help="grade every sub-folder / .zip of a folder; results per submission and gradebook.csv")
    bt.add_argument("submissions", help="a folder holding one sub-folder or .zip per submission")
    bt.add_argument("--out", required=True, help="output folder: results/<id>.json, logs/<id>.log, gradebook.csv")
    bt.add_argument("--jobs", type=int, default=1, help="submissions graded at the same time (each in its own grader process)")
    bt.add_argument("--only", action="append", metavar="EXERCISE", help="grade only this exercise (repeatable)")
    bt.add_argument("--timeout", type=float, default=1800, help="seconds one submission may take in all (default 1800)")
    bt.add_argument("--shard", default=None, metavar="K/N", help="grade only the K-th of N slices (1-based), e.g. one machine's share")
    bt.add_argument("--in-process", action="store_true", help="debugging only: no worker")
    bt.set_defaults(run=cmd_batch)

    st = sub.add_parser("stubs", help="regenerate assignments/ from solutions/ (nbgrader's ClearSolutions)")
    st.add_argument("--check", action="store_true", help="only check that the stubs are up to date and leak nothing")
    st.add_argument("--src", default=str(SOLUTIONS))
    st.add_argument("--dst", default=str(ASSIGNMENTS))
    st.set_defaults(run=cmd_stubs)
    return parser


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    return ns.run(ns)
