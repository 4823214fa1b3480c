r"""Pre-flight checks: one small batch through the model and the loss before training starts.

A wrong dtype, a wrong shape or a label out of range usually surfaces deep inside PyTorch after
the first step, or not at all (``MSELoss`` silently broadcasts an ``(N,)`` target against an
``(N, 1)`` output). :func:`check_batch` runs the model and the loss once, on a few samples, in
eval mode and without touching the weights, and turns each such mistake into an error that says
how to fix it.

What a loss compares its input with is read from the loss, not guessed from its name: every loss
of :mod:`nbcourse.losses` declares a class attribute ``targets``, a tuple drawn from

=================  ==========================================================================
``"classes"``      class indices, int64, one per sample (shape of the output without its class
                   dimension); may hold the loss's ``ignore_index``
``"probabilities"``  the output's shape, floating point, in [0, 1]
``"values"``       the output's shape, real numbers
``"pairs"``        metric learning on pairs (``loss(x1, x2, same)``): not checked here
``"triplets"``     metric learning on triplets (``loss(anchor, positive, negative)``): not checked
=================  ==========================================================================

and an ``ignore_index`` attribute where the loss has one. PyTorch's own losses are mapped in
:data:`TORCH_TARGETS` below. A function loss is read through the module it belongs to (the
``module`` attribute of the :mod:`nbcourse.losses` functions). A loss that declares nothing is
checked only for what every loss must do (return one number that can be differentiated).

    >>> import torch
    >>> loss_targets(torch.nn.CrossEntropyLoss())
    ('classes', 'probabilities')
    >>> loss_ignore_index(torch.nn.functional.cross_entropy)
    -100
    >>> loss_targets(lambda y_hat, y: (y_hat - y).abs().mean()) is None
    True
"""

from __future__ import annotations

import functools
import inspect
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .devices import eval_mode, notice

__all__ = ["TARGET_KINDS", "TORCH_TARGETS", "loss_targets", "loss_ignore_index", "check_batch", "check_inputs",
           "describe_first_layer", "loss_name", "param_dtype"]

TARGET_KINDS = ("classes", "probabilities", "values", "pairs", "triplets")

TORCH_TARGETS: dict = {
    # modules
    nn.CrossEntropyLoss: ("classes", "probabilities"),
    nn.NLLLoss: ("classes",),
    nn.MultiMarginLoss: ("classes",),
    nn.BCELoss: ("probabilities",),
    nn.BCEWithLogitsLoss: ("probabilities",),
    nn.MultiLabelSoftMarginLoss: ("probabilities",),
    nn.MSELoss: ("values",),
    nn.L1Loss: ("values",),
    nn.SmoothL1Loss: ("values",),
    nn.HuberLoss: ("values",),
    nn.KLDivLoss: ("values",),  # probabilities, or log-probabilities with log_target=True
    nn.PoissonNLLLoss: ("values",),
    nn.SoftMarginLoss: ("values",),
    nn.HingeEmbeddingLoss: ("values",),
    nn.CosineEmbeddingLoss: ("pairs",),
    nn.MarginRankingLoss: ("pairs",),
    nn.TripletMarginLoss: ("triplets",),
    # functions
    F.cross_entropy: ("classes", "probabilities"),
    F.nll_loss: ("classes",),
    F.multi_margin_loss: ("classes",),
    F.binary_cross_entropy: ("probabilities",),
    F.binary_cross_entropy_with_logits: ("probabilities",),
    F.multilabel_soft_margin_loss: ("probabilities",),
    F.mse_loss: ("values",),
    F.l1_loss: ("values",),
    F.smooth_l1_loss: ("values",),
    F.huber_loss: ("values",),
    F.kl_div: ("values",),
    F.poisson_nll_loss: ("values",),
    F.soft_margin_loss: ("values",),
    F.hinge_embedding_loss: ("values",),
    F.cosine_embedding_loss: ("pairs",),
    F.margin_ranking_loss: ("pairs",),
    F.triplet_margin_loss: ("triplets",),
}
"""What PyTorch's own losses take (they declare nothing themselves)."""


def _declared(obj):
    targets = getattr(obj, "targets", None)
    if isinstance(targets, str):
        targets = (targets,)
    if isinstance(targets, (tuple, list)) and targets and all(t in TARGET_KINDS for t in targets):
        return tuple(targets)
    return None


def _unwrap(loss_fn):
    """The function under a ``functools.partial`` (and the keywords it binds)."""
    keywords = {}
    while isinstance(loss_fn, functools.partial):
        keywords = {**loss_fn.keywords, **keywords}
        loss_fn = loss_fn.func
    return loss_fn, keywords


def loss_targets(loss_fn) -> tuple[str, ...] | None:
    """The kinds of targets ``loss_fn`` takes (see the module docstring), or None when it does not say.

    Read from, in order: the loss's own ``targets`` attribute (instance or class), the module class
    of a function loss (its ``module`` attribute), PyTorch's losses in :data:`TORCH_TARGETS`.
    """
    fn, _ = _unwrap(loss_fn)
    for candidate in (fn, getattr(fn, "module", None)):
        declared = _declared(candidate) if candidate is not None else None
        if declared:
            return declared
    for key in (fn, type(fn)):
        try:
            if key in TORCH_TARGETS:
                return TORCH_TARGETS[key]
        except TypeError:  # an unhashable callable
            return None
    for cls in type(fn).__mro__[1:]:  # a subclass of one of torch's losses
        if cls in TORCH_TARGETS:
            return TORCH_TARGETS[cls]
    return None


def loss_ignore_index(loss_fn) -> int | None:
    """The class index ``loss_fn`` skips (its ``ignore_index``), or None when it has none.

    A module's attribute, a keyword bound by ``functools.partial``, or the default of a function's
    ``ignore_index`` parameter (-100 for ``torch.nn.functional.cross_entropy``).
    """
    fn, keywords = _unwrap(loss_fn)
    if "ignore_index" in keywords:
        return int(keywords["ignore_index"])
    value = getattr(fn, "ignore_index", None)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if callable(fn) and not isinstance(fn, nn.Module):   # a function, or a declared nbcourse loss
        try:
            parameter = inspect.signature(fn).parameters.get("ignore_index")
        except (TypeError, ValueError):
            return None
        if parameter is not None and isinstance(parameter.default, int):
            return parameter.default
    return None


def loss_name(loss_fn) -> str:
    """How errors name the loss: ``CrossEntropyLoss()`` for a module, the function's name otherwise."""
    if isinstance(loss_fn, nn.Module):
        return f"{type(loss_fn).__name__}()"
    fn, _ = _unwrap(loss_fn)
    return getattr(fn, "__name__", repr(loss_fn))


def param_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's first floating-point parameter (the dtype its inputs must have)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def describe_first_layer(model: nn.Module) -> str:
    """A sentence about the model's first Linear or Conv layer and the inputs it expects ('' if none)."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            if isinstance(module, nn.Linear):
                expects = f"inputs of shape (N, {module.in_features})"
            else:
                expects = f"inputs with {module.in_channels} channels, e.g. (N, {module.in_channels}, H, W)"
            return f" Its first layer is {module!r}, which expects {expects}."
    return ""


def check_inputs(model: nn.Module, X: torch.Tensor, where: str) -> None:
    """Floating-point inputs must have the dtype of the model's parameters."""
    dtype = param_dtype(model)
    if X.is_floating_point() and X.dtype != dtype:
        raise TypeError(
            f"{where}: inputs X are {X.dtype} but the model's parameters are {dtype}; "
            f"convert the data with X.to({dtype}) (or the model with model.to({X.dtype}))"
        )


# ------------------------------------------------------------------------------------------------
# the one-batch check
# ------------------------------------------------------------------------------------------------

def check_batch(model: nn.Module, loss_fn, metrics: dict, X: torch.Tensor, y: torch.Tensor, *, name: str,
                full_y: torch.Tensor | None = None, caller: str = "Trainer.fit") -> None:
    """Run ``X`` through ``model`` and ``loss_fn`` (and each metric) once, in eval mode, without
    gradients for the weights; raise a ``TypeError`` or ``ValueError`` that says how to fix
    whatever fails. ``full_y`` (all the labels, when in memory) is used for the class-range check."""
    where = f"{caller} ({name})"
    check_inputs(model, X, where)
    with eval_mode(model), torch.no_grad():
        try:
            y_hat = model(X)
        except Exception as e:  # noqa: BLE001 - re-raised with the shapes that explain it
            raise ValueError(
                f"{where}: the model cannot take a batch of inputs of shape {tuple(X.shape)} and dtype "
                f"{X.dtype}.{describe_first_layer(model)} The model said: {type(e).__name__}: {e}"
            ) from e
        if not isinstance(y_hat, torch.Tensor):
            raise TypeError(f"{where}: the model returned {type(y_hat).__name__}, expected a tensor")
        _check_targets(loss_fn, y_hat, y, where, full_y=full_y)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*target size.*")  # torch's broadcasting warning
            try:
                loss = loss_fn(y_hat, y)
            except Exception as e:  # noqa: BLE001
                error = TypeError if _is_dtype_error(e) else ValueError
                raise error(
                    f"{where}: loss_fn {loss_name(loss_fn)} cannot compare the model output of shape "
                    f"{tuple(y_hat.shape)} with targets of shape {tuple(y.shape)} and dtype {y.dtype}."
                    f"{_dtype_hint(loss_fn, y) if error is TypeError else ''} It said: {type(e).__name__}: {e}"
                ) from e
        if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise ValueError(
                f"{where}: loss_fn {loss_name(loss_fn)} returned {shape}, expected a single number (a 0-d tensor): "
                "use reduction='mean'"
            )
        if y_hat.is_floating_point():
            _check_backward(loss_fn, y_hat, y, where)
        if getattr(loss_fn, "reduction", "mean") == "sum":
            notice(f"{where}: loss_fn has reduction='sum'; the History's epoch losses assume a mean over the batch")
        for metric_name, fn in metrics.items():
            try:
                value = fn(y_hat, y)
            except Exception as e:  # noqa: BLE001
                raise ValueError(
                    f"{where}: metric {metric_name!r} failed on model output {tuple(y_hat.shape)} and targets "
                    f"{tuple(y.shape)}: {type(e).__name__}: {e}"
                ) from e
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                raise ValueError(f"{where}: metric {metric_name!r} must return a single-number tensor, got {value!r}")


def _check_targets(loss_fn, y_hat, y, where, *, full_y=None) -> None:
    """The checks the loss's declared ``targets`` allow; nothing for a loss that declares none."""
    kinds = loss_targets(loss_fn)
    if not kinds or not ({"classes", "probabilities", "values"} & set(kinds)):
        return
    name = loss_name(loss_fn)
    index_shape = y_hat.ndim == y.ndim + 1
    if "classes" in kinds and index_shape:
        if y.is_floating_point():
            raise TypeError(f"{where}: {name} takes class indices as integers, but the targets are {y.dtype} "
                            f"of shape {tuple(y.shape)}; use y.long()")
        _check_class_range(loss_fn, y_hat, full_y if full_y is not None else y, where)
        return
    if y.shape == y_hat.shape:
        if "values" not in kinds and "probabilities" in kinds:
            if not y.is_floating_point():
                raise TypeError(f"{where}: {name} takes float targets (probabilities, e.g. 0.0 / 1.0), but they "
                                f"are {y.dtype}; use y.float()")
            _check_probabilities(name, full_y if full_y is not None and full_y.shape[1:] == y.shape[1:] else y, where)
        return
    if "classes" in kinds:
        expected = f"class indices of shape {tuple(y_hat.shape[:1]) + tuple(y_hat.shape[2:])}"
        if "probabilities" in kinds:
            expected += " or probabilities of the output's shape"
        raise ValueError(f"{where}: {name} got model output of shape {tuple(y_hat.shape)} and targets of shape "
                         f"{tuple(y.shape)}: targets are {expected}")
    if y_hat.ndim == y.ndim + 1 and y_hat.shape[-1] == 1:
        fix = "reshape the targets with y.unsqueeze(1) (or y.view(-1, 1))"
    elif y.ndim == y_hat.ndim + 1 and y.shape[-1] == 1:
        fix = "reshape the targets with y.squeeze(1)"
    else:
        fix = "make the model output one value per target"
    raise ValueError(f"{where}: {name} compares model output of shape {tuple(y_hat.shape)} with targets of shape "
                     f"{tuple(y.shape)}; they would broadcast to a wrong result: {fix}")


def _check_probabilities(name, targets, where) -> None:
    """Targets a loss reads as probabilities lie in [0, 1]."""
    if targets.numel() == 0:
        return
    low, high = float(targets.min()), float(targets.max())
    if low >= 0.0 and high <= 1.0:
        return
    hint = ""
    if float(targets.round().sub(targets).abs().max()) == 0.0 and high >= 2:
        hint = (f" They look like class labels 0..{int(high)}: for more than two classes use CrossEntropyLoss "
                "with one output per class and integer labels (y.long())")
    raise ValueError(f"{where}: {name} takes targets that are probabilities in [0, 1], but they range from {low:g} "
                     f"to {high:g}.{hint}")


def _check_class_range(loss_fn, y_hat, labels, where) -> None:
    """Every label is a class of the output (0..C-1), or the loss's ``ignore_index``."""
    if y_hat.ndim < 2 or labels.numel() == 0:
        return
    classes = y_hat.shape[1]
    ignore = loss_ignore_index(loss_fn)
    kept = labels if ignore is None else labels[labels != ignore]
    if kept.numel() == 0:
        return
    low, high = int(kept.min()), int(kept.max())
    if low >= 0 and high < classes:
        return
    hint = " Did you mean y - 1?" if low >= 1 and high == classes else ""
    if ignore is not None:
        hint += f" (Labels equal to ignore_index={ignore} are skipped by the loss and allowed.)"
    elif low < 0:
        hint += " (This loss has no ignore_index: every label must be a class.)"
    raise ValueError(f"{where}: the targets hold classes {low}..{high}, but the model outputs {classes} classes "
                     f"(0..{classes - 1}).{hint}")


def _check_backward(loss_fn, y_hat, y, where) -> None:
    """Differentiate the loss with respect to the model's output once (not the weights): some losses
    accept targets of a wrong dtype in the forward pass and fail only in backward."""
    with torch.enable_grad():
        out = y_hat.detach().requires_grad_(True)
        try:
            loss = loss_fn(out.clone(), y)  # a non-leaf, like the model's output: in-place ops stay allowed
            if isinstance(loss, torch.Tensor) and loss.requires_grad:
                torch.autograd.grad(loss, out)
        except Exception as e:  # noqa: BLE001
            error = TypeError if _is_dtype_error(e) else ValueError
            raise error(
                f"{where}: the gradient of loss_fn {loss_name(loss_fn)} cannot be computed for model output "
                f"{tuple(y_hat.shape)} {y_hat.dtype} and targets {tuple(y.shape)} {y.dtype}."
                f"{_dtype_hint(loss_fn, y) if error is TypeError else ''} It said: {type(e).__name__}: {e}"
            ) from e


def _is_dtype_error(e: Exception) -> bool:
    text = str(e).lower()
    return isinstance(e, TypeError) or "dtype" in text or "expected scalar type" in text


def _dtype_hint(loss_fn, y) -> str:
    kinds = loss_targets(loss_fn) or ()
    if "classes" in kinds and not y.is_floating_point():
        return " Class-index targets must be int64: use y.long()."
    if not y.is_floating_point():
        return " Targets must be floating point like the model's output: use y.float()."
    return ""
