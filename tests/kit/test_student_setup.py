"""The paths every student and Gradescope take, from scratch on this machine: a fresh venv from the bundle's own
requirements by its own README's command, its ``make test`` and the no-make equivalent (stubs: every exercise
"not implemented yet"; the reference copied in: all passed); Gradescope's ``setup.sh`` (its Python part: the apt
step is skipped with AUTOGRADER_SKIP_APT=1, since this is not Gradescope's Ubuntu image) and ``run_autograder``
in a simulated /autograder tree. Slow (two fresh environments, about a minute each): one module, each venv once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.authoring.bundle import build_bundle
from autograder.authoring.course import COURSE_DIR, available_exercises
from autograder.authoring.gradescope import build_gradescope
from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS
from autograder.install import venv_python
from tests.kit.test_release_gradescope import finish, only

pytestmark = pytest.mark.timeout(1500)

BASE_PYTHON = sys._base_executable  # the interpreter the kit's venv was made from: a Python with nothing installed
ROW = re.compile(r"^[│|] (\w+)\s+[│|]\s+(\d+)/(\d+)\s+[│|] (.*?)\s*[│|]$")


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without the kit's venv on it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "COURSE_KIT")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    return {**env, **extra}


def run(command: list[str], cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=timeout)


def table(output: str) -> dict[str, tuple[int, int, str]]:
    """exercise -> (passed, tests, status) from the closing table of a test run."""
    rows = {}
    for line in output.splitlines():
        match = ROW.match(line.strip())
        if match:
            rows[match.group(1)] = (int(match.group(2)), int(match.group(3)), match.group(4))
    return rows


def readme_command(bundle: Path, make_target: str) -> list[str]:
    """The no-make command the bundle's README gives beside ``make_target``, with this machine's Python."""
    for line in (bundle / "README.md").read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] == f"make {make_target}":
            argv = cells[1].split()
            assert argv[0] == "python3", line
            return [BASE_PYTHON, *argv[1:]]
    raise AssertionError(f"no `make {make_target}` row in the README")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("student") / "student", COURSE_DIR / "release")


@pytest.fixture(scope="module")
def set_up(bundle) -> float:
    """The README's set-up command on a fresh copy; its wall time."""
    start = time.perf_counter()
    done = run(readme_command(bundle, "setup"), bundle)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"\nstudent bundle set up from scratch in {seconds:.0f} s", file=sys.stderr)
    return seconds


def test_the_readme_set_up_makes_a_venv_with_the_cpu_torch(bundle, set_up):
    python = venv_python(bundle / ".venv")
    out = run([str(python), "-c", "import torch, pytest, numpy; print(torch.__version__)"], bundle)
    assert out.returncode == 0 and out.stdout.strip() == "2.13.0+cpu", out.stderr
    again = run(readme_command(bundle, "setup"), bundle, timeout=60)  # up to date: nothing is installed again
    assert again.returncode == 0 and "setting up" not in again.stdout


def test_make_test_on_the_stubs_says_not_implemented_yet_for_every_exercise(bundle, set_up):
    out = run(["make", "test", f"PYTHON={BASE_PYTHON}"], bundle)
    rows = table(out.stdout)
    assert set(rows) == set(available_exercises()), out.stdout[-3000:]
    assert {status for _, _, status in rows.values()} == {"not implemented yet"}
    assert all(passed == 0 < tests for passed, tests, _ in rows.values())
    assert out.returncode != 0


def test_the_no_make_command_for_one_exercise_and_the_hand_in(bundle, set_up):
    out = run([*readme_command(bundle, "test EX=skipgram")], bundle)
    assert set(table(out.stdout)) == {"skipgram"} and out.returncode != 0, out.stdout[-2000:]
    zipped = run(readme_command(bundle, "handin"), bundle)
    assert zipped.returncode == 0, zipped.stderr
    with zipfile.ZipFile(bundle / "handin.zip") as z:
        names = z.namelist()
    assert "assignments/embeddings/skipgram.py" in names and all(n.startswith(("assignments/", "notebooks/")) for n in names)


def test_with_the_reference_copied_in_everything_passes(bundle, set_up):
    shutil.copytree(SOLUTIONS, bundle / "assignments", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    try:
        out = run(["make", "test", f"PYTHON={BASE_PYTHON}"], bundle)
        rows = table(out.stdout)
        assert set(rows) == set(available_exercises()), out.stdout[-3000:]
        assert all(passed == tests for passed, tests, _ in rows.values()), out.stdout[-3000:]
        assert out.returncode == 0
    finally:
        shutil.rmtree(bundle / "assignments")
        shutil.copytree(ASSIGNMENTS, bundle / "assignments", ignore=shutil.ignore_patterns("__pycache__"))


# --------------------------------------------------------------------------- Gradescope


@pytest.fixture(scope="module")
def gradescope(tmp_path_factory) -> tuple[Path, float]:
    """A simulated /autograder tree after setup.sh's Python part (the apt step skipped); its set-up time."""
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    with zipfile.ZipFile(build_gradescope(root.parent / "autograder.zip")) as z:
        z.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    start = time.perf_counter()
    done = run(["bash", str(root / "source" / "setup.sh")], root / "source", AUTOGRADER_ROOT=str(root),
               AUTOGRADER_SKIP_APT="1", AUTOGRADER_SETUP_PYTHON=BASE_PYTHON)  # fmt: skip
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "the apt step is skipped" in done.stdout and "grader ready, torch 2.13.0+cpu" in done.stdout
    print(f"\nGradescope setup.sh (Python part) in {seconds:.0f} s", file=sys.stderr)
    return root, seconds


def grade_on_gradescope(root: Path, submission: Path, *args: str) -> dict:
    if (root / "submission").exists():
        shutil.rmtree(root / "submission")
    shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
    process = subprocess.Popen([str(root / "run_autograder"), *args], cwd=root, env=clean_env(AUTOGRADER_ROOT=str(root)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    return finish((process, root))


def test_gradescope_run_autograder_in_its_own_venv_grades_stubs_and_reference(gradescope):
    root, _ = gradescope
    stubs = grade_on_gradescope(root, ASSIGNMENTS)
    assert stubs["score"] == 0 and stubs["tests"]
    assert {t["output"] for t in stubs["tests"]} == {"not implemented yet"}
    reference = grade_on_gradescope(root, SOLUTIONS, *only(["one_hot", "masks"]))
    assert reference["score"] == sum(t["max_score"] for t in reference["tests"]) > 0
    assert {t["tags"][0] for t in reference["tests"]} == {"one_hot", "masks"}
