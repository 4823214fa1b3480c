r"""Supervised tasks and the output layer each one needs: targets, heads and the lecture's rule of thumb.

The body of a network does not depend on the task; the **output layer** (how many units, which
last activation) and the **loss** do. This module holds that knowledge as code:

- :func:`one_hot` (multi-class targets: exactly one 1 per row) and :func:`multi_hot`
  (multi-label targets: any number of 1s per row), built from labels;
- :func:`recommend_head` (also ``nbcourse.recommend_head``): the lecture's summary table,
  *Rule of thumb*, as a function of the task; :data:`TASKS` lists the tasks it knows;
- :func:`rule_of_thumb`: the whole table as rows, to print or render;
- regression posed as classification: :func:`make_wave` (a 1-d regression problem with
  outliers), :func:`quantise` (targets to bins), :func:`fit_head` (the same small network trained
  with a regression or a classification head) and :func:`bin_experiment`.

Examples::

    >>> from nbcourse.tasks import one_hot, multi_hot, recommend_head
    >>> one_hot([2, 0], num_classes=3)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    >>> multi_hot([[0, 2], []], num_classes=3)
    tensor([[1., 0., 1.],
            [0., 0., 0.]])
    >>> head = recommend_head("multi-label")
    >>> head.units, head.activation, head.losses, head.fused_loss
    ('classes', 'sigmoid', ('bce',), 'bce_with_logits')
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import torch

__all__ = ["Head", "TASKS", "one_hot", "multi_hot", "recommend_head", "rule_of_thumb",
           "make_wave", "quantise", "fit_head", "bin_experiment", "outlier_data", "robust_line_fit", "huber_delta_data"]


# ------------------------------------------------------------------------------------ targets

def _labels_tensor(labels: Any, where: str) -> torch.Tensor:
    if isinstance(labels, torch.Tensor):
        t = labels
    else:
        try:
            t = torch.as_tensor(np.asarray(labels))
        except (TypeError, ValueError):
            raise TypeError(f"{where}: argument 'labels' got {type(labels).__name__}, expected integer class "
                            "labels (a list, numpy array or tensor)") from None
    if t.is_floating_point():
        if not torch.equal(t, t.round()):
            raise TypeError(f"{where}: argument 'labels' holds non-integer values such as "
                            f"{t[t != t.round()][0].item():g}; expected integer class labels 0..C-1")
        t = t.long()
    if t.dtype == torch.bool or t.is_complex() or t.is_floating_point():
        raise TypeError(f"{where}: argument 'labels' got dtype {t.dtype}, expected integer class labels")
    return t.long()


def _check_num_classes(num_classes: Any, where: str) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"{where}: argument 'num_classes' got {num_classes!r}, expected a positive integer")


def one_hot(labels, num_classes: int | None = None, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""One-hot targets for multi-class classification: row :math:`n` is 1 at ``labels[n]``, 0 elsewhere.

    .. math::
        Y_{nc} = \begin{cases} 1 & c = \text{labels}_n \\ 0 & \text{otherwise} \end{cases},
        \qquad \sum_c Y_{nc} = 1

    Cross-entropy on class indices (``cross_entropy(logits, labels)``) equals cross-entropy on
    these probabilities (``cross_entropy(logits, one_hot(labels, C))``).

    Args:
        labels: integer class labels in ``0..num_classes-1``, any shape (list, array or tensor).
        num_classes: :math:`C`. Default: ``labels.max() + 1``.
        dtype: floating dtype of the result. Default: ``torch.float32``.

    Shape:
        - labels: :math:`(*)`.
        - Output: :math:`(*, C)`.

    Examples::

        >>> one_hot(torch.tensor([1, 0]), num_classes=2)
        tensor([[0., 1.],
                [1., 0.]])
    """
    where = "one_hot"
    t = _labels_tensor(labels, where)
    if num_classes is None:
        if t.numel() == 0:
            raise ValueError(f"{where}: 'labels' is empty, so the number of classes cannot be inferred; "
                             "pass num_classes=C")
        num_classes = int(t.max()) + 1
    _check_num_classes(num_classes, where)
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_classes):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        hint = " Did you mean labels - 1?" if bad == num_classes else ""
        raise ValueError(f"{where}: labels hold class {bad}, but num_classes={num_classes} allows "
                         f"0..{num_classes - 1}.{hint}")
    return torch.nn.functional.one_hot(t, num_classes).to(dtype)


def multi_hot(label_sets: Iterable[Iterable[int]], num_classes: int, *,
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""Multi-hot targets for multi-label classification: row :math:`n` is 1 at every label of sample :math:`n`.

    .. math::
        Y_{nc} = \begin{cases} 1 & c \in \text{label\_sets}_n \\ 0 & \text{otherwise} \end{cases},
        \qquad 0 \le \sum_c Y_{nc} \le C

    Each column is an independent binary problem, to be trained with one sigmoid per label and
    binary cross-entropy (``bce_with_logits``). A label repeated in a set counts once.

    Args:
        label_sets: one collection of labels per sample (possibly empty), labels in ``0..num_classes-1``.
        num_classes: :math:`C`, the number of labels.
        dtype: floating dtype of the result. Default: ``torch.float32``.

    Shape:
        - Output: :math:`(N, C)`, :math:`N` the number of samples.

    Examples::

        >>> multi_hot([{1}, {0, 1}, set()], num_classes=2)
        tensor([[0., 1.],
                [1., 1.],
                [0., 0.]])
    """
    where = "multi_hot"
    _check_num_classes(num_classes, where)
    if isinstance(label_sets, (str, bytes)) or not isinstance(label_sets, Iterable):
        raise TypeError(f"{where}: argument 'label_sets' got {type(label_sets).__name__}, expected one "
                        "collection of labels per sample, e.g. [[0, 2], [1], []]")
    rows = list(label_sets)
    out = torch.zeros(len(rows), num_classes, dtype=dtype)
    for n, labels in enumerate(rows):
        if isinstance(labels, numbers.Integral) or not isinstance(labels, Iterable) or isinstance(labels, (str, bytes)):
            raise TypeError(f"{where}: sample {n} got {labels!r}, expected a collection of labels such as "
                            f"[{labels!r}] (a multi-label target lists every label of the sample)")
        for c in labels:
            if isinstance(c, bool) or not isinstance(c, (numbers.Integral, np.integer)) and not (
                    isinstance(c, torch.Tensor) and c.numel() == 1 and not c.is_floating_point()):
                raise TypeError(f"{where}: sample {n} holds the label {c!r}, expected integers 0..{num_classes - 1}")
            c = int(c)
            if not 0 <= c < num_classes:
                raise ValueError(f"{where}: sample {n} holds the label {c}, but num_classes={num_classes} "
                                 f"allows 0..{num_classes - 1}")
            out[n, c] = 1
    return out


# ------------------------------------------------------------------------------------ the rule of thumb

@dataclass(frozen=True)
class Head:
    """The output layer and loss a task needs (what :func:`recommend_head` returns).

    Attributes:
        task: the task, one of :data:`TASKS`.
        units: ``"one"`` (a single output unit) or ``"classes"`` (one unit per class or label).
        activation: the last layer's activation: ``None`` (linear), ``"sigmoid"`` or ``"softmax"``.
        losses: names of the :mod:`nbcourse.losses` functions the lecture's table allows, on the
            activation's output, preferred first.
        fused_loss: the loss to use in practice on the *logits* (the last layer without its
            activation), which computes activation and loss in one stable step.
        targets: what the targets are: ``"values"``, ``"probabilities"`` or ``"classes"``
            (the vocabulary of the losses' ``targets`` attribute).
        note: one sentence on the choice.
    """

    task: str
    units: str
    activation: str | None
    losses: tuple[str, ...]
    fused_loss: str
    targets: str
    note: str

    def describe(self) -> str:
        """The head in one line, e.g. ``multi-class: one unit per class, softmax, cross_entropy``."""
        units = ("one unit" if self.units == "one"
                 else "one unit per label" if self.task == "multi-label" else "one unit per class")
        act = self.activation or "no activation (linear)"
        return f"{self.task}: {units}, {act}, loss {' or '.join(self.losses)} (on logits: {self.fused_loss})"


_HEADS = {
    "regression": Head(
        "regression", "one", None, ("mse",), "mse", "values",
        "Arbitrary real values: a linear output and the mean squared error (MAE, Huber or log-cosh "
        "where outliers matter)."),
    "regression-unit-interval": Head(
        "regression-unit-interval", "one", "sigmoid", ("mse", "bce"), "bce_with_logits", "probabilities",
        "Values in [0, 1]: a sigmoid output with MSE or binary cross-entropy; cross-entropy on the logits "
        "avoids the plateau of MSE after a saturated sigmoid."),
    "binary": Head(
        "binary", "one", "sigmoid", ("bce",), "bce_with_logits", "probabilities",
        "Two classes: one sigmoid unit, binary cross-entropy."),
    "multi-class": Head(
        "multi-class", "classes", "softmax", ("cross_entropy",), "cross_entropy", "classes",
        "Exactly one class per sample: a softmax over one unit per class, categorical cross-entropy "
        "(cross_entropy takes the logits: it is log_softmax followed by nll)."),
    "multi-label": Head(
        "multi-label", "classes", "sigmoid", ("bce",), "bce_with_logits", "probabilities",
        "Any number of labels per sample: one sigmoid per label, binary cross-entropy per label."),
}

TASKS: tuple[str, ...] = tuple(_HEADS)
"""The tasks :func:`recommend_head` knows, in the order of the lecture's table."""


def recommend_head(task: str) -> Head:
    r"""The output layer and loss the lecture's rule of thumb recommends for ``task``.

    =========================  ==================  ===============  ======================  ==================
    task                       units               activation       losses (preferred 1st)  fused, on logits
    =========================  ==================  ===============  ======================  ==================
    ``regression``             one                 None (linear)    mse                     mse
    ``regression-unit-interval`` one               sigmoid          mse, bce                bce_with_logits
    ``binary``                 one                 sigmoid          bce                     bce_with_logits
    ``multi-class``            classes             softmax          cross_entropy           cross_entropy
    ``multi-label``            classes             sigmoid          bce                     bce_with_logits
    =========================  ==================  ===============  ======================  ==================

    ``losses`` are the names in :data:`nbcourse.losses.LOSSES` that the table allows on the
    activation's output; ``fused_loss`` is what to use in practice on the logits (the layer
    without its activation): it computes the activation and the loss in one numerically stable
    step. For ``multi-class``, ``cross_entropy`` already takes logits (it applies ``log_softmax``).

    Args:
        task: one of :data:`TASKS`.

    Returns:
        a :class:`Head` with ``units``, ``activation``, ``losses``, ``fused_loss``, ``targets``, ``note``.

    Raises:
        ValueError: for an unknown task, listing the known ones.

    Examples::

        >>> recommend_head("multi-class").activation
        'softmax'
        >>> recommend_head("regression").losses
        ('mse',)
    """
    if not isinstance(task, str):
        raise TypeError(f"recommend_head: argument 'task' got {type(task).__name__} {task!r}, expected one of "
                        f"{', '.join(map(repr, TASKS))}")
    key = task.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in _HEADS:
        raise ValueError(f"recommend_head: unknown task {task!r}; the known tasks are "
                         f"{', '.join(map(repr, TASKS))}")
    return _HEADS[key]


def rule_of_thumb() -> list[dict[str, str]]:
    """The lecture's summary table as rows (one dict per task, strings only), built from :func:`recommend_head`.

    Examples::

        >>> [row["task"] for row in rule_of_thumb()][:2]
        ['regression', 'regression-unit-interval']
    """
    rows = []
    for task in TASKS:
        head = recommend_head(task)
        rows.append({
            "task": task,
            "output units": "1" if head.units == "one" else "number of classes",
            "last activation": head.activation or "none (linear)",
            "loss": " / ".join(head.losses),
            "on logits, in practice": head.fused_loss,
        })
    return rows


# ------------------------------------------------------------------------------------ regression as classification

def make_wave(n: int = 600, *, outlier_fraction: float = 0.05, outlier_value: float = 15.0, noise: float = 0.2,
              seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""A 1-d regression problem: :math:`y = 2\sin(1.5x) + \varepsilon`, :math:`x \in [-3, 3]`, some targets replaced by outliers.

    Args:
        n: number of samples. Default: ``600``.
        outlier_fraction: share of targets replaced by ``outlier_value`` (a broken sensor). Default: ``0.05``.
        outlier_value: the value of those targets. Default: ``15.0``.
        noise: standard deviation of :math:`\varepsilon`. Default: ``0.2``.
        seed: seed of everything random. Default: ``0``.

    Returns:
        ``(X, y)``: float32 tensors of shapes :math:`(n, 1)` and :math:`(n,)`.
    """
    if not 0 <= outlier_fraction < 1:
        raise ValueError(f"make_wave: argument 'outlier_fraction' got {outlier_fraction!r}, expected a number in [0, 1)")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, size=n)
    y = 2.0 * np.sin(1.5 * x) + noise * rng.normal(size=n)
    y[rng.random(n) < outlier_fraction] = outlier_value
    return torch.tensor(x, dtype=torch.float32)[:, None], torch.tensor(y, dtype=torch.float32)


def quantise(y, n_bins: int, *, low: float = -2.5, high: float = 2.5) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Targets to class indices: ``n_bins`` equal bins over ``[low, high]``; values outside go to the end bins.

    Returns ``(classes, centres)``: the int64 bin of every target and the centre of every bin, so
    that ``centres[classes]`` is the quantised target (off by at most half a bin inside the range).

    Examples::

        >>> quantise(torch.tensor([-9.0, 0.1, 2.4]), 5, low=-2.5, high=2.5)
        (tensor([0, 2, 4]), tensor([-2., -1.,  0.,  1.,  2.]))
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or n_bins < 2:
        raise ValueError(f"quantise: argument 'n_bins' got {n_bins!r}, expected a whole number >= 2")
    if not high > low:
        raise ValueError(f"quantise: 'high' ({high!r}) must be larger than 'low' ({low!r})")
    y = torch.as_tensor(y, dtype=torch.float32)
    edges = torch.linspace(low, high, n_bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    classes = torch.bucketize(y, edges[1:-1], right=True)  # below the first inner edge: bin 0
    return classes, centres


def _net(out: int, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
                               torch.nn.Linear(64, out))


def fit_head(X, target, *, head: str, n_out: int = 1, steps: int = 300, lr: float = 0.01,
             seed: int = 0) -> tuple[torch.nn.Module, list[float]]:
    r"""Train the same small network (1 → 64 → 64 → ``n_out``, tanh) with a regression or a classification head.

    Full-batch Adam for ``steps`` steps. ``head="regression"``: one linear output and :func:`nbcourse.losses.mse`
    on real targets; ``head="classification"``: ``n_out`` logits and :func:`nbcourse.losses.cross_entropy`
    on class indices. Only the last layer and the loss differ.

    Returns ``(model, losses)``: the trained model and the loss at every step.
    """
    from nbcourse import losses

    if head not in ("regression", "classification"):
        raise ValueError(f"fit_head: argument 'head' got {head!r}, expected 'regression' or 'classification'")
    model = _net(1 if head == "regression" else n_out, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    # a network this small runs fastest on one thread: with several, the threads' start-up and waiting cost
    # more than they save (many times more on a busy machine); the caller's setting is restored after
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            y_hat = model(X)
            if head == "regression":
                loss = losses.mse(y_hat[:, 0], target)
            else:
                loss = losses.cross_entropy(y_hat, target)
            loss.backward()
            optimizer.step()
            history.append(loss.item())
    finally:
        torch.set_num_threads(threads)
    return model, history


def bin_experiment(n_bins: int, *, seed: int = 0, steps: int = 300) -> dict[str, Any]:
    """Regression posed as classification with ``n_bins`` bins on :func:`make_wave`: the test error of the answers.

    Trains on 600 samples with outliers, tests on 400 clean ones; the answer for an input is the
    centre of the most probable bin. Returns plain data: ``n_bins``, ``bin_width``, ``test_mae``
    and ``min_count`` (training samples in the emptiest bin).
    """
    X, y = make_wave(600, seed=seed)
    X_test, y_test = make_wave(400, outlier_fraction=0.0, seed=seed + 1)
    classes, centres = quantise(y, n_bins)
    model, _ = fit_head(X, classes, head="classification", n_out=n_bins, steps=steps, seed=seed)
    with torch.no_grad():
        answer = centres[model(X_test).argmax(dim=1)]
    counts = torch.bincount(classes, minlength=n_bins)
    return {"n_bins": int(n_bins), "bin_width": float(centres[1] - centres[0]),
            "test_mae": float((answer - y_test).abs().mean()), "min_count": int(counts.min())}


# ------------------------------------------------------------------------------------ regression losses and outliers

_REGRESSION = ("mse", "mae", "huber", "log_cosh")


def _regression_loss(name: str):
    from nbcourse import losses

    return getattr(losses, name)


def _per_term(name: str, y_hat: torch.Tensor, y: torch.Tensor, delta: float, grad: bool = False):
    fn = _regression_loss(name)
    kwargs = {"delta": delta} if name == "huber" else {}
    f = fn.grad if grad else fn
    return f(y_hat, y, reduction="none", **kwargs)


def outlier_data(*, n: int = 15, slope: float = 0.5, intercept: float = 1.0, noise: float = 0.3,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The clean points of the outlier figure: ``n`` points on ``y = slope x + intercept`` plus noise, x in [0, 10]."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 10.0, n)
    y = slope * x + intercept + noise * rng.normal(size=n)
    return x, y


def robust_line_fit(x, y, loss: str = "mse", *, delta: float = 1.0, iterations: int = 200,
                    eps: float = 1e-6) -> tuple[float, float]:
    r"""The line :math:`\hat y = w x + b` that minimises the mean of ``loss`` over the points, as ``(w, b)``.

    Solved by iteratively reweighted least squares: at the minimum of :math:`\sum_n \ell(r_n)`,
    :math:`\sum_n \ell'(r_n)\,(x_n, 1) = 0`, which is a weighted least-squares problem with weights
    :math:`\omega_n = \ell'(r_n) / r_n`; :math:`\ell'` is the loss's analytic ``.grad`` from
    :mod:`nbcourse.losses` (``reduction="none"``). MSE needs one step (constant weights); MAE's
    weights :math:`1/|r_n|` are floored at ``eps``.

    Args:
        x, y: the points, 1-d arrays of the same length (at least two distinct ``x``).
        loss: ``"mse"``, ``"mae"``, ``"huber"`` or ``"log_cosh"``.
        delta: Huber's :math:`\delta`. Default: ``1.0``.
        iterations: reweighting steps. Default: ``200``.

    Examples::

        >>> robust_line_fit([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], "huber")
        (1.0, 1.0)
    """
    if loss not in _REGRESSION:
        raise ValueError(f"robust_line_fit: argument 'loss' got {loss!r}, expected one of {', '.join(_REGRESSION)}")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(np.unique(x)) < 2:
        raise ValueError("robust_line_fit: 'x' and 'y' must be 1-d arrays of the same length with two distinct x "
                         f"(got shapes {x.shape} and {y.shape})")
    A = np.stack([x, np.ones_like(x)], axis=1)
    weights = np.ones_like(x)
    w = b = 0.0
    for _ in range(1 if loss == "mse" else iterations):
        sw = np.sqrt(weights)
        (w_new, b_new), *_ = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)
        r = w_new * x + b_new - y
        g = np.asarray(_per_term(loss, torch.from_numpy(r), torch.zeros(len(r), dtype=torch.float64), delta,
                                 grad=True))
        small = np.abs(r) < eps
        weights = np.where(small, _slope_at_zero(loss, eps), g / np.where(small, 1.0, r))
        converged = abs(w_new - w) < 1e-12 and abs(b_new - b) < 1e-12
        w, b = float(w_new), float(b_new)
        if converged:
            break
    return round(w, 12), round(b, 12)


def _slope_at_zero(loss: str, eps: float) -> float:
    # l'(r) / r as r -> 0: 2 for MSE, 1 for Huber and log-cosh; MAE's 1/|r| is floored at eps
    return {"mse": 2.0, "huber": 1.0, "log_cosh": 1.0, "mae": 1.0 / eps}[loss]


def huber_delta_data():
    """The data of the Huber exercise: 30 clean points (``y = 0.5 x + 1`` plus noise 0.3) and three outliers.

    Returns ``(x_clean, y_clean, x_all, y_all)``.
    """
    x, y = outlier_data(n=30, seed=1)
    return x, y, np.append(x, [8.5, 9.0, 9.5]), np.append(y, [-4.0, -4.5, -5.0])
