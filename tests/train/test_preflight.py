"""Pre-flight checks: what targets a loss takes is read from the loss; ignore_index labels are accepted."""

from __future__ import annotations

import functools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nbcourse.losses as losses
from nbcourse.models import MLP
from nbcourse.train import Trainer, accuracy
from nbcourse.train.preflight import TORCH_TARGETS, check_batch, loss_ignore_index, loss_targets


def data(n=64, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 6, generator=g)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return X, y % classes


def trainer_for(loss_fn, outputs=3, **kwargs):
    model = MLP(6, (8,), outputs, seed=0)
    return Trainer(model, loss_fn, torch.optim.SGD(model.parameters(), lr=0.1), device="cpu", seed=0, **kwargs)


# --- what a loss takes ------------------------------------------------------------------------------

def test_torch_losses_are_mapped_and_unknown_losses_say_nothing():
    assert loss_targets(nn.CrossEntropyLoss()) == ("classes", "probabilities")
    assert loss_targets(F.cross_entropy) == ("classes", "probabilities")
    assert loss_targets(nn.NLLLoss()) == ("classes",)
    assert loss_targets(nn.BCEWithLogitsLoss()) == ("probabilities",)
    assert loss_targets(nn.MSELoss()) == loss_targets(F.mse_loss) == ("values",)
    assert loss_targets(nn.TripletMarginLoss()) == ("triplets",)
    assert loss_targets(functools.partial(F.cross_entropy, label_smoothing=0.1)) == ("classes", "probabilities")

    class MyCE(nn.CrossEntropyLoss):  # a subclass of one of torch's losses
        pass

    assert loss_targets(MyCE()) == ("classes", "probabilities")
    assert loss_targets(lambda y_hat, y: (y_hat - y).abs().mean()) is None
    assert all(loss_targets(key) for key in TORCH_TARGETS if not isinstance(key, type))


def test_a_loss_declares_its_targets_and_a_function_is_read_through_its_module(monkeypatch):
    class Declared(nn.Module):
        targets = ("values",)

        def forward(self, y_hat, y):
            return ((y_hat - y) ** 2).mean()

    assert loss_targets(Declared()) == ("values",)

    def my_loss(y_hat, y):
        return ((y_hat - y) ** 2).mean()

    my_loss.module = Declared
    assert loss_targets(my_loss) == ("values",)
    # nbcourse's functions carry .module: the class's declaration is what the trainer reads
    monkeypatch.setattr(losses.CrossEntropyLoss, "targets", ("classes", "probabilities"), raising=False)
    assert loss_targets(losses.cross_entropy) == ("classes", "probabilities")
    assert loss_targets(losses.CrossEntropyLoss()) == ("classes", "probabilities")


def test_a_declared_loss_gets_the_checks_of_its_targets():
    class Declared(nn.Module):
        targets = ("values",)

        def forward(self, y_hat, y):
            return ((y_hat - y) ** 2).mean()

    X, y = data()
    with pytest.raises(ValueError, match=r"y\.unsqueeze\(1\)"):
        trainer_for(Declared(), outputs=1).fit((X, y.float()), epochs=1, batch_size=16)


def test_an_unknown_loss_is_checked_only_for_what_every_loss_must_do():
    """A loss the trainer knows nothing about, that reshapes its own targets: accepted (the old
    checks knew losses by name and refused a function called ``mse``)."""
    def mse(y_hat, y):
        return ((y_hat.squeeze(1) - y) ** 2).mean()

    X, y = data()
    history = trainer_for(mse, outputs=1).fit((X, y.float()), epochs=2, batch_size=16)
    assert history.num_epochs == 2 and all(math.isfinite(v) for v in history["train_loss"])
    with pytest.raises(ValueError, match="single number"):
        trainer_for(lambda y_hat, y: (y_hat.squeeze(1) - y) ** 2, outputs=1).fit((X, y.float()), epochs=1,
                                                                                   batch_size=16)


# --- ignore_index -------------------------------------------------------------------------------------

def with_ignored(y, value=-100, every=5):
    y = y.clone()
    y[::every] = value
    return y


@pytest.mark.parametrize("loss_fn", [nn.CrossEntropyLoss(), F.cross_entropy, losses.cross_entropy,
                                     losses.CrossEntropyLoss()],
                         ids=["torch module", "torch function", "nbcourse function", "nbcourse module"])
@pytest.mark.parametrize("declared", [False, True], ids=["as today", "declared"])
def test_labels_holding_ignore_index_are_accepted(loss_fn, declared, monkeypatch):
    if declared:  # whether or not nbcourse.losses declares its targets yet, the result is the same
        for cls in (losses.CrossEntropyLoss, losses.NLLLoss):
            monkeypatch.setattr(cls, "targets", ("classes", "probabilities"), raising=False)
        assert loss_targets(loss_fn) == ("classes", "probabilities")
    assert loss_ignore_index(loss_fn) == -100
    X, y = data()
    y_ignored = with_ignored(y)
    trainer = trainer_for(loss_fn, metrics="accuracy")
    history = trainer.fit((X, y_ignored), (X[:20], y_ignored[:20]), epochs=2, batch_size=16)
    assert history.num_epochs == 2
    assert all(math.isfinite(v) for v in history["train_loss"] + history["val_loss"])
    # the ignored samples count for neither the loss nor the accuracy
    kept = y_ignored[:20] != -100
    out = trainer.predict(X[:20])
    assert history["val_accuracy"][-1] == pytest.approx((out.argmax(1) == y[:20])[kept].float().mean().item())
    assert trainer.evaluate((X, y_ignored))["loss"] == pytest.approx(F.cross_entropy(trainer.predict(X), y_ignored).item(),
                                                                     rel=1e-5)


def test_a_loss_with_its_own_ignore_index():
    X, y = data()
    loss_fn = nn.CrossEntropyLoss(ignore_index=7)
    assert loss_ignore_index(loss_fn) == 7
    assert loss_ignore_index(functools.partial(F.cross_entropy, ignore_index=7)) == 7
    history = trainer_for(loss_fn, metrics="accuracy").fit((X, with_ignored(y, 7)), epochs=1, batch_size=16)
    assert history.num_epochs == 1
    # -100 is not what this loss skips: a clear error before training
    with pytest.raises(ValueError) as info:
        trainer_for(loss_fn).fit((X, with_ignored(y, -100)), epochs=1, batch_size=16)
    for words in ("classes -100..2", "3 classes (0..2)", "ignore_index=7"):
        assert words in str(info.value)


def test_other_negative_labels_are_still_refused():
    X, y = data()
    with pytest.raises(ValueError, match=r"classes -1\.\.2.*ignore_index=-100"):
        trainer_for(nn.CrossEntropyLoss()).fit((X, with_ignored(y, -1)), epochs=1, batch_size=16)
    with pytest.raises(ValueError, match=r"classes -100\.\.2.*no ignore_index"):  # MultiMarginLoss skips nothing
        trainer_for(nn.MultiMarginLoss()).fit((X, with_ignored(y)), epochs=1, batch_size=16)
    with pytest.raises(ValueError, match=r"classes 0\.\.3, but the model outputs 3 classes"):
        trainer_for(nn.CrossEntropyLoss()).fit((X, with_ignored(y, 3)), epochs=1, batch_size=16)


def test_accuracy_skips_ignored_labels_and_takes_the_loss_ignore_index():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    assert accuracy(logits, torch.tensor([0, 0, -100])).item() == pytest.approx(0.5)
    assert accuracy(logits, torch.tensor([0, 0, -100]), ignore_index=None).item() == pytest.approx(1 / 3)
    trainer = trainer_for(nn.CrossEntropyLoss(ignore_index=9), metrics="accuracy")
    assert trainer.metrics["accuracy"](logits, torch.tensor([0, 1, 9])).item() == 1.0


def test_check_batch_leaves_the_model_in_its_mode():
    model = nn.Sequential(nn.Linear(6, 3), nn.Dropout(0.5))
    model.train()
    model[1].eval()
    X, y = data()
    check_batch(model, nn.CrossEntropyLoss(), {}, X[:8], y[:8], name="train_data")
    assert model.training and model[0].training and not model[1].training


def test_probability_targets_outside_0_1_are_refused():
    X, y = data()
    model_out = 1
    with pytest.raises(ValueError) as info:  # labels 0, 1, 2 given to a binary loss
        trainer_for(nn.BCEWithLogitsLoss(), outputs=model_out).fit((X, y.float().unsqueeze(1)), epochs=1,
                                                                    batch_size=16)
    for words in ("BCEWithLogitsLoss()", "probabilities in [0, 1]", "from 0 to 2", "CrossEntropyLoss"):
        assert words in str(info.value), str(info.value)
    # soft targets in [0, 1] are fine, as are the same targets for a loss on values
    soft = torch.rand(len(X), 1, generator=torch.Generator().manual_seed(0))
    assert trainer_for(nn.BCEWithLogitsLoss(), outputs=1).fit((X, soft), epochs=1, batch_size=16).num_epochs == 1
    assert trainer_for(nn.MSELoss(), outputs=1).fit((X, 3 * soft), epochs=1, batch_size=16).num_epochs == 1
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):  # soft labels for cross-entropy
        trainer_for(nn.CrossEntropyLoss()).fit((X, torch.full((len(X), 3), 0.5) * 3), epochs=1, batch_size=16)
