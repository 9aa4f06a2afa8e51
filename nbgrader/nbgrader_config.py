"""nbgrader's configuration for this course: this folder is the course directory.

Run nbgrader from here (``cd nbgrader && nbgrader generate_assignment "*"``) or through the kit's
make targets. ``source/<part>/<part>.ipynb`` are generated from ``solutions/`` by
``make notebooks``; never edit them by hand.

The course kit (the repository that holds ``autograder/``, its hidden suites and ``solutions/``) is
found through one setting, ``COURSE_KIT``: by default the folder above this one. A course
directory copied elsewhere (a JupyterHub course folder) sets ``COURSE_KIT`` to the kit's path in
the environment of every nbgrader command (or edits the default below). The setting is checked
when a command starts its work: ``generate_assignment`` and ``autograde`` fail, with a message
naming ``COURSE_KIT``, when it does not hold the kit, so that no release ships without its kit and
no grade is a silent zero. Grading code and hidden suites come from this kit only, never from
what a student hands in.
"""

import os
import sys
import warnings
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from sqlalchemy.exc import SAWarning

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

COURSE_ROOT = Path(__file__).resolve().parent
KIT = Path(os.environ.get("COURSE_KIT") or COURSE_ROOT.parent).resolve()
KIT_NEEDS = ("autograder/notebook/kernel.py", "autograder/suites/pytest.ini", "solutions")

c.CourseDirectory.course_id = "eat"
c.CourseDirectory.root = str(COURSE_ROOT)
os.environ["COURSE_KIT"] = str(KIT)  # the kernels nbgrader starts find the kit (and only it) here


def kit_problem() -> str | None:
    """Why ``KIT`` is not the course kit, naming the setting; None when it is."""
    missing = [name for name in KIT_NEEDS if not (KIT / name).exists()]
    if not missing:
        return None
    return (
        f"COURSE_KIT={KIT} is not the course kit (it lacks {', '.join(missing)}): set COURSE_KIT to the "
        "repository that holds autograder/ and solutions/ in the environment of nbgrader (docs/INSTRUCTOR.md)"
    )


class CourseKit(NbGraderPreprocessor):
    """Checks ``COURSE_KIT`` before a command's work; for ``generate_assignment``, puts ``kit/`` in the release.

    nbgrader rebuilds ``release/<assignment>/`` from ``source/`` on every generate (the command and
    formgrader's Generate button alike), so the kit the students' notebooks import is written here,
    after that copy, every time.
    """

    command = "autograde"

    def preprocess(self, nb, resources):
        problem = kit_problem()
        if problem:
            raise RuntimeError(problem)
        if self.command == "generate":
            if str(KIT) not in sys.path:
                sys.path.insert(0, str(KIT))
            from autograder.authoring.bundle import write_kit

            write_kit(COURSE_ROOT / "release" / resources["nbgrader"]["assignment"] / "kit")
        return nb, resources


class ReleaseKit(CourseKit):
    """:class:`CourseKit` for ``generate_assignment``."""

    command = "generate"


def _first(converter: type, trait: str, preprocessor: type) -> list:
    return [preprocessor, *converter.class_traits()[trait].make_dynamic_default()]


c.GenerateAssignment.preprocessors = _first(GenerateAssignment, "preprocessors", ReleaseKit)
c.Autograde.sanitize_preprocessors = _first(Autograde, "sanitize_preprocessors", CourseKit)

# A hidden test cell runs an exercise's hidden suite in the student's kernel, within the suite's
# budget (AUTOGRADER_NOTEBOOK_BUDGET, 300 s by default): the suite reports what it earned and stops
# before this cell timeout, which only catches a kernel that does not answer at all.
c.Execute.timeout = 600
c.Execute.interrupt_on_timeout = True
# Part 3's notebook trains two small models; its cells may print a lot of feedback.
c.LimitOutput.max_lines = 2000

# nbgrader's gradebook code trips SQLAlchemy's session warnings on every submission; they are nbgrader's own and
# change nothing (docs/INSTRUCTOR.md), so they stay out of the log.
warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.")



class ShowRubrics(NbGraderPreprocessor):
    """Autograde: the kit's rubric under each written answer, so that formgrader shows it to the grader."""

    def preprocess(self, nb, resources):
        if str(KIT) not in sys.path:
            sys.path.insert(0, str(KIT))
        from autograder.authoring.written import insert_rubrics

        return insert_rubrics(nb, resources["nbgrader"]["assignment"], KIT / "solutions"), resources


class HideRubrics(NbGraderPreprocessor):
    """Feedback: the grader's rubrics (and their reference answers) taken out again."""

    def preprocess(self, nb, resources):
        if str(KIT) not in sys.path:
            sys.path.insert(0, str(KIT))
        from autograder.authoring.written import remove_rubrics

        return remove_rubrics(nb), resources


c.Autograde.autograde_preprocessors = [*Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default(), ShowRubrics]
# Feedback shows the test cells as the student saw them: the hidden part is removed.
c.GenerateFeedback.preprocessors = [GetGrades, HideRubrics, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
