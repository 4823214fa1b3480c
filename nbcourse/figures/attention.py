r"""Figures of the page *Attention*: attention maps, and accuracy against sequence length.

- :func:`attention_maps`: a trained :class:`~nbcourse.models.Seq2Seq` decodes a few sequences; the
  maps are kept as plain arrays (the computation; the explorer only draws them);
- :func:`attention_map_figure`: one map, output steps down, source positions across, with the
  ideal alignment (where the output digit is in the source) outlined;
- :func:`attention_explorer`: choose the task and the example sequence (precomputed maps);
- :func:`weights_figure`: the weights of one query as bars, for a few scalings of the scores;
- :func:`accuracy_by_length_figure`: sequence accuracy against length, with and without attention.

The explorer called without arguments shows :data:`DEFAULT_MAPS_FILE`, maps of models trained
longer by ``benches/attention_long_run.py`` (the page passes the maps of the models it trains).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["EXAMPLES", "DEFAULT_MAPS_FILE", "attention_maps", "load_maps", "attention_map_figure",
           "attention_explorer", "weights_figure", "accuracy_by_length_figure"]

#: The source sequences the explorer offers for each task: short and long, repeated digits, sorted input.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "reverse": ("3 1 4 1 5", "2 7 1 8 2 8 1 8", "9 8 7 6 5 4 3 2 1 0", "5 5 5 0 0 0"),
    "sort": ("3 1 4 1 5", "2 7 1 8 2 8 1 8", "9 8 7 6 5 4 3 2 1 0", "5 5 5 0 0 0"),
}

#: Maps of models trained by ``benches/attention_long_run.py`` (what the explorer shows by default).
DEFAULT_MAPS_FILE = Path(__file__).resolve().parent.parent / "data" / "attention_maps.json"

_COLORS = {"attention": "#0072B2", "none": "#D55E00"}


def attention_maps(models: Mapping, examples: Mapping[str, Sequence[str]] = EXAMPLES) -> dict:
    """Decode ``examples[task]`` with ``models[task]`` (a Seq2Seq with attention); plain data for the figures.

    Returns:
        ``{task: [{"src": "3 1 4", "output": "4 1 3 <eos>", "weights": [[...], ...]}, ...]}``, one
        weights row per output step up to the first ``EOS`` (included), one column per source digit.
    """
    from nbcourse.data.sequences import EOS, decode, encode

    maps = {}
    for task, model in models.items():
        rows = []
        for text in examples[task]:
            src = encode(text)
            tokens, weights = model.greedy_decode(src, max_len=src.shape[1] + 3)
            if weights is None:
                raise ValueError(f"attention_maps: the {task!r} model has no attention (attention='none')")
            steps = tokens[0].tolist()
            n = steps.index(EOS) + 1 if EOS in steps else len(steps)
            rows.append({"src": decode(src[0]), "output": decode(tokens[0]),
                         "weights": np.round(weights[0, :n].numpy().astype(float), 4).tolist()})
        maps[task] = rows
    return maps


def load_maps(path: str | Path = DEFAULT_MAPS_FILE) -> dict:
    """Maps saved as JSON by :func:`attention_maps` (the file the long run writes)."""
    with open(path) as f:
        return json.load(f)["maps"]


def attention_map_figure(src: str, output: str, weights, *, task: str | None = None, ax=None, title: str | None = None,
                         figsize: tuple[float, float] | None = None):
    r"""One attention map: row :math:`t` is output step :math:`t`'s weights over the source positions.

    Args:
        src: the source digits as text (``"3 1 4"``); output: the decoded tokens as text.
        weights: array :math:`(T, S)`, rows summing to one.
        task: ``"reverse"`` or ``"sort"``: outline the ideal alignment (the source position each
            correct output digit is copied from). Default None: no outline.
        ax: draw on these axes (default: a new figure).
        title: default: says what the map should look like for the task.
        figsize: of the new figure (default: from the numbers of rows and columns).
    """
    import matplotlib.pyplot as plt

    from nbcourse.data.sequences import alignment

    weights = np.asarray(weights, dtype=float)
    src_tokens, out_tokens = src.split(), output.split()
    if weights.shape != (len(out_tokens), len(src_tokens)):
        raise ValueError(f"attention_map_figure: weights have shape {weights.shape}, expected "
                         f"({len(out_tokens)} output steps, {len(src_tokens)} source positions)")
    fig = None
    if ax is None:
        if figsize is None:
            figsize = (0.42 * len(src_tokens) + 2.6, 0.38 * len(out_tokens) + 1.6)
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    image = ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    if task is not None:
        for t, s in enumerate(alignment([int(d) for d in src_tokens], task)):
            if t < len(out_tokens):
                ax.add_patch(plt.Rectangle((s - 0.5, t - 0.5), 1, 1, fill=False, edgecolor="#D55E00", lw=1.5))
    ax.set_xticks(range(len(src_tokens)), src_tokens)
    ax.set_yticks(range(len(out_tokens)), out_tokens)
    ax.set_xlabel("source digit (position →)")
    ax.set_ylabel("output token (step ↓)")
    if title is None:
        title = {"reverse": "reversal: an anti-diagonal", "sort": "sorting: each output looks at its digit"}.get(task, "")
    ax.set_title(title, fontsize=10)
    if fig is not None:
        fig.colorbar(image, ax=ax, label="attention weight", shrink=0.8)
        return fig
    return ax


@register
def attention_explorer(maps: Mapping | None = None) -> Interactive:
    """Choose the task and the example: the decoder's attention map, with the ideal alignment outlined (8 frames).

    Args:
        maps: from :func:`attention_maps` (default: :data:`DEFAULT_MAPS_FILE`, the long run's models).
    """
    if maps is None:
        maps = load_maps()
    tasks = [t for t in ("reverse", "sort") if t in maps] or list(maps)
    n_examples = min(len(maps[t]) for t in tasks)
    rows = [maps[t][i] for t in tasks for i in range(n_examples)]
    width = 0.42 * max(len(r["src"].split()) for r in rows) + 2.6     # one size for every frame
    height = 0.38 * max(len(r["output"].split()) for r in rows) + 1.6

    def draw(task: str = tasks[0], example: int = 0):
        row = maps[task][example]
        return attention_map_figure(row["src"], row["output"], row["weights"], task=task,
                                    title=f"{task}: {row['src']} → {row['output']}", figsize=(width, height))

    return interactive(
        draw,
        task=Options(tasks, label="task"),
        example=Options(list(range(n_examples)), labels={i: maps[tasks[0]][i]["src"] for i in range(n_examples)},
                        label="source"),
        title="Where does each output step look? (outlined: the position its digit comes from)",
        dpi=72,
    )


def weights_figure(scores, *, scales: Sequence[float] = (0.25, 1.0, 4.0)):
    r"""The softmax weights of one query's scores, multiplied by a few scales (a temperature :math:`1/\text{scale}`)."""
    import matplotlib.pyplot as plt

    from nbcourse.losses import softmax

    scores = np.asarray(scores, dtype=float)
    fig, axes = plt.subplots(1, len(scales), figsize=(3.0 * len(scales), 2.6), sharey=True, layout="constrained")
    for ax, scale in zip(np.atleast_1d(axes), scales):
        w = softmax(scale * scores)
        ax.bar(range(len(scores)), w, color="#0072B2")
        ax.set_xticks(range(len(scores)))
        ax.set_xlabel("source position s")
        ax.set_title(f"scores × {scale:g}: max weight {w.max():.2f}", fontsize=10)
        ax.set_ylim(0, 1)
    np.atleast_1d(axes)[0].set_ylabel(r"weight $\alpha_s$")
    fig.suptitle("The same scores, scaled up: the average turns into a pick")
    return fig


def accuracy_by_length_figure(curves: Mapping[str, Mapping[int, float]], *, train_lengths: tuple[int, int] | None = None,
                              title: str = "Without attention, longer sequences are decoded worse"):
    """Sequence accuracy against source length, one curve per model (``{label: {length: accuracy}}``)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
    colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    for (label, curve), color in zip(curves.items(), colors):
        lengths = sorted(curve)
        ax.plot(lengths, [curve[L] for L in lengths], "o-", color=color, label=label)
    if train_lengths is not None:
        ax.axvspan(train_lengths[0] - 0.5, train_lengths[1] + 0.5, color="0.92", zorder=0, label="lengths trained on")
    ax.set_xlabel("source length (digits)")
    ax.set_ylabel("sequence accuracy (whole row right)")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    return fig
