r"""Metric learning around the siamese and triplet networks: triplet categories, mining, and measures.

The losses themselves are :func:`nbcourse.losses.contrastive` and :func:`nbcourse.losses.triplet`;
this module holds what surrounds them:

* which triplets a batch holds (:func:`triplet_categories`, :func:`count_triplets`). For an
  anchor :math:`a`, a positive :math:`p` (same class) and a negative :math:`n` (another class),
  with :math:`d_{ap} = \lVert f(a) - f(p) \rVert`, :math:`d_{an} = \lVert f(a) - f(n) \rVert` and the
  margin :math:`m` (Schroff, Kalenichenko and Philbin 2015):

  ===============  =======================================  ===========================================
  category         condition                                triplet loss :math:`\max(0, m + d_{ap} - d_{an})`
  ===============  =======================================  ===========================================
  easy             :math:`d_{an} \ge d_{ap} + m`            0: no gradient, nothing learned
  semi-hard        :math:`d_{ap} \le d_{an} < d_{ap} + m`   in :math:`(0, m]`: right order, not by enough
  hard             :math:`d_{an} < d_{ap}`                  above :math:`m`: the negative is closer
  ===============  =======================================  ===========================================

* which triplets to train on (:func:`mine_triplets`: random, semi-hard or hardest negatives, chosen
  inside each batch from its labels; :class:`BatchTripletLoss` puts mining and loss in one
  ``loss_fn(embeddings, labels)`` the :class:`~nbcourse.train.Trainer` can call);
* adapters that let the trainer's ``loss_fn(y_hat, y)`` call a pair or triplet loss on the stacked
  output of a :class:`~nbcourse.models.SiameseNetwork` or :class:`~nbcourse.models.TripletNetwork`
  (:class:`PairLoss`, :class:`TripletStackLoss`);
* how good an embedding is: :func:`pair_distance_report` (means, ROC AUC and overlap of the
  distances of similar and dissimilar pairs) and :func:`knn_accuracy`.
"""

from __future__ import annotations

import torch
from torch import nn

from nbcourse.losses import triplet as triplet_loss

__all__ = ["CATEGORIES", "MINING", "pairwise_distances", "triplet_categories", "count_triplets", "mine_triplets",
           "BatchTripletLoss", "PairLoss", "TripletStackLoss", "roc_auc", "pair_distance_report", "knn_accuracy",
           "MARGINS", "margin_study", "unseen_pairs"]

CATEGORIES = ("easy", "semi-hard", "hard")
"""The names of the codes :func:`triplet_categories` returns (0, 1, 2)."""

MINING = ("random", "semi-hard", "hardest")
"""The strategies of :func:`mine_triplets`."""


def _tensor(x, name, where, *, dim=None):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{where}: argument {name!r} got {type(x).__name__}, expected a tensor")
    if dim is not None and x.dim() != dim:
        raise ValueError(f"{where}: argument {name!r} has shape {tuple(x.shape)}, expected {dim} dimension(s)")
    return x


def _margin(margin, where):
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin >= 0:
        raise ValueError(f"{where}: argument 'margin' got {margin!r}, expected a number >= 0")
    return float(margin)


def _embeddings_and_labels(embeddings, labels, where):
    E = _tensor(embeddings, "embeddings", where, dim=2)
    y = _tensor(labels, "labels", where, dim=1)
    if len(y) != len(E):
        raise ValueError(f"{where}: embeddings has {len(E)} rows but labels has {len(y)} entries; they must match")
    if y.is_floating_point():
        raise TypeError(f"{where}: labels must be integer class labels, got {y.dtype}; use labels.long()")
    return E, y


def pairwise_distances(embeddings: torch.Tensor) -> torch.Tensor:
    r"""All Euclidean distances :math:`D_{ij} = \lVert e_i - e_j \rVert_2`: ``(N, D) -> (N, N)``.

    Examples::

        >>> pairwise_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
        tensor([[0., 5.],
                [5., 0.]])
    """
    E = _tensor(embeddings, "embeddings", "pairwise_distances", dim=2)
    return torch.cdist(E, E)


def triplet_categories(d_ap, d_an, margin: float = 1.0) -> torch.Tensor:
    r"""The category of each triplet from its two distances: 0 easy, 1 semi-hard, 2 hard (:data:`CATEGORIES`).

    easy :math:`d_{an} \ge d_{ap} + m`; semi-hard :math:`d_{ap} \le d_{an} < d_{ap} + m`; hard
    :math:`d_{an} < d_{ap}`.

    Args:
        d_ap: anchor-positive distances. d_an: anchor-negative distances (same shape).
        margin: :math:`m \ge 0` (default 1.0).

    Examples::

        >>> triplet_categories(torch.tensor([1.0, 1.0, 1.0]), torch.tensor([2.5, 1.5, 0.5]), margin=1.0)
        tensor([0, 1, 2])
    """
    where = "triplet_categories"
    d_ap, d_an = torch.as_tensor(d_ap), torch.as_tensor(d_an)
    if d_ap.shape != d_an.shape:
        raise ValueError(f"{where}: d_ap has shape {tuple(d_ap.shape)} but d_an has {tuple(d_an.shape)}; they must match")
    m = _margin(margin, where)
    codes = torch.ones(d_ap.shape, dtype=torch.int64)
    codes[d_an >= d_ap + m] = 0
    codes[d_an < d_ap] = 2
    return codes


def _masks(y):
    same = y[:, None] == y[None, :]
    eye = torch.eye(len(y), dtype=torch.bool, device=y.device)
    return same & ~eye, ~same  # positives (a != p, same class), negatives


@torch.no_grad()
def count_triplets(embeddings: torch.Tensor, labels: torch.Tensor, *, margin: float = 1.0) -> dict:
    r"""How many of the batch's valid triplets are easy, semi-hard and hard.

    A valid triplet is any :math:`(a, p, n)` with :math:`a \ne p`, :math:`y_a = y_p \ne y_n`; a batch of
    :math:`N` samples holds :math:`O(N^3)` of them (all are counted).

    Returns:
        ``{"easy": int, "semi-hard": int, "hard": int, "total": int}``.

    Examples::

        >>> E = torch.tensor([[0.0], [0.5], [3.0], [0.2]])  # classes 0, 0, 1, 1
        >>> count_triplets(E, torch.tensor([0, 0, 1, 1]), margin=1.0)
        {'easy': 2, 'semi-hard': 1, 'hard': 5, 'total': 8}
    """
    E, y = _embeddings_and_labels(embeddings, labels, "count_triplets")
    m = _margin(margin, "count_triplets")
    D = torch.cdist(E, E)
    pos, neg = _masks(y)
    valid = pos[:, :, None] & neg[:, None, :]              # (a, p, n)
    d_ap, d_an = D[:, :, None], D[:, None, :]
    hard = valid & (d_an < d_ap)
    easy = valid & (d_an >= d_ap + m)
    total = int(valid.sum())
    counts = {"easy": int(easy.sum()), "hard": int(hard.sum())}
    return {"easy": counts["easy"], "semi-hard": total - counts["easy"] - counts["hard"], "hard": counts["hard"],
            "total": total}


@torch.no_grad()
def mine_triplets(embeddings: torch.Tensor, labels: torch.Tensor, *, margin: float = 1.0,
                  strategy: str = "semi-hard", generator: torch.Generator | None = None):
    r"""Choose one negative for every anchor-positive pair of a batch.

    Every pair :math:`(a, p)` with :math:`a \ne p` and :math:`y_a = y_p` is kept (as FaceNet does),
    and its negative is chosen among the samples of other classes by ``strategy``:

    - ``"random"``: uniformly at random (what random triplets give);
    - ``"semi-hard"``: the closest negative that is not closer than the positive,
      :math:`\arg\min_{n:\, d_{an} \ge d_{ap}} d_{an}` (semi-hard if it lies within the margin, else
      easy); where every negative is closer than the positive, the farthest one (as TensorFlow
      Addons' ``triplet_semihard_loss``);
    - ``"hardest"``: the closest negative, :math:`\arg\min_n d_{an}` (FaceNet warns it can collapse
      the embedding early in training).

    Distances are computed without gradients: mining only picks indices; the loss is then
    computed on the embeddings, so gradients flow through them.

    Args:
        embeddings: ``(N, D)``. labels: ``(N,)`` integer classes.
        margin: :math:`m` (used by ``"semi-hard"`` only through the categories; default 1.0).
        strategy: one of :data:`MINING` (default ``"semi-hard"``).
        generator: for ``"random"`` (default None: PyTorch's global generator).

    Returns:
        ``(anchor, positive, negative)``: three int64 index tensors of equal length (0 when the
        batch has no anchor-positive pair with a negative).

    Examples::

        >>> E = torch.tensor([[0.0], [1.0], [0.5], [3.0]])
        >>> a, p, n = mine_triplets(E, torch.tensor([0, 0, 1, 1]), strategy="hardest")
        >>> a.tolist(), p.tolist(), n.tolist()
        ([0, 1, 2, 3], [1, 0, 3, 2], [2, 2, 0, 1])
        >>> a, p, n = mine_triplets(E, torch.tensor([0, 0, 1, 1]), strategy="semi-hard")
        >>> n.tolist()  # anchor 0: the negative at 0.5 is closer than the positive at 1.0, so the one at 3
        [3, 3, 0, 0]
    """
    where = "mine_triplets"
    E, y = _embeddings_and_labels(embeddings, labels, where)
    _margin(margin, where)
    if strategy not in MINING:
        raise ValueError(f"{where}: argument 'strategy' got {strategy!r}, expected one of {MINING}")
    D = torch.cdist(E.detach().float(), E.detach().float())
    pos, neg = _masks(y)
    a, p = pos.nonzero(as_tuple=True)
    has_negative = neg[a].any(dim=1)
    a, p = a[has_negative], p[has_negative]
    if len(a) == 0:
        empty = torch.zeros(0, dtype=torch.int64, device=E.device)
        return empty, empty, empty
    d_an = D[a]                                            # (P, N): each anchor's distance to every sample
    is_neg = neg[a]
    inf = torch.tensor(float("inf"), device=D.device)
    if strategy == "hardest":
        n = torch.where(is_neg, d_an, inf).argmin(dim=1)
    elif strategy == "semi-hard":
        d_ap = D[a, p][:, None]
        farther = is_neg & (d_an >= d_ap)
        closest_farther = torch.where(farther, d_an, inf).argmin(dim=1)
        farthest = torch.where(is_neg, d_an, -inf).argmax(dim=1)
        n = torch.where(farther.any(dim=1), closest_farther, farthest)
    else:
        # a uniform draw among the negatives: the largest of independent uniform scores
        scores = torch.rand(is_neg.shape, generator=generator).to(E.device)
        n = torch.where(is_neg, scores, -1.0).argmax(dim=1)
    return a, p, n


class BatchTripletLoss(nn.Module):
    r"""Triplet loss on triplets mined from a labelled batch: ``loss_fn(embeddings, labels)``.

    .. math::
        L = \frac{1}{|T|} \sum_{(a, p, n) \in T} \max\big(0,\; m + \lVert e_a - e_p \rVert - \lVert e_a - e_n \rVert\big)

    with :math:`T` = :func:`mine_triplets` (``strategy=mining``) of the batch; the loss is
    :func:`nbcourse.losses.triplet`. The trainer passes the embedding network's output as
    ``embeddings`` and the digits as ``labels``. A batch without a triplet gives a loss of 0.

    Args:
        margin: :math:`m` (default 1.0). mining: one of :data:`MINING` (default ``"semi-hard"``).
        seed: seeds the generator of ``mining="random"`` (default None: PyTorch's global one).

    Attributes:
        targets: ``("triplets",)``: the labels are read to mine triplets (the trainer's pre-flight
            leaves them unchecked). last_counts: the categories of the last batch's mined triplets.

    Shape:
        embeddings :math:`(N, D)`, labels :math:`(N,)` -> a scalar.

    Examples::

        >>> loss_fn = BatchTripletLoss(margin=1.0, mining="hardest")
        >>> E = torch.tensor([[0.0], [1.0], [0.5], [3.0]])
        >>> loss_fn(E, torch.tensor([0, 0, 1, 1]))  # mean of 1.5, 1.5, 3.0 and 1.5
        tensor(1.8750)
    """

    targets = ("triplets",)

    def __init__(self, margin: float = 1.0, mining: str = "semi-hard", *, seed: int | None = None) -> None:
        super().__init__()
        self.margin = _margin(margin, "BatchTripletLoss")
        if mining not in MINING:
            raise ValueError(f"BatchTripletLoss: argument 'mining' got {mining!r}, expected one of {MINING}")
        self.mining = mining
        self.seed = seed
        self._generator = None if seed is None else torch.Generator().manual_seed(seed)
        self.last_counts: dict | None = None

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        a, p, n = mine_triplets(embeddings, labels, margin=self.margin, strategy=self.mining,
                                generator=self._generator)
        if len(a) == 0:
            return embeddings.sum() * 0.0  # keeps the graph, so backward runs (and does nothing)
        e = embeddings
        with torch.no_grad():
            d_ap = torch.linalg.vector_norm(e[a] - e[p], dim=-1)
            d_an = torch.linalg.vector_norm(e[a] - e[n], dim=-1)
            codes = triplet_categories(d_ap.cpu(), d_an.cpu(), self.margin)
            self.last_counts = {name: int((codes == i).sum()) for i, name in enumerate(CATEGORIES)}
        return triplet_loss(e[a], e[p], e[n], margin=self.margin, eps=0.0)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, mining={self.mining!r}, seed={self.seed}"


class PairLoss(nn.Module):
    r"""``loss_fn(y_hat, same)`` for the trainer, over a pair loss ``loss(x1, x2, same)``.

    ``y_hat`` is a siamese network's stacked output ``(N, 2, D)``; the pair loss gets
    ``y_hat[:, 0]``, ``y_hat[:, 1]`` and ``same``.

    Args:
        loss: a pair loss, e.g. ``nbcourse.losses.ContrastiveLoss(margin=1.0)`` or
            ``nbcourse.losses.contrastive`` (default: the latter, with margin 1).

    Examples::

        >>> from nbcourse.losses import ContrastiveLoss
        >>> y_hat = torch.tensor([[[0.0, 0.0], [0.6, 0.8]], [[0.0, 0.0], [0.3, 0.4]]])
        >>> PairLoss(ContrastiveLoss(margin=1.0))(y_hat, torch.tensor([1, 0]))  # (0.5 + 0.125) / 2
        tensor(0.3125)
    """

    targets = ("pairs",)

    def __init__(self, loss=None) -> None:
        super().__init__()
        from nbcourse.losses import contrastive

        loss = contrastive if loss is None else loss
        if not callable(loss):
            raise TypeError(f"PairLoss: argument 'loss' got {loss!r}, expected a pair loss loss(x1, x2, same)")
        self.loss = loss

    def forward(self, y_hat: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
        if not isinstance(y_hat, torch.Tensor) or y_hat.dim() < 2 or y_hat.shape[1] != 2:
            shape = tuple(y_hat.shape) if isinstance(y_hat, torch.Tensor) else type(y_hat).__name__
            raise ValueError(f"PairLoss: y_hat has shape {shape}, expected the two embeddings stacked, (N, 2, D): "
                             "the output of SiameseNetwork(X) with X of shape (N, 2, ...)")
        return self.loss(y_hat[:, 0], y_hat[:, 1], same)


class TripletStackLoss(nn.Module):
    r"""``loss_fn(y_hat, y)`` for the trainer, over ``triplet(anchor, positive, negative)``.

    ``y_hat`` is a triplet network's stacked output ``(N, 3, D)``; ``y`` (the triplets' labels) is
    not used: given triplets carry their roles in their order.

    Args:
        margin: :math:`m` (default 1.0).

    Examples::

        >>> y_hat = torch.tensor([[[0.0, 0.0], [0.0, 1.0], [3.0, 0.0]]])
        >>> TripletStackLoss(margin=2.5)(y_hat, torch.zeros(1, 3, dtype=torch.long))
        tensor(0.5000)
    """

    targets = ("triplets",)

    def __init__(self, margin: float = 1.0) -> None:
        super().__init__()
        self.margin = _margin(margin, "TripletStackLoss")

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(y_hat, torch.Tensor) or y_hat.dim() < 2 or y_hat.shape[1] != 3:
            shape = tuple(y_hat.shape) if isinstance(y_hat, torch.Tensor) else type(y_hat).__name__
            raise ValueError(f"TripletStackLoss: y_hat has shape {shape}, expected (N, 3, D): the output of "
                             "TripletNetwork(X) with X of shape (N, 3, ...)")
        return triplet_loss(y_hat[:, 0], y_hat[:, 1], y_hat[:, 2], margin=self.margin, eps=0.0)

    def extra_repr(self) -> str:
        return f"margin={self.margin}"


def roc_auc(distances, same) -> float:
    r"""Area under the ROC curve of "similar when the distance is small".

    The probability that a random dissimilar pair is farther apart than a random similar one
    (ties count one half): 1 separates perfectly, 0.5 is chance (Mann-Whitney U / (n_s n_d)).

    Examples::

        >>> roc_auc(torch.tensor([0.1, 0.4, 0.9, 0.3]), torch.tensor([1, 1, 0, 0]))  # 0.4 > 0.3: one of four orders wrong
        0.75
    """
    d = torch.as_tensor(distances, dtype=torch.float64).flatten()
    s = torch.as_tensor(same).flatten().bool()
    if d.shape != s.shape:
        raise ValueError(f"roc_auc: distances has {d.numel()} entries but same has {s.numel()}; they must match")
    d_same, d_diff = d[s], d[~s]
    if len(d_same) == 0 or len(d_diff) == 0:
        raise ValueError("roc_auc: needs both similar (same=1) and dissimilar (same=0) pairs")
    greater = (d_diff[:, None] > d_same[None, :]).double().sum()
    ties = (d_diff[:, None] == d_same[None, :]).double().sum()
    return float((greater + 0.5 * ties) / (len(d_same) * len(d_diff)))


def pair_distance_report(distances, same, *, bins: int = 30) -> dict:
    r"""How well distances separate similar from dissimilar pairs.

    Returns a dict: ``mean_same``, ``mean_diff`` (mean distances), ``ratio`` (``mean_diff /
    mean_same``, scale-free), ``auc`` (:func:`roc_auc`), ``overlap`` (the overlap coefficient
    :math:`\sum_b \min(p_b, q_b)` of the two histograms over ``bins`` common bins: 1 identical, 0
    disjoint) and ``accuracy`` (of the best single threshold "same if d < t").

    Examples::

        >>> r = pair_distance_report(torch.tensor([0.1, 0.2, 2.0, 3.0]), torch.tensor([1, 1, 0, 0]))
        >>> r["auc"], r["overlap"], r["accuracy"]
        (1.0, 0.0, 1.0)
    """
    d = torch.as_tensor(distances, dtype=torch.float64).flatten()
    s = torch.as_tensor(same).flatten().bool()
    auc = roc_auc(d, s)
    d_same, d_diff = d[s], d[~s]
    edges = torch.linspace(float(d.min()), float(d.max()) + 1e-12, bins + 1, dtype=torch.float64)
    p = torch.histogram(d_same, edges).hist / len(d_same)
    q = torch.histogram(d_diff, edges).hist / len(d_diff)
    order = torch.argsort(d)
    correct_if_cut = torch.cumsum(s[order].double(), 0) + (len(d_diff) - torch.cumsum((~s[order]).double(), 0))
    best = max(float(correct_if_cut.max()), float(len(d_diff)))  # cut after k pairs, or call none similar
    return {"mean_same": float(d_same.mean()), "mean_diff": float(d_diff.mean()),
            "ratio": float(d_diff.mean() / d_same.mean()) if float(d_same.mean()) > 0 else float("inf"),
            "auc": auc, "overlap": float(torch.minimum(p, q).sum()), "accuracy": best / len(d)}


@torch.no_grad()
def knn_accuracy(X: torch.Tensor, y: torch.Tensor, *, k: int = 1, X_ref: torch.Tensor | None = None,
                 y_ref: torch.Tensor | None = None) -> float:
    r"""Accuracy of the k-nearest-neighbour vote (Euclidean) in a representation.

    With ``X_ref``/``y_ref`` the neighbours come from that reference set; without, each sample's
    neighbours are the *other* samples of ``X`` (leave-one-out). Ties of the vote go to the
    nearest neighbour's label among those tied.

    Args:
        X: ``(N, D)`` queries (embeddings, or raw pixels as the baseline). y: ``(N,)`` labels.
        k: neighbours (default 1).

    Examples::

        >>> X = torch.tensor([[0.0], [0.1], [5.0], [5.2]])
        >>> knn_accuracy(X, torch.tensor([0, 0, 1, 1]))
        1.0
        >>> knn_accuracy(X, torch.tensor([0, 1, 0, 1]))
        0.0
    """
    where = "knn_accuracy"
    X, y = _embeddings_and_labels(X.reshape(len(X), -1) if isinstance(X, torch.Tensor) else X, y, where)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"{where}: argument 'k' got {k!r}, expected a positive integer")
    loo = X_ref is None
    if loo:
        X_ref, y_ref = X, y
    elif y_ref is None:
        raise ValueError(f"{where}: X_ref given without y_ref")
    X_ref, y_ref = _embeddings_and_labels(X_ref.reshape(len(X_ref), -1), y_ref, where)
    D = torch.cdist(X.double(), X_ref.double())
    if loo:
        D.fill_diagonal_(float("inf"))
    k = min(k, D.shape[1] - int(loo))
    nearest = D.topk(k, dim=1, largest=False).indices             # (N, k), nearest first
    votes = y_ref[nearest]
    classes = torch.unique(y_ref)
    counts = (votes[:, :, None] == classes[None, None, :]).sum(dim=1)  # (N, C)
    top = counts.max(dim=1, keepdim=True).values
    # among the classes with the most votes, the one of the nearest neighbour that has it
    tied = (votes[:, :, None] == classes[None, None, :]) & (counts == top)[:, None, :]
    first = tied.any(dim=2).float().argmax(dim=1)
    predicted = votes[torch.arange(len(votes)), first]
    return float((predicted == y).double().mean())


# ------------------------------------------------------------------------------------------------
# the margin as a control: a few short siamese runs on the digits, for the page and its explorer
# ------------------------------------------------------------------------------------------------

MARGINS = (0.25, 0.5, 1.0, 2.0)
"""The margins :func:`margin_study` trains with by default."""


def margin_study(margins=MARGINS, *, embedding_dim: int = 16, n_pairs: int = 3000, epochs: int = 6,
                 holdout=(8, 9), seed: int = 0) -> dict:
    r"""Train one :class:`~nbcourse.models.SiameseNetwork` per margin with the contrastive loss and
    return the distances of test pairs: the margin as a control.

    Every run starts from the same initial weights (``seed``) and sees the same ``n_pairs``
    training pairs of the seen digits for ``epochs`` epochs (Adam, lr 1e-3, batches of 64). Two
    test sets of 1,000 pairs: ``"seen"`` (new samples of the training digits) and ``"unseen"``
    (pairs with at least one of the ``holdout`` digits, never trained on).

    Returns:
        ``{margin: {"seen": (distances, same), "unseen": (distances, same), "loss": [per epoch]}}``
        with numpy arrays; and under the key ``"before"`` the same for the untrained network.
    """
    import numpy as np

    from nbcourse.data.pairs import load_metric_digits, make_pairs
    from nbcourse.losses import ContrastiveLoss
    from nbcourse.models import SiameseNetwork
    from nbcourse.train import Trainer

    data = load_metric_digits(holdout=holdout, seed=seed)
    pairs, same, _ = make_pairs(data.X_train, data.y_train, n_pairs, seed=seed)
    tests = {"seen": make_pairs(data.X_test, data.y_test, 1000, seed=seed + 1)[:2],
             "unseen": unseen_pairs(data, 1000, seed=seed + 2)}

    def distances(model):
        with torch.no_grad():
            return {name: (model.distance(P[:, 0], P[:, 1]).numpy(), s.numpy()) for name, (P, s) in tests.items()}

    study = {"before": distances(SiameseNetwork(embedding_dim=embedding_dim, seed=seed))}
    for margin in margins:
        model = SiameseNetwork(embedding_dim=embedding_dim, seed=seed)
        trainer = Trainer(model, PairLoss(ContrastiveLoss(margin=margin)),
                          torch.optim.Adam(model.parameters(), lr=1e-3), device="cpu", seed=seed)
        history = trainer.fit((pairs, same), epochs=epochs, batch_size=64)
        study[margin] = {**distances(model), "loss": list(np.asarray(history["train_loss"], dtype=float))}
    return study


def unseen_pairs(data, n_pairs: int, *, seed: int = 0):
    r"""Balanced pairs in which at least one element is a held-out digit (never trained on).

    Similar pairs are two samples of a held-out digit; dissimilar pairs a held-out digit and any
    other digit (held out or a test sample of a seen one). ``data`` is a
    :class:`~nbcourse.data.pairs.MetricDigits`. Returns ``(pairs, same)`` as
    :func:`~nbcourse.data.pairs.make_pairs`.
    """
    import numpy as np

    g = np.random.default_rng(seed)
    X_all = torch.cat([data.X_new, data.X_test])
    y_all = torch.cat([data.y_new, data.y_test]).numpy()
    n_new = len(data.X_new)
    new_digits = np.unique(data.y_new.numpy())
    rows, same = [], []
    for k in range(n_pairs):
        if k < n_pairs // 2:
            d = g.choice(new_digits)
            i, j = g.choice(np.flatnonzero(y_all[:n_new] == d), size=2, replace=False)
            same.append(1)
        else:
            i = int(g.integers(n_new))
            j = int(g.choice(np.flatnonzero(y_all != y_all[i])))
            same.append(0)
        rows.append((int(i), int(j)) if g.random() < 0.5 else (int(j), int(i)))
    order = g.permutation(n_pairs)
    index = torch.as_tensor(np.asarray(rows, dtype=np.int64)[order])
    return X_all[index], torch.as_tensor(np.asarray(same, dtype=np.int64)[order])
