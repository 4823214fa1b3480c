r"""Siamese network: one embedding network applied to both elements of a pair (Bromley et al., 1993).

Two inputs go through *the same* network :math:`f_\theta` (one set of weights, "twin branches"),
and the pair is judged by the distance between the two embeddings:

.. math::
    e_1 = f_\theta(x_1), \qquad e_2 = f_\theta(x_2), \qquad d = \lVert e_1 - e_2 \rVert_2 .

Because the branches share :math:`\theta`, the gradient of a loss on :math:`(e_1, e_2)` is the sum
of what flows back through each branch, and the model is symmetric: swapping :math:`x_1` and
:math:`x_2` swaps :math:`e_1` and :math:`e_2` and leaves :math:`d` unchanged. Trained with the
contrastive loss (:func:`nbcourse.losses.contrastive`, Hadsell, Chopra and LeCun 2006), similar
pairs end close and dissimilar pairs at least a margin apart, so the distance answers "same or
different?" even for classes never seen in training (verification).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .mlp import MLP

__all__ = ["SiameseNetwork", "make_embedding_net"]


def make_embedding_net(in_features: int = 64, hidden_sizes: Sequence[int] = (64,), embedding_dim: int = 2, *,
                       activation="relu", seed: int | None = None) -> MLP:
    """The default branch: an :class:`~nbcourse.models.MLP` ``in_features -> hidden_sizes -> embedding_dim``
    (no activation on the embedding). Shared by :class:`SiameseNetwork` and ``TripletNetwork``."""
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1:
        raise ValueError(f"argument 'embedding_dim' got {embedding_dim!r}, expected a positive integer")
    return MLP(in_features, tuple(hidden_sizes), embedding_dim, activation=activation, seed=seed)


class _SharedBranches(nn.Module):
    """``n_branches`` inputs, one embedding network. Base of SiameseNetwork (2) and TripletNetwork (3)."""

    n_branches = 2
    input_names: tuple = ("x1", "x2")

    def __init__(self, embedding_net: nn.Module | None = None, *, in_features: int = 64,
                 hidden_sizes: Sequence[int] = (64,), embedding_dim: int = 2, activation="relu",
                 seed: int | None = None) -> None:
        super().__init__()
        where = type(self).__name__
        if embedding_net is None:
            try:
                embedding_net = make_embedding_net(in_features, hidden_sizes, embedding_dim,
                                                   activation=activation, seed=seed)
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
        elif not isinstance(embedding_net, nn.Module):
            raise TypeError(f"{where}: argument 'embedding_net' got {type(embedding_net).__name__}, expected a "
                            "torch.nn.Module (the one branch both inputs go through) or None for an MLP")
        self.embedding = embedding_net  # ONE module: every branch is this module, so the weights are shared

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """The embedding of each sample: ``(N, *features) -> (N, D)``."""
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"{type(self).__name__}.embed: argument 'X' got {type(X).__name__}, expected a tensor")
        return self.embedding(X)

    def forward(self, *inputs: torch.Tensor):
        where = f"{type(self).__name__}.forward"
        k = self.n_branches
        for name, x in zip(self.input_names, inputs):
            if not isinstance(x, torch.Tensor):
                raise TypeError(f"{where}: argument {name!r} got {type(x).__name__}, expected a tensor")
        if len(inputs) == 1:  # stacked: (N, k, *features) -> (N, k, D), the form the Trainer passes
            X = inputs[0]
            if X.dim() < 2 or X.shape[1] != k:
                raise ValueError(f"{where}: one argument must be the {k} inputs stacked, of shape (N, {k}, ...), "
                                 f"got shape {tuple(X.shape)}; or call it with {k} tensors "
                                 f"{', '.join(self.input_names)}")
            N = X.shape[0]
            E = self.embedding(X.reshape(N * k, *X.shape[2:]))  # all branches in one batch: same weights
            return E.reshape(N, k, -1)
        if len(inputs) != k:
            raise TypeError(f"{where}: expected {k} tensors ({', '.join(self.input_names)}) or one stacked "
                            f"tensor of shape (N, {k}, ...), got {len(inputs)}")
        first = inputs[0]
        for name, x in zip(self.input_names[1:], inputs[1:]):
            if x.shape != first.shape:
                raise ValueError(f"{where}: argument {name!r} has shape {tuple(x.shape)}, expected "
                                 f"{tuple(first.shape)} (the shape of {self.input_names[0]!r})")
        return tuple(self.embedding(x) for x in inputs)


class SiameseNetwork(_SharedBranches):
    r"""Twin branches with shared weights: :math:`e_1 = f_\theta(x_1)`, :math:`e_2 = f_\theta(x_2)`,
    :math:`d = \lVert e_1 - e_2 \rVert_2`.

    Args:
        embedding_net: the branch, any ``nn.Module`` mapping ``(N, *features)`` to ``(N, D)``
            (both inputs go through this one module). Default None: an MLP
            ``in_features -> hidden_sizes -> embedding_dim`` with ``activation`` between layers.
        in_features: input size of the default branch (default 64: an 8x8 digit, flattened).
        hidden_sizes: hidden widths of the default branch (default ``(64,)``).
        embedding_dim: :math:`D`, the size of the embedding (default 2, so it can be drawn).
        activation: the default branch's hidden activation (default ``"relu"``).
        seed: seed of the default branch's initial weights (default None: the global generator).

    Attributes:
        embedding: the one branch (``f_theta``); ``model.parameters()`` holds one copy of its weights.

    Shape:
        - ``forward(x1, x2)``: two tensors ``(N, *features)`` -> a pair ``(e1, e2)``, each ``(N, D)``.
        - ``forward(X)``: the pairs stacked, ``(N, 2, *features)`` -> ``(N, 2, D)`` (what
          :class:`~nbcourse.train.Trainer` calls, with :class:`nbcourse.metric.PairLoss`).
        - ``embed(X)``: ``(N, *features)`` -> ``(N, D)``; ``distance(x1, x2)``: ``(N,)``.

    Examples::

        >>> model = SiameseNetwork(in_features=4, hidden_sizes=(8,), embedding_dim=2, seed=0)
        >>> x1, x2 = torch.randn(5, 4), torch.randn(5, 4)
        >>> e1, e2 = model(x1, x2)
        >>> e1.shape, model(torch.stack([x1, x2], dim=1)).shape
        (torch.Size([5, 2]), torch.Size([5, 2, 2]))
        >>> bool(torch.allclose(model.distance(x1, x2), model.distance(x2, x1)))  # symmetric
        True
    """

    n_branches = 2
    input_names = ("x1", "x2")

    def distance(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        r"""Euclidean distance of the embeddings, :math:`\lVert f(x_1) - f(x_2) \rVert_2`, shape ``(N,)``."""
        e1, e2 = self(x1, x2)
        return torch.linalg.vector_norm(e1 - e2, dim=-1)
