"""Figures of the babysitting page: a run's learning curves, titled with what :func:`nbcourse.diagnose` reads.

The diagnosis and the example curves are :mod:`nbcourse.babysitting`; this module only draws them.

Example::

    >>> import matplotlib.pyplot as plt
    >>> ax = plot_learning_curves({"train_loss": [2, 1, .6, .5, .45], "val_loss": [2, 1.1, .7, .6, .6]})
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('epoch', 'loss')
    >>> plt.close(ax.figure)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nbcourse.babysitting import MissingCurveError, diagnose

__all__ = ["plot_learning_curves"]


def plot_learning_curves(history: Mapping[str, Any], *, metric: str | None = None, ax=None,
                         title: str | None = None, log: bool = False):
    """Draw a run's training and validation curves on one axis.

    Args:
        history: a History or mapping with ``"train_loss"`` and ``"val_loss"`` (or, with
            ``metric="acc"``, ``"train_acc"`` and ``"val_acc"``); a ``"train_eval_loss"`` (from
            ``Trainer.fit(..., eval_train=True)``) is drawn too, dashed.
        metric: ``None`` (default) for the loss, or a metric's name as stored in the history
            without its ``train_``/``val_`` prefix (for example ``"acc"``).
        ax: the matplotlib axes to draw on (default: a new figure's).
        title: the axes' title (default: the diagnosis, for loss curves).
        log: draw the y axis on a log scale (default False).

    Returns:
        the matplotlib axes.

    Example::

        >>> ax = plot_learning_curves({"train_loss": [2, 1, .6, .5, .45], "val_loss": [2, 1.1, .7, .6, .6]})
    """
    import matplotlib.pyplot as plt

    name = "loss" if metric is None else metric
    keys = (f"train_{name}", f"val_{name}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    for key, colour, label in zip(keys, ("C0", "C1"), ("training", "validation")):
        if key not in history:
            raise MissingCurveError(f"plot_learning_curves: history has no '{key}' "
                                    f"(keys: {sorted(map(str, history.keys()))})")
        values = np.asarray([float(x) for x in history[key]])
        if key == "train_loss" and metric is None and "train_eval_loss" in history:
            label = "training (mean over the epoch)"
        ax.plot(np.arange(1, values.size + 1), values, color=colour, label=label)
    end_key = f"train_eval_{name}"
    if end_key in history:                       # Trainer.fit(..., eval_train=True)
        values = np.asarray([float(x) for x in history[end_key]])
        ax.plot(np.arange(1, values.size + 1), values, color="C0", ls="--",
                label="training (end of epoch)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" if metric is None else name)
    if log:
        ax.set_yscale("log")
    if title is None and metric is None:
        try:
            title = diagnose(history).kind
        except ValueError:
            title = None
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return ax
