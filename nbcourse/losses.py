r"""Every loss and output function of the lecture, each next to its analytic derivative.

The layout follows the lecture, *Tasks, losses and the output layer*:

- output functions: :func:`softmax`, :func:`log_softmax` (both stable) and :func:`naive_softmax`
  (the unstable one the lecture warns about, kept to show the failure);
- regression: :func:`mse`, :func:`mae`, :func:`huber`, :func:`log_cosh`;
- classification: :func:`bce` (on probabilities), :func:`bce_with_logits`, :func:`cross_entropy`,
  :func:`nll`;
- metric learning (siamese and triplet networks): :func:`contrastive`, :func:`triplet`.

Conventions, the same for every loss (they follow ``torch.nn.functional``):

- ``NAME(input, target, ..., reduction="mean")`` with ``reduction`` one of ``"mean"``, ``"sum"``,
  ``"none"``; values equal torch's wherever torch has the loss.
- ``NAME.grad(input, target, ..., reduction="mean")`` is the derivative of the loss with respect to
  ``input``, written from the formula (not obtained from autograd), with the shape of ``input``.
  With ``reduction="none"`` it is the derivative of every term with respect to its own input (the
  vector-Jacobian product with a vector of ones), so it equals the ``"sum"`` derivative.
- The output functions take an upstream gradient instead: ``softmax.grad(z, grad_output)`` is the
  vector-Jacobian product :math:`g^\top \partial S / \partial z`; ``softmax.jacobian(z)`` is the
  full Jacobian :math:`S_i(\delta_{ij} - S_j)`.
- Training uses the analytic derivative: when an input requires grad, the loss runs inside a
  ``torch.autograd.Function`` whose ``backward`` evaluates the same formula as ``NAME.grad`` (a
  weight that itself requires grad makes autograd differentiate the formula instead, so no gradient
  is lost). ``triplet`` is the exception: autograd differentiates it.
- ``nn.Module`` wrappers (``MSELoss``, ``CrossEntropyLoss``, ...) are one line over the function.
- A numpy array or Python number in gives a numpy array or float out.
- Elementwise losses never broadcast: ``input`` and ``target`` must have the same shape.
- Empty input is allowed, as in torch: ``"mean"`` of nothing is nan, ``"sum"`` is 0.
- Bad input raises ``ValueError`` or ``TypeError`` naming the function, the argument, what it got
  and what was expected.

Examples::

    >>> import torch
    >>> from nbcourse.losses import cross_entropy, softmax, naive_softmax
    >>> logits, target = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0])
    >>> cross_entropy.grad(logits, target)   # S(z) - onehot(target), over N = 1
    tensor([[-0.1562,  0.1142,  0.0420]])
    >>> softmax([20, 134, 854])               # shifted by the max: no overflow
    array([0.0000000e+000, 2.0322308e-313, 1.0000000e+000])
    >>> naive_softmax([20, 134, 854])         # exp(854) overflows: inf / inf
    array([ 0.,  0., nan])
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, NamedTuple

import torch
from torch import nn

from nbcourse._arrays import describe, from_tensor, to_tensor

__all__ = [
    # output functions
    "softmax", "log_softmax", "naive_softmax",
    # losses
    "mse", "mae", "huber", "log_cosh", "bce", "bce_with_logits", "cross_entropy", "nll",
    "contrastive", "triplet",
    # modules
    "Softmax", "LogSoftmax", "MSELoss", "MAELoss", "L1Loss", "HuberLoss", "LogCoshLoss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "ContrastiveLoss", "TripletLoss",
    "TripletMarginLoss",
    # registries
    "LOSSES", "OUTPUTS", "REDUCTIONS",
]

REDUCTIONS = ("mean", "sum", "none")


# ==================================================================================================
# Checking arguments
# ==================================================================================================

def _check_reduction(reduction: Any, where: str) -> None:
    """The one place that validates ``reduction`` for every function and module."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"{where}: reduction={reduction!r} is not one of {', '.join(map(repr, REDUCTIONS))}")


def _check_number(value: Any, *, name: str, where: str, minimum: float | None = None,
                  strict: bool = False, maximum: float | None = None) -> float:
    """A finite real hyperparameter (``delta``, ``margin``, ...), optionally bounded."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        hint = " (reduction is keyword-only: write reduction=...)" if isinstance(value, str) else ""
        raise TypeError(f"{where}: {name} must be a finite number, got {describe(value)}{hint}")
    too_small = minimum is not None and (value <= minimum if strict else value < minimum)
    too_large = maximum is not None and value > maximum
    if too_small or too_large:
        low = "" if minimum is None else f"{'>' if strict else '>='} {minimum}"
        high = "" if maximum is None else f"<= {maximum}"
        bounds = " and ".join(filter(None, (low, high)))
        raise ValueError(f"{where}: {name} must be {bounds}, got {value}")
    return float(value)


def _reshape_hint(name_a: str, shape_a: tuple, name_b: str, shape_b: tuple) -> str | None:
    """How to give ``a`` and ``b`` the same shape, when an obvious way exists."""
    for name, shape, other in ((name_a, shape_a, shape_b), (name_b, shape_b, shape_a)):
        for k, size in enumerate(shape):
            if size == 1 and shape[:k] + shape[k + 1:] == other:
                return f"{name}.squeeze({k})"
    if math.prod(shape_a) == math.prod(shape_b):
        return f"{name_a}.reshape({name_b}.shape)"
    return None


def _check_same_shape(where: str, name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """Elementwise losses compare entry by entry: no broadcasting, not even the harmless kind."""
    if a.shape == b.shape:
        return
    shape_a, shape_b = tuple(a.shape), tuple(b.shape)
    message = f"{where}: {name_a} has shape {shape_a} but {name_b} has shape {shape_b}"
    try:
        broadcast = tuple(torch.broadcast_shapes(a.shape, b.shape))
        message += f"; they would broadcast to {broadcast} silently"
    except RuntimeError:
        message += "; they must have the same shape"
    hint = _reshape_hint(name_a, shape_a, name_b, shape_b)
    message += f". Did you mean {hint}?" if hint else "."
    raise ValueError(message)


def _check_device(where: str, name: str, t: torch.Tensor, x: torch.Tensor) -> None:
    if t.device != x.device:
        raise ValueError(f"{where}: input is on {x.device} but {name} is on {t.device}; "
                         f"move it with {name}.to(input.device)")


def _as_input(x: Any, where: str, name: str = "input") -> tuple[torch.Tensor, str]:
    return to_tensor(x, name=name, where=where)


def _as_like(t: Any, x: torch.Tensor, where: str, name: str) -> torch.Tensor:
    """``t`` as a floating tensor with ``x``'s dtype, on ``x``'s device."""
    t, _ = to_tensor(t, name=name, where=where)
    _check_device(where, name, t, x)
    return t.to(dtype=x.dtype)


def _elementwise_pair(where: str, input: Any, target: Any) -> tuple[torch.Tensor, torch.Tensor, str]:
    x, kind = _as_input(input, where)
    y = _as_like(target, x, where, "target")
    _check_same_shape(where, "input", x, "target", y)
    return x, y, kind


def _check_probabilities(where: str, name: str, p: torch.Tensor, hint: str) -> None:
    if p.numel() == 0:
        return
    low, high = (v.item() for v in torch.aminmax(p.detach()))
    if not (low >= 0 and high <= 1):  # also False when p holds nan
        seen = "nan" if math.isnan(low) or math.isnan(high) else f"values from {low:.4g} to {high:.4g}"
        raise ValueError(f"{where}: {name} must hold probabilities in [0, 1], got {seen}. {hint}")


def _reject_reduction_as_weight(where: str, name: str, weight: Any) -> None:
    """``loss(input, target, "sum")`` puts the reduction in the ``weight`` slot: say so."""
    if isinstance(weight, str) and weight in REDUCTIONS:
        raise TypeError(f"{where}: argument {name!r} got str {weight!r}, expected a tensor of weights or None; "
                        f"reduction is keyword-only: write reduction={weight!r}")


def _check_weight(where: str, name: str, weight: Any, x: torch.Tensor) -> torch.Tensor | None:
    """An elementwise weight must broadcast to ``input``'s shape without changing it."""
    if weight is None:
        return None
    _reject_reduction_as_weight(where, name, weight)
    w = _as_like(weight, x, where, name)
    try:
        ok = torch.broadcast_shapes(w.shape, x.shape) == x.shape
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(f"{where}: {name} has shape {tuple(w.shape)}, which does not broadcast to "
                         f"input's shape {tuple(x.shape)}")
    return w


def _check_dim(where: str, dim: Any, x: torch.Tensor) -> int:
    ndim = max(x.dim(), 1)  # torch lets a 0-d tensor use dim 0 or -1
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -ndim <= dim < ndim:
        raise ValueError(f"{where}: dim={dim!r} is out of range for z with {x.dim()} dimension(s); "
                         f"expected an integer in [{-ndim}, {ndim - 1}] (-1 is the last)")
    return int(dim)


# ==================================================================================================
# Reduction, and the autograd Function that trains with the analytic derivative
# ==================================================================================================
#
# Every loss below is written as two functions:
#
#   terms(input, target, **options) -> (terms, normalizer, cache)
#       the loss before reduction (shape of the "none" output), the number a "mean" divides by
#       (the count of terms, or the sum of the class weights for cross_entropy / nll), and a tuple
#       of intermediate results that the derivative reuses (the residual, the softmax, ...);
#   vjp(input, target, upstream, cache, need_target, **options) -> (grad_input, grad_target)
#       the chain rule  dL/dinput = dL/dterm * dterm/dinput  written from the formula, where
#       upstream = dL/dterm is 1/normalizer ("mean"), 1 ("sum") or grad_output ("none"), and
#       cache is the tuple above, or None: then vjp recomputes what it needs from the inputs.


# Speed: on a million entries the time goes into passes over memory and into allocating fresh
# 4 MB buffers, so some steps below update a temporary in place (exp_, sub_, mul_, ...). Each one
# is chosen so that autograd never needs the overwritten value: the derivative code itself stays
# differentiable (double backward is tested with gradgradcheck).


class _Formula(NamedTuple):
    name: str
    terms: Callable
    vjp: Callable


def _reduce(terms: torch.Tensor, reduction: str, normalizer) -> torch.Tensor:
    if reduction == "none":
        return terms
    total = terms.sum()
    return total if reduction == "sum" else total / normalizer


def _upstream(grad_output: torch.Tensor | None, reduction: str, normalizer, like: torch.Tensor):
    """dL/dterm: how much each term of the loss weighs in the reduced loss ``L``."""
    if grad_output is None:  # NAME.grad: the derivative of L itself
        grad_output = torch.ones((), dtype=like.dtype, device=like.device)
    return grad_output / normalizer if reduction == "mean" else grad_output


class _AnalyticLoss(torch.autograd.Function):
    """Forward: a loss's formula. Backward: the loss's analytic derivative (``NAME.grad``'s code)."""

    @staticmethod
    def forward(ctx, formula, reduction, options, input, target):
        terms, normalizer, cache = formula.terms(input, target, **options)
        ctx.formula, ctx.reduction, ctx.options, ctx.normalizer = formula, reduction, options, normalizer
        ctx.save_for_backward(input, target, *cache)
        return _reduce(terms, reduction, normalizer)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, *cache = ctx.saved_tensors
        if torch.is_grad_enabled():
            # backward(create_graph=True): the cache was computed without a graph, so recompute it
            # from the inputs; the derivative is then itself differentiable (double backward).
            cache = None
        upstream = _upstream(grad_output, ctx.reduction, ctx.normalizer, input)
        grad_input, grad_target = ctx.formula.vjp(
            input, target, upstream, cache, ctx.needs_input_grad[4], **ctx.options)
        return None, None, None, grad_input, grad_target


def _loss(formula: _Formula, input: torch.Tensor, target: torch.Tensor, reduction: str, **options):
    """The value of a loss; differentiable through its analytic derivative."""
    _check_reduction(reduction, formula.name)
    recording = torch.is_grad_enabled()
    weight_needs_grad = any(isinstance(v, torch.Tensor) and v.requires_grad for v in options.values())
    if recording and (input.requires_grad or target.requires_grad) and not weight_needs_grad:
        return _AnalyticLoss.apply(formula, reduction, options, input, target)
    # no gradient wanted: no graph; or a weight (class weight, pos_weight, same) requires grad, which
    # the analytic backward does not provide: then autograd differentiates the formula itself
    with torch.set_grad_enabled(recording and weight_needs_grad):
        terms, normalizer, _ = formula.terms(input, target, **options)
        return _reduce(terms, reduction, normalizer)


def _derivative(formula: _Formula, input: torch.Tensor, target: torch.Tensor, reduction: str,
                **options) -> torch.Tensor:
    """d loss / d input, from the formula, for ``NAME.grad``."""
    _check_reduction(reduction, formula.name)
    with torch.no_grad():
        _, normalizer, cache = formula.terms(input, target, **options)
        upstream = _upstream(None, reduction, normalizer, input)
        grad_input, _ = formula.vjp(input, target, upstream, cache, False, **options)
    return grad_input


def _attach_grad(function: Callable, grad: Callable) -> Callable:
    """Make ``grad`` reachable as ``function.grad`` (and name it so in ``help``)."""
    grad.__name__ = "grad"
    grad.__qualname__ = f"{function.__name__}.grad"
    function.grad = grad
    function.name = function.__name__
    return grad


def _grad_of(function: Callable) -> Callable:
    """Decorator: ``@_grad_of(mse)`` above a definition makes it ``mse.grad``."""
    return lambda grad: _attach_grad(function, grad)


# ==================================================================================================
# Output functions: softmax, log_softmax, naive_softmax
# ==================================================================================================

_LOG2_E = 1.0 / math.log(2.0)


def _exp(x: torch.Tensor) -> torch.Tensor:
    # e^x = 2^(x log2 e): on the CPU torch.exp2 is about 4x faster than torch.exp (float32, torch
    # 2.13, AVX-512), which is what keeps softmax and cross_entropy within 2x of torch's fused
    # kernels. The rounding of x log2 e adds a relative error of about |x| 2^-24 in float32 (1e-7
    # where softmax has its mass, x in [-10, 0]; torch's own softmax errs as much) and |x| 2^-53
    # in float64.
    return torch.exp2(x * _LOG2_E)


def _exp_(x: torch.Tensor) -> torch.Tensor:
    """:func:`_exp` in place."""
    return x.mul_(_LOG2_E).exp2_()


def _shift(z: torch.Tensor, dim: int) -> torch.Tensor:
    # shift so that the largest entry is 0: every exp is then in (0, 1] and cannot overflow
    return z - z.amax(dim, keepdim=True)


def _softmax(z: torch.Tensor, dim: int) -> torch.Tensor:
    e = _exp_(_shift(z, dim))
    return e / e.sum(dim, keepdim=True)


def _log_softmax(z: torch.Tensor, dim: int) -> torch.Tensor:
    shifted = _shift(z, dim)
    return shifted.sub_(_exp(shifted).sum(dim, keepdim=True).log_())


def _softmax_vjp(s: torch.Tensor, g: torch.Tensor, dim: int) -> torch.Tensor:
    # g^T J with J_ij = S_i (delta_ij - S_j):  S_j g_j - S_j sum_i g_i S_i
    gs = g * s
    return gs.addcmul_(s, gs.sum(dim, keepdim=True), value=-1)


def _log_softmax_vjp(s: torch.Tensor, g: torch.Tensor, dim: int) -> torch.Tensor:
    # d log S_i / d z_j = delta_ij - S_j:  g_j - S_j sum_i g_i
    return torch.addcmul(g, s, g.sum(dim, keepdim=True), value=-1)


class _Softmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, dim):
        s = _softmax(z, dim)
        ctx.dim = dim
        ctx.save_for_backward(s)  # an output: double backward stays exact
        return s

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return _softmax_vjp(s, grad_output, ctx.dim), None


class _LogSoftmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, dim):
        shifted = _shift(z, dim)
        e = _exp(shifted)
        total = e.sum(dim, keepdim=True)
        log_s = shifted.sub_(torch.log(total))
        ctx.dim = dim
        ctx.save_for_backward(log_s, e.div_(total))  # keep S too: backward needs no second exp
        return log_s

    @staticmethod
    def backward(ctx, grad_output):
        log_s, s = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: S from the output, so it is differentiable
            s = _exp(log_s)
        return _log_softmax_vjp(s, grad_output, ctx.dim), None


def _output_function(where: str, function: Callable, plain: Callable, z: Any, dim: Any):
    x, kind = to_tensor(z, name="z", where=where)
    dim = _check_dim(where, dim, x)
    if torch.is_grad_enabled() and x.requires_grad:
        return from_tensor(function.apply(x, dim), kind)
    return from_tensor(plain(x, dim), kind)


def _output_grad(where: str, vjp: Callable, z: Any, grad_output: Any, dim: Any):
    x, kind = to_tensor(z, name="z", where=where)
    dim = _check_dim(where, dim, x)
    g = _as_like(grad_output, x, where, "grad_output")
    _check_same_shape(where, "grad_output", g, "z", x)
    x, g = x.detach(), g.detach()
    return from_tensor(vjp(_softmax(x, dim), g, dim), kind)


def softmax(z, dim=-1):
    r"""Softmax: turns a vector of logits into probabilities that sum to one, along ``dim``.

    .. math::
        S(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}
               = \frac{e^{z_i - \max_k z_k}}{\sum_j e^{z_j - \max_k z_k}}

    The second form is what is computed: shifting by the maximum changes nothing
    (:math:`S(z + \beta) = S(z)`) but keeps every exponential in :math:`(0, 1]`, so nothing
    overflows (see :func:`naive_softmax` for what happens otherwise).

    Derivative (the lecture's formula):

    .. math::
        \frac{\partial S_i}{\partial z_j} = S_i (\delta_{ij} - S_j)

    ``softmax.jacobian(z, dim=-1)`` returns this matrix; ``softmax.grad(z, grad_output, dim=-1)``
    returns the vector-Jacobian product :math:`\sum_i g_i \partial S_i / \partial z_j
    = S_j (g_j - \sum_i g_i S_i)` that backpropagation needs.

    Args:
        z: logits, a tensor, numpy array, list or number.
        dim (int): the dimension along which the entries sum to one. Default: ``-1``.

    Shape:
        - z: :math:`(*)`, any shape.
        - Output: :math:`(*)`, same shape as ``z``.

    Examples::

        >>> softmax(torch.tensor([1.0, 2.0, 3.0]))
        tensor([0.0900, 0.2447, 0.6652])
        >>> softmax([20, 134, 854])  # the lecture's example: float64, no overflow, a denormal kept
        array([0.0000000e+000, 2.0322308e-313, 1.0000000e+000])
    """
    return _output_function("softmax", _Softmax, _softmax, z, dim)


def log_softmax(z, dim=-1):
    r"""Log-softmax: the logarithm of :func:`softmax`, computed without taking a log of 0.

    .. math::
        \log S(z)_i = (z_i - m) - \log \sum_j e^{z_j - m}, \qquad m = \max_k z_k

    Where softmax underflows to 0, ``log(softmax(z))`` is ``-inf``; ``log_softmax`` stays finite
    (``log_softmax([0, -1000])[1]`` is ``-1000``). This is what :func:`nll` expects and what
    :func:`cross_entropy` uses inside.

    Derivative:

    .. math::
        \frac{\partial \log S_i}{\partial z_j} = \delta_{ij} - S_j

    ``log_softmax.jacobian(z, dim=-1)`` returns this matrix; ``log_softmax.grad(z, grad_output,
    dim=-1)`` returns the vector-Jacobian product :math:`g_j - S_j \sum_i g_i`.

    Args:
        z: logits, a tensor, numpy array, list or number.
        dim (int): the dimension softmax normalises over. Default: ``-1``.

    Shape:
        - z: :math:`(*)`, any shape.
        - Output: :math:`(*)`, same shape as ``z``.

    Examples::

        >>> log_softmax(torch.tensor([0.0, -1000.0]))
        tensor([    0., -1000.])
    """
    return _output_function("log_softmax", _LogSoftmax, _log_softmax, z, dim)


def naive_softmax(z, dim=-1):
    r"""Softmax straight from its definition, without the shift: the version that fails.

    .. math::
        S(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}

    Kept to show the failure the lecture warns about: ``e^{854}`` overflows to ``inf`` in float64
    (``e^{89}`` already does in float32), and ``inf / inf`` is ``nan``. It never raises and emits
    no warning; the ``nan`` in the result is the point. Use :func:`softmax` for real work.
    Autograd differentiates it (it has no ``.grad``).

    Args:
        z: logits, a tensor, numpy array, list or number.
        dim (int): the dimension along which the entries should sum to one. Default: ``-1``.

    Shape:
        - z: :math:`(*)`, any shape.
        - Output: :math:`(*)`, same shape as ``z``.

    Examples::

        >>> naive_softmax([20, 134, 854])
        array([ 0.,  0., nan])
        >>> naive_softmax([1.0, 2.0, 3.0])  # fine for small logits
        array([0.09003057, 0.24472847, 0.66524096])
    """
    x, kind = to_tensor(z, name="z", where="naive_softmax")
    dim = _check_dim("naive_softmax", dim, x)
    e = torch.exp(x)  # torch, unlike numpy, emits no overflow warning
    return from_tensor(e / e.sum(dim, keepdim=True), kind)


@_grad_of(softmax)
def _softmax_grad(z, grad_output, dim=-1):
    r"""Vector-Jacobian product of :func:`softmax`: :math:`\sum_i g_i \, \partial S_i/\partial z_j`.

    .. math::
        \left(g^\top \frac{\partial S}{\partial z}\right)_j = S_j \Big(g_j - \sum_i g_i S_i\Big)

    Args:
        z: logits.
        grad_output: the upstream gradient :math:`g = \partial L / \partial S`, same shape as ``z``.
        dim (int): the softmax dimension. Default: ``-1``.

    Shape:
        - Output: same shape as ``z``.

    Examples::

        >>> softmax.grad(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]))
        tensor([ 0.2500, -0.2500])
    """
    return _output_grad("softmax.grad", _softmax_vjp, z, grad_output, dim)


@_grad_of(log_softmax)
def _log_softmax_grad(z, grad_output, dim=-1):
    r"""Vector-Jacobian product of :func:`log_softmax`.

    .. math::
        \left(g^\top \frac{\partial \log S}{\partial z}\right)_j = g_j - S_j \sum_i g_i

    Args:
        z: logits.
        grad_output: the upstream gradient :math:`g = \partial L / \partial \log S`, same shape
            as ``z``.
        dim (int): the softmax dimension. Default: ``-1``.

    Shape:
        - Output: same shape as ``z``.

    Examples::

        >>> log_softmax.grad(torch.tensor([0.0, 0.0]), torch.tensor([-1.0, 0.0]))  # = S - onehot
        tensor([-0.5000,  0.5000])
    """
    return _output_grad("log_softmax.grad", _log_softmax_vjp, z, grad_output, dim)


def _jacobian(where: str, z: Any, dim: Any, log: bool):
    x, kind = to_tensor(z, name="z", where=where)
    if x.dim() == 0:
        raise ValueError(f"{where}: z must have at least one dimension (the classes), got {describe(z)}")
    dim = _check_dim(where, dim, x)
    s = _softmax(x.detach(), dim).movedim(dim, -1)  # (..., C)
    eye = torch.eye(s.shape[-1], dtype=s.dtype, device=s.device)
    if log:  # d log S_i / d z_j = delta_ij - S_j
        return from_tensor(eye - s.unsqueeze(-2), kind)
    # d S_i / d z_j = S_i (delta_ij - S_j)
    return from_tensor(s.unsqueeze(-1) * (eye - s.unsqueeze(-2)), kind)


def _softmax_jacobian(z, dim=-1):
    r"""The Jacobian of :func:`softmax`,
    :math:`J_{ij} = \partial S_i/\partial z_j = S_i(\delta_{ij} - S_j)`.

    Args:
        z: logits.
        dim (int): the softmax dimension; it is moved last. Default: ``-1``.

    Shape:
        - z: :math:`(*, C)` (with ``dim`` as the :math:`C` dimension).
        - Output: :math:`(*, C, C)`, row :math:`i` is :math:`\partial S_i / \partial z`.

    Examples::

        >>> softmax.jacobian(torch.tensor([0.0, 0.0]))
        tensor([[ 0.2500, -0.2500],
                [-0.2500,  0.2500]])
    """
    return _jacobian("softmax.jacobian", z, dim, log=False)


def _log_softmax_jacobian(z, dim=-1):
    r"""The Jacobian of :func:`log_softmax`, :math:`J_{ij} = \delta_{ij} - S_j`.

    Args:
        z: logits.
        dim (int): the softmax dimension; it is moved last. Default: ``-1``.

    Shape:
        - z: :math:`(*, C)` (with ``dim`` as the :math:`C` dimension).
        - Output: :math:`(*, C, C)`.

    Examples::

        >>> log_softmax.jacobian(torch.tensor([0.0, 0.0]))
        tensor([[ 0.5000, -0.5000],
                [-0.5000,  0.5000]])
    """
    return _jacobian("log_softmax.jacobian", z, dim, log=True)


softmax.jacobian = _softmax_jacobian
log_softmax.jacobian = _log_softmax_jacobian
_softmax_jacobian.__name__ = _log_softmax_jacobian.__name__ = "jacobian"
_softmax_jacobian.__qualname__ = "softmax.jacobian"
_log_softmax_jacobian.__qualname__ = "log_softmax.jacobian"
naive_softmax.name = "naive_softmax"


# ==================================================================================================
# Regression: mse, mae, huber, log_cosh
# ==================================================================================================
# residual r = input - target; every term depends on its own r only, and d/dtarget = -d/dinput.
# The forward pass keeps r for the backward pass.

def _residual(input, target, cache):
    return input - target if cache is None else cache[0]


def _mse_terms(input, target):
    r = input - target
    return r.square(), input.numel(), (r,)


def _mse_vjp(input, target, upstream, cache, need_target):
    grad = _residual(input, target, cache) * (2 * upstream)  # d (r^2) / d input = 2 r
    return grad, -grad if need_target else None


_MSE = _Formula("mse", _mse_terms, _mse_vjp)


def mse(input, target, *, reduction="mean"):
    r"""Mean squared error (L2 loss).

    .. math::
        \ell_i = (\hat y_i - y_i)^2, \qquad
        \text{MSE} = \frac{1}{m} \sum_{i=1}^m (\hat y_i - y_i)^2 \quad (\text{reduction="mean"})

    Derivative: :math:`\partial \text{MSE} / \partial \hat y_i = 2(\hat y_i - y_i)/m`
    (``mse.grad``). Large residuals give large gradients: outliers dominate training.

    Args:
        input: the prediction :math:`\hat y`.
        target: the true value :math:`y`, same shape as ``input`` (never broadcast).
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - input: :math:`(*)`, any shape.
        - target: :math:`(*)`, same shape as ``input``.
        - Output: a scalar, or :math:`(*)` with ``reduction="none"``.

    Examples::

        >>> mse(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor(2.)
        >>> mse.grad(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor([ 0., -2.])
    """
    x, y, kind = _elementwise_pair("mse", input, target)
    return from_tensor(_loss(_MSE, x, y, reduction), kind)


@_grad_of(mse)
def _mse_grad(input, target, *, reduction="mean"):
    r"""Derivative of :func:`mse` with respect to ``input``: :math:`2(\hat y - y)/m`
    (``/m`` only for ``reduction="mean"``).

    Examples::

        >>> mse.grad(torch.tensor([3.0]), torch.tensor([1.0]))
        tensor([4.])
    """
    x, y, kind = _elementwise_pair("mse.grad", input, target)
    return from_tensor(_derivative(_MSE, x, y, reduction), kind)


def _mae_terms(input, target):
    r = input - target
    return r.abs(), input.numel(), (r,)


def _mae_vjp(input, target, upstream, cache, need_target):
    # d|r|/dr = sign(r), taken as 0 at r = 0
    grad = torch.sign(_residual(input, target, cache)).mul_(upstream)
    return grad, -grad if need_target else None


_MAE = _Formula("mae", _mae_terms, _mae_vjp)


def mae(input, target, *, reduction="mean"):
    r"""Mean absolute error (L1 loss; torch's ``l1_loss``).

    .. math::
        \ell_i = |\hat y_i - y_i|, \qquad
        \text{MAE} = \frac{1}{m} \sum_{i=1}^m |\hat y_i - y_i|

    Derivative: :math:`\operatorname{sign}(\hat y_i - y_i)/m`, taken as 0 where
    :math:`\hat y_i = y_i` (as torch does). Every residual pulls with the same force: outliers
    matter less than with :func:`mse`, but the gradient does not shrink near the optimum.

    Args:
        input: the prediction :math:`\hat y`.
        target: the true value :math:`y`, same shape as ``input``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - input: :math:`(*)`; target: :math:`(*)`, same shape.
        - Output: a scalar, or :math:`(*)` with ``reduction="none"``.

    Examples::

        >>> mae(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor(1.)
        >>> mae.grad(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor([ 0.0000, -0.5000])
    """
    x, y, kind = _elementwise_pair("mae", input, target)
    return from_tensor(_loss(_MAE, x, y, reduction), kind)


@_grad_of(mae)
def _mae_grad(input, target, *, reduction="mean"):
    r"""Derivative of :func:`mae` with respect to ``input``: :math:`\operatorname{sign}(\hat y - y)/m`
    (0 where the residual is 0).

    Examples::

        >>> mae.grad(torch.tensor([3.0, 1.0, -2.0]), torch.tensor([1.0, 1.0, 0.0]), reduction="sum")
        tensor([ 1.,  0., -1.])
    """
    x, y, kind = _elementwise_pair("mae.grad", input, target)
    return from_tensor(_derivative(_MAE, x, y, reduction), kind)


def _huber_terms(input, target, *, delta):
    # with c = clamp(r, -delta, delta), the derivative, both branches are c (r - c / 2): r^2 / 2
    # inside, delta (|r| - delta / 2) outside (one formula: torch.where is slow on the CPU)
    r = input - target
    c = r.clamp(-delta, delta)
    return r.sub_(c, alpha=0.5).mul_(c), input.numel(), (c,)


def _huber_vjp(input, target, upstream, cache, need_target, *, delta):
    # r inside (-delta, delta), delta * sign(r) outside: the residual clipped to [-delta, delta]
    c = (input - target).clamp(-delta, delta) if cache is None else cache[0]
    grad = c * upstream
    return grad, -grad if need_target else None


_HUBER = _Formula("huber", _huber_terms, _huber_vjp)


def huber(input, target, delta=1.0, *, reduction="mean"):
    r"""Huber loss (smooth MAE): quadratic near zero, linear beyond ``delta``.

    .. math::
        \ell_i = \begin{cases}
            \tfrac12 (\hat y_i - y_i)^2 & |\hat y_i - y_i| < \delta \\
            \delta \left(|\hat y_i - y_i| - \tfrac12 \delta\right) & \text{otherwise}
        \end{cases}

    Same values as ``torch.nn.functional.huber_loss``. Derivative: the residual clipped to
    :math:`[-\delta, \delta]`, :math:`c_i / m` with
    :math:`c_i = \operatorname{clamp}(\hat y_i - y_i, -\delta, \delta)`: small residuals are
    treated as by :func:`mse` (halved), outliers as by :func:`mae`. Both branches of the loss are
    :math:`c_i (r_i - c_i/2)` with :math:`r_i = \hat y_i - y_i`, which is how it is computed. Each
    term lies between 0 and :math:`\tfrac12 r_i^2`.

    Args:
        input: the prediction :math:`\hat y`.
        target: the true value :math:`y`, same shape as ``input``.
        delta (float): where the quadratic part turns linear; must be positive. Default: ``1.0``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - input: :math:`(*)`; target: :math:`(*)`, same shape.
        - Output: a scalar, or :math:`(*)` with ``reduction="none"``.

    Examples::

        >>> huber(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction="none")
        tensor([0.1250, 2.5000])
        >>> huber.grad(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction="none")
        tensor([0.5000, 1.0000])
    """
    x, y, kind = _elementwise_pair("huber", input, target)
    delta = _check_number(delta, name="delta", where="huber", minimum=0, strict=True)
    return from_tensor(_loss(_HUBER, x, y, reduction, delta=delta), kind)


@_grad_of(huber)
def _huber_grad(input, target, delta=1.0, *, reduction="mean"):
    r"""Derivative of :func:`huber` with respect to ``input``:
    :math:`\operatorname{clamp}(\hat y - y, -\delta, \delta)/m`.

    Examples::

        >>> huber.grad(torch.tensor([-4.0, 0.2]), torch.zeros(2), delta=2.0, reduction="sum")
        tensor([-2.0000,  0.2000])
    """
    x, y, kind = _elementwise_pair("huber.grad", input, target)
    delta = _check_number(delta, name="delta", where="huber.grad", minimum=0, strict=True)
    return from_tensor(_derivative(_HUBER, x, y, reduction, delta=delta), kind)


_LOG2 = math.log(2.0)


def _log_cosh_terms(input, target):
    r = input - target
    a = r.abs()
    # log cosh r = log((e^|r| + e^-|r|)/2) = |r| + log1p(e^(-2|r|)) - log 2: cosh never overflows
    return torch.log1p(torch.exp(-2 * a)).add_(a).sub_(_LOG2), input.numel(), (r,)


def _log_cosh_vjp(input, target, upstream, cache, need_target):
    grad = torch.tanh(_residual(input, target, cache)) * upstream  # d log cosh r / dr = sinh r / cosh r
    return grad, -grad if need_target else None


_LOG_COSH = _Formula("log_cosh", _log_cosh_terms, _log_cosh_vjp)


def log_cosh(input, target, *, reduction="mean"):
    r"""Log-cosh loss: about :math:`\tfrac12 r^2` for small residuals, :math:`|r| - \log 2` for large.

    .. math::
        \ell_i = \log\cosh(\hat y_i - y_i) = |r_i| + \log\!\left(1 + e^{-2|r_i|}\right) - \log 2,
        \qquad r_i = \hat y_i - y_i

    The second form is what is computed: ``cosh(1000)`` overflows, ``log_cosh`` at a residual of
    1000 is 999.307, finite. Derivative: :math:`\tanh(\hat y_i - y_i)/m`, smooth everywhere and
    bounded by 1 like :func:`mae`'s.

    Args:
        input: the prediction :math:`\hat y`.
        target: the true value :math:`y`, same shape as ``input``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - input: :math:`(*)`; target: :math:`(*)`, same shape.
        - Output: a scalar, or :math:`(*)` with ``reduction="none"``.

    Examples::

        >>> log_cosh(1000.0, 0.0)
        999.3068528194401
        >>> log_cosh.grad(torch.tensor([0.0, 1.0]), torch.zeros(2), reduction="sum")
        tensor([0.0000, 0.7616])
    """
    x, y, kind = _elementwise_pair("log_cosh", input, target)
    return from_tensor(_loss(_LOG_COSH, x, y, reduction), kind)


@_grad_of(log_cosh)
def _log_cosh_grad(input, target, *, reduction="mean"):
    r"""Derivative of :func:`log_cosh` with respect to ``input``: :math:`\tanh(\hat y - y)/m`.

    Examples::

        >>> log_cosh.grad(1000.0, 0.0)
        1.0
    """
    x, y, kind = _elementwise_pair("log_cosh.grad", input, target)
    return from_tensor(_derivative(_LOG_COSH, x, y, reduction), kind)


# ==================================================================================================
# Binary classification: bce (on probabilities), bce_with_logits
# ==================================================================================================

def _bce_logs(p):
    # torch clamps both logs at -100, so p = 0 or p = 1 gives a finite loss
    return torch.log(p).clamp(min=-100), torch.log1p(-p).clamp(min=-100)


def _bce_terms(input, target, *, weight):
    log_p, log_1mp = _bce_logs(input)
    terms = (target - 1) * log_1mp - target * log_p  # -[y log p + (1 - y) log(1 - p)]
    if weight is not None:
        terms = weight * terms
    return terms, input.numel(), ()


def _bce_vjp(input, target, upstream, cache, need_target, *, weight):
    scale = upstream if weight is None else weight * upstream
    # (p - y) / (p (1 - p)), with torch's floor of 1e-12 on the denominator: finite at p = 0 or 1
    grad_input = (input - target) / (input * (1 - input)).clamp(min=1e-12) * scale
    grad_target = None
    if need_target:  # derivative of the clamped formula: log(1 - p) - log(p)
        log_p, log_1mp = _bce_logs(input)
        grad_target = (log_1mp - log_p) * scale
    return grad_input, grad_target


_BCE = _Formula("bce", _bce_terms, _bce_vjp)


def _bce_inputs(where, input, target, weight):
    x, y, kind = _elementwise_pair(where, input, target)
    _check_probabilities(where, "input", x, "bce takes probabilities: apply torch.sigmoid to "
                         "logits first, or use bce_with_logits on the logits.")
    _check_probabilities(where, "target", y, "Labels are 0 or 1 (or probabilities).")
    return x, y, _check_weight(where, "weight", weight, x), kind


def bce(input, target, weight=None, *, reduction="mean"):
    r"""Binary cross-entropy on probabilities (torch's ``binary_cross_entropy``).

    .. math::
        \ell_i = -w_i \left[ y_i \log \hat y_i + (1 - y_i) \log(1 - \hat y_i) \right]

    with each log clamped at -100 as torch does, so a predicted probability of exactly 0 or 1
    gives a finite loss (at most :math:`100\,w_i`). ``"mean"`` divides by the number of entries
    (not by the sum of weights).

    Derivative (``bce.grad``):

    .. math::
        \frac{\partial \ell_i}{\partial \hat y_i} = w_i \frac{\hat y_i - y_i}{\hat y_i (1 - \hat y_i)}

    with the denominator floored at :math:`10^{-12}` like torch's backward, so it stays finite at
    :math:`\hat y \in \{0, 1\}` (:math:`\pm 10^{12}` there when the label disagrees, 0 when it
    agrees). Composed with a sigmoid, it becomes :math:`\sigma(z) - y`: prefer
    :func:`bce_with_logits`, which computes that directly.

    Args:
        input: predicted probabilities :math:`\hat y \in [0, 1]`.
        target: labels :math:`y \in [0, 1]` (0/1, or soft), same shape as ``input``.
        weight: optional rescaling weight, broadcastable to ``input``'s shape. Default: ``None``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - input: :math:`(*)`; target: :math:`(*)`, same shape.
        - Output: a scalar, or :math:`(*)` with ``reduction="none"``.

    Examples::

        >>> bce(torch.tensor([0.5, 1.0]), torch.tensor([1.0, 0.0]), reduction="none")
        tensor([  0.6931, 100.0000])
        >>> bce.grad(torch.tensor([0.5]), torch.tensor([1.0]))
        tensor([-2.])
    """
    x, y, w, kind = _bce_inputs("bce", input, target, weight)
    return from_tensor(_loss(_BCE, x, y, reduction, weight=w), kind)


@_grad_of(bce)
def _bce_grad(input, target, weight=None, *, reduction="mean"):
    r"""Derivative of :func:`bce` with respect to the probabilities ``input``:
    :math:`w (\hat y - y) / \max(\hat y(1 - \hat y), 10^{-12}) / m`.

    Examples::

        >>> bce.grad(torch.tensor([0.0, 0.0]), torch.tensor([0.0, 1.0]), reduction="none")
        tensor([ 0.0000e+00, -1.0000e+12])
    """
    x, y, w, kind = _bce_inputs("bce.grad", input, target, weight)
    return from_tensor(_derivative(_BCE, x, y, reduction, weight=w), kind)


def _softplus_neg(z):
    # -log sigma(z) = softplus(-z) = max(-z, 0) + log(1 + e^-|z|) = log(1 + e^-|z|) - min(z, 0),
    # finite for any z
    return torch.log1p(_exp_(z.abs().neg_())).sub_(z.clamp(max=0))


def _bce_logits_terms(input, target, *, weight, pos_weight):
    softplus_neg = _softplus_neg(input)
    if pos_weight is None:  # (1 - y) z + softplus(-z)
        terms = torch.addcmul(softplus_neg, 1 - target, input)
    else:
        log_weight = 1 + (pos_weight - 1) * target
        terms = torch.addcmul(log_weight * softplus_neg, 1 - target, input)
    if weight is not None:
        terms = weight * terms
    return terms, input.numel(), ()


def _bce_logits_vjp(input, target, upstream, cache, need_target, *, weight, pos_weight):
    scale = upstream if weight is None else weight * upstream
    s = torch.sigmoid(input)
    if pos_weight is None:
        grad_input = (s - target).mul_(scale)
    else:
        grad_input = ((1 + (pos_weight - 1) * target) * s - pos_weight * target).mul_(scale)
    grad_target = None
    if need_target:  # d/dy [(1 - y) z + (1 + (pw - 1) y) softplus(-z)] = -z + (pw - 1) softplus(-z)
        grad_target = -input
        if pos_weight is not None:
            grad_target = grad_target + (pos_weight - 1) * _softplus_neg(input)
        grad_target = grad_target * scale
    return grad_input, grad_target


_BCE_LOGITS = _Formula("bce_with_logits", _bce_logits_terms, _bce_logits_vjp)


def _bce_logits_inputs(where, input, target, weight, pos_weight):
    x, y, kind = _elementwise_pair(where, input, target)
    if not y.requires_grad:  # labels of -1/+1 or class numbers 0..K give a silently wrong loss (a target
        # being differentiated, e.g. by gradcheck, may step just past 0 or 1: it is not a labelling mistake)
        _check_probabilities(where, "target", y, "Labels are 0 or 1 (or probabilities); the logits go in input.")
    w = _check_weight(where, "weight", weight, x)
    pw = _check_weight(where, "pos_weight", pos_weight, x)
    return x, y, w, pw, kind


def bce_with_logits(input, target, weight=None, *, pos_weight=None, reduction="mean"):
    r"""Binary cross-entropy on logits: a sigmoid and :func:`bce` in one stable step.

    .. math::
        \ell_i = -w_i \left[ p\, y_i \log \sigma(z_i) + (1 - y_i) \log(1 - \sigma(z_i)) \right]
               = w_i \left[ (1 - y_i) z_i
                 + \big(1 + (p - 1) y_i\big) \operatorname{softplus}(-z_i) \right]

    with :math:`p` the ``pos_weight`` (1 if not given) and
    :math:`\operatorname{softplus}(-z) = -\log\sigma(z) = \max(-z, 0) + \log(1 + e^{-|z|})`,
    which is finite for any logit. Same values as
    ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Derivative (the lecture's :math:`\sigma(z_i) - 1` for :math:`y_i = 1`, :math:`\sigma(z_i)` for
    :math:`y_i = 0`):

    .. math::
        \frac{\partial \ell_i}{\partial z_i}
        = w_i \left[\big(1 + (p - 1) y_i\big)\sigma(z_i) - p\, y_i\right]
        \;\overset{p=1}{=}\; w_i \left(\sigma(z_i) - y_i\right)

    Args:
        input: logits :math:`z`.
        target: labels :math:`y \in [0, 1]`, same shape as ``input``.
        weight: optional rescaling weight, broadcastable to ``input``'s shape. Default: ``None``.
        pos_weight: optional weight of the positive examples, broadcastable to ``input``'s shape
            (one per class: shape :math:`(C,)`). Default: ``None``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - input: :math:`(*)`; target: :math:`(*)`, same shape.
        - Output: a scalar, or :math:`(*)` with ``reduction="none"``.

    Examples::

        >>> z, y = torch.tensor([0.0, 1e4, -1e4]), torch.tensor([1.0, 1.0, 1.0])
        >>> bce_with_logits(z, y, reduction="none")
        tensor([6.9315e-01, 0.0000e+00, 1.0000e+04])
        >>> bce_with_logits.grad(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.0]), reduction="sum")
        tensor([-0.5000,  0.8808])
    """
    x, y, w, pw, kind = _bce_logits_inputs("bce_with_logits", input, target, weight, pos_weight)
    return from_tensor(_loss(_BCE_LOGITS, x, y, reduction, weight=w, pos_weight=pw), kind)


@_grad_of(bce_with_logits)
def _bce_with_logits_grad(input, target, weight=None, *, pos_weight=None, reduction="mean"):
    r"""Derivative of :func:`bce_with_logits` with respect to the logits ``input``:
    :math:`w\,[(1 + (p - 1) y)\,\sigma(z) - p\,y]/m`, which is :math:`(\sigma(z) - y)/m`
    without weights.

    Examples::

        >>> bce_with_logits.grad(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor([-0.5000])
    """
    x, y, w, pw, kind = _bce_logits_inputs("bce_with_logits.grad", input, target, weight, pos_weight)
    return from_tensor(_derivative(_BCE_LOGITS, x, y, reduction, weight=w, pos_weight=pw), kind)


# ==================================================================================================
# Multi-class classification: cross_entropy (softmax + cross-entropy), nll
# ==================================================================================================
# Layout as in torch: logits (N, C, d1, ...) with the classes in dim 1 (or (C,) for one sample);
# targets either class indices (N, d1, ...) or probabilities with the logits' shape.
#
# Both target kinds are one formula: a weight a_c per class and sample, loss = -sum_c a_c log S_c,
#     indices:        a = w_y (1 - eps) onehot(y) + (eps / C) w      (a = 0 where target is ignored)
#     probabilities:  a = w * ((1 - eps) y + eps / C)
# and its derivative is  d loss / dz = (sum_c a_c) S - a, which is S - onehot(y) in the plain case.

def _exp_after_use(shifted):
    """exp(shifted), reusing its buffer unless autograd may still need the values (a class weight
    that requires grad); inside the analytic Function's forward autograd is off."""
    return _exp(shifted) if torch.is_grad_enabled() else _exp_(shifted)


def _class_weight_view(weight, class_dim, ndim):
    """``weight`` (C,) shaped to broadcast along the class dimension of an ``ndim``-d tensor."""
    shape = [1] * ndim
    shape[class_dim] = -1
    return weight.view(shape)


def _per_sample(u, class_dim):
    """A per-sample factor (scalar, or the "none" grad_output) made to broadcast over classes."""
    return u.unsqueeze(class_dim) if u.dim() > 0 else u


def _index_weights(target, weight, ignore_index, dtype):
    """(ignored mask, target with ignored entries set to class 0, the weight w_y of each sample)."""
    ignored = target == ignore_index
    safe = target.masked_fill(ignored, 0)  # any class will do: its weight is set to 0 below
    w_y = torch.ones_like(target, dtype=dtype) if weight is None else weight[safe]
    return ignored, safe, w_y.masked_fill_(ignored, 0)


def _ce_index_terms(input, target, *, weight, ignore_index, label_smoothing, class_dim):
    # log S_y = (z_y - max) - log sum_j e^(z_j - max): only the true class's entry is needed
    ignored, safe, w_y = _index_weights(target, weight, ignore_index, input.dtype)
    shifted = _shift(input, class_dim)
    shifted_y = shifted.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    if label_smoothing > 0:  # sum_c w_c (z_c - max), for -sum_c w_c log S_c below
        w = 1 if weight is None else _class_weight_view(weight, class_dim, input.dim())
        sum_w_shifted = (shifted * w).sum(class_dim)
    e = _exp_after_use(shifted)
    total = e.sum(class_dim, keepdim=True)
    log_total = torch.log(total).squeeze(class_dim)
    terms = (-w_y * (shifted_y - log_total)).masked_fill_(ignored, 0)
    if label_smoothing > 0:  # -sum_c w_c log S_c = -sum_c w_c (z_c - max) + log_total sum_c w_c
        n_classes = input.shape[class_dim]
        sum_w = n_classes if weight is None else weight.sum()
        smooth = (log_total * sum_w - sum_w_shifted).masked_fill_(ignored, 0)
        terms = (1 - label_smoothing) * terms + (label_smoothing / n_classes) * smooth
    return terms, w_y.sum(), (e / total, ignored, safe, w_y)  # the softmax, for the backward pass


def _ce_index_vjp(input, target, upstream, cache, need_target, *, weight, ignore_index,
                  label_smoothing, class_dim):
    if cache is None:
        s = _softmax(input, class_dim)
        ignored, safe, w_y = _index_weights(target, weight, ignore_index, input.dtype)
    else:
        s, ignored, safe, w_y = cache
    n_classes = input.shape[class_dim]
    hard = (1 - label_smoothing) * w_y * upstream  # a on the true class (per sample, times dL/dterm)
    total = hard  # sum_c a_c, times dL/dterm
    if label_smoothing > 0:
        spread = ((label_smoothing / n_classes) * upstream) * ~ignored
        total = hard + spread * (n_classes if weight is None else weight.sum())
    grad = s * _per_sample(total, class_dim)  # (sum_c a_c) S
    grad.scatter_add_(class_dim, safe.unsqueeze(class_dim), -_per_sample(hard, class_dim).expand_as(
        safe.unsqueeze(class_dim)))
    if label_smoothing > 0:
        w = 1.0 if weight is None else _class_weight_view(weight, class_dim, input.dim())
        grad.sub_(w * _per_sample(spread, class_dim))
    return grad, None


def _ce_prob_terms(input, target, *, weight, label_smoothing, class_dim):
    # -sum_c a_c log S_c = -sum_c a_c (z_c - max) + (sum_c a_c) log sum_j e^(z_j - max)
    a = _ce_prob_weights(input, target, weight, label_smoothing, class_dim)
    shifted = _shift(input, class_dim)
    sum_a_shifted = (a * shifted).sum(class_dim)
    e = _exp_after_use(shifted)
    total = e.sum(class_dim, keepdim=True)
    terms = a.sum(class_dim) * torch.log(total).squeeze(class_dim) - sum_a_shifted
    return terms, terms.numel(), (e / total,)  # "mean" divides by the number of samples


def _ce_prob_weights(input, target, weight, label_smoothing, class_dim):
    a = target
    if label_smoothing > 0:
        a = (1 - label_smoothing) * a + label_smoothing / input.shape[class_dim]
    if weight is not None:
        a = a * _class_weight_view(weight, class_dim, input.dim())
    return a


def _ce_prob_vjp(input, target, upstream, cache, need_target, *, weight, label_smoothing, class_dim):
    s = _softmax(input, class_dim) if cache is None else cache[0]
    a = _ce_prob_weights(input, target, weight, label_smoothing, class_dim)
    u = _per_sample(upstream, class_dim)
    grad_input = (a.sum(class_dim, keepdim=True) * s).sub_(a).mul_(u)
    grad_target = None
    if need_target:  # d/dy_c of -sum_c a_c log S_c, with a_c = w_c ((1 - eps) y_c + eps / C)
        w = 1.0 if weight is None else _class_weight_view(weight, class_dim, input.dim())
        grad_target = -(1 - label_smoothing) * w * _log_softmax(input, class_dim) * u
    return grad_input, grad_target


_CE_INDEX = _Formula("cross_entropy", _ce_index_terms, _ce_index_vjp)
_CE_PROB = _Formula("cross_entropy", _ce_prob_terms, _ce_prob_vjp)


def _nll_terms(input, target, *, weight, ignore_index, class_dim):
    ignored, safe, w_y = _index_weights(target, weight, ignore_index, input.dtype)
    picked = input.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    return (-w_y * picked).masked_fill_(ignored, 0), w_y.sum(), (safe, w_y)


def _nll_vjp(input, target, upstream, cache, need_target, *, weight, ignore_index, class_dim):
    if cache is None:
        _, safe, w_y = _index_weights(target, weight, ignore_index, input.dtype)
    else:
        safe, w_y = cache
    # -w_y on the true class, 0 elsewhere (and 0 for ignored samples, whose w_y is 0)
    src = _per_sample(-w_y * upstream, class_dim).expand(safe.unsqueeze(class_dim).shape)
    return torch.zeros_like(input).scatter_add_(class_dim, safe.unsqueeze(class_dim), src), None


_NLL = _Formula("nll", _nll_terms, _nll_vjp)


def _class_inputs(where, input, target, weight, ignore_index, *, allow_probabilities):
    """Check logits/log-probs and targets; return (x, target, weight, class_dim, is_index, kind)."""
    x, kind = _as_input(input, where)
    if x.dim() == 0:
        raise ValueError(f"{where}: input must have a class dimension, got {describe(input)}; "
                         f"expected shape (C,) for one sample or (N, C, ...) for a batch")
    class_dim = 0 if x.dim() == 1 else 1
    n_classes = x.shape[class_dim]
    index_shape = x.shape[:class_dim] + x.shape[class_dim + 1:]
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"{where}: ignore_index must be an integer, got {describe(ignore_index)}")
    t, _ = to_tensor(target, name="target", where=where, floating=False)
    _check_device(where, "target", t, x)

    if t.shape == x.shape and allow_probabilities:  # probabilities (a one-hot of ints is fine)
        if ignore_index >= 0:  # as torch: a class to ignore makes no sense for probabilities
            raise ValueError(f"{where}: ignore_index={ignore_index} applies to class-index targets, "
                             f"but target holds probabilities (shape {tuple(t.shape)})")
        is_index, t = False, t.to(dtype=x.dtype)
    elif t.shape == index_shape:
        if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
            also = (f"; probability targets must have the input's shape {tuple(x.shape)}"
                    if allow_probabilities else "")
            raise ValueError(
                f"{where}: target holds class indices of shape {tuple(t.shape)} but has dtype "
                f"{t.dtype}; class indices must be integers: use target.long(){also}")
        is_index, t = True, t.long()
        _check_class_range(where, t, n_classes, ignore_index)
    else:
        expected = f"class indices of shape {tuple(index_shape)}"
        if allow_probabilities:
            expected += f" or probabilities of the input's shape {tuple(x.shape)}"
        hint = _reshape_hint("target", tuple(t.shape), "indices", tuple(index_shape))
        hint = f". Did you mean {hint}?" if hint and "reshape" not in hint else "."
        if t.shape == x.shape:  # only nll gets here with probabilities
            hint = (f". {where.split('.')[0]} takes class indices; for probability targets use "
                    f"cross_entropy on the logits")
        raise ValueError(f"{where}: target has shape {tuple(t.shape)} but input has shape "
                         f"{tuple(x.shape)} (classes in dim {class_dim}); expected {expected}{hint}")

    w = None
    if weight is not None:
        _reject_reduction_as_weight(where, "weight", weight)
        w = _as_like(weight, x, where, "weight")
        if w.shape != (n_classes,):
            raise ValueError(f"{where}: weight has shape {tuple(w.shape)}, expected one weight per "
                             f"class, shape ({n_classes},)")
    return x, t, w, class_dim, is_index, kind


def _check_class_range(where, target, n_classes, ignore_index):
    if target.numel() == 0:
        return
    low, high = (v.item() for v in torch.aminmax(target))
    if 0 <= low and high < n_classes:  # the usual case, settled with one pass
        return
    kept = target[target != ignore_index]
    if kept.numel() == 0:
        return
    low, high = (v.item() for v in torch.aminmax(kept))
    if high >= n_classes:
        hint = ". Did you mean target - 1?" if high == n_classes and low >= 1 else ""
        raise ValueError(f"{where}: target holds class {high}, but input has {n_classes} classes "
                         f"(0..{n_classes - 1}){hint}")
    if low < 0:
        raise ValueError(f"{where}: target holds class {low}, but classes run from 0 to "
                         f"{n_classes - 1} (and ignore_index={ignore_index} marks entries to skip)")


def _cross_entropy_formula(where, input, target, weight, ignore_index, label_smoothing):
    x, t, w, class_dim, is_index, kind = _class_inputs(
        where, input, target, weight, ignore_index, allow_probabilities=True)
    eps = _check_number(label_smoothing, name="label_smoothing", where=where, minimum=0, maximum=1)
    options = dict(weight=w, label_smoothing=eps, class_dim=class_dim)
    if is_index:
        return _CE_INDEX, x, t, dict(options, ignore_index=int(ignore_index)), kind
    return _CE_PROB, x, t, options, kind


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    r"""Categorical cross-entropy on logits: softmax and cross-entropy in one stable step.

    The lecture's *softmax loss*; torch's ``cross_entropy`` (which is ``log_softmax`` followed by
    ``nll_loss``). For one sample with logits :math:`z` and true class :math:`p`:

    .. math::
        J_{CE} = -\sum_c y_c \log S(z)_c = -\log \frac{e^{z_p}}{\sum_j e^{z_j}}

    ``target`` is either the class index :math:`p` of each sample (integers) or a distribution
    :math:`y` over the classes (one-hot or soft, floats, same shape as ``input``). With a class
    ``weight``, a sample's term is multiplied by :math:`w_p` (indices) or each :math:`y_c` by
    :math:`w_c` (probabilities). ``label_smoothing`` :math:`\varepsilon` mixes the target with the
    uniform distribution, :math:`(1 - \varepsilon) y + \varepsilon / C`. ``"mean"`` divides by the
    sum of :math:`w_p` over the samples not ignored (indices) or by the number of samples
    (probabilities), exactly as torch.

    Derivative (the lecture's :math:`S(z_p) - 1` for the true class, :math:`S(z_i)` for the others):

    .. math::
        \frac{\partial J_{CE}}{\partial z_i} = S(z)_i - y_i

    or :math:`(\sum_c a_c) S(z)_i - a_i` with weights and smoothing, :math:`a` the weighted,
    smoothed target; divided by the normaliser above for ``"mean"``.

    Args:
        input: logits :math:`z`, classes in dim 1 (dim 0 for a single sample).
        target: class indices in ``[0, C)`` (int64), or probabilities of ``input``'s shape.
        weight: optional weight of each class, shape :math:`(C,)`. Default: ``None``.
        ignore_index (int): a class-index target value whose samples are skipped (and left out of
            the mean). Default: ``-100``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.
        label_smoothing (float): :math:`\varepsilon \in [0, 1]`. Default: ``0.0``.

    Shape:
        - input: :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, \dots, d_K)`.
        - target: :math:`()`, :math:`(N)` or :math:`(N, d_1, \dots, d_K)` with class indices;
          or the shape of ``input`` with probabilities.
        - Output: a scalar, or the target's index shape with ``reduction="none"``.

    Examples::

        >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
        >>> cross_entropy(logits, torch.tensor([0, 2]), reduction="none")
        tensor([0.1698, 1.0986])
        >>> cross_entropy(logits, torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), reduction="none")
        tensor([0.1698, 1.0986])
        >>> cross_entropy.grad(logits, torch.tensor([0, 2]), reduction="sum")  # S(z) - onehot
        tensor([[-0.1562,  0.1142,  0.0420],
                [ 0.3333,  0.3333, -0.6667]])
    """
    formula, x, t, options, kind = _cross_entropy_formula(
        "cross_entropy", input, target, weight, ignore_index, label_smoothing)
    return from_tensor(_loss(formula, x, t, reduction, **options), kind)


@_grad_of(cross_entropy)
def _cross_entropy_grad(input, target, weight=None, *, ignore_index=-100, reduction="mean",
                        label_smoothing=0.0):
    r"""Derivative of :func:`cross_entropy` with respect to the logits ``input``:
    :math:`(S(z) - y)/N`, :math:`y` the one-hot of the class index or the probability target
    (:math:`(\sum_c a_c) S(z) - a` with weights and label smoothing).

    Examples::

        >>> cross_entropy.grad(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
        tensor([[ 0.5000, -0.5000]])
    """
    formula, x, t, options, kind = _cross_entropy_formula(
        "cross_entropy.grad", input, target, weight, ignore_index, label_smoothing)
    return from_tensor(_derivative(formula, x, t, reduction, **options), kind)


def _nll_inputs(where, input, target, weight, ignore_index):
    x, t, w, class_dim, _, kind = _class_inputs(
        where, input, target, weight, ignore_index, allow_probabilities=False)
    return x, t, dict(weight=w, ignore_index=int(ignore_index), class_dim=class_dim), kind


def nll(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    r"""Negative log-likelihood of log-probabilities (torch's ``nll_loss``).

    .. math::
        \ell_n = -w_{y_n} \, x_{n, y_n}

    where :math:`x` holds log-probabilities (the output of :func:`log_softmax`), so
    ``nll(log_softmax(z, dim=1), y)`` equals ``cross_entropy(z, y)``. ``"mean"`` divides by the sum
    of :math:`w_{y_n}` over the samples not ignored (the number of samples without ``weight``).

    Derivative: :math:`\partial \ell_n / \partial x_{n,c} = -w_{y_n}` for :math:`c = y_n`, 0 for
    every other class: :math:`-\operatorname{onehot}(y)/N` without weights.

    Args:
        input: log-probabilities, classes in dim 1 (dim 0 for a single sample).
        target: class indices in ``[0, C)`` (int64).
        weight: optional weight of each class, shape :math:`(C,)`. Default: ``None``.
        ignore_index (int): a target value whose samples are skipped. Default: ``-100``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - input: :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, \dots, d_K)`.
        - target: :math:`()`, :math:`(N)` or :math:`(N, d_1, \dots, d_K)`.
        - Output: a scalar, or the target's shape with ``reduction="none"``.

    Examples::

        >>> log_probs = torch.tensor([[-0.1, -2.0, -3.0], [-1.0, -1.0, -1.5]])
        >>> nll(log_probs, torch.tensor([0, 2]))
        tensor(0.8000)
        >>> nll.grad(log_probs, torch.tensor([0, 2]))
        tensor([[-0.5000,  0.0000,  0.0000],
                [ 0.0000,  0.0000, -0.5000]])
    """
    x, t, options, kind = _nll_inputs("nll", input, target, weight, ignore_index)
    return from_tensor(_loss(_NLL, x, t, reduction, **options), kind)


@_grad_of(nll)
def _nll_grad(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    r"""Derivative of :func:`nll` with respect to the log-probabilities ``input``:
    :math:`-w_{y_n}` at the true class of each sample, 0 elsewhere (``/ sum of w_y`` for
    ``"mean"``).

    Examples::

        >>> nll.grad(torch.tensor([[-0.7, -0.7]]), torch.tensor([1]), reduction="sum")
        tensor([[ 0., -1.]])
    """
    x, t, options, kind = _nll_inputs("nll.grad", input, target, weight, ignore_index)
    return from_tensor(_derivative(_NLL, x, t, reduction, **options), kind)


# ==================================================================================================
# Metric learning: contrastive (siamese networks), triplet
# ==================================================================================================

def _contrastive_terms(x1, x2, *, same, margin):
    diff = x1 - x2
    d = torch.linalg.vector_norm(diff, dim=-1)
    gap = (margin - d).clamp(min=0)  # max(0, m - d)
    return 0.5 * (same * d.square() + (1 - same) * gap.square()), d.numel(), (diff, d)


def _contrastive_vjp(x1, x2, upstream, cache, need_target, *, same, margin):
    if cache is None:
        diff = x1 - x2
        d = torch.linalg.vector_norm(diff, dim=-1)
    else:
        diff, d = cache
    gap = (margin - d).clamp(min=0)
    # d/dx1 of d^2 / 2 is diff; of max(0, m - d)^2 / 2 it is -max(0, m - d) diff / d
    # (taken as 0 at d = 0, where the direction is undefined)
    push = (gap / d.clamp(min=torch.finfo(d.dtype).tiny)).masked_fill_(d == 0, 0)
    coefficient = (same - (1 - same) * push) * upstream
    grad = diff * coefficient.unsqueeze(-1)
    return grad, -grad if need_target else None


_CONTRASTIVE = _Formula("contrastive", _contrastive_terms, _contrastive_vjp)


def _contrastive_inputs(where, x1, x2, same, margin):
    a, kind = _as_input(x1, where, "x1")
    b = _as_like(x2, a, where, "x2")
    if a.dim() == 0:
        raise ValueError(f"{where}: x1 must have a feature dimension, got {describe(x1)}; "
                         f"expected shape (N, D) (or (D,) for one pair)")
    _check_same_shape(where, "x1", a, "x2", b)
    s, _ = to_tensor(same, name="same", where=where, floating=False)
    _check_device(where, "same", s, a)
    if s.shape != a.shape[:-1]:
        hint = _reshape_hint("same", tuple(s.shape), "x1", tuple(a.shape[:-1]))
        hint = f". Did you mean {hint}?" if hint and "reshape" not in hint else ""
        raise ValueError(f"{where}: same has shape {tuple(s.shape)}, expected {tuple(a.shape[:-1])}: "
                         f"one 0/1 label per pair of rows of x1 {tuple(a.shape)} and x2{hint}")
    bad = s[(s != 0) & (s != 1)]
    if bad.numel():
        raise ValueError(f"{where}: same must hold 1 (similar pair) or 0 (dissimilar pair), got "
                         f"{bad[0].item()!r} ({bad.numel()} value(s) that are neither)")
    margin = _check_number(margin, name="margin", where=where, minimum=0)
    return a, b, s.to(a.dtype), margin, kind


def contrastive(x1, x2, same, margin=1.0, *, reduction="mean"):
    r"""Contrastive loss of a siamese network (Hadsell, Chopra and LeCun, *Dimensionality
    Reduction by Learning an Invariant Mapping*, CVPR 2006).

    Pulls the embeddings of a similar pair together and pushes a dissimilar pair at least
    ``margin`` apart:

    .. math::
        \ell_n = s_n \tfrac12 d_n^2 + (1 - s_n) \tfrac12 \max(0, m - d_n)^2,
        \qquad d_n = \lVert x_{1,n} - x_{2,n} \rVert_2

    with :math:`s_n = 1` for a similar pair (``same``) and 0 for a dissimilar one; the paper's
    label is :math:`Y = 1 - s`. No torch equivalent.

    Derivative with respect to ``x1`` (``contrastive.grad``; ``x2`` gets the negative):

    .. math::
        \frac{\partial \ell_n}{\partial x_{1,n}} = \Big(s_n - (1 - s_n)\frac{\max(0, m - d_n)}{d_n}\Big)
        (x_{1,n} - x_{2,n})

    taken as :math:`s_n (x_{1,n} - x_{2,n}) = 0` where :math:`d_n = 0`.

    Args:
        x1: embeddings of the first elements of the pairs.
        x2: embeddings of the second elements, same shape as ``x1``.
        same: 1 (or True) for a similar pair, 0 for a dissimilar one.
        margin (float): how far apart dissimilar pairs are pushed, :math:`m \ge 0`. Default: ``1.0``.
        reduction (str): ``"mean"`` (over pairs) | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - x1, x2: :math:`(N, D)`, or :math:`(D)` for one pair.
        - same: :math:`(N)`, or :math:`()`.
        - Output: a scalar, or :math:`(N)` with ``reduction="none"``.

    Examples::

        >>> x1, x2 = torch.tensor([[0.0, 0.0], [0.0, 0.0]]), torch.tensor([[0.6, 0.8], [0.3, 0.4]])
        >>> contrastive(x1, x2, torch.tensor([1, 0]), reduction="none")  # d = 1 and 0.5
        tensor([0.5000, 0.1250])
    """
    a, b, s, margin, kind = _contrastive_inputs("contrastive", x1, x2, same, margin)
    return from_tensor(_loss(_CONTRASTIVE, a, b, reduction, same=s, margin=margin), kind)


@_grad_of(contrastive)
def _contrastive_grad(x1, x2, same, margin=1.0, *, reduction="mean"):
    r"""Derivative of :func:`contrastive` with respect to ``x1`` (that with respect to ``x2`` is its
    negative): :math:`(s - (1 - s)\max(0, m - d)/d)(x_1 - x_2)`, divided by :math:`N` for
    ``"mean"``.

    Examples::

        >>> contrastive.grad(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.3, 0.4]]), torch.tensor([0]))
        tensor([[0.3000, 0.4000]])
    """
    a, b, s, margin, kind = _contrastive_inputs("contrastive.grad", x1, x2, same, margin)
    return from_tensor(_derivative(_CONTRASTIVE, a, b, reduction, same=s, margin=margin), kind)


def _pairwise_distance(x1, x2, p, eps):
    # as torch.nn.functional.pairwise_distance: eps is added to the difference, so d > 0 always
    return torch.linalg.vector_norm(x1 - x2 + eps, ord=p, dim=-1)


def _triplet_value(anchor, positive, negative, margin, p, eps, swap, reduction):
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:  # Balntas et al. 2016: use the harder of the two negatives distances
        d_neg = torch.minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction, d_pos.numel())


def _triplet_inputs(where, anchor, positive, negative, margin, p, eps, swap, reduction):
    _check_reduction(reduction, where.split(".")[0])
    a, kind = _as_input(anchor, where, "anchor")
    if a.dim() == 0:
        raise ValueError(f"{where}: anchor must have a feature dimension, got {describe(anchor)}; "
                         f"expected shape (N, D) (or (D,) for one triplet)")
    pos = _as_like(positive, a, where, "positive")
    neg = _as_like(negative, a, where, "negative")
    _check_same_shape(where, "positive", pos, "anchor", a)
    _check_same_shape(where, "negative", neg, "anchor", a)
    margin = _check_number(margin, name="margin", where=where)
    p = _check_number(p, name="p", where=where, minimum=0, strict=True)
    eps = _check_number(eps, name="eps", where=where, minimum=0)
    if not isinstance(swap, bool):
        raise TypeError(f"{where}: swap must be True or False, got {describe(swap)}")
    return a, pos, neg, margin, p, eps, kind


def triplet(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, *, reduction="mean"):
    r"""Triplet margin loss (Schroff, Kalenichenko and Philbin, *FaceNet*, CVPR 2015), equal to
    ``torch.nn.functional.triplet_margin_loss``.

    An anchor should be closer to a positive (same identity) than to a negative, by at least
    ``margin``:

    .. math::
        \ell_n = \max\big(0,\; m + d(a_n, p_n) - d(a_n, n_n)\big),
        \qquad d(x, y) = \lVert x - y + \epsilon \rVert_p

    (torch adds :math:`\epsilon` to the difference, so the distance is never exactly 0). With
    ``swap=True`` the negative distance is :math:`\min(d(a_n, n_n), d(p_n, n_n))` (Balntas et al.,
    BMVC 2016).

    Derivative: for a triplet that violates the margin (:math:`\ell_n > 0`),
    :math:`\partial \ell_n / \partial a_n = \nabla_a d(a_n, p_n) - \nabla_a d(a_n, n_n)`, and 0
    otherwise. Autograd serves this loss: ``triplet.grad`` evaluates it with
    ``torch.autograd.grad`` (no hand-written formula), and the module trains through autograd.

    Args:
        anchor, positive, negative: embeddings, all of the same shape.
        margin (float): the required gap between the distances. Default: ``1.0``.
        p (float): the norm of the distance. Default: ``2``.
        eps (float): added to the differences. Default: ``1e-6``.
        swap (bool): use the distance swap. Default: ``False``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Shape:
        - anchor, positive, negative: :math:`(N, D)`, or :math:`(D)` for one triplet.
        - Output: a scalar, or :math:`(N)` with ``reduction="none"``.

    Examples::

        >>> a, pos, neg = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[3.0, 0.0]])
        >>> triplet(a, pos, neg, eps=0.0)   # max(0, 1 + 1 - 3)
        tensor(0.)
        >>> triplet(a, pos, neg, margin=2.5, eps=0.0)
        tensor(0.5000)
    """
    a, pos, neg, margin, p, eps, kind = _triplet_inputs(
        "triplet", anchor, positive, negative, margin, p, eps, swap, reduction)
    return from_tensor(_triplet_value(a, pos, neg, margin, p, eps, swap, reduction), kind)


@_grad_of(triplet)
def _triplet_grad(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, *,
                  reduction="mean"):
    r"""Derivative of :func:`triplet` with respect to ``anchor``, computed by autograd
    (``torch.autograd.grad`` of the formula; summed over the terms for ``reduction="none"``).
    For a triplet inside the margin it is
    :math:`\nabla_a \lVert a - p + \epsilon\rVert_p - \nabla_a \lVert a - n + \epsilon\rVert_p`,
    0 for the others.

    Examples::

        >>> a, pos, neg = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[3.0, 0.0]])
        >>> triplet.grad(a, pos, neg, margin=2.5, eps=0.0)  # (a - pos)/|a - pos| - (a - neg)/|a - neg|
        tensor([[ 1., -1.]])
    """
    a, pos, neg, margin, p, eps, kind = _triplet_inputs(
        "triplet.grad", anchor, positive, negative, margin, p, eps, swap, reduction)
    with torch.enable_grad():
        a = a.detach().requires_grad_(True)
        value = _triplet_value(a, pos.detach(), neg.detach(), margin, p, eps, swap, reduction)
        (grad,) = torch.autograd.grad(value.sum(), a)
    return from_tensor(grad, kind)


# ==================================================================================================
# Modules: one line over the functions
# ==================================================================================================

class Softmax(nn.Module):
    r"""Module over :func:`softmax` (backward: :func:`softmax.grad <softmax>`).

    Args:
        dim (int): the dimension along which the entries sum to one. Default: ``-1``.

    Examples::

        >>> Softmax(dim=1)(torch.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, z):
        return softmax(z, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    r"""Module over :func:`log_softmax`.

    Args:
        dim (int): the dimension softmax normalises over. Default: ``-1``.

    Examples::

        >>> LogSoftmax(dim=1)(torch.zeros(1, 2))
        tensor([[-0.6931, -0.6931]])
    """

    def forward(self, z):
        return log_softmax(z, dim=self.dim)


class _Loss(nn.Module):
    """Base of the loss modules: stores ``reduction`` (checked once, here) and shows it."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    r"""Module over :func:`mse`; trains with ``mse.grad``.

    Args:
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> MSELoss()(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor(2.)
    """

    def forward(self, input, target):
        return mse(input, target, reduction=self.reduction)


class MAELoss(_Loss):
    r"""Module over :func:`mae` (torch's name: ``L1Loss``, also available here).

    Args:
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> MAELoss()(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor(1.)
    """

    def forward(self, input, target):
        return mae(input, target, reduction=self.reduction)


L1Loss = MAELoss  # torch's name for the same loss


class HuberLoss(_Loss):
    r"""Module over :func:`huber`.

    Args:
        delta (float): where the quadratic part turns linear. Default: ``1.0``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> HuberLoss(delta=2.0)(torch.tensor([3.0]), torch.tensor([0.0]))
        tensor(4.)
    """

    def __init__(self, delta: float = 1.0, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.delta = _check_number(delta, name="delta", where="HuberLoss", minimum=0, strict=True)

    def forward(self, input, target):
        return huber(input, target, self.delta, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"delta={self.delta}, {super().extra_repr()}"


class LogCoshLoss(_Loss):
    r"""Module over :func:`log_cosh`.

    Args:
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> LogCoshLoss()(torch.tensor([0.0]), torch.tensor([0.0]))
        tensor(0.)
    """

    def forward(self, input, target):
        return log_cosh(input, target, reduction=self.reduction)


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight`` tensor, kept as a buffer so ``.to(device)`` moves it."""

    def __init__(self, weight=None, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.register_buffer("weight", None if weight is None else torch.as_tensor(weight))


class BCELoss(_WeightedLoss):
    r"""Module over :func:`bce` (binary cross-entropy on probabilities).

    Args:
        weight: optional rescaling weight, broadcastable to the input. Default: ``None``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> BCELoss()(torch.tensor([0.5]), torch.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input, target):
        return bce(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    r"""Module over :func:`bce_with_logits`; trains with :math:`\sigma(z) - y`.

    Args:
        weight: optional rescaling weight, broadcastable to the input. Default: ``None``.
        pos_weight: optional weight of the positives, one per class. Default: ``None``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> BCEWithLogitsLoss()(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor(0.6931)
    """

    def __init__(self, weight=None, *, pos_weight=None, reduction: str = "mean"):
        super().__init__(weight, reduction=reduction)
        self.register_buffer("pos_weight", None if pos_weight is None else torch.as_tensor(pos_weight))

    def forward(self, input, target):
        return bce_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                               reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    r"""Module over :func:`cross_entropy` (softmax loss on logits); trains with :math:`S(z) - y`.

    Args:
        weight: optional weight of each class, shape :math:`(C,)`. Default: ``None``.
        ignore_index (int): class-index target value to skip. Default: ``-100``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.
        label_smoothing (float): in ``[0, 1]``. Default: ``0.0``.

    Examples::

        >>> CrossEntropyLoss()(torch.zeros(2, 4), torch.tensor([0, 3]))
        tensor(1.3863)
    """

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, reduction=reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = _check_number(label_smoothing, name="label_smoothing",
                                             where="CrossEntropyLoss", minimum=0, maximum=1)

    def forward(self, input, target):
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return (f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, "
                f"{super().extra_repr()}")


class NLLLoss(_WeightedLoss):
    r"""Module over :func:`nll` (negative log-likelihood of log-probabilities).

    Args:
        weight: optional weight of each class, shape :math:`(C,)`. Default: ``None``.
        ignore_index (int): target value to skip. Default: ``-100``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> NLLLoss()(torch.tensor([[-0.5, -1.0]]), torch.tensor([1]))
        tensor(1.)
    """

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction=reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"ignore_index={self.ignore_index}, {super().extra_repr()}"


class ContrastiveLoss(_Loss):
    r"""Module over :func:`contrastive` (Hadsell, Chopra and LeCun 2006); ``forward(x1, x2, same)``.

    Args:
        margin (float): how far apart dissimilar pairs are pushed. Default: ``1.0``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> ContrastiveLoss(margin=2.0)(torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([0]))
        tensor(0.5000)
    """

    def __init__(self, margin: float = 1.0, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.margin = _check_number(margin, name="margin", where="ContrastiveLoss", minimum=0)

    def forward(self, x1, x2, same):
        return contrastive(x1, x2, same, self.margin, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"


class TripletLoss(_Loss):
    r"""Module over :func:`triplet` (torch's ``TripletMarginLoss``, also available under that name);
    ``forward(anchor, positive, negative)``. Autograd differentiates it.

    Args:
        margin (float): the required gap between the distances. Default: ``1.0``.
        p (float): the norm of the distance. Default: ``2``.
        eps (float): added to the differences. Default: ``1e-6``.
        swap (bool): use the distance swap. Default: ``False``.
        reduction (str): ``"mean"`` | ``"sum"`` | ``"none"``. Default: ``"mean"``.

    Examples::

        >>> a, pos, neg = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[3.0, 0.0]])
        >>> TripletLoss(margin=2.5, eps=0.0)(a, pos, neg)
        tensor(0.5000)
    """

    def __init__(self, margin: float = 1.0, p: float = 2, eps: float = 1e-6, swap: bool = False, *,
                 reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return triplet(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                       reduction=self.reduction)

    def extra_repr(self) -> str:
        return (f"margin={self.margin}, p={self.p}, eps={self.eps}, swap={self.swap}, "
                f"{super().extra_repr()}")


TripletMarginLoss = TripletLoss  # torch's name for the same loss


# ==================================================================================================
# Registries
# ==================================================================================================

for _function, _module in ((mse, MSELoss), (mae, MAELoss), (huber, HuberLoss), (log_cosh, LogCoshLoss),
                           (bce, BCELoss), (bce_with_logits, BCEWithLogitsLoss),
                           (cross_entropy, CrossEntropyLoss), (nll, NLLLoss),
                           (contrastive, ContrastiveLoss), (triplet, TripletLoss),
                           (softmax, Softmax), (log_softmax, LogSoftmax)):
    _function.module = _module  # the nn.Module over each function

LOSSES: dict[str, Callable] = {f.name: f for f in (
    mse, mae, huber, log_cosh, bce, bce_with_logits, cross_entropy, nll, contrastive, triplet)}
"""Every loss by name: ``LOSSES["mse"] is mse``; each has ``.grad``, ``.name`` and ``.module``."""

OUTPUTS: dict[str, Callable] = {f.name: f for f in (softmax, log_softmax, naive_softmax)}
"""The output functions by name."""
