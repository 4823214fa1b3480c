r"""Images of simple shapes with a class per pixel: a segmentation data set generated in code.

Each image is a noisy grey background with one to three shapes on it (a disc, a square, an upright
triangle), all of the same brightness, so that a pixel's class cannot be read from its value: a
network must look at the pixel's neighbourhood (is there a corner? a slanted edge?) to label it.
Later shapes cover earlier ones. The label map holds, for every pixel, the index in
:data:`SHAPE_CLASSES` (0 = background).

    >>> X, y = make_shapes(4, size=(24, 30), seed=0)
    >>> X.shape, y.shape, y.dtype
    (torch.Size([4, 1, 24, 30]), torch.Size([4, 24, 30]), torch.int64)
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["SHAPE_CLASSES", "make_shapes"]

#: The class of each label value: ``y == 1`` marks the pixels of discs.
SHAPE_CLASSES: tuple[str, ...] = ("background", "circle", "square", "triangle")


def _as_size(size) -> tuple[int, int]:
    pair = (size, size) if isinstance(size, (int, np.integer)) and not isinstance(size, bool) else size
    try:
        h, w = (int(v) for v in pair)
        ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)
    except (TypeError, ValueError):
        ok = False
    if not ok or h < 8 or w < 8:
        raise ValueError(f"make_shapes: argument 'size' got {size!r}, expected an int or a pair (height, width) "
                         "of ints, each at least 8")
    return h, w


def _shape_mask(kind: int, rows: np.ndarray, cols: np.ndarray, cy: float, cx: float, r: float) -> np.ndarray:
    """The pixels of one shape of 'radius' ``r`` centred at ``(cy, cx)`` (pixel centres at integer coordinates)."""
    dy, dx = rows - cy, cols - cx
    if kind == 1:                                   # disc of radius r
        return dy ** 2 + dx ** 2 <= r ** 2
    if kind == 2:                                   # square of side 2 r * 0.85 (about the disc's area)
        half = 0.85 * r
        return (np.abs(dy) <= half) & (np.abs(dx) <= half)
    # upright triangle: apex at the top, base at the bottom, height 2 r, base 2.2 r
    top, height = cy - r, 2 * r
    t = (rows - top) / height                       # 0 at the apex, 1 at the base
    return (t >= 0) & (t <= 1) & (np.abs(dx) <= 1.1 * r * t)


def make_shapes(n: int = 256, *, size=32, shapes_per_image: tuple[int, int] = (1, 3), radius: tuple[float, float] = (4.0, 7.0),
                noise: float = 0.3, seed: int = 0, dtype: torch.dtype = torch.float32):
    r"""``n`` images of shapes on a noisy background, and their per-pixel class labels.

    A pixel's value is :math:`0.8\,[\text{pixel in a shape}] + \varepsilon`, with
    :math:`\varepsilon \sim \mathcal{N}(0, \text{noise}^2)` independent per pixel; its label is the
    class (:data:`SHAPE_CLASSES`) of the topmost shape covering it, or 0.

    Args:
        n: number of images (default 256).
        size: ``H`` for square images or ``(H, W)`` (default 32), each at least 8.
        shapes_per_image: the least and most shapes per image (default ``(1, 3)``), drawn uniformly.
        radius: the least and most 'radius' of a shape in pixels (default ``(4.0, 7.0)``), the same
            whatever the image size, so that images of another size hold shapes of the same scale;
            a shape must fit: :math:`2 \cdot \text{most} + 1 \le \min(H, W)`.
        noise: standard deviation of the background noise (default 0.3).
        seed: seed of everything random (default 0): the same seed gives the same images.
        dtype: floating dtype of the images (default ``torch.float32``).

    Returns:
        ``(X, y)``: images :math:`(n, 1, H, W)` and labels :math:`(n, H, W)` (int64, values 0..3).

    Examples::

        >>> X, y = make_shapes(2, size=16, seed=1)
        >>> bool(torch.equal(make_shapes(2, size=16, seed=1)[0], X)), int(y.min()), int(y.max()) <= 3
        (True, 0, True)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"make_shapes: argument 'n' got {n!r}, expected a non-negative int")
    h, w = _as_size(size)
    lo, hi = shapes_per_image
    if not 1 <= lo <= hi:
        raise ValueError(f"make_shapes: argument 'shapes_per_image' got {shapes_per_image!r}, expected (least, most) "
                         "with 1 <= least <= most")
    r_lo, r_hi = radius
    if not 0 < r_lo <= r_hi or 2 * r_hi + 1 > min(h, w):
        raise ValueError(f"make_shapes: argument 'radius' got {radius!r}, expected (least, most) in pixels with "
                         f"0 < least <= most and 2 * most + 1 <= {min(h, w)} (the image's smaller side)")
    if not noise >= 0:
        raise ValueError(f"make_shapes: argument 'noise' got {noise!r}, expected a standard deviation >= 0")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"make_shapes: argument 'dtype' got {dtype!r}, expected a floating torch dtype")
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    X = np.zeros((n, 1, h, w))
    y = np.zeros((n, h, w), dtype=np.int64)
    for i in range(n):
        for _ in range(rng.integers(lo, hi + 1)):
            kind = int(rng.integers(1, len(SHAPE_CLASSES)))
            r = rng.uniform(r_lo, r_hi)
            cy, cx = rng.uniform(r, h - 1 - r), rng.uniform(r, w - 1 - r)   # the whole shape inside the image
            y[i][_shape_mask(kind, rows, cols, cy, cx, r)] = kind
        X[i, 0] = 0.8 * (y[i] > 0) + noise * rng.standard_normal((h, w))
    return torch.from_numpy(X).to(dtype), torch.from_numpy(y)
