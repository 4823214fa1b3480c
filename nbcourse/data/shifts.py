r"""Images moved by a few pixels, and a model's accuracy on them: how shift-invariant is it?

:func:`shift_images` translates a batch of images, filling the uncovered border with the
background; :func:`shifted_accuracy` measures a classifier's accuracy on test images moved by
0, 1, 2, ... pixels, averaged over the four directions (right, left, down, up).

    >>> X = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> shift_images(X, dx=1, fill=-1.0)[0, 0]
    tensor([[-1.,  0.,  1.],
            [-1.,  3.,  4.],
            [-1.,  6.,  7.]])
"""

from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["DIRECTIONS", "shift_images", "shifted_accuracy"]

#: The four directions of a shift, as (rows, columns) per pixel: right, left, down, up.
DIRECTIONS: tuple[tuple[int, int], ...] = ((0, 1), (0, -1), (1, 0), (-1, 0))


def shift_images(X: torch.Tensor, *, dy: int = 0, dx: int = 0, fill: float | None = None) -> torch.Tensor:
    r"""``X`` moved ``dy`` pixels down and ``dx`` pixels right (negative: up, left); nothing wraps around.

    :math:`X'_{i,j} = X_{i - dy,\, j - dx}` where that pixel exists, ``fill`` elsewhere.

    Args:
        X: images :math:`(N, C, H, W)`, or flattened 8x8 digits :math:`(N, 64)` (returned flattened).
        dy, dx: the shift in pixels (ints, default 0).
        fill: the value of the uncovered pixels (default: ``X.min()``, the blank paper of
            standardised digits; not 0, which after standardisation is a grey stroke).

    Returns: a new tensor of the shape of ``X``.
    """
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"shift_images: argument 'X' got {type(X).__name__}, expected a torch.Tensor of images")
    for name, v in (("dy", dy), ("dx", dx)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"shift_images: argument {name!r} got {v!r}, expected an int number of pixels")
    flat = X.ndim == 2 and X.shape[1] == 64
    images = X.reshape(-1, 1, 8, 8) if flat else X
    if images.ndim != 4:
        raise ValueError(f"shift_images: argument 'X' got shape {tuple(X.shape)}, expected (N, C, H, W) or (N, 64)")
    H, W = images.shape[-2:]
    out = torch.full_like(images, float(X.min()) if fill is None else float(fill))
    if abs(dy) < H and abs(dx) < W:
        src_rows, dst_rows = slice(max(-dy, 0), H - max(dy, 0)), slice(max(dy, 0), H - max(-dy, 0))
        src_cols, dst_cols = slice(max(-dx, 0), W - max(dx, 0)), slice(max(dx, 0), W - max(-dx, 0))
        out[..., dst_rows, dst_cols] = images[..., src_rows, src_cols]
    return out.reshape(X.shape) if flat else out


@torch.no_grad()
def shifted_accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *, shifts: Sequence[int] = (0, 1, 2, 3),
                     directions: Sequence[tuple[int, int]] = DIRECTIONS, fill: float | None = None) -> dict[int, float]:
    r"""Accuracy of ``model`` on ``X`` moved by each of ``shifts`` pixels, averaged over ``directions``.

    Args:
        model: a classifier returning logits :math:`(N, K)` (run in eval mode; its mode is restored).
        X, y: test images :math:`(N, C, H, W)` and labels :math:`(N,)`.
        shifts: shifts in pixels (default ``(0, 1, 2, 3)``).
        directions: unit steps ``(rows, columns)`` (default :data:`DIRECTIONS`: the four directions).
        fill: value of the uncovered pixels (default: ``X.min()``).

    Returns: ``{shift: accuracy}``, accuracies in [0, 1].
    """
    fill = float(X.min()) if fill is None else fill
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        result = {}
        for s in shifts:
            correct = 0
            for ry, rx in directions:
                moved = shift_images(X, dy=ry * s, dx=rx * s, fill=fill)
                correct += int((model(moved.to(device)).argmax(1).cpu() == y).sum())
            result[int(s)] = correct / (len(y) * len(directions))
        return result
    finally:
        model.train(was_training)
