"""Part 3: the Transformer in PyTorch."""
