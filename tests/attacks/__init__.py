"""Attack submissions for tests/kit/test_adversarial.py and tests/kit/test_worker.py.

Each ``<name>.py`` here is a complete, malicious ``embeddings/one_hot.py``: :func:`submission`
copies the stubs (``assignments/``) into a temporary folder and puts the attack in place of the
``one_hot`` module (plus any extra files). An attack that needs to know something of the test
(a path, a port) reads ``embeddings/attack.json`` beside itself, written by the test.

Every attack is bounded (sleeps, loops, allocations and process counts all have a ceiling), so a
broken defence fails a test without harming the machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from autograder.grading.loader import ASSIGNMENTS

HERE = Path(__file__).resolve().parent


def source(name: str) -> str:
    return (HERE / f"{name}.py").read_text(encoding="utf-8")


def submission(folder: Path, attack: str | None = None, *, base: Path = ASSIGNMENTS, config: dict[str, Any] | None = None,
               files: dict[str, str] | None = None) -> Path:
    """A submission in ``folder``: ``base`` (the stubs) with ``attack`` as embeddings/one_hot.py, plus ``files``."""
    shutil.copytree(base, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if attack:
        (folder / "embeddings" / "one_hot.py").write_text(source(attack), encoding="utf-8")
    if config is not None:
        (folder / "embeddings" / "attack.json").write_text(json.dumps(config), encoding="utf-8")
    for rel, text in (files or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder

