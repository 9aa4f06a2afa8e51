"""Written answers, graded by hand: the questions and rubrics, a hand-in's answers, one PDF per hand-in, the scores.

Each part has ``solutions/<part>/written.md``: a few open questions ("explain in your own words ..."), each a block

    <!-- written: ID points=N section=EXERCISE -->
    ### The question's title
    The question.
    <!-- answer: ID -->
    (a reference answer between nbgrader's solution markers, "### BEGIN" and "### END" "SOLUTION")
    <!-- rubric -->
    - 1: what earns a point
    - common error: what to look out for

The stub ``assignments/<part>/written.md`` is the same without the reference answers and the rubrics
(:mod:`autograder.authoring.written`); students write under each ``<!-- answer: ID -->`` line. In the notebooks
each answer is an nbgrader "manually graded answer" cell (``grade_id`` ``written-<ID>``), graded in formgrader.

For files and Gradescope, :func:`render_pdf` writes one PDF per hand-in (matplotlib's PDF backend: already a
dependency, plain text, no TeX, no browser), and ``python -m autograder written`` makes one for each hand-in of a
folder with a ``scores.csv`` where the TAs enter each question's points; the gradebook adds them to the automatic
points (:func:`add_manual_columns`). Nothing a hand-in wrote is ever run: its text is read, made printable and
capped (:mod:`autograder.grading.textsafe`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS
from autograder.grading.textsafe import capped, csv_row, printable
from autograder.runtime.curriculum import PACKAGES
from autograder.settings import Settings

FILE = "written.md"
HEADER = re.compile(r"^<!--\s*written:\s*(\w+)((?:\s+\w+=\S+)*)\s*-->\s*$")
ANSWER = re.compile(r"^<!--\s*answer:\s*(\w+)\s*-->\s*$")
RUBRIC = re.compile(r"^<!--\s*rubric\s*-->\s*$")
ITEM = re.compile(r"^-\s*(\d+(?:\.\d+)?)\s*:\s*(.+)$")
ERROR = re.compile(r"^-\s*common error\s*:\s*(.+)$", re.IGNORECASE)
STUB_ANSWER = "YOUR ANSWER HERE"  # nbgrader's text stub (ClearSolutions.text_stub)
SOLUTION_LINE = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$", re.MULTILINE)
MAX_FILE = 2 << 20  # bytes of one written.md or notebook read from a hand-in
MAX_ANSWER = 8000  # characters of one answer put in a PDF
GRADE_ID = "written-{}"  # the nbgrader grade_id of an answer cell


@dataclass
class Question:
    id: str
    part: str
    points: float
    section: str  # the exercise whose notebook section teaches it
    title: str
    prompt: str
    reference: str = ""
    rubric: list[tuple[float, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def column(self) -> str:
        """Its column in ``scores.csv``: ``attention/why_mask (2)``."""
        return f"{self.part}/{self.id} ({self.points:g})"


def parse(text: str, part: str) -> tuple[str, list[Question], dict[str, str]]:
    """``(intro, questions, answers)`` of a ``written.md``: the text before the first question, each question,
    and what is written under each ``<!-- answer: ID -->`` line (solution markers and the stub removed)."""
    intro: list[str] = []
    questions: list[Question] = []
    answers: dict[str, list[str]] = {}
    where = "intro"
    for line in text.splitlines():
        header = HEADER.match(line)
        answer = ANSWER.match(line)
        if header:
            options = dict(item.split("=", 1) for item in header.group(2).split())
            questions.append(
                Question(header.group(1), part, float(options.get("points", 1)), options.get("section", ""), "", "")
            )
            where = "prompt"
        elif answer and questions and answer.group(1) == questions[-1].id:
            where = "answer"
            answers[questions[-1].id] = []
        elif RUBRIC.match(line) and questions:
            where = "rubric"
        elif where == "intro":
            intro.append(line)
        elif where == "prompt":
            q = questions[-1]
            if not q.title and line.startswith("#"):
                q.title = line.lstrip("#").strip()
            else:
                q.prompt += line + "\n"
        elif where == "answer":
            answers[questions[-1].id].append(line)
        elif where == "rubric":
            item, error = ITEM.match(line.strip()), ERROR.match(line.strip())
            if error:
                questions[-1].errors.append(error.group(1).strip())
            elif item:
                questions[-1].rubric.append((float(item.group(1)), item.group(2).strip()))
    texts = {}
    for q in questions:
        q.prompt = q.prompt.strip()
        body = SOLUTION_LINE.sub("", "\n".join(answers.get(q.id, []))).strip()
        texts[q.id] = "" if body == STUB_ANSWER else body
        q.reference = texts[q.id]
    return "\n".join(intro).strip(), questions, texts


def questions(root: Path | None = None) -> list[Question]:
    """Every part's written questions, in course order: from the reference when this kit has it (with rubrics),
    else from the stubs."""
    root = root or (SOLUTIONS if (SOLUTIONS / PACKAGES[0] / FILE).is_file() else ASSIGNMENTS)
    found = []
    for part in PACKAGES:
        path = root / part / FILE
        if path.is_file():
            found += parse(path.read_text(encoding="utf-8"), part)[1]
    return found


# --------------------------------------------------------------------------- a hand-in's answers


def _read_regular(path: Path) -> str | None:
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE:
        return None
    return path.read_text(encoding="utf-8", errors="replace")


def _files(handin: Path) -> Iterator[tuple[str, str]]:
    """``(relative name, text)`` of the hand-in's written.md files and notebooks: a folder (links not followed) or
    a zip (members read, never extracted)."""
    if handin.is_file() and zipfile.is_zipfile(handin):
        with zipfile.ZipFile(handin) as z:
            if len(z.infolist()) > Settings.from_env().max_files:
                raise OSError(f"more than {Settings.from_env().max_files} files (AUTOGRADER_MAX_FILES)")
            for info in z.infolist():
                if (
                    info.filename.endswith(("/" + FILE, ".ipynb")) or info.filename == FILE
                ) and info.file_size <= MAX_FILE:
                    yield info.filename, z.read(info).decode("utf-8", errors="replace")
        return
    if handin.is_symlink():
        return  # a hand-in that is a link is read nowhere, as the grader refuses it
    budget = Settings.from_env().max_files
    for here, dirs, names in os.walk(handin):  # never into a linked folder
        dirs.sort()
        budget -= len(names)
        if budget < 0:
            raise OSError(f"more than {Settings.from_env().max_files} files (AUTOGRADER_MAX_FILES)")
        for name in sorted(names):
            path = Path(here, name)
            if (name == FILE or path.suffix == ".ipynb") and not path.is_symlink():
                text = _read_regular(path)
                if text is not None:
                    yield path.relative_to(handin).as_posix(), text


def _notebook_answers(text: str) -> dict[str, str]:
    """``ID -> answer`` of the notebook's written-answer cells (nbgrader's ``written-<ID>`` grade ids)."""
    import json

    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return {}
    found = {}
    for cell in cells if isinstance(cells, list) else []:
        grade_id = str(((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id", ""))
        if (
            cell.get("cell_type") == "markdown"
            and grade_id.startswith("written-")
            and not grade_id.endswith("-question")
        ):
            source = cell.get("source", "")
            body = SOLUTION_LINE.sub("", "".join(source) if isinstance(source, list) else str(source)).strip()
            found[grade_id.removeprefix("written-")] = "" if body == STUB_ANSWER else body
    return found


def handin_answers(handin: Path) -> dict[tuple[str, str], str]:
    """``(part, ID) -> answer`` of a hand-in: its ``<part>/written.md`` files, else its notebooks' answer cells."""
    from_files: dict[tuple[str, str], str] = {}
    from_notebooks: dict[tuple[str, str], str] = {}
    for name, text in _files(handin):
        parts = [p for p in PACKAGES if f"{p}/" in f"/{name}" or name.endswith(f"{p}.ipynb")]
        if not parts:
            continue
        if name.endswith(FILE):
            for qid, answer in parse(text, parts[-1])[2].items():
                if answer:
                    from_files[(parts[-1], qid)] = answer
        else:
            for qid, answer in _notebook_answers(text).items():
                if answer:
                    from_notebooks[(parts[-1], qid)] = answer
    return {**from_notebooks, **from_files}  # the file wins where both hold an answer, as for code


# what reading a broken hand-in can raise: a zip whose data or directory is corrupt, encrypted or in a compression
# zipfile lacks, a file that vanished or cannot be read, more files than the grader takes, a tree too deep to walk
# (RecursionError is a RuntimeError)
UNREADABLE = (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error)


def read_answers(handin: Path) -> tuple[dict[tuple[str, str], str], str]:
    """:func:`handin_answers`, and "" or why the hand-in could not be read (then no answers): one broken upload must
    not stop a class's PDFs, or Gradescope's grading of that upload."""
    try:
        return handin_answers(handin), ""
    except UNREADABLE as error:
        return {}, f"the hand-in could not be read: {type(error).__name__}: {error}"


# --------------------------------------------------------------------------- the PDF

WIDTH = 92  # characters per line on an A4 page at 9 pt


SOFT_BREAK = re.compile(r"(?<=\S)[ \t]*\n(?![ \t]*(?:\n|[-*+>|#]|\d+[.)]\s))")  # a markdown paragraph's line break


def _flowed(markdown: str) -> str:
    """``markdown`` with each paragraph on one line: the source's line breaks (written.md wraps at 100 columns) are
    soft, so the PDF rewraps them at its own width; blank lines, list items and headings still start a line."""
    return SOFT_BREAK.sub(" ", markdown)


def _lines(qs: list[Question], answers: dict[tuple[str, str], str], rubric: bool) -> list[tuple[str, str]]:
    """``(style, text)`` lines of the PDF: a heading, then per question its title, prompt, answer and rubric."""
    import textwrap

    out: list[tuple[str, str]] = []

    def para(style: str, text: str) -> None:
        text = _flowed(text) if style == "prompt" else text
        for raw in printable(text).splitlines() or [""]:
            # words stay whole ("window-by-window" is not cut at its hyphens): the PDF reads and searches as written
            wrapped = textwrap.wrap(raw, WIDTH, replace_whitespace=False, break_on_hyphens=False)
            out.extend((style, line) for line in wrapped or [""])

    part = ""
    for n, q in enumerate(qs, 1):
        if q.part != part:
            part = q.part
            out.append(("part", f"Part: {part}"))
        out.append(("title", f"W{n}. {q.title} ({q.points:g} points)"))
        para("prompt", q.prompt)
        answer = answers.get((q.part, q.id), "")
        out.append(("label", "Answer:"))
        para("answer", capped(answer, MAX_ANSWER) if answer.strip() else "(no answer)")
        if rubric and q.rubric:
            out.append(("label", "Rubric:"))
            for points, text in q.rubric:
                para("rubric", f"[{points:g}] {text}")
            for text in q.errors:
                para("rubric", f"common error: {text}")
        out.append(("gap", ""))
    return out


STYLES = {  # style -> (font size, weight, colour, line height in points)
    "heading": (14, "bold", "black", 22),
    "part": (12, "bold", "black", 18),
    "title": (10, "bold", "black", 14),
    "prompt": (9, "normal", "#444444", 12),
    "label": (9, "bold", "black", 13),
    "answer": (9, "normal", "black", 12),
    "rubric": (8, "normal", "#7a3b00", 11),
    "gap": (9, "normal", "black", 10),
}


def render_pdf(
    path: Path,
    ident: str,
    answers: dict[tuple[str, str], str],
    rubric: bool = False,
    submitted_by: str = "",
    problem: str = "",
) -> Path:
    """Write the written answers of hand-in ``ident`` to ``path``: one PDF, questions in course order, under a
    heading that names the hand-in (``submitted_by``, who handed it in, where that is known; ``problem``, why its
    answers could not be read, where they could not)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    lines = [("heading", f"Written answers: {printable(ident, keep_newlines=False)}")]
    if submitted_by:
        lines.append(("part", f"Submitted by: {capped(printable(submitted_by, keep_newlines=False), WIDTH)}"))
    if problem:
        lines.append(("label", capped(printable(problem, keep_newlines=False), WIDTH)))
    lines += _lines(questions(), answers, rubric)
    top, bottom, height = 800.0, 50.0, 842.0  # A4 in points
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        rc_context({"pdf.fonttype": 42, "text.usetex": False}),  # TrueType text, so the PDF can be searched and read
        warnings.catch_warnings(),
        PdfPages(path, metadata={"Title": f"Written answers: {ident}", "CreationDate": None}) as pdf,
    ):
        warnings.simplefilter("ignore")  # a glyph the font lacks (an emoji) is drawn as a box, not an error
        y, fig = top, None
        for style, text in lines:
            size, weight, colour, step = STYLES[style]
            if fig is None or y - step < bottom:
                if fig is not None:
                    pdf.savefig(fig)
                fig, y = Figure(figsize=(8.27, 11.69)), top
            indent = 0.12 if style in ("answer", "rubric") else 0.08
            fig.text(
                indent,
                y / height,
                text,
                fontsize=size,
                weight=weight,
                color=colour,
                parse_math=False,
                family="monospace" if style == "answer" else "sans-serif",
                va="top",
            )
            y -= step
        if fig is not None:
            pdf.savefig(fig)
    return path


# --------------------------------------------------------------------------- the scores TAs enter, the gradebook

SCORES = Path("written") / "scores.csv"  # under a batch's OUT
MANUAL_COLUMNS = ("manual", "manual_max", "manual_status", "combined", "combined_max")


def scores_header(qs: list[Question]) -> list[str]:
    return ["id", *(q.column for q in qs), "comment"]


def write_scores_template(path: Path, ids: list[str], qs: list[Question]) -> None:
    """``scores.csv`` with a row per hand-in: the rows already there (what TAs entered) kept, new ids added."""
    header = scores_header(qs)
    rows: dict[str, dict[str, str]] = {}
    if path.exists():
        with path.open(newline="", encoding="utf-8") as f:
            rows = {r["id"]: r for r in csv.DictReader(f) if r.get("id")}
    for ident in ids:
        rows.setdefault(ident, {"id": ident})
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for ident in sorted(rows):
        writer.writerow(csv_row([rows[ident].get(column) or "" for column in header]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def manual_scores(path: Path, qs: list[Question]) -> dict[str, tuple[float, str]]:
    """``id -> (points, status)`` from ``scores.csv``: ``graded``, ``3 of 10 graded``, or why a cell is invalid."""
    if not path.exists():
        return {}
    out = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            total, graded, problems = 0.0, 0, []
            for q in qs:
                cell = (row.get(q.column) or "").strip()
                if not cell:
                    continue
                try:
                    value = float(cell)
                except ValueError:
                    value = float("nan")
                if not 0 <= value <= q.points:
                    shown = capped(printable(cell, keep_newlines=False), 20)
                    problems.append(f"{q.part}/{q.id}: {shown!r} is not in [0, {q.points:g}]")
                    continue
                total, graded = total + value, graded + 1
            if problems:
                status = "invalid: " + "; ".join(problems)
            else:
                status = "graded" if graded == len(qs) else f"{graded} of {len(qs)} graded" if graded else "not graded"
            out[str(row.get("id", ""))] = (total, status)
    return out


def add_manual_columns(gradebook: Path, scores: Path | None = None) -> None:
    """Append (or refresh) the hand-graded points to ``gradebook.csv``: ``manual`` (and its max and status) from
    ``written/scores.csv``, and ``combined`` = the automatic ``total`` + ``manual``."""
    qs = questions()
    scores = scores or gradebook.parent / SCORES
    manual = manual_scores(scores, qs)
    manual_max = sum(q.points for q in qs)
    with gradebook.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    header = rows[0]
    keep = [i for i, name in enumerate(header) if name not in MANUAL_COLUMNS]
    total_at, max_at = header.index("total"), header.index("max_score")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([*(header[i] for i in keep), *MANUAL_COLUMNS])
    for row in rows[1:]:
        points, status = manual.get(row[0], (0.0, "not graded"))
        if status.startswith("invalid"):
            points = 0.0
        try:
            auto, auto_max = float(row[total_at] or 0), float(row[max_at] or 0)
        except (ValueError, IndexError):
            auto, auto_max = 0.0, 0.0
        writer.writerow(
            [
                *(row[i] for i in keep if i < len(row)),
                f"{points:g}",
                f"{manual_max:g}",
                status,
                f"{auto + points:g}",
                f"{auto_max + manual_max:g}",
            ]
        )
    gradebook.write_text(buffer.getvalue(), encoding="utf-8")


# --------------------------------------------------------------------------- Gradescope's export

GRADESCOPE_METADATA = "submission_metadata.yml"  # beside the submission_<n>/ folders of Gradescope's export
MAX_METADATA = 512 << 20  # bytes: the file repeats every submission's results.json, so a large class's is large


def hand_in_folder(folder: Path) -> Path:
    """The folder whose entries are the hand-ins: ``folder`` itself, or, where it holds nothing but the
    ``assignment_<n>_export/`` folder that unzipping Gradescope's *Download Submissions* gives, that folder (else
    the whole class would read as one hand-in, its answers mixed)."""
    if (folder / GRADESCOPE_METADATA).is_file():
        return folder
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        if (entries[0] / GRADESCOPE_METADATA).is_file():
            return entries[0]
    return folder


def gradescope_submitters(folder: Path) -> dict[str, str]:
    """``submission folder -> who handed it in`` (``Ada Lovelace <ada@uni.example>, SID 11``; a group's members
    joined by ``;``) from Gradescope's ``submission_metadata.yml`` in ``folder``; empty where there is none.

    The file is Gradescope's own YAML (Ruby symbols as keys: ``:submitters``, ``:name``, ``:email``, ``:sid``),
    read with PyYAML's safe loader, never executed."""
    import yaml

    path = folder / GRADESCOPE_METADATA
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_METADATA:
            return {}
        # libyaml's safe parser where it is installed (a large class's file loads in seconds), else PyYAML's own
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8", errors="replace"), Loader=loader)
    except (OSError, yaml.YAMLError):
        return {}
    found = {}
    for name, entry in data.items() if isinstance(data, dict) else []:
        people = entry.get(":submitters") if isinstance(entry, dict) else None
        described = []
        for person in people if isinstance(people, list) else []:
            if isinstance(person, dict):
                who, email, sid = (str(person.get(f":{k}") or "").strip() for k in ("name", "email", "sid"))
                named = " ".join(filter(None, [who, f"<{email}>" if email else ""]))
                described.append(named + (f", SID {sid}" if sid else ""))
        if described:
            found[str(name).lstrip(":")] = "; ".join(described)
    return found


def write_class(submissions: Path, out: Path, rubric: bool = True) -> list[Path]:
    """One PDF per hand-in of ``submissions`` in ``out/written/<id>.pdf`` (with the rubric, for the TAs), the
    ``scores.csv`` to enter points in, and the gradebook's manual columns when ``out`` holds a gradebook.

    ``submissions`` may be Gradescope's export, unzipped: each ``submission_<n>/`` is a hand-in, its PDF names who
    handed it in (from ``submission_metadata.yml``), and an upload that is a single zip is read from that zip, as
    ``run_autograder`` graded it (:func:`autograder.grading.gradescope.what_to_grade`)."""
    from autograder.grading.batch import find_submissions
    from autograder.grading.gradescope import what_to_grade

    submissions = hand_in_folder(submissions)
    submitters = gradescope_submitters(submissions)
    written = []
    ids = []
    for ident, path in find_submissions(submissions):
        ids.append(ident)
        if submitters and path.is_dir() and not path.is_symlink():
            path, _ = what_to_grade(path)
        pdf = out / "written" / f"{ident}.pdf"
        answers, problem = read_answers(path)
        written.append(render_pdf(pdf, ident, answers, rubric, submitters.get(ident, ""), problem))
    write_scores_template(out / SCORES, ids, questions())
    if (out / "gradebook.csv").exists():
        add_manual_columns(out / "gradebook.csv")
    return written
