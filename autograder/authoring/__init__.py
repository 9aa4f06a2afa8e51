"""Instructor-only tooling (stubs, notebooks, bundles, leak scans): nothing imports it but the CLI."""
