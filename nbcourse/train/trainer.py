r"""One trainer for every chapter: :class:`Trainer`.

The whole algorithm is the loop in :meth:`Trainer._train_epoch`, which reads like the textbook::

    for X, y in batches:
        y_hat = model(X)                       # forward
        loss = loss_fn(y_hat, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()                        # backward
        optimizer.step()                       # update

Everything else is around it, not in it: batching by index on the device, seeded shuffling,
mixed precision and the other GPU settings (resolved once, in ``__init__``), callbacks by event
name, checks that stop a run before it goes wrong, and checkpoints that resume exactly.

Reproducibility: with ``seed=`` the trainer shuffles with its own :class:`torch.Generator` and runs
dropout (and anything else that draws from PyTorch's global generator) inside
:func:`torch.random.fork_rng`, so two runs with the same seed record the same History, to the last
digit on the CPU, and the caller's random state is left untouched. The model's *initial* weights
are the caller's: build it right after ``torch.manual_seed(s)``, or with the ``seed=`` argument of
the :mod:`nbcourse.models`.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from .callbacks import Callback, EVENTS, ProgressBar, check_callback
from .devices import has_conv, notice, resolve_device, resolve_precision, to_device
from .distributed import Distributed
from .history import History
from .metrics import resolve_metrics

__all__ = ["Trainer", "NonFiniteLossError"]

CHECKPOINT_FORMAT = "nbcourse.train.checkpoint/1"
_CHECK_ROWS = 16  # samples run through model and loss before training, to catch shape and dtype mistakes


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


# ------------------------------------------------------------------------------------------------
# the data a fit receives, in the two forms the loop knows
# ------------------------------------------------------------------------------------------------

@dataclass
class _Tensors:
    """In-memory data, already on the device; batched by index."""

    X: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class _Loader:
    """A DataLoader (given, or built around a Dataset)."""

    loader: DataLoader


class Trainer:
    r"""Train a model: ``Trainer(model, loss_fn, optimizer).fit((X, y), epochs=10, batch_size=64)``.

    Args:
        model: the network, already built (it is moved to ``device``).
        loss_fn: ``loss_fn(y_hat, y)`` returning the batch *mean* as a 0-d tensor (a
            ``torch.nn`` loss, a :mod:`nbcourse.losses` function or module, or your own).
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
        self.model = model
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.seed = None if seed is None else int(seed)
        self.metrics = resolve_metrics(metrics)
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

        self._scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision.scale_loss)
        self._net: nn.Module | None = None  # the model as the loop calls it (DDP / compiled)
        self._generator: torch.Generator | None = None  # shuffling
        self._rng_state: dict | None = None  # global RNG (dropout) at the resume point, when seeded
        self._partial: dict | None = None  # where an interrupted epoch stopped
        self._snapshot: dict | None = None  # weights at the start of the epoch (NaN safety net)
        self._events: dict[str, list] = {}
        self._pending: list = []  # per-step numbers not yet in the History
        self._flushed_step = 0
        self._epoch_gen_state: torch.Tensor | None = None
        self._epoch_rng_state: dict | None = None
        self._epoch_loader_gen_state: torch.Tensor | None = None
        self._epoch_num_samples, self._epoch_batch_size, self._epoch_shuffle = 0, 0, True
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
        return (f"Trainer({type(self.model).__name__}, {_name(self.loss_fn)}, {type(self.optimizer).__name__}, "
                f"device={str(self.device)!r}, precision={self.precision.name}, channels_last={self.channels_last}"
                + "".join(", " + e for e in extras) + f"; {self.epoch} epochs, {self.step} steps done)")

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

    def fit(self, train_data, val_data=None, *, epochs: int, batch_size: int, shuffle: bool = True,
            resume_from: str | os.PathLike | None = None) -> History:
        r"""Train for ``epochs`` epochs and return the :class:`History` (also ``trainer.history``).

        Args:
            train_data: a pair ``(X, y)`` of tensors or numpy arrays, a :class:`TensorDataset`
                (both batched by index on the device: no per-sample collation), any other
                :class:`~torch.utils.data.Dataset`, or a :class:`~torch.utils.data.DataLoader`
                (for data that does not fit in memory; its own batching and shuffling are used).
            val_data: the same kinds, evaluated at the end of every epoch (default None).
            epochs: number of epochs for this call (later calls continue the same run).
            batch_size: samples per optimisation step (the *global* batch in a distributed run).
            shuffle: draw a new order every epoch (default True), from the trainer's own generator.
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
                batch), labels of the wrong dtype for the loss.
            NonFiniteLossError: when the loss becomes NaN or infinite (with ``on_nonfinite="raise"``);
                the model keeps its last good weights.
        """
        if train_data is not None and _is_array(train_data) and _is_array(val_data):
            raise TypeError(
                "Trainer.fit: got two arrays as train_data and val_data; pass the training data as one "
                "pair: fit((X, y), epochs=..., batch_size=...)"
            )
        _check_positive_int("epochs", epochs)
        _check_positive_int("batch_size", batch_size)
        if not isinstance(shuffle, bool):
            raise TypeError(f"Trainer.fit: argument 'shuffle' got {shuffle!r}, expected True or False")

        resuming = resume_from is not None
        if resuming:
            checkpoint = self.load_checkpoint(resume_from)
            fit_start = checkpoint["fit_start_epoch"]
            epochs = fit_start + epochs - self.epoch  # what is left of the call the checkpoint was written in
            if checkpoint["complete"] or epochs <= 0:
                notice(f"Trainer.fit: the checkpoint {str(resume_from)!r} was written after its fit call had "
                       "finished; nothing left to train (load_checkpoint, then fit without resume_from, trains more)")
                return self.history
        else:
            fit_start = self.epoch
        train, val = self._prepare(train_data, val_data, batch_size, shuffle, resuming=resuming)
        # the keys this call records, in their order, present from the start (empty until an epoch ends)
        splits = ("train_", "val_") if val is not None else ("train_",)
        self.history.declare("epoch", *(split + name for split in splits for name in ("loss", *self.metrics)), "lr")
        self.history.interrupted, self.history.stop_reason, self.should_stop = False, None, False
        self.fit_start_epoch, self.fit_end_epoch = fit_start, self.epoch + epochs
        error = None
        with self._rng_scope():
            try:
                self._call("on_fit_start")
                while self.epoch < self.fit_end_epoch and not self.should_stop:
                    self._call("on_epoch_start")
                    if not self._train_epoch(self._batches(train, batch_size, shuffle)):
                        self.history.stop_reason = self.history.stop_reason or (
                            f"stopped by a callback during epoch {self.epoch + 1} after step {self.step_in_epoch}")
                        break
                    val_logs = self._evaluate(val, batch_size, prefix="val_") if val is not None else {}
                    self._end_epoch(val_logs)
                    self._call("on_epoch_end")
                    self._save_rng()
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

    def _prepare(self, train_data, val_data, batch_size: int, shuffle: bool, *, resuming: bool):
        """Everything before the first step: setup, data on the device, the one-batch checks."""
        self._setup()
        self._ensure_generator()
        self._checked_loaders = set()
        train = self._as_data(train_data, "train_data", batch_size=batch_size, shuffle=shuffle)
        val = None if val_data is None else self._as_data(val_data, "val_data", batch_size=batch_size, shuffle=False)
        if isinstance(train, _Tensors):
            k = min(batch_size, _CHECK_ROWS)
            self._preflight(train.X[:k], train.y[:k], "train_data", full_y=train.y)
        if isinstance(val, _Tensors):
            self._preflight(val.X[:_CHECK_ROWS], val.y[:_CHECK_ROWS], "val_data", full_y=val.y)
        if not self.channels_last:  # (switched off by the check)
            for data in (train, val):
                if isinstance(data, _Tensors):
                    data.X = data.X.contiguous()
        self._check_partial_epoch(train, batch_size, shuffle, from_checkpoint=resuming)
        return train, val

    def evaluate(self, data, *, batch_size: int = 256) -> dict[str, float]:
        """Loss and metrics of the model on ``data`` (same kinds as ``fit``), in eval mode, no gradients.

        Returns:
            ``{"loss": ..., "<metric>": ...}``.
        """
        _check_positive_int("batch_size", batch_size, caller="Trainer.evaluate")
        data = self._as_data(data, "data", batch_size=batch_size, shuffle=False, caller="Trainer.evaluate")
        if isinstance(data, _Tensors):
            self._preflight(data.X[:_CHECK_ROWS], data.y[:_CHECK_ROWS], "data", full_y=data.y,
                            caller="Trainer.evaluate")
            data.X = data.X if self.channels_last else data.X.contiguous()
        return self._evaluate(data, batch_size, prefix="")

    @torch.no_grad()
    def predict(self, X, *, batch_size: int = 256) -> torch.Tensor:
        """The model's output for inputs ``X`` (tensor or array), in eval mode, batched; on the CPU."""
        _check_positive_int("batch_size", batch_size, caller="Trainer.predict")
        X = self._as_inputs(X, "X", caller="Trainer.predict")
        dtype = _param_dtype(self.model)
        if X.is_floating_point() and X.dtype != dtype:
            raise TypeError(
                f"Trainer.predict: inputs X are {X.dtype} but the model's parameters are {dtype}; "
                f"convert the data with X.to({dtype}) (or the model with model.to({X.dtype}))"
            )
        was_training = self.model.training
        self.model.eval()
        try:
            outputs = []
            for start in range(0, len(X), batch_size):
                batch = X[start:start + batch_size]
                try:
                    with self.precision.autocast():
                        y_hat = self.model(batch)
                except Exception as e:  # noqa: BLE001 - re-raised with the shapes that explain it
                    raise ValueError(
                        f"Trainer.predict: the model cannot take a batch of inputs of shape {tuple(batch.shape)} "
                        f"and dtype {batch.dtype}.{_describe_first_layer(self.model)} "
                        f"The model said: {type(e).__name__}: {e}"
                    ) from e
                outputs.append(y_hat.float().cpu())
        finally:
            self.model.train(was_training)
        return torch.cat(outputs) if outputs else torch.empty(0)

    def checkpoint(self, path: str | os.PathLike) -> Path | None:
        """Write everything needed to resume exactly: model, optimizer, gradient scaler, callback
        states, History, counters, the shuffling generator and the random state (rank 0 only).

        Works during a fit (from a callback), after one, and after an interrupted one (it then
        records where the interrupted epoch stopped).

        Returns:
            the path written (None on ranks other than 0).
        """
        if not self.is_main:
            return None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._flush()
        partial = self._partial_now()
        state = {
            "format": CHECKPOINT_FORMAT,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self._scaler.state_dict() if self._scaler.is_enabled() else None,
            "callbacks": [[type(cb).__name__, cb.state_dict() if hasattr(cb, "state_dict") else {}]
                          for cb in self.callbacks],
            "history": self.history.to_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "step_in_epoch": self.step_in_epoch,
            "fit_start_epoch": self.fit_start_epoch,
            "complete": self.epoch >= self.fit_end_epoch or (self.should_stop and not partial),
            "seed": self.seed,
            # shuffling: the generator now (after an epoch) and, in "partial", as it was before an
            # unfinished epoch drew its order
            "generator": None if self._generator is None else self._generator.get_state(),
            "rng": self._rng_state,
            # where an unfinished epoch stopped, with the states its order was drawn from
            "partial": (self._partial or self._partial_state()) if partial else None,
        }
        tmp = path.with_name(path.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)  # atomic: an interrupted write never leaves half a checkpoint
        return path

    def load_checkpoint(self, path: str | os.PathLike) -> dict:
        """Load a checkpoint written by :meth:`checkpoint` into this trainer (its model and optimizer
        must be built the same way). A later ``fit`` continues the run. Returns the raw checkpoint."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"Trainer.load_checkpoint: no file {str(path)!r}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"Trainer.load_checkpoint: {str(path)!r} is not a checkpoint written by Trainer.checkpoint")
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as e:
            raise ValueError(
                f"Trainer.load_checkpoint: the model in {str(path)!r} does not match this trainer's model "
                f"(build the same architecture before loading): {e}"
            ) from None
        self.optimizer.load_state_dict(state["optimizer"])
        if state["scaler"] is not None and self._scaler.is_enabled():
            self._scaler.load_state_dict(state["scaler"])
        self._load_callback_states(state["callbacks"])
        self.history = History.from_dict(state["history"])
        self.epoch, self.step, self.step_in_epoch = state["epoch"], state["step"], state["step_in_epoch"]
        self._flushed_step = self.step
        self._pending = []
        if state["seed"] != self.seed:
            notice(f"Trainer.load_checkpoint: the checkpoint was written with seed={state['seed']}, this trainer has "
                   f"seed={self.seed}; continuing with the checkpoint's random state")
            self.seed = state["seed"]
        if state["generator"] is not None:
            self._generator = torch.Generator().manual_seed(0)
            self._generator.set_state(state["generator"])
        self._rng_state = state["rng"]
        self._partial = state["partial"]
        self._snapshot = None
        self.fit_start_epoch = self.fit_end_epoch = self.epoch
        return state

    def _load_callback_states(self, saved: list) -> None:
        """Give each callback the saved state of the same class, in order; say what could not be matched."""
        used = [False] * len(saved)
        unmatched = []
        for cb in self.callbacks:
            name = type(cb).__name__
            for i, (saved_name, cb_state) in enumerate(saved):
                if not used[i] and saved_name == name:
                    used[i] = True
                    if hasattr(cb, "load_state_dict"):
                        cb.load_state_dict(cb_state)
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
            self._save_rng()
            self._call("on_batch_end")
            if self.should_stop:
                return False
        return True

    # --------------------------------------------------------------------------------------------
    # batches
    # --------------------------------------------------------------------------------------------
    def _batches(self, data, batch_size: int, shuffle: bool) -> Iterator[tuple[torch.Tensor, torch.Tensor, int]]:
        """``(X, y, n)`` for each step of this epoch: this process's share of the batch and the global size."""
        skip = self.step_in_epoch  # > 0 when continuing an interrupted epoch
        loader_gen = getattr(data.loader, "generator", None) if isinstance(data, _Loader) else None
        if skip == 0:
            self._begin_epoch_state()
            self._epoch_rng_state = _get_rng(self.device) if self.seed is not None else None
            self._epoch_loader_gen_state = loader_gen.get_state() if loader_gen is not None else None
        else:  # the same order as when the epoch began
            partial, self._partial = self._partial, None
            self._generator.set_state(partial["generator"])
            self._epoch_rng_state = partial["rng_epoch"]
            self._epoch_loader_gen_state = partial["loader_generator"]
            if loader_gen is not None and partial["loader_generator"] is not None:
                loader_gen.set_state(partial["loader_generator"])
        self._epoch_gen_state = self._generator.get_state()
        if isinstance(data, _Tensors):
            yield from self._tensor_batches(data, batch_size, shuffle, skip)
        else:
            yield from self._loader_batches(data.loader, skip)

    def _tensor_batches(self, data: _Tensors, batch_size: int, shuffle: bool, skip: int):
        N, W = len(data), self.world_size
        order = torch.randperm(N, generator=self._generator) if shuffle else None
        starts = range(0, N, batch_size)
        sizes = [min(batch_size, N - s) for s in starts]
        if W == 1:
            # one gather per epoch, then the batches are views: no per-batch copies
            X = data.X if order is None else data.X[order.to(data.X.device)]
            y = data.y if order is None else data.y[order.to(data.y.device)]
            if self.channels_last and X.ndim == 4:
                X = X.contiguous(memory_format=torch.channels_last)
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
                Xb = data.X[idx]
                if self.channels_last and Xb.ndim == 4:
                    Xb = Xb.contiguous(memory_format=torch.channels_last)
                yield Xb, data.y[idx], n

    def _loader_batches(self, loader: DataLoader, skip: int):
        non_blocking = self.device.type == "cuda" and bool(getattr(loader, "pin_memory", False))
        W = self.world_size
        resume_rng = self._rng_state
        if skip and self._epoch_rng_state is not None:
            _set_rng(self._epoch_rng_state, self.device)  # a sampler seeded from the global generator: same order
        for i, batch in enumerate(loader):
            if i < skip:
                continue
            if skip and i == skip and resume_rng is not None:
                _set_rng(resume_rng, self.device)  # the random state where the interrupted step began
            X, y = _split_batch(batch)
            n = len(y)
            if W > 1:  # every process reads the whole batch and keeps its share
                if n < W:
                    continue
                X, y = X[self.rank::W], y[self.rank::W]
            X = to_device(X, self.device, non_blocking=non_blocking)
            y = to_device(y, self.device, non_blocking=non_blocking)
            if self.channels_last and X.ndim == 4:
                X = X.contiguous(memory_format=torch.channels_last)
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

    def _flush(self) -> None:
        """Move the per-step numbers of completed steps into the History (one host sync)."""
        done = self.step - self._flushed_step
        pending, self._pending = self._pending[:done], []
        if not pending:
            return
        values = [v for v, _ in pending]
        if isinstance(values[0], torch.Tensor):
            values = torch.stack(values).tolist()
        rows = [v if isinstance(v, list) else [v] for v in values]
        first = self._flushed_step + 1
        columns = {"step": list(range(first, first + len(rows))), "epoch": [self.epoch + 1] * len(rows),
                   "batch_size": [n for _, n in pending], "train_loss": [r[0] for r in rows]}
        for j, name in enumerate(self.metrics, start=1):
            columns[f"train_{name}"] = [r[j] for r in rows]
        self._flushed_step += len(rows)
        bad = next((i for i, r in enumerate(rows) if not math.isfinite(r[0])), None)
        self.history.extend_steps(**columns)
        if bad is not None:  # only with check_finite="epoch": found now, once per epoch
            raise _StopNonFinite(rows[bad][0], self.step_in_epoch - len(rows) + bad, None, None)

    def _end_epoch(self, val_logs: dict[str, float]) -> None:
        self._flush()
        steps = self.history.steps
        begin = len(steps["epoch"])
        while begin > 0 and steps["epoch"][begin - 1] == self.epoch + 1:
            begin -= 1
        sizes = steps["batch_size"][begin:]
        total = sum(sizes)
        if total == 0:
            raise ValueError(f"Trainer.fit: epoch {self.epoch + 1} had no training batch; is train_data empty?")
        logs = {"epoch": self.epoch + 1,
                "train_loss": sum(v * n for v, n in zip(steps["train_loss"][begin:], sizes)) / total}
        for name in self.metrics:
            logs[f"train_{name}"] = sum(v * n for v, n in zip(steps[f"train_{name}"][begin:], sizes)) / total
        logs.update(val_logs)
        logs["lr"] = self.lr
        self.history.append_epoch(**logs)
        self.epoch += 1
        self.step_in_epoch = 0

    @torch.no_grad()
    def _evaluate(self, data, batch_size: int, *, prefix: str) -> dict[str, float]:
        """Mean loss and metrics over ``data`` (eval mode), summed on the device, read once."""
        model = self.model
        was_training = model.training
        model.eval()
        totals = torch.zeros(1 + len(self.metrics), dtype=torch.float64, device=self.device)
        count = 0
        try:
            for X, y in self._eval_batches(data, batch_size):
                with self.precision.autocast():
                    y_hat = model(X)
                    loss = self.loss_fn(y_hat, y)
                values = [loss.float()] + [fn(y_hat, y).float().reshape(()) for fn in self.metrics.values()]
                totals += torch.stack(values).double() * len(y)
                count += len(y)
        finally:
            model.train(was_training)
        stats = torch.cat([totals, torch.tensor([count], dtype=torch.float64, device=self.device)])
        stats = self._dist.all_reduce_sum(stats).tolist()
        if stats[-1] == 0:
            raise ValueError(f"Trainer: the {prefix or 'evaluation '}data is empty")
        names = ["loss", *self.metrics]
        return {prefix + name: value / stats[-1] for name, value in zip(names, stats[:-1])}

    def _eval_batches(self, data, batch_size: int):
        if isinstance(data, _Tensors):
            X, y = data.X, data.y
            if self._dist.enabled:  # each process evaluates its share
                X, y = X[self.rank::self.world_size], y[self.rank::self.world_size]
            if self.channels_last and X.ndim == 4:
                X = X.contiguous(memory_format=torch.channels_last)
            yield from zip(X.split(batch_size), y.split(batch_size))
            return
        W = self.world_size
        for batch in data.loader:
            X, y = _split_batch(batch)
            if W > 1:
                X, y = X[self.rank::W], y[self.rank::W]
            X, y = to_device(X, self.device), to_device(y, self.device)
            if id(data.loader) not in self._checked_loaders:
                self._checked_loaders.add(id(data.loader))
                self._preflight(X, y, "val_data")
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

    def _nonfinite(self, stop: _StopNonFinite) -> NonFiniteLossError | None:
        try:
            self._flush()
        except _StopNonFinite:  # found by the once-per-epoch check
            pass
        global_step = self.step - self.step_in_epoch + stop.step_in_epoch + 1
        lr = self.lr
        weights_ok = all(bool(torch.isfinite(p).all()) for p in self.model.parameters())
        if self.check_finite == "epoch" or not weights_ok:
            self._restore_snapshot()
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

    def _restore_snapshot(self) -> None:
        """Back to the start of the current epoch (weights, optimizer state, counters, History)."""
        snapshot = self._snapshot
        if snapshot is None:
            return
        with torch.no_grad():
            for tensor, saved in zip(self._tensors, snapshot["tensors"]):
                tensor.copy_(saved)
        self.optimizer.state.clear()
        for param, state in snapshot["optimizer"].items():
            self.optimizer.state[param] = _clone_state(state)
        for group, saved in zip(self.optimizer.param_groups, snapshot["groups"]):
            group.update(saved)
        self.step = self._flushed_step = snapshot["step"]
        self.history.truncate_steps(self._snapshot["num_steps"])
        self.step_in_epoch = 0
        self._pending, self._partial = [], None
        if self._epoch_gen_state is not None:
            self._generator.set_state(self._epoch_gen_state)
        if self._epoch_rng_state is not None:
            self._rng_state = self._epoch_rng_state

    # --------------------------------------------------------------------------------------------
    # state kept for exact resumption
    # --------------------------------------------------------------------------------------------
    def _begin_epoch_state(self) -> None:
        """At the start of a fresh epoch: remember the weights (NaN safety net) and random states."""
        # plain tensor copies (cheaper than state_dict()): parameters, buffers, optimizer state, group settings
        self._snapshot = {
            "tensors": [t.detach().clone() for t in self._tensors],
            "optimizer": {param: _clone_state(state) for param, state in self.optimizer.state.items()},
            "groups": [{k: v for k, v in group.items() if k != "params"} for group in self.optimizer.param_groups],
            "step": self.step,
            "num_steps": self.history.num_steps,
        }

    def _partial_now(self) -> bool:
        return self.step_in_epoch > 0

    def _partial_state(self) -> dict:
        return {"generator": self._epoch_gen_state, "rng_epoch": self._epoch_rng_state,
                "loader_generator": self._epoch_loader_gen_state, "steps_done": self.step_in_epoch,
                "num_samples": self._epoch_num_samples, "batch_size": self._epoch_batch_size,
                "shuffle": self._epoch_shuffle}

    def _close_partial_epoch(self) -> None:
        """When fit ends inside an epoch: record its steps and where it stopped, so it can be continued."""
        try:
            self._flush()
        except _StopNonFinite:
            pass
        if self.step_in_epoch > 0:
            self._partial = self._partial_state()

    def _check_partial_epoch(self, train, batch_size: int, shuffle: bool, *, from_checkpoint: bool) -> None:
        """Before a fit: decide whether an interrupted epoch can be continued with this data."""
        self._epoch_num_samples = len(train) if isinstance(train, _Tensors) else _loader_len(train.loader)
        self._epoch_batch_size, self._epoch_shuffle = batch_size, shuffle
        if self.step_in_epoch == 0:
            return
        partial = self._partial or {}
        same = (partial.get("num_samples") == self._epoch_num_samples and partial.get("batch_size") == batch_size
                and partial.get("shuffle") == shuffle)
        if same:
            return
        if from_checkpoint:
            raise ValueError(
                f"Trainer.fit: the checkpoint stopped inside epoch {self.epoch + 1}, with {partial.get('num_samples')} "
                f"training samples, batch_size={partial.get('batch_size')}, shuffle={partial.get('shuffle')}; resume "
                "with the same training data, batch_size and shuffle"
            )
        notice(f"Trainer.fit: the interrupted epoch {self.epoch + 1} cannot be continued with different data, "
               "batch_size or shuffle; it starts again from its beginning")
        self._restore_snapshot()
        self.step_in_epoch = 0
        self._partial = None

    def _save_rng(self) -> None:
        """Remember the global random state at this point (seeded runs), to resume from it."""
        if self.seed is not None:
            self._rng_state = _get_rng(self.device)

    def _ensure_generator(self) -> None:
        """The shuffling generator: seeded with ``seed``, or from the global generator (same on every process)."""
        if self._generator is None:
            seed = self.seed
            if seed is None:
                seed = self._dist.broadcast_int(int(torch.randint(0, 2**62, ()).item()), self.device)
            self._generator = torch.Generator().manual_seed(seed)

    @contextlib.contextmanager
    def _rng_scope(self):
        """Seeded runs draw dropout & co. from a forked global generator: the caller's state is untouched."""
        if self.seed is None:
            yield
            return
        devices = [self.device.index or 0] if self.device.type in ("cuda", "mps") else []
        kind = self.device.type if self.device.type in ("cuda", "mps") else None
        with torch.random.fork_rng(devices=devices, device_type=kind or "cuda"):
            if self._rng_state is None:
                _seed_rng(_derive_seed(self.seed, 1), self.device)
                self._save_rng()
            else:
                _set_rng(self._rng_state, self.device)
            yield

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

    def _as_tensor(self, value, what: str) -> torch.Tensor:
        """``value`` as a tensor (numpy floats take the model's dtype); ``what`` starts the error message."""
        if isinstance(value, np.ndarray):
            value = torch.as_tensor(value)
            if value.is_floating_point():
                value = value.to(_param_dtype(self.model))
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{what} {type(value).__name__}, expected a tensor or numpy array"
                            + (" (convert a list with torch.tensor(...))" if isinstance(value, (list, tuple)) else ""))
        return value

    def _as_inputs(self, X, name: str, *, caller: str = "Trainer.fit") -> torch.Tensor:
        X = self._as_tensor(X, f"{caller}: argument {name!r} got").to(self.device)
        if self.channels_last and X.ndim == 4:
            X = X.contiguous(memory_format=torch.channels_last)
        return X

    def _as_data(self, data, name: str, *, batch_size: int, shuffle: bool, caller: str = "Trainer.fit"):
        """Normalise what fit/evaluate received into ``_Tensors`` (on the device) or ``_Loader``."""
        if isinstance(data, DataLoader):
            if _loader_len(data) == 0:
                raise ValueError(f"{caller}: {name} is empty (its DataLoader's dataset has no samples)")
            if self.device.type == "cuda" and not data.pin_memory:
                notice(f"{caller}: {name}'s DataLoader copies to the GPU faster with pin_memory=True")
            return _Loader(data)
        if isinstance(data, TensorDataset):
            if len(data.tensors) != 2:
                raise ValueError(f"{caller}: {name} is a TensorDataset of {len(data.tensors)} tensors, expected 2 (X, y)")
            data = data.tensors
        if isinstance(data, (tuple, list)):
            if len(data) != 2:
                raise ValueError(f"{caller}: {name} is a sequence of {len(data)} items, expected a pair (X, y)")
            X, y = data
            X = self._as_inputs(X, f"{name}[0] (X)", caller=caller)
            y = self._as_tensor(y, f"{caller}: {name}[1] (y) is")
            if len(X) != len(y):
                raise ValueError(f"{caller}: {name} has {len(X)} inputs but {len(y)} targets; they must match")
            if len(X) == 0:
                raise ValueError(f"{caller}: {name} is empty (0 samples)")
            for part, t in (("inputs X", X), ("targets y", y)):
                # a NaN or inf anywhere makes the sum non-finite (one cheap reduction); then find the rows
                if t.is_floating_point() and not bool(torch.isfinite(t.sum())) and not bool(torch.isfinite(t).all()):
                    rows = (~torch.isfinite(t.reshape(len(t), -1))).any(dim=1).nonzero().flatten()[:5].tolist()
                    raise ValueError(f"{caller}: {name}'s {part} hold NaN or inf (rows {rows}...); clean the data first")
            return _Tensors(X, y.to(self.device))
        if isinstance(data, Dataset):
            if len(data) == 0:  # type: ignore[arg-type]
                raise ValueError(f"{caller}: {name} is empty (0 samples)")
            return _Loader(DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=self._generator,
                                      pin_memory=self.device.type == "cuda"))
        raise TypeError(
            f"{caller}: {name} is {type(data).__name__}, expected a pair (X, y) of tensors or arrays, "
            "a TensorDataset, a Dataset or a DataLoader"
        )

    def _preflight(self, X: torch.Tensor, y: torch.Tensor, name: str, full_y: torch.Tensor | None = None, *,
                   caller: str = "Trainer.fit") -> None:
        """Run one batch through model and loss before training, turning failures into clear errors."""
        try:
            _check_batch(self.model, self.loss_fn, self.metrics, X, y, name, full_y=full_y, caller=caller)
        except ValueError:
            if not self.channels_last:
                raise
            # channels_last breaks models whose forward uses x.view on a feature map: try without it
            self.model.to(memory_format=torch.contiguous_format)
            try:
                _check_batch(self.model, self.loss_fn, self.metrics, X.contiguous(), y, name, full_y=full_y,
                             caller=caller)
            except ValueError:
                self.model.to(memory_format=torch.channels_last)
                raise
            self.channels_last = False
            notice("Trainer: channels_last is switched off: the model's forward needs contiguous tensors "
                   "(x.flatten(1) or x.reshape instead of x.view would allow it)")
        if self._compile_pending:
            self._compile_pending = False
            try:
                with torch.no_grad():
                    was = self.model.training
                    self.model.eval()
                    try:
                        self._net(X)
                    finally:
                        self.model.train(was)
            except Exception as e:  # noqa: BLE001
                notice(f"Trainer: torch.compile failed ({type(e).__name__}); training in eager mode")
                self._net = self._dist.wrap(self.model, self.device) if self._dist.enabled else self.model


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------

def _check_positive_int(name: str, value, *, caller: str = "Trainer.fit") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{caller}: argument {name!r} got {value!r}, expected a positive integer")
    if value < 1:
        raise ValueError(f"{caller}: argument {name!r} got {value}, expected a positive integer (at least 1)")


def _is_array(x) -> bool:
    return isinstance(x, (torch.Tensor, np.ndarray))


def _param_dtype(model: nn.Module) -> torch.dtype:
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def _loader_len(loader: DataLoader) -> int:
    try:
        return len(loader.dataset)  # type: ignore[arg-type]
    except TypeError:  # an iterable dataset without a length
        return -1


def _split_batch(batch) -> tuple:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, dict) and {"X", "y"} <= set(batch):
        return batch["X"], batch["y"]
    raise TypeError(f"Trainer.fit: a DataLoader batch must be a pair (X, y), got {type(batch).__name__}")


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


def _clone_state(obj):
    """A copy of a (nested) optimizer state dict with every tensor cloned."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone_state(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone_state(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_clone_state(v) for v in obj)
    return obj


def _derive_seed(seed: int, stream: int) -> int:
    """A second, independent seed from ``seed`` (shuffling uses ``seed`` itself)."""
    return (seed * 6364136223846793005 + 1442695040888963407 * stream) % (2**63 - 1)


def _seed_rng(seed: int, device: torch.device) -> None:
    torch.random.default_generator.manual_seed(seed)
    if device.type == "cuda":
        with torch.cuda.device(device):
            torch.cuda.manual_seed(seed)  # this GPU only
    elif device.type == "mps":
        torch.mps.manual_seed(seed)


def _get_rng(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    elif device.type == "mps":
        state["mps"] = torch.mps.get_rng_state()
    return state


def _set_rng(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)
    elif device.type == "mps" and "mps" in state:
        torch.mps.set_rng_state(state["mps"])


# --- the one-batch check ------------------------------------------------------------------------

_CLASS_INDEX_LOSSES = {"crossentropy", "nll", "nllloss"}
_ELEMENTWISE_LOSSES = {"mse", "l1", "mae", "huber", "smoothl1", "logcosh", "bce", "bcewithlogits",
                       "binarycrossentropy", "binarycrossentropywithlogits"}
_BINARY_LOSSES = {"bce", "bcewithlogits", "binarycrossentropy", "binarycrossentropywithlogits"}


def _loss_kind(loss_fn) -> str:
    name = getattr(loss_fn, "__name__", None) or type(loss_fn).__name__
    key = name.lower().replace("_", "")
    for suffix in ("loss",):
        if key.endswith(suffix) and key != suffix:
            key = key[: -len(suffix)]
    return key


def _describe_first_layer(model: nn.Module) -> str:
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            if isinstance(module, nn.Linear):
                expects = f"inputs of shape (N, {module.in_features})"
            else:
                expects = f"inputs with {module.in_channels} channels, e.g. (N, {module.in_channels}, H, W)"
            return f" Its first layer is {module!r}, which expects {expects}."
    return ""


def _check_batch(model, loss_fn, metrics, X, y, name, *, full_y=None, caller: str = "Trainer.fit") -> None:
    where = f"{caller} ({name})"
    dtype = _param_dtype(model)
    if X.is_floating_point() and X.dtype != dtype:
        raise TypeError(
            f"{where}: inputs X are {X.dtype} but the model's parameters are {dtype}; "
            f"convert the data with X.to({dtype}) (or the model with model.to({X.dtype}))"
        )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            try:
                y_hat = model(X)
            except Exception as e:  # noqa: BLE001 - re-raised with the shapes that explain it
                raise ValueError(
                    f"{where}: the model cannot take a batch of inputs of shape {tuple(X.shape)} and dtype "
                    f"{X.dtype}.{_describe_first_layer(model)} The model said: {type(e).__name__}: {e}"
                ) from e
            if not isinstance(y_hat, torch.Tensor):
                raise TypeError(f"{where}: the model returned {type(y_hat).__name__}, expected a tensor")
            _check_targets(loss_fn, y_hat, y, where, full_y=full_y)
            with warnings.catch_warnings():
                warnings.filterwarnings("error", message=".*target size.*")
                try:
                    loss = loss_fn(y_hat, y)
                except Exception as e:  # noqa: BLE001
                    error = TypeError if _is_dtype_error(e) else ValueError
                    raise error(
                        f"{where}: loss_fn {_name(loss_fn)} cannot compare the model output of shape "
                        f"{tuple(y_hat.shape)} with targets of shape {tuple(y.shape)} and dtype {y.dtype}."
                        f"{_target_dtype_hint(loss_fn, y) if error is TypeError else ''} "
                        f"It said: {type(e).__name__}: {e}"
                    ) from e
            if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
                shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
                raise ValueError(
                    f"{where}: loss_fn {_name(loss_fn)} returned {shape}, expected a single number (a 0-d tensor): "
                    "use reduction='mean'"
                )
            if y_hat.is_floating_point():
                _check_loss_backward(loss_fn, y_hat, y, where)
            if getattr(loss_fn, "reduction", "mean") == "sum":
                notice(f"{where}: loss_fn has reduction='sum'; the History's epoch losses assume a mean over the batch")
            for metric_name, fn in metrics.items():
                try:
                    value = fn(y_hat, y)
                except Exception as e:  # noqa: BLE001
                    raise ValueError(
                        f"{where}: metric {metric_name!r} failed on model output {tuple(y_hat.shape)} and targets "
                        f"{tuple(y.shape)}: {type(e).__name__}: {e}"
                    ) from e
                if not isinstance(value, torch.Tensor) or value.numel() != 1:
                    raise ValueError(f"{where}: metric {metric_name!r} must return a single-number tensor, got {value!r}")
    finally:
        model.train(was_training)


def _is_dtype_error(e: Exception) -> bool:
    text = str(e).lower()
    return isinstance(e, TypeError) or "dtype" in text or "expected scalar type" in text


def _target_dtype_hint(loss_fn, y) -> str:
    if _loss_kind(loss_fn) in _CLASS_INDEX_LOSSES:
        return " Class-index targets must be int64: use y.long()."
    return " Targets must be floating point like the model's output: use y.float()." if not y.is_floating_point() else ""


def _check_loss_backward(loss_fn, y_hat, y, where) -> None:
    """Differentiate the loss with respect to the model's output once (not the weights): some losses
    accept targets of a wrong dtype in the forward pass and fail only in backward."""
    with torch.enable_grad():
        out = y_hat.detach().requires_grad_(True)
        try:
            loss = loss_fn(out.clone(), y)  # a non-leaf, like the model's output: in-place ops stay allowed
            if isinstance(loss, torch.Tensor) and loss.requires_grad:
                torch.autograd.grad(loss, out)
        except Exception as e:  # noqa: BLE001
            error = TypeError if _is_dtype_error(e) else ValueError
            raise error(
                f"{where}: the gradient of loss_fn {_name(loss_fn)} cannot be computed for model output "
                f"{tuple(y_hat.shape)} {y_hat.dtype} and targets {tuple(y.shape)} {y.dtype}."
                f"{_target_dtype_hint(loss_fn, y) if error is TypeError else ''} It said: {type(e).__name__}: {e}"
            ) from e


def _check_targets(loss_fn, y_hat, y, where, *, full_y=None) -> None:
    kind = _loss_kind(loss_fn)
    if kind in _CLASS_INDEX_LOSSES:
        index_shape = y_hat.ndim == y.ndim + 1
        if index_shape and y.is_floating_point():
            raise TypeError(
                f"{where}: {_name(loss_fn)} takes class indices as integers, but the targets are {y.dtype} of shape "
                f"{tuple(y.shape)}; use y.long()"
            )
        if index_shape and not y.is_floating_point() and y_hat.ndim >= 2:
            labels = full_y if full_y is not None else y
            low, high = int(labels.min()), int(labels.max())
            classes = y_hat.shape[1]
            if low < 0 or high >= classes:
                hint = " Did you mean y - 1?" if low >= 1 and high == classes else ""
                raise ValueError(
                    f"{where}: the targets hold classes {low}..{high}, but the model outputs {classes} classes "
                    f"(0..{classes - 1}).{hint}"
                )
        elif not index_shape and y.shape != y_hat.shape:
            raise ValueError(
                f"{where}: {_name(loss_fn)} got model output of shape {tuple(y_hat.shape)} and targets of shape "
                f"{tuple(y.shape)}: targets are class indices of shape {tuple(y_hat.shape[:1]) + tuple(y_hat.shape[2:])} "
                "or probabilities of the output's shape"
            )
    elif kind in _ELEMENTWISE_LOSSES:
        if y_hat.shape != y.shape:
            if y_hat.ndim == y.ndim + 1 and y_hat.shape[-1] == 1:
                fix = "reshape the targets with y.unsqueeze(1) (or y.view(-1, 1))"
            elif y.ndim == y_hat.ndim + 1 and y.shape[-1] == 1:
                fix = "reshape the targets with y.squeeze(1)"
            else:
                fix = "make the model output one value per target"
            raise ValueError(
                f"{where}: {_name(loss_fn)} compares model output of shape {tuple(y_hat.shape)} with targets of shape "
                f"{tuple(y.shape)}; they would broadcast to a wrong result: {fix}"
            )
        if kind in _BINARY_LOSSES and not y.is_floating_point():
            raise TypeError(
                f"{where}: {_name(loss_fn)} takes float targets (0.0 / 1.0), but they are {y.dtype}; use y.float()"
            )


def _name(loss_fn) -> str:
    if isinstance(loss_fn, nn.Module):
        return f"{type(loss_fn).__name__}()"
    return getattr(loss_fn, "__name__", repr(loss_fn))
