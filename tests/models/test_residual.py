"""nbcourse.models.residual: the residual MLP, with and without its skips."""

from __future__ import annotations

import pytest
import torch

from nbcourse.models.residual import ResidualMLP


def test_shapes_and_names():
    model = ResidualMLP(64, width=16, depth=3, seed=0)
    assert model(torch.randn(5, 64)).shape == (5, 10)
    assert model(torch.randn(5, 1, 8, 8)).shape == (5, 10)
    names = [n for n, _ in model.layers.named_children()]
    assert names == ["fc0", "fc1", "act1", "fc2", "act2", "fc3", "act3", "out"]


def test_same_seed_same_weights_with_and_without_skips():
    a = ResidualMLP(width=8, depth=2, residual=True, seed=3)
    b = ResidualMLP(width=8, depth=2, residual=False, seed=3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_forward_matches_the_formula():
    model = ResidualMLP(4, width=3, depth=2, out_features=2, activation="tanh", seed=0)
    x = torch.randn(7, 4)
    L = model.layers
    h = L.fc0(x)
    h = h + torch.tanh(L.fc1(h))
    h = h + torch.tanh(L.fc2(h))
    torch.testing.assert_close(model(x), L.out(h))
    plain = ResidualMLP(4, width=3, depth=2, out_features=2, activation="tanh", residual=False, seed=0)
    h = torch.tanh(L.fc2(torch.tanh(L.fc1(L.fc0(x)))))
    torch.testing.assert_close(plain(x), L.out(h))


def test_the_skip_carries_the_gradient_through_a_dead_block():
    # every block outputs a constant (sigmoid of a huge negative bias): its derivative is ~0
    model = ResidualMLP(4, width=3, depth=4, activation="sigmoid", seed=0)
    with torch.no_grad():
        for i in range(1, 5):
            getattr(model.layers, f"fc{i}").bias.fill_(-100.0)
    model(torch.randn(8, 4)).sum().backward()
    assert model.layers.fc0.weight.grad.norm() > 1e-3


@pytest.mark.parametrize("bad", [{"width": 0}, {"depth": -1}, {"in_features": 2.5}])
def test_bad_sizes_name_the_argument(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ResidualMLP(**bad)
