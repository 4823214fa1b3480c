"""Pairs and triplets of digits: balanced, seeded, labels right, held-out digits really held out."""

import pytest
import torch

from nbcourse.data.pairs import load_metric_digits, make_pairs, make_triplets


def test_held_out_digits_are_not_in_training():
    data = load_metric_digits(holdout=(8, 9), seed=0)
    assert not ({8, 9} & set(data.y_train.tolist())) and not ({8, 9} & set(data.y_test.tolist()))
    assert set(data.y_new.tolist()) == {8, 9}
    assert data.X_train.shape[1] == 64 and data.X_train.dtype == torch.float32
    assert abs(float(data.X_train.mean())) < 1e-5 and abs(float(data.X_train.std()) - 1) < 1e-2
    assert len(data.X_train) + len(data.X_test) + len(data.X_new) == 1797
    assert set(load_metric_digits(holdout=()).y_train.tolist()) == set(range(10))


def test_pairs_are_balanced_labelled_and_seeded():
    data = load_metric_digits()
    pairs, same, index = make_pairs(data.X_train, data.y_train, 501, seed=3)
    assert pairs.shape == (501, 2, 64) and same.dtype == torch.int64
    assert int(same.sum()) == 250
    y = data.y_train
    assert torch.equal((y[index[:, 0]] == y[index[:, 1]]).long(), same)
    assert bool((index[:, 0] != index[:, 1]).all())  # a similar pair is two different samples
    torch.testing.assert_close(pairs[:, 0], data.X_train[index[:, 0]])
    again = make_pairs(data.X_train, data.y_train, 501, seed=3)
    assert torch.equal(again[2], index)
    assert not torch.equal(make_pairs(data.X_train, data.y_train, 501, seed=4)[2], index)


def test_triplets_have_their_roles():
    data = load_metric_digits()
    triplets, labels, index = make_triplets(data.X_train, data.y_train, 300, seed=0)
    assert triplets.shape == (300, 3, 64)
    assert bool((labels[:, 0] == labels[:, 1]).all() and (labels[:, 0] != labels[:, 2]).all())
    assert bool((index[:, 0] != index[:, 1]).all())
    assert len(set(labels[:, 0].tolist())) == 8  # every seen digit is an anchor somewhere


@pytest.mark.parametrize("call, match", [
    (lambda: make_pairs(torch.zeros(4, 2), torch.tensor([0, 0, 0, 0]), 4), "at least 2"),
    (lambda: make_pairs(torch.zeros(4, 2), torch.tensor([0, 1, 2, 3]), 4), "no class has two samples"),
    (lambda: make_pairs(torch.zeros(4, 2), torch.tensor([0, 1, 0]), 4), "must match"),
    (lambda: make_pairs(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]), 0), "n_pairs"),
    (lambda: make_triplets(torch.zeros(4, 2), torch.tensor([0.0, 1, 0, 1]), 3), "integer labels"),
    (lambda: load_metric_digits(holdout=(10,)), "holdout"),
    (lambda: load_metric_digits(test_fraction=1.0), "test_fraction"),
])
def test_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
