"""What the student's Jupyter kernel loads (``%load_ext autograder.notebook``); may import runtime/ and grading/, never authoring/."""

from autograder.notebook.kernel import check, grade_hidden, load_ipython_extension

__all__ = ["check", "grade_hidden", "load_ipython_extension"]
