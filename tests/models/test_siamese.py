"""SiameseNetwork: shapes, errors, shared weights (one parameter set, gradients from both branches),
symmetry, and a seeded run in which similar pairs end closer than dissimilar ones."""

import pytest
import torch
from torch import nn

from nbcourse.losses import ContrastiveLoss, contrastive
from nbcourse.metric import PairLoss, pair_distance_report
from nbcourse.models import MLP, SiameseNetwork
from nbcourse.train import Trainer


def test_shapes_pair_stacked_and_embed():
    model = SiameseNetwork(in_features=6, hidden_sizes=(8,), embedding_dim=3, seed=0)
    x1, x2 = torch.randn(5, 6), torch.randn(5, 6)
    e1, e2 = model(x1, x2)
    assert e1.shape == e2.shape == (5, 3)
    stacked = model(torch.stack([x1, x2], dim=1))
    assert stacked.shape == (5, 2, 3)
    torch.testing.assert_close(stacked[:, 0], e1)
    torch.testing.assert_close(stacked[:, 1], e2)
    torch.testing.assert_close(model.embed(x1), e1)
    assert model.distance(x1, x2).shape == (5,)


def test_one_parameter_set_shared_by_both_branches():
    model = SiameseNetwork(in_features=6, hidden_sizes=(8,), embedding_dim=3, seed=0)
    branch = MLP(6, (8,), 3, seed=0)
    # exactly the parameters of one branch, not two copies
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in branch.parameters())
    x = torch.randn(4, 6)
    e1, e2 = model(x, x)
    torch.testing.assert_close(e1, e2)  # same input, same weights: same embedding


def test_gradient_is_the_sum_of_both_branches():
    torch.manual_seed(0)
    model = SiameseNetwork(in_features=4, hidden_sizes=(5,), embedding_dim=2, seed=1).double()
    x1, x2 = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    same = torch.tensor([1, 0, 1])
    e1, e2 = model(x1, x2)
    contrastive(e1, e2, same, margin=2.0).backward()
    total = [p.grad.clone() for p in model.parameters()]
    # through branch 1 only (branch 2's output treated as a constant), then branch 2 only
    parts = []
    for detach_first in (False, True):
        model.zero_grad()
        e1, e2 = model(x1, x2)
        e1, e2 = (e1.detach(), e2) if detach_first else (e1, e2.detach())
        contrastive(e1, e2, same, margin=2.0).backward()
        parts.append([p.grad.clone() for p in model.parameters()])
    for t, a, b in zip(total, *parts):
        assert a.abs().sum() > 0 and b.abs().sum() > 0  # both branches contribute
        torch.testing.assert_close(t, a + b)


def test_symmetric_distance_and_custom_branch():
    branch = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model = SiameseNetwork(branch)
    assert model.embedding is branch
    x1, x2 = torch.randn(7, 3), torch.randn(7, 3)
    torch.testing.assert_close(model.distance(x1, x2), model.distance(x2, x1))
    assert bool((model.distance(x1, x1) == 0).all())


def test_seed_fixes_initial_weights():
    a = SiameseNetwork(seed=3)
    b = SiameseNetwork(seed=3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("call, match", [
    (lambda m: m(torch.randn(4, 3, 6)), r"\(N, 2, \.\.\.\)"),
    (lambda m: m(torch.randn(4, 6), torch.randn(3, 6)), "'x2' has shape"),
    (lambda m: m([1.0], torch.randn(3, 6)), "'x1' got list"),
    (lambda m: m(torch.randn(4, 6), torch.randn(4, 6), torch.randn(4, 6)), "expected 2 tensors"),
])
def test_wrong_inputs_name_the_argument(call, match):
    model = SiameseNetwork(in_features=6, hidden_sizes=(8,), embedding_dim=3, seed=0)
    with pytest.raises((ValueError, TypeError), match=match):
        call(model)


def test_constructor_errors():
    with pytest.raises(TypeError, match="embedding_net"):
        SiameseNetwork("mlp")
    with pytest.raises(ValueError, match="embedding_dim"):
        SiameseNetwork(embedding_dim=0)


def _clusters(n, seed):
    """Four classes of 10-d points around random centres, as stacked pairs (half similar)."""
    g = torch.Generator().manual_seed(seed)
    centres = 3.0 * torch.randn(4, 10, generator=g)
    y = torch.arange(n) % 4
    X = centres[y] + 1.0 * torch.randn(n, 10, generator=g)
    from nbcourse.data.pairs import make_pairs

    return make_pairs(X, y, n, seed=seed)[:2]


def test_it_learns_similar_pairs_end_closer_than_dissimilar_ones():
    pairs, same = _clusters(400, seed=0)
    val_pairs, val_same = _clusters(400, seed=1)
    model = SiameseNetwork(in_features=10, hidden_sizes=(16,), embedding_dim=2, seed=0)

    def report():
        with torch.no_grad():
            return pair_distance_report(model.distance(val_pairs[:, 0], val_pairs[:, 1]), val_same)

    before = report()
    trainer = Trainer(model, PairLoss(ContrastiveLoss(margin=1.0)), torch.optim.Adam(model.parameters(), lr=1e-2),
                      device="cpu", seed=0)
    history = trainer.fit((pairs, same), epochs=8, batch_size=32)
    after = report()
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    # the same-pair distance falls relative to the different-pair distance, on pairs never trained on
    assert after["ratio"] > 1.5 * before["ratio"]
    assert after["auc"] > before["auc"] + 0.05 and after["auc"] > 0.9
