r"""A small convolutional network for small images (scikit-learn's 8x8 digits, MNIST's 28x28).

Each block is a 3x3 convolution (padding 1, so the size is kept), an activation and a 2x2 max
pooling (halving the size); a fully connected layer maps the last feature maps to the classes:

.. math::
    a^{[l]} = \operatorname{maxpool}\big(g(W^{[l]} * a^{[l-1]} + b^{[l]})\big), \qquad
    \hat{y} = W^{\text{out}} \operatorname{flatten}(a^{[L]}) + b^{\text{out}}

With ``head="average"`` the last feature maps are averaged over all positions first (global
average pooling, :math:`\bar{a}_c = \frac{1}{HW}\sum_{i,j} a^{[L]}_{c,i,j}`), so the output layer
sees *what* was detected and not *where*, and the network takes images of any size.

Convolutions share their weights across positions (a replicated feature detector with a local
receptive field), so the network takes the image's spatial structure into account.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from ._activation import init_weights, make_activation

__all__ = ["SmallCNN", "SmallCNNConfig"]


@dataclass
class SmallCNNConfig:
    in_channels: int = 1                # grey images
    image_size: int = 8                 # 8x8 digits (28 for MNIST)
    channels: tuple[int, ...] = (8, 16)  # output channels of each conv block
    num_classes: int = 10               # ten digit classes
    activation: str = "relu"            # a name from nbcourse.activations (or torch.nn)
    dropout: float = 0.0                # dropout before the output layer
    head: str = "flatten"               # "flatten" (all positions, fixed size) or "average" (global average pooling)
    init: str = "default"               # "default" (PyTorch), "xavier", "kaiming", "normal"
    seed: int | None = None             # seed of the initial weights (None: the global generator)


class SmallCNN(nn.Module):
    r"""Conv blocks ``[conv 3x3 -> activation -> max-pool 2x2] x len(channels)`` and a linear output layer.

    Args:
        in_channels: channels of the input images (default 1).
        image_size: height = width of the input images (default 8).
        channels: output channels of each block (default ``(8, 16)``); each block halves the size.
        num_classes: outputs per sample (default 10).
        activation: a name (``"relu"``, ``"tanh"``, ...), an ``nn.Module`` class or instance. Default ``"relu"``.
        dropout: dropout probability before the output layer (default 0).
        head: ``"flatten"`` (default: the output layer sees every position of the last maps, so the
            image size is fixed) or ``"average"`` (global average pooling of each channel first:
            ``channels[-1]`` inputs to the output layer, any image size of at least
            :math:`2^{\text{len(channels)}}`).
        init: ``"default"``, ``"xavier"``, ``"kaiming"`` or ``"normal"`` (std 0.01).
        seed: seed for the initial weights (default None: PyTorch's global generator, left as it was).

    Shape:
        - Input: :math:`(N, C_{in}, S, S)`, or :math:`(N, C_{in} S^2)` flattened images (reshaped);
          with ``head="average"`` any :math:`(N, C_{in}, H, W)` with :math:`H, W \ge 2^{\text{len(channels)}}`.
        - Output: :math:`(N, \text{num\_classes})`.

    Examples::

        >>> model = SmallCNN(seed=0)
        >>> model(torch.randn(5, 1, 8, 8)).shape
        torch.Size([5, 10])
    """

    def __init__(self, in_channels: int = 1, image_size: int = 8, channels=(8, 16), num_classes: int = 10, *,
                 activation="relu", dropout: float = 0.0, head: str = "flatten", init: str = "default",
                 seed: int | None = None) -> None:
        super().__init__()
        channels = tuple(channels)
        ints = [in_channels, image_size, num_classes, *channels]
        if not channels or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in ints):
            raise ValueError(f"SmallCNN: sizes must be positive integers and channels non-empty, got in_channels="
                             f"{in_channels!r}, image_size={image_size!r}, channels={channels!r}, num_classes={num_classes!r}")
        final = image_size // 2 ** len(channels)
        if final < 1:
            raise ValueError(f"SmallCNN: {len(channels)} pooling blocks shrink a {image_size}x{image_size} image to "
                             f"nothing; use at most {max(image_size.bit_length() - 1, 0)} blocks")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"SmallCNN: argument 'dropout' got {dropout}, expected a probability in [0, 1)")
        if head not in ("flatten", "average"):
            raise ValueError(f"SmallCNN: argument 'head' got {head!r}, expected 'flatten' or 'average'")
        self.head = head
        self.in_channels, self.image_size, self.channels, self.num_classes = in_channels, image_size, channels, num_classes
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            blocks: list[tuple[str, nn.Module]] = []
            for i, (c_in, c_out) in enumerate(zip((in_channels, *channels[:-1]), channels), start=1):
                blocks.append((f"conv{i}", nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)))
                blocks.append((f"act{i}", make_activation(activation)))
                blocks.append((f"pool{i}", nn.MaxPool2d(2)))
            self.features = nn.Sequential(OrderedDict(blocks))
            self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
            n_in = channels[-1] * final * final if head == "flatten" else channels[-1]
            self.out = nn.Linear(n_in, num_classes)
            init_weights(self, init=init, std=0.01, bias=None)

    @classmethod
    def from_config(cls, config: SmallCNNConfig) -> "SmallCNN":
        """Build from a :class:`SmallCNNConfig`."""
        c = config
        return cls(c.in_channels, c.image_size, c.channels, c.num_classes, activation=c.activation,
                   dropout=c.dropout, head=c.head, init=c.init, seed=c.seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        C, S = self.in_channels, self.image_size
        if x.ndim == 2 and x.shape[1] == C * S * S:
            x = x.view(-1, C, S, S)        # (N, C*S*S) -> (N, C, S, S)
        if self.head == "average":
            least = 2 ** len(self.channels)
            if x.ndim != 4 or x.shape[1] != C or min(x.shape[2:]) < least:
                raise ValueError(f"SmallCNN: expected images of shape (N, {C}, H, W) with H, W >= {least} "
                                 f"(head='average'), got {tuple(x.shape)}")
        elif x.ndim != 4 or x.shape[1:] != (C, S, S):
            raise ValueError(f"SmallCNN: expected images of shape (N, {C}, {S}, {S}) (or (N, {C * S * S})), "
                             f"got {tuple(x.shape)}")
        x = self.features(x)               # (N, C, S, S) -> (N, channels[-1], S', S'), S' = S / 2^blocks
        if self.head == "average":
            x = x.mean(dim=(2, 3))         # (N, channels[-1]): global average pooling
        else:
            x = x.flatten(1)               # (N, channels[-1] * S' * S')
        x = self.dropout(x)
        return self.out(x)                 # (N, num_classes)

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, image_size={self.image_size}, num_classes={self.num_classes}, "
                f"head={self.head!r}")
