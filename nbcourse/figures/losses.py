r"""Figures of the chapter *Tasks, losses and the output layer*.

Every figure is a plain function of keyword parameters that returns a matplotlib figure; the
interactive ones are declared with :func:`nbcourse.widgets.interactive` by a registered factory:

- :func:`temperature_figure` / :func:`softmax_temperature_explorer`: softmax of :math:`\alpha z`
  as the multiplier :math:`\alpha` grows (towards the argmax), and :math:`S(\alpha z)^\top z`
  (towards the max);
- :func:`saturation_figure`: loss and gradient with respect to the logit of MSE after a sigmoid
  and of binary cross-entropy, for a positive sample (the plateau);
- :func:`regression_losses_figure`: MSE, MAE, Huber and log-cosh and their gradients against the
  residual;
- :func:`nbcourse.tasks.robust_line_fit` (the computation, in the algorithm module) and :func:`outlier_fit_figure` /
  :func:`outlier_explorer`: a line fitted under each regression loss while one point is moved;
- :func:`curves_figure`: learning curves of several runs on one axes.

Every number comes from :mod:`nbcourse.losses` (values and their ``.grad``).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from nbcourse.tasks import _REGRESSION, _per_term, outlier_data, robust_line_fit  # noqa: F401
from nbcourse.widgets import Interactive, Options, Points, interactive, register

__all__ = [
    "LOSS_COLORS", "LOSS_LABELS", "TEMPERATURE_LOGITS", "OUTLIER_POSITIONS", "HUBER_DELTAS",
    "temperature_figure", "softmax_temperature_explorer", "saturation_figure", "regression_losses_figure",
    "outlier_fit_figure", "outlier_explorer", "curves_figure",
]

#: One colour per loss, the same in every figure of the chapter (Okabe-Ito).
LOSS_COLORS: dict[str, str] = {
    "mse": "#0072B2", "mae": "#D55E00", "huber": "#009E73", "log_cosh": "#CC79A7",
    "bce": "#E69F00", "cross_entropy": "#E69F00",
}
LOSS_LABELS: dict[str, str] = {"mse": "MSE", "mae": "MAE", "huber": "Huber", "log_cosh": "log-cosh",
                               "bce": "binary cross-entropy", "cross_entropy": "cross-entropy"}

#: The logits the temperature figure starts from: a clear winner, a close runner-up, two others.
TEMPERATURE_LOGITS: tuple[float, ...] = (1.0, 2.5, 2.0, -0.5)

_ALPHAS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def temperature_figure(alpha: float = 1.0, *, z: Sequence[float] = TEMPERATURE_LOGITS):
    r"""Softmax of :math:`\alpha z` next to the argmax, and the soft max :math:`S(\alpha z)^\top z`.

    Left: the probabilities :math:`S(\alpha z)_i` (bars) and the one-hot argmax (outlined). Right:
    :math:`S(\alpha z)^\top z` against :math:`\alpha`, approaching :math:`\max_i z_i` as
    :math:`\alpha` grows and the mean of :math:`z` at :math:`\alpha = 0`. (The lecture's multiplier
    :math:`\alpha` is an inverse temperature: :math:`T = 1/\alpha`.)

    Args:
        alpha: the multiplier :math:`\alpha \ge 0`. Default: ``1.0``.
        z: the logits. Default: :data:`TEMPERATURE_LOGITS`.
    """
    from nbcourse.losses import softmax

    z = np.asarray(z, dtype=np.float64)
    if alpha < 0:
        raise ValueError(f"temperature_figure: argument 'alpha' got {alpha!r}, expected a number >= 0")
    p = softmax(alpha * z)
    argmax = np.zeros_like(z)
    argmax[z.argmax()] = 1.0
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained",
                                  gridspec_kw={"width_ratios": [1.1, 1]})
    idx = np.arange(len(z))
    ax.bar(idx, p, color="#0072B2", width=0.6, label=r"$S(\alpha z)_i$")
    ax.bar(idx, argmax, fill=False, edgecolor="#D55E00", lw=1.8, width=0.8, label="argmax (one-hot)")
    for i, v in enumerate(p):
        ax.text(i, v + 0.03, f"{v:.2f}", ha="center", fontsize=9)
    ax.set_xticks(idx, [f"$z_{i + 1}$ = {v:g}" for i, v in enumerate(z)])
    ax.set_ylim(0, 1.15)
    ax.set_xlabel("class (its logit)")
    ax.set_ylabel("probability")
    ax.set_title(rf"softmax of $\alpha z$, $\alpha$ = {alpha:g}")
    ax.legend(loc="upper left", fontsize=8)
    alphas = np.linspace(0, 16, 161)
    soft_max = softmax(alphas[:, None] * z[None, :]) @ z  # one row per alpha
    ax2.plot(alphas, soft_max, color="#0072B2", lw=2, label=r"$S(\alpha z)^\top z$")
    ax2.axhline(z.max(), color="#D55E00", ls="--", lw=1.2, label=r"$\max_i z_i$")
    ax2.axhline(z.mean(), color="0.5", ls=":", lw=1.2, label="mean of z")
    ax2.plot([alpha], [p @ z], "o", color="#0072B2", ms=8)
    ax2.set_xlabel(r"multiplier $\alpha$ (inverse temperature)")
    ax2.set_ylabel(r"$S(\alpha z)^\top z$")
    ax2.set_title(rf"a soft max: {p @ z:.3f} (max is {z.max():g})")
    ax2.legend(loc="lower right", fontsize=8)
    ax2.grid(alpha=0.3)
    fig.suptitle(r"Larger $\alpha$ sharpens the softmax towards the argmax")
    return fig


@register
def softmax_temperature_explorer() -> Interactive:
    r"""Move the multiplier :math:`\alpha` and watch the softmax become the argmax (8 frames)."""
    return interactive(
        temperature_figure,
        alpha=Options(list(_ALPHAS), default=1.0, slider=True, label="multiplier \u03b1"),
        title="Softmax of \u03b1z: from uniform (\u03b1 = 0) to the argmax (large \u03b1)",
        dpi=80,
    )


def saturation_figure(*, z_range: tuple[float, float] = (-10.0, 10.0)):
    r"""Loss and its derivative with respect to the logit :math:`z`, for a positive sample (:math:`y = 1`).

    MSE after a sigmoid, :math:`(\sigma(z) - 1)^2`, has derivative
    :math:`2(\sigma(z) - 1)\,\sigma(z)(1 - \sigma(z))`, which vanishes as :math:`z \to -\infty`:
    the confidently wrong sample receives almost no gradient. Binary cross-entropy on the logit
    has derivative :math:`\sigma(z) - 1`, which tends to :math:`-1` there.
    """
    from nbcourse.activations import sigmoid
    from nbcourse.losses import bce_with_logits, mse

    z = torch.linspace(*z_range, 401, dtype=torch.float64)
    y = torch.ones_like(z)
    s = torch.sigmoid(z)
    mse_val = mse(s, y, reduction="none")
    mse_grad = mse.grad(s, y, reduction="none") * sigmoid.grad(z)  # chain rule through the sigmoid
    bce_val = bce_with_logits(z, y, reduction="none")
    bce_grad = bce_with_logits.grad(z, y, reduction="none")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    ax.plot(z, mse_val, color=LOSS_COLORS["mse"], lw=2, label=r"MSE after sigmoid $(\sigma(z)-1)^2$")
    ax.plot(z, bce_val, color=LOSS_COLORS["bce"], lw=2, label=r"BCE $-\log\sigma(z)$")
    ax.set_xlabel("logit z of a positive sample (y = 1)")
    ax.set_ylabel("loss")
    ax.set_ylim(0, 5)
    ax.set_title("loss")
    ax.legend(fontsize=8)
    ax2.plot(z, mse_grad, color=LOSS_COLORS["mse"], lw=2, label=r"$2(\sigma(z)-1)\,\sigma'(z)$")
    ax2.plot(z, bce_grad, color=LOSS_COLORS["bce"], lw=2, label=r"$\sigma(z) - 1$")
    ax2.axvspan(z_range[0], -4, color="0.9", zorder=0)
    ax2.text(-7, -0.5, "confidently\nwrong", ha="center", fontsize=9)
    ax2.set_xlabel("logit z of a positive sample (y = 1)")
    ax2.set_ylabel("dL/dz")
    ax2.set_title("gradient reaching the logit")
    ax2.legend(fontsize=8, loc="lower right")
    for a in (ax, ax2):
        a.grid(alpha=0.3)
    fig.suptitle("A confidently wrong sample: MSE after a sigmoid gives no gradient, cross-entropy the most")
    return fig


def regression_losses_figure(delta: float = 1.0, *, r_max: float = 3.0):
    r"""MSE, MAE, Huber (with ``delta``) and log-cosh against the residual :math:`r = \hat y - y`, and their gradients.

    The gradients are the packages' analytic ``.grad``: :math:`2r`, :math:`\operatorname{sign}(r)`,
    :math:`r` clipped to :math:`\pm\delta`, and :math:`\tanh(r)`.
    """
    r = torch.linspace(-r_max, r_max, 601, dtype=torch.float64)
    y = torch.zeros_like(r)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    for name in _REGRESSION:
        label = LOSS_LABELS[name] + (f" (\u03b4 = {delta:g})" if name == "huber" else "")
        c = LOSS_COLORS[name]
        ax.plot(r, _per_term(name, r, y, delta), color=c, lw=2, label=label)
        ax2.plot(r, _per_term(name, r, y, delta, grad=True), color=c, lw=2, label=label)
    ax.set_ylim(0, 4)
    ax2.set_ylim(-3, 3)
    ax.set_ylabel("loss of one sample")
    ax2.set_ylabel("dL/d\u0177")
    ax.set_title("loss")
    ax2.set_title("gradient: how hard a residual pulls")
    for a in (ax, ax2):
        a.set_xlabel("residual \u0177 - y")
        a.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center")
    fig.suptitle("Regression losses: MSE's pull grows with the residual, the others' is bounded")
    return fig


#: Where the book lets the reader put the outlier (click a ring); in a kernel it can be dragged anywhere.
OUTLIER_POSITIONS: tuple[tuple[float, float], ...] = (
    (2.0, 12.0), (9.0, 12.0), (9.0, 0.0), (5.0, 3.5), (2.0, -3.0),
)
#: The Huber deltas the book offers.
HUBER_DELTAS: tuple[float, ...] = (0.3, 1.0, 10.0)


def outlier_fit_figure(outlier: tuple[float, float] = (9.0, 12.0), delta: float = 1.0):
    r"""Fifteen points near a line and one outlier at ``outlier``; the line each regression loss fits.

    Args:
        outlier: ``(x, y)`` of the movable point. Default: ``(9, 12)``.
        delta: Huber's :math:`\delta`. Default: ``1.0``.
    """
    x, y = outlier_data()
    ox, oy = float(outlier[0]), float(outlier[1])
    xs, ys = np.append(x, ox), np.append(y, oy)
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    grid = np.array([-1.0, 11.0])
    ax.plot(grid, 0.5 * grid + 1.0, color="0.6", lw=1, ls=":", label="true line: y = 0.5x + 1")
    for name in _REGRESSION:
        w, b = robust_line_fit(xs, ys, name, delta=delta)
        label = LOSS_LABELS[name] + (f" \u03b4={delta:g}" if name == "huber" else "")
        ax.plot(grid, w * grid + b, color=LOSS_COLORS[name], lw=2, label=f"{label}: slope {w:.2f}")
    ax.plot(x, y, "o", color="0.25", ms=5, label="data")
    ax.plot([ox], [oy], "o", color="#D55E00", ms=11, mec="k", label="outlier (move me)")
    ax.set_xlim(-1, 11)
    ax.set_ylim(-5, 14)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    ax.set_title("One outlier pulls the MSE line; MAE, Huber and log-cosh hold on")
    return fig


@register
def outlier_explorer() -> Interactive:
    """Move the outlier (click a ring in the book, drag it in a kernel) and choose Huber's delta (15 frames)."""
    return interactive(
        outlier_fit_figure,
        outlier=Points(list(OUTLIER_POSITIONS), default=(9.0, 12.0), label="outlier"),
        delta=Options(list(HUBER_DELTAS), default=1.0, label="Huber \u03b4"),
        title="Move the outlier: which loss's line follows it?",
        dpi=72,
    )


def curves_figure(curves: Mapping[str, Sequence[float]], *, title: str, ylabel: str, xlabel: str = "epoch",
                  colors: Mapping[str, str] | None = None, logy: bool = False):
    """Several runs' curves (name -> values per epoch) on one axes; a run that stopped early ends early."""
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    for i, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=np.float64)
        c = (colors or {}).get(name, f"C{i}")
        if len(values) == 0:
            ax.plot([], [], color=c, lw=2, ls=":", label=f"{name}: stopped in the first epoch")
            continue
        ax.plot(np.arange(1, len(values) + 1), values, "o-", ms=3, color=c, lw=2, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig
