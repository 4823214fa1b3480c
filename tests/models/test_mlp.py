"""MLP: shapes, seeds, activations by name, initialisation, errors."""

from __future__ import annotations

import types

import pytest
import torch
from torch import nn

from nbcourse.models import MLP, MLPConfig, make_activation
from nbcourse.models import _activation


def test_shapes_and_layers():
    model = MLP(64, (32, 16), 10)
    assert model(torch.randn(5, 64)).shape == (5, 10)
    assert model(torch.randn(5, 1, 8, 8)).shape == (5, 10), "images are flattened"
    names = [n for n, _ in model.layers.named_children()]
    assert names == ["fc1", "act1", "fc2", "act2", "out"]
    assert isinstance(model.layers.fc2, nn.Linear) and model.layers.fc2.in_features == 32
    linear = MLP(3, (), 2)
    assert [n for n, _ in linear.layers.named_children()] == ["out"]
    assert "hidden_sizes=(32, 16)" in repr(model)


def test_matches_its_formula():
    model = MLP(4, (3,), 2, activation="tanh", seed=0)
    x = torch.randn(6, 4)
    fc1, out = model.layers.fc1, model.layers.out
    expected = torch.tanh(x @ fc1.weight.T + fc1.bias) @ out.weight.T + out.bias
    assert torch.allclose(model(x), expected, atol=1e-6)


def test_seed_gives_the_same_weights_and_leaves_the_global_generator_alone():
    state = torch.get_rng_state()
    a, b, c = MLP(seed=3), MLP(seed=3), MLP(seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.layers.fc1.weight, c.layers.fc1.weight)
    torch.manual_seed(3)
    d = MLP()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), d.parameters())), "seed=s is manual_seed(s) first"


@pytest.mark.parametrize("name, torch_type", [("relu", "ReLU"), ("sigmoid", "Sigmoid"), ("tanh", "Tanh"),
                                              ("leaky_relu", "LeakyReLU"), ("elu", "ELU"), ("swish", "Swish")])
def test_activation_by_name(name, torch_type):
    module = make_activation(name)
    z = torch.linspace(-3, 3, 13)
    reference = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                 "leaky_relu": lambda t: nn.functional.leaky_relu(t, 0.01), "elu": nn.functional.elu,
                 "swish": nn.functional.silu}[name]
    assert torch.allclose(module(z), reference(z), atol=1e-6)
    assert type(module).__name__ in (torch_type, "SiLU")


def test_activation_arguments():
    shared = nn.PReLU()
    model = MLP(4, (3, 3), 2, activation=shared)
    assert model.layers.act1 is not shared and model.layers.act1 is not model.layers.act2
    assert isinstance(MLP(4, (3,), 2, activation=nn.Tanh).layers.act1, nn.Tanh)
    with pytest.raises(ValueError, match="unknown activation 'softmaxx'"):
        MLP(activation="softmaxx")
    with pytest.raises(TypeError, match="activation"):
        MLP(activation=3)


def test_activation_names_use_nbcourse_activations_when_present(monkeypatch):
    class ReLU(nn.Module):  # what nbcourse.activations provides
        def forward(self, z):
            return z.clamp_min(0)

    monkeypatch.setattr(_activation, "_nbcourse_activations", lambda: types.SimpleNamespace(ReLU=ReLU))
    assert type(make_activation("relu")) is ReLU
    assert isinstance(make_activation("tanh"), nn.Tanh), "names it lacks come from torch.nn"
    monkeypatch.setattr(_activation, "_nbcourse_activations", lambda: None)
    assert isinstance(make_activation("relu"), nn.ReLU)


def test_initialisations_and_bias():
    x = MLP(100, (200,), 10, init="xavier", seed=0)
    bound = (6 / (100 + 200)) ** 0.5
    assert x.layers.fc1.weight.abs().max() <= bound and x.layers.fc1.weight.abs().max() > 0.9 * bound
    assert torch.all(x.layers.fc1.bias == 0)
    k = MLP(400, (300,), 10, init="kaiming", seed=0)
    assert k.layers.fc1.weight.std().item() == pytest.approx((2 / 400) ** 0.5, rel=0.05)
    n = MLP(100, (50,), 10, init="normal", init_std=0.5, seed=0)
    assert n.layers.fc1.weight.std().item() == pytest.approx(0.5, rel=0.05)
    b = MLP(10, (5,), 2, bias_init=0.1)
    assert torch.all(b.layers.fc1.bias == 0.1)
    with pytest.raises(ValueError, match="init"):
        MLP(init="orthogonal")


def test_dropout_config_and_errors():
    model = MLP(8, (4,), 2, dropout=0.5)
    assert isinstance(model.layers.drop1, nn.Dropout) and model.layers.drop1.p == 0.5
    config = MLPConfig(in_features=8, hidden_sizes=(4, 4), out_features=2, activation="tanh", seed=1)
    from_config = MLP.from_config(config)
    assert torch.equal(from_config.layers.fc1.weight, MLP(8, (4, 4), 2, activation="tanh", seed=1).layers.fc1.weight)
    with pytest.raises(ValueError, match="positive integers"):
        MLP(8, (0,), 2)
    with pytest.raises(ValueError, match="dropout"):
        MLP(dropout=1.0)
    with pytest.raises(ValueError, match="64 features"):
        MLP()(torch.randn(2, 63))
