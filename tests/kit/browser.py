"""A real headless browser for the kit's tests: Playwright driving Debian's chromium.

Use the ``browser`` fixture (import it into the test module, or a conftest, with ``# noqa: F401``). Debian's
``/usr/bin/chromium`` is installed with apt-get when it is missing and this is root (as in CI, whose ``.ci/run``
installs it too); the tests skip, saying why, only where it cannot be installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> str | None:
    """Install Debian's chromium where it is missing and possible; returns why it is unavailable, or None."""
    if CHROMIUM.exists():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get: apt-get install chromium)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"apt-get install chromium failed: {done.stderr.strip()[-300:]}"
    return None if CHROMIUM.exists() else f"apt-get installed chromium, but {CHROMIUM} is not there"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A Playwright ``Browser`` on Debian's chromium, headless, for the whole session."""
    from playwright.sync_api import sync_playwright

    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
