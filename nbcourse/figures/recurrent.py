r"""Figures of the page *Recurrent networks* (``book/architectures/recurrent``).

- :func:`learning_curves_figure`: training and validation loss of several character models, in
  bits per character;
- :func:`gradient_decay_figure`: :math:`\lVert \partial L_T / \partial x_t \rVert` against the
  distance :math:`T - t`, on a log scale (what :func:`nbcourse.models.char_rnn.gradient_decay`
  measures);
- :func:`sample_figure` / :func:`temperature_explorer`: the next-character distribution and a
  sampled text at each temperature, precomputed from a :class:`~nbcourse.models.CharRNN` (each
  frame only draws).

matplotlib is imported inside the functions.
"""

from __future__ import annotations

import math
import textwrap
from typing import Mapping, Sequence

import numpy as np

from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["CELL_COLORS", "TEMPERATURES", "learning_curves_figure", "gradient_decay_figure", "precompute_samples",
           "sample_figure", "temperature_explorer"]

#: One colour per recurrent cell (Okabe-Ito), the same in every figure of the page.
CELL_COLORS: dict[str, str] = {"rnn": "#D55E00", "lstm": "#0072B2", "gru": "#009E73"}

#: The temperatures the explorer offers.
TEMPERATURES: tuple[float, ...] = (0.1, 0.3, 0.5, 0.8, 1.0, 1.3, 2.0)


def _color(label: str) -> str | None:
    for cell, color in CELL_COLORS.items():
        if label.lower().startswith(cell):
            return color
    return None


def learning_curves_figure(histories: Mapping[str, Mapping[str, Sequence[float]]], *,
                           title: str = "Learning curves of the character models"):
    """Training (solid) and validation (dashed) loss per epoch of each run, in bits per character.

    Args:
        histories: ``{label: history}``, each with ``"train_loss"`` and optionally ``"val_loss"``
            (natural-log cross-entropy, as ``nn.CrossEntropyLoss`` gives).
        title: the title (say what to see).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for label, history in histories.items():
        color = _color(label)
        train = np.asarray(history["train_loss"], dtype=float) / math.log(2)
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, "-o", color=color, ms=3, label=f"{label}: training")
        if "val_loss" in history and len(history["val_loss"]):
            val = np.asarray(history["val_loss"], dtype=float) / math.log(2)
            ax.plot(epochs, val, "--s", color=color, ms=3, label=f"{label}: validation")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (bits per character)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def gradient_decay_figure(decays: Mapping[str, Sequence[float]], *,
                          title: str = "How far back the last loss reaches: the gradient against the distance"):
    r"""Relative gradient norm :math:`\lVert\partial L_T/\partial x_t\rVert / \lVert\partial L_T/\partial x_T\rVert`
    against the distance :math:`T - t`, log scale.

    Args:
        decays: ``{label: norms}``, each the ``(T,)`` output of
            :func:`nbcourse.models.char_rnn.gradient_decay` (last entry: distance 0).
        title: the title.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for label, norms in decays.items():
        norms = np.asarray(norms, dtype=float)[::-1]          # index = distance T - t
        ax.semilogy(np.arange(len(norms)), norms / norms[0], label=label, color=_color(label),
                    ls="-" if "trained" in label else "--", lw=1.8)
    ax.axhline(1e-2, color="0.5", lw=0.8, ls=":")
    ax.text(0.5, 1.2e-2, "1 %", color="0.4", fontsize=8)
    ax.set_xlabel("distance $T - t$ (characters back)")
    ax.set_ylabel(r"$\|\partial L_T/\partial x_t\|$ relative to $t = T$")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def precompute_samples(model, *, prefix: str, temperatures: Sequence[float] = TEMPERATURES, length: int = 240,
                       seed: int = 0) -> dict:
    """What :func:`sample_figure` draws, for every temperature: ``{"prefix", "chars", "samples",
    "probabilities"}`` (the vocabulary, ``{T: text}`` and ``{T: next-character distribution}``)."""
    return {
        "prefix": prefix,
        "chars": list(model.vocab.chars),
        "samples": {t: model.sample(prefix, length, temperature=t, seed=seed) for t in temperatures},
        "probabilities": {t: model.next_char_probabilities(prefix, temperature=t).numpy() for t in temperatures},
    }


def _show_char(c: str) -> str:
    return {" ": "␣", "\n": "\\n", "\t": "\\t", "$": r"\$"}.get(c, c)


def sample_figure(temperature: float = 1.0, *, precomputed: Mapping, top: int = 12, width: int = 64):
    r"""Left: the probabilities of the ``top`` most likely next characters after the prefix at
    ``temperature`` (entropy in bits in the title). Right: the text sampled at that temperature.

    Args:
        temperature: one of the temperatures in ``precomputed``.
        precomputed: the output of :func:`precompute_samples`.
        top: how many characters to show (default 12).
        width: characters per line of the sample (default 64).
    """
    import matplotlib.pyplot as plt

    samples, probabilities = precomputed["samples"], precomputed["probabilities"]
    if temperature not in samples:
        raise ValueError(f"sample_figure: argument 'temperature' got {temperature!r}, expected one of "
                         f"{sorted(samples)} (the precomputed temperatures)")
    p = np.asarray(probabilities[temperature], dtype=float)
    chars = precomputed["chars"]
    order = np.argsort(-p, kind="stable")[:top]
    entropy = float(-(p[p > 0] * np.log2(p[p > 0])).sum())
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained",
                                  gridspec_kw={"width_ratios": [1, 1.7]})
    ax.bar(np.arange(len(order)), p[order], color="#0072B2")
    ax.set_xticks(np.arange(len(order)), [_show_char(chars[i]) for i in order], fontfamily="monospace")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"next character after {precomputed['prefix']!r} (the {len(order)} most likely)")
    ax.set_ylabel("probability")
    ax.set_title(f"T = {temperature:g}: entropy {entropy:.2f} bits (max {math.log2(len(p)):.1f})", fontsize=10)
    text = precomputed["prefix"] + samples[temperature]
    lines = []
    for paragraph in text.split("\n"):
        lines.extend(textwrap.wrap(paragraph, width, replace_whitespace=False, drop_whitespace=False) or [""])
    shown = "\n".join(lines[:14]).replace("$", r"\$")
    ax2.text(0.0, 1.0, shown, va="top", ha="left", family="monospace", fontsize=8, transform=ax2.transAxes)
    ax2.axis("off")
    ax2.set_title(f"sampled at T = {temperature:g} (prefix included)", fontsize=10)
    fig.suptitle("Low temperature: safe and repetitive; high temperature: varied, then gibberish")
    return fig


@register
def temperature_explorer(model=None, *, prefix: str = "the ", temperatures: Sequence[float] = TEMPERATURES,
                         length: int = 240, seed: int = 0) -> Interactive:
    """Move the temperature and read what the model writes (one frame per temperature, all precomputed).

    Args:
        model: a :class:`~nbcourse.models.CharRNN` (default None: an untrained one over the
            lowercase letters, which writes noise at every temperature: pass a trained model).
        prefix: the text every sample continues (default ``"the "``).
        temperatures: the choices (default :data:`TEMPERATURES`).
        length: characters per sample (default 240).
        seed: seed of the draws (the same for every temperature).
    """
    if model is None:
        from nbcourse.models import CharRNN

        model = CharRNN("abcdefghijklmnopqrstuvwxyz .,", hidden_size=32, seed=0)
    precomputed = precompute_samples(model, prefix=prefix, temperatures=temperatures, length=length, seed=seed)
    values = list(precomputed["samples"])
    default = 1.0 if 1.0 in values else values[len(values) // 2]

    def frame(temperature: float = default):
        return sample_figure(temperature, precomputed=precomputed)

    return interactive(frame, temperature=Options(values, default=default, slider=True, label="temperature T"),
                       title="Sampling temperature: from greedy (small T) to uniform (large T)", dpi=80)
