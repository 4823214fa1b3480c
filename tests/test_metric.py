"""nbcourse.metric: measures against scikit-learn and by hand, the trainer adapters, the margin study's shape."""

import numpy as np
import pytest
import torch

from nbcourse.losses import ContrastiveLoss, contrastive, triplet
from nbcourse.metric import (PairLoss, TripletStackLoss, knn_accuracy, pair_distance_report, pairwise_distances,
                             roc_auc)


def test_roc_auc_agrees_with_scikit_learn_ties_included():
    from sklearn.metrics import roc_auc_score

    g = np.random.default_rng(0)
    d = np.round(g.random(200), 1)          # many ties
    same = g.integers(0, 2, 200)
    # "similar when the distance is small": the score of "similar" is -d
    assert roc_auc(torch.tensor(d), torch.tensor(same)) == pytest.approx(roc_auc_score(same, -d))


def test_pair_distance_report_by_hand():
    d, s = torch.tensor([0.1, 0.3, 0.2, 0.9, 0.25]), torch.tensor([1, 1, 0, 0, 0])
    r = pair_distance_report(d, s, bins=4)
    assert r["mean_same"] == pytest.approx(0.2) and r["mean_diff"] == pytest.approx(0.45)
    assert r["ratio"] == pytest.approx(2.25)
    # thresholds: "same if d < t"; the best cut keeps 0.1 alone (4 of 5 right)
    assert r["accuracy"] == pytest.approx(0.8)
    assert 0.0 <= r["overlap"] <= 1.0
    with pytest.raises(ValueError, match="both similar"):
        roc_auc(d, torch.ones(5))


def test_knn_accuracy_leave_one_out_reference_and_k():
    X = torch.tensor([[0.0], [0.1], [0.2], [5.0], [5.1], [0.6]])
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    # leave-one-out: the lonely 1 at 0.6 (nearest: the 0 at 0.2) is wrong, every other point right
    assert knn_accuracy(X, y) == pytest.approx(5 / 6)
    assert knn_accuracy(X, y, k=3) == pytest.approx(5 / 6)
    assert knn_accuracy(torch.tensor([[4.0], [0.0]]), torch.tensor([1, 0]), X_ref=X[:5], y_ref=y[:5]) == 1.0
    with pytest.raises(ValueError, match="'k'"):
        knn_accuracy(X, y, k=0)


def test_pairwise_distances():
    E = torch.randn(7, 3)
    torch.testing.assert_close(pairwise_distances(E), torch.cdist(E, E))


def test_adapters_call_the_losses_on_the_stacked_outputs():
    y_hat = torch.randn(5, 2, 3)
    same = torch.tensor([1, 0, 1, 0, 0])
    torch.testing.assert_close(PairLoss(ContrastiveLoss(margin=0.7))(y_hat, same),
                               contrastive(y_hat[:, 0], y_hat[:, 1], same, margin=0.7))
    torch.testing.assert_close(PairLoss()(y_hat, same), contrastive(y_hat[:, 0], y_hat[:, 1], same))
    t = torch.randn(5, 3, 3)
    torch.testing.assert_close(TripletStackLoss(margin=0.3)(t, None), triplet(t[:, 0], t[:, 1], t[:, 2], margin=0.3, eps=0.0))
    with pytest.raises(ValueError, match=r"\(N, 2, D\)"):
        PairLoss()(torch.randn(5, 3), same)
    with pytest.raises(ValueError, match=r"\(N, 3, D\)"):
        TripletStackLoss()(y_hat, None)
    assert PairLoss.targets == ("pairs",) and TripletStackLoss.targets == ("triplets",)


def test_the_trainer_preflight_accepts_the_pair_loss_and_rejects_the_bare_one():
    from nbcourse.models import SiameseNetwork
    from nbcourse.train import Trainer

    model = SiameseNetwork(in_features=4, hidden_sizes=(4,), embedding_dim=2, seed=0)
    pairs, same = torch.randn(32, 2, 4), torch.arange(32) % 2
    history = Trainer(model, PairLoss(), torch.optim.SGD(model.parameters(), lr=0.1), device="cpu",
                      seed=0).fit((pairs, same), epochs=1, batch_size=16)
    assert len(history["train_loss"]) == 1
    # the pair loss itself takes three arguments: the pre-flight says so before training
    with pytest.raises((TypeError, ValueError), match="contrastive|ContrastiveLoss"):
        Trainer(model, ContrastiveLoss(), torch.optim.SGD(model.parameters(), lr=0.1), device="cpu",
                seed=0).fit((pairs, same), epochs=1, batch_size=16)
