"""``python -m autograder report OUT``: what a whole class got wrong, for the instructor; it never decides a grade.

Reads one of three kinds of graded class (found by what ``OUT`` holds):

- ``batch``: the folder ``python -m autograder batch DIR --out OUT`` wrote (``results/<id>.json``, ``meta/<id>.json``
  with each submission's grading time, ``gradebook.csv`` with its status); the hand-ins are ``--submissions DIR``;
- ``nbgrader``: nbgrader's ``autograded/`` folder (``<student>/<assignment>/<notebook>.ipynb``): the hidden-test
  feedback that :func:`autograder.notebook.grade_hidden` printed in each test cell; the hand-ins are the notebooks;
- ``gradescope``: a folder of Gradescope ``results.json`` files (``<id>.json`` or ``<id>/results.json``).

and writes

- ``report.html``: one self-contained page (plots embedded as PNG, no script, no network): per exercise the score
  distribution, the share of full marks and the tests most often failed; the named misconceptions (the mistakes
  the grader's own models recognised, see :func:`autograder.grading.compare.check`) with who made them;
  the failures no mistake model names, grouped by test; hangs, crashes, forbidden APIs, refused submissions and
  the grading time of each submission; pairs of submissions whose code is similar (:mod:`.similarity`);
- ``misconceptions.csv``: one row per student and named misconception (:data:`CSV_COLUMNS`), sorted, to join with
  ``gradebook.csv`` on ``id``.

Every record is read as data a submission may have filled (DESIGN.md, "Inert text"): a misconception is a name
that a mistake model gave (each test's ``extra_data`` in results.json, the structured output of ``grade_hidden``
in a notebook), never a line parsed from a test's output, which the submission's own prints and exceptions reach;
whether a test hung, crashed or used a forbidden API is its recorded error kind where the source records one.
Text reaches the page HTML-escaped and printable, ``misconceptions.csv`` through
:func:`~autograder.grading.textsafe.csv_row`, the plots as plain text (no mathtext). A results file or a hand-in
that cannot be read is a row or a note, never a missing report for the rest of the class.
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import re
import statistics
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec

from autograder.authoring import similarity
from autograder.grading import textsafe
from autograder.grading.nbgrader_grades import RESULTS_MIME
from autograder.grading.results import PUBLIC_TAG
from autograder.runtime.curriculum import EXERCISES
from autograder.runtime.errors import ErrorKind
from autograder.runtime.forbidden import ADVICE

P = ParamSpec("P")
SOURCES = ("batch", "nbgrader", "gradescope")
CSV_COLUMNS = ("id", "exercise", "misconception", "tests", "points_lost", "first_test")
NAME_LIMIT = 200  # characters of a misconception's name kept (the models' names are far shorter)
# A test's recorded error kind (results.json's extra_data, ErrorKind) -> the report's kind of it.
KIND_OF_ERROR: dict[str, str] = {
    ErrorKind.NOT_IMPLEMENTED: "not_implemented",
    ErrorKind.TIMEOUT: "hang",
    ErrorKind.CRASH: "crash",
    ErrorKind.FORBIDDEN: "forbidden",
    ErrorKind.IMPORT: "import",
}
# Results that record no error kind (written by an older kit, or nbgrader feedback without the structured output):
# what the grader's own messages say (autograder/grading/worker/, autograder/runtime/forbidden.py, grading/grade.py).
KINDS = {
    "hang": ("did not finish within", "Failed: Timeout"),
    "crash": ("the process running your code",),
    "forbidden": (f"is not allowed ({ADVICE})",),
    "import": ("the module could not be imported",),
}
OPERATIONAL = ("refused", "error", "hang", "crash", "forbidden", "import")
REFUSED = "This submission was not graded: "
SLOW_FACTOR = 3.0  # a submission graded this many times slower than the class's median is flagged
TOP_TESTS = 5
LABEL_LIMIT = 70  # characters of a plot label
# nbgrader's test cells print autograder.grading.nbgrader_grades.feedback: a header, then one line per test.
NB_HEADER = re.compile(r"^(\w+): [\d.e+-]+/[\d.e+-]+ points from the hidden tests$")
NB_TEST = re.compile(r"^(ok  |FAIL) (.*)  \(([\d.e+-]+)/([\d.e+-]+)\)$")
NB_DETAIL = " " * 7


# --------------------------------------------------------------------------- the class as plain data


@dataclass
class Outcome:
    """One test of one submission."""

    exercise: str
    title: str  # what the student read, with a parametrized case's ``[id]``
    score: float
    max_score: float
    passed: bool
    output: str = ""
    named: list[str] = field(default_factory=list)  # the mistakes the grader's models named: data, never output
    error_kind: str | None = None  # the recorded ErrorKind ("" when none), None where the source records none

    @property
    def test(self) -> str:
        """The test without its parametrized case: the unit failures are grouped by."""
        return re.sub(r" \[[^\]]*\]$", "", self.title)

    @property
    def mistakes(self) -> list[str]:
        return [] if self.passed else list(dict.fromkeys(self.named))

    @property
    def kind(self) -> str:
        """``passed``, ``not_implemented``, one of :data:`KINDS`, or ``failed`` (a wrong answer)."""
        if self.passed:
            return "passed"
        if self.error_kind is not None:
            return KIND_OF_ERROR.get(self.error_kind, "failed")
        text = self.output.strip()
        if text.startswith("not implemented yet"):
            return "not_implemented"
        for kind, needles in KINDS.items():
            if any(n in text for n in needles):
                return kind
        return "failed"


@dataclass
class Submission:
    id: str
    outcomes: list[Outcome] = field(default_factory=list)
    status: str = "graded"  # graded, refused (the submission broke a rule) or error (the grader could not finish)
    reason: str = ""
    seconds: float | None = None  # grading time, where the source records it
    hand_in: Path | None = None  # what the student handed in, for code similarity

    def score(self, exercise: str) -> tuple[float, float] | None:
        tests = [o for o in self.outcomes if o.exercise == exercise]
        return (sum(o.score for o in tests), sum(o.max_score for o in tests)) if tests else None


@dataclass
class GradedClass:
    source: str  # one of SOURCES
    folder: Path
    submissions: list[Submission]

    @property
    def exercises(self) -> list[str]:
        seen = {o.exercise for s in self.submissions for o in s.outcomes}
        return [e for e in EXERCISES if e in seen] + sorted(seen - set(EXERCISES))

    @property
    def graded(self) -> list[Submission]:
        return [s for s in self.submissions if s.status == "graded"]


class ReportError(ValueError):
    """The folder is none of the graded classes the report reads."""


# What reading a malformed record (a results file, a notebook, a hand-in) may raise: that record's problem alone.
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError)


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {textsafe.capped(str(error), 200)}"


def recorded(extra: object) -> tuple[list[str], str | None]:
    """(the mistakes named, the error kind) that one test records as data (results.json's ``extra_data``, the
    notebook's structured output); ``([], None)`` where it records none. Names are text, at most
    :data:`NAME_LIMIT` characters each."""
    if not isinstance(extra, dict) or "error_kind" not in extra:
        return [], None
    names = extra.get("mistakes")
    names = names if isinstance(names, list) else []
    kept = [textsafe.capped(n, NAME_LIMIT) for n in names if isinstance(n, str) and n.strip()]
    return kept, str(extra.get("error_kind") or "")


def _gradescope_outcomes(data: dict[str, Any]) -> list[Outcome]:
    outcomes = []
    for t in data.get("tests", []):
        if PUBLIC_TAG in (t.get("tags") or [])[1:]:
            continue  # the student's own tests, 0 points: the class report reads the hidden ones
        name = str(t.get("name", ""))
        exercise = str((t.get("tags") or [name.split(":")[0]])[0])
        title = name.removeprefix(f"{exercise}: ")
        score, max_score = float(t.get("score", 0) or 0), float(t.get("max_score", 0) or 0)
        passed = t["status"] == "passed" if "status" in t else score >= max_score
        named, error_kind = recorded(t.get("extra_data"))
        outcomes.append(Outcome(exercise, title, score, max_score, passed, str(t.get("output", "")), named, error_kind))
    return outcomes


def _from_results(ident: str, path: Path) -> Submission:
    """One submission from its results file; a file that cannot be read is the submission's ``error`` row."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seconds = data.get("execution_time")
        seconds = float(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None
        sub = Submission(ident, _gradescope_outcomes(data), seconds=seconds)
        output = str(data.get("output", ""))
    except UNREADABLE as error:
        return Submission(ident, status="error", reason=f"its results file could not be read ({_why(error)})")
    if output.startswith(REFUSED):
        sub.status, sub.reason = "refused", output.removeprefix(REFUSED)
    return sub


def load_batch(out: Path, hand_ins: dict[str, Path] | None = None) -> list[Submission]:
    """The submissions of a ``batch --out OUT`` folder: the results, each one's status and time (meta, gradebook)."""
    subs = {p.stem: _from_results(p.stem, p) for p in sorted((out / "results").glob("*.json"))}
    book = out / "gradebook.csv"
    if book.exists():
        with open(book, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                sub = subs.setdefault(row["id"], Submission(row["id"]))
                sub.status, sub.reason = row.get("status") or sub.status, row.get("reason") or sub.reason
    for ident, sub in subs.items():
        meta = out / "meta" / f"{ident}.json"
        if meta.exists():
            row = json.loads(meta.read_text(encoding="utf-8")).get("row", {})
            sub.seconds = row.get("seconds", sub.seconds)
            sub.status, sub.reason = row.get("status", sub.status), row.get("reason", sub.reason)
        sub.hand_in = (hand_ins or {}).get(ident)
    return sorted(subs.values(), key=lambda s: s.id)


def load_gradescope(folder: Path, hand_ins: dict[str, Path] | None = None) -> list[Submission]:
    """A folder of Gradescope results: ``<id>/results.json`` (any depth) or ``<id>.json``."""
    nested = sorted(p for p in folder.rglob("results.json") if p.parent != folder)
    files = [(p.parent.name, p) for p in nested] or [(p.stem, p) for p in sorted(folder.glob("*.json"))]
    subs = []
    for ident, path in files:
        sub = _from_results(ident, path)
        sub.hand_in = (hand_ins or {}).get(ident)
        subs.append(sub)
    return subs


def _cell_text(cell: Any) -> tuple[str, str, list[Any] | None]:
    """(what the cell printed, its error as ``Name: value``, the tests ``grade_hidden`` recorded as data or None)
    of an executed notebook cell."""
    printed, error, tests = [], "", None
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            printed.append("".join(text) if isinstance(text, list) else text)
        elif out.get("output_type") == "error":
            error = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
        elif out.get("output_type") == "display_data" and isinstance(out.get("data", {}).get(RESULTS_MIME), dict):
            found = out["data"][RESULTS_MIME].get("tests")
            tests = found if isinstance(found, list) else tests
    return "".join(printed), error, tests


def parse_notebook_feedback(
    exercise: str, printed: str, error: str, points: float, tests: list[Any] | None = None
) -> list[Outcome]:
    """The tests of one nbgrader test cell: those recorded as data (``tests``, see
    :func:`autograder.grading.nbgrader_grades.results_bundle`) with the feedback printed for each, or, from a notebook
    without them, what it printed alone (the mistakes then unnamed: a name is never read from printed text); the
    cell's error when the hidden tests did not run."""
    outcomes: list[Outcome] = []
    lines = printed.splitlines()
    if not any(NB_HEADER.match(line) for line in lines) and not tests:
        detail = error or (printed.strip().splitlines() or ["the hidden tests did not run"])[-1]
        return [Outcome(exercise, "the exercise's test cell", 0.0, points, False, detail)]
    for line in lines:
        match = NB_TEST.match(line)
        if match:
            mark, title, score, max_score = match.groups()
            outcomes.append(Outcome(exercise, title, float(score), float(max_score), mark == "ok  "))
        elif line.startswith(NB_DETAIL) and outcomes:
            last = outcomes[-1]
            last.output += ("\n" if last.output else "") + line.removeprefix(NB_DETAIL)
    if tests is None:
        return outcomes
    printed_by_title: dict[str, list[str]] = defaultdict(list)
    for o in outcomes:
        printed_by_title[o.title].append(o.output)
    from_data = []
    for t in tests:
        if not isinstance(t, dict):
            continue
        title = str(t.get("title", ""))
        named, error_kind = recorded(t)
        shown = printed_by_title[title].pop(0) if printed_by_title.get(title) else ""
        score, max_score = _number(t.get("score")), _number(t.get("max_score"))
        from_data.append(Outcome(exercise, title, score, max_score, t.get("passed") is True, shown, named, error_kind))
    return from_data


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def load_nbgrader(folder: Path) -> list[Submission]:
    """nbgrader's ``autograded/``: ``<student>/<assignment>/<notebook>.ipynb``; the id is the student's folder."""
    import nbformat

    subs: dict[str, Submission] = {}
    for path in sorted(folder.glob("*/*/*.ipynb")):
        student = path.parent.parent.name
        sub = subs.setdefault(student, Submission(student, hand_in=folder / student))
        try:
            outcomes = []
            for cell in nbformat.read(path, as_version=4).cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                grade_id = str(meta.get("grade_id", ""))
                if cell.get("cell_type") != "code" or not meta.get("grade") or not grade_id.endswith("-tests"):
                    continue
                printed, error, tests = _cell_text(cell)
                exercise = grade_id.removesuffix("-tests")
                outcomes += parse_notebook_feedback(exercise, printed, error, float(meta.get("points", 0)), tests)
        except UNREADABLE as error:
            sub.status, sub.reason = "error", f"its notebook {path.name} could not be read ({_why(error)})"
            continue
        sub.outcomes += outcomes
    return list(subs.values())


def detect(folder: Path) -> str:
    """Which of :data:`SOURCES` ``folder`` is."""
    if (folder / "results").is_dir():
        return "batch"
    if any(folder.glob("*/*/*.ipynb")):
        return "nbgrader"
    if any(folder.rglob("results.json")) or any(folder.glob("*.json")):
        return "gradescope"
    raise ReportError(
        f"{folder} holds no graded class: expected a batch --out folder (results/), nbgrader's autograded/ "
        "(<student>/<assignment>/*.ipynb) or Gradescope results (<id>.json or <id>/results.json)"
    )


def load(folder: Path, submissions: Path | None = None) -> GradedClass:
    """The graded class in ``folder``; ``submissions``: the folder of hand-ins (one sub-folder or zip each)."""
    from autograder.grading.batch import find_submissions

    hand_ins = dict(find_submissions(submissions)) if submissions else None
    source = detect(folder)
    if source == "batch":
        subs = load_batch(folder, hand_ins)
    elif source == "nbgrader":
        subs = load_nbgrader(folder)
    else:
        subs = load_gradescope(folder, hand_ins)
    return GradedClass(source, folder, subs)


# --------------------------------------------------------------------------- what the class got wrong


@dataclass
class ExerciseStats:
    exercise: str
    fractions: list[float]  # each graded submission's share of the exercise's points
    not_attempted: int  # submissions whose every test of it is "not implemented yet"
    failed_tests: list[tuple[str, int]]  # (test, how many submissions failed it), most failed first

    @property
    def full_marks(self) -> float:
        return sum(f >= 1 - 1e-9 for f in self.fractions) / len(self.fractions) if self.fractions else 0.0


def exercise_stats(cls: GradedClass) -> list[ExerciseStats]:
    stats = []
    for exercise in cls.exercises:
        fractions: list[float] = []
        not_attempted, failed = 0, Counter[str]()
        for sub in cls.graded:
            got = sub.score(exercise)
            if got is None:
                continue
            fractions.append(got[0] / got[1] if got[1] else 0.0)
            tests = [o for o in sub.outcomes if o.exercise == exercise]
            if all(o.kind == "not_implemented" for o in tests):
                not_attempted += 1
            failed.update({o.test for o in tests if o.kind not in ("passed", "not_implemented")})
        ranked = sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TESTS]
        stats.append(ExerciseStats(exercise, fractions, not_attempted, ranked))
    return stats


@dataclass
class Finding:
    """A named misconception, or an unnamed failure of one test, and the submissions that showed it."""

    exercise: str
    name: str  # the mistake's name, or the test's title
    outcomes: dict[str, list[Outcome]]  # submission id -> its failing tests that show it

    @property
    def students(self) -> list[str]:
        return sorted(self.outcomes)


def misconceptions(cls: GradedClass) -> list[Finding]:
    """Every named mistake, per exercise, with the submissions whose failing tests name it; most common first."""
    found: dict[tuple[str, str], dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for sub in cls.graded:
        for o in sub.outcomes:
            for name in o.mistakes:
                found[o.exercise, name][sub.id].append(o)
    return _ranked(found)


@dataclass
class Shared:
    """A misconception named in several exercises (one name each, :mod:`autograder.grading.mistakes.names`)."""

    name: str
    exercises: list[str]  # curriculum order
    students: list[str]  # everyone who showed it, in any of them


def across_exercises(named: list[Finding]) -> list[Shared]:
    """The misconceptions of ``named`` (per exercise) that more than one exercise names, each once with every
    student who showed it anywhere; most students first. Softmax over the queries in scaled_dot_product and in
    multi_head is one misconception, counted once per student."""
    exercises: dict[str, list[str]] = defaultdict(list)
    students: dict[str, set[str]] = defaultdict(set)
    for f in named:
        exercises[f.name].append(f.exercise)
        students[f.name].update(f.outcomes)
    order = {e: i for i, e in enumerate(EXERCISES)}
    shared = [
        Shared(name, sorted(set(ex), key=lambda e: order.get(e, len(order))), sorted(students[name]))
        for name, ex in exercises.items()
        if len(set(ex)) > 1
    ]
    return sorted(shared, key=lambda s: (-len(s.students), s.name))


def unnamed_failures(cls: GradedClass) -> list[Finding]:
    """Wrong answers that no mistake model names, grouped by test; most common first."""
    found: dict[tuple[str, str], dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for sub in cls.graded:
        for o in sub.outcomes:
            if o.kind == "failed" and not o.mistakes:
                found[o.exercise, o.test][sub.id].append(o)
    return _ranked(found)


def _ranked(found: dict[tuple[str, str], dict[str, list[Outcome]]]) -> list[Finding]:
    order = {e: i for i, e in enumerate(EXERCISES)}
    findings = [Finding(e, n, dict(v)) for (e, n), v in found.items()]
    return sorted(findings, key=lambda f: (order.get(f.exercise, len(order)), -len(f.outcomes), f.name))


@dataclass
class Incident:
    id: str
    kind: str  # one of OPERATIONAL
    exercises: list[str]
    tests: int
    detail: str


def incidents(cls: GradedClass) -> list[Incident]:
    """Refused and unfinished submissions, then hangs, crashes, forbidden APIs and failed imports per submission."""
    rows = []
    for sub in cls.submissions:
        if sub.status != "graded":
            rows.append(Incident(sub.id, sub.status, [], 0, sub.reason or "(no reason recorded)"))
            continue
        by_kind: dict[str, list[Outcome]] = defaultdict(list)
        for o in sub.outcomes:
            if o.kind in OPERATIONAL:
                by_kind[o.kind].append(o)
        for kind in OPERATIONAL:
            if kind in by_kind:
                tests = by_kind[kind]
                exercises = list(dict.fromkeys(o.exercise for o in tests))
                rows.append(Incident(sub.id, kind, exercises, len(tests), _first_line(tests[0].output)))
    return sorted(rows, key=lambda r: (OPERATIONAL.index(r.kind), r.id))


def _first_line(text: str) -> str:
    return next(iter(text.strip().splitlines()), "")


def slow_submissions(cls: GradedClass) -> tuple[list[tuple[str, float]], float | None]:
    """(id, seconds) of every submission with a recorded time, slowest first, and the class's median."""
    times = sorted(((s.id, float(s.seconds)) for s in cls.submissions if s.seconds is not None), key=lambda t: -t[1])
    return times, statistics.median(t for _, t in times) if times else None


def code_similarity(
    cls: GradedClass, threshold: float, stubs: Path | None = None
) -> tuple[dict[str, tuple[list[similarity.Pair], int]], list[str]]:
    """exercise -> (flagged pairs, submissions compared), and a note per hand-in that could not be read."""
    from autograder.grading import handin, sandbox
    from autograder.grading.loader import ASSIGNMENTS
    from autograder.notebook.cells import notebook_files

    stubs = stubs or ASSIGNMENTS
    digests = handin.stub_digests(stubs)
    codes: dict[str, dict[str, str]] = defaultdict(dict)
    notes = []
    with tempfile.TemporaryDirectory(prefix="autograder-report-") as tmp:
        for i, sub in enumerate(s for s in cls.submissions if s.hand_in is not None):
            private = Path(tmp) / str(i)
            try:  # read exactly as `grade` does: a folder, a zip or notebooks, mapped onto the modules
                assert sub.hand_in is not None
                root = sandbox.prepare(sub.hand_in, private / "submission")
                if notebook_files([root]):
                    root, _ = handin.prepare(root, private / "from-notebooks", stubs=digests)
            except sandbox.SubmissionError as error:
                notes.append(f"Submission {sub.id}: not compared ({error})")
                continue
            except UNREADABLE as error:  # a malformed notebook ...: as `grade` says, the hand-in's problem
                notes.append(f"Submission {sub.id}: not compared (the hand-in could not be read: {_why(error)})")
                continue
            for exercise in cls.exercises:
                code = similarity.module_code(root, EXERCISES.get(exercise, exercise))
                if code is not None:
                    codes[exercise][sub.id] = code
    result = {}
    for exercise in cls.exercises:
        stub = similarity.module_code(stubs, EXERCISES.get(exercise, exercise))
        pairs, compared, skipped = similarity.similar_pairs(exercise, codes.get(exercise, {}), stub, threshold)
        result[exercise] = pairs, compared
        notes += [f"Submission {ident}: {exercise} not compared ({why})" for ident, why in skipped.items()]
    return result, notes


# --------------------------------------------------------------------------- misconceptions.csv


def csv_rows(findings: Iterable[Finding]) -> list[list[str | int | float]]:
    """:data:`CSV_COLUMNS` rows, sorted by id, exercise (curriculum order) and misconception; every cell through
    :func:`~autograder.grading.textsafe.csv_row` (no formula, no control character)."""
    order = {e: i for i, e in enumerate(EXERCISES)}
    rows = []
    for f in findings:
        for ident, tests in f.outcomes.items():
            lost = sum(o.max_score - o.score for o in tests)
            rank = order.get(f.exercise, len(order))
            rows.append((ident, rank, f.exercise, f.name, len(tests), lost, tests[0].title))
    rows.sort(key=lambda r: r[:4])
    return [textsafe.csv_row([r[0], r[2], r[3], str(r[4]), f"{r[5]:g}", r[6]]) for r in rows]


def write_csv(path: Path, findings: Iterable[Finding]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(findings))


# --------------------------------------------------------------------------- report.html

CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}td.n{text-align:right}.note{color:#555}.flag{color:#a40}
img{max-width:100%}.ex{display:flex;gap:1.5em;align-items:flex-start}.ex>div{flex:1;min-width:0}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.5em}.pair>div{min-width:0}
.pair pre{background:#f8f8f8;border:1px solid #ddd;padding:.5em;overflow:auto;max-height:30em;font-size:12px;
margin:0}mark{background:#ffd54f}
details{margin:.3em 0}summary{cursor:pointer}code{background:#f3f3f3;padding:0 .2em}
"""


def _e(value: object, limit: int | None = None) -> str:
    return textsafe.html_text(value, limit)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None, cls: str = "") -> str:
    """An HTML table; cells are already HTML (escape with :func:`_e`)."""
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(src: str, alt: str) -> str:
    return f"<img src='{src}' alt='{_e(alt)}'>"


def _plain_text(chart: Callable[P, str]) -> Callable[P, str]:
    """``chart`` drawn with every label the plain text it is (:data:`~autograder.grading.textsafe.PLOT_RC`): a
    ``$`` in a name is a dollar sign, never mathtext that the parser may refuse (and the page with it)."""

    @functools.wraps(chart)
    def draw(*args: P.args, **kwargs: P.kwargs) -> str:
        import matplotlib

        with matplotlib.rc_context(textsafe.PLOT_RC):
            return chart(*args, **kwargs)

    return draw


@_plain_text
def histogram(stats: ExerciseStats) -> str:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    ax.hist([100 * f for f in stats.fractions], bins=10, range=(0, 100), color="#4878a8", edgecolor="white")
    ax.set_xlabel("score (% of the exercise's points)")
    ax.set_ylabel("submissions")
    ax.set_title(textsafe.plot_label(stats.exercise, LABEL_LIMIT), fontsize=10)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig)


@_plain_text
def bar_chart(findings: list[Finding], limit: int = 25) -> str:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    top = sorted(findings, key=lambda f: -len(f.outcomes))[:limit][::-1]
    labels = [textsafe.plot_label(f"{f.exercise}: {f.name}", LABEL_LIMIT) for f in top]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(top) + 0.8))
    ax.barh(range(len(top)), [len(f.outcomes) for f in top], color="#c0504d")
    ax.set_yticks(range(len(top)), labels)  # one bar per finding, even where two labels read the same once cut
    ax.set_xlabel("students")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


@_plain_text
def time_chart(times: list[tuple[str, float]]) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    ax.hist([t for _, t in times], bins=20, color="#6a9955", edgecolor="white")
    ax.set_xlabel("grading time per submission (s)")
    ax.set_ylabel("submissions")
    return _png(fig)


def _ids(ids: list[str], shown: int = 30) -> str:
    text = ", ".join(_e(i) for i in ids[:shown])
    return text + (f" <span class=note>and {len(ids) - shown} more</span>" if len(ids) > shown else "")


def _exercise_section(cls: GradedClass, stats: list[ExerciseStats]) -> str:
    n = len(cls.graded)
    rows = [
        [
            f"<a href='#ex-{_e(s.exercise)}'>{_e(s.exercise)}</a>",
            str(len(s.fractions)),
            f"{100 * statistics.mean(s.fractions):.0f}%" if s.fractions else "-",
            f"{100 * s.full_marks:.0f}%",
            str(s.not_attempted),
        ]
        for s in stats
    ]
    parts = [
        "<h2 id=exercises>Scores per exercise</h2>",
        f"<p class=note>{n} graded submission(s); refused and unfinished ones are under "
        "<a href='#operations'>Operations</a>.</p>",
        _table(["exercise", "submissions", "mean score", "full marks", "not attempted"], rows, {1, 2, 3, 4}),
    ]
    for s in stats:
        failed = [[_e(t), str(k), f"{100 * k / max(len(s.fractions), 1):.0f}%"] for t, k in s.failed_tests]
        parts.append(f"<h3 id='ex-{_e(s.exercise)}'>{_e(s.exercise)}</h3><div class=ex>")
        parts.append(_img(histogram(s), f"score distribution of {s.exercise}"))
        parts.append(
            "<div><p>Full marks: <b>"
            + f"{100 * s.full_marks:.0f}%</b> of {len(s.fractions)}.</p>"
            + (
                "<p>Tests most often failed:</p>" + _table(["test", "submissions", "share"], failed, {1, 2})
                if failed
                else "<p>No test failed (besides those not attempted).</p>"
            )
            + "</div></div>"
        )
    return "\n".join(parts)


def _findings_table(findings: list[Finding], n: int, first: str, example: bool = False) -> str:
    """One row per finding: its exercise and name, how many of the ``n`` students, who; with ``example``, the first
    line of one student's feedback too."""

    def first_line(f: Finding) -> str:
        return f"<code>{_e(_first_line(next(iter(f.outcomes.values()))[0].output), 160)}</code>"

    rows = [
        [
            _e(f.exercise),
            _e(f.name),
            str(len(f.outcomes)),
            f"{100 * len(f.outcomes) / max(n, 1):.0f}%",
            _ids(f.students),
            *([first_line(f)] if example else []),
        ]
        for f in findings
    ]
    return _table(["exercise", first, "students", "share", "who", *(["e.g."] if example else [])], rows, {2, 3})


def _misconception_section(cls: GradedClass, named: list[Finding], unnamed: list[Finding]) -> str:
    n = len(cls.graded)
    parts = [
        "<h2 id=misconceptions>Misconceptions</h2>",
        "<p>Each failing test's feedback names the mistake when the student's output equals a known wrong answer "
        "(<code>Likely mistake: ...</code>). Counted once per student and exercise; "
        "<code>misconceptions.csv</code> has one row per student and misconception.</p>",
    ]
    if named:
        chart = _img(bar_chart(named), "students per named misconception")
        parts += [chart, _findings_table(named, n, "misconception")]
        shared = across_exercises(named)
        if shared:
            note = "The same misconception named in several exercises, each student counted once."
            parts += ["<h3 id=across>Across exercises</h3>", f"<p class=note>{note}</p>"]
            rows = [[_e(s.name), _e(", ".join(s.exercises)), str(len(s.students)), _ids(s.students)] for s in shared]
            parts.append(_table(["misconception", "exercises", "students", "who"], rows, {2}))
    else:
        parts.append("<p>No named misconception in this class.</p>")
    parts.append("<h3 id=unnamed>Failures no mistake model names, by test</h3>")
    if unnamed:
        parts.append(
            "<p class=note>Wrong answers the hidden tests could not put a name to: a new mistake model may be "
            "worth writing for the common ones.</p>"
        )
        parts.append(_findings_table(unnamed, n, "test", example=True))
    else:
        parts.append("<p>None.</p>")
    return "\n".join(parts)


def _operations_section(cls: GradedClass, found: list[Incident]) -> str:
    counts = Counter(i.kind for i in found)
    summary = [[_e(k), str(counts.get(k, 0))] for k in OPERATIONAL]
    rows = [
        [_e(i.id), _e(i.kind), _e(", ".join(i.exercises)), str(i.tests) if i.tests else "", _e(i.detail, 200)]
        for i in found
    ]
    parts = [
        "<h2 id=operations>Operations</h2>",
        "<p>Submissions refused before grading (a rule broken: a symbolic link, a zip slip ...) or that the grader "
        "could not finish; tests that hung, crashed the worker, used a forbidden API or could not import.</p>",
        _table(["kind", "submissions"], summary, {1}),
        _table(["submission", "kind", "exercises", "tests", "detail"], rows, {3}) if rows else "<p>None.</p>",
        "<h3 id=time>Grading time per submission</h3>",
    ]
    times, median = slow_submissions(cls)
    if times and median is not None:
        slow = [(i, t) for i, t in times if t > SLOW_FACTOR * median]
        parts.append(
            f"<p>Median {median:.1f} s, slowest {times[0][1]:.1f} s ({_e(times[0][0])}). "
            f"{len(slow)} submission(s) took more than {SLOW_FACTOR:g}x the median"
            + (": " + ", ".join(f"<span class=flag>{_e(i)}</span> ({t:.1f} s)" for i, t in slow) if slow else "")
            + ".</p>"
        )
        parts.append(_img(time_chart(times), "grading time per submission"))
        rows = [[_e(i), f"{t:.2f}", f"{t / median:.1f}x" if median else "-"] for i, t in times]
        parts.append(
            f"<details><summary>every submission's time ({len(times)})</summary>"
            + _table(["submission", "seconds", "vs median"], rows, {1, 2})
            + "</details>"
        )
    else:
        parts.append("<p class=note>This source records no grading time.</p>")
    return "\n".join(parts)


def _similarity_section(
    result: dict[str, tuple[list[similarity.Pair], int]] | None,
    notes: list[str],
    threshold: float,
    shown: int,
    listed: int,
) -> str:
    parts = [
        "<h2 id=similarity>Code similarity</h2>",
        "<p><b>A flag for a person to look at, never a verdict.</b> Per exercise, each submission's module is "
        "fingerprinted by winnowing (as MOSS does) with <code>copydetect</code>; the stub's code counts as "
        "boilerplate (its lines and docstrings are left out), so the given code does not match. Names, strings "
        "and comments are folded first, so renaming "
        "does not hide a copy. A pair's similarity is the smaller of the two shares (how much of each one's own "
        f"code the other has too); pairs at or above {100 * threshold:.0f}% are listed. Short exercises have few ways "
        "to be written: compare with the class before drawing any conclusion. The side-by-side view shows what each "
        "student wrote (their lines beyond the stub, by function), the shared code marked.</p>",
    ]
    if result is None:
        parts.append(
            "<p class=note>Not computed: pass the hand-ins (<code>--submissions DIR</code>) to compare code.</p>"
        )
        return "\n".join(parts)
    rows = [[_e(e), str(n), str(len(p))] for e, (p, n) in result.items()]
    parts.append(_table(["exercise", "submissions with code of their own", "pairs flagged"], rows, {1, 2}))
    if notes:
        parts.append("<p class=note>" + "<br>".join(_e(n) for n in notes) + "</p>")
    for exercise, (pairs, _) in result.items():
        if not pairs:
            continue
        parts.append(f"<h3 id='sim-{_e(exercise)}'>{_e(exercise)}</h3>")
        rows = [
            [_e(p.a), _e(p.b), f"{100 * p.similarity:.0f}%", f"{100 * p.share_a:.0f}%", f"{100 * p.share_b:.0f}%"]
            for p in pairs[:listed]
        ]
        parts.append(
            _table(
                ["submission A", "submission B", "similarity", "of A's code", "of B's code"], rows, {2, 3, 4}, "pairs"
            )
        )
        if len(pairs) > listed:
            parts.append(f"<p class=note>and {len(pairs) - listed} more pair(s), less similar.</p>")
        for p in pairs[:shown]:
            html_a, html_b = p.side_by_side()
            parts.append(
                f"<details><summary>{_e(p.a)} and {_e(p.b)}: {100 * p.similarity:.0f}% side by side</summary>"
                f"<div class=pair><div><b>{_e(p.a)}</b><pre>{html_a}</pre></div>"
                f"<div><b>{_e(p.b)}</b><pre>{html_b}</pre></div></div></details>"
            )
        if len(pairs) > shown:
            parts.append(f"<p class=note>The code of the {len(pairs) - shown} other pair(s) is not shown.</p>")
    return "\n".join(parts)


def render(
    cls: GradedClass,
    named: list[Finding],
    unnamed: list[Finding],
    sim: dict[str, tuple[list[similarity.Pair], int]] | None,
    notes: list[str],
    threshold: float,
    shown: int = 20,
    listed: int = 100,
) -> str:
    """The page; ``shown``: pairs per exercise shown side by side; ``listed``: pairs per exercise in the table."""
    from autograder.authoring import concept_report

    stats = exercise_stats(cls)
    statuses = Counter(s.status for s in cls.submissions)
    summary = ", ".join(f"{statuses[k]} {k}" for k in ("graded", "refused", "error") if statuses.get(k))
    contents = [
        ("exercises", "Scores per exercise"),
        ("misconceptions", "Misconceptions"),
        ("unnamed", "Unnamed failures"),
        ("concepts", "Concept checks"),
        ("operations", "Operations"),
        ("similarity", "Code similarity"),
    ]
    body = [
        "<h1>Class insight</h1>",
        f"<p>{len(cls.submissions)} submission(s) ({summary}) from the {_e(cls.source)} results in "
        f"<code>{_e(cls.folder)}</code>. This report is for the instructor; it never changes a grade.</p>",
        "<nav><b>Contents:</b> " + " &middot; ".join(f"<a href='#{a}'>{_e(t)}</a>" for a, t in contents) + "</nav>",
        _exercise_section(cls, stats),
        _misconception_section(cls, named, unnamed),
        concept_report.section(cls, named),  # the concept checks, and their misconceptions beside the code's
        _operations_section(cls, incidents(cls)),
        _similarity_section(sim, notes, threshold, shown, listed),
    ]
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Class insight</title>"
        f"<style>{CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def write_report(
    folder: Path,
    out: Path | None = None,
    submissions: Path | None = None,
    threshold: float = similarity.THRESHOLD,
) -> tuple[Path, Path]:
    """Read the graded class in ``folder``; write ``report.html`` and ``misconceptions.csv`` into ``out`` (default:
    ``folder``).
    """
    import matplotlib

    matplotlib.use("Agg")
    cls = load(folder, submissions)
    out = out or folder
    out.mkdir(parents=True, exist_ok=True)
    named, unnamed = misconceptions(cls), unnamed_failures(cls)
    sim, notes = code_similarity(cls, threshold) if any(s.hand_in is not None for s in cls.submissions) else (None, [])
    page, table = out / "report.html", out / "misconceptions.csv"
    page.write_text(render(cls, named, unnamed, sim, notes, threshold), encoding="utf-8")
    write_csv(table, named)
    return page, table
