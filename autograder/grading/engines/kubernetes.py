"""Kubernetes Indexed Jobs: ``python -m autograder batch DIR --out OUT --k8s --image IMAGE --claim PVC``.

Writes ``OUT/batch.json`` (the plan), ``OUT/k8s/job.yaml`` and ``OUT/k8s/image/`` (the grader's image, see below);
``kubectl apply -f OUT/k8s/job.yaml`` runs it. The Job (batch/v1):

- ``completionMode: Indexed``, one completion per chunk; Kubernetes sets ``JOB_COMPLETION_INDEX`` in each pod, and
  the pod runs ``batch /data/submissions --out /data/out --task JOB_COMPLETION_INDEX``: the same unit as on one
  machine or in a Slurm task;
- ``parallelism``: ``AUTOGRADER_MAX_TASKS``; ``backoffLimitPerIndex``: ``AUTOGRADER_TASK_RETRIES`` (a chunk whose
  pod died is retried alone, never the class; GA since Kubernetes 1.33, beta and on by default since 1.29), with
  ``restartPolicy: Never`` as that requires, and a ``podFailurePolicy`` that fails an index at once on exit code 2
  (bad input, such as no plan on the volume: retrying cannot help);
- ``resources.limits.memory`` (and the request): ``AUTOGRADER_MEMORY`` plus ``AUTOGRADER_GRADER_MEMORY``, as
  Slurm's ``--mem``; the worker's own limit is still enforced in the sandbox;
- the settings in force here (``AUTOGRADER_*``) as the container's environment, so the pods grade as this machine
  would;
- one volume, the PersistentVolumeClaim ``--claim``, at ``/data``: ``submissions/`` (the hand-ins) and ``out/``
  (this OUT, with ``batch.json``). Copy both there before applying, and ``out/`` back to reduce
  (``batch --reduce OUT``) or run the reduce in a pod.

The pod is the sandbox's host (no Docker-in-Docker): its grade processes start their workers in it, as root with
the container runtime's default capabilities, the condition ``make adversarial-conditions`` tests as ``docker``
(Gradescope's), where seccomp and a dedicated uid stand in for the namespaces that need CAP_SYS_ADMIN.

The image is built from the kit the way Gradescope builds its image: ``OUT/k8s/image/source/`` is the kit's
Gradescope zip unpacked (``make gradescope``: the grader, the hidden suites, the reference, no authoring tools) and
the Dockerfile runs its ``setup.sh`` (Python, the CPU build of torch and the grader's pins in /autograder/venv).
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from typing import Any

import yaml

from autograder.grading.engines.plan import Plan
from autograder.settings import PREFIX, Settings

MOUNT = "/data"  # the claim's mount point: submissions/ and out/
SOURCE = "/autograder/source"  # where the image holds the kit (as on Gradescope)
PYTHON = "/autograder/venv/bin/python"
BAD_INPUT = 2  # the CLI's exit code for bad input: retrying the pod cannot help
BASE_IMAGE = "ubuntu:22.04"  # Gradescope's autograder base is Ubuntu 22.04

DOCKERFILE = f"""\
# The grader's image for `python -m autograder batch --k8s`, built as Gradescope builds its own: source/ is the kit's
# Gradescope zip unpacked, and its setup.sh installs Python, the CPU build of torch and the grader's pins.
# docker build -t IMAGE OUT/k8s/image && docker push IMAGE
FROM {BASE_IMAGE}
COPY source {SOURCE}
RUN bash {SOURCE}/setup.sh && rm -rf /var/lib/apt/lists/*
WORKDIR {SOURCE}
"""


def manifest(plan: Plan, settings: Settings, image: str, claim: str, name: str = "autograder") -> dict[str, Any]:
    """The Indexed Job that grades ``plan``'s chunks in pods of ``image``, the data on the claim ``claim``."""
    memory = f"{math.ceil(settings.task_memory() / (1 << 20))}Mi"
    env = [{"name": k, "value": v} for k, v in sorted(os.environ.items()) if k.startswith(PREFIX)]
    command = [PYTHON, "-m", "autograder", "batch", f"{MOUNT}/submissions", "--out", f"{MOUNT}/out"]
    container = {
        "name": "grade",
        "image": image,
        "command": [*command, "--task", "JOB_COMPLETION_INDEX"],
        "workingDir": SOURCE,
        "env": env,
        "resources": {"requests": {"cpu": "1", "memory": memory}, "limits": {"memory": memory}},
        "volumeMounts": [{"name": "data", "mountPath": MOUNT}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "autograder"}},
        "spec": {
            "completionMode": "Indexed",
            "completions": plan.chunks,
            "parallelism": min(max(1, settings.max_tasks), plan.chunks),
            "backoffLimitPerIndex": settings.task_retries,
            "podFailurePolicy": {
                "rules": [
                    {
                        "action": "FailIndex",
                        "onExitCodes": {"containerName": "grade", "operator": "In", "values": [BAD_INPUT]},
                    }
                ]
            },
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [container],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
                }
            },
        },
    }


def write(out: Path, plan: Plan, settings: Settings, image: str, claim: str, kit_zip: Path) -> Path:
    """Write the plan, ``k8s/job.yaml`` and the image's build context (``kit_zip`` unpacked); the manifest's path."""
    plan.job = "autograder"
    plan.write(out)
    folder = out / "k8s"
    context = folder / "image"
    (context / "source").mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(kit_zip) as kit:
        kit.extractall(context / "source")  # the kit's own zip, built a moment ago: no foreign names in it
        for info in kit.infolist():  # zipfile drops the executable bits setup.sh and run_autograder need
            mode = info.external_attr >> 16
            if mode & 0o111:
                os.chmod(context / "source" / info.filename, mode & 0o777)
    (context / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    path = folder / "job.yaml"
    text = yaml.safe_dump(manifest(plan, settings, image, claim, plan.job), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path
