"""Slurm job arrays for real: a one-node cluster on localhost, started and stopped by this module.

munged, slurmctld and slurmd come from Debian's ``munge`` and ``slurm-wlm`` (``.ci/run`` installs them); the
module writes a slurm.conf for this host in a temporary folder, starts the three daemons in the foreground (so
their pids are known), and stops them by pid. It skips, saying why, only where it cannot run: not root (slurmd
runs each job as its submitter, and this cluster's daemons run as root), or the binaries are missing.

A class of 20 submissions is graded through a real array, one task is killed midway (``scancel``) and the batch
resubmitted: the gradebook is then byte for byte the local batch's, with no row lost or duplicated.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.grading import batch
from autograder.grading.engines import slurm
from autograder.grading.engines.plan import Plan
from autograder.grading.loader import REPO_ROOT, SOLUTIONS
from autograder.settings import Settings
from tests.attacks import submission

pytestmark = pytest.mark.timeout(900)

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo", "scontrol")
CLASS_SIZE = 20
CHUNK = 4  # 5 array tasks of 4
MEMORY = 4 << 30  # the worker's limit (the default): what the sandbox enforces whatever Slurm reserves


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(what: str, check, timeout: float = 60.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return  # a zombie of ours: reaped by its Popen below
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A running one-node Slurm cluster; yields the environment its commands need (SLURM_CONF)."""
    if os.geteuid() != 0:
        pytest.skip("the localhost Slurm cluster needs root (slurmd runs jobs as their submitter)")
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        pytest.skip(f"Slurm is not installed ({', '.join(missing)} missing): apt-get install slurm-wlm munge")
    memory_mb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0]) // 1024 - 512
    task_mb = Settings.from_env({}).task_memory() >> 20
    if memory_mb < task_mb:
        pytest.skip(f"this machine has {memory_mb} MiB for jobs; one task reserves {task_mb} MiB (--mem)")
    d = tmp_path_factory.mktemp("slurm")
    d.chmod(0o700)  # munged refuses a socket folder others can write
    (d / "state").mkdir()
    (d / "spool").mkdir()
    (d / "munge.key").write_bytes(os.urandom(1024))
    (d / "munge.key").chmod(0o600)
    host = socket.gethostname().split(".")[0]
    conf = d / "slurm.conf"
    conf.write_text(
        "\n".join(
            [
                "ClusterName=autograder",
                f"SlurmctldHost={host}(127.0.0.1)",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                f"AuthInfo=socket={d / 'munge.sock'}",
                "SlurmUser=root",
                "SlurmdUser=root",
                f"StateSaveLocation={d / 'state'}",
                f"SlurmdSpoolDir={d / 'spool'}",
                f"SlurmctldPidFile={d / 'slurmctld.pid'}",
                f"SlurmdPidFile={d / 'slurmd.pid'}",
                f"SlurmctldLogFile={d / 'slurmctld.log'}",
                f"SlurmdLogFile={d / 'slurmd.log'}",
                "ProctrackType=proctrack/linuxproc",  # no cgroup v2 delegation in a container
                "TaskPlugin=task/none",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "SchedulerType=sched/builtin",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core_Memory",  # --mem is scheduled, as on a cluster
                "MpiDefault=none",
                "ReturnToService=2",
                f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={memory_mb} State=UNKNOWN",
                "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            ]
        )
        + "\n"
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    munged_pid = d / "munged.pid"
    subprocess.run(
        ["munged", "-f", f"--key-file={d / 'munge.key'}", f"--socket={d / 'munge.sock'}",
         f"--pid-file={munged_pid}", f"--log-file={d / 'munged.log'}", f"--seed-file={d / 'munged.seed'}"],
        check=True,
    )  # fmt: skip
    daemons = []
    try:
        log = open(d / "daemons.out", "wb")
        for command in (["slurmctld", "-D", "-c", "-f", str(conf)], ["slurmd", "-D", "-N", host, "-f", str(conf)]):
            daemons.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
        _wait_for(
            "the node to be idle",
            lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True).stdout,
        )
        yield {"SLURM_CONF": str(conf)}
    finally:
        for proc in reversed(daemons):
            _stop(proc.pid)
            proc.wait(timeout=30)
        if munged_pid.exists():
            _stop(int(munged_pid.read_text().strip()))
        log.close()


def _class(folder: Path) -> Path:
    """20 hand-ins: references and stubs as folders, a zip, and one refused (a symbolic link)."""
    subs = folder / "subs"
    subs.mkdir()
    for i in range(CLASS_SIZE - 2):
        if i % 3:
            shutil.copytree(SOLUTIONS, subs / f"s{i:02d}", ignore=shutil.ignore_patterns("__pycache__"))
        else:
            submission(subs / f"s{i:02d}")
    shutil.make_archive(str(subs / "zipped"), "zip", SOLUTIONS)
    linked = submission(subs / "linked")
    (linked / "embeddings" / "one_hot.py").unlink()
    (linked / "embeddings" / "one_hot.py").symlink_to(SOLUTIONS / "embeddings" / "one_hot.py")
    return subs


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )


def _book(out: Path) -> list[dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _graders_of(folder: Path) -> list[int]:
    """Pids of grade processes still at work on a submission of ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"grade" in cmdline and any(str(folder).encode() in part for part in cmdline):
            found.append(int(proc.name))
    return found


def test_the_array_script_follows_the_settings(tmp_path):
    submission(tmp_path / "subs" / "a")
    settings = Settings.from_env({"AUTOGRADER_MAX_TASKS": "3", "AUTOGRADER_MEMORY": "1G", "AUTOGRADER_GRADER_MEMORY": "512M"})
    plan = Plan.make(tmp_path / "subs", ["one_hot"], 60, "slurm", 4)
    text = slurm.script(plan, tmp_path / "subs", tmp_path / "out", settings)
    directives = [line.split(" ", 1)[1] for line in text.splitlines() if line.startswith("#SBATCH ")]
    assert "--array=0-0%3" in directives and "--mem=1536M" in directives
    assert f"--time={1 + slurm.STARTUP_MINUTES}" in directives  # one submission of 60 s, and the start-up
    assert text.rstrip().endswith("--task SLURM_ARRAY_TASK_ID")


def test_a_class_through_a_real_array_with_a_task_killed_and_resubmitted(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_CONF", cluster["SLURM_CONF"])  # squeue and scancel, from this process too
    subs = _class(tmp_path)
    local = tmp_path / "local"
    batch.run(subs, local, jobs=2, only=["one_hot"], progress=False)
    expected = (local / "gradebook.csv").read_bytes()
    assert len(_book(local)) == CLASS_SIZE

    out = tmp_path / "slurm-out"
    env = {**os.environ, **cluster, "AUTOGRADER_CHUNK_SIZE": str(CHUNK), "AUTOGRADER_MAX_TASKS": "2"}
    submitted = _cli(["batch", str(subs), "--out", str(out), "--only", "one_hot", "--slurm"], env)
    assert submitted.returncode == 0, submitted.stderr
    plan = Plan.read(out)
    assert plan.chunks == CLASS_SIZE // CHUNK and plan.job
    job = plan.job

    # Slurm reserved what the settings say; the sandbox enforces the worker's own limit regardless.
    shown = subprocess.run(["scontrol", "show", "job", f"{job}_0"], env=env, capture_output=True, text=True).stdout
    amount, unit = re.search(r"MinMemoryNode=(\d+)([MGT])", shown).groups()
    assert int(amount) << {"M": 0, "G": 10, "T": 20}[unit] == Settings.from_env({}).task_memory() >> 20

    # Kill task 0 once it has graded one of its chunk but not all of it.
    chunk = plan.chunk(0)
    _wait_for("task 0 to grade its first submission", lambda: (out / "meta" / f"{chunk[0]}.json").exists(), 300)
    subprocess.run(["scancel", f"{job}_0"], env=env, check=True)
    _wait_for("the array to end", lambda: slurm.tasks_left(job) == 0, 600, 1.0)
    _wait_for("the killed task's grade processes to go", lambda: not _graders_of(subs), 30)

    reduced = _cli(["batch", "--reduce", str(out)], env)
    assert reduced.returncode == 0, reduced.stderr
    first = _book(out)
    assert sorted(r["id"] for r in first) == sorted(plan.entries)  # one row each, none duplicated
    pending = [r["id"] for r in first if "not graded yet" in r["reason"]]
    assert pending and set(pending) <= set(chunk[1:]), (pending, chunk)
    assert "not graded yet" in reduced.stderr

    resubmitted = _cli(["batch", str(subs), "--out", str(out), "--only", "one_hot", "--wait", "--slurm"], env)
    assert resubmitted.returncode == 0, resubmitted.stderr
    assert (out / "gradebook.csv").read_bytes() == expected
    assert sorted(p.stem for p in (out / "results").glob("*.json")) == sorted(plan.entries)
    again = Plan.read(out)
    log = (out / "slurm" / f"{again.job}_0.log").read_text()
    assert f"{len(chunk) - len(pending)} reused unchanged" in log  # the killed task's finished rows were kept
