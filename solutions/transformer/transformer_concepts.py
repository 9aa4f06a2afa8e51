"""Concept checks of Part 3 (the Transformer): short questions with exact answers, graded automatically.

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


def pe_entry() -> float:
    """A positional-encoding entry, by hand.

    With ``d_model = 4``, what is ``PE[1, 2]`` (position 1, column 2) of
    ``sinusoidal_positional_encoding``?
    """
    ### BEGIN SOLUTION
    return 0.01
    ### END SOLUTION


def pe_first_row() -> list[float]:
    """The encoding of position 0.

    With ``d_model = 4``, what is the row ``PE[0]``? Answer ``[PE[0, 0], PE[0, 1], PE[0, 2], PE[0, 3]]``.
    """
    ### BEGIN SOLUTION
    return [0.0, 1.0, 0.0, 1.0]
    ### END SOLUTION


def why_positions() -> str:
    """Why does a Transformer need positional encoding?

    (a) Self-attention treats its input as a set: permuting the input tokens only permutes the
        outputs, so without positions "dog bites man" and "man bites dog" give the same vectors.
    (b) Attention cannot handle sequences longer than ``d_model`` without it.
    (c) The softmax needs it to stay numerically stable.
    (d) It tells the model which tokens are padding.
    """
    ### BEGIN SOLUTION
    return "a"
    ### END SOLUTION


def layer_norm_values() -> list[float]:
    """LayerNorm, by hand.

    What is ``LayerNorm(4)`` (weight ones, bias zeros; take ``eps = 0``) of the token
    ``[1, 2, 3, 4]``? Answer the four numbers.
    """
    ### BEGIN SOLUTION
    return [-1.342, -0.447, 0.447, 1.342]
    ### END SOLUTION


def layer_norm_axis() -> str:
    """Over what does LayerNorm compute its mean and variance?

    (a) Over the features of each token (the last axis), separately for each token.
    (b) Over the positions of the sequence (``dim=-2``), separately for each feature.
    (c) Over the whole sequence (the last two axes) at once.
    (d) Over the batch, separately for each feature.
    """
    ### BEGIN SOLUTION
    return "a"
    ### END SOLUTION


def feed_forward_parameters() -> int:
    """How many parameters does ``FeedForward(d_model=512, d_ff=2048)`` have?"""
    ### BEGIN SOLUTION
    return 2099712
    ### END SOLUTION


def post_norm_formula() -> str:
    """What does the first sublayer of a post-norm ``EncoderLayer`` compute (dropout off)?

    (a) ``norm1(x + self_attn(x, x, x))``
    (b) ``norm1(self_attn(x, x, x))``
    (c) ``x + norm1(self_attn(x, x, x))``
    (d) ``self_attn(norm1(x), norm1(x), norm1(x))``
    """
    ### BEGIN SOLUTION
    return "a"
    ### END SOLUTION


def cross_weights_shape() -> tuple[int, ...]:
    """The shape of cross-attention weights.

    A ``Transformer`` with 8 heads gets ``src`` of shape ``(2, 6)`` and ``tgt`` of shape ``(2, 4)``.
    What is the shape of the attention weights of a decoder layer's cross-attention?
    """
    ### BEGIN SOLUTION
    return (2, 8, 4, 6)
    ### END SOLUTION


def embedding_scale() -> float:
    """By what number does ``Transformer`` multiply its token embeddings when ``d_model = 64``?"""
    ### BEGIN SOLUTION
    return 8.0
    ### END SOLUTION


def decoder_self_mask() -> str:
    """Which keys may the decoder's self-attention attend to while it is trained?

    (a) Every key that is not padding.
    (b) The keys that are not padding *and* not in the future (padding AND causal).
    (c) The keys that are not padding *or* not in the future (padding OR causal).
    (d) The keys that are not in the future, padding included.
    """
    ### BEGIN SOLUTION
    return "b"
    ### END SOLUTION


def path_lengths() -> tuple[int, int]:
    """Long-range dependencies.

    How many sequential steps does information take from token 1 to token 50 of a sequence: in
    one recurrent layer (one step per token), and in one self-attention layer? Answer
    ``(rnn, attention)``.
    """
    ### BEGIN SOLUTION
    return (49, 1)
    ### END SOLUTION


def why_parallel() -> str:
    """Why does a Transformer train in parallel over positions where an RNN cannot?

    (a) It has fewer parameters than an RNN.
    (b) An RNN's state ``h_t`` needs ``h_{t-1}``, so its ``L`` steps run one after another; a
        self-attention layer computes every position from the previous layer at once, with a few
        matrix products.
    (c) Attention costs time linear in the sequence length, an RNN quadratic.
    (d) A Transformer needs no backpropagation.
    """
    ### BEGIN SOLUTION
    return "b"
    ### END SOLUTION
