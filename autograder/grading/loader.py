"""Load a submission root's packages without letting them leak into ``sys.modules``.

Every submission root (``solutions/``, ``assignments/``, a student's hand-in) holds the same
top-level packages (``embeddings``, ``attention``, ``transformer``), so two roots cannot be
imported side by side the normal way. :func:`load_root` imports one root with its directory at
the front of ``sys.path`` and its packages in ``sys.modules`` only for the duration of the
import; afterwards the previous state is restored. The loaded modules keep references to one
another through their globals, so ``attention.multi_head`` keeps using the
``attention.scaled_dot_product`` of its own root.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from autograder.layout import REPO_ROOT
from autograder.runtime.curriculum import EXERCISES, PACKAGES
from autograder.runtime.errors import ModuleLoadError

SOLUTIONS = REPO_ROOT / "solutions"
ASSIGNMENTS = REPO_ROOT / "assignments"
__all__ = ["ASSIGNMENTS", "REPO_ROOT", "SOLUTIONS", "ModuleLoadError", "Root", "private_imports", "reference"]


def _owned(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


@contextmanager
def private_imports(root: Path) -> Iterator[None]:
    """Make ``root``'s packages importable inside the block, and forget them afterwards."""
    saved = {name: mod for name, mod in sys.modules.items() if _owned(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if _owned(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


class Root:
    """The modules of one submission root, imported privately; a broken module keeps its error."""

    def __init__(self, path: str | Path, modules: tuple[str, ...] = tuple(EXERCISES.values())) -> None:
        self.path = Path(path).resolve()
        self._modules: dict[str, ModuleType | ModuleLoadError] = {}
        # One broken file must not hide the others, so each module is imported on its own and a
        # failure is recorded rather than raised.
        with private_imports(self.path):
            for name in modules:
                try:
                    self._modules[name] = importlib.import_module(name)
                except Exception as error:  # noqa: BLE001 - any import failure is reported, not raised
                    self._modules[name] = ModuleLoadError(name, error)

    def __getitem__(self, name: str) -> ModuleType:
        """The module ``name`` ("embeddings.one_hot" or the exercise name "one_hot")."""
        module = self._modules[EXERCISES.get(name, name)]
        if isinstance(module, ModuleLoadError):
            raise module
        return module

    def resolve(self, target: str) -> object:
        """``"embeddings.one_hot:build_vocab"`` -> that attribute of the module."""
        module, _, attr = target.partition(":")
        obj: object = self[module]
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
        return obj


_REFERENCE: Root | None = None


def reference() -> Root:
    """The reference solution (imported once per process)."""
    global _REFERENCE
    if _REFERENCE is None:
        _REFERENCE = Root(SOLUTIONS)
    return _REFERENCE
