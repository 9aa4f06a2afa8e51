"""The Gradescope zip in a real container engine, under three seccomp profiles (issue 19).

Debian's docker.io, a daemon this module starts and stops (tests/kit/container.py), an image debootstrapped
from the host's apt mirror, the zip's own ``setup.sh`` at image build, then ``run_autograder`` once per
submission in a fresh container, as Gradescope does. The conditions (:data:`CONDITIONS`, the one place that
says what each must achieve):

- Docker's default seccomp profile;
- the default without Landlock's three system calls: everything must still grade, with ``files`` achieved by
  the ownership of the files (the worker's dedicated uid cannot open what the grader keeps to itself);
- the default without Landlock and without ``seccomp(2)``: grading must refuse, naming what is missing;
- rootless podman with its own default profile.

In each: the reference (full marks), the stubs (zero), the kit's attacks (tests/attacks/) through
``run_autograder``, an attack printing what it can read into the feedback, and a batch in which one
submission goes after another's files and results. The table of condition x achieved properties is printed
at the end (``pytest -s`` or the terminal summary) and written to build/container-table.md.

The same zip also runs in rootless podman (Debian's podman, as an unprivileged user made for it) with podman's
default seccomp profile. Needs root, Linux and apt-get (it installs the selected engines' packages when missing:
docker.io and debootstrap; podman and uidmap for podman); skips, saying so, elsewhere.
Marked ``container``: `make container-tests` runs it, `make kit-tests` leaves it out (it takes minutes).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.authoring.course import suite_points
from autograder.authoring.gradescope import build_gradescope
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS
from autograder.grading.worker import HOW_TO_GET
from tests.attacks import submission
from tests.kit import container

pytestmark = [pytest.mark.container, pytest.mark.timeout(1800)]

PROPERTIES = frozenset(HOW_TO_GET)  # uid, files, net, tree, signals
TABLE = REPO_ROOT / "build" / "container-table.md"
STARTED: dict[str, str] = {}  # each engine started: its version and how its image was built, for the table


@dataclass(frozen=True)
class Condition:
    """A seccomp profile and what ``results.json`` must say of the worker's sandbox under it.

    ``extra_data.isolation.achieved``: the properties achieved; ``extra_data.isolation.by.files``: the
    mechanisms that achieved ``files`` (``landlock``, ``mount``, ``ownership``). A condition that does not
    grade must make ``run_autograder`` exit non-zero with the grader's ``lacks <missing> (required ...``.
    """

    name: str
    refused_calls: frozenset[str] | None  # taken out of Docker's default profile; None: no --security-opt at all
    grades: bool
    engine: str = "docker"  # or "podman": rootless, as an unprivileged user
    files_by: str = ""
    missing: frozenset[str] = frozenset()


ALL_CONDITIONS = (
    Condition("docker-default", None, grades=True, files_by="landlock"),
    Condition("no-landlock", frozenset(container.LANDLOCK), grades=True, files_by="ownership"),
    Condition("no-landlock-no-seccomp", frozenset({*container.LANDLOCK, "seccomp"}), grades=False, missing=frozenset({"net", "tree"})),
    Condition("podman-rootless-default", None, grades=True, engine="podman", files_by="landlock"),
)
# The engines to run (CONTAINER_ENGINES, comma-separated: docker, podman). Rootless podman is not in the default, which
# CI runs: it builds the image a second time in its own storage (vfs here, a full copy per container), doubling the
# run's time for the same grader in the same kernel.
SELECTED = set(os.environ.get("CONTAINER_ENGINES", "docker").split(","))
CONDITIONS = tuple(c for c in ALL_CONDITIONS if c.engine in SELECTED)
GRADING = [c for c in CONDITIONS if c.grades]
# Attacks graded through run_autograder on one_hot (the stubs elsewhere score 0: any point is the attack's),
# with their attack.json where they need one: each must score 0.
ATTACKS = {
    "patch_comparisons": None,
    "exit_at_import": None,
    "os_exit": None,
    "fake_output": None,
    "read_reference": {"paths": ["/autograder/source/solutions/embeddings/one_hot.py"], "repo": "/autograder/source"},
    "forge_results": {"targets": ["/autograder/results/results.json", "/autograder/results/results.json.tmp"],
                      "marker": "/autograder/results/forged", "sleep": 1.5},
}  # fmt: skip
PREVIOUS = "/autograder/results/previous.json"  # results an earlier run left: planted with a secret


@dataclass
class Row:
    """One line of the printed table."""

    achieved: str = "?"
    files_by: str = "-"
    reference: str = "-"
    stubs: str = "-"
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def table(request) -> Iterator[dict[str, Row]]:
    rows: dict[str, Row] = {c.name: Row() for c in CONDITIONS}
    yield rows
    if not STARTED:  # skipped: no engine, no table
        return
    lines = [f"kernel {os.uname().release}; " + "; ".join(f"{kind}: {text}" for kind, text in STARTED.items()), "",
             "| condition | engine | achieved | files by | reference | stubs | tests passed | tests failed |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for c in CONDITIONS:
        r = rows[c.name]
        lines.append(f"| {c.name} | {c.engine} | {r.achieved} | {r.files_by} | {r.reference} | {r.stubs} | {len(r.passed)} | "
                     f"{', '.join(r.failed) or '-'} |")  # fmt: skip
    TABLE.parent.mkdir(exist_ok=True)
    TABLE.write_text("\n".join(lines) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # a module fixture's teardown is captured like a test
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)


@pytest.fixture(autouse=True)
def record(request, table) -> Iterator[None]:
    """Each test's outcome in its condition's row of the table (torn down after the test's report is counted)."""
    failed_before = request.session.testsfailed
    yield
    condition = request.node.callspec.params.get("condition") if hasattr(request.node, "callspec") else None
    if isinstance(condition, Condition) and condition.engine in SELECTED:
        row = table[condition.name]
        (row.failed if request.session.testsfailed > failed_before else row.passed).append(request.node.originalname)


@dataclass
class Setup:
    """A started engine and the Gradescope image built in it."""

    engine: container.Engine
    image: str


@pytest.fixture(scope="module")
def setups(tmp_path_factory) -> Iterator[Callable[[str], Setup]]:
    """``setups(kind)``: the engine of that kind, started on first use with its image built; all stopped at the end."""
    reason = container.unavailable(SELECTED)
    if reason:
        pytest.skip(reason)
    autograder_zip = build_gradescope(tmp_path_factory.mktemp("dist") / "autograder.zip")
    started: dict[str, Setup] = {}
    with contextlib.ExitStack() as stack:

        def setup(kind: str) -> Setup:
            if kind not in started:
                engine = stack.enter_context(container.engine(kind))
                built = container.gradescope_image(engine, autograder_zip)
                STARTED[kind] = (f"{engine.version()}, image built in {built.seconds:.0f} s "
                                 f"({'setup.sh on the cached environment' if built.cached else 'from scratch'})")  # fmt: skip
                assert "grader ready, torch" in built.log  # setup.sh's own last check, inside the image
                started[kind] = Setup(engine, built.image)
            return started[kind]

        yield setup


@pytest.fixture(scope="module")
def profiles(tmp_path_factory) -> dict[str, Path | None]:
    """The seccomp profile file of each condition (None: the engine's own default)."""
    folder = tmp_path_factory.mktemp("seccomp")
    default = container.default_profile(container.CACHE)
    assert set(container.LANDLOCK) | {"seccomp"} <= {n for rule in default["syscalls"] for n in rule["names"]}
    out: dict[str, Path | None] = {}
    for c in CONDITIONS:
        if c.refused_calls is None:
            out[c.name] = None
        else:
            path = folder / f"{c.name}.json"
            path.write_text(json.dumps(container.without(default, set(c.refused_calls))))
            out[c.name] = path
    return out


def run_in(setups, profiles, condition: Condition, command: list[str], files: dict, fetch: str = "/autograder/results") -> container.Ran:
    """``command`` in a fresh container of ``condition``'s engine, image and profile, with ``files`` copied in."""
    setup = setups(condition.engine)
    return container.run(setup.engine, setup.image, command, files, profiles[condition.name], fetch=fetch)


@pytest.fixture(scope="module")
def grade(setups, profiles) -> Callable[..., container.Ran]:
    """``grade(condition, submission folder, *run_autograder args, files=...)``, memoised: one container per
    distinct run."""
    done: dict[tuple, container.Ran] = {}

    def run(condition: Condition, root: Path, *args: str, files: dict[str, bytes] | None = None) -> container.Ran:
        key = (condition.name, str(root), args)
        if key not in done:
            done[key] = run_in(setups, profiles, condition, ["/autograder/run_autograder", *args],
                               {"/autograder/submission": root, **(files or {})})  # fmt: skip
        return done[key]

    return run


def refused_for(ran: container.Ran) -> set[str]:
    """What the grader's refusal names as missing (empty when it did not refuse)."""
    found = re.search(r"lacks ([a-z, ]+) \(required", ran.output)
    return set(found.group(1).split(", ")) if found else set()


def isolation(ran: container.Ran) -> dict:
    return ran.json("results.json").get("extra_data", {}).get("isolation", {})


def check_graded(condition: Condition, ran: container.Ran, row: Row | None = None) -> dict:
    """run_autograder graded, in the sandbox the condition promises; its results.json."""
    assert ran.returncode == 0, ran.output[-3000:]
    record = isolation(ran)
    if row is not None:
        row.achieved = ", ".join(record.get("achieved", [])) or "none"
        row.files_by = ", ".join(record.get("by", {}).get("files", [])) or "?"
    assert set(record.get("achieved", [])) == PROPERTIES, record
    assert condition.files_by in record.get("by", {}).get("files", []), record
    return ran.json("results.json")


def check_refused(condition: Condition, ran: container.Ran, row: Row | None = None) -> None:
    """run_autograder refused loudly: a non-zero exit, the missing properties named, a results.json that says so."""
    sandbox = re.search(r"isolation: ([a-z, ]+); missing", ran.output)
    if row is not None:
        row.achieved = sandbox.group(1) if sandbox else "?"
    assert ran.returncode != 0, ran.output[-3000:]
    assert refused_for(ran) == set(condition.missing), ran.output[-3000:]
    assert "could not grade" in ran.json("results.json")["output"]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: c.name)
def test_the_reference_gets_full_marks_or_is_refused_loudly(grade, table, condition):
    ran = grade(condition, SOLUTIONS)
    row = table[condition.name]
    if not condition.grades:
        row.reference = "refused"
        check_refused(condition, ran, row)
        return
    results = check_graded(condition, ran, row)
    total = sum(suite_points().values())
    row.reference = f"{results['score']:g}/{results['max_score']:g} in {ran.seconds:.0f} s"
    lost = [f"{t['name']}: {t['score']}/{t['max_score']}: {t['output'][:500]}" for t in results["tests"] if t["status"] != "passed"]
    assert results["score"] == results["max_score"] == total, lost
    assert results["tests"] and not lost, lost


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: c.name)
def test_the_stubs_score_zero_or_are_refused_loudly(grade, table, condition):
    ran = grade(condition, ASSIGNMENTS)
    row = table[condition.name]
    if not condition.grades:
        row.stubs = "refused"
        check_refused(condition, ran)
        return
    results = check_graded(condition, ran)
    row.stubs = f"{results['score']:g}/{results['max_score']:g}"
    assert results["score"] == 0 and results["max_score"] > 0
    hidden = [t for t in results["tests"] if "public" not in t["tags"]]
    assert {t["output"] for t in hidden} == {"not implemented yet"}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("condition", GRADING, ids=lambda c: c.name)
def test_an_attack_gains_nothing(grade, tmp_path, condition, attack):
    root = submission(tmp_path / "sub", attack, config=ATTACKS[attack])
    ran = grade(condition, root, "--only", "one_hot")
    results = check_graded(condition, ran)
    assert results["score"] == 0 and results["max_score"] > 0, [t["output"][:300] for t in results["tests"]]
    assert "forged" not in ran.files and "score\": 1000" not in ran.files["results.json"].decode()


@pytest.mark.parametrize("condition", GRADING, ids=lambda c: c.name)
def test_the_reference_suites_and_results_cannot_be_read_into_the_feedback(grade, tmp_path, condition):
    secret = f"secret-{os.urandom(4).hex()}"
    paths = ["/autograder/source/solutions/embeddings/one_hot.py", "/autograder/source/autograder/suites/test_one_hot.py",
             "/autograder/source", PREVIOUS, "/autograder/results"]  # fmt: skip
    root = submission(tmp_path / "sub", "exfiltrate", config={"paths": paths})
    ran = grade(condition, root, "--only", "one_hot", files={PREVIOUS: json.dumps({"secret": secret}).encode()})
    results = check_graded(condition, ran)
    assert_denied(results, paths)
    assert secret not in json.dumps(results)


def assert_denied(results: dict, paths: list[str]) -> None:
    """The exfiltration attack ran (one line per path reached the feedback) and every line says denied."""
    feedback = "\n".join(t["output"] for t in results["tests"])
    said = dict(re.findall(r"exfiltrate (\S+): (read|denied)", feedback))
    assert said == dict.fromkeys(paths, "denied"), feedback[-3000:]
    assert results["score"] == 0


@pytest.mark.parametrize("condition", GRADING, ids=lambda c: c.name)
def test_in_a_batch_another_submission_and_its_results_are_out_of_reach(setups, profiles, tmp_path, condition):
    """``autograder batch`` in the container: a-victim (the reference) is graded first, then b-exfiltrate goes after
    its files and its results, and c-thief delegates to its code."""
    batch = tmp_path / "batch"
    shutil.copytree(SOLUTIONS, batch / "a-victim", ignore=shutil.ignore_patterns("__pycache__"))
    victim = "/autograder/batch/a-victim"
    paths = [f"{victim}/embeddings/one_hot.py", victim, "/autograder/batch-out/results/a-victim.json", "/autograder/batch-out/results"]
    submission(batch / "b-exfiltrate", "exfiltrate", config={"paths": paths})
    submission(batch / "c-thief", "read_reference", config={"paths": [f"{victim}/embeddings/one_hot.py"], "repo": victim})
    batch.chmod(0o700)  # the class's hand-ins are the instructor's alone (where no Landlock keeps a worker out, it must)
    command = ["bash", "-c", "cd /autograder/source && exec /autograder/venv/bin/python -m autograder batch /autograder/batch "
               "--out /autograder/batch-out --only one_hot --jobs 1"]  # fmt: skip
    ran = run_in(setups, profiles, condition, command, {"/autograder/batch": batch}, fetch="/autograder/batch-out")
    assert ran.returncode == 0, ran.output[-3000:]
    victim_results = ran.json("results/a-victim.json")
    assert victim_results["score"] == victim_results["max_score"] > 0, ran.output[-3000:]
    assert_denied(ran.json("results/b-exfiltrate.json"), paths)
    assert ran.json("results/c-thief.json")["score"] == 0
