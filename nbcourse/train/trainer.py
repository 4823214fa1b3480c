r"""One trainer for every chapter: :class:`Trainer`.

The whole algorithm is the loop in :meth:`Trainer._train_epoch`, which reads like the textbook::

    for X, y in batches:
        y_hat = model(X)                       # forward
        loss = loss_fn(y_hat, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()                        # backward
        optimizer.step()                       # update

Everything else is around it, not in it, and most of it in a module of its own:

* ``batches.py``: the data a fit receives (tensors batched by index on the device, or a DataLoader);
* ``preflight.py``: one batch through model and loss before training, with errors that say how
  to fix a wrong shape, dtype or label;
* ``resume.py``: the random streams, the start of each epoch and where an unfinished epoch
  stopped, so that a run continues exactly (after an interrupt, from a checkpoint, after a NaN);
* ``devices.py``: device, mixed precision, memory format and eval mode, resolved once;
* ``callbacks.py``: what happens at each event (early stopping, checkpoints, live plots, ...);
* ``history.py``: what a run records.

Reproducibility: with ``seed=`` the trainer shuffles with its own :class:`torch.Generator` and runs
dropout (and anything else that draws from PyTorch's global generator) inside
:func:`torch.random.fork_rng`, so two runs with the same seed record the same History, to the last
digit on the CPU, and the caller's random state is left untouched. The model's *initial* weights
are the caller's: build it right after ``torch.manual_seed(s)``, or with the ``seed=`` argument of
the :mod:`nbcourse.models`.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .batches import Loader, Tensors, as_data, as_inputs, is_array, split_batch
from .callbacks import Callback, EVENTS, ProgressBar, check_callback
from .devices import eval_mode, has_conv, memory_format, notice, resolve_device, resolve_precision, to_device
from .distributed import Distributed
from .history import History
from .metrics import resolve_metrics
from .preflight import check_batch, check_inputs, describe_first_layer, loss_ignore_index, loss_name, param_dtype
from .resume import (CHECKPOINT_FORMAT, CheckpointError, ResumeState, can_continue, optimizer_class_name,
                     read_checkpoint, write_checkpoint)

__all__ = ["Trainer", "NonFiniteLossError", "CheckpointError", "CHECKPOINT_FORMAT"]

CHECK_ROWS = 16  # samples run through model and loss before training, to catch shape and dtype mistakes


class NonFiniteLossError(FloatingPointError, RuntimeError):
    """The training loss became NaN or infinite. ``.history`` holds the run so far.

    A :class:`FloatingPointError` (and a :class:`RuntimeError`, so either ``except`` catches it)."""

    def __init__(self, message: str, history: History | None = None):
        super().__init__(message)
        self.history = history


class _StopNonFinite(Exception):
    """Internal: raised inside the loop, turned into the user-facing error (or notice) by ``fit``."""

    def __init__(self, value: float, step_in_epoch: int, X: torch.Tensor | None, y: torch.Tensor | None):
        self.value, self.step_in_epoch, self.X, self.y = value, step_in_epoch, X, y


class Trainer:
    r"""Train a model: ``Trainer(model, loss_fn, optimizer).fit((X, y), epochs=10, batch_size=64)``.

    Args:
        model: the network, already built (it is moved to ``device``).
        loss_fn: ``loss_fn(y_hat, y)`` returning the batch *mean* as a 0-d tensor (a
            ``torch.nn`` loss, a :mod:`nbcourse.losses` function or module, or your own). The
            targets it takes are read from its ``targets`` attribute (see
            :mod:`nbcourse.train.preflight`) to check the data before training.
        optimizer: a :class:`torch.optim.Optimizer` over the model's parameters.
        device: ``"auto"`` (default: CUDA, then Apple's MPS, then the CPU), or a device name.
        seed: makes runs repeatable: shuffling and dropout draw from generators seeded with it
            (default None: not repeatable). It does not touch the initial weights.
        callbacks: :class:`~nbcourse.train.callbacks.Callback` objects (or any object with
            ``on_<event>(trainer)`` methods), called by event name, in order.
        metrics: recorded besides the loss: ``"accuracy"``, a function ``f(y_hat, y)``, a list of
            them or a dict ``{name: f}`` (default None). History keys ``train_<name>``, ``val_<name>``.
        amp: mixed precision: ``"auto"`` (default: bf16 on a GPU that has it, fp16 with gradient
            scaling on an older GPU, off on the CPU), ``True``, ``False``, ``"bf16"``, ``"fp16"``.
        channels_last: memory format for convolutional models: ``"auto"`` (default: on when the
            model has ``Conv2d`` layers, on a CUDA GPU or the CPU; switched off with a notice if the
            model's ``forward`` needs contiguous tensors, e.g. ``x.view``), ``True`` or ``False``.
        compile: wrap the model with :func:`torch.compile` (default False); falls back to eager
            mode with a notice if compilation fails.
        progress: show a ``tqdm.auto`` progress bar over epochs (default False); the same as
            adding :class:`~nbcourse.train.callbacks.ProgressBar`.
        check_finite: when to check the loss for NaN/inf: ``"step"`` (before every update, so the
            model keeps its last good weights; one host sync per step), ``"epoch"`` (once per
            epoch, restoring the weights of the epoch's start), or ``"auto"`` (default: ``"step"``
            except on a CUDA GPU, where a per-step sync would stall it).
        on_nonfinite: ``"raise"`` (default) a :class:`NonFiniteLossError`, or ``"stop"``: end the
            run with a notice and return the History (handy to show a divergence).
        distributed: ``"auto"`` (default): use DistributedDataParallel when launched by
            ``torchrun`` with more than one process; ``False``: ignore torchrun's variables.

    Attributes:
        history (History): everything recorded so far (continued by later ``fit`` calls).
        epoch (int): completed epochs; step (int): completed optimisation steps.
        step_in_epoch (int): completed steps of the current epoch.
        should_stop (bool): set it in a callback to stop after the current batch.
        batch, loss: the current batch ``(X, y)`` and loss tensor, for callbacks.
        rank, world_size, is_main: the process in a distributed run (0, 1, True otherwise).

    Examples::

        >>> import torch
        >>> from torch import nn
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> X, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
        >>> model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
        >>> trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
        ...                   device="cpu", seed=0, metrics="accuracy")
        >>> history = trainer.fit((X, y), epochs=3, batch_size=16)
        >>> len(history["train_loss"])
        3
    """

    def __init__(self, model: nn.Module, loss_fn, optimizer: torch.optim.Optimizer, *,
                 device: str | torch.device = "auto", seed: int | None = None,
                 callbacks: Iterable = (), metrics=None, amp: bool | str = "auto",
                 channels_last: bool | str = "auto", compile: bool = False, progress: bool = False,
                 check_finite: str = "auto", on_nonfinite: str = "raise",
                 distributed: bool | str = "auto"):
        if not isinstance(model, nn.Module):
            raise TypeError(f"Trainer: argument 'model' got {type(model).__name__}, expected a torch.nn.Module")
        if isinstance(loss_fn, type):
            raise TypeError(
                f"Trainer: argument 'loss_fn' got the class {loss_fn.__name__}, expected a loss function or a loss "
                f"module instance; create the module with parentheses: loss_fn={loss_fn.__name__}()"
            )
        if not callable(loss_fn):
            raise TypeError(f"Trainer: argument 'loss_fn' got {loss_fn!r}, expected a function loss_fn(y_hat, y) or a loss module")
        if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad") and hasattr(optimizer, "param_groups")):
            raise TypeError(
                f"Trainer: argument 'optimizer' got {type(optimizer).__name__}, expected a torch.optim.Optimizer, "
                "e.g. torch.optim.SGD(model.parameters(), lr=0.1)"
            )
        _check_optimizer_holds_model(model, optimizer)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"Trainer: argument 'seed' got {seed!r}, expected an int or None")
        for name, value, allowed in (("check_finite", check_finite, ("auto", "step", "epoch")),
                                     ("on_nonfinite", on_nonfinite, ("raise", "stop")),
                                     ("channels_last", channels_last, ("auto", True, False))):
            if not any(value is a or (isinstance(value, str) and value == a) for a in allowed):
                raise ValueError(f"Trainer: argument {name!r} got {value!r}, expected one of {allowed}")

        self._dist = Distributed.from_env(distributed)
        self._distributed = self._dist.enabled
        if self._dist.enabled and device in ("auto", "cuda") and torch.cuda.is_available():
            device = f"cuda:{self._dist.local_rank}"  # one GPU per process
        self.device = resolve_device(device)
        self.precision = resolve_precision(amp, self.device)
        if channels_last == "auto":
            # measured faster on CUDA and on the CPU (oneDNN) for conv nets: see benches/bench_trainer.py
            channels_last = self.device.type in ("cuda", "cpu") and has_conv(model)
        elif channels_last and not has_conv(model):
            notice("Trainer: channels_last=True is skipped: the model has no Conv2d layer")
            channels_last = False
        self.channels_last = bool(channels_last)

        if any(t.device != self.device for t in _state_tensors(model)):
            model.to(self.device)
        self.model = memory_format(model, True) if self.channels_last else model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self._ignore_index = loss_ignore_index(loss_fn)
        self.metrics = resolve_metrics(metrics, ignore_index=self._ignore_index)
        self.callbacks = list(callbacks)
        if progress:
            self.callbacks.append(ProgressBar())
        self.compile = bool(compile)
        self.check_finite = ("epoch" if self.device.type == "cuda" else "step") if check_finite == "auto" else check_finite
        self.on_nonfinite = on_nonfinite

        self.history = History()
        self.epoch = 0              # completed epochs
        self.step = 0               # completed optimisation steps
        self.step_in_epoch = 0      # completed steps of the current epoch
        self.should_stop = False
        self.batch: tuple | None = None
        self.loss: torch.Tensor | None = None
        self.fit_start_epoch = 0    # self.epoch when the current fit call began
        self.fit_end_epoch = 0      # self.epoch at which the current fit call ends

        self._resume = ResumeState(seed=None if seed is None else int(seed), device=self.device, dist=self._dist)
        self._scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision.scale_loss)
        self._net: nn.Module | None = None  # the model as the loop calls it (DDP / compiled)
        self._events: dict[str, list] = {}
        self._pending: list = []    # per-step numbers not yet in the History
        self._flushed_step = 0
        self._totals: list[float] = self._zero_totals()  # the epoch's sums: loss, metrics (times n), samples
        self._checked_loaders: set[int] = set()
        self._compile_pending = False
        self._tensors: list[torch.Tensor] = []

    # --------------------------------------------------------------------------------------------
    # public API
    # --------------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        extras = [f"seed={self.seed}"] if self.seed is not None else []
        if self.metrics:
            extras.append(f"metrics={list(self.metrics)}")
        if self.world_size > 1:
            extras.append(f"rank={self.rank}/{self.world_size}")
        return (f"Trainer({type(self.model).__name__}, {loss_name(self.loss_fn)}, {type(self.optimizer).__name__}, "
                f"device={str(self.device)!r}, precision={self.precision.name}, channels_last={self.channels_last}"
                + "".join(", " + e for e in extras) + f"; {self.epoch} epochs, {self.step} steps done)")

    @property
    def seed(self) -> int | None:
        """The run's seed (None: not repeatable); a loaded checkpoint brings its own."""
        return self._resume.seed

    @property
    def rank(self) -> int:
        return self._dist.rank

    @property
    def world_size(self) -> int:
        return self._dist.world_size

    @property
    def is_main(self) -> bool:
        """True in a single process and on rank 0 of a distributed run."""
        return self._dist.is_main

    @property
    def lr(self) -> float:
        """Learning rate of the optimizer's first parameter group."""
        return float(self.optimizer.param_groups[0]["lr"])

    def fit(self, train_data, val_data=None, *, epochs: int, batch_size: int, val_batch_size: int | None = None,
            shuffle: bool = True, eval_train: bool = False, resume_from: str | os.PathLike | None = None) -> History:
        r"""Train for ``epochs`` epochs and return the :class:`History` (also ``trainer.history``).

        Args:
            train_data: a pair ``(X, y)`` of tensors or numpy arrays, a :class:`TensorDataset`
                (both batched by index on the device: no per-sample collation), any other
                :class:`~torch.utils.data.Dataset`, or a :class:`~torch.utils.data.DataLoader`
                (for data that does not fit in memory; its own batching and shuffling are used).
            val_data: the same kinds, evaluated at the end of every epoch (default None).
            epochs: number of epochs for this call (later calls continue the same run).
            batch_size: samples per optimisation step (the *global* batch in a distributed run).
            val_batch_size: samples per batch when evaluating (``val_data``, and the training data
                with ``eval_train``); default None: ``batch_size``. It changes the speed and memory
                of evaluation, not its result (a DataLoader keeps its own batching).
            shuffle: draw a new order every epoch (default True), from the trainer's own generator.
            eval_train: also measure the loss and metrics on the whole training data, in eval mode,
                at the end of every epoch (default False): History keys ``"train_eval_loss"`` and
                ``"train_eval_<metric>"``. ``"train_loss"`` stays the mean over the epoch's batches,
                recorded while the model changed (and with dropout on), so it lags behind; this one
                is measured like the validation loss and compares with it directly.
            resume_from: a checkpoint written by :meth:`checkpoint` (or the
                :class:`~nbcourse.train.callbacks.Checkpoint` callback): load it and finish the
                ``fit`` call it was written in. Pass the same arguments as that call; ``epochs``
                is that call's total, so re-running the cell with ``resume_from`` added continues
                where it stopped, with the same result as a run that never stopped.

        Returns:
            the History, with ``interrupted=True`` when stopped by KeyboardInterrupt (the notebook's
            stop button): the model keeps the weights of its last completed step, and calling
            ``fit`` again continues the interrupted epoch.

        Raises:
            ValueError / TypeError: before training, for an empty dataset, ``epochs`` or
                ``batch_size`` below 1, data that does not fit the model or the loss (checked on one
                batch), labels of the wrong dtype for the loss, a checkpoint that does not fit this
                trainer (nothing is loaded then).
            NonFiniteLossError: when the loss becomes NaN or infinite (with ``on_nonfinite="raise"``);
                the model keeps its last good weights.
        """
        if train_data is not None and is_array(train_data) and is_array(val_data):
            raise TypeError(
                "Trainer.fit: got two arrays as train_data and val_data; pass the training data as one "
                "pair: fit((X, y), epochs=..., batch_size=...)"
            )
        _check_positive_int("epochs", epochs)
        _check_positive_int("batch_size", batch_size)
        if val_batch_size is not None:
            _check_positive_int("val_batch_size", val_batch_size)
        for name, value in (("shuffle", shuffle), ("eval_train", eval_train)):
            if not isinstance(value, bool):
                raise TypeError(f"Trainer.fit: argument {name!r} got {value!r}, expected True or False")

        started = self._start(train_data, val_data, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                              val_batch_size=val_batch_size or batch_size, eval_train=eval_train,
                              resume_from=resume_from)
        if started is None:  # a checkpoint of a finished fit call
            return self.history
        train, train_eval, val = started

        # the keys this call records, in their order, present from the start (empty until an epoch ends)
        splits = ["train_"] + (["train_eval_"] if eval_train else []) + (["val_"] if val is not None else [])
        self.history.declare("epoch", *(split + name for split in splits for name in ("loss", *self.metrics)), "lr")
        self.history.interrupted, self.history.stop_reason, self.should_stop = False, None, False
        error = None
        with self._resume.random_scope():
            try:
                self._call("on_fit_start")
                while self.epoch < self.fit_end_epoch and not self.should_stop:
                    self._call("on_epoch_start")
                    if not self._train_epoch(self._batches(train)):
                        self.history.stop_reason = self.history.stop_reason or (
                            f"stopped by a callback during epoch {self.epoch + 1} after step {self.step_in_epoch}")
                        break
                    self._end_epoch(train_eval, val)
                    self._call("on_epoch_end")
                    self._resume.after_step()
            except KeyboardInterrupt:
                self._interrupted()
            except _StopNonFinite as stop:
                error = self._nonfinite(stop)
            finally:
                self._close_partial_epoch()
                self._call("on_fit_end")
        if error is not None and self.on_nonfinite == "raise":
            raise error
        return self.history

    def _start(self, train_data, val_data, *, epochs: int, batch_size: int, shuffle: bool, val_batch_size: int,
               eval_train: bool, resume_from):
        """Everything before the first step of a fit: the data, its checks, the checkpoint to resume
        from (checked completely, loaded only once the data fits it too), where the call ends.
        Returns ``(train, train_eval, val)``, or None when the checkpoint's fit call had finished."""
        checkpoint = None
        if resume_from is not None:
            checkpoint = read_checkpoint(resume_from, model=self.model, optimizer=self.optimizer, caller="Trainer.fit")
        train, val = self._prepare(train_data, val_data, batch_size, val_batch_size, shuffle)
        if checkpoint is not None:
            start = checkpoint["fit_start_epoch"]
            done = checkpoint["complete"] or start + epochs <= checkpoint["epoch"]
            if not done and checkpoint["step_in_epoch"]:
                can_continue(checkpoint["resume"]["partial"], train.layout(), from_checkpoint=True,
                             epoch=checkpoint["epoch"] + 1)
            self._load(checkpoint, resume_from)
            if done:
                notice(f"Trainer.fit: the checkpoint {str(resume_from)!r} was written after its fit call had "
                       "finished; nothing left to train (load_checkpoint, then fit without resume_from, trains more)")
                return None
        else:
            if self.step_in_epoch and not self._resume.can_continue(from_checkpoint=False, epoch=self.epoch + 1):
                notice(f"Trainer.fit: the interrupted epoch {self.epoch + 1} cannot be continued with different "
                       "data, batch_size or shuffle; it starts again from its beginning")
                self._back_to_epoch_start()
            start = self.epoch
        self.fit_start_epoch, self.fit_end_epoch = start, start + epochs
        return train, (train.for_evaluation(val_batch_size) if eval_train else None), val

    def _prepare(self, train_data, val_data, batch_size: int, val_batch_size: int, shuffle: bool):
        """Everything before the first step: setup, data on the device, the one-batch checks."""
        self._setup()
        self._resume.ensure_generator()
        self._checked_loaders = set()
        train = self._as_data(train_data, "train_data", batch_size=batch_size, shuffle=shuffle)
        val = None if val_data is None else self._as_data(val_data, "val_data", batch_size=val_batch_size, shuffle=False)
        if isinstance(train, Tensors):
            k = min(batch_size, CHECK_ROWS)
            self._preflight(train.X[:k], train.y[:k], "train_data", full_y=train.y)
        if isinstance(val, Tensors):
            self._preflight(val.X[:CHECK_ROWS], val.y[:CHECK_ROWS], "val_data", full_y=val.y)
        for data in (train, val):  # (channels_last may have been switched off by the check)
            if isinstance(data, Tensors):
                data.X = memory_format(data.X, self.channels_last)
        self._resume.layout = train.layout()
        return train, val

    def evaluate(self, data, *, batch_size: int = 256) -> dict[str, float]:
        """Loss and metrics of the model on ``data`` (same kinds as ``fit``), in eval mode, no gradients.

        Each is the mean over all the samples, whatever ``batch_size`` (samples whose class label is
        the loss's ``ignore_index`` are not counted, as the loss does not count them).

        Returns:
            ``{"loss": ..., "<metric>": ...}``.
        """
        _check_positive_int("batch_size", batch_size, caller="Trainer.evaluate")
        data = self._as_data(data, "data", batch_size=batch_size, shuffle=False, caller="Trainer.evaluate")
        if isinstance(data, Tensors):
            self._preflight(data.X[:CHECK_ROWS], data.y[:CHECK_ROWS], "data", full_y=data.y,
                            caller="Trainer.evaluate")
            data.X = memory_format(data.X, self.channels_last)
        return self._evaluate(data, prefix="")

    @torch.no_grad()
    def predict(self, X, *, batch_size: int = 256) -> torch.Tensor:
        """The model's output for inputs ``X`` (tensor or array), in eval mode, batched; on the CPU."""
        _check_positive_int("batch_size", batch_size, caller="Trainer.predict")
        X = self._as_inputs(X, "X", caller="Trainer.predict")
        check_inputs(self.model, X, "Trainer.predict")
        outputs = []
        with eval_mode(self.model):
            for batch in X.split(batch_size):
                try:
                    with self.precision.autocast():
                        y_hat = self.model(batch)
                except Exception as e:  # noqa: BLE001 - re-raised with the shapes that explain it
                    raise ValueError(
                        f"Trainer.predict: the model cannot take a batch of inputs of shape {tuple(batch.shape)} "
                        f"and dtype {batch.dtype}.{describe_first_layer(self.model)} "
                        f"The model said: {type(e).__name__}: {e}"
                    ) from e
                outputs.append(y_hat.float().cpu())
        return torch.cat(outputs) if outputs else torch.empty(0)

    def checkpoint(self, path: str | os.PathLike) -> Path | None:
        """Write everything needed to resume exactly: model, optimizer, gradient scaler, callback
        states, History, counters, the shuffling generator and the random state (rank 0 only).

        Works during a fit (from a callback), after one, and after an interrupted one (it then
        records where the interrupted epoch stopped). The file is written atomically.

        Returns:
            the path written (None on ranks other than 0).
        """
        if not self.is_main:
            return None
        self._flush()
        partial = self.step_in_epoch > 0
        return write_checkpoint(path, {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "optimizer_class": optimizer_class_name(self.optimizer),
            "scaler": self._scaler.state_dict() if self._scaler.is_enabled() else None,
            "callbacks": [[type(cb).__name__, cb.state_dict() if hasattr(cb, "state_dict") else {}]
                          for cb in self.callbacks],
            "history": self.history.to_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "step_in_epoch": self.step_in_epoch,
            "fit_start_epoch": self.fit_start_epoch,
            "complete": self.epoch >= self.fit_end_epoch or (self.should_stop and not partial),
            "resume": self._resume.state_dict(steps_done=self.step_in_epoch, totals=self._totals),
        })

    def load_checkpoint(self, path: str | os.PathLike) -> dict:
        """Load a checkpoint written by :meth:`checkpoint` into this trainer (its model and optimizer
        must be built the same way). A later ``fit`` continues the run.

        The whole file is checked first: readable and complete, the same model structure (parameter
        names and shapes), the same optimizer class and parameter groups. If anything does not fit,
        a :class:`CheckpointError` (a ``ValueError``) names the file and what differs, and nothing
        is changed.

        Returns:
            the checkpoint (a dict; its ``"history"`` is a :class:`History`).
        """
        checkpoint = read_checkpoint(path, model=self.model, optimizer=self.optimizer)
        self._load(checkpoint, path)
        self.fit_start_epoch = self.fit_end_epoch = self.epoch
        return checkpoint

    def _load(self, checkpoint: dict, path) -> None:
        """Put a checked checkpoint into the trainer; if any part fails, put everything back."""
        saved = {"model": {k: v.clone() for k, v in self.model.state_dict().items()},
                 "optimizer": copy.deepcopy(self.optimizer.state_dict()),
                 "scaler": copy.deepcopy(self._scaler.state_dict()) if self._scaler.is_enabled() else None,
                 "callbacks": {id(cb): copy.deepcopy(cb.state_dict()) for cb in self.callbacks
                               if hasattr(cb, "state_dict")}}
        loaded: list = []  # callbacks given their saved state
        try:
            self._load_callback_states(checkpoint["callbacks"], loaded)
            self.model.load_state_dict(checkpoint["model"])
            self.optimizer.load_state_dict(checkpoint["optimizer"])
            if checkpoint.get("scaler") is not None and self._scaler.is_enabled():
                self._scaler.load_state_dict(checkpoint["scaler"])
        except Exception as e:  # noqa: BLE001 - undo, then say what failed
            self.model.load_state_dict(saved["model"])
            self.optimizer.load_state_dict(saved["optimizer"])
            if saved["scaler"] is not None:
                self._scaler.load_state_dict(saved["scaler"])
            for cb in loaded:
                cb.load_state_dict(saved["callbacks"][id(cb)])
            raise CheckpointError(f"Trainer.load_checkpoint: {str(path)!r} could not be loaded "
                                  f"({type(e).__name__}: {e}); nothing was changed") from e
        self.history = checkpoint["history"]
        self.epoch, self.step, self.step_in_epoch = checkpoint["epoch"], checkpoint["step"], checkpoint["step_in_epoch"]
        self._flushed_step = self.step
        self._pending = []
        resume = checkpoint["resume"]
        if resume["seed"] != self.seed:
            notice(f"Trainer.load_checkpoint: the checkpoint was written with seed={resume['seed']}, this trainer has "
                   f"seed={self.seed}; continuing with the checkpoint's random state")
        self._resume.load_state_dict(resume)
        self._totals = list(resume["partial"]["totals"]) if resume["partial"] else self._zero_totals()

    def _load_callback_states(self, saved: list, loaded: list) -> None:
        """Give each callback the saved state of the same class, in order (appending it to ``loaded``);
        say what could not be matched."""
        used = [False] * len(saved)
        unmatched = []
        for cb in self.callbacks:
            name = type(cb).__name__
            for i, (saved_name, cb_state) in enumerate(saved):
                if not used[i] and saved_name == name:
                    used[i] = True
                    if hasattr(cb, "load_state_dict"):
                        cb.load_state_dict(cb_state)
                        loaded.append(cb)
                    break
            else:
                if hasattr(cb, "state_dict") and cb.state_dict():
                    unmatched.append(name)
        unmatched += [name for (name, cb_state), u in zip(saved, used) if not u and cb_state]
        if unmatched:
            notice(f"Trainer.load_checkpoint: no match between the checkpoint's callbacks and this trainer's for "
                   f"{unmatched}; their states are not restored")

    # --------------------------------------------------------------------------------------------
    # the loop
    # --------------------------------------------------------------------------------------------
    def _train_epoch(self, batches: Iterator[tuple[torch.Tensor, torch.Tensor, int]]) -> bool:
        """One pass over the training batches (False if a callback stopped it). The whole algorithm is here."""
        model, loss_fn, optimizer, scaler = self._net, self.loss_fn, self.optimizer, self._scaler
        model.train()
        for X, y, n in batches:                        # n: samples in the global batch
            self.batch = (X, y)
            self._call("on_batch_start")
            with self.precision.autocast():            # mixed precision on a GPU; nothing on the CPU
                y_hat = model(X)                       # forward
                loss = loss_fn(y_hat, y)
            self.loss = loss
            self._record(loss, y_hat, y, n)            # loss and metrics; stops on NaN/inf before any update
            if self._distributed:                      # DDP averages gradients over processes: weight
                loss = loss * (len(y) * self.world_size / n)  # each by its share of the global batch
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()              # backward (scaled only for float16)
            scaler.unscale_(optimizer)                 # the true gradients, for clipping and statistics
            self._call("on_after_backward")            # e.g. gradient clipping
            scaler.step(optimizer)                     # update the weights
            scaler.update()
            self.step += 1
            self.step_in_epoch += 1
            self._resume.after_step()                  # the random state to resume from
            self._call("on_batch_end")
            if self.should_stop:
                return False
        return True

    # --------------------------------------------------------------------------------------------
    # batches
    # --------------------------------------------------------------------------------------------
    def _batches(self, data) -> Iterator[tuple[torch.Tensor, torch.Tensor, int]]:
        """``(X, y, n)`` for each step of this epoch: this process's share of the batch and the global size."""
        skip = self.step_in_epoch  # > 0 when continuing an interrupted epoch
        if skip == 0:
            self._resume.begin_epoch(tensors=self._tensors, optimizer=self.optimizer, step=self.step,
                                     num_steps=self.history.num_steps, loader_generator=data.loader_generator)
            self._totals = self._zero_totals()
        else:  # the same order as when the epoch began, and the sums of the steps it had done
            self._totals = self._resume.continue_epoch(data.loader_generator)
        if isinstance(data, Tensors):
            yield from self._tensor_batches(data, skip)
        else:
            yield from self._loader_batches(data.loader, skip)

    def _tensor_batches(self, data: Tensors, skip: int):
        N, W = len(data), self.world_size
        order = torch.randperm(N, generator=self._resume.generator) if data.shuffle else None
        starts = range(0, N, data.batch_size)
        sizes = [min(data.batch_size, N - s) for s in starts]
        if W == 1:
            # one gather per epoch, then the batches are views: no per-batch copies
            X = data.X if order is None else memory_format(data.X[order.to(data.X.device)], self.channels_last)
            y = data.y if order is None else data.y[order.to(data.y.device)]
            for i, (Xb, yb) in enumerate(zip(X.split(sizes), y.split(sizes))):
                if i >= skip:
                    yield Xb, yb, sizes[i]
            return
        # distributed: every process draws the same order and takes every W-th sample of each batch
        order = torch.arange(N) if order is None else order
        usable = [(s, n) for s, n in zip(starts, sizes) if n >= W]
        if len(usable) < len(sizes):
            notice(f"Trainer.fit: the last batch has {sizes[-1]} samples, fewer than the {W} processes; it is skipped")
        for i, (s, n) in enumerate(usable):
            if i >= skip:
                idx = order[self._dist.shard(s, s + n)].to(data.X.device)
                yield memory_format(data.X[idx], self.channels_last), data.y[idx], n

    def _loader_batches(self, loader: DataLoader, skip: int):
        non_blocking = self.device.type == "cuda" and bool(getattr(loader, "pin_memory", False))
        W = self.world_size
        resume_rng = self._resume.rewind_rng() if skip else None  # replay the interrupted epoch's order
        for i, batch in enumerate(loader):
            if i < skip:
                continue
            if i == skip:
                self._resume.set_rng(resume_rng)  # the random state where the interrupted step began
            X, y = split_batch(batch)
            n = len(y)
            if W > 1:  # every process reads the whole batch and keeps its share
                if n < W:
                    continue
                X, y = X[self.rank::W], y[self.rank::W]
            X = memory_format(to_device(X, self.device, non_blocking=non_blocking), self.channels_last)
            y = to_device(y, self.device, non_blocking=non_blocking)
            if id(loader) not in self._checked_loaders:
                self._checked_loaders.add(id(loader))
                self._preflight(X, y, "train_data")
            yield X, y, n

    # --------------------------------------------------------------------------------------------
    # recording, epochs and evaluation
    # --------------------------------------------------------------------------------------------
    def _record(self, loss: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor, n: int) -> None:
        """Keep the step's loss (and metrics) as global-batch means; check it is finite."""
        if self.metrics or self._distributed:
            values = [loss.detach().float()] + [fn(y_hat.detach(), y).float().reshape(()) for fn in self.metrics.values()]
            values = torch.stack(values)
            if self._distributed:
                values = self._dist.all_reduce_sum(values * len(y)) / n
        else:
            values = loss.detach()
        if self.check_finite == "step":
            values = values.tolist()  # one host sync; cheap on the CPU
            first = values[0] if isinstance(values, list) else values
            if not math.isfinite(first):
                raise _StopNonFinite(first, self.step_in_epoch, *self.batch)
        self._pending.append((values, n))

    def _zero_totals(self) -> list[float]:
        return [0.0] * (len(self.metrics) + 2)

    def _flush(self) -> None:
        """Move the per-step numbers of completed steps into the History (one host sync) and add them,
        weighted by batch size, to the epoch's sums."""
        done = self.step - self._flushed_step
        pending, self._pending = self._pending[:done], []
        if not pending:
            return
        values = [v for v, _ in pending]
        if isinstance(values[0], torch.Tensor):
            values = torch.stack(values).tolist()
        rows = [v if isinstance(v, list) else [v] for v in values]
        sizes = [n for _, n in pending]
        first = self._flushed_step + 1
        columns = {"step": list(range(first, first + len(rows))), "epoch": [self.epoch + 1] * len(rows),
                   "batch_size": sizes, "train_loss": [r[0] for r in rows]}
        for j, name in enumerate(self.metrics, start=1):
            columns[f"train_{name}"] = [r[j] for r in rows]
        self._flushed_step += len(rows)
        self.history.extend_steps(**columns)
        for row, n in zip(rows, sizes):
            for j, value in enumerate(row):
                self._totals[j] += value * n
            self._totals[-1] += n
        bad = next((i for i, r in enumerate(rows) if not math.isfinite(r[0])), None)
        if bad is not None:  # only with check_finite="epoch": found now, once per epoch
            raise _StopNonFinite(rows[bad][0], self.step_in_epoch - len(rows) + bad, None, None)

    def _end_epoch(self, train_eval, val) -> None:
        """Record the epoch: the means of its steps, then the evaluations at its end."""
        self._flush()
        *sums, count = self._totals
        if count == 0:
            raise ValueError(f"Trainer.fit: epoch {self.epoch + 1} had no training batch; is train_data empty?")
        logs = {"epoch": self.epoch + 1}
        logs.update({f"train_{name}": total / count for name, total in zip(["loss", *self.metrics], sums)})
        if train_eval is not None:
            logs.update(self._evaluate(train_eval, prefix="train_eval_"))
        if val is not None:
            logs.update(self._evaluate(val, prefix="val_"))
        logs["lr"] = self.lr
        self.history.append_epoch(**logs)
        self.epoch += 1
        self.step_in_epoch = 0

    @torch.no_grad()
    def _evaluate(self, data, *, prefix: str) -> dict[str, float]:
        """Mean loss and metrics over ``data`` (eval mode), summed on the device, read once. It draws
        nothing from the run's random streams (a DataLoader draws a seed when iterated: forked here)."""
        totals = torch.zeros(2 + len(self.metrics), dtype=torch.float64, device=self.device)  # ..., samples
        with eval_mode(self.model), self._resume.forked_rng():
            for X, y in self._eval_batches(data, prefix):
                with self.precision.autocast():
                    y_hat = self.model(X)
                    loss = self.loss_fn(y_hat, y)
                values = [loss.float()] + [fn(y_hat, y).float().reshape(()) for fn in self.metrics.values()]
                n = self._counted(y_hat, y)  # the samples the batch's means are over
                weighted = torch.stack(values).double() * n
                totals += torch.cat([torch.where(n > 0, weighted, 0.0), n.reshape(1)])  # (a batch all ignored: 0)
        stats = self._dist.all_reduce_sum(totals).tolist()
        if stats[-1] == 0:
            raise ValueError(f"Trainer: the {prefix or 'evaluation '}data is empty")
        names = ["loss", *self.metrics]
        return {prefix + name: value / stats[-1] for name, value in zip(names, stats[:-1])}

    def _counted(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The number of samples a batch mean is over (a float64 0-d tensor on the device): all of them,
        or, for class labels, those that do not hold the loss's ``ignore_index``."""
        if self._ignore_index is None or y.is_floating_point() or y_hat.ndim != y.ndim + 1:
            return torch.tensor(float(len(y)), dtype=torch.float64, device=self.device)
        return (y != self._ignore_index).sum().double()  # on the device: no sync

    def _eval_batches(self, data, prefix: str):
        W = self.world_size
        if isinstance(data, Tensors):
            X, y = data.X, data.y
            if W > 1:  # each process evaluates its share
                X, y = X[self.rank::W], y[self.rank::W]
            yield from zip(memory_format(X, self.channels_last).split(data.batch_size), y.split(data.batch_size))
            return
        for batch in data.loader:
            X, y = split_batch(batch)
            if W > 1:
                X, y = X[self.rank::W], y[self.rank::W]
            X, y = memory_format(to_device(X, self.device), self.channels_last), to_device(y, self.device)
            if id(data.loader) not in self._checked_loaders:
                self._checked_loaders.add(id(data.loader))
                self._preflight(X, y, "train_data" if prefix == "train_eval_" else "val_data")
            yield X, y

    # --------------------------------------------------------------------------------------------
    # interrupts and NaN
    # --------------------------------------------------------------------------------------------
    def _interrupted(self) -> None:
        self._close_partial_epoch()
        self.history.interrupted = True
        self.history.stop_reason = (f"interrupted during epoch {self.epoch + 1} after step {self.step_in_epoch} "
                                    f"(global step {self.step})")
        if self.is_main:
            notice(f"Trainer.fit: {self.history.stop_reason}; the model keeps the weights of its last completed "
                   "step. Call fit again to continue, or trainer.checkpoint(path) to save.")

    def _close_partial_epoch(self) -> None:
        """When fit ends inside an epoch: record its steps and where it stopped, so it can be continued."""
        try:
            self._flush()
        except _StopNonFinite:
            pass
        if self.step_in_epoch > 0:
            self._resume.stop_inside_epoch(steps_done=self.step_in_epoch, totals=self._totals)

    def _nonfinite(self, stop: _StopNonFinite) -> NonFiniteLossError | None:
        try:
            self._flush()
        except _StopNonFinite:  # found by the once-per-epoch check
            pass
        global_step = self.step - self.step_in_epoch + stop.step_in_epoch + 1
        lr = self.lr
        weights_ok = all(bool(torch.isfinite(p).all()) for p in self.model.parameters())
        if self.check_finite == "epoch" or not weights_ok:
            self._back_to_epoch_start()
            restored = f" The model has its weights from the start of epoch {self.epoch + 1}."
        else:
            restored = " The model keeps its weights from before this step."
        causes = ["a learning rate too high (try it 10 times smaller)",
                  "the log of 0 in the loss (use a loss on logits, e.g. CrossEntropyLoss or BCEWithLogitsLoss, "
                  "or clamp probabilities)",
                  "bad data (NaN or inf in the inputs or targets)"]
        if stop.X is not None:
            bad = [name for name, t in (("inputs", stop.X), ("targets", stop.y))
                   if t.is_floating_point() and not bool(torch.isfinite(t).all())]
            if bad:
                causes = [f"this batch's {' and '.join(bad)} hold NaN or inf: check torch.isfinite(X).all()"] + causes
        message = (f"Trainer.fit: the training loss became {stop.value} at epoch {self.epoch + 1}, step "
                   f"{stop.step_in_epoch + 1} of the epoch (global step {global_step}), learning rate {lr:g}."
                   f"{restored} Usual causes: " + "; ".join(causes) + ".")
        self.history.stop_reason = message
        if self.on_nonfinite == "stop":
            if self.is_main:
                notice(message)
            return None
        return NonFiniteLossError(message, self.history)

    def _back_to_epoch_start(self) -> None:
        """Weights, optimizer state, counters, History and random states as at the start of the epoch."""
        restored = self._resume.restore_epoch_start(self._tensors, self.optimizer)
        if restored is not None:
            self.step, num_steps = restored
            self._flushed_step = self.step
            self.history.truncate_steps(num_steps)
        self._resume.partial = None
        self.step_in_epoch = 0
        self._pending, self._totals = [], self._zero_totals()

    # --------------------------------------------------------------------------------------------
    # setup and checks
    # --------------------------------------------------------------------------------------------
    def _setup(self) -> None:
        """Once, at the first fit: process group, DDP, torch.compile, the callback table."""
        if self._net is None:
            self._dist.setup(self.device)
            net = self._dist.wrap(self.model, self.device)
            if self.compile:
                net = self._compiled(net)
            self._net = net
        self._tensors = _state_tensors(self.model)  # parameters and buffers, for the per-epoch snapshot
        for cb in self.callbacks:
            check_callback(cb)
        ordered = sorted(self.callbacks, key=lambda cb: getattr(cb, "order", 0))
        self._events = {event: [getattr(cb, event) for cb in ordered if _overrides(cb, event)] for event in EVENTS}

    def _compiled(self, net: nn.Module) -> nn.Module:
        try:
            compiled = torch.compile(net)
        except Exception as e:  # noqa: BLE001 - any failure means: run eagerly
            notice(f"Trainer: torch.compile is skipped ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                   "training in eager mode")
            return net
        self._compile_pending = True
        return compiled

    def _call(self, event: str) -> None:
        for fn in self._events.get(event, ()):
            fn(self)

    def _preflight(self, X: torch.Tensor, y: torch.Tensor, name: str, full_y: torch.Tensor | None = None, *,
                   caller: str = "Trainer.fit") -> None:
        """The one-batch check (``preflight.py``), and what depends on it: channels_last, torch.compile."""
        check = dict(name=name, full_y=full_y, caller=caller)
        try:
            check_batch(self.model, self.loss_fn, self.metrics, X, y, **check)
        except ValueError:
            if not self.channels_last:
                raise
            # channels_last breaks models whose forward uses x.view on a feature map: try without it
            memory_format(self.model, False)
            try:
                check_batch(self.model, self.loss_fn, self.metrics, memory_format(X, False), y, **check)
            except ValueError:
                memory_format(self.model, True)
                raise
            self.channels_last = False
            notice("Trainer: channels_last is switched off: the model's forward needs contiguous tensors "
                   "(x.flatten(1) or x.reshape instead of x.view would allow it)")
        if self._compile_pending:
            self._compile_pending = False
            try:
                with torch.no_grad(), eval_mode(self.model):
                    self._net(X)
            except Exception as e:  # noqa: BLE001
                notice(f"Trainer: torch.compile failed ({type(e).__name__}); training in eager mode")
                self._net = self._dist.wrap(self.model, self.device) if self._dist.enabled else self.model

    def _as_data(self, data, name: str, *, batch_size: int, shuffle: bool, caller: str = "Trainer.fit"):
        return as_data(data, name, batch_size=batch_size, shuffle=shuffle, device=self.device,
                       dtype=param_dtype(self.model), channels_last=self.channels_last,
                       generator=self._resume.generator, caller=caller)

    def _as_inputs(self, X, name: str, *, caller: str = "Trainer.fit") -> torch.Tensor:
        return as_inputs(X, name, device=self.device, dtype=param_dtype(self.model),
                         channels_last=self.channels_last, caller=caller)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------

def _check_positive_int(name: str, value, *, caller: str = "Trainer.fit") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{caller}: argument {name!r} got {value!r}, expected a positive integer")
    if value < 1:
        raise ValueError(f"{caller}: argument {name!r} got {value}, expected a positive integer (at least 1)")


def _overrides(cb, event: str) -> bool:
    """True when ``cb`` does something on ``event`` (not Callback's empty default)."""
    fn = getattr(cb, event, None)
    if not callable(fn):
        return False
    return getattr(fn, "__func__", None) is not getattr(Callback, event)


def _check_optimizer_holds_model(model: nn.Module, optimizer) -> None:
    model_ids = {id(p) for p in model.parameters()}
    opt_ids = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if model_ids and opt_ids and not (model_ids & opt_ids):
        raise ValueError(
            "Trainer: the optimizer does not hold any of the model's parameters; build it from this model, "
            "e.g. torch.optim.SGD(model.parameters(), lr=0.1)"
        )


def _state_tensors(model: nn.Module) -> list[torch.Tensor]:
    return [*model.parameters(), *model.buffers()]
