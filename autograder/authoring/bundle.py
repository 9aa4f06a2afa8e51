"""The student bundle (``dist/student``: a GitHub Classroom template repository) and ``make release``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autograder.authoring.course import (
    COURSE_DIR,
    DIST,
    PARTS,
    TEMPLATES,
    _pyfiles,
    available_exercises,
    suite_points,
    zip_tree,
)
from autograder.authoring.leaks import bundle_leaks
from autograder.authoring.nbgrader import generate_assignments
from autograder.authoring.notebooks import (
    write_source_notebooks,
)
from autograder.authoring.requirements import _texts, closure, distributions, pinned, top_level_imports
from autograder.grading.handin import STUB_DIGESTS, stub_digests
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT
from autograder.layout import student_kit_files
from autograder.runtime.curriculum import CONCEPTS
from autograder.settings import Settings

STUDENT_TEST_EXTRAS = ("pytest-timeout",)  # a pytest plugin: configured (pytest.ini), never imported
STUDENT_EXTRAS = ("notebook", "ipykernel")  # to open the notebooks (their own imports are found by scanning them)


def _copy_tree(src: Path, dst: Path, exclude: Iterable[str] = ()) -> None:
    exclude = set(exclude)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or "__pycache__" in rel.parts or path.suffix == ".pyc" or rel.parts[0] in exclude:
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst / rel)


def student_requirements(bundle: Path) -> tuple[list[str], list[str]]:
    """``(requirements-test.txt lines, the notebooks' extra lines)``, pinned from requirements.lock."""
    import nbformat

    test = closure({*STUDENT_TEST_EXTRAS, *distributions(top_level_imports(_texts(_pyfiles(bundle))))})
    notebook_code = [
        c.source
        for nb in bundle.glob("notebooks/*.ipynb")
        for c in nbformat.read(nb, as_version=4).cells
        if c.cell_type == "code"
    ]
    extra = closure({*STUDENT_EXTRAS, *distributions(top_level_imports(notebook_code))}) - test
    return pinned(test), pinned(extra)


INSTALL_COMMAND = "python -m autograder.install -r requirements-test.txt"  # the one install rule (the CPU torch)


def classroom_steps(points: dict[str, float]) -> tuple[str, dict[str, Any]]:
    """The GitHub Classroom workflow (YAML text) and the classic ``autograding.json`` for these exercises."""
    import yaml

    template = (TEMPLATES / "classroom" / "classroom.yml").read_text(encoding="utf-8")
    template = template.replace("@INSTALL@", INSTALL_COMMAND)
    steps, tests = [], []
    # a concept check's public test only checks an answer's form, so it is worth nothing here: the instructor's
    # batch grades the concept checks with the hidden suites
    points = {name: value for name, value in points.items() if name not in CONCEPTS}
    for name, value in points.items():
        score = int(value) if float(value).is_integer() else value
        command = (
            f"python -m pytest tests/public/test_{name}.py -p autograder.grading.plugin --submission . -q "
            f"--no-header --timeout={Settings.from_env().public_test_timeout:g}"
        )
        steps.append(
            {
                "name": f"{name} ({score} points)",
                "id": name,
                "uses": "classroom-resources/autograding-command-grader@v1",
                "with": {"test-name": name, "command": command, "timeout": 10, "max-score": score},
            }
        )
        tests.append(
            {
                "name": name,
                "setup": "",
                "run": command,
                "input": "",
                "output": "",
                "comparison": "included",
                "timeout": 10,
                "points": score,
            }
        )
    steps.append(
        {
            "name": "Autograding Reporter",
            "uses": "classroom-resources/autograding-grading-reporter@v1",
            "env": {f"{name.upper()}_RESULTS": "${{ steps." + name + ".outputs.result }}" for name in points},
            "with": {"runners": ",".join(points)},
        }
    )
    generated = yaml.safe_dump(steps, sort_keys=False, width=1000, default_flow_style=False)
    text = (
        template.rstrip("\n")
        + "\n"
        + "".join("      " + line if line.strip() else line for line in generated.splitlines(keepends=True))
    )
    if tests:
        tests[0]["setup"] = INSTALL_COMMAND
    return text, {"tests": tests}


def build_bundle(
    dest: Path = DIST / "student", release_dir: Path = COURSE_DIR / "release", points: dict[str, float] | None = None
) -> Path:
    """The student bundle at ``dest``: what a student clones (a GitHub Classroom template repository)."""
    points = suite_points() if points is None else points
    if dest.exists():
        shutil.rmtree(dest)
    _copy_tree(ASSIGNMENTS, dest / "assignments")
    # the released stubs, by digest: the bundle's assignments/ becomes the student's, and a stub left as released
    # means "graded from the notebook" (autograder.grading.handin)
    (dest / STUB_DIGESTS.name).write_text(json.dumps(stub_digests(ASSIGNMENTS), indent=2, sort_keys=True) + "\n")
    _copy_tree(REPO_ROOT / "tests" / "public", dest / "tests" / "public")
    for path, name in student_kit_files():  # the folder rule: autograder/ without suites/ and authoring/
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / name)
    _copy_tree(REPO_ROOT / "course", dest / "course")
    for part in PARTS:
        notebook = release_dir / part / f"{part}.ipynb"
        if notebook.exists():
            (dest / "notebooks").mkdir(parents=True, exist_ok=True)
            shutil.copy2(notebook, dest / "notebooks" / notebook.name)
    for name in ("README.md", "Makefile", "pytest.ini"):
        shutil.copy2(TEMPLATES / "student" / name, dest / name)
    shutil.copy2(TEMPLATES / "student" / "gitignore", dest / ".gitignore")
    test, extra = student_requirements(dest)
    (dest / "requirements-test.txt").write_text(
        "# Pinned from the course's requirements.lock (torch: the CPU build, from autograder/install.py): what\n"
        "# `make test` needs. `python -m autograder setup` installs it, with PyTorch's CPU index added.\n"
        + "\n".join(test)
        + "\n"
    )
    (dest / "requirements.txt").write_text(
        "# Pinned from the course's requirements.lock: `make test` and the notebooks.\n-r requirements-test.txt\n"
        + "\n".join(extra)
        + "\n"
    )
    workflow, autograding = classroom_steps({name: points[name] for name in available_exercises() if name in points})
    (dest / ".github" / "workflows").mkdir(parents=True)
    (dest / ".github" / "workflows" / "classroom.yml").write_text(workflow)
    (dest / ".github" / "classroom").mkdir(parents=True)
    (dest / ".github" / "classroom" / "autograding.json").write_text(json.dumps(autograding, indent=2) + "\n")
    return dest


def write_kit(kit: Path) -> Path:
    """The runtime a release notebook imports, at ``kit`` (an nbgrader release folder's ``kit/``).

    The student's share of the kit, by the folder rule (``autograder/`` without the hidden suites and
    authoring/), with ``course/`` and the public tests that ``check()`` runs. nbgrader_config.py calls
    this on every ``generate_assignment``, so nbgrader's own commands always leave a working release.
    """
    if kit.exists():
        shutil.rmtree(kit)
    for path, name in student_kit_files():
        (kit / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, kit / name)
    _copy_tree(REPO_ROOT / "course", kit / "course")
    _copy_tree(REPO_ROOT / "tests" / "public", kit / "tests" / "public")
    return kit


def release(dest: Path = DIST, course_dir: Path = COURSE_DIR) -> Path:
    """stubs, source notebooks, ``nbgrader generate_assignment``, the student bundle and its zip; refuses to ship a
    leak.
    """
    from autograder.authoring import stubs

    stubs.generate()
    write_source_notebooks()
    points = suite_points()
    generate_assignments(course_dir)
    bundle = build_bundle(dest / "student", course_dir / "release", points)
    leaks = bundle_leaks(bundle)
    if leaks:
        raise RuntimeError("the student bundle would leak:\n" + "\n".join(leaks))
    zip_tree(bundle, dest / "student.zip")
    return bundle
