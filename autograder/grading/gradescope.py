"""Gradescope's side of grading: what ``run_autograder`` runs for each submission (on the grading path, never
authoring/).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.grading.loader import REPO_ROOT
from autograder.settings import Settings

if TYPE_CHECKING:
    from autograder.grading.grade import GradeOptions

MAX_LISTED = 20  # files of an upload named when it holds nothing to grade
CONFIG = REPO_ROOT / "gradescope.json"  # the zip's settings, chosen by the instructor at `make gradescope`
DEFAULT_VISIBILITY = "after_published"  # hidden tests' details wait until the instructor publishes the grades
# Each exercise's number in Gradescope's test numbers (``<n>.<k>``, ``P.<n>.<k>``), kept once given: an exercise added
# later takes the next free number, wherever it sits in the curriculum, so that no other exercise's tests are
# renumbered (Gradescope sorts and students refer to tests by these numbers). A kit test holds every exercise here.
EXERCISE_NUMBERS = {
    "one_hot": 1,
    "bpe": 2,
    "skipgram": 3,
    "cbow": 4,
    "glove": 5,
    "fasttext": 6,
    "pretrained": 7,
    "similarity": 8,
    "scaled_dot_product": 9,
    "masks": 10,
    "multi_head": 11,
    "positional_encoding": 12,
    "layers": 13,
    "models": 14,
    "embedding_concepts": 15,
    "attention_concepts": 16,
    "transformer_concepts": 17,
}


def exercise_number(exercise: str) -> int:
    """``exercise``'s number in Gradescope (:data:`EXERCISE_NUMBERS`); 0 outside it, which a kit test forbids."""
    return EXERCISE_NUMBERS.get(exercise, 0)


def zip_config() -> dict[str, str]:
    """The Gradescope zip's settings (``gradescope.json`` beside ``autograder/``); the defaults without one."""
    config = {"hidden_visibility": DEFAULT_VISIBILITY}
    if CONFIG.is_file():
        config.update(json.loads(CONFIG.read_text(encoding="utf-8")))
    return config


def what_to_grade(folder: Path) -> tuple[Path, str]:
    """What to grade of Gradescope's submission ``folder``, and a note for the student ("" when all is as usual).

    Gradescope unpacks an uploaded zip, but not a zip inside an upload (a repository holding ``handin.zip``, a zip
    of a zip): a folder with no Python file and no notebook but one zip is graded from that zip. A folder with
    nothing to grade says what it holds, so that the student reads more than "No module named 'embeddings'".
    """
    from autograder.grading.handin import SKIPPED_DIRS
    from autograder.grading.textsafe import capped, printable

    found: list[Path] = []
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        found += [Path(here, name) for name in sorted(files)]
        if len(found) > Settings.from_env().max_files:  # the grader refuses it, saying why
            return folder, ""
    if any(p.suffix in (".py", ".ipynb") for p in found):
        return folder, ""
    zips = [p for p in found if p.suffix.lower() == ".zip"]
    names = ", ".join(printable(p.relative_to(folder).as_posix(), keep_newlines=False) for p in found[:MAX_LISTED])
    if len(zips) == 1:
        inner = printable(zips[0].name, keep_newlines=False)
        return zips[0], f"Graded the files inside {inner} (a zip in your upload)."
    return folder, capped(
        f"Your upload holds no Python file and no notebook (found: {names or 'nothing'}). Upload embeddings/, "
        "attention/ and transformer/ (or your repository, your .py files or your notebooks), or a single zip of them.",
        2000,
    )


def written_note(submission: Path) -> str:
    """What the student's results say of their written answers, which the autograder does not grade: how many it
    found (in ``<part>/written.md`` or the notebooks' answer cells), so that a student who wrote them where they will
    not be read finds out before the deadline; "" where the course has no written questions."""
    from autograder.grading import written
    from autograder.grading.textsafe import capped, printable

    questions = written.questions()
    if not questions:
        return ""
    answered, problem = written.read_answers(submission)
    if problem:
        return f"Written answers: {capped(printable(problem, keep_newlines=False), 500)}"
    done = sum(1 for q in questions if answered.get((q.part, q.id), "").strip())
    return (
        f"Written answers: {done} of {len(questions)} questions answered. They are graded by hand after the deadline "
        "(not by this autograder), from your <part>/written.md files or your notebooks' written-answer cells."
    )


def gradescope_run(root: Path, options: GradeOptions) -> None:
    """Grade ``root/submission`` into ``root/results/results.json`` (what ``run_autograder`` does).

    Whatever the student uploaded (a repository, a zip, loose files, notebooks) goes through
    :func:`~autograder.grading.grade.grade_submission`, which copies it safely and maps notebooks back onto modules; a
    zip inside the upload is graded when it is all there is (:func:`what_to_grade`). The public tests run too: visible
    at once whatever the hidden tests' visibility, worth 0 points. Raises :class:`~autograder.grading.grade.Refused`
    where grading cannot run (no results.json is written then: Gradescope says the autograder failed).
    """
    from autograder.grading.grade import grade_submission  # (grade -> results -> this module's exercise numbers)
    from autograder.grading.results import atomic_write

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    # Gradescope's results folder is the grader's alone: hidden from the worker, and unreadable to its uid where only
    # owners and modes keep it out (a host without Landlock): the worker checks that before any student code runs
    os.chmod(results.parent, 0o700)
    os.environ["AUTOGRADER_HIDE"] = os.pathsep.join(
        filter(None, [os.environ.get("AUTOGRADER_HIDE", ""), str(results.parent)])
    )
    visibility = options.hidden_visibility or zip_config()["hidden_visibility"]
    submission, note = what_to_grade(root / "submission")
    note = "\n".join(filter(None, [note, written_note(submission)]))
    grade_submission(submission, replace(options, results=results, public=True, hidden_visibility=visibility))
    if note and results.is_file():
        data = json.loads(results.read_text(encoding="utf-8"))
        data["output"] = "\n".join(filter(None, [note, data.get("output", "")]))
        atomic_write(results, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
