"""Probes specific to the transformer exercises (see :mod:`autograder.probes`)."""

from __future__ import annotations
