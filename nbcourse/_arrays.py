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
    text = repr(x)
    return f"{type(x).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def to_tensor(x: Any, *, name: str, where: str, floating: bool = True) -> tuple[torch.Tensor, str]:
    """Return ``(tensor, kind)`` for ``x``; ``kind`` is what :func:`from_tensor` needs.

    Args:
        x: a tensor, numpy array, Python number or (nested) list of numbers.
        name: the argument's name, for error messages.
        where: the calling function's name, for error messages.
        floating: when True, integer and boolean input is converted to float64
            (numpy / Python input) or the default dtype (tensor input).

    Raises:
        TypeError: naming ``where`` and ``name`` when ``x`` is not numeric. Strings are refused,
            never parsed (``"0.5"`` is not a number).

    Shapes are kept: a 0-d numpy array gives a 0-d tensor (and a 0-d array back from
    :func:`from_tensor`), a Python number a 0-d tensor (and a float back).

    Examples::

        >>> to_tensor(np.array(2.0), name="z", where="relu")[0].shape
        torch.Size([])
        >>> to_tensor(["0.5"], name="z", where="relu")
        Traceback (most recent call last):
        ...
        TypeError: relu: argument 'z' got list ['0.5'], expected numbers (strings are not parsed: convert them with float() first)
    """
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected real numbers (a float tensor)")
        t, kind = x, TENSOR
    elif isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected numbers (a float tensor or array)")
        # np.ascontiguousarray would turn a 0-d array into shape (1,): copy only what torch cannot share
        arr = x if x.flags.c_contiguous and x.flags.writeable else x.copy(order="C")
        if arr.dtype.byteorder not in "=|":  # big-endian data: torch reads native byte order only
            arr = arr.astype(arr.dtype.newbyteorder("="))
        t, kind = torch.from_numpy(arr), NUMPY
    elif isinstance(x, (numbers.Real, np.bool_)):  # not complex numbers, strings or numpy strings
        t, kind = torch.tensor(float(x) if floating else x, dtype=torch.float64 if floating else None), SCALAR
    elif isinstance(x, (list, tuple)):
        try:  # no dtype here: np.asarray(["0.5"], dtype=float) would parse the string, and we never do
            arr = np.asarray(x)
        except (TypeError, ValueError):  # ragged nesting
            raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected numbers") from None
        if arr.dtype.kind not in "biuf":  # strings, objects, complex numbers
            raise TypeError(f"{where}: argument '{name}' got {describe(x)}, expected numbers "
                            f"(strings are not parsed: convert them with float() first)")
        t, kind = torch.from_numpy(arr.astype(np.float64) if floating else arr), NUMPY
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
