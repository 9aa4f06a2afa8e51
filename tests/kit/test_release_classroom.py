"""GitHub Classroom: the workflow the student bundle carries (.github/workflows/classroom.yml) and its
classic autograding.json, parsed with PyYAML and checked step by step."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from autograder.authoring.bundle import INSTALL_COMMAND, classroom_steps
from autograder.authoring.course import TEMPLATES, suite_points
from autograder.grading.loader import REPO_ROOT
from autograder.runtime.curriculum import CONCEPTS

GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"


@pytest.fixture(scope="module")
def points() -> dict[str, float]:
    found = suite_points()
    assert found, "no hidden suite yet"
    return {name: p for name, p in found.items() if name not in CONCEPTS}  # form checks only: no Classroom points


@pytest.fixture(scope="module")
def generated(points) -> tuple[dict, dict]:
    text, autograding = classroom_steps({**points, **{n: 12.0 for n in CONCEPTS}})
    return yaml.safe_load(text), autograding


def steps(workflow: dict) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def test_workflow_runs_on_push_with_the_permissions_classroom_needs(generated):
    workflow, _ = generated
    assert set(workflow["on"]) >= {"push", "workflow_dispatch"}  # "on" is quoted: YAML 1.1 would read it as True
    assert workflow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest" and job["timeout-minutes"] <= 60


def test_setup_python_with_a_pip_cache_then_the_pinned_cpu_torch(generated):
    all_steps = steps(generated[0])
    assert all_steps[0]["uses"].startswith("actions/checkout@")
    setup = next(s for s in all_steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"] == "requirements-test.txt"
    assert tuple(map(int, setup["with"]["python-version"].split("."))) >= (3, 11)
    install = next(s for s in all_steps if "run" in s and "autograder.install" in s["run"])
    assert install["run"].strip().splitlines()[-1] == INSTALL_COMMAND  # the one install rule: the CPU torch
    assert "-r requirements-test.txt" in install["run"]
    assert all_steps.index(setup) < all_steps.index(install) < min(i for i, s in enumerate(all_steps) if s.get("uses") == GRADER)


def test_one_grading_step_per_exercise_worth_its_points_with_a_per_test_timeout(generated, points):
    graders = [s for s in steps(generated[0]) if s.get("uses") == GRADER]
    assert [s["id"] for s in graders] == list(points)
    for step in graders:
        name = step["id"]
        assert step["with"]["test-name"] == name and step["with"]["max-score"] == points[name]
        assert 0 < step["with"]["timeout"] <= 60  # minutes, for the whole step
        argv = shlex.split(step["with"]["command"])
        assert argv[:3] == ["python", "-m", "pytest"] and f"tests/public/test_{name}.py" in argv
        assert (REPO_ROOT / "tests" / "public" / f"test_{name}.py").exists()
        assert "-p" in argv and argv[argv.index("-p") + 1] == "autograder.grading.plugin"
        timeout = next(int(a.split("=")[1]) for a in argv if a.startswith("--timeout="))  # pytest-timeout, per test
        assert 0 < timeout <= 60 * step["with"]["timeout"]


def test_the_reporter_collects_every_grading_step(generated, points):
    reporter = steps(generated[0])[-1]
    assert reporter["uses"] == REPORTER
    assert reporter["with"]["runners"].split(",") == list(points)
    for name in points:
        assert re.fullmatch(r"\$\{\{ steps\.(\w+)\.outputs\.result \}\}", reporter["env"][f"{name.upper()}_RESULTS"]).group(1) == name


def test_classic_autograding_json_agrees_with_the_workflow(generated, points):
    workflow, autograding = generated
    graders = {s["id"]: s["with"] for s in steps(workflow) if s.get("uses") == GRADER}
    assert [t["name"] for t in autograding["tests"]] == list(points)
    for test in autograding["tests"]:
        assert test["points"] == points[test["name"]] and test["run"] == graders[test["name"]]["command"]
        assert test["comparison"] in ("included", "exact", "regex") and test["timeout"] > 0
    assert autograding["tests"][0]["setup"] == INSTALL_COMMAND


def test_template_placeholders_are_all_filled(points):
    text, _ = classroom_steps(points)
    assert "@" not in text.replace("@v", "")
    assert (Path(TEMPLATES) / "classroom" / "classroom.yml").read_text().count("@INSTALL@") == 1
