r"""Figures of the page *The perceptron: a single neuron*.

- :func:`training_figure`: the perceptron's line after chosen updates, the point that caused each update
  circled;
- :func:`errors_figure`: mistakes per epoch (the ``errors_`` of :class:`~nbcourse.models.Perceptron`) of
  several runs;
- :func:`bound_figure`: measured updates against Novikoff's bound :math:`(R/\gamma)^2`, over margins;
- :func:`lines_figure`: several lines ``w \cdot x + b = 0`` over the same data, each with its margin
  (perceptron runs against logistic regression and the widest-margin line);
- :func:`perceptron_explorer`: the training of the perceptron update by update, on separable data or XOR.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping, Sequence

import numpy as np

from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["CLASS_COLORS", "draw_points", "draw_line", "margin", "training_figure", "errors_figure",
           "bound_figure", "lines_figure", "perceptron_explorer", "explorer_run", "explorer_figure"]

#: class 0 (or -1), class 1: the same two colours on every page of the architectures chapter.
CLASS_COLORS: tuple[str, str] = ("#0072B2", "#D55E00")
_LINE_COLORS = ("#000000", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#9467BD", "#8C564B")


def _np(a: Any) -> np.ndarray:
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def margin(X: Any, y: Any, w: Any, b: float) -> float:
    r"""The geometric margin of the line :math:`w \cdot x + b = 0` on ``(X, y)``: the smallest signed distance
    :math:`\min_i y_i (w \cdot x_i + b) / \lVert w \rVert`, labels 0/1 read as -1/+1 (negative: a point is on
    the wrong side).

    Examples::

        >>> margin([[1.0, 0.0], [-2.0, 0.0]], [1, 0], [1.0, 0.0], 0.0)
        1.0
    """
    X, y, w = _np(X).astype(float), _np(y), _np(w).astype(float).reshape(-1)
    s = np.where(y == y.max(), 1.0, -1.0) if set(np.unique(y).tolist()) <= {0, 1} else y.astype(float)
    return float((s * (X @ w + b)).min() / np.linalg.norm(w))


def draw_points(ax, X: Any, y: Any, *, size: float = 18):
    """Scatter ``X`` (``(N, 2)``) coloured by class (0/-1 blue, 1 vermillion); returns ``ax``."""
    X, y = _np(X), _np(y)
    for c, colour in zip((y.min(), y.max()) if len(np.unique(y)) > 1 else (None, y.max()), CLASS_COLORS):
        if c is None:
            continue
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=size, color=colour, label=f"class {int(c)}", edgecolors="none", zorder=3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    return ax


def draw_line(ax, w: Any, b: float, *, lim: tuple[float, float], arrow: bool = False, **kw):
    r"""Draw the line :math:`w_1 x_1 + w_2 x_2 + b = 0` across ``ax`` within ``lim`` (the same for both axes);
    with ``arrow``, the normal :math:`w` from the line's point nearest the origin (pointing to class 1)."""
    w = _np(w).astype(float).reshape(-1)
    if not np.linalg.norm(w) > 0:
        return ax
    lo, hi = lim
    t = np.linspace(lo, hi, 2) * 3
    foot = -b * w / (w @ w)                       # the line's point nearest the origin
    direction = np.array([-w[1], w[0]]) / np.linalg.norm(w)
    ax.plot(foot[0] + t * direction[0], foot[1] + t * direction[1], **kw)
    if arrow:
        n = 0.35 * (hi - lo) / 3 * w / np.linalg.norm(w)
        ax.annotate("", xy=foot + n, xytext=foot, arrowprops={"arrowstyle": "->", "color": kw.get("color", "k")})
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    return ax


def _lim(X: np.ndarray) -> tuple[float, float]:
    m = float(np.abs(X).max()) * 1.15
    return (-m, m)


def training_figure(X: Any, y: Any, path: Sequence[tuple[np.ndarray, float]], culprits: Sequence[int] | None = None,
                    *, steps: Sequence[int] = (1, 2, 3), title: str | None = None):
    """The line after each update in ``steps`` (indices into ``path``, a :class:`~nbcourse.models.Perceptron`
    fitted with ``record=True``), one panel each; ``culprits[k]`` (optional) is the sample that caused update
    ``k + 1``, circled. Returns the Figure."""
    import matplotlib.pyplot as plt

    X, y = _np(X).astype(float), _np(y)
    lim = _lim(X)
    cols = 2 if len(steps) == 4 else len(steps)           # four panels as a 2 x 2 grid, readable in a column
    rows = -(-len(steps) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.5 * rows), squeeze=False)
    for ax, k in zip(axes.flat, steps):
        w, b = path[k]
        draw_points(ax, X, y, size=14)
        draw_line(ax, w, b, lim=lim, arrow=True, color="k", lw=1.5)
        if culprits is not None and 0 < k <= len(culprits):
            i = culprits[k - 1]
            ax.scatter([X[i, 0]], [X[i, 1]], s=140, facecolors="none", edgecolors="k", lw=1.5, zorder=4)
        wrong = int(np.sum(np.where(X @ np.asarray(w) + b > 0, 1, 0) != (y == y.max())))
        ax.set_title(f"after update {k}: {wrong} on the wrong side" if k else "start: w = 0", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def errors_figure(runs: Mapping[str, Sequence[int]], *, title: str = "Mistakes per epoch"):
    """Mistakes per epoch of each run (``{label: perceptron.errors_}``), drawn as steps. Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    for (label, errors), colour in zip(runs.items(), _LINE_COLORS[1:] + _LINE_COLORS[:1]):
        epochs = np.arange(1, len(errors) + 1)
        ax.step(epochs, errors, where="mid", marker="o", ms=3, color=colour, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mistakes (= updates) in the epoch")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def bound_figure(margins: Sequence[float], measured: Sequence[Sequence[int]], bounds: Sequence[float]):
    """Measured updates (one dot per run, the mean as a line) against Novikoff's bound, for each margin.

    Args:
        margins: the margin each data set was drawn with (the x axis). measured: the updates of several runs
            (seeds) per data set. bounds: :math:`(R/\\gamma)^2` per data set, :math:`\\gamma` counting the bias
            as an input (:func:`~nbcourse.models.perceptron.mistake_bound`).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for g, runs in zip(margins, measured):
        ax.scatter([g] * len(runs), runs, s=14, color=CLASS_COLORS[0], alpha=0.6, edgecolors="none")
    ax.plot(margins, [np.mean(r) for r in measured], color=CLASS_COLORS[0], marker="o", label="measured updates (mean)")
    ax.plot(margins, bounds, color="k", ls="--", marker="s",
            label=r"Novikoff's bound $(R/\gamma)^2$ (widest margin)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(list(margins), [f"{g:g}" for g in margins])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("the data set's margin (smallest distance of a point to the line it was drawn from)")
    ax.set_ylabel("updates until no mistake")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title("Novikoff's bound holds in every run, far above the updates measured", fontsize=10)
    fig.tight_layout()
    return fig


def lines_figure(X: Any, y: Any, lines: Mapping[str, tuple[Any, float]], *, title: str | None = None,
                 dashed: Sequence[str] = ()):
    """The data and several lines ``{label: (w, b)}``, each labelled with its margin on the data; the lines named
    in ``dashed`` are drawn dashed and on top (lines that nearly coincide stay visible). Returns the Figure."""
    import matplotlib.pyplot as plt

    X, y = _np(X).astype(float), _np(y)
    lim = _lim(X)
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    draw_points(ax, X, y, size=14)
    for (label, (w, b)), colour in zip(lines.items(), _LINE_COLORS):
        m = margin(X, y, w, b)
        style = {"ls": "--", "lw": 2.0, "zorder": 2.5} if label in dashed else {"lw": 1.5}
        draw_line(ax, w, b, lim=lim, color=colour, label=f"{label}: margin {m:.3f}", **style)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), framealpha=0.9)
    ax.set_title(title or "Every line separates the data; their margins differ", fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------- explorer

_EXPLORER_STEPS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 19, 24, 32)


@functools.lru_cache(maxsize=None)
def explorer_run(data: str = "separable") -> dict[str, Any]:
    """The explorer's run: the perceptron (in the data's order, no shuffling) on 20 separable points
    (``"separable"``, margin 0.1: 19 updates) or 20 noisy XOR points (``"xor"``); the line after every update, and which sample caused it."""
    from nbcourse.data import make_separable, make_xor
    from nbcourse.models import Perceptron

    X, y = make_separable(20, margin=0.1, w=(1.0, -0.6), b=0.8, seed=1) if data == "separable" else \
        make_xor(20, noise=0.15, seed=0)
    if data == "xor":
        X = X - 0.5                                  # centre the corners on the origin
    p = Perceptron(record=True).fit(X, y, epochs=30, shuffle=False)
    Xn, yn = X.numpy().astype(float), y.numpy()
    s = np.where(yn == 1, 1.0, -1.0)
    culprits, k = [], 0
    w, b = np.zeros(2), 0.0
    for _ in range(len(p.errors_)):                  # replay the epochs to know which sample each update used
        for i in range(len(Xn)):
            if s[i] * (Xn[i] @ w + b) <= 0:
                k += 1
                w, b = p.path_[k]
                culprits.append(i)
    return {"X": Xn, "y": yn, "path": p.path_, "culprits": culprits, "errors": p.errors_}


def explorer_figure(data: str = "separable", update: int = 1):
    """The explorer's frame: the line after ``update`` updates (or the last one), the sample that caused the
    update circled, the mistakes so far. Returns the Figure."""
    import matplotlib.pyplot as plt

    run = explorer_run(data)
    X, y, path, culprits = run["X"], run["y"], run["path"], run["culprits"]
    k = min(update, len(path) - 1)
    w, b = path[k]
    lim = _lim(X)
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    draw_points(ax, X, y)
    draw_line(ax, w, b, lim=lim, arrow=True, color="k", lw=1.5)
    if k:
        i = culprits[k - 1]
        ax.scatter([X[i, 0]], [X[i, 1]], s=160, facecolors="none", edgecolors="k", lw=1.5, zorder=4,
                   label="the point of this update")
        ax.legend(fontsize=8, loc="lower right")
    wrong = int(np.sum(np.where(X @ w + b > 0, 1, 0) != y))
    done = "" if k < len(path) - 1 or data == "xor" else " (converged)"
    ax.set_title(f"{'separable data' if data == 'separable' else 'XOR'}, {k} updates{done}:\n"
                 f"{wrong} of {len(y)} points on the wrong side", fontsize=9)
    fig.tight_layout()
    return fig


@register
def perceptron_explorer() -> Interactive:
    """The perceptron learning, update by update, on separable data (it stops) and on XOR (it never does).

    Examples::

        >>> perceptron_explorer().start_values
        {'data': 'separable', 'update': 1}
    """
    return interactive(
        explorer_figure,
        data=Options(["separable", "xor"], label="data"),
        update=Options(list(_EXPLORER_STEPS), default=1, slider=True, label="updates made"),
        title="The perceptron rule, one mistake at a time",
        dpi=80,
    )
