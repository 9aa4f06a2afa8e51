"""Instructor-only tooling (stubs, nbgrader notebooks, bundles, leak scans): may import every other folder; nothing imports it but the CLI."""
