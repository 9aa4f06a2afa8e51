"""A real browser for the kit's tests: Playwright's Python package driving Debian's chromium (never a downloaded one).

``from tests.kit.browser import browser`` in a test module gives it the ``browser`` fixture. Where
``/usr/bin/chromium`` is missing it is installed with ``apt-get`` (as root); the tests skip, saying
why, only where it cannot be installed.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def chromium_missing() -> str | None:
    """Why there is no chromium to drive (None when there is one), installing it with apt-get where possible."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return f"{CHROMIUM} is missing and cannot be installed here (needs apt-get, as root)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode:
            return f"`{' '.join(command)}` failed: {done.stderr.strip()[-300:]}"
    return None if CHROMIUM.exists() else f"apt-get installed chromium but {CHROMIUM} is still missing"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Playwright browser on Debian's chromium."""
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        yield launched
        launched.close()
