r"""Metrics the trainer records besides the loss.

A metric is any function ``metric(y_hat, y) -> tensor`` that returns the batch *mean* of a
per-sample score as a 0-d tensor. It stays on the device: the trainer averages the per-batch
values, weighted by batch size, and reads them once per epoch.
"""

from __future__ import annotations

import functools
from typing import Callable, Mapping, Sequence

import torch

__all__ = ["accuracy", "METRICS", "resolve_metrics"]


def accuracy(y_hat: torch.Tensor, y: torch.Tensor, *, logits: bool = True,
             ignore_index: int | None = -100) -> torch.Tensor:
    r"""Fraction of samples whose predicted class is the true class.

    .. math::
        \text{accuracy} = \frac{1}{N} \sum_{i=1}^{N} [\hat{c}_i = c_i]

    The predicted class :math:`\hat{c}_i` is the arg-max over classes for multi-class outputs;
    for a single output per sample (binary classification) it is :math:`[z_i > 0]` for logits, or
    :math:`[\hat{p}_i > 0.5]` for probabilities (``logits=False``). The true class :math:`c_i` is
    the label, or the arg-max of a one-hot / probability target. Samples whose label is
    ``ignore_index`` (-100, as in :class:`torch.nn.CrossEntropyLoss`) are left out of the mean, as
    the loss leaves them out; a batch of ignored labels only has accuracy NaN.

    Args:
        y_hat: model output.
        y: targets: class indices, or one-hot / probabilities of the same shape as ``y_hat``.
        logits: for single-output binary models, whether ``y_hat`` holds logits (default True) or
            probabilities.
        ignore_index: the class-index label that marks a sample to skip (default -100; None: none).

    Shape:
        - y_hat: :math:`(N, C)` with class indices :math:`(N,)` or one-hot targets :math:`(N, C)`;
          or :math:`(N,)` / :math:`(N, 1)` for binary outputs with targets of the same shape.
        - Output: a 0-d float tensor in :math:`[0, 1]`.

    Examples::

        >>> accuracy(torch.tensor([[2.0, 0.1], [0.3, 0.9]]), torch.tensor([0, 0]))
        tensor(0.5000)
        >>> accuracy(torch.tensor([[2.0, 0.1], [0.3, 0.9]]), torch.tensor([0, -100]))
        tensor(1.)
    """
    kept = None
    if y_hat.ndim >= 2 and y_hat.shape[1] > 1:  # multi-class: (N, C, ...)
        predicted = y_hat.argmax(dim=1)
        target = y.argmax(dim=1) if y.shape == y_hat.shape else y
        if ignore_index is not None and target is y and not y.is_floating_point():
            kept = target != ignore_index
    else:  # binary: one output per sample
        threshold = 0.0 if logits else 0.5
        predicted = (y_hat > threshold).reshape(-1)
        target = (y > 0.5).reshape(-1) if y.is_floating_point() else y.reshape(-1).bool()
    if predicted.shape != target.shape:
        raise ValueError(
            f"accuracy: predictions of shape {tuple(predicted.shape)} (from y_hat {tuple(y_hat.shape)}) "
            f"do not match targets of shape {tuple(target.shape)}"
        )
    if kept is None:
        return (predicted == target).float().mean()
    return ((predicted == target) & kept).float().sum() / kept.float().sum()  # no host sync (no masking)


METRICS: dict[str, Callable[..., torch.Tensor]] = {"accuracy": accuracy}


def resolve_metrics(metrics, *, ignore_index: int | None = None) -> dict[str, Callable]:
    """Normalise the Trainer's ``metrics`` argument into ``{name: function}``.

    Accepts None, a name (``"accuracy"``), a function, a list of names / functions, or a dict
    ``{name: function}``. ``ignore_index``: the loss's (when it has one other than -100), given to
    the metrics named by string, so that ``"accuracy"`` skips the labels the loss skips.
    """
    if metrics is None:
        return {}
    if isinstance(metrics, (str,)) or callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    elif isinstance(metrics, Sequence):
        items = []
        for m in metrics:
            if isinstance(m, str):
                if m not in METRICS:
                    raise ValueError(f"Trainer: unknown metric {m!r}; known names: {sorted(METRICS)}, or pass a function")
                fn = METRICS[m]
                if ignore_index is not None and ignore_index != -100:
                    fn = functools.partial(fn, ignore_index=ignore_index)
                items.append((m, fn))
            elif callable(m):
                items.append((getattr(m, "__name__", type(m).__name__), m))
            else:
                raise TypeError(f"Trainer: argument 'metrics' holds {m!r}, expected a name or a function(y_hat, y)")
    else:
        raise TypeError(f"Trainer: argument 'metrics' got {type(metrics).__name__}, expected a name, a function, a list or a dict")
    out = {}
    for name, fn in items:
        if not isinstance(name, str) or not name.isidentifier() or name == "loss":
            raise ValueError(f"Trainer: metric name {name!r} must be an identifier other than 'loss'")
        if not callable(fn):
            raise TypeError(f"Trainer: metric {name!r} is {fn!r}, expected a function(y_hat, y)")
        out[name] = fn
    return out
