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

``nbgrader autograde`` scores each test cell in the kit's isolated worker (``SandboxGrades``, then
``RecordSandboxGrades`` after the kernel ran), never in the student's kernel, and shows the hidden
tests as ``c.SandboxGrades.hidden_visibility`` says.
"""

import os
import sys
import warnings
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import ClearHiddenTests, Execute, GetGrades, NbGraderPreprocessor
from sqlalchemy.exc import SAWarning
from traitlets import Unicode

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

COURSE_ROOT = Path(__file__).resolve().parent
KIT = Path(os.environ.get("COURSE_KIT") or COURSE_ROOT.parent).resolve()
KIT_NEEDS = ("autograder/notebook/kernel.py", "autograder/suites/pytest.ini", "solutions")

c.CourseDirectory.course_id = "eat"
c.CourseDirectory.root = str(COURSE_ROOT)
os.environ["COURSE_KIT"] = str(KIT)  # the kernels nbgrader starts find the kit (and only it) here
# What students see of the hidden tests in nbgrader's feedback, for every autograde of this course (recorded in
# each test cell's feedback): visible, after_due_date or after_published (messages shown: you release feedback),
# points-only (each test's title and points) or hidden (the exercise's points alone). docs/INSTRUCTOR.md.
c.SandboxGrades.hidden_visibility = "visible"


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
            _kit_on_path()
            from autograder.authoring.bundle import write_kit

            write_kit(COURSE_ROOT / "release" / resources["nbgrader"]["assignment"] / "kit")
        return nb, resources


class ReleaseKit(CourseKit):
    """:class:`CourseKit` for ``generate_assignment``."""

    command = "generate"


def _kit_on_path() -> None:
    if str(KIT) not in sys.path:
        sys.path.insert(0, str(KIT))


# The hidden tests are scored in the isolated worker, never in the student's kernel, where the student's code runs
# first and could make any test cell pass. The kernel's test cells leave the scoring to these two steps.
os.environ["AUTOGRADER_NOTEBOOK_SANDBOX"] = "1"


class SandboxGrades(NbGraderPreprocessor):
    """Grades the notebook's ``%%module`` cells in the isolated worker before its kernel runs any of its code.

    ``python -m autograder grade`` reads the cells as data; the scores wait in ``resources`` until
    :class:`RecordSandboxGrades` writes them into the test cells.
    """

    hidden_visibility = Unicode(
        "visible", help="what students see of the hidden tests (autograder.settings.VISIBILITIES)"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        _kit_on_path()
        from autograder.grading.nbgrader_grades import grade_notebook

        chosen = os.environ.get("AUTOGRADER_HIDDEN_VISIBILITY")
        if chosen and chosen != self.hidden_visibility:
            self.log.warning(
                "AUTOGRADER_HIDDEN_VISIBILITY=%s is ignored: this course shows the hidden tests as %s "
                "(c.SandboxGrades.hidden_visibility in nbgrader_config.py)", chosen, self.hidden_visibility
            )
        info = resources.get("nbgrader", {})
        notebook, student = info.get("notebook", "notebook"), info.get("student")
        # the student's notebooks of the other parts (Part 3 brings Part 2's modules instead of pasting them)
        siblings = sorted((COURSE_ROOT / "submitted" / student).glob("*/*.ipynb")) if student else []
        grades, warnings = grade_notebook(nb, self.hidden_visibility, notebook, siblings)
        for warning in warnings:
            self.log.warning(warning)
        resources["sandbox_grades"] = grades
        return nb, resources


class RecordSandboxGrades(NbGraderPreprocessor):
    """After the kernel ran, each test cell shows its sandbox grade: nbgrader stores that score, nothing the kernel
    printed or returned."""

    def preprocess(self, nb, resources):
        from autograder.grading.nbgrader_grades import record_grades

        return record_grades(nb, resources["sandbox_grades"]), resources


def _first(converter: type, trait: str, preprocessor: type) -> list:
    return [preprocessor, *converter.class_traits()[trait].make_dynamic_default()]


c.GenerateAssignment.preprocessors = _first(GenerateAssignment, "preprocessors", ReleaseKit)
c.Autograde.sanitize_preprocessors = _first(Autograde, "sanitize_preprocessors", CourseKit)
_autograde = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
_execute = _autograde.index(Execute)
c.Autograde.autograde_preprocessors = [
    *_autograde[:_execute], SandboxGrades, Execute, RecordSandboxGrades, *_autograde[_execute + 1 :]
]

# The kernel runs the student's cells (demos, plots; the hidden tests run in the isolated worker, SandboxGrades),
# each within AUTOGRADER_CALL_TIMEOUT (the kit's %%module extension); this cell timeout only catches a kernel that
# does not answer at all.
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


c.Autograde.autograde_preprocessors = [*c.Autograde.autograde_preprocessors, ShowRubrics]  # after the sandbox's steps
# Feedback shows the test cells as the student saw them: the hidden part is removed.
c.GenerateFeedback.preprocessors = [GetGrades, HideRubrics, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
