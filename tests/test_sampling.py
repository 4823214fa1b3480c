"""Tests of nbcourse.sampling: orders, visit counts, balancing, class weights and per-class recall."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import WeightedRandomSampler

from nbcourse.sampling import (
    BalancedSampler, ClassOrderedSampler, EpochShuffler, VisitCounter, class_counts, class_weights, loader,
    per_class_recall,
)


def test_epoch_shuffler_is_a_new_permutation_each_epoch_and_repeatable():
    s = EpochShuffler(50, seed=3)
    epochs = [list(s) for _ in range(4)]
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert len({tuple(e) for e in epochs}) == 4
    again = EpochShuffler(50, seed=3)
    assert [list(again) for _ in range(4)] == epochs
    assert len(s) == 50


def test_visit_counter_every_sample_once_per_epoch_with_shuffling():
    counter = VisitCounter(EpochShuffler(37, seed=0))
    for _ in range(5):
        list(counter)
    assert counter.counts.tolist() == [5] * 37 and counter.epochs == 5


def test_visit_counter_with_replacement_misses_some_samples():
    y = torch.arange(200) % 2
    counter = VisitCounter(BalancedSampler(y, seed=0), n=200)
    list(counter)
    assert counter.counts.sum() == 200
    assert (counter.counts == 0).sum() > 30              # about 1/e of the samples are never drawn


def test_class_ordered_sampler():
    y = torch.tensor([2, 0, 1, 0, 2, 1])
    order = list(ClassOrderedSampler(y))
    assert y[order].tolist() == [0, 0, 1, 1, 2, 2]
    assert order == [1, 3, 2, 5, 0, 4]                   # stable within a class
    assert list(ClassOrderedSampler(y)) == order


def test_balanced_sampler_matches_weighted_random_sampler_probabilities():
    y = torch.tensor([0] * 80 + [1] * 15 + [2] * 5)
    ours = BalancedSampler(y, num_samples=30000, seed=0)
    counts = torch.bincount(y)
    theirs = WeightedRandomSampler((1.0 / counts.double())[y], 30000, generator=torch.Generator().manual_seed(0))
    for sampler in (ours, theirs):
        share = torch.bincount(y[list(sampler)], minlength=3).double() / 30000
        assert torch.allclose(share, torch.full((3,), 1 / 3, dtype=torch.float64), atol=0.015)
    assert torch.allclose(ours.weights, (1.0 / counts.double())[y])


def test_balanced_sampler_without_replacement():
    y = torch.tensor([0] * 8 + [1] * 2)
    drawn = list(BalancedSampler(y, num_samples=10, replacement=False, seed=1))
    assert sorted(drawn) == list(range(10))
    with pytest.raises(ValueError, match="replacement"):
        BalancedSampler(y, num_samples=11, replacement=False)


def test_class_weights_match_scikit_learn_balanced():
    from sklearn.utils.class_weight import compute_class_weight

    y = np.array([0] * 50 + [1] * 30 + [2] * 5)
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y)
    assert np.allclose(class_weights(torch.tensor(y)).numpy(), expected)


def test_weighted_cross_entropy_gives_each_class_the_same_total_weight():
    y = torch.tensor([0] * 90 + [1] * 10)
    w = class_weights(y)
    per_sample = w[y]
    assert per_sample[y == 0].sum() == pytest.approx(per_sample[y == 1].sum())
    logits = torch.randn(100, 2)
    manual = (per_sample * F.cross_entropy(logits, y, reduction="none")).sum() / per_sample.sum()
    assert F.cross_entropy(logits, y, weight=w) == pytest.approx(float(manual), rel=1e-5)


def test_class_weights_absent_class_and_counts():
    assert class_weights(torch.tensor([0, 0, 2]), num_classes=4).tolist() == [0.75, 0.0, 1.5, 0.0]
    assert class_counts(torch.tensor([1, 1, 3])).tolist() == [0, 2, 0, 1]
    with pytest.raises(ValueError, match="num_classes"):
        class_counts(torch.tensor([5]), num_classes=3)


def test_loader_batches_in_the_samplers_order():
    X = torch.arange(20.0).reshape(10, 2)
    y = torch.tensor([1, 0] * 5)
    batches = list(loader(X, y, sampler=ClassOrderedSampler(y), batch_size=4))
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    assert torch.cat([yb for _, yb in batches]).tolist() == [0] * 5 + [1] * 5
    xb, yb = batches[0]
    assert torch.equal(xb, X[[1, 3, 5, 7]])


def test_per_class_recall():
    targets = torch.tensor([0, 0, 1, 1, 1, 2])
    preds = torch.tensor([0, 1, 1, 1, 0, 0])
    assert per_class_recall(preds, targets).tolist() == pytest.approx([0.5, 2 / 3, 0.0])
    logits = F.one_hot(preds, 4).float()
    r = per_class_recall(logits, targets)
    assert r.shape == (4,) and torch.isnan(r[3])


def test_bad_input():
    with pytest.raises(ValueError, match="EpochShuffler.*'n'"):
        EpochShuffler(0)
    with pytest.raises(ValueError, match="class indices"):
        ClassOrderedSampler(torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match=">= 0"):
        BalancedSampler(torch.tensor([-1, 0]))
    with pytest.raises(ValueError, match="shape"):
        per_class_recall(torch.tensor([0, 1]), torch.tensor([0, 1, 1]))
    with pytest.raises(TypeError, match="length"):
        VisitCounter(iter([1, 2]))
