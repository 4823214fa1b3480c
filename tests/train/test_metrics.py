"""The accuracy metric and the metrics argument."""

from __future__ import annotations

import pytest
import torch

from nbcourse.train import accuracy
from nbcourse.train.metrics import resolve_metrics


def test_multiclass_with_indices_and_one_hot():
    logits = torch.tensor([[2.0, 0.1, 0.0], [0.3, 0.9, 0.1], [0.0, 0.0, 5.0], [1.0, 3.0, 0.0]])
    y = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, y).item() == pytest.approx(0.75)
    assert accuracy(logits, torch.nn.functional.one_hot(y, 3).float()).item() == pytest.approx(0.75)
    assert accuracy(logits, y).dtype == torch.float32 and accuracy(logits, y).ndim == 0


def test_binary_logits_and_probabilities():
    z = torch.tensor([[2.0], [-1.0], [0.5], [-0.2]])
    y = torch.tensor([[1.0], [0.0], [0.0], [1.0]])
    assert accuracy(z, y).item() == pytest.approx(0.5)
    p = torch.sigmoid(z)
    assert accuracy(p, y, logits=False).item() == pytest.approx(0.5)
    assert accuracy(z.flatten(), y.flatten().long()).item() == pytest.approx(0.5)


def test_shape_errors_and_metric_arguments():
    with pytest.raises(ValueError, match="do not match"):
        accuracy(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long))
    assert resolve_metrics(None) == {}
    assert resolve_metrics("accuracy") == {"accuracy": accuracy}

    def top1(y_hat, y):
        return accuracy(y_hat, y)

    assert list(resolve_metrics([top1, "accuracy"])) == ["top1", "accuracy"]
    assert list(resolve_metrics({"acc": accuracy})) == ["acc"]
    with pytest.raises(ValueError, match="unknown metric"):
        resolve_metrics("auc")
    with pytest.raises(ValueError, match="other than 'loss'"):
        resolve_metrics({"loss": accuracy})
    with pytest.raises(TypeError):
        resolve_metrics(3)
