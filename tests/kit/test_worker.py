"""The isolated worker: same values as in-process, errors described, crashes and hangs survived, the sandbox's view."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.adapter import InProcessStudent, StudentError
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.grading.worker import IsolatedStudent, StaticallyChecked, processes_of
from autograder.runtime import forbidden
from autograder.settings import Settings
from tests.attacks import submission

pytestmark = pytest.mark.timeout(120)
ROOT = os.geteuid() == 0
BUILD_VOCAB, ENCODE, ONE_HOT = "embeddings.one_hot:build_vocab", "embeddings.one_hot:encode", "embeddings.one_hot:one_hot"


def settings(**changes) -> Settings:
    return dataclasses.replace(Settings.from_env(), **{"call_timeout": 2.0, "memory": 1 << 30, **changes})


@contextmanager
def isolated(root: Path, exercises=frozenset({"one_hot"}), **changes) -> Iterator[IsolatedStudent]:
    student = IsolatedStudent(root, settings=settings(**changes), exercises=set(exercises))
    try:
        yield student
    finally:
        student.close()


def one_hot_module(tmp_path: Path, code: str) -> Path:
    """The stubs with embeddings/one_hot.py replaced by ``code``."""
    return submission(tmp_path / "sub", files={"embeddings/one_hot.py": textwrap.dedent(code)})


def error_of(student, target: str, *args, **kwargs) -> StudentError:
    with pytest.raises(StudentError) as info:
        student.call(target, *args, **kwargs)
    return info.value


def test_worker_returns_what_the_in_process_student_returns():
    tokens = ["b", "a", "b", "c", "日本"]
    local = InProcessStudent(SOLUTIONS)
    with isolated(SOLUTIONS) as s:
        for target, args in ((BUILD_VOCAB, (tokens,)), (ENCODE, (tokens, {"a": 0, "b": 1}, "a")), (ONE_HOT, (np.arange(6).reshape(2, 3), 7))):
            got, expected = s.call(target, *args), local.call(target, *args)
            if isinstance(expected, np.ndarray):
                assert type(got) is np.ndarray and got.dtype == expected.dtype and np.array_equal(got, expected)
            else:
                assert got == expected
        assert error_of(s, ONE_HOT, np.array([0, 9]), 5).is_a("ValueError")


def test_worker_starts_once_and_a_call_costs_little():
    with isolated(SOLUTIONS) as s:
        s.call(BUILD_VOCAB, ["a"])
        pid = s.sandbox["pid"]
        start = time.perf_counter()
        for _ in range(50):
            s.call(ONE_HOT, [1, 2], 4)
        per_call = (time.perf_counter() - start) / 50
        assert s.restarts == 0 and s.sandbox["pid"] == pid
        assert per_call < 0.05, f"{per_call * 1000:.1f} ms per call"


def test_stub_syntax_error_import_error_and_missing_module_are_described(tmp_path):
    with isolated(submission(tmp_path / "stub")) as s:
        assert error_of(s, BUILD_VOCAB, ["a"]).kind == "not_implemented"
    with isolated(one_hot_module(tmp_path / "syntax", "def build_vocab(tokens:\n    return {}\n")) as s:
        err = error_of(s, BUILD_VOCAB, ["a"])
        assert err.kind == "import" and "embeddings/one_hot.py, line 1" in err.message, err.message
    with isolated(one_hot_module(tmp_path / "raises", "raise RuntimeError('boom at import')\n")) as s:
        err = error_of(s, ENCODE, [], {})
        assert err.kind == "import" and "boom at import" in str(err)
        assert error_of(s, ENCODE, [], {}).message == err.message  # remembered, not re-imported
    missing = submission(tmp_path / "missing")
    (missing / "embeddings" / "one_hot.py").unlink()
    with isolated(missing) as s:
        err = error_of(s, BUILD_VOCAB, ["a"])
        assert err.kind == "import" and "No module named 'embeddings.one_hot'" in err.message


def test_wrong_return_types_are_refused_and_nan_crosses(tmp_path):
    code = """
        import numpy as np
        def build_vocab(tokens, min_count=1, specials=()):
            return object()
        def encode(tokens, vocab, unk_token=None):
            return np.array([np.nan, np.inf, -np.inf])
        def one_hot(indices, vocab_size):
            return np.array(["a", "b"])
    """
    with isolated(one_hot_module(tmp_path, code)) as s:
        err = error_of(s, BUILD_VOCAB, [])
        assert err.kind == "protocol" and "builtins.object cannot be graded" in err.message
        got = s.call(ENCODE, [], {})
        assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf
        assert error_of(s, ONE_HOT, [], 2).kind == "protocol"
        assert s.restarts == 0


@pytest.mark.parametrize(
    "exercises", [{"one_hot"}, {"one_hot", "multi_head"}], ids=["fresh worker", "forked by the warm template"]
)
def test_a_crash_fails_one_call_and_the_worker_restarts(tmp_path, exercises):
    code = """
        import os, signal
        def build_vocab(tokens, min_count=1, specials=()):
            os._exit(3)
        def encode(tokens, vocab, unk_token=None):
            os.kill(os.getpid(), signal.SIGSEGV)
        def one_hot(indices, vocab_size):
            return [vocab_size]
    """
    with isolated(one_hot_module(tmp_path, code), exercises) as s:
        err = error_of(s, BUILD_VOCAB, ["a"])
        assert err.kind == "crash" and "exited with code 3" in err.message, err.message
        assert s.call(ONE_HOT, [], 5) == [5]
        err = error_of(s, ENCODE, [], {})
        assert err.kind == "crash" and "segmentation fault" in err.message
        assert s.call(ONE_HOT, [], 6) == [6]
        assert s.restarts == 2


def test_without_its_template_a_submission_is_still_graded_by_fresh_workers():
    with isolated(SOLUTIONS, {"one_hot", "multi_head"}) as s:
        assert s.call(BUILD_VOCAB, ["a"]) == {"a": 0}
        assert s._template is not None
        s._template.proc.kill()  # (the OOM killer, say): its workers die with it
        s._template.proc.wait()
        time.sleep(0.5)  # where a keeper (no PID namespace) kills the worker's tree on its parent's death
        errors = []
        for word in "bcd":
            try:
                assert s.call(BUILD_VOCAB, [word]) == {word: 0}
            except StudentError as error:
                errors.append(error)  # the call its worker was lost in: the grader's fault, not a stop
        assert [e.kind for e in errors] == ["grader"] and s.stops.count == 0 and s._template is None


def test_a_hang_that_ignores_sigterm_times_out_and_the_next_call_runs(tmp_path):
    with isolated(submission(tmp_path / "sub", "hang"), call_timeout=1.0) as s:
        start = time.perf_counter()
        err = error_of(s, ONE_HOT, [1], 3)
        assert err.kind == "timeout" and "did not finish within 1 s" in err.message
        assert time.perf_counter() - start < 5
        assert error_of(s, BUILD_VOCAB, ["a"]).kind == "not_implemented"


def test_the_test_deadline_bounds_a_call(tmp_path):
    with isolated(submission(tmp_path / "sub", "hang"), call_timeout=60.0) as s:
        s.begin_test(1.5)  # what the plugin does with the test's @pytest.mark.timeout
        start = time.perf_counter()
        assert error_of(s, ONE_HOT, [1], 3).kind == "timeout"
        assert time.perf_counter() - start < 4


def test_an_import_that_hangs_costs_one_timeout_only(tmp_path):
    code = """
        import time
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pass
    """
    with isolated(one_hot_module(tmp_path, code), call_timeout=1.0) as s:
        assert error_of(s, BUILD_VOCAB, ["a"]).kind == "timeout"
        start = time.perf_counter()
        err = error_of(s, ENCODE, [], {})
        assert err.kind == "timeout" and "importing embeddings.one_hot" in err.message
        assert time.perf_counter() - start < 0.5


def test_a_memory_bomb_fails_its_call_only(tmp_path):
    with isolated(submission(tmp_path / "sub", "memory_bomb"), memory=1 << 30) as s:
        for target, args in ((BUILD_VOCAB, (["a"],)), (ENCODE, ([], {}))):
            err = error_of(s, target, *args)
            assert (err.kind == "raised" and err.is_a("MemoryError")) or err.kind == "crash", str(err)
        assert error_of(s, ONE_HOT, [], 2).kind == "not_implemented"


def test_student_output_is_captured_capped_and_never_read_as_a_result(tmp_path):
    with isolated(submission(tmp_path / "sub", "fake_output"), call_timeout=20.0) as s:
        assert error_of(s, BUILD_VOCAB, ["a"]).kind == "not_implemented"
        assert s.call(ENCODE, ["x", "y"], {}) == [0, 0]
        out = s.output()
        assert "14 passed" in out and "bytes of output skipped" in out
        assert len(out) < s.settings.output_cap + 200


def test_the_worker_sees_a_private_sandbox(tmp_path):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    secret = [str(SOLUTIONS / "embeddings" / "one_hot.py"), str(REPO_ROOT / "autograder" / "suites"), str(REPO_ROOT / ".git"),
              str(REPO_ROOT / "autograder" / "compare.py"), str(tmp_path)]
    with isolated(submission(tmp_path / "sub", "spy")) as s:
        seen = s.call(BUILD_VOCAB, secret, min_count=server.getsockname()[1])
        hello = s.sandbox
        # Seen from the host: inside a pid namespace the worker reads its session and group as 0.
        leader = s._worker.proc.pid
        session, group = os.getsid(leader), os.getpgid(leader)
    server.close()
    assert seen["isolated"] == 1 and seen["no_user_site"] == 1 and seen["ignore_environment"] == 1
    assert not [k for k in seen["env"] if k.startswith("PYTHON")]
    assert Path(seen["cwd"]).name == "submission" and Path(seen["cwd"]) != tmp_path / "sub"
    assert not [p for p in seen["path"] if p.startswith(str(REPO_ROOT)) and ".venv" not in p]
    assert seen["package"] == ["__init__.py", "runtime"]  # of the grader, only its runtime folder
    kit_runtime = {p.name for p in (REPO_ROOT / "autograder" / "runtime").iterdir() if p.name != "__pycache__"}
    assert {"protocol.py", "probes", "forbidden.py"} <= set(seen["runtime"]) <= kit_runtime
    assert seen["limits"]["as"] == 1 << 30 and seen["limits"]["core"] == 0 and seen["limits"]["fsize"] == s.settings.fsize
    assert session == group == leader and session != os.getsid(0)  # killpg(leader) reaches all it spawned
    if ROOT:
        assert seen["uid"] == seen["euid"] == hello["uid"] != 0 and seen["groups"] == []
        assert seen["readable"] == {p: False for p in secret}
    if "net" in hello["namespaces"]:
        assert not seen["connected"]
    if "pid" in hello["namespaces"] and hello.get("proc"):
        assert seen["processes"] == 2 and seen["pid"] == 2  # its init and itself: nothing of the host


@pytest.mark.skipif(not ROOT, reason="a dedicated uid needs root")
def test_no_process_outlives_the_submission(tmp_path):
    with isolated(submission(tmp_path / "sub", "spy")) as s:
        s.call(ENCODE, ["a"], {})
        uid = s.uid
        assert len(processes_of(uid)) >= 1  # the worker (and a detached grandchild, where it may fork)
    assert processes_of(uid) == []


# -- forbidden APIs ----------------------------------------------------------------------------------------

FORBIDDEN_USES = {
    "torch.nn.functional.scaled_dot_product_attention": "import torch.nn.functional as F\nF.scaled_dot_product_attention(q, k, v)\n",
    "torch.nn.MultiheadAttention": "from torch import nn\nm = nn.MultiheadAttention(4, 2)\n",
    "torch.nn.functional.multi_head_attention_forward": "import torch\ntorch.nn.functional.multi_head_attention_forward(*a)\n",
    "torch.nn.TransformerEncoderLayer": "import torch.nn as tnn\nlayer = tnn.TransformerEncoderLayer(8, 2)\n",
    "torch.nn.LayerNorm": "import torch as th\nnorm = th.nn.LayerNorm(8)\n",
    "torch.nn.functional.layer_norm": "from torch.nn import functional\nfunctional.layer_norm(x, (4,))\n",
    "torch.nn.Transformer": "from torch.nn import Transformer\n",
    "from torch.nn import *": "from torch.nn import *\n",
    "torch.nn.functional.scaled_dot_product_attention ": "import torch.nn.functional as F\ngetattr(F, 'scaled_dot' + '_product_attention')\n",
    "<computed name>": "import torch\nname = input()\ngetattr(torch.nn.functional, name)\n",
    "torch.native_layer_norm": "import torch\nf = torch\nf.native_layer_norm(x)\n",
    "torch.ops": "import torch\ntorch.ops.aten.add(x, y)\n",
    "importlib": "import importlib\nF = importlib.import_module('torch.nn.functional')\nF.layer_norm(x)\n",
    "'layer_norm'": "NAME = 'layer_norm'\n",
    "exec()": "exec('1')\n",
    "import ctypes": "import ctypes\n",
    "__closure__": "f.__closure__[0].cell_contents\n",
    "sys.modules": "import sys\nsys.modules['torch']\n",
    "import autograder": "from autograder.runtime.standins import scaled_dot_product\n",
    "import_module('autograder.runtime.forbidden')": "import importlib\nimportlib.import_module('autograder.runtime.forbidden')\n",
    "getattr(..., '__globals__')": "g = getattr(f, '__glo' + 'bals__')\n",
}


@pytest.mark.parametrize("api", list(FORBIDDEN_USES))
def test_static_check_flags_forbidden_apis_and_ways_around_it(api):
    found = forbidden.scan_source(FORBIDDEN_USES[api], "attention/x.py")
    assert found, f"not flagged: {FORBIDDEN_USES[api]!r}"
    assert all(v.file == "attention/x.py" and v.line >= 1 for v in found)


def test_static_check_accepts_the_reference_the_stubs_and_the_students_own_names():
    assert forbidden.scan_root(SOLUTIONS).violations == {}
    assert forbidden.scan_root(REPO_ROOT / "assignments").violations == {}
    own = '''
        """Docstrings may mention torch.nn.LayerNorm and F.scaled_dot_product_attention."""
        from torch import nn
        __all__ = ["LayerNorm", "Transformer", "scaled_dot_product_attention"]
        class LayerNorm(nn.Module):
            pass
        def scaled_dot_product_attention(q, k, v):
            return getattr(q, "softmax")(-1)
        model = Transformer(LayerNorm(4))
    '''
    assert forbidden.scan_source(textwrap.dedent(own)) == []


def test_a_forbidden_api_fails_its_exercise_and_every_exercise_importing_it(tmp_path):
    root = submission(tmp_path / "sub", base=SOLUTIONS)
    sdpa = root / "attention" / "scaled_dot_product.py"
    sdpa.write_text(sdpa.read_text() + "\n\ndef _shortcut(q, k, v):\n    return torch.nn.functional.scaled_dot_product_attention(q, k, v)\n")
    target = {"target": "attention.multi_head:MultiHeadAttention"}
    findings = forbidden.scan_root(root)
    message = findings.message_for(target)
    assert message and "attention/scaled_dot_product.py, line" in message and "scaled_dot_product_attention is not allowed" in message
    assert findings.message_for({"target": "attention.masks:causal_mask"}) is None
    for student in (StaticallyChecked(InProcessStudent(root), root), IsolatedStudent(root, settings=settings(), exercises={"multi_head"})):
        try:
            with pytest.raises(StudentError) as info:
                student.probe("module_state", target=target["target"], init_args=[8, 2], init_kwargs={})
            assert info.value.kind == "forbidden" and info.value.message == message
        finally:
            student.close()


def test_the_run_time_guard_catches_what_the_static_check_cannot_see(tmp_path):
    code = '''
        import numpy as np
        import torch

        MODULES = {"f": torch.nn.functional, "nn": torch.nn}
        SECRET = "".join(reversed("noitnetta_tcudorp_tod_delacs"))  # no constant to read

        def build_vocab(tokens, min_count=1, specials=()):
            q = torch.ones(1, 2, 3)
            return getattr(MODULES["f"], SECRET)(q, q, q)

        def encode(tokens, vocab, unk_token=None):
            try:  # caught: the call still fails
                getattr(MODULES["nn"], "".join(reversed("mroNreyaL")))(4)
            except Exception:
                pass
            return [1]

        def one_hot(indices, vocab_size):
            return torch.nn.functional.softmax(torch.ones(3), 0).tolist()
    '''
    root = one_hot_module(tmp_path, code)
    assert forbidden.scan_root(root).violations == {}
    with isolated(root, call_timeout=30.0) as s:
        err = error_of(s, BUILD_VOCAB, [])
        assert err.kind == "forbidden" and "scaled_dot_product_attention is not allowed" in err.message
        err = error_of(s, ENCODE, [], {})
        assert err.kind == "forbidden" and "torch.nn.LayerNorm is not allowed" in err.message
        assert s.call(ONE_HOT, [], 3) == pytest.approx([1 / 3] * 3)  # everything else of torch works


def test_the_run_time_guard_has_no_exception_and_no_switch(tmp_path):
    """Once installed, nobody may run a forbidden operator, however trusted its file looks: the worker needs none."""
    kit = tmp_path / "kit"
    kit.mkdir()
    use = "import torch\nout = torch.nn.functional.layer_norm(torch.ones(2, 4), (4,))\n"
    (kit / "trainer.py").write_text(use)
    script = f"""
        import sys
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from autograder.runtime import forbidden
        forbidden.install()
        print("switches:", sorted(n for n in vars(forbidden) if "stand_in" in n or "TRUSTED" in n))
        try:
            exec(compile(open({str(kit / "trainer.py")!r}).read(), {str(kit / "trainer.py")!r}, "exec"), {{}})
            print("kit allowed")
        except forbidden.ForbiddenAPIError as error:
            print("kit refused:", error)
    """
    out = subprocess.run([sys.executable, "-I", "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120)
    assert "switches: []" in out.stdout, out.stdout + out.stderr
    assert "kit refused: torch.nn.functional.layer_norm is not allowed" in out.stdout, out.stdout + out.stderr


# -- the grader's own faults, uid claims, half-built students, restarts (issue 9)


def test_a_call_of_a_hung_function_fails_at_once_later(tmp_path):
    with isolated(submission(tmp_path / "sub", "hang"), call_timeout=1.0) as s:
        first = error_of(s, ONE_HOT, [1], 3)
        start = time.perf_counter()
        again = error_of(s, ONE_HOT, [2], 4)
        assert time.perf_counter() - start < 0.2 and again.kind == "timeout"
        assert first.message in again.message and "not run again" in again.message
        assert error_of(s, BUILD_VOCAB, ["a"]).kind == "not_implemented"  # other functions still run


def test_a_request_the_grader_cannot_encode_is_the_graders_error_not_a_malformed_reply():
    with isolated(SOLUTIONS) as s:
        err = error_of(s, BUILD_VOCAB, object())
        assert err.kind == "grader" and "could not encode its request" in err.message
        assert s.call(BUILD_VOCAB, ["a"]) == {"a": 0} and s.restarts == 0  # the worker was never disturbed


def test_pipes_above_descriptor_1024_work():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < 1200")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    spare = []
    try:
        while not spare or spare[-1] < 1100:
            spare.append(os.open("/dev/null", os.O_RDONLY))
        with isolated(SOLUTIONS) as s:
            assert min(s._worker.requests.fd, s._worker.replies.fd) > 1024
            assert s.call(BUILD_VOCAB, ["b", "a", "b"]) == {"b": 0, "a": 1}
    finally:
        for fd in spare:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.skipif(not ROOT, reason="uids are claimed by a root grader only")
def test_a_uid_with_someone_elses_process_is_never_claimed():
    from autograder.grading.worker import UidClaim

    uid = 64999  # no passwd entry here, as in a container that runs numeric uids
    other = subprocess.Popen(["sleep", "30"], user=uid, group=uid)
    try:
        with pytest.raises(RuntimeError, match="no free uid"):
            UidClaim(uid, 1)
        assert other.poll() is None  # and nothing killed it
    finally:
        other.kill()
        other.wait()


def test_an_unsafe_uid_lock_folder_fails_loudly(tmp_path, monkeypatch):
    from autograder.grading.worker import UidClaim

    (tmp_path / "autograder-uids").mkdir(mode=0o777)
    os.chmod(tmp_path / "autograder-uids", 0o777)
    monkeypatch.setattr(UidClaim, "LOCK_DIRS", (tmp_path,))
    with pytest.raises(RuntimeError, match="no safe folder for the uid locks"):
        UidClaim(61000, 10)


@pytest.mark.parametrize(
    ("exercises", "started"), [({"one_hot"}, "Worker"), ({"multi_head"}, "Template")], ids=["no torch", "warm template"]
)
def test_a_half_built_student_releases_its_uid_and_workspace(tmp_path, monkeypatch, exercises, started):
    """What the student starts when built (its first worker, or the warm template that forks it at the first call)
    fails: the uid and the workspace it took are released."""
    from autograder.grading import worker
    from autograder.grading.worker import student

    released = []
    real_release = worker.UidClaim.release
    monkeypatch.setattr(worker.UidClaim, "release", lambda self: released.append(self.uid) or real_release(self))

    def broken(*args, **kwargs):
        raise OSError("the worker could not be started")

    monkeypatch.setattr(student, started, broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # its own folder: other graders' workspaces come and go
    tmp_path.chmod(0o755)
    with pytest.raises(OSError, match="could not be started"):
        IsolatedStudent(SOLUTIONS, settings=settings(), exercises=exercises)
    assert not list(tmp_path.glob(worker.WORKSPACE_PREFIX + "*"))
    assert len(released) == (1 if ROOT else 0)


def test_a_restarted_worker_boots_from_a_fresh_copy_of_the_runtime():
    with isolated(SOLUTIONS) as s:
        s.call(BUILD_VOCAB, ["a"])
        planted = s._worker.slot.runtime / "autograder" / "runtime" / "worker_main.py"
        os.chmod(planted.parent, 0o755)
        os.chmod(planted, 0o644)
        planted.write_text("raise SystemExit('booted from a planted runtime')\n")  # what a worker must never do
        s._stop()
        assert s.call(BUILD_VOCAB, ["b"]) == {"b": 0} and s.restarts == 1


def test_in_process_a_function_stopped_by_pytest_timeout_fails_at_once_later():
    from autograder.grading.adapter import Student
    from autograder.grading.worker import HangMemory

    class Hanging(Student):
        calls = 0

        def probe(self, name, /, **kwargs):
            Hanging.calls += 1
            pytest.fail("Timeout >60.0s")  # what pytest-timeout raises inside the call (nbgrader's grade_hidden path)

    student = HangMemory(Hanging())
    with pytest.raises(pytest.fail.Exception):
        student.call(ONE_HOT, [1], 3)
    start = time.perf_counter()
    err = error_of(student, ONE_HOT, [2], 4)
    assert err.kind == "timeout" and "not run again" in err.message and time.perf_counter() - start < 0.1
    assert Hanging.calls == 1


# -- a batch's template server (issue 20): each submission's template forked from one process that imported once


@pytest.fixture
def template_server(monkeypatch) -> Iterator[None]:
    """What a batch's grade processes have: the batch's template server (grading/batch.py starts it)."""
    from autograder.grading.worker import template
    from autograder.grading.worker.process import base_environment, interpreter

    with template.batch_server(interpreter(), base_environment(settings())) as server:
        monkeypatch.setattr(template, "SERVER", server)
        yield


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def gone(pid: int) -> bool:
    """Ended (a zombie is ended: only its parent's wait is left)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_batch_forks_each_template_from_its_server_and_grades_the_same(template_server):
    with isolated(SOLUTIONS, {"one_hot", "multi_head"}) as s:
        assert s.call(BUILD_VOCAB, ["b", "a", "b"]) == {"b": 0, "a": 1}
        template = s._template
        assert template is not None and template.proc is None  # asked of the server, not started afresh
        server = parent_of(template.pid)
        assert b"serve_templates" in Path(f"/proc/{server}/cmdline").read_bytes()
        assert parent_of(s._worker.proc.pid) == template.pid  # the worker is the template's child, as before
    assert gone(template.pid)  # closing the student ends its template; the server lives on for the next


KEEP_A_WORKER = """
import time
from autograder.grading.loader import SOLUTIONS
from autograder.grading.worker import IsolatedStudent, template
from autograder.grading.worker.process import base_environment, interpreter
from autograder.settings import Settings

with template.batch_server(interpreter(), base_environment(Settings.from_env())) as template.SERVER:
    s = IsolatedStudent(SOLUTIONS, exercises={"one_hot", "multi_head"})
    s.call("embeddings.one_hot:build_vocab", ["a"])
    print(s._template.pid, s._worker.proc.pid, flush=True)
    time.sleep(600)
"""


def test_a_grade_killed_outright_leaves_no_template_and_no_worker_of_the_server():
    """A batch's grade killed with SIGKILL (its timeout, the OOM killer) runs no cleanup: its template, a child of
    the server and not of the grade, sees its control socket end and leaves, and its workers die with it."""
    proc = subprocess.Popen([sys.executable, "-c", KEEP_A_WORKER], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        template, worker = map(int, proc.stdout.readline().split())
        assert not gone(template) and not gone(worker)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while not (gone(template) and gone(worker)):
        assert time.monotonic() < deadline, "the template or its worker outlived the grade that used them"
        time.sleep(0.1)


def test_closing_a_student_ends_its_template_by_itself_not_by_a_kill():
    student = IsolatedStudent(SOLUTIONS, settings=settings(), exercises={"one_hot", "multi_head"})
    try:
        assert student.call(BUILD_VOCAB, ["a"]) == {"a": 0}
        template = student._template
        assert template is not None
    finally:
        student.close()
    assert template.proc.returncode == 0  # it read the end of its control socket and left (a kill says -9)
