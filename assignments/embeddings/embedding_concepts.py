"""Concept checks of Part 1 (word embeddings): short questions with exact answers, graded automatically.

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


def one_hot_dot_product() -> float:
    """The dot product of two one-hot vectors.

    ``e_i`` and ``e_j`` are the one-hot vectors of two *different* words of a 50 000-word
    vocabulary. What is ``e_i . e_j``?
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def one_hot_shape() -> tuple[int, ...]:
    """The shape of a batch of one-hot vectors.

    What is the shape of ``one_hot(indices, 10000)`` for ``indices`` of shape ``(4, 12)`` (four
    sentences of twelve token ids)?
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def why_dense() -> str:
    """Why dense embeddings rather than one-hot vectors?

    (a) Neural networks cannot take sparse vectors as input.
    (b) A one-hot vector has as many entries as the vocabulary and every two different words are
        orthogonal, so it holds no notion of similarity; a dense vector has a few hundred entries,
        learnt so that words used in similar contexts get similar vectors.
    (c) The one-hot vectors of related words such as "cat" and "cats" share their non-zero entry,
        which confuses the model.
    (d) Dense vectors are drawn at random once and fixed, like hash codes, so they take less
        memory.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def bpe_pair_count() -> int:
    """Counting a pair for byte-pair encoding.

    The word counts are ``{"banana": 2, "band": 3}``, split into symbols with the end-of-word
    marker (``"banana"`` is ``b a n a n a</w>``). How many times does the pair ``("a", "n")``
    count when ``train_bpe`` looks for the most frequent pair?
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def skipgram_pair_count() -> int:
    """Counting skip-gram pairs.

    How many ``(center, context)`` pairs does ``skipgram_pairs`` give for a sequence of 5 tokens
    with ``window=2``?
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def noise_probabilities() -> list[float]:
    """The noise distribution of negative sampling.

    Two words occur 1 and 16 times. What are their probabilities under
    ``noise_distribution(counts, power=0.75)``? Answer ``[p1, p2]``.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def cbow_hidden() -> list[float]:
    """The CBOW hidden vector, by hand.

    The context of a center word is ``the cat the``, with input vectors ``the = [1, 2]`` and
    ``cat = [4, -1]``. What is the hidden vector ``h`` of CBOW? Answer ``[h1, h2]``.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def glove_weight_value() -> float:
    """GloVe's weighting function, by hand.

    What is ``glove_weight(10.0, x_max=100.0, alpha=0.75)``?
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def cooccurrence_entry() -> float:
    """A co-occurrence count.

    For the token ids ``[0, 1, 2]`` and ``window=2``, what is ``cooccurrence_matrix(...)[0, 2]``?
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def fasttext_ngram_count() -> int:
    """Counting fastText's character n-grams.

    How many n-grams does ``char_ngrams("where", n_min=3, n_max=6)`` return?
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def word2vec_header() -> tuple[int, int]:
    """The word2vec text format.

    ``save_vectors`` writes 3 words of dimension 50. Its first line holds two integers: which,
    in order? Answer ``(first, second)``.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def cosine_value() -> float:
    """A cosine similarity, by hand.

    What is ``cosine_similarity([1, 0], [1, 1])``?
    """
    # YOUR CODE HERE
    raise NotImplementedError()
