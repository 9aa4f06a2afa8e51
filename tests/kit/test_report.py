"""The class report on a synthetic class whose mistakes are known: every planted misconception is counted for exactly
the students who made it, the near-identical pair is flagged and independent solutions are not, operational trouble
(hangs, crashes, forbidden APIs, refusals) is listed, and the page renders in a real browser.

The class (one_hot, scaled_dot_product and masks, graded in-process): the reference, the stubs, copies of the
reference with mistakes from ``tests/mutants/`` (alice and bob share one), two students who wrote one_hot their own
way (erin, frank), grace who handed in erin's code with the names changed, and heidi who called PyTorch's own
attention.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import report
from autograder.cli import main
from autograder.grading import batch, runner
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS
from autograder.notebook import kernel
from tests.mutants import Mutant, all_mutants

pytestmark = pytest.mark.timeout(300)

EXERCISES = ["one_hot", "scaled_dot_product", "masks"]
MUTANTS = {m.id: m for m in all_mutants()}
PLANTED = {  # student -> the catalogued mistakes in their copy of the reference
    "alice": ["scaled_dot_product:no-scaling", "one_hot:ties-first-occurrence"],
    "bob": ["scaled_dot_product:no-scaling"],
    "carol": ["scaled_dot_product:mask-after-softmax", "masks:causal-transposed"],
    "dave": ["one_hot:specials-last", "masks:padding-inverted"],
}
HOLE = "    # YOUR CODE HERE\n    raise NotImplementedError()"
ERIN = [  # one_hot written from the stub, her own way
    """    ids = {}
    for s in specials:
        ids.setdefault(s, len(ids))
    freq = {}
    for t in tokens:
        freq[t] = freq.get(t, 0) + 1
    for w in sorted(freq, key=lambda w: (-freq[w], w)):
        if freq[w] >= min_count and w not in ids:
            ids[w] = len(ids)
    return ids""",
    """    if unk_token is not None and unk_token not in vocab:
        raise KeyError(f"unk_token {unk_token!r} is not in the vocabulary")
    missing = [t for t in tokens if t not in vocab]
    if missing and unk_token is None:
        raise KeyError(f"{missing[0]!r} is unknown")
    return np.fromiter((vocab.get(t, vocab.get(unk_token, -1)) for t in tokens), dtype=np.int64)""",
    """    arr = np.asarray(indices)
    if arr.size > 0 and arr.dtype.kind not in "iu":
        raise ValueError("ids must be integers")
    arr = arr.astype(np.int64)
    if arr.size > 0 and ((arr < 0) | (arr >= vocab_size)).any():
        raise ValueError(f"an id is outside [0, {vocab_size})")
    out = np.zeros(arr.shape + (vocab_size,), dtype=np.float64)
    np.put_along_axis(out, arr[..., None], 1.0, axis=-1)
    return out""",
]
FRANK = [  # and his
    """    result = dict(zip(dict.fromkeys(specials), range(len(specials))))
    tally = Counter(tokens)
    keep = [w for w in tally if tally[w] >= min_count and w not in result]
    keep.sort()
    keep.sort(key=tally.__getitem__, reverse=True)
    start = len(result)
    result.update((w, start + i) for i, w in enumerate(keep))
    return result""",
    """    lookup = dict(vocab)
    if unk_token is not None:
        fallback = lookup[unk_token]
        return np.array([lookup.get(tok, fallback) for tok in tokens], dtype=np.int64)
    try:
        return np.array([lookup[tok] for tok in tokens], dtype=np.int64).reshape(-1)
    except KeyError as err:
        raise KeyError(f"no id for {err.args[0]!r}") from None""",
    """    idx = np.array(indices)
    if idx.size == 0:
        return np.zeros(idx.shape + (vocab_size,))
    if not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"expected integer ids, not {idx.dtype}")
    if idx.min() < 0 or idx.max() >= vocab_size:
        raise ValueError("id out of range")
    flat = idx.reshape(-1)
    table = np.zeros((flat.size, vocab_size), dtype=np.float64)
    table[np.arange(flat.size), flat] = 1
    return table.reshape(*idx.shape, vocab_size)""",
]
RENAMES = {"ids": "vocabulary", "freq": "counts", "arr": "ids_array", "out": "encoded", "missing": "unknown"}
SDPA = "return weights @ v, weights  # (..., Lq, d_v)"
REFERENCE_COPIES = ["alice", "bob", "carol", "dave", "heidi", "reference"]  # one_hot as the reference wrote it


def own_one_hot(bodies: list[str]) -> str:
    parts = (ASSIGNMENTS / "embeddings" / "one_hot.py").read_text(encoding="utf-8").split(HOLE)
    assert len(parts) == len(bodies) + 1
    return parts[0] + "".join(body + rest for body, rest in zip(bodies, parts[1:]))


def copy_of(root: Path, dest: Path) -> Path:
    return Path(shutil.copytree(root, dest, ignore=shutil.ignore_patterns("__pycache__")))


def with_mistakes(dest: Path, ids: list[str]) -> Path:
    current = SOLUTIONS
    for n, ident in enumerate(ids):
        current = MUTANTS[ident].apply(dest.with_name(f"{dest.name}.{n}"), src=current)
    return copy_of(current, dest)


def build_class(tmp: Path) -> Path:
    subs = tmp / "submissions"
    subs.mkdir()
    copy_of(SOLUTIONS, subs / "reference")
    copy_of(ASSIGNMENTS, subs / "stubs")
    for student, ids in PLANTED.items():
        with_mistakes(tmp / "work" / student, ids)
        shutil.move(tmp / "work" / student, subs / student)
    erin_code = own_one_hot(ERIN)
    grace_code = erin_code
    for old, new in RENAMES.items():
        grace_code = re.sub(rf"\b{old}\b", new, grace_code)
    grace_code = grace_code.replace("(not by first occurrence)", "(never by first occurrence)")
    for student, code in (("erin", erin_code), ("frank", own_one_hot(FRANK)), ("grace", grace_code)):
        copy_of(ASSIGNMENTS, subs / student)
        (subs / student / "embeddings" / "one_hot.py").write_text(code, encoding="utf-8")
    heidi = copy_of(SOLUTIONS, subs / "heidi")
    sdp = heidi / "attention" / "scaled_dot_product.py"
    forbidden = "return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask), weights"
    sdp.write_text(sdp.read_text(encoding="utf-8").replace(SDPA, forbidden), encoding="utf-8")
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path]:
    """(OUT with results/<id>.json as batch writes them, the hand-ins), graded in-process on three exercises."""
    tmp = tmp_path_factory.mktemp("class")
    subs = build_class(tmp)
    out = tmp / "out"
    for ident, path in batch.find_submissions(subs):
        with contextlib.redirect_stdout(io.StringIO()):
            result, _ = runner.grade(path, only=EXERCISES, isolated=False)
        result.write(out / "results" / f"{ident}.json")
    assert main(["report", str(out), "--submissions", str(subs)]) == 0
    return out, subs


@pytest.fixture(scope="module")
def cls(graded) -> report.GradedClass:
    return report.load(*graded)


def planted_by_mistake() -> dict[tuple[str, str], set[str]]:
    """(exercise, the name the mutant's feedback must contain) -> the students who made that mistake."""
    found: dict[tuple[str, str], set[str]] = {}
    for student, ids in PLANTED.items():
        for ident in ids:
            mutant: Mutant = MUTANTS[ident]
            assert mutant.expect, ident
            found.setdefault((mutant.exercise, mutant.expect), set()).add(student)
    return found


def test_the_class_is_what_it_says(cls):
    scores = {s.id: {e: s.score(e) for e in EXERCISES} for s in cls.submissions}
    assert all(got == (full, full) for got, full in ((v, v[1]) for v in scores["reference"].values()))
    assert all(got[0] == 0 for got in scores["stubs"].values())
    for student in ("erin", "frank", "grace"):  # one_hot done their own way, correctly; the rest not attempted
        assert scores[student]["one_hot"] == scores["reference"]["one_hot"], student
        assert scores[student]["masks"][0] == 0
    for student, ids in PLANTED.items():
        for exercise in {MUTANTS[i].exercise for i in ids}:
            assert scores[student][exercise][0] < scores[student][exercise][1], (student, exercise)


def test_every_planted_misconception_is_counted_for_exactly_its_students(cls, graded):
    named = report.misconceptions(cls)
    for (exercise, expect), students in planted_by_mistake().items():
        made = {i for f in named if f.exercise == exercise and expect in f.name for i in f.outcomes}
        assert made == students, (exercise, expect)
    assert not {i for f in named for i in f.outcomes} & {"reference", "stubs", "erin", "frank", "grace", "heidi"}
    shared = next(f for f in named if "no 1/sqrt(d_k) scaling" in f.name)
    assert shared.students == ["alice", "bob"]

    out, _ = graded
    with open(out / "misconceptions.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == report.CSV_COLUMNS
        rows = list(reader)
    keys = [(r["id"], r["exercise"], r["misconception"]) for r in rows]
    assert len(keys) == len(set(keys)) == sum(len(f.outcomes) for f in named)  # one row per student x misconception
    assert keys == sorted(keys, key=lambda k: (k[0], EXERCISES.index(k[1]), k[2]))
    for (exercise, expect), students in planted_by_mistake().items():
        assert {r["id"] for r in rows if r["exercise"] == exercise and expect in r["misconception"]} == students
    assert all(int(r["tests"]) >= 1 and float(r["points_lost"]) > 0 for r in rows)


def test_wrong_answers_no_model_names_are_grouped_by_test(cls):
    unnamed = report.unnamed_failures(cls)
    assert unnamed, "some planted mistakes (a mask after the softmax, a transposed mask) fail tests that name nothing"
    for f in unnamed:
        assert "[" not in f.name  # a parametrized test's cases are one group
        assert all(not o.mistakes and o.kind == "failed" for tests in f.outcomes.values() for o in tests)
    assert not {i for f in unnamed for i in f.outcomes} & {"reference", "erin", "frank", "grace"}


def test_forbidden_api_is_an_operational_row_not_a_misconception(cls):
    found = report.incidents(cls)
    assert [(i.id, i.kind, i.exercises) for i in found] == [("heidi", "forbidden", ["scaled_dot_product"])]
    assert "scaled_dot_product_attention" in found[0].detail


def test_the_near_identical_pair_is_flagged_and_independent_solutions_are_not(cls):
    result, notes = report.code_similarity(cls, threshold=0.6)
    assert notes == []
    pairs, compared = result["one_hot"]
    flagged = {(p.a, p.b) for p in pairs}
    copies = {(a, b) for a in REFERENCE_COPIES for b in REFERENCE_COPIES if a < b}
    assert flagged == copies | {("erin", "grace")}
    erin_grace = next(p for p in pairs if (p.a, p.b) == ("erin", "grace"))
    html_a, html_b = erin_grace.side_by_side()
    assert erin_grace.similarity > 0.9 and "<mark>" in html_a and "<mark>" in html_b and "counts" in html_b
    assert compared == 9  # the stubs have no code of their own: the given code is boilerplate
    for exercise in EXERCISES:
        assert not [p for p in result[exercise][0] if "stubs" in (p.a, p.b)]
    lower, _ = report.code_similarity(cls, threshold=0.01)
    assert flagged < {(p.a, p.b) for p in lower["one_hot"][0]}  # independent code shares a little: below the threshold


def test_gradescope_results_folder_gives_the_same_findings(cls, graded, tmp_path):
    out, subs = graded
    for path in (out / "results").glob("*.json"):
        (tmp_path / "gs" / path.stem).mkdir(parents=True)
        shutil.copy(path, tmp_path / "gs" / path.stem / "results.json")
    again = report.load(tmp_path / "gs", subs)
    assert again.source == "gradescope" and [s.id for s in again.submissions] == [s.id for s in cls.submissions]
    names = [(f.exercise, f.name, f.students) for f in report.misconceptions(again)]
    assert names == [(f.exercise, f.name, f.students) for f in report.misconceptions(cls)]


def test_nbgrader_autograded_folder(tmp_path, monkeypatch):
    """What the real ``grade_hidden`` prints and displays (its tests as data) in an autograded notebook is read back,
    the code too."""
    source = nbformat.read(REPO_ROOT / "nbgrader" / "source" / "embeddings" / "embeddings.ipynb", as_version=4)
    mutant = MUTANTS["one_hot:ties-first-occurrence"]
    for student, wrong in (("nb-alice", True), ("nb-bob", False)):
        nb = nbformat.from_dict(json.loads(json.dumps(source)))
        code = (SOLUTIONS / mutant.file).read_text(encoding="utf-8")
        if wrong:
            code = code.replace(mutant.old, mutant.new)
            for cell in nb.cells:
                if (cell.metadata.get("course") or {}).get("module") == "embeddings.one_hot":
                    cell.source = cell.source.replace(mutant.old, mutant.new)
        monkeypatch.setattr(kernel, "_RUN", {"embeddings.one_hot": {"cell": code}})  # cell id -> code, as the kernel keeps it
        printed, shown = io.StringIO(), []
        monkeypatch.setattr(kernel, "_display", shown.append)  # what Jupyter would keep as a display output
        with contextlib.redirect_stdout(printed):
            kernel.grade_hidden("one_hot", points=21)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "one_hot-tests":
                cell.outputs = [
                    nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue()),
                    nbformat.v4.new_output("display_data", data=shown[-1]),
                ]
        path = tmp_path / "autograded" / student / "embeddings" / "embeddings.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    assert main(["report", str(tmp_path / "autograded"), "--out", str(tmp_path / "report")]) == 0
    cls = report.load(tmp_path / "autograded")
    assert cls.source == "nbgrader" and [s.id for s in cls.submissions] == ["nb-alice", "nb-bob"]
    assert {s.id: s.score("one_hot")[0] < s.score("one_hot")[1] for s in cls.submissions} == {
        "nb-alice": True, "nb-bob": False}
    named = report.misconceptions(cls)
    assert [(f.exercise, f.students) for f in named if mutant.expect in f.name] == [("one_hot", ["nb-alice"])]
    with open(tmp_path / "report" / "misconceptions.csv", newline="", encoding="utf-8") as f:
        assert {r["id"] for r in csv.DictReader(f)} == {"nb-alice"}
    pairs, compared = report.code_similarity(cls, threshold=0.6)[0]["one_hot"]
    assert compared == 2 and [(p.a, p.b) for p in pairs] == [("nb-alice", "nb-bob")]  # both the reference's code


def test_batch_hangs_crashes_and_refusals_are_operational_rows(tmp_path, monkeypatch):
    """A real (isolated) batch: a hand-in that loops forever, one that kills its worker, one refused (a symlink)."""
    monkeypatch.setenv("AUTOGRADER_CALL_TIMEOUT", "5")  # one hang (later calls fail at once) outlasts every crash restart
    monkeypatch.setattr(batch, "fingerprint", lambda only: "grader")
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, old, new in (
        ("loops", "    counts = Counter(tokens)\n", "    while True:\n        pass\n"),
        ("exits", "    unk_id = vocab[unk_token]", "    import os\n    os._exit(3)\n    unk_id = vocab[unk_token]"),
    ):
        Mutant("one_hot", student, "embeddings/one_hot.py", old, new).apply(tmp_path / student)
        with zipfile.ZipFile(subs / f"{student}.zip", "w") as zf:
            for p in sorted((tmp_path / student).rglob("*.py")):
                zf.write(p, p.relative_to(tmp_path / student).as_posix())
    linked = copy_of(SOLUTIONS, subs / "linked")
    (linked / "embeddings" / "one_hot.py").unlink()
    (linked / "embeddings" / "one_hot.py").symlink_to(SOLUTIONS / "embeddings" / "one_hot.py")
    out = tmp_path / "out"
    batch.run(subs, out, jobs=1, only=["one_hot"], progress=False)
    assert main(["report", str(out), "--submissions", str(subs)]) == 0
    cls = report.load(out, subs)
    kinds = {(i.id, i.kind) for i in report.incidents(cls)}
    assert kinds == {("loops", "hang"), ("exits", "crash"), ("linked", "refused")}
    times, median = report.slow_submissions(cls)
    assert {i for i, _ in times} == {"loops", "exits", "linked"} and times[0][0] == "loops" and median > 0
    _, notes = report.code_similarity(cls, threshold=0.6)
    assert [n.split(":")[0] for n in notes] == ["Submission linked"]  # refused again when read: never compared


def test_usage_errors(tmp_path):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert main(["report", str(tmp_path)]) == 2  # nothing graded in it
    assert main(["report", str(tmp_path), "--threshold", "0"]) == 2


def test_the_report_renders_in_a_real_browser(graded, browser):
    out, _ = graded
    page = browser.new_page()
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_())
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto((out / "report.html").as_uri())
    assert page.evaluate("document.scripts.length") == 0
    images = page.locator("img")
    assert images.count() == len(EXERCISES) + 2  # histograms, misconceptions, times
    for i in range(images.count()):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 100"), i
        assert images.nth(i).get_attribute("src").startswith("data:image/png;base64,")
    text = page.inner_text("body")
    for heading in ("Scores per exercise", "Misconceptions", "Operations", "Code similarity", "never a verdict"):
        assert heading in text
    rows = page.locator("#misconceptions ~ table tbody tr")
    assert rows.count() >= len(planted_by_mistake())
    assert "alice, bob" in text
    assert page.locator("table.pairs td", has_text="grace").count() >= 1
    page.locator("summary", has_text="erin and grace").click()
    assert page.locator("details[open] mark").count() > 0
    assert failed == []
    page.close()


def test_kgram_hashes_are_the_same_in_every_process():
    """copydetect's own k-gram hash is Python's salted hash(); ours is a polynomial hash, written out here by hand."""
    from autograder.authoring.similarity import hashed_kgrams

    text, k, base = "def f(x):\n    return x @ y  # naïve 日本\n" * 3, 25, 1_000_003
    by_hand = [sum(ord(c) * pow(base, k - 1 - j, 2**64) for j, c in enumerate(text[i : i + k])) % 2**64
               for i in range(len(text) - k + 1)]
    assert [h % 2**64 for h in hashed_kgrams(text, k).tolist()] == by_hand
    assert hashed_kgrams("short", k).size == 0


def test_own_code_is_what_the_student_wrote_without_the_stub_or_docstrings():
    from autograder.authoring.similarity import own_code

    stub = (ASSIGNMENTS / "attention" / "masks.py").read_text(encoding="utf-8")
    solved = (SOLUTIONS / "attention" / "masks.py").read_text(encoding="utf-8")
    assert own_code(stub, stub) == ""
    own = own_code(solved, stub)
    assert "return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device))" in own
    assert "# in def decoder_mask(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:" in own
    assert "Example" not in own and "YOUR CODE HERE" not in own and "NotImplementedError" not in own
