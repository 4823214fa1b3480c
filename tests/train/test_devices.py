"""Device choice, mixed precision settings, nested copies."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nbcourse.models import MLP, SmallCNN
from nbcourse.train import TrainerNotice, resolve_device
from nbcourse.train.devices import has_conv, resolve_precision, to_device


def test_auto_picks_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert resolve_device("auto") == torch.device("cuda", 0)


def test_explicit_devices_and_errors():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ValueError, match="'auto', 'cpu', 'cuda'"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_precision_choices():
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu).dtype is None
    assert resolve_precision(False, cpu).dtype is None
    assert resolve_precision("bf16", cpu).dtype is torch.bfloat16 and not resolve_precision("bf16", cpu).scale_loss
    with pytest.warns(TrainerNotice, match="skipped on the CPU"):
        assert resolve_precision("fp16", cpu).dtype is None
    with pytest.raises(ValueError, match="amp"):
        resolve_precision("half", cpu)
    # the no-op context costs nothing and does nothing
    with resolve_precision("auto", cpu).autocast():
        assert torch.get_autocast_dtype("cpu") is not None and not torch.is_autocast_enabled("cpu")


@pytest.mark.parametrize("bf16, expected, scaled", [(True, torch.bfloat16, False), (False, torch.float16, True)])
def test_precision_on_a_gpu_follows_bf16_support(monkeypatch, bf16, expected, scaled):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    precision = resolve_precision("auto", torch.device("cuda", 0))
    assert precision.dtype is expected and precision.scale_loss is scaled


def test_has_conv_and_to_device():
    assert has_conv(SmallCNN()) and not has_conv(MLP())
    batch = {"x": torch.zeros(2), "pair": (torch.ones(1), [torch.ones(3)]), "name": "n"}
    moved = to_device(batch, torch.device("cpu"))
    assert moved["name"] == "n" and moved["pair"][1][0].shape == (3,) and isinstance(moved["pair"], tuple)


def test_memory_format_for_batches_and_models():
    from nbcourse.train.devices import memory_format

    images = torch.randn(2, 3, 4, 4)
    assert memory_format(images, True).is_contiguous(memory_format=torch.channels_last)
    back = memory_format(memory_format(images, True), False)
    assert back.is_contiguous() and torch.equal(back, images)
    flat = torch.randn(2, 3)
    assert memory_format(flat, True) is flat
    model = SmallCNN(seed=0)
    assert memory_format(model, True) is model
    assert model.features.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    memory_format(model, False)
    assert model.features.conv1.weight.is_contiguous()


def test_eval_mode_restores_every_module_mode_even_after_an_error():
    from nbcourse.train.devices import eval_mode

    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2))
    model.train()
    model[2].eval()  # frozen batch norm statistics: a mode of its own
    with pytest.raises(RuntimeError, match="inside"):
        with eval_mode(model):
            assert not any(m.training for m in model.modules())
            raise RuntimeError("inside")
    assert model.training and model[1].training and not model[2].training
