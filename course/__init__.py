"""Course-provided code for Part 3 (not an exercise): toy tasks and a small, seeded trainer.

It never imports a submission: the caller builds a model (its own, or the reference) and hands it in.
"""
