"""Requirements of each bundle, pinned from ``requirements.lock`` (the closure of what its code imports)."""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from autograder.grading.loader import REPO_ROOT
from autograder.install import torch_requirements


def lock_pins(lock: Path = REPO_ROOT / "requirements.lock") -> dict[str, str]:
    """canonical name -> ``Name==version`` line of the lock file."""
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            pins[canonicalize_name(line.split("==")[0].strip())] = line.strip()
    return pins


def top_level_imports(texts: Iterable[str]) -> set[str]:
    names = set()
    for text in texts:
        names |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", text, flags=re.MULTILINE))
    return names


def distributions(imports: Iterable[str]) -> set[str]:
    """The installed distributions that provide these top-level modules (standard library and the kit's own skipped)."""
    provided = importlib.metadata.packages_distributions()
    return {dist for name in imports for dist in provided.get(name, [])}


def closure(dists: Iterable[str]) -> set[str]:
    """``dists`` and everything they require on this platform, as canonical names."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    stack = list(dists)
    while stack:
        name = canonicalize_name(stack.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.distribution(name).requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return seen


INSTALLER_TOOLS = {"pip", "setuptools", "wheel"}  # come with every virtual environment; pip does not lock them


def pinned(names: Iterable[str]) -> list[str]:
    """The pins of ``names``: from requirements.lock, and torch's CPU build from :mod:`autograder.install`."""
    pins = lock_pins()
    names = set(names) - INSTALLER_TOOLS
    missing = sorted(names - set(pins) - {"torch"})
    if missing:
        raise RuntimeError(f"not in requirements.lock: {missing}")
    lines = sorted((pins[name] for name in names - {"torch"}), key=str.lower)
    return lines + (torch_requirements() if "torch" in names else [])


def _texts(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        yield path.read_text(encoding="utf-8")
