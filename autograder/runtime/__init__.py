"""Runs next to student code in the worker (copied whole): imports only itself, the stdlib, NumPy and torch."""
