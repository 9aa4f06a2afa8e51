"""The worker: the only process that imports student code (the child side of :mod:`autograder.grading.worker`).

Started by the grader as a fresh interpreter in isolated mode (``python -I -B``, a clean
environment, ``cwd`` the private copy of the submission) with this module's folder, a private
copy of the non-secret runtime, as the only addition to ``sys.path``. Before any student code
runs it, in this order:

1. applies its sandbox (:mod:`autograder.runtime.confine`, one module per mechanism: namespaces, the keeper,
   ownership, Landlock, seccomp, limits), stdlib only, while no thread exists yet;
2. imports NumPy, the protocol and the probes, guards the forbidden torch APIs
   (:mod:`autograder.runtime.forbidden`), installs an importer that loads only the submission's three
   packages and only from source, and says hello with what it achieved.

Then it loops: read a request (:func:`autograder.runtime.protocol.read_message`) from the request pipe,
run it, write the reply to the reply pipe. Student output goes to stdout/stderr, which the grader
captures and caps and never parses; the protocol uses other file descriptors.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, cast

from autograder.runtime import confine
from autograder.runtime.errors import ModuleLoadError
from autograder.runtime.messages import Hello, WorkerConfig

# -- stage 2: the student's packages, from source only --------------------------------------------------


def _importer(root: str, packages: tuple[str, ...]) -> Any:
    import importlib.abc
    import importlib.machinery
    import importlib.util

    class SourceOnlyLoader(importlib.machinery.SourceFileLoader):
        """Always compiles the source: no bytecode is read or written, so what was checked is what runs."""

        def get_code(self, fullname: str) -> Any:
            return self.source_to_code(self.get_data(self.path), self.path)

    class SubmissionFinder(importlib.abc.MetaPathFinder):
        """``embeddings``/``attention``/``transformer`` come from the submission and nowhere else; nothing else does."""

        def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
            if fullname.partition(".")[0] not in packages:
                return None
            search = [root] if "." not in fullname else list(path or [])
            name = fullname.rpartition(".")[2]
            for folder in search:
                if not folder.startswith(root):
                    continue
                package = os.path.join(folder, name)
                init = os.path.join(package, "__init__.py")
                if os.path.isfile(init):
                    return importlib.util.spec_from_file_location(
                        fullname, init, loader=SourceOnlyLoader(fullname, init), submodule_search_locations=[package]
                    )
                if os.path.isfile(package + ".py"):
                    return importlib.util.spec_from_file_location(
                        fullname, package + ".py", loader=SourceOnlyLoader(fullname, package + ".py")
                    )
                if os.path.isdir(package):
                    spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
                    spec.submodule_search_locations = [package]
                    return spec
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)

    return SubmissionFinder()


def _after_import(name: str, then: Any) -> Any:
    """A finder that runs ``then()`` right after module ``name`` is first imported (before the import returns)."""
    import importlib.abc
    import importlib.util

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            run = spec.loader.exec_module

            def exec_module(module: Any) -> None:
                run(module)
                then()

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    return Hook()


class Submission:
    """The student's modules, imported on first use; a failed import is remembered, not retried.

    ``upstream`` (see :mod:`autograder.runtime.standins`): the module imported afresh over stand-ins of the
    earlier exercises it builds on, kept apart from the plain import.
    """

    def __init__(self, root: str, packages: tuple[str, ...]) -> None:
        self.root = root
        self.packages = packages
        self.failed: dict[tuple[str, tuple[str, ...]], ModuleLoadError] = {}
        self.over: dict[tuple[str, tuple[str, ...]], Any] = {}

    def module(self, name: str, upstream: tuple[str, ...] = ()) -> Any:
        import importlib

        from autograder.runtime.standins import import_over

        key = (name, upstream)
        if key in self.failed:
            raise self.failed[key]
        if key in self.over:
            return self.over[key]
        try:
            if not upstream:
                return importlib.import_module(name)
            self.over[key] = import_over(name, upstream, self.packages, importlib.import_module)
            return self.over[key]
        except BaseException as error:  # noqa: BLE001 - SystemExit at import is the student's error too
            self.failed[key] = ModuleLoadError(name, error)
            raise self.failed[key] from None

    def resolve(self, target: str, upstream: tuple[str, ...] | list[str] = ()) -> Any:
        module, _, attr = target.partition(":")
        obj = self.module(module, tuple(upstream))
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
        return obj


def _grader_modules_closed(root: str, runtime: str, base: Any) -> Any:
    """A finder that refuses ``autograder*`` and ``course*`` to any import with submission code behind it.

    Decided by module resolution, whatever name or alias reached the import machinery: when a frame on the stack
    belongs to the submission (or to code made at run time, which has no real file in the kit's runtime, the
    standard library or site-packages), or the import runs on a thread the submission started, it fails as a
    missing module. ``base`` is the frame of :func:`main`: the frames below it are the bootstrap's, or those of the
    template that forked this worker (:mod:`autograder.runtime.template`). The runtime's own lazy imports (a probe
    importing ``course.trainer`` before it calls the student's code) have no such frame.
    """
    import importlib.abc
    import sysconfig
    import threading

    trusted = tuple(
        {runtime.rstrip("/") + "/"}
        | {
            os.path.realpath(p).rstrip("/") + "/"
            for key in ("stdlib", "platstdlib", "purelib", "platlib")
            if (p := sysconfig.get_paths().get(key))
        }
    )
    real: dict[str, bool] = {}

    def kit_file(name: str) -> bool:
        if name.startswith("<frozen "):
            return True
        if name.startswith(root) or not os.path.realpath(name).startswith(trusted):
            return False
        if name not in real:
            real[name] = os.path.isfile(name)
        return real[name]

    class GraderModules(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
            if fullname.partition(".")[0] not in ("autograder", "course"):
                return None
            frame: Any = sys._getframe(1)
            if threading.get_ident() == threading.main_thread().ident:
                while frame is not None and kit_file(frame.f_code.co_filename):
                    if frame is base:  # below it: the bootstrap, or the template that forked this worker
                        return None
                    frame = frame.f_back
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)

    return GraderModules()


def _load_runtime(config: WorkerConfig, achieved: Hello, base: Any) -> Submission:
    """Guard torch (now, or when something first imports it: Part 1 needs none), then close the grader's modules
    and open the submission's packages, from source only. Every module of the runtime the worker uses is imported
    here, before the grader's modules are closed to later imports (:func:`_grader_modules_closed`)."""
    from autograder.runtime import errors, forbidden, probes, protocol  # noqa: F401 - see above

    def guard_torch() -> None:
        import torch

        torch.set_num_threads(max(1, int(config.get("threads", 1))))
        achieved["guarded"] = len(forbidden.install())

    if config.get("torch") == "preload":
        try:
            guard_torch()
        except ImportError:
            pass
    else:
        sys.meta_path.insert(0, _after_import("torch", guard_torch))
        protocol._torch = lambda: sys.modules.get("torch")  # encoding a reply must not import torch
    achieved["torch"] = "torch" in sys.modules
    sys.dont_write_bytecode = True
    sys.meta_path.insert(0, _importer(config["root"], tuple(config["packages"])))
    sys.meta_path.insert(0, _grader_modules_closed(config["root"], config["runtime"], base))
    return Submission(config["root"], tuple(config["packages"]))


def _answer(message: dict[str, Any], submission: Submission, roots: tuple[str, ...]) -> dict[str, Any]:
    """The reply to one request; whatever student code raises (SystemExit, KeyboardInterrupt ...) is described."""
    from autograder.runtime import forbidden
    from autograder.runtime.errors import ErrorKind, describe, error_reply
    from autograder.runtime.probes import execute

    op = message.get("op")
    forbidden.USED.clear()
    try:
        if op == "import":
            submission.module(message["module"], tuple(message.get("upstream") or ()))
            result: dict[str, Any] = {"ok": None}
        elif op == "probe":
            result = execute(submission.resolve, message["name"], message["kwargs"], roots)
        elif op == "ping":
            result = {"ok": "pong"}
        else:
            result = {"error": error_reply(ErrorKind.GRADER, f"unknown request {op!r}", ("KeyError",))}
    except BaseException as error:  # noqa: BLE001 - SystemExit, KeyboardInterrupt ... from student code
        result = {"error": describe(error, roots)}
    if forbidden.USED or ("error" in result and "ForbiddenAPIError" in result["error"].get("types", [])):
        used = list(dict.fromkeys(forbidden.USED))
        forbidden.USED.clear()
        text = "forbidden API: " + ", ".join(used) + f" is not allowed ({forbidden.ADVICE})"
        result = {"error": error_reply(ErrorKind.FORBIDDEN, text, ("ForbiddenAPIError",))}
    return result


def serve(config: WorkerConfig, achieved: Hello, base: Any) -> None:
    """Stage 2: load the runtime, say hello, answer requests until the pipe closes."""
    roots = (config["root"].rstrip("/") + "/",)
    request = os.fdopen(config["fds"]["request"], "rb", buffering=1 << 16)
    reply = os.fdopen(config["fds"]["reply"], "wb", buffering=1 << 16)
    submission = _load_runtime(config, achieved, base)

    from autograder.runtime import protocol
    from autograder.runtime.errors import ErrorKind, error_reply

    protocol.write_message(reply, {"hello": achieved})
    while True:
        try:
            message = protocol.read_message(request)
        except EOFError:
            return
        start = time.perf_counter()
        result = _answer(message, submission, roots)
        seconds = time.perf_counter() - start  # the student's time, for the grader's overhead figures
        try:
            # write_message encodes everything before it writes a byte, so a refused value leaves the pipe clean
            protocol.write_message(reply, {"id": message.get("id"), "reply": result, "seconds": seconds})
        except Exception as error:  # noqa: BLE001 - a value that cannot be graded is the student's error
            result = {"error": error_reply(ErrorKind.PROTOCOL, f"your code returned {error}", ("ProtocolError",))}
            protocol.write_message(reply, {"id": message.get("id"), "reply": result})


def main(config_json: str) -> None:
    config = cast(WorkerConfig, json.loads(config_json))
    try:
        achieved = confine.apply(config)
    except OSError as error:
        raise SystemExit(f"worker: could not set up the sandbox: {error}") from None
    serve(config, achieved, sys._getframe())
    os._exit(0)  # student threads must not keep the worker alive
