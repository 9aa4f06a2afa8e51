"""nbgrader's configuration for this course: this folder is the course directory.

Run nbgrader from here (``cd nbgrader && nbgrader generate_assignment "*"``) or through the kit's
make targets. ``source/<part>/<part>.ipynb`` are generated from ``solutions/`` by
``make notebooks``; never edit them by hand.
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.CourseDirectory.course_id = "eat"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)

# The notebooks' kernels import the kit (autograder/, course/, solutions/ for the hidden tests)
# from the repository that holds this folder, wherever nbgrader runs them.
os.environ.setdefault("COURSE_KIT", str(Path(__file__).resolve().parent.parent))

# A hidden test cell runs a whole hidden suite (the models suite trains small Transformers).
c.Execute.timeout = 600
# Part 3's notebook trains two small models; its cells may print a lot of feedback.
c.LimitOutput.max_lines = 2000

# Feedback shows the test cells as the student saw them: the hidden part is removed.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
