"""Probes: the small, non-secret operations that run *next to* student code.

A hidden test never touches a student object. It asks for a probe by name with plain arguments
(see :mod:`autograder.runtime.protocol`), the probe runs beside the student's modules (in the
worker process when grading, in-process for ``make test``) and returns plain data. The probe code
holds no reference solution, so shipping it to the worker reveals nothing.

:mod:`.registry` holds the table; :mod:`.general` (``call``, ``module_run``, ``module_state``) and one
module per part register into it. Importing this package registers them all.
"""

from autograder.runtime.probes import attention, embeddings, general, transformer
from autograder.runtime.probes.registry import PROBES, Resolve, call_problem, execute, probe

__all__ = ["PROBES", "Resolve", "attention", "call_problem", "embeddings", "execute", "general", "probe", "transformer"]
