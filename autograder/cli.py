"""``python -m autograder <subcommand>``: the kit's one command line (the Makefile calls only this).

Subcommands are a table (:data:`SUBCOMMANDS`, as nbgrader's ``subcommands = dict(...)``): a name, a
one-line help, the arguments and the function that runs it. Grading subcommands import the grading
path only; the instructor's subcommands import :mod:`autograder.authoring` when they run, so a kit
without it (the student bundle, the Gradescope zip) still grades and says clearly what is missing.

Exit codes: 0 done (for ``grade``: whatever the score), 1 a check found problems, 2 bad input
(unknown exercise, missing submission, a setting that does not parse), 3 the grader itself could not run.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.runtime.curriculum import EXERCISES
from autograder.settings import STRICT, VISIBILITIES, Settings, SettingsError

if TYPE_CHECKING:
    from autograder.grading.grade import GradeOptions


class UsageError(Exception):
    """Bad input from the user of the command line (exit code 2)."""


def _known_exercises(only: list[str] | None) -> None:
    unknown = [e for e in only or [] if e not in EXERCISES]
    if unknown:
        raise UsageError(f"unknown exercise(s) {unknown}; choose from {list(EXERCISES)}")


def _authoring(module: str) -> types.ModuleType:
    """An authoring module, or a clear error where this copy of the kit has none (a student bundle, Gradescope)."""
    import importlib

    try:
        return importlib.import_module(f"autograder.authoring.{module}")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("autograder.authoring"):
            raise UsageError(
                "this subcommand is the instructor's: it needs the full course kit (autograder/authoring/)"
            ) from None
        raise


def _terminate_gracefully() -> None:
    """SIGTERM (from batch grading's timeout, CI's cancel) ends the run like Ctrl-C: the workers are killed on the way
    out.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


# --------------------------------------------------------------------------- grading


def _grade_options(ns: argparse.Namespace, results: Path) -> GradeOptions:
    """The grade options of ``ns`` (the exercises checked first: a typo is a usage error, not an empty grade)."""
    from autograder.grading.grade import GradeOptions

    _known_exercises(ns.only)
    return GradeOptions(results, ns.only, ns.junit, ns.in_process, ns.public, ns.hidden_visibility)


def cmd_grade(ns: argparse.Namespace) -> int:
    from autograder.grading.grade import REFUSED, Refused, grade_submission

    submission = Path(ns.submission)
    if not submission.exists():
        raise UsageError(f"submission {submission} does not exist")
    options = _grade_options(ns, Path(ns.results))
    _terminate_gracefully()
    try:
        grade_submission(submission, options)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return REFUSED
    return 0


def cmd_batch(ns: argparse.Namespace) -> int:
    from autograder.grading import batch
    from autograder.grading.engines import plan

    if ns.reduce is not None:
        try:
            rows = plan.reduce(Path(ns.reduce))
        except plan.EngineError as error:
            raise UsageError(str(error)) from None
        print(f"{batch.summary(rows)}; gradebook: {Path(ns.reduce) / 'gradebook.csv'}", file=sys.stderr)
        return 0
    if ns.submissions is None or ns.out is None:
        raise UsageError("batch needs the submissions folder and --out OUT (or --reduce OUT alone)")
    folder, out = Path(ns.submissions), Path(ns.out)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder (pass the folder that holds one sub-folder or .zip per submission)")
    _known_exercises(ns.only)
    _terminate_gracefully()  # scancel, a pod's end: stop the grade processes, keep what is graded
    try:
        if ns.task is not None:
            try:
                rows = plan.run_task(folder, out, plan.task_index(ns.task))
            except KeyboardInterrupt:  # scancel, a pod evicted: its grade processes are stopped, its rows kept
                print(f"task {os.environ.get(ns.task)} stopped; what it graded is kept", file=sys.stderr)
                return 128 + signal.SIGTERM
            print(f"task {os.environ.get(ns.task)}: {batch.summary(rows)}", file=sys.stderr)
            return 0
        if ns.slurm is not None or ns.k8s:
            return _batch_engine(ns, folder, out)
        shard = batch.parse_shard(ns.shard)
    except (ValueError, plan.EngineError) as error:
        raise UsageError(str(error)) from None
    timeout = ns.timeout if ns.timeout is not None else Settings.from_env().batch_timeout
    rows = batch.run(folder, out, jobs=ns.jobs, only=ns.only, timeout=timeout, in_process=ns.in_process, shard=shard)
    print(f"{batch.summary(rows)}; gradebook: {out / 'gradebook.csv'}", file=sys.stderr)
    return 0


def _batch_engine(ns: argparse.Namespace, folder: Path, out: Path) -> int:
    """``batch --slurm`` or ``--k8s``: write the plan and hand its chunks to the engine."""
    from autograder.grading import batch
    from autograder.grading.engines import plan

    settings = Settings.from_env()
    timeout = ns.timeout if ns.timeout is not None else settings.batch_timeout
    the_plan = plan.Plan.make(folder, ns.only, timeout, "slurm" if ns.slurm is not None else "k8s", settings.chunk_size)
    if ns.k8s:
        from autograder.grading.engines import kubernetes

        if not ns.image or not ns.claim:
            raise UsageError("--k8s needs --image (the grader's image, see OUT/k8s/image) and --claim (the volume)")
        with tempfile.TemporaryDirectory(prefix="autograder-k8s-") as tmp:
            kit = _authoring("gradescope").build_gradescope(Path(tmp) / "autograder.zip")
            manifest = kubernetes.write(out, the_plan, settings, ns.image, ns.claim, kit)
        print(
            f"{manifest} written: {the_plan.chunks} pod(s) of up to {settings.chunk_size} submission(s); build the "
            f"image from {out / 'k8s' / 'image'}, copy the submissions and {out} to the claim, then "
            f"`kubectl apply -f {manifest}`",
            file=sys.stderr,
        )
        return 0
    from autograder.grading.engines import slurm

    try:
        earlier = plan.Plan.read(out)
    except plan.EngineError:
        earlier = None
    if earlier is not None and earlier.engine == "slurm" and earlier.job and slurm.tasks_left(earlier.job):
        raise UsageError(f"job {earlier.job} is still grading {out}: wait for it, or scancel it and submit again")
    job = slurm.submit(folder, out, the_plan, ns.slurm, settings)
    print(f"submitted job {job}: {the_plan.chunks} array task(s) of up to {settings.chunk_size}", file=sys.stderr)
    if not ns.wait:
        print(f"`python -m autograder batch --reduce {out}` writes the gradebook once it is done", file=sys.stderr)
        return 0
    slurm.wait(job, out.resolve(), the_plan)
    rows = plan.reduce(out)
    print(f"{batch.summary(rows)}; gradebook: {out / 'gradebook.csv'}", file=sys.stderr)
    return 0


def cmd_export(ns: argparse.Namespace) -> int:
    from autograder.grading import export

    out = Path(ns.graded)
    if not out.is_dir():
        raise UsageError(f"{out} is not a folder (pass a batch --out folder)")
    if ns.canvas is None and not ns.csv:
        raise UsageError("say what to write: --canvas ROSTER.csv (Canvas's gradebook import) and/or --csv (any LMS)")
    try:
        if ns.csv:
            print(f"any LMS: {export.plain(out, out / 'grades.csv')}")
        if ns.canvas is not None:
            dest, listing, unmatched = export.canvas(
                out, Path(ns.canvas), out / "canvas.csv", ns.title, ns.assignment_id
            )
            print(f"Canvas: {dest} (Grades > Import); not joined: {listing}")
            print(
                f"  {len(unmatched.submissions)} submission(s) without a student, {len(unmatched.students)} student(s) "
                "without a grade"
            )
            if unmatched.written:
                print(f"  {len(unmatched.written)} grade(s) without every written answer graded (listed as 'written')")
    except export.ExportError as error:
        raise UsageError(str(error)) from None
    return 0


def cmd_gradescope_run(ns: argparse.Namespace) -> int:
    from autograder.grading.grade import REFUSED, Refused
    from autograder.grading.gradescope import gradescope_run

    parser = argparse.ArgumentParser(prog="python -m autograder gradescope-run [--root ROOT] --")
    _grade_option_args(parser)
    options = _grade_options(parser.parse_args([a for a in ns.grade_args if a != "--"]), Path("results.json"))
    os.environ.setdefault("AUTOGRADER_REQUIRE", STRICT)  # a separate uid, no network: or no grading at all
    _terminate_gracefully()
    try:
        gradescope_run(ns.root, options)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return REFUSED
    return 0


def cmd_handin(ns: argparse.Namespace) -> int:
    from autograder.grading.handin import prepare
    from autograder.grading.sandbox import SubmissionError

    try:
        root, notes = prepare(Path(ns.handin), Path(ns.out))
    except SubmissionError as error:
        raise UsageError(str(error)) from None
    from autograder.grading.textsafe import printable

    print(printable("\n".join(notes)))  # the notes name the hand-in's files
    print(f"submission root: {root}")
    return 0


def cmd_config(ns: argparse.Namespace) -> int:
    settings = Settings.from_env()
    rows = settings.describe()
    width = max(len(r[0]) for r in rows)
    for variable, value, origin, help_text in rows:
        print(f"{variable:<{width}}  {value:<14} ({origin})  {help_text}")
    return 0


# --------------------------------------------------------------------------- the student's (standard library first)


def _venv_or_here(ns: argparse.Namespace, argv: list[str]) -> int | None:
    """Re-run ``argv`` inside the kit's .venv (set up when needed), unless ``--no-venv`` or already in it."""
    from autograder import student

    if ns.no_venv or student.in_venv():
        return None
    return student.run_in_venv(argv)


def cmd_setup(ns: argparse.Namespace) -> int:
    from autograder import student

    status = student.setup()
    if status == 0:
        print(f"{student.VENV.name} is ready: `python -m autograder test` runs the public tests")
    return status


def cmd_test(ns: argparse.Namespace) -> int:
    from autograder import student

    _known_exercises(ns.exercises)
    argv = ["test", *ns.exercises, "--", *ns.pytest_args]
    status = _venv_or_here(ns, argv)
    return student.run_tests(ns.exercises, ns.pytest_args) if status is None else status


def cmd_watch(ns: argparse.Namespace) -> int:
    from autograder import student

    _known_exercises([ns.exercise])
    argv = ["watch", ns.exercise, "--interval", str(ns.interval), "--", *ns.pytest_args]
    if ns.max_runs is not None:
        argv[2:2] = ["--max-runs", str(ns.max_runs)]
    status = _venv_or_here(ns, argv)
    if status is None:
        student.watch(ns.exercise, ns.pytest_args, interval=ns.interval, max_runs=ns.max_runs)
        return 0
    return status


def cmd_lab(ns: argparse.Namespace) -> int:
    status = _venv_or_here(ns, ["lab"])
    if status is None:
        from autograder.layout import REPO_ROOT

        return subprocess.call([sys.executable, "-m", "jupyter", "lab", "notebooks"], cwd=REPO_ROOT)
    return status


def cmd_zip(ns: argparse.Namespace) -> int:
    from autograder import student

    names = student.zip_handin(Path(ns.out).resolve())
    print(f"{ns.out} written: {len(names)} file(s) of {' and '.join(student.HANDIN)}")
    notes = student.graded_from(Path(ns.out).resolve())
    if notes:
        print("what will be graded, module by module:")
        print("\n".join(f"  {note}" for note in notes))
    return 0


# --------------------------------------------------------------------------- authoring (the instructor's)


def cmd_stubs(ns: argparse.Namespace) -> int:
    stubs = _authoring("stubs")
    from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS

    src, dst = Path(ns.src or SOLUTIONS), Path(ns.dst or ASSIGNMENTS)
    if ns.check:
        found = stubs.problems(src, dst)
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    problems = _authoring("notebooks").narrative_problems(_authoring("course").solution_modules(src))
    if problems:  # checked before anything is written: a new exercise's stub and notebook come together or not at all
        for line in problems:
            print(f"error: {line}", file=sys.stderr)
        return 1
    written = stubs.generate(src, dst)
    print(f"{len(written)} stub file(s) written to {dst}")
    return 0


def cmd_notebooks(ns: argparse.Namespace) -> int:
    notebooks = _authoring("notebooks")
    from autograder.grading.loader import REPO_ROOT

    unplaced = notebooks.narrative_problems()
    if unplaced:
        for line in unplaced:
            print(f"error: {line}", file=sys.stderr)
        return 1
    if ns.check:
        found = notebooks.notebook_problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    written = notebooks.write_source_notebooks()
    print(f"{len(written)} source notebook(s) written to {notebooks.SOURCE_DIR.relative_to(REPO_ROOT)}")
    if ns.execute:
        for path in notebooks.execute_reference():
            print(f"  {path.relative_to(REPO_ROOT)}")
    return 0


def cmd_release(ns: argparse.Namespace) -> int:
    bundle = _authoring("bundle")
    dest = ns.dest or bundle.DIST
    built = bundle.release(dest)
    print(f"student bundle: {built} (+ {dest / 'student.zip'}); nbgrader release: {bundle.COURSE_DIR / 'release'}")
    return 0


def cmd_gradescope(ns: argparse.Namespace) -> int:
    gradescope = _authoring("gradescope")
    built = gradescope.build_gradescope(ns.dest or gradescope.DIST / "autograder.zip", ns.hidden_visibility)
    print(f"Gradescope autograder: {built} (hidden tests: {ns.hidden_visibility})")
    return 0


def cmd_leaks(ns: argparse.Namespace) -> int:
    found = _authoring("leaks").bundle_leaks(ns.bundle)
    print("\n".join(found) or "no leaks")
    return 1 if found else 0


def cmd_written(ns: argparse.Namespace) -> int:
    from autograder.grading import written

    if not ns.submissions.is_dir():
        raise UsageError(
            f"{ns.submissions} is not a folder (Gradescope's Download Submissions is a zip: unzip it, pass the folder)"
        )
    pdfs = written.write_class(ns.submissions, ns.out, rubric=not ns.no_rubric)
    print(f"{len(pdfs)} PDF(s) of written answers in {ns.out / 'written'}; points go in {ns.out / written.SCORES}")
    if (ns.out / "gradebook.csv").exists():
        print(f"{ns.out / 'gradebook.csv'}: manual and combined points updated")
    return 0


def cmd_report(ns: argparse.Namespace) -> int:
    report = _authoring("report")
    if not ns.graded.is_dir():
        raise UsageError(f"{ns.graded} is not a folder")
    if ns.submissions is not None and not ns.submissions.is_dir():
        raise UsageError(f"--submissions {ns.submissions} is not a folder")
    threshold = report.similarity.THRESHOLD if ns.threshold is None else ns.threshold
    if not 0 < threshold <= 1:
        raise UsageError(f"--threshold takes a share in (0, 1], not {threshold:g}")
    try:
        page, table = report.write_report(ns.graded, ns.out, ns.submissions, threshold)
    except report.ReportError as error:
        raise UsageError(str(error)) from None
    print(f"class report: {page}; misconceptions: {table}")
    return 0


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Subcommand:
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None]


def _grade_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "submission", help="a folder with embeddings/, attention/, transformer/, a .zip of one, or notebooks"
    )
    p.add_argument("--results", default="results.json", help="where to write Gradescope results.json")
    _grade_option_args(p)


def _grade_option_args(p: argparse.ArgumentParser) -> None:
    """The options of ``grade`` that ``gradescope-run`` passes on (it chooses the submission and the results)."""
    p.add_argument("--only", action="append", metavar="EXERCISE", help="grade only this exercise (repeatable)")
    p.add_argument("--junit", type=Path, default=None, help="also write JUnit XML here")
    p.add_argument(
        "--in-process", action="store_true", help="import the submission here instead of in the worker (debugging only)"
    )
    p.add_argument(
        "--public",
        action="store_true",
        help="also run the public tests (tests/public) and add them to results.json: visible, 0 points each",
    )
    p.add_argument(
        "--hidden-visibility",
        choices=VISIBILITIES,
        default=None,
        help="what students see of the hidden tests in results.json (default: AUTOGRADER_HIDDEN_VISIBILITY)",
    )


def _batch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("submissions", nargs="?", help="a folder holding one sub-folder or .zip per submission")
    p.add_argument("--out", default=None, help="output folder: results/<id>.json, logs/<id>.log, gradebook.csv")
    p.add_argument(
        "--jobs", type=int, default=1, help="submissions graded at the same time (each in its own grader process)"
    )
    p.add_argument("--only", action="append", metavar="EXERCISE", help="grade only this exercise (repeatable)")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds one submission may take in all (default: AUTOGRADER_BATCH_TIMEOUT)",
    )
    p.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="grade only the K-th of N slices (1-based), e.g. one machine's share",
    )
    p.add_argument("--in-process", action="store_true", help="debugging only: no worker")
    p.add_argument(
        "--reduce", default=None, metavar="OUT", help="only write OUT/gradebook.csv from what an engine's tasks graded"
    )
    p.add_argument(
        "--task",
        default=None,
        metavar="VAR",
        help="grade the chunk of OUT/batch.json numbered by this variable (what an engine's task runs)",
    )
    p.add_argument(
        "--wait", action="store_true", help="with --slurm: follow the array until it is done, then write the gradebook"
    )
    p.add_argument("--k8s", action="store_true", help="write a Kubernetes Indexed Job (OUT/k8s/job.yaml) and its image")
    p.add_argument("--image", default=None, help="with --k8s: the grader's image, built from OUT/k8s/image")
    p.add_argument("--claim", default=None, help="with --k8s: the PersistentVolumeClaim holding submissions/ and out/")
    p.add_argument(
        "--slurm",
        nargs=argparse.REMAINDER,
        default=None,
        metavar="SBATCH_OPTION",
        help="submit a Slurm job array over chunks of the class; what follows goes to sbatch (last option)",
    )


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("graded", help="a batch --out folder")
    p.add_argument(
        "--canvas", default=None, metavar="ROSTER.csv", help="write OUT/canvas.csv for Canvas, joined to this roster"
    )
    p.add_argument("--title", default="Autograder", help="the Canvas assignment's title (default: Autograder)")
    p.add_argument("--assignment-id", default=None, help="the Canvas assignment's id (default: from the roster)")
    p.add_argument(
        "--csv",
        action="store_true",
        help="write OUT/grades.csv for any LMS: per exercise, maxima, time of grading "
        "(and the written answers' manual and combined points, where OUT/written/scores.csv exists)",
    )


def _gradescope_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=Path, default=Path("/autograder"))
    p.add_argument("grade_args", nargs=argparse.REMAINDER, help="extra arguments of `python -m autograder grade`")


def _handin_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("handin", help="a hand-in: a submission root, a repository, loose .py files, notebooks")
    p.add_argument("--out", required=True, help="the submission root to write")


def _no_venv(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-venv", action="store_true", help="run with this interpreter as it is (it has the requirements)"
    )


def _test_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("exercises", nargs="*", metavar="EXERCISE", help="one exercise or several (default: all)")
    _no_venv(p)


def _watch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("exercise", help="the exercise whose public tests re-run on every save")
    p.add_argument("--interval", type=float, default=0.2, help="seconds between two looks at the files")
    p.add_argument("--max-runs", type=int, default=None, help="stop after this many runs (default: Ctrl-C)")
    _no_venv(p)


def _zip_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="handin.zip", help="the zip to write (default: handin.zip)")


def _stubs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--check", action="store_true", help="only check that the stubs are up to date and leak nothing")
    p.add_argument("--src", default=None, help="the reference (default: solutions/)")
    p.add_argument("--dst", default=None, help="the stubs (default: assignments/)")


def _notebooks_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--check", action="store_true", help="only check that they are up to date")
    p.add_argument(
        "--execute", action="store_true", help="also run the reference notebooks into build/notebooks (figures)"
    )


def _dest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dest", type=Path, default=None, help="where to write it (default: under dist/)")


def _gradescope_args(p: argparse.ArgumentParser) -> None:
    _dest_args(p)
    p.add_argument(
        "--hidden-visibility",
        choices=VISIBILITIES,
        default="after_published",
        help="what students see of the hidden tests (Gradescope's visibility, or points-only)",
    )


def _leaks_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundle", type=Path)


def _written_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("submissions", type=Path, help="a folder holding one sub-folder or .zip per hand-in (as for batch)")
    p.add_argument("--out", type=Path, required=True, help="the batch's OUT: written/<id>.pdf, written/scores.csv")
    p.add_argument("--no-rubric", action="store_true", help="leave the rubric out of the PDFs (to hand them back)")


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "graded", type=Path, help="a batch --out folder, nbgrader's autograded/ or a folder of Gradescope results"
    )
    p.add_argument(
        "--submissions", type=Path, default=None, help="the hand-ins (as given to batch), for code similarity"
    )
    p.add_argument("--out", type=Path, default=None, help="where to write report.html and misconceptions.csv")
    p.add_argument("--threshold", type=float, default=None, help="flag pairs at least this similar (0-1; default 0.6)")


def _no_args(p: argparse.ArgumentParser) -> None:
    pass


SUBCOMMANDS: dict[str, Subcommand] = dict(
    grade=Subcommand(
        "grade one submission with the hidden suites; writes Gradescope results.json", cmd_grade, _grade_args
    ),
    batch=Subcommand(
        "grade every sub-folder / .zip of a folder (here, on Slurm or on Kubernetes); results and gradebook.csv",
        cmd_batch,
        _batch_args,
    ),
    export=Subcommand(
        "grades into an LMS: Canvas's gradebook import (--canvas ROSTER.csv) or a plain CSV (--csv)",
        cmd_export,
        _export_args,
    ),
    handin=Subcommand(
        "turn a hand-in (repository, loose files, notebooks) into the submission root that is graded",
        cmd_handin,
        _handin_args,
    ),
    setup=Subcommand(
        "create .venv with the pinned requirements and the CPU build of PyTorch (the other student commands do it "
        "when needed)",
        cmd_setup,
        _no_args,
    ),
    test=Subcommand(
        "run the public tests on assignments/ (some exercises: test EX [EX ...]; pytest arguments after --)",
        cmd_test,
        _test_args,
    ),  # fmt: skip
    watch=Subcommand(
        "re-run one exercise's public tests on every save of its file or notebook", cmd_watch, _watch_args
    ),  # fmt: skip
    lab=Subcommand("open the notebooks in JupyterLab", cmd_lab, _no_venv),
    zip=Subcommand("zip what you hand in (assignments/ and notebooks/) into handin.zip", cmd_zip, _zip_args),
    config=Subcommand(
        "print every setting in force (AUTOGRADER_* variables), with its description", cmd_config, _no_args
    ),
    stubs=Subcommand("regenerate assignments/ from solutions/ (nbgrader's ClearSolutions)", cmd_stubs, _stubs_args),
    notebooks=Subcommand(
        "write nbgrader/source/<part>/<part>.ipynb from solutions/ and release/notebooks/",
        cmd_notebooks,
        _notebooks_args,
    ),
    release=Subcommand(
        "stubs, notebooks, nbgrader generate_assignment and the student bundle in dist/", cmd_release, _dest_args
    ),
    gradescope=Subcommand("build Gradescope's autograder zip (dist/autograder.zip)", cmd_gradescope, _gradescope_args),
    **{
        "gradescope-run": Subcommand(
            "grade ROOT/submission into ROOT/results/results.json (what run_autograder runs)",
            cmd_gradescope_run,
            _gradescope_run_args,
        )
    },
    leaks=Subcommand("list what in a bundle gives away solutions or hidden tests", cmd_leaks, _leaks_args),
    written=Subcommand(
        "one PDF of written answers per hand-in and scores.csv for the TAs; adds their points to gradebook.csv",
        cmd_written,
        _written_args,
    ),
    report=Subcommand(
        "the class's misconceptions, operations and code similarity: report.html and misconceptions.csv",
        cmd_report,
        _report_args,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    for name, command in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        command.arguments(p)
        p.set_defaults(run=command.run)
    return parser


PYTEST_ARGS = ("test", "watch")  # subcommands whose other arguments (or those after --) go to pytest


def parse(argv: list[str]) -> argparse.Namespace:
    """The namespace of ``argv``; for :data:`PYTEST_ARGS`, ``pytest_args`` holds what goes to pytest."""
    parser = build_parser()
    extra: list[str] = []
    if argv and argv[0] in PYTEST_ARGS and "--" in argv:
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    ns, unknown = parser.parse_known_args(argv)
    if ns.command in PYTEST_ARGS:
        stray = [a for a in unknown if a in EXERCISES]
        if stray:  # pytest would read an exercise's name as a file and say "file not found"
            one = ns.command == "watch"
            parser.error(
                f"{ns.command}: {stray[0]!r} is an exercise, not a pytest argument; usage: python -m autograder "
                + (
                    "watch EXERCISE [-- pytest arguments] (one exercise at a time)"
                    if one
                    else "test [EXERCISE ...] [-- pytest arguments] (exercises first)"
                )
            )
        ns.pytest_args = [*unknown, *extra]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse(list(sys.argv[1:] if argv is None else argv))
    try:
        Settings.from_env()  # a malformed AUTOGRADER_* variable stops every subcommand before it starts
        return int(ns.run(ns))
    except (UsageError, SettingsError) as error:
        from autograder.grading.textsafe import printable

        print(f"error: {printable(error)}", file=sys.stderr)  # a refused hand-in's reason names its files
        return 2
