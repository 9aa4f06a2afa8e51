"""The isolated student: student code runs in a separate, limited worker process (the parent side), one module per job.

:class:`IsolatedStudent` is the :class:`~autograder.adapter.Student` that grading uses. For one
submission it

- makes a private workspace (``mkdtemp``, held with a lock so that the next grader removes it if
  this one dies): ``runtime/`` holds a read-only copy of ``autograder/runtime/`` and ``course/``,
  rebuilt before every worker starts, ``submission/`` a copy of the submission (plain files only,
  see :mod:`autograder.grading.sandbox`), ``home/`` and ``tmp/`` the worker's only writable folders
  (their size is watched: ``scratch``). Nothing of the hidden suites or the reference is in it;
- reads the copy's source for forbidden APIs (:mod:`autograder.runtime.forbidden`), so a probe whose
  target uses one fails with kind ``"forbidden"`` without running;
- starts the worker ONCE (:mod:`autograder.runtime.worker_main`: ``python -I -B``, a clean environment,
  its own session; as root under a dedicated uid claimed with a lock file, in new mount, network
  and PID namespaces where the platform allows, confined by Landlock and seccomp) and keeps it for
  every test; each worker's hello says what isolation it achieved (:func:`isolation`), and a hello
  below ``settings.require`` stops everything before any student code is imported;
- sends each probe as a request over a pipe (JSON + raw ``.npy``, :mod:`autograder.runtime.protocol`)
  and waits for the reply with a deadline: the test's own time limit when the plugin said it
  (:meth:`IsolatedStudent.begin_test`), else ``call_timeout``;
- on a timeout, a crash (``os._exit``, a signal, a limit), a broken reply or an interrupted
  exchange, kills the worker's whole process tree, raises :class:`StudentError` (``"timeout"``
  or ``"crash"``) with what happened and the tail of the student's output, and starts a fresh
  worker for the next call. A module whose import hangs or crashes the worker is remembered,
  so its later calls fail at once instead of costing a timeout each;
- on :meth:`close`, kills the process group, the PID namespace and every process of the
  dedicated uid (no detached grandchild survives), then deletes the workspace.

The worker's stdout and stderr go to a pipe that a thread drains into a capped buffer; they are
never parsed. Settings come from :class:`autograder.settings.Settings` (environment variables ``AUTOGRADER_*``).

The modules, one per job (the worker's side, one module per mechanism, is :mod:`autograder.runtime.confine`):

- :mod:`.student`: :class:`IsolatedStudent`, the worker's life for one submission, and :mod:`.stops`, what the calls
  that hung or ended the worker cost it;
- :mod:`.process`: one worker process, its start, its exchanges and its end;
- :mod:`.workspace`: the private folders; :mod:`.pipes`: pipes with deadlines and the drained output;
- :mod:`.ownership`: the worker's own uid, the files it must find closed, and the sweeps of what it leaves;
- :mod:`.isolation`: what each condition achieves, decided in one place (:func:`mechanisms`);
- :mod:`.proxies`: the students that wrap another (the static check, the memory of hung functions, a refusal).
"""

from autograder.grading.worker.isolation import (
    HOW_TO_GET,
    LAST_SANDBOX,
    describe_sandbox,
    isolation,
    isolation_record,
    mechanisms,
    missing_isolation,
    probe_isolation,
    refusal,
)
from autograder.grading.worker.ownership import UidClaim, kill_uid, processes_of, sweep_ipc
from autograder.grading.worker.proxies import HangMemory, RefusedStudent, StaticallyChecked
from autograder.grading.worker.student import IsolatedStudent
from autograder.grading.worker.workspace import WORKSPACE_PREFIX, sweep_workspaces

__all__ = [
    "HOW_TO_GET",
    "LAST_SANDBOX",
    "WORKSPACE_PREFIX",
    "HangMemory",
    "IsolatedStudent",
    "RefusedStudent",
    "StaticallyChecked",
    "UidClaim",
    "describe_sandbox",
    "isolation",
    "isolation_record",
    "kill_uid",
    "mechanisms",
    "missing_isolation",
    "probe_isolation",
    "processes_of",
    "refusal",
    "sweep_ipc",
    "sweep_workspaces",
]
