r"""Logistic regression: the single neuron with a sigmoid, trained by gradient descent.

.. math::
    z = b + \sum_i w_i x_i, \qquad \hat p = \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad
    J_{BCE} = -\frac1N \sum_n \big[y_n \log \hat p_n + (1 - y_n) \log(1 - \hat p_n)\big],
    \qquad \frac{\partial J_{BCE}}{\partial z_n} = \frac{\hat p_n - y_n}{N}

The same neuron with the identity instead of :math:`\sigma` and the squared error is linear regression
(``MLP(d, (), 1)`` or ``nn.Linear(d, 1)``); with the sign function and Rosenblatt's rule it is the
:class:`~nbcourse.models.perceptron.Perceptron`.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LogisticRegression"]


class LogisticRegression(nn.Module):
    r"""One neuron :math:`\hat p = \sigma(w \cdot x + b)` for binary classification.

    ``forward`` returns the logit :math:`z = w \cdot x + b` (pair it with ``nn.BCEWithLogitsLoss``,
    which applies the sigmoid inside the loss, stably); :meth:`predict_proba` applies the sigmoid,
    :meth:`predict` thresholds at :math:`\hat p = 0.5`, i.e. :math:`z = 0`: the decision boundary is the
    line :math:`w \cdot x + b = 0`.

    Args:
        in_features: features per sample (default 2).
        seed: seed of the initial weights (PyTorch's ``nn.Linear`` initialisation; default None: the
            global generator, whose state is then left as it was only when a seed is given).

    Shape:
        - Input: :math:`(N, \text{in\_features})`.
        - Output: :math:`(N,)` logits (float); ``predict``: :math:`(N,)` int64 labels 0/1.

    Examples::

        >>> model = LogisticRegression(2, seed=0)
        >>> model(torch.zeros(3, 2)).shape
        torch.Size([3])
        >>> bool(((model.predict_proba(torch.randn(4, 2)) > 0) & (model.predict_proba(torch.randn(4, 2)) < 1)).all())
        True
    """

    def __init__(self, in_features: int = 2, *, seed: int | None = None) -> None:
        super().__init__()
        if isinstance(in_features, bool) or not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"LogisticRegression: argument 'in_features' got {in_features!r}, expected a "
                             "positive integer")
        self.in_features = in_features
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.linear = nn.Linear(in_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"LogisticRegression: expected inputs of shape (N, {self.in_features}), got shape "
                             f"{tuple(x.shape)}")
        return self.linear(x).squeeze(1)      # (N, d) -> (N, 1) -> (N,)

    @property
    def weights(self) -> torch.Tensor:
        """:math:`w`, shape ``(in_features,)`` (a detached copy)."""
        return self.linear.weight.detach()[0].clone()

    @property
    def bias(self) -> float:
        """:math:`b`."""
        return float(self.linear.bias.detach()[0])

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`\hat p = \sigma(w \cdot x + b)`, shape ``(N,)``."""
        return torch.sigmoid(self(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Labels 0/1 (int64), 1 where :math:`\\hat p > 0.5`. Shape ``(N,)``."""
        return (self(x) > 0).long()

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"
