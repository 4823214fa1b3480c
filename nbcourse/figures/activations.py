r"""Figures of the activation-function pages.

:func:`activation_figure` draws one activation and its derivative; :func:`activation_explorer` is the
*Activation functions at a glance* page's explorer: pick an activation of :mod:`nbcourse.activations` and its parameter where it has one, and see the function
and its derivative with the flat regions shaded, where little or no gradient flows back.

:func:`gradient_flow` measures the per-layer gradient norms of a freshly initialised deep network on the
digits; :func:`gradient_flow_figure` draws them, and :func:`gradient_flow_explorer` (page *Vanishing
gradients, saturated and dead units*) varies depth, activation, initialisation and skip connections.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["EXPLORER_PARAMETERS", "activation_explorer", "activation_figure", "flat_regions",
           "gradient_flow", "gradient_flow_explorer", "gradient_flow_figure", "swish_explorer", "swish_figure"]

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


# ------------------------------------------------------------------------- gradient flow explorer

_INITS = {"default": "PyTorch's default, U(±1/√n)", "xavier": "Glorot (xavier)", "kaiming": "He (kaiming)"}


@functools.lru_cache(maxsize=1)
def _digits():
    from nbcourse.data import load_digits

    (X, y), _ = load_digits(seed=0)  # loaded once per process: every frame of the explorer uses it
    return X, y


def gradient_flow(depth: int = 6, activation: str = "sigmoid", init: str = "xavier", residual: bool = False, *,
                  width: int = 32, samples: int = 256, seed: int = 0) -> dict[str, Any]:
    r"""Per-layer gradient norms of a freshly initialised deep network, one backward pass on the digits.

    Builds :class:`nbcourse.models.residual.ResidualMLP` (``depth`` hidden layers of ``width`` units,
    skips on or off), runs the cross-entropy loss of ``samples`` training digits forwards and
    backwards once, and returns, input to output, :math:`\lVert \partial L/\partial W^{[l]} \rVert_2`
    for every weight layer and the spread of each hidden layer's activations across the samples (std
    over samples, averaged over units).

    Args:
        depth: hidden layers (default 6).
        activation: a name of :mod:`nbcourse.activations` (default ``"sigmoid"``).
        init: ``"default"``, ``"xavier"`` or ``"kaiming"`` (default ``"xavier"``).
        residual: skip connections around each hidden layer (default False).
        width: units per hidden layer (default 32).
        samples: digits in the batch (default 256).
        seed: seed of the weights and of the batch (default 0).

    Returns:
        ``{"layers": [names], "grad_norm": [floats], "spread": [floats], "loss": float}``.

    Examples::

        >>> flow = gradient_flow(depth=3, activation="tanh")
        >>> flow["layers"][0], flow["layers"][-1]
        ('fc0', 'out')
    """
    import torch
    import torch.nn.functional as F

    from nbcourse.models.residual import ResidualMLP

    X, y = _digits()
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(X), generator=g)[:samples]
    X, y = X[idx], y[idx]
    model = ResidualMLP(X.shape[1], width=width, depth=depth, activation=activation, residual=residual,
                        init=init, seed=seed)
    spreads = []
    hooks = [m.register_forward_hook(lambda m, i, out: spreads.append(out.detach().std(dim=0).mean().item()))
             for name, m in model.layers.named_children() if name.startswith("act")]
    loss = F.cross_entropy(model(X), y)
    for h in hooks:
        h.remove()
    loss.backward()
    names = [n for n, m in model.layers.named_children() if hasattr(m, "weight") and m.weight.ndim == 2]
    norms = [getattr(model.layers, n).weight.grad.norm().item() for n in names]
    return {"layers": names, "grad_norm": norms, "spread": spreads, "loss": loss.item()}


def gradient_flow_figure(depth: int = 6, activation: str = "sigmoid", init: str = "xavier",
                         residual: bool = False):
    """Per-layer gradient norms (left) and the spread of activations across inputs (right) of a freshly
    initialised network, from :func:`gradient_flow`. Returns the Figure."""
    import matplotlib.pyplot as plt

    from nbcourse import style

    flow = gradient_flow(depth, activation, init, residual)
    colour = style.color(activation)
    fig, (ax_g, ax_s) = plt.subplots(1, 2, figsize=(9, 3.6))
    k = range(len(flow["layers"]))
    ax_g.plot(k, flow["grad_norm"], marker="o", color=colour)
    ax_g.set_yscale("log")
    ax_g.set_ylim(min(1e-6, min(flow["grad_norm"]) / 3), 1e1)  # the same top in every frame
    ax_g.set_xticks(list(k), [n.replace("fc", "") for n in flow["layers"]],
                    fontsize=8 if depth > 8 else 10)
    ax_g.set_xlabel("weight layer (0 = input embedding)")
    ax_g.set_ylabel(r"$\|\partial L/\partial W\|_2$ (log scale)")
    ratio = flow["grad_norm"][0] / flow["grad_norm"][-1]
    ax_g.set_title(f"gradient: first / output layer = {ratio:.1e}", fontsize=10)
    ax_s.plot(range(1, depth + 1), flow["spread"], marker="o", color=colour)
    ax_s.set_yscale("log")
    ax_s.set_ylim(min(1e-6, min(flow["spread"]) / 3), 1e1)
    ax_s.set_xlabel("hidden layer")
    ax_s.set_ylabel("std of activations across inputs (log)")
    ax_s.set_title("forward: how different the inputs still look", fontsize=10)
    for ax in (ax_g, ax_s):
        ax.grid(alpha=0.3)
    skips = "with skip connections" if residual else "no skips"
    fig.suptitle(f"{depth} {activation} layers, {_INITS[init]} init, {skips}, at initialisation", fontsize=11)
    fig.tight_layout()
    return fig


def _flow_subset() -> list[dict[str, Any]]:
    """The book's frames (12): each activation with its matched initialisation at depth 6, skips off and on;
    the sigmoid with PyTorch's default initialisation; depths 2 and 12 for the sigmoid."""
    matched = {"sigmoid": "xavier", "tanh": "xavier", "relu": "kaiming"}
    subset = [{"depth": 6, "activation": a, "init": matched[a], "residual": r}
              for a in ("sigmoid", "tanh", "relu") for r in (False, True)]
    subset += [{"depth": 6, "activation": "sigmoid", "init": "default", "residual": r} for r in (False, True)]
    subset += [{"depth": d, "activation": "sigmoid", "init": "xavier", "residual": r}
               for d in (2, 12) for r in (False, True)]
    return subset


@register
def gradient_flow_explorer() -> Interactive:
    """The saturation and vanishing-gradient explorer: depth, activation, initialisation, skips on or off
    -> per-layer gradient norms and the spread of activations, at initialisation.

    Examples::

        >>> view = gradient_flow_explorer()
        >>> view.start_values["activation"]
        'sigmoid'
    """
    return interactive(
        gradient_flow_figure,
        depth=Options([2, 6, 12], default=6, slider=True, label="hidden layers"),
        activation=Options(["sigmoid", "tanh", "relu"], label="activation"),
        init=Options(list(_INITS), label="initialisation", labels=_INITS),
        residual=Options([False, True], label="skip connections", labels={False: "off", True: "on"}),
        subset=_flow_subset(),
        title="Gradient flow explorer: where does the gradient vanish?",
        dpi=80,
    )


# --------------------------------------------------------------------------------- swish's beta

SWISH_BETAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0)


def swish_figure(beta: float = 1.0, *, z_min: float = -5.0, z_max: float = 5.0, num: int = 801):
    r"""Swish :math:`S(z) = z\,\sigma(\beta z)` and its derivative for one :math:`\beta`, against its two
    limits: the line :math:`z/2` (:math:`\beta = 0`) and ReLU (:math:`\beta \to \infty`). The title gives
    the largest distance to each limit on the plotted range. Returns the Figure."""
    import matplotlib.pyplot as plt

    from nbcourse import activations, style

    z = np.linspace(z_min, z_max, num)
    s, ds = activations.swish(z, beta=beta), activations.swish.grad(z, beta=beta)
    colour = style.color("swish")
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(9, 3.6))
    ax_f.plot(z, z / 2, color="0.6", ls=":", label="z/2 (β = 0)")
    ax_f.plot(z, activations.relu(z), color=style.color("relu"), ls="--", lw=1, label="ReLU (β → ∞)")
    ax_f.plot(z, s, color=colour, lw=2.2, label=f"swish, β = {beta:g}")
    ax_d.plot(z, np.full_like(z, 0.5), color="0.6", ls=":", label="1/2")
    ax_d.plot(z, activations.relu.grad(z), color=style.color("relu"), ls="--", lw=1, label="ReLU′")
    ax_d.plot(z, ds, color=colour, lw=2.2, label=f"swish′, β = {beta:g}")
    ax_f.set_ylim(-1.5, 5)
    ax_d.set_ylim(-0.3, 1.3)
    for ax, what in ((ax_f, "S(z)"), (ax_d, "S′(z)")):
        ax.axhline(0, color="0.8", lw=0.8)
        ax.set_xlabel("pre-activation z")
        ax.set_ylabel(what)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=8, loc="upper left")
    to_line = np.abs(s - z / 2).max()
    to_relu = np.abs(s - activations.relu(z)).max()
    fig.suptitle(f"swish with β = {beta:g}: max distance to z/2 = {to_line:.3f}, to ReLU = {to_relu:.3f} "
                 f"(on [{z_min:g}, {z_max:g}])", fontsize=11)
    fig.tight_layout()
    return fig


@register
def swish_explorer() -> Interactive:
    """Swish's :math:`\\beta` from 0 (a scaled line) to 50 (almost ReLU), function and derivative.

    Examples::

        >>> swish_explorer().start_values
        {'beta': 1.0}
    """
    return interactive(
        swish_figure,
        beta=Options(list(SWISH_BETAS), default=1.0, slider=True, label="\u03b2"),
        title="Swish: from a line (\u03b2 = 0) to ReLU (large \u03b2)",
        dpi=80,
    )
