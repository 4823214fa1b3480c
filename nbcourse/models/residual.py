r"""A residual multi-layer perceptron: every hidden layer adds its output to its input.

.. math::
    h^{[0]} = W^{[0]} x + b^{[0]}, \qquad
    h^{[l]} = h^{[l-1]} + g\bigl(W^{[l]} h^{[l-1]} + b^{[l]}\bigr) \quad (l = 1 \dots L), \qquad
    \hat{y} = W^{[L+1]} h^{[L]} + b^{[L+1]}

Backwards, each block passes :math:`\partial L/\partial h^{[l]}` to the block below twice: once through
the layer (multiplied by :math:`W^{[l]T} \operatorname{diag} g'(z^{[l]})`, which shrinks it for a
sigmoid) and once unchanged, through the identity:

.. math::
    \frac{\partial L}{\partial h^{[l-1]}} = \frac{\partial L}{\partial h^{[l]}}
    + W^{[l]T} \operatorname{diag}\bigl(g'(z^{[l]})\bigr) \frac{\partial L}{\partial h^{[l]}} ,

so the gradient reaches the first layers however small :math:`g'` is (He, Zhang, Ren and Sun, *Deep
residual learning for image recognition*, CVPR 2016). With ``residual=False`` the same network, with
the same initial weights, is a plain MLP of width ``width``: the two differ only by the skips.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from ._activation import init_weights, make_activation

__all__ = ["ResidualMLP"]


class ResidualMLP(nn.Module):
    r"""``in_features -> width`` (a linear embedding), ``depth`` hidden blocks of ``width`` units,
    ``width -> out_features``.

    Args:
        in_features: size of each input sample (default 64: an 8x8 digit).
        width: units of every hidden layer (default 32).
        depth: number of hidden blocks :math:`h \mapsto h + g(Wh + b)` (default 6).
        out_features: outputs per sample (default 10).
        activation: the hidden activation, a name or module as for :class:`nbcourse.models.MLP`
            (default ``"sigmoid"``).
        residual: add the skip connections (default True); False gives a plain deep network.
        init: ``"default"``, ``"xavier"``, ``"kaiming"`` or ``"normal"`` (default ``"xavier"``).
        init_std: standard deviation for ``init="normal"`` (default 0.01).
        seed: seed for the initial weights (default None: PyTorch's global generator); the same seed
            gives the same weights with and without ``residual``.

    The weight layers are named ``layers.fc0`` (embedding), ``layers.fc1`` ... ``layers.fc{depth}``
    and ``layers.out``, and the activations ``layers.act1`` ..., so
    :class:`nbcourse.train.callbacks.LayerStatsRecorder` reports them in order, input to output.

    Shape:
        - Input: :math:`(N, \text{in\_features})` or :math:`(N, *)`, flattened.
        - Output: :math:`(N, \text{out\_features})`.

    Examples::

        >>> model = ResidualMLP(64, width=16, depth=3, seed=0)
        >>> model(torch.randn(5, 64)).shape
        torch.Size([5, 10])
    """

    def __init__(self, in_features: int = 64, *, width: int = 32, depth: int = 6, out_features: int = 10,
                 activation="sigmoid", residual: bool = True, init: str = "xavier", init_std: float = 0.01,
                 seed: int | None = None) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("width", width), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ResidualMLP: argument '{name}' got {value!r}, expected a positive integer")
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise ValueError(f"ResidualMLP: argument 'depth' got {depth!r}, expected an integer >= 0")
        self.in_features, self.width, self.depth, self.out_features = in_features, width, depth, out_features
        self.residual = bool(residual)
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            layers: list[tuple[str, nn.Module]] = [("fc0", nn.Linear(in_features, width))]
            for i in range(1, depth + 1):
                layers.append((f"fc{i}", nn.Linear(width, width)))
                layers.append((f"act{i}", make_activation(activation)))
            layers.append(("out", nn.Linear(width, out_features)))
            self.layers = nn.Sequential(OrderedDict(layers))
            init_weights(self, init=init, std=init_std, bias=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim > 2:
            x = x.flatten(1)                                   # (N, C, H, W) -> (N, in_features)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"ResidualMLP: expected inputs with {self.in_features} features per sample, "
                             f"got shape {tuple(x.shape)}")
        h = self.layers.fc0(x)                                 # (N, width)
        for i in range(1, self.depth + 1):
            a = self.layers[2 * i](self.layers[2 * i - 1](h))  # act_i(fc_i(h)): (N, width)
            h = h + a if self.residual else a                  # the skip: (N, width)
        return self.layers.out(h)                              # (N, out_features)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, width={self.width}, depth={self.depth}, "
                f"out_features={self.out_features}, residual={self.residual}")
