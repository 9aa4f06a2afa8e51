"""Engines: where the grading of a class runs, and nothing else (DESIGN.md, "One unit, many engines").

Every engine runs the same unit, :func:`autograder.grading.batch.grade_all` over one chunk of the class, as
``python -m autograder batch DIR --out OUT --task VAR`` (the chunk's number in the environment variable ``VAR``);
results land in the same ``OUT/results/`` and one reducer (:func:`plan.reduce`, which is
:func:`autograder.grading.batch.collect`) writes the gradebook. :mod:`.plan` fixes the chunks, :mod:`.slurm` runs
them as a job array, :mod:`.kubernetes` as an Indexed Job; the local ``batch`` runs them in processes of its own.
"""
