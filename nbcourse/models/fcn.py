r"""A fully convolutional network for semantic segmentation (Long, Shelhamer and Darrell, 2015).

No layer of an FCN cares about the image's size: convolutions and poolings slide over any height
and width, a :math:`1 \times 1` convolution classifies every position (the fully connected
classifier of a CNN, applied at each place), and an upsampling brings the coarse class scores
back to the input's resolution. A skip connection adds the scores of a finer layer, so the output
has both the deep layer's context and the shallow layer's detail ("FCN-16s" in the paper):

.. math::
    s^{[L]} = W_{1\times1}^{[L]} * a^{[L]}, \qquad
    s^{[l]} = \operatorname{crop}\big(\operatorname{up}_2(s^{[l+1]})\big) + W_{1\times1}^{[l]} * a^{[l]}, \qquad
    \hat{y} = \operatorname{crop}_{H \times W}\big(\operatorname{up}_2(s^{[2]})\big)

where :math:`a^{[l]}` is the output of stage :math:`l`, at :math:`1/2^{l-1}` of the input's
resolution, and :math:`\operatorname{up}_2` doubles the height and width (a transposed
convolution initialised to bilinear interpolation and learned, or fixed bilinear interpolation).
Pooling rounds sizes up (``ceil_mode``), so an odd size loses nothing; the doubled map is then
one pixel too large and is cropped, as the paper's "crop" layers do.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from ._activation import make_activation

__all__ = ["FCN", "bilinear_kernel", "per_class_iou"]


def bilinear_kernel(channels: int, factor: int = 2) -> torch.Tensor:
    r"""Weights of a transposed convolution that upsamples each channel by ``factor`` bilinearly.

    The kernel is :math:`2f \times 2f` (:math:`f` = factor), the outer product of the 1-D tent
    :math:`1 - |i - c| / f` with :math:`c = (2f - 1)/2`; channel :math:`k` feeds only channel :math:`k`.
    With ``stride=f, padding=f // 2`` the result equals ``F.interpolate(..., scale_factor=f,
    mode="bilinear", align_corners=False)`` away from the border.

    Shape: :math:`(C, C, 2f, 2f)`.

        >>> bilinear_kernel(1)[0, 0, 0]
        tensor([0.0625, 0.1875, 0.1875, 0.0625])
    """
    k = 2 * factor
    centre = (k - 1) / 2
    tent = 1 - (torch.arange(k, dtype=torch.float32) - centre).abs() / factor   # (k,)
    weight = torch.zeros(channels, channels, k, k)
    weight[range(channels), range(channels)] = tent[:, None] * tent[None, :]
    return weight


class FCN(nn.Module):
    r"""Conv stages with pooling between them, per-pixel 1x1 classifiers, upsampling and skips.

    Stage :math:`l` is ``[conv 3x3 (padding 1) -> activation] x convs_per_stage``; a 2x2 max
    pooling (``ceil_mode=True``) sits between consecutive stages. Every stage but the first has a
    1x1 convolution that scores its positions for each class; the scores are fused from the
    deepest stage up (upsample by 2, crop, add), then upsampled by 2 once more and cropped to the
    input's height and width.

    Args:
        in_channels: channels of the input images (default 1).
        num_classes: classes per pixel (default 4: background and three shapes).
        channels: output channels of each stage (default ``(8, 16, 32)``: at least two stages).
        convs_per_stage: 3x3 convolutions per stage (default 2).
        upsample: ``"learned"`` (default: every doubling a transposed convolution initialised bilinear
            and learned, as the paper's intermediate upsamplings; the paper keeps its last one, back
            to the image, fixed bilinear) or ``"bilinear"`` (fixed interpolation, no parameters).
        skip: add the scores of the intermediate stages (default True); ``False`` upsamples only
            the deepest scores (the paper's "FCN-32s"-style single stream).
        activation: a name (``"relu"``, ...), an ``nn.Module`` class or instance. Default ``"relu"``.
        seed: seed for the initial weights (default None: PyTorch's global generator, left as it was).

    Shape:
        - Input: :math:`(N, C_{in}, H, W)`, any :math:`H, W \ge 1`.
        - Output: :math:`(N, \text{num\_classes}, H, W)`: class scores (logits) per pixel.

    Examples::

        >>> model = FCN(seed=0)
        >>> model(torch.randn(2, 1, 32, 32)).shape
        torch.Size([2, 4, 32, 32])
        >>> model(torch.randn(1, 1, 37, 50)).shape      # any size, odd ones too
        torch.Size([1, 4, 37, 50])
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 4, channels=(8, 16, 32), *, convs_per_stage: int = 2,
                 upsample: str = "learned", skip: bool = True, activation="relu", seed: int | None = None) -> None:
        super().__init__()
        channels = tuple(channels)
        ints = [in_channels, num_classes, convs_per_stage, *channels]
        if len(channels) < 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in ints):
            raise ValueError(f"FCN: sizes must be positive integers and channels hold at least two stages, got "
                             f"in_channels={in_channels!r}, num_classes={num_classes!r}, channels={channels!r}, "
                             f"convs_per_stage={convs_per_stage!r}")
        if upsample not in ("learned", "bilinear"):
            raise ValueError(f"FCN: argument 'upsample' got {upsample!r}, expected 'learned' or 'bilinear'")
        self.in_channels, self.num_classes, self.channels = in_channels, num_classes, channels
        self.upsample, self.skip = upsample, bool(skip)
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.stages = nn.ModuleList()
            c_in = in_channels
            for i, c_out in enumerate(channels, start=1):
                layers: list[tuple[str, nn.Module]] = []
                for j in range(1, convs_per_stage + 1):
                    layers.append((f"conv{i}_{j}", nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)))
                    layers.append((f"act{i}_{j}", make_activation(activation)))
                    c_in = c_out
                self.stages.append(nn.Sequential(OrderedDict(layers)))
            self.pool = nn.MaxPool2d(2, ceil_mode=True)
            # 1x1 classifiers: the deepest stage, and (with skips) every stage but the first
            scored = range(1, len(channels)) if self.skip else [len(channels) - 1]
            self.score = nn.ModuleDict({str(i): nn.Conv2d(channels[i], num_classes, kernel_size=1) for i in scored})
            n_up = len(channels) - 1                # one doubling per pooling
            if upsample == "learned":
                self.up = nn.ModuleList(nn.ConvTranspose2d(num_classes, num_classes, kernel_size=4, stride=2, padding=1,
                                                           bias=False) for _ in range(n_up))
                with torch.no_grad():
                    for layer in self.up:
                        layer.weight.copy_(bilinear_kernel(num_classes))
            else:
                self.up = None

    def _up2(self, s: torch.Tensor, i: int) -> torch.Tensor:
        if self.up is None:
            return F.interpolate(s, scale_factor=2, mode="bilinear", align_corners=False)
        return self.up[i](s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels or x.shape[2] < 1 or x.shape[3] < 1:
            raise ValueError(f"FCN: argument 'x' got shape {tuple(x.shape)}, expected images (N, {self.in_channels}, H, W) "
                             "of any height and width")
        H, W = x.shape[-2:]
        features = []                                   # a^[l]: (N, channels[l], ceil(H / 2^l), ceil(W / 2^l))
        for i, stage in enumerate(self.stages):
            if i > 0:
                x = self.pool(x)                        # (N, C, h, w) -> (N, C, ceil(h/2), ceil(w/2))
            x = stage(x)
            features.append(x)
        last = len(features) - 1
        s = self.score[str(last)](features[last])       # (N, K, h_L, w_L): class scores of the coarsest grid
        for i in range(last - 1, -1, -1):               # up to the grid of stage i
            h, w = features[i].shape[-2:]
            s = self._up2(s, i)[..., :h, :w]            # (N, K, 2 h_{i+1}, 2 w_{i+1}) cropped to (h_i, w_i)
            if self.skip and str(i) in self.score:
                s = s + self.score[str(i)](features[i])  # fuse the finer stage's scores
        assert s.shape[-2:] == (H, W)
        return s                                        # (N, K, H, W)

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, num_classes={self.num_classes}, channels={self.channels}, "
                f"upsample={self.upsample!r}, skip={self.skip}")


def per_class_iou(y_hat: torch.Tensor, y: torch.Tensor, *, num_classes: int | None = None) -> torch.Tensor:
    r"""Intersection over union of each class: :math:`|P_k \cap T_k| / |P_k \cup T_k|`.

    :math:`P_k` are the pixels predicted as class :math:`k` (the argmax over the class dimension
    of ``y_hat``, or ``y_hat`` itself when it already holds class indices), :math:`T_k` the pixels
    labelled :math:`k`, counted over the whole batch. A class absent from both gets ``nan``.

    Args:
        y_hat: scores :math:`(N, K, H, W)` or predicted classes :math:`(N, H, W)`.
        y: labels :math:`(N, H, W)`, int64.
        num_classes: :math:`K` (default: from ``y_hat``'s class dimension, else ``max + 1``).

    Returns: a float tensor of shape :math:`(K,)`.

        >>> per_class_iou(torch.tensor([[0, 1, 1, 0]]), torch.tensor([[0, 1, 0, 0]]))
        tensor([0.6667, 0.5000])
    """
    pred = y_hat.argmax(1) if y_hat.is_floating_point() else y_hat
    if pred.shape != y.shape:
        raise ValueError(f"per_class_iou: predictions of shape {tuple(pred.shape)} (from y_hat {tuple(y_hat.shape)}) "
                         f"do not match labels of shape {tuple(y.shape)}")
    if num_classes is None:
        num_classes = y_hat.shape[1] if y_hat.is_floating_point() else int(max(pred.max(), y.max())) + 1
    ious = []
    for k in range(num_classes):
        p, t = pred == k, y == k
        union = (p | t).sum()
        ious.append((p & t).sum() / union if union > 0 else torch.tensor(float("nan")))
    return torch.stack(ious).float()
