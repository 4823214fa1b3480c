r"""What a training run records: the :class:`History` a :meth:`Trainer.fit` call returns.

A History is a read-only mapping from a name to a list of floats, one per epoch:

=======================  ======================================================================
``"epoch"``              1, 2, 3, ...
``"train_loss"``         mean training loss over the epoch's batches, weighted by batch size: each
                         batch is measured just before its update, while the model changes during
                         the epoch (and with dropout on), so it lags behind the model at the
                         epoch's end
``"train_eval_loss"``    loss on the whole training data at the end of the epoch, in eval mode,
                         measured like the validation loss (with ``fit(..., eval_train=True)``)
``"val_loss"``           loss on the validation data at the end of the epoch (with ``val_data``)
``"lr"``                 learning rate of the optimizer's first parameter group during the epoch
``"train_<m>"``          each metric ``m``, on the training batches as they were seen
``"train_eval_<m>"``     each metric ``m`` on the whole training data at the end of the epoch
                         (with ``eval_train=True``)
``"val_<m>"``            each metric ``m`` on the validation data
=======================  ======================================================================

At epoch 1, ``"val_loss"`` often lies *below* ``"train_loss"``: the training number averages
a model that was still learning, the validation number measures the model at the epoch's end.
``"train_eval_loss"`` is the like-for-like comparison with ``"val_loss"``.

``history.steps`` holds the same for every optimisation step (``"step"``, ``"epoch"``,
``"train_loss"`` and the training metrics). ``history.interrupted`` and ``history.stop_reason``
say how the run ended.

Examples::

    >>> h = History()
    >>> h.append_step(step=1, epoch=1, train_loss=0.9)
    >>> h.append_epoch(epoch=1, train_loss=0.9, val_loss=1.1)
    >>> h["val_loss"]
    [1.1]
    >>> History.from_dict(h.to_dict()) == h
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Iterator

__all__ = ["History"]

_SPLITS = ("train_eval_", "train_", "val_")  # key prefixes, the longest first


class History(Mapping):
    """Per-epoch and per-step numbers of a training run (see the module docstring for the keys).

    Attributes:
        steps: dict of per-step lists (``"step"``, ``"epoch"``, ``"train_loss"``, training metrics).
        interrupted: True when the run was stopped by KeyboardInterrupt (the notebook's stop button).
        stop_reason: why training stopped before its last epoch (early stopping, a NaN loss, an
            interrupt), or None.
    """

    def __init__(self) -> None:
        self._epochs: dict[str, list[float]] = {}
        self.steps: dict[str, list[float]] = {}
        self.interrupted = False
        self.stop_reason: str | None = None

    # --- the mapping: per-epoch lists ------------------------------------------------------------
    def __getitem__(self, key: str) -> list[float]:
        try:
            return self._epochs[key]
        except KeyError:
            hint = ""
            if key.startswith("val_"):
                hint = " (validation numbers are recorded when fit gets val_data)"
            elif key.startswith("train_eval_"):
                hint = " (end-of-epoch training numbers are recorded with fit(..., eval_train=True))"
            raise KeyError(f"History has no {key!r}{hint}; it has {sorted(self._epochs)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._epochs)

    def __len__(self) -> int:
        return len(self._epochs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return Mapping.__eq__(self, other)
        return (self._epochs == other._epochs and self.steps == other.steps
                and self.interrupted == other.interrupted and self.stop_reason == other.stop_reason)

    __hash__ = None  # mutable

    @property
    def num_epochs(self) -> int:
        """Number of completed epochs recorded."""
        return len(self._epochs.get("epoch", ()))

    @property
    def num_steps(self) -> int:
        """Number of optimisation steps recorded."""
        return len(self.steps.get("step", ()))

    # --- recording ---------------------------------------------------------------------------------
    def declare(self, *keys: str) -> None:
        """Make sure each key exists (a new key gets NaN for the epochs already recorded), so that a run
        stopped inside its first epoch still has ``history["train_loss"] == []``."""
        for key in keys:
            self._epochs.setdefault(key, [math.nan] * self.num_epochs)

    def append_epoch(self, **values: float) -> None:
        """Record one epoch; every key gets a value (a key seen for the first time is back-filled with NaN)."""
        n = self.num_epochs
        for key, value in values.items():
            column = self._epochs.setdefault(key, [math.nan] * n)
            column.append(float(value))
        for key, column in self._epochs.items():
            if key not in values:
                column.append(math.nan)

    def append_step(self, **values: float) -> None:
        """Record one optimisation step (same rule as :meth:`append_epoch`)."""
        self.extend_steps(**{k: [v] for k, v in values.items()})

    def extend_steps(self, **columns: list[float]) -> None:
        """Record several steps at once: each keyword is a list with one value per step."""
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"History.extend_steps: columns of different lengths {sorted(lengths)}")
        count = lengths.pop() if lengths else 0
        n = self.num_steps if "step" in self.steps else max((len(v) for v in self.steps.values()), default=0)
        for key, values in columns.items():
            column = self.steps.setdefault(key, [math.nan] * n)
            column.extend(float(v) for v in values)
        for key, column in self.steps.items():
            if key not in columns:
                column.extend([math.nan] * count)

    def truncate_steps(self, num_steps: int) -> None:
        """Drop the per-step records after the first ``num_steps`` (used when a partial epoch is abandoned)."""
        for column in self.steps.values():
            del column[num_steps:]

    # --- reading -----------------------------------------------------------------------------------
    def last(self) -> dict[str, float]:
        """The last epoch's numbers as a dict (empty before the first epoch)."""
        if not self.num_epochs:
            return {}
        return {key: column[-1] for key, column in self._epochs.items()}

    def best(self, key: str = "val_loss", *, mode: str = "min") -> tuple[int, float]:
        """``(epoch, value)`` of the best value of ``key`` (``mode="min"`` or ``"max"``), ignoring NaN."""
        if mode not in ("min", "max"):
            raise ValueError(f"History.best: argument 'mode' got {mode!r}, expected 'min' or 'max'")
        pairs = [(e, v) for e, v in zip(self["epoch"], self[key]) if not math.isnan(v)]
        if not pairs:
            raise ValueError(f"History.best: no recorded value of {key!r} yet")
        choose = min if mode == "min" else max
        epoch, value = choose(pairs, key=lambda p: p[1])
        return int(epoch), value

    def metric_names(self) -> list[str]:
        """The metrics recorded besides the loss (``"accuracy"`` for ``"train_accuracy"``/``"val_accuracy"``)."""
        names = []
        for key in self._epochs:
            for prefix in _SPLITS:
                if key.startswith(prefix):
                    name = key[len(prefix):]
                    if name != "loss" and name not in names:
                        names.append(name)
                    break
        return names

    # --- saving ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain dict of lists (JSON- and ``torch.save``-friendly); :meth:`from_dict` reverses it."""
        return {
            "epochs": {k: list(v) for k, v in self._epochs.items()},
            "steps": {k: list(v) for k, v in self.steps.items()},
            "interrupted": self.interrupted,
            "stop_reason": self.stop_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "History":
        """Rebuild a History from :meth:`to_dict`'s output."""
        if not isinstance(data, Mapping) or "epochs" not in data:
            raise TypeError(f"History.from_dict: expected the dict History.to_dict() returns, got {type(data).__name__}")
        history = cls()
        history._epochs = {k: [float(x) for x in v] for k, v in data["epochs"].items()}
        history.steps = {k: [float(x) for x in v] for k, v in data.get("steps", {}).items()}
        history.interrupted = bool(data.get("interrupted", False))
        history.stop_reason = data.get("stop_reason")
        return history

    def __repr__(self) -> str:
        if not self.num_epochs:
            return f"History(0 epochs, {self.num_steps} steps)"
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items() if k != "epoch")
        flag = ", interrupted" if self.interrupted else ""
        return f"History({self.num_epochs} epochs, {self.num_steps} steps{flag}; last: {last})"

    # --- plotting ----------------------------------------------------------------------------------
    def plot(self, *, steps: bool = True, metrics: bool = True, log_loss: bool = False,
             axes=None, title: str | None = None):
        """Draw the learning curves in one call: loss per epoch (training and validation), the
        per-step training loss faintly behind them, and one panel per metric.

        Args:
            steps: also draw the per-step training loss (default True).
            metrics: add a panel per metric (default True).
            log_loss: logarithmic loss axis (default False).
            axes: a sequence of matplotlib Axes to draw on (one per panel); new ones by default.
            title: figure title; by default one that states the final losses.

        Returns:
            ``(fig, axes)``: the matplotlib Figure and the list of Axes.

        Examples::

            >>> h = History()
            >>> for e in (1, 2, 3): h.append_epoch(epoch=e, train_loss=1 / e, val_loss=1.2 / e)
            >>> fig, axes = h.plot()
            >>> axes[0].get_xlabel()
            'epoch'
        """
        import matplotlib.pyplot as plt

        names = self.metric_names() if metrics else []
        panels = 1 + len(names)
        if axes is None:
            fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), squeeze=False)
            axes = list(axes[0])
        else:
            axes = list(axes)
            if len(axes) < panels:
                raise ValueError(f"History.plot: needs {panels} axes (loss + {len(names)} metrics), got {len(axes)}")
            fig = axes[0].figure
        epochs = self._epochs.get("epoch", [])
        ax = axes[0]
        if steps and self.num_steps:
            x = _step_positions(self.steps["epoch"])
            ax.plot(x, self.steps["train_loss"], color="C0", alpha=0.25, lw=0.8, label="training loss (per step)")
        if "train_loss" in self._epochs:
            ax.plot(epochs, self._epochs["train_loss"], "o-", color="C0", ms=3, label="training loss")
        if "train_eval_loss" in self._epochs:
            ax.plot(epochs, self._epochs["train_eval_loss"], "^--", color="C0", ms=3,
                    label="training loss (end of epoch, eval mode)")
        if "val_loss" in self._epochs:
            ax.plot(epochs, self._epochs["val_loss"], "s-", color="C1", ms=3, label="validation loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if log_loss:
            ax.set_yscale("log")
        ax.set_title("Loss")
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize="small")
        for ax, name in zip(axes[1:], names):
            for split, style, color, words in (("train", "o-", "C0", "training "),
                                               ("train_eval", "^--", "C0", "training (end of epoch) "),
                                               ("val", "s-", "C1", "validation ")):
                key = f"{split}_{name}"
                if key in self._epochs:
                    label = words + name
                    ax.plot(epochs, self._epochs[key], style, color=color, ms=3, label=label)
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.set_title(name.capitalize())
            ax.grid(alpha=0.3)
            ax.legend(fontsize="small")
        if title is None:
            last = self.last()
            parts = [f"{k.replace('_', ' ')} {last[k]:.3g}" for k in ("train_loss", "train_eval_loss", "val_loss")
                     if k in last]
            title = "Learning curves" + (f" after {self.num_epochs} epochs: " + ", ".join(parts) if parts else "")
            if self.interrupted:
                title += " (interrupted)"
        fig.suptitle(title)
        fig.tight_layout()
        return fig, axes


def _step_positions(step_epochs: list[float]) -> list[float]:
    """x positions of per-step values on the epoch axis: the k-th of n steps of epoch e sits at e - 1 + k/n."""
    counts: dict[float, int] = {}
    for e in step_epochs:
        counts[e] = counts.get(e, 0) + 1
    seen: dict[float, int] = {}
    x = []
    for e in step_epochs:
        seen[e] = seen.get(e, 0) + 1
        x.append(e - 1 + seen[e] / counts[e])
    return x
