"""The one install rule (autograder/install.py): the pin, the index, the fallback, and what pip resolves it to."""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from autograder import install
from autograder.authoring.bundle import INSTALL_COMMAND, classroom_steps
from autograder.authoring.requirements import lock_pins
from autograder.layout import REPO_ROOT

STUDENT_SIDE = ("install.py", "student.py", "cli.py", "settings.py", "layout.py", "runtime/curriculum.py")
LINUX_ONLY = {"fcntl", "resource", "pwd", "grp", "termios", "pty", "os.fork", "os.setsid", "os.killpg", "os.setuid"}


@pytest.mark.parametrize(
    ("platform_system", "version"), [("Linux", "2.13.0+cpu"), ("Windows", "2.13.0+cpu"), ("Darwin", "2.13.0")]
)
def test_one_torch_pin_per_platform_and_never_a_cuda_build(platform_system, version):
    applying = [Requirement(line) for line in install.torch_requirements()]
    applying = [r for r in applying if r.marker.evaluate({"platform_system": platform_system})]
    assert [(r.name, str(r.specifier)) for r in applying] == [("torch", f"=={version}")]
    assert install.TORCH_VERSION == "2.13.0" and version.startswith(install.TORCH_VERSION)


def test_the_lock_leaves_torch_to_the_install_rule_and_pyproject_agrees():
    assert "torch" not in lock_pins()
    assert f'"torch=={install.TORCH_VERSION}"' in (REPO_ROOT / "pyproject.toml").read_text()


def test_pip_adds_the_cpu_index_to_the_configured_one_never_replaces_it(tmp_path):
    command = install.pip_command("py", [tmp_path / "r.txt"], install.TORCH_CPU_INDEX)
    assert command[:4] == ["py", "-m", "pip", "install"]
    assert "--index-url" not in command and "-i" not in command
    assert command[command.index("--extra-index-url") + 1] == install.TORCH_CPU_INDEX
    assert command[command.index("-r") + 1] == str(tmp_path / "r.txt")
    assert command[-2:] == install.torch_requirements()
    assert "--extra-index-url" not in install.pip_command("py", [], None)


def test_an_unreachable_index_is_given_up_within_seconds():
    with socket.socket() as s:  # a port nobody listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    assert not install.index_reachable(f"http://127.0.0.1:{port}/whl/cpu")
    assert not install.index_reachable("https://download.invalid/whl/cpu")
    assert time.perf_counter() - start < 2 * install.PROBE_TIMEOUT


def test_a_venv_is_current_only_for_the_requirements_it_was_installed_from(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy==2.4.6\n")
    venv = tmp_path / "venv"
    install.venv_python(venv).parent.mkdir(parents=True)
    install.venv_python(venv).touch()
    assert not install.is_current(venv, [req])
    (venv / install.STAMP).write_text(install.digest([req]))
    assert install.is_current(venv, [req])
    req.write_text("numpy==2.4.5\n")
    assert not install.is_current(venv, [req])


def test_every_set_up_installs_by_the_rule():
    gradescope = (REPO_ROOT / "release" / "gradescope" / "setup.sh").read_text()
    assert '-m autograder.install --venv "$ROOT/venv" -r requirements.txt' in gradescope
    assert "-m autograder.install --venv $(VENV) -r requirements.lock" in (REPO_ROOT / "Makefile").read_text()
    assert INSTALL_COMMAND.startswith("python -m autograder.install ")
    workflow, autograding = classroom_steps({"one_hot": 1.0})
    assert INSTALL_COMMAND in workflow and autograding["tests"][0]["setup"] == INSTALL_COMMAND
    for text in (gradescope, workflow, (REPO_ROOT / "release" / "student" / "Makefile").read_text()):
        assert "--index-url" not in text and "download.pytorch.org" not in text


def test_dry_run_resolves_the_cpu_build_and_no_nvidia_wheel(tmp_path):
    """What pip would install here for the rule (the CPU index, when unreachable, costs seconds, not minutes)."""
    extra = install.TORCH_CPU_INDEX if install.index_reachable() else None
    report = tmp_path / "report.json"
    command = install.pip_command(sys.executable, [], extra, quiet=True)
    command[4:4] = ["--dry-run", "--ignore-installed", "--report", str(report)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert time.perf_counter() - start < 60
    resolved = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]}
    assert resolved["torch"] == f"{install.TORCH_VERSION}+cpu"
    assert not [name for name in resolved if name.startswith(("nvidia", "triton"))]


@pytest.mark.parametrize("name", STUDENT_SIDE)
def test_the_student_side_needs_the_standard_library_only_and_no_linux_only_call(name):
    path = REPO_ROOT / "autograder" / name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            used.add(node.module)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            used.add(f"{node.value.id}.{node.attr}")
    assert not used & LINUX_ONLY
    code = f"import sys, autograder.{Path(name).with_suffix('').as_posix().replace('/', '.')}; print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-S", "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    third_party = [m for m in ast.literal_eval(loaded.stdout) if m.split(".")[0] not in sys.stdlib_module_names | {"autograder", "__main__"}]
    assert third_party == []
