"""SmallCNN: shapes, flattened inputs, seeds, configuration, errors, and that it learns digits."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nbcourse.data import load_digits
from nbcourse.models import SmallCNN, SmallCNNConfig
from nbcourse.train import Trainer


def test_shapes_for_8x8_and_28x28_images():
    model = SmallCNN()
    assert model(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    assert model(torch.randn(3, 64)).shape == (3, 10), "flattened digits are reshaped"
    assert model.out.in_features == 16 * 2 * 2
    mnist = SmallCNN(1, 28, (8, 16, 32), 10)
    assert mnist(torch.randn(2, 1, 28, 28)).shape == (2, 10) and mnist.out.in_features == 32 * 3 * 3
    rgb = SmallCNN(3, 8, (4,), 5)
    assert rgb(torch.randn(2, 3, 8, 8)).shape == (2, 5)


def test_blocks_are_conv_activation_pool():
    model = SmallCNN(activation="tanh")
    names = [n for n, _ in model.features.named_children()]
    assert names == ["conv1", "act1", "pool1", "conv2", "act2", "pool2"]
    assert type(model.features.act2).__name__ == "Tanh"  # nbcourse.activations.Tanh, or torch's
    x = torch.randn(2, 1, 8, 8)
    f = model.features
    expected = f.pool2(torch.tanh(f.conv2(f.pool1(torch.tanh(f.conv1(x))))))
    assert torch.allclose(model(x), model.out(expected.flatten(1)), atol=1e-6)


def test_seed_and_config():
    a, b = SmallCNN(seed=2), SmallCNN.from_config(SmallCNNConfig(seed=2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.out.weight, SmallCNN(seed=3).out.weight)


def test_errors():
    with pytest.raises(ValueError, match="shrink"):
        SmallCNN(1, 8, (4, 4, 4, 4))
    with pytest.raises(ValueError, match="positive integers"):
        SmallCNN(channels=())
    with pytest.raises(ValueError, match=r"\(N, 1, 8, 8\)"):
        SmallCNN()(torch.randn(2, 3, 8, 8))


def test_learns_the_digits():
    (X, y), (X_val, y_val) = load_digits(flatten=False)
    model = SmallCNN(seed=0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), device="cpu",
                      seed=0, metrics="accuracy")
    history = trainer.fit((X, y), (X_val, y_val), epochs=4, batch_size=64)
    assert history["val_accuracy"][-1] > 0.9


def test_average_head_takes_any_size_and_counts_channels_only():
    model = SmallCNN(channels=(8, 24), head="average", seed=0)
    assert model.out.in_features == 24
    for size in [(8, 8), (4, 4), (12, 9), (30, 30)]:
        assert model(torch.randn(2, 1, *size)).shape == (2, 10), size
    assert model(torch.randn(2, 64)).shape == (2, 10), "flattened digits are reshaped"
    x = torch.randn(3, 1, 8, 8)
    expected = model.out(model.features(x).mean(dim=(2, 3)))
    assert torch.allclose(model(x), expected, atol=1e-6)
    with pytest.raises(ValueError, match="H, W >= 4"):
        model(torch.randn(2, 1, 3, 8))
    with pytest.raises(ValueError, match="head"):
        SmallCNN(head="max")
    assert SmallCNN.from_config(SmallCNNConfig(head="average", seed=1)).head == "average"
    with pytest.raises(ValueError, match=r"\(N, 1, 8, 8\)"):
        SmallCNN()(torch.randn(2, 1, 12, 12))
