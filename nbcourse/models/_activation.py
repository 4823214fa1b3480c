"""Turning the ``activation=`` argument of the models into one fresh module per layer."""

from __future__ import annotations

import copy
import importlib

import torch
from torch import nn

__all__ = ["make_activation", "TORCH_ACTIVATIONS"]

# name -> class name (the same in torch.nn and nbcourse.activations)
_CLASS_NAMES = {
    "relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "leaky_relu": "LeakyReLU", "prelu": "PReLU",
    "elu": "ELU", "selu": "SELU", "softplus": "Softplus", "swish": "Swish", "mish": "Mish", "linear": "Linear",
    "threshold": "Threshold",
}

# the torch.nn equivalent of each name, used when nbcourse.activations is not there
TORCH_ACTIVATIONS = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU, "prelu": nn.PReLU,
    "elu": nn.ELU, "selu": nn.SELU, "softplus": nn.Softplus, "swish": nn.SiLU, "silu": nn.SiLU, "mish": nn.Mish,
    "gelu": nn.GELU, "linear": nn.Identity, "identity": nn.Identity,
}


def _nbcourse_activations():
    try:
        return importlib.import_module("nbcourse.activations")
    except ModuleNotFoundError as e:
        if e.name in ("nbcourse.activations", "nbcourse"):
            return None
        raise


def make_activation(activation) -> nn.Module:
    """A new activation module for one layer.

    Args:
        activation: a name (``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"leaky_relu"``, ``"elu"``, ...: the
            :mod:`nbcourse.activations` module of that name when the package has it, else ``torch.nn``'s),
            an ``nn.Module`` class (instantiated without arguments), or an ``nn.Module`` instance
            (copied, so layers never share a learnable slope).

    Examples::

        >>> type(make_activation(nn.Tanh)).__name__
        'Tanh'
    """
    if isinstance(activation, nn.Module):
        return copy.deepcopy(activation)
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation()
    if not isinstance(activation, str):
        raise TypeError(
            f"models: argument 'activation' got {activation!r}, expected a name such as 'relu', an nn.Module class "
            "or an nn.Module instance"
        )
    name = activation.lower().replace("-", "_")
    acts = _nbcourse_activations()
    if acts is not None:
        get = getattr(acts, "get", None)
        if callable(get):
            try:
                found = get(name)
            except (KeyError, ValueError):
                found = None
            if isinstance(found, nn.Module):
                return copy.deepcopy(found)
            if isinstance(found, type) and issubclass(found, nn.Module):
                return found()
        cls = getattr(acts, _CLASS_NAMES.get(name, ""), None)
        if isinstance(cls, type) and issubclass(cls, nn.Module):
            return cls()
    if name in TORCH_ACTIVATIONS:
        return TORCH_ACTIVATIONS[name]()
    known = sorted(set(TORCH_ACTIVATIONS) | set(_CLASS_NAMES))
    raise ValueError(f"models: unknown activation {activation!r}; known names: {known}")


def init_weights(module: nn.Module, *, init: str, std: float, bias: float | None) -> None:
    """Initialise the weights of every Linear / Conv layer of ``module`` in place.

    ``init``: ``"default"`` (PyTorch's), ``"xavier"`` (Glorot and Bengio, 2010, uniform), ``"kaiming"``
    (He et al., 2015, normal, fan-in), ``"normal"`` (zero mean, standard deviation ``std``).
    ``bias``: a constant for every bias (the lecture's 0.1 against dead ReLUs), or None: PyTorch's default
    with ``init="default"``, zero with the others.
    """
    if init not in ("default", "xavier", "kaiming", "normal"):
        raise ValueError(f"models: argument 'init' got {init!r}, expected 'default', 'xavier', 'kaiming' or 'normal'")
    for m in module.modules():
        if not isinstance(m, (nn.Linear, nn.Conv2d)):
            continue
        with torch.no_grad():
            if init == "xavier":
                nn.init.xavier_uniform_(m.weight)
            elif init == "kaiming":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif init == "normal":
                nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None and (bias is not None or init != "default"):
                nn.init.constant_(m.bias, 0.0 if bias is None else bias)
