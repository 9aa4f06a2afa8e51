"""The hidden suites: imported only by pytest in the grading process (never shipped to students or workers)."""
