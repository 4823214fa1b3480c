"""Trainer: equivalence with the textbook loop, data kinds, seeds, checks, NaN, interrupts, resume."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from nbcourse.models import MLP, SmallCNN
from nbcourse.train import (Callback, Checkpoint, EarlyStopping, History, LayerStatsRecorder, LRScheduler,
                            NonFiniteLossError, Trainer, TrainerNotice)


def make_data(n=101, features=6, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, features, generator=g)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return X, y % classes


def make_trainer(*, seed=0, model_seed=1, dropout=0.0, callbacks=(), optimizer="sgd", **kwargs):
    model = MLP(6, (16,), 3, dropout=dropout, seed=model_seed)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return Trainer(model, nn.CrossEntropyLoss(), opt, device="cpu", seed=seed, callbacks=list(callbacks), **kwargs)


def weights(trainer):
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class RaiseAt(Callback):
    """Raise KeyboardInterrupt after global step `at` (simulates the notebook's stop button)."""

    def __init__(self, at):
        self.at = at

    def on_batch_end(self, trainer):
        if trainer.step == self.at:
            raise KeyboardInterrupt


# --- the loop itself -------------------------------------------------------------------------------

def hand_written(model, X, y, *, epochs, batch_size, seed):
    """The textbook loop: a seeded permutation per epoch, batches by index."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    losses, step_losses = [], []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        total = 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
            step_losses.append(loss.item())
            total += loss.item() * len(idx)
        losses.append(total / len(X))
    return losses, step_losses


def test_same_result_as_the_hand_written_loop_to_the_last_digit():
    X, y = make_data()
    trainer = make_trainer(seed=5)
    reference = copy.deepcopy(trainer.model)
    losses, step_losses = hand_written(reference, X, y, epochs=3, batch_size=16, seed=5)
    history = trainer.fit((X, y), epochs=3, batch_size=16)
    assert history["train_loss"] == losses
    assert history.steps["train_loss"] == step_losses
    assert same_weights(weights(trainer), reference.state_dict())


def test_history_keys_lengths_and_steps():
    X, y = make_data()
    trainer = make_trainer(metrics="accuracy")
    history = trainer.fit((X[:80], y[:80]), (X[80:], y[80:]), epochs=4, batch_size=16)
    assert isinstance(history, History) and history is trainer.history
    assert set(history) == {"epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr"}
    assert history["epoch"] == [1, 2, 3, 4]
    assert all(len(history[k]) == 4 for k in history)
    assert all(isinstance(v, float) for v in history["val_loss"])
    assert history.num_steps == 4 * 5 and history.steps["batch_size"][:5] == [16] * 5
    assert all(0 <= a <= 1 for a in history["val_accuracy"])
    assert trainer.epoch == 4 and trainer.step == 20
    # the epoch's loss is the batch-size-weighted mean of its steps
    first = history.steps["train_loss"][:5]
    assert history["train_loss"][0] == pytest.approx(sum(first) / 5)
    # validation numbers equal evaluate()
    assert trainer.evaluate((X[80:], y[80:]))["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_training_learns_a_separable_problem():
    X, y = make_data(n=400)
    trainer = make_trainer(metrics="accuracy")
    history = trainer.fit((X, y), epochs=15, batch_size=32)
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["train_accuracy"][-1] > 0.9


def test_same_seed_same_history_other_seed_different_and_global_rng_untouched():
    X, y = make_data()
    state = torch.get_rng_state()
    h1 = make_trainer(seed=3, dropout=0.3).fit((X, y), epochs=3, batch_size=16)
    assert torch.equal(torch.get_rng_state(), state), "a seeded fit must not move the global generator"
    h2 = make_trainer(seed=3, dropout=0.3).fit((X, y), epochs=3, batch_size=16)
    h3 = make_trainer(seed=4, dropout=0.3).fit((X, y), epochs=3, batch_size=16)
    assert h1 == h2 and h1.to_dict() == h2.to_dict()
    assert h1["train_loss"] != h3["train_loss"]


def test_two_fit_calls_continue_the_run():
    X, y = make_data()
    one = make_trainer(dropout=0.2)
    one.fit((X, y), epochs=4, batch_size=16)
    two = make_trainer(dropout=0.2)
    two.fit((X, y), epochs=2, batch_size=16)
    two.fit((X, y), epochs=2, batch_size=16)
    assert one.history == two.history
    assert same_weights(weights(one), weights(two))


# --- kinds of data ---------------------------------------------------------------------------------

class PlainDataset(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def test_tensordataset_dataset_and_numpy_give_the_same_run_as_tensors():
    X, y = make_data()
    reference = make_trainer().fit((X, y), epochs=2, batch_size=16)
    assert make_trainer().fit(TensorDataset(X, y), epochs=2, batch_size=16) == reference
    # a map-style Dataset goes through a DataLoader that shuffles with the trainer's own generator
    dataset = make_trainer().fit(PlainDataset(X, y), epochs=2, batch_size=16)
    assert dataset == make_trainer().fit(PlainDataset(X, y), epochs=2, batch_size=16)
    assert dataset.num_steps == reference.num_steps
    numpy = make_trainer().fit((X.double().numpy(), y.numpy()), epochs=2, batch_size=16)
    assert numpy["train_loss"] == pytest.approx(reference["train_loss"], rel=1e-6)


def test_dataloader_is_accepted():
    X, y = make_data()
    reference = make_trainer().fit((X, y), epochs=2, batch_size=16, shuffle=False)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=False)
    assert make_trainer().fit(loader, epochs=2, batch_size=16) == reference
    shuffled = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    h1 = make_trainer(seed=2).fit(shuffled, epochs=2, batch_size=16)
    h2 = make_trainer(seed=2).fit(shuffled, epochs=2, batch_size=16)
    assert h1 == h2, "a seeded fit makes a DataLoader's shuffling repeatable"


def test_cnn_on_images_and_channels_last_on_cpu():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 1, 8, 8, generator=g), torch.randint(0, 10, (40,), generator=g)
    for channels_last in (False, True):
        model = SmallCNN(seed=0)
        trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.05),
                          device="cpu", seed=0, channels_last=channels_last)
        history = trainer.fit((X, y), (X[:8], y[:8]), epochs=2, batch_size=8)
        assert all(math.isfinite(v) for v in history["train_loss"] + history["val_loss"])
        assert trainer.channels_last is channels_last
        assert model.features.conv2.weight.is_contiguous(memory_format=torch.channels_last) is channels_last


class ViewCNN(nn.Module):
    """A CNN written the old way, with x.view on a feature map (fails on channels_last tensors)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.view(h.size(0), -1))


def test_channels_last_is_switched_off_for_a_model_that_needs_contiguous_tensors():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 1, 8, 8, generator=g), torch.randint(0, 10, (40,), generator=g)
    model = ViewCNN()
    trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.05), device="cpu")
    assert trainer.channels_last, "on by default for conv nets"
    with pytest.warns(TrainerNotice, match="channels_last is switched off"):
        history = trainer.fit((X, y), (X, y), epochs=2, batch_size=8)
    assert not trainer.channels_last and history.num_epochs == 2
    assert trainer.evaluate((X, y))["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_evaluate_and_predict():
    X, y = make_data()
    trainer = make_trainer(metrics=["accuracy"])
    trainer.fit((X, y), epochs=2, batch_size=16)
    out = trainer.predict(X, batch_size=7)
    assert out.shape == (len(X), 3)
    with torch.no_grad():
        assert torch.allclose(out, trainer.model(X), atol=1e-6)
    result = trainer.evaluate((X, y), batch_size=10)
    assert result["accuracy"] == pytest.approx((out.argmax(1) == y).float().mean().item())
    assert result["loss"] == pytest.approx(nn.functional.cross_entropy(out, y).item(), rel=1e-5)


# --- clear errors before training -------------------------------------------------------------------

def _fit(loss=None, model=None, data=None, **kwargs):
    X, y = make_data()
    model = model or MLP(6, (8,), 3, seed=0)
    trainer = Trainer(model, loss or nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), device="cpu")
    params = dict(epochs=1, batch_size=8)
    params.update(kwargs)
    before = weights(trainer)
    try:
        trainer.fit(data if data is not None else (X, y), **params)
    finally:
        assert same_weights(before, weights(trainer)), "nothing may be trained before the checks pass"


@pytest.mark.parametrize("case, error, words", [
    ("float labels", TypeError, ["CrossEntropyLoss", "y.long()", "float32"]),
    ("wrong features", ValueError, ["(8, 5)", "in_features=6", "(N, 6)"]),
    ("class out of range", ValueError, ["classes 1..3", "3 classes (0..2)", "y - 1"]),
    ("regression shape", ValueError, ["(8, 1)", "(8,)", "y.unsqueeze(1)"]),
    ("bce integer labels", TypeError, ["y.float()"]),
    ("empty", ValueError, ["empty"]),
    ("batch_size 0", ValueError, ["batch_size", "0"]),
    ("epochs 0", ValueError, ["epochs", "0"]),
    ("epochs float", TypeError, ["epochs"]),
    ("X and y as two arguments", TypeError, ["fit((X, y)"]),
    ("float64 inputs", TypeError, ["float64", "float32"]),
    ("NaN in inputs", ValueError, ["NaN"]),
    ("unreduced loss", ValueError, ["reduction='mean'"]),
    ("length mismatch", ValueError, ["101 inputs", "90 targets"]),
    ("loss that fails", ValueError, ["loss_fn", "(8, 3)", "(8,)"]),
    ("not data", TypeError, ["train_data"]),
    ("int32 class labels", TypeError, ["CrossEntropyLoss", "int32", "y.long()"]),
    ("integer targets fail only in backward", TypeError, ["HuberLoss", "int64", "y.float()"]),
])
def test_clear_errors_before_training(case, error, words):
    X, y = make_data()
    calls = {
        "float labels": lambda: _fit(data=(X, y.float())),
        "wrong features": lambda: _fit(data=(X[:, :5], y)),
        "class out of range": lambda: _fit(data=(X, y + 1)),
        "regression shape": lambda: _fit(loss=nn.MSELoss(), model=MLP(6, (8,), 1, seed=0), data=(X, y.float())),
        "bce integer labels": lambda: _fit(loss=nn.BCEWithLogitsLoss(), model=MLP(6, (8,), 1, seed=0),
                                           data=(X, (y > 0).long().unsqueeze(1))),
        "empty": lambda: _fit(data=(X[:0], y[:0])),
        "batch_size 0": lambda: _fit(batch_size=0),
        "epochs 0": lambda: _fit(epochs=0),
        "epochs float": lambda: _fit(epochs=2.5),
        "X and y as two arguments": lambda: make_trainer().fit(X, y, epochs=1, batch_size=8),
        "float64 inputs": lambda: _fit(data=(X.double(), y)),
        "NaN in inputs": lambda: _fit(data=(torch.where(X > 2, torch.nan, X), y)),
        "unreduced loss": lambda: _fit(loss=nn.CrossEntropyLoss(reduction="none")),
        "length mismatch": lambda: _fit(data=(X, y[:90])),
        "loss that fails": lambda: _fit(loss=lambda y_hat, target: y_hat @ target.float()),
        "not data": lambda: _fit(data="digits"),
        "int32 class labels": lambda: _fit(data=(X, y.int())),
        "integer targets fail only in backward": lambda: _fit(loss=nn.HuberLoss(), model=MLP(6, (8,), 1, seed=0),
                                                              data=(X, y.unsqueeze(1))),
    }
    with pytest.raises(error) as info:
        calls[case]()
    for word in words:
        assert word in str(info.value), f"{word!r} not in: {info.value}"


def test_bad_constructor_arguments():
    model = MLP(6, (8,), 3, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        Trainer("model", nn.CrossEntropyLoss(), opt)
    with pytest.raises(TypeError, match="optimizer"):
        Trainer(model, nn.CrossEntropyLoss(), "sgd")
    with pytest.raises(ValueError, match="does not hold any of the model's parameters"):
        Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1))
    with pytest.raises(ValueError, match="check_finite"):
        Trainer(model, nn.CrossEntropyLoss(), opt, check_finite="sometimes")
    with pytest.raises(ValueError, match="device"):
        Trainer(model, nn.CrossEntropyLoss(), opt, device="tpu")
    with pytest.raises(TypeError, match="seed"):
        Trainer(model, nn.CrossEntropyLoss(), opt, seed=1.5)
    with pytest.raises(ValueError, match="unknown metric"):
        Trainer(model, nn.CrossEntropyLoss(), opt, metrics="f1")
    with pytest.raises(ValueError, match="not events"):
        class Typo(Callback):
            def on_epoch_ends(self, trainer):
                pass
        Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=[Typo()]).fit(make_data(), epochs=1, batch_size=8)


def test_loss_class_instead_of_instance_is_named():
    model = MLP(6, (8,), 3, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError) as info:
        Trainer(model, nn.CrossEntropyLoss, opt, device="cpu")  # forgot the ()
    for word in ("Trainer", "loss_fn", "class CrossEntropyLoss", "CrossEntropyLoss()"):
        assert word in str(info.value), f"{word!r} not in: {info.value}"


def test_evaluate_and_predict_errors_name_their_method():
    X, y = make_data()
    trainer = make_trainer()
    with pytest.raises(TypeError, match=r"^Trainer\.evaluate: data is Tensor, expected a pair \(X, y\)"):
        trainer.evaluate(X)
    with pytest.raises(ValueError, match=r"^Trainer\.evaluate: argument 'batch_size' got 0"):
        trainer.evaluate((X, y), batch_size=0)
    with pytest.raises(ValueError, match=r"^Trainer\.evaluate \(data\): the targets hold classes"):
        trainer.evaluate((X, y + 1))
    with pytest.raises(TypeError, match=r"^Trainer\.predict: argument 'X' got list.*torch\.tensor"):
        trainer.predict(X.tolist())
    with pytest.raises(ValueError) as info:  # 5 features for a model that takes 6
        trainer.predict(torch.randn(4, 5))
    for word in ("Trainer.predict", "shape (4, 5)", "Linear(in_features=6", "(N, 6)"):
        assert word in str(info.value), f"{word!r} not in: {info.value}"
    with pytest.raises(TypeError, match=r"^Trainer\.predict: inputs X are torch\.float64.*X\.to\(torch\.float32\)"):
        trainer.predict(X.double())
    with pytest.raises(TypeError, match=r"^Trainer\.fit: argument 'train_data\[0\] \(X\)' got list"):
        trainer.fit((X.tolist(), y), epochs=1, batch_size=8)


# --- NaN / inf ---------------------------------------------------------------------------------------

def diverging(check_finite, on_nonfinite="raise"):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(256, 8, generator=g)
    y = X.sum(1, keepdim=True) * 10
    model = MLP(8, (32,), 1, seed=1)
    trainer = Trainer(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.5), device="cpu", seed=0,
                      check_finite=check_finite, on_nonfinite=on_nonfinite)
    return trainer, (X, y)


class KeepWeights(Callback):
    def __init__(self):
        self.after_step, self.epoch_start = [], []

    def on_epoch_start(self, trainer):
        self.epoch_start.append(weights(trainer))

    def on_batch_end(self, trainer):
        self.after_step.append(weights(trainer))


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_weights():
    trainer, data = diverging("step")
    keep = KeepWeights()
    trainer.callbacks.append(keep)
    with pytest.raises(NonFiniteLossError) as info:
        trainer.fit(data, epochs=10, batch_size=32)
    message = str(info.value)
    for words in ("epoch 1", "step 5 of the epoch", "global step 5", "learning rate 0.5", "learning rate too high",
                  "log of 0", "bad data"):
        assert words in message
    assert isinstance(info.value, FloatingPointError)
    assert trainer.step == 4 and info.value.history is trainer.history
    assert same_weights(weights(trainer), keep.after_step[-1]), "the weights of the last good step"
    assert all(math.isfinite(v) for v in trainer.history.steps["train_loss"])


def test_nan_check_once_per_epoch_restores_the_epoch_start():
    trainer, data = diverging("epoch")
    keep = KeepWeights()
    trainer.callbacks.append(keep)
    with pytest.raises(NonFiniteLossError, match="global step 5.*start of epoch 1"):
        trainer.fit(data, epochs=10, batch_size=32)
    assert same_weights(weights(trainer), keep.epoch_start[-1])
    assert trainer.step == 0 and trainer.history.num_steps == 0


class KeepOptimizer(Callback):
    def __init__(self):
        self.epoch_start = []

    def on_epoch_start(self, trainer):
        self.epoch_start.append(copy.deepcopy(trainer.optimizer.state_dict()))


def optimizer_states_equal(a, b):
    return a["param_groups"] == b["param_groups"] and a["state"].keys() == b["state"].keys() and all(
        torch.equal(a["state"][i][k], b["state"][i][k]) for i in a["state"] for k in a["state"][i])


def test_nan_found_once_per_epoch_restores_weights_and_optimizer_state():
    X, y = make_data()
    calls = {"n": 0}

    def flaky_loss(y_hat, target):  # NaN at the 3rd step of epoch 2 (calls 1, 2: the checks before training)
        calls["n"] += 1
        loss = nn.functional.cross_entropy(y_hat, target)
        return loss * float("nan") if calls["n"] == 2 + 7 + 3 else loss

    model = MLP(6, (16,), 3, seed=1)
    keep, keep_opt = KeepWeights(), KeepOptimizer()
    trainer = Trainer(model, flaky_loss, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), device="cpu",
                      seed=0, check_finite="epoch", callbacks=[keep, keep_opt])
    with pytest.raises(NonFiniteLossError, match="epoch 2, step 3 of the epoch .global step 10.*start of epoch 2"):
        trainer.fit((X, y), epochs=3, batch_size=16)
    assert same_weights(weights(trainer), keep.epoch_start[1])
    assert optimizer_states_equal(trainer.optimizer.state_dict(), keep_opt.epoch_start[1])
    assert trainer.epoch == 1 and trainer.step == 7 and trainer.history.num_steps == 7


def test_weights_already_broken_by_an_overflowing_gradient_are_restored():
    X, y = make_data()

    class BreakGradients(Callback):  # a finite loss, but gradients that overflow at global step 9
        def on_after_backward(self, trainer):
            if trainer.step == 8:
                trainer.model.layers.fc1.weight.grad.fill_(float("inf"))

    keep = KeepWeights()
    trainer = make_trainer(callbacks=[keep, BreakGradients()])
    with pytest.raises(NonFiniteLossError, match="start of epoch 2"):
        trainer.fit((X, y), epochs=3, batch_size=16)
    assert same_weights(weights(trainer), keep.epoch_start[1])
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


def test_nan_with_on_nonfinite_stop_returns_the_history():
    trainer, data = diverging("step", on_nonfinite="stop")
    with pytest.warns(TrainerNotice, match="became inf"):
        history = trainer.fit(data, epochs=10, batch_size=32)
    assert "became inf" in history.stop_reason and history.num_steps == 4


# --- interrupts, checkpoints, resume ----------------------------------------------------------------

def test_an_interrupt_in_the_first_epoch_returns_a_history_with_empty_lists():
    import matplotlib

    matplotlib.use("Agg")
    X, y = make_data()
    trainer = make_trainer(metrics="accuracy", callbacks=[RaiseAt(3)])
    with pytest.warns(TrainerNotice, match="interrupted during epoch 1 after step 3"):
        history = trainer.fit((X, y), (X[:20], y[:20]), epochs=3, batch_size=16)
    assert history.interrupted and history.num_steps == 3
    assert list(history) == ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"]
    assert history["train_loss"] == [] and history["val_loss"] == [] and dict(history)["lr"] == []
    fig, axes = history.plot()
    assert axes[0].get_xlabel() == "epoch"
    trainer.callbacks.clear()
    trainer.fit((X, y), (X[:20], y[:20]), epochs=1, batch_size=16)
    assert all(len(history[k]) == 1 for k in history)
    matplotlib.pyplot.close(fig)


def test_keyboard_interrupt_returns_the_history_and_fit_continues_exactly():
    X, y = make_data()
    reference = make_trainer(dropout=0.3)
    reference.fit((X, y), (X[:20], y[:20]), epochs=3, batch_size=16)
    trainer = make_trainer(dropout=0.3, callbacks=[RaiseAt(10)])
    with pytest.warns(TrainerNotice, match="interrupted during epoch 2 after step 3"):
        history = trainer.fit((X, y), (X[:20], y[:20]), epochs=3, batch_size=16)
    assert history.interrupted and history.num_epochs == 1 and history.num_steps == 10
    with torch.no_grad():
        assert torch.isfinite(trainer.model(X)).all(), "the model stays usable"
    trainer.callbacks.clear()
    trainer.fit((X, y), (X[:20], y[:20]), epochs=2, batch_size=16)  # finishes epoch 2, then epoch 3
    assert trainer.history == reference.history
    assert same_weights(weights(trainer), weights(reference))


@pytest.mark.parametrize("stop_at", [10, 14])  # inside epoch 2, and exactly at the end of epoch 2 (7 steps each)
def test_checkpoint_and_resume_equal_an_uninterrupted_run(tmp_path, stop_at):
    X, y = make_data()

    def build(*extra):
        trainer = make_trainer(dropout=0.3, optimizer="adam", metrics="accuracy")
        schedule = torch.optim.lr_scheduler.StepLR(trainer.optimizer, step_size=1, gamma=0.7)
        trainer.callbacks += [LRScheduler(schedule), EarlyStopping(patience=10), LayerStatsRecorder(), *extra]
        return trainer

    reference = build()
    reference.fit((X, y), (X[:20], y[:20]), epochs=4, batch_size=16)

    path = tmp_path / "run.pt"
    first = build(RaiseAt(stop_at), Checkpoint(path))
    with pytest.warns(TrainerNotice):
        first.fit((X, y), (X[:20], y[:20]), epochs=4, batch_size=16)
    assert path.exists()

    resumed = build(RaiseAt(-1), Checkpoint(path))  # a fresh process: everything rebuilt the same way
    history = resumed.fit((X, y), (X[:20], y[:20]), epochs=4, batch_size=16, resume_from=path)
    assert history == reference.history
    assert same_weights(weights(resumed), weights(reference))
    assert resumed.callbacks[2].stats == reference.callbacks[2].stats  # the LayerStatsRecorder's numbers
    assert resumed.lr == pytest.approx(reference.lr)

    again = build(Checkpoint(tmp_path / "other.pt"))
    with pytest.warns(TrainerNotice, match="nothing left to train"):
        again.fit((X, y), (X[:20], y[:20]), epochs=4, batch_size=16, resume_from=path)


def test_checkpoint_after_fit_then_load_and_train_more(tmp_path):
    X, y = make_data()
    reference = make_trainer()
    reference.fit((X, y), epochs=3, batch_size=16)
    trainer = make_trainer()
    trainer.fit((X, y), epochs=2, batch_size=16)
    trainer.checkpoint(tmp_path / "two.pt")
    fresh = make_trainer(model_seed=99)  # other initial weights: the checkpoint replaces them
    fresh.load_checkpoint(tmp_path / "two.pt")
    fresh.fit((X, y), epochs=1, batch_size=16)
    assert fresh.history == reference.history and same_weights(weights(fresh), weights(reference))


def test_resume_with_a_dataloader_inside_an_epoch(tmp_path):
    X, y = make_data()
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    reference = make_trainer(dropout=0.2)
    reference.fit(loader, epochs=3, batch_size=16)
    first = make_trainer(dropout=0.2, callbacks=[RaiseAt(9)])
    with pytest.warns(TrainerNotice):
        first.fit(loader, epochs=3, batch_size=16)
    first.checkpoint(tmp_path / "c.pt")
    second = make_trainer(dropout=0.2, callbacks=[RaiseAt(-1)])
    second.fit(loader, epochs=3, batch_size=16, resume_from=tmp_path / "c.pt")
    assert second.history == reference.history and same_weights(weights(second), weights(reference))


def test_bad_checkpoints(tmp_path):
    trainer = make_trainer()
    with pytest.raises(FileNotFoundError):
        trainer.load_checkpoint(tmp_path / "missing.pt")
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a checkpoint"):
        trainer.load_checkpoint(tmp_path / "other.pt")
    trainer.checkpoint(tmp_path / "mlp.pt")
    model = MLP(6, (4,), 3, seed=0)
    other = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), device="cpu")
    with pytest.raises(ValueError, match="does not match"):
        other.load_checkpoint(tmp_path / "mlp.pt")


def test_resume_inside_an_epoch_needs_the_same_data(tmp_path):
    X, y = make_data()
    first = make_trainer(callbacks=[RaiseAt(3)])
    with pytest.warns(TrainerNotice):
        first.fit((X, y), epochs=2, batch_size=16)
    first.checkpoint(tmp_path / "c.pt")
    with pytest.raises(ValueError, match="same training data"):
        make_trainer(callbacks=[RaiseAt(-1)]).fit((X[:50], y[:50]), epochs=2, batch_size=16,
                                                  resume_from=tmp_path / "c.pt")
    # in memory, other data starts the interrupted epoch again (from the weights of its start)
    first.callbacks.clear()
    with pytest.warns(TrainerNotice, match="starts again"):
        first.fit((X[:50], y[:50]), epochs=1, batch_size=16)
    assert first.epoch == 1 and first.history.num_steps == 4


# --- callbacks and settings ---------------------------------------------------------------------------

def test_events_are_called_in_order():
    seen = []

    class Record(Callback):
        def __getattribute__(self, name):
            if name.startswith("on_"):
                return lambda trainer: seen.append(name)
            return object.__getattribute__(self, name)

    X, y = make_data(n=20)
    make_trainer(callbacks=[Record()]).fit((X, y), epochs=1, batch_size=10)
    assert seen == ["on_fit_start", "on_epoch_start",
                    "on_batch_start", "on_after_backward", "on_batch_end",
                    "on_batch_start", "on_after_backward", "on_batch_end",
                    "on_epoch_end", "on_fit_end"]


def test_should_stop_from_a_callback_and_continue():
    X, y = make_data()

    class StopAt(Callback):
        def on_batch_end(self, trainer):
            if trainer.step == 3:
                trainer.should_stop = True

    reference = make_trainer()
    reference.fit((X, y), epochs=2, batch_size=16)
    trainer = make_trainer(callbacks=[StopAt()])
    history = trainer.fit((X, y), epochs=2, batch_size=16)
    assert trainer.step == 3 and "stopped by a callback" in history.stop_reason
    trainer.callbacks.clear()
    trainer.fit((X, y), epochs=2, batch_size=16)
    assert trainer.history == reference.history


def test_amp_and_compile_settings_on_cpu(monkeypatch):
    X, y = make_data()
    model = MLP(6, (8,), 3, seed=0)
    with pytest.warns(TrainerNotice, match="mixed precision"):
        trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                          device="cpu", amp=True)
    assert trainer.precision.dtype is None
    bf16 = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), device="cpu",
                   amp="bf16", seed=0)
    assert bf16.precision.dtype is torch.bfloat16
    history = bf16.fit((X, y), epochs=2, batch_size=16)
    assert all(math.isfinite(v) for v in history["train_loss"])
    with pytest.warns(TrainerNotice, match="no Conv2d"):
        Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), device="cpu",
                channels_last=True)

    def broken_compile(*args, **kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", broken_compile)
    compiled = make_trainer(compile=True)
    with pytest.warns(TrainerNotice, match="torch.compile is skipped"):
        history = compiled.fit((X, y), epochs=2, batch_size=16)
    assert history == make_trainer().fit((X, y), epochs=2, batch_size=16)


def test_progress_bar_runs(capsys):
    X, y = make_data()
    make_trainer(progress=True).fit((X, y), epochs=2, batch_size=16)
    assert "2/2" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_mixed_precision_channels_last_and_once_per_epoch_checks():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 1, 8, 8, generator=g), torch.randint(0, 10, (256,), generator=g)
    model = SmallCNN(seed=0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.05), seed=0,
                      metrics="accuracy")
    assert trainer.device.type == "cuda" and trainer.channels_last and trainer.check_finite == "epoch"
    assert trainer.precision.dtype in (torch.bfloat16, torch.float16)
    history = trainer.fit((X, y), (X[:64], y[:64]), epochs=3, batch_size=32)
    assert history["train_loss"][-1] < history["train_loss"][0]
    other = SmallCNN(seed=0)
    fp16 = Trainer(other, nn.CrossEntropyLoss(), torch.optim.SGD(other.parameters(), lr=0.05), amp="fp16")
    assert fp16._scaler.is_enabled()


# --- val_batch_size and eval_train -------------------------------------------------------------------

class EvalBatchSizes(nn.Module):
    """An MLP that records the size of every batch it sees in eval mode."""

    def __init__(self):
        super().__init__()
        self.net = MLP(6, (16,), 3, dropout=0.3, seed=1)
        self.eval_sizes = []

    def forward(self, x):
        if not self.training:
            self.eval_sizes.append(len(x))
        return self.net(x)


def test_val_batch_size_is_its_own_argument_and_defaults_to_batch_size():
    X, y = make_data()
    model = EvalBatchSizes()
    trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                      device="cpu", seed=0)
    h = trainer.fit((X, y), (X[:50], y[:50]), epochs=1, batch_size=16, val_batch_size=50)
    assert model.eval_sizes[-1:] == [50]
    model.eval_sizes.clear()
    trainer.fit((X, y), (X[:50], y[:50]), epochs=1, batch_size=16)
    assert model.eval_sizes[-4:] == [16, 16, 16, 2]
    # the batch size of evaluation changes nothing but speed and memory
    assert h["val_loss"][0] == pytest.approx(make_trainer(dropout=0.3).fit(
        (X, y), (X[:50], y[:50]), epochs=1, batch_size=16)["val_loss"][0], rel=1e-6)
    for bad, error in ((0, ValueError), (2.5, TypeError)):
        with pytest.raises(error, match="val_batch_size"):
            trainer.fit((X, y), (X[:50], y[:50]), epochs=1, batch_size=16, val_batch_size=bad)
    with pytest.raises(TypeError, match="eval_train"):
        trainer.fit((X, y), epochs=1, batch_size=16, eval_train="yes")


def test_eval_train_measures_the_training_data_at_the_end_of_each_epoch():
    X, y = make_data()
    trainer = make_trainer(dropout=0.3, metrics="accuracy")
    history = trainer.fit((X, y), (X[:20], y[:20]), epochs=3, batch_size=16, eval_train=True, val_batch_size=64)
    assert list(history) == ["epoch", "train_loss", "train_accuracy", "train_eval_loss", "train_eval_accuracy",
                             "val_loss", "val_accuracy", "lr"]
    assert all(len(history[k]) == 3 for k in history)
    end = trainer.evaluate((X, y))
    assert history["train_eval_loss"][-1] == pytest.approx(end["loss"], rel=1e-6)
    assert history["train_eval_accuracy"][-1] == pytest.approx(end["accuracy"])
    # "train_loss" stays the mean over the epoch's batches, measured in train mode while learning
    assert history["train_loss"][0] == pytest.approx(sum(history.steps["train_loss"][:7][:-1]) * 16 / 101
                                                     + history.steps["train_loss"][6] * 5 / 101)
    assert history["train_loss"] != history["train_eval_loss"]
    assert history.metric_names() == ["accuracy"]


def test_eval_train_does_not_change_the_run():
    """Measuring the training data draws nothing from the shuffling or dropout generators."""
    X, y = make_data()
    for data in ((X, y), PlainDataset(X, y), DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)):
        plain = make_trainer(dropout=0.3).fit(data, epochs=3, batch_size=16)
        measured = make_trainer(dropout=0.3).fit(data, epochs=3, batch_size=16, eval_train=True,
                                                 val_batch_size=40)
        assert measured["train_loss"] == plain["train_loss"]
        assert measured.steps == plain.steps
        assert len(measured["train_eval_loss"]) == 3


def test_eval_train_with_a_dataloader_and_resume(tmp_path):
    X, y = make_data()
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    reference = make_trainer(dropout=0.2)
    reference.fit(loader, epochs=3, batch_size=16, eval_train=True)
    assert reference.history["train_eval_loss"][-1] == pytest.approx(reference.evaluate((X, y))["loss"], rel=1e-6)
    first = make_trainer(dropout=0.2, callbacks=[RaiseAt(9)])
    with pytest.warns(TrainerNotice):
        first.fit(loader, epochs=3, batch_size=16, eval_train=True)
    first.checkpoint(tmp_path / "c.pt")
    second = make_trainer(dropout=0.2, callbacks=[RaiseAt(-1)])
    second.fit(loader, epochs=3, batch_size=16, eval_train=True, resume_from=tmp_path / "c.pt")
    assert second.history == reference.history and same_weights(weights(second), weights(reference))


def test_the_epoch_mean_does_not_depend_on_the_recorded_steps(tmp_path):
    """The epoch's mean is kept as running sums, not re-read from history.steps (which a user may edit)."""
    X, y = make_data()
    reference = make_trainer().fit((X, y), epochs=2, batch_size=16)

    class EditSteps(Callback):
        def on_batch_end(self, trainer):
            trainer.checkpoint(tmp_path / "c.pt")  # (moves the steps so far into the History)
            trainer.history.steps["batch_size"][:] = [1.0] * len(trainer.history.steps["batch_size"])

    history = make_trainer(callbacks=[EditSteps()]).fit((X, y), epochs=2, batch_size=16)
    assert history["train_loss"] == reference["train_loss"]
