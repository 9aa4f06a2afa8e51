"""The course kit's grader: hidden suites, the student adapter, the sandboxed worker, reporters."""
