"""The curriculum's names: one name per exercise everywhere, and the packages of a submission root."""

from __future__ import annotations

PACKAGES = ("embeddings", "attention", "transformer")

# exercise name -> module path inside a submission root (one name per exercise everywhere).
EXERCISES: dict[str, str] = {
    "one_hot": "embeddings.one_hot",
    "bpe": "embeddings.bpe",
    "skipgram": "embeddings.skipgram",
    "cbow": "embeddings.cbow",
    "glove": "embeddings.glove",
    "fasttext": "embeddings.fasttext",
    "pretrained": "embeddings.pretrained",
    "similarity": "embeddings.similarity",
    "scaled_dot_product": "attention.scaled_dot_product",
    "masks": "attention.masks",
    "multi_head": "attention.multi_head",
    "positional_encoding": "transformer.positional_encoding",
    "layers": "transformer.layers",
    "models": "transformer.models",
    # concept checks: short questions with exact answers, read and never run (autograder/grading/concepts.py);
    # last, so that the code exercises keep their numbers
    "embedding_concepts": "embeddings.embedding_concepts",
    "attention_concepts": "attention.attention_concepts",
    "transformer_concepts": "transformer.transformer_concepts",
}
CONCEPTS = frozenset(name for name in EXERCISES if name.endswith("_concepts"))
PART_OF = {name: module.split(".")[0] for name, module in EXERCISES.items()}
