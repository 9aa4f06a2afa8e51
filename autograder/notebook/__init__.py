"""The student's Jupyter kernel side (``%load_ext autograder.notebook``): may import runtime/ and grading/."""

from autograder.notebook.kernel import bring, check, grade_hidden, load_ipython_extension, require

__all__ = ["bring", "check", "grade_hidden", "load_ipython_extension", "require"]
