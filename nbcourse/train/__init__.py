"""One trainer for every chapter, on CPU or GPU, fast, observable and safe to interrupt.

    >>> import torch
    >>> from torch import nn
    >>> from nbcourse.train import Trainer, callbacks
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
    ...                   device="cpu", seed=0, metrics="accuracy",
    ...                   callbacks=[callbacks.EarlyStopping(patience=3)])
    >>> X, y = torch.randn(40, 4), torch.randint(0, 3, (40,))
    >>> history = trainer.fit((X[:32], y[:32]), (X[32:], y[32:]), epochs=2, batch_size=8)
    >>> sorted(history)
    ['epoch', 'lr', 'train_accuracy', 'train_loss', 'val_accuracy', 'val_loss']

- :class:`Trainer` (``trainer.py``): ``fit``, ``evaluate``, ``predict``, ``checkpoint``, ``load_checkpoint``;
  the step loop is :meth:`Trainer._train_epoch`.
- ``batches.py``: the data a fit receives, and how it is batched.
- ``preflight.py``: the one-batch checks before training; what targets each loss takes.
- ``resume.py``: exact resumption (random streams, epoch starts, unfinished epochs) and checkpoint files.
- :class:`History` (``history.py``): what a run records; a mapping, ``.plot()``, ``.to_dict()``.
- :mod:`~nbcourse.train.callbacks`: events and the built-in callbacks.
- :func:`accuracy` (``metrics.py``).
- ``devices.py`` (device, mixed precision), ``distributed.py`` (torchrun / DDP).
"""

from . import callbacks
from .callbacks import (AnnealLR, Callback, Checkpoint, EarlyStopping, GradientClipping, Lambda, LayerStatsRecorder,
                        LivePlot, LRScheduler, ProgressBar)
from .devices import TrainerNotice, resolve_device
from .history import History
from .metrics import accuracy
from .resume import CheckpointError
from .trainer import NonFiniteLossError, Trainer

__all__ = [
    "Trainer", "History", "NonFiniteLossError", "CheckpointError", "TrainerNotice", "accuracy", "resolve_device", "callbacks",
    "Callback", "Lambda", "LRScheduler", "AnnealLR", "EarlyStopping", "GradientClipping", "Checkpoint", "LivePlot",
    "ProgressBar", "LayerStatsRecorder",
]
