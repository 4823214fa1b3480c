r"""Figures of the optimisation-landscape page: the lecture's surfaces as contour maps, descent on them, and
slices through a network's loss.

The surfaces are :mod:`nbcourse.landscape` (:data:`~nbcourse.landscape.SURFACES`) and the algorithm is
:func:`nbcourse.descent.descend`; this module only draws them.

- :func:`plot_surface`: a surface's contour map with its minima (stars) and saddle points (crosses);
- :func:`plot_descent` and :func:`descent_explorer`: the page's interactive figure, a descent path on a surface
  and its loss over the steps, for every surface, start, learning rate and optimizer (:data:`OPTIMIZERS`);
- :func:`plot_loss_surface_2d`: a slice through a real network's loss (:func:`nbcourse.landscape.loss_surface_2d`).

Examples::

    >>> import matplotlib.pyplot as plt
    >>> from nbcourse.figures.landscape import plot_descent
    >>> fig = plot_descent("ravine", start="A", lr="large", optimizer="batch GD")
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['w₁', 'step t']
    >>> plt.close(fig)
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

from nbcourse.descent import descend
from nbcourse.landscape import SURFACES, LossSurface2D, Surface
from nbcourse.widgets import Options, interactive, register

__all__ = ["OPTIMIZERS", "plot_surface", "plot_descent", "descent_explorer", "plot_loss_surface_2d"]


#: The optimizers of the interactive figure: label -> whether the gradient is noisy.
OPTIMIZERS: dict[str, bool] = {"batch GD": False, "SGD (noisy gradient)": True}

# one colour per optimizer, the same in every figure of the chapter
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
                 optimizer: str = "batch GD", *, seed: int = 0) -> Any:
    """The chapter's interactive figure: a descent path on a surface's contour map, and its loss over steps.

    Args:
        surface: a name in :data:`SURFACES`. Default: ``"convex"``
        start: a key of the surface's ``starts``, ``"A"`` or ``"B"``. Default: ``"A"``
        lr: ``"small"``, ``"medium"`` or ``"large"``: a key of the surface's ``learning_rates``.
            Default: ``"medium"``
        optimizer: a key of :data:`OPTIMIZERS`: ``"batch GD"`` (the exact gradient) or
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

    where = "plot_descent"
    s = _surface(surface, where)
    for name, value, allowed in (("start", start, s.starts), ("lr", lr, s.learning_rates), ("optimizer", optimizer, OPTIMIZERS)):
        if value not in allowed:
            raise ValueError(f"{where}: argument {name!r} got {value!r}, expected one of {list(allowed)}")
    noisy = OPTIMIZERS[optimizer]
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
    ax.set_title(f"{s.name}: {optimizer}, learning rate {alpha:g}", fontsize=10)

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


@register
def descent_explorer():
    """The interactive figure of the optimisation-landscape page: :func:`plot_descent` over every surface,
    start, learning rate and optimizer (72 frames in the book).

    Examples::

        >>> view = descent_explorer()
        >>> len(view.combinations())
        72
    """
    return interactive(
        plot_descent,
        surface=Options(list(SURFACES), label="surface"),
        start=Options(["A", "B"], label="start"),
        lr=Options(["small", "medium", "large"], label="learning rate"),
        optimizer=Options(list(OPTIMIZERS), label="optimizer"),
        title="Gradient descent on the lecture's landscapes",
    )


# ---------------------------------------------------------------------------------------------------------
# a slice through a network's loss
# ---------------------------------------------------------------------------------------------------------

def plot_loss_surface_2d(surface: LossSurface2D, *, ax: Any = None, levels: int | Sequence[float] = 20,
                         title: str | None = None, colorbar: str | None = "loss") -> Any:
    """Draw a slice of a network's loss (:func:`nbcourse.landscape.loss_surface_2d`) as a contour map, with
    the model's own parameters (the centre) marked.

    Args:
        surface: the :class:`~nbcourse.landscape.LossSurface2D` to draw.
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

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> import torch
        >>> from nbcourse.landscape import loss_surface_2d, random_directions
        >>> net = torch.nn.Linear(3, 2)
        >>> X, y = torch.randn(20, 3), torch.randint(0, 2, (20,))
        >>> s = loss_surface_2d(net, torch.nn.functional.cross_entropy, (X, y), random_directions(net, seed=0),
        ...                     resolution=5)
        >>> ax = plot_loss_surface_2d(s, title="a slice", colorbar="cross-entropy loss")
        >>> ax.get_xlabel()
        'step α along the first direction δ'
        >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    if not isinstance(surface, LossSurface2D):
        raise TypeError(f"plot_loss_surface_2d: argument 'surface' got {type(surface).__name__}, expected a "
                        "LossSurface2D from nbcourse.landscape.loss_surface_2d(...)")
    if colorbar is not None and not isinstance(colorbar, str):
        raise TypeError(f"plot_loss_surface_2d: colorbar must be a label (str) or None, got {type(colorbar).__name__} "
                        f"{colorbar!r}; pass e.g. colorbar=\"cross-entropy loss\"")

    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4))
    if isinstance(levels, numbers.Integral):
        low = max(float(np.nanmin(surface.loss)), 1e-12)
        high = max(float(np.nanmax(surface.loss)), low * (1 + 1e-9))
        lv = np.geomspace(low, high, int(levels) + 1)
    else:
        lv = np.asarray(levels, dtype=np.float64)
    # a log colour scale: the few huge losses far from the centre must not flatten the rest
    filled = ax.contourf(surface.alpha, surface.beta, surface.loss, levels=lv, cmap="viridis", alpha=0.85,
                         norm=LogNorm(vmin=lv[0], vmax=lv[-1]), extend="both")
    if colorbar is not None:
        bar = ax.figure.colorbar(filled, ax=ax, shrink=0.85, pad=0.03, aspect=25)
        bar.set_label(colorbar)
        # about six ticks, at contour levels, written as plain numbers (a log axis over a narrow range
        # would otherwise show no labelled tick at all)
        ticks = lv[:: max(1, math.ceil((len(lv) - 1) / 5))]
        bar.set_ticks(ticks, labels=[f"{t:.3g}" for t in ticks])
        bar.minorticks_off()
    ax.contour(surface.alpha, surface.beta, surface.loss, levels=lv, colors="0.25", linewidths=0.4)
    ax.plot(0, 0, "o", color="#d62728", mec="k", ms=6, label="the model's parameters")
    ax.set_xlabel("step α along the first direction δ")
    ax.set_ylabel("step β along the second direction η")
    ax.set_aspect("equal", adjustable="box")
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax
