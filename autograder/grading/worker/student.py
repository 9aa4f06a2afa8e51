"""The isolated student: the :class:`~autograder.grading.adapter.Student` that grading uses.

See :mod:`autograder.grading.worker` for the whole picture; this module holds the worker's life for one submission
(which worker runs a call, with which stand-ins, started ahead of time where that is safe) and the time it may take.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from autograder.grading.adapter import Student, StudentError, functions_of, raise_grader_fault, unwrap
from autograder.grading.worker.isolation import LAST_SANDBOX, missing_isolation, refusal
from autograder.grading.worker.ownership import UidClaim, kill_uid, sweep_ipc
from autograder.grading.worker.pipes import Timeout
from autograder.grading.worker.process import GraderFault, Worker, WorkerDied, describe_exit, environment, interpreter
from autograder.grading.worker.stops import Stops
from autograder.grading.worker.template import Template
from autograder.grading.worker.workspace import ScratchFull, Workspace
from autograder.runtime import forbidden, standins
from autograder.runtime.curriculum import EXERCISES, PART_OF
from autograder.settings import Settings


class IsolatedStudent(Student):
    """Student code in a worker process; see the module docstring.

    Time is bounded at several levels: the calls that hung or ended the worker are counted against their function,
    their exercise and the submission (:mod:`autograder.grading.worker.stops`), and all calls together, with the
    starts of the workers that replace stopped ones, may take ``time_budget`` seconds, after which every call fails
    at once, everything graded before kept.
    """

    def __init__(
        self,
        root: str | Path,
        settings: Settings | None = None,
        exercises: set[str] | None = None,
        order: list[str] | None = None,
    ) -> None:
        """``exercises``: those that will be graded, when known (Part 1 alone needs no torch in the worker);
        ``order``: the exercises in the order their tests will run, so that the next worker can start ahead."""
        self.settings = settings or Settings.from_env()
        self.exercises = exercises
        self.preload_torch = exercises is None or any(PART_OF.get(e) != "embeddings" for e in exercises)
        self.source = Path(root).resolve()
        self._claim: UidClaim | None = None
        self.workspace: Workspace | None = None
        self._worker: Worker | None = None
        self._template: Template | None = None  # the warm template the workers are forked from (runtime/template.py)
        self._closed = False
        try:  # whatever fails half-way releases what was taken (the uid's lock, the workspace)
            if os.geteuid() == 0:
                self._claim = UidClaim(self.settings.uid_base, self.settings.uid_slots)
            self.uid = self._claim.uid if self._claim else None
            self.workspace = Workspace(self.source, self.uid)
            self.refused = self.workspace.error
            self.findings = forbidden.scan_root(self.workspace.submission)
            # (module, upstream) -> why it cannot run (its import hung or crashed); over stand-ins it is another import
            self.broken: dict[tuple[str, tuple[str, ...]], StudentError] = {}
            self.sandbox: dict[str, Any] = {}
            self.below_level: str | None = None  # the isolation achieved is below settings.require
            self.started = 0  # workers started for this submission (restarts: all but the first)
            self.phases = 0  # workers started for another exercise's set of stand-ins
            self.exercise: str | None = None  # the exercise of the test running now (begin_test)
            self.stops = Stops(self.settings)  # calls that hung or ended the worker, and what they cost
            self._charge_start = False
            self._spare: Worker | None = None  # started ahead of time (see _prepare_spare)
            self.order = list(order or [])  # the exercises in the order their tests run (the plugin's plan)
            self.calls = 0
            self.budget_used = 0.0
            # Where the time went (bench/grader_overhead.py): waiting for workers to start, whole exchanges,
            # the part of them the worker spent running requests, and closing.
            self.seconds = {"startup": 0.0, "exchange": 0.0, "compute": 0.0, "close": 0.0}
            self._deadline: float | None = None
            if not self.refused:
                if self.settings.template and self.preload_torch:
                    # the first call forks the first worker: asking now would wait here for PyTorch's import
                    self._template = self._new_template(self.workspace)
                else:
                    self._worker = self._new_worker()  # the first call waits
                    self.started = 1
        except BaseException:
            self.close()
            raise

    @property
    def restarts(self) -> int:
        """Workers started after the first (for another set of stand-ins, or after a stop)."""
        return max(self.started - 1, 0)

    # -- the test's time limit
    def begin_test(self, timeout: float | None, exercise: str | None = None) -> None:
        """Called by the plugin before each test: calls must finish a little before the test's own limit, in a
        worker that holds only the stand-ins ``exercise`` may see (:mod:`autograder.runtime.standins`)."""
        self._deadline = time.monotonic() + max(timeout * 0.9 - 0.2, 0.5) if timeout else None
        self.exercise = exercise

    def _call_timeout(self, reached: frozenset[str] = frozenset()) -> float:
        """How long this call may take. A short leash (``suspect_timeout``) right after a call that stopped, until one
        answers, and for a call that reaches (``reached``: the student modules it runs) the module of an exercise
        whose code stopped before: its own-stack tests downstream would only hang again."""
        timeout = min(self.settings.call_timeout, max(self.settings.time_budget - self.budget_used, 0.5))
        if self.stops.suspect(self.exercise, reached):
            timeout = min(timeout, self.settings.suspect_timeout)
        if self._deadline is not None:
            timeout = min(timeout, max(self._deadline - time.monotonic(), 0.5))
        return timeout

    # -- the worker's life
    def _ensure_worker(self) -> Worker:
        if self._closed or self.workspace is None:
            raise StudentError("grader", ["RuntimeError"], "the grader already closed this submission")
        if self.below_level:
            raise StudentError("grader", ["IsolationError"], self.below_level)
        module = EXERCISES.get(self.exercise or "")
        needed = standins.needed_by(module)
        held = self._worker.stand_ins if self._worker is not None else frozenset()
        if self._worker is not None and not standins.fits(held, module):
            self._stop()  # another exercise's stand-ins: a worker of its own (not a restart the submission pays for)
            self.phases += 1
        if self._worker is None:
            self.started += 1
            self._worker = self._take_spare(needed) or self._new_worker(needed)
        worker = self._worker
        start = time.perf_counter()
        try:
            hello = worker.wait_hello()
        except WorkerDied as error:
            output = worker.output.last_lines(12)
            self._stop()
            raise StudentError(
                "grader", ["WorkerDied"], f"the grader could not start the worker: {error}\n{output}".rstrip()
            ) from None
        finally:
            self.seconds["startup"] += time.perf_counter() - start
            if self._charge_start:  # a worker that replaces one the submission stopped: the submission's time
                self.budget_used += time.perf_counter() - start
                self._charge_start = False
        if not self.sandbox:
            self.sandbox = hello
            LAST_SANDBOX.clear()
            LAST_SANDBOX.update(hello)
        missing = missing_isolation(hello, self.settings.require or [])
        if missing:  # checked on every worker's hello, before any student code is imported
            self.below_level = refusal(missing, hello)
            self._stop()
            raise StudentError("grader", ["IsolationError"], self.below_level)
        self._prepare_spare(hello, module, worker.stand_ins)
        return worker

    def _new_template(self, workspace: Workspace) -> Template:
        """The warm template, over a slot with no stand-in, in the environment its workers get (their threads)."""
        slot = workspace.new_slot()
        return Template(interpreter(), slot, str(workspace.path), environment(self.settings, slot))

    def _new_worker(self, stand_ins: frozenset[str] = frozenset()) -> Worker:
        assert self.workspace is not None  # (the caller checked)
        return Worker(self.workspace, self.settings, self.uid, self.preload_torch, stand_ins, self._template)

    # -- a worker started ahead of time, for the next set of stand-ins or after a stop
    def _prepare_spare(self, hello: dict[str, Any], module: str | None, held: frozenset[str]) -> None:
        """Start a spare worker (no stand-ins yet) while this one works, when another will be needed soon.

        Soon: a later exercise of :attr:`order` needs other stand-ins, or the last call stopped (hung or crashed).
        Only where killing a worker's tree needs no sweep by uid (the spare shares the uid): seccomp kept it from
        starting processes, or it lives in a PID namespace.
        """
        if self._spare is not None or self._closed or self.workspace is None:
            return
        contained = (hello.get("seccomp") or {}).get("processes") == "none" or "pid" in hello.get("namespaces", [])
        later = self.order[self.order.index(self.exercise) + 1 :] if self.exercise in self.order else []
        phase_ahead = any(not standins.fits(held, m) for m in (EXERCISES.get(e) for e in later) if m)
        if contained and (phase_ahead or self.stops.streak):
            self._spare = self._new_worker()

    def _take_spare(self, needed: frozenset[str]) -> Worker | None:
        """The spare, given ``needed`` stand-ins and emptied scratch folders, or None when there is none alive."""
        spare, self._spare = self._spare, None
        if spare is None or self.workspace is None:
            return None
        if spare.proc.poll() is not None:
            spare.kill()
            return None
        self.workspace.add_stand_ins(spare.slot, needed)  # it has run no student code: nothing of it saw these
        self.workspace.clear_scratch(spare.slot)
        spare.stand_ins = needed
        spare.started = time.monotonic()  # its start-up limit counts from now
        return spare

    def _stop(self) -> None:
        if self._worker is not None:
            self.seconds["compute"] += self._worker.compute_seconds
            self._worker.kill(sweep_uid=self._spare is None)
            self._worker = None

    def _stopped_by_student(self, reached: frozenset[str] = frozenset()) -> None:
        """The current call hung or ended the worker: a new worker for the next call, on the submission's time."""
        self._stop()
        self._charge_start = True
        self.stops.stopped(self.exercise, reached)

    def _failure(self, kind: str, what: str, worker: Worker) -> StudentError:
        output = worker.output.last_lines()
        text = what + (f"\nThe last lines your code printed:\n{output}" if output.strip() else "")
        return StudentError(kind, ["TimeoutError" if kind == "timeout" else "WorkerCrash"], text)

    def _exchange(self, payload: dict[str, Any], doing: str, reached: frozenset[str] = frozenset()) -> dict[str, Any]:
        """One request and its reply; a reply to a call of student code (not an import) ends a streak of stops."""
        if self.budget_used >= self.settings.time_budget:
            raise StudentError(
                "timeout",
                ["TimeoutError"],
                f"{doing} was not run: this submission used up its time budget of {self.settings.time_budget:g} s "
                "(its calls are too slow or hang; AUTOGRADER_TIME_BUDGET)",
            )
        worker = self._ensure_worker()
        timeout = self._call_timeout(reached)
        start = time.perf_counter()
        try:
            reply = worker.request(payload, timeout)
            if payload.get("op") == "probe":
                self.stops.answered()
            return reply
        except GraderFault as fault:
            raise StudentError("grader", ["GraderError"], str(fault)) from None
        except Timeout:
            self._stopped_by_student(reached)
            raise self._failure(
                "timeout", f"{doing} did not finish within {timeout:.3g} s (an endless loop? far too slow?)", worker
            ) from None
        except ScratchFull:
            self._stopped_by_student(reached)
            limit = self.settings.scratch >> 20
            raise self._failure(
                "crash", f"your code wrote more than {limit} MiB of files during {doing} (AUTOGRADER_SCRATCH)", worker
            ) from None
        except WorkerDied as died:
            if worker.template_lost():  # it died with its template: not the submission's doing, and not counted
                self._stop()
                self._template = None  # workers start afresh from now on
                raise StudentError(
                    "grader", ["WorkerDied"], f"the grader's worker template ended during {doing}; not your code"
                ) from None
            how = describe_exit(worker.exit_status(), self.settings) if died.ended else str(died)
            self._stopped_by_student(reached)
            raise self._failure("crash", f"the process running your code {how} during {doing}", worker) from None
        except BaseException:  # the test's own timeout, Ctrl-C ...: the exchange is half done, so start afresh
            self._stop()
            raise
        finally:
            elapsed = time.perf_counter() - start
            self.seconds["exchange"] += elapsed
            self.budget_used += elapsed

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        if self.refused:
            raise StudentError("forbidden", ["SubmissionError"], self.refused)
        refusal_text = self.findings.message_for(kwargs)
        if refusal_text:
            raise StudentError("forbidden", ["ForbiddenAPIError"], refusal_text)
        raise_grader_fault(name, kwargs)
        functions = functions_of(kwargs)
        upstream = forbidden.upstream_of(kwargs)
        reached = frozenset(  # the student modules this call runs: its targets and their own, not replaced, upstream
            m for t in forbidden.targets_of(kwargs) for m in (t, *standins.UPSTREAM_OF.get(t, ())) if m not in upstream
        )
        self.stops.refuse(self.exercise, functions, reached)
        self.calls += 1
        for module in dict.fromkeys(forbidden.targets_of(kwargs)):
            key = (module, upstream)
            if key in self.broken:
                raise self.broken[key]
            if key in self._worker_imports():
                continue
            request = {"op": "import", "module": module, "upstream": list(upstream)}
            try:
                reply = self._exchange(request, f"importing {module}")
            except StudentError as error:
                if error.kind in ("timeout", "crash"):
                    self.broken[key] = error
                raise
            if "error" in reply:
                raise StudentError.from_reply(reply["error"])
            if self._worker is not None:
                self._worker.imported.add(key)
        target = kwargs.get("target", name)
        try:
            reply = self._exchange({"op": "probe", "name": name, "kwargs": kwargs}, f"the call of {target}", reached)
        except StudentError as error:
            if error.kind in ("timeout", "crash"):
                self.stops.remember(functions, reached, error)
            raise
        return unwrap(reply)

    def _worker_imports(self) -> set[tuple[str, tuple[str, ...]]]:
        return self._worker.imported if self._worker is not None else set()

    def ping(self) -> float:
        """Round-trip time of an empty request (for the benchmark)."""
        start = time.perf_counter()
        unwrap(self._exchange({"op": "ping"}, "ping"))
        return time.perf_counter() - start

    def output(self) -> str:
        """What the student's code printed so far in the current worker (capped)."""
        return self._worker.output.text() if self._worker is not None else ""

    def close(self) -> None:
        if self._closed:
            return
        start = time.perf_counter()
        self._closed = True
        self._stop()
        if self._spare is not None:
            self._spare.kill()
            self._spare = None
        if self._template is not None:
            self._template.close()
        if self._claim is not None:
            kill_uid(self._claim.uid)
            sweep_ipc(self._claim.uid)
        if self.workspace is not None:
            self.workspace.remove()
        if self._claim is not None:
            self._claim.release()
        if hasattr(self, "seconds"):
            self.seconds["close"] += time.perf_counter() - start
