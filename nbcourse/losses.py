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
- Training uses the analytic derivative: the loss runs inside a ``torch.autograd.Function``
  (``NAME.function``) whose ``backward`` evaluates the same formula as ``NAME.grad`` (a weight that
  itself requires grad makes autograd differentiate the formula instead, so no gradient is lost).
  ``triplet`` is the exception: autograd differentiates it.
- Second derivatives are exact: the backward formula is made of differentiable torch operations,
  so ``create_graph=True``, gradient penalties, Hessian-vector products, ``gradgradcheck`` and
  ``torch.func`` (``grad``, ``vmap``, ``jacrev``, ``jacfwd``, ``hessian``) work as with torch's losses.
- Each loss is one declaration (``@loss(...)`` over a class with ``prepare``, ``terms`` and ``vjp``;
  parameters and defaults stated once). The function's signature, ``.grad``, the Function and the
  ``nn.Module`` (``MSELoss``, ``CrossEntropyLoss``, ...; ``forward`` is one line over the function)
  are derived from it by :mod:`nbcourse._declare`, the mechanism the activations share. Each module
  class says which targets it takes (``CrossEntropyLoss.targets == ("classes", "probabilities")``,
  drawn from :data:`TARGET_KINDS`) and, where the loss has one, its ``ignore_index``.
- A numpy array (0-d included) or Python number in gives a numpy array or float out; strings are
  refused, never parsed.
- Half precision: float16 and bfloat16 are computed in float32 and rounded once (the result keeps
  the input's dtype); under ``torch.autocast`` the loss is float32, as torch's losses are.
- Elementwise losses never broadcast: ``input`` and ``target`` must have the same shape.
- Edge cases follow torch: on empty input ``"mean"`` is nan, ``"sum"`` is 0 and the gradient is
  empty; a batch whose targets are all ``ignore_index`` has the loss nan (``"mean"``, 0/0) or 0 and a
  zero gradient, with or without ``label_smoothing``; softmax of an empty tensor is empty.
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

import inspect
import math
import numbers
from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple

import torch
from torch import nn

from nbcourse._arrays import describe, from_tensor, to_tensor
from nbcourse._declare import HALF, Declared, analytic_function, autocast_off, autocast_on, compute_dtype, instance_of

REDUCTIONS = ("mean", "sum", "none")

#: The kinds of target a loss takes (each loss module's ``targets`` is drawn from these): class
#: indices (int64, may hold ``ignore_index``), same-shape probabilities in [0, 1], same-shape real
#: values, metric-learning pairs and triplets.
TARGET_KINDS = ("classes", "probabilities", "values", "pairs", "triplets")

LOSSES: dict[str, "Loss"] = {}
"""Every loss by name, in the lecture's order (filled by the declarations): ``LOSSES["mse"] is mse``;
each has ``.grad``, ``.name``, ``.module``, ``.function`` and ``.targets``."""


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


def _inspectable(t: torch.Tensor) -> bool:
    """Whether the values of ``t`` can be read for a check: not under ``torch.func.vmap``, where a
    tensor holds a whole batch of values and ``.item()`` is impossible (the checks then run on the
    unbatched call, when the user makes one)."""
    try:
        t.reshape(-1)[:1].sum().item()
    except RuntimeError:
        return False
    return True


def _check_probabilities(where: str, name: str, p: torch.Tensor, hint: str) -> None:
    if p.numel() == 0 or not _inspectable(p):
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
# The declaration: one block per loss, from which the function, .grad, the autograd Function and
# the nn.Module are derived (nbcourse._declare, the mechanism the activations share)
# ==================================================================================================
#
# A loss is declared as a class holding its docstring and two formulas:
#
#   terms(input, target, **options) -> (terms, normalizer, cache)
#       the loss before reduction (shape of the "none" output), the number a "mean" divides by
#       (the count of terms, or the sum of the class weights for cross_entropy / nll), and a tuple
#       of intermediate results that the derivative reuses (the residual, the softmax, ...);
#   vjp(input, target, upstream, cache, need_target, **options) -> (grad_input, grad_target)
#       the chain rule  dL/dinput = dL/dterm * dterm/dinput  written from the formula, where
#       upstream = dL/dterm is 1/normalizer ("mean"), 1 ("sum") or grad_output ("none"), and
#       cache is the tuple above, or None: then vjp recomputes what it needs from the inputs.
#
# and a prepare(where, *inputs, **options) that checks the inputs and returns the tensors, the kind
# of the first input (tensor, numpy, number) and the options the formulas take. The parameters and
# their defaults are stated once, in @loss(inputs=..., options=...). A loss without vjp (triplet)
# is differentiated by autograd.


# Speed: on a million entries the time goes into passes over memory and into allocating fresh
# 4 MB buffers, so some steps below update a temporary in place (exp_, sub_, mul_, ...). Each one
# is chosen so that autograd never needs the overwritten value: the derivative code itself stays
# differentiable (double backward is tested with gradgradcheck over the whole registry).


class Option(NamedTuple):
    """A loss's parameter after its inputs: the default, how it is checked, whether it is a tensor."""

    default: Any
    check: Callable | None = None  # check(value, name=..., where=...) -> the value to use
    tensor: bool = False  # a weight tensor (or None): a module keeps it as a buffer


def _positive(value, *, name, where):
    return _check_number(value, name=name, where=where, minimum=0, strict=True)


def _non_negative(value, *, name, where):
    return _check_number(value, name=name, where=where, minimum=0)


def _fraction(value, *, name, where):
    return _check_number(value, name=name, where=where, minimum=0, maximum=1)


def _finite(value, *, name, where):
    return _check_number(value, name=name, where=where)


def _integer(value, *, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an integer, got {describe(value)}")
    return int(value)


def _boolean(value, *, name, where):
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {describe(value)}")
    return value


def _in_place(fresh: torch.Tensor, op: str, *args) -> torch.Tensor:
    """``fresh.op_(*args)``, or ``torch.op(fresh, *args)`` where in place is impossible.

    Speed: writing into a fresh temporary is about twice as fast as filling a new tensor. Under
    ``torch.func.vmap`` the upstream gradient may be batched where ``fresh`` is not, and torch then
    refuses the in-place form (before changing anything); the result is the same either way.
    """
    try:
        return getattr(fresh, op + "_")(*args)
    except RuntimeError:
        return getattr(torch, op)(fresh, *args)


def _reduce(terms: torch.Tensor, reduction: str, normalizer) -> torch.Tensor:
    if reduction == "none":
        return terms
    total = terms.sum()
    return total if reduction == "sum" else total / normalizer


def _upstream(grad_output: torch.Tensor | None, reduction: str, normalizer, like: torch.Tensor):
    """dL/dterm: how much each term of the loss weighs in the reduced loss ``L``."""
    if grad_output is None:  # NAME.grad: the derivative of L itself
        grad_output = torch.ones((), dtype=like.dtype, device=like.device)
    if reduction != "mean":
        return grad_output
    return grad_output / _nonzero(normalizer)


def _nonzero(normalizer):
    """The normalizer of ``"mean"``, with 0 replaced by 1 for the derivative.

    A batch whose targets are all ignored has a normalizer (sum of weights) of 0: its loss is nan
    (0/0, as torch), but every term's weight is 0, so the gradient is 0, as torch's.
    """
    if isinstance(normalizer, torch.Tensor):
        return torch.where(normalizer == 0, torch.ones_like(normalizer), normalizer)
    return normalizer or 1


class Loss(Declared):
    """One loss of the lecture: its value (``NAME(...)``), derivative (``NAME.grad(...)``),
    autograd Function and module. Built from a declaration by :func:`loss`.

    Attributes:
        name: the key in :data:`LOSSES` (``"cross_entropy"``).
        inputs: the names of the tensor arguments (``("input", "target")``).
        options: the parameters after the inputs, with their defaults (:class:`Option`).
        targets: the kinds of target it takes, from ``("classes", "probabilities", "values",
            "pairs", "triplets")``.
        function: the :class:`torch.autograd.Function` (None for a loss autograd differentiates).
        module: the :class:`torch.nn.Module` class.
    """

    inputs: tuple = ()
    options: Mapping[str, Option] = MappingProxyType({})
    targets: tuple = ()

    # --- the public function ------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        return self._evaluate(self.name, args, kwargs, derivative=False)

    def _bind(self, where, args, kwargs) -> dict:
        """The arguments by name, defaults filled in, as ``inspect.Signature.bind`` gives them.

        The common call (the inputs by position, options by keyword, as the modules make it) is
        matched directly: ``bind`` costs more than the whole loss on a small batch. Anything else
        goes through ``bind``, whose error names what is wrong.
        """
        defaults = self._defaults
        if len(args) == len(self.inputs) and all(k in defaults for k in kwargs):
            values = dict(defaults)
            values.update(zip(self.inputs, args))
            values.update(kwargs)
            return values
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{where}: {e}; the signature is {self.name}{self.__signature__}") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def _evaluate(self, where, args, kwargs, *, derivative):
        values = self._bind(where, args, kwargs)
        reduction = values.pop("reduction")
        _check_reduction(reduction, self.name)
        inputs = [values.pop(n) for n in self.inputs]
        for name, option in self.options.items():
            if option.check is not None:
                values[name] = option.check(values[name], name=name, where=where)
        tensors, kind, options = self._prepare(where, *inputs, **values)
        x = tensors[0]
        # precision: float16/bfloat16 are computed in float32; under torch.autocast the loss is
        # float32, as torch's own losses are (autocast's float32 list)
        out_dtype = torch.float32 if x.dtype in HALF and autocast_on(x) and not derivative else x.dtype
        work = compute_dtype(x.dtype)
        if work != x.dtype:
            tensors = [t.to(work) if t.is_floating_point() else t for t in tensors]
            options = {k: v.to(work) if isinstance(v, torch.Tensor) and v.is_floating_point() else v
                       for k, v in options.items()}
        with autocast_off(x):
            if self.vjp is None:  # differentiated by autograd
                out = self._autograd_value(tensors, reduction, options, derivative)
            elif derivative:
                out = self._derivative(tensors, reduction, options)
            else:
                out = self._value(tensors, reduction, options)
        return from_tensor(out.to(out_dtype), kind)

    def _value(self, tensors, reduction, options):
        """The value; differentiable through the analytic derivative."""
        recording = torch.is_grad_enabled()
        weight_needs_grad = any(isinstance(v, torch.Tensor) and v.requires_grad for v in options.values())
        if recording and not weight_needs_grad:
            out = self.function.apply(*tensors, reduction, options)
            return out[0] if isinstance(out, tuple) else out
        # no gradient wanted: no graph; or a weight (class weight, pos_weight, same) requires grad, which
        # the analytic backward does not provide: then autograd differentiates the formula itself
        with torch.set_grad_enabled(recording and weight_needs_grad):
            terms, normalizer, _ = self.terms(*tensors, **options)
            return _reduce(terms, reduction, normalizer)

    def _derivative(self, tensors, reduction, options):
        """d loss / d first input, from the formula, for ``NAME.grad``."""
        input, target = tensors
        with torch.no_grad():
            _, normalizer, cache = self.terms(input, target, **options)
            upstream = _upstream(None, reduction, normalizer, input)
            grad_input, _ = self.vjp(input, target, upstream, cache, False, **options)
        return grad_input

    def _autograd_value(self, tensors, reduction, options, derivative):
        if not derivative:
            terms, normalizer, _ = self.terms(*tensors, **options)
            return _reduce(terms, reduction, normalizer)
        with torch.enable_grad():
            first = tensors[0].detach().requires_grad_(True)
            terms, normalizer, _ = self.terms(first, *(t.detach() for t in tensors[1:]), **options)
            (grad,) = torch.autograd.grad(_reduce(terms, reduction, normalizer).sum(), first)
        return grad

    def __repr__(self) -> str:
        return f"<loss {self.name}{self.__signature__}>"

    # --- the three rules of the autograd Function (see nbcourse._declare.analytic_function) ----

    def _forward_rule(self, input, target, reduction, options):
        terms, normalizer, cache = self.terms(input, target, **options)
        value = _reduce(terms, reduction, normalizer)
        if reduction == "mean":  # what the derivative divides by (saved as a tensor, for the Function)
            normalizer = torch.as_tensor(_nonzero(normalizer), dtype=input.dtype, device=input.device)
        else:
            normalizer = torch.ones((), dtype=input.dtype, device=input.device)
        return value, (normalizer, *cache)

    def _backward_rule(self, args, value, cache, grad_output, needs):
        input, target, reduction, options = args
        normalizer, *cache = cache
        if torch.is_grad_enabled():
            # backward(create_graph=True): the cache was computed without a graph, so the derivative
            # recomputes it from the inputs; it is then itself differentiable (double backward)
            cache = None
        # the normalizer saved by _forward_rule is already safe to divide by
        upstream = grad_output / normalizer if reduction == "mean" else grad_output
        grad_input, grad_target = self.vjp(input, target, upstream, cache, needs[1], **options)
        return grad_input if needs[0] else None, grad_target, None, None

    def _jvp_rule(self, args, value, tangents):
        input, target, reduction, options = args
        terms, normalizer, _ = self.terms(input, target, **options)
        has_target = len(tangents) > 1 and tangents[1] is not None
        ones = torch.ones((), dtype=input.dtype, device=input.device)
        grad_input, grad_target = self.vjp(input, target, ones, None, has_target, **options)
        dterms = torch.zeros_like(terms)
        for g, t in ((grad_input, tangents[0]), (grad_target, tangents[1] if has_target else None)):
            if g is not None and t is not None:
                d = g * t  # each entry belongs to one term: sum over the rest of that term's entries
                dterms = dterms + (d if d.shape == terms.shape else d.sum(options.get("class_dim", -1)))
        return _reduce(dterms, reduction, normalizer)


class _LossModule(nn.Module):
    """Base of the derived loss modules: stores the options (weights as buffers), ``forward`` is one
    line over the function."""

    loss: Loss
    targets: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__()
        where = type(self).__name__
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{where}: {e}; the signature is {where}{self._signature}") from None
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            option = self.loss.options.get(name)
            if name == "reduction":
                _check_reduction(value, where)
            elif option is not None and option.tensor:
                _reject_reduction_as_weight(where, name, value)
                self.register_buffer(name, None if value is None else torch.as_tensor(value))
                continue
            elif option is not None and option.check is not None:
                value = option.check(value, name=name, where=where)
            setattr(self, name, value)

    def forward(self, *inputs):
        return self.loss(*inputs, **{name: getattr(self, name) for name in self._names})

    def extra_repr(self) -> str:
        shown = [n for n in self._signature.parameters if n != "reduction" and not self.loss.options[n].tensor]
        return ", ".join([f"{n}={getattr(self, n)!r}" for n in shown] + [f"reduction={self.reduction!r}"])


def _make_module(loss_: Loss, class_name: str) -> type[nn.Module]:
    P = inspect.Parameter
    params = [P(n, P.POSITIONAL_OR_KEYWORD if i == 0 or not loss_.keyword_only else P.KEYWORD_ONLY,
                default=o.default) for i, (n, o) in enumerate(loss_.options.items())]
    sig = inspect.Signature(params + [P("reduction", P.KEYWORD_ONLY, default="mean")])
    forward_call = ", ".join(loss_.inputs)
    args = "".join(f"\n        {n}: as for :func:`{loss_.name}`. Default: ``{o.default!r}``."
                   for n, o in loss_.options.items())
    doc = (f"Module over :func:`{loss_.name}`; ``forward({forward_call})``, trained with the analytic "
           f"``{loss_.name}.grad``{' (autograd differentiates this one)' if loss_.vjp is None else ''}.\n\n"
           f"    Args:{args}\n        reduction (str): ``\"mean\"`` | ``\"sum\"`` | ``\"none\"``. "
           f"Default: ``\"mean\"``.\n\n    Attributes:\n        targets: the target kinds it takes: "
           f"``{loss_.targets!r}``.\n\n    Examples::\n\n{loss_.module_example}\n    The formula, its derivative and the "
           f"shapes: ``help(nbcourse.losses.{loss_.name})``.\n")
    namespace = {"__doc__": doc, "__module__": __name__, "__qualname__": class_name, "loss": loss_,
                 "targets": loss_.targets, "_signature": sig, "__signature__": sig,
                 "_names": tuple(sig.parameters)}
    if "ignore_index" in loss_.options:
        namespace["ignore_index"] = loss_.options["ignore_index"].default
    return type(class_name, (_LossModule,), namespace)


def loss(*, module: str, targets: tuple[str, ...], inputs: tuple[str, ...] = ("input", "target"),
         options: Mapping[str, Option] | None = None, keyword_only: bool = False, registry: dict | None = None):
    """Declare a loss: the decorated class holds its docstring, ``grad_doc``, ``prepare``, ``terms``
    and (for an analytic derivative) ``vjp``; see the comment above.

    Args:
        module: the name of the derived :class:`torch.nn.Module` (``"MSELoss"``).
        targets: the target kinds, from ``("classes", "probabilities", "values", "pairs", "triplets")``.
        inputs: the names of the tensor arguments.
        options: the parameters after the inputs and their defaults (:class:`Option`), stated once;
            ``reduction="mean"`` (keyword-only) follows them for every loss.
        keyword_only: the options after the first are keyword-only (as torch's ``weight=None, *, ...``).
        registry: where to register it. Default: :data:`LOSSES`.
    """
    options = MappingProxyType(dict(options or {}))
    unknown = set(targets) - set(TARGET_KINDS)
    if unknown:
        raise ValueError(f"loss: unknown target kinds {sorted(unknown)}; expected some of {TARGET_KINDS}")

    def declare(cls: type) -> Loss:
        body = vars(cls)
        name = cls.__name__
        vjp = body.get("vjp")
        namespace = dict(name=name, inputs=tuple(inputs), options=options, targets=tuple(targets),
                         keyword_only=keyword_only, _prepare=staticmethod(body["prepare"]),
                         module_example=body.get("module_example", ""),
                         terms=staticmethod(body["terms"]), vjp=None if vjp is None else staticmethod(vjp))
        P = inspect.Parameter
        params = [P(n, P.POSITIONAL_OR_KEYWORD) for n in inputs]
        params += [P(n, P.POSITIONAL_OR_KEYWORD if i == 0 or not keyword_only else P.KEYWORD_ONLY,
                     default=o.default) for i, (n, o) in enumerate(options.items())]
        sig = inspect.Signature(params + [P("reduction", P.KEYWORD_ONLY, default="mean")])
        namespace["_defaults"] = MappingProxyType(  # the options and reduction, for Loss._bind
            {n: p.default for n, p in sig.parameters.items() if n not in inputs})
        declared = instance_of(cls, Loss, namespace, sig)

        def grad(*args, **kwargs):
            return declared._evaluate(f"{name}.grad", args, kwargs, derivative=True)

        grad.__name__, grad.__qualname__, grad.__module__ = "grad", f"{name}.grad", __name__
        grad.__doc__, grad.__signature__ = body.get("grad_doc"), declared.__signature__
        declared.grad = grad
        declared.function = None if vjp is None else analytic_function(
            f"{module}Function",
            f"Autograd function of :func:`{name}`: forward is the formula, backward (and forward-mode jvp) "
            f"the analytic derivative ``{name}.grad``, differentiable again.",
            forward=declared._forward_rule, backward=declared._backward_rule, jvp=declared._jvp_rule,
            module=__name__)
        declared.module = _make_module(declared, module)
        (LOSSES if registry is None else registry)[name] = declared
        return declared

    return declare


def _attach_grad(function: Callable, grad: Callable) -> Callable:
    """Make ``grad`` reachable as ``function.grad`` (and name it so in ``help``)."""
    grad.__name__ = "grad"
    grad.__qualname__ = f"{function.__name__}.grad"
    function.grad = grad
    function.name = function.__name__
    return grad


def _grad_of(function: Callable) -> Callable:
    """Decorator: ``@_grad_of(softmax)`` above a definition makes it ``softmax.grad``."""
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


def _softmax_forward(z, dim):
    return _softmax(z, dim), ()


def _softmax_backward(args, s, cache, grad_output, needs):
    # s is the saved output: the formula stays differentiable, so double backward is exact
    return _softmax_vjp(s, grad_output, args[1]), None


def _softmax_jvp(args, s, tangents):
    # the Jacobian S_i (delta_ij - S_j) is symmetric: the jvp is the vjp
    return _softmax_vjp(s, tangents[0], args[1])


def _log_softmax_forward(z, dim):
    shifted = _shift(z, dim)
    e = _exp(shifted)
    total = e.sum(dim, keepdim=True)
    return shifted.sub_(torch.log(total)), (e.div_(total),)  # keep S too: backward needs no second exp


def _log_softmax_backward(args, log_s, cache, grad_output, needs):
    # create_graph=True: S from the output, so that it is differentiable
    s = _exp(log_s) if torch.is_grad_enabled() else cache[0]
    return _log_softmax_vjp(s, grad_output, args[1]), None


def _log_softmax_jvp(args, log_s, tangents):
    # d log S_i = t_i - sum_j S_j t_j
    t = tangents[0]
    return t - (_exp(log_s) * t).sum(args[1], keepdim=True)


_Softmax = analytic_function("SoftmaxFunction", "Autograd function of :func:`softmax` (analytic vjp and jvp).",
                             forward=_softmax_forward, backward=_softmax_backward, jvp=_softmax_jvp,
                             module=__name__)
_LogSoftmax = analytic_function("LogSoftmaxFunction", "Autograd function of :func:`log_softmax`.",
                                forward=_log_softmax_forward, backward=_log_softmax_backward,
                                jvp=_log_softmax_jvp, module=__name__)


def _output_function(where: str, function: Callable, plain: Callable, z: Any, dim: Any):
    x, kind = to_tensor(z, name="z", where=where)
    dim = _check_dim(where, dim, x)
    if x.numel() == 0:  # nothing to normalise (torch gives an empty result too)
        return from_tensor(x.clone(), kind)
    work = x.to(compute_dtype(x.dtype))  # float16/bfloat16: computed in float32, rounded once
    with autocast_off(x):
        out = function.apply(work, dim) if torch.is_grad_enabled() else plain(work, dim)
    out = out[0] if isinstance(out, tuple) else out  # log_softmax's Function also returns S (no gradient)
    return from_tensor(out.to(x.dtype), kind)


def _output_grad(where: str, vjp: Callable, z: Any, grad_output: Any, dim: Any):
    x, kind = to_tensor(z, name="z", where=where)
    dim = _check_dim(where, dim, x)
    g = _as_like(grad_output, x, where, "grad_output")
    _check_same_shape(where, "grad_output", g, "z", x)
    if x.numel() == 0:
        return from_tensor(torch.zeros_like(x.detach()), kind)
    dtype, work = x.dtype, compute_dtype(x.dtype)
    x, g = x.detach().to(work), g.detach().to(work)
    return from_tensor(vjp(_softmax(x, dim), g, dim).to(dtype), kind)



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
    if x.shape[dim] == 0:
        return from_tensor(x.new_zeros(x.movedim(dim, -1).shape + (0,)), kind)
    s = _softmax(x.detach().to(compute_dtype(x.dtype)), dim).movedim(dim, -1)  # (..., C)
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


def _elementwise(where, input, target):
    x, y, kind = _elementwise_pair(where, input, target)
    return [x, y], kind, {}


@loss(module="MSELoss", targets=("values",))
class mse:
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
    grad_doc = r"""Derivative of :func:`mse` with respect to ``input``: :math:`2(\hat y - y)/m`
    (``/m`` only for ``reduction="mean"``).

    Examples::

        >>> mse.grad(torch.tensor([3.0]), torch.tensor([1.0]))
        tensor([4.])
    """

    module_example = r"""
        >>> MSELoss()(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor(2.)
    """

    def prepare(where, input, target):
        return _elementwise(where, input, target)

    def terms(input, target):
        r = input - target
        return r.square(), input.numel(), (r,)

    def vjp(input, target, upstream, cache, need_target):
        grad = _residual(input, target, cache) * (2 * upstream)  # d (r^2) / d input = 2 r
        return grad, -grad if need_target else None


@loss(module="MAELoss", targets=("values",))
class mae:
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
    grad_doc = r"""Derivative of :func:`mae` with respect to ``input``: :math:`\operatorname{sign}(\hat y - y)/m`
    (0 where the residual is 0).

    Examples::

        >>> mae.grad(torch.tensor([3.0, 1.0, -2.0]), torch.tensor([1.0, 1.0, 0.0]), reduction="sum")
        tensor([ 1.,  0., -1.])
    """

    module_example = r"""
        >>> MAELoss()(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor(1.)
    """

    def prepare(where, input, target):
        return _elementwise(where, input, target)

    def terms(input, target):
        r = input - target
        return r.abs(), input.numel(), (r,)

    def vjp(input, target, upstream, cache, need_target):
        # d|r|/dr = sign(r), taken as 0 at r = 0
        grad = torch.sign(_residual(input, target, cache)) * upstream
        return grad, -grad if need_target else None


@loss(module="HuberLoss", targets=("values",), options={"delta": Option(1.0, _positive)})
class huber:
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
    grad_doc = r"""Derivative of :func:`huber` with respect to ``input``:
    :math:`\operatorname{clamp}(\hat y - y, -\delta, \delta)/m`.

    Examples::

        >>> huber.grad(torch.tensor([-4.0, 0.2]), torch.zeros(2), delta=2.0, reduction="sum")
        tensor([-2.0000,  0.2000])
    """

    module_example = r"""
        >>> HuberLoss(delta=2.0)(torch.tensor([3.0]), torch.tensor([0.0]))
        tensor(4.)
    """

    def prepare(where, input, target, delta):
        x, y, kind = _elementwise_pair(where, input, target)
        return [x, y], kind, {"delta": delta}

    def terms(input, target, *, delta):
        # with c = clamp(r, -delta, delta), the derivative, both branches are c (r - c / 2): r^2 / 2
        # inside, delta (|r| - delta / 2) outside (one formula: torch.where is slow on the CPU)
        r = input - target
        c = r.clamp(-delta, delta)
        return r.sub_(c, alpha=0.5).mul_(c), input.numel(), (c,)

    def vjp(input, target, upstream, cache, need_target, *, delta):
        # r inside (-delta, delta), delta * sign(r) outside: the residual clipped to [-delta, delta]
        c = (input - target).clamp(-delta, delta) if cache is None else cache[0]
        grad = c * upstream
        return grad, -grad if need_target else None


_LOG2 = math.log(2.0)


@loss(module="LogCoshLoss", targets=("values",))
class log_cosh:
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
    grad_doc = r"""Derivative of :func:`log_cosh` with respect to ``input``: :math:`\tanh(\hat y - y)/m`.

    Examples::

        >>> log_cosh.grad(1000.0, 0.0)
        1.0
    """

    module_example = r"""
        >>> LogCoshLoss()(torch.tensor([0.0]), torch.tensor([0.0]))
        tensor(0.)
    """

    def prepare(where, input, target):
        return _elementwise(where, input, target)

    def terms(input, target):
        r = input - target
        a = r.abs()
        # log cosh r = log((e^|r| + e^-|r|)/2) = |r| + log1p(e^(-2|r|)) - log 2: cosh never overflows
        return torch.log1p(torch.exp(-2 * a)).add_(a).sub_(_LOG2), input.numel(), (r,)

    def vjp(input, target, upstream, cache, need_target):
        grad = torch.tanh(_residual(input, target, cache)) * upstream  # d log cosh r / dr = sinh r / cosh r
        return grad, -grad if need_target else None


# ==================================================================================================
# Binary classification: bce (on probabilities), bce_with_logits
# ==================================================================================================

def _bce_logs(p):
    # torch clamps both logs at -100, so p = 0 or p = 1 gives a finite loss
    return torch.log(p).clamp(min=-100), torch.log1p(-p).clamp(min=-100)


@loss(module="BCELoss", targets=("probabilities",), options={"weight": Option(None, tensor=True)})
class bce:
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
    grad_doc = r"""Derivative of :func:`bce` with respect to the probabilities ``input``:
    :math:`w (\hat y - y) / \max(\hat y(1 - \hat y), 10^{-12}) / m`.

    Examples::

        >>> bce.grad(torch.tensor([0.0, 0.0]), torch.tensor([0.0, 1.0]), reduction="none")
        tensor([ 0.0000e+00, -1.0000e+12])
    """

    module_example = r"""
        >>> BCELoss()(torch.tensor([0.5]), torch.tensor([1.0]))
        tensor(0.6931)
    """

    def prepare(where, input, target, weight):
        x, y, kind = _elementwise_pair(where, input, target)
        _check_probabilities(where, "input", x, "bce takes probabilities: apply torch.sigmoid to "
                             "logits first, or use bce_with_logits on the logits.")
        _check_probabilities(where, "target", y, "Labels are 0 or 1 (or probabilities).")
        return [x, y], kind, {"weight": _check_weight(where, "weight", weight, x)}

    def terms(input, target, *, weight):
        log_p, log_1mp = _bce_logs(input)
        terms = (target - 1) * log_1mp - target * log_p  # -[y log p + (1 - y) log(1 - p)]
        if weight is not None:
            terms = weight * terms
        return terms, input.numel(), ()

    def vjp(input, target, upstream, cache, need_target, *, weight):
        scale = upstream if weight is None else weight * upstream
        # (p - y) / (p (1 - p)), with torch's floor of 1e-12 on the denominator: finite at p = 0 or 1
        grad_input = (input - target) / (input * (1 - input)).clamp(min=1e-12) * scale
        grad_target = None
        if need_target:  # derivative of the clamped formula: log(1 - p) - log(p)
            log_p, log_1mp = _bce_logs(input)
            grad_target = (log_1mp - log_p) * scale
        return grad_input, grad_target


def _softplus_neg(z):
    # -log sigma(z) = softplus(-z) = max(-z, 0) + log(1 + e^-|z|) = log(1 + e^-|z|) - min(z, 0),
    # finite for any z
    return torch.log1p(_exp_(z.abs().neg_())).sub_(z.clamp(max=0))


@loss(module="BCEWithLogitsLoss", targets=("probabilities",), keyword_only=True,
      options={"weight": Option(None, tensor=True), "pos_weight": Option(None, tensor=True)})
class bce_with_logits:
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
    grad_doc = r"""Derivative of :func:`bce_with_logits` with respect to the logits ``input``:
    :math:`w\,[(1 + (p - 1) y)\,\sigma(z) - p\,y]/m`, which is :math:`(\sigma(z) - y)/m`
    without weights.

    Examples::

        >>> bce_with_logits.grad(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor([-0.5000])
    """

    module_example = r"""
        >>> BCEWithLogitsLoss()(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor(0.6931)
    """

    def prepare(where, input, target, weight, pos_weight):
        x, y, kind = _elementwise_pair(where, input, target)
        if not y.requires_grad:  # labels of -1/+1 or class numbers 0..K give a silently wrong loss (a target
            # being differentiated, e.g. by gradcheck, may step just past 0 or 1: it is not a labelling mistake)
            _check_probabilities(where, "target", y, "Labels are 0 or 1 (or probabilities); the logits go in input.")
        return [x, y], kind, {"weight": _check_weight(where, "weight", weight, x),
                              "pos_weight": _check_weight(where, "pos_weight", pos_weight, x)}

    def terms(input, target, *, weight, pos_weight):
        softplus_neg = _softplus_neg(input)
        if pos_weight is None:  # (1 - y) z + softplus(-z)
            terms = torch.addcmul(softplus_neg, 1 - target, input)
        else:
            log_weight = 1 + (pos_weight - 1) * target
            terms = torch.addcmul(log_weight * softplus_neg, 1 - target, input)
        if weight is not None:
            terms = weight * terms
        return terms, input.numel(), ()

    def vjp(input, target, upstream, cache, need_target, *, weight, pos_weight):
        scale = upstream if weight is None else weight * upstream
        s = torch.sigmoid(input)
        if pos_weight is None:
            grad_input = _in_place(s - target, "mul", scale)
        else:
            grad_input = _in_place((1 + (pos_weight - 1) * target) * s - pos_weight * target, "mul", scale)
        grad_target = None
        if need_target:  # d/dy [(1 - y) z + (1 + (pw - 1) y) softplus(-z)] = -z + (pw - 1) softplus(-z)
            grad_target = -input
            if pos_weight is not None:
                grad_target = grad_target + (pos_weight - 1) * _softplus_neg(input)
            grad_target = grad_target * scale
        return grad_input, grad_target


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
    if ignore_index is None:  # none ignored (see _check_class_range)
        ignored, safe = torch.zeros_like(target, dtype=torch.bool), target
    else:
        ignored = target == ignore_index
        safe = target.masked_fill(ignored, 0)  # any class will do: its weight is set to 0 below
    if weight is None:
        return ignored, safe, (~ignored).to(dtype)
    return ignored, safe, weight[safe].masked_fill_(ignored, 0)


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
    grad_input = _in_place((a.sum(class_dim, keepdim=True) * s).sub_(a), "mul", u)
    grad_target = None
    if need_target:  # d/dy_c of -sum_c a_c log S_c, with a_c = w_c ((1 - eps) y_c + eps / C)
        w = 1.0 if weight is None else _class_weight_view(weight, class_dim, input.dim())
        grad_target = -(1 - label_smoothing) * w * _log_softmax(input, class_dim) * u
    return grad_input, grad_target


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
        none_ignored = _check_class_range(where, t, n_classes, ignore_index)
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
    return x, t, w, class_dim, is_index, kind, is_index and none_ignored


def _check_class_range(where, target, n_classes, ignore_index) -> bool:
    """Refuse a class outside ``[0, n_classes)`` (``ignore_index`` aside). Returns whether no entry
    of ``target`` is ``ignore_index`` (False where that is unknown, under ``torch.func.vmap``)."""
    if target.numel() == 0:
        return False
    try:
        low, high = (v.item() for v in torch.aminmax(target))
    except RuntimeError:  # under torch.func.vmap the values cannot be read (see _inspectable)
        return False
    if 0 <= low and high < n_classes:  # the usual case, settled with one pass
        return not low <= ignore_index <= high
    kept = target[target != ignore_index]
    if kept.numel() == 0:
        return False
    low, high = (v.item() for v in torch.aminmax(kept))
    if high >= n_classes:
        hint = ". Did you mean target - 1?" if high == n_classes and low >= 1 else ""
        raise ValueError(f"{where}: target holds class {high}, but input has {n_classes} classes "
                         f"(0..{n_classes - 1}){hint}")
    if low < 0:
        raise ValueError(f"{where}: target holds class {low}, but classes run from 0 to "
                         f"{n_classes - 1} (and ignore_index={ignore_index} marks entries to skip)")


@loss(module="CrossEntropyLoss", targets=("classes", "probabilities"), keyword_only=True,
      options={"weight": Option(None, tensor=True), "ignore_index": Option(-100, _integer),
               "label_smoothing": Option(0.0, _fraction)})
class cross_entropy:
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
    grad_doc = r"""Derivative of :func:`cross_entropy` with respect to the logits ``input``:
    :math:`(S(z) - y)/N`, :math:`y` the one-hot of the class index or the probability target
    (:math:`(\sum_c a_c) S(z) - a` with weights and label smoothing).

    Examples::

        >>> cross_entropy.grad(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
        tensor([[ 0.5000, -0.5000]])
    """

    module_example = r"""
        >>> CrossEntropyLoss()(torch.zeros(2, 4), torch.tensor([0, 3]))
        tensor(1.3863)
    """

    def prepare(where, input, target, weight, ignore_index, label_smoothing):
        x, t, w, class_dim, is_index, kind, _ = _class_inputs(
            where, input, target, weight, ignore_index, allow_probabilities=True)
        options = dict(weight=w, label_smoothing=label_smoothing, class_dim=class_dim, is_index=is_index,
                       ignore_index=ignore_index)
        return [x, t], kind, options

    def terms(input, target, *, is_index, **options):
        if is_index:
            return _ce_index_terms(input, target, **options)
        options.pop("ignore_index")
        return _ce_prob_terms(input, target, **options)

    def vjp(input, target, upstream, cache, need_target, *, is_index, **options):
        if is_index:
            return _ce_index_vjp(input, target, upstream, cache, need_target, **options)
        options.pop("ignore_index")
        return _ce_prob_vjp(input, target, upstream, cache, need_target, **options)


@loss(module="NLLLoss", targets=("classes",), keyword_only=True,
      options={"weight": Option(None, tensor=True), "ignore_index": Option(-100, _integer)})
class nll:
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
    grad_doc = r"""Derivative of :func:`nll` with respect to the log-probabilities ``input``:
    :math:`-w_{y_n}` at the true class of each sample, 0 elsewhere (``/ sum of w_y`` for
    ``"mean"``).

    Examples::

        >>> nll.grad(torch.tensor([[-0.7, -0.7]]), torch.tensor([1]), reduction="sum")
        tensor([[ 0., -1.]])
    """

    module_example = r"""
        >>> NLLLoss()(torch.tensor([[-0.5, -1.0]]), torch.tensor([1]))
        tensor(1.)
    """

    def prepare(where, input, target, weight, ignore_index):
        x, t, w, class_dim, _, kind, none_ignored = _class_inputs(
            where, input, target, weight, ignore_index, allow_probabilities=False)
        # ignore_index=None: no target is ignored (checked), which spares the masks below
        return [x, t], kind, dict(weight=w, ignore_index=None if none_ignored else ignore_index,
                                  class_dim=class_dim)

    def terms(input, target, *, weight, ignore_index, class_dim):
        if ignore_index is None and weight is None:  # the common case, in three operations
            picked = input.gather(class_dim, target.unsqueeze(class_dim)).squeeze(class_dim)
            return -picked, target.numel(), ()
        ignored, safe, w_y = _index_weights(target, weight, ignore_index, input.dtype)
        picked = input.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
        return (-w_y * picked).masked_fill_(ignored, 0), w_y.sum(), (safe, w_y)

    def vjp(input, target, upstream, cache, need_target, *, weight, ignore_index, class_dim):
        if ignore_index is None and weight is None:
            safe, w_y = target, -1.0
        elif not cache:
            _, safe, w_y = _index_weights(target, weight, ignore_index, input.dtype)
            w_y = -w_y
        else:
            safe, w_y = cache
            w_y = -w_y
        # -w_y on the true class, 0 elsewhere (and 0 for ignored samples, whose w_y is 0)
        src = _per_sample(w_y * upstream, class_dim).expand(safe.unsqueeze(class_dim).shape)
        return _in_place(torch.zeros_like(input), "scatter_add", class_dim, safe.unsqueeze(class_dim), src), None


# ==================================================================================================
# Metric learning: contrastive (siamese networks), triplet
# ==================================================================================================

def _contrastive_inputs(where, x1, x2, same):
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
    bad = s[(s != 0) & (s != 1)] if _inspectable(s) else s[:0]
    if bad.numel():
        raise ValueError(f"{where}: same must hold 1 (similar pair) or 0 (dissimilar pair), got "
                         f"{bad[0].item()!r} ({bad.numel()} value(s) that are neither)")
    return a, b, s.to(a.dtype), kind


@loss(module="ContrastiveLoss", targets=("pairs",), inputs=("x1", "x2", "same"),
      options={"margin": Option(1.0, _non_negative)})
class contrastive:
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
    grad_doc = r"""Derivative of :func:`contrastive` with respect to ``x1`` (that with respect to ``x2`` is its
    negative): :math:`(s - (1 - s)\max(0, m - d)/d)(x_1 - x_2)`, divided by :math:`N` for
    ``"mean"``.

    Examples::

        >>> contrastive.grad(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.3, 0.4]]), torch.tensor([0]))
        tensor([[0.3000, 0.4000]])
    """

    module_example = r"""
        >>> ContrastiveLoss(margin=2.0)(torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([0]))
        tensor(0.5000)
    """

    def prepare(where, x1, x2, same, margin):
        a, b, s, kind = _contrastive_inputs(where, x1, x2, same)
        return [a, b], kind, {"same": s, "margin": margin}

    def terms(x1, x2, *, same, margin):
        diff = x1 - x2
        d = torch.linalg.vector_norm(diff, dim=-1)
        gap = (margin - d).clamp(min=0)  # max(0, m - d)
        return 0.5 * (same * d.square() + (1 - same) * gap.square()), d.numel(), (diff, d)

    def vjp(x1, x2, upstream, cache, need_target, *, same, margin):
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


def _pairwise_distance(x1, x2, p, eps):
    # as torch.nn.functional.pairwise_distance: eps is added to the difference, so d > 0 always
    return torch.linalg.vector_norm(x1 - x2 + eps, ord=p, dim=-1)


@loss(module="TripletLoss", targets=("triplets",), inputs=("anchor", "positive", "negative"),
      options={"margin": Option(1.0, _finite), "p": Option(2, _positive), "eps": Option(1e-6, _non_negative),
               "swap": Option(False, _boolean)})
class triplet:
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
    grad_doc = r"""Derivative of :func:`triplet` with respect to ``anchor``, computed by autograd
    (``torch.autograd.grad`` of the formula; summed over the terms for ``reduction="none"``).
    For a triplet inside the margin it is
    :math:`\nabla_a \lVert a - p + \epsilon\rVert_p - \nabla_a \lVert a - n + \epsilon\rVert_p`,
    0 for the others.

    Examples::

        >>> a, pos, neg = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[3.0, 0.0]])
        >>> triplet.grad(a, pos, neg, margin=2.5, eps=0.0)  # (a - pos)/|a - pos| - (a - neg)/|a - neg|
        tensor([[ 1., -1.]])
    """

    module_example = r"""
        >>> a, pos, neg = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[3.0, 0.0]])
        >>> TripletLoss(margin=2.5, eps=0.0)(a, pos, neg)
        tensor(0.5000)
    """

    def prepare(where, anchor, positive, negative, margin, p, eps, swap):
        a, kind = _as_input(anchor, where, "anchor")
        if a.dim() == 0:
            raise ValueError(f"{where}: anchor must have a feature dimension, got {describe(anchor)}; "
                             f"expected shape (N, D) (or (D,) for one triplet)")
        pos = _as_like(positive, a, where, "positive")
        neg = _as_like(negative, a, where, "negative")
        _check_same_shape(where, "positive", pos, "anchor", a)
        _check_same_shape(where, "negative", neg, "anchor", a)
        return [a, pos, neg], kind, dict(margin=margin, p=p, eps=eps, swap=swap)

    def terms(anchor, positive, negative, *, margin, p, eps, swap):
        d_pos = _pairwise_distance(anchor, positive, p, eps)
        d_neg = _pairwise_distance(anchor, negative, p, eps)
        if swap:  # Balntas et al. 2016: use the harder of the two negatives distances
            d_neg = torch.minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
        return (margin + d_pos - d_neg).clamp(min=0), d_pos.numel(), ()

    # no vjp: autograd differentiates this loss


# ==================================================================================================
# Modules of the output functions (the loss modules are derived from the declarations above)
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


# ==================================================================================================
# Registries and exports
# ==================================================================================================

# the derived loss modules under their own names: MSELoss, CrossEntropyLoss, ...
for _loss in LOSSES.values():
    globals()[_loss.module.__name__] = _loss.module
del _loss
L1Loss = MAELoss  # torch's name for the same loss  # noqa: F821 (defined by the loop above)
TripletMarginLoss = TripletLoss  # torch's name for the same loss  # noqa: F821

for _function, _module in ((softmax, Softmax), (log_softmax, LogSoftmax)):
    _function.module = _module  # the nn.Module over each function
_softmax_grad.__module__ = _log_softmax_grad.__module__ = __name__

# doctest finds the examples of each declaration and its .grad here (they are instances, not functions)
__test__ = {**{name: type(f) for name, f in LOSSES.items()}, **{f"{name}.grad": f.grad for name, f in LOSSES.items()}}

OUTPUTS: dict[str, Callable] = {f.name: f for f in (softmax, log_softmax, naive_softmax)}
"""The output functions by name."""

__all__ = [
    # output functions
    "softmax", "log_softmax", "naive_softmax",
    # losses, and the mechanism that declares them
    *LOSSES, "Loss", "loss", "Option",
    # modules
    "Softmax", "LogSoftmax", *(f.module.__name__ for f in LOSSES.values()), "L1Loss", "TripletMarginLoss",
    # registries
    "LOSSES", "OUTPUTS", "REDUCTIONS", "TARGET_KINDS",
]
