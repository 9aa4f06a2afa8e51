"""The grader's guarantees (DESIGN.md, "Guarantees"), each checked over generated variants, not one known attack.

`make adversarial-conditions` runs this file in every isolation condition (root, namespaces off, Docker's
capability set, a fresh non-root user). The variants are built here from tables of *ways*: every way we know to
reach a forbidden operator, to reach the grader's modules or a correct implementation, and to fake an exception's
type or an error's kind. Each generated student module hides its names from the static scan (hex-encoded), so what
is tested is the run-time guarantee itself; a control variant in each table must work, so the harness can fail.

- **Nothing worth taking / one door**: a stub that tries every way, and returns the first that works, scores 0.
- **The grader believes only plain data**: fake exception classes earn no "raises" point, nor do real exceptions
  raised on everything; a worker that claims a timeout, a crash or a grader fault is not believed.
- **Bounded**: a function that hung or ended the worker fails at once later; a second stop of its exercise, or a
  stop right after another, makes the exercise's later calls fail at once, and the leash is short in between.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import textwrap
from pathlib import Path

import pytest

from autograder.grading.adapter import StudentError
from autograder.grading.results import Report
from autograder.grading.runner import grade
from autograder.grading.worker import IsolatedStudent
from autograder.runtime import forbidden
from autograder.settings import Settings
from tests.attacks import submission

pytestmark = pytest.mark.timeout(300)
SDPA = "attention.scaled_dot_product:scaled_dot_product_attention"
NAME = "n"  # the hex-decoding helper every generated module defines


def hidden(name: str) -> str:
    """``name`` as an expression the static scan cannot fold (it knows constants, not bytes.fromhex)."""
    return f"{NAME}({name.encode().hex()!r})"


def at(path: str, attr: str) -> str:
    """``path.attr`` (``torch.nn.functional``, ``layer_norm``) reached so that the static scan sees no torch name."""
    return f"at({hidden(path)}, {hidden(attr)})"


PRELUDE = f"""
import functools
import importlib
import types

import torch


def {NAME}(h):
    return bytes.fromhex(h).decode()


load = importlib.import_module  # under another name: the static scan does not follow it


def at(path, attr):
    parts = path.split(".")
    obj = load(parts[0])
    for part in parts[1:]:
        obj = getattr(obj, part)
    return getattr(obj, attr)
"""
SDPA_F = at("torch.nn.functional", "scaled_dot_product_attention")
LAYER_NORM = "(q, list(q.shape[-1:]), None, None, 1e-5)"
# Ways to compute attention (q, k, v: (B, L, D)) or a layer norm through an operator the course forbids.
ATTENTION = {
    "F": f"{SDPA_F}(q, k, v)",
    "torch._C._nn": f"{at('torch._C._nn', 'scaled_dot_product_attention')}(q, k, v)",
    "torch.ops.aten packet": f"{at('torch.ops.aten', 'scaled_dot_product_attention')}(q, k, v)",
    "torch.ops.aten overload": f"{at('torch.ops.aten', 'scaled_dot_product_attention')}.default(q, k, v)",
    "_VariableFunctionsClass math": f"{at('torch._C._VariableFunctionsClass', '_scaled_dot_product_attention_math')}(q, k, v)[0]",
    "_VariableFunctions flash cpu": f"{at('torch._C._VariableFunctions', '_scaled_dot_product_flash_attention_for_cpu')}"
    "(q[:, None], k[:, None], v[:, None])[0][:, 0]",
    "_jit_get_operation": f"torch._C._jit_get_operation({hidden('aten::scaled_dot_product_attention')})[0](q, k, v)",
    "a dict of callables": f"{{'f': {SDPA_F}}}['f'](q, k, v)",
    "functools.partial": f"functools.partial({SDPA_F})(q, k, v)",
    "inference mode": f"(torch.inference_mode().__enter__(), {SDPA_F}(q, k, v))[1]",
    "a decomposition": f"{at('torch._decomp.decompositions', 'scaled_dot_product_flash_attention_for_cpu')}(q[:, None], k[:, None], v[:, None])[0][:, 0]",
    "nn.MultiheadAttention": f"{at('torch.nn', 'MultiheadAttention')}(q.shape[-1], 1, bias=False, batch_first=True)(q, k, v)[0]",
    "F.multi_head_attention_forward copied": f"{at('types', 'FunctionType')}("
    f"getattr({at('torch.nn.functional', 'multi_head_attention_forward')}, {hidden('__code__')}), {{}})(q, k, v)",
    "layer norm F": f"{at('torch.nn.functional', 'layer_norm')}(q, q.shape[-1:])",
    "layer norm torch": f"{at('torch', 'layer_norm')}(q, q.shape[-1:])",
    "layer norm native": f"{at('torch', 'native_layer_norm')}{LAYER_NORM}[0]",
    "layer norm jit": f"torch._C._jit_get_operation({hidden('aten::native_layer_norm')})[0]{LAYER_NORM}[0]",
    "layer norm refs": f"{at('torch._refs', 'native_layer_norm')}{LAYER_NORM}[0]",
    "layer norm decomposition table": f"load({hidden('torch._decomp')}).decomposition_table"
    f"[{at('torch.ops.aten', 'native_layer_norm')}.default]{LAYER_NORM}[0]",
    "nn.LayerNorm": f"{at('torch.nn', 'LayerNorm')}(q.shape[-1])(q)",
}
CONTROL = "torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1) @ v"

# Ways to reach the grader's modules (and so a stand-in, or the reference) from submission code.
STAND_IN = "autograder.runtime.standins.scaled_dot_product"
REACH_GRADER = {
    "import_module": f"load({hidden(STAND_IN)}).build()",
    "__import__": f"{at('builtins', '__import__')}({hidden(STAND_IN)}, fromlist=['x']).build()",
    "sys.modules": f"{at('sys', 'modules')}[{hidden(STAND_IN)}].build()",
    "any loaded module": f"[m for k, m in list({at('sys', 'modules')}.items()) "
    f"if k.endswith({hidden('scaled_dot_product')}) and hasattr(m, 'build')][0].build()",
    "the stand-ins package": f"load({hidden('autograder.runtime.standins')}).build({hidden('attention.scaled_dot_product')})",
    "the course package": f"load({hidden('course.trainer')}).RECIPES and None",
    "the file by path": (
        "(lambda spec: (spec.loader.exec_module(m := importlib.util.module_from_spec(spec)), m.build())[1])("
        f"importlib.util.spec_from_file_location('x', [p for p in {at('sys', 'path')} if p.endswith('runtime')][0] + "
        f"{hidden('/autograder/runtime/standins/scaled_dot_product.py')}))"
    ),
    "the reference by path": (
        "(lambda spec: (spec.loader.exec_module(m := importlib.util.module_from_spec(spec)), m)[1])("
        "importlib.util.spec_from_file_location('x', "
        f"{hidden(str(Path(__file__).resolve().parents[2] / 'solutions' / 'attention' / 'scaled_dot_product.py'))}))"
    ),
}


def sdpa_module(ways: dict[str, str], use: str) -> str:
    """attention/scaled_dot_product.py trying ``ways`` (one function each); ``use`` picks them.

    ``use="cycle"``: call number k tries way k (the test checks each); ``use="first"``: every call tries all and
    returns the first result that works (the stub that any trick would make score).
    """
    functions = "\n".join(f"def _way_{i}(q, k, v):\n    import importlib.util\n    return {expr}\n" for i, expr in enumerate(ways.values()))
    body = {
        "cycle": "    way = WAYS[CALLS[0] % len(WAYS)]\n    CALLS[0] += 1\n    return way(q, k, v)",
        "first": (
            "    for way in WAYS:\n        try:\n            out = way(q, k, v)\n"
            "            if hasattr(out, 'scaled_dot_product_attention'):  # a stand-in or the reference\n"
            "                return out.scaled_dot_product_attention(q, k, v, mask)\n"
            "            if isinstance(out, torch.Tensor):  # the weights are the output over v = I\n"
            "                eye = torch.eye(k.shape[-2], dtype=v.dtype).expand(*k.shape[:-1], k.shape[-2])\n"
            "                return out, way(q, k, eye)\n"
            "        except BaseException:\n            continue\n"
            "    raise NotImplementedError"
        ),
    }[use]
    return (
        PRELUDE
        + functions
        + f"\nWAYS = [{', '.join(f'_way_{i}' for i in range(len(ways)))}]\nCALLS = [0]\n\n\n"
        + "def softmax(x, dim=-1):\n    raise NotImplementedError\n\n\n"
        + f"def scaled_dot_product_attention(q, k, v, mask=None):\n{body}\n"
    )


def settings(**changes: object) -> Settings:
    return dataclasses.replace(Settings.from_env(), **{"call_timeout": 20.0, "memory": 2 << 30, **changes})


def graded(root: Path, only: list[str]) -> Report:
    with contextlib.redirect_stdout(io.StringIO()):
        report, _ = grade(root, only=only, isolated=True)
    assert report.tests, "nothing was graded"
    return report


def qkv() -> list[list[list[list[float]]]]:
    import torch

    g = torch.Generator().manual_seed(0)
    return [torch.randn(2, 3, 4, generator=g).tolist() for _ in range(3)]


def test_every_way_to_a_forbidden_operator_meets_the_same_door(tmp_path):
    ways = {**ATTENTION, "control: the student's own attention": CONTROL}
    root = submission(tmp_path / "sub", files={"attention/scaled_dot_product.py": sdpa_module(ways, "cycle")})
    assert forbidden.scan_root(root).violations == {}, "the static scan saw a name: this would not test the run time"
    student = IsolatedStudent(root, settings=settings(), exercises={"scaled_dot_product"})
    student.begin_test(None, "scaled_dot_product")
    reached = {}
    try:
        import torch

        q, k, v = (torch.tensor(x) for x in qkv())
        for way in ways:
            try:
                student.call(SDPA, q, k, v)
                reached[way] = "returned a value"
            except StudentError as error:
                reached[way] = "refused" if error.kind == "forbidden" else f"{error.kind}: {error.message[:200]}"
    finally:
        student.close()
    assert reached.pop("control: the student's own attention") == "returned a value"
    assert {way: how for way, how in reached.items() if how != "refused"} == {}


ATTENTION_ONLY = {way: expr for way, expr in ATTENTION.items() if not way.startswith("layer norm")}


@pytest.mark.parametrize("exercise,ways", [("scaled_dot_product", ATTENTION_ONLY), ("scaled_dot_product", REACH_GRADER)])
def test_a_stub_plus_any_trick_scores_zero(tmp_path, exercise, ways):
    root = submission(tmp_path / "sub", files={"attention/scaled_dot_product.py": sdpa_module(ways, "first")})
    assert forbidden.scan_root(root).violations == {}
    report = graded(root, [exercise])
    assert report.score == 0 and report.max_score > 0, [t.title for t in report.tests if t.score]


def test_the_control_stub_scores_so_the_trick_test_can_fail(tmp_path):
    root = submission(tmp_path / "sub", files={"attention/scaled_dot_product.py": sdpa_module({"own": CONTROL}, "first")})
    assert graded(root, ["scaled_dot_product"]).score > 0


# -- what the grader believes --------------------------------------------------------------------------------

FAKE_CLASSES = {
    "a class named ValueError": "class ValueError(Exception):\n    pass\n",
    "type() named ValueError": "ValueError = type('ValueError', (Exception,), {})\n",
    "__name__ set afterwards": "class Fake(Exception):\n    pass\nFake.__name__ = Fake.__qualname__ = 'ValueError'\nValueError = Fake\n",
    "a metaclass that lies": (
        "class Meta(type):\n    @property\n    def __name__(cls):\n        return 'ValueError'\nclass ValueError(Exception, metaclass=Meta):\n    pass\n"
    ),
}


def raising_everywhere(exception_setup: str, name: str) -> str:
    """embeddings/one_hot.py whose every function raises ``name`` (made by ``exception_setup``)."""
    return (
        exception_setup
        + "\n\n"
        + "\n\n".join(f"def {f}(*args, **kwargs):\n    raise {name}('bad input')\n" for f in ("build_vocab", "encode", "decode", "one_hot"))
    )


@pytest.mark.parametrize("way", [*FAKE_CLASSES, "the real ValueError", "the real KeyError", "the real TypeError"])
def test_raising_on_everything_earns_no_raises_point(tmp_path, way):
    if way in FAKE_CLASSES:
        code = raising_everywhere(FAKE_CLASSES[way], "ValueError")
    else:
        code = raising_everywhere("", way.rpartition(" ")[2])
    root = submission(tmp_path / "sub", files={"embeddings/one_hot.py": code})
    report = graded(root, ["one_hot"])
    assert report.score == 0, [t.title for t in report.tests if t.score]


def test_the_raises_tests_still_pay_a_working_function(tmp_path):
    report = graded(submission(tmp_path / "sub", base=Path(__file__).resolve().parents[2] / "solutions"), ["one_hot"])
    assert report.score == report.max_score


LYING_KINDS = ["timeout", "crash", "grader", "forbidden-ish", "x" * 5000]


@pytest.mark.parametrize("kind", LYING_KINDS, ids=lambda k: k[:20])
def test_a_reply_is_not_believed_about_what_only_the_grader_sees(kind):
    error = StudentError.from_reply({"kind": kind, "types": ["ValueError", "X" * 300_000, 7, *["KeyError"] * 100], "message": "m" * 10**6})
    assert error.kind == "protocol"
    assert error.types == ["ValueError", "KeyError"]
    assert len(error.message) < 3000


def test_a_worker_that_rewrites_its_replies_is_not_believed(tmp_path):
    """The submission patches the worker's protocol to relabel its errors: the grader still decides the kind."""
    code = textwrap.dedent(f"""
        import importlib

        def {NAME}(h):
            return bytes.fromhex(h).decode()

        load = importlib.import_module
        protocol = getattr(load({hidden("sys")}), {hidden("modules")})[{hidden("autograder.runtime.protocol")}]
        real = protocol.write_message

        def lying(stream, message):
            reply = message.get("reply") if isinstance(message, dict) else None
            if isinstance(reply, dict) and "error" in reply:
                reply["error"] = {{"kind": "timeout", "types": ["X" * 300000], "message": "\\x1b[2J" + "m" * 10**6}}
            return real(stream, message)

        protocol.write_message = lying

        def build_vocab(*args, **kwargs):
            raise ValueError("bad")

        encode = decode = one_hot = build_vocab
    """)
    root = submission(tmp_path / "sub", files={"embeddings/one_hot.py": code})
    report = graded(root, ["one_hot"])
    assert report.score == 0
    assert all(t.error_kind in ("protocol", "") for t in report.tests), {t.error_kind for t in report.tests}
    assert max(len(t.output) for t in report.tests) < 20_000


# -- bounded ------------------------------------------------------------------------------------------------

STOPS = {
    "sleeps": "import time\n\ndef {f}(*args, **kwargs):\n    time.sleep(60)\n",
    "ends the worker": "import os\n\ndef {f}(*args, **kwargs):\n    os._exit(3)\n",
    "spins": "def {f}(*args, **kwargs):\n    while True:\n        pass\n",
}
ONE_HOT = ["build_vocab", "encode", "decode", "one_hot"]


@pytest.mark.parametrize("how", list(STOPS))
def test_an_exercise_that_keeps_stopping_is_not_waited_for(tmp_path, how):
    code = "\n\n".join(STOPS[how].format(f=f) for f in ONE_HOT)
    root = submission(tmp_path / "sub", files={"embeddings/one_hot.py": code})
    student = IsolatedStudent(root, settings=settings(call_timeout=4.0, suspect_timeout=1.0), exercises={"one_hot"})
    student.begin_test(None, "one_hot")
    errors = []
    try:
        for f in ONE_HOT:
            with pytest.raises(StudentError) as info:
                student.call(f"embeddings.one_hot:{f}", [])
            errors.append(info.value)
        stops_after = student.stops.count
        with pytest.raises(StudentError) as again:
            student.call("embeddings.one_hot:build_vocab", [])
    finally:
        student.close()
    assert [e.kind for e in errors[:2]] == (["timeout"] * 2 if how != "ends the worker" else ["crash"] * 2)
    if how != "ends the worker":
        assert "within 1 s" in errors[1].message  # the short leash right after a stop
    assert stops_after == 2  # then the exercise is recognised: its later calls do not run at all
    assert all("not run" in e.message for e in errors[2:]) and "not run" in again.value.message


# -- deny by default: kernel objects that outlive a process, file modes outside the sandbox ------------------

KERNEL_OBJECTS = {
    "shmget": "libc.shmget(0, 1 << 20, 0o1666)",  # IPC_PRIVATE, IPC_CREAT | 0666
    "msgget": "libc.msgget(0, 0o1666)",
    "semget": "libc.semget(0, 1, 0o1666)",
    "mq_open": "librt.mq_open(b'/autograder-test', 0o100 | 2, 0o666, None)",  # O_CREAT | O_RDWR
    "chmod": "os.chmod(TARGET, 0o666) or 0",
    "chown": "os.chown(TARGET, os.getuid(), os.getgid()) or 0",
    "utime": "os.utime(TARGET, (0, 0)) or 0",
    "setxattr": "os.setxattr(TARGET, 'user.x', b'1') or 0",
}


def kernel_objects_module(target: Path) -> str:
    """embeddings/one_hot.py whose ``one_hot(name)`` tries one way to leave something behind; -1 or an error: refused."""
    tries = "\n".join(f"    {name!r}: lambda: {expr}," for name, expr in KERNEL_OBJECTS.items())
    return (
        textwrap.dedent(f"""
        import importlib
        import os

        load = importlib.import_module
        ctypes = load(bytes.fromhex({b"ctypes".hex()!r}).decode())
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            librt = ctypes.CDLL("librt.so.1", use_errno=True)
        except OSError:
            librt = libc
        TARGET = {str(target)!r}

    """)
        + f"TRIES = {{\n{tries}\n}}\n\n\ndef one_hot(name, vocab_size=0):\n    try:\n        return int(TRIES[name]())\n"
        "    except OSError as error:\n        return -error.errno\n\n\nbuild_vocab = encode = decode = one_hot\n"
    )


def test_kernel_objects_and_file_modes_are_out_of_reach(tmp_path):
    target = tmp_path / "instructor.txt"
    target.write_text("the instructor's")
    target.chmod(0o600)
    before = target.stat()
    root = submission(tmp_path / "sub", files={"embeddings/one_hot.py": kernel_objects_module(target)})
    student = IsolatedStudent(root, settings=settings(), exercises={"one_hot"})
    student.begin_test(None, "one_hot")
    try:
        got = {name: student.call("embeddings.one_hot:one_hot", name) for name in KERNEL_OBJECTS}
    finally:
        student.close()
    assert {name: value for name, value in got.items() if value >= 0} == {}, got
    after = target.stat()
    assert (after.st_mode, after.st_uid, after.st_mtime_ns) == (before.st_mode, before.st_uid, before.st_mtime_ns)


@pytest.mark.skipif(os.geteuid() != 0, reason="the sweep is a root grader's (by the worker's uid)")
def test_nothing_of_a_submission_outlives_its_grading(tmp_path):
    """Even without the seccomp filter or an IPC namespace, what the worker's uid made is gone after close()."""
    root = submission(tmp_path / "sub", files={"embeddings/one_hot.py": kernel_objects_module(tmp_path / "x")})
    student = IsolatedStudent(root, settings=settings(confine=False, namespaces=False), exercises={"one_hot"})
    student.begin_test(None, "one_hot")
    try:
        made = {name: student.call("embeddings.one_hot:one_hot", name) for name in ("shmget", "msgget", "semget")}
        uid = student.uid
    finally:
        student.close()
    assert uid is not None and all(v >= 0 for v in made.values()), made  # made in the host's IPC namespace
    left = [line for kind in ("shm", "msg", "sem") for line in Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:] if str(uid) in line.split()]
    assert left == [], (made, left)


def test_downstream_own_stack_calls_of_a_module_that_hung_get_the_short_leash(tmp_path):
    """The reference with an endless loop in split_heads, a helper every multi-head forward reaches: once it hung,
    the layers' own-stack calls (over the student's multi-head attention) are not waited for in full again."""
    import torch

    from autograder.grading.loader import SOLUTIONS

    root = submission(tmp_path / "sub", base=SOLUTIONS)
    path = root / "attention" / "multi_head.py"
    split = "def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:\n"
    path.write_text(path.read_text().replace(split, split + "    while True:\n        pass\n", 1))
    student = IsolatedStudent(root, settings=settings(call_timeout=4.0, suspect_timeout=1.0), order=["multi_head", "layers"])
    x = torch.randn(1, 3, 8)
    try:
        student.begin_test(None, "multi_head")
        with pytest.raises(StudentError) as first:
            student.call("attention.multi_head:split_heads", x, 2)
        student.begin_test(None, "layers")
        state = student.probe("module_state", target="transformer.layers:LayerNorm", init_args=[8], init_kwargs={})
        with pytest.raises(StudentError) as own_stack:
            student.probe(
                "module_run", target="transformer.layers:EncoderLayer", init_args=[8, 2, 16], init_kwargs={},
                calls=[{"method": "forward", "args": [x], "kwargs": {}}],
            )  # fmt: skip
    finally:
        student.close()
    assert "within 4 s" in first.value.message
    assert state  # the layers' own calls that do not reach multi_head run as usual
    assert own_stack.value.kind == "timeout" and "within 1 s" in own_stack.value.message
