"""What separates a worker from its grader: decided in one place (:func:`mechanisms`), from the worker's hello.

Each property (``uid``, ``files``, ``net``, ``tree``, ``signals``) holds by one or more mechanisms, each of which the
worker reports having achieved (:mod:`autograder.runtime.confine`: namespaces, Landlock, seccomp, ownership, the
keeper). :func:`refusal` says why grading refuses to run below ``AUTOGRADER_REQUIRE`` and how to get what is
missing; :func:`isolation_record` is what results.json records.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Any

from autograder.settings import Settings

LAST_SANDBOX: dict[str, Any] = {}  # what the latest worker achieved (the CLI prints it)


HOW_TO_GET = {
    "uid": "run the grader as root (as Gradescope and CI do): it gives each worker a dedicated, unprivileged uid",
    "files": "needs Landlock (Linux >= 5.13, 'landlock' in the kernel's lsm= list), a mount namespace "
    "(root with CAP_SYS_ADMIN, or unprivileged user namespaces), or, as root, a kit other users cannot read "
    "(chmod -R go-rwx on it, as the Gradescope setup.sh does): the worker's own uid then reaches nothing of it",
    "net": "needs seccomp (libseccomp2 and pyseccomp from requirements.lock) or a network namespace",
    "tree": "needs seccomp (the worker may start threads, not processes; its keeper kills it) or a PID namespace",
    "signals": "needs Landlock ABI 6 (Linux >= 6.12), a PID namespace, or a dedicated uid",
}


def _confined(hello: dict[str, Any], mechanism: str) -> bool:
    achieved = hello.get(mechanism)
    return isinstance(achieved, dict) and "error" not in achieved


def _secrets_closed(hello: dict[str, Any]) -> bool:
    """True when the worker tried every secret file the grader named and could open none (``files`` by ownership)."""
    secrets = hello.get("secrets")
    return isinstance(secrets, dict) and bool(secrets) and all(v != "readable" for v in secrets.values())


def _own_uid(hello: dict[str, Any]) -> bool:
    """The worker runs as another, unprivileged user than the grader (not merely root inside a user namespace)."""
    return hello.get("uid") not in (None, 0, os.getuid()) and "user" not in hello.get("namespaces", [])


def mechanisms(hello: dict[str, Any]) -> dict[str, list[str]]:
    """What separates a worker from its grader, property by property, and by which mechanisms (the one place that
    decides it; see :data:`HOW_TO_GET`).

    ``uid``: another, unprivileged user than the grader's; ``files``: the grader's files out of reach (a mount
    namespace's view, Landlock's allow-list, or, for a worker under its own uid, the files' owners and modes, which
    the worker itself found closed); ``net``: no network (a network namespace, or seccomp refusing sockets);
    ``tree``: everything it starts dies with it and with the grader (a PID namespace, or the keeper's process group
    that seccomp forbids leaving); ``signals``: it cannot signal the grader (a PID namespace, another uid, or
    Landlock's signal scope).
    """
    names = set(hello.get("namespaces", []))
    landlock, seccomp, own_uid = _confined(hello, "landlock"), _confined(hello, "seccomp"), _own_uid(hello)
    found = {
        "uid": [("uid", own_uid)],
        "files": [
            ("mount", "mount" in names),
            ("landlock", landlock),
            ("ownership", own_uid and _secrets_closed(hello)),
        ],
        "net": [("netns", "net" in names), ("seccomp", seccomp)],
        "tree": [("pid", "pid" in names), ("keeper", bool(hello.get("keeper")) and seccomp)],
        "signals": [
            ("pid", "pid" in names),
            ("uid", own_uid),
            ("landlock", landlock and hello["landlock"].get("scoped")),
        ],
    }
    return {prop: [name for name, ok in ways if ok] for prop, ways in found.items()}


def isolation(hello: dict[str, Any]) -> set[str]:
    """The properties achieved (see :func:`mechanisms`)."""
    return {prop for prop, by in mechanisms(hello).items() if by}


def missing_isolation(hello: dict[str, Any], required: list[str]) -> list[str]:
    have = isolation(hello)
    return [p for p in required if p not in have]


def refusal(missing: list[str], hello: dict[str, Any]) -> str:
    """Why grading refuses to run in this sandbox, and how to get what is missing."""
    lines = [f"grading refused: the worker's sandbox lacks {', '.join(missing)} (required: AUTOGRADER_REQUIRE)"]
    lines += [f"  {p}: {HOW_TO_GET[p]}" for p in missing]
    readable = [path for path, got in (hello.get("secrets") or {}).items() if got == "readable"]
    if "files" in missing and readable:
        lines.append("  the worker could read: " + ", ".join(readable))
    lines.append("  " + describe_sandbox(hello))
    return "\n".join(lines)


def describe_sandbox(hello: dict[str, Any]) -> str:
    """One line: what isolation the worker achieved, and by what."""
    if not hello:
        return "worker sandbox: no worker was started"
    have = isolation(hello)
    parts = ["isolation: " + (", ".join(p for p in HOW_TO_GET if p in have) or "none")]
    missing = [p for p in HOW_TO_GET if p not in have]
    if missing:
        parts.append("missing: " + ", ".join(missing))
    parts.append(f"uid {hello.get('uid')}")
    parts.append("namespaces: " + (", ".join(hello.get("namespaces", [])) or "none"))
    for mechanism in ("landlock", "seccomp"):
        achieved = hello.get(mechanism)
        if isinstance(achieved, dict):
            parts.append(
                f"{mechanism}: "
                + (achieved["error"] if "error" in achieved else ", ".join(f"{k}={v}" for k, v in achieved.items()))
            )
    limits = hello.get("limits", {})
    if limits:
        parts.append("limits: " + ", ".join(f"{k}={v}" for k, v in limits.items()))
    return "worker sandbox: " + "; ".join(parts)


def isolation_record(hello: dict[str, Any]) -> dict[str, Any]:
    """What results.json records of the sandbox (``isolation``)."""
    have = isolation(hello)
    return {
        "achieved": [p for p in HOW_TO_GET if p in have],
        "missing": [p for p in HOW_TO_GET if p not in have],
        "by": mechanisms(hello),
        "root_grader": os.geteuid() == 0,  # (not the uid itself: grading the same submission twice gives the same file)
        "namespaces": hello.get("namespaces", []),
        "landlock": hello.get("landlock"),
        "seccomp": hello.get("seccomp"),
    }


def probe_isolation(settings: Settings) -> dict[str, Any]:
    """Start a worker over an empty submission and return its hello: what this platform lets the grader enforce."""
    from autograder.grading.worker.student import IsolatedStudent  # (it checks every hello with this module)

    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as empty:
        student = IsolatedStudent(empty, settings=dataclasses.replace(settings, require=[]), exercises={"one_hot"})
        try:
            student._ensure_worker()
            return dict(student.sandbox)
        finally:
            student.close()
