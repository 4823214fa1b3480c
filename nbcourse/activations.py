r"""Every activation function of the lecture, each declared once next to its analytic derivative.

For every name in :data:`ACTIVATIONS` (``linear``, ``threshold``, ``sigmoid``, ``tanh``, ``relu``,
``softplus``, ``leaky_relu``, ``prelu``, ``elu``, ``selu``, ``swish``, ``mish``) this module has

- ``NAME(z, **params)``: the value, for a torch tensor of any shape and float dtype (the result
  has the same shape, dtype and device), a numpy array (numpy array out, 0-d included) or a Python
  number (float out), so the lecture's numpy snippets work as written;
- ``NAME.grad(z, **params)``: the derivative :math:`d\,\mathrm{NAME}(z)/dz`, written by hand from
  the formula in the lecture, never obtained from autograd;
- ``NAME.function``: a :class:`torch.autograd.Function` whose ``backward`` evaluates ``NAME.grad``'s
  formula, so training uses the analytic derivative (also exported by name:
  ``MishFunction.apply(z)``; calling ``NAME`` on a tensor goes through it);
- ``NAME.module``: the :class:`torch.nn.Module` (``Sigmoid()``, ``LeakyReLU(alpha=0.01)``,
  ``PReLU(num_parameters=1, init=0.25)``, ``Swish(beta=1.0, learnable=False)``, ...), whose
  ``forward`` is one line over the function.

Each activation is **one declaration** below (``@activation(...)`` over a class holding ``value``,
``grad`` and, for a hyper-parameter with a derivative, ``grad_<param>``): its parameters and their
defaults are stated there once, and the registry entry, ``.grad``, the autograd ``Function`` and
the ``nn.Module`` are derived from it by :mod:`nbcourse._declare`, the mechanism the losses share.
A thirteenth activation is one more declaration (and the registry-wide tests then cover it).

``help(nbcourse.activations.mish)`` shows the formula, its derivative, the shapes and an example.
:func:`get` builds a module from a name, for models configured by strings::

    >>> import torch
    >>> from nbcourse import activations as A
    >>> A.sigmoid(0.0), A.sigmoid.grad(0.0)
    (0.5, 0.25)
    >>> A.get("leaky_relu", alpha=0.1)
    LeakyReLU(alpha=0.1)
    >>> z = torch.linspace(-3, 3, 7, requires_grad=True)
    >>> A.mish(z).sum().backward()          # the backward pass runs mish.grad's formula
    >>> torch.allclose(z.grad, A.mish.grad(z.detach()))
    True

Conventions, as in the lecture:

- At a kink the derivative takes one side: relu'(0) = 0; leaky_relu and prelu use the slope
  :math:`\alpha` for :math:`z \le 0` (derivative :math:`\alpha` at 0); elu and selu are :math:`z`
  (times :math:`\lambda`) for :math:`z \ge 0`, so their derivative at 0 is 1 (:math:`\lambda`).
  ``torch.nn.functional.elu`` uses the other side at exactly 0.
- The threshold's derivative is 0 everywhere; its true derivative at 0 is a Dirac spike, which no
  array can hold. This is why the lecture says threshold units give no useful gradient.
- Numerically safe: for :math:`|z|` up to 1e4 (and beyond) every value and derivative is finite
  where the true one is, without overflow warnings (numpy input included, since the work is done by
  torch): ``softplus(1000.0) == 1000.0``, ``sigmoid(-1000.0) == 0.0``, ``mish.grad(1000.0) == 1.0``.
- Half precision: float16 and bfloat16 tensors are computed in float32 and rounded once, as
  torch's own kernels do, so the whole finite range of each dtype works (``mish`` of a float16
  60000 is 60000, not nan); ``torch.autocast`` changes nothing inside the formulas.
- Second derivatives are exact: the backward pass is made of differentiable torch operations,
  so ``torch.autograd.grad(..., create_graph=True)``, gradient penalties, Hessian-vector products
  and ``torch.func`` (``grad``, ``vmap``, ``jacfwd``, ``hessian``) work through every activation,
  differentiating the analytic first derivative. At a kink the second derivative is 0.
- Hyper-parameters (``alpha``, ``beta``) are arguments after ``z``, by keyword (or position), with
  the lecture's defaults (:attr:`Activation.params`). Each is
  a finite real number, or a float tensor (that is how the modules pass a learnable parameter;
  its gradient is computed analytically too, see :meth:`Activation.param_grad`). Any finite value
  is allowed: a negative ``alpha`` for elu or leaky_relu is unusual but well defined, so it is
  not an error. Strings are refused, never parsed.
- ``NAME.grad`` returns a plain tensor (no autograd history): it *is* the derivative.
"""

from __future__ import annotations

import difflib
import inspect
import math
import numbers
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from nbcourse._arrays import describe, from_tensor, to_tensor
from nbcourse._declare import Declared, analytic_function, autocast_off, compute_dtype, instance_of, signature, sum_to

#: SELU's constants (Klambauer et al., 2017), the same as ``torch.nn.SELU``.
SELU_ALPHA = 1.6732632423543772
SELU_LAMBDA = 1.0507009873554805

#: Every activation of the lecture, by name, in the lecture's order (filled by the declarations).
ACTIVATIONS: dict[str, "Activation"] = {}


# ---------------------------------------------------------------------------------------------
# small helpers used by the formulas
# ---------------------------------------------------------------------------------------------

def _step(z: torch.Tensor, *, at_zero: float) -> torch.Tensor:
    """The Heaviside step: 1.0 where z > 0, 0.0 where z < 0 and ``at_zero`` (0 or 1) at z = 0.

    Its derivative is 0 (away from 0), so it is computed from ``z.detach()``: the result never
    carries a graph, and the in-place tricks below stay safe when a backward pass is recorded.

    Speed: ``torch.gt``/``torch.ge`` write 1.0/0.0 straight into a float tensor (``out=``), one pass
    over memory; ``(z > 0).to(z.dtype)`` first builds a bool tensor, and ``torch.where``,
    ``masked_fill`` and ``torch.heaviside`` are 5 to 30 times slower on the CPU (see
    benches/bench_activations.py), so the formulas below multiply by steps instead.
    """
    z = z.detach()
    compare = torch.ge if at_zero else torch.gt
    try:
        return compare(z, 0.0, out=torch.empty_like(z))
    except RuntimeError:  # inside torch.func transforms, which have no out= variants
        return compare(z, 0.0).to(z.dtype)


def _slope(z: torch.Tensor, *, below, above: float = 1.0, at_zero: float) -> torch.Tensor:
    """``above`` where z > 0, ``below`` where z < 0, and at z = 0 ``above`` if ``at_zero`` else ``below``.

    The slope of a piecewise function: leaky_relu, prelu, elu and selu. Each branch is exact
    (``1 + (alpha - 1)`` would round). ``below`` may be a tensor that broadcasts to z (prelu's
    per-channel slopes, perhaps learnt: then the slope is differentiable in it).
    """
    if not isinstance(below, float):  # a tensor slope (perhaps learnt): differentiable in it
        h = _step(z, at_zero=at_zero)
        return (1 - h).mul_(below).add_(h, alpha=above)  # below * (1 - H) + above * H
    z = z.detach()  # piecewise constant in z: no graph, and the in-place steps below are safe
    # Speed: when both slopes are numbers >= 0, a clamp picks the right one in a single pass.
    if 0.0 <= below <= above == 1.0 and not at_zero:  # leaky_relu, prelu
        return torch.sign(z).clamp_min_(below)  # sign(z) is 1 above 0, and 0 or -1 elsewhere
    if 0.0 <= above <= below and at_zero:  # selu
        return torch.sign(z).mul_(-below).clamp_min_(above)  # -below above 0, 0 at 0, below below 0
    h = _step(z, at_zero=at_zero)
    if 0.0 <= below <= above:  # elu with alpha <= 1
        return h.mul_(above).clamp_min_(below)  # max(above * H, below)
    return (1 - h).mul_(below).add_(h, alpha=above)  # below * (1 - H) + above * H


def _is_one(x) -> bool:
    """True for the number 1.0 (alpha's and beta's usual value), so a multiplication can be skipped."""
    return isinstance(x, float) and x == 1.0


# ---------------------------------------------------------------------------------------------
# the Activation class: what each declaration becomes
# ---------------------------------------------------------------------------------------------

class Activation(Declared):
    """One activation function of the lecture: its value, its derivative and its torch wrappers.

    Built from a declaration by :func:`activation`; this class checks the arguments, converts numpy
    arrays and Python numbers in and out, picks the precision and routes tensors that need a
    gradient through :attr:`function`.

    Attributes:
        name: the lowercase name, the key in :data:`ACTIVATIONS` (``"leaky_relu"``).
        label: a display name for plots and tables (``"Leaky ReLU"``).
        params: the hyper-parameters and their defaults (read-only), e.g. ``{"alpha": 0.01}``.
        formula: the value as a short plain-text formula, e.g. ``"z·σ(βz)"``.
        grad_formula: the derivative as a short plain-text formula.
        function: the :class:`torch.autograd.Function` whose backward evaluates :meth:`grad`'s formula.
        module: the :class:`torch.nn.Module` class built on :attr:`function`.
    """

    label: str = ""
    params: Mapping[str, float] = MappingProxyType({})
    formula: str = ""
    grad_formula: str = ""

    # the declaration's formulas, on tensors of the compute dtype (set by @activation)
    _value: Callable
    _grad: Callable
    _param_grads: Mapping[str, Callable] = MappingProxyType({})

    def _shape_param(self, z: torch.Tensor, name: str, p: torch.Tensor) -> torch.Tensor:
        """Reshape a tensor hyper-parameter to broadcast against z (prelu declares its own)."""
        # p broadcasts to z without enlarging it (torch.broadcast_shapes is slow for this small check)
        broadcasts = p.dim() <= z.dim() and all(a in (1, b) for a, b in zip(reversed(p.shape), reversed(z.shape)))
        if not broadcasts:
            raise ValueError(
                f"{self.name}: argument '{name}' has shape {tuple(p.shape)}, which does not broadcast "
                f"to z's shape {tuple(z.shape)}; use a number or a tensor of one element"
            )
        return p

    # --- the public interface ---------------------------------------------------------------

    def __call__(self, z, *args, **params):
        """The activation at ``z`` (the formula is in ``help(activation)``)."""
        t, kind = to_tensor(z, name="z", where=self.name)
        p = self._bind(args, params)
        x = t.to(compute_dtype(t.dtype))  # float16/bfloat16 are computed in float32
        with autocast_off(x):
            if torch.is_grad_enabled():  # backward (and torch.func) run the analytic derivative
                out = self.function.apply(x, *p.values())
            else:
                out = self._value(x, **self._prepare(x, p))
        return from_tensor(out.to(t.dtype), kind)

    def grad(self, z, *args, value=None, **params):
        """The derivative d activation(z) / dz, from its formula (see ``help(activation)``).

        Args:
            z: tensor, numpy array or number; the result has the same kind, shape and dtype.
            *args, **params: the hyper-parameters, as for the value.
            value: optional, the activation's value at ``z`` if already computed (the autograd
                function passes what its forward saved); some derivatives are cheaper from it.
        """
        return self._derivative(self._grad, f"{self.name}.grad", z, args, value, params)

    def param_grad(self, z, param: str, *args, value=None, **params):
        """The derivative of the activation at ``z`` with respect to a hyper-parameter, elementwise.

        For example ``prelu.param_grad(z, "alpha")`` is :math:`z` where :math:`z \\le 0`, else 0, and
        ``swish.param_grad(z, "beta")`` is :math:`z^2 \\sigma(\\beta z)(1 - \\sigma(\\beta z))`. The
        autograd function uses it to train a learnable ``alpha`` or ``beta``.

        Raises:
            ValueError: if the activation has no such hyper-parameter.
        """
        where = f"{self.name}.param_grad"
        derivative = self._param_grads.get(param) if isinstance(param, str) else None
        if derivative is None:
            names = ", ".join(repr(n) for n in self.params) or "none"
            raise ValueError(
                f"{where}: argument 'param' got {param!r}, but {self.name} has no such parameter "
                f"(its parameters: {names})"
            )
        return self._derivative(derivative, where, z, args, value, params)

    def _derivative(self, formula, where, z, args, value, params):
        t, kind = to_tensor(z, name="z", where=where)
        x = t.to(compute_dtype(t.dtype))
        p = self._prepare(x, self._bind(args, params, where=where))
        value = _check_value(value, x, where)
        with torch.no_grad(), autocast_off(x):
            out = formula(x, value, **p)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape:  # a constant derivative (linear's alpha)
            out = torch.broadcast_to(torch.as_tensor(out, dtype=x.dtype, device=x.device), x.shape)
        if out is x or out is t or out is value or out._base is not None:  # never hand back the caller's tensor
            out = out.clone()
        return from_tensor(out.to(t.dtype), kind)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"<activation {self.name}(z{args}) = {self.formula}>"

    # --- argument handling --------------------------------------------------------------------

    def _bind(self, args: tuple, params: dict, *, where: str | None = None) -> dict:
        """Match positional and keyword hyper-parameters to :attr:`params`, check their types."""
        if not args and not params:  # the defaults, already checked
            return dict(self.params)
        where = where or self.name
        names = list(self.params)
        if len(args) > len(names):
            takes = f"one hyper-parameter ({names[0]})" if len(names) == 1 else (
                f"hyper-parameters {', '.join(names)}" if names else "no hyper-parameters")
            raise TypeError(f"{where}: takes z and {takes}, but got {len(args)} more positional argument(s)")
        bound = dict(self.params)
        for name, value in zip(names, args):
            bound[name] = value
        for name, value in params.items():
            if name not in self.params:
                valid = ", ".join(f"{k}={v!r}" for k, v in self.params.items()) or "none"
                raise TypeError(
                    f"{where}: unexpected argument '{name}'; {self.name}'s parameters: {valid}"
                )
            if name in names[: len(args)]:
                raise TypeError(f"{where}: argument '{name}' given twice (by position and by name)")
            bound[name] = value
        return {name: _check_param(where, name, value, self) for name, value in bound.items()}

    def _prepare(self, z: torch.Tensor, params: dict) -> dict:
        """Tensor hyper-parameters take z's dtype and device and a shape that broadcasts."""
        prepared = {}
        for name, p in params.items():
            if isinstance(p, torch.Tensor):
                p = self._shape_param(z, name, p.to(dtype=z.dtype, device=z.device))
            prepared[name] = p
        return prepared

    # --- the three rules of the autograd Function (see nbcourse._declare.analytic_function) ----

    def _forward_rule(self, z, *given):
        return self._value(z, **self._prepare(z, self._complete(given))), ()

    def _complete(self, given) -> dict:
        """Hyper-parameters given to ``Function.apply`` (in the order of :attr:`params`), defaults after."""
        return dict(zip(self.params, list(given) + list(self.params.values())[len(given):]))

    def _backward_rule(self, args, value, cache, grad_out, needs):
        z, *given = args
        params = self._prepare(z, self._complete(given))
        grads = [None] * len(args)
        if needs[0]:  # chain rule: dL/dz = dL/dout * dout/dz, with the derivative written by hand
            grads[0] = _times(self._grad(z, value, **params), grad_out, z, value)
        for i, name in enumerate(list(self.params)[: len(given)], start=1):
            if needs[i]:  # a learnable alpha or beta: dL/dp = sum of dL/dout * dout/dp
                dparam = _times(self._param_grads[name](z, value, **params), grad_out, z, value)
                raw = given[i - 1]
                grads[i] = sum_to(dparam, params[name]).reshape(raw.shape).to(raw.dtype)
        return grads

    def _jvp_rule(self, args, value, tangents):
        z, *given = args
        params = self._prepare(z, self._complete(given))
        out = None
        if tangents[0] is not None:
            out = self._grad(z, value, **params) * tangents[0]
        for i, name in enumerate(list(self.params)[: len(given)], start=1):
            if i < len(tangents) and tangents[i] is not None:
                dp = self._prepare(z, {name: tangents[i]})[name]
                term = self._param_grads[name](z, value, **params) * dp
                out = term if out is None else out + term
        return torch.zeros_like(value) if out is None else out


def _times(derivative, grad_out: torch.Tensor, z: torch.Tensor, value) -> torch.Tensor:
    """``derivative * grad_out``, in place when nothing records the backward pass (the usual case).

    Speed: writing into the derivative's own fresh buffer is about twice as fast on the CPU as
    filling a new one (benches/bench_activations.py). A constant derivative (linear, threshold) is a
    number, multiplied out of place; so is one that is z or the saved value itself.
    """
    fresh = isinstance(derivative, torch.Tensor) and derivative.shape == grad_out.shape \
        and derivative.dtype == grad_out.dtype and derivative is not z and derivative is not value
    if fresh and not torch.is_grad_enabled():
        try:
            return derivative.mul_(grad_out)
        except RuntimeError:  # under torch.func.vmap, grad_out may be batched where the derivative is not
            pass
    return derivative * grad_out


def _example(activation: Activation | str, name: str) -> str:
    """How to pass a hyper-parameter, for error messages: ``leaky_relu(z, alpha=0.01)``."""
    if isinstance(activation, str):  # a module's constructor, "LeakyReLU(alpha=0.01)"
        return activation
    return f"{activation.name}(z, {name}={activation.params.get(name, 1.0)!r})"


def _bad_param(where: str, name: str, value: Any, activation: Activation | str) -> TypeError:
    expected = "a real number" if isinstance(activation, str) else "a real number or a float tensor"
    return TypeError(f"{where}: argument '{name}' got {describe(value)}, expected {expected}, "
                     f"e.g. {_example(activation, name)}")


def _check_param(where: str, name: str, value: Any, activation: Activation | str):
    """A hyper-parameter is a finite real number (returned as float) or a real tensor."""
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            raise _bad_param(where, name, value, activation)
        return value if value.is_floating_point() else value.to(torch.get_default_dtype())
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            raise _bad_param(where, name, value, activation)
        value = value.item() if value.ndim == 0 else torch.as_tensor(value, dtype=torch.float64)
        if isinstance(value, torch.Tensor):
            return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _bad_param(where, name, value, activation)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where}: argument '{name}' got {value}, expected a finite number, "
                         f"e.g. {_example(activation, name)}")
    return value


def _check_value(value, z: torch.Tensor, where: str):
    """The optional ``value`` of .grad: the activation at z, so it must have z's shape."""
    if value is None:
        return None
    t = to_tensor(value, name="value", where=where)[0]
    if t.shape != z.shape:
        raise ValueError(f"{where}: argument 'value' has shape {tuple(t.shape)}, but z has shape "
                         f"{tuple(z.shape)}; pass the activation's value at z, or leave it out")
    return t.to(z.dtype)


# ---------------------------------------------------------------------------------------------
# the modules, derived from a declaration
# ---------------------------------------------------------------------------------------------

def _number(where: str, name: str, value: Any, default: float) -> float:
    """A module's hyper-parameter: a finite number (a 0-d tensor or array is read as its number)."""
    example = f"{where}({name}={default!r})"
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (torch.Tensor, np.ndarray)):
        raise _bad_param(where, name, value, example)
    return _check_param(where, name, value, example)


class _ActivationModule(nn.Module):
    """Base of the derived modules: ``forward`` is one line over the activation."""

    activation: Activation

    def _params(self) -> dict:
        return {name: getattr(self, name) for name in self.activation.params}

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.activation(z, **self._params())


class _FixedModule(_ActivationModule):
    """Hyper-parameters fixed at construction (LeakyReLU(alpha=0.01), ELU(alpha=1.0), ...)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            setattr(self, name, _number(type(self).__name__, name, value, self.activation.params[name]))

    def extra_repr(self) -> str:
        shown = {**self._params(), **self._constants}
        return ", ".join(f"{k}={v}" for k, v in shown.items())


class _OptionallyLearnableModule(_ActivationModule):
    """One hyper-parameter, fixed or learnt: Swish(beta=1.0, learnable=False)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        (name,) = self.activation.params
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        where = type(self).__name__
        value = _number(where, name, bound.arguments[name], self.activation.params[name])
        learnable = bound.arguments["learnable"]
        if not isinstance(learnable, (bool, np.bool_)):
            raise TypeError(f"{where}: argument 'learnable' got {describe(learnable)}, expected True or False")
        self.learnable = bool(learnable)
        setattr(self, name, nn.Parameter(torch.tensor(value)) if self.learnable else value)

    def extra_repr(self) -> str:
        (name,) = self.activation.params
        value = getattr(self, name)
        value = value.detach().item() if self.learnable else value
        return f"{name}={value}, learnable={self.learnable}"


class _PerChannelModule(_ActivationModule):
    """A learnt slope per channel, laid out as :class:`torch.nn.PReLU` (``weight``, state dicts load
    either way): PReLU(num_parameters=1, init=0.25)."""

    def __init__(self, num_parameters: int = 1, init: float | None = None):  # init: the declared default
        super().__init__()
        where = type(self).__name__
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, numbers.Integral) or num_parameters < 1:
            raise ValueError(f"{where}: argument 'num_parameters' got {num_parameters!r}, expected a positive "
                             f"integer (1 for one shared slope, or the number of channels)")
        self.num_parameters = int(num_parameters)
        (name,) = self.activation.params
        default = self.activation.params[name]
        self.init = _number(where, "init", default if init is None else init, default)
        self.weight = nn.Parameter(torch.full((self.num_parameters,), self.init))

    def _params(self) -> dict:
        (name,) = self.activation.params
        return {name: self.weight}

    def __getattr__(self, name):
        if name in type(self).activation.params:  # the lecture's name for the slopes: the same parameter
            return self.weight
        return super().__getattr__(name)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}, init={self.init}"


_MODULE_KINDS = {None: _FixedModule, "optional": _OptionallyLearnableModule, "per_channel": _PerChannelModule}

_MODULE_DOC = """Module of :data:`{name}` ({label}): ``{formula}``, trained with the analytic ``{grad_formula}``.

    ``forward(z)`` is ``nbcourse.activations.{name}(z{call})``.{args}

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device.

    Examples::

        >>> import torch
        >>> from nbcourse.activations import {module}
        >>> {module}()(torch.randn(2, 3)).shape
        torch.Size([2, 3])

    The formula, its derivative and the conventions at the kink: ``help(nbcourse.activations.{name})``.
"""


def _make_module(activation: Activation, class_name: str, learnable: str | None,
                 constants: Mapping[str, float]) -> type[nn.Module]:
    base = _MODULE_KINDS[learnable]
    params = dict(activation.params)
    if learnable is None:
        sig, args = signature([], params), "".join(
            f"\n        {k}: the fixed ``{k}`` of :data:`{activation.name}`. Default: ``{v!r}``." for k, v in params.items())
    elif learnable == "optional":
        sig = signature([], {**params, "learnable": False})
        (k, v), = params.items()
        args = (f"\n        {k}: the (initial) ``{k}``. Default: ``{v!r}``."
                f"\n        learnable: if True, ``{k}`` is a :class:`torch.nn.Parameter`, trained with the analytic "
                f"``{activation.name}.param_grad(z, {k!r})``. Default: ``False``.")
    else:
        sig = signature([], {"num_parameters": 1, "init": next(iter(params.values()))})
        (k, v), = params.items()
        args = (f"\n        num_parameters: 1 (one shared ``{k}``) or the number of channels (dimension 1 of the "
                f"input). Default: ``1``.\n        init: the initial ``{k}``. Default: ``{v!r}``."
                f"\n\n    Attributes:\n        weight: the learnt ``{k}``, shape ``(num_parameters,)`` (also "
                f"readable as ``.{k}``), trained with ``{activation.name}.param_grad(z, {k!r})``.")
    doc = _MODULE_DOC.format(
        name=activation.name, label=activation.label, formula=activation.formula,
        grad_formula=activation.grad_formula, module=class_name,
        call="".join(f", {k}=self.{k}" for k in params),
        args=f"\n\n    Args:{args}" if args else "")
    module = type(class_name, (base,), {
        "__doc__": doc, "__module__": __name__, "__qualname__": class_name, "activation": activation,
        "_signature": sig, "_constants": MappingProxyType(dict(constants)),
    })
    module.__signature__ = sig
    return module


# ---------------------------------------------------------------------------------------------
# the declaration
# ---------------------------------------------------------------------------------------------

def activation(*, label: str, module: str, formula: str, grad_formula: str, function: str | None = None,
               params: Mapping[str, float] | None = None, learnable: str | None = None,
               constants: Mapping[str, float] | None = None, registry: dict | None = None):
    """Declare an activation: the decorated class holds its docstring and formulas on tensors.

    The class body defines ``value(z, **params)``, ``grad(z, value, **params)`` (``value`` is the
    activation at ``z`` when the caller has it, else None) and, for each hyper-parameter with a
    derivative, ``grad_<param>(z, value, **params)``; optionally ``shape_param(activation, z, name, p)``
    to lay out a tensor hyper-parameter. ``grad`` and ``grad_<param>`` must use differentiable torch
    operations (in place only on fresh results whose old value no backward needs: never on the output
    of ``exp``, ``sigmoid``, ``tanh``; autograd raises if one is, and gradgradcheck over the registry
    would): autograd differentiates them for second derivatives. They return a fresh tensor or a
    constant. ``value`` runs without a graph and may work in place freely.

    Args:
        label: the display name (``"Leaky ReLU"``).
        module: the name of the derived :class:`torch.nn.Module` (``"LeakyReLU"``).
        formula, grad_formula: short plain-text formulas for tables and ``repr``.
        function: the name of the derived autograd Function. Default: ``module + "Function"``.
        params: the hyper-parameters and their defaults, stated here once (``{"alpha": 0.01}``).
        learnable: how the module holds the parameter: ``None`` (fixed numbers), ``"optional"``
            (a ``learnable=False`` switch, as Swish) or ``"per_channel"`` (as ``torch.nn.PReLU``).
        constants: fixed constants shown by the module's ``repr`` (SELU's alpha and lambda).
        registry: where to register it. Default: :data:`ACTIVATIONS` (another dict keeps a trial
            declaration, in a test or a notebook, out of the course's registry).

    Returns:
        the :class:`Activation`, registered in :data:`ACTIVATIONS` under the class's name.
    """
    params = MappingProxyType(dict(params or {}))

    def declare(cls: type) -> Activation:
        body = vars(cls)
        name = cls.__name__
        missing = [f"grad_{p}" for p in params if f"grad_{p}" not in body]
        if "value" not in body or "grad" not in body or missing:
            raise TypeError(f"activation {name!r}: the declaration needs value, grad and {missing or 'no more'}")
        namespace = dict(name=name, label=label, params=params, formula=formula, grad_formula=grad_formula,
                         _value=staticmethod(body["value"]), _grad=staticmethod(body["grad"]),
                         _param_grads=MappingProxyType({p: body[f"grad_{p}"] for p in params}))
        if "shape_param" in body:
            namespace["_shape_param"] = body["shape_param"]
        act = instance_of(cls, Activation, namespace, signature(["z"], dict(params)))
        title = function or f"{module}Function"
        act.function = analytic_function(
            title, f"Autograd function of :data:`{name}`: forward is the value, backward (and forward-mode "
                   f"jvp) the analytic derivative ``{name}.grad``, differentiable again.\n\nUse as "
                   f"``{title}.apply(z{''.join(', ' + p for p in params)})``.",
            forward=act._forward_rule, backward=act._backward_rule, jvp=act._jvp_rule, module=__name__)
        act.module = _make_module(act, module, learnable, constants or {})
        (ACTIVATIONS if registry is None else registry)[name] = act
        return act

    return declare


# ---------------------------------------------------------------------------------------------
# the activations, in the lecture's order: one declaration each
# ---------------------------------------------------------------------------------------------

@activation(label="Linear", module="Linear", params={"alpha": 1.0}, formula="αz", grad_formula="α")
class linear:
    r"""Linear activation: a straight line of slope :math:`\alpha` (the identity for :math:`\alpha = 1`).

    .. math::
        \hat y = \alpha z, \qquad \frac{d\hat y}{dz} = \alpha

    A deep network of linear units is no more expressive than one linear layer; the linear
    activation belongs on the output of a regression network.

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.
        alpha: the slope. Default: ``1.0``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import linear
        >>> linear(3.0, alpha=2.0), linear.grad(3.0, alpha=2.0)
        (6.0, 2.0)
    """

    def value(z, *, alpha):
        return z * alpha

    def grad(z, value, *, alpha):
        return alpha  # a constant: the chain rule multiplies it in, .grad spreads it to z's shape

    def grad_alpha(z, value, *, alpha):
        return z


@activation(label="Threshold", module="Threshold", formula="1 if z ≥ 0 else 0",
            grad_formula="0 (a Dirac spike at z = 0)")
class threshold:
    r"""Binary threshold (step) unit, the McCulloch-Pitts neuron: 1 when :math:`z \ge 0`, else 0.

    .. math::
        T(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}

    Derivative: :math:`T'(z) = 0` for :math:`z \ne 0`. At :math:`z = 0` the true derivative is a
    Dirac spike (infinite, with unit area), which no array can hold: ``threshold.grad`` returns 0
    everywhere, 0 included. Either way the gradient carries no information, which is why the lecture
    says threshold units cannot be trained by gradient descent.

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import threshold
        >>> threshold(0.0), threshold(-0.5), threshold.grad(0.0)
        (1.0, 0.0, 0.0)
    """

    def value(z):
        return _step(z, at_zero=1.0)

    def grad(z, value):
        return 0.0


@activation(label="Sigmoid", module="Sigmoid", formula="1 / (1 + e^(−z))", grad_formula="σ(z)(1 − σ(z))")
class sigmoid:
    r"""Logistic sigmoid: squashes :math:`z` into :math:`(0, 1)`.

    .. math::
        \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = \sigma(z)\,(1 - \sigma(z))

    The derivative is at most 0.25 (at :math:`z = 0`) and vanishes when the unit saturates, which
    is how sigmoid networks get vanishing gradients. Computed with ``torch.sigmoid``, which never
    evaluates :math:`e^{-z}` where it overflows: ``sigmoid(-1000.0) == 0.0``.

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import sigmoid
        >>> sigmoid(0.0), sigmoid.grad(0.0), sigmoid(-1000.0)
        (0.5, 0.25, 0.0)
    """

    def value(z):
        return torch.sigmoid(z)

    def grad(z, value):
        s = torch.sigmoid(z) if value is None else value
        return (1 - s).mul_(s)  # (1 - σ) σ


@activation(label="Tanh", module="Tanh", formula="(e^z − e^(−z)) / (e^z + e^(−z))", grad_formula="1 − tanh²(z)")
class tanh:
    r"""Hyperbolic tangent: a zero-centred sigmoid with outputs in :math:`(-1, 1)`.

    .. math::
        \tanh(z) = \frac{e^z - e^{-z}}{e^z + e^{-z}} = 2\sigma(2z) - 1,
        \qquad \tanh'(z) = 1 - \tanh^2(z)

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import tanh
        >>> tanh(0.0), tanh.grad(0.0), tanh(1000.0)
        (0.0, 1.0, 1.0)
    """

    def value(z):
        return torch.tanh(z)

    def grad(z, value):
        t = torch.tanh(z) if value is None else value
        return torch.mul(t, t).neg_().add_(1.0)  # 1 - tanh²


@activation(label="ReLU", module="ReLU", formula="max(0, z)", grad_formula="1 if z > 0 else 0")
class relu:
    r"""Rectified linear unit: :math:`z` for positive :math:`z`, else 0.

    .. math::
        \mathrm{ReLU}(z) = \max(0, z), \qquad
        \mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    At the kink the lecture takes :math:`\mathrm{ReLU}'(0) = 0`, as PyTorch does. A unit whose
    :math:`z` stays negative gets no gradient at all: a dead unit.

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import relu
        >>> relu(-2.0), relu(3.0), relu.grad(0.0), relu.grad(3.0)
        (0.0, 3.0, 0.0, 1.0)
    """

    def value(z):
        return torch.clamp_min(z, 0.0)

    def grad(z, value):
        return _step(z, at_zero=0.0)


@activation(label="Softplus", module="Softplus", formula="ln(1 + e^z)", grad_formula="σ(z)")
class softplus:
    r"""Softplus: a smooth ReLU, :math:`\ln(1 + e^z)`, whose derivative is the sigmoid.

    .. math::
        \mathrm{softplus}(z) = \ln(1 + e^z), \qquad
        \mathrm{softplus}'(z) = \sigma(z) = \frac{1}{1 + e^{-z}}

    Computed as ``torch.logaddexp(z, 0)`` :math:`= \ln(e^z + e^0)`, which never forms
    :math:`e^z` where it overflows: ``softplus(1000.0) == 1000.0``, ``softplus(-1000.0) == 0.0``.
    (``torch.nn.functional.softplus`` switches to :math:`z` above a threshold of 20; the two agree
    to within :math:`e^{-20} \approx 2 \cdot 10^{-9}`.)

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import softplus
        >>> round(softplus(0.0), 6), softplus.grad(0.0), softplus(1000.0)
        (0.693147, 0.5, 1000.0)
    """

    def value(z):
        return torch.logaddexp(z, z.new_zeros(()))

    def grad(z, value):
        return torch.sigmoid(z)


def _leaky_value(z, alpha):
    if isinstance(alpha, float) and 0.0 <= alpha <= 1.0:
        return (z * alpha).clamp_min_(z)  # max(αz, z): αz <= z exactly when z >= 0
    return _slope(z, below=alpha, at_zero=0.0) * z  # a line through 0 on each side: R(z) = R'(z) z


@activation(label="Leaky ReLU", module="LeakyReLU", params={"alpha": 0.01},
            formula="z if z > 0 else αz", grad_formula="1 if z > 0 else α")
class leaky_relu:
    r"""Leaky ReLU: slope 1 for positive :math:`z` and a small slope :math:`\alpha` below.

    .. math::
        R(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}, \qquad
        R'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}

    The negative branch keeps a gradient, so units cannot die. At the kink the slope is
    :math:`\alpha` (:math:`R'(0) = \alpha`), as in the lecture and PyTorch. Computed as
    :math:`\max(z, 0) + \alpha \min(z, 0)`.

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.
        alpha: the slope for :math:`z \le 0` (PyTorch's ``negative_slope``). Default: ``0.01``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import leaky_relu
        >>> leaky_relu(-2.0, alpha=0.1), leaky_relu.grad(0.0, alpha=0.1), leaky_relu.grad(1.0)
        (-0.2, 0.1, 1.0)
    """

    def value(z, *, alpha):
        return _leaky_value(z, alpha)

    def grad(z, value, *, alpha):
        return _slope(z, below=alpha, at_zero=0.0)  # 1 for z > 0, alpha for z <= 0

    def grad_alpha(z, value, *, alpha):
        return torch.clamp_max(z, 0.0)  # z where z <= 0, else 0


@activation(label="PReLU", module="PReLU", params={"alpha": 0.25}, learnable="per_channel",
            formula="z if z > 0 else αz (α learnt)", grad_formula="1 if z > 0 else α")
class prelu:
    r"""Parametric ReLU (He et al., 2015): a leaky ReLU whose slope :math:`\alpha` is learnt.

    .. math::
        R(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}, \qquad
        \frac{\partial R}{\partial z} = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases},
        \qquad
        \frac{\partial R}{\partial \alpha} = \begin{cases} 0 & z > 0 \\ z & z \le 0 \end{cases}

    The module :class:`PReLU` holds :math:`\alpha` as a parameter, one shared slope or one per
    channel (dimension 1 of the input, as ``torch.nn.PReLU``), and trains it with
    :math:`\partial R / \partial \alpha` (``prelu.param_grad(z, "alpha")``).

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.
        alpha: the slope for :math:`z \le 0`: a number, a one-element tensor, or a 1-D tensor with
            one slope per channel (``z.shape[1]`` of them). Default: ``0.25`` (PyTorch's initial value).

    Shape:
        - Input: :math:`(*)`, any shape; :math:`(N, C, *)` for per-channel slopes.
        - Output: the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> import torch
        >>> from nbcourse.activations import prelu
        >>> prelu(-2.0), prelu.grad(-2.0), prelu.param_grad(-2.0, "alpha")
        (-0.5, 0.25, -2.0)
        >>> prelu(-torch.ones(1, 2), alpha=torch.tensor([0.1, 0.5]))
        tensor([[-0.1000, -0.5000]])
    """

    def value(z, *, alpha):
        return _leaky_value(z, alpha)

    def grad(z, value, *, alpha):
        return _slope(z, below=alpha, at_zero=0.0)

    def grad_alpha(z, value, *, alpha):
        return torch.clamp_max(z, 0.0)

    def shape_param(self, z, name, p):
        # one slope for everything, or one per channel along dim 1 (like torch.nn.functional.prelu)
        if p.numel() == 1:
            return p.reshape(())
        if p.dim() == 1 and z.dim() >= 2 and p.numel() == z.shape[1]:
            return p.reshape((1, -1) + (1,) * (z.dim() - 2))
        channels = f"{z.shape[1]} channels along dim 1" if z.dim() >= 2 else "no channel dimension"
        raise ValueError(
            f"prelu: argument 'alpha' has shape {tuple(p.shape)}, but z of shape {tuple(z.shape)} has "
            f"{channels}; give one slope, or a 1-D tensor with one slope per channel"
        )


@activation(label="ELU", module="ELU", params={"alpha": 1.0},
            formula="z if z ≥ 0 else α(e^z − 1)", grad_formula="1 if z ≥ 0 else αe^z")
class elu:
    r"""Exponential linear unit (Clevert, Unterthiner and Hochreiter, 2016).

    .. math::
        \mathrm{ELU}(z) = \begin{cases} z & z \ge 0 \\ \alpha(e^z - 1) & z < 0 \end{cases}, \qquad
        \mathrm{ELU}'(z) = \begin{cases} 1 & z \ge 0 \\ \alpha e^z & z < 0 \end{cases}

    Like leaky ReLU it keeps a gradient for negative :math:`z`, but it saturates smoothly to
    :math:`-\alpha`. At :math:`z = 0` the lecture's :math:`z \ge 0` branch gives
    :math:`\mathrm{ELU}'(0) = 1` (``torch.nn.functional.elu`` uses :math:`\alpha` there). Computed as
    :math:`\max(z, 0) + \alpha\,\mathrm{expm1}(\min(z, 0))`, so :math:`e^z` is never formed for a
    large positive :math:`z`. Any finite :math:`\alpha` is accepted (:math:`\alpha < 0` flips the
    negative branch above zero, :math:`\alpha = 0` gives the ReLU).

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.
        alpha: the value ELU saturates to is :math:`-\alpha`. Default: ``1.0``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import elu
        >>> elu(2.0), elu(-1000.0), elu.grad(0.0), elu.grad(-1000.0)
        (2.0, -1.0, 1.0, 0.0)
    """

    def value(z, *, alpha):
        negative = torch.expm1(torch.clamp_max(z, 0.0))
        return (negative if _is_one(alpha) else negative.mul_(alpha)).add_(torch.clamp_min(z, 0.0))

    def grad(z, value, *, alpha):
        # e^min(z, 0) is e^z below 0 and exactly 1 above: the whole derivative when alpha = 1
        d = torch.clamp_max(z, 0.0).exp_()
        return d if _is_one(alpha) else _slope(z, below=alpha, at_zero=1.0) * d  # times 1 or alpha

    def grad_alpha(z, value, *, alpha):
        return torch.expm1(torch.clamp_max(z, 0.0))  # e^z - 1 where z < 0, else 0


@activation(label="SELU", module="SELU", constants={"alpha": SELU_ALPHA, "lambda": SELU_LAMBDA},
            formula="λ(z if z ≥ 0 else α(e^z − 1))", grad_formula="λ(1 if z ≥ 0 else αe^z)")
class selu:
    r"""Scaled exponential linear unit (Klambauer, Unterthiner, Mayr and Hochreiter, 2017).

    .. math::
        \mathrm{SELU}(z) = \lambda \begin{cases} z & z \ge 0 \\ \alpha(e^z - 1) & z < 0 \end{cases},
        \qquad
        \mathrm{SELU}'(z) = \lambda \begin{cases} 1 & z \ge 0 \\ \alpha e^z & z < 0 \end{cases}

    with the fixed constants :math:`\lambda = 1.0507009873554805` and
    :math:`\alpha = 1.6732632423543772` (:data:`SELU_LAMBDA`, :data:`SELU_ALPHA`, as
    ``torch.nn.SELU``), chosen so activations keep zero mean and unit variance through the layers.
    At :math:`z = 0` the derivative is :math:`\lambda` (the :math:`z \ge 0` branch).

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import selu
        >>> selu(1.0), selu.grad(0.0), round(selu(-1000.0), 6)
        (1.0507009873554805, 1.0507009873554805, -1.758099)
    """

    def value(z):
        negative = torch.expm1(torch.clamp_max(z, 0.0)).mul_(SELU_LAMBDA * SELU_ALPHA)
        return negative.add_(torch.clamp_min(z, 0.0), alpha=SELU_LAMBDA)  # λ max(z,0) + λα expm1(min(z,0))

    def grad(z, value):
        # λ e^min(z, 0) times (1 for z >= 0, alpha for z < 0), as for elu
        slope = _slope(z, below=SELU_LAMBDA * SELU_ALPHA, above=SELU_LAMBDA, at_zero=1.0)
        return slope.mul_(torch.clamp_max(z, 0.0).exp_())


def _sigmoid_beta_z(z, beta):
    # β = 1 (the SiLU) is the common case: skip a pass over memory for βz
    return torch.sigmoid(z if _is_one(beta) else z * beta)


@activation(label="Swish", module="Swish", params={"beta": 1.0}, learnable="optional",
            formula="z·σ(βz)", grad_formula="βS(z) + σ(βz)(1 − βS(z))")
class swish:
    r"""Swish (Ramachandran, Zoph and Le, 2017): :math:`z\,\sigma(\beta z)`; SiLU when :math:`\beta = 1`.

    .. math::
        S(z) = z\,\sigma(\beta z) = \frac{z}{1 + e^{-\beta z}}, \qquad
        S'(z) = \beta S(z) + \sigma(\beta z)\,(1 - \beta S(z)), \qquad
        \frac{\partial S}{\partial \beta} = z^2 \sigma(\beta z)(1 - \sigma(\beta z))

    :math:`\beta` is a constant or learnt (``Swish(learnable=True)``). With :math:`\beta = 0` Swish
    is the line :math:`z/2`; as :math:`\beta \to \infty` it becomes the ReLU. The derivative is
    evaluated as ``torch.lerp(βS, 1, σ)``, the same expression, which torch computes without
    overflow or cancellation for any :math:`|z|`.

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.
        beta: the sharpness :math:`\beta`, a number or a one-element tensor. Default: ``1.0``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import swish
        >>> swish(0.0), swish.grad(0.0), swish(-1000.0), swish.grad(1000.0)
        (0.0, 0.5, -0.0, 1.0)
    """

    def value(z, *, beta):
        return _sigmoid_beta_z(z, beta).mul_(z)

    def grad(z, value, *, beta):
        s = _sigmoid_beta_z(z, beta)  # σ(βz)
        if _is_one(beta):
            start = z * s if value is None else value  # βS = S
        else:  # βS = (βz) σ(βz); beyond |βz| = 1000 σ is exactly 0 or 1, and the clamp keeps βS finite
            start = torch.clamp(z * beta, -1e3, 1e3) * s
        # the lecture's βS + σ(1 - βS) is lerp(βS, 1, σ), which torch evaluates as βS + σ(1 - βS)
        # for σ < 1/2 and 1 - (1 - βS)(1 - σ) above: no overflow, no cancellation at any |z|
        one = torch.ones((), dtype=z.dtype, device=z.device)
        if not torch.is_grad_enabled():
            # Speed: nothing records this backward pass, so the fresh σ may be overwritten (out=s):
            # filling a new tensor costs about twice an in-place pass (benches/bench_activations.py)
            try:
                return torch.lerp(start, one, s, out=s)
            except RuntimeError:  # inside torch.func transforms, which have no out= variants
                pass
        return torch.lerp(start, one, s)

    def grad_beta(z, value, *, beta):
        s = _sigmoid_beta_z(z, beta)
        return (1 - s).mul_(z).mul_(s).mul_(z)  # z² σ(1 - σ), (1 - σ) z first: no overflow


def _mish_parts(z):
    """(z clipped at 30, n = (e^z + 1)² - 1, δ = (e^z + 1)² + 1) for mish and its derivative."""
    zc = torch.clamp_max(z, 30.0)
    e = torch.exp(zc)
    n = torch.add(e, 2.0).mul_(e)  # e(e + 2) = (e + 1)² - 1
    return zc, n, n + 2.0


@activation(label="Mish", module="Mish", formula="z·tanh(softplus(z))", grad_formula="e^z·ω / δ²")
class mish:
    r"""Mish (Misra, 2019): :math:`z \tanh(\mathrm{softplus}(z))`, a smooth non-monotonic ReLU.

    .. math::
        M(z) = z \tanh(\mathrm{softplus}(z)) = z \tanh(\ln(1 + e^z))

    Derivative, as in the lecture:

    .. math::
        M'(z) = \frac{e^z \omega}{\delta^2}, \qquad
        \omega = e^{3z} + 4e^{2z} + (6 + 4z)e^z + 4(z + 1), \qquad
        \delta = (e^z + 1)^2 + 1

    How it is computed, without overflow: with :math:`e = e^z`,
    :math:`\tanh(\ln(1 + e)) = \frac{(1+e)^2 - 1}{(1+e)^2 + 1} = \frac{\delta - 2}{\delta} =: t` and
    :math:`1 - t^2 = \frac{4(1+e)^2}{\delta^2} = r(2 - r)` with :math:`r = 2/\delta = 1 - t`. The
    chain rule gives

    .. math::
        M'(z) = t + z\,\sigma(z)\,(1 - t^2)
              = \frac{(\delta - 2)\delta + 4ze(1 + e)}{\delta^2} = \frac{e\,\omega}{\delta^2},

    the lecture's formula, since :math:`(\delta - 2)\delta = e(e^3 + 4e^2 + 6e + 4)`. The code
    evaluates the first form, where every term is bounded, and clips :math:`z` at 30 before the
    exponential (:math:`e^{2z}` then fits in float32): above 30, :math:`t = 1` and
    :math:`M'(z) = 1` to far below float64's resolution. So ``mish(1000.0) == 1000.0``,
    ``mish.grad(1000.0) == 1.0`` and ``mish.grad(-1000.0) == 0.0``.

    Args:
        z: a tensor of any shape and float dtype, a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import mish
        >>> mish(0.0), mish.grad(0.0), mish(1000.0), mish.grad(1000.0)
        (0.0, 0.6, 1000.0, 1.0)
    """

    def value(z):
        _, n, delta = _mish_parts(z)
        return n.div_(delta).mul_(z)  # z t with t = tanh(softplus(z)) = (δ - 2)/δ

    def grad(z, value):
        zc, n, delta = _mish_parts(z)
        t = n.div_(delta)  # tanh(softplus(z))
        r = 2.0 / delta  # 2/δ = 1 - t, without cancellation
        sech2 = (2.0 - r).mul_(r)  # 1 - t² = r(2 - r)
        return (torch.sigmoid(zc) * zc).mul_(sech2).add_(t)  # t + z σ(z) (1 - t²)


# the modules and autograd Functions under their own names: A.Swish, A.SwishFunction, ...
for _a in ACTIVATIONS.values():
    globals()[_a.module.__name__] = _a.module
    globals()[_a.function.__name__] = _a.function
del _a

# doctest finds the examples of each declaration here (they are instances, not functions)
__test__ = {name: type(a) for name, a in ACTIVATIONS.items()}

__all__ = [
    "Activation", "ACTIVATIONS", "get", "activation", "SELU_ALPHA", "SELU_LAMBDA",
    *ACTIVATIONS,
    *(a.module.__name__ for a in ACTIVATIONS.values()),
    *(a.function.__name__ for a in ACTIVATIONS.values()),
]


# ---------------------------------------------------------------------------------------------
# get: a module from a name
# ---------------------------------------------------------------------------------------------

def get(name_or_module: str | Activation | nn.Module | type[nn.Module] | Callable, **params) -> nn.Module:
    """Build an activation module from a name, for models configured by strings.

    Args:
        name_or_module: a name from :data:`ACTIVATIONS` (``"relu"``, ``"leaky_relu"``; case, spaces
            and dashes do not matter, and module names such as ``"LeakyReLU"`` work too), an
            :class:`Activation` (``nbcourse.activations.mish``), a module class (``ReLU`` or
            ``torch.nn.GELU``, instantiated with ``params``) or a module instance (returned as is).
        **params: the module's arguments, e.g. ``alpha=0.1`` for ``"leaky_relu"`` or ``"elu"``,
            ``beta`` and ``learnable`` for ``"swish"``; for ``"prelu"``, ``num_parameters`` and
            ``init`` (``alpha`` is accepted as the initial slope).

    Returns:
        a new :class:`torch.nn.Module` (or the module instance given).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: for a parameter the module does not take, or an argument of the wrong type.

    Examples::

        >>> from nbcourse.activations import get
        >>> get("relu"), get("leaky_relu", alpha=0.1), get("Swish", learnable=True)
        (ReLU(), LeakyReLU(alpha=0.1), Swish(beta=1.0, learnable=True))
    """
    target = name_or_module
    if isinstance(target, nn.Module):
        if params:
            raise TypeError(f"get: got the module {target!r} and parameters {sorted(params)}; "
                            f"parameters only apply when building a module from a name or a class")
        return target
    if isinstance(target, str):
        target = _lookup(target)
    if isinstance(target, Activation):
        if issubclass(target.module, _PerChannelModule) and set(params) & set(target.params):
            (alias,) = set(params) & set(target.params)
            if "init" in params:
                raise TypeError(f"get: {target.name!r} got both {alias!r} and 'init'; give the initial slope once")
            params["init"] = params.pop(alias)
        target = target.module
    if isinstance(target, type) and issubclass(target, nn.Module):
        try:
            accepted = inspect.signature(target).parameters
        except (TypeError, ValueError):
            accepted = {}
        takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
        unknown = [k for k in params if k not in accepted or k == "self"]
        if unknown and not takes_any:
            valid = ", ".join(n for n in accepted if n != "self" and accepted[n].kind is not accepted[n].VAR_POSITIONAL)
            raise TypeError(f"get: {target.__name__} takes no parameter {unknown[0]!r}; "
                            f"its parameters: {valid or 'none'}")
        return target(**params)
    raise TypeError(f"get: argument 'name_or_module' got {describe(name_or_module)}, expected an activation "
                    f"name such as 'relu', an Activation, or a torch.nn.Module class or instance")


def _lookup(name: str) -> Activation:
    """The activation called ``name``, forgiving case, dashes, spaces and module names."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    by_module = {a.module.__name__.lower(): a for a in ACTIVATIONS.values()}
    by_module.update({"silu": swish, "identity": linear, "step": threshold, "logistic": sigmoid})
    if key in ACTIVATIONS:
        return ACTIVATIONS[key]
    if key.replace("_", "") in by_module:
        return by_module[key.replace("_", "")]
    close = difflib.get_close_matches(key, list(ACTIVATIONS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"get: unknown activation {name!r}.{hint} Valid names: {', '.join(ACTIVATIONS)}")
