"""Models of the common wrong answers, one module per exercise, shared by the public tests and the hidden suites."""
