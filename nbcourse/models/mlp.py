r"""A multi-layer perceptron: fully connected layers with an activation between them.

.. math::
    a^{[0]} = x, \qquad z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}, \qquad a^{[l]} = g(z^{[l]}),
    \qquad \hat{y} = z^{[L]}

The output layer has no activation: it returns logits (pair it with ``CrossEntropyLoss`` or
``BCEWithLogitsLoss``) or, for regression, the values themselves.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from ._activation import init_weights, make_activation

__all__ = ["MLP", "MLPConfig"]


@dataclass
class MLPConfig:
    in_features: int = 64                 # 8x8 digit images, flattened
    hidden_sizes: tuple[int, ...] = (64,)  # one entry per hidden layer
    out_features: int = 10                # ten digit classes
    activation: str = "relu"              # a name from nbcourse.activations (or torch.nn)
    dropout: float = 0.0                  # dropout after each hidden activation (0 = none)
    init: str = "default"                 # "default" (PyTorch), "xavier", "kaiming", "normal"
    init_std: float = 0.01                # standard deviation for init="normal"
    bias_init: float | None = None        # a constant for every bias (e.g. 0.1 against dead ReLUs)
    seed: int | None = None               # seed of the initial weights (None: the global generator)


class MLP(nn.Module):
    r"""Fully connected network ``in_features -> hidden_sizes... -> out_features``.

    Args:
        in_features: size of each input sample (default 64: an 8x8 digit). Inputs with more
            dimensions, such as images ``(N, 1, 8, 8)``, are flattened.
        hidden_sizes: width of each hidden layer (default ``(64,)``; ``()`` gives a linear model).
        out_features: outputs per sample (default 10).
        activation: the hidden activation: a name (``"relu"``, ``"sigmoid"``, ``"tanh"``, ...), an
            ``nn.Module`` class or instance (copied per layer). Default ``"relu"``.
        dropout: dropout probability after each hidden activation (default 0).
        init: weight initialisation: ``"default"`` (PyTorch's), ``"xavier"``, ``"kaiming"``, ``"normal"``.
        init_std: standard deviation for ``init="normal"`` (default 0.01).
        bias_init: constant for every bias (default None: see ``init``).
        seed: seed for the initial weights (default None: PyTorch's global generator). The global
            random state is left as it was.

    Shape:
        - Input: :math:`(N, \text{in\_features})` or :math:`(N, *)` with :math:`\prod * = \text{in\_features}`.
        - Output: :math:`(N, \text{out\_features})`.

    Examples::

        >>> model = MLP(64, (32, 32), 10, activation="tanh", seed=0)
        >>> model(torch.randn(5, 64)).shape
        torch.Size([5, 10])
    """

    def __init__(self, in_features: int = 64, hidden_sizes: Sequence[int] = (64,), out_features: int = 10, *,
                 activation="relu", dropout: float = 0.0, init: str = "default", init_std: float = 0.01,
                 bias_init: float | None = None, seed: int | None = None) -> None:
        super().__init__()
        sizes = [in_features, *hidden_sizes, out_features]
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError(f"MLP: layer sizes must be positive integers, got in_features={in_features!r}, "
                             f"hidden_sizes={tuple(hidden_sizes)!r}, out_features={out_features!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: argument 'dropout' got {dropout}, expected a probability in [0, 1)")
        self.in_features, self.out_features = in_features, out_features
        self.hidden_sizes = tuple(hidden_sizes)
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            layers: list[tuple[str, nn.Module]] = []
            for i, (fan_in, fan_out) in enumerate(zip(sizes[:-2], sizes[1:-1]), start=1):
                layers.append((f"fc{i}", nn.Linear(fan_in, fan_out)))
                layers.append((f"act{i}", make_activation(activation)))
                if dropout > 0:
                    layers.append((f"drop{i}", nn.Dropout(dropout)))
            layers.append(("out", nn.Linear(sizes[-2], sizes[-1])))
            self.layers = nn.Sequential(OrderedDict(layers))
            init_weights(self, init=init, std=init_std, bias=bias_init)

    @classmethod
    def from_config(cls, config: MLPConfig) -> "MLP":
        """Build from an :class:`MLPConfig`."""
        c = config
        return cls(c.in_features, c.hidden_sizes, c.out_features, activation=c.activation, dropout=c.dropout,
                   init=c.init, init_std=c.init_std, bias_init=c.bias_init, seed=c.seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim > 2:
            x = x.flatten(1)       # (N, C, H, W) -> (N, C*H*W)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"MLP: expected inputs with {self.in_features} features per sample, got shape {tuple(x.shape)}")
        return self.layers(x)      # (N, in_features) -> (N, out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, hidden_sizes={self.hidden_sizes}, out_features={self.out_features}"
