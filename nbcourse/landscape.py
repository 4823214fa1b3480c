r"""Loss landscapes: the two-parameter surfaces of the lecture, and slices through a real network's loss.

Successfully training a network means (1) defining a well-behaved loss landscape and (2) using the right
algorithm to tread through it.  This module holds the landscapes.

**Model surfaces.**  :data:`SURFACES` maps each shape the lecture names to a function of two parameters
:math:`\mathbf{w} = (w_1, w_2)` with its analytic gradient and Hessian::

    "convex"        one bowl, every path leads to the same minimum
    "local-minima"  a shallow basin beside a deeper one
    "saddle"        a point where the gradient vanishes but which is no minimum
    "plateau"       a wide flat region with almost no gradient around a narrow hole
    "ravine"        a long narrow valley: steep across, nearly flat along
    "cliff"         a flat region next to a wall whose gradient is huge

Each surface takes ``w`` of shape ``(2,)`` or ``(..., 2)`` (a torch tensor, numpy array or nested list) and
gives back the same kind: ``surface(w)`` has shape ``(...)``, ``surface.grad(w)`` shape ``(..., 2)`` and
``surface.hessian(w)`` shape ``(..., 2, 2)``.  Each also knows where to look (``domain``), its minima and
saddle points, and a few starting points and learning rates that show its character.

**A real network's landscape.**  :func:`random_directions` and :func:`loss_surface_2d` draw the loss of a
trained model on the plane spanned by two random, filter-normalised directions through its parameters
(Li, Xu, Taylor, Studer and Goldstein, *Visualizing the Loss Landscape of Neural Nets*, NeurIPS 2018).

**Drawing.**  :func:`plot_surface` draws a surface's contour map; :func:`plot_descent` is the chapter's
interactive figure (a surface, a start, a learning rate and an optimiser; the path and the loss over steps).

Examples::

    >>> import numpy as np
    >>> from nbcourse.landscape import SURFACES
    >>> saddle = SURFACES["saddle"]
    >>> saddle.grad(np.array([0.0, 0.0]))          # the gradient vanishes at the saddle point
    array([0., 0.])
    >>> np.linalg.eigvalsh(saddle.hessian(np.array([0.0, 0.0])))   # ... but it curves down along w2
    array([-1.,  1.])
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from nbcourse._arrays import describe, from_tensor, to_tensor

__all__ = [
    "Surface", "SURFACES", "Convex", "LocalMinima", "Saddle", "Plateau", "Ravine", "Cliff",
    "random_directions", "loss_surface_2d", "LossSurface2D",
    "plot_surface", "plot_descent", "OPTIMISERS",
]


# ---------------------------------------------------------------------------------------------------------
# model surfaces
# ---------------------------------------------------------------------------------------------------------

Point = tuple[float, float]


class Surface:
    r"""A loss surface of two parameters with its analytic derivatives.

    Subclasses write the formula once, in torch, as three methods on the coordinates ``x = w[..., 0]`` and
    ``y = w[..., 1]``: :meth:`_value`, :meth:`_grad` and :meth:`_hessian`.  This base class checks the input,
    converts numpy arrays and lists to tensors and back, and holds what a figure needs.

    Attributes:
        name: the key of the surface in :data:`SURFACES`.
        summary: one sentence on what the surface shows.
        domain: ``((w1_min, w1_max), (w2_min, w2_max))``, the region worth plotting.
        minima: the local minima, best first, as ``(w1, w2)`` points.
        saddles: the saddle points, if any.
        starts: two named starting points, ``"A"`` and ``"B"``, that show the surface's character.
        learning_rates: ``{"small": ..., "medium": ..., "large": ...}`` suited to this surface's curvature.
        noise: a standard deviation of gradient noise that makes stochastic descent visibly noisy here.
        steps: a number of descent steps that shows the interesting part of a path.
    """

    name: str = ""
    summary: str = ""
    domain: tuple[Point, Point] = ((-3.0, 3.0), (-3.0, 3.0))
    minima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    starts: Mapping[str, Point] = {}
    learning_rates: Mapping[str, float] = {}
    noise: float = 0.5
    steps: int = 60

    # -- the formula, in torch; x and y have the same shape (...) -------------------------------------------
    def _value(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError

    def _hessian(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # pragma: no cover
        """Return the three distinct entries ``(d²f/dx², d²f/dxdy, d²f/dy²)``."""
        raise NotImplementedError

    # -- the public interface -----------------------------------------------------------------------------
    def _split(self, w: Any, where: str) -> tuple[torch.Tensor, torch.Tensor, str]:
        t, kind = to_tensor(w, name="w", where=f"{self.name}.{where}" if where != "__call__" else self.name)
        if t.ndim == 0 or t.shape[-1] != 2:
            raise ValueError(
                f"SURFACES[{self.name!r}]{'' if where == '__call__' else '.' + where}: argument 'w' got "
                f"{describe(w)}, expected the two parameters in the last dimension, shape (2,) or (..., 2). "
                "Stack the coordinates, e.g. np.stack([W1, W2], axis=-1)."
            )
        return t[..., 0], t[..., 1], kind

    def __call__(self, w: Any) -> Any:
        """The loss at ``w``: shape ``(...)`` for ``w`` of shape ``(..., 2)``."""
        x, y, kind = self._split(w, "__call__")
        return from_tensor(self._value(x, y), kind)

    def grad(self, w: Any) -> Any:
        r"""The analytic gradient :math:`\nabla_{\mathbf{w}} f`, shape ``(..., 2)``."""
        x, y, kind = self._split(w, "grad")
        gx, gy = self._grad(x, y)
        return from_tensor(torch.stack(torch.broadcast_tensors(gx, gy), dim=-1), kind)

    def hessian(self, w: Any) -> Any:
        r"""The analytic Hessian :math:`\nabla^2_{\mathbf{w}} f`, shape ``(..., 2, 2)``."""
        x, y, kind = self._split(w, "hessian")
        hxx, hxy, hyy = torch.broadcast_tensors(*self._hessian(x, y), x)[:3]
        rows = [torch.stack([hxx, hxy], dim=-1), torch.stack([hxy, hyy], dim=-1)]
        return from_tensor(torch.stack(rows, dim=-2), kind)

    def grid(self, resolution: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W1, W2, F)``: the surface on a ``resolution`` x ``resolution`` grid over :attr:`domain`.

        Ready for ``plt.contour(W1, W2, F)``.
        """
        if not isinstance(resolution, int) or resolution < 2:
            raise ValueError(f"{self.name}.grid: argument 'resolution' got {resolution!r}, expected an integer >= 2")
        (x0, x1), (y0, y1) = self.domain
        W1, W2 = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
        return W1, W2, self(np.stack([W1, W2], axis=-1))

    def __repr__(self) -> str:
        return f"SURFACES[{self.name!r}]  # {self.summary}"


def _sigmoid(z: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(z)


class Convex(Surface):
    r"""A convex bowl: a quadratic with a positive definite Hessian.

    .. math::
        f(\mathbf{w}) = \tfrac12 (\mathbf{w} - \mathbf{c})^\top A\, (\mathbf{w} - \mathbf{c}),
        \qquad A = \begin{pmatrix} 1 & 0.4 \\ 0.4 & 0.6 \end{pmatrix},\ \mathbf{c} = (0.5, -0.5)

    Gradient :math:`A(\mathbf{w} - \mathbf{c})`, Hessian :math:`A` everywhere (eigenvalues 1.25 and 0.35), so
    gradient descent with any learning rate below :math:`2/1.25 = 1.6` reaches the one minimum from anywhere.
    """

    name = "convex"
    summary = "one bowl: gradient descent reaches the single minimum from any start"
    domain = ((-3.0, 3.0), (-3.0, 3.0))
    _a, _b, _d = 1.0, 0.4, 0.6            # A = [[a, b], [b, d]]
    _c = (0.5, -0.5)
    minima = (_c,)
    starts = {"A": (-2.5, 2.0), "B": (2.0, -2.5)}
    learning_rates = {"small": 0.1, "medium": 0.8, "large": 1.55}
    noise = 0.6
    steps = 40

    def _value(self, x, y):
        u, v = x - self._c[0], y - self._c[1]
        return 0.5 * (self._a * u * u + 2 * self._b * u * v + self._d * v * v)

    def _grad(self, x, y):
        u, v = x - self._c[0], y - self._c[1]
        return self._a * u + self._b * v, self._b * u + self._d * v

    def _hessian(self, x, y):
        one = torch.ones_like(x)
        return self._a * one, self._b * one, self._d * one


def _well(x, y, centre: Point, depth: float, width: float):
    """A Gaussian well ``-depth * exp(-r²/(2 width²))`` and its derivatives (value, gx, gy, hxx, hxy, hyy)."""
    u, v = x - centre[0], y - centre[1]
    s2 = width * width
    g = -depth * torch.exp(-(u * u + v * v) / (2 * s2))      # g = -a e,  e = exp(-r²/2s²)
    gx, gy = -g * u / s2, -g * v / s2                        # dg/du = a e u/s² = -g u/s²
    hxx = -g * (1.0 / s2 - u * u / (s2 * s2))               # d²g/du² = -g (1/s² - u²/s⁴)
    hyy = -g * (1.0 / s2 - v * v / (s2 * s2))
    hxy = g * u * v / (s2 * s2)
    return g, gx, gy, hxx, hxy, hyy


class LocalMinima(Surface):
    r"""Two basins of different depth in a gentle bowl: a shallow local minimum and a deeper global one.

    .. math::
        f(\mathbf{w}) = 0.05\,\|\mathbf{w}\|^2 - 1.2\, e^{-\|\mathbf{w}-\mathbf{m}_1\|^2 / (2\cdot 0.8^2)}
                        - 0.7\, e^{-\|\mathbf{w}-\mathbf{m}_2\|^2 / (2\cdot 0.6^2)},
        \qquad \mathbf{m}_1 = (1.5, 1),\ \mathbf{m}_2 = (-1.5, -1)

    Each well :math:`g = -a\,e^{-r^2/2s^2}` has gradient :math:`-g\,(\mathbf{w}-\mathbf{m})/s^2` and Hessian
    :math:`-g\,\big(I/s^2 - (\mathbf{w}-\mathbf{m})(\mathbf{w}-\mathbf{m})^\top/s^4\big)`.  Batch gradient descent
    stays in whichever basin it starts in; noise can carry stochastic descent over the ridge into the deeper one.
    """

    name = "local-minima"
    summary = "a shallow basin beside a deeper one: gradient descent keeps the basin it starts in"
    domain = ((-3.5, 3.5), (-3.0, 3.0))
    _bowl = 0.05
    _wells = (((1.5, 1.0), 1.2, 0.8), ((-1.5, -1.0), 0.7, 0.6))
    minima = ((1.423573857286024, 0.9490492381906825), (-1.4256802358944383, -0.9504534905962921))
    saddles = ((-0.2823698631116302, -0.1882465754077535),)
    starts = {"A": (-2.5, -2.2), "B": (2.5, -1.5)}
    learning_rates = {"small": 0.1, "medium": 0.5, "large": 1.5}
    noise = 1.0
    steps = 80

    def _value(self, x, y):
        f = self._bowl * (x * x + y * y)
        for centre, depth, width in self._wells:
            f = f + _well(x, y, centre, depth, width)[0]
        return f

    def _grad(self, x, y):
        gx, gy = 2 * self._bowl * x, 2 * self._bowl * y
        for centre, depth, width in self._wells:
            _, wx, wy, *_ = _well(x, y, centre, depth, width)
            gx, gy = gx + wx, gy + wy
        return gx, gy

    def _hessian(self, x, y):
        hxx = 2 * self._bowl * torch.ones_like(x)
        hyy, hxy = hxx.clone(), torch.zeros_like(x)
        for centre, depth, width in self._wells:
            *_, wxx, wxy, wyy = _well(x, y, centre, depth, width)
            hxx, hxy, hyy = hxx + wxx, hxy + wxy, hyy + wyy
        return hxx, hxy, hyy


class Saddle(Surface):
    r"""A saddle point between two minima.

    .. math::
        f(\mathbf{w}) = \tfrac12 w_1^2 + \tfrac14 w_2^4 - \tfrac12 w_2^2

    Gradient :math:`(w_1,\ w_2^3 - w_2)`, Hessian :math:`\operatorname{diag}(1,\ 3w_2^2 - 1)`.  At the origin the
    gradient vanishes and the Hessian has eigenvalues :math:`+1` and :math:`-1`: a minimum along :math:`w_1`,
    a maximum along :math:`w_2`.  The minima are :math:`(0, \pm 1)` with :math:`f = -\tfrac14`.  Descent that starts
    on the line :math:`w_2 = 0` walks into the saddle and stays; a little noise lets it leave.
    """

    name = "saddle"
    summary = "the gradient vanishes at the saddle point, yet it is a maximum along one direction"
    domain = ((-2.0, 2.0), (-1.6, 1.6))
    minima = ((0.0, 1.0), (0.0, -1.0))
    saddles = ((0.0, 0.0),)
    starts = {"A": (-1.8, 0.0), "B": (-1.8, 0.02)}
    learning_rates = {"small": 0.05, "medium": 0.3, "large": 1.0}
    noise = 0.3
    steps = 60

    def _value(self, x, y):
        return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y

    def _grad(self, x, y):
        return x, y ** 3 - y

    def _hessian(self, x, y):
        return torch.ones_like(x), torch.zeros_like(x), 3 * y * y - 1


class Plateau(Surface):
    r"""A wide plateau around a narrow hole, the shape saturated units give a loss.

    .. math::
        f(\mathbf{w}) = 1 - e^{-\|\mathbf{w} - \mathbf{c}\|^2 / (2 s^2)}, \qquad \mathbf{c} = (1, 0.5),\ s = 0.7

    Gradient :math:`(1 - f)\,(\mathbf{w}-\mathbf{c})/s^2`, which is below :math:`10^{-3}` wherever
    :math:`\|\mathbf{w}-\mathbf{c}\| > 2.92`: far from the hole gradient descent barely moves, however long it runs.
    """

    name = "plateau"
    summary = "a wide flat region: the gradient almost vanishes far from the minimum"
    domain = ((-4.0, 4.0), (-4.0, 4.0))
    _c = (1.0, 0.5)
    _s = 0.7
    minima = (_c,)
    starts = {"A": (-1.2, -0.9), "B": (-2.5, 2.5)}
    learning_rates = {"small": 0.2, "medium": 0.8, "large": 4.0}
    noise = 0.05
    steps = 150

    def _value(self, x, y):
        u, v = x - self._c[0], y - self._c[1]
        return 1 - torch.exp(-(u * u + v * v) / (2 * self._s ** 2))

    def _grad(self, x, y):
        u, v = x - self._c[0], y - self._c[1]
        s2 = self._s ** 2
        e = torch.exp(-(u * u + v * v) / (2 * s2))
        return e * u / s2, e * v / s2

    def _hessian(self, x, y):
        u, v = x - self._c[0], y - self._c[1]
        s2 = self._s ** 2
        e = torch.exp(-(u * u + v * v) / (2 * s2))
        return e * (1 / s2 - u * u / s2 ** 2), -e * u * v / s2 ** 2, e * (1 / s2 - v * v / s2 ** 2)


class Ravine(Surface):
    r"""A long narrow ravine: a quadratic 50 times steeper across than along, its floor turned by 25 degrees.

    .. math::
        f(\mathbf{w}) = \tfrac12 \left(\lambda_1 u^2 + \lambda_2 v^2\right), \qquad
        \begin{pmatrix} u \\ v \end{pmatrix} = R_{25^\circ}^\top (\mathbf{w} - \mathbf{c}),\
        \lambda_1 = 5,\ \lambda_2 = 0.1,\ \mathbf{c} = (0.5, 0.25)

    :math:`u` measures the distance across the ravine, :math:`v` the distance along its floor, which runs in the
    direction :math:`(\cos 25^\circ, \sin 25^\circ)`.  Gradient :math:`H(\mathbf{w}-\mathbf{c})` with the constant
    Hessian :math:`H = R\,\operatorname{diag}(\lambda_2, \lambda_1)\,R^\top` (floor first), whose condition
    number is :math:`\lambda_1/\lambda_2 = 50`.  A learning rate small enough not to bounce out of the ravine
    (below :math:`2/\lambda_1 = 0.4`) crawls along it: each step shrinks the distance along the floor by only a
    factor :math:`1 - \alpha\lambda_2`.
    """

    name = "ravine"
    summary = "steep across, almost flat along: descent zig-zags across the ravine and crawls along it"
    domain = ((-3.0, 3.0), (-2.0, 2.0))
    _l1, _l2 = 5.0, 0.1          # curvature across, along
    _theta = math.radians(25)    # direction of the floor
    _c = (0.5, 0.25)
    minima = (_c,)
    starts = {"A": (-2.3, -0.3), "B": (-2.0, -1.8)}
    learning_rates = {"small": 0.05, "medium": 0.3, "large": 0.39}
    noise = 0.5
    steps = 80

    def _matrix(self):
        c, s = math.cos(self._theta), math.sin(self._theta)
        # H = l2 e e^T + l1 n n^T with the floor direction e = (c, s) and the normal n = (-s, c)
        hxx = self._l2 * c * c + self._l1 * s * s
        hxy = (self._l2 - self._l1) * c * s
        hyy = self._l2 * s * s + self._l1 * c * c
        return hxx, hxy, hyy

    def _value(self, x, y):
        hxx, hxy, hyy = self._matrix()
        u, v = x - self._c[0], y - self._c[1]
        return 0.5 * (hxx * u * u + 2 * hxy * u * v + hyy * v * v)

    def _grad(self, x, y):
        hxx, hxy, hyy = self._matrix()
        u, v = x - self._c[0], y - self._c[1]
        return hxx * u + hxy * v, hxy * u + hyy * v

    def _hessian(self, x, y):
        one = torch.ones_like(x)
        hxx, hxy, hyy = self._matrix()
        return hxx * one, hxy * one, hyy * one


class Cliff(Surface):
    r"""A flat region at the foot of a cliff: a sigmoid wall of height 4 beside a shallow bowl.

    .. math::
        f(\mathbf{w}) = 0.1\,\|\mathbf{w}\|^2 + h\,\sigma(-k\,w_1), \qquad h = 4,\ k = 20

    Gradient :math:`\big(0.2\,w_1 - hk\,\sigma(1-\sigma),\ 0.2\,w_2\big)` with :math:`\sigma = \sigma(-k w_1)`.
    For :math:`w_1 > 0.5` the loss is a gentle slope (gradient at most about 1 in the plotted region) leading to
    the minimum at the foot of the wall, :math:`w_1 \approx 0.35`; on the wall's face the gradient reaches
    :math:`hk/4 = 20`.  An ordinary step that lands on the face throws the parameters far away
    (Goodfellow, Bengio and Courville, *Deep Learning*, MIT Press, 2016, section 8.2.4); clipping the gradient's
    norm keeps the step sensible.
    """

    name = "cliff"
    summary = "a flat region at the foot of a steep wall: a step onto the wall is thrown far away"
    domain = ((-3.0, 4.0), (-2.5, 2.5))
    _h, _k = 4.0, 20.0
    minima = ((0.3517297818679349, 0.0),)
    starts = {"A": (3.6, 1.5), "B": (-2.5, 1.0)}
    learning_rates = {"small": 0.1, "medium": 0.6, "large": 1.2}
    noise = 0.3
    steps = 60

    def _value(self, x, y):
        return 0.1 * (x * x + y * y) + self._h * _sigmoid(-self._k * x)

    def _grad(self, x, y):
        s = _sigmoid(-self._k * x)
        return 0.2 * x - self._h * self._k * s * (1 - s), 0.2 * y

    def _hessian(self, x, y):
        s = _sigmoid(-self._k * x)
        # d/dx [-h k s(1-s)] with ds/dx = -k s(1-s):  h k² s(1-s)(1-2s)
        hxx = 0.2 + self._h * self._k ** 2 * s * (1 - s) * (1 - 2 * s)
        return hxx, torch.zeros_like(x), 0.2 * torch.ones_like(x)


#: The lecture's landscapes by name: ``SURFACES[name](w)``, ``SURFACES[name].grad(w)``.
SURFACES: dict[str, Surface] = {
    s.name: s for s in (Convex(), LocalMinima(), Saddle(), Plateau(), Ravine(), Cliff())
}


# ---------------------------------------------------------------------------------------------------------
# the landscape of a real network: 2-D slices (Li et al., 2018)
# ---------------------------------------------------------------------------------------------------------

def _parameters(model: Any, where: str) -> list[torch.Tensor]:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{where}: argument 'model' got {describe(model)}, expected a torch.nn.Module")
    params = [p for p in model.parameters()]
    if not params:
        raise ValueError(f"{where}: the model has no parameters, so there is no landscape to slice")
    return params


def random_directions(model: torch.nn.Module, *, seed: int, filter_normalize: bool = True,
                      bias: str = "zero") -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    r"""Two random directions in a model's parameter space, filter-normalised as Li et al. (2018) propose.

    Each direction :math:`\mathbf{d}` has one tensor per parameter, drawn from :math:`\mathcal{N}(0, 1)`.
    Filter normalisation rescales every filter of the direction to the norm of the same filter in the model,

    .. math::
        \mathbf{d}_{i,j} \leftarrow \frac{\mathbf{d}_{i,j}}{\|\mathbf{d}_{i,j}\|}\, \|\boldsymbol{\theta}_{i,j}\|,

    where a filter :math:`j` of layer :math:`i` is one output unit's incoming weights (a row of a linear
    layer's weight, one output channel of a convolution).  A step of size 1 along the direction then changes
    every filter by as much as the filter itself, so slices through networks whose weights have different
    scales can be compared (Li, Xu, Taylor, Studer and Goldstein, *Visualizing the Loss Landscape of Neural
    Nets*, NeurIPS 2018).  Parameters with one dimension (biases, normalisation scales) have no filters: like
    the authors' code, their direction is zero (``bias="zero"``), or the parameter itself (``bias="copy"``).

    Args:
        model: the network; only the shapes, dtype and device of its parameters and (for filter
            normalisation) their values are read.
        seed: seeds the directions; the same seed gives the same directions.
        filter_normalize: rescale filter by filter (else the raw Gaussian directions). Default: True
        bias: what a filter-normalised direction holds for one-dimensional parameters, ``"zero"`` or
            ``"copy"``. Default: ``"zero"``

    Returns:
        ``(delta, eta)``, two lists of tensors shaped like ``list(model.parameters())``.

    Examples::

        >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
        >>> delta, eta = random_directions(net, seed=0)
        >>> [tuple(d.shape) for d in delta]
        [(4, 3), (4,), (2, 4), (2,)]
        >>> torch.allclose(delta[0].norm(dim=1), net[0].weight.norm(dim=1))    # filter by filter
        True
    """
    where = "random_directions"
    params = _parameters(model, where)
    if bias not in ("zero", "copy"):
        raise ValueError(f"{where}: argument 'bias' got {bias!r}, expected 'zero' or 'copy'")
    generator = torch.Generator().manual_seed(int(seed))
    out = []
    for _ in range(2):
        direction = []
        for p in params:
            d = torch.randn(p.shape, generator=generator, dtype=torch.float64).to(device=p.device, dtype=p.dtype)
            if filter_normalize:
                theta = p.detach()
                if p.ndim <= 1:
                    d = torch.zeros_like(theta) if bias == "zero" else theta.clone()
                else:
                    # one filter per output unit: flatten everything but the first dimension
                    d_norm = d.reshape(len(d), -1).norm(dim=1)
                    t_norm = theta.reshape(len(theta), -1).norm(dim=1)
                    scale = t_norm / d_norm.clamp_min(1e-12)
                    d = d * scale.reshape((-1,) + (1,) * (p.ndim - 1))
            direction.append(d)
        out.append(direction)
    return out[0], out[1]


@dataclass
class LossSurface2D:
    r"""A slice of a network's loss: ``loss[i, j]`` is the loss at :math:`\boldsymbol\theta + \alpha_j \boldsymbol\delta + \beta_i \boldsymbol\eta`.

    Attributes:
        alpha: the steps along the first direction, shape ``(resolution,)``.
        beta: the steps along the second direction, shape ``(resolution,)``.
        loss: the loss on the grid, shape ``(resolution, resolution)``, rows along ``beta``
            (so that ``plt.contour(alpha, beta, loss)`` draws it).

    It unpacks as ``alpha, beta, loss = surface``, and ``np.asarray(surface)`` is ``loss``.
    """

    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray

    def __iter__(self):
        """``alpha, beta, loss = loss_surface_2d(...)`` unpacks the three arrays."""
        return iter((self.alpha, self.beta, self.loss))

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(surface)`` is the loss grid."""
        return np.asarray(self.loss, dtype=dtype)

    @property
    def shape(self) -> tuple[int, int]:
        """The shape of the loss grid, ``(resolution, resolution)``."""
        return self.loss.shape

    @property
    def centre(self) -> float:
        """The loss at the model's own parameters (the middle of the grid)."""
        i = len(self.beta) // 2
        j = len(self.alpha) // 2
        return float(self.loss[i, j])

    def plot(self, *, ax: Any = None, levels: int | Sequence[float] = 20, title: str | None = None,
             colorbar: str | None = "loss") -> Any:
        """Draw the slice as a contour map with the model's own parameters (the centre) marked.

        Args:
            ax: matplotlib axes to draw on. Default: a new figure's axes.
            levels: the number of contour levels, spaced evenly on a log scale between the lowest and the
                highest loss of the slice; or the levels themselves (pass the same ones to several slices to
                compare them on one colour scale). Default: 20
            title: the axes' title. Default: none
            colorbar: the label of a colour bar beside the map, ticked at contour levels so that a reader can
                read the loss off the colours (name the loss, e.g. ``"cross-entropy loss"``); ``None`` draws no
                colour bar. Default: ``"loss"``

        Returns:
            the axes.
        """
        import matplotlib.pyplot as plt
        from matplotlib.colors import LogNorm

        if colorbar is not None and not isinstance(colorbar, str):
            raise TypeError(f"Slice.plot: colorbar must be a label (str) or None, got {type(colorbar).__name__} "
                            f"{colorbar!r}; pass e.g. colorbar=\"cross-entropy loss\"")

        if ax is None:
            _, ax = plt.subplots(figsize=(4.2, 4))
        if isinstance(levels, numbers.Integral):
            low = max(float(np.nanmin(self.loss)), 1e-12)
            high = max(float(np.nanmax(self.loss)), low * (1 + 1e-9))
            lv = np.geomspace(low, high, int(levels) + 1)
        else:
            lv = np.asarray(levels, dtype=np.float64)
        # a log colour scale: the few huge losses far from the centre must not flatten the rest
        filled = ax.contourf(self.alpha, self.beta, self.loss, levels=lv, cmap="viridis", alpha=0.85,
                             norm=LogNorm(vmin=lv[0], vmax=lv[-1]), extend="both")
        if colorbar is not None:
            bar = ax.figure.colorbar(filled, ax=ax, shrink=0.85, pad=0.03, aspect=25)
            bar.set_label(colorbar)
            # about six ticks, at contour levels, written as plain numbers (a log axis over a narrow range
            # would otherwise show no labelled tick at all)
            ticks = lv[:: max(1, math.ceil((len(lv) - 1) / 5))]
            bar.set_ticks(ticks, labels=[f"{t:.3g}" for t in ticks])
            bar.minorticks_off()
        ax.contour(self.alpha, self.beta, self.loss, levels=lv, colors="0.25", linewidths=0.4)
        ax.plot(0, 0, "o", color="#d62728", mec="k", ms=6, label="the model's parameters")
        ax.set_xlabel("step α along the first direction δ")
        ax.set_ylabel("step β along the second direction η")
        ax.set_aspect("equal", adjustable="box")
        if title is not None:
            ax.set_title(title, fontsize=10)
        return ax


def loss_surface_2d(model: torch.nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                    data: tuple[torch.Tensor, torch.Tensor], directions: tuple[Sequence[torch.Tensor], Sequence[torch.Tensor]],
                    *, span: float = 1.0, resolution: int = 21) -> LossSurface2D:
    r"""The loss of ``model`` on ``data`` over a plane through its parameters (Li et al., 2018).

    .. math::
        f(\alpha, \beta) = L\big(\boldsymbol\theta + \alpha\,\boldsymbol\delta + \beta\,\boldsymbol\eta\big),
        \qquad \alpha, \beta \in [-\text{span}, \text{span}]

    The model itself is left untouched: every point is evaluated with :func:`torch.func.functional_call` on
    shifted copies of the parameters, without gradients, in evaluation mode (the mode is restored after).

    Args:
        model: the network, :math:`\boldsymbol\theta` its parameters.
        loss_fn: ``loss_fn(output, target)`` returning the mean loss, e.g. ``torch.nn.functional.cross_entropy``.
        data: ``(X, y)``, the inputs and targets to evaluate on (a few hundred samples are plenty).
        directions: ``(delta, eta)`` from :func:`random_directions`.
        span: the grid covers :math:`[-\text{span}, \text{span}]^2`. Default: 1.0
        resolution: grid points per side (odd, so that the model's own parameters are on the grid).
            Default: 21

    Returns:
        a :class:`LossSurface2D`.

    Examples::

        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
        >>> X, y = torch.randn(50, 3), torch.randint(0, 2, (50,))
        >>> surface = loss_surface_2d(net, torch.nn.functional.cross_entropy, (X, y),
        ...                           random_directions(net, seed=0), span=1.0, resolution=11)
        >>> surface.loss.shape
        (11, 11)
        >>> abs(surface.centre - torch.nn.functional.cross_entropy(net(X), y).item()) < 1e-6
        True
    """
    where = "loss_surface_2d"
    params = _parameters(model, where)
    if not callable(loss_fn):
        raise TypeError(f"{where}: argument 'loss_fn' got {describe(loss_fn)}, expected a function loss_fn(output, target)")
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(f"{where}: argument 'data' got {describe(data)}, expected a pair (X, y) of tensors") from None
    if not (isinstance(X, torch.Tensor) and isinstance(y, torch.Tensor)):
        raise TypeError(f"{where}: argument 'data' holds {describe(X)} and {describe(y)}, expected two tensors")
    try:
        delta, eta = directions
    except (TypeError, ValueError):
        raise TypeError(f"{where}: argument 'directions' got {describe(directions)}, expected (delta, eta) "
                        "from random_directions(model, seed=...)") from None
    for name, d in (("delta", delta), ("eta", eta)):
        if len(d) != len(params) or any(tuple(a.shape) != tuple(p.shape) for a, p in zip(d, params)):
            raise ValueError(f"{where}: direction {name!r} does not match the model's parameters "
                             f"({[tuple(p.shape) for p in params]}); make it with random_directions(model, seed=...)")
    if not isinstance(span, numbers.Real) or not span > 0:
        raise ValueError(f"{where}: argument 'span' got {describe(span)}, expected a positive number")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"{where}: argument 'resolution' got {describe(resolution)}, expected an integer >= 2 (odd is best)")

    names = [name for name, _ in model.named_parameters()]
    theta = [p.detach() for p in params]
    alphas = np.linspace(-span, span, resolution)
    betas = np.linspace(-span, span, resolution)
    loss = np.empty((resolution, resolution))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i, beta in enumerate(betas):
                for j, alpha in enumerate(alphas):
                    shifted = {n: t + float(alpha) * d + float(beta) * e
                               for n, t, d, e in zip(names, theta, delta, eta)}
                    out = torch.func.functional_call(model, shifted, (X,))
                    loss[i, j] = float(loss_fn(out, y))
    finally:
        model.train(was_training)
    return LossSurface2D(alpha=alphas, beta=betas, loss=loss)


# ---------------------------------------------------------------------------------------------------------
# drawing the model surfaces
# ---------------------------------------------------------------------------------------------------------

#: The optimisers of the interactive figure: label -> whether the gradient is noisy.
OPTIMISERS: dict[str, bool] = {"batch GD": False, "SGD (noisy gradient)": True}

# one colour per optimiser, the same in every figure of the chapter
_PATH_COLOURS = {False: "#1f4e9c", True: "#e8710a"}


def _surface(surface: Surface | str, where: str) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str) and surface in SURFACES:
        return SURFACES[surface]
    raise ValueError(f"{where}: argument 'surface' got {surface!r}, expected one of {list(SURFACES)} or a Surface")


def plot_surface(surface: Surface | str, *, ax: Any = None, resolution: int = 121, levels: int = 24,
                 filled: bool = True, mark: bool = True) -> Any:
    """Draw the contour map of a surface over its domain, with its minima (stars) and saddles (crosses).

    Args:
        surface: a :class:`Surface` or its name in :data:`SURFACES`.
        ax: the matplotlib axes to draw on. Default: a new figure's axes.
        resolution: grid points per side. Default: 121
        levels: the number of contour levels (evenly spaced in loss). Default: 24
        filled: fill between the contours (else lines only). Default: True
        mark: mark the minima and saddle points. Default: True

    Returns:
        the axes.

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> ax = plot_surface("ravine", resolution=41)
        >>> ax.get_xlabel()
        'w₁'
        >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    s = _surface(surface, "plot_surface")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    W1, W2, F = s.grid(resolution)
    # levels spaced like squares: near a minimum, where f grows like the squared distance, the contours are
    # then evenly spaced, and the steep parts do not eat every level
    lv = F.min() + (F.max() - F.min()) * np.linspace(0.0, 1.0, levels + 1) ** 2
    if filled:
        ax.contourf(W1, W2, F, levels=lv, cmap="viridis", alpha=0.45)
    ax.contour(W1, W2, F, levels=lv, colors="0.3", linewidths=0.5, alpha=0.7)
    if mark:
        for k, p in enumerate(s.minima):
            ax.plot(*p, marker="*", ms=13, color="#2ca02c", mec="k", mew=0.6, ls="none",
                    label="minimum" if k == 0 else None, zorder=4)
        for k, p in enumerate(s.saddles):
            ax.plot(*p, marker="X", ms=9, color="#9467bd", mec="k", mew=0.6, ls="none",
                    label="saddle point" if k == 0 else None, zorder=4)
    (x0, x1), (y0, y1) = s.domain
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("w₁")      # plain text, not mathtext: the book draws this figure many times
    ax.set_ylabel("w₂")
    ax.set_aspect("equal", adjustable="box")
    return ax


def plot_descent(surface: str = "convex", start: str = "A", lr: str = "medium",
                 optimiser: str = "batch GD", *, seed: int = 0) -> Any:
    """The chapter's interactive figure: a descent path on a surface's contour map, and its loss over steps.

    Args:
        surface: a name in :data:`SURFACES`. Default: ``"convex"``
        start: a key of the surface's ``starts``, ``"A"`` or ``"B"``. Default: ``"A"``
        lr: ``"small"``, ``"medium"`` or ``"large"``: a key of the surface's ``learning_rates``.
            Default: ``"medium"``
        optimiser: a key of :data:`OPTIMISERS`: ``"batch GD"`` (the exact gradient) or
            ``"SGD (noisy gradient)"`` (Gaussian noise of the surface's ``noise`` added to it).
            Default: ``"batch GD"``
        seed: seeds the gradient noise. Default: 0

    Returns:
        a matplotlib Figure with two axes: the path on the contour map, the loss against the step.

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> fig = plot_descent("saddle", start="A", lr="medium")
        >>> len(fig.axes)
        2
        >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from nbcourse.descent import descend

    where = "plot_descent"
    s = _surface(surface, where)
    for name, value, allowed in (("start", start, s.starts), ("lr", lr, s.learning_rates), ("optimiser", optimiser, OPTIMISERS)):
        if value not in allowed:
            raise ValueError(f"{where}: argument {name!r} got {value!r}, expected one of {list(allowed)}")
    noisy = OPTIMISERS[optimiser]
    alpha = s.learning_rates[lr]
    run = descend(s, s.starts[start], lr=alpha, steps=s.steps, noise=s.noise if noisy else 0.0, seed=seed)
    colour = _PATH_COLOURS[noisy]

    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(8.6, 3.7), width_ratios=(1.15, 1.0))
    plot_surface(s, ax=ax, resolution=81, levels=20)
    for key, p in s.starts.items():
        ax.annotate(key, p, xytext=(4, 4), textcoords="offset points", fontsize=9,
                    color="k" if key == start else "0.45", fontweight="bold" if key == start else "normal")
        if key != start:
            ax.plot(*p, "o", ms=4, color="0.45", zorder=3)
    ax.plot(run.params[:, 0], run.params[:, 1], "-o", color=colour, ms=2.5, lw=1.2, zorder=5)
    ax.plot(*run.params[0], "o", ms=7, color="#d62728", mec="k", zorder=6, label="start")
    ax.legend(loc="lower right", fontsize=7, framealpha=0.85)
    ax.set_title(f"{s.name}: {optimiser}, learning rate {alpha:g}", fontsize=10)

    # the loss above the lowest minimum, f - f_min, on a log scale: straight lines are steady (linear)
    # convergence. float64 cannot resolve f - f_min much below 1e-15 (f is about 1), so the curve is drawn
    # down to that floor and the axis says so; the title prints the same quantity as the axis.
    best = min(float(s(np.array(p))) for p in s.minima)
    floor = 1e-15
    gap = np.clip(run.loss - best, floor, None)
    steps = np.arange(run.steps + 1)
    ax_loss.semilogy(steps, gap, color=colour, lw=1.5)
    marks = [(float(s(np.array(p))) - best, "#2ca02c", "a local minimum") for p in s.minima[1:]]
    marks += [(float(s(np.array(p))) - best, "#9467bd", "a saddle point") for p in s.saddles]
    for level, c, label in marks:
        if level > floor:
            ax_loss.axhline(level, color=c, ls="--", lw=1, label=label)
    F = s.grid(41)[2]
    ax_loss.set_ylim(floor / 3, 5 * (float(F.max()) - best))
    ax_loss.set_xlim(0, run.steps)
    ax_loss.set_xlabel("step t")
    ax_loss.set_ylabel("f − f_min, log scale (floor 1e-15)")
    # plain tick labels and no minor ticks: the default 10^k labels go through slow mathtext
    ax_loss.yaxis.set_major_locator(matplotlib.ticker.LogLocator(numticks=6))
    ax_loss.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.0e"))
    ax_loss.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    final_gap = run.loss[-1] - best
    verdict = "diverged" if np.any(run.diverged) else f"final f − f_min = {max(final_gap, 0.0):.2g}"
    ax_loss.set_title(f"loss over {run.steps} steps: {verdict}", fontsize=10)
    if any(level > floor for level, *_ in marks):
        ax_loss.legend(loc="upper right", fontsize=7)
    ax_loss.grid(alpha=0.3)
    # fixed margins rather than tight_layout: every frame has the same layout, and drawing is twice as fast
    for a in (ax, ax_loss):              # few ticks: each one costs drawing time in the book's many frames
        a.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    fig.subplots_adjust(left=0.075, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
    return fig


def _register(factory):
    # registering needs nbcourse.widgets; imported here so that importing this module stays light
    from nbcourse.widgets import register

    return register(factory)


@_register
def descent_explorer():
    """The interactive figure of the optimisation-landscape page: :func:`plot_descent` over every surface,
    start, learning rate and optimiser (72 frames in the book).

    Examples::

        >>> view = descent_explorer()
        >>> len(view.combinations())
        72
    """
    from nbcourse.widgets import Options, interactive

    return interactive(
        plot_descent,
        surface=Options(list(SURFACES), label="surface"),
        start=Options(["A", "B"], label="start"),
        lr=Options(["small", "medium", "large"], label="learning rate"),
        optimiser=Options(list(OPTIMISERS), label="optimiser"),
        title="Gradient descent on the lecture's landscapes",
    )
