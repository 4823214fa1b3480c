r"""Pairs and triplets of digits for metric learning (siamese and triplet networks).

scikit-learn's 8x8 digits, split so that some digits are *never seen* in training
(:func:`load_metric_digits`), and seeded, balanced pairs (:func:`make_pairs`: half "same digit",
half "different digits") and triplets (:func:`make_triplets`: anchor, positive of the anchor's
digit, negative of another digit) drawn from any labelled set. Nothing is downloaded.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import torch

__all__ = ["MetricDigits", "load_metric_digits", "make_pairs", "make_triplets"]


class MetricDigits(NamedTuple):
    """The digits split for metric learning (all tensors; ``X`` standardised by the training set)."""

    X_train: torch.Tensor   #: (N_train, 64) samples of the seen digits, for training
    y_train: torch.Tensor   #: (N_train,) their digits
    X_test: torch.Tensor    #: (N_test, 64) other samples of the seen digits
    y_test: torch.Tensor    #: (N_test,)
    X_new: torch.Tensor     #: (N_new, 64) every sample of the held-out digits, never trained on
    y_new: torch.Tensor     #: (N_new,)


def load_metric_digits(*, holdout: Sequence[int] = (8, 9), test_fraction: float = 0.25, seed: int = 0,
                       dtype: torch.dtype = torch.float32) -> MetricDigits:
    r"""The digits with ``holdout`` digits kept out of training entirely.

    The other digits are split (stratified, by ``seed``) into a training part and a test part of
    ``test_fraction``. Pixels are standardised with the training part's mean and standard deviation
    over all pixels, :math:`x' = (x - \mu)/s`, applied to every part.

    Args:
        holdout: digits no training sample has (default ``(8, 9)``; ``()`` holds none out).
        test_fraction: share of the seen digits' samples kept for testing, in (0, 1) (default 0.25).
        seed: seed of the split (default 0).
        dtype: floating dtype of the images (default float32); labels are int64.

    Shape:
        ``X_*``: :math:`(N, 64)`; ``y_*``: :math:`(N,)` digits 0..9.

    Examples::

        >>> data = load_metric_digits()
        >>> sorted(set(data.y_train.tolist())), sorted(set(data.y_new.tolist()))
        ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
        >>> len(data.X_train) + len(data.X_test) + len(data.X_new)
        1797
    """
    holdout = tuple(holdout)
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and 0 <= d <= 9 for d in holdout):
        raise ValueError(f"load_metric_digits: argument 'holdout' got {holdout!r}, expected digits in 0..9")
    if len(set(holdout)) > 8:
        raise ValueError(f"load_metric_digits: argument 'holdout' got {len(set(holdout))} digits; "
                         "at most 8 can be held out (training needs two digits)")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"load_metric_digits: argument 'test_fraction' got {test_fraction!r}, expected a number in (0, 1)")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"load_metric_digits: argument 'dtype' got {dtype!r}, expected a floating torch dtype")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X, y = data.data.astype(np.float64), data.target.astype(np.int64)
    new = np.isin(y, holdout)
    X_train, X_test, y_train, y_test = train_test_split(X[~new], y[~new], test_size=test_fraction,
                                                        random_state=seed, stratify=y[~new])
    mean, std = X_train.mean(), X_train.std()

    def x(a):
        return torch.as_tensor((a - mean) / std, dtype=dtype)

    def t(a):
        return torch.as_tensor(a, dtype=torch.int64)

    return MetricDigits(x(X_train), t(y_train), x(X_test), t(y_test), x(X[new]), t(y[new]))


def _labels(y, where):
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{where}: argument 'y' must be a 1-d array of integer labels, got shape {y.shape} and "
                         f"dtype {y.dtype}")
    return y


def _check_count(n, name, where):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{where}: argument {name!r} got {n!r}, expected a positive integer")


def _by_class(X, y, where):
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)} labels; they must match")
    classes = np.unique(y)
    groups = {int(c): np.flatnonzero(y == c) for c in classes}
    if len(classes) < 2:
        raise ValueError(f"{where}: y holds {len(classes)} class(es), expected at least 2 (a different pair needs two)")
    if not any(len(g) >= 2 for g in groups.values()):
        raise ValueError(f"{where}: no class has two samples, so no similar pair can be drawn")
    return classes, groups


def _same_class_pair(rng, classes, groups):
    """A class with at least two samples, and two distinct samples of it."""
    while True:
        c = int(rng.choice(classes))
        if len(groups[c]) >= 2:
            i, j = rng.choice(groups[c], size=2, replace=False)
            return c, int(i), int(j)


def make_pairs(X: torch.Tensor, y, n_pairs: int, *, seed: int = 0):
    r"""``n_pairs`` seeded pairs of samples, half similar (same label), half dissimilar.

    A similar pair: a class drawn uniformly, then two distinct samples of it. A dissimilar pair:
    two different classes drawn uniformly, then one sample of each. The order is shuffled.
    ``same[k] = 1`` for a similar pair (the convention of :func:`nbcourse.losses.contrastive`).

    Args:
        X: samples ``(N, *features)``. y: their integer labels ``(N,)``.
        n_pairs: how many pairs (``n_pairs // 2`` similar, the rest dissimilar).
        seed: seed of the draw (default 0).

    Returns:
        ``(pairs, same, index)``: ``pairs`` ``(n_pairs, 2, *features)`` (the two elements stacked,
        what :class:`~nbcourse.models.SiameseNetwork` takes), ``same`` ``(n_pairs,)`` int64 of 0/1,
        ``index`` ``(n_pairs, 2)`` int64 rows of ``X`` used.

    Examples::

        >>> X, y = torch.arange(12.0).reshape(6, 2), torch.tensor([0, 0, 1, 1, 2, 2])
        >>> pairs, same, index = make_pairs(X, y, 8, seed=0)
        >>> pairs.shape, int(same.sum())
        (torch.Size([8, 2, 2]), 4)
        >>> bool(((y[index[:, 0]] == y[index[:, 1]]).long() == same).all())
        True
    """
    where = "make_pairs"
    _check_count(n_pairs, "n_pairs", where)
    labels = _labels(y, where)
    classes, groups = _by_class(X, labels, where)
    rng = np.random.default_rng(seed)
    rows, same = [], []
    for k in range(n_pairs):
        if k < n_pairs // 2:
            _, i, j = _same_class_pair(rng, classes, groups)
            same.append(1)
        else:
            c1, c2 = rng.choice(classes, size=2, replace=False)
            i, j = int(rng.choice(groups[int(c1)])), int(rng.choice(groups[int(c2)]))
            same.append(0)
        rows.append((i, j))
    order = rng.permutation(n_pairs)
    index = torch.as_tensor(np.asarray(rows, dtype=np.int64)[order])
    X = torch.as_tensor(X)
    return X[index], torch.as_tensor(np.asarray(same, dtype=np.int64)[order]), index


def make_triplets(X: torch.Tensor, y, n_triplets: int, *, seed: int = 0):
    r"""``n_triplets`` seeded random triplets (anchor, positive, negative).

    Anchor and positive: two distinct samples of a class drawn uniformly; negative: a sample of
    another class drawn uniformly. These are *random* triplets, most of which become easy as
    training goes on (see :func:`nbcourse.metric.mine_triplets` for choosing them).

    Args:
        X: samples ``(N, *features)``. y: their integer labels ``(N,)``.
        n_triplets: how many. seed: seed of the draw (default 0).

    Returns:
        ``(triplets, labels, index)``: ``triplets`` ``(n_triplets, 3, *features)`` (anchor, positive,
        negative stacked), ``labels`` ``(n_triplets, 3)`` their labels, ``index`` ``(n_triplets, 3)``
        rows of ``X``.

    Examples::

        >>> X, y = torch.arange(12.0).reshape(6, 2), torch.tensor([0, 0, 1, 1, 2, 2])
        >>> triplets, labels, index = make_triplets(X, y, 5, seed=0)
        >>> triplets.shape
        torch.Size([5, 3, 2])
        >>> bool((labels[:, 0] == labels[:, 1]).all() and (labels[:, 0] != labels[:, 2]).all())
        True
    """
    where = "make_triplets"
    _check_count(n_triplets, "n_triplets", where)
    labels = _labels(y, where)
    classes, groups = _by_class(X, labels, where)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_triplets):
        c, a, p = _same_class_pair(rng, classes, groups)
        other = classes[classes != c]
        n = int(rng.choice(groups[int(rng.choice(other))]))
        rows.append((a, p, n))
    index = torch.as_tensor(np.asarray(rows, dtype=np.int64))
    X = torch.as_tensor(X)
    return X[index], torch.as_tensor(labels)[index], index
