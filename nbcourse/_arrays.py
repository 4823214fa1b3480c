"""Conversion between the array types students use and torch tensors.

Every public function of :mod:`nbcourse.activations` and :mod:`nbcourse.losses`
accepts a torch tensor, a numpy array or a Python number.  The computation always
runs in torch; the result is handed back in the kind it came in, so the lecture's
numpy snippets work as written::

    >>> from nbcourse._arrays import to_tensor, from_tensor
    >>> t, kind = to_tensor([1.0, 2.0], name="z", where="sigmoid")
    >>> from_tensor(t * 2, kind)
    array([2., 4.])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

__all__ = ["to_tensor", "from_tensor", "describe"]

# what came in, so that the same kind goes out
TENSOR, NUMPY, SCALAR = "tensor", "numpy", "scalar"


def describe(x: Any) -> str:
    """A short description of ``x`` for error messages: type, dtype and shape."""
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"


def to_tensor(x: Any, *, name: str, where: str, floating: bool = True) -> tuple[torch.Tensor, str]:
    """Return ``(tensor, kind)`` for ``x``; ``kind`` is what :func:`from_tensor` needs.

    Args:
        x: a tensor, numpy array, Python number or (nested) list of numbers.
        name: the argument's name, for error messages.
        where: the calling function's name, for error messages.
        floating: when True, integer and boolean input is converted to float64
            (numpy / Python input) or the default dtype (tensor input).

    Raises:
        TypeError: naming ``where`` and ``name`` when ``x`` is not numeric.
    """
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected real numbers (a float tensor)")
        t, kind = x, TENSOR
    elif isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected numbers (a float tensor or array)")
        arr = np.ascontiguousarray(x)
        if not arr.flags.writeable:  # torch.from_numpy warns on read-only arrays (np.broadcast_to, ...)
            arr = arr.copy()
        t, kind = torch.from_numpy(arr), NUMPY
    elif isinstance(x, (numbers.Real, np.bool_)):  # not complex numbers, strings or numpy strings
        t, kind = torch.tensor(float(x) if floating else x, dtype=torch.float64 if floating else None), SCALAR
    elif isinstance(x, (list, tuple)):
        try:
            arr = np.asarray(x, dtype=np.float64 if floating else None)
        except (TypeError, ValueError):
            raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected numbers") from None
        t, kind = torch.from_numpy(arr), NUMPY
    else:
        raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected a torch tensor, numpy array or number")
    if floating and not t.is_floating_point():
        t = t.to(torch.float64 if kind != TENSOR else torch.get_default_dtype())
    return t, kind


def from_tensor(t: torch.Tensor, kind: str) -> Any:
    """Hand ``t`` back as the kind :func:`to_tensor` recorded (tensor, numpy array or float)."""
    if kind == TENSOR:
        return t
    out = t.detach().cpu().numpy()
    if kind == SCALAR:
        return float(out) if out.ndim == 0 else out
    return out
