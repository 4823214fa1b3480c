r"""Mini-batches: how noisy a mini-batch gradient is, and what a mini-batch costs.

The mini-batch gradient averages :math:`S` per-sample gradients,
:math:`\mathbf g_S = \frac1S \sum_{i \in B} \nabla_{\mathbf w} L^{(i)}`. It is an unbiased estimate
of the batch gradient :math:`\bar{\mathbf g} = \nabla_{\mathbf w} J`, and its variance (summed over
the parameters) shrinks like :math:`1/S`:

.. math::
    \mathbb E\,\|\mathbf g_S - \bar{\mathbf g}\|^2 = \frac{\sigma^2}{S}\cdot\frac{m - S}{m - 1},
    \qquad \sigma^2 = \frac1m \sum_{i=1}^m \|\nabla_{\mathbf w} L^{(i)} - \bar{\mathbf g}\|^2 .

The second factor is the *finite-population correction*: a mini-batch drawn without replacement
from :math:`m` samples (one epoch of a shuffled data set) is less noisy than :math:`\sigma^2/S`,
and exact at :math:`S = m`. Drawn with replacement the variance is exactly :math:`\sigma^2/S`.

* :func:`gradient_variance` measures the variance for several batch sizes (real mini-batch
  gradients, by autograd) next to the formula;
* :func:`time_updates` measures the time of one update and the samples processed per second;
* :func:`steps_to_target` counts the steps needed to reach a target loss, for each batch size at
  its best learning rate (Shallue et al., 2019).

Example::

    >>> import torch
    >>> from nbcourse.minibatch import predicted_variance
    >>> predicted_variance(1.0, batch_size=10, m=100)        # 1/10 * 90/99
    0.09090909090909091
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from nbcourse._arrays import describe
from nbcourse.per_sample import per_sample_gradients
from nbcourse.train.callbacks import Callback

__all__ = [
    "predicted_variance", "VarianceCurve", "gradient_variance", "flat_gradient",
    "minibatch_means", "gradient_plane", "Timing", "time_updates", "StopAtTarget", "steps_to_target", "Scaling", "batch_size_scaling",
    "digits_softmax_problem",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _sizes(batch_sizes: Any, m: int, where: str) -> list[int]:
    try:
        sizes = [int(s) for s in batch_sizes]
    except (TypeError, ValueError):
        raise TypeError(f"{where}: argument 'batch_sizes' got {describe(batch_sizes)}, expected a list of integers") from None
    if not sizes or any(isinstance(s, bool) or s < 1 or s > m for s in sizes):
        raise ValueError(f"{where}: argument 'batch_sizes' got {list(batch_sizes)!r}, expected integers between 1 and m={m}")
    return sizes


def predicted_variance(total_variance: float, *, batch_size: int | np.ndarray, m: int,
                       replace: bool = False) -> float | np.ndarray:
    r"""The variance of a mini-batch gradient predicted from the per-sample variance.

    .. math::
        \mathbb E\,\|\mathbf g_S - \bar{\mathbf g}\|^2 = \frac{\sigma^2}{S} \cdot
        \begin{cases} \dfrac{m - S}{m - 1} & \text{without replacement} \\ 1 & \text{with replacement} \end{cases}

    Args:
        total_variance: :math:`\sigma^2`, the per-sample gradient variance summed over parameters.
        batch_size: :math:`S` (a number or an array of them).
        m: the number of samples drawn from.
        replace: whether mini-batches are drawn with replacement. Default: False

    Example::

        >>> predicted_variance(2.0, batch_size=4, m=5, replace=True)
        0.5
    """
    S = np.asarray(batch_size, dtype=np.float64)
    if m < 2 and not replace:
        raise ValueError(f"predicted_variance: m={m}, expected at least 2 samples to draw without replacement")
    out = total_variance / S if replace else total_variance / S * (m - S) / (m - 1)
    return float(out) if np.ndim(out) == 0 else out


def flat_gradient(model: torch.nn.Module, loss_fn: LossFn, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The gradient of ``loss_fn(model(X), y)`` with respect to all parameters, as one flat vector.

    Example::

        >>> flat_gradient(torch.nn.Linear(2, 2), F.cross_entropy, torch.ones(3, 2), torch.tensor([0, 1, 1])).shape
        torch.Size([6])
    """
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss_fn(model(X), y), params)
    return torch.cat([g.reshape(-1) for g in grads])


@dataclass
class VarianceCurve:
    """The variance of mini-batch gradients measured for several batch sizes.

    Attributes:
        batch_sizes: the batch sizes :math:`S`, shape ``(k,)``.
        measured: mean of :math:`\\|\\mathbf g_S - \\bar{\\mathbf g}\\|^2` over the draws, shape ``(k,)``.
        predicted: :math:`\\sigma^2/S \\cdot (m-S)/(m-1)`, shape ``(k,)``.
        total_variance: :math:`\\sigma^2`, from the per-sample gradients.
        m: the number of samples.
        draws: mini-batches drawn per batch size.
        replace: whether they were drawn with replacement.
    """

    batch_sizes: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    total_variance: float
    m: int
    draws: int
    replace: bool = False

    @property
    def one_over_s(self) -> np.ndarray:
        """The plain :math:`\\sigma^2/S` law, without the finite-population correction."""
        return self.total_variance / self.batch_sizes.astype(np.float64)


def gradient_variance(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *,
                      batch_sizes: Sequence[int], loss_fn: LossFn = F.cross_entropy, draws: int = 100,
                      replace: bool = False, seed: int = 0) -> VarianceCurve:
    r"""Measure the variance of the mini-batch gradient for each batch size, beside the formula.

    For each :math:`S`, ``draws`` mini-batches are drawn (without replacement inside a batch, by
    default, as in an epoch of shuffled data); the gradient of each batch's mean loss is computed
    by autograd and compared with the full-batch gradient :math:`\bar{\mathbf g}`. The prediction
    uses :math:`\sigma^2` from the per-sample gradients (:func:`nbcourse.per_sample.per_sample_gradients`).

    Args:
        model: the network, at the weights where the gradient is measured (left unchanged).
        X: inputs, shape ``(m, ...)``.
        y: targets, shape ``(m, ...)``.
        batch_sizes: the batch sizes to measure, each between 1 and ``m``.
        loss_fn: the (mean-reduced) loss. Default: ``F.cross_entropy``
        draws: mini-batches per batch size. Default: 100
        replace: draw each mini-batch's samples with replacement. Default: False
        seed: seeds the draws. Default: 0

    Returns:
        a :class:`VarianceCurve`.

    Example::

        >>> g = torch.Generator().manual_seed(0)
        >>> X, y = torch.randn(200, 5, generator=g), torch.randint(0, 3, (200,), generator=g)
        >>> curve = gradient_variance(torch.nn.Linear(5, 3), X, y, batch_sizes=[1, 10, 100], draws=400)
        >>> bool(np.allclose(curve.measured, curve.predicted, rtol=0.25))
        True
    """
    where = "gradient_variance"
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{where}: argument 'model' got {describe(model)}, expected a torch.nn.Module")
    m = len(X)
    sizes = _sizes(batch_sizes, m, where)
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or draws < 2:
        raise ValueError(f"{where}: argument 'draws' got {describe(draws)}, expected an integer >= 2")
    G = per_sample_gradients(model, X, y, loss_fn=loss_fn).double()           # (m, P)
    g_bar = flat_gradient(model, loss_fn, X, y).detach().double()             # (P,)
    total_variance = float(((G - G.mean(dim=0)) ** 2).sum(dim=1).mean())
    generator = torch.Generator().manual_seed(int(seed))
    measured = []
    for S in sizes:
        squared = []
        for _ in range(int(draws)):
            if replace:
                idx = torch.randint(0, m, (S,), generator=generator)
            else:
                idx = torch.randperm(m, generator=generator)[:S]
            g_S = flat_gradient(model, loss_fn, X[idx], y[idx]).detach().double()
            squared.append(float(((g_S - g_bar) ** 2).sum()))
        measured.append(np.mean(squared))
    S_arr = np.asarray(sizes)
    return VarianceCurve(S_arr, np.asarray(measured), np.asarray(predicted_variance(
        total_variance, batch_size=S_arr, m=m, replace=replace), dtype=np.float64).reshape(-1),
        total_variance, m, int(draws), bool(replace))


def minibatch_means(G: torch.Tensor, *, batch_size: int, draws: int, replace: bool = False,
                    seed: int = 0) -> torch.Tensor:
    r"""Mini-batch gradients drawn from per-sample gradients: the mean of ``batch_size`` random rows of ``G``.

    Averaging rows of :math:`G` (row :math:`i` = :math:`\nabla_{\mathbf w} L^{(i)}`) gives exactly
    the gradient of the mini-batch's mean loss, without running the model again.

    Args:
        G: per-sample gradients, shape ``(m, P)`` (from :func:`nbcourse.per_sample.per_sample_gradients`).
        batch_size: :math:`S`, between 1 and ``m``.
        draws: how many mini-batches.
        replace: draw the samples of a batch with replacement. Default: False
        seed: seeds the draws. Default: 0

    Returns:
        a tensor of shape ``(draws, P)``.

    Example::

        >>> G = torch.eye(4)
        >>> minibatch_means(G, batch_size=4, draws=2)          # the whole set: the batch gradient
        tensor([[0.2500, 0.2500, 0.2500, 0.2500],
                [0.2500, 0.2500, 0.2500, 0.2500]])
    """
    m = len(G)
    S = _sizes([batch_size], m, "minibatch_means")[0]
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or draws < 1:
        raise ValueError(f"minibatch_means: argument 'draws' got {describe(draws)}, expected an integer >= 1")
    generator = torch.Generator().manual_seed(int(seed))
    if replace:
        idx = torch.randint(0, m, (int(draws), S), generator=generator)
    else:
        idx = torch.stack([torch.randperm(m, generator=generator)[:S] for _ in range(int(draws))])
    # A (draws, m) holds 1/S at each batch's samples (summed where a sample repeats): A @ G are the
    # batch means, without building a (draws, S, P) tensor
    A = torch.zeros(int(draws), m, dtype=G.dtype, device=G.device)
    A.scatter_add_(1, idx.to(G.device), torch.full(idx.shape, 1.0 / S, dtype=G.dtype, device=G.device))
    return A @ G


def gradient_plane(G: torch.Tensor) -> torch.Tensor:
    r"""Two directions to draw gradients in: the batch gradient's, and the noisiest one across it.

    :math:`\mathbf u_1 = \bar{\mathbf g} / \|\bar{\mathbf g}\|`, and :math:`\mathbf u_2` the
    direction of largest variance of the per-sample gradients once their component along
    :math:`\mathbf u_1` is removed (the first principal direction).

    Args:
        G: per-sample gradients, shape ``(m, P)``.

    Returns:
        a tensor of shape ``(2, P)`` with orthonormal rows; ``G @ plane.T`` gives coordinates.

    Example::

        >>> plane = gradient_plane(torch.randn(50, 6) + 1)
        >>> torch.allclose(plane @ plane.T, torch.eye(2), atol=1e-5)
        True
    """
    g_bar = G.mean(dim=0)
    u1 = g_bar / g_bar.norm().clamp_min(torch.finfo(G.dtype).tiny)
    centred = G - g_bar
    centred = centred - (centred @ u1)[:, None] * u1[None, :]            # remove the u1 component
    _, _, V = torch.linalg.svd(centred, full_matrices=False)
    u2 = V[0] - (V[0] @ u1) * u1
    return torch.stack([u1, u2 / u2.norm()])


@dataclass
class Timing:
    """Time per update and throughput for several batch sizes.

    Attributes:
        batch_sizes: shape ``(k,)``.
        seconds: seconds per update (forward, backward, optimizer step), the fastest of the
            repeats, shape ``(k,)``.
        samples_per_second: ``batch_sizes / seconds``, shape ``(k,)``.
        device: where it ran.
    """

    batch_sizes: np.ndarray
    seconds: np.ndarray
    samples_per_second: np.ndarray
    device: str = "cpu"
    all_seconds: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)


def time_updates(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_sizes: Sequence[int],
                 loss_fn: LossFn = F.cross_entropy, lr: float = 0.01, steps: int = 10, repeats: int = 3,
                 seed: int = 0) -> Timing:
    r"""Measure the wall-clock time of one update for each batch size, on a copy of ``model``.

    An update is what a training step does: ``zero_grad``, forward on :math:`S` samples, the loss,
    ``backward`` and a plain SGD step. Each measurement times ``steps`` updates after one warm-up
    update; the fastest of ``repeats`` measurements is kept (as ``timeit`` does: the slower ones
    were disturbed by other programs). Throughput is :math:`S` divided by the time per update.

    Args:
        model: the network (copied; the original is not trained).
        X: inputs, shape ``(m, ...)``, on the device to time.
        y: targets, shape ``(m, ...)``.
        batch_sizes: the batch sizes, each between 1 and ``m``.
        loss_fn: the loss. Default: ``F.cross_entropy``
        lr: the SGD learning rate. Default: 0.01
        steps: updates per measurement. Default: 10
        repeats: measurements per batch size. Default: 3
        seed: which samples form the batches. Default: 0

    Returns:
        a :class:`Timing`.

    Example::

        >>> t = time_updates(torch.nn.Linear(4, 2), torch.randn(64, 4), torch.randint(0, 2, (64,)),
        ...                  batch_sizes=[1, 64], steps=2, repeats=1)
        >>> t.samples_per_second.shape
        (2,)
    """
    where = "time_updates"
    sizes = _sizes(batch_sizes, len(X), where)
    for name, value in (("steps", steps), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{where}: argument {name!r} got {describe(value)}, expected an integer >= 1")
    net = copy.deepcopy(model)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(int(seed))
    sync = torch.cuda.synchronize if X.is_cuda else (lambda: None)

    def update(xb: torch.Tensor, yb: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(net(xb), yb).backward()
        optimizer.step()

    table = np.zeros((len(sizes), int(repeats)))
    for k, S in enumerate(sizes):
        batches = [torch.randperm(len(X), generator=generator)[:S].to(X.device) for _ in range(int(steps) + 1)]
        xs = [(X[b], y[b]) for b in batches]          # index outside the timed region
        for r in range(int(repeats)):
            update(*xs[0])                            # warm-up: allocations for this shape
            sync()
            start = time.perf_counter()
            for xb, yb in xs[1:]:
                update(xb, yb)
            sync()
            table[k, r] = (time.perf_counter() - start) / int(steps)
    seconds = table.min(axis=1)
    S_arr = np.asarray(sizes)
    return Timing(S_arr, seconds, S_arr / seconds, str(X.device), table)


# ----------------------------------------------------------------------------- steps to a target

class StopAtTarget(Callback):
    """A :class:`~nbcourse.train.Trainer` callback: after every step, measure the loss on ``(X, y)``
    and stop as soon as it is below ``target``, or after ``max_steps`` steps.

    Attributes:
        reached: the step at which the loss first went below ``target`` (None if it did not).
        losses: the measured loss after each step.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, *, target: float, max_steps: int,
                 loss_fn: LossFn = F.cross_entropy) -> None:
        self.X, self.y, self.target, self.max_steps, self.loss_fn = X, y, float(target), int(max_steps), loss_fn
        self.reached: int | None = None
        self.losses: list[float] = []

    def on_batch_end(self, trainer) -> None:
        with torch.no_grad():
            loss = float(self.loss_fn(trainer.model(self.X), self.y))
        self.losses.append(loss)
        if loss < self.target:
            self.reached = trainer.step
            trainer.should_stop = True
        elif trainer.step >= self.max_steps or not math.isfinite(loss):
            trainer.should_stop = True

    def __repr__(self) -> str:
        return f"StopAtTarget(target={self.target}, max_steps={self.max_steps})"


def steps_to_target(make_model: Callable[..., torch.nn.Module], X: torch.Tensor, y: torch.Tensor, *,
                    batch_size: int, lr: float, target: float, max_steps: int, momentum: float = 0.9,
                    loss_fn: LossFn = F.cross_entropy, eval_data: tuple | None = None, seed: int = 0) -> int | None:
    r"""Train with :class:`~nbcourse.train.Trainer` until the loss is below ``target``; return the step count.

    SGD (with ``momentum``) on mini-batches of ``batch_size`` samples, shuffled every epoch; after
    every step the loss on ``eval_data`` (default: the whole training set) is measured. This is the
    measurement of Shallue et al. (2019), *steps to result*, for one batch size and one learning rate.

    Args:
        make_model: ``make_model(seed=...)`` returns a fresh network (the same for the same seed).
        X, y: the training data.
        batch_size: :math:`S`.
        lr: the learning rate.
        target: the loss to reach.
        max_steps: give up after this many steps.
        momentum: SGD momentum. Default: 0.9
        loss_fn: the loss. Default: ``F.cross_entropy``
        eval_data: ``(X, y)`` on which the target is measured. Default: the training data
        seed: the initial weights and the shuffling. Default: 0

    Returns:
        the number of steps, or ``None`` if the target was not reached within ``max_steps``
        (or the loss diverged).
    """
    import warnings

    from nbcourse.train import Trainer, TrainerNotice

    where = "steps_to_target"
    batch_size = _sizes([batch_size], len(X), where)[0]
    if isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 1:
        raise ValueError(f"{where}: argument 'max_steps' got {describe(max_steps)}, expected an integer >= 1")
    if not (isinstance(lr, numbers.Real) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"{where}: argument 'lr' got {describe(lr)}, expected a positive learning rate")
    if not (isinstance(target, numbers.Real) and math.isfinite(target)):
        raise ValueError(f"{where}: argument 'target' got {describe(target)}, expected a finite loss value")
    X_eval, y_eval = (X, y) if eval_data is None else eval_data
    model = make_model(seed=seed)
    stop = StopAtTarget(X_eval, y_eval, target=target, max_steps=max_steps, loss_fn=loss_fn)
    trainer = Trainer(model, loss_fn, torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum),
                      device="cpu", seed=seed, callbacks=[stop], on_nonfinite="stop")
    epochs = math.ceil(max_steps / math.ceil(len(X) / batch_size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainerNotice)      # a diverging learning rate is part of the sweep
        trainer.fit((X, y), epochs=epochs, batch_size=batch_size)
    return stop.reached


@dataclass
class Scaling:
    """Steps to reach a target loss, for every batch size and learning rate tried.

    Attributes:
        batch_sizes: shape ``(k,)``.
        lrs: the learning rates tried, shape ``(L,)``.
        steps: steps to the target, shape ``(k, L)``; NaN where a rate was not tried, or did not
            reach the target within its budget (too small a rate, a diverging one, or a run
            stopped because it could no longer beat the best rate of its batch size).
        best_steps: the fewest steps for each batch size, shape ``(k,)`` (NaN if none reached it).
        best_lr: the learning rate that gave them, shape ``(k,)``.
        target: the target loss.
    """

    batch_sizes: np.ndarray
    lrs: np.ndarray
    steps: np.ndarray
    best_steps: np.ndarray
    best_lr: np.ndarray
    target: float


def batch_size_scaling(make_model: Callable[..., torch.nn.Module], X: torch.Tensor, y: torch.Tensor, *,
                       batch_sizes: Sequence[int], lrs: Sequence[float], target: float, max_steps: int,
                       momentum: float = 0.9, loss_fn: LossFn = F.cross_entropy, seed: int = 0,
                       progress: bool = False) -> Scaling:
    r"""Steps to a target loss against batch size, each batch size at its best learning rate.

    The protocol of Shallue, Lee, Antognini, Sohl-Dickstein, Frostig and Dahl, *Measuring the
    Effects of Data Parallelism on Neural Network Training* (JMLR, 2019), scaled down: for each
    batch size, :func:`steps_to_target` is run for learning rates from ``lrs`` and the fewest steps
    are kept.

    Two shortcuts keep the sweep cheap (the number of steps against the learning rate is a valley
    with one lowest point, so neither changes the answer on such curves). The search for each batch
    size starts at the best rate of the previous batch size (the smallest of ``lrs`` for the
    first; larger batches tolerate larger rates) and walks outwards, up first, then down, until a
    rate does worse than the best so far. And a run is stopped once it has taken as many steps as
    the best so far (it can no longer win).

    Args:
        make_model: ``make_model(seed=...)`` returns a fresh network.
        X, y: the training data.
        batch_sizes: the batch sizes.
        lrs: the learning rates that may be tried (sorted ascending here).
        target: the loss to reach, on the training set.
        max_steps: the budget of each run.
        momentum, loss_fn, seed: as in :func:`steps_to_target`.
        progress: show a ``tqdm.auto`` progress bar. Default: False

    Returns:
        a :class:`Scaling` (rates not tried are NaN in ``steps``).
    """
    sizes = _sizes(batch_sizes, len(X), "batch_size_scaling")
    rates = sorted(float(lr) for lr in lrs)
    if not rates or any(not (lr > 0 and math.isfinite(lr)) for lr in rates):
        raise ValueError(f"batch_size_scaling: argument 'lrs' got {list(lrs)!r}, expected positive learning rates")
    table = np.full((len(sizes), len(rates)), np.nan)
    iterator = range(len(sizes))
    if progress:
        from nbcourse._progress import progress

        iterator = progress(iterator, desc="batch sizes")
    start = 0
    for k in iterator:
        def run(j: int, budget: int) -> int | None:
            steps = steps_to_target(make_model, X, y, batch_size=sizes[k], lr=rates[j], target=target,
                                    max_steps=budget, momentum=momentum, loss_fn=loss_fn, seed=seed)
            if steps is not None:
                table[k, j] = steps
            return steps

        best = run(start, int(max_steps))
        best_j = start
        for direction in (+1, -1):
            j = start + direction
            while 0 <= j < len(rates):
                steps = run(j, int(max_steps) if best is None else best)
                if steps is None or (best is not None and steps >= best):
                    break
                best, best_j = steps, j
                j += direction
        if best is not None:
            start = best_j
    reached = ~np.isnan(table).all(axis=1)
    best_steps = np.array([np.nanmin(row) if ok else np.nan for row, ok in zip(table, reached)])
    best_lr = np.array([rates[int(np.nanargmin(row))] if ok else np.nan for row, ok in zip(table, reached)])
    return Scaling(np.asarray(sizes), np.asarray(rates), table, best_steps, best_lr, float(target))


def digits_softmax_problem(*, seed: int = 0):
    """The small problem of the steps-to-target experiment: softmax regression on digits.

    Returns:
        ``(make_model, X, y)``: ``make_model(seed=...)`` builds a linear model
        ``MLP(64, (), 10)`` with seeded initial weights; ``X``, ``y`` are the training part of
        :func:`nbcourse.data.load_digits` (1437 standardised digits).

    Example::

        >>> make_model, X, y = digits_softmax_problem()
        >>> make_model(seed=0)(X).shape
        torch.Size([1437, 10])
    """
    from nbcourse.data import load_digits
    from nbcourse.models import MLP

    (X, y), _ = load_digits(seed=seed)

    def make_model(*, seed: int = seed) -> torch.nn.Module:
        return MLP(64, (), 10, seed=seed)

    return make_model, X, y
