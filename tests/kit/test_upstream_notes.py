"""A failing public test of a later exercise names the earlier exercise that is wrong on its own (as the hidden
suites do), so a student with a wrong attention is not sent looking for a bug in their layers."""

import shutil
import subprocess
import sys

from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.grading.upstream_notes import note, upstream_exercises

NO_SCALING = ("scores = (q / math.sqrt(d_k)) @ k.transpose(-2, -1)", "scores = q @ k.transpose(-2, -1)")


def _public(submission, exercise):
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(REPO_ROOT / "tests" / "public" / f"test_{exercise}.py"), "-p",
         "autograder.grading.plugin", "-p", "no:randomly", "-p", "no:cacheprovider", "--submission", str(submission),
         "-q", "--no-header", "-rN"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )  # fmt: skip


def test_layers_public_tests_name_the_wrong_attention(tmp_path):
    root = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, root, ignore=shutil.ignore_patterns("__pycache__"))
    sdpa = root / "attention" / "scaled_dot_product.py"
    text = sdpa.read_text()
    assert NO_SCALING[0] in text
    sdpa.write_text(text.replace(*NO_SCALING))
    done = _public(root, "layers")
    assert done.returncode == 1, done.stdout[-3000:]
    expected = (
        "Note: layers builds on your earlier exercises, and scaled_dot_product (attention/scaled_dot_product.py) is "
        "wrong on its own (its public tests fail); multi_head (attention/multi_head.py) is wrong on its own (its public "
        "tests fail): fix scaled_dot_product and multi_head first (make test EX=scaled_dot_product)"
    )  # multi_head runs over the same wrong attention, so its own tests fail too; masks, right, is not named
    assert expected in done.stdout, done.stdout[-3000:]
    assert "masks (attention/masks.py)" not in done.stdout
    right = _public(SOLUTIONS, "layers")
    assert right.returncode == 0 and "Note:" not in right.stdout


def test_the_note_names_each_earlier_exercise_that_fails_and_says_not_written_yet():
    assert upstream_exercises("layers") == ["scaled_dot_product", "masks", "multi_head"]
    assert upstream_exercises("one_hot") == []
    said = note("models", {"masks": "passes", "multi_head": "not written", "layers": "wrong"})
    assert "multi_head (attention/multi_head.py) is not written yet; layers (transformer/layers.py) is wrong on its own" in said
    assert "fix multi_head and layers first (make test EX=multi_head)" in said
    assert note("models", {"masks": "passes"}) == ""
