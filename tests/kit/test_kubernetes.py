"""Kubernetes Indexed Jobs: the manifest against the official client's models, its pod entrypoint run here.

No cluster is started: the manifest is deserialised into the ``kubernetes`` client's ``V1Job`` (the models the API
server's OpenAPI schema generates), which must keep every field (none unknown, none misspelt), and the container's
command runs on this machine with ``JOB_COMPLETION_INDEX`` set, the claim's mount point mapped to a folder here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from kubernetes.client import ApiClient, V1Job

from autograder.grading.engines import kubernetes
from autograder.grading.engines.plan import Plan
from autograder.grading.loader import REPO_ROOT
from autograder.settings import Settings
from tests.attacks import submission

pytestmark = pytest.mark.timeout(300)


def _class(folder: Path, n: int) -> Path:
    for i in range(n):
        submission(folder / f"s{i}")
    return folder


def _job(manifest: dict) -> V1Job:
    client = ApiClient()
    job = client.deserialize(json.dumps(manifest), "V1Job", "application/json")
    assert client.sanitize_for_serialization(job) == manifest  # every field a model field: nothing dropped
    return job


def test_the_manifest_is_an_indexed_job_the_client_accepts(tmp_path):
    subs = _class(tmp_path / "subs", 5)
    settings = Settings.from_env(
        {"AUTOGRADER_MAX_TASKS": "2", "AUTOGRADER_TASK_RETRIES": "3", "AUTOGRADER_MEMORY": "1G",
         "AUTOGRADER_GRADER_MEMORY": "512M"}
    )  # fmt: skip
    plan = Plan.make(subs, ["one_hot"], 60, "k8s", 2)
    job = _job(kubernetes.manifest(plan, settings, "registry.example/autograder:1", "grading"))
    spec = job.spec
    assert (spec.completion_mode, spec.completions, spec.parallelism) == ("Indexed", 3, 2)
    assert spec.backoff_limit_per_index == 3 and spec.template.spec.restart_policy == "Never"
    [rule] = spec.pod_failure_policy.rules
    assert rule.action == "FailIndex" and rule.on_exit_codes.values == [kubernetes.BAD_INPUT]
    [container] = spec.template.spec.containers
    assert container.resources.limits == {"memory": "1536Mi"} == {"memory": container.resources.requests["memory"]}
    assert container.command[-2:] == ["--task", "JOB_COMPLETION_INDEX"]
    [mount] = container.volume_mounts
    [volume] = spec.template.spec.volumes
    assert mount.name == volume.name and volume.persistent_volume_claim.claim_name == "grading"


def test_a_misspelt_field_would_not_survive_the_client():
    """The round trip above can fail: a field the models do not know is dropped, so the comparison catches it."""
    manifest = {"apiVersion": "batch/v1", "kind": "Job", "spec": {"backoffLimitPerIndx": 1, "template": {}}}
    client = ApiClient()
    job = client.deserialize(json.dumps(manifest), "V1Job", "application/json")
    assert client.sanitize_for_serialization(job) != manifest


def test_the_pod_entrypoint_grades_its_chunk(tmp_path, monkeypatch):
    data = tmp_path / "data"
    subs = _class(data / "submissions", 3)
    out = data / "out"
    monkeypatch.setenv("AUTOGRADER_CHUNK_SIZE", "1")
    settings = Settings.from_env()
    plan = Plan.make(subs, ["one_hot"], 120, "k8s", settings.chunk_size)
    kit = tmp_path / "kit.zip"
    with zipfile.ZipFile(kit, "w") as z:  # a stand-in for the Gradescope zip: what the image is built from
        info = zipfile.ZipInfo("setup.sh")
        info.external_attr = 0o755 << 16
        z.writestr(info, "#!/bin/sh\n")
    path = kubernetes.write(out, plan, settings, "autograder:test", "grading", kit)
    assert os.access(path.parent / "image" / "source" / "setup.sh", os.X_OK)
    assert "setup.sh" in (path.parent / "image" / "Dockerfile").read_text()
    [container] = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]["containers"]
    [mount] = container["volumeMounts"]

    # The pod's command, with the image's interpreter and the claim's mount point mapped to this machine.
    command = [
        sys.executable if part == kubernetes.PYTHON else part.replace(mount["mountPath"], str(data))
        for part in container["command"]
    ]
    env = {**os.environ, **{e["name"]: e["value"] for e in container["env"]}, "JOB_COMPLETION_INDEX": "1"}
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.stem for p in (out / "results").glob("*.json")) == plan.chunk(1) == ["s1"]

    env["JOB_COMPLETION_INDEX"] = "7"  # no such chunk: bad input, which the Job fails at once instead of retrying
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == kubernetes.BAD_INPUT and "not one of this plan's chunks" in done.stderr
