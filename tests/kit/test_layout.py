"""The trust-domain folders: who may import whom, and the folder rules that decide every copy of the kit."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.layout import DOMAINS, PACKAGE, REPO_ROOT, grader_files, gradescope_kit_files, student_kit_files, worker_runtime_files
from autograder.runtime.standins import STAND_INS

STDLIB = sys.stdlib_module_names
RUNTIME_THIRD_PARTY = {"numpy", "torch", "matplotlib", "course", "pyseccomp"}  # course/ is copied beside the runtime;
# pyseccomp: the worker's seccomp filter (pinned; where it is missing the worker reports it, see runtime/confine/seccomp.py)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path``, at any depth (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names if node.module == "autograder"]
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def python_files(folder: str) -> list[Path]:
    return sorted(p for p in (PACKAGE / folder).rglob("*.py") if "__pycache__" not in p.parts)


def test_every_domain_folder_says_what_may_import_it():
    for folder in DOMAINS:
        init = PACKAGE / folder / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) == 1, f"{init.relative_to(REPO_ROOT)} needs a one-line docstring"
        assert "import" in doc, f"{init.relative_to(REPO_ROOT)}: say what may import it"


def test_runtime_imports_nothing_from_the_other_domains():
    bad = []
    for path in python_files("runtime"):
        for line, module in imports_of(path):
            top = module.split(".")[0]
            if module.startswith("."):
                bad.append(f"{path.name}:{line} relative import {module}")
            elif top == "autograder" and module != "autograder" and not module.startswith("autograder.runtime"):
                bad.append(f"{path.name}:{line} imports {module}")
            elif top not in STDLIB and top not in RUNTIME_THIRD_PARTY and top != "autograder":
                bad.append(f"{path.name}:{line} imports {module}, which the worker may not have")
    assert bad == []


@pytest.mark.parametrize("folder", ["runtime", "grading", "notebook", "suites"])
def test_nothing_on_the_grading_path_imports_authoring(folder):
    files = python_files(folder) + ([PACKAGE / "settings.py", PACKAGE / "layout.py"] if folder == "grading" else [])
    bad = [f"{p.relative_to(REPO_ROOT)}:{line} imports {m}" for p in files for line, m in imports_of(p) if m.startswith("autograder.authoring")]
    assert bad == []


def test_grading_a_submission_loads_no_authoring_module():
    code = (
        "import sys; from autograder.cli import main\n"
        "code = main(['grade', 'solutions', '--only', 'one_hot', '--in-process', '--results', sys.argv[1]])\n"
        "print(code, sorted(m for m in sys.modules if m.startswith('autograder.authoring') or m == 'nbgrader'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(REPO_ROOT / "build" / "layout-results.json")], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_the_worker_gets_runtime_and_course_only():
    names = [name for _, name in worker_runtime_files()]
    assert names and all(n.startswith(("autograder/runtime/", "course/")) for n in names)
    assert "autograder/runtime/worker_main.py" in names and "autograder/runtime/probes/registry.py" in names
    assert {p for p, _ in worker_runtime_files(STAND_INS)} >= set(python_files("runtime"))
    # without being asked for, no stand-in reaches a worker: only the package's own two files
    standins = {n.rpartition("/")[2] for n in names if "/standins/" in n}
    assert standins == {"__init__.py", "base.py"}


def test_students_get_no_suite_and_no_authoring_and_gradescope_no_authoring():
    student = {name for _, name in student_kit_files()}
    gradescope = {name for _, name in gradescope_kit_files()}
    assert not [n for n in student if n.startswith(("autograder/suites/", "autograder/authoring/"))]
    assert not [n for n in gradescope if n.startswith("autograder/authoring/")]
    assert "autograder/suites/pytest.ini" in gradescope and "autograder/grading/plugin.py" in student
    assert {"autograder/runtime/protocol.py", "autograder/notebook/kernel.py", "autograder/cli.py"} <= student


def test_the_grader_files_cover_every_folder():
    guarded = {p.relative_to(REPO_ROOT).parts[:2] for p in grader_files()}
    assert {("autograder", d) for d in DOMAINS} <= guarded
    assert ("solutions", "embeddings") in guarded and ("course", "trainer.py") in guarded
