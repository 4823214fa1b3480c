"""Shifted images: where pixels go, what fills the border, flattened digits, and the accuracy table."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nbcourse.data.shifts import DIRECTIONS, shift_images, shifted_accuracy


def test_shift_moves_pixels_and_fills_the_border():
    X = torch.arange(20.0).reshape(1, 1, 4, 5)
    out = shift_images(X, dy=1, dx=-2, fill=-7.0)
    assert torch.equal(out[0, 0, 1:, :3], X[0, 0, :3, 2:])
    assert (out[0, 0, 0] == -7).all() and (out[0, 0, :, 3:] == -7).all()
    assert torch.equal(shift_images(X), X)
    assert (shift_images(X, dx=5) == 0).all(), "default fill is the smallest value (0 here); nothing wraps around"
    assert torch.equal(shift_images(shift_images(X, dy=2), dy=-2)[..., :2, :], X[..., :2, :])


def test_flattened_digits_keep_their_shape():
    X = torch.randn(3, 64)
    out = shift_images(X, dx=1)
    assert out.shape == (3, 64)
    assert torch.equal(out.view(3, 8, 8)[:, :, 1:], X.view(3, 8, 8)[:, :, :-1])


def test_errors():
    with pytest.raises(TypeError, match="'dx'"):
        shift_images(torch.zeros(1, 1, 3, 3), dx=1.5)
    with pytest.raises(ValueError, match="'X'"):
        shift_images(torch.zeros(3, 5))


class _LookAtPixel(nn.Module):
    """Class 1 when pixel (2, 2) is bright: a detector of one place."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        bright = x[:, 0, 2, 2] > 0.5
        return torch.stack([~bright, bright], 1).float()


def test_shifted_accuracy_of_a_position_detector():
    X = torch.zeros(4, 1, 5, 5)
    X[:, 0, 2, 2] = 1.0
    y = torch.ones(4, dtype=torch.long)
    model = _LookAtPixel().train()
    acc = shifted_accuracy(model, X, y, shifts=(0, 1, 2))
    assert acc == {0: 1.0, 1: 0.0, 2: 0.0}
    assert model.training, "the model's mode is restored"
    assert len(DIRECTIONS) == 4
