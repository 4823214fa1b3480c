r"""Shuffling and balancing: in which order, and how often, stochastic learning sees each sample.

In batch learning the order of the samples is irrelevant: every update sees all of them. In
stochastic and mini-batch learning it matters. The lecture's good practice: shuffle in every epoch,
so that each mini-batch is a uniform sample of the data and every sample is seen once per epoch;
balance the classes beforehand when possible, and otherwise emphasise the rare ones.

Samplers (``torch.utils.data.Sampler``\ s, one index at a time; each ``iter()`` is one epoch):

* :class:`EpochShuffler` a new random permutation every epoch (the default of good practice);
* :class:`ClassOrderedSampler` all samples of class 0, then class 1, ... (what not to do);
* :class:`BalancedSampler` draws with probability :math:`\propto 1/n_{c(i)}`, so every class is drawn
  equally often (like ``torch.utils.data.WeightedRandomSampler`` with those weights);
* :class:`VisitCounter` wraps any sampler and counts how often each sample was drawn.

:func:`loader` turns a sampler into a ``DataLoader`` of whole mini-batches (no per-sample
collation). :func:`class_weights` gives the weights of the other remedy, a weighted loss
(``F.cross_entropy(logits, y, weight=class_weights(y))``), and :func:`per_class_recall` measures
what an imbalance costs each class.

Example::

    >>> import torch
    >>> from nbcourse.sampling import EpochShuffler, VisitCounter
    >>> counter = VisitCounter(EpochShuffler(5, seed=0))
    >>> for epoch in range(3):
    ...     order = list(counter)
    >>> counter.counts.tolist()                     # every sample once per epoch
    [3, 3, 3, 3, 3]
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sized
from typing import Any

import torch
from torch.utils.data import BatchSampler, DataLoader, Sampler, TensorDataset

from nbcourse._arrays import describe

__all__ = [
    "EpochShuffler", "ClassOrderedSampler", "BalancedSampler", "VisitCounter",
    "loader", "class_counts", "class_weights", "per_class_recall",
]


def _labels(labels: Any, where: str, *, name: str = "labels") -> torch.Tensor:
    t = torch.as_tensor(labels) if not isinstance(labels, torch.Tensor) else labels
    if t.ndim != 1 or t.numel() == 0 or t.is_floating_point() or t.dtype == torch.bool:
        raise ValueError(f"{where}: argument '{name}' got {describe(labels)}, expected a non-empty "
                         f"1-D tensor of integer class indices")
    if int(t.min()) < 0:
        raise ValueError(f"{where}: argument '{name}' holds {int(t.min())}, expected class indices >= 0")
    return t.detach().cpu().long()


def _count(value: Any, name: str, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{where}: argument {name!r} got {describe(value)}, expected an integer >= {minimum}")
    return int(value)


class EpochShuffler(Sampler[int]):
    r"""A new random order of ``range(n)`` in every epoch (every ``iter()``), seeded.

    Epoch :math:`e` uses the permutation drawn from ``torch.Generator().manual_seed(seed + e)``, so
    a run is repeatable and each epoch differs. Every sample is seen exactly once per epoch.

    Args:
        n: the number of samples.
        seed: the seed of epoch 0. Default: 0

    Example::

        >>> s = EpochShuffler(4, seed=1)
        >>> sorted(s) == [0, 1, 2, 3], list(s) != list(s)
        (True, True)
    """

    def __init__(self, n: int, *, seed: int = 0) -> None:
        self.n = _count(n, "n", "EpochShuffler")
        self.seed = int(seed)
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        self.epoch += 1
        return iter(torch.randperm(self.n, generator=generator).tolist())

    def __len__(self) -> int:
        return self.n


class ClassOrderedSampler(Sampler[int]):
    r"""The samples sorted by class: every sample of class 0, then of class 1, ..., the same each epoch.

    Within a class the original order is kept. Trained in this order, a network sees one class for
    a long stretch of updates and forgets the ones before it.

    Args:
        labels: class indices, shape ``(m,)``.

    Example::

        >>> list(ClassOrderedSampler(torch.tensor([1, 0, 1, 0])))
        [1, 3, 0, 2]
    """

    def __init__(self, labels: Any) -> None:
        labels = _labels(labels, "ClassOrderedSampler")
        self.order = torch.sort(labels, stable=True).indices.tolist()

    def __iter__(self) -> Iterator[int]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)


class BalancedSampler(Sampler[int]):
    r"""Resample so that every class is drawn equally often: sample :math:`i` with probability

    .. math::
        P(i) = \frac{1/n_{c(i)}}{\sum_j 1/n_{c(j)}} = \frac{1}{K\,n_{c(i)}},

    :math:`n_c` the number of samples of class :math:`c`, :math:`K` the number of classes present.
    Rare samples are drawn several times per epoch, common ones are sometimes skipped: the
    resampling remedy for an imbalanced data set.

    Args:
        labels: class indices, shape ``(m,)``.
        num_samples: draws per epoch. Default: ``m``, the size of the data set
        replacement: draw with replacement (``False`` draws each sample at most once per epoch,
            and needs ``num_samples <= m``). Default: True
        seed: the seed of epoch 0; epoch :math:`e` uses ``seed + e``. Default: 0

    Example::

        >>> y = torch.tensor([0] * 90 + [1] * 10)
        >>> drawn = y[list(BalancedSampler(y, num_samples=10_000, seed=0))]
        >>> round(drawn.float().mean().item(), 1)        # about half of the draws are class 1
        0.5
    """

    def __init__(self, labels: Any, *, num_samples: int | None = None, replacement: bool = True,
                 seed: int = 0) -> None:
        labels = _labels(labels, "BalancedSampler")
        counts = torch.bincount(labels)
        self.weights = (1.0 / counts.double())[labels]                     # (m,): 1 / n_c(i)
        self.num_samples = len(labels) if num_samples is None else _count(num_samples, "num_samples", "BalancedSampler")
        if not replacement and self.num_samples > len(labels):
            raise ValueError(f"BalancedSampler: num_samples={self.num_samples} draws without replacement "
                             f"from {len(labels)} samples; pass replacement=True or num_samples <= {len(labels)}")
        self.replacement = bool(replacement)
        self.seed = int(seed)
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        self.epoch += 1
        drawn = torch.multinomial(self.weights, self.num_samples, self.replacement, generator=generator)
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class VisitCounter(Sampler[int]):
    """Wrap a sampler and count how many times each sample index is drawn.

    Args:
        sampler: any sampler (or iterable of indices with a length).
        n: the number of samples (the length of ``counts``). Default: ``len(sampler)``

    Attributes:
        counts: visits per sample so far, a tensor of shape ``(n,)``.
        epochs: how many epochs (``iter()`` calls run to the end) have passed.

    Example::

        >>> c = VisitCounter(ClassOrderedSampler(torch.tensor([0, 1, 0])))
        >>> _ = list(c); _ = list(c)
        >>> c.counts.tolist(), c.epochs
        ([2, 2, 2], 2)
    """

    def __init__(self, sampler: Any, *, n: int | None = None) -> None:
        if not isinstance(sampler, Sized):
            raise TypeError(f"VisitCounter: argument 'sampler' got {describe(sampler)}, expected a sampler with a length")
        self.sampler = sampler
        self.counts = torch.zeros(len(sampler) if n is None else _count(n, "n", "VisitCounter"), dtype=torch.long)
        self.epochs = 0

    def __iter__(self) -> Iterator[int]:
        for index in self.sampler:
            self.counts[index] += 1
            yield index
        self.epochs += 1

    def __len__(self) -> int:
        return len(self.sampler)


def loader(X: torch.Tensor, y: torch.Tensor, *, sampler: Any, batch_size: int,
           drop_last: bool = False) -> DataLoader:
    """A ``DataLoader`` that draws mini-batches of ``(X, y)`` in the order of ``sampler``.

    Each mini-batch is fetched with one indexing operation (``X[indices]``), not sample by sample,
    so it is as fast as batching by index.

    Args:
        X: inputs, shape ``(m, ...)``.
        y: targets, shape ``(m, ...)``.
        sampler: the order (one index at a time), e.g. :class:`EpochShuffler`.
        batch_size: samples per mini-batch.
        drop_last: drop a last, smaller mini-batch. Default: False

    Example::

        >>> X, y = torch.arange(10.0).reshape(5, 2), torch.tensor([0, 1, 0, 1, 0])
        >>> [yb.tolist() for _, yb in loader(X, y, sampler=ClassOrderedSampler(y), batch_size=3)]
        [[0, 0, 0], [1, 1]]
    """
    if len(X) != len(y):
        raise ValueError(f"loader: X has {len(X)} samples but y has {len(y)}; they must match")
    batches = BatchSampler(sampler, _count(batch_size, "batch_size", "loader"), drop_last)
    # batch_size=None: the dataset is indexed with a whole list of indices at once
    return DataLoader(TensorDataset(X, y), sampler=batches, batch_size=None)


def class_counts(labels: Any, *, num_classes: int | None = None) -> torch.Tensor:
    """How many samples each class has, shape ``(num_classes,)``.

    Example::

        >>> class_counts(torch.tensor([0, 2, 2])).tolist()
        [1, 0, 2]
    """
    labels = _labels(labels, "class_counts")
    k = int(labels.max()) + 1 if num_classes is None else _count(num_classes, "num_classes", "class_counts")
    if int(labels.max()) >= k:
        raise ValueError(f"class_counts: labels hold class {int(labels.max())}, but num_classes={k} (0..{k - 1})")
    return torch.bincount(labels, minlength=k)


def class_weights(labels: Any, *, num_classes: int | None = None) -> torch.Tensor:
    r"""Per-class loss weights that give every class the same total weight.

    .. math::
        w_c = \frac{m}{K\,n_c}

    (scikit-learn's ``class_weight="balanced"``): with ``F.cross_entropy(logits, y, weight=w)``
    each class contributes as if all :math:`K` classes had :math:`m/K` samples. A class with no
    samples gets weight 0.

    Args:
        labels: class indices, shape ``(m,)``.
        num_classes: :math:`K`. Default: ``labels.max() + 1``

    Returns:
        a float32 tensor of shape ``(K,)``.

    Example::

        >>> class_weights(torch.tensor([0, 0, 0, 1])).tolist()
        [0.6666666865348816, 2.0]
    """
    counts = class_counts(labels, num_classes=num_classes).double()
    present = int((counts > 0).sum())
    weights = torch.where(counts > 0, counts.sum() / (present * counts.clamp(min=1)), torch.zeros_like(counts))
    return weights.float()


def per_class_recall(y_hat: torch.Tensor, y: torch.Tensor, *,
                     num_classes: int | None = None) -> torch.Tensor:
    r"""Recall of each class: the fraction of its samples predicted as that class.

    .. math::
        \text{recall}_c = \frac{\#\{i : \hat y_i = c,\ y_i = c\}}{\#\{i : y_i = c\}}

    Args:
        y_hat: predicted classes, shape ``(m,)``, or logits / probabilities ``(m, K)``
            (the arg-max is taken).
        y: true classes, shape ``(m,)``.
        num_classes: :math:`K`. Default: from the logits, or ``y.max() + 1``

    Returns:
        a tensor of shape ``(K,)``; NaN for a class without samples.

    Example::

        >>> per_class_recall(torch.tensor([0, 0, 1, 0]), torch.tensor([0, 0, 1, 1])).tolist()
        [1.0, 0.5]
    """
    y = _labels(y, "per_class_recall", name="y")
    y_hat = torch.as_tensor(y_hat).detach().cpu()
    if y_hat.ndim == 2:
        num_classes = y_hat.shape[1] if num_classes is None else num_classes
        y_hat = y_hat.argmax(dim=1)
    if y_hat.shape != y.shape:
        raise ValueError(f"per_class_recall: y_hat (the predictions) has shape {tuple(y_hat.shape)} but y (the "
                         f"targets) {tuple(y.shape)}; expected one prediction (or one row of logits) per target")
    k = class_counts(y, num_classes=num_classes).numel()
    hits = torch.bincount(y[y_hat.long() == y], minlength=k).double()
    totals = torch.bincount(y, minlength=k).double()
    return torch.where(totals > 0, hits / totals.clamp(min=1), torch.full_like(totals, float("nan")))
