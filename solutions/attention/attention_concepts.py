"""Concept checks of Part 2 (attention): short questions with exact answers, graded automatically.

Answer each question by replacing ``raise NotImplementedError()`` with ``return <your answer>``,
where the answer is a plain value of the type the function's annotation names:

- a letter for a multiple-choice question: ``return "b"``;
- a number, worked by hand (a calculator is fine; three significant digits are enough for a
  ``float``, an ``int`` must be exact): ``return 0.25``;
- a list or a tuple of numbers: ``return [0.5, 0.5]``, ``return (2, 1, 1, 7)``.

Your answers are *read*, never run: write the value itself (``0.333``, not ``1 / 3`` or a
computation). The public tests (``make test``) only check that each answer has the right form;
the hidden tests say which are right and, for a wrong one, the misconception it reveals.
"""


def two_key_weights() -> list[float]:
    """Attention weights of a two-key example, by hand.

    One query ``q = [1, 0, 1, 0]`` and two keys ``k1 = [1, 0, 1, 0]``, ``k2 = [-1, 0, -1, 0]``
    (``d_k = 4``). What are the weights ``softmax(q k^T / sqrt(d_k))`` of ``k1`` and ``k2``?
    Answer ``[w1, w2]``.
    """
    ### BEGIN SOLUTION
    return [0.881, 0.119]
    ### END SOLUTION


def two_key_output() -> list[float]:
    """The output of the same example.

    Same query and keys as :func:`two_key_weights`, with values ``v1 = [10, 0]`` and
    ``v2 = [0, 10]``. What is the attention output for the query? Answer ``[o1, o2]``.
    """
    ### BEGIN SOLUTION
    return [8.81, 1.19]
    ### END SOLUTION


def why_scale() -> str:
    """Why are the scores divided by ``sqrt(d_k)``?

    (a) So that each row of the weights sums to one.
    (b) If the entries of ``q`` and ``k`` are independent with mean 0 and variance 1, ``q . k`` has
        variance ``d_k``; dividing by ``sqrt(d_k)`` brings it back to 1, so the softmax does not
        saturate on one key and its gradients do not vanish.
    (c) The output is a mix of the values, so the scores are divided by ``sqrt(d_v)``, the square
        root of the values' size.
    (d) The score sums ``d_k`` products, so dividing it by ``d_k`` makes it their average.
    """
    ### BEGIN SOLUTION
    return "b"
    ### END SOLUTION


def why_dot_product() -> str:
    """Why does the dot product of a query and a key measure how relevant the key is?

    (a) ``q . k = |q| |k| cos(angle)``: it is large when the key points the way the query does, so
        the keys that match what the query looks for get the largest weights.
    (b) It counts the tokens the two positions have in common.
    (c) It measures how far apart the two positions are in the sentence.
    (d) It is the only score the softmax accepts.
    """
    ### BEGIN SOLUTION
    return "a"
    ### END SOLUTION


def masked_weights() -> list[float]:
    """Weights with a masked key.

    A query's (already scaled) scores for three keys are ``[1, 1, 1]`` and its mask is
    ``[True, True, False]`` (``True``: may attend). What are its attention weights? Answer
    ``[w1, w2, w3]``.
    """
    ### BEGIN SOLUTION
    return [0.5, 0.5, 0.0]
    ### END SOLUTION


def padding_mask_shape() -> tuple[int, ...]:
    """The shape of a padding mask.

    What is the shape of ``padding_mask(tokens, pad_id)`` for ``tokens`` of shape ``(2, 7)``
    (a batch of two sentences of seven tokens)?
    """
    ### BEGIN SOLUTION
    return (2, 1, 1, 7)
    ### END SOLUTION


def causal_mask_count() -> int:
    """How many entries of ``causal_mask(4)`` are ``True``?"""
    ### BEGIN SOLUTION
    return 10
    ### END SOLUTION


def why_causal() -> str:
    """Why is the decoder's self-attention masked while it is trained?

    (a) To hide the padding tokens of the target.
    (b) Training computes every target position at once (teacher forcing); without the mask,
        position ``t`` would read token ``t + 1``, the very token it must predict, and would learn
        to copy it instead of predicting it.
    (c) So that the decoder cannot see the encoder's output.
    (d) To halve the cost of the attention.
    """
    ### BEGIN SOLUTION
    return "b"
    ### END SOLUTION


def multi_head_parameters() -> int:
    """How many parameters does ``MultiHeadAttention(d_model=512, num_heads=8, bias=True)`` have?"""
    ### BEGIN SOLUTION
    return 1050624
    ### END SOLUTION


def split_heads_shape() -> tuple[int, ...]:
    """What is the shape of ``split_heads(x, num_heads=8)`` for ``x`` of shape ``(2, 10, 512)``?"""
    ### BEGIN SOLUTION
    return (2, 8, 10, 64)
    ### END SOLUTION


def head_scale() -> float:
    """In ``MultiHeadAttention(d_model=512, num_heads=8)``, by what number is each head's score divided?"""
    ### BEGIN SOLUTION
    return 8.0
    ### END SOLUTION


def cross_attention_sources() -> str:
    """In the decoder's cross-attention, where do the queries, keys and values come from?

    (a) Queries, keys and values all come from the encoder's output.
    (b) The queries come from the decoder; the keys and values from the encoder's output (memory).
    (c) Queries, keys and values all come from the decoder's own input.
    (d) The queries come from the encoder's output; the keys and values from the decoder.
    """
    ### BEGIN SOLUTION
    return "b"
    ### END SOLUTION
