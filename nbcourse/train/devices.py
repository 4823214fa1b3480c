"""Where training runs and how: device choice, mixed precision, memory format, copies, eval mode.

Every function here is resolved once, when a :class:`~nbcourse.train.Trainer` is built, so the
training loop itself only reads plain attributes.

    >>> from nbcourse.train.devices import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

__all__ = [
    "TrainerNotice", "notice", "resolve_device", "Precision", "resolve_precision",
    "has_conv", "memory_format", "eval_mode", "to_device",
]


class TrainerNotice(UserWarning):
    """A one-line notice from the trainer: a setting that was skipped or adjusted.

    It is a warning class of its own so that it can be silenced on its own::

        import warnings
        warnings.filterwarnings("ignore", category=TrainerNotice)
    """


def notice(message: str) -> None:
    """Emit ``message`` as a :class:`TrainerNotice` (Python shows each distinct notice once),
    attributed to the first caller outside :mod:`nbcourse.train`, so it points at the user's line."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, TrainerNotice, stacklevel=level)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``device`` into a :class:`torch.device`; ``"auto"`` picks CUDA, then Apple's MPS, then the CPU.

    Args:
        device: ``"auto"`` (default), or anything :class:`torch.device` accepts (``"cpu"``,
            ``"cuda"``, ``"cuda:1"``, ``"mps"``).

    Raises:
        ValueError: for a device this machine does not have, saying which ones it has.

    Examples::

        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"Trainer: argument 'device' got {device!r}, expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
        ) from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"Trainer: device={device!r} but this machine has no CUDA GPU; use device='auto' or 'cpu'")
        if dev.index is None:
            dev = torch.device("cuda", torch.cuda.current_device())
        elif dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"Trainer: device={device!r} but this machine has {torch.cuda.device_count()} GPU(s) "
                f"(cuda:0 .. cuda:{torch.cuda.device_count() - 1})"
            )
    elif dev.type == "mps" and not _mps_available():
        raise ValueError(f"Trainer: device={device!r} but Apple's MPS is not available here; use device='auto' or 'cpu'")
    return dev


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


@dataclass(frozen=True)
class Precision:
    """How the forward pass runs: ``dtype`` for autocast (``None`` = full precision) and whether
    the loss is scaled (float16 needs a :class:`torch.amp.GradScaler`; bfloat16 does not)."""

    dtype: torch.dtype | None
    scale_loss: bool
    device_type: str

    def autocast(self):
        """The context manager the forward pass runs in (a no-op without mixed precision)."""
        if self.dtype is None:
            # a shared null context: entering it costs nothing, unlike a disabled torch.autocast
            return _NULL
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)

    @property
    def name(self) -> str:
        return {None: "float32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]


_NULL = contextlib.nullcontext()


def resolve_precision(amp: bool | str, device: torch.device) -> Precision:
    """Decide mixed precision for ``device``.

    Args:
        amp: ``"auto"`` (default of the Trainer): bfloat16 on a CUDA GPU that supports it, float16
            with loss scaling on an older one, full precision elsewhere. ``True``: the same, with a
            notice where it is skipped. ``False``: full precision. ``"bf16"`` / ``"fp16"``: that
            type (bf16 also works on the CPU; fp16 is skipped there with a notice).
        device: the resolved device.

    Returns:
        a :class:`Precision`.

    Examples::

        >>> resolve_precision("auto", torch.device("cpu")).dtype is None
        True
    """
    allowed = ("auto", True, False, "bf16", "fp16")
    if not any(amp is a or (isinstance(amp, str) and amp == a) for a in allowed):
        raise ValueError(f"Trainer: argument 'amp' got {amp!r}, expected one of 'auto', True, False, 'bf16', 'fp16'")
    kind = device.type
    if amp is False:
        return Precision(None, False, kind)
    if kind == "cuda":
        bf16_ok = torch.cuda.is_bf16_supported()
        if amp == "fp16" or (not bf16_ok and amp in ("auto", True, "bf16")):
            if amp == "bf16":
                notice("Trainer: amp='bf16' is not supported by this GPU; using float16 with gradient scaling")
            return Precision(torch.float16, True, kind)
        return Precision(torch.bfloat16, False, kind)
    if amp == "auto":
        return Precision(None, False, kind)
    if amp == "bf16" and kind == "cpu":
        return Precision(torch.bfloat16, False, kind)
    notice(f"Trainer: mixed precision (amp={amp!r}) is skipped on the {kind.upper()}; training in float32")
    return Precision(None, False, kind)


def has_conv(model: nn.Module) -> bool:
    """True when ``model`` holds a 2-d convolution (where ``channels_last`` can help)."""
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def memory_format(x, channels_last: bool):
    """``x`` (a model, or a tensor) in the trainer's memory format: ``channels_last`` for a 4-d batch
    of images (N, C, H, W) or a model when ``channels_last`` is True, the ordinary contiguous layout
    otherwise. Tensors of other ranks are returned as they are. The one place the format is set.

    Examples::

        >>> memory_format(torch.zeros(2, 3, 4, 4), True).is_contiguous(memory_format=torch.channels_last)
        True
        >>> memory_format(torch.zeros(2, 3), True).shape
        torch.Size([2, 3])
    """
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if isinstance(x, nn.Module):
        return x.to(memory_format=fmt)
    if isinstance(x, torch.Tensor) and x.ndim == 4:
        return x.contiguous(memory_format=fmt)
    return x


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """Run the block with ``model`` in eval mode (dropout off, batch norm on its running statistics),
    then give every submodule back the train/eval mode it had.

    Examples::

        >>> net = nn.Sequential(nn.Dropout(0.5))
        >>> with eval_mode(net):
        ...     net.training
        False
        >>> net.training
        True
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def to_device(batch: Any, device: torch.device, *, non_blocking: bool = False) -> Any:
    """Move a tensor, or tuples / lists / dicts of them, to ``device``.

    Examples::

        >>> x, y = to_device((torch.zeros(2), torch.ones(2)), torch.device("cpu"))
        >>> x.device.type
        'cpu'
    """
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, device, non_blocking=non_blocking) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device, non_blocking=non_blocking) for k, v in batch.items()}
    return batch
