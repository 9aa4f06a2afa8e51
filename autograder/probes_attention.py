"""Probes specific to the attention exercises (see :mod:`autograder.probes`)."""

from __future__ import annotations
