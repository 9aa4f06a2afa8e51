"""What every stand-in module is made with."""

from __future__ import annotations

import types
from typing import Any


def stand_in(name: str, **members: Any) -> types.ModuleType:
    """A module named like the student's ``name``, holding ``members``, marked ``__stand_in__``."""
    module = types.ModuleType(name, f"Stand-in for the student's {name} (autograder.runtime.standins).")
    module.__dict__.update(members)
    module.__stand_in__ = True  # type: ignore[attr-defined]
    return module
