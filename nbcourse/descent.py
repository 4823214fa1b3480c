r"""Gradient descent, batch and stochastic, small enough to read in one sitting.

The algorithms of the lecture on two kinds of problem:

- a two-parameter surface (:data:`nbcourse.landscape.SURFACES`), where :func:`descend` runs batch gradient
  descent, or stochastic gradient descent imitated by adding Gaussian noise to the gradient;
- the line model :math:`\hat y = wx + b` on a data set, whose cost :class:`LineCost` knows every sample, so that
  :func:`minibatch_descent` can run true stochastic (batch size 1), mini-batch and batch gradient descent.

Batch learning averages the loss over all :math:`m` training samples and steps along the gradient of the
average,

.. math::
    J(\mathbf{w}) = \frac1m \sum_{i=1}^m L^{(i)}(\mathbf{w}), \qquad
    \mathbf{w} \leftarrow \mathbf{w} - \alpha\, \nabla_{\mathbf{w}} J(\mathbf{w}),

stochastic learning steps along the gradient of one sample :math:`i` (mini-batch learning: of the average over
a few), an unbiased estimate of the batch gradient,

.. math::
    \mathbf{w} \leftarrow \mathbf{w} - \alpha\, \nabla_{\mathbf{w}} L^{(i)}(\mathbf{w}), \qquad
    \mathbb{E}_i\big[\nabla_{\mathbf{w}} L^{(i)}(\mathbf{w})\big] = \nabla_{\mathbf{w}} J(\mathbf{w}).

Everything here runs in float64 numpy (these problems are tiny; a Python loop over numpy is the fastest way to
take thousands of small steps) and returns a :class:`Trajectory`.
The figures of these runs (the line model's cost landscape, the lecture's interactive example) are in
:mod:`nbcourse.figures.descent`; this module imports no plotting library.

Examples::

    >>> from nbcourse.data import make_line
    >>> from nbcourse.descent import LineCost, minibatch_descent
    >>> cost = LineCost(*make_line("small", seed=0))
    >>> run = minibatch_descent(cost, (0.0, 0.0), lr=0.3, batch_size=None, steps=200)
    >>> bool(abs(run.loss[-1] - cost(cost.solution)) < 1e-6)     # batch GD reaches the least-squares fit
    True
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from nbcourse._arrays import describe

__all__ = [
    "Trajectory", "descend", "annealed_lr", "growing_batch_size",
    "LineCost", "minibatch_descent",
    "EXAMPLE_LEARNING_RATES", "EXAMPLE_BATCH_SIZES", "EXAMPLE_STARTS", "EXAMPLE_DOMAIN", "EXAMPLE_TRUTH",
]

#: The interactive example's choices: learning rates and batch sizes by name (``"m"``: every sample).
EXAMPLE_LEARNING_RATES: dict[str, float] = {"small": 0.05, "medium": 0.3, "large": 1.2}
EXAMPLE_BATCH_SIZES: tuple[int | str, ...] = (1, 24, "m")
#: Starting points offered for (w, b) where the red dot cannot be dragged (the book).
EXAMPLE_STARTS: tuple[tuple[float, float], ...] = ((-1.5, 2.0), (3.5, 2.0), (4.2, -3.0))
#: The region of the (w, b) plane the example draws.
EXAMPLE_DOMAIN: tuple[tuple[float, float], tuple[float, float]] = ((-2.0, 5.0), (-3.5, 2.5))
EXAMPLE_TRUTH: tuple[float, float] = (1.5, -0.5)    # make_line's default slope and intercept

#: Parameters whose norm grows beyond this have diverged; their path ends there (filled with NaN).
DIVERGED = 1e6


@dataclass
class Trajectory:
    """The path of one descent run (or of several run side by side).

    Attributes:
        params: the parameters before each step and after the last, shape ``(steps + 1, ..., 2)``.
            After a run diverges its remaining entries are NaN.
        loss: the (full) loss at each entry of ``params``, shape ``(steps + 1, ...)``.
        lr: the learning rate of each step, shape ``(steps,)``.
        evaluations: per-sample gradient evaluations spent before each entry of ``params``, shape
            ``(steps + 1,)``: the cost of reaching it.  For a surface every step counts as one.
        batch_sizes: the batch size of each step, shape ``(steps,)``, for :func:`minibatch_descent`;
            empty for :func:`descend`.
        diverged: whether the run diverged (for several runs: one flag each), shape ``(...)``.
    """

    params: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    evaluations: np.ndarray
    batch_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    diverged: np.ndarray | bool = False

    @property
    def steps(self) -> int:
        """The number of steps taken."""
        return len(self.params) - 1

    @property
    def final(self) -> np.ndarray:
        """The parameters after the last step, shape ``(..., 2)``."""
        return self.params[-1]


def _check_lr(lr: Any, where: str) -> Callable[[int], float]:
    if callable(lr):
        return lr
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(
            f"{where}: argument 'lr' got {describe(lr)}, expected a positive learning rate "
            "or a function of the step t (e.g. lambda t: annealed_lr(t, lr=0.1, tau=100))"
        )
    value = float(lr)
    return lambda t: value


def _check_count(value: Any, name: str, where: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{where}: argument {name!r} got {describe(value)}, expected an integer >= {minimum}")
    return int(value)


def _as_params(start: Any, where: str) -> np.ndarray:
    if isinstance(start, torch.Tensor):
        start = start.detach().cpu().numpy()
    try:
        w = np.array(start, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: argument 'start' got {describe(start)}, expected the two parameters (w1, w2)") from None
    if w.ndim == 0 or w.shape[-1] != 2 or not np.all(np.isfinite(w)):
        raise ValueError(
            f"{where}: argument 'start' got {describe(start)}, expected finite parameters of shape (2,), "
            "or (n, 2) for n runs side by side"
        )
    return w


def annealed_lr(t: int, *, lr: float, tau: float) -> float:
    r"""The learning rate at step ``t`` of the :math:`1/t` annealing schedule.

    .. math::
        \alpha_t = \frac{\alpha_0}{1 + t/\tau}

    It keeps :math:`\alpha_0` for the first few steps, is halved at :math:`t = \tau` and then decays like
    :math:`1/t`, just slowly enough that stochastic gradient descent still gets anywhere
    (:math:`\sum_t \alpha_t = \infty`) and just fast enough that its fluctuations die out
    (:math:`\sum_t \alpha_t^2 < \infty`; Robbins and Monro, *A Stochastic Approximation Method*,
    Annals of Mathematical Statistics, 1951).

    Args:
        t: the step, 0 for the first.
        lr: :math:`\alpha_0`, the learning rate at step 0.
        tau: :math:`\tau > 0`, the step at which the rate has halved.

    Examples::

        >>> [annealed_lr(t, lr=0.1, tau=10) for t in (0, 10, 90)]
        [0.1, 0.05, 0.01]
    """
    if not isinstance(tau, numbers.Real) or not tau > 0:
        raise ValueError(f"annealed_lr: argument 'tau' got {describe(tau)}, expected a positive number of steps")
    if not isinstance(lr, numbers.Real) or not lr > 0:
        raise ValueError(f"annealed_lr: argument 'lr' got {describe(lr)}, expected a positive learning rate")
    return float(lr) / (1.0 + t / float(tau))


def growing_batch_size(t: int, *, initial: int, every: int, limit: int) -> int:
    r"""A batch size that doubles every ``every`` steps, from ``initial`` up to ``limit``.

    .. math::
        S_t = \min\!\big(S_\text{limit},\ S_0 \cdot 2^{\lfloor t / \text{every} \rfloor}\big)

    The other way to calm stochastic gradient descent near the minimum: the variance of a mini-batch gradient
    falls like :math:`1/S`, so a growing batch shrinks the fluctuations as annealing the learning rate does.

    Examples::

        >>> [growing_batch_size(t, initial=1, every=10, limit=24) for t in (0, 10, 25, 100)]
        [1, 2, 4, 24]
    """
    for name, value in (("initial", initial), ("every", every), ("limit", limit)):
        _check_count(value, name, "growing_batch_size", minimum=1)
    return int(min(limit, initial * 2 ** min(t // every, 62)))


# ---------------------------------------------------------------------------------------------------------
# descent on a surface
# ---------------------------------------------------------------------------------------------------------

def descend(
    objective: Any,
    start: Any,
    *,
    lr: float | Callable[[int], float],
    steps: int,
    noise: float = 0.0,
    clip: float | None = None,
    seed: int = 0,
) -> Trajectory:
    r"""Gradient descent on a surface, with optional gradient noise (stochastic descent) and clipping.

    .. math::
        \mathbf{w}_{t+1} = \mathbf{w}_t - \alpha_t \big(\nabla f(\mathbf{w}_t) + \sigma\,\boldsymbol{\varepsilon}_t\big),
        \qquad \boldsymbol{\varepsilon}_t \sim \mathcal{N}(\mathbf{0}, I)

    With ``noise`` :math:`\sigma = 0` this is batch gradient descent.  With :math:`\sigma > 0` each step sees a
    gradient that is right on average but wrong every time, which is what a stochastic gradient is: the mean
    over the samples is the batch gradient.  With ``clip`` the noisy gradient is rescaled to norm at most
    ``clip`` before the step (gradient clipping, the cure for cliffs).

    Args:
        objective: the surface, anything with ``objective(w)`` and ``objective.grad(w)`` for numpy ``w`` of
            shape ``(..., 2)``, e.g. ``SURFACES["ravine"]`` or a :class:`LineCost`.
        start: the first parameters, shape ``(2,)``; or ``(n, 2)`` for ``n`` runs side by side, each with its
            own noise (handy for counting how often something happens).
        lr: the learning rate :math:`\alpha`, or a function of the step ``t`` giving :math:`\alpha_t`
            (see :func:`annealed_lr`).
        steps: how many steps to take.
        noise: :math:`\sigma`, the standard deviation of the noise added to each gradient component.
            Default: 0.0 (batch gradient descent)
        clip: the largest gradient norm a step may use, or ``None`` for no clipping. Default: ``None``
        seed: seeds the noise. Default: 0

    Returns:
        a :class:`Trajectory`; a run whose parameters leave the region :math:`\|\mathbf{w}\| < 10^6` or become
        NaN is marked ``diverged`` and its path ends there.

    Examples::

        >>> from nbcourse.landscape import SURFACES
        >>> run = descend(SURFACES["convex"], (-2.5, 2.0), lr=0.8, steps=50)
        >>> run.params.shape, bool(abs(run.loss[-1]) < 1e-8)
        ((51, 2), True)
    """
    where = "descend"
    if not (callable(objective) and callable(getattr(objective, "grad", None))):
        raise TypeError(
            f"{where}: argument 'objective' got {describe(objective)}, expected a surface with objective(w) and "
            "objective.grad(w), e.g. nbcourse.landscape.SURFACES['convex']"
        )
    w = _as_params(start, where)
    lr_at = _check_lr(lr, where)
    steps = _check_count(steps, "steps", where)
    if not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"{where}: argument 'noise' got {describe(noise)}, expected a standard deviation >= 0")
    if clip is not None and (not isinstance(clip, numbers.Real) or not clip > 0):
        raise ValueError(f"{where}: argument 'clip' got {describe(clip)}, expected a positive norm or None")
    rng = np.random.default_rng(seed)

    params = np.full((steps + 1,) + w.shape, np.nan)
    rates = np.array([float(lr_at(t)) for t in range(steps)])
    params[0] = w
    alive = np.ones(w.shape[:-1], dtype=bool)
    for t in range(steps):
        alpha = rates[t]
        g = np.asarray(objective.grad(w), dtype=np.float64)
        if noise > 0:
            g = g + noise * rng.standard_normal(w.shape)
        if clip is not None:
            norm = np.linalg.norm(g, axis=-1, keepdims=True)
            g = g * np.minimum(1.0, clip / np.maximum(norm, 1e-300))
        with np.errstate(over="ignore", invalid="ignore"):
            w = w - alpha * g
            ok = np.all(np.isfinite(w), axis=-1) & (np.linalg.norm(w, axis=-1) < DIVERGED)
        alive &= ok
        w = np.where(alive[..., None], w, np.nan)
        params[t + 1] = w
        if not alive.any():
            break
    with np.errstate(over="ignore", invalid="ignore"):
        loss = np.asarray(objective(np.nan_to_num(params, nan=0.0)), dtype=np.float64)
    loss = np.where(np.isnan(params).any(axis=-1), np.nan, loss)
    return Trajectory(
        params=params, loss=loss, lr=rates, evaluations=np.arange(steps + 1, dtype=np.int64),
        diverged=~alive if alive.ndim else bool(~alive),
    )


# ---------------------------------------------------------------------------------------------------------
# the line model on data
# ---------------------------------------------------------------------------------------------------------

def _as_vector(a: Any, name: str, where: str) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    try:
        v = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: argument {name!r} got {describe(a)}, expected a 1-D array of numbers") from None
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1 or len(v) == 0:
        raise ValueError(f"{where}: argument {name!r} got {describe(a)}, expected a non-empty 1-D array of shape (m,)")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{where}: argument {name!r} holds NaN or infinite values")
    return v


class LineCost:
    r"""The cost of the line model :math:`\hat y = wx + b` on a data set: the L2 loss averaged over the samples.

    .. math::
        L^{(i)}(w, b) = \tfrac12 \big(y^{(i)} - w x^{(i)} - b\big)^2, \qquad
        J(w, b) = \frac1m \sum_{i=1}^m L^{(i)}(w, b)

    Gradient, with the residual :math:`r^{(i)} = y^{(i)} - w x^{(i)} - b`:

    .. math::
        \frac{\partial J}{\partial w} = -\frac1m \sum_i r^{(i)} x^{(i)}, \qquad
        \frac{\partial J}{\partial b} = -\frac1m \sum_i r^{(i)}

    and Hessian :math:`\frac1m \sum_i (x^{(i)}, 1)^\top (x^{(i)}, 1)`, the same everywhere: :math:`J` is a convex
    quadratic bowl whose minimum is the least-squares fit (:attr:`solution`).

    Every method takes the parameters ``params = (w, b)`` with shape ``(..., 2)``, so a whole grid of parameters
    is evaluated at once, and an optional ``index`` selecting the samples of a mini-batch.

    Args:
        x: inputs, shape ``(m,)`` (or ``(m, 1)``), a tensor or array.
        y: targets, shape ``(m,)``.

    Examples::

        >>> cost = LineCost([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])     # the points lie on y = 2x + 1
        >>> cost.solution.round(9).tolist()
        [2.0, 1.0]
        >>> float(cost((2.0, 0.0))), cost.grad((2.0, 0.0)).tolist()   # every residual is 1
        (0.5, [-1.0, -1.0])
        >>> cost.grad((2.0, 0.0), index=[2]).tolist()             # the gradient of sample 2 alone
        [-2.0, -1.0]
    """

    def __init__(self, x: Any, y: Any):
        self.x = _as_vector(x, "x", "LineCost")
        self.y = _as_vector(y, "y", "LineCost")
        if len(self.x) != len(self.y):
            raise ValueError(f"LineCost: 'x' has {len(self.x)} samples but 'y' has {len(self.y)}; they must match")

    @property
    def m(self) -> int:
        """The number of samples."""
        return len(self.x)

    def __repr__(self) -> str:
        return f"LineCost(m={self.m})"

    def _params(self, params: Any, where: str) -> np.ndarray:
        p = _as_params(params, f"LineCost.{where}") if not isinstance(params, np.ndarray) else params
        if p.ndim == 0 or p.shape[-1] != 2:
            raise ValueError(f"LineCost.{where}: argument 'params' got {describe(params)}, expected (w, b) in a last dimension of size 2")
        return p.astype(np.float64, copy=False)

    def _subset(self, index: Any) -> tuple[np.ndarray, np.ndarray]:
        if index is None:
            return self.x, self.y
        idx = np.asarray(index)
        if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
            raise ValueError(f"LineCost: argument 'index' got {describe(index)}, expected a non-empty 1-D array of sample indices")
        if idx.min() < -self.m or idx.max() >= self.m:
            raise IndexError(f"LineCost: argument 'index' holds {int(idx.max())}, but there are only {self.m} samples")
        return self.x[idx], self.y[idx]

    def residuals(self, params: Any, *, index: Any = None) -> np.ndarray:
        r"""The residuals :math:`r^{(i)} = y^{(i)} - w x^{(i)} - b`, shape ``(..., m)`` (or ``(..., len(index))``)."""
        p = self._params(params, "residuals")
        x, y = self._subset(index)
        return y - p[..., 0:1] * x - p[..., 1:2]

    def per_sample(self, params: Any, *, index: Any = None) -> np.ndarray:
        r"""The per-sample losses :math:`L^{(i)}`, shape ``(..., m)``: the landscape seen by stochastic descent."""
        return 0.5 * self.residuals(params, index=index) ** 2

    def __call__(self, params: Any, *, index: Any = None) -> np.ndarray:
        r"""The cost :math:`J(w, b)` (the mean over ``index`` when given), shape ``(...)``.

        :math:`J` is a quadratic in :math:`(w, b)` whose coefficients are averages over the data. With the
        means :math:`\bar x, \bar y` and the (co)variances :math:`s_{xx}, s_{xy}, s_{yy}`,

        .. math::
            J(w, b) = \tfrac12\big(s_{yy} - 2w\,s_{xy} + w^2 s_{xx}\big) + \tfrac12\big(\bar y - w\bar x - b\big)^2,

        which is how it is computed: a whole grid of parameters costs no more than one pass over the data
        (centring first keeps the rounding error small near the minimum).
        """
        p = self._params(params, "__call__")
        x, y = self._subset(index)
        w, b = p[..., 0], p[..., 1]
        mx, my = np.mean(x), np.mean(y)
        xc, yc = x - mx, y - my
        sxx, sxy, syy = np.mean(xc * xc), np.mean(xc * yc), np.mean(yc * yc)
        J = 0.5 * (syy - 2 * w * sxy + w * w * sxx) + 0.5 * (my - w * mx - b) ** 2
        return np.maximum(J, 0.0)          # rounding must not make a sum of squares negative

    def per_sample_grad(self, params: Any, *, index: Any = None) -> np.ndarray:
        r"""The gradient of each :math:`L^{(i)}`, :math:`-r^{(i)}\,(x^{(i)}, 1)`, shape ``(..., m, 2)``."""
        r = self.residuals(params, index=index)
        x, _ = self._subset(index)
        return np.stack([-r * x, -r], axis=-1)

    def grad(self, params: Any, *, index: Any = None) -> np.ndarray:
        r"""The gradient :math:`\nabla J = (\partial J/\partial w, \partial J/\partial b)`, shape ``(..., 2)``."""
        r = self.residuals(params, index=index)
        x, _ = self._subset(index)
        return np.stack([-(r * x).mean(axis=-1), -r.mean(axis=-1)], axis=-1)

    def hessian(self, *, index: Any = None) -> np.ndarray:
        r"""The Hessian of :math:`J`, shape ``(2, 2)``; it does not depend on the parameters."""
        x, _ = self._subset(index)
        return np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])

    @property
    def solution(self) -> np.ndarray:
        """The minimum of :math:`J`: the least-squares ``(w, b)``, shape ``(2,)``."""
        A = np.stack([self.x, np.ones_like(self.x)], axis=1)
        return np.linalg.lstsq(A, self.y, rcond=None)[0]


def minibatch_descent(
    cost: LineCost,
    start: Any,
    *,
    lr: float | Callable[[int], float],
    batch_size: int | None | Callable[[int], int],
    steps: int | None = None,
    epochs: float | None = None,
    seed: int = 0,
) -> Trajectory:
    r"""Stochastic, mini-batch or batch gradient descent on a :class:`LineCost`.

    .. math::
        \mathbf{w}_{t+1} = \mathbf{w}_t - \alpha_t\, \frac{1}{S_t} \sum_{i \in B_t} \nabla L^{(i)}(\mathbf{w}_t)

    How the mini-batches :math:`B_t` are drawn, the way a shuffling data loader draws them: each epoch
    starts with a fresh random permutation of the :math:`m` samples, and the epoch's batches are consecutive
    slices of it.  A batch never straddles two epochs: when fewer than :math:`S_t` samples of the epoch are
    left, the last batch holds just those (like ``torch.utils.data.DataLoader(..., drop_last=False)``).  So

    - every batch size sees every sample exactly once per epoch;
    - ``batch_size=1`` is stochastic (online) learning, one sample per step, reshuffled every epoch;
    - ``batch_size=None`` or ``cost.m`` is batch learning: each epoch is one batch holding every sample,
      and the run takes exactly the steps of batch gradient descent (:func:`descend` on ``cost``), whatever
      the seed;
    - with a growing batch size (:func:`growing_batch_size`) the batches grow inside the epoch, and once
      :math:`S_t \ge m` every step is a batch step.

    The gradient of a batch that holds every sample is computed over the samples in their stored order, so
    that a batch step equals ``cost.grad(w)`` to the last bit.

    Args:
        cost: the problem, a :class:`LineCost`.
        start: the first ``(w, b)``.
        lr: the learning rate, or a function of the step ``t`` (see :func:`annealed_lr`).
        batch_size: :math:`S`, samples per step; ``None`` for all of them; or a function of the step ``t``
            (see :func:`growing_batch_size`).
        steps: how many updates to make.  Give ``steps`` or ``epochs``, not both.
        epochs: how many passes over the data to make instead (rounded up to whole steps).
        seed: seeds the shuffling. Default: 0

    Returns:
        a :class:`Trajectory` whose ``loss`` is the full cost :math:`J` at every step and whose
        ``evaluations`` counts per-sample gradients: after ``t`` steps of batch size :math:`S`, :math:`tS`.

    Examples::

        >>> cost = LineCost([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0])
        >>> run = minibatch_descent(cost, (0.0, 0.0), lr=0.1, batch_size=1, epochs=2)
        >>> run.steps, run.evaluations[-1].item()
        (8, 8)
    """
    where = "minibatch_descent"
    if not isinstance(cost, LineCost):
        raise TypeError(f"{where}: argument 'cost' got {describe(cost)}, expected a LineCost(x, y)")
    w = _as_params(start, where)
    if w.shape != (2,):
        raise ValueError(f"{where}: argument 'start' got shape {w.shape}, expected one (w, b) pair of shape (2,)")
    lr_at = _check_lr(lr, where)
    m = cost.m
    if batch_size is None:
        size_at = lambda t: m  # noqa: E731
    elif callable(batch_size):
        size_at = batch_size
    else:
        fixed = _check_count(batch_size, "batch_size", where, minimum=1)
        if fixed > m:
            raise ValueError(f"{where}: argument 'batch_size' got {fixed}, but there are only {m} samples; use None for all of them")
        size_at = lambda t: fixed  # noqa: E731
    if (steps is None) == (epochs is None):
        raise ValueError(f"{where}: give exactly one of 'steps' and 'epochs' (got steps={steps!r}, epochs={epochs!r})")
    if epochs is not None:
        if not isinstance(epochs, numbers.Real) or not epochs > 0:
            raise ValueError(f"{where}: argument 'epochs' got {describe(epochs)}, expected a positive number")
        budget = int(np.ceil(epochs * m))        # samples to see; steps follow from the batch sizes
        steps_limit = None
    else:
        steps_limit = _check_count(steps, "steps", where)
        budget = None
    rng = np.random.default_rng(seed)

    epoch_order = np.empty(0, dtype=np.int64)   # the samples of the current epoch not yet used
    params, rates, sizes, seen = [w.copy()], [], [], [0]
    diverged = False
    t = 0
    while (steps_limit is not None and t < steps_limit) or (budget is not None and seen[-1] < budget):
        S = int(size_at(t))
        if not 1 <= S <= m:
            raise ValueError(f"{where}: the batch size at step {t} is {S}, expected 1 <= S <= {m}")
        if len(epoch_order) == 0:                # a new epoch: a fresh permutation
            epoch_order = rng.permutation(m)
        if S >= len(epoch_order) == m:           # the whole epoch in one batch: the batch gradient
            batch, epoch_order = None, epoch_order[:0]
            S = m
        else:                                    # the next slice; the epoch's last batch may be smaller
            batch, epoch_order = epoch_order[:S], epoch_order[S:]
            S = len(batch)
        alpha = float(lr_at(t))
        with np.errstate(over="ignore", invalid="ignore"):
            w = w - alpha * cost.grad(w, index=batch)
        rates.append(alpha)
        sizes.append(S)
        seen.append(seen[-1] + S)
        t += 1
        if not (np.all(np.isfinite(w)) and np.linalg.norm(w) < DIVERGED):
            diverged = True
            params.append(np.full(2, np.nan))
            break
        params.append(w.copy())
    P = np.array(params)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = cost(np.nan_to_num(P, nan=0.0))
    loss[np.isnan(P).any(axis=-1)] = np.nan
    return Trajectory(
        params=P, loss=loss, lr=np.array(rates), evaluations=np.array(seen, dtype=np.int64),
        batch_sizes=np.array(sizes, dtype=np.int64), diverged=diverged,
    )
