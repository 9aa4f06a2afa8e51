"""Concept checks and written questions: the answer key against independent oracles, grading that never runs an
answer, the lecture's coverage, one PDF of written answers per hand-in, and the gradebook's manual points."""

import ast
import csv
import math
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.authoring.notebooks import parse_narrative
from autograder.authoring.written import expected_stubs
from autograder.grading import concepts, written
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS
from autograder.grading.mistakes import names as registry
from autograder.grading.runner import SUITES, grade
from autograder.runtime.curriculum import CONCEPTS, EXERCISES, PART_OF
from tests.mutants.concepts import misconception_table

KEY = {name: concepts.reference_questions(EXERCISES[name]) for name in sorted(CONCEPTS)}


def answer(exercise: str, question: str):
    return KEY[exercise][question].answer()


def kit_mistake_names() -> set[str]:
    """Every mistake name the code exercises' feedback can show: the keys of the mistake tables, written out or a
    constant of the registry of shared names (autograder.grading.mistakes.names)."""

    def name(key: ast.expr | None) -> str | None:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
        shared = getattr(registry, key.id, None) if isinstance(key, ast.Name) else None
        return shared if isinstance(shared, str) else None

    names = set()
    files = [*(REPO_ROOT / "autograder" / "grading" / "mistakes").glob("*.py")]
    files += [p for p in SUITES.glob("test_*.py") if p.stem.removeprefix("test_") not in CONCEPTS]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            keys = node.keys if isinstance(node, ast.Dict) else [node.slice] if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) else []
            names |= {found for found in map(name, keys) if found is not None}
    return names


def test_each_part_has_8_to_12_concept_checks_and_written_questions_with_rubrics():
    for name, questions in KEY.items():
        assert 8 <= len(questions) <= 12, name
        for q in questions.values():
            assert concepts.form_problem(q, q.answer()) is None, (name, q.name)
            if q.annotation == "str":
                assert len(q.options) >= 3 and q.answer() in q.options, (name, q.name)
    for part in ("embeddings", "attention", "transformer"):
        qs = [q for q in written.questions(SOLUTIONS) if q.part == part]
        assert len(qs) >= 3, part
        assert len({q.id for q in qs}) == len(qs), f"{part}: two written questions share an id"
        for q in qs:
            assert q.title and q.prompt and q.reference and q.errors, q.id
            assert sum(p for p, _ in q.rubric) == q.points, f"{q.id}: the rubric's points must add up to the question's"


def lecture_sections(part: str) -> dict[str, dict[str, list[str]]]:
    """Each section of ``part``'s lecture, by the exercise it teaches: the concept checks and written questions placed
    under it (``{"concept": [...], "written": [...]}``), read from the narrative the notebook is built from."""
    found: dict[str, dict[str, list[str]]] = {}
    for _requires, blocks in parse_narrative((REPO_ROOT / "release" / "notebooks" / f"{part}.md").read_text()):
        taught = [b[2]["arg"] for b in blocks if b[:2] == ("directive", "exercise") and b[2]["arg"] not in CONCEPTS]
        for exercise in taught:
            found.setdefault(exercise, {"concept": [], "written": []})
        for kind, text, info in blocks:
            if kind == "directive" and text in ("concept", "written"):
                assert taught, f"{part}: {info['arg']} sits in a section that teaches no exercise"
                found[taught[0]][text].append(info["arg"])
    return found


def test_every_section_of_the_lecture_has_a_concept_check_and_a_written_question():
    """A section is a notebook section that teaches an exercise (each of the curriculum's exercises has one); its
    questions sit under it in the narrative, and a written question's ``section=`` names the section it sits in."""
    missing = []
    for part in ("embeddings", "attention", "transformer"):
        sections = lecture_sections(part)
        exercises = [e for e in EXERCISES if PART_OF[e] == part and e not in CONCEPTS]
        assert sorted(sections) == sorted(exercises), f"{part}: one lecture section per exercise"
        questions = [q for q in written.questions(SOLUTIONS) if q.part == part]
        concept = next(n for n in CONCEPTS if PART_OF[n] == part)
        placed = [name for s in sections.values() for name in s["concept"]]
        assert sorted(placed) == sorted(KEY[concept]), f"{part}: place every concept check once"
        placed = [qid for s in sections.values() for qid in s["written"]]
        assert sorted(placed) == sorted(q.id for q in questions), f"{part}: place every written question once"
        for q in questions:
            assert q.id in sections.get(q.section, {}).get("written", []), f"{q.id} is placed outside its section {q.section}"
        missing += [f"{part}/{e}: no {kind}" for e in exercises for kind in ("concept", "written") if not sections[e][kind]]
    assert not missing, "lecture sections without a question:\n" + "\n".join(missing)


def test_the_instructor_guide_lists_each_sections_questions_as_the_notebooks_place_them():
    """docs/INSTRUCTOR.md's table of sections (part, exercise, concept checks, written questions) is the narratives'."""
    guide = (REPO_ROOT / "docs" / "INSTRUCTOR.md").read_text()
    listed = {}
    for line in guide.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            written_ids = [w.split("`")[1] for w in cells[3].split("; ")]
            listed[cells[1].strip("`")] = (sorted(re.findall(r"`(\w+)`", cells[2])), sorted(written_ids))
    expected = {}
    for part in ("embeddings", "attention", "transformer"):
        for exercise, placed in lecture_sections(part).items():
            expected[exercise] = (sorted(placed["concept"]), sorted(placed["written"]))
    assert listed == expected


def test_every_named_misconception_is_a_mistake_the_code_feedback_names_too():
    names = kit_mistake_names()
    for exercise in CONCEPTS:
        for question, wrong in misconception_table(exercise).items():
            right = answer(exercise, question)
            for value, name in wrong.items():
                assert name in names, f"{exercise}.{question}: {name!r} is not one of the kit's mistake names"
                assert not concepts.same(right, concepts._plain(value)), f"{exercise}.{question}: {value!r} is right"


def test_the_answer_key_and_its_misconceptions_agree_with_independent_oracles():
    """Every number worked by hand, recomputed with PyTorch or NumPy formulas (never the reference)."""
    q = torch.tensor([[1.0, 0, 1, 0]])
    k = torch.tensor([[1.0, 0, 1, 0], [-1, 0, -1, 0]])
    v = torch.tensor([[10.0, 0], [0, 10]])
    scores = q @ k.T
    oracle = {
        ("attention_concepts", "two_key_weights"): torch.softmax(scores / 2, -1)[0],
        ("attention_concepts", "two_key_output"): (torch.softmax(scores / 2, -1) @ v)[0],
        ("attention_concepts", "masked_weights"): torch.softmax(torch.tensor([1.0, 1, float("-inf")]), -1),
        ("attention_concepts", "causal_mask_count"): int(torch.ones(4, 4).tril().sum()),
        ("attention_concepts", "multi_head_parameters"): sum(p.numel() for p in torch.nn.MultiheadAttention(512, 8, batch_first=True).parameters()),
        ("attention_concepts", "split_heads_shape"): tuple(torch.zeros(2, 10, 512).view(2, 10, 8, 64).transpose(1, 2).shape),
        ("attention_concepts", "head_scale"): math.sqrt(512 / 8),
        ("transformer_concepts", "pe_entry"): math.sin(1 / 10000 ** (2 / 4)),
        ("transformer_concepts", "layer_norm_values"): torch.nn.LayerNorm(4, eps=0.0)(torch.tensor([1.0, 2, 3, 4])),
        ("transformer_concepts", "feed_forward_parameters"): sum(
            p.numel() for p in [*torch.nn.Linear(512, 2048).parameters(), *torch.nn.Linear(2048, 512).parameters()]
        ),
        ("transformer_concepts", "embedding_scale"): math.sqrt(64),
        ("embedding_concepts", "one_hot_shape"): np.eye(10000)[np.zeros((4, 12), dtype=int)].shape,
        ("embedding_concepts", "skipgram_pair_count"): sum(1 for i in range(5) for j in range(5) if 0 < abs(i - j) <= 2),
        ("embedding_concepts", "cbow_hidden"): np.mean([[1, 2], [4, -1], [1, 2]], axis=0),
        ("embedding_concepts", "noise_probabilities"): np.array([1, 16]) ** 0.75 / (np.array([1, 16]) ** 0.75).sum(),
        ("embedding_concepts", "glove_weight_value"): (10 / 100) ** 0.75,
        ("embedding_concepts", "fasttext_ngram_count"): sum(len("<where>") - n + 1 for n in range(3, 7)),
        ("embedding_concepts", "cosine_value"): 1 / math.sqrt(2),
    }
    for (exercise, question), value in oracle.items():
        got = value.tolist() if hasattr(value, "tolist") else value
        assert concepts.same(answer(exercise, question), concepts._plain(got)), (question, got)
    table = misconception_table("attention_concepts")["two_key_weights"]
    unscaled, by_dk = torch.softmax(scores, -1)[0].tolist(), torch.softmax(scores / 4, -1)[0].tolist()
    assert table[(0.982, 0.018)] == concepts.misconception(concepts._plain(unscaled), table)
    assert table[(0.731, 0.269)] == concepts.misconception(concepts._plain(by_dk), table)
    ln = misconception_table("transformer_concepts")["layer_norm_values"]
    x = torch.tensor([1.0, 2, 3, 4])
    assert concepts.misconception(concepts._plain(((x - x.mean()) / x.std()).tolist()), ln)  # torch.std: unbiased


def test_the_reference_scores_full_marks_and_the_stubs_zero():
    only = sorted(CONCEPTS)
    reference, _ = grade(SOLUTIONS, only=only, isolated=False)
    stubs, _ = grade(ASSIGNMENTS, only=only, isolated=False)
    assert reference.score == reference.max_score == sum(len(q) for q in KEY.values())
    assert stubs.score == 0 and {t.status for t in stubs.tests} == {"not_implemented"}


def _root_with(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "attention" / "attention_concepts.py").write_text(text)
    return root


def test_answers_are_read_never_run(tmp_path):
    """A module that would write a file when imported, and an answer that is a call, are graded without running."""
    witness = tmp_path / "ran"
    source = (SOLUTIONS / "attention" / "attention_concepts.py").read_text()
    source = f"open({str(witness)!r}, 'w').write('x')\n\n\n" + source.replace("return 10\n", f"return __import__('os').system('touch {witness}')\n")
    report, _ = grade(_root_with(tmp_path, source), only=["attention_concepts"], isolated=True)
    assert not witness.exists()
    failed = [t for t in report.tests if t.status != "passed"]
    assert [t.name for t in failed] == ["test_concept_check[causal_mask_count]"]
    assert "a plain value" in failed[0].output and "it is read, never run" in failed[0].output


def test_a_wrong_choice_is_named_and_a_linked_module_is_refused(tmp_path):
    source = (SOLUTIONS / "attention" / "attention_concepts.py").read_text()
    wrong = source.replace('    return "b"\n    ### END SOLUTION\n\n\ndef why_dot', '    return "c"\n    ### END SOLUTION\n\n\ndef why_dot')
    report, _ = grade(_root_with(tmp_path / "a", wrong), only=["attention_concepts"], isolated=False)
    (failed,) = [t for t in report.tests if t.status != "passed"]
    assert failed.output.splitlines() == [
        "why_scale: your answer 'c' is not right (Why are the scores divided by ``sqrt(d_k)``?)",
        "  Likely mistake: scores scaled by sqrt(d_v) (the values' size) instead of sqrt(d_k) (the keys' size)",
    ]
    root = _root_with(tmp_path / "b", "")
    (root / "attention" / "attention_concepts.py").unlink()
    (root / "attention" / "attention_concepts.py").symlink_to(SOLUTIONS / "attention" / "attention_concepts.py")
    report, _ = grade(root, only=["attention_concepts"], isolated=False)
    assert report.score == 0 and all("cannot be read" in t.output for t in report.tests)


def test_the_written_stubs_hold_no_answer_and_no_rubric():
    for rel, text in expected_stubs().items():
        part = rel.parts[0]
        for q in (q for q in written.questions(SOLUTIONS) if q.part == part):
            assert q.prompt in text and q.reference not in text and q.errors[0] not in text
            assert not any(item in text for _, item in q.rubric)
        assert written.parse(text, part)[2] == {q.id: "" for q in written.questions(SOLUTIONS) if q.part == part}
        assert (ASSIGNMENTS / rel).read_text() == text


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def test_one_pdf_per_handin_and_manual_points_in_the_gradebook(tmp_path):
    """Three hand-ins as Gradescope's export or a batch folder holds them: a repository with written.md, a zip of
    one, notebooks; one PDF each, read back, and the TAs' points added to the gradebook."""
    subs = tmp_path / "submissions"
    first = written.questions(SOLUTIONS)[0]
    repo = subs / "ann"
    shutil.copytree(ASSIGNMENTS, repo)
    page = (repo / "embeddings" / "written.md").read_text()
    page = page.replace(f"<!-- answer: {first.id} -->\nYOUR ANSWER HERE", f"<!-- answer: {first.id} -->\nOne-hot \x1b[31mvectors are $orthogonal$.")
    (repo / "embeddings" / "written.md").write_text(page)
    shutil.make_archive(str(subs / "ben"), "zip", repo)
    nb_dir = subs / "cal"
    nb_dir.mkdir()
    import nbformat

    from autograder.authoring.notebooks import build_notebook

    nb = build_notebook("attention")
    attention = [q for q in written.questions(SOLUTIONS) if q.part == "attention"][0]
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == f"written-{attention.id}":
            cell.source = "Queries match keys by direction."
    nbformat.write(nb, nb_dir / "attention.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    ids = ["ann", "ben", "cal"]
    (out / "gradebook.csv").write_text("id,one_hot,total,max_score,status,reason\n" + "".join(f"{i},5,5,10,graded,\n" for i in ids))
    run = subprocess.run([sys.executable, "-m", "autograder", "written", str(subs), "--out", str(out)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (out / "written").glob("*.pdf")) == [f"{i}.pdf" for i in ids]
    ann = _pdf_text(out / "written" / "ann.pdf")
    assert "Written answers: ann" in ann and "One-hot \\x1b[31mvectors are $orthogonal$." in ann
    assert first.title in ann and "[1] dimensionality" in ann  # the rubric, for the TA
    assert "One-hot" in _pdf_text(out / "written" / "ben.pdf")
    cal = _pdf_text(out / "written" / "cal.pdf")
    assert "Queries match keys by direction." in cal and "(no answer)" in cal
    # the TAs enter points; the gradebook shows automatic, manual and combined points
    with (out / "written" / "scores.csv").open() as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[0] == "id" and header[1] == first.column and [r[0] for r in rows[1:]] == ids
    rows[1][1] = str(first.points)  # ann: full marks on her one answer
    rows[2][1] = "99"  # ben: out of range
    with (out / "written" / "scores.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    written.add_manual_columns(out / "gradebook.csv")
    book = {r["id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    total = sum(q.points for q in written.questions(SOLUTIONS))
    qs = len(written.questions(SOLUTIONS))
    assert book["ann"]["manual"] == f"{first.points:g}" and book["ann"]["manual_status"] == f"1 of {qs} graded"
    assert float(book["ann"]["combined"]) == 5 + first.points and float(book["ann"]["combined_max"]) == 10 + total
    assert book["ben"]["manual"] == "0" and book["ben"]["manual_status"].startswith("invalid: embeddings/")
    assert book["cal"]["manual_status"] == "not graded" and book["cal"]["total"] == "5"


def test_the_pdf_flows_each_prompt_at_its_own_width():
    """written.md wraps its prompts near 100 columns; the PDF joins each paragraph and wraps it again at its own
    width, so that no line stops short in mid-paragraph (a lone "dense" under a full line): every line but a
    paragraph's last is too full to take the next word."""
    for q in written.questions(SOLUTIONS):
        prompt = [text for style, text in written._lines([q], {}, rubric=False) if style == "prompt"]
        assert " ".join(" ".join(prompt).split()) == " ".join(q.prompt.split()), q.id
        for line, following in zip(prompt, [*prompt[1:], ""]):
            if following:
                assert len(line) + 1 + len(following.split()[0]) > written.WIDTH, (q.id, line)
    assert written._flowed("a\nb\n\nc\n- d\n- e") == "a b\n\nc\n- d\n- e"  # paragraphs and list items kept


def test_a_hand_in_that_cannot_be_read_gets_a_pdf_saying_why_and_stops_nothing(tmp_path, monkeypatch):
    """A zip whose compressed data is corrupt: its PDF says it could not be read, the class's other PDFs are made,
    and Gradescope's note for the student says so instead of stopping the grading of that upload."""
    from autograder.grading.gradescope import written_note

    subs = tmp_path / "subs"
    (subs / "ann" / "embeddings").mkdir(parents=True)
    (subs / "ann" / "embeddings" / "written.md").write_text((ASSIGNMENTS / "embeddings" / "written.md").read_text())
    broken = subs / "ben.zip"
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("embeddings/written.md", "answer " * 500)
    data = bytearray(broken.read_bytes())
    start = data.index(b"embeddings/written.md") + len("embeddings/written.md")  # the member's data follows its name
    data[start + 4 : start + 24] = bytes(b ^ 0xFF for b in data[start + 4 : start + 24])
    broken.write_bytes(bytes(data))
    with pytest.raises(written.UNREADABLE):
        written.handin_answers(broken)
    assert written.read_answers(broken)[0] == {} and written.read_answers(broken)[1].startswith("the hand-in could not be read: ")
    assert sorted(p.name for p in written.write_class(subs, tmp_path / "out")) == ["ann.pdf", "ben.pdf"]
    assert "the hand-in could not be read: " in _pdf_text(tmp_path / "out" / "written" / "ben.pdf")
    assert "could not be read" not in _pdf_text(tmp_path / "out" / "written" / "ann.pdf")
    assert written_note(broken).startswith("Written answers: the hand-in could not be read: ")
    assert written_note(subs / "ann").startswith(f"Written answers: 0 of {len(written.questions())} questions answered")
    monkeypatch.setenv("AUTOGRADER_MAX_FILES", "3")  # more files than the grader takes are not read either
    for i in range(3):
        (subs / "ann" / f"extra{i}.txt").write_text("x")
    assert written.read_answers(subs / "ann") == ({}, "the hand-in could not be read: OSError: more than 3 files (AUTOGRADER_MAX_FILES)")


@pytest.mark.parametrize("exercise", sorted(CONCEPTS))
def test_the_public_test_checks_only_the_form(exercise, tmp_path):
    """Right or wrong, a well-formed answer passes the public test; a malformed one fails it with what to write."""
    from tests.mutants.concepts import concept_mutants

    mutant = concept_mutants(exercise)[0]
    root = mutant.apply(tmp_path / "wrong")
    public = REPO_ROOT / "tests" / "public" / f"test_{exercise}.py"
    args = [sys.executable, "-m", "pytest", "-q", "-p", "autograder.grading.plugin", "-p", "no:cacheprovider", str(public)]
    assert subprocess.run([*args, "--submission", str(root)], cwd=REPO_ROOT, capture_output=True).returncode == 0
    text = (root / mutant.file).read_text().replace(mutant.new.splitlines()[-1], "    return some_name")
    (root / mutant.file).write_text(text)
    run = subprocess.run([*args, "--submission", str(root)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and "it is read, never run" in run.stdout


def test_the_class_report_shows_the_concept_checks_and_their_misconceptions_beside_the_code(tmp_path):
    from autograder.authoring import report

    scaling = "no 1/sqrt(d_k) scaling of the scores"
    wrong = f"two_key_weights: your answer [0.982, 0.018] is not right (...)\n  Likely mistake: {scaling}"

    def concept(passed: bool) -> report.Outcome:
        named = [] if passed else [scaling]  # the grader's models name it as data; the report reads nothing else
        return report.Outcome("attention_concepts", "Concept check [two_key_weights]", float(passed), 1.0, passed, "" if passed else wrong, named)

    code = report.Outcome("scaled_dot_product", "matches the formula", 0.0, 2.0, False, f"...\n  Likely mistake: {scaling}", [scaling])
    cls = report.GradedClass(
        "batch",
        tmp_path,
        [
            report.Submission("ann", [concept(False), code]),  # both: a misunderstanding
            report.Submission("ben", [concept(False)]),  # the answer only
            report.Submission("<b>cal</b>", [concept(True), code]),  # the code only (a slip?)
        ],
    )
    page = report.render(cls, report.misconceptions(cls), report.unnamed_failures(cls), None, [], 0.6)
    section = page[page.index("<h2 id=concepts>") : page.index("<h2 id=operations>")]
    assert "<td>Concept check [two_key_weights]</td><td>2 of 3</td>" in section
    assert f"<td>{scaling} (2)</td>" in section
    assert f"<tr><td>{scaling}</td><td class=n>2</td><td class=n>2</td><td class=n>1</td></tr>" in section
    assert "<b>cal</b>" not in page
