"""Tests of nbcourse.data.imbalance: make_imbalanced and flip_labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nbcourse.data import flip_labels, make_imbalanced


def test_make_imbalanced_keeps_the_fraction_and_the_order():
    y = torch.arange(1000) % 10
    X = torch.arange(1000.0).unsqueeze(1)
    Xi, yi = make_imbalanced(X, y, keep={3: 0.05, 7: 0.5}, seed=1)
    counts = torch.bincount(yi, minlength=10).tolist()
    assert counts[3] == 5 and counts[7] == 50 and all(counts[c] == 100 for c in range(10) if c not in (3, 7))
    assert torch.all(Xi[1:, 0] > Xi[:-1, 0])                    # original order kept
    assert torch.equal(y[Xi[:, 0].long()], yi)                  # rows and labels stay paired
    assert not torch.equal(make_imbalanced(X, y, keep={3: 0.05}, seed=2)[0], make_imbalanced(X, y, keep={3: 0.05}, seed=1)[0])


def test_make_imbalanced_accepts_numpy_and_keeps_at_least_one():
    Xi, yi = make_imbalanced(np.zeros((20, 2)), np.array([0] * 10 + [1] * 10), keep={1: 0.01})
    assert isinstance(Xi, torch.Tensor) and torch.bincount(yi).tolist() == [10, 1]


@pytest.mark.parametrize("keep,match", [({3: 0.0}, "fraction"), ({3: 1.5}, "fraction"), ({}, "dict"), ({11: 0.5}, "no sample")])
def test_make_imbalanced_bad_input(keep, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_imbalanced(torch.zeros(20, 1), torch.arange(20) % 10, keep=keep)


def test_flip_labels_changes_exactly_the_fraction_to_other_classes():
    y = torch.arange(500) % 10
    noisy, flipped = flip_labels(y, fraction=0.2, num_classes=10, seed=0)
    assert int(flipped.sum()) == 100
    assert torch.all(noisy[flipped] != y[flipped]) and torch.equal(noisy[~flipped], y[~flipped])
    assert noisy.min() >= 0 and noisy.max() <= 9
    assert len(set(noisy[flipped].tolist())) == 10             # spread over the classes
    assert torch.equal(flip_labels(y, fraction=0.2, num_classes=10, seed=0)[0], noisy)
    assert torch.equal(flip_labels(y, fraction=0.0, num_classes=10)[0], y)


@pytest.mark.parametrize("kwargs,match", [
    (dict(fraction=1.5, num_classes=10), "fraction"),
    (dict(fraction=0.1, num_classes=1), "num_classes"),
    (dict(fraction=0.1, num_classes=5), "outside"),
])
def test_flip_labels_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        flip_labels(torch.arange(10), **kwargs)
