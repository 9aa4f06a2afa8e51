"""The kit's Makefile and the student bundle's: ``make`` alone is ``make help``, which names every target and
variable; a target that needs a variable says which, and stops, before it sets anything up."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.layout import REPO_ROOT

MAKEFILES = {"kit": REPO_ROOT / "Makefile", "student": REPO_ROOT / "release" / "student" / "Makefile"}


def make(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=folder, capture_output=True, text=True, timeout=60)


@pytest.fixture(params=list(MAKEFILES))
def makefile(request, tmp_path) -> Path:
    """A folder holding only that Makefile: nothing in it can set a venv up."""
    shutil.copy(MAKEFILES[request.param], tmp_path / "Makefile")
    return tmp_path / "Makefile"


def targets(text: str) -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


def variables(text: str) -> set[str]:
    return set(re.findall(r"^([A-Z]+)\s*\?=", text, flags=re.MULTILINE))


def test_make_alone_prints_help_with_every_target_and_variable(makefile):
    text = makefile.read_text()
    shown = make(makefile.parent)
    assert shown.returncode == 0 and shown.stdout == make(makefile.parent, "help").stdout
    listed = set(re.findall(r"^  make ([a-z-]+) ", shown.stdout, flags=re.MULTILINE))
    assert listed == targets(text) and "help" in listed
    named = set(re.findall(r"^  ([A-Z]+)=", shown.stdout, flags=re.MULTILINE))
    assert named == variables(text) and {"EX", "ARGS", "PYTHON"} <= named


def test_one_phony_line_naming_every_target(makefile):
    text = makefile.read_text().replace("\\\n", " ")
    (phony,) = re.findall(r"^\.PHONY:(.*)$", text, flags=re.MULTILINE)
    assert set(phony.split()) == targets(makefile.read_text())


def test_watch_without_an_exercise_says_what_to_pass(makefile):
    out = make(makefile.parent, "watch")
    assert out.returncode != 0 and "EX=<exercise>" in out.stderr
    assert not (makefile.parent / ".venv").exists()


def test_batch_without_submissions_says_what_to_pass():
    out = make(REPO_ROOT, "batch")
    assert out.returncode != 0 and "SUBMISSIONS=<folder" in out.stderr and "make batch SUBMISSIONS=" in out.stderr
