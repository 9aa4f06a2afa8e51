"""Landlock's reason when it is missing (autograder/runtime/confine/landlock.py): the worker's sandbox line tells an instructor
which fix applies, so a refusal by a seccomp profile (a container engine's) must not read as an old kernel."""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest

from autograder.runtime.confine import landlock as confine

# In a fresh interpreter: refuse landlock_create_ruleset with the given errno (libseccomp, as a container engine's
# profile does), then print what the worker would report.
REFUSE_THEN_ASK = """
import errno, sys, pyseccomp
from autograder.runtime.confine import landlock as confine
flt = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
flt.add_rule(pyseccomp.ERRNO(int(sys.argv[1])), "landlock_create_ruleset")
flt.load()
print(confine.landlock({}, {}))
"""


def reported(code: int) -> str:
    done = subprocess.run([sys.executable, "-c", REFUSE_THEN_ASK, str(code)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="Landlock and seccomp are Linux's")
def test_landlock_refused_by_a_seccomp_profile_is_not_reported_as_an_old_kernel():
    pytest.importorskip("pyseccomp")
    if confine.landlock_abi() == 0:
        pytest.skip(f"this kernel gives no Landlock ABI here: {confine.landlock_missing()}")
    refused = reported(errno.EPERM)
    assert "'abi': 0" in refused and "refused (a seccomp profile" in refused, refused
    unknown = reported(errno.ENOSYS)
    assert "'abi': 0" in unknown and "Linux < 5.13, or a seccomp profile answering ENOSYS" in unknown, unknown
