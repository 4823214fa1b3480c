r"""Figures of the energy-based models: Hopfield networks, Boltzmann machines and RBMs.

- :func:`image_row` draws binary images side by side (patterns, states, samples, weights);
- :func:`recall_figure` corrupts a stored letter and draws its recall step by step with the energy;
  :func:`recall_explorer` is the *Hopfield networks* page's explorer over the letter and the share of
  pixels flipped (a 5 x 6 grid of precomputed frames);
- :func:`capacity_figure` draws a capacity curve of :func:`nbcourse.models.hopfield.capacity_curve`;
- :func:`distribution_bars` compares two distributions over binary vectors (Boltzmann machines).
"""

from __future__ import annotations

import functools

import numpy as np

from nbcourse.models.hopfield import corrupt
from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["RECALL_LETTERS", "CORRUPTIONS", "capacity_figure", "distribution_bars", "image_row",
           "recall_explorer", "recall_figure"]

#: the letters stored by the recall explorer's network, and the shares of pixels it can flip
RECALL_LETTERS = "LXZJV"
CORRUPTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def image_row(images, titles=None, *, shape=(8, 8), ax_size: float = 1.25, suptitle: str | None = None,
              cmap: str = "gray_r", vmin: float | None = None, vmax: float | None = None, axes=None):
    """Images side by side (each a vector reshaped to ``shape``), black for +1 (or 1), white for -1 (or 0).

    Returns the figure (a new one unless ``axes`` is given).

    Examples::

        >>> import matplotlib; matplotlib.use("Agg")
        >>> fig = image_row(np.ones((3, 64)), ["a", "b", "c"])
        >>> len(fig.axes)
        3
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images, dtype=float)
    n = len(images)
    new_figure = axes is None
    if new_figure:
        # room for titles of several lines and for the suptitle above them
        title_lines = max((str(t).count("\n") + 1 for t in titles), default=0) if titles is not None else 0
        height = ax_size + 0.2 * title_lines + (0.3 if suptitle else 0.0)
        fig, axes = plt.subplots(1, n, figsize=(ax_size * n, height), squeeze=False)
        axes = axes[0]
    else:
        fig = axes[0].figure
    lo = images.min() if vmin is None else vmin
    hi = images.max() if vmax is None else vmax
    for i, (ax, img) in enumerate(zip(axes, images)):
        ax.imshow(img.reshape(shape), cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    if new_figure:
        fig.tight_layout()
    return fig


@functools.lru_cache(maxsize=1)
def _letter_net():
    from nbcourse.data.binary import letter_patterns
    from nbcourse.models.hopfield import HopfieldNetwork

    patterns = letter_patterns(RECALL_LETTERS)
    return HopfieldNetwork(patterns.shape[1]).fit(patterns)


def recall_figure(letter: str = "X", corruption: float = 0.2, *, seed: int = 0):
    r"""Flip a share ``corruption`` of the pixels of a stored letter, recall it asynchronously, and draw
    the state after 0, 16, 32, 64 unit updates and at the end, with the energy after every update.

    The network stores the five letters :data:`RECALL_LETTERS` (64 units, Hebb's rule).

    Examples::

        >>> import matplotlib; matplotlib.use("Agg")
        >>> fig = recall_figure("J", 0.3)
        >>> fig.axes[-1].get_xlabel()
        'unit updates (asynchronous, 64 per sweep)'
    """
    import matplotlib.pyplot as plt

    if letter not in RECALL_LETTERS:
        raise ValueError(f"recall_figure: argument 'letter' got {letter!r}, expected one of {list(RECALL_LETTERS)}")
    net = _letter_net()
    target = net.patterns_[RECALL_LETTERS.index(letter)]
    start = corrupt(target, corruption, seed=seed)
    final, trace = net.recall(start, seed=seed, return_trace=True)
    n = net.n_units
    picks = [0, 16, 32, 64, len(trace.states) - 1]
    overlaps = net.patterns_ @ final / n
    best = int(np.argmax(np.abs(overlaps)))
    name = RECALL_LETTERS[best] if overlaps[best] > 0 else f"inverted {RECALL_LETTERS[best]}"
    if np.array_equal(final, target):
        verdict = f"recalled {letter}"
    elif abs(overlaps[best]) == 1.0:
        verdict = f"falls into {name} instead"
    else:
        verdict = f"ends in a spurious state (nearest: {name}, overlap {abs(overlaps[best]):.2f})"

    fig = plt.figure(figsize=(9.0, 3.0))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.16, top=0.80, wspace=0.22)
    grid = fig.add_gridspec(1, 2, width_ratios=[1.45, 1.0])
    left = grid[0].subgridspec(1, len(picks), wspace=0.08)
    for k, t in enumerate(picks):
        ax = fig.add_subplot(left[k])
        ax.imshow(trace.states[t].reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        wrong = int((trace.states[t] != target).sum())
        label = "start" if t == 0 else ("end" if k == len(picks) - 1 else f"{t} updates")
        ax.set_title(f"{label}\n{wrong} wrong", fontsize=9)
    ax_e = fig.add_subplot(grid[1])
    ax_e.plot(np.arange(len(trace.energies)), trace.energies, color="tab:blue", linewidth=1.8)
    ax_e.axhline(float(net.energy(target)), color="tab:green", linestyle="--", linewidth=1,
                 label=f"energy of {letter}")
    ax_e.set_xlabel(f"unit updates (asynchronous, {n} per sweep)")
    ax_e.set_ylabel("energy E(s)")
    ax_e.legend(loc="upper right", fontsize=8)
    ax_e.grid(alpha=0.3)
    fig.suptitle(f"{letter} with {corruption:.0%} of its pixels flipped: {verdict} after "
                 f"{trace.n_sweeps} sweep{'s' if trace.n_sweeps > 1 else ''}; the energy only goes down", fontsize=10)
    return fig


@register
def recall_explorer() -> Interactive:
    """The Hopfield page's explorer: pick a stored letter and how much of it to corrupt; watch recall.

    Examples::

        >>> len(recall_explorer().combinations())
        30
    """
    return interactive(
        recall_figure,
        letter=Options(list(RECALL_LETTERS), default="X", label="stored letter"),
        corruption=Options(list(CORRUPTIONS), default=0.2, slider=True, label="pixels flipped",
                           labels={c: f"{c:.0%}" for c in CORRUPTIONS}),
        title="Corrupt a stored letter and watch the network recall it",
    )


def capacity_figure(curve: dict, *, ax=None):
    r"""A capacity curve: share of stored patterns that are fixed points, and that are recalled, against
    the load :math:`P/N`, with the large-:math:`N` capacity 0.138 (Amit, Gutfreund and Sompolinsky 1985).

    ``curve`` is what :func:`nbcourse.models.hopfield.capacity_curve` returns.
    """
    import math

    import matplotlib.pyplot as plt

    new_figure = ax is None
    if new_figure:
        fig, ax = plt.subplots(figsize=(7.0, 4.8))
    else:
        fig = ax.figure
    loads, n = np.asarray(curve["loads"]), int(curve["n_units"])
    ax.plot(loads, curve["recalled"], "o-", color="tab:blue",
            label=f"recalled: at most {(1 - curve['threshold']) / 2:.0%} of the bits wrong after recall from the pattern")
    ax.plot(loads, curve["stable"], "s-", color="tab:orange", label="exactly stable: a fixed point")
    fine = np.linspace(max(loads.min(), 2.0 / n), loads.max(), 200)   # at least two patterns: P - 1 > 0
    phi = np.array([0.5 * (1 + math.erf(x / math.sqrt(2))) for x in np.sqrt(n / (fine * n - 1))])  # Gaussian cdf
    ax.plot(fine, phi ** n, ":", color="tab:orange",
            label=r"prediction for 'exactly stable': $\Phi(\sqrt{N/(P-1)})^N$")
    ax.axvline(0.138, color="k", linestyle="--", linewidth=1)
    ax.text(0.141, 0.5, r"$\alpha_c = 0.138$", fontsize=9)
    ax.set_xlabel("load P / N (stored patterns per unit)")
    ax.set_ylabel("share of stored patterns")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    # below the axes: inside, the legend would hide the points at low shares
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)
    ax.set_title(f"Capacity of a Hopfield network of N = {n} units, random patterns", fontsize=10)
    if new_figure:
        fig.tight_layout()
    return fig


def distribution_bars(*distributions, labels=None, names=None, ax=None, title: str | None = None):
    """Distributions over the same states as side-by-side bars (states labelled, e.g. as bit strings).

    Examples::

        >>> import matplotlib; matplotlib.use("Agg")
        >>> fig = distribution_bars([0.5, 0.5], [0.9, 0.1], labels=["0", "1"], names=["data", "model"])
        >>> fig.axes[0].get_ylabel()
        'probability'
    """
    import matplotlib.pyplot as plt

    if not distributions:
        raise ValueError("distribution_bars: give at least one distribution")
    dists = [np.asarray(d, dtype=float) for d in distributions]
    names = list(names) if names is not None else [f"distribution {k + 1}" for k in range(len(dists))]
    if ax is None:
        fig, ax = plt.subplots(figsize=(9.0, 3.2))
    else:
        fig = ax.figure
    x = np.arange(len(dists[0]))
    width = 0.8 / len(dists)
    colours = ["0.55", "tab:blue", "0.15", "tab:orange"]
    for k, (d, name) in enumerate(zip(dists, names)):
        ax.bar(x - 0.4 + width * (k + 0.5), d, width=width, label=name, color=colours[k % len(colours)])
    if labels is not None:
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=90, family="monospace", fontsize=8)
    ax.set_xlabel("visible state v")
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
