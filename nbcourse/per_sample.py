r"""The value of one sample: per-sample losses, per-sample gradients, and one step on one sample.

A stochastic gradient step on sample :math:`i` moves the weights by :math:`-\alpha\,\nabla_{\mathbf w}
L^{(i)}`. How far depends on how *unexpected* the sample is. For softmax regression (logits
:math:`\mathbf z = W\mathbf x + \mathbf b`, probabilities :math:`\mathbf p = \operatorname{softmax}(\mathbf z)`,
one-hot target :math:`\mathbf y`) the gradient of the cross-entropy of one sample is an outer product,

.. math::
    \nabla_W L = (\mathbf p - \mathbf y)\,\mathbf x^\top, \qquad \nabla_{\mathbf b} L = \mathbf p - \mathbf y,
    \qquad \big\|\nabla_{(W,\mathbf b)} L\big\| = \|\mathbf p - \mathbf y\|\,\sqrt{\|\mathbf x\|^2 + 1},

so a sample the model already predicts (:math:`\mathbf p \approx \mathbf y`) hardly moves the weights,
and a surprising one (a mislabelled digit, :math:`\|\mathbf p - \mathbf y\| \to \sqrt 2`) moves them
most. For any other network :func:`per_sample_gradients` computes the same quantity with
``torch.func`` (``vmap`` over ``grad``), one gradient per sample in one vectorised call.

Examples::

    >>> import torch
    >>> from nbcourse.per_sample import per_sample_losses, per_sample_grad_norms
    >>> model = torch.nn.Linear(4, 3)
    >>> X, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    >>> per_sample_losses(model, X, y).shape, per_sample_grad_norms(model, X, y).shape
    (torch.Size([5]), torch.Size([5]))
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import torch
import torch.nn.functional as F

from nbcourse._arrays import describe

__all__ = [
    "per_sample_losses", "per_sample_gradients", "per_sample_grad_norms",
    "softmax_regression_grad_norms", "grad_norm_from_probabilities", "one_step",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check(model: Any, X: Any, y: Any, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{where}: argument 'model' got {describe(model)}, expected a torch.nn.Module")
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        bad = "X" if not isinstance(X, torch.Tensor) else "y"
        raise TypeError(f"{where}: argument {bad!r} got {describe(X if bad == 'X' else y)}, "
                        f"expected a torch tensor (use torch.as_tensor)")
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{where}: X and y must hold the same number of samples along their first "
                         f"dimension, got X {tuple(X.shape)} and y {tuple(y.shape)}")
    if len(X) == 0:
        raise ValueError(f"{where}: got no samples (X has shape {tuple(X.shape)})")
    device = next(model.parameters()).device
    return X.to(device), y.to(device)


def per_sample_losses(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *,
                      loss_fn: LossFn = F.cross_entropy) -> torch.Tensor:
    r"""The loss of every sample, :math:`L^{(i)} = L(f(\mathbf x^{(i)}), y^{(i)})`, without gradients.

    Args:
        model: any module mapping a batch ``X`` to outputs.
        X: inputs, shape ``(m, ...)``.
        y: targets, shape ``(m, ...)``.
        loss_fn: a loss taking ``(output, target)`` and accepting ``reduction="none"``
            (any of ``torch.nn.functional``'s). Default: ``F.cross_entropy``

    Returns:
        a tensor of shape ``(m,)``.

    Example::

        >>> per_sample_losses(torch.nn.Linear(2, 2), torch.zeros(3, 2), torch.tensor([0, 1, 1])).shape
        torch.Size([3])
    """
    X, y = _check(model, X, y, "per_sample_losses")
    with torch.no_grad():
        losses = loss_fn(model(X), y, reduction="none")
    return losses.reshape(len(X), -1).mean(dim=1)


def per_sample_gradients(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *,
                         loss_fn: LossFn = F.cross_entropy, chunk_size: int | None = 256) -> torch.Tensor:
    r"""The gradient of every sample's loss with respect to all parameters, flattened.

    Row :math:`i` is :math:`\nabla_{\mathbf w} L^{(i)}(\mathbf w)`, the parameters in
    ``model.parameters()`` order. Their mean over the rows is the batch gradient
    :math:`\nabla_{\mathbf w} J`. Computed with ``torch.func.vmap(torch.func.grad(...))``: each
    sample goes through the model as a batch of one, so layers that mix samples (batch
    normalisation in training mode) are not supported; call ``model.eval()`` first.

    Args:
        model: the network; its parameters are read, not changed.
        X: inputs, shape ``(m, ...)``.
        y: targets, shape ``(m, ...)``.
        loss_fn: the loss of one sample, ``loss_fn(output, target)`` with the default mean
            reduction. Default: ``F.cross_entropy``
        chunk_size: how many samples ``vmap`` processes at once (bounds the memory). Default: 256

    Returns:
        a tensor of shape ``(m, P)``, ``P`` the number of parameters.

    Example::

        >>> G = per_sample_gradients(torch.nn.Linear(3, 2), torch.randn(4, 3), torch.tensor([0, 1, 1, 0]))
        >>> G.shape                                   # 3*2 weights + 2 biases
        torch.Size([4, 8])
    """
    from torch.func import functional_call, grad, vmap

    X, y = _check(model, X, y, "per_sample_gradients")
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def loss_of_one(p: dict, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, (p, buffers), (x.unsqueeze(0),))
        return loss_fn(out, target.unsqueeze(0))

    grads = vmap(grad(loss_of_one), in_dims=(None, 0, 0), chunk_size=chunk_size)(params, X, y)
    return torch.cat([grads[name].reshape(len(X), -1) for name in names], dim=1)


def per_sample_grad_norms(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *,
                          loss_fn: LossFn = F.cross_entropy) -> torch.Tensor:
    r"""The Euclidean norm :math:`\|\nabla_{\mathbf w} L^{(i)}\|` of every sample's gradient.

    Args:
        model, X, y, loss_fn: as in :func:`per_sample_gradients`.

    Returns:
        a tensor of shape ``(m,)``.

    Example::

        >>> per_sample_grad_norms(torch.nn.Linear(3, 2), torch.randn(4, 3), torch.tensor([0, 1, 1, 0])).shape
        torch.Size([4])
    """
    return per_sample_gradients(model, X, y, loss_fn=loss_fn).norm(dim=1)


def grad_norm_from_probabilities(p: Any, y: Any, x: Any, *, bias: bool = True) -> Any:
    r"""The gradient norm of one softmax-regression sample, from its probabilities, class and input.

    .. math::
        \big\|\nabla_{(W,\mathbf b)} L\big\| = \|\mathbf p - \mathbf y\|\,\sqrt{\|\mathbf x\|^2 + 1}

    (without the :math:`+1` when the model has no bias), :math:`\mathbf y` the one-hot vector of
    the class ``y``.

    Args:
        p: predicted probabilities, shape ``(K,)``, or ``(m, K)`` for ``m`` samples.
        y: the class index (an int), or ``(m,)`` class indices.
        x: the input, shape ``(d,)``, or ``(m, d)`` (one row per sample: the :math:`\mathbf x` of the formula).
        bias: whether the model has a bias. Default: True

    Returns:
        for one sample a number (a 0-d tensor for tensor input); for ``m`` samples an array or
        tensor (the kind of ``p``) of shape ``(m,)``.

    Example::

        >>> grad_norm_from_probabilities([0.5, 0.5], 0, [1.0, 1.0, 1.0])      # |p - y| = 1/sqrt 2, sqrt(3 + 1) = 2
        1.4142135623730951
    """
    from nbcourse._arrays import from_tensor, to_tensor

    pt, kind = to_tensor(p, name="p", where="grad_norm_from_probabilities")
    xt, _ = to_tensor(x, name="x", where="grad_norm_from_probabilities")
    tt = torch.as_tensor(y.detach() if isinstance(y, torch.Tensor) else y).long()
    single = pt.ndim == 1
    pt, xt, tt = pt.reshape(-1, pt.shape[-1]), xt.reshape(len(pt.reshape(-1, pt.shape[-1])), -1), tt.reshape(-1)
    if not (len(pt) == len(xt) == len(tt)):
        raise ValueError(f"grad_norm_from_probabilities: p, y and x must describe the same samples, "
                         f"got {len(pt)}, {len(tt)} and {len(xt)}")
    residual = pt - F.one_hot(tt, pt.shape[1]).to(pt.dtype)                 # p - y
    x_sq = (xt.to(pt.dtype) ** 2).sum(dim=1) + (1.0 if bias else 0.0)       # ||x||^2 (+ 1)
    out = residual.norm(dim=1) * x_sq.sqrt()
    if single:
        return out[0] if kind == "tensor" else float(out[0])
    return from_tensor(out, kind)


def _the_linear_layer(model: Any) -> torch.nn.Linear:
    """The one ``Linear`` of a softmax-regression model: the model itself, or an MLP without hidden layers."""
    if isinstance(model, torch.nn.Linear):
        return model
    if getattr(model, "hidden_sizes", None) == () and isinstance(getattr(getattr(model, "layers", None), "out", None),
                                                                torch.nn.Linear):
        return model.layers.out
    raise TypeError(f"softmax_regression_grad_norms: argument 'model' got {describe(model)}, expected a "
                    f"torch.nn.Linear or an nbcourse.models.MLP without hidden layers (for other models use "
                    f"per_sample_grad_norms)")


def softmax_regression_grad_norms(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Per-sample gradient norms of softmax regression (a ``Linear`` layer + cross-entropy), analytically.

    .. math::
        \big\|\nabla_{(W,\mathbf b)} L^{(i)}\big\| = \big\|\mathbf p^{(i)} - \mathbf y^{(i)}\big\|
        \sqrt{\|\mathbf x^{(i)}\|^2 + [\text{bias}]}

    where :math:`\mathbf p^{(i)} = \operatorname{softmax}(W\mathbf x^{(i)} + \mathbf b)` and
    :math:`\mathbf y^{(i)}` is the one-hot target: the outer product :math:`(\mathbf p - \mathbf
    y)\mathbf x^\top` has norm :math:`\|\mathbf p - \mathbf y\|\,\|\mathbf x\|`. The same numbers as
    :func:`per_sample_grad_norms`, without autograd.

    Args:
        model: a ``torch.nn.Linear(in_features, num_classes)``, or ``nbcourse.models.MLP`` with
            ``hidden_sizes=()``.
        X: inputs, shape ``(m, in_features)``.
        y: class indices, shape ``(m,)``.

    Returns:
        a tensor of shape ``(m,)``.

    Example::

        >>> model = torch.nn.Linear(3, 2)
        >>> X, y = torch.randn(4, 3), torch.tensor([0, 1, 1, 0])
        >>> torch.allclose(softmax_regression_grad_norms(model, X, y), per_sample_grad_norms(model, X, y))
        True
    """
    linear = _the_linear_layer(model)
    X, y = _check(model, X, y, "softmax_regression_grad_norms")
    with torch.no_grad():
        p = torch.softmax(linear(X.reshape(len(X), -1)), dim=1)
        residual = p - F.one_hot(y, p.shape[1]).to(p.dtype)            # (m, K): p - y
        x_sq = (X.reshape(len(X), -1) ** 2).sum(dim=1)                  # (m,):  ||x||^2
        if linear.bias is not None:
            x_sq = x_sq + 1.0
        return residual.norm(dim=1) * x_sq.sqrt()


def one_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, lr: float,
             loss_fn: LossFn = F.cross_entropy, X_ref: torch.Tensor | None = None,
             y_ref: torch.Tensor | None = None) -> dict[str, float]:
    r"""Take one plain SGD step on one sample, on a copy of ``model``, and measure what changed.

    .. math::
        \Delta\mathbf w = -\alpha\,\nabla_{\mathbf w} L(f(\mathbf x), y), \qquad
        \|\Delta\mathbf w\| = \alpha\,\|\nabla_{\mathbf w} L\|

    ``model`` itself is left untouched.

    Args:
        model: the network, usually part-way through training.
        x: one input (without a batch dimension).
        y: its target (a 0-d tensor for a class index).
        lr: the learning rate :math:`\alpha`.
        loss_fn: the loss. Default: ``F.cross_entropy``
        X_ref, y_ref: optional reference samples (say, a validation set) on which the mean loss
            is measured before and after the step. Default: None

    Returns:
        a dict with ``"loss_before"``, ``"loss_after"`` (the sample's own loss), ``"weight_change"``
        (the norm of :math:`\Delta\mathbf w`) and, with reference samples, ``"ref_loss_before"`` and
        ``"ref_loss_after"``.

    Example::

        >>> out = one_step(torch.nn.Linear(3, 2), torch.ones(3), torch.tensor(1), lr=0.1)
        >>> out["loss_after"] < out["loss_before"]
        True
    """
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"one_step: argument 'lr' got {describe(lr)}, expected a positive learning rate")
    X, Y = _check(model, x.unsqueeze(0), y.unsqueeze(0), "one_step")
    moved = copy.deepcopy(model)
    before = [p.detach().clone() for p in moved.parameters()]
    out: dict[str, float] = {}
    with torch.no_grad():
        out["loss_before"] = float(loss_fn(moved(X), Y))
        if X_ref is not None and y_ref is not None:
            out["ref_loss_before"] = float(loss_fn(moved(X_ref), y_ref))
    moved.zero_grad(set_to_none=True)
    loss_fn(moved(X), Y).backward()
    with torch.no_grad():
        for p in moved.parameters():
            if p.grad is not None:
                p -= lr * p.grad
        out["weight_change"] = float(torch.sqrt(sum(((p - b) ** 2).sum()
                                                    for p, b in zip(moved.parameters(), before))))
        out["loss_after"] = float(loss_fn(moved(X), Y))
        if X_ref is not None and y_ref is not None:
            out["ref_loss_after"] = float(loss_fn(moved(X_ref), y_ref))
    return out
