r"""Generated data sets: small problems whose ground truth is known.

:func:`make_line` samples points with noise around a ground-truth line, the data of the chapter's interactive
example (model :math:`\hat y = wx + b`); :func:`make_duplicated` repeats a data set, the lecture's thought
experiment of a training set made of ten copies of the same 100 samples.

Examples::

    >>> from nbcourse.data import make_line, make_duplicated
    >>> x, y = make_line("small", seed=0)
    >>> x.shape, y.shape
    (torch.Size([48]), torch.Size([48]))
    >>> X, Y = make_duplicated(*make_line(100, seed=0), copies=10)
    >>> X.shape
    torch.Size([1000])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from nbcourse._arrays import describe

__all__ = ["LINE_SIZES", "make_line", "make_duplicated"]

#: Training-set sizes of the interactive example.  Each is a multiple of 24, the example's middle batch size,
#: so that an epoch splits into whole mini-batches.
LINE_SIZES: dict[str, int] = {"small": 48, "medium": 144, "large": 480}


def make_line(
    m: int | str,
    *,
    w: float = 1.5,
    b: float = -0.5,
    noise: float = 0.5,
    x_range: tuple[float, float] = (-0.5, 1.5),
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Sample ``m`` points with Gaussian noise around the ground-truth line :math:`y = wx + b`.

    .. math::
        x^{(i)} \sim \mathcal{U}(x_\text{lo}, x_\text{hi}), \qquad
        y^{(i)} = w\,x^{(i)} + b + \varepsilon^{(i)}, \quad \varepsilon^{(i)} \sim \mathcal{N}(0, \text{noise}^2)

    Args:
        m: the number of samples, or one of the sizes of the interactive example, ``"small"`` (48),
            ``"medium"`` (144) or ``"large"`` (480), see :data:`LINE_SIZES`.
        w: the ground-truth slope. Default: 1.5
        b: the ground-truth intercept. Default: -0.5
        noise: the standard deviation of the noise added to ``y``. Default: 0.5
        x_range: the interval ``x`` is drawn from. Default: ``(-0.5, 1.5)``
        seed: seeds the generator; the same seed gives the same data. Default: 0
        dtype: the floating dtype of the tensors. Default: ``torch.float64``

    Returns:
        ``(x, y)``, two tensors of shape ``(m,)``.

    Examples::

        >>> x, y = make_line(5, noise=0.0, seed=1)
        >>> torch.allclose(y, 1.5 * x - 0.5)
        True
    """
    where = "make_line"
    if isinstance(m, str):
        if m not in LINE_SIZES:
            raise ValueError(f"{where}: argument 'm' got {m!r}, expected a number of samples or one of {sorted(LINE_SIZES)}")
        m = LINE_SIZES[m]
    if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1:
        raise ValueError(f"{where}: argument 'm' got {describe(m)}, expected a positive integer number of samples")
    for name, value in (("w", w), ("b", b), ("noise", noise)):
        if not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise TypeError(f"{where}: argument {name!r} got {describe(value)}, expected a finite number")
    if noise < 0:
        raise ValueError(f"{where}: argument 'noise' got {noise!r}, expected a standard deviation >= 0")
    lo, hi = _interval(x_range, where)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"{where}: argument 'dtype' got {dtype!r}, expected a floating torch dtype such as torch.float32")
    generator = torch.Generator().manual_seed(int(seed))
    x = lo + (hi - lo) * torch.rand(int(m), generator=generator, dtype=torch.float64)
    y = w * x + b + noise * torch.randn(int(m), generator=generator, dtype=torch.float64)
    return x.to(dtype), y.to(dtype)


def _interval(x_range: Any, where: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: argument 'x_range' got {describe(x_range)}, expected a pair (low, high)") from None
    if not lo < hi:
        raise ValueError(f"{where}: argument 'x_range' got {x_range!r}, expected low < high")
    return lo, hi


def make_duplicated(x: Any, y: Any = None, *, copies: int = 10, **line: Any) -> tuple[Any, Any]:
    r"""A training set made of ``copies`` identical copies of ``(x, y)``, one after the other.

    The lecture's thought experiment: the average gradient over the ``copies * m`` samples equals the average
    over the ``m`` originals, so batch gradient descent computes the same quantity ``copies`` times for one
    update, while stochastic gradient descent makes ``copies`` passes over the originals in one epoch.

    Args:
        x: inputs, a tensor or numpy array with the samples along the first dimension; or a number of samples
            (or size name), in which case the originals are ``make_line(x, **line)``.
        y: targets, with as many samples as ``x`` (leave it out when ``x`` is a number of samples).
        copies: how many times the set is repeated. Default: 10
        **line: keyword arguments of :func:`make_line` (``seed``, ``noise``, ...) when ``x`` is a number.

    Returns:
        ``(x_copies, y_copies)`` of the same kind as the input, with ``copies * m`` samples.

    Examples::

        >>> x, y = make_duplicated(torch.arange(3.0), torch.zeros(3), copies=2)
        >>> x
        tensor([0., 1., 2., 0., 1., 2.])
        >>> X, Y = make_duplicated(100, copies=10, seed=0)     # the lecture's set: 10 x the same 100 samples
        >>> X.shape, torch.equal(X[:100], X[900:])
        (torch.Size([1000]), True)
    """
    where = "make_duplicated"
    if isinstance(copies, bool) or not isinstance(copies, numbers.Integral) or copies < 1:
        raise ValueError(f"{where}: argument 'copies' got {describe(copies)}, expected a positive integer")
    if y is None and (isinstance(x, str) or (isinstance(x, numbers.Integral) and not isinstance(x, bool))):
        x, y = make_line(x, **line)
    elif line:
        raise TypeError(f"{where}: got data and make_line arguments {sorted(line)}; pass either (x, y) or a "
                        "number of samples with make_line's arguments, e.g. make_duplicated(100, seed=0)")
    elif y is None:
        raise TypeError(f"{where}: argument 'y' is missing; pass (x, y), or a number of samples such as "
                        "make_duplicated(100, copies=10, seed=0)")
    out = []
    for name, a in (("x", x), ("y", y)):
        if isinstance(a, torch.Tensor):
            out.append(a.repeat(copies, *([1] * (a.ndim - 1))) if a.ndim else None)
        elif isinstance(a, np.ndarray):
            out.append(np.concatenate([a] * copies, axis=0) if a.ndim else None)
        else:
            raise TypeError(f"{where}: argument {name!r} got {describe(a)}, expected a torch tensor or numpy array")
        if out[-1] is None:
            raise ValueError(f"{where}: argument {name!r} got {describe(a)}, expected samples along a first dimension")
    if len(x) != len(y):
        raise ValueError(f"{where}: 'x' has {len(x)} samples but 'y' has {len(y)}; they must match")
    return out[0], out[1]
