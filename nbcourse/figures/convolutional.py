r"""Figures of the pages *Convolutional networks* and *Fully convolutional networks*.

- :func:`filters_figure`: the learned kernels of a convolution, one small image each;
- :func:`feature_maps_figure`: an image and the maps each channel of a conv layer makes of it;
- :func:`shift_examples_figure`: a digit moved by 0, 1, 2, 3 pixels;
- :func:`shift_curves_figure`: accuracy against the shift, one line per model;
- :func:`segmentation_figure`: images, their labels and a model's per-pixel predictions.

Each is a plain function that returns a matplotlib figure; matplotlib is imported inside them.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch

__all__ = ["MODEL_COLORS", "SHAPE_COLORS", "filters_figure", "feature_maps_figure", "shift_examples_figure",
           "shift_curves_figure", "segmentation_figure"]

#: One colour per model, the same in every figure of the two pages (Okabe-Ito).
MODEL_COLORS: dict[str, str] = {"MLP": "#D55E00", "CNN": "#0072B2", "CNN, average head": "#009E73"}

#: Colours of the segmentation classes: background, circle, square, triangle.
SHAPE_COLORS: tuple[str, ...] = ("#f2f2f2", "#0072B2", "#E69F00", "#009E73")


def _np(t) -> np.ndarray:
    return t.detach().cpu().float().numpy() if isinstance(t, torch.Tensor) else np.asarray(t, dtype=float)


def filters_figure(weight, *, title: str = "Learned 3x3 filters of the first convolution", cols: int = 8):
    r"""Each kernel ``weight[k, 0]`` of a convolution as a small image (blue negative, red positive).

    Args:
        weight: a conv weight :math:`(C_{out}, C_{in}, k, k)` (only input channel 0 is drawn), or a ``nn.Conv2d``.
        title: the figure's title.
        cols: kernels per row (default 8).
    """
    import matplotlib.pyplot as plt

    w = _np(weight.weight if hasattr(weight, "weight") else weight)[:, 0]      # (C_out, k, k)
    n = len(w)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, min(cols, n), figsize=(1.3 * min(cols, n), 1.45 * rows + 0.4), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([]), ax.set_yticks([])
        if k >= n:
            ax.axis("off")
            continue
        lim = np.abs(w[k]).max() or 1.0
        ax.imshow(w[k], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(f"filter {k}", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def feature_maps_figure(image, maps, *, title: str = "What each filter responds to in one digit", label: str = "channel"):
    r"""An input image (left) and the feature maps computed from it (one panel per channel).

    Args:
        image: :math:`(H, W)` or :math:`(1, H, W)`.
        maps: :math:`(C, h, w)` (after the activation, for instance).
        title, label: the figure's title and the panels' prefix.
    """
    import matplotlib.pyplot as plt

    img = _np(image).reshape(_np(image).shape[-2:])
    m = _np(maps)
    n = len(m)
    fig, axes = plt.subplots(1, n + 1, figsize=(1.3 * (n + 1), 1.7))
    axes[0].imshow(img, cmap="gray_r")
    axes[0].set_title("input", fontsize=8)
    for k in range(n):
        axes[k + 1].imshow(m[k], cmap="viridis")
        axes[k + 1].set_title(f"{label} {k}", fontsize=8)
    for ax in axes:
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def shift_examples_figure(images: Sequence, shifts: Sequence[int], *, title: str = "A test digit moved right by 0 to 3 pixels"):
    """The same digit at several shifts, side by side (``images[i]`` is shifted by ``shifts[i]`` pixels)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(images), figsize=(1.5 * len(images), 1.8))
    for ax, img, s in zip(np.atleast_1d(axes), images, shifts):
        ax.imshow(_np(img).reshape(8, 8) if _np(img).size == 64 else _np(img).squeeze(), cmap="gray_r")
        ax.set_title(f"shift {s} px", fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def shift_curves_figure(results: Mapping[str, Mapping[int, float]], *, chance: float = 0.1,
                        title: str = "Every model loses accuracy when the digits move; by how much differs"):
    r"""Test accuracy against the shift in pixels, one line per model.

    Args:
        results: ``{model name: {shift: accuracy}}`` (as :func:`nbcourse.data.shifts.shifted_accuracy` returns).
        chance: accuracy of guessing, drawn as a dashed line (default 0.1: ten classes).
        title: the figure's title.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    for name, acc in results.items():
        s = sorted(acc)
        ax.plot(s, [100 * acc[k] for k in s], "o-", label=name, color=MODEL_COLORS.get(name))
    ax.axhline(100 * chance, ls="--", color="grey", lw=1, label="chance")
    ax.set_xlabel("shift of the test digits (pixels, mean of 4 directions)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_xticks(sorted({k for acc in results.values() for k in acc}))
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def segmentation_figure(images, labels, predictions=None, *, classes: Sequence[str] = ("background", "circle", "square", "triangle"),
                        title: str = "Per-pixel labels: ground truth and the network's prediction"):
    r"""One column per image: the image, its labels, and (optionally) the predicted labels.

    Args:
        images: :math:`(N, 1, H, W)` (images of different sizes: a list of :math:`(1, H, W)`), drawn bright where the value is high.
        labels: :math:`(N, H, W)` class indices (or a list).
        predictions: like ``labels``, or scores :math:`(N, K, H, W)` (their argmax is drawn); optional.
        classes: class names, for the legend.
        title: the figure's title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    cmap = ListedColormap(SHAPE_COLORS[:len(classes)])
    if predictions is not None and isinstance(predictions, torch.Tensor) and predictions.is_floating_point():
        predictions = predictions.argmax(1)
    rows = [("image", images, "gray"), ("ground truth", labels, cmap)]
    if predictions is not None:
        rows.append(("prediction", predictions, cmap))
    n = len(images)
    fig, axes = plt.subplots(len(rows), n, figsize=(1.7 * n, 1.7 * len(rows) + 0.6), squeeze=False)
    for r, (name, data, cm) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            a = _np(data[i]).squeeze()
            if cm is cmap:
                ax.imshow(a, cmap=cm, vmin=0, vmax=len(classes) - 1, interpolation="nearest")
            else:
                ax.imshow(a, cmap=cm)
            ax.set_xticks([]), ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(name, fontsize=9)
            if r == 0:
                ax.set_title(f"{a.shape[0]}x{a.shape[1]}", fontsize=8)
    fig.legend(handles=[Patch(color=SHAPE_COLORS[k], label=c) for k, c in enumerate(classes)], loc="lower center",
               ncol=len(classes), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
