"""The student's Jupyter kernel side (``%load_ext autograder.notebook``): may import runtime/ and grading/."""

from autograder.notebook.kernel import check, grade_hidden, load_ipython_extension

__all__ = ["check", "grade_hidden", "load_ipython_extension"]
