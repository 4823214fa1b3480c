r"""Figures of the page *Autoencoders* (``book/architectures/autoencoders``).

- :func:`code_space_figure`: the 2-D codes of the digits, one colour per digit;
- :func:`reconstructions_figure`: rows of 8x8 images (originals, corrupted, reconstructions...);
- :func:`principal_angles_figure`: the principal angles between the linear autoencoder's decoder
  and the principal subspace, epoch by epoch, beside its reconstruction error against PCA's bound;
- :func:`pca_spectrum_figure`: the reconstruction error of the best linear code of each size;
- :func:`code_size_figure` / :func:`code_size_explorer`: a few digits rebuilt from the best
  linear code of each size (PCA, which the linear autoencoder reaches; computed in closed form,
  so the explorer trains nothing).

The numbers come from :mod:`nbcourse.models.autoencoder`; matplotlib is imported inside the functions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import torch

from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["DIGIT_COLORS", "CODE_SIZES", "code_space_figure", "reconstructions_figure", "principal_angles_figure",
           "pca_spectrum_figure", "code_size_figure", "code_size_explorer"]

#: One colour per digit 0..9 (matplotlib's tab10), the same in every figure of the page.
DIGIT_COLORS: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")

#: The code sizes of :func:`code_size_explorer`.
CODE_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)


def _numpy(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().double().numpy()
    return np.asarray(a, dtype=np.float64)


def code_space_figure(codes, labels, *, title: str = "The 2-D code space: digits that look alike land together",
                      ax=None, max_points: int | None = None):
    r"""Scatter the 2-D codes ``(N, 2)``, coloured by digit ``labels`` ``(N,)``, with each digit's
    label at the median of its codes. Returns the figure."""
    import matplotlib.pyplot as plt

    codes, labels = _numpy(codes), np.asarray(_numpy(labels), dtype=int)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"code_space_figure: argument 'codes' got shape {codes.shape}, expected (N, 2)")
    if labels.shape != (codes.shape[0],):
        raise ValueError(f"code_space_figure: argument 'labels' got shape {labels.shape}, expected ({codes.shape[0]},)")
    if max_points is not None:
        codes, labels = codes[:max_points], labels[:max_points]
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.6, 4.8), layout="constrained")
    else:
        fig = ax.figure
    for d in range(10):
        pts = codes[labels == d]
        if len(pts) == 0:
            continue
        ax.scatter(pts[:, 0], pts[:, 1], s=7, color=DIGIT_COLORS[d], alpha=0.6, label=str(d), linewidths=0)
        cx, cy = np.median(pts, axis=0)
        ax.text(cx, cy, str(d), fontsize=13, weight="bold", ha="center", va="center", color=DIGIT_COLORS[d],
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=DIGIT_COLORS[d], alpha=0.85))
    ax.set_xlabel("code unit $h_1$")
    ax.set_ylabel("code unit $h_2$")
    ax.set_title(title, fontsize=10)
    ax.legend(title="digit", fontsize=7, title_fontsize=8, markerscale=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def reconstructions_figure(rows: Mapping[str, object], *, title: str = "Originals and their reconstructions",
                           n: int = 10, vmin: float | None = None, vmax: float | None = None):
    r"""A grid of 8x8 images: one row per entry of ``rows`` (``{"row label": images (N, 64)}``), the first
    ``n`` images of each. One grey scale for the whole grid (``vmin``/``vmax``, default: the
    originals' range, the first row). Returns the figure."""
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("reconstructions_figure: argument 'rows' is empty; give {'label': images (N, 64)}")
    arrays = {}
    for label, images in rows.items():
        a = _numpy(images).reshape(len(images), -1)
        if a.shape[1] != 64:
            raise ValueError(f"reconstructions_figure: row {label!r} has {a.shape[1]} values per image, expected 64 (8x8)")
        arrays[label] = a[:n]
    first = next(iter(arrays.values()))
    lo = float(first.min()) if vmin is None else vmin
    hi = float(first.max()) if vmax is None else vmax
    cols = max(len(a) for a in arrays.values())
    fig, axes = plt.subplots(len(arrays), cols, figsize=(0.8 * cols + 1.6, 0.85 * len(arrays) + 0.5),
                             squeeze=False, layout="constrained")
    for r, (label, a) in enumerate(arrays.items()):
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(a):
                ax.imshow(a[c].reshape(8, 8), cmap="gray_r", vmin=lo, vmax=hi)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def principal_angles_figure(angles_deg: Sequence[Sequence[float]], losses: Sequence[float], pca_error: float, *,
                            title: str = "The linear autoencoder turns into the principal subspace"):
    r"""Left: each principal angle (degrees) between the decoder's columns and the top-k principal
    subspace against the epoch (log scale). Right: the training MSE against PCA's error, the bound
    (log scale of the excess). ``angles_deg``: ``(epochs, k)``; ``losses``: ``(epochs,)``."""
    import matplotlib.pyplot as plt

    A = _numpy(angles_deg)
    L = _numpy(losses)
    if A.ndim != 2 or len(A) != len(L):
        raise ValueError(f"principal_angles_figure: 'angles_deg' has shape {A.shape} and 'losses' {L.shape}; "
                         "expected (epochs, k) and (epochs,)")
    epochs = np.arange(1, len(A) + 1)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    for i in range(A.shape[1]):
        ax.plot(epochs, np.maximum(A[:, i], 1e-3), lw=1.8, label=f"angle {i + 1}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (one full-batch step each)")
    ax.set_ylabel("principal angle (degrees)")
    ax.set_title("Angles to the top principal subspace", fontsize=10)
    ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
    ax.legend(fontsize=8)
    ax2.plot(epochs, np.maximum(L - pca_error, 1e-7), color="#0072B2", lw=1.8)
    ax2.set_yscale("log")
    ax2.set_xlabel("epoch (one full-batch step each)")
    ax2.set_ylabel("training MSE minus PCA's MSE")
    ax2.set_title(f"Reconstruction error above PCA's bound ({pca_error:.4f})", fontsize=10)
    fig.suptitle(title, fontsize=11)
    return fig


def pca_spectrum_figure(X, *, X_eval=None, marks: Mapping[str, tuple[int, float]] | None = None,
                        title: str = "The best linear code of each size: PCA's reconstruction error"):
    r"""The mean squared reconstruction error of PCA with k components against k (training data
    ``X``, and held-out ``X_eval`` if given), with extra points ``marks``: ``{label: (k, mse)}``
    (e.g. the autoencoders trained on the page)."""
    import matplotlib.pyplot as plt

    from nbcourse.models.autoencoder import pca_reconstruction_error

    X = _numpy(X)
    ks = np.arange(0, X.shape[1] + 1)
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    ax.plot(ks, [pca_reconstruction_error(X, int(k)) for k in ks], color="#0072B2", lw=1.8, label="PCA, training data")
    if X_eval is not None:
        E = _numpy(X_eval)
        ax.plot(ks, [pca_reconstruction_error(X, int(k), X_eval=E) for k in ks], color="#D55E00", lw=1.5, ls="--",
                label="PCA, held-out data")
    markers = iter("osD^v")
    for label, (k, mse) in (marks or {}).items():
        ax.plot([k], [mse], next(markers, "o"), ms=8, label=label)
    ax.set_xlabel("code size k (number of linear code units)")
    ax.set_ylabel("mean squared error (standardised pixels²)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return fig


@lru_cache(maxsize=1)
def _digits_pca():
    from nbcourse.data.digits import load_digits

    (X, _), (X_val, _) = load_digits()
    X, X_val = X.double().numpy(), X_val.double().numpy()
    mean = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
    return X, X_val, mean, Vt


def code_size_figure(code_size: int = 8, *, n: int = 8):
    r"""``n`` held-out digits and their reconstruction from the best linear code of ``code_size``
    numbers (PCA fitted on the training digits: what a linear autoencoder trained with the squared
    error reaches), with the held-out MSE in the title."""
    X, X_val, mean, Vt = _digits_pca()
    if isinstance(code_size, bool) or not isinstance(code_size, (int, np.integer)) or not 0 <= code_size <= 64:
        raise ValueError(f"code_size_figure: argument 'code_size' got {code_size!r}, expected an integer in 0..64")
    V = Vt[:code_size].T
    originals = X_val[:n]
    rebuilt = (originals - mean) @ V @ V.T + mean
    mse = float((((X_val - mean) @ V @ V.T + mean - X_val) ** 2).mean())
    return reconstructions_figure(
        {"held-out": originals, f"k = {code_size}": rebuilt},
        title=f"{code_size} linear code units: held-out MSE {mse:.3f}", n=n)


@register
def code_size_explorer() -> Interactive:
    """Choose the code size and see the digits rebuilt from the best linear code of that size (7 frames)."""
    return interactive(
        code_size_figure,
        code_size=Options(list(CODE_SIZES), default=8, slider=True, label="code size k"),
        title="How many numbers does a digit need? Rebuilt from the best linear code of size k",
        dpi=72,
    )
