r"""Figures of the page *Generative adversarial networks* (``book/architectures/gan.ipynb``).

- :func:`snapshots_figure`: generated samples at several training steps over the true modes, each
  panel titled with its mode coverage (:func:`nbcourse.data.mixtures.mode_coverage`);
- :func:`losses_figure`: the discriminator's and generator's losses during training against their
  equilibrium values :math:`\log 4` and :math:`\log 2`, and :math:`D` on real and fake batches;
- :func:`generator_gradient_figure`: the gradient with respect to the logit of the saturating and
  non-saturating generator losses against :math:`D(G(z))`;
- :func:`coverage_figure`: modes covered over training, one line per run;
- :func:`snapshot_explorer`: the samples of precomputed runs, by run and training step (no training
  per frame); without arguments it shows the long runs stored in ``nbcourse/data/gan_snapshots.json``
  (written by ``python benches/gan_long.py --write-snapshots``).

matplotlib is imported inside the functions.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from nbcourse.data.mixtures import Mixture, mode_coverage, ring
from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["RUN_COLORS", "SNAPSHOTS_FILE", "snapshots_figure", "losses_figure", "generator_gradient_figure",
           "coverage_figure", "load_snapshots", "snapshot_explorer"]

#: One colour per kind of curve or run (Okabe-Ito), the same in every figure of the page.
RUN_COLORS: dict[str, str] = {"real": "#0072B2", "fake": "#D55E00", "d_loss": "#0072B2", "g_loss": "#D55E00",
                              "saturating": "#CC79A7", "non-saturating": "#009E73"}
_RUN_CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

#: The long runs the explorer shows by default (see benches/gan_long.py).
SNAPSHOTS_FILE = Path(__file__).resolve().parents[1] / "data" / "gan_snapshots.json"


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _draw_modes(ax, mixture: Mixture, n_sigma: float = 3.0):
    from matplotlib.patches import Circle

    for mu in _np(mixture.means):
        ax.add_patch(Circle(mu, n_sigma * mixture.std, fill=False, lw=0.8, ls="--", color="0.35", zorder=3))


def _samples_panel(ax, samples, mixture: Mixture, *, title: str, lim: float, real=None):
    X = _np(samples)
    if real is not None:
        R = _np(real)
        ax.scatter(R[:, 0], R[:, 1], s=3, color=RUN_COLORS["real"], alpha=0.25, lw=0, label="real")
    ax.scatter(X[:, 0], X[:, 1], s=4, color=RUN_COLORS["fake"], alpha=0.6, lw=0, label="generated")
    _draw_modes(ax, mixture)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)


def _limit(mixture: Mixture) -> float:
    return float(_np(mixture.means).__abs__().max()) * 1.6 + 4 * mixture.std


def snapshots_figure(snapshots: Mapping[int, object], mixture: Mixture, *, title: str | None = None,
                     real=None, lim: float | None = None):
    """Generated samples at each training step of ``snapshots`` (step -> samples ``(n, 2)``), one panel each,
    over the modes of ``mixture`` (dashed circles of radius 3 sigma); each panel says how many modes its
    samples cover. ``real``: optional real samples drawn behind the first panel."""
    import matplotlib.pyplot as plt

    steps = sorted(snapshots)
    if not steps:
        raise ValueError("snapshots_figure: argument 'snapshots' is empty, expected {step: samples}")
    lim = _limit(mixture) if lim is None else lim
    fig, axes = plt.subplots(1, len(steps), figsize=(2.2 * len(steps) + 0.4, 2.6), layout="constrained",
                             squeeze=False, sharex=True, sharey=True)
    for ax, step in zip(axes[0], steps):
        c = mode_coverage(snapshots[step], mixture)
        _samples_panel(ax, snapshots[step], mixture, lim=lim, real=real if step == steps[0] else None,
                       title=f"step {step}\n{c.modes}/{c.n_modes} modes, {100 * c.high_quality:.0f}% good")
        ax.set_xlabel("$x_1$", fontsize=8)
    axes[0][0].set_ylabel("$x_2$", fontsize=8)
    fig.suptitle(title or "Generated samples (orange) during training; dashed circles: the modes' 3σ", fontsize=10)
    return fig


def _smooth(values, window: int) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) < window:
        return v
    kernel = np.ones(window) / window
    return np.convolve(v, kernel, mode="valid")


def losses_figure(history: Mapping[str, Sequence[float]], *, window: int = 25, title: str | None = None):
    """Left: :math:`L_D` and :math:`L_G` per step (a moving average over ``window`` steps, raw values faint),
    with their equilibrium values :math:`\\log 4` and :math:`\\log 2`. Right: the mean :math:`D` on the real
    and on the fake batch, with :math:`1/2`."""
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.5, 3.2), layout="constrained")
    steps = np.arange(1, len(history["d_loss"]) + 1)
    for key, label, eq, eq_label in (("d_loss", "discriminator $L_D$", math.log(4), r"$\log 4$"),
                                     ("g_loss", "generator $L_G = -\\log D(G(z))$", math.log(2), r"$\log 2$")):
        ax.plot(steps, history[key], color=RUN_COLORS[key], alpha=0.15, lw=0.6)
        s = _smooth(history[key], window)
        ax.plot(steps[len(steps) - len(s):], s, color=RUN_COLORS[key], lw=1.6, label=label)
        ax.axhline(eq, color=RUN_COLORS[key], ls=":", lw=1)
        ax.annotate(eq_label, (steps[-1], eq), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8,
                    color=RUN_COLORS[key], annotation_clip=False)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss (nats)")
    ax.set_title("The losses hover near equilibrium; they do not say\nwhether the samples are good", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    for key, label in (("d_real", "real"), ("d_fake", "fake")):
        bx.plot(steps, history[key], color=RUN_COLORS[label], alpha=0.15, lw=0.6)
        s = _smooth(history[key], window)
        bx.plot(steps[len(steps) - len(s):], s, color=RUN_COLORS[label], lw=1.6, label=f"mean $D$ on {label} batch")
    bx.axhline(0.5, color="0.3", ls=":", lw=1)
    bx.set_ylim(0, 1)
    bx.set_xlabel("generator step")
    bx.set_ylabel("$D$ = probability of real")
    bx.set_title("What D answers: 1/2 when it cannot tell", fontsize=10)
    bx.legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def generator_gradient_figure(*, d_min: float = 1e-4):
    r"""The gradient with respect to the logit :math:`\ell` of the two generator losses, against
    :math:`D(G(z)) = \sigma(\ell)`: the saturating :math:`\log(1 - D)` gives :math:`-D`, which vanishes where
    the discriminator rejects the fakes; the non-saturating :math:`-\log D` gives :math:`D - 1`.
    Computed by autograd through :func:`nbcourse.models.gan.generator_loss`."""
    import matplotlib.pyplot as plt

    from nbcourse.models.gan import generator_loss

    d = torch.logspace(math.log10(d_min), math.log10(1 - 1e-3), 200, dtype=torch.float64)
    logit = (torch.log(d) - torch.log1p(-d)).requires_grad_(True)
    grads = {}
    for name, saturating in (("saturating", True), ("non-saturating", False)):
        (g,) = torch.autograd.grad(generator_loss(logit, saturating=saturating) * len(d), logit)
        grads[name] = g.abs().numpy()
    fig, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
    ax.loglog(d.numpy(), grads["saturating"], color=RUN_COLORS["saturating"], lw=2,
              label=r"saturating $\log(1 - D(G(z)))$: $|{-D}|$")
    ax.loglog(d.numpy(), grads["non-saturating"], color=RUN_COLORS["non-saturating"], lw=2,
              label=r"non-saturating $-\log D(G(z))$: $|D - 1|$")
    ax.axvspan(d_min, 0.05, color="0.9", zorder=0)
    ax.text(1.3 * d_min, 2e-3, "early in training:\nD rejects the fakes", fontsize=8, va="bottom")
    ax.set_xlabel(r"$D(G(z))$, the discriminator's probability that a fake is real")
    ax.set_ylabel(r"$|\partial L_G / \partial \ell|$ (per sample)")
    ax.set_title("Where D rejects the fakes, the saturating loss gives the generator no gradient", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def coverage_figure(runs: Mapping[str, Mapping], mixture: Mixture, *, title: str | None = None):
    """Modes covered (left) and fraction of high-quality samples (right) at each snapshot of each run
    (``runs``: name -> a :func:`nbcourse.models.gan.train_gan` history with snapshots)."""
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.5, 3.0), layout="constrained")
    for i, (name, history) in enumerate(runs.items()):
        steps = sorted(history["snapshots"])
        cov = [mode_coverage(history["snapshots"][s], mixture) for s in steps]
        color = _RUN_CYCLE[i % len(_RUN_CYCLE)]
        ax.plot(steps, [c.modes for c in cov], "o-", color=color, label=name)
        bx.plot(steps, [100 * c.high_quality for c in cov], "o-", color=color, label=name)
    ax.set_ylim(-0.3, mixture.n_modes + 0.3)
    ax.set_xlabel("generator step")
    ax.set_ylabel(f"modes covered (of {mixture.n_modes})")
    bx.set_xlabel("generator step")
    bx.set_ylabel("samples within 3σ of a mode (%)")
    bx.set_ylim(0, 100)
    ax.legend(fontsize=8)
    fig.suptitle(title or "Mode coverage during training", fontsize=11)
    return fig


# ------------------------------------------------------------------------------------------ the explorer

@functools.lru_cache(maxsize=1)
def load_snapshots(path: str | None = None) -> dict:
    """The stored long runs: ``{"mixture": {...}, "runs": {name: {step: samples (n, 2)}}, "settings": {...}}``."""
    data = json.loads(Path(path or SNAPSHOTS_FILE).read_text())
    runs = {name: {int(step): np.asarray(x, dtype=np.float32) for step, x in snaps.items()}
            for name, snaps in data["runs"].items()}
    return {"mixture": data["mixture"], "runs": runs, "settings": data.get("settings", {})}


def _explorer_frame(run: str, step: int, *, runs, mixture, lim):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3.8, 3.9), layout="constrained")
    samples = runs[run][step]
    c = mode_coverage(samples, mixture)
    _samples_panel(ax, samples, mixture, lim=lim,
                   title=f"{run}, step {step}: {c.modes}/{c.n_modes} modes, {100 * c.high_quality:.0f}% within 3σ")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return fig


@register
def snapshot_explorer(runs: Mapping[str, Mapping[int, object]] | None = None, mixture: Mixture | None = None) -> Interactive:
    """Generated samples by run and training step, from precomputed snapshots (run -> step -> samples).

    Without arguments: the long runs of ``benches/gan_long.py`` stored in the package (3 runs x 6 steps,
    18 frames). A page passes its own runs (``{name: history["snapshots"]}``) and their mixture."""
    if runs is None:
        stored = load_snapshots()
        runs, m = stored["runs"], stored["mixture"]
        mixture = ring(m["n_modes"], radius=m["radius"], std=m["std"])
    elif mixture is None:
        raise ValueError("snapshot_explorer: give the 'mixture' the runs were trained on")
    names = list(runs)
    steps = sorted(set.intersection(*(set(runs[n]) for n in names)))
    if not steps:
        raise ValueError("snapshot_explorer: the runs have no snapshot step in common")
    frame = functools.partial(_explorer_frame, runs=runs, mixture=mixture, lim=_limit(mixture))
    frame.__name__ = "snapshot_frame"
    return interactive(
        frame,
        run=Options(names, default=names[0], label="run"),
        step=Options(steps, default=steps[-1], slider=True, label="step"),
        title="Samples during training: which run keeps every mode?",
        dpi=72,
    )
