"""Attention masks: which keys each query may look at.

Every mask in this course is a boolean tensor, broadcastable to the attention scores
``(B, H, Lq, Lk)`` (batch, heads, queries, keys), where ``True`` means *may attend* (the
convention of ``torch.nn.functional.scaled_dot_product_attention``; ``nn.MultiheadAttention``'s
boolean masks mean the opposite). Two kinds are needed:

- a *padding* mask hides the padding tokens that make a batch's sequences the same length; it
  masks *keys* only (a padded query's output is simply ignored later), so it has shape
  ``(B, 1, 1, Lk)`` and broadcasts over heads and queries;
- a *causal* mask stops position ``i`` from reading positions after ``i`` (a decoder must not
  peek at the tokens it is predicting): ``(L, L)``, ``True`` on and below the diagonal.

Broadcasting combines them: ``(B, 1, 1, L) & (L, L)`` is ``(B, 1, L, L)``.
"""

from __future__ import annotations

import torch


def causal_mask(size: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Boolean ``(size, size)``: ``mask[i, j]`` is ``True`` when ``j <= i`` (query ``i`` may read key ``j``).

    Rows are queries, columns keys; the diagonal is ``True`` (a position may attend to itself).
    Created on ``device`` (``None``: PyTorch's default device), so a model can build it next to
    its inputs with ``causal_mask(L, device=x.device)``.

    Example:
        >>> causal_mask(3)
        tensor([[ True, False, False],
                [ True,  True, False],
                [ True,  True,  True]])
    """
    # Hint (~1 line): torch.tril of a boolean torch.ones((size, size), ...) on the given device.
    # YOUR CODE HERE
    raise NotImplementedError()


def padding_mask(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Boolean ``(B, 1, 1, L)`` from token ids ``(B, L)``: ``True`` where the token is not ``pad_id``.

    The two singleton axes are heads and queries, so the mask hides padded *keys* from every head
    and every query; on the same device as ``tokens``.

    Example:
        >>> mask = padding_mask(torch.tensor([[5, 6, 0], [7, 0, 0]]), pad_id=0)
        >>> mask.shape
        torch.Size([2, 1, 1, 3])
        >>> mask[:, 0, 0]
        tensor([[ True,  True, False],
                [ True, False, False]])
    """
    # Hint (~1 line): compare with pad_id, then add the two axes with [:, None, None, :].
    # YOUR CODE HERE
    raise NotImplementedError()


def combine_masks(*masks: torch.Tensor | None) -> torch.Tensor | None:
    """Logical AND of boolean masks, with broadcasting: a key may be attended only if every mask allows it.

    ``None`` entries (meaning "no mask") are skipped; with no mask left the result is ``None``.
    Shapes broadcast as in ``torch``: ``(B, 1, 1, L)`` and ``(L, L)`` give ``(B, 1, L, L)``.
    A single mask comes back unchanged: the same tensor (returning an equal copy is fine too).

    Example:
        >>> combine_masks(None, torch.tensor([True, True, False]), torch.tensor([[True], [False]]))
        tensor([[ True,  True, False],
                [False, False, False]])
        >>> combine_masks(None, None) is None
        True
    """
    # Hint (~6 lines): loop over the masks, skip None, and combine the others with &.
    # YOUR CODE HERE
    raise NotImplementedError()


def decoder_mask(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
    """The decoder's self-attention mask, boolean ``(B, 1, L, L)``: causal and padding together.

    ``mask[b, 0, i, j]`` is ``True`` when ``j <= i`` and ``tokens[b, j]`` is not ``pad_id``; built on
    the device of ``tokens``.

    Example: ``decoder_mask(torch.tensor([[5, 6, 0]]), pad_id=0)[0, 0]`` is::

        [[ True, False, False],
         [ True,  True, False],
         [ True,  True, False]]
    """
    # Hint (~2 lines): combine padding_mask(...) with causal_mask(L, device=tokens.device).
    # YOUR CODE HERE
    raise NotImplementedError()
