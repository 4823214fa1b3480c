r"""Figures of the gradient-descent pages: the line model's cost landscape and the lecture's interactive example.

The algorithms are :mod:`nbcourse.descent` (:class:`~nbcourse.descent.LineCost`,
:func:`~nbcourse.descent.minibatch_descent`); this module only draws them.

- :func:`plot_line_cost`: the cost landscape :math:`J(w, b)` of the line model (or of one sample) as a contour map;
- :func:`line_example` and :func:`line_example_explorer`: the lecture's interactive example (data, landscape,
  the path of mini-batch gradient descent from a red dot), and its explorer;
- :func:`sgd_landscapes` and :func:`sgd_landscape_explorer`: each step of SGD sees the landscape of one sample.

The ``EXAMPLE_*`` constants are the interactive example's settings.

Examples::

    >>> import matplotlib.pyplot as plt
    >>> from nbcourse.figures.descent import line_example
    >>> fig = line_example("small", lr="medium", batch_size=24)
    >>> len(fig.axes)
    3
    >>> plt.close(fig)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from nbcourse._arrays import describe
from nbcourse.descent import (EXAMPLE_BATCH_SIZES, EXAMPLE_DOMAIN, EXAMPLE_LEARNING_RATES, EXAMPLE_STARTS,  # noqa: F401
                              EXAMPLE_TRUTH, LineCost, _as_params, _check_count, minibatch_descent)
from nbcourse.widgets import Options, Points, Range, interactive, register

__all__ = [
    "EXAMPLE_LEARNING_RATES", "EXAMPLE_BATCH_SIZES", "EXAMPLE_STARTS", "EXAMPLE_DOMAIN", "EXAMPLE_TRUTH",
    "plot_line_cost", "line_example", "line_example_explorer", "sgd_landscapes", "sgd_landscape_explorer",
]


# the lecture's colours: blue for the ground truth, red for the initialisation and the model being trained
_TRUTH, _INIT, _PATH = "#1f77b4", "#d62728", "#d62728"


def plot_line_cost(cost: LineCost, *, ax: Any = None, domain: Any = EXAMPLE_DOMAIN, index: Any = None,
                   resolution: int = 81, levels: int = 20, filled: bool = True) -> Any:
    r"""Draw the cost landscape :math:`J(w, b)` of a :class:`LineCost` as a contour map.

    With ``index`` only those samples count: ``index=[i]`` draws the landscape :math:`L^{(i)}(w, b)` that one
    step of stochastic gradient descent sees, a straight valley along the line :math:`b = y^{(i)} - w x^{(i)}`
    of every model that fits sample :math:`i` exactly.

    Args:
        cost: the problem.
        ax: matplotlib axes to draw on. Default: a new figure's axes.
        domain: ``((w_min, w_max), (b_min, b_max))``. Default: :data:`EXAMPLE_DOMAIN`
        index: the samples to average over, or ``None`` for all. Default: ``None``
        resolution: grid points per side. Default: 81
        levels: number of contour levels (spaced like squares, so a quadratic's contours are evenly spaced).
            Default: 20
        filled: fill between contour lines. Default: True

    Returns:
        the axes.

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> ax = plot_line_cost(LineCost([0.0, 1.0], [1.0, 3.0]), resolution=21)
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('slope w', 'intercept b')
        >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    if not isinstance(cost, LineCost):
        raise TypeError(f"plot_line_cost: argument 'cost' got {describe(cost)}, expected a LineCost")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    (w0, w1), (b0, b1) = domain
    W, B = np.meshgrid(np.linspace(w0, w1, resolution), np.linspace(b0, b1, resolution))
    J = cost(np.stack([W, B], axis=-1), index=index)
    lv = J.min() + (J.max() - J.min()) * np.linspace(0.0, 1.0, levels + 1) ** 2
    if filled:
        ax.contourf(W, B, J, levels=lv, cmap="viridis", alpha=0.45)
    ax.contour(W, B, J, levels=lv, colors="0.3", linewidths=0.5, alpha=0.7)
    ax.set_xlim(w0, w1)
    ax.set_ylim(b0, b1)
    ax.set_xlabel("slope w")
    ax.set_ylabel("intercept b")
    return ax


def _example_choice(value: Any, allowed: Any, name: str, where: str) -> Any:
    for a in allowed:
        if a == value and type(a) is type(value) or (isinstance(a, str) and a == value):
            return a
    raise ValueError(f"{where}: argument {name!r} got {value!r}, expected one of {list(allowed)}")


def line_example(size: str = "small", start: tuple[float, float] = EXAMPLE_STARTS[0], lr: str = "medium",
                 batch_size: int | str = 1, *, steps: int = 100, seed: int = 0) -> Any:
    r"""The lecture's interactive example: fit :math:`\hat y = wx + b` by gradient descent and watch it.

    (1) A training set of ``size`` samples around the ground-truth line :math:`y = 1.5x - 0.5`
    (:func:`nbcourse.data.make_line`); (2) its cost landscape :math:`J(w, b) = \frac{1}{2m}\sum_i (y^{(i)} - wx^{(i)} - b)^2`
    with the ground truth (blue dot) and the initialisation ``start`` (red dot); (3) ``steps`` updates of
    mini-batch gradient descent with learning rate ``lr`` and batch size ``batch_size``.

    Args:
        size: ``"small"``, ``"medium"`` or ``"large"``: 48, 144 or 480 samples. Default: ``"small"``
        start: the initial ``(w, b)``, the red dot. Default: ``(-1.5, 2.0)``
        lr: ``"small"``, ``"medium"`` or ``"large"``, see :data:`EXAMPLE_LEARNING_RATES`. Default: ``"medium"``
        batch_size: ``1`` (stochastic), ``24`` (mini-batch) or ``"m"`` (batch). Default: 1
        steps: the number of updates. Default: 100
        seed: seeds the data set and the shuffling. Default: 0

    Returns:
        a matplotlib Figure with three axes: the path on the cost landscape, the cost over the updates, and
        the data with the ground-truth and the fitted line.

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> fig = line_example("small", (-1.5, 2.0), "medium", 24)
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['slope w', 'update t', 'x']
        >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from nbcourse.data.synthetic import LINE_SIZES, make_line

    where = "line_example"
    size = _example_choice(size, LINE_SIZES, "size", where)
    lr = _example_choice(lr, EXAMPLE_LEARNING_RATES, "lr", where)
    batch_size = _example_choice(batch_size, EXAMPLE_BATCH_SIZES, "batch_size", where)
    w_start = _as_params(start, where)
    x, y = make_line(size, w=EXAMPLE_TRUTH[0], b=EXAMPLE_TRUTH[1], seed=seed)
    cost = LineCost(x, y)
    S = cost.m if batch_size == "m" else int(batch_size)
    alpha = EXAMPLE_LEARNING_RATES[lr]
    run = minibatch_descent(cost, w_start, lr=alpha, batch_size=S, steps=steps, seed=seed)
    best = float(cost(cost.solution))

    # the landscape large on the left (the red dot is moved there), cost and fit stacked on the right
    fig = plt.figure(figsize=(8.6, 5.2))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.25, 1.0), left=0.08, right=0.985, bottom=0.09, top=0.9,
                            wspace=0.24, hspace=0.5)
    ax = fig.add_subplot(grid[:, 0])
    ax_cost = fig.add_subplot(grid[0, 1])
    ax_fit = fig.add_subplot(grid[1, 1])
    # (2) the landscape, the truth, the start and the path
    plot_line_cost(cost, ax=ax)
    ax.plot(*run.params.T, "-", color=_PATH, lw=1.0, alpha=0.9, zorder=4)
    ax.plot(*cost.solution, "*", ms=11, color="#2ca02c", mec="k", mew=0.5, zorder=5, label="minimum of J")
    ax.plot(*EXAMPLE_TRUTH, "o", ms=8, color=_TRUTH, mec="k", zorder=6, label="ground truth")
    ax.plot(*w_start, "o", ms=8, color=_INIT, mec="k", zorder=6, label="initialisation")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False,
              handletextpad=0.2, columnspacing=0.8, borderaxespad=0.2)
    ax.set_title(f"cost landscape J(w, b), m = {cost.m}", fontsize=10, pad=18)

    # (3a) the cost over the updates
    t = np.arange(run.steps + 1)
    ax_cost.semilogy(t, run.loss, color=_PATH, lw=1.2)
    ax_cost.axhline(best, color="#2ca02c", ls="--", lw=1)
    ax_cost.text(steps, best * 0.93, "minimum of J", color="#2ca02c", fontsize=8, ha="right", va="top")
    ax_cost.set_xlim(0, steps)
    ax_cost.set_ylim(0.5 * best, 50.0)
    # plain tick labels: a log axis' default 10^k labels go through mathtext, which is slow to draw
    ax_cost.set_yticks([0.1, 0.3, 1, 3, 10, 30])
    ax_cost.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax_cost.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax_cost.set_xlabel("update t")
    ax_cost.set_ylabel("cost J(w, b), log scale")
    epochs = run.evaluations[-1] / cost.m
    status = "diverged!" if run.diverged else f"{epochs:.3g} epochs"
    ax_cost.set_title(f"lr {alpha:g}, batch size {S}: {status}", fontsize=10)
    ax_cost.grid(alpha=0.3)

    # (1) the data, the ground truth and the fitted line
    xs = np.array([cost.x.min(), cost.x.max()])
    ax_fit.scatter(cost.x, cost.y, s=8, color="0.4", alpha=0.7, label="training set")
    ax_fit.plot(xs, EXAMPLE_TRUTH[0] * xs + EXAMPLE_TRUTH[1], "--", color=_TRUTH, lw=1.5, label="ground truth")
    if not run.diverged:
        w_end, b_end = run.final
        ax_fit.plot(xs, w_end * xs + b_end, color=_INIT, lw=1.8, label=f"fit: w = {w_end:.2f}, b = {b_end:.2f}")
    ax_fit.set_ylim(-3.0, 3.5)
    ax_fit.set_xlabel("x")
    ax_fit.set_ylabel("y")
    ax_fit.set_title("the data and the fitted line", fontsize=10)
    ax_fit.legend(loc="upper left", fontsize=7)
    return fig


@register
def line_example_explorer():
    """The interactive example of the lecture, :func:`line_example` as an interactive figure.

    In a kernel every combination is drawn on demand, and with ``%matplotlib widget`` the red dot (the
    initialisation) is dragged anywhere on the landscape.  The book draws 45 frames: every learning rate and
    batch size, for each training-set size from the first starting point, and for the small set from each of
    the three starting points (clicking another start with a larger set shows the small one).

    Examples::

        >>> view = line_example_explorer()
        >>> len(view.combinations())
        45
    """
    from nbcourse.data.synthetic import LINE_SIZES

    sizes = list(LINE_SIZES)
    lrs = list(EXAMPLE_LEARNING_RATES)
    subset = [dict(size=size, start=EXAMPLE_STARTS[0], lr=lr, batch_size=S)
              for size in sizes for lr in lrs for S in EXAMPLE_BATCH_SIZES]
    subset += [dict(size="small", start=start, lr=lr, batch_size=S)
               for start in EXAMPLE_STARTS[1:] for lr in lrs for S in EXAMPLE_BATCH_SIZES]
    return interactive(
        line_example,
        size=Options(sizes, labels={k: f"{k} (m = {m})" for k, m in LINE_SIZES.items()},
                     label="1. training set"),
        start=Points(EXAMPLE_STARTS, axes=0, label="2. initialisation"),
        lr=Options(lrs, labels={k: f"{k} ({v:g})" for k, v in EXAMPLE_LEARNING_RATES.items()},
                   label="3. learning rate"),
        batch_size=Options(EXAMPLE_BATCH_SIZES, labels={1: "1 (stochastic)", 24: "24 (mini-batch)", "m": "m (batch)"},
                           label="3. batch size"),
        subset=subset,
        title="Fit a line by gradient descent: the lecture's interactive example",
    )


def sgd_landscapes(t: int = 0, *, steps: int = 12, lr: float = 0.5, seed: int = 0) -> Any:
    r"""The landscape stochastic gradient descent sees changes at every step: step ``t`` of SGD, drawn twice.

    On the left, the landscape of the one sample :math:`i_t` that step ``t`` uses,
    :math:`L^{(i_t)}(w, b) = \frac12 (y^{(i_t)} - w x^{(i_t)} - b)^2`: a straight valley along the line of models
    that fit that sample exactly, and the step taken downhill on it.  On the right, the batch landscape
    :math:`J(w, b)` with the path so far: every step is downhill for its own sample, not always for :math:`J`.

    Args:
        t: the step to show, ``0 <= t < steps``. Default: 0
        steps: the length of the run. Default: 12
        lr: the learning rate. Default: 0.5
        seed: seeds the data (the interactive example's small set) and the order of the samples. Default: 0

    Returns:
        a matplotlib Figure with two axes.

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> fig = sgd_landscapes(3)
        >>> [ax.get_title(loc="left")[:9] for ax in fig.axes]
        ['step t = ', 'the batch']
        >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    from nbcourse.data.synthetic import make_line

    steps = _check_count(steps, "steps", "sgd_landscapes", minimum=1)
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or not 0 <= t < steps:
        raise ValueError(f"sgd_landscapes: argument 't' got {t!r}, expected a step 0 <= t < {steps}")
    t = int(t)
    x, y = make_line("small", w=EXAMPLE_TRUTH[0], b=EXAMPLE_TRUTH[1], seed=seed)
    cost = LineCost(x, y)
    order = np.random.default_rng(seed).permutation(cost.m)      # what minibatch_descent(batch_size=1) uses
    run = minibatch_descent(cost, EXAMPLE_STARTS[0], lr=lr, batch_size=1, steps=steps, seed=seed)
    i = int(order[t])
    before, after = run.params[t], run.params[t + 1]

    fig, (ax_i, ax_J) = plt.subplots(1, 2, figsize=(9.0, 4.0))
    for ax in (ax_i, ax_J):
        plot_line_cost(cost, ax=ax, index=[i] if ax is ax_i else None, resolution=61, levels=16)
        ax.plot(*EXAMPLE_TRUTH, "o", ms=7, color=_TRUTH, mec="k", zorder=5)
    (w0, w1), _ = EXAMPLE_DOMAIN
    ws = np.array([w0, w1])
    ax_i.plot(ws, cost.y[i] - ws * cost.x[i], "--", color="k", lw=1,
              label=f"models that fit sample {i} exactly")
    for ax in (ax_i, ax_J):
        ax.annotate("", xy=after, xytext=before,
                    arrowprops=dict(arrowstyle="-|>", color=_PATH, lw=1.8, shrinkA=0, shrinkB=0), zorder=6)
        ax.plot(*before, "o", ms=6, color=_INIT, mec="k", zorder=7)
    ax_J.plot(*run.params[: t + 2].T, "-", color=_PATH, lw=1.0, alpha=0.7, zorder=4)
    ax_i.legend(loc="lower left", fontsize=7, framealpha=0.85)
    J_before, J_after = run.loss[t], run.loss[t + 1]
    ax_i.set_title(f"step t = {t}: the landscape of sample {i} (x = {cost.x[i]:.2f}, y = {cost.y[i]:.2f})",
                   fontsize=9, loc="left")
    change = "down" if J_after < J_before else "UP"
    ax_J.set_title(f"the batch landscape J: this step took J {change}, {J_before:.3f} \u2192 {J_after:.3f}",
                   fontsize=9, loc="left")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.92, wspace=0.22)
    return fig


@register
def sgd_landscape_explorer():
    """:func:`sgd_landscapes` with a slider over the step (12 frames).

    Examples::

        >>> len(sgd_landscape_explorer().combinations())
        12
    """
    return interactive(sgd_landscapes, t=Range(0, 11, 1, label="SGD step t"),
                       title="Each step of SGD sees the landscape of one sample")
