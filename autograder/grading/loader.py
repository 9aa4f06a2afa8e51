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
from autograder.runtime.standins import import_over

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
        self._over: dict[tuple[str, tuple[str, ...]], ModuleType | ModuleLoadError] = {}
        # One broken file must not hide the others, so each module is imported on its own and a
        # failure is recorded rather than raised.
        with private_imports(self.path):
            for name in modules:
                try:
                    self._modules[name] = importlib.import_module(name)
                except KeyboardInterrupt:
                    raise
                except BaseException as error:  # noqa: BLE001 - SystemExit at import is the student's error, as in the worker
                    self._modules[name] = ModuleLoadError(name, error)

    def __getitem__(self, name: str) -> ModuleType:
        """The module ``name`` ("embeddings.one_hot" or the exercise name "one_hot")."""
        module = self._modules[EXERCISES.get(name, name)]
        if isinstance(module, ModuleLoadError):
            raise module
        return module

    def module(self, name: str, upstream: tuple[str, ...] | list[str] = ()) -> ModuleType:
        """The module ``name`` (or the exercise's); with ``upstream``, imported afresh over stand-ins of those
        earlier modules (:mod:`autograder.runtime.standins`), once per combination."""
        if not upstream:
            return self[name]
        module = EXERCISES.get(name, name)
        key = (module, tuple(upstream))
        if key not in self._over:
            with private_imports(self.path):
                try:
                    self._over[key] = import_over(module, upstream, PACKAGES, importlib.import_module)
                except KeyboardInterrupt:
                    raise
                except BaseException as error:  # noqa: BLE001 - reported as the import error it is
                    self._over[key] = ModuleLoadError(module, error)
        found = self._over[key]
        if isinstance(found, ModuleLoadError):
            raise found
        return found

    def resolve(self, target: str, upstream: tuple[str, ...] | list[str] = ()) -> object:
        """``"embeddings.one_hot:build_vocab"`` -> that attribute of the module (over ``upstream`` stand-ins)."""
        module, _, attr = target.partition(":")
        obj: object = self.module(module, upstream)
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
