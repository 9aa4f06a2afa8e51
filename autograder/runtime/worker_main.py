"""The worker: the only process that imports student code (the child side of :mod:`autograder.grading.worker`).

Started by the grader as a fresh interpreter in isolated mode (``python -I -B``, a clean
environment, ``cwd`` the private copy of the submission) with this module's folder, a private
copy of the non-secret runtime, as the only addition to ``sys.path``. Before any student code
runs it, in this order:

1. (stdlib only, no thread exists yet) moves into new namespaces where the platform allows:
   mount (the grader's repository, the grader's temp folders and ``/root``-like private folders
   are covered by empty read-only tmpfs, only the Python installation and this worker's
   workspace are mounted back, ``/tmp`` and ``/dev/shm`` become private and small), network (no
   interface but a down loopback: no network), PID (a small init is PID 1 of the new namespace and
   the worker PID 2, so when the worker dies its init exits and the kernel kills every process the
   student started; a small root parent outside waits for the init, and each of the three dies
   with its parent, down from the grader). Without a PID namespace, a *keeper* stays outside as
   the worker's parent and kills the worker's process group (and, as root, its uid) when the
   grader dies, however it dies;
2. drops privileges: as root, to the dedicated unprivileged uid/gid the grader chose (no
   supplementary groups); it never runs student code as root. Where the Python installation
   lies in a folder other users cannot enter (``/root/.pyenv``) and no mount namespace shows it,
   the folders of ``sys.path`` are opened before the drop and reached through their descriptors.
   Without root, inside a user namespace, all capabilities are dropped;
3. confines itself with Landlock and seccomp (:mod:`autograder.runtime.confine`: an allow-list of
   readable and writable folders, no TCP, no signal or abstract socket outside, no socket at all,
   no ``setsid``), which needs no privilege, then sets resource limits (address space, CPU seconds,
   processes and threads, open files, file size, no core dumps);
4. imports NumPy, the protocol and the probes, guards the forbidden torch APIs
   (:mod:`autograder.runtime.forbidden`), installs an importer that loads only the submission's three
   packages and only from source, and says hello with what it achieved.

Then it loops: read a request (:func:`autograder.runtime.protocol.read_message`) from the request pipe,
run it, write the reply to the reply pipe. Student output goes to stdout/stderr, which the grader
captures and caps and never parses; the protocol uses other file descriptors.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import resource
import signal
import stat
import sys
import time
from typing import Any, cast

from autograder.runtime import confine
from autograder.runtime.errors import ModuleLoadError
from autograder.runtime.messages import Hello, WorkerConfig

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 1, 4, 38, 24
O_PATH = getattr(os, "O_PATH", 0o10000000)

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data)),
        f"mount {target}",
    )


# -- stage 1: namespaces, file system view, privileges, limits (stdlib only, single-threaded) ---------------


def _other_traversable(path: str) -> bool:
    st = os.stat(path)
    return bool(st.st_mode & stat.S_IXOTH)


def _blocking_ancestor(path: str) -> str | None:
    """The highest folder above (or at) ``path`` that other users cannot traverse, if any."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        p = "/" + "/".join(parts[:i])
        if os.path.isdir(p) and not _other_traversable(p):
            return p
    return None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hide_and_expose(hide: list[str], scratch: list[str], expose: list[str], writable: list[str]) -> list[str]:
    """Cover each folder of ``hide`` and ``scratch`` with an empty tmpfs and mount the ``expose`` folders back.

    ``hide`` folders become read-only; ``scratch`` ones (``/tmp`` ...) writable by everybody but small.
    Also covers the folders above ``expose`` that others cannot traverse (``/root`` when Python
    lives in ``/root/.pyenv``). Returns the folders covered.
    """
    expose = sorted({os.path.realpath(p) for p in expose if os.path.exists(p)})
    expose = [p for p in expose if not any(q != p and _inside(p, q) for q in expose)]
    covered = {os.path.realpath(h): False for h in hide if os.path.isdir(h)}
    covered.update({os.path.realpath(s): True for s in scratch if os.path.isdir(s)})
    for p in expose:
        blocker = _blocking_ancestor(p)
        if blocker and blocker != p:
            covered.setdefault(blocker, False)
    fds = {p: os.open(p, O_PATH | os.O_CLOEXEC) for p in expose}  # opened before anything is covered
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here propagates to the host
    done = []
    for folder in sorted(covered, key=lambda f: f.count("/")):
        if any(_inside(folder, p) for p in expose):
            continue  # a folder of the Python installation or the workspace itself
        is_scratch = covered[folder]
        options = "mode=1777,size=64m,nr_inodes=4096" if is_scratch else "mode=0755,size=1m,nr_inodes=256"
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
        done.append(folder)
        for p in expose:
            if _inside(p, folder) and not any(_inside(p, f) and f.count("/") > folder.count("/") for f in covered):
                os.makedirs(p, mode=0o755, exist_ok=True)
                _mount(f"/proc/self/fd/{fds[p]}", p, None, MS_BIND | MS_REC)
                if p not in writable:
                    _mount(None, p, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        for sub in covered:  # a deeper covered folder needs its mount point
            if sub != folder and _inside(sub, folder):
                os.makedirs(sub, mode=0o755, exist_ok=True)
        if not is_scratch:
            _mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755")
    for fd in fds.values():
        os.close(fd)
    return done


def _enter_namespaces(config: WorkerConfig, achieved: Hello) -> int | None:
    """unshare() what the platform allows; returns the flags obtained (None: none).

    Without root (or with ``"userns"`` in the config, to test that path as root), a user namespace comes first.
    """
    root = os.geteuid() == 0 and not config.get("userns")
    wanted = [
        CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC,
        CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID,
        CLONE_NEWNS | CLONE_NEWNET,
        CLONE_NEWNET,
    ]
    uid, gid = os.getuid(), os.getgid()
    for flags in wanted:
        flags |= 0 if root else CLONE_NEWUSER
        if _libc.unshare(ctypes.c_int(flags)) == 0:
            if not root:
                with open("/proc/self/setgroups", "w") as f:
                    f.write("deny")
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"0 {uid} 1")
                with open("/proc/self/gid_map", "w") as f:
                    f.write(f"0 {gid} 1")
            return flags
        achieved.setdefault("unshare_errors", []).append(os.strerror(ctypes.get_errno()))
    return None


def _die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent dies (the grader killed or gone: nothing may outlive it)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _fork_into_pid_namespace(fds: list[int], grader: int) -> None:
    """After unshare(CLONE_NEWPID): fork; the child is PID 1 of the new namespace and goes on, the parent waits."""
    pid = os.fork()
    if pid == 0:
        return
    _die_with_parent(grader)
    for fd in fds:
        os.close(fd)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: os.kill(pid, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):  # mirror the worker's death, so the grader reads the same status
        died_of = os.WTERMSIG(status)
        signal.signal(died_of, signal.SIG_DFL)
        os.kill(os.getpid(), died_of)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _become_init(fds: list[int]) -> None:
    """In the new PID namespace: fork the worker; this process stays PID 1, reaps orphans and exits with the worker.

    (PID 1 ignores signals it has no handler for, so student code runs as PID 2, where a signal
    means what it means anywhere.) When PID 1 exits, the kernel kills everything left in the namespace.
    """
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the outer process died: so does the namespace
    worker = os.fork()
    if worker == 0:
        return
    for fd in fds:
        os.close(fd)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
        if pid == worker:
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _drop_capabilities() -> None:
    """Inside a user namespace (no root): no capability left, and none to regain through exec."""
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def _count_my_tasks(uid: int) -> int:
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


def _kill_uid(uid: int) -> None:
    """SIGKILL every process whose real uid is ``uid`` (the keeper, as root, for a worker that dropped to it)."""
    for _ in range(20):
        found = False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and entry != str(os.getpid()):
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        found = True
                        os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return
        time.sleep(0.01)


def _keep(child: int, fds: list[int], grader: int, uid: int | None) -> None:
    """The keeper: the worker's parent outside any namespace; when the grader dies, it kills the worker's whole tree.

    The worker cannot leave the keeper's process group (seccomp refuses ``setsid``/``setpgid``), so one
    ``killpg`` reaches all it started; a worker that dropped to a dedicated uid is also swept by uid.
    Never returns: it exits with the worker's status, so the grader reads the same status as without it.
    """

    def kill_tree(signum: int = 0, frame: object = None) -> None:
        if uid is not None and os.geteuid() == 0:
            _kill_uid(uid)
        os.killpg(os.getpgrp(), signal.SIGKILL)  # the keeper included

    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, kill_tree)
    if os.getppid() != grader:
        kill_tree()
    for fd in fds:
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):  # mirror the worker's death
        died_of = os.WTERMSIG(status)
        signal.signal(died_of, signal.SIG_DFL)
        os.kill(os.getpid(), died_of)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _reach_unreadable(paths: list[str], achieved: Hello) -> None:
    """Keep the folders of ``sys.path`` that another uid could not reach (Python in ``/root/.pyenv``) importable.

    Each such folder is opened now (``O_PATH``) and named ``/proc/self/fd/N`` in ``sys.path`` and in
    the ``__path__`` of the packages already imported: a lookup through that link starts at the folder
    itself, so the folders above it (``/root``) stay closed to the worker. Needs the worker dumpable
    (set after the drop) so that its own ``/proc/self/fd`` stays its own.
    """
    blocked = sorted({p for p in paths if os.path.isdir(p) and _blocking_ancestor(p)}, key=len, reverse=True)
    if not blocked:
        return
    links = {p: f"/proc/self/fd/{os.open(p, O_PATH)}" for p in blocked}

    def remap(path: str) -> str:
        for folder in blocked:  # longest first: lib-dynload before the stdlib holding it
            if _inside(path, folder):
                return links[folder] + path[len(folder) :]
        return path

    sys.path[:] = [remap(p) for p in sys.path]
    for module in list(sys.modules.values()):
        search = getattr(module, "__path__", None)
        if isinstance(search, list):
            search[:] = [remap(p) for p in search]
    sys.path_importer_cache.clear()
    achieved["reached_through_fd"] = blocked


def _try_read(path: str) -> str:
    """What opening ``path`` for reading gives, as student code would now: ``"readable"`` or the errno's name.

    The grader names files the worker must not read (its suites, the reference, a canary in its own temporary
    folder); where neither Landlock nor a mount namespace hides them, the grader believes ``files`` only when
    every one of them is refused here, by their owner and modes (DESIGN.md: "files by ownership").
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        return errno.errorcode.get(error.errno or 0, "error")
    os.close(fd)
    return "readable"


def sandbox(config: WorkerConfig) -> Hello:
    """Stage 1 (see the module docstring); returns what was achieved, for the hello message."""
    achieved: Hello = {"namespaces": [], "uid": os.getuid(), "covered": [], "pid": os.getpid()}
    protocol_fds = [config["fds"]["request"], config["fds"]["reply"]]
    keeper = 1
    try:
        global_pid = int(os.readlink("/proc/self"))
    except (OSError, ValueError):
        global_pid = os.getpid()
    flags = _enter_namespaces(config, achieved) if config.get("namespaces", True) else None
    if flags:
        achieved["namespaces"] = [
            n
            for n, f in (
                ("mount", CLONE_NEWNS),
                ("net", CLONE_NEWNET),
                ("pid", CLONE_NEWPID),
                ("ipc", CLONE_NEWIPC),
                ("user", CLONE_NEWUSER),
            )
            if flags & f
        ]
    uid, gid = config.get("uid"), config.get("gid")
    as_root = os.geteuid() == 0 and not (flags and flags & CLONE_NEWUSER)
    if as_root and uid is None:
        raise SystemExit("worker: refusing to run student code as root (the grader gave no dedicated uid)")
    if flags and flags & CLONE_NEWPID:
        _fork_into_pid_namespace(protocol_fds, config["grader_pid"])  # only the child returns
        try:
            global_pid = int(os.readlink("/proc/self"))  # still the host's /proc: the id the grader can signal
        except (OSError, ValueError):
            pass
    else:
        keeper = os.getpid()
        child = os.fork()
        if child != 0:
            _keep(child, protocol_fds, config["grader_pid"], uid if as_root else None)
        global_pid = os.getpid()
    achieved["pid"] = global_pid
    achieved["keeper"] = True
    if flags and flags & CLONE_NEWNS:
        try:
            achieved["covered"] = _hide_and_expose(
                config["hide"], config["scratch"], config["expose"], config["writable"]
            )
        except OSError as error:
            # A half-built view must not be trusted: stop here, the grader reports it.
            raise SystemExit(f"worker: could not set up the file system view: {error}") from None
        if flags & CLONE_NEWPID:
            try:
                _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
                achieved["proc"] = True
            except OSError:
                achieved["proc"] = False
    if flags and flags & CLONE_NEWPID:
        _become_init(protocol_fds)  # only the worker (PID 2) returns
    # Opened while every folder can still be reached: Landlock's rules name folders by descriptor.
    read_fds = confine.open_paths(config["read"])
    write_fds = confine.open_paths(config["write"])
    confine.prepare()
    if as_root:
        if not (flags and flags & CLONE_NEWNS):
            _reach_unreadable(list(sys.path), achieved)
        assert uid is not None and gid is not None  # as_root: the grader gave a dedicated uid
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        achieved["uid"] = uid
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # its own /proc/self/fd stays its own (see _reach_unreadable)
    elif flags and flags & CLONE_NEWUSER:
        _drop_capabilities()
        achieved["capabilities"] = "none"
    if os.geteuid() == 0 and not (flags and flags & CLONE_NEWUSER):
        raise SystemExit("worker: refusing to run student code as root")
    # after the last change of credentials (which clears it): the parent is the namespace's init, or the keeper
    _die_with_parent(1 if flags and flags & CLONE_NEWPID else keeper)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if config.get("confine", True):
        achieved["landlock"] = confine.landlock(read_fds, write_fds)
        achieved["seccomp"] = confine.seccomp()
    for fd in [*read_fds.values(), *write_fds.values()]:
        os.close(fd)
    limits = dict(config.get("limits", {}))
    if limits.get("nproc") is not None and achieved["uid"] == config.get("grader_uid"):
        limits["nproc"] += _count_my_tasks(achieved["uid"])  # same uid as the grader: count from what exists
    set_limits(limits, achieved)
    achieved["secrets"] = {path: _try_read(path) for path in config.get("secrets", [])}
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file is an OSError for the student, not a crash
    os.chdir(config["root"])
    return achieved


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


def _grader_modules_closed(root: str, runtime: str) -> Any:
    """A finder that refuses ``autograder*`` and ``course*`` to any import with submission code behind it.

    Decided by module resolution, whatever name or alias reached the import machinery: when a frame on the stack
    belongs to the submission (or to code made at run time, which has no real file in the kit's runtime, the
    standard library or site-packages), or the import runs on a thread the submission started, it fails as a
    missing module. The runtime's own lazy imports (a probe importing ``course.trainer`` before it calls the
    student's code) have no such frame.
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
            on_main = threading.get_ident() == threading.main_thread().ident
            while on_main and frame is not None and frame.f_back is not None:  # the last: the ``-c`` bootstrap
                if not kit_file(frame.f_code.co_filename):
                    break
                frame = frame.f_back
            else:
                if on_main:
                    return None
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)

    return GraderModules()


def serve(config: WorkerConfig, achieved: Hello) -> None:
    """Stage 2: load the runtime, say hello, answer requests until the pipe closes."""
    root = config["root"]
    runtime = config["runtime"]
    roots = (root.rstrip("/") + "/",)
    request = os.fdopen(config["fds"]["request"], "rb", buffering=1 << 16)
    reply = os.fdopen(config["fds"]["reply"], "wb", buffering=1 << 16)

    from autograder.runtime import forbidden, protocol
    from autograder.runtime.errors import ErrorKind, describe, error_reply
    from autograder.runtime.probes import execute

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
        # Part 1 needs no torch: import it (and guard it) only when something asks for it.
        sys.meta_path.insert(0, _after_import("torch", guard_torch))
        protocol._torch = lambda: sys.modules.get("torch")  # encoding a reply must not import torch
    achieved["torch"] = "torch" in sys.modules
    sys.dont_write_bytecode = True
    sys.meta_path.insert(0, _importer(root, tuple(config["packages"])))
    sys.meta_path.insert(0, _grader_modules_closed(root, runtime))
    submission = Submission(root, tuple(config["packages"]))

    def forbidden_error() -> dict[str, Any]:
        used = list(dict.fromkeys(forbidden.USED))
        forbidden.USED.clear()
        return error_reply(
            ErrorKind.FORBIDDEN,
            "forbidden API: " + ", ".join(used) + f" is not allowed ({forbidden.ADVICE})",
            ("ForbiddenAPIError",),
        )

    protocol.write_message(reply, {"hello": achieved})
    while True:
        try:
            message = protocol.read_message(request)
        except EOFError:
            return
        ident = message.get("id")
        op = message.get("op")
        forbidden.USED.clear()
        start = time.perf_counter()
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
            result = {"error": forbidden_error()}
        seconds = time.perf_counter() - start  # the student's time, for the grader's overhead figures
        try:
            # write_message encodes everything before it writes a byte, so a refused value leaves the pipe clean
            protocol.write_message(reply, {"id": ident, "reply": result, "seconds": seconds})
        except Exception as error:  # noqa: BLE001 - a value that cannot be graded is the student's error
            result = {"error": error_reply(ErrorKind.PROTOCOL, f"your code returned {error}", ("ProtocolError",))}
            protocol.write_message(reply, {"id": ident, "reply": result})


def main(config_json: str) -> None:
    config = cast(WorkerConfig, json.loads(config_json))
    try:
        achieved = sandbox(config)
    except OSError as error:
        raise SystemExit(f"worker: could not set up the sandbox: {error}") from None
    serve(config, achieved)
    os._exit(0)  # student threads must not keep the worker alive
