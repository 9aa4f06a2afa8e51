"""Attacks on the grader (tests/attacks/): none of them may gain a point, hang the grading or touch the grader.

Most attacks replace the ``one_hot`` exercise of the stubs and are graded end to end
(``grade(..., only=["one_hot"], isolated=True)``): the stubs score 0, so any point is a point
gained by the attack. The grader's own files are hashed before and after.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import zipfile
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading import sandbox, worker
from autograder.grading.adapter import StudentError
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.grading.results import Report
from autograder.grading.runner import grade
from autograder.grading.worker import IsolatedStudent, isolation, processes_of
from autograder.layout import grader_files
from autograder.runtime import forbidden
from autograder.settings import Settings
from tests.attacks import submission

pytestmark = pytest.mark.timeout(180)
ROOT = os.geteuid() == 0
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
# What the attacks aim at: every file that decides a grade (the grader, its suites, the reference, course/),
# found by the trust-domain folders (autograder.layout), so a new module is guarded the day it is written.
GUARDED = grader_files()


def _digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.exists()}


@pytest.fixture(scope="module", autouse=True)
def grader_files_unchanged():
    """Every attack below runs between these two snapshots of the grader's files and folders."""
    before = _digest(GUARDED), sorted(os.listdir(SITE_PACKAGES))
    yield
    after = _digest(GUARDED), sorted(os.listdir(SITE_PACKAGES))
    assert after == before


def graded(root: Path) -> Report:
    with contextlib.redirect_stdout(io.StringIO()):
        report, _ = grade(root, only=["one_hot"], isolated=True)
    assert report.tests, "nothing was graded"
    return report


def cli(*args: str) -> int:
    """``python -m autograder grade ...`` in this process (the CLI's own code path, without a new interpreter)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["grade", *args])


def outputs(report: Report) -> str:
    return "\n".join(t.output for t in report.tests)


@pytest.fixture(scope="module")
def platform() -> set[str]:
    """What this platform lets the worker be separated by (see :func:`autograder.worker.isolation`)."""
    with contextlib.closing(IsolatedStudent(SOLUTIONS, exercises={"one_hot"})) as s:
        s.ping()
        return isolation(s.sandbox)


def require(platform: set[str], *any_of: str) -> None:
    if not platform & set(any_of):
        pytest.skip(f"this platform gives the worker none of {any_of} (not root, no namespaces): it runs as the grader's own user")


def no_worker_left() -> None:
    uid = worker.LAST_SANDBOX.get("uid")
    if ROOT and uid:
        assert processes_of(uid) == []


@pytest.mark.parametrize(
    "attack,says",
    [
        ("patch_comparisons", "may not import the grader"),
        ("exit_at_import", "SystemExit"),
        ("os_exit", "exited with code 0"),
        ("fake_output", "not implemented yet"),
    ],
)
def test_attack_gains_nothing(tmp_path, attack, says):
    report = graded(submission(tmp_path / "sub", attack))
    assert report.score == 0 and report.max_score > 0
    assert says.lower() in outputs(report).lower(), outputs(report)[:2000]
    no_worker_left()


def test_hang_ignoring_sigterm_costs_only_its_tests(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CALL_TIMEOUT", "0.5")
    start = time.perf_counter()
    report = graded(submission(tmp_path / "sub", "hang"))
    assert report.score == 0
    hung = [t for t in report.tests if "did not finish within" in t.output]
    assert hung and all("one_hot" in t.title for t in hung)
    assert time.perf_counter() - start < 30
    no_worker_left()


def test_memory_bomb_fails_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_MEMORY", str(1 << 30))
    report = graded(submission(tmp_path / "sub", "memory_bomb"))
    assert report.score == 0
    assert "MemoryError" in outputs(report) or "too much memory" in outputs(report)


def test_reading_the_reference_from_disk_fails(tmp_path, platform):
    require(platform, "uid", "files")
    paths = [str(SOLUTIONS / "embeddings" / "one_hot.py"), str(REPO_ROOT / ".git" / "HEAD")]
    report = graded(submission(tmp_path / "sub", "read_reference", config={"paths": paths, "repo": str(REPO_ROOT)}))
    assert report.score == 0
    assert {t.status for t in report.tests} == {"not_implemented"}


def test_objects_that_lie_or_carry_code_arrive_as_plain_data(tmp_path):
    marker = tmp_path / "unpickled"
    for attack in ("smuggle", "raw_reply"):
        report = graded(submission(tmp_path / attack, attack, config={"marker": str(marker)}))
        assert report.score == 0, attack
        assert not marker.exists(), f"{attack}: a payload ran in the grader"


def test_a_socket_server_with_the_answers_is_out_of_reach(tmp_path):
    from autograder.grading.loader import reference

    ref = reference()["one_hot"]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    served = []

    def serve():  # answers build_vocab questions with the reference's answer
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                _, tokens, min_count, specials = json.loads(conn.makefile().readline())
                conn.sendall(json.dumps(ref.build_vocab(tokens, min_count=min_count, specials=specials)).encode() + b"\n")
                served.append(1)

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        config = {"port": server.getsockname()[1], "unix": str(tmp_path / "answers.sock")}
        report = graded(submission(tmp_path / "sub", "sockets", config=config))
    finally:
        stop.set()
        thread.join(5)
        server.close()
    if "net" in worker.LAST_SANDBOX.get("namespaces", []):
        assert served == []
        assert not [t for t in report.tests if t.status == "passed" and "build_vocab" in t.title]
    assert report.score <= sum(t.max_score for t in report.tests if "build_vocab" in t.title)


def test_a_process_and_thread_storm_is_stopped_and_cleaned_up(tmp_path):
    with contextlib.closing(IsolatedStudent(submission(tmp_path / "sub", "storm"), exercises={"one_hot"})) as s:
        started = s.call("embeddings.one_hot:build_vocab", [])
        uid = s.uid
        assert started["processes"] + started["threads"] < 2 * s.settings.nproc
    if ROOT:
        assert processes_of(uid) == []


def test_conftest_sitecustomize_and_shadow_packages_are_ignored(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir(mode=0o700)

    def mark(name: str) -> str:
        return f"open({str(markers / name)!r}, 'w').close()\n"

    fixture = "import pytest\n@pytest.fixture(autouse=True)\ndef _pass(request):\n    pytest.skip('skipped by the submission')\n"
    files = {
        "conftest.py": mark("conftest") + fixture,
        "embeddings/conftest.py": mark("conftest2") + fixture,
        "pytest.ini": "[pytest]\naddopts = -p no:autograder.grading.plugin\npython_files = nothing_*.py\n",
        "setup.cfg": "[tool:pytest]\naddopts = -x --co\n",
        "tox.ini": "[pytest]\naddopts = --co\n",
        "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--co'\n",
        "sitecustomize.py": mark("sitecustomize"),
        "usercustomize.py": mark("usercustomize"),
        "numpy.py": mark("numpy"),
        "torch.py": mark("torch"),
        "pytest.py": mark("pytest"),
        "_pytest/__init__.py": mark("_pytest"),
        "autograder/__init__.py": mark("autograder"),
        "autograder/compare.py": mark("compare") + "def check(*a, **k):\n    pass\n",
        "embeddings/numpy.py": mark("numpy2"),
    }
    root = submission(tmp_path / "sub", "patch_comparisons", files=files)
    report = graded(root)
    assert report.score == 0
    assert sorted(os.listdir(markers)) == []
    leaked = [name for name, m in list(sys.modules.items()) if str(getattr(m, "__file__", "") or "").startswith(str(root))]
    assert leaked == []


def test_a_detached_child_cannot_forge_the_results(tmp_path, platform):
    require(platform, "uid", "tree")
    results = tmp_path / "out" / "results.json"
    marker = tmp_path / "forged"
    config = {"targets": [str(results), str(results) + ".tmp", str(tmp_path / "out" / "junit.xml")], "marker": str(marker), "sleep": 1.5}
    root = submission(tmp_path / "sub", "forge_results", config=config)
    (tmp_path / "out").mkdir()
    assert cli(str(root), "--only", "one_hot", "--results", str(results)) == 0
    time.sleep(2.0)  # past the grandchild's sleep: had it survived, it would have written by now
    data = json.loads(results.read_text())
    assert data["score"] == 0 and data["tests"] and not marker.exists()


def test_traps_for_the_next_submission_fail(tmp_path, platform):
    require(platform, "uid", "files")
    token = secrets.token_hex(4)
    shared = [f"/tmp/zz_poison_{token}", f"/dev/shm/zz_poison_{token}", f"/var/tmp/zz_poison_{token}", f"/tmp/pytest-of-root/zz_poison_{token}"]
    grader = [REPO_ROOT / f"zz_poison_{token}.py", REPO_ROOT / "autograder" / "suites" / f"zz_poison_{token}.py",
              REPO_ROOT / "solutions" / "embeddings" / f"zz_poison_{token}.py", SITE_PACKAGES / f"zz_poison_{token}.pth"]
    targets = [REPO_ROOT / "solutions" / "embeddings" / "one_hot.py", REPO_ROOT / "autograder" / "suites" / "test_one_hot.py",
               REPO_ROOT / "autograder" / "suites" / "pytest.ini"]
    assert set(targets) <= set(GUARDED)
    append = [str(p) for p in targets] + [str(SITE_PACKAGES / "numpy" / "__init__.py"), os.path.realpath(sys.executable)]
    config = {"create": [*shared, *map(str, grader)], "append": append}
    try:
        with contextlib.closing(IsolatedStudent(submission(tmp_path / "sub", "poison", config=config), exercises={"one_hot"})) as s:
            done = s.call("embeddings.one_hot:build_vocab", [])
            hello = s.sandbox
        assert [d for d in done if not any(d.endswith(p) for p in shared)] == []
        assert not [p for p in grader if p.exists()]
        if "mount" in hello.get("namespaces", []):
            assert not [p for p in shared if os.path.exists(p)]  # written into the worker's private /tmp, gone with it
        reference = graded(SOLUTIONS)
        assert reference.score == reference.max_score  # the next submissions are graded as usual
        assert graded(submission(tmp_path / "stub")).score == 0
    finally:
        for p in [*grader, *map(Path, shared)]:
            with contextlib.suppress(OSError):
                p.unlink()


# -- submissions refused before anything runs ---------------------------------------------------------------


def test_a_symlink_in_a_folder_submission_is_refused(tmp_path):
    root = submission(tmp_path / "sub", base=SOLUTIONS)
    target = root / "embeddings" / "one_hot.py"
    target.unlink()
    target.symlink_to(SOLUTIONS / "embeddings" / "one_hot.py")
    report = graded(root)
    assert report.score == 0 and "embeddings/one_hot.py is a symbolic link" in report.tests[0].output
    linked_dir = submission(tmp_path / "sub2", base=SOLUTIONS)
    sandbox.remove_tree(linked_dir / "embeddings")
    (linked_dir / "embeddings").symlink_to(SOLUTIONS / "embeddings")
    with pytest.raises(sandbox.SubmissionError, match="embeddings is a symbolic link"):
        sandbox.prepare(linked_dir, tmp_path / "copy")


def _zip(path: Path, entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    return path


@pytest.mark.parametrize(
    "entries,symlinks,reason",
    [
        ({"embeddings/one_hot.py": b"", "../../evil.py": b"x"}, None, "points outside the submission"),
        ({"/tmp/evil.py": b"x"}, None, "absolute path"),
        ({"C:/evil.py": b"x"}, None, "absolute path"),
        ({"embeddings/..\\..\\evil.py": b"x"}, None, "points outside the submission"),
        ({"embeddings/a.py": b""}, {"embeddings/one_hot.py": "/work/main/solutions/embeddings/one_hot.py"}, "symbolic link"),
        ({"a.py": b"1", "b/../a.py": b"2"}, None, "points outside the submission"),
    ],
)
def test_zip_slip_and_links_are_refused(tmp_path, entries, symlinks, reason):
    archive = _zip(tmp_path / "sub.zip", entries, symlinks)
    with pytest.raises(sandbox.SubmissionError, match=reason):
        sandbox.prepare(archive, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists() and not Path("/tmp/evil.py").exists()


def test_zip_bombs_and_file_floods_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_MAX_TOTAL_BYTES", "1M")
    monkeypatch.setenv("AUTOGRADER_MAX_FILES", "50")
    bomb = _zip(tmp_path / "bomb.zip", {"embeddings/big.txt": b"\0" * (2 << 20)})
    assert bomb.stat().st_size < 20_000
    with pytest.raises(sandbox.SubmissionError, match="larger than"):
        sandbox.prepare(bomb, tmp_path / "out1")
    flood = _zip(tmp_path / "flood.zip", {f"embeddings/f{i}.py": b"" for i in range(60)})
    with pytest.raises(sandbox.SubmissionError, match="more than 50 files"):
        sandbox.prepare(flood, tmp_path / "out2")


def test_a_refused_zip_still_gets_a_results_file_that_says_why(tmp_path):
    archive = _zip(tmp_path / "slip.zip", {"embeddings/one_hot.py": b"", "../slipped.py": b"x"})
    results = tmp_path / "results.json"
    assert cli(str(archive), "--only", "one_hot", "--results", str(results)) == 0
    data = json.loads(results.read_text())
    assert data["score"] == 0 and "points outside the submission" in data["output"]
    assert all("points outside the submission" in t["output"] for t in data["tests"])
    assert not (tmp_path / "slipped.py").exists()


def test_compiled_files_are_never_graded(tmp_path):
    """A .pyc or an extension module could run instead of the source the checks read: they are not copied."""
    root = submission(tmp_path / "sub")
    (root / "embeddings" / "__pycache__").mkdir()
    (root / "embeddings" / "__pycache__" / "one_hot.cpython-311.pyc").write_bytes(b"junk")
    (root / "embeddings" / "one_hot.cpython-311-x86_64-linux-gnu.so").write_bytes(b"junk")
    copy = sandbox.prepare(root, tmp_path / "copy")
    assert sorted(p.name for p in (copy / "embeddings").iterdir()) == sorted(
        p.name for p in (root / "embeddings").iterdir() if p.suffix not in sandbox.SKIP_SUFFIXES and p.is_file()
    )  # the sources and the written answers (written.md), never compiled code
    assert sandbox.content_hash(copy) == sandbox.content_hash(root)


def test_settings_are_sane():
    s = Settings()
    assert s.memory >= 2 << 30 and s.nproc >= 16 and s.call_timeout > 0


# -- the second review's attacks: each holds in every condition (root, namespaces off, dropped capabilities, non-root)


def isolated(root: Path, **changes) -> IsolatedStudent:
    settings = dataclasses.replace(Settings.from_env(), **changes)
    return IsolatedStudent(root, settings=settings, exercises={"one_hot"})


def test_the_worker_is_never_root_and_never_the_grader_when_another_uid_is_possible(platform):
    hello = worker.LAST_SANDBOX
    assert hello.get("uid") != 0
    if ROOT:
        assert "uid" in platform and hello["uid"] != os.getuid()
    assert {"files", "net", "tree", "signals"} <= platform, worker.describe_sandbox(hello)


def test_nothing_outside_the_sandbox_is_within_reach(tmp_path):
    """Other submissions, the reference, the hidden suites, results, the grader's /proc, descriptors, signals, sockets."""
    other = submission(tmp_path / "other", base=SOLUTIONS)  # another student's hand-in, graded beside this one
    results = tmp_path / "out" / "results.json"
    results.parent.mkdir()
    results.write_text("{}")
    token = secrets.token_hex(4)
    secret = f"secret-{token}"
    (tmp_path / "secret.txt").write_text(secret)
    server, unix = socket.socket(), socket.socket(socket.AF_UNIX)
    server.bind(("127.0.0.1", 0))
    server.listen()
    unix.bind(str(tmp_path / "outside.sock"))
    unix.listen()
    inherited = os.open(tmp_path / "secret.txt", os.O_RDONLY)
    os.set_inheritable(inherited, True)  # a descriptor the grader leaked: the worker must not get it
    config = {
        "read": [str(other / "embeddings" / "one_hot.py"), str(other), str(SOLUTIONS / "embeddings" / "one_hot.py"),
                 str(REPO_ROOT / "autograder" / "suites" / "test_one_hot.py"), str(results), str(tmp_path / "secret.txt"),
                 str(REPO_ROOT / "autograder" / "grading"), "/tmp", str(Path.home())],
        "write": [str(results), str(REPO_ROOT / "autograder" / "grading" / "compare.py"), f"/tmp/zz_reach_{token}",
                  f"/var/tmp/zz_reach_{token}", f"/dev/shm/zz_reach_{token}", "../runtime/autograder/runtime/worker_main.py",
                  str(SITE_PACKAGES / f"zz_reach_{token}.pth")],
        "grader_pid": os.getpid(), "port": server.getsockname()[1], "unix": str(tmp_path / "outside.sock"), "secret": secret,
    }
    signalled = []
    previous = signal.signal(signal.SIGCONT, lambda signum, frame: signalled.append(signum))
    try:
        with contextlib.closing(isolated(submission(tmp_path / "sub", "reach", config=config))) as s:
            reached = s.call("embeddings.one_hot:build_vocab", [])
    finally:
        signal.signal(signal.SIGCONT, previous)
        os.close(inherited)
        server.close()
        unix.close()
        for p in config["write"][2:5] + config["write"][6:]:
            with contextlib.suppress(OSError):
                os.unlink(p)
    assert {k: v for k, v in reached.items() if v} == {}
    assert json.loads(results.read_text()) == {} and signalled == []


def test_forbidden_apis_stay_forbidden_through_threads_and_generated_modules(tmp_path):
    root = submission(tmp_path / "sub", "threads")
    assert forbidden.scan_root(root).violations == {}  # nothing for the static check: the run-time guard decides
    with contextlib.closing(isolated(root, call_timeout=60.0)) as s:
        for target, args in (("build_vocab", ([],)), ("encode", ([], {}))):
            with pytest.raises(StudentError) as info:
                s.call(f"embeddings.one_hot:{target}", *args)
            assert info.value.kind == "forbidden" and "scaled_dot_product_attention is not allowed" in info.value.message


def test_a_submission_filling_the_disk_is_stopped_and_undeletable_files_are_removed(tmp_path):
    with contextlib.closing(isolated(submission(tmp_path / "sub", "fill_disk"), scratch=32 << 20)) as s:
        with pytest.raises(StudentError) as info:
            s.call("embeddings.one_hot:build_vocab", [])
        assert info.value.kind == "crash" and "more than 32 MiB of files" in info.value.message
        assert s.call("embeddings.one_hot:encode", [], {}) == [0]  # a fresh worker, an empty scratch
        workspace = s.workspace.path
    assert not workspace.exists()


@pytest.mark.parametrize("kind", ["shape", "nesting", "header"])
def test_a_reply_built_to_hurt_the_grader_costs_one_call(tmp_path, kind):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with contextlib.closing(isolated(submission(tmp_path / "sub", "lying_reply", config={"kind": kind}))) as s:
        with pytest.raises(StudentError) as info:
            s.call("embeddings.one_hot:build_vocab", [])
        assert info.value.kind == "crash", info.value.message
        assert s.call("embeddings.one_hot:encode", ["a", "b"], {}) == [2]  # grading goes on
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 << 10  # KiB: no allocation of what it claimed


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if text.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
    return found


@pytest.mark.parametrize(
    "exercises", ['{"one_hot"}', '{"one_hot", "multi_head"}'], ids=["fresh worker", "forked by the warm template"]
)
def test_when_the_grader_is_killed_its_workers_and_their_children_die_within_seconds(tmp_path, exercises):
    root = submission(tmp_path / "sub", "spin")
    script = f"""
import json, sys
sys.path.insert(0, {str(REPO_ROOT)!r})
from autograder.grading.worker import IsolatedStudent
s = IsolatedStudent({str(root)!r}, exercises={exercises})
s._ensure_worker()
print(json.dumps({{"workspace": str(s.workspace.path)}}), flush=True)
s.call("embeddings.one_hot:build_vocab", [])
"""
    env = {**os.environ, "AUTOGRADER_CALL_TIMEOUT": "120"}
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, start_new_session=True)
    try:
        workspace = json.loads(grader.stdout.readline())["workspace"]
        time.sleep(2.0)  # the call spins, and so does its child
        assert len(_processes_mentioning(workspace)) >= 2
    finally:
        grader.kill()  # SIGKILL: nothing of the grader's clean-up runs
        grader.wait()
    deadline = time.monotonic() + 5
    while _processes_mentioning(workspace) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(workspace) == []
    assert worker.sweep_workspaces(older_than=0) >= 1 and not Path(workspace).exists()  # the next grader cleans up


def test_a_submission_that_hangs_in_every_call_is_stopped_at_its_time_budget(tmp_path, monkeypatch):
    spin = "import time\ndef _spin():\n    deadline = time.monotonic() + 30\n    while time.monotonic() < deadline:\n        pass\n"
    code = spin + "".join(f"def {f}(*args, **kwargs):\n    _spin()\n" for f in ("build_vocab", "encode", "one_hot"))
    root = submission(tmp_path / "sub", files={"embeddings/one_hot.py": code})
    monkeypatch.setenv("AUTOGRADER_CALL_TIMEOUT", "1")
    monkeypatch.setenv("AUTOGRADER_TIME_BUDGET", "2")  # two of its three functions hang, then the budget is spent
    monkeypatch.setenv("AUTOGRADER_EXERCISE_STOPS", "100")  # the budget, the last resort, before the exercise's limit
    start = time.perf_counter()
    report = graded(root)
    assert time.perf_counter() - start < 30
    assert report.score == 0 and len(report.tests) > 4
    assert "time budget of 2 s" in outputs(report) and "not run again: it hung before" in outputs(report)


def test_below_the_required_isolation_grading_refuses_and_names_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_NAMESPACES", "0")
    monkeypatch.setenv("AUTOGRADER_CONFINE", "0")
    monkeypatch.setenv("AUTOGRADER_REQUIRE", "files,net")
    results = tmp_path / "results.json"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["grade", str(submission(tmp_path / "sub")), "--only", "one_hot", "--results", str(results)])
    assert code == 3 and not results.exists()
    # files may still hold by ownership (a checkout other users cannot read, as in a mktemp -d clone): what lacks is
    # what the worker itself found, probed the same way
    missing = worker.missing_isolation(worker.probe_isolation(Settings.from_env()), ["files", "net"])
    assert "net" in missing and f"lacks {', '.join(missing)}" in err.getvalue() and "seccomp" in err.getvalue()


def test_results_record_the_isolation_the_grade_was_made_in(tmp_path, platform):
    results = tmp_path / "results.json"
    assert cli(str(submission(tmp_path / "sub")), "--only", "one_hot", "--results", str(results)) == 0
    data = json.loads(results.read_text())
    assert set(data["extra_data"]["isolation"]["achieved"]) == platform and "Sandbox: " in data["output"]


def test_deep_or_huge_folder_trees_are_refused_with_a_message(tmp_path):
    deep = submission(tmp_path / "deep")
    try:
        folder = deep / "embeddings"
        for _ in range(1200):  # deeper than the recursion limit (made one level at a time: os.makedirs recurses)
            folder = folder / "d"
            folder.mkdir()
        with pytest.raises(sandbox.SubmissionError, match="nests folders more than"):
            sandbox.prepare(deep, tmp_path / "copy1")
        wide = submission(tmp_path / "wide")
        for i in range(Settings().max_files + 1):
            (wide / "embeddings" / f"e{i}").mkdir()
        with pytest.raises(sandbox.SubmissionError, match="more than"):
            sandbox.prepare(wide, tmp_path / "copy2")
    finally:  # even when the test fails: a tree this deep would crash pytest's own (recursive) cleanup of tmp_path
        sandbox.remove_tree(deep)
    assert not deep.exists()


def test_a_malformed_notebook_still_gets_a_results_file_that_says_why(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "embeddings.ipynb").write_text('{"cells": [{"cell_type": "code", "source": 12345}], "nbformat": "four"}')
    results = tmp_path / "results.json"
    assert cli(str(sub), "--only", "one_hot", "--results", str(results)) == 0
    data = json.loads(results.read_text())
    assert data["score"] == 0 and data["tests"] and "not graded" in data["output"]
