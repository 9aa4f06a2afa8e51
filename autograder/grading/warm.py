"""The warm grader: a batch's ``grade`` processes are forked from one process that imported the grader once.

A fresh ``python -m autograder grade`` spends about 2 s of CPU importing PyTorch, pytest and the grader before it
grades anything: in a class of hundreds, a tenth of the batch's CPU, spent on the same bytes every time.
:func:`start` forks each grade from a template process (multiprocessing's ``forkserver``) that imported
:data:`PRELOAD` once; the child is otherwise the ``grade`` command: its own session (so a timeout kills its whole
tree), its own environment, its own output file, :func:`autograder.cli.main` with the same arguments. Only trusted
code is in the template, the grader's own modules; no submission was ever read there, and each child starts from
the template as it was, never from another child.

The template runs no PyTorch operation before it forks (a fork copies no thread pool that is not there yet), and
what reads the environment (:class:`autograder.settings.Settings`) reads it in the child, after :func:`_grade` set it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import traceback
from multiprocessing.context import ForkServerProcess
from pathlib import Path

from autograder.grading.loader import REPO_ROOT

# What every grade imports (cli.cmd_grade, the runner, the worker's parent side, the comparisons and the
# mistake models): the template imports them once. Not the pytest plugin (pytest rewrites its asserts as it imports
# it), nor the reference (little to import: each grade imports it).
PRELOAD = [
    "torch",
    "pytest",
    "autograder.cli",
    "autograder.grading.handin",
    "autograder.grading.runner",
    "autograder.grading.worker",
    "autograder.grading.compare",
    "autograder.grading.mistakes",
    "gensim.models",  # the pretrained suite's oracle reads the student's saved file with it: 1-2 s to import
]


def _grade(argv: list[str], env: dict[str, str], output: str, templates: socket.socket | None) -> None:
    """In the forked child: become ``python -m autograder grade ARGV`` with ``env``, writing to ``output``;
    ``templates``: the batch's template server, which forks this grade's worker template."""
    from autograder.grading.worker import template

    template.SERVER = templates
    os.setsid()  # its own session: the batch stops its whole tree (workers included) by the process group
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(REPO_ROOT)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(null)
    code = 1
    try:
        from autograder.cli import main

        code = main(["grade", *argv])
    except SystemExit as stop:  # what ``python -m autograder`` would exit with
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # noqa: BLE001 - the grader's own crash: its traceback goes to the log, as from a process
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # no atexit of the template's, no second flush of its buffers


_CONTEXT: multiprocessing.context.ForkServerContext | None = None


def _context() -> multiprocessing.context.ForkServerContext:
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _CONTEXT = context
    return _CONTEXT


def start(
    argv: list[str], env: dict[str, str], output: Path, templates: socket.socket | None = None
) -> ForkServerProcess:
    """Start ``grade ARGV`` forked from the template (started on first use), its output to ``output``; the child
    gets its own descriptor of ``templates`` (multiprocessing passes a socket to a forkserver's child)."""
    process = _context().Process(target=_grade, args=(argv, env, str(output), templates), daemon=False)
    process.start()
    return process
