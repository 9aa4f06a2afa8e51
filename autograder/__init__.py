"""The course kit's grader, one folder per trust domain (see ``../shared/DESIGN.md`` and ``docs/INSTRUCTOR.md``).

- :mod:`autograder.runtime`: runs next to student code in the worker; imports nothing from the other folders;
  copied whole into the worker.
- :mod:`autograder.grading`: the trusted process (suites' helpers, comparisons, the pytest plugin, results,
  reporters, batch, the parent side of the worker); never imports student code, never imports authoring.
- :mod:`autograder.notebook`: what the student's Jupyter kernel loads (``%%module``, ``check()``).
- :mod:`autograder.authoring`: instructor-only tooling (stubs, notebooks, bundles, leak scans); needs nbgrader;
  never shipped, never on the grading path.
- ``autograder/suites/``: the hidden tests; never shipped.

:mod:`autograder.cli` (``python -m autograder``), :mod:`autograder.settings`, :mod:`autograder.layout` (the folder
rules), :mod:`autograder.install` (the one CPU-torch install rule) and :mod:`autograder.student` (the student's
no-make commands: setup, test, watch, zip) are the top-level entry points, standard library only at import; what
reaches the worker, the student bundle and the Gradescope zip is decided by the folders alone.
"""
