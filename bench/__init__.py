"""Benchmarks (``make bench``): measured side by side in one run, written as a markdown table."""
