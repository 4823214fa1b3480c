"""FCN: any input size gives an output of the same height and width, the pieces of the paper, errors, and that it learns."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nbcourse.data.shapes import make_shapes
from nbcourse.models import FCN
from nbcourse.models.fcn import bilinear_kernel, per_class_iou
from nbcourse.train import Trainer

SIZES = [(32, 32), (48, 48), (40, 56), (33, 35), (31, 17), (7, 5), (2, 3), (1, 1)]


@pytest.mark.parametrize("upsample", ["learned", "bilinear"])
@pytest.mark.parametrize("skip", [True, False])
def test_output_keeps_height_and_width(upsample, skip):
    model = FCN(1, 4, (4, 8, 8), convs_per_stage=1, upsample=upsample, skip=skip, seed=0)
    for h, w in SIZES:  # includes sizes not divisible by the downsampling factor 4
        assert model(torch.randn(2, 1, h, w)).shape == (2, 4, h, w), (h, w)
    deeper = FCN(3, 5, (4, 4, 4, 4), convs_per_stage=1, seed=0)  # downsampling by 8
    for h, w in SIZES:
        assert deeper(torch.randn(1, 3, h, w)).shape == (1, 5, h, w), (h, w)


def test_fully_convolutional_no_size_dependent_parameter():
    """The same weights serve every size: a crop of the input gives the crop of the output, away from the borders."""
    torch.manual_seed(0)
    model = FCN(1, 3, (4, 8), convs_per_stage=1, upsample="bilinear", seed=1).eval()
    x = torch.randn(1, 1, 40, 40)
    big = model(x)
    small = model(x[..., 8:32, 8:32])     # a crop at an offset that is a multiple of the downsampling factor
    assert torch.allclose(big[..., 16:24, 16:24], small[..., 8:16, 8:16], atol=1e-5)


def test_classifier_is_1x1_convolution_per_pixel():
    model = FCN(seed=0)
    assert all(m.kernel_size == (1, 1) for m in model.score.values())
    assert all(m.out_channels == 4 for m in model.score.values())
    assert len(model.score) == 2 and len(FCN(skip=False, seed=0).score) == 1


def test_bilinear_kernel_matches_interpolation():
    x = torch.randn(2, 3, 6, 7, dtype=torch.float64)
    up = F.conv_transpose2d(x, bilinear_kernel(3).double(), stride=2, padding=1)
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert up.shape == ref.shape
    assert torch.allclose(up[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=1e-12)
    model = FCN(num_classes=3, seed=0)
    assert torch.equal(model.up[0].weight, bilinear_kernel(3)), "learned upsampling starts bilinear, as in the paper"
    assert FCN(upsample="bilinear", seed=0).up is None


def test_forward_reads_as_the_formula():
    model = FCN(1, 2, (3, 5), convs_per_stage=1, upsample="bilinear", seed=0)
    x = torch.randn(1, 1, 9, 11)
    a1 = model.stages[0](x)                                   # (1, 3, 9, 11)
    a2 = model.stages[1](F.max_pool2d(a1, 2, ceil_mode=True))  # (1, 5, 5, 6)
    s = model.score["1"](a2)
    s = F.interpolate(s, scale_factor=2, mode="bilinear", align_corners=False)[..., :9, :11]
    assert torch.allclose(model(x), s, atol=1e-6)


def test_seed_and_errors():
    a, b = FCN(seed=3), FCN(seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with pytest.raises(ValueError, match="upsample"):
        FCN(upsample="nearest")
    with pytest.raises(ValueError, match="at least two stages"):
        FCN(channels=(8,))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        FCN()(torch.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match="'x'"):
        FCN()(torch.randn(8, 8))


def test_per_class_iou():
    y = torch.tensor([[[0, 1], [2, 2]]])
    assert torch.allclose(per_class_iou(y, y), torch.ones(3))
    pred = torch.tensor([[[0, 0], [2, 1]]])
    iou = per_class_iou(pred, y, num_classes=4)
    assert torch.allclose(iou[:3], torch.tensor([0.5, 0.0, 0.5])) and torch.isnan(iou[3])
    logits = F.one_hot(pred, 3).permute(0, 3, 1, 2).float()
    assert torch.allclose(per_class_iou(logits, y), iou[:3])
    with pytest.raises(ValueError, match="do not match"):
        per_class_iou(pred, y[:, :1])


def test_learns_the_shapes_and_runs_on_other_sizes():
    X, y = make_shapes(128, size=24, seed=0)
    model = FCN(1, 4, (8, 16), convs_per_stage=1, seed=0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-2), device="cpu", seed=0)
    history = trainer.fit((X, y), epochs=6, batch_size=32)
    assert history["train_loss"][-1] < 0.6 * history["train_loss"][0]
    X_big, y_big = make_shapes(16, size=(40, 29), seed=5)
    with torch.no_grad():
        iou = per_class_iou(model(X_big), y_big)
    assert iou[0] > 0.9, "background is found on a size never seen in training"
