"""LogisticRegression: the single neuron with a sigmoid; shapes, errors, its gradient, it learns with the Trainer."""

from __future__ import annotations

import pytest
import torch

from nbcourse.data import make_separable
from nbcourse.models import LogisticRegression
from nbcourse.train import Trainer


def test_shapes_formula_and_seed():
    model = LogisticRegression(3, seed=0)
    X = torch.randn(5, 3)
    z = model(X)
    assert z.shape == (5,)
    torch.testing.assert_close(z, X @ model.weights + model.bias)
    torch.testing.assert_close(model.predict_proba(X), torch.sigmoid(z.detach()))
    assert torch.equal(model.predict(X), (z > 0).long())
    assert torch.equal(LogisticRegression(3, seed=0).weights, model.weights)
    assert "in_features=3" in repr(model)


def test_bce_gradient_is_p_minus_y():
    model = LogisticRegression(2, seed=1).double()
    X, y = torch.randn(8, 2, dtype=torch.float64), torch.tensor([0, 1] * 4, dtype=torch.float64)
    z = model(X)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    (grad_z,) = torch.autograd.grad(loss, z)
    torch.testing.assert_close(grad_z, (torch.sigmoid(z) - y).detach() / len(y))


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)       # a tiny model: one thread is much faster on a busy machine
    yield
    torch.set_num_threads(threads)


def test_learns_separable_data_with_the_trainer(one_thread):
    X, y = make_separable(100, margin=0.2, seed=0)
    model = LogisticRegression(2, seed=0)
    trainer = Trainer(model, torch.nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=1.0),
                      device="cpu", seed=0, metrics="accuracy")
    history = trainer.fit((X, y.float()), epochs=40, batch_size=100)
    assert history["train_loss"][-1] < 0.3 * history["train_loss"][0]
    assert history["train_accuracy"][-1] == 1.0
    assert bool((model.predict(X) == y).all())


def test_errors():
    with pytest.raises(ValueError, match="in_features"):
        LogisticRegression(0)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        LogisticRegression(2)(torch.zeros(4, 3))
