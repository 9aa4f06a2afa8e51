"""Every limit, timeout and path of the grader in one typed place, each with its description and default.

A setting ``name`` is read from the environment variable ``AUTOGRADER_<NAME>`` (``AUTOGRADER_MEMORY=4G``);
a value that does not parse is an error naming the variable and what it accepts, never silently
ignored. ``python -m autograder config`` prints the values in force and where each came from.

Kinds of value: whole numbers, seconds (``2.5``), byte sizes (``4294967296``, ``4G``, ``512M``, ``64K``),
booleans (``1``/``0``, ``true``/``false``, ``yes``/``no``, ``on``/``off``) and path lists (separated by
``os.pathsep``). The worker receives the values it needs in its start-up message
(:class:`autograder.runtime.messages.WorkerConfig`); it never reads this module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

PREFIX = "AUTOGRADER_"


class SettingsError(ValueError):
    """A setting's variable holds a value that does not parse; the message names the variable."""


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def parse_size(text: str) -> int:
    match = _SIZE.match(text)
    if not match:
        raise ValueError("a size in bytes, e.g. 4294967296, 4G, 512M or 64K")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ValueError("1 or 0 (also true/false, yes/no, on/off)")


def parse_int(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("a whole number") from None
    if value < 0:
        raise ValueError("a whole number >= 0")
    return value


def parse_seconds(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("a number of seconds, e.g. 60 or 2.5") from None
    if not value > 0 or value == float("inf"):
        raise ValueError("a number of seconds > 0")
    return value


VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden", "points-only")


def parse_visibility(text: str) -> str:
    value = text.strip()
    if value not in VISIBILITIES:
        raise ValueError("one of " + ", ".join(VISIBILITIES))
    return value


def parse_paths(text: str) -> list[str]:
    return [p for p in text.split(os.pathsep) if p]


PROPERTIES = ("uid", "files", "net", "tree", "signals")  # see autograder.grading.worker.isolation
STRICT = "uid,files,net,tree"  # what Gradescope and batch require unless AUTOGRADER_REQUIRE says otherwise


def parse_properties(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["none"]:
        return []
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown or not names:
        raise ValueError("a comma-separated list of " + ", ".join(PROPERTIES) + ", or none")
    return names


def _option(default: Any, parse: Callable[[str], Any], help: str) -> Any:
    return field(
        default_factory=lambda: default() if callable(default) else default, metadata={"parse": parse, "help": help}
    )


@dataclass
class Settings:
    """The grader's settings; see the module docstring. Build with :meth:`from_env`."""

    # -- the worker's limits (per worker process, see autograder/grading/worker/)
    memory: int = _option(
        4 << 30, parse_size, "address space of the worker (RLIMIT_AS); the CPU build of torch needs ~0.8 GiB"
    )
    cpu: int = _option(
        600, parse_int, "CPU seconds over one worker's life (RLIMIT_CPU); a restarted worker starts again"
    )
    nproc: int = _option(64, parse_int, "processes and threads of the worker's uid (RLIMIT_NPROC)")
    nofile: int = _option(256, parse_int, "open files of the worker (RLIMIT_NOFILE)")
    fsize: int = _option(64 << 20, parse_size, "largest file the worker may write (RLIMIT_FSIZE)")
    threads: int = _option(1, parse_int, "torch/BLAS threads in the worker: deterministic, and fair with --jobs N")
    output_cap: int = _option(
        16 << 10, parse_size, "bytes of the student's printed output kept per worker (head and tail)"
    )
    max_reply: int = _option(
        256 << 20, parse_size, "largest reply the grader accepts from the worker (header and arrays together)"
    )
    max_header: int = _option(
        8 << 20, parse_size, "largest JSON part of one reply (parsed JSON costs several times its size in memory)"
    )
    scratch: int = _option(
        256 << 20, parse_size, "bytes the worker may keep in its scratch folders (HOME, TMPDIR); more ends the call"
    )
    # -- time
    call_timeout: float = _option(
        60.0, parse_seconds, "seconds one call of student code may take when the test sets no limit"
    )
    suspect_timeout: float = _option(
        2.0,
        parse_seconds,
        "seconds a call may take right after a call that hung or ended the worker, until a call answers again "
        "(a submission that hangs in every function is recognised, not waited for)",
    )
    exercise_stops: int = _option(
        2,
        parse_int,
        "calls of one exercise that may hang or end the worker before its remaining calls fail at once (one is "
        "enough right after another exercise's call did the same)",
    )
    max_stops: int = _option(
        30, parse_int, "calls of one submission that may hang or end the worker before every later call fails at once"
    )
    startup_timeout: float = _option(
        60.0, parse_seconds, "seconds the worker may take to start (import torch, set up its sandbox)"
    )
    time_budget: float = _option(
        300.0,
        parse_seconds,
        "seconds of student calls one submission may use in all; later calls fail at once (a hang in every call)",
    )
    batch_timeout: float = _option(
        1800.0, parse_seconds, "seconds one submission may take in all in `batch` (its grade process is stopped then)"
    )
    public_test_timeout: float = _option(
        120.0, parse_seconds, "seconds per public test in the GitHub Classroom workflow (pytest-timeout)"
    )
    notebook_budget: float = _option(
        300.0,
        parse_seconds,
        "seconds one exercise's hidden suite may take in a notebook under nbgrader (stays below its cell timeout)",
    )
    # -- engines (where `batch --slurm` and `batch --k8s` run the class)
    chunk_size: int = _option(
        8,
        parse_int,
        "submissions per Slurm array task or Kubernetes pod (graded one after the other): fewer, longer tasks spend "
        "less on start-up; a killed task costs at most this many regrades",
    )
    max_tasks: int = _option(
        16, parse_int, "array tasks or pods running at once (Slurm's --array %K throttle, the Job's parallelism)"
    )
    grader_memory: int = _option(
        2 << 30,
        parse_size,
        "memory of one grade process beside its worker (the reference, torch); with `memory` it is what a task "
        "reserves (Slurm's --mem, the pod's limits.memory); the worker's own limit stays `memory`, in the sandbox",
    )
    task_retries: int = _option(
        2, parse_int, "times Kubernetes retries a chunk whose pod failed (backoffLimitPerIndex)"
    )
    notebook_sandbox: bool = _option(
        False,
        parse_bool,
        "set by the course's nbgrader_config.py: `nbgrader autograde` scores test cells in the isolated worker, so "
        "a notebook's test cells do not run the hidden tests in the student's kernel",
    )
    # -- what students see
    hidden_visibility: str = _option(
        "visible",
        parse_visibility,
        "what students see of hidden tests: visible, after_due_date, after_published, hidden (Gradescope's values; "
        "nbgrader shows messages), or points-only (each exercise's points, no inputs or expected values)",
    )
    # -- isolation
    namespaces: bool = _option(
        True, parse_bool, "put the worker in new mount, network and PID namespaces where the kernel allows"
    )
    userns: bool = _option(False, parse_bool, "enter a user namespace even as root (to exercise the unprivileged path)")
    template: bool = _option(
        True,
        parse_bool,
        "fork each PyTorch worker of a submission from a warm template that imported NumPy and PyTorch once (never "
        "student code); 0 starts every worker as a fresh interpreter (see runtime/template.py)",
    )
    confine: bool = _option(
        True, parse_bool, "confine the worker with Landlock and seccomp (no privilege needed; see runtime/confine/)"
    )
    require: list[str] | None = _option(
        None,
        parse_properties,
        "isolation the worker must achieve or grading refuses (comma-separated of " + ", ".join(PROPERTIES) + "; "
        "'none' for nothing); default: uid,files,net,tree for Gradescope and batch, a warning only for `grade`",
    )
    uid_base: int = _option(61000, parse_int, "first of the dedicated uids a root grader gives its workers")
    uid_slots: int = _option(1000, parse_int, "how many dedicated uids, from uid_base, concurrent graders may claim")
    hide: list[str] = _option(
        list, parse_paths, "more folders to hide from the worker (os.pathsep-separated), beside the kit's own"
    )
    # -- submissions
    max_files: int = _option(2000, parse_int, "most files a submission may hold")
    max_total_bytes: int = _option(64 << 20, parse_size, "most bytes a submission may hold in all")
    max_file_bytes: int = _option(16 << 20, parse_size, "largest file a submission may hold")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings in force: defaults, overridden by ``AUTOGRADER_<NAME>``; a bad value raises SettingsError."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            variable = PREFIX + f.name.upper()
            if variable in env:
                try:
                    values[f.name] = f.metadata["parse"](env[variable])
                except ValueError as error:
                    raise SettingsError(f"{variable}={env[variable]!r} is not valid: expected {error}") from None
        return cls(**values)

    def limits(self) -> dict[str, int]:
        """The worker's rlimits by name (what :class:`~autograder.runtime.messages.WorkerConfig` carries)."""
        return {
            "memory": self.memory,
            "cpu": self.cpu,
            "nproc": self.nproc,
            "nofile": self.nofile,
            "fsize": self.fsize,
            "core": 0,
        }

    def task_memory(self) -> int:
        """Bytes one engine task reserves: its grade process and that process's worker at its limit."""
        return self.memory + self.grader_memory

    def describe(self, env: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str]]:
        """``(variable, value, "env" or "default", description)`` for every setting."""
        env = os.environ if env is None else env
        rows = []
        for f in fields(self):
            variable = PREFIX + f.name.upper()
            rows.append(
                (variable, repr(getattr(self, f.name)), "env" if variable in env else "default", f.metadata["help"])
            )
        return rows
