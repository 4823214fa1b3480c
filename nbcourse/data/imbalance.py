r"""Data sets with a flaw on purpose: too few samples of some classes, or labels that are wrong.

:func:`make_imbalanced` keeps only a fraction of some classes (the minority classes of the
shuffling-and-balancing section); :func:`flip_labels` replaces a fraction of the labels by a wrong
class (the surprising samples of *the value of one sample*, and the noise an overfit model
memorises).

Examples::

    >>> import torch
    >>> from nbcourse.data import make_imbalanced, flip_labels
    >>> X, y = torch.randn(100, 2), torch.arange(100) % 2
    >>> Xi, yi = make_imbalanced(X, y, keep={1: 0.1}, seed=0)
    >>> torch.bincount(yi).tolist()
    [50, 5]
    >>> y_noisy, flipped = flip_labels(y, fraction=0.2, num_classes=2, seed=0)
    >>> int(flipped.sum()), bool((y_noisy[flipped] != y[flipped]).all())
    (20, True)
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import torch

from nbcourse._arrays import describe

__all__ = ["make_imbalanced", "flip_labels"]


def _xy(X: Any, y: Any, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.as_tensor(X)
    y = torch.as_tensor(y)
    if y.ndim != 1 or y.is_floating_point() or y.dtype == torch.bool:
        raise ValueError(f"{where}: argument 'y' got {describe(y)}, expected a 1-D tensor of class indices")
    if X.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{where}: X has shape {tuple(X.shape)} and y has {len(y)} labels; expected one row of X per label")
    return X, y


def make_imbalanced(X: Any, y: Any, *, keep: Mapping[int, float], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Keep only a fraction of the samples of some classes, all samples of the others.

    For each class :math:`c` in ``keep``, :math:`\lceil f_c\, n_c \rceil` of its :math:`n_c` samples
    are kept (at least one), chosen at random; the order of the kept samples is the original one.

    Args:
        X: inputs, shape ``(m, ...)`` (tensor or array).
        y: class indices, shape ``(m,)``.
        keep: ``{class: fraction}``, each fraction in ``(0, 1]``, e.g. ``{3: 0.05}`` keeps 5% of
            the threes.
        seed: which samples are kept. Default: 0

    Returns:
        ``(X_subset, y_subset)``, tensors.

    Example::

        >>> X, y = torch.zeros(10, 1), torch.tensor([0] * 5 + [1] * 5)
        >>> make_imbalanced(X, y, keep={0: 0.4})[1].tolist()
        [0, 0, 1, 1, 1, 1, 1]
    """
    where = "make_imbalanced"
    X, y = _xy(X, y, where)
    if not isinstance(keep, Mapping) or not keep:
        raise TypeError(f"{where}: argument 'keep' got {describe(keep)}, expected a dict {{class: fraction kept}}, e.g. {{3: 0.05}}")
    generator = torch.Generator().manual_seed(int(seed))
    mask = torch.ones(len(y), dtype=torch.bool)
    for c, fraction in sorted(keep.items()):
        if not isinstance(fraction, numbers.Real) or not 0 < fraction <= 1:
            raise ValueError(f"{where}: keep[{c!r}] got {fraction!r}, expected a fraction in (0, 1]")
        members = torch.nonzero(y == int(c)).flatten()
        if members.numel() == 0:
            raise ValueError(f"{where}: keep names class {c!r}, but y has no sample of it (classes: {sorted(set(y.tolist()))})")
        k = max(1, int(torch.ceil(torch.tensor(fraction * members.numel())).item()))
        dropped = members[torch.randperm(members.numel(), generator=generator)[k:]]
        mask[dropped] = False
    return X[mask], y[mask]


def flip_labels(y: Any, *, fraction: float, num_classes: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Replace a fraction of the labels by a different class, chosen uniformly among the others.

    Exactly :math:`\lfloor f\,m \rceil` (rounded) labels change; each new label differs from the old one.

    Args:
        y: class indices, shape ``(m,)``.
        fraction: :math:`f \in [0, 1]`, the share of labels to change.
        num_classes: :math:`K \ge 2`, the number of classes.
        seed: which labels change, and to what. Default: 0

    Returns:
        ``(y_noisy, flipped)``: the new labels, and a boolean mask of the ones that changed.

    Example::

        >>> y_noisy, flipped = flip_labels(torch.zeros(4, dtype=torch.long), fraction=0.5, num_classes=3)
        >>> int(flipped.sum()), bool((y_noisy[flipped] > 0).all())
        (2, True)
    """
    where = "flip_labels"
    y = torch.as_tensor(y)
    if y.ndim != 1 or y.is_floating_point() or y.dtype == torch.bool:
        raise ValueError(f"{where}: argument 'y' got {describe(y)}, expected a 1-D tensor of class indices")
    if not isinstance(fraction, numbers.Real) or not 0 <= fraction <= 1:
        raise ValueError(f"{where}: argument 'fraction' got {fraction!r}, expected a number in [0, 1]")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 2:
        raise ValueError(f"{where}: argument 'num_classes' got {num_classes!r}, expected an integer >= 2")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"{where}: y holds classes {int(y.min())}..{int(y.max())}, outside 0..{num_classes - 1}")
    generator = torch.Generator().manual_seed(int(seed))
    k = int(round(fraction * len(y)))
    chosen = torch.randperm(len(y), generator=generator)[:k]
    shift = torch.randint(1, num_classes, (k,), generator=generator)       # never 0: always a new class
    y_noisy = y.clone()
    y_noisy[chosen] = (y[chosen] + shift.to(y.dtype)) % num_classes
    flipped = torch.zeros(len(y), dtype=torch.bool)
    flipped[chosen] = True
    return y_noisy, flipped
