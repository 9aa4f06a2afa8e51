"""Resource limits: address space, CPU seconds, processes and threads, open files, file size, no core dumps.

They bound what one worker can take; the grader bounds time and output from outside (deadlines on the pipes, the
time budget, the scratch quota).
"""

from __future__ import annotations

import os
import resource

from autograder.runtime.messages import Hello


def count_my_tasks(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return count


def set_limits(limits: dict[str, int], achieved: Hello) -> None:
    names = {
        "memory": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "nproc": resource.RLIMIT_NPROC,
        "nofile": resource.RLIMIT_NOFILE,
        "fsize": resource.RLIMIT_FSIZE,
        "core": resource.RLIMIT_CORE,
    }
    done = {}
    for name, value in limits.items():
        if value is None or name not in names:
            continue
        try:
            _, hard = resource.getrlimit(names[name])
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(names[name], (value, value))
            done[name] = value
        except (ValueError, OSError) as error:
            achieved.setdefault("limit_errors", []).append(f"{name}: {error}")
    achieved["limits"] = done
