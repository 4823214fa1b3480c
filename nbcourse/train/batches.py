r"""The data a :meth:`~nbcourse.train.Trainer.fit` receives, in the two forms its loop knows.

* :class:`Tensors`: data that fits in memory (a pair ``(X, y)`` of tensors or numpy arrays, or a
  :class:`~torch.utils.data.TensorDataset`), moved to the device once and batched by index: one
  gather per epoch, then every batch is a view. No per-sample Python, no collation.
* :class:`Loader`: a :class:`~torch.utils.data.DataLoader` (given, or built around any other
  :class:`~torch.utils.data.Dataset`), for data that does not fit in memory; it batches and
  shuffles itself.

Each knows its batch size (the one place it is kept) and gives the :class:`~.resume.Layout` that an
interrupted epoch is continued with.

    >>> import torch
    >>> data = as_data((torch.zeros(10, 3), torch.zeros(10)), "train_data", batch_size=4, shuffle=True,
    ...                device=torch.device("cpu"), dtype=torch.float32)
    >>> data.layout()
    Layout(num_samples=10, batch_size=4, shuffle=True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from .devices import memory_format, notice
from .resume import Layout

__all__ = ["Tensors", "Loader", "as_data", "as_inputs", "as_tensor", "split_batch", "is_array"]


@dataclass
class Tensors:
    """In-memory data, already on the device; batched by index, ``batch_size`` samples a step."""

    X: torch.Tensor
    y: torch.Tensor
    batch_size: int
    shuffle: bool

    loader_generator = None  # (no DataLoader)

    def __len__(self) -> int:
        return len(self.y)

    def layout(self) -> Layout:
        return Layout(len(self), self.batch_size, self.shuffle)

    def for_evaluation(self, batch_size: int) -> "Tensors":
        """The same samples, in order, ``batch_size`` at a time."""
        return Tensors(self.X, self.y, batch_size, False)


@dataclass
class Loader:
    """A DataLoader; it batches and shuffles itself. ``batch_size`` and ``shuffle`` are the fit's
    arguments, kept to recognise the same data when an interrupted epoch is continued."""

    loader: DataLoader
    batch_size: int
    shuffle: bool

    def layout(self) -> Layout:
        return Layout(loader_len(self.loader), self.batch_size, self.shuffle)

    def for_evaluation(self, batch_size: int) -> "Loader":
        """The same samples in order (a loader of its own: the training order's generator is not touched)."""
        loader = self.loader
        if isinstance(loader.dataset, IterableDataset):
            return self
        ordered = DataLoader(loader.dataset, batch_size=batch_size, shuffle=False, collate_fn=loader.collate_fn,
                             num_workers=loader.num_workers, pin_memory=loader.pin_memory)
        return Loader(ordered, batch_size, False)

    @property
    def loader_generator(self) -> torch.Generator | None:
        return getattr(self.loader, "generator", None)


def as_data(data, name: str, *, batch_size: int, shuffle: bool, device: torch.device, dtype: torch.dtype,
            channels_last: bool = False, generator: torch.Generator | None = None,
            caller: str = "Trainer.fit") -> Tensors | Loader:
    """Normalise what ``fit``/``evaluate`` received into :class:`Tensors` (on ``device``) or :class:`Loader`.

    Args:
        data: a pair ``(X, y)``, a TensorDataset, a Dataset or a DataLoader.
        name: the argument's name, for errors (``"train_data"``).
        batch_size, shuffle: how it is batched.
        device: where tensors go; dtype: the model's (numpy floats are converted to it).
        channels_last: the memory format of 4-d inputs.
        generator: shuffles the DataLoader built around a Dataset.
        caller: the method named in errors.
    """
    if isinstance(data, DataLoader):
        if loader_len(data) == 0:
            raise ValueError(f"{caller}: {name} is empty (its DataLoader's dataset has no samples)")
        if device.type == "cuda" and not data.pin_memory:
            notice(f"{caller}: {name}'s DataLoader copies to the GPU faster with pin_memory=True")
        return Loader(data, batch_size, shuffle)
    if isinstance(data, TensorDataset):
        if len(data.tensors) != 2:
            raise ValueError(f"{caller}: {name} is a TensorDataset of {len(data.tensors)} tensors, expected 2 (X, y)")
        data = data.tensors
    if isinstance(data, (tuple, list)):
        if len(data) != 2:
            raise ValueError(f"{caller}: {name} is a sequence of {len(data)} items, expected a pair (X, y)")
        X, y = data
        X = as_inputs(X, f"{name}[0] (X)", device=device, dtype=dtype, channels_last=channels_last, caller=caller)
        y = as_tensor(y, f"{caller}: {name}[1] (y) is", dtype=dtype)
        if len(X) != len(y):
            raise ValueError(f"{caller}: {name} has {len(X)} inputs but {len(y)} targets; they must match")
        if len(X) == 0:
            raise ValueError(f"{caller}: {name} is empty (0 samples)")
        for part, t in (("inputs X", X), ("targets y", y)):
            # a NaN or inf anywhere makes the sum non-finite (one cheap reduction); then find the rows
            if t.is_floating_point() and not bool(torch.isfinite(t.sum())) and not bool(torch.isfinite(t).all()):
                rows = (~torch.isfinite(t.reshape(len(t), -1))).any(dim=1).nonzero().flatten()[:5].tolist()
                raise ValueError(f"{caller}: {name}'s {part} hold NaN or inf (rows {rows}...); clean the data first")
        return Tensors(X, y.to(device), batch_size, shuffle)
    if isinstance(data, Dataset):
        if len(data) == 0:  # type: ignore[arg-type]
            raise ValueError(f"{caller}: {name} is empty (0 samples)")
        loader = DataLoader(data, batch_size=batch_size, shuffle=shuffle,
                            generator=generator if shuffle else None,  # (the generator only shuffles)
                            pin_memory=device.type == "cuda")
        return Loader(loader, batch_size, shuffle)
    raise TypeError(
        f"{caller}: {name} is {type(data).__name__}, expected a pair (X, y) of tensors or arrays, "
        "a TensorDataset, a Dataset or a DataLoader"
    )


def as_tensor(value, what: str, *, dtype: torch.dtype) -> torch.Tensor:
    """``value`` as a tensor (numpy floats take ``dtype``, the model's); ``what`` starts the error message."""
    if isinstance(value, np.ndarray):
        value = torch.as_tensor(value)
        if value.is_floating_point():
            value = value.to(dtype)
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{what} {type(value).__name__}, expected a tensor or numpy array"
                        + (" (convert a list with torch.tensor(...))" if isinstance(value, (list, tuple)) else ""))
    return value


def as_inputs(X, name: str, *, device: torch.device, dtype: torch.dtype, channels_last: bool = False,
              caller: str = "Trainer.fit") -> torch.Tensor:
    """Inputs as a tensor on ``device``, in the trainer's memory format."""
    X = as_tensor(X, f"{caller}: argument {name!r} got", dtype=dtype).to(device)
    return memory_format(X, channels_last)


def split_batch(batch) -> tuple:
    """``(X, y)`` from a DataLoader's batch: a pair, or a dict with keys ``"X"`` and ``"y"``."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, dict) and {"X", "y"} <= set(batch):
        return batch["X"], batch["y"]
    raise TypeError(f"Trainer.fit: a DataLoader batch must be a pair (X, y), got {type(batch).__name__}")


def loader_len(loader: DataLoader) -> int:
    """Samples in a DataLoader's dataset (-1 for an iterable dataset without a length)."""
    try:
        return len(loader.dataset)  # type: ignore[arg-type]
    except TypeError:
        return -1


def is_array(x) -> bool:
    return isinstance(x, (torch.Tensor, np.ndarray))
