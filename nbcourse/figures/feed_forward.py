r"""Figures of the page *Feed-forward networks*: decision boundaries against depth and width, and what each
layer does to the similarities between cases.

- :func:`train_grid` trains the explorer's small grid of :class:`~nbcourse.models.MLP` classifiers (two
  data sets x depth 1-3 x width 2, 4, 8, 16: 24 networks) once per process, all at the same time (one
  batched matrix product per layer, so the 24 cost about as much as the widest three), and caches them;
  :func:`boundary_figure` draws one of them, :func:`depth_width_explorer` is the page's explorer.
- :func:`layer_outputs` runs a trained MLP and keeps every layer's output; :func:`neighbour_agreement`
  measures, per layer, how often a case's nearest neighbours share its label (one number per layer);
  :func:`representations_figure` draws every layer's representation (its first two principal
  components) with that number in the title.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np
import torch

from nbcourse.widgets import Interactive, Options, interactive, register

__all__ = ["GRID_DATASETS", "GRID_DEPTHS", "GRID_WIDTHS", "CLASS_COLORS", "grid_data", "train_stack", "train_grid",
           "boundary_figure", "depth_width_explorer", "layer_outputs", "neighbour_agreement",
           "representations_figure", "plot_boundary"]

#: The explorer's grid: data sets, depths (hidden layers) and widths (units per hidden layer).
GRID_DATASETS: tuple[str, ...] = ("circles", "spirals")
GRID_DEPTHS: tuple[int, ...] = (1, 2, 3)
GRID_WIDTHS: tuple[int, ...] = (2, 4, 8, 16)
#: class 0, class 1: the same two colours on every page of the architectures chapter.
CLASS_COLORS: tuple[str, str] = ("#0072B2", "#D55E00")

GRID_STEPS = 500    # full-batch Adam steps of every network of the grid
GRID_LR = 0.05


@functools.lru_cache(maxsize=None)
def grid_data(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The explorer's training set ``name`` (``"circles"``, ``"spirals"`` or ``"moons"``): 200 points, seed 0."""
    from nbcourse.data import make_circles, make_moons, make_spirals

    makers = {"circles": lambda: make_circles(200, noise=0.08, seed=0),
              "spirals": lambda: make_spirals(200, turns=1.25, noise=0.03, seed=0),
              "moons": lambda: make_moons(200, noise=0.1, seed=0)}
    if name not in makers:
        raise ValueError(f"grid_data: argument 'name' got {name!r}, expected one of {sorted(makers)}")
    return makers[name]()


def train_stack(models: Sequence[Any], data: Sequence[tuple[torch.Tensor, torch.Tensor]], *, steps: int = GRID_STEPS,
                lr: float = GRID_LR) -> list[float]:
    r"""Train binary :class:`~nbcourse.models.MLP` classifiers of the same depth together, in place.

    Model ``k`` is trained on ``data[k]`` with the binary cross-entropy of its single logit, by
    full-batch Adam (``steps`` steps, learning rate ``lr``). The hidden layers are zero-padded to the
    widest model and stacked, so each step is one batched matrix product per layer for all the models;
    the padded units stay at zero (no gradient reaches them), so every model ends where training it
    alone would, up to rounding (``tests/figures/test_feed_forward.py`` checks it). The activation must
    map 0 to 0 (ReLU, tanh, leaky ReLU, ...); all models need the same number of hidden layers and of
    samples.

    Returns:
        the final training loss of each model.
    """
    depth = len(models[0].hidden_sizes)
    if any(len(m.hidden_sizes) != depth or m.out_features != 1 for m in models):
        raise ValueError("train_stack: every model needs the same number of hidden layers and one output")
    linears = [[mod for mod in m.layers if isinstance(mod, torch.nn.Linear)] for m in models]
    acts = [mod for mod in models[0].layers if not isinstance(mod, torch.nn.Linear)][:depth]
    widths = [models[0].in_features, *(max(m.hidden_sizes[i] for m in models) for i in range(depth)), 1]
    K = len(models)
    W, B = [], []
    for layer in range(depth + 1):                         # stacked, zero-padded (K, fan_in, fan_out)
        w = torch.zeros(K, widths[layer], widths[layer + 1])
        b = torch.zeros(K, 1, widths[layer + 1])
        for k, lins in enumerate(linears):
            out_f, in_f = lins[layer].weight.shape
            w[k, :in_f, :out_f] = lins[layer].weight.detach().T
            b[k, 0, :out_f] = lins[layer].bias.detach()
        W.append(w.requires_grad_())
        B.append(b.requires_grad_())
    X = torch.stack([d[0].float() for d in data])          # (K, N, d)
    y = torch.stack([d[1].float() for d in data])          # (K, N)
    optimizer = torch.optim.Adam([*W, *B], lr=lr)
    for _ in range(steps):
        h = X
        for layer in range(depth):
            h = acts[layer](torch.baddbmm(B[layer], h, W[layer]))   # (K, N, width)
        z = torch.baddbmm(B[depth], h, W[depth])[..., 0]           # (K, N)
        losses = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none").mean(dim=1)
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()              # the models share nothing: each gets its own gradient
        optimizer.step()
    with torch.no_grad():
        for k, lins in enumerate(linears):
            for layer, lin in enumerate(lins):
                out_f, in_f = lin.weight.shape
                lin.weight.copy_(W[layer][k, :in_f, :out_f].T)
                lin.bias.copy_(B[layer][k, 0, :out_f])
    return losses.detach().tolist()


@functools.lru_cache(maxsize=1)
def train_grid() -> dict[tuple[str, int, int], dict[str, Any]]:
    """The explorer's 24 trained networks, trained once per process, then cached.

    Returns:
        ``{(data set, depth, width): {"model": MLP, "loss": float, "accuracy": float, "parameters": int}}``;
        every network is ``MLP(2, (width,) * depth, 1, activation="relu", seed=0)``.
    """
    out: dict[tuple[str, int, int], dict[str, Any]] = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # tiny networks: one thread is many times faster than two on a busy machine
    try:
        _train_grid_into(out)
    finally:
        torch.set_num_threads(threads)
    return out


def _train_grid_into(out: dict) -> None:
    from nbcourse.models import MLP

    with torch.random.fork_rng(devices=[]):
        for depth in GRID_DEPTHS:
            keys = [(name, depth, width) for name in GRID_DATASETS for width in GRID_WIDTHS]
            models = [MLP(2, (width,) * depth, 1, activation="relu", seed=0) for _, _, width in keys]
            losses = train_stack(models, [grid_data(name) for name, _, _ in keys])
            for key, model, loss in zip(keys, models, losses):
                X, y = grid_data(key[0])
                with torch.no_grad():
                    accuracy = float(((model(X)[:, 0] > 0).long() == y).float().mean())
                out[key] = {"model": model.eval(), "loss": loss, "accuracy": accuracy,
                            "parameters": sum(p.numel() for p in model.parameters())}


def plot_boundary(ax, predict_proba, X, y, *, lim: float | None = None, resolution: int = 150, contour: bool = True):
    """Draw ``predict_proba`` (a function from an ``(n, 2)`` float tensor to probabilities of class 1) as a
    shaded map on ``ax``, its 0.5 level as a black line, and the points ``(X, y)`` coloured by class."""
    from matplotlib.colors import LinearSegmentedColormap

    X = torch.as_tensor(X, dtype=torch.float32)
    y = np.asarray(y)
    lim = float(X.abs().max()) * 1.15 if lim is None else lim
    g = torch.linspace(-lim, lim, resolution)
    gx, gy = torch.meshgrid(g, g, indexing="xy")
    with torch.no_grad():
        p = torch.as_tensor(predict_proba(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1))).reshape(gx.shape)
    cmap = LinearSegmentedColormap.from_list("classes", ["#cfe3f2", "#ffffff", "#f6d5c0"])
    ax.contourf(gx.numpy(), gy.numpy(), p.numpy(), levels=np.linspace(0, 1, 11), cmap=cmap, vmin=0, vmax=1)
    if contour and p.min() < 0.5 < p.max():
        ax.contour(gx.numpy(), gy.numpy(), p.numpy(), levels=[0.5], colors="k", linewidths=1.2)
    for c in (0, 1):
        pts = X[y == c].numpy()
        ax.scatter(pts[:, 0], pts[:, 1], s=10, color=CLASS_COLORS[c], label=f"class {c}", edgecolors="none")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def boundary_figure(dataset: str = "circles", depth: int = 1, width: int = 8):
    """The decision boundary of the grid's network ``(dataset, depth, width)`` (from :func:`train_grid`) over
    its training data, with its parameter count and training accuracy. Returns the Figure."""
    import matplotlib.pyplot as plt

    if (dataset, depth, width) not in train_grid():
        raise ValueError(f"boundary_figure: no network ({dataset!r}, depth={depth}, width={width}) in the grid; "
                         f"data sets {GRID_DATASETS}, depths {GRID_DEPTHS}, widths {GRID_WIDTHS}")
    run = train_grid()[(dataset, depth, width)]
    model = run["model"]
    X, y = grid_data(dataset)
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    plot_boundary(ax, lambda g: torch.sigmoid(model(g)[:, 0]), X, y, lim=1.45 if dataset == "circles" else 1.25)
    arch = " \u2192 ".join(["2", *[str(width)] * depth, "1"])
    with torch.no_grad():
        g = torch.linspace(-1.5, 1.5, 61)
        z = model(torch.cartesian_prod(g, g))[:, 0]
    flat = ", one class everywhere" if bool((z > 0).all() or (z <= 0).all()) else ""
    ax.set_title(f"{arch} ({run['parameters']} parameters)\ntraining accuracy {run['accuracy']:.0%}{flat}", fontsize=10)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    return fig


@register
def depth_width_explorer() -> Interactive:
    """Depth (1-3 hidden layers) and width (2-16 units) against the decision boundary, on two data sets
    (24 networks, trained once when the first frame is drawn).

    Examples::

        >>> depth_width_explorer().start_values
        {'dataset': 'circles', 'depth': 1, 'width': 8}
    """
    return interactive(
        boundary_figure,
        dataset=Options(list(GRID_DATASETS), label="data set"),
        depth=Options(list(GRID_DEPTHS), default=1, slider=True, label="hidden layers"),
        width=Options(list(GRID_WIDTHS), default=8, slider=True, label="units per layer"),
        title="Depth and width against the decision boundary (ReLU networks, full-batch Adam)",
        dpi=80,
    )


# ---------------------------------------------------------------------------------- layer by layer

def layer_outputs(model, X: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """Every layer's output of an :class:`~nbcourse.models.MLP` on ``X``: ``[("input", X), ("hidden 1", h1), ...,
    ("output", logits)]``, the hidden ones taken after the activation. Shapes ``(N, width)``."""
    out = [("input", X.detach())]
    h = X
    hidden = 0
    with torch.no_grad():
        for name, layer in model.layers.named_children():
            h = layer(h)
            if name.startswith("act"):
                hidden += 1
                out.append((f"hidden {hidden}", h.clone()))
    out.append(("output", h.clone()))
    return out


def neighbour_agreement(H: torch.Tensor, y: torch.Tensor, *, k: int = 10) -> float:
    r"""How often a case's ``k`` nearest neighbours (Euclidean, the case itself left out) share its label.

    .. math::
        A = \frac{1}{Nk} \sum_{n} \sum_{j \in \mathcal{N}_k(n)} [y_j = y_n]

    1 when every neighbourhood is pure; about 0.5 for two balanced classes mixed at random.

    Examples::

        >>> H = torch.tensor([[0.0], [0.1], [5.0], [5.1]]); y = torch.tensor([0, 0, 1, 1])
        >>> neighbour_agreement(H, y, k=1)
        1.0
    """
    H = torch.as_tensor(H, dtype=torch.float64).reshape(len(y), -1)
    y = torch.as_tensor(y)
    d = torch.cdist(H, H)
    d.fill_diagonal_(float("inf"))
    nearest = d.topk(k, largest=False).indices                   # (N, k)
    return float((y[nearest] == y[:, None]).double().mean())


def _pca2(H: torch.Tensor) -> np.ndarray:
    H = H.double() - H.double().mean(dim=0)
    if H.shape[1] == 1:
        return torch.cat([H, torch.zeros_like(H)], dim=1).numpy()
    _, _, V = torch.linalg.svd(H, full_matrices=False)
    return (H @ V[:2].T).numpy()


def representations_figure(model, X: torch.Tensor, y: torch.Tensor, *, k: int = 50):
    """Each layer's representation of ``X`` (first two principal components; the output logit against a
    zero axis), coloured by label, titled with :func:`neighbour_agreement`. Returns the Figure."""
    import matplotlib.pyplot as plt

    outs = layer_outputs(model, X)
    cols = min(3, len(outs))                              # rows of three panels, readable in a column
    rows = -(-len(outs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.flat[len(outs):]:
        ax.remove()
    y_np = np.asarray(y)
    for ax, (name, H) in zip(axes.flat, outs):
        P = _pca2(H)
        for c in (0, 1):
            ax.scatter(P[y_np == c, 0], P[y_np == c, 1], s=6, color=CLASS_COLORS[c], edgecolors="none")
        agree = neighbour_agreement(H, y, k=k)
        units = f"{H.shape[1]} unit{'s' if H.shape[1] > 1 else ''}"
        ax.set_title(f"{name} ({units})\nneighbours agree: {agree:.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("PC 1" if H.shape[1] > 1 else "logit")
        ax.set_ylabel("PC 2" if H.shape[1] > 1 else "")
    fig.suptitle(f"Layer by layer, the classes pull apart\n(neighbours agree: share of each case's {k} "
                 "nearest neighbours with its label)", fontsize=10)
    fig.tight_layout()
    return fig
