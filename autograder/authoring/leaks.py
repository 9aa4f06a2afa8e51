"""Leak scans: what in a bundle gives away a solution or a hidden test."""

from __future__ import annotations

import re
from pathlib import Path

from autograder.authoring.course import (
    _pyfiles,
    markers,
)
from autograder.grading.loader import ASSIGNMENTS, REPO_ROOT, SOLUTIONS

TRIVIAL_LINE = re.compile(r"^(#|@|import\s|from\s+\S+\s+import\s|pass$|return$)|^[\W_]*$")


def _windows(lines: list[str], size: int = 3, min_chars: int = 30) -> set[str]:
    """Runs of ``size`` consecutive telling lines (stripped; no blank, comment, import or punctuation-only line)."""
    lines = [line.strip() for line in lines if not TRIVIAL_LINE.match(line.strip())]
    size = min(size, len(lines))
    found = {"\n".join(lines[i : i + size]) for i in range(len(lines) - size + 1)} if size else set()
    return {w for w in found if len(w) >= min_chars}


def solution_fingerprints(root: Path = SOLUTIONS) -> set[str]:
    """Telling runs of lines of every solution region of ``root``."""
    begin, end = markers()[:2]
    found = set()
    for path in _pyfiles(root):
        region: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if begin in line:
                region = []
            elif end in line and region is not None:
                found |= _windows(region)
                region = None
            elif region is not None:
                region.append(line)
    return found


def hidden_fingerprints() -> set[str]:
    """Telling runs of lines of the hidden suites that the shipped sources (public tests, runtime, stubs) lack."""
    from autograder.grading.runner import SUITES

    shipped = set()
    legitimate = [REPO_ROOT / "tests" / "public", REPO_ROOT / "autograder", REPO_ROOT / "course", ASSIGNMENTS]
    for path in [p for folder in legitimate for p in _pyfiles(folder)]:
        if SUITES not in path.parents:
            shipped |= _windows(path.read_text(encoding="utf-8").splitlines())
    return {w for path in _pyfiles(SUITES) for w in _windows(path.read_text(encoding="utf-8").splitlines())} - shipped


def bundle_leaks(bundle: Path) -> list[str]:
    """What in ``bundle`` gives away a solution or a hidden test (empty when nothing does)."""
    import nbformat

    problems = []
    fingerprints = {"solution code": solution_fingerprints(), "hidden test code": hidden_fingerprints()}
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle)
        if {"suites", "solutions"} & set(rel.parts) or path.suffix == ".db":
            problems.append(f"{rel}: must not be shipped")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        problems += [f"{rel}: contains the marker {m!r}" for m in markers() if m in text]
        if path.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            if any(c.get("outputs") for c in nb.cells):
                problems.append(f"{rel}: has outputs")
            lines = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()]
        else:
            lines = text.splitlines()
        windows = set().union(
            *(_windows(lines, size, min_chars=0) for size in (1, 2, 3))
        )  # short regions give short prints
        for what, prints in fingerprints.items():
            hits = prints & windows
            if hits:
                problems.append(f"{rel}: holds {what}: {sorted(hits)[0]!r}")
    return problems
