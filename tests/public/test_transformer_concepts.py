"""Public test of the concept checks of Part 3 (the Transformer): every answer has the form its question asks for.

Whether an answer is right is for the hidden tests to say; this only catches an answer the grader could not read
(a computation instead of a value, a letter that is not an option, a list of the wrong length).
"""

from autograder.grading import concepts


def test_answers_have_the_form_asked_for(request):
    """Every answer has the form its question asks for"""
    concepts.check_forms(request.config, "transformer.transformer_concepts")
