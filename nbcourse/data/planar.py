r"""Two-dimensional classification problems generated in code: one linearly separable, four that are not.

The architectures chapter draws decision boundaries and hidden representations, so its data live in the
plane:

- :func:`make_separable`: two classes on either side of a known line, with a guaranteed margin
  :math:`\gamma` (the perceptron's convergence theorem needs one);
- :func:`make_xor`: the four corners of the XOR truth table (Minsky and Papert's counter-example), or
  noisy clouds around them;
- :func:`make_moons`, :func:`make_circles`, :func:`make_spirals`: the usual non-linear test sets.

Every function returns ``(X, y)``: ``X`` a float tensor of shape ``(m, 2)``, ``y`` an int64 tensor of
shape ``(m,)`` holding 0 and 1 (half of the samples each, the odd one to class 1), and takes ``seed=``:
the same seed gives the same data, and the global random state is left alone.

Examples::

    >>> from nbcourse.data import make_moons, make_xor
    >>> X, y = make_moons(100, seed=0)
    >>> X.shape, y.shape, y.sum().item()
    (torch.Size([100, 2]), torch.Size([100]), 50)
    >>> make_xor()[1].tolist()
    [0, 1, 1, 0]
"""

from __future__ import annotations

import math
import numbers

import torch

from nbcourse._arrays import describe

__all__ = ["make_separable", "make_xor", "make_moons", "make_circles", "make_spirals"]


def _check(where: str, m, noise, dtype, *, minimum: int = 2) -> int:
    if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < minimum:
        raise ValueError(f"{where}: argument 'm' got {describe(m)}, expected an integer number of samples >= {minimum}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"{where}: argument 'noise' got {describe(noise)}, expected a standard deviation >= 0")
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"{where}: argument 'dtype' got {dtype!r}, expected a floating torch dtype such as torch.float32")
    return int(m)


def _labels(m: int) -> torch.Tensor:
    y = torch.zeros(m, dtype=torch.int64)
    y[m // 2:] = 1           # classes 0 then 1; the odd sample goes to class 1
    return y


def _shuffled(X: torch.Tensor, y: torch.Tensor, g: torch.Generator, dtype: torch.dtype):
    order = torch.randperm(len(y), generator=g)
    return X[order].to(dtype), y[order]


def make_separable(m: int = 100, *, margin: float = 0.3, w: tuple[float, float] = (1.0, 1.0), b: float = 0.0,
                   spread: float = 1.5, seed: int = 0, dtype: torch.dtype = torch.float32):
    r"""``m`` points on either side of the line :math:`w \cdot x + b = 0`, none closer to it than ``margin``.

    Each point is drawn uniformly from the square :math:`[-\text{spread}, \text{spread}]^2`, and kept only
    if its distance to the line, :math:`|w \cdot x + b| / \lVert w \rVert`, is at least ``margin``; its
    label is 1 on the side :math:`w \cdot x + b > 0`. The data are linearly separable with a margin of at
    least ``margin`` (the line itself separates them).

    Args:
        m: number of samples (default 100), half in each class.
        margin: smallest distance of a sample to the line (default 0.3; 0 allowed).
        w: the line's normal vector (default ``(1, 1)``). b: its offset (default 0).
        spread: half the side of the square the points come from (default 1.5).
        seed: seed of the generator (default 0). dtype: dtype of ``X`` (default float32).

    Examples::

        >>> X, y = make_separable(40, margin=0.5, seed=1)
        >>> d = (X @ torch.tensor([1.0, 1.0])) / 2 ** 0.5
        >>> bool((d.abs() >= 0.5 - 1e-6).all()), bool(((d > 0).long() == y).all())
        (True, True)
    """
    where = "make_separable"
    m = _check(where, m, 0.0, dtype)
    wv = torch.as_tensor(w, dtype=torch.float64)
    if wv.shape != (2,) or not torch.isfinite(wv).all() or wv.norm() == 0:
        raise ValueError(f"{where}: argument 'w' got {w!r}, expected two finite numbers, not both zero")
    if not isinstance(margin, numbers.Real) or margin < 0:
        raise ValueError(f"{where}: argument 'margin' got {describe(margin)}, expected a distance >= 0")
    if not isinstance(spread, numbers.Real) or spread <= margin:
        raise ValueError(f"{where}: argument 'spread' got {describe(spread)}, expected a half-width larger than margin")
    g = torch.Generator().manual_seed(int(seed))
    y = _labels(m)
    X = torch.empty(m, 2, dtype=torch.float64)
    need = {0: int((y == 0).sum()), 1: int((y == 1).sum())}
    got = {0: [], 1: []}
    for _ in range(1000):                       # rejection sampling: a few rounds suffice
        cand = (2 * torch.rand(4 * m, 2, generator=g, dtype=torch.float64) - 1) * spread
        dist = (cand @ wv + b) / wv.norm()
        for label, keep in ((1, dist >= margin), (0, dist <= -margin)):
            got[label].append(cand[keep])
        if all(sum(len(c) for c in got[k]) >= need[k] for k in (0, 1)):
            break
    else:
        raise ValueError(f"{where}: no room for a margin of {margin} in the square of half-width {spread} around "
                         f"the line w={w}, b={b}; lower margin or move the line")
    X[y == 0] = torch.cat(got[0])[: need[0]]
    X[y == 1] = torch.cat(got[1])[: need[1]]
    return _shuffled(X, y, g, dtype)


def make_xor(m: int | None = None, *, noise: float = 0.2, seed: int = 0, dtype: torch.dtype = torch.float32):
    r"""The XOR problem: label 1 where exactly one coordinate is 1.

    With ``m=None`` (default): the four corners of the truth table, in the order
    ``(0,0), (0,1), (1,0), (1,1)`` with labels ``0, 1, 1, 0``. With ``m`` a number: ``m`` points, a
    quarter around each corner, with Gaussian noise of standard deviation ``noise`` (default 0.2).

    Examples::

        >>> X, y = make_xor()
        >>> X.tolist(), y.tolist()
        ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    where = "make_xor"
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 1, 0])
    if m is None:
        _check(where, 4, noise, dtype)
        return corners.to(dtype), labels
    m = _check(where, m, noise, dtype, minimum=4)
    g = torch.Generator().manual_seed(int(seed))
    corner = torch.arange(m) % 4
    X = corners[corner] + noise * torch.randn(m, 2, generator=g, dtype=torch.float64)
    return _shuffled(X, labels[corner], g, dtype)


def make_moons(m: int = 200, *, noise: float = 0.1, seed: int = 0, dtype: torch.dtype = torch.float32):
    r"""Two interleaved half circles (scikit-learn's two moons), with Gaussian noise.

    Class 0: :math:`(\cos t, \sin t)`, class 1: :math:`(1 - \cos t, \tfrac12 - \sin t)`, :math:`t` uniform
    in :math:`[0, \pi]`; noise of standard deviation ``noise`` (default 0.1) on both coordinates.

    Examples::

        >>> X, y = make_moons(6, noise=0.0)
        >>> X.shape
        torch.Size([6, 2])
    """
    m = _check("make_moons", m, noise, dtype)
    g = torch.Generator().manual_seed(int(seed))
    y = _labels(m)
    t = math.pi * torch.rand(m, generator=g, dtype=torch.float64)
    X = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    X[y == 1] = torch.stack([1 - torch.cos(t[y == 1]), 0.5 - torch.sin(t[y == 1])], dim=1)
    X = X + noise * torch.randn(m, 2, generator=g, dtype=torch.float64)
    return _shuffled(X, y, g, dtype)


def make_circles(m: int = 200, *, factor: float = 0.5, noise: float = 0.05, seed: int = 0,
                 dtype: torch.dtype = torch.float32):
    r"""Two concentric circles: class 0 on the unit circle, class 1 inside, on the circle of radius ``factor``.

    Class 1 is a bounded region surrounded by class 0: no line, and no ReLU network whose layers are all
    at most as wide as its input (2 units), can separate them (Johnson, 2019).

    Examples::

        >>> X, y = make_circles(100, noise=0.0)
        >>> r = X.norm(dim=1)
        >>> round(r[y == 0].mean().item(), 3), round(r[y == 1].mean().item(), 3)
        (1.0, 0.5)
    """
    where = "make_circles"
    m = _check(where, m, noise, dtype)
    if not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"{where}: argument 'factor' got {describe(factor)}, expected a radius ratio in (0, 1)")
    g = torch.Generator().manual_seed(int(seed))
    y = _labels(m)
    t = 2 * math.pi * torch.rand(m, generator=g, dtype=torch.float64)
    r = torch.where(y == 1, float(factor), 1.0).to(torch.float64)
    X = torch.stack([r * torch.cos(t), r * torch.sin(t)], dim=1)
    X = X + noise * torch.randn(m, 2, generator=g, dtype=torch.float64)
    return _shuffled(X, y, g, dtype)


def make_spirals(m: int = 200, *, turns: float = 1.5, noise: float = 0.05, seed: int = 0,
                 dtype: torch.dtype = torch.float32):
    r"""Two interleaved spirals of ``turns`` turns each: class 1 is class 0 turned by half a turn.

    A point of class 0 at parameter :math:`s \in [0, 1]` lies at radius :math:`s` and angle
    :math:`2\pi \cdot \text{turns} \cdot s`; ``noise`` (default 0.05) is added to both coordinates.

    Examples::

        >>> X, y = make_spirals(50, seed=3)
        >>> float(X.abs().max()) < 1.3
        True
    """
    where = "make_spirals"
    m = _check(where, m, noise, dtype)
    if not isinstance(turns, numbers.Real) or not 0 < turns <= 10:
        raise ValueError(f"{where}: argument 'turns' got {describe(turns)}, expected a number of turns in (0, 10]")
    g = torch.Generator().manual_seed(int(seed))
    y = _labels(m)
    s = 0.05 + 0.95 * torch.rand(m, generator=g, dtype=torch.float64)
    angle = 2 * math.pi * turns * s + math.pi * y.to(torch.float64)
    X = torch.stack([s * torch.cos(angle), s * torch.sin(angle)], dim=1)
    X = X + noise * torch.randn(m, 2, generator=g, dtype=torch.float64)
    return _shuffled(X, y, g, dtype)
