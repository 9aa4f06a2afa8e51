"""The written questions' student side and notebook cells, made from ``solutions/<part>/written.md``.

- :func:`make_stub`: ``assignments/<part>/written.md``, the questions with each reference answer replaced as
  nbgrader's ``ClearSolutions`` replaces a markdown solution region (``YOUR ANSWER HERE``) and no rubric;
- :func:`question_cells`: a question's two notebook cells, its text (read-only) and an nbgrader "manually graded
  answer" cell worth its points, graded in formgrader;
- :func:`rubric_markdown`: what formgrader shows the grader under each answer (``nbgrader_config.py`` inserts it
  while autograding, and takes it out of the students' feedback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.authoring.course import KERNELSPEC
from autograder.grading import written
from autograder.grading.loader import SOLUTIONS
from autograder.runtime.curriculum import PACKAGES

RUBRIC_KEY = "autograder_rubric"  # cell metadata marking a rubric cell inserted for the grader


def _clear(markdown: str) -> str:
    """``markdown`` as nbgrader releases it when it is a solution cell: each solution region -> its text stub."""
    import nbformat
    from nbgrader.preprocessors import ClearSolutions

    cell = nbformat.v4.new_markdown_cell(markdown)
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": "answer",
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": KERNELSPEC})
    nb, _ = ClearSolutions().preprocess(nb, {})
    return str(nb.cells[0].source)


def _header(q: written.Question) -> str:
    return f"<!-- written: {q.id} points={q.points:g} section={q.section} -->"


def make_stub(source: str, part: str) -> str:
    """The student's ``written.md`` of one part: intro and questions, answers cleared, rubrics left out."""
    intro, qs, _ = written.parse(source, part)
    blocks = [intro]
    for q in qs:
        answer = _clear(f"### BEGIN SOLUTION\n{q.reference}\n### END SOLUTION")
        blocks.append(f"{_header(q)}\n### {q.title}\n\n{q.prompt}\n\n<!-- answer: {q.id} -->\n{answer}")
    return "\n\n".join(blocks) + "\n"


def expected_stubs(src: Path = SOLUTIONS) -> dict[Path, str]:
    """Relative path -> stub text of every part's ``written.md``."""
    return {
        Path(part) / written.FILE: make_stub((src / part / written.FILE).read_text(encoding="utf-8"), part)
        for part in PACKAGES
        if (src / part / written.FILE).is_file()
    }


def by_id(part: str, src: Path = SOLUTIONS) -> dict[str, written.Question]:
    path = src / part / written.FILE
    return {q.id: q for q in written.parse(path.read_text(encoding="utf-8"), part)[1]} if path.is_file() else {}


def question_cells(part: str, qid: str) -> list[Any]:
    """The question's read-only text cell and its manually graded answer cell (the reference inside nbgrader's
    solution markers, which ``generate_assignment`` turns into ``YOUR ANSWER HERE``)."""
    import nbformat

    q = by_id(part)[qid]
    text = nbformat.v4.new_markdown_cell(
        f"**Written question ({q.points:g} points, graded by hand): {q.title}**\n\n{q.prompt}\n\n"
        "*Write your answer in the cell below, in your own words.*"
    )
    text.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": written.GRADE_ID.format(qid) + "-question",
        "locked": True,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    answer = nbformat.v4.new_markdown_cell(f"### BEGIN SOLUTION\n{q.reference}\n### END SOLUTION")
    answer.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": written.GRADE_ID.format(qid),
        "locked": False,
        "points": q.points,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    return [text, answer]


def rubric_markdown(q: written.Question) -> str:
    """The rubric of ``q`` as the grader reads it in formgrader: points per item, common errors, a reference."""
    lines = [f"**Rubric for the grader ({q.points:g} points): {q.title}**", ""]
    lines += [f"- **{points:g}**: {text}" for points, text in q.rubric]
    lines += [f"- *common error*: {text}" for text in q.errors]
    lines += ["", f"*Reference answer*: {q.reference}"]
    return "\n".join(lines)


def insert_rubrics(nb: Any, part: str, src: Path = SOLUTIONS) -> Any:
    """``nb`` with a rubric cell after each written-answer cell (for formgrader; never in the students' release)."""
    import nbformat

    known = by_id(part, src)
    cells = []
    for cell in nb.cells:
        if cell.get("metadata", {}).get(RUBRIC_KEY):
            continue  # a rubric from an earlier autograde: replaced, not doubled
        cells.append(cell)
        grade_id = str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
        qid = grade_id.removeprefix("written-")
        if cell.cell_type == "markdown" and grade_id.startswith("written-") and qid in known:
            rubric = nbformat.v4.new_markdown_cell(rubric_markdown(known[qid]))
            rubric.metadata[RUBRIC_KEY] = qid
            cells.append(rubric)
    nb.cells = cells
    return nb


def remove_rubrics(nb: Any) -> Any:
    """``nb`` without the rubric cells :func:`insert_rubrics` added (the students' feedback)."""
    nb.cells = [c for c in nb.cells if not c.get("metadata", {}).get(RUBRIC_KEY)]
    return nb
