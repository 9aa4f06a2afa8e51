"""Part 2: attention in PyTorch."""
