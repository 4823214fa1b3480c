r"""Figures of the activation-function pages.

:func:`activation_figure` draws one activation and its derivative; :func:`activation_explorer` is the
*Activation functions at a glance* page's explorer: pick an activation of :mod:`nbcourse.activations` and its parameter where it has one, and see the function
and its derivative with the flat regions shaded, where little or no gradient flows back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["EXPLORER_PARAMETERS", "activation_explorer", "activation_figure", "flat_regions"]

#: The activations with a parameter: name -> (parameter, values the explorer offers). The first value
#: is the default the explorer shows (the activation's own default; PReLU's usual initial slope).
EXPLORER_PARAMETERS: dict[str, tuple[str, tuple[float, ...]]] = {
    "linear": ("alpha", (1.0, 0.5, 2.0)),
    "leaky_relu": ("alpha", (0.01, 0.05, 0.1, 0.2, 0.3)),
    "prelu": ("alpha", (0.25, 0.05, 0.1, 0.5)),
    "elu": ("alpha", (1.0, 0.5, 1.5, 2.0)),
    "swish": ("beta", (1.0, 0.0, 0.5, 2.0, 5.0, 10.0)),
}

# one line per activation: what the figure shows (the numbers are computed and drawn on the figure)
_LESSONS = {
    "linear": "never flat, but a stack of linear layers is still one linear map",
    "threshold": "derivative 0 everywhere (a spike at 0): no gradient to learn from",
    "sigmoid": "saturates at both ends; the derivative is at most 0.25",
    "tanh": "zero-centred, but saturates at both ends like the sigmoid",
    "relu": "no saturation for z > 0; zero gradient for z < 0 (dead units)",
    "softplus": "a smooth ReLU whose derivative is the sigmoid",
    "leaky_relu": "a small slope for z < 0 keeps the gradient alive",
    "prelu": "leaky ReLU whose slope is learnt",
    "elu": "smooth; saturates to -\u03b1 for very negative z",
    "selu": "scaled ELU (self-normalising): slope 1.0507 for z > 0",
    "swish": "\u03b2 = 0 gives the line z/2; large \u03b2: close to ReLU",
    "mish": "smooth, non-monotonic, unbounded above",
}


def flat_regions(z: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """The intervals of ``z`` (sorted) where ``mask`` holds, as ``(start, stop)`` pairs.

    Examples::

        >>> flat_regions(np.array([0.0, 1, 2, 3]), np.array([True, True, False, True]))
        [(0.0, 1.0), (3.0, 3.0)]
    """
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if start is not None and (not m or i == len(mask) - 1):
            stop = i if m else i - 1
            out.append((float(z[start]), float(z[stop])))
            start = None
    return out


def activation_figure(name: str = "sigmoid", alpha: float | None = None, beta: float | None = None, *,
                      z_min: float = -5.0, z_max: float = 5.0, flat: float = 0.05, num: int = 801):
    r"""The activation ``name`` and its derivative side by side, flat regions shaded.

    Both panels come from :mod:`nbcourse.activations` (``NAME(z, **params)`` and
    ``NAME.grad(z, **params)``), drawn in the activation's colour from :mod:`nbcourse.style`. Shaded
    dark where :math:`f'(z) = 0` (no gradient at all: a dead ReLU) and light where
    :math:`0 < |f'(z)| <` ``flat`` (saturated: the gradient is too small to learn from).

    Args:
        name: a key of :data:`nbcourse.activations.ACTIVATIONS`. Default: ``"sigmoid"``.
        alpha: the slope or scale of ``linear``, ``leaky_relu``, ``prelu`` and ``elu``; None takes the
            activation's default (0.25 for ``prelu``). Other activations take no ``alpha``.
        beta: swish's :math:`\beta`; None takes its default 1. Other activations take no ``beta``.
        z_min: left end of the plotted range. Default: -5.
        z_max: right end of the plotted range. Default: 5.
        flat: the derivative magnitude below which a region counts as saturated. Default: 0.05.
        num: number of points on the plotted range. Default: 801.

    Returns:
        A :class:`matplotlib.figure.Figure` with two axes (function, derivative).

    Raises:
        ValueError: for an unknown activation or a parameter the activation does not take.

    Examples::

        >>> import matplotlib; matplotlib.use("Agg")
        >>> fig = activation_figure("elu", alpha=1.5)
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['pre-activation z', 'pre-activation z']
    """
    import matplotlib.pyplot as plt

    from nbcourse import activations, style

    if name not in activations.ACTIVATIONS:
        raise ValueError(f"activation_figure: argument 'name' got {name!r}, expected one of "
                         f"{list(activations.ACTIVATIONS)}")
    params = _parameters(name, alpha=alpha, beta=beta)
    act = activations.ACTIVATIONS[name]
    z = np.linspace(z_min, z_max, num)
    f = np.asarray(act(z, **params), dtype=float)
    df = np.asarray(act.grad(z, **params), dtype=float)
    color = style.color(name)

    fig, (ax_f, ax_df) = plt.subplots(1, 2, figsize=(9.0, 3.5))
    # fixed margins rather than a layout engine: every frame has the same layout, drawn twice as fast
    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.14, top=0.83, wspace=0.22)
    zero = np.isfinite(df) & (np.abs(df) == 0.0)
    small = np.isfinite(df) & (np.abs(df) > 0.0) & (np.abs(df) < flat)
    step = (z_max - z_min) / (num - 1)
    for ax in (ax_f, ax_df):
        for mask, shade in ((zero, 0.28), (small, 0.12)):
            for a, b in flat_regions(z, mask):
                ax.axvspan(a - step / 2, b + step / 2, color="0.2", alpha=shade, linewidth=0)
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.axvline(0.0, color="0.6", linewidth=0.8)
        ax.set_xlim(z_min, z_max)
        ax.set_xlabel("pre-activation z")
        ax.grid(alpha=0.25)

    call = name + "(z" + "".join(f", {k}={v:g}" for k, v in params.items()) + ")"
    ax_f.plot(z, f, color=color, linewidth=2.2)
    ax_f.set_ylim(-2.2, 3.2)
    ax_f.set_ylabel("activation f(z)")
    ax_f.set_title(call, fontsize=10, family="monospace")

    finite = np.isfinite(df)
    (curve,) = ax_df.plot(z[finite], df[finite], color=color, linewidth=2.2)
    ax_df.set_ylim(-0.3, 2.2)
    ax_df.set_ylabel("derivative f\u2032(z)")
    ax_df.set_title(f"{name}.grad{call[len(name):]}", fontsize=10, family="monospace")
    if not finite.all():  # the threshold's derivative is infinite at 0: say so with an arrow
        z_inf = float(z[~finite][0])
        ax_df.annotate("", xy=(z_inf, 2.15), xytext=(z_inf, 0.0),
                       arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 2.2})
        ax_df.text(z_inf + 0.15, 1.9, "\u221e at z = 0", color=color, fontsize=9)
    # the legend of the shading goes where every activation is low: the function panel's upper left
    shading = [(plt.Rectangle((0, 0), 1, 1, color="0.2", alpha=0.28, linewidth=0),
                f"no gradient, f\u2032 = 0: {zero.mean():.0%} of z", zero.any()),
               (plt.Rectangle((0, 0), 1, 1, color="0.2", alpha=0.12, linewidth=0),
                f"flat, 0 < |f\u2032| < {flat:g}: {small.mean():.0%} of z", small.any())]
    shown = [(handle, text) for handle, text, present in shading if present]
    if shown:
        ax_f.legend(*zip(*shown), loc="upper left", fontsize=8, framealpha=0.9)
    peak = float(np.max(np.abs(df[finite])))
    ax_df.legend([curve], [f"max |f\u2032(z)| = {peak:.3g}"], loc="best", fontsize=8, framealpha=0.9)

    label = act.label or name
    if params:
        label += " (" + ", ".join(f"{_greek(k)} = {v:g}" for k, v in params.items()) + ")"
    lesson = _LESSONS.get(name, "")
    if name in ("leaky_relu", "prelu") and 0 < abs(params["alpha"]) < flat:
        lesson = "the slope for z < 0 is small (shaded) but never zero: the unit can recover"
    if name == "swish":
        beta = params["beta"]
        lesson = ("\u03b2 = 0 gives the straight line z/2" if beta == 0 else
                  "large \u03b2: close to ReLU" if beta >= 5 else "a smooth ReLU that dips below 0 for z < 0")
    fig.suptitle(f"{label}: {lesson}", fontsize=11)
    return fig


def _greek(param: str) -> str:
    return {"alpha": "\u03b1", "beta": "\u03b2"}.get(param, param)


def _parameters(name: str, *, alpha: float | None, beta: float | None) -> dict[str, float]:
    """The keyword arguments ``nbcourse.activations.NAME`` takes, with the explorer's defaults."""
    own, values = EXPLORER_PARAMETERS.get(name, (None, ()))
    given = {k: v for k, v in (("alpha", alpha), ("beta", beta)) if v is not None}
    extra = [k for k in given if k != own]
    if extra:
        takes = f"only {own}" if own else "no parameter"
        raise ValueError(f"activation_figure: {name} takes {takes}, but got {extra[0]}={given[extra[0]]!r}; "
                         f"leave {extra[0]}=None")
    if own is None:
        return {}
    return {own: float(given.get(own, values[0]))}


def _explorer_subset() -> list[dict[str, Any]]:
    from nbcourse import activations

    subset = []
    for name in activations.ACTIVATIONS:
        own, values = EXPLORER_PARAMETERS.get(name, (None, (None,)))
        for v in values:
            subset.append({"name": name, "alpha": v if own == "alpha" else None,
                           "beta": v if own == "beta" else None})
    return subset


@register
def activation_explorer() -> Interactive:
    """The activation explorer: every activation of :mod:`nbcourse.activations`, its parameter where it
    has one (linear and leaky/PReLU slopes, ELU's alpha, swish's beta), function and derivative.

    Examples::

        >>> view = activation_explorer()
        >>> view.start_values
        {'name': 'sigmoid', 'alpha': None, 'beta': None}
    """
    from nbcourse import activations

    alphas = sorted({v for n, (p, vs) in EXPLORER_PARAMETERS.items() if p == "alpha" for v in vs})
    betas = sorted({v for n, (p, vs) in EXPLORER_PARAMETERS.items() if p == "beta" for v in vs})
    return interactive(
        activation_figure,
        name=Options(list(activations.ACTIVATIONS), label="activation",
                     labels={n: a.label or n for n, a in activations.ACTIVATIONS.items()}),
        alpha=Options([None, *alphas], slider=True, label="\u03b1 (slope, scale)"),
        beta=Options([None, *betas], slider=True, label="\u03b2 (swish)"),
        subset=_explorer_subset(),
        title="Activation explorer: pick an activation and its parameter",
        dpi=100,  # 900 pixels wide: sharp in the book's column; 29 frames weigh about 0.5 MB
    )
