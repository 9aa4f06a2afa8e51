"""The student's flow in a real browser: JupyterLab on 127.0.0.1, driven by Playwright on Debian's chromium.

In the student bundle made from a real ``nbgrader generate_assignment``: open the Part 1 notebook,
run its setup and the ``one_hot`` test cell on the stub ("not implemented yet"), write the exercise
in its cells, run them and the test cell again and read the pass line, save; then ``make test`` in
the same folder grades the notebook's code (the file in ``assignments/`` is still the stub).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from autograder.authoring.bundle import build_bundle
from autograder.authoring.course import COURSE_DIR, suite_points
from autograder.authoring.nbgrader import nbgrader
from autograder.authoring.notebooks import source_notebooks
from autograder.grading.loader import REPO_ROOT

pytestmark = pytest.mark.timeout(600)

PART, EXERCISE = "embeddings", "one_hot"
TOKEN = "kit-browser-test"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(COURSE_DIR / "nbgrader_config.py", course)
    for path, text in source_notebooks().items():
        if path.parent.name == PART:
            (course / "source" / PART).mkdir(parents=True)
            (course / "source" / PART / path.name).write_text(text)
    nbgrader(["generate_assignment", PART, "--force"], course, {**os.environ, "COURSE_KIT": str(REPO_ROOT)})
    return build_bundle(tmp_path_factory.mktemp("dist") / "student", course / "release", suite_points())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(bundle, tmp_path_factory) -> Iterator[str]:
    """JupyterLab serving the bundle; its URL. Every cell stays in the page (no windowing), so each can be found."""
    settings = tmp_path_factory.mktemp("lab-settings")
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_KIT", "PYTHONPATH")}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path_factory.mktemp("jupyter-config"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={bundle}", f"--LabApp.user_settings_dir={settings}"],
        cwd=bundle, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _indices(nb) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {"setup": [], "module": [], "test": []}
    for i, cell in enumerate(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id in ("setup", "imports"):
            found["setup"].append(i)
        elif (cell.metadata.get("course") or {}).get("module") == f"{PART}.{EXERCISE}":
            found["module"].append(i)
        elif grade_id == f"{EXERCISE}-tests":
            found["test"].append(i)
    return found


def _wait_for_idle_kernel(lab: str) -> None:
    """Until the notebook's kernel has started and is idle, as the server reports it (not only as the page shows it)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{lab}/api/sessions?token={TOKEN}", timeout=10) as answer:
            sessions = json.load(answer)
        if any(s.get("kernel", {}).get("execution_state") == "idle" for s in sessions):
            return
        time.sleep(0.5)
    pytest.fail(f"the notebook's kernel did not become idle in 300 s: {sessions!r}")


def _dismiss_dialogs(page) -> None:
    """Accept any dialog JupyterLab raised (a kernel choice, a news prompt) so key presses reach the notebook."""
    for button in page.locator(".jp-Dialog .jp-mod-accept").all():
        button.click()


def _fail_with_page(page, why: str) -> None:
    """Fail naming ``why``, with what the page shows (dialogs, the kernel status) so a flake can be read from the log."""
    status = page.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")
    dialogs = [d.inner_text() for d in page.locator(".jp-Dialog").all()]
    pytest.fail(f"{why}; kernel indicator {status!r}; dialogs {dialogs!r}")


def test_a_student_runs_a_test_cell_writes_the_exercise_and_make_test_sees_it(bundle, lab, browser):
    path = bundle / "notebooks" / f"{PART}.ipynb"
    released = nbformat.read(path, as_version=4)
    where = _indices(released)
    source = nbformat.read(COURSE_DIR / "source" / PART / f"{PART}.ipynb", as_version=4)
    reference = {c.metadata.nbgrader.grade_id: c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}

    page = browser.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{lab}/lab/tree/notebooks/{PART}.ipynb?token={TOKEN}")
    cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    cells.nth(len(released.cells) - 1).wait_for()
    _wait_for_idle_kernel(lab)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']")

    def run(i: int) -> str:
        """Select cell ``i``, Shift+Enter, wait for its run to end; its output as the page shows it.

        On a loaded machine a key press can land while the page is still settling focus, and the
        cell never starts (its prompt stays ``[ ]``): that press is repeated, never a queued run.
        """
        cell = cells.nth(i)
        prompt = cell.locator(".jp-InputPrompt").first
        before = prompt.inner_text()
        for _ in range(3):
            _dismiss_dialogs(page)
            prompt.click()
            page.keyboard.press("Shift+Enter")
            try:
                page.wait_for_function(
                    "([el, before]) => { const t = el.innerText; return t !== before && /\\[(\\d+|\\*)\\]/.test(t); }",
                    arg=[prompt.element_handle(), before], timeout=30_000,
                )
                break
            except PlaywrightTimeout:
                continue
        else:
            _fail_with_page(page, f"cell {i} never started: its prompt stays {prompt.inner_text()!r}")
        try:
            page.wait_for_function("([el]) => /\\[\\d+\\]/.test(el.innerText)", arg=[prompt.element_handle()], timeout=300_000)
        except PlaywrightTimeout:
            _fail_with_page(page, f"cell {i} did not finish in 300 s: its prompt stays {prompt.inner_text()!r}")
        return cell.locator(".jp-OutputArea").inner_text() if cell.locator(".jp-OutputArea").count() else ""

    for i in where["setup"] + where["module"]:
        assert "Error" not in run(i), i
    (test,) = where["test"]
    before = run(test)
    assert "not implemented yet" in before, before[-2000:]

    for i in where["module"]:  # the student writes the exercise in its cells
        grade_id = released.cells[i].metadata.nbgrader.grade_id
        if grade_id in reference:
            editor = cells.nth(i).locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(reference[grade_id])
        assert "Error" not in run(i), i
    after = run(test)
    assert "not implemented yet" not in after and "do not pass yet" not in after, after[-2000:]
    assert " passed" in after, after[-2000:]

    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "# YOUR CODE HERE" in "".join(
        c.source for c in nbformat.read(path, as_version=4).cells if (c.metadata.get("course") or {}).get("module") == f"{PART}.{EXERCISE}"
    ):
        time.sleep(0.5)
    page.close()

    stamp = bundle / ".venv-ready"  # the bundle's .venv is this interpreter: make's set-up step is already done
    stamp.touch()
    done = subprocess.run(["make", "test", f"EX={EXERCISE}", f"PY={sys.executable}", f"STAMP={stamp}"], cwd=bundle,
                          capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k not in ("COURSE_KIT", "PYTHONPATH")})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"{PART}.{EXERCISE}: graded from the notebook cells" in done.stdout, done.stdout[-2000:]
    assert "not implemented yet" not in done.stdout
