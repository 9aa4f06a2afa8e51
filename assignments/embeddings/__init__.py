"""Part 1: word embeddings in NumPy (gradients by hand)."""
