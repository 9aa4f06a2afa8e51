"""Runs next to student code in the worker: imports only itself, the standard library, NumPy and torch (copied whole into the worker)."""
