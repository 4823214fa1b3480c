r"""Figures of the metric-learning pages (siamese and triplet networks): distances of similar and
dissimilar pairs, the margin explorer, 2-D embeddings coloured by digit, mining compared.

The numbers come from :mod:`nbcourse.metric`; matplotlib is imported inside each function.
"""

from __future__ import annotations

import functools
from typing import Mapping, Sequence

import numpy as np

from nbcourse.metric import MARGINS, margin_study, pair_distance_report
from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["distance_histogram", "distance_histograms_figure", "margin_figure", "margin_explorer",
           "embedding_figure", "mining_figure"]

SAME_COLOUR, DIFF_COLOUR = "tab:blue", "tab:red"


def _np(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def distance_histogram(distances, same, *, margin: float | None = None, ax=None, title: str | None = None,
                       bins: int = 40):
    """Histograms of the distances of similar (blue) and dissimilar (red) pairs on ``ax``; the margin dashed."""
    import matplotlib.pyplot as plt

    d, s = _np(distances).ravel(), _np(same).ravel().astype(bool)
    ax = ax if ax is not None else plt.gca()
    edges = np.linspace(0.0, max(float(d.max()), margin or 0.0) * 1.02 + 1e-9, bins + 1)
    ax.hist(d[s], bins=edges, density=True, alpha=0.55, color=SAME_COLOUR, label=f"same digit ({s.sum()})")
    ax.hist(d[~s], bins=edges, density=True, alpha=0.55, color=DIFF_COLOUR, label=f"different digits ({(~s).sum()})")
    if margin is not None:
        ax.axvline(margin, color="k", ls="--", lw=1, label=f"margin m = {margin:g}")
    r = pair_distance_report(d, s)
    ax.set_title(title or f"ROC AUC {r['auc']:.3f}, overlap {r['overlap']:.2f}", fontsize=10)
    ax.set_xlabel("distance between the embeddings ||f(x1) - f(x2)||")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return ax


def distance_histograms_figure(panels: Mapping[str, tuple], *, margin: float | None = None,
                               suptitle: str = "Distances of similar and dissimilar pairs"):
    """One histogram panel per entry ``{title: (distances, same)}``, side by side."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.4), squeeze=False)
    for ax, (title, (d, s)) in zip(axes[0], panels.items()):
        r = pair_distance_report(_np(d), _np(s))
        distance_histogram(d, s, margin=margin, ax=ax,
                           title=f"{title}\nAUC {r['auc']:.3f}, overlap {r['overlap']:.2f}")
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


@functools.lru_cache(maxsize=2)
def _study(margins: tuple = MARGINS, seed: int = 0) -> dict:
    return margin_study(margins, seed=seed)


def margin_figure(margin: float = 1.0, pairs: str = "seen digits", *, study: Mapping | None = None):
    """The distances after training with ``margin`` (from :func:`nbcourse.metric.margin_study`)."""
    import matplotlib.pyplot as plt

    study = study if study is not None else _study()
    key = "seen" if pairs.startswith("seen") else "unseen"
    d, s = study[margin][key]
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    r = pair_distance_report(d, s)
    distance_histogram(d, s, margin=margin, ax=ax,
                       title=f"margin {margin:g}, {pairs}: dissimilar pairs end at "
                             f"{r['mean_diff'] / margin:.2f} x the margin on average\n"
                             f"mean same {r['mean_same']:.2f}, mean different {r['mean_diff']:.2f}, "
                             f"AUC {r['auc']:.3f}")
    fig.tight_layout()
    return fig


@register
def margin_explorer(study: Mapping | None = None) -> Interactive:
    """The contrastive margin as a control: distances after training with each margin.

    ``study``: the runs of :func:`nbcourse.metric.margin_study` (default: computed once and cached),
    so every frame only draws."""
    study = study if study is not None else _study()

    def figure(margin: float = 1.0, pairs: str = "seen digits"):
        return margin_figure(margin, pairs, study=study)

    return interactive(
        figure,
        margin=Options(list(MARGINS), default=1.0, slider=True, label="margin m"),
        pairs=Options(["seen digits", "unseen digits (8, 9)"], default="seen digits", label="test pairs"),
        title="Contrastive loss: the margin sets the scale of the distances",
    )


def embedding_figure(E, y, *, ax=None, title: str = "2-D embedding, coloured by digit", markers=None):
    """A 2-D embedding ``(N, 2)``, points coloured by their digit (tab10), the digit written at each class mean."""
    import matplotlib.pyplot as plt

    E, y = _np(E), _np(y).astype(int)
    if E.ndim != 2 or E.shape[1] != 2:
        raise ValueError(f"embedding_figure: E has shape {E.shape}, expected (N, 2)")
    ax = ax if ax is not None else plt.subplots(figsize=(4.5, 4.2))[1]
    cmap = plt.get_cmap("tab10")
    for digit in np.unique(y):
        pts = E[y == digit]
        ax.scatter(pts[:, 0], pts[:, 1], s=6, color=cmap(digit % 10), alpha=0.6,
                   marker="x" if markers and digit in markers else "o")
        cx, cy = np.median(pts, axis=0)
        ax.text(cx, cy, str(digit), fontsize=12, weight="bold", ha="center", va="center",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=cmap(digit % 10), alpha=0.85))
    ax.set_xlabel("embedding dimension 1")
    ax.set_ylabel("embedding dimension 2")
    ax.set_title(title, fontsize=10)
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def mining_figure(results: Mapping[str, Mapping[str, Sequence[float]]],
                  panels: Sequence[tuple[str, str]] = (("knn_seen", "1-NN accuracy, seen test digits"),
                                                       ("spread", "spread\n(mean distance between test points)")),
                  *, title: str = "Same budget, different triplets"):
    """One panel per ``(key, ylabel)`` in ``panels``: ``results[strategy]["epoch"]`` against
    ``results[strategy][key]``, one curve per mining strategy."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), 3.5), squeeze=False)
    for ax, (key, ylabel) in zip(axes[0], panels):
        for name, r in results.items():
            ax.plot(r["epoch"], r[key], marker="o", ms=3, label=name)
        ax.set_xticks(next(iter(results.values()))["epoch"])
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
