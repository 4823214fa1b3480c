"""Built-in callbacks: schedules, early stopping, clipping, checkpoints, live plot, progress, layer statistics."""

from __future__ import annotations

import math
import types

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from nbcourse.models import MLP  # noqa: E402
from nbcourse.train import (AnnealLR, Callback, Checkpoint, EarlyStopping, GradientClipping, Lambda,  # noqa: E402
                            LayerStatsRecorder, LivePlot, LRScheduler, ProgressBar, Trainer)
from nbcourse.train import callbacks as callbacks_module  # noqa: E402


def data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 6, generator=g)
    return X, (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()


def trainer_with(*callbacks, lr=0.1, model=None, seed=0, **kwargs):
    model = model or MLP(6, (16,), 3, seed=1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    return Trainer(model, nn.CrossEntropyLoss(), opt, device="cpu", seed=seed, callbacks=list(callbacks), **kwargs)


# --- learning rate ----------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule, kwargs, expected", [
    ("1/t", dict(decay=0.5), lambda t: 0.1 / (1 + 0.5 * t)),
    ("step", dict(step_size=2, gamma=0.1), lambda t: 0.1 * 0.1 ** (t // 2)),
    ("exponential", dict(decay=0.3), lambda t: 0.1 * math.exp(-0.3 * t)),
])
def test_anneal_lr_follows_its_formula_each_epoch(schedule, kwargs, expected):
    X, y = data()
    history = trainer_with(AnnealLR(schedule, **kwargs)).fit((X, y), epochs=5, batch_size=32)
    assert history["lr"] == pytest.approx([expected(t) for t in range(5)], rel=1e-12)


def test_anneal_lr_per_step_and_min_lr_and_errors():
    X, y = data()
    seen = []
    trainer = trainer_with(AnnealLR("1/t", decay=1.0, interval="step", min_lr=0.03),
                           Lambda(on_batch_end=lambda t: seen.append(t.lr)))
    trainer.fit((X, y), epochs=2, batch_size=32)
    assert seen == pytest.approx([max(0.1 / (1 + s), 0.03) for s in range(6)])
    with pytest.raises(ValueError, match="schedule"):
        AnnealLR("cosine")
    with pytest.raises(ValueError, match="gamma"):
        AnnealLR("step", gamma=1.5)


def test_lr_scheduler_wraps_torch_schedulers():
    X, y = data()
    trainer = trainer_with()
    trainer.callbacks.append(LRScheduler(torch.optim.lr_scheduler.StepLR(trainer.optimizer, step_size=2, gamma=0.5)))
    history = trainer.fit((X, y), epochs=5, batch_size=32)
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    plateau = trainer_with()
    # mode="max" on a falling loss: no "improvement" after the first epoch, so the lr halves after each
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(plateau.optimizer, mode="max", factor=0.5, patience=0)
    plateau.callbacks.append(LRScheduler(scheduler, monitor="train_loss"))
    history = plateau.fit((X, y), epochs=4, batch_size=32)
    assert all(a > b for a, b in zip(history["train_loss"], history["train_loss"][1:]))
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    other = trainer_with()
    foreign = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    other.callbacks.append(LRScheduler(torch.optim.lr_scheduler.StepLR(foreign, step_size=1)))
    with pytest.raises(ValueError, match="another optimizer"):
        other.fit((X, y), epochs=1, batch_size=32)


# --- early stopping, clipping --------------------------------------------------------------------------

class KeepStates(Callback):
    def __init__(self):
        self.states = {}

    def on_epoch_end(self, trainer):
        self.states[trainer.epoch] = {k: v.clone() for k, v in trainer.model.state_dict().items()}


def test_early_stopping_stops_and_restores_the_best_weights():
    X, y = data()
    Xv, yv = data(n=64, seed=1)
    keep = KeepStates()
    stopper = EarlyStopping(patience=2)
    # a learning rate so large that the validation loss soon stops improving
    trainer = trainer_with(keep, stopper, lr=3.0)
    history = trainer.fit((X, y), (Xv, yv), epochs=40, batch_size=16)
    best_epoch, best = history.best("val_loss")
    assert stopper.best_epoch == best_epoch and stopper.best == best
    assert stopper.stopped_epoch == history.num_epochs < 40
    assert history.num_epochs == best_epoch + 2  # patience 2
    assert "early stopping" in history.stop_reason
    restored = trainer.model.state_dict()
    assert all(torch.equal(restored[k], keep.states[best_epoch][k]) for k in restored)
    untouched = trainer_with(EarlyStopping())
    before = {k: v.clone() for k, v in untouched.model.state_dict().items()}
    with pytest.raises(ValueError, match="val_data"):
        untouched.fit((X, y), epochs=2, batch_size=32)
    assert untouched.step == 0, "the missing validation data is found before training"
    assert all(torch.equal(before[k], v) for k, v in untouched.model.state_dict().items())
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(untouched.optimizer)
    untouched.callbacks[:] = [LRScheduler(plateau)]
    with pytest.raises(ValueError, match="ReduceLROnPlateau.*val_data"):
        untouched.fit((X, y), epochs=2, batch_size=32)
    assert untouched.step == 0


def test_gradient_clipping_bounds_the_norm():
    X, y = data()
    norms = []

    def after(trainer):
        grads = [p.grad for p in trainer.model.parameters()]
        norms.append(torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads])).item())

    clip = GradientClipping(max_norm=0.01)
    trainer = trainer_with(clip, Lambda(on_after_backward=after))
    trainer.fit((X, y), epochs=2, batch_size=16)
    assert max(norms) <= 0.01 * (1 + 1e-5)
    assert clip.last_norm.item() > 0.01  # the norm before clipping was larger
    with pytest.raises(ValueError, match="max_norm"):
        GradientClipping(0)


# --- checkpoints ----------------------------------------------------------------------------------------

def test_checkpoint_every_n_epochs_with_epoch_in_the_name(tmp_path):
    X, y = data()
    cb = Checkpoint(tmp_path / "run-{epoch}.pt", every=2)
    trainer_with(cb).fit((X, y), epochs=5, batch_size=32)
    assert [p.name for p in cb.written] == ["run-2.pt", "run-4.pt", "run-5.pt"]
    saved = torch.load(tmp_path / "run-4.pt", weights_only=True)
    assert saved["epoch"] == 4 and len(saved["history"]["epochs"]["train_loss"]) == 4


# --- seeing the run -------------------------------------------------------------------------------------

def test_live_plot_does_nothing_outside_a_notebook():
    X, y = data()
    live = LivePlot()
    before = plt.get_fignums()
    trainer_with(live).fit((X, y), epochs=2, batch_size=32)
    assert live.figure is None and live.updates == 0 and plt.get_fignums() == before


def test_live_plot_updates_one_display_in_place(monkeypatch):
    shown = []

    class Handle:
        def __init__(self):
            self.updates = 0

        def update(self, obj):
            self.updates += 1

    handle = Handle()

    def display(obj, display_id=False):
        shown.append(obj)
        return handle

    monkeypatch.setattr(callbacks_module, "_in_notebook", lambda: True)
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", display)
    X, y = data()
    live = LivePlot()
    trainer_with(live, metrics="accuracy").fit((X, y), (X[:32], y[:32]), epochs=3, batch_size=32)
    assert len(shown) == 1, "one display, updated in place"
    assert handle.updates == 3 + 1  # every epoch, and once at the end
    fig = shown[0]
    assert len(fig.axes) == 2 and fig.axes[0].get_xlabel() == "epoch"
    assert plt.fignum_exists(fig.number) is False, "closed at the end: no second copy under the cell"


def test_progress_bar_shows_epochs_and_losses(capsys):
    X, y = data()
    trainer_with(ProgressBar(batches=True)).fit((X, y), (X[:32], y[:32]), epochs=3, batch_size=32)
    err = capsys.readouterr().err
    assert "3/3" in err and "val_loss" in err


def test_lambda_and_duck_typed_callbacks():
    X, y = data()
    calls = []
    duck = types.SimpleNamespace(on_epoch_end=lambda trainer: calls.append(("duck", trainer.epoch)))
    trainer_with(duck, Lambda(on_fit_end=lambda trainer: calls.append(("end", trainer.epoch)))).fit(
        (X, y), epochs=2, batch_size=32)
    assert calls == [("duck", 1), ("duck", 2), ("end", 2)]
    with pytest.raises(ValueError, match="not an event"):
        Lambda(on_epoch_finish=print)
    with pytest.raises(TypeError, match="not a callback"):
        trainer_with(object()).fit((X, y), epochs=1, batch_size=32)


# --- layer statistics ------------------------------------------------------------------------------------

class NamedReLU(nn.Module):
    """Stands for nbcourse.activations.ReLU: not a subclass of nn.ReLU, found by its class name."""

    def forward(self, z):
        return z.clamp_min(0)


NamedReLU.__name__ = "ReLU"


def test_dead_relu_units_are_counted():
    X, y = data()
    model = MLP(6, (8, 8), 3, activation=NamedReLU(), seed=0)
    with torch.no_grad():
        model.layers.fc1.bias[:4] = -100.0  # half the first layer's units can never be active
    rec = LayerStatsRecorder()
    trainer_with(rec, model=model).fit((X, y), (X[:16], y[:16]), epochs=2, batch_size=32)
    assert rec.epochs == [1, 2]
    assert rec.stats["dead_units"]["layers.act1"] == [0.5, 0.5]
    assert set(rec.stats["grad_norm"]) == {"layers.fc1", "layers.fc2", "layers.out"}
    assert rec.stats["saturated_units"] == {}  # ReLU does not saturate
    rows = rec.summary()
    assert [r["layer"] for r in rows] == ["layers.fc1", "layers.act1", "layers.fc2", "layers.act2", "layers.out"]
    assert rows[1]["type"] == "ReLU" and rows[1]["dead_units"] == 0.5


def test_dead_units_are_counted_by_pre_activation_for_every_activation():
    """A leaky unit never outputs exactly 0, but with z <= 0 on every sample it is as stuck as a dead ReLU."""
    X, y = data()
    for activation in ("leaky_relu", "elu", "sigmoid", "tanh"):
        model = MLP(6, (8,), 3, activation=activation, seed=0)
        with torch.no_grad():
            model.layers.fc1.bias[:2] = -100.0  # two of eight units are off on every sample
        rec = LayerStatsRecorder()
        trainer_with(rec, model=model).fit((X, y), epochs=1, batch_size=32)
        assert rec.stats["dead_units"]["layers.act1"] == [0.25], activation


def test_saturated_sigmoid_units_and_activation_means():
    X, y = data()
    model = MLP(6, (10,), 3, activation="sigmoid", seed=0)
    with torch.no_grad():
        model.layers.fc1.bias[:5] = 50.0  # sigma(z) = 1: saturated on every sample
    rec = LayerStatsRecorder()
    trainer_with(rec, model=model).fit((X, y), epochs=1, batch_size=96, shuffle=False)
    assert rec.stats["saturated_units"]["layers.act1"] == [0.5]
    assert 0.5 <= rec.stats["saturated_activations"]["layers.act1"][0] <= 1.0
    assert 0.5 < rec.stats["activation_mean"]["layers.act1"][0] < 1.0
    assert rec.stats["dead_units"]["layers.act1"] == [0.0]


def test_sigmoid_with_huge_weights_is_saturated_almost_everywhere():
    X, y = data()
    model = MLP(6, (16,), 3, activation="sigmoid", seed=0)
    with torch.no_grad():
        model.layers.fc1.weight.mul_(1e4)  # |z| is huge except on a rare sample close to a unit's boundary
    rec = LayerStatsRecorder()
    trainer_with(rec, model=model).fit((X, y), epochs=1, batch_size=32)
    assert rec.stats["saturated_units"]["layers.act1"] == [1.0]
    assert rec.stats["saturated_activations"]["layers.act1"][0] > 0.99
    strict = LayerStatsRecorder(unit_share=1.0)  # saturated on every sample: a unit near its boundary once fails
    with torch.no_grad():
        model.layers.fc1.bias.zero_()
    X0 = torch.cat([X, torch.zeros(1, 6)])  # z = 0 on this sample: sigma'(0) is the largest slope
    trainer_with(strict, model=model).fit((X0, torch.cat([y, y[:1]])), epochs=1, batch_size=97)
    assert strict.stats["saturated_units"]["layers.act1"] == [0.0]
    with pytest.raises(ValueError, match="unit_share"):
        LayerStatsRecorder(unit_share=0.0)


def test_gradient_norm_matches_autograd_on_one_full_batch():
    X, y = data()
    model = MLP(6, (8,), 3, activation="tanh", seed=3)
    loss = nn.functional.cross_entropy(model(X), y)
    grads = torch.autograd.grad(loss, [model.layers.fc1.weight, model.layers.out.weight])
    rec = LayerStatsRecorder()
    trainer_with(rec, model=model).fit((X, y), epochs=1, batch_size=len(X), shuffle=False)
    assert rec.stats["grad_norm"]["layers.fc1"][0] == pytest.approx(grads[0].norm().item(), rel=1e-5)
    assert rec.stats["grad_norm"]["layers.out"][0] == pytest.approx(grads[1].norm().item(), rel=1e-5)


def test_vanishing_gradients_in_a_deep_sigmoid_network():
    X, y = data()
    model = MLP(6, (32,) * 6, 3, activation="sigmoid", seed=0)
    rec = LayerStatsRecorder()
    trainer_with(rec, model=model).fit((X, y), epochs=1, batch_size=32)
    norms = [rec.stats["grad_norm"][f"layers.fc{i}"][0] for i in range(1, 7)]
    assert norms[0] < norms[-1] / 10, "the first layer learns much more slowly than the last"
    fig, axes = rec.plot()
    assert len(axes) == 4 and axes[0].get_yscale() == "log" and axes[0].get_xlabel() == "epoch"
    fig2, ax = rec.plot_layers()
    assert ax.get_ylabel().startswith("gradient norm")
    plt.close("all")


def test_the_course_activation_modules_are_recorded():
    activations = pytest.importorskip("nbcourse.activations")
    X, y = data()
    model = MLP(6, (8,), 3, activation=activations.get("relu"), seed=0)
    assert type(model.layers.act1).__module__ == "nbcourse.activations"
    with torch.no_grad():
        model.layers.fc1.bias[:2] = -100.0  # two of eight units can never be active
    rec = LayerStatsRecorder()
    trainer_with(rec, model=model).fit((X, y), epochs=1, batch_size=32)
    assert rec.stats["dead_units"]["layers.act1"] == [0.25]
    tanh = MLP(6, (8,), 3, activation=activations.get("tanh"), seed=0)
    with torch.no_grad():
        tanh.layers.fc1.bias[:4] = 60.0  # tanh = 1: saturated on every sample
    rec = LayerStatsRecorder()
    trainer_with(rec, model=tanh).fit((X, y), epochs=1, batch_size=32)
    assert rec.stats["saturated_units"]["layers.act1"] == [0.5]
