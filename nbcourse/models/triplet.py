r"""Triplet network: one embedding network applied to an anchor, a positive and a negative.

.. math::
    e_a = f_\theta(a), \quad e_p = f_\theta(p), \quad e_n = f_\theta(n), \qquad
    \ell = \max\big(0,\; m + \lVert e_a - e_p \rVert - \lVert e_a - e_n \rVert\big)

(Weinberger and Saul 2009 for nearest-neighbour metric learning; Schroff, Kalenichenko and
Philbin 2015, *FaceNet*, for the loss on a deep embedding: :func:`nbcourse.losses.triplet`).
The three branches are one module, so "training a triplet network" means training
:attr:`TripletNetwork.embedding`; the triplets can be given (``forward(a, p, n)``) or mined from a
labelled batch (:func:`nbcourse.metric.mine_triplets`, :class:`nbcourse.metric.BatchTripletLoss`).
"""

from __future__ import annotations

import torch

from .siamese import _SharedBranches

__all__ = ["TripletNetwork"]


class TripletNetwork(_SharedBranches):
    r"""Three branches with shared weights: :math:`(f_\theta(a), f_\theta(p), f_\theta(n))`.

    Args:
        embedding_net: the branch, any ``nn.Module`` mapping ``(N, *features)`` to ``(N, D)``.
            Default None: an MLP ``in_features -> hidden_sizes -> embedding_dim``.
        in_features, hidden_sizes, embedding_dim, activation, seed: the default branch, as for
            :class:`~nbcourse.models.SiameseNetwork` (defaults 64, ``(64,)``, 2, ``"relu"``, None).

    Attributes:
        embedding: the one branch; ``model.parameters()`` holds one copy of its weights.

    Shape:
        - ``forward(anchor, positive, negative)``: three tensors ``(N, *features)`` -> a tuple of
          three embeddings ``(N, D)``.
        - ``forward(X)``: the triplets stacked, ``(N, 3, *features)`` -> ``(N, 3, D)``.
        - ``embed(X)``: ``(N, *features)`` -> ``(N, D)``; ``distances(a, p, n)``: two ``(N,)``.

    Examples::

        >>> model = TripletNetwork(in_features=4, hidden_sizes=(8,), embedding_dim=3, seed=0)
        >>> a, p, n = torch.randn(6, 4), torch.randn(6, 4), torch.randn(6, 4)
        >>> [e.shape for e in model(a, p, n)]
        [torch.Size([6, 3]), torch.Size([6, 3]), torch.Size([6, 3])]
        >>> model(torch.stack([a, p, n], dim=1)).shape
        torch.Size([6, 3, 3])
    """

    n_branches = 3
    input_names = ("anchor", "positive", "negative")

    def distances(self, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor):
        r"""``(d_ap, d_an)``: :math:`\lVert e_a - e_p \rVert_2` and :math:`\lVert e_a - e_n \rVert_2`, each ``(N,)``."""
        e_a, e_p, e_n = self(anchor, positive, negative)
        return (torch.linalg.vector_norm(e_a - e_p, dim=-1), torch.linalg.vector_norm(e_a - e_n, dim=-1))
