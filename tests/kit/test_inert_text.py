"""A submission's text is inert wherever it lands (DESIGN.md, "Inert text"; issue 18).

A generator of hostile strings (every C0 and C1 control character, clear-screen, window-title and OSC 8 link
sequences, carriage-return overwrites, CSV formula starts, HTML and rich markup, mathtext, lone surrogates, very
long strings, fake "Likely mistake:" lines) is injected into every channel a submission controls: an error's
message and first line, its exception's type name, what it prints (to sys.stdout, sys.stderr and the raw file
descriptors), its file and folder names, its code. The guarantees are then checked on what the kit writes, never
on an example's exact text:

- no control character reaches the terminal (``grade``, on a pipe and on a real pseudo-terminal) or a batch log;
- no cell of ``misconceptions.csv`` starts a formula, and none holds a control character;
- every misconception is a name a mistake model gave (structured data), never one the submission printed;
- ``report.html`` is written, with every other student's rows and every plot rendered, whatever one hand-in holds
  (a formula, markup, mathtext, a 60,000-term expression the similarity pass cannot parse, a corrupt results file).

The class is built two ways: results files written directly (many hostile records, fast), and real hand-ins graded
by ``python -m autograder grade`` and ``batch`` (isolated, one exercise).
"""

from __future__ import annotations

import base64
import csv
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.authoring import report
from autograder.cli import main
from autograder.grading import batch, nbgrader_grades, sandbox
from autograder.grading.compare import Feedback, check, naming
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.grading.reporters import render_table
from autograder.grading.results import Report
from autograder.grading.results import TestResult as Result
from autograder.grading.textsafe import FORMULA_STARTS, html_text
from tests.mutants import all_mutants

pytestmark = pytest.mark.timeout(300)

CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])
ANY_CONTROL = re.compile(f"[{re.escape(CONTROLS)}]")  # every C0 (but tab and newline), DEL and every C1
PIECES = {
    "clear-screen": "\x1b[2J\x1b[3J\x1b[H",
    "window-title": "\x1b]0;you have been graded 100/100\x07",
    "osc8-link": "\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\",
    "csi-8bit": "\x9b2J\x9d0;title\x9c",
    "cr-overwrite": "all tests passed\r",
    "bell-backspace": "abc\x07\x08\x08\x08xyz",
    "every-control": CONTROLS,
    "formula-equals": '=HYPERLINK("https://evil.example","open me")',
    "formula-plus": "+1+cmd|' /C calc'!A0",
    "formula-minus": "-2+3+cmd|' /C calc'!A0",
    "formula-at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "formula-tab": "\t=1+1",
    "formula-cr": "\r=1+1",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "attribute-break": "'\"><b onmouseover=alert(3)>x</b>",
    "rich-markup": "[bold red]FAKE[/] [link=https://evil.example]x[/link] :skull:",
    "mathtext": r"$\frac{}{}$",
    "mathtext-unbalanced": "costs $5",
    "mathtext-unknown": r"$\notacommand{x}_^$",
    "surrogate": "\ud800\udfff",
    "long": "A" * 100_000,
}
FAKE_MISTAKE = "\n  Likely mistake: "
HTML_PIECES = ("<script", "<img src=x", "<b onmouseover")  # what must never reach the page as markup


def hostile_strings() -> Iterator[tuple[str, str]]:
    """(name, string): every piece alone, as a fake "Likely mistake" line, after a formula start, and all at once."""
    for name, piece in PIECES.items():
        yield name, piece
        yield f"{name}-as-mistake", f"wrong{FAKE_MISTAKE}{piece}"
        yield f"{name}-after-formula", f"={piece}"
    yield "everything", "".join(PIECES.values())


def no_control(text: str) -> bool:
    return ANY_CONTROL.search(text) is None


def file_name(text: str, n: int) -> str:
    """``text`` as much as a file name may hold (no ``/``, NUL or surrogate, at most 60 characters), made unique."""
    kept = re.sub("[/\x00\ud800-\udfff]", "", text)[:60]
    return f"{kept}-{n}" if kept not in ("", ".", "..") else f"empty-{n}"


# --------------------------------------------------------------------------- the channels, one by one


@pytest.mark.parametrize(("name", "text"), list(hostile_strings()), ids=[n for n, _ in hostile_strings()])
def test_the_terminal_table_shows_every_first_line_printable(name, text):
    results = Report(
        [
            Result("one_hot", "t1", "a test", 1, 0, "failed", output=text + FAKE_MISTAKE + text),
            Result("masks", "t2", "another", 1, 0, "failed", output=f"your code raised {text}: {text}"),
        ]
    )
    table = render_table(results, points=True, width=400)
    assert no_control(table), name
    if text.startswith("\x1b"):
        assert "\\x1b" in table  # shown as an escape, not dropped
    if name == "rich-markup":
        assert "[bold red]FAKE[/]" in table and ":skull:" in table  # text, never rich markup or an emoji


def test_a_mistake_is_named_by_the_model_never_by_the_message():
    """Feedback carries the names its models gave as data; a message that only says "Likely mistake" names none."""
    with pytest.raises(Feedback) as info:
        check(3, 4, what="f(x)", mistakes={"off by one": 3, "doubled": 8})
    assert info.value.mistakes == ("off by one",) and "Likely mistake: off by one" in str(info.value)
    assert Feedback(f"f(x): wrong{FAKE_MISTAKE}=HYPERLINK(1)").mistakes == ()
    named = naming("f(x): raised KeyError", "no unk fallback")
    assert named.mistakes == ("no unk fallback",) and str(named).endswith("Likely mistake: no unk fallback")
    assert named.with_note("\n  Note: fix masks first").mistakes == ("no unk fallback",)


def test_the_notebook_source_names_only_what_grade_hidden_recorded():
    printed = "\n".join(
        [
            "one_hot: 0/2 points from the hidden tests",
            "FAIL build_vocab  (0/1)",
            "       your code raised ValueError: x",
            "         Likely mistake: =HYPERLINK(1)",
            "FAIL encode  (0/1)",
            "       encode(...): wrong",
            "         Likely mistake: printed by the student",
        ]
    )
    assert all(not o.mistakes for o in report.parse_notebook_feedback("one_hot", printed, "", 2))
    results = Report(
        [
            Result("one_hot", "build_vocab", "build_vocab", 1, 0, "failed", error_kind="raised"),
            Result("one_hot", "encode", "encode", 1, 0, "failed", mistakes=["ties by first occurrence"]),
        ]
    )
    tests = nbgrader_grades.results_bundle(results)[nbgrader_grades.RESULTS_MIME]["tests"]
    outcomes = report.parse_notebook_feedback("one_hot", printed, "", 2, tests)
    assert [(o.title, o.mistakes) for o in outcomes] == [
        ("build_vocab", []),
        ("encode", ["ties by first occurrence"]),
    ]
    assert "=HYPERLINK(1)" in outcomes[0].output  # the feedback is kept as text to show, never read for names


def test_an_autograded_notebook_class_with_hostile_and_broken_notebooks(tmp_path):
    """nbgrader's autograded/: a notebook whose cell prints every hostile string (fake mistakes too) beside the
    data ``grade_hidden`` displays, one that is not JSON, one whose display data is malformed: the report is written,
    names only what the data names, and says which notebooks it could not read."""
    import nbformat

    def autograded(student: str, outputs: list[nbformat.NotebookNode] | None, raw: str | None = None) -> None:
        path = tmp_path / "autograded" / student / "embeddings" / "embeddings.ipynb"
        path.parent.mkdir(parents=True)
        if raw is not None:
            path.write_text(raw, encoding="utf-8")
            return
        cell = nbformat.v4.new_code_cell("grade_hidden('one_hot', 2)")
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": "one_hot-tests", "points": 2, "solution": False}
        cell.outputs = outputs or []
        path.write_text(json.dumps(nbformat.v4.new_notebook(cells=[cell])), encoding="utf-8")  # JSON keeps \ud800

    def printed(text: str) -> str:
        head = ["one_hot: 0/2 points from the hidden tests", "FAIL build_vocab  (0/2)"]
        return "\n".join(head + ["       " + line for line in f"{text}{FAKE_MISTAKE}{text}".splitlines()])

    named = Report([Result("one_hot", "b", "build_vocab", 2, 0, "failed", mistakes=["ties broken by first occurrence"])])
    for n, (_, text) in enumerate(hostile_strings()):
        stream = nbformat.v4.new_output("stream", name="stdout", text=printed(text))
        autograded(file_name(text, n), [stream, nbformat.v4.new_output("display_data", data=nbgrader_grades.results_bundle(named))])
    autograded("printed-only", [nbformat.v4.new_output("stream", name="stdout", text=printed(PIECES["formula-equals"]))])
    autograded("not-json", None, raw="{")
    autograded("bad-data", [nbformat.v4.new_output("display_data", data={nbgrader_grades.RESULTS_MIME: {"tests": [7, None]}})])
    assert main(["report", str(tmp_path / "autograded"), "--out", str(tmp_path / "report")]) == 0
    cls = report.load(tmp_path / "autograded")
    assert {s.id for s in cls.submissions if s.status == "error"} == {"not-json"}
    found = report.misconceptions(cls)
    assert [f.name for f in found] == ["ties broken by first occurrence"]
    assert len(found[0].students) == len(list(hostile_strings()))  # not printed-only, whose lines only say it
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert no_control(page) and all(markup not in page for markup in HTML_PIECES)
    assert html_text("printed-only") in page and "could not be read" in page


def test_no_refusal_starts_with_a_name_the_submission_chose(tmp_path):
    for n, (_, text) in enumerate(hostile_strings()):
        path = tmp_path / file_name(text, n)
        path.write_text("not a hand-in", encoding="utf-8")
        with pytest.raises(sandbox.SubmissionError) as info:
            sandbox.prepare(path, tmp_path / f"dest-{n}")
        assert str(info.value).startswith("the hand-in "), str(info.value)[:80]


# --------------------------------------------------------------------------- a class of results files


def write_results(path: Path, tests: list[Result], output: str = "") -> None:
    Report(tests, execution_time=1.0, output=output).write(path)


MODEL_NAMES = {  # what the fake class's mistake models named: mathtext and a formula start included
    "good-a": ["ties broken by first occurrence"],
    "good-b": ["ties broken by first occurrence", r"scaled by $\sqrt{d_k}$ twice"],
    "good-c": ["-1 kept as an id (a model's name may start like a formula)"],
}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """(OUT with results/<id>.json, the hand-ins, hostile id -> its string): every hostile string in a test's
    output, its first line, a fake "Likely mistake" line, a hang's detail, the student's id and code."""
    tmp = tmp_path_factory.mktemp("hostile-class")
    out, subs = tmp / "out", tmp / "subs"
    reference = (SOLUTIONS / "embeddings" / "one_hot.py").read_text(encoding="utf-8")
    hostile: dict[str, str] = {}
    for n, (_, text) in enumerate(hostile_strings()):
        ident = file_name(text, n)
        hostile[ident] = text
        write_results(
            out / "results" / f"{ident}.json",
            [
                Result("one_hot", "t1", "build_vocab orders ties", 2, 0, "failed", text + FAKE_MISTAKE + text),
                Result("one_hot", "t2", "encode", 1, 1, "passed"),
                Result("masks", "t3", "causal mask", 1, 0, "failed", text, error_kind="timeout"),
            ],
        )
        (subs / ident / "embeddings").mkdir(parents=True)
        code = reference + "\n# " + text.replace("\n", " ") + "\n"
        (subs / ident / "embeddings" / "one_hot.py").write_text(code, encoding="utf-8", errors="replace")
    for ident, names in MODEL_NAMES.items():
        write_results(
            out / "results" / f"{ident}.json",
            [
                Result("one_hot", "t1", "build_vocab orders ties", 2, 0, "failed", "wrong", mistakes=names),
                Result("one_hot", "t2", "encode", 1, 1, "passed"),
                Result("masks", "t3", "causal mask", 1, 1, "passed"),
            ],
        )
        shutil.copytree(SOLUTIONS / "embeddings", subs / ident / "embeddings")
    write_results(  # the 60,000-term expression: graded (it could not import), then compared
        out / "results" / "deep.json",
        [Result("one_hot", "t1", "build_vocab orders ties", 2, 0, "failed", "no import", error_kind="import")],
    )
    (subs / "deep" / "embeddings").mkdir(parents=True)
    deep = reference + "\nDEEP = " + "1+" * 60_000 + "1\n"
    (subs / "deep" / "embeddings" / "one_hot.py").write_text(deep, encoding="utf-8")
    (out / "results" / "corrupt.json").write_text('{"tests": [{"name": ', encoding="utf-8")
    (out / "results" / "nested.json").write_text("[" * 200_000, encoding="utf-8")
    assert main(["report", str(out), "--submissions", str(subs)]) == 0
    return out, subs, hostile


def test_the_report_is_written_for_the_whole_class(hostile_class):
    out, subs, hostile = hostile_class
    page = (out / "report.html").read_text(encoding="utf-8")
    cls = report.load(out, subs)
    assert len(cls.submissions) == len(hostile) + len(MODEL_NAMES) + 3
    assert {s.id: s.status for s in cls.submissions if s.status != "graded"} == {"corrupt": "error", "nested": "error"}
    assert f"{len(cls.submissions)} submission(s)" in page
    hangs = {i.id for i in report.incidents(cls) if i.kind == "hang"}
    assert hangs == set(hostile)  # the recorded error kind, whatever the output says
    for ident in [*hostile, *MODEL_NAMES, "deep", "corrupt", "nested"]:
        assert html_text(ident) in page, ident[:40]  # every student has their rows
    images = re.findall(r"<img src='data:image/png;base64,([^']+)'", page)
    assert len(images) == 2 + 1 + 1  # one histogram per exercise, the misconceptions, the grading times
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for data in images)


def test_the_report_page_holds_no_control_character_and_no_markup_of_theirs(hostile_class):
    out, _, _ = hostile_class
    page = (out / "report.html").read_text(encoding="utf-8")
    assert no_control(page)
    for markup in HTML_PIECES:
        assert markup not in page
    assert "&lt;script&gt;" in page  # shown, as text


def test_misconceptions_are_the_models_names_alone(hostile_class):
    out, subs, _ = hostile_class
    cls = report.load(out, subs)
    named = {(f.name, tuple(f.students)) for f in report.misconceptions(cls)}
    expected: dict[str, list[str]] = {}
    for ident, names in MODEL_NAMES.items():
        for name in names:
            expected.setdefault(name, []).append(ident)
    assert named == {(name, tuple(students)) for name, students in expected.items()}
    with open(out / "misconceptions.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == report.CSV_COLUMNS
    assert {(r[0], r[2].removeprefix("'")) for r in rows[1:]} == {(i, n) for n, students in expected.items() for i in students}
    for row in rows:
        for cell in row:
            assert no_control(cell) and not cell.startswith(FORMULA_STARTS), cell[:60]


def test_a_hand_in_the_similarity_pass_cannot_parse_is_a_note(hostile_class):
    out, subs, hostile = hostile_class
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Submission deep: one_hot not compared (its code could not be read: RecursionError" in page
    cls = report.load(out, subs)
    result, notes = report.code_similarity(cls, threshold=0.6)
    assert all(note.startswith("Submission ") for note in notes)
    pairs, compared = result["one_hot"]
    assert compared == len(hostile) + len(MODEL_NAMES)  # everyone but deep
    assert ("good-a", "good-b") in {(p.a, p.b) for p in pairs}
    for pair in pairs[:20]:  # the side-by-side views the page shows
        assert all(no_control(side) for side in pair.side_by_side())


# --------------------------------------------------------------------------- real hand-ins, really graded

HOSTILE_MESSAGE = (  # a real print of a lone surrogate fails in the student's own process: that one is left out
    "".join(v for k, v in PIECES.items() if k not in ("long", "surrogate")) + FAKE_MISTAKE + PIECES["formula-equals"]
)
INJECTION = f"""    import os as _os, sys as _sys
    print({HOSTILE_MESSAGE!r})
    print({FAKE_MISTAKE + PIECES["formula-equals"]!r})
    print({HOSTILE_MESSAGE!r}, file=_sys.stderr)
    _os.write(1, {PIECES["clear-screen"].encode()!r} + b"raw fd 1\\n")
    _os.write(2, {PIECES["window-title"].encode()!r} + b"raw fd 2\\n")
    raise type({PIECES["clear-screen"] + "=Evil" + PIECES["osc8-link"]!r}, (ValueError,), {{}})({HOSTILE_MESSAGE!r})
"""
HOSTILE_ID = '=HYPERLINK("evil.example")\x1b[2J\x1b]0;t\x07'  # a folder name: no slash


def hostile_hand_in(dest: Path) -> Path:
    """The reference, with every function of one_hot printing, writing and raising hostile text first."""
    shutil.copytree(SOLUTIONS, dest, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / "embeddings" / "one_hot.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n" + INJECTION), encoding="utf-8")
    return dest


def grade_output(submission: Path, results: Path, terminal: bool) -> str:
    """What ``python -m autograder grade`` writes to its stdout and stderr, on a pipe or a pseudo-terminal."""
    cmd = [sys.executable, "-m", "autograder", "grade", str(submission), "--only", "one_hot", "--results", str(results)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "100"}
    if not terminal:
        done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, timeout=240, check=True)
        return (done.stdout + done.stderr).decode("utf-8", "replace")
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=child_fd, stderr=child_fd)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait(timeout=240) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_grade_prints_nothing_of_theirs_that_a_terminal_would_obey(tmp_path):
    submission = hostile_hand_in(tmp_path / "hostile")
    piped = grade_output(submission, tmp_path / "piped.json", terminal=False)
    assert no_control(piped), repr(ANY_CONTROL.search(piped))
    assert "\\x1b" in piped  # the hostile first line is shown, escaped
    on_tty = grade_output(submission, tmp_path / "tty.json", terminal=True)
    # On a terminal the kit colours its own output (SGR, ESC [ ... m) and the terminal ends lines with CR LF:
    # nothing else may be a control character.
    kit_own = re.sub(r"\x1b\[[0-9;]*m", "", on_tty).replace("\r\n", "\n")
    assert no_control(kit_own), repr(ANY_CONTROL.search(kit_own))
    data = json.loads((tmp_path / "piped.json").read_text(encoding="utf-8"))
    assert any(FAKE_MISTAKE.strip() in t["output"] for t in data["tests"])  # the student's line is in the output,
    assert all(t["extra_data"]["mistakes"] == [] for t in data["tests"])  # and names no mistake


def test_batch_logs_csv_and_report_of_a_class_with_hostile_hand_ins(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "fingerprint", lambda only: "grader")
    ties = next(m for m in all_mutants() if m.id == "one_hot:ties-first-occurrence")
    subs = tmp_path / "subs"
    shutil.copytree(SOLUTIONS, subs / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    ties.apply(subs / "ties")
    hostile_hand_in(subs / HOSTILE_ID)
    shutil.copytree(SOLUTIONS, subs / "deep", ignore=shutil.ignore_patterns("__pycache__"))
    deep = subs / "deep" / "embeddings" / "one_hot.py"
    deep.write_text(deep.read_text(encoding="utf-8") + "\nDEEP = " + "1+" * 60_000 + "1\n", encoding="utf-8")
    out = tmp_path / "out"
    batch.run(subs, out, jobs=1, only=["one_hot"], progress=False)
    logs = sorted((out / "logs").glob("*.log"))
    assert len(logs) == 4
    for log in logs:
        text = log.read_bytes().decode("utf-8", "replace")
        assert no_control(text), (log.name, repr(ANY_CONTROL.search(text)))
    hostile = json.loads((out / "results" / f"{HOSTILE_ID}.json").read_text(encoding="utf-8"))
    assert all(t["extra_data"]["mistakes"] == [] for t in hostile["tests"])
    named_ties = {n for t in json.loads((out / "results" / "ties.json").read_text())["tests"] for n in t["extra_data"]["mistakes"]}
    assert ties.expect and any(ties.expect in n for n in named_ties)  # the model's name, as data

    assert main(["report", str(out), "--submissions", str(subs)]) == 0
    cls = report.load(out, subs)
    found = report.misconceptions(cls)
    assert {i for f in found for i in f.outcomes} == {"ties"}
    assert {f.name for f in found} == named_ties
    with open(out / "misconceptions.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert {r[0] for r in rows[1:]} == {"ties"}
    assert all(no_control(c) and not c.startswith(FORMULA_STARTS) for r in rows for c in r)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert no_control(page)
    for ident in ("reference", "ties", "deep"):
        assert ident in page
    assert html_text(HOSTILE_ID) in page
    assert "Submission deep: one_hot not compared (its code could not be read: RecursionError" in page
    assert page.count("<img src='data:image/png;base64,") == 3  # the histogram, the misconceptions, the times
