"""TripletNetwork and triplet mining: shapes, shared weights, mining categories on hand-made cases,
and seeded runs that learn an embedding in which nearest neighbours share a class."""

import pytest
import torch

from nbcourse.losses import triplet
from nbcourse.metric import (BatchTripletLoss, TripletStackLoss, count_triplets, knn_accuracy, mine_triplets,
                             triplet_categories)
from nbcourse.models import MLP, TripletNetwork
from nbcourse.train import Trainer


def test_shapes():
    model = TripletNetwork(in_features=6, hidden_sizes=(8,), embedding_dim=3, seed=0)
    a, p, n = (torch.randn(5, 6) for _ in range(3))
    out = model(a, p, n)
    assert [e.shape for e in out] == [(5, 3)] * 3
    stacked = model(torch.stack([a, p, n], dim=1))
    assert stacked.shape == (5, 3, 3)
    for k in range(3):
        torch.testing.assert_close(stacked[:, k], out[k])
    d_ap, d_an = model.distances(a, p, n)
    assert d_ap.shape == d_an.shape == (5,)


def test_one_parameter_set_and_gradients_from_all_three_branches():
    model = TripletNetwork(in_features=4, hidden_sizes=(5,), embedding_dim=2, seed=0).double()
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in MLP(4, (5,), 2).parameters())
    a, p, n = (torch.randn(6, 4, dtype=torch.float64) for _ in range(3))
    e = model(a, p, n)
    triplet(*e, margin=5.0).backward()   # a large margin: every triplet contributes
    total = [q.grad.clone() for q in model.parameters()]
    parts = []
    for keep in range(3):
        model.zero_grad()
        e = [x if k == keep else x.detach() for k, x in enumerate(model(a, p, n))]
        triplet(*e, margin=5.0).backward()
        parts.append([q.grad.clone() for q in model.parameters()])
    for t, *branch in zip(total, *parts):
        assert all(b.abs().sum() > 0 for b in branch)
        torch.testing.assert_close(t, sum(branch))


def test_wrong_input():
    model = TripletNetwork(in_features=6, hidden_sizes=(8,), embedding_dim=3, seed=0)
    with pytest.raises(ValueError, match=r"\(N, 3, \.\.\.\)"):
        model(torch.randn(4, 2, 6))
    with pytest.raises(ValueError, match="'negative' has shape"):
        model(torch.randn(4, 6), torch.randn(4, 6), torch.randn(2, 6))


# ----------------------------------------------------------------------------- categories and mining

def test_categories_on_hand_made_distances():
    d_ap = torch.tensor([1.0, 1.0, 1.0, 1.0, 2.0, 0.0])
    d_an = torch.tensor([2.5, 2.0, 1.5, 0.5, 2.0, 0.0])
    # easy (>= d_ap + m), easy at the boundary (loss exactly 0), semi-hard, hard, semi-hard (d_an = d_ap), semi
    assert triplet_categories(d_ap, d_an, margin=1.0).tolist() == [0, 0, 1, 2, 1, 1]
    # the categories are those of the loss: easy <=> loss 0, hard <=> loss > margin
    loss = (1.0 + d_ap - d_an).clamp(min=0)
    codes = triplet_categories(d_ap, d_an, margin=1.0)
    assert bool((loss[codes == 0] == 0).all()) and bool((loss[codes == 2] > 1.0).all())
    assert triplet_categories(torch.tensor([1.0]), torch.tensor([1.0]), margin=0.0).tolist() == [0]


def test_count_triplets_by_hand():
    # 1-d embeddings; classes 0: {0.0, 0.5}, 1: {3.0, 0.2}
    E = torch.tensor([[0.0], [0.5], [3.0], [0.2]])
    counts = count_triplets(E, torch.tensor([0, 0, 1, 1]), margin=1.0)
    assert counts == {"easy": 2, "semi-hard": 1, "hard": 5, "total": 8}


def test_mining_picks_the_right_negative():
    # anchor 0 at 0, positive 1 at 1.0; negatives of class 1 at 0.5 (hard), 1.6 (semi-hard), 4.0 (easy)
    E = torch.tensor([[0.0], [1.0], [0.5], [1.6], [4.0]])
    y = torch.tensor([0, 0, 1, 1, 1])
    for strategy, expected in (("hardest", 2), ("semi-hard", 3)):
        a, p, n = mine_triplets(E, y, strategy=strategy)
        chosen = {(int(i), int(j)): int(k) for i, j, k in zip(a, p, n)}
        assert chosen[(0, 1)] == expected, strategy
    a, p, n = mine_triplets(E, y, strategy="random", generator=torch.Generator().manual_seed(0))
    assert bool((y[a] == y[p]).all() and (y[a] != y[n]).all() and (a != p).all())
    assert len(a) == 2 + 3 * 2  # every anchor-positive pair: 2 in class 0, 6 in class 1


def test_semi_hard_falls_back_to_the_farthest_negative_when_all_are_closer():
    E = torch.tensor([[0.0], [5.0], [1.0], [2.0]])
    a, p, n = mine_triplets(E, torch.tensor([0, 0, 1, 1]), strategy="semi-hard")
    assert {(int(i), int(j)): int(k) for i, j, k in zip(a, p, n)}[(0, 1)] == 3


def test_batch_loss_equals_the_loss_on_mined_triplets_and_handles_a_batch_without_triplets():
    torch.manual_seed(0)
    E, y = torch.randn(12, 2, requires_grad=True), torch.arange(12) % 3
    loss_fn = BatchTripletLoss(margin=0.5, mining="hardest")
    a, p, n = mine_triplets(E, y, strategy="hardest")
    torch.testing.assert_close(loss_fn(E, y), triplet(E[a], E[p], E[n], margin=0.5, eps=0.0))
    assert sum(loss_fn.last_counts.values()) == len(a)
    lonely = loss_fn(E[:3], torch.tensor([0, 1, 2]))  # no positive pair
    lonely.backward()
    assert float(lonely.detach()) == 0.0


def test_mining_errors():
    with pytest.raises(ValueError, match="strategy"):
        mine_triplets(torch.zeros(3, 2), torch.tensor([0, 0, 1]), strategy="hard")
    with pytest.raises(ValueError, match="labels has 2"):
        mine_triplets(torch.zeros(3, 2), torch.tensor([0, 0]))
    with pytest.raises(TypeError, match="labels.long"):
        count_triplets(torch.zeros(3, 2), torch.tensor([0.0, 0.0, 1.0]))


# ----------------------------------------------------------------------------- it learns

def _blobs(n, seed):
    g = torch.Generator().manual_seed(seed)
    centres = 1.5 * torch.randn(5, 12, generator=g)
    y = torch.arange(n) % 5
    return centres[y] + 1.0 * torch.randn(n, 12, generator=g), y


def test_it_learns_with_mined_triplets_knn_accuracy_rises():
    X, y = _blobs(300, seed=0)
    X_val = X + 0.5 * torch.randn(300, 12, generator=torch.Generator().manual_seed(1))  # perturbed copies
    model = TripletNetwork(in_features=12, hidden_sizes=(16,), embedding_dim=2, seed=0)
    with torch.no_grad():
        before = knn_accuracy(model.embed(X_val), y, X_ref=model.embed(X), y_ref=y)
        counts_before = count_triplets(model.embed(X[:60]), y[:60], margin=0.5)
    trainer = Trainer(model.embedding, BatchTripletLoss(margin=0.5, mining="semi-hard"),
                      torch.optim.Adam(model.parameters(), lr=1e-2), device="cpu", seed=0)
    history = trainer.fit((X, y), epochs=10, batch_size=60)
    with torch.no_grad():
        after = knn_accuracy(model.embed(X_val), y, X_ref=model.embed(X), y_ref=y)
        counts_after = count_triplets(model.embed(X[:60]), y[:60], margin=0.5)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert after > before and after > 0.9
    assert counts_after["easy"] > counts_before["easy"] and counts_after["hard"] < counts_before["hard"]


def test_given_triplets_through_the_trainer():
    X, y = _blobs(200, seed=2)
    from nbcourse.data.pairs import make_triplets

    triplets, labels, _ = make_triplets(X, y, 600, seed=0)
    model = TripletNetwork(in_features=12, hidden_sizes=(16,), embedding_dim=2, seed=0)
    trainer = Trainer(model, TripletStackLoss(margin=1.0), torch.optim.Adam(model.parameters(), lr=1e-2),
                      device="cpu", seed=0)
    history = trainer.fit((triplets, labels), epochs=5, batch_size=50)
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
