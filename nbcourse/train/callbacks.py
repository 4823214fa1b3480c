r"""Callbacks: code the :class:`~nbcourse.train.Trainer` calls at named events.

A callback is any object with one or more of these methods, each taking the trainer:

=====================  ============================================================================
``on_fit_start``       a ``fit`` call begins (``trainer.fit_end_epoch`` says where it will end)
``on_epoch_start``     an epoch begins (``trainer.epoch`` epochs are complete)
``on_batch_start``     before the forward pass (``trainer.batch`` is ``(X, y)``)
``on_after_backward``  gradients are computed (and unscaled), the weights not yet updated
``on_batch_end``       after the update (``trainer.loss``, ``trainer.step``)
``on_epoch_end``       after validation; ``trainer.history`` has the epoch's numbers
``on_fit_end``         the call ends, normally or not (``trainer.history.interrupted``)
=====================  ============================================================================

Subclass :class:`Callback` (its methods do nothing) and write the events you need, or wrap
functions with :class:`Lambda`. Set ``trainer.should_stop = True`` to stop after the current
batch. A callback with state implements ``state_dict()`` / ``load_state_dict()`` so that
checkpoints resume it exactly. Callbacks run in list order, except that those with a larger
``order`` run later (progress and plots: 50, checkpoints: 100, so they see the final state).

Built-ins: :class:`LRScheduler` (any ``torch.optim.lr_scheduler``), :class:`AnnealLR` (the
annealing of the lecture: 1/t, step, exponential), :class:`EarlyStopping`,
:class:`GradientClipping`, :class:`Checkpoint`, :class:`LivePlot`, :class:`ProgressBar`,
:class:`LayerStatsRecorder`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable

import torch
from torch import nn


__all__ = [
    "EVENTS", "Callback", "Lambda", "LRScheduler", "AnnealLR", "EarlyStopping", "GradientClipping",
    "Checkpoint", "LivePlot", "ProgressBar", "LayerStatsRecorder", "check_callback",
]

EVENTS = ("on_fit_start", "on_epoch_start", "on_batch_start", "on_after_backward", "on_batch_end",
          "on_epoch_end", "on_fit_end")


class Callback:
    """Base class: every event does nothing; override the ones you need.

    Examples::

        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, trainer):
        ...         print(f"epoch {trainer.epoch}: {trainer.history['train_loss'][-1]:.3f}")
    """

    order = 0

    def on_fit_start(self, trainer) -> None: ...
    def on_epoch_start(self, trainer) -> None: ...
    def on_batch_start(self, trainer) -> None: ...
    def on_after_backward(self, trainer) -> None: ...
    def on_batch_end(self, trainer) -> None: ...
    def on_epoch_end(self, trainer) -> None: ...
    def on_fit_end(self, trainer) -> None: ...

    def state_dict(self) -> dict:
        """What a checkpoint must hold to resume this callback exactly (default: nothing)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


def check_callback(cb) -> None:
    """Raise a clear error for an object that is not a callback or names an event that does not exist."""
    names = [n for n in dir(cb) if n.startswith("on_") and callable(getattr(cb, n, None))]
    unknown = [n for n in names if n not in EVENTS]
    if unknown:
        raise ValueError(f"Trainer: callback {type(cb).__name__} defines {unknown}, which are not events; "
                         f"the events are {list(EVENTS)}")
    if not names:
        raise TypeError(f"Trainer: {cb!r} is not a callback: it has none of the methods {list(EVENTS)}")


class Lambda(Callback):
    """A callback made of functions, one per event: ``Lambda(on_epoch_end=lambda trainer: ...)``.

    Examples::

        >>> losses = []
        >>> cb = Lambda(on_batch_end=lambda trainer: losses.append(trainer.loss.item()))
    """

    def __init__(self, **events: Callable) -> None:
        for name, fn in events.items():
            if name not in EVENTS:
                raise ValueError(f"Lambda: {name!r} is not an event; the events are {list(EVENTS)}")
            if not callable(fn):
                raise TypeError(f"Lambda: {name}= got {fn!r}, expected a function of the trainer")
            setattr(self, name, fn)


# ------------------------------------------------------------------------------------------------
# learning rate
# ------------------------------------------------------------------------------------------------

class LRScheduler(Callback):
    """Step a ``torch.optim.lr_scheduler`` once per epoch (default) or per step.

    Args:
        scheduler: built on the trainer's optimizer, e.g. ``StepLR(optimizer, step_size=10)``.
        interval: ``"epoch"`` (default) or ``"step"``.
        monitor: for :class:`~torch.optim.lr_scheduler.ReduceLROnPlateau`, the History key it
            watches (default ``"val_loss"``).

    Examples::

        >>> model = nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> cb = LRScheduler(torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5))
    """

    def __init__(self, scheduler, *, interval: str = "epoch", monitor: str = "val_loss") -> None:
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRScheduler: argument 'interval' got {interval!r}, expected 'epoch' or 'step'")
        if not hasattr(scheduler, "step") or not hasattr(scheduler, "state_dict"):
            raise TypeError(f"LRScheduler: expected a torch.optim.lr_scheduler object, got {type(scheduler).__name__}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor
        self._plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)

    def on_fit_start(self, trainer) -> None:
        if getattr(self.scheduler, "optimizer", trainer.optimizer) is not trainer.optimizer:
            raise ValueError("LRScheduler: the scheduler was built on another optimizer than the trainer's; "
                             "build it as Scheduler(trainer.optimizer, ...)")
        if self._plateau and self.interval == "epoch":
            _check_validation(trainer, self.monitor, "LRScheduler(ReduceLROnPlateau)")

    def on_batch_end(self, trainer) -> None:
        if self.interval == "step":
            self.scheduler.step()

    def on_epoch_end(self, trainer) -> None:
        if self.interval != "epoch":
            return
        if self._plateau:
            self.scheduler.step(trainer.history[self.monitor][-1])
        else:
            self.scheduler.step()

    def state_dict(self) -> dict:
        return {"scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state["scheduler"])


def _check_validation(trainer, monitor: str, who: str) -> None:
    """Before training: a ``val_*`` key needs ``val_data`` (fit declares the keys it will record)."""
    history = trainer.history
    if monitor.startswith("val_") and "val_loss" not in history and "train_loss" in history:
        raise ValueError(f"{who}: monitors {monitor!r}, but fit got no val_data; pass val_data=(X_val, y_val) "
                         f"or monitor a training key such as 'train_loss'")


class AnnealLR(Callback):
    r"""Anneal (decrease) the learning rate over time, to damp SGD's fluctuations near a minimum.

    With :math:`\eta_0` the optimizer's learning rate when training starts and :math:`t` the
    number of completed epochs (or steps, ``interval="step"``):

    .. math::
        \text{"1/t"}:\quad \eta_t = \frac{\eta_0}{1 + k\,t} \qquad
        \text{"step"}:\quad \eta_t = \eta_0\,\gamma^{\lfloor t / s \rfloor} \qquad
        \text{"exponential"}:\quad \eta_t = \eta_0\,e^{-k\,t}

    and never below ``min_lr``. The 1/t schedule satisfies the classic stochastic-approximation
    conditions :math:`\sum_t \eta_t = \infty`, :math:`\sum_t \eta_t^2 < \infty` (Robbins and Monro,
    *A Stochastic Approximation Method*, Annals of Mathematical Statistics, 1951).

    Args:
        schedule: ``"1/t"`` (default), ``"step"`` or ``"exponential"``.
        decay: :math:`k` for ``"1/t"`` and ``"exponential"`` (default 0.1).
        step_size: :math:`s` for ``"step"`` (default 10).
        gamma: :math:`\gamma` for ``"step"`` (default 0.5).
        interval: ``"epoch"`` (default) or ``"step"``: what :math:`t` counts.
        min_lr: lower bound (default 0).

    Examples::

        >>> AnnealLR("1/t", decay=1.0).lr_at(3, 0.1)  # 0.1 / (1 + 3)
        0.025
    """

    def __init__(self, schedule: str = "1/t", *, decay: float = 0.1, step_size: int = 10, gamma: float = 0.5,
                 interval: str = "epoch", min_lr: float = 0.0) -> None:
        if schedule not in ("1/t", "step", "exponential"):
            raise ValueError(f"AnnealLR: argument 'schedule' got {schedule!r}, expected '1/t', 'step' or 'exponential'")
        if interval not in ("epoch", "step"):
            raise ValueError(f"AnnealLR: argument 'interval' got {interval!r}, expected 'epoch' or 'step'")
        if decay < 0 or not 0 < gamma <= 1 or step_size < 1 or min_lr < 0:
            raise ValueError(f"AnnealLR: need decay >= 0, 0 < gamma <= 1, step_size >= 1, min_lr >= 0; got "
                             f"decay={decay}, gamma={gamma}, step_size={step_size}, min_lr={min_lr}")
        self.schedule, self.decay, self.step_size, self.gamma = schedule, decay, step_size, gamma
        self.interval, self.min_lr = interval, min_lr
        self.base_lrs: list[float] | None = None

    def lr_at(self, t: int, base_lr: float) -> float:
        """The learning rate after ``t`` epochs (or steps), starting from ``base_lr``."""
        if self.schedule == "1/t":
            lr = base_lr / (1.0 + self.decay * t)
        elif self.schedule == "step":
            lr = base_lr * self.gamma ** (t // self.step_size)
        else:
            lr = base_lr * math.exp(-self.decay * t)
        return max(lr, self.min_lr)

    def on_fit_start(self, trainer) -> None:
        if self.base_lrs is None:
            self.base_lrs = [float(g["lr"]) for g in trainer.optimizer.param_groups]

    def _apply(self, trainer, t: int) -> None:
        for group, base in zip(trainer.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(t, base)

    def on_epoch_start(self, trainer) -> None:
        if self.interval == "epoch":
            self._apply(trainer, trainer.epoch)

    def on_batch_start(self, trainer) -> None:
        if self.interval == "step":
            self._apply(trainer, trainer.step)

    def state_dict(self) -> dict:
        return {"base_lrs": self.base_lrs}

    def load_state_dict(self, state: dict) -> None:
        self.base_lrs = state["base_lrs"]


# ------------------------------------------------------------------------------------------------
# stopping, clipping, saving
# ------------------------------------------------------------------------------------------------

class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; keep the best weights.

    Args:
        monitor: History key to watch (default ``"val_loss"``; needs ``val_data``).
        patience: epochs without improvement before stopping (default 5).
        min_delta: smallest change that counts as an improvement (default 0).
        mode: ``"min"`` (default, for losses) or ``"max"`` (for accuracy).
        restore_best: at the end of the fit, load the weights of the best epoch (default True;
            not after an interruption, so that the run can be continued).

    Attributes:
        best, best_epoch: the best value and its epoch; stopped_epoch: when it stopped (or None).
    """

    def __init__(self, monitor: str = "val_loss", *, patience: int = 5, min_delta: float = 0.0,
                 mode: str = "min", restore_best: bool = True) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: argument 'mode' got {mode!r}, expected 'min' or 'max'")
        if patience < 1 or min_delta < 0:
            raise ValueError(f"EarlyStopping: need patience >= 1 and min_delta >= 0, got {patience}, {min_delta}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.restore_best = restore_best
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self._wait = 0
        self._best_state: dict | None = None

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_fit_start(self, trainer) -> None:
        _check_validation(trainer, self.monitor, "EarlyStopping")

    def on_epoch_end(self, trainer) -> None:
        if self.monitor not in trainer.history:
            raise ValueError(f"EarlyStopping: the History has no {self.monitor!r} (it has {sorted(trainer.history)}); "
                             "pass val_data to fit or monitor another key")
        value = trainer.history[self.monitor][-1]
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, trainer.epoch, 0
            if self.restore_best:
                self._best_state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
            return
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = trainer.epoch
            trainer.should_stop = True
            trainer.history.stop_reason = (f"early stopping at epoch {trainer.epoch}: {self.monitor} has not improved "
                                           f"for {self.patience} epochs (best {self.best:.4g} at epoch {self.best_epoch})")

    def on_fit_end(self, trainer) -> None:
        if (self.restore_best and self._best_state is not None and not trainer.history.interrupted
                and trainer.step_in_epoch == 0 and self.best_epoch != trainer.epoch):
            trainer.model.load_state_dict(self._best_state)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "stopped_epoch": self.stopped_epoch,
                "wait": self._wait, "best_state": self._best_state}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.stopped_epoch, self._wait, self._best_state = state["stopped_epoch"], state["wait"], state["best_state"]


class GradientClipping(Callback):
    r"""Rescale the gradients so that their global norm is at most ``max_norm`` (before each update).

    .. math::
        g \leftarrow g \cdot \min\left(1, \frac{\text{max\_norm}}{\lVert g \rVert}\right)

    with :math:`\lVert g \rVert` the ``norm_type``-norm of all gradients together
    (:func:`torch.nn.utils.clip_grad_norm_`).

    Args:
        max_norm: the largest allowed norm (default 1.0).
        norm_type: which norm (default 2.0).

    Attributes:
        last_norm: the norm before clipping at the last step (a tensor: reading it syncs a GPU).
    """

    def __init__(self, max_norm: float = 1.0, *, norm_type: float = 2.0) -> None:
        if not max_norm > 0:
            raise ValueError(f"GradientClipping: argument 'max_norm' got {max_norm}, expected a positive number")
        self.max_norm, self.norm_type = float(max_norm), float(norm_type)
        self.last_norm: torch.Tensor | None = None
        self._params: list = []

    def on_fit_start(self, trainer) -> None:
        self._params = [p for p in trainer.model.parameters() if p.requires_grad]

    def on_after_backward(self, trainer) -> None:
        self.last_norm = torch.nn.utils.clip_grad_norm_(self._params, self.max_norm, norm_type=self.norm_type)


class Checkpoint(Callback):
    """Write ``trainer.checkpoint(path)`` every ``every`` epochs, at the last epoch, and when interrupted.

    Args:
        path: file to write; may contain ``{epoch}`` to keep one file per epoch.
        every: epochs between checkpoints (default 1).
        on_interrupt: also write when the fit is interrupted (KeyboardInterrupt), default True.

    Resume with ``trainer.fit(..., resume_from=path)``.
    """

    order = 100  # after every other callback, so that their states are final

    def __init__(self, path: str | os.PathLike, *, every: int = 1, on_interrupt: bool = True) -> None:
        if every < 1:
            raise ValueError(f"Checkpoint: argument 'every' got {every}, expected a positive integer")
        self.path, self.every, self.on_interrupt = str(path), every, on_interrupt
        self.written: list[Path] = []

    def _write(self, trainer) -> None:
        path = trainer.checkpoint(self.path.format(epoch=trainer.epoch))
        if path is not None:
            self.written.append(path)

    def on_epoch_end(self, trainer) -> None:
        if trainer.epoch % self.every == 0 or trainer.epoch >= trainer.fit_end_epoch or trainer.should_stop:
            self._write(trainer)

    def on_fit_end(self, trainer) -> None:
        if self.on_interrupt and trainer.history.interrupted:
            self._write(trainer)


# ------------------------------------------------------------------------------------------------
# seeing the run
# ------------------------------------------------------------------------------------------------

def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where a display handle can be updated in place)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LivePlot(Callback):
    """The learning curves, redrawn in place after every ``every`` epochs, in a notebook.

    Outside a notebook (a script, a test) it does nothing. Only rank 0 draws in a distributed run.

    Args:
        every: epochs between redraws (default 1).
        steps: draw the per-step training loss too (default True).
        log_loss: logarithmic loss axis (default False).

    Attributes:
        figure: the matplotlib Figure while the fit runs (None outside a notebook).
    """

    order = 50

    def __init__(self, *, every: int = 1, steps: bool = True, log_loss: bool = False) -> None:
        if every < 1:
            raise ValueError(f"LivePlot: argument 'every' got {every}, expected a positive integer")
        self.every, self.steps, self.log_loss = every, steps, log_loss
        self.figure = None
        self.updates = 0
        self._axes = None
        self._handle = None
        self._widget = False

    def on_fit_start(self, trainer) -> None:
        self.figure, self._handle = None, None
        if not trainer.is_main or not _in_notebook():
            return
        import matplotlib.pyplot as plt
        from IPython.display import display

        panels = 1 + len(trainer.metrics)
        self.figure, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), squeeze=False)
        self._axes = list(axes[0])
        self._widget = type(self.figure.canvas).__module__.startswith("ipympl")
        self._draw(trainer)
        if self._widget:  # %matplotlib widget: the canvas is a live widget
            display(self.figure.canvas)
        else:  # inline: an image whose display handle is replaced at each update
            self._handle = display(self.figure, display_id=True)

    def _draw(self, trainer) -> None:
        for ax in self._axes:
            ax.clear()
        trainer.history.plot(axes=self._axes, steps=self.steps, log_loss=self.log_loss)

    def _update(self, trainer) -> None:
        if self.figure is None:
            return
        self._draw(trainer)
        if self._widget:
            self.figure.canvas.draw_idle()
        elif self._handle is not None:
            self._handle.update(self.figure)
        self.updates += 1

    def on_epoch_end(self, trainer) -> None:
        if trainer.epoch % self.every == 0:
            self._update(trainer)

    def on_fit_end(self, trainer) -> None:
        if self.figure is None:
            return
        self._update(trainer)
        if not self._widget:
            import matplotlib.pyplot as plt

            plt.close(self.figure)  # the display keeps the last image; no second copy at the cell's end


class ProgressBar(Callback):
    """A ``tqdm.auto`` progress bar over epochs (a widget in a notebook, text elsewhere), with the
    last losses and metrics; rank 0 only.

    Args:
        batches: also show a bar over each epoch's batches (default False).
        leave: keep the bar after the fit (default True).
    """

    order = 50

    def __init__(self, *, batches: bool = False, leave: bool = True) -> None:
        self.batches, self.leave = batches, leave
        self._bar = None
        self._inner = None

    def on_fit_start(self, trainer) -> None:
        if not trainer.is_main:
            return
        from nbcourse._progress import progress

        self._bar = progress(total=trainer.fit_end_epoch - trainer.epoch, unit="epoch", desc="training", leave=self.leave)

    def on_epoch_start(self, trainer) -> None:
        if self._bar is not None and self.batches:
            from nbcourse._progress import progress

            self._inner = progress(unit="batch", desc=f"epoch {trainer.epoch + 1}", leave=False)

    def on_batch_end(self, trainer) -> None:
        if self._inner is not None:
            self._inner.update(1)

    def on_epoch_end(self, trainer) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None
        if self._bar is None:
            return
        last = trainer.history.last()
        self._bar.set_postfix({k: f"{v:.4g}" for k, v in last.items() if k not in ("epoch", "lr")}, refresh=False)
        self._bar.update(1)

    def on_fit_end(self, trainer) -> None:
        for bar in (self._inner, self._bar):
            if bar is not None:
                bar.close()
        self._bar = self._inner = None


# ------------------------------------------------------------------------------------------------
# per-layer statistics
# ------------------------------------------------------------------------------------------------

# activation modules, by class name: torch.nn's and nbcourse.activations' (same names)
ACTIVATION_CLASS_NAMES = frozenset({
    "Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
    "Swish", "Mish", "Softplus", "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid", "LogSigmoid", "Threshold",
})

# saturating activations: the slope, relative to its largest value, as a function of the output a
_RELATIVE_SLOPE = {
    "Sigmoid": lambda a: 4.0 * a * (1.0 - a),  # sigma'(z) = a (1 - a), at most 1/4
    "Tanh": lambda a: 1.0 - a * a,             # tanh'(z) = 1 - a^2, at most 1
    "Softsign": lambda a: (1.0 - a.abs()) ** 2,  # 1 / (1 + |z|)^2 = (1 - |a|)^2
}


def _is_activation(module: nn.Module) -> bool:
    name = type(module).__name__
    if name in ACTIVATION_CLASS_NAMES:
        return True
    # nbcourse.activations.Linear (slope alpha) is an activation; torch's nn.Linear is a layer
    return name == "Linear" and not isinstance(module, nn.Linear) and type(module).__module__.startswith("nbcourse")


class LayerStatsRecorder(Callback):
    r"""Per-layer statistics of every epoch, to see vanishing gradients, saturated and dead units.

    Recorded in ``self.stats[stat][layer]``, one value per epoch:

    - ``"grad_norm"``: mean over the epoch's steps of :math:`\lVert \partial L / \partial W \rVert_2`
      for each layer with a weight matrix or kernel (``Linear``, ``Conv``).
    - ``"activation_mean"``: mean output of each activation module over the epoch's batches.
    - ``"dead_units"``: fraction of units whose pre-activation (the activation module's input)
      stayed at or below ``dead_tol`` on every training sample of the epoch, counted the same way
      for every activation: a dead ReLU outputs 0 and never passes a gradient, a "dead" leaky ReLU
      outputs only its small negative slope, a "dead" sigmoid stays in its lower half.
    - ``"saturated_units"`` (sigmoid, tanh, softsign): fraction of units saturated most of the time,
      on at least ``unit_share`` of the epoch's samples; a unit is saturated on a sample when its
      slope is below ``saturation_threshold`` of its largest slope, e.g. for the logistic
      :math:`4\sigma(z)(1-\sigma(z)) < 0.05`, i.e. :math:`\sigma(z) < 0.013` or :math:`> 0.987`.
    - ``"saturated_activations"``: fraction of all (sample, unit) activations that are saturated.

    A unit is a feature (dimension 1) of the activation's output: a neuron of a fully connected
    layer, a channel of a convolution. Activation modules are found by class name (``torch.nn``'s
    and :mod:`nbcourse.activations`'), so ``nn.ReLU()`` and ``nbcourse.activations.ReLU()`` both count;
    activations called as functions inside ``forward`` are not seen.

    Args:
        saturation_threshold: relative slope below which a unit counts as saturated (default 0.05).
        dead_tol: a unit is off on a sample when its pre-activation is at most this (default 0).
        unit_share: share of its samples on which a unit must be saturated to count in
            ``"saturated_units"`` (default 0.9; 1.0: saturated on every sample).

    Examples::

        >>> rec = LayerStatsRecorder()
        >>> # Trainer(model, loss_fn, opt, callbacks=[rec]).fit(...); rec.stats["grad_norm"]; rec.plot()
    """

    def __init__(self, *, saturation_threshold: float = 0.05, dead_tol: float = 0.0, unit_share: float = 0.9) -> None:
        if not 0 < saturation_threshold < 1 or dead_tol < 0 or not 0 < unit_share <= 1:
            raise ValueError(f"LayerStatsRecorder: need 0 < saturation_threshold < 1, dead_tol >= 0 and "
                             f"0 < unit_share <= 1, got {saturation_threshold}, {dead_tol}, {unit_share}")
        self.saturation_threshold, self.dead_tol, self.unit_share = saturation_threshold, dead_tol, unit_share
        self.epochs: list[int] = []
        self.stats: dict[str, dict[str, list[float]]] = {
            "grad_norm": {}, "activation_mean": {}, "dead_units": {}, "saturated_units": {},
            "saturated_activations": {},
        }
        self.layer_types: dict[str, str] = {}
        self._hooks: list = []
        self._weights: dict[str, torch.Tensor] = {}
        self._acc: dict[str, dict] = {}
        self._grad_acc: dict[str, torch.Tensor] = {}
        self._grad_steps = 0
        self._device = torch.device("cpu")

    # --- hooks -------------------------------------------------------------------------------------
    def on_fit_start(self, trainer) -> None:
        self._device = trainer.device
        model = trainer.model
        self._weights = {}
        for name, module in model.named_modules():  # in model order: input to output
            weight = getattr(module, "weight", None)
            if isinstance(weight, nn.Parameter) and weight.ndim >= 2 and weight.requires_grad:
                self._weights[name] = weight
                self.layer_types[name] = type(module).__name__
            elif _is_activation(module):
                self.layer_types[name] = type(module).__name__
                self._hooks.append(module.register_forward_hook(self._make_hook(name, type(module).__name__)))
        self._grad_acc = {k: v.to(self._device) for k, v in self._grad_acc.items()}
        for acc in self._acc.values():
            for key, value in acc.items():
                if isinstance(value, torch.Tensor):
                    acc[key] = value.to(self._device)

    def on_fit_end(self, trainer) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks = []

    def _make_hook(self, name: str, kind: str):
        slope_fn = _RELATIVE_SLOPE.get(kind)

        def hook(module, inputs, output):
            if not module.training or not torch.is_grad_enabled() or not isinstance(output, torch.Tensor):
                return  # training batches only
            a, z = output.detach().float(), inputs[0].detach().float() if inputs else None
            if z is None or z.shape != a.shape:
                z = a                                       # an activation that changes the shape: its output
            if a.ndim == 1:
                a, z = a.unsqueeze(1), z.unsqueeze(1)
            a = a.transpose(0, 1).reshape(a.shape[1], -1)  # (units, samples x positions)
            z = z.transpose(0, 1).reshape(z.shape[1], -1)
            acc = self._acc.setdefault(name, {})
            alive = (z > self.dead_tol).any(dim=1)         # switched on for at least one sample
            if "sum" not in acc or acc["alive"].shape != alive.shape:
                acc.update(sum=a.new_zeros(()), count=0, alive=torch.zeros_like(alive))
                if slope_fn is not None:  # saturated samples per unit, and samples per unit
                    acc.update(saturated=a.new_zeros(alive.shape), per_unit=0)
            acc["sum"] += a.sum()
            acc["count"] += a.numel()
            acc["alive"] |= alive
            if slope_fn is not None:
                acc["saturated"] += (slope_fn(a) < self.saturation_threshold).sum(dim=1)
                acc["per_unit"] += a.shape[1]

        return hook

    def on_epoch_start(self, trainer) -> None:
        if trainer.step_in_epoch == 0:  # a fresh epoch (not the continuation of an interrupted one)
            self._acc, self._grad_acc, self._grad_steps = {}, {}, 0

    def on_after_backward(self, trainer) -> None:
        names = [n for n, w in self._weights.items() if w.grad is not None]
        if not names:
            return
        norms = torch._foreach_norm([self._weights[n].grad.detach() for n in names])
        for name, norm in zip(names, norms):
            if name in self._grad_acc:
                self._grad_acc[name] += norm.float()
            else:
                self._grad_acc[name] = norm.float().clone()
        self._grad_steps += 1

    def on_epoch_end(self, trainer) -> None:
        keys, values = [], []
        for name, total in self._grad_acc.items():
            keys.append(("grad_norm", name))
            values.append(total / max(self._grad_steps, 1))
        for name, acc in self._acc.items():
            if not acc.get("count"):
                continue
            keys += [("activation_mean", name), ("dead_units", name)]
            values += [acc["sum"] / acc["count"], 1.0 - acc["alive"].float().mean()]
            if "saturated" in acc:
                keys += [("saturated_units", name), ("saturated_activations", name)]
                share = acc["saturated"] / acc["per_unit"]  # per unit; 1e-6: float32 rounding of an exact share
                values += [(share >= self.unit_share - 1e-6).float().mean(), acc["saturated"].sum() / acc["count"]]
        numbers = torch.stack([v.float().reshape(()) for v in values]).tolist() if values else []  # one sync
        n = len(self.epochs)
        for (stat, name), value in zip(keys, numbers):
            self.stats[stat].setdefault(name, [math.nan] * n).append(value)
        for columns in self.stats.values():  # a layer without a value this epoch gets NaN
            for column in columns.values():
                if len(column) == n:
                    column.append(math.nan)
        self.epochs.append(trainer.epoch)

    # --- results -----------------------------------------------------------------------------------
    def summary(self, epoch: int = -1) -> list[dict]:
        """One row per layer, in model order, with every statistic recorded at ``epoch`` (an index into
        :attr:`epochs`, default the last)."""
        rows = []
        for name, kind in self.layer_types.items():
            row = {"layer": name, "type": kind}
            for stat, columns in self.stats.items():
                if name in columns and columns[name]:
                    row[stat] = columns[name][epoch]
            rows.append(row)
        return rows

    def plot(self, *, axes=None):
        """Four panels over epochs: gradient norm per layer (log scale), activation mean, dead units and
        saturated units per activation layer. Returns ``(fig, axes)``."""
        import matplotlib.pyplot as plt

        if axes is None:
            fig, axes = plt.subplots(2, 2, figsize=(11, 7))
            axes = list(axes.flat)
        else:
            axes = list(axes)
            fig = axes[0].figure
        panels = [("grad_norm", "gradient norm ||dL/dW||", "Gradient norm per layer", True),
                  ("activation_mean", "mean activation", "Mean activation", False),
                  ("dead_units", "fraction of units", "Dead units (z <= 0 on every sample)", False),
                  ("saturated_units", "fraction", "Saturated units (dashed: share of activations)", False)]
        for ax, (stat, ylabel, title, log) in zip(axes, panels):
            for i, (name, values) in enumerate(self.stats[stat].items()):
                color = plt.cm.viridis(i / max(len(self.stats[stat]) - 1, 1))
                ax.plot(self.epochs, values, "o-", ms=3, color=color, label=f"{name} ({self.layer_types.get(name, '')})")
                if stat == "saturated_units":
                    ax.plot(self.epochs, self.stats["saturated_activations"][name], "--", color=color)
            ax.set_xlabel("epoch")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            if log and any(v > 0 for vs in self.stats[stat].values() for v in vs):
                ax.set_yscale("log")
            if stat in ("dead_units", "saturated_units"):
                ax.set_ylim(-0.03, 1.03)
            ax.grid(alpha=0.3)
            if self.stats[stat]:
                ax.legend(fontsize="x-small")
            else:
                ax.text(0.5, 0.5, "no such layer", ha="center", va="center", transform=ax.transAxes, color="0.5")
        fig.suptitle("Per-layer statistics during training (first layer darkest)")
        fig.tight_layout()
        return fig, axes

    def plot_layers(self, *, epoch: int = -1, ax=None):
        """Gradient norm of each layer, from input to output, at one epoch: vanishing gradients shrink
        towards the input. Returns ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 3.6))
        else:
            fig = ax.figure
        names = list(self.stats["grad_norm"])
        values = [self.stats["grad_norm"][n][epoch] for n in names]
        ax.bar(range(len(names)), values, color="C0")
        ax.set_xticks(range(len(names)), [f"{n}\n{self.layer_types.get(n, '')}" for n in names], fontsize="small")
        ax.set_yscale("log")
        ax.set_xlabel("layer (input -> output)")
        ax.set_ylabel("gradient norm ||dL/dW||")
        shown = self.epochs[epoch] if self.epochs else "?"
        ax.set_title(f"Gradient norm per layer at epoch {shown}")
        ax.grid(alpha=0.3, axis="y")
        fig.tight_layout()
        return fig, ax

    def state_dict(self) -> dict:
        acc = {name: {k: (v.cpu() if isinstance(v, torch.Tensor) else v) for k, v in a.items()}
               for name, a in self._acc.items()}
        return {"epochs": list(self.epochs), "stats": {k: {n: list(v) for n, v in c.items()} for k, c in self.stats.items()},
                "layer_types": dict(self.layer_types), "acc": acc,
                "grad_acc": {k: v.cpu() for k, v in self._grad_acc.items()}, "grad_steps": self._grad_steps}

    def load_state_dict(self, state: dict) -> None:
        self.epochs = list(state["epochs"])
        self.stats = {k: {n: list(v) for n, v in c.items()} for k, c in state["stats"].items()}
        self.layer_types = dict(state["layer_types"])
        self._acc = {name: dict(a) for name, a in state["acc"].items()}
        self._grad_acc = dict(state["grad_acc"])
        self._grad_steps = state["grad_steps"]
