r"""Every activation function of the lecture, each next to its analytic derivative.

For every name in :data:`ACTIVATIONS` (``linear``, ``threshold``, ``sigmoid``, ``tanh``, ``relu``,
``softplus``, ``leaky_relu``, ``prelu``, ``elu``, ``selu``, ``swish``, ``mish``) this module has

- ``NAME(z, **params)``: the value, for a torch tensor of any shape (float32 or float64; the result
  has the same shape, dtype and device), a numpy array (numpy array out) or a Python number
  (float out), so the lecture's numpy snippets work as written;
- ``NAME.grad(z, **params)``: the derivative :math:`d\,\mathrm{NAME}(z)/dz`, written by hand from
  the formula in the lecture, never obtained from autograd;
- ``NAME.function``: a :class:`torch.autograd.Function` whose ``backward`` calls ``NAME.grad``, so
  training uses the analytic derivative (also exported by name: ``MishFunction.apply(z)``;
  calling ``NAME`` on a tensor that requires grad goes through it; it works inside
  ``torch.func.vmap``/``grad`` too, e.g. for per-sample gradients);
- ``NAME.module``: the :class:`torch.nn.Module` (``Sigmoid()``, ``LeakyReLU(alpha=0.01)``,
  ``PReLU(num_parameters=1, init=0.25)``, ``Swish(beta=1.0, learnable=False)``, ...), whose
  ``forward`` is one line over the function.

``help(nbcourse.activations.mish)`` shows the formula, its derivative, the shapes and an example.
:func:`get` builds a module from a name, for models configured by strings::

    >>> import torch
    >>> from nbcourse import activations as A
    >>> A.sigmoid(0.0), A.sigmoid.grad(0.0)
    (0.5, 0.25)
    >>> A.get("leaky_relu", alpha=0.1)
    LeakyReLU(alpha=0.1)
    >>> z = torch.linspace(-3, 3, 7, requires_grad=True)
    >>> A.mish(z).sum().backward()          # the backward pass runs mish.grad
    >>> torch.allclose(z.grad, A.mish.grad(z.detach()))
    True

Conventions, as in the lecture:

- At a kink the derivative takes one side: relu'(0) = 0; leaky_relu and prelu use the slope
  :math:`\alpha` for :math:`z \le 0` (derivative :math:`\alpha` at 0); elu and selu are :math:`z`
  (times :math:`\lambda`) for :math:`z \ge 0`, so their derivative at 0 is 1 (:math:`\lambda`).
  ``torch.nn.functional.elu`` uses the other side at exactly 0.
- The threshold's derivative is 0 everywhere; its true derivative at 0 is a Dirac spike, which no
  array can hold. This is why the lecture says threshold units give no useful gradient.
- Numerically safe: for :math:`|z|` up to 1e4 (and beyond) in float32 and float64, every value and
  derivative is finite where the true one is, without overflow warnings (numpy input included,
  since the work is done by torch): ``softplus(1000.0) == 1000.0``, ``sigmoid(-1000.0) == 0.0``,
  ``mish.grad(1000.0) == 1.0``.
- Hyper-parameters (``alpha``, ``beta``) are arguments after ``z``, by keyword (or position), with
  the lecture's defaults (:attr:`Activation.params`). Each is
  a finite real number, or a float tensor (that is how the modules pass a learnable parameter;
  its gradient is computed analytically too, see :meth:`Activation.param_grad`). Any finite value
  is allowed: a negative ``alpha`` for elu or leaky_relu is unusual but well defined, so it is
  not an error.
- ``NAME.grad`` returns a plain tensor (no autograd history): it *is* the derivative. Second
  derivatives through the autograd functions are not supported (their backward is
  ``once_differentiable`` and says so if you try).
"""

from __future__ import annotations

import difflib
import inspect
import math
import numbers
import types
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable

from nbcourse._arrays import describe, from_tensor, to_tensor

__all__ = [
    "Activation", "ACTIVATIONS", "get",
    "linear", "threshold", "sigmoid", "tanh", "relu", "softplus", "leaky_relu", "prelu", "elu",
    "selu", "swish", "mish",
    "Linear", "Threshold", "Sigmoid", "Tanh", "ReLU", "Softplus", "LeakyReLU", "PReLU", "ELU",
    "SELU", "Swish", "Mish",
    "SELU_ALPHA", "SELU_LAMBDA",
]

#: SELU's constants (Klambauer et al., 2017), the same as ``torch.nn.SELU``.
SELU_ALPHA = 1.6732632423543772
SELU_LAMBDA = 1.0507009873554805


# ---------------------------------------------------------------------------------------------
# small helpers used by the formulas
# ---------------------------------------------------------------------------------------------

def _step(z: torch.Tensor, *, at_zero: float) -> torch.Tensor:
    """The Heaviside step: 1.0 where z > 0, 0.0 where z < 0 and ``at_zero`` (0 or 1) at z = 0.

    Speed: ``torch.gt``/``torch.ge`` write 1.0/0.0 straight into a float tensor (``out=``), one pass
    over memory; ``(z > 0).to(z.dtype)`` first builds a bool tensor, and ``torch.where``,
    ``masked_fill`` and ``torch.heaviside`` are 5 to 30 times slower on the CPU (see
    benches/bench_activations.py), so the formulas below multiply by steps instead.
    """
    compare = torch.ge if at_zero else torch.gt
    try:
        return compare(z, 0.0, out=torch.empty_like(z))
    except RuntimeError:  # inside torch.func.vmap, which has no out= variants
        return compare(z, 0.0).to(z.dtype)


def _scale_(t: torch.Tensor, factor) -> torch.Tensor:
    """``t *= factor`` in place, skipped when the factor is the number 1 (alpha's and beta's default)."""
    return t if isinstance(factor, float) and factor == 1.0 else t.mul_(factor)


def _slope(z: torch.Tensor, *, below, above: float = 1.0, at_zero: float) -> torch.Tensor:
    """``above`` where z > 0, ``below`` where z < 0, and at z = 0 ``above`` if ``at_zero`` else ``below``.

    The slope of a piecewise function: leaky_relu, prelu, elu and selu. Each branch is exact
    (``1 + (alpha - 1)`` would round). ``below`` may be a tensor that broadcasts to z (prelu's
    per-channel slopes).
    """
    # Speed: when both slopes are numbers >= 0, a clamp picks the right one in a single pass.
    if isinstance(below, float) and 0.0 <= below <= above == 1.0 and not at_zero:  # leaky_relu, prelu
        return torch.sign(z).clamp_min_(below)  # sign(z) is 1 above 0, and 0 or -1 elsewhere
    if isinstance(below, float) and 0.0 <= above <= below and at_zero:  # selu
        return torch.sign(z).mul_(-below).clamp_min_(above)  # -below above 0, 0 at 0, below below 0
    if isinstance(below, float) and 0.0 <= below <= above:  # elu with alpha <= 1
        return _scale_(_step(z, at_zero=at_zero), above).clamp_min_(below)  # max(above * H, below)
    h = _step(z, at_zero=at_zero)
    return (1 - h).mul_(below).add_(h, alpha=above)  # below * (1 - H) + above * H


def _example(activation: "Activation | str", name: str) -> str:
    """How to pass a hyper-parameter, for error messages: ``leaky_relu(z, alpha=0.01)``."""
    if isinstance(activation, str):  # a module's constructor, "LeakyReLU(alpha=0.01)"
        return activation
    return f"{activation.name}(z, {name}={activation.params.get(name, 1.0)!r})"


def _bad_param(where: str, name: str, value: Any, activation: "Activation | str") -> TypeError:
    expected = "a real number" if isinstance(activation, str) else "a real number or a float tensor"
    return TypeError(f"{where}: argument '{name}' got {describe(value)}, expected {expected}, "
                     f"e.g. {_example(activation, name)}")


# ---------------------------------------------------------------------------------------------
# the Activation class: one instance per activation, with the value and the derivative
# ---------------------------------------------------------------------------------------------

class Activation:
    """One activation function of the lecture: its value, its derivative and its torch wrappers.

    Subclasses write the mathematics on tensors (:meth:`_value`, :meth:`_grad` and, for a
    hyper-parameter with a derivative, ``_grad_<param>``); this class checks the arguments and
    converts numpy arrays and Python numbers in and out.

    Attributes:
        name: the lowercase name, the key in :data:`ACTIVATIONS` (``"leaky_relu"``).
        label: a display name for plots and tables (``"Leaky ReLU"``).
        params: the hyper-parameters and their defaults (read-only), e.g. ``{"alpha": 0.01}``.
        formula: the value as a short plain-text formula, e.g. ``"z·σ(βz)"``.
        grad_formula: the derivative as a short plain-text formula.
        function: the :class:`torch.autograd.Function` whose backward calls :meth:`grad`.
        module: the :class:`torch.nn.Module` class built on :attr:`function`.
    """

    name: str = ""
    label: str = ""
    params: Mapping[str, float] = MappingProxyType({})
    formula: str = ""
    grad_formula: str = ""
    function: type[torch.autograd.Function]
    module: type[nn.Module]

    # --- the mathematics, on tensors; subclasses override these ------------------------------

    def _value(self, z: torch.Tensor, **params) -> torch.Tensor:
        raise NotImplementedError

    def _grad(self, z: torch.Tensor, value: torch.Tensor | None, **params) -> torch.Tensor:
        """d value / dz at z; ``value`` is the activation at z when the caller already has it."""
        raise NotImplementedError

    def _shape_param(self, z: torch.Tensor, name: str, p: torch.Tensor) -> torch.Tensor:
        """Reshape a tensor hyper-parameter to broadcast against z (prelu overrides this)."""
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
        if torch.is_grad_enabled() and (t.requires_grad or _any_requires_grad(p)):
            out = self.function.apply(t, *p.values())  # backward runs self.grad
        else:
            out = self._value(t, **self._prepare(t, p))
        return from_tensor(out, kind)

    def grad(self, z, *args, value=None, **params):
        """The derivative d activation(z) / dz, from its formula (see ``help(activation)``).

        Args:
            z: tensor, numpy array or number; the result has the same kind, shape and dtype.
            *args, **params: the hyper-parameters, as for the value.
            value: optional, the activation's value at ``z`` if already computed (the autograd
                function passes what its forward saved); some derivatives are cheaper from it.
        """
        where = f"{self.name}.grad"
        t, kind = to_tensor(z, name="z", where=where)
        p = self._prepare(t, self._bind(args, params, where=where))
        value = _check_value(value, t, where)
        with torch.no_grad():
            return from_tensor(self._grad(t, value, **p), kind)

    def param_grad(self, z, param: str, *args, value=None, **params):
        """The derivative of the activation at ``z`` with respect to a hyper-parameter, elementwise.

        For example ``prelu.param_grad(z, "alpha")`` is :math:`z` where :math:`z \\le 0`, else 0, and
        ``swish.param_grad(z, "beta")`` is :math:`z^2 \\sigma(\\beta z)(1 - \\sigma(\\beta z))`. The
        autograd function uses it to train a learnable ``alpha`` or ``beta``.

        Raises:
            ValueError: if the activation has no such hyper-parameter.
        """
        where = f"{self.name}.param_grad"
        derivative = getattr(self, f"_grad_{param}", None) if isinstance(param, str) else None
        if derivative is None:
            names = ", ".join(repr(n) for n in self.params) or "none"
            raise ValueError(
                f"{where}: argument 'param' got {param!r}, but {self.name} has no such parameter "
                f"(its parameters: {names})"
            )
        t, kind = to_tensor(z, name="z", where=where)
        p = self._prepare(t, self._bind(args, params, where=where))
        value = _check_value(value, t, where)
        with torch.no_grad():
            return from_tensor(derivative(t, value, **p), kind)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"<activation {self.name}(z{args}) = {self.formula}>"

    def __reduce__(self) -> str:
        return self.name  # pickle and copy refer to the one instance, nbcourse.activations.<name>

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


def _any_requires_grad(params: dict) -> bool:
    return any(isinstance(p, torch.Tensor) and p.requires_grad for p in params.values())


# ---------------------------------------------------------------------------------------------
# the activations, in the lecture's order
# ---------------------------------------------------------------------------------------------

class _Linear(Activation):
    r"""Linear activation: a straight line of slope :math:`\alpha` (the identity for :math:`\alpha = 1`).

    .. math::
        \hat y = \alpha z, \qquad \frac{d\hat y}{dz} = \alpha

    A deep network of linear units is no more expressive than one linear layer; the linear
    activation belongs on the output of a regression network.

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.
        alpha: the slope. Default: ``1.0``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import linear
        >>> linear(3.0, alpha=2.0), linear.grad(3.0, alpha=2.0)
        (6.0, 2.0)
    """

    name, label = "linear", "Linear"
    params = MappingProxyType({"alpha": 1.0})
    formula, grad_formula = "αz", "α"

    def _value(self, z, *, alpha):
        return z * alpha

    def _grad(self, z, value, *, alpha):
        return torch.full_like(z, alpha) if isinstance(alpha, float) else torch.zeros_like(z).add_(alpha)

    def _grad_alpha(self, z, value, *, alpha):
        return z.clone()


class _Threshold(Activation):
    r"""Binary threshold (step) unit, the McCulloch-Pitts neuron: 1 when :math:`z \ge 0`, else 0.

    .. math::
        T(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}

    Derivative: :math:`T'(z) = 0` for :math:`z \ne 0`. At :math:`z = 0` the true derivative is a
    Dirac spike (infinite, with unit area), which no array can hold: ``threshold.grad`` returns 0
    everywhere, 0 included. Either way the gradient carries no information, which is why the lecture
    says threshold units cannot be trained by gradient descent.

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import threshold
        >>> threshold(0.0), threshold(-0.5), threshold.grad(0.0)
        (1.0, 0.0, 0.0)
    """

    name, label = "threshold", "Threshold"
    formula, grad_formula = "1 if z ≥ 0 else 0", "0 (a Dirac spike at z = 0)"

    def _value(self, z):
        return _step(z, at_zero=1.0)

    def _grad(self, z, value):
        return torch.zeros_like(z)


class _Sigmoid(Activation):
    r"""Logistic sigmoid: squashes :math:`z` into :math:`(0, 1)`.

    .. math::
        \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = \sigma(z)\,(1 - \sigma(z))

    The derivative is at most 0.25 (at :math:`z = 0`) and vanishes when the unit saturates, which
    is how sigmoid networks get vanishing gradients. Computed with ``torch.sigmoid``, which never
    evaluates :math:`e^{-z}` where it overflows: ``sigmoid(-1000.0) == 0.0``.

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import sigmoid
        >>> sigmoid(0.0), sigmoid.grad(0.0), sigmoid(-1000.0)
        (0.5, 0.25, 0.0)
    """

    name, label = "sigmoid", "Sigmoid"
    formula, grad_formula = "1 / (1 + e^(−z))", "σ(z)(1 − σ(z))"

    def _value(self, z):
        return torch.sigmoid(z)

    def _grad(self, z, value):
        s = torch.sigmoid(z) if value is None else value
        return (1 - s).mul_(s)  # (1 - σ) σ


class _Tanh(Activation):
    r"""Hyperbolic tangent: a zero-centred sigmoid with outputs in :math:`(-1, 1)`.

    .. math::
        \tanh(z) = \frac{e^z - e^{-z}}{e^z + e^{-z}} = 2\sigma(2z) - 1,
        \qquad \tanh'(z) = 1 - \tanh^2(z)

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import tanh
        >>> tanh(0.0), tanh.grad(0.0), tanh(1000.0)
        (0.0, 1.0, 1.0)
    """

    name, label = "tanh", "Tanh"
    formula, grad_formula = "(e^z − e^(−z)) / (e^z + e^(−z))", "1 − tanh²(z)"

    def _value(self, z):
        return torch.tanh(z)

    def _grad(self, z, value):
        t = torch.tanh(z) if value is None else value
        return torch.mul(t, t).neg_().add_(1.0)  # 1 - tanh²


class _ReLU(Activation):
    r"""Rectified linear unit: :math:`z` for positive :math:`z`, else 0.

    .. math::
        \mathrm{ReLU}(z) = \max(0, z), \qquad
        \mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    At the kink the lecture takes :math:`\mathrm{ReLU}'(0) = 0`, as PyTorch does. A unit whose
    :math:`z` stays negative gets no gradient at all: a dead unit.

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import relu
        >>> relu(-2.0), relu(3.0), relu.grad(0.0), relu.grad(3.0)
        (0.0, 3.0, 0.0, 1.0)
    """

    name, label = "relu", "ReLU"
    formula, grad_formula = "max(0, z)", "1 if z > 0 else 0"

    def _value(self, z):
        return torch.clamp_min(z, 0.0)

    def _grad(self, z, value):
        return _step(z, at_zero=0.0)


class _Softplus(Activation):
    r"""Softplus: a smooth ReLU, :math:`\ln(1 + e^z)`, whose derivative is the sigmoid.

    .. math::
        \mathrm{softplus}(z) = \ln(1 + e^z), \qquad
        \mathrm{softplus}'(z) = \sigma(z) = \frac{1}{1 + e^{-z}}

    Computed as ``torch.logaddexp(z, 0)`` :math:`= \ln(e^z + e^0)`, which never forms
    :math:`e^z` where it overflows: ``softplus(1000.0) == 1000.0``, ``softplus(-1000.0) == 0.0``.
    (``torch.nn.functional.softplus`` switches to :math:`z` above a threshold of 20; the two agree
    to within :math:`e^{-20} \approx 2 \cdot 10^{-9}`.)

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import softplus
        >>> round(softplus(0.0), 6), softplus.grad(0.0), softplus(1000.0)
        (0.693147, 0.5, 1000.0)
    """

    name, label = "softplus", "Softplus"
    formula, grad_formula = "ln(1 + e^z)", "σ(z)"

    def _value(self, z):
        return torch.logaddexp(z, z.new_zeros(()))

    def _grad(self, z, value):
        return torch.sigmoid(z)


class _LeakyReLU(Activation):
    r"""Leaky ReLU: slope 1 for positive :math:`z` and a small slope :math:`\alpha` below.

    .. math::
        R(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}, \qquad
        R'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}

    The negative branch keeps a gradient, so units cannot die. At the kink the slope is
    :math:`\alpha` (:math:`R'(0) = \alpha`), as in the lecture and PyTorch. Computed as
    :math:`\max(z, 0) + \alpha \min(z, 0)`.

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.
        alpha: the slope for :math:`z \le 0` (PyTorch's ``negative_slope``). Default: ``0.01``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import leaky_relu
        >>> leaky_relu(-2.0, alpha=0.1), leaky_relu.grad(0.0, alpha=0.1), leaky_relu.grad(1.0)
        (-0.2, 0.1, 1.0)
    """

    name, label = "leaky_relu", "Leaky ReLU"
    params = MappingProxyType({"alpha": 0.01})
    formula, grad_formula = "z if z > 0 else αz", "1 if z > 0 else α"

    def _value(self, z, *, alpha):
        if isinstance(alpha, float) and 0.0 <= alpha <= 1.0:
            return (z * alpha).clamp_min_(z)  # max(αz, z): αz <= z exactly when z >= 0
        return self._grad(z, None, alpha=alpha).mul_(z)  # a line through 0 on each side: R(z) = R'(z) z

    def _grad(self, z, value, *, alpha):
        return _slope(z, below=alpha, at_zero=0.0)  # 1 for z > 0, alpha for z <= 0

    def _grad_alpha(self, z, value, *, alpha):
        return torch.clamp_max(z, 0.0)  # z where z <= 0, else 0


class _PReLU(_LeakyReLU):
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
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.
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

    name, label = "prelu", "PReLU"
    params = MappingProxyType({"alpha": 0.25})
    formula, grad_formula = "z if z > 0 else αz (α learnt)", "1 if z > 0 else α"

    def _shape_param(self, z, name, p):
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


class _ELU(Activation):
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
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.
        alpha: the value ELU saturates to is :math:`-\alpha`. Default: ``1.0``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import elu
        >>> elu(2.0), elu(-1000.0), elu.grad(0.0), elu.grad(-1000.0)
        (2.0, -1.0, 1.0, 0.0)
    """

    name, label = "elu", "ELU"
    params = MappingProxyType({"alpha": 1.0})
    formula, grad_formula = "z if z ≥ 0 else α(e^z − 1)", "1 if z ≥ 0 else αe^z"

    def _value(self, z, *, alpha):
        return _scale_(torch.expm1(torch.clamp_max(z, 0.0)), alpha).add_(torch.clamp_min(z, 0.0))

    def _grad(self, z, value, *, alpha):
        # e^min(z, 0) is e^z below 0 and exactly 1 above: the whole derivative when alpha = 1
        d = torch.clamp_max(z, 0.0).exp_()
        if isinstance(alpha, float) and alpha == 1.0:
            return d
        return d.mul_(_slope(z, below=alpha, at_zero=1.0))  # times 1 for z >= 0, alpha for z < 0

    def _grad_alpha(self, z, value, *, alpha):
        return torch.clamp_max(z, 0.0).expm1_()  # e^z - 1 where z < 0, else 0


class _SELU(Activation):
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
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import selu
        >>> selu(1.0), selu.grad(0.0), round(selu(-1000.0), 6)
        (1.0507009873554805, 1.0507009873554805, -1.758099)
    """

    name, label = "selu", "SELU"
    formula, grad_formula = "λ(z if z ≥ 0 else α(e^z − 1))", "λ(1 if z ≥ 0 else αe^z)"

    def _value(self, z):
        negative = torch.expm1(torch.clamp_max(z, 0.0)).mul_(SELU_LAMBDA * SELU_ALPHA)
        return negative.add_(torch.clamp_min(z, 0.0), alpha=SELU_LAMBDA)  # λ max(z,0) + λα expm1(min(z,0))

    def _grad(self, z, value):
        # λ e^min(z, 0) times (1 for z >= 0, alpha for z < 0), as for elu
        slope = _slope(z, below=SELU_LAMBDA * SELU_ALPHA, above=SELU_LAMBDA, at_zero=1.0)
        return torch.clamp_max(z, 0.0).exp_().mul_(slope)


class _Swish(Activation):
    r"""Swish (Ramachandran, Zoph and Le, 2017): :math:`z\,\sigma(\beta z)`; SiLU when :math:`\beta = 1`.

    .. math::
        S(z) = z\,\sigma(\beta z) = \frac{z}{1 + e^{-\beta z}}, \qquad
        S'(z) = \beta S(z) + \sigma(\beta z)\,(1 - \beta S(z)), \qquad
        \frac{\partial S}{\partial \beta} = z^2 \sigma(\beta z)(1 - \sigma(\beta z))

    :math:`\beta` is a constant or learnt (``Swish(learnable=True)``). With :math:`\beta = 0` Swish
    is the line :math:`z/2`; as :math:`\beta \to \infty` it becomes the ReLU. The derivative is
    evaluated as :math:`\sigma - \beta\sigma S + \beta S`, the same expression regrouped so that no
    product overflows for large :math:`|z|`.

    Args:
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.
        beta: the sharpness :math:`\beta`, a number or a one-element tensor. Default: ``1.0``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import swish
        >>> swish(0.0), swish.grad(0.0), swish(-1000.0), swish.grad(1000.0)
        (0.0, 0.5, -0.0, 1.0)
    """

    name, label = "swish", "Swish"
    params = MappingProxyType({"beta": 1.0})
    formula, grad_formula = "z·σ(βz)", "βS(z) + σ(βz)(1 − βS(z))"

    @staticmethod
    def _sigmoid_beta_z(z, beta):
        # β = 1 (the SiLU) is the common case: skip a pass over memory for βz
        return torch.sigmoid(z if isinstance(beta, float) and beta == 1.0 else z * beta)

    def _value(self, z, *, beta):
        return self._sigmoid_beta_z(z, beta).mul_(z)

    def _grad(self, z, value, *, beta):
        s = self._sigmoid_beta_z(z, beta)  # σ(βz)
        S = z * s if value is None else value
        if not isinstance(beta, float):  # a tensor β (learnable) cannot be addcmul's scalar factor
            return torch.addcmul(S, s, S, value=-1.0).mul_(beta).add_(s)  # β(S - σS) + σ
        # σ - βσS + βS, no term overflows. Speed: σ - βσS is written over σ (out=s) because filling
        # a fresh tensor costs about twice an in-place pass here (benches/bench_activations.py);
        # addcmul_ would do the same but has no batching rule under torch.func.vmap.
        try:
            d = torch.addcmul(s, s, S, value=-beta, out=s)
        except RuntimeError:  # inside torch.func.vmap, which has no out= variants
            d = torch.addcmul(s, s, S, value=-beta)
        return d.add_(S, alpha=beta)

    def _grad_beta(self, z, value, *, beta):
        s = self._sigmoid_beta_z(z, beta)
        return (1 - s).mul_(z).mul_(s).mul_(z)  # z² σ(1 - σ), (1 - σ) z first: no overflow


class _Mish(Activation):
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
        z: a tensor of any shape (float32 or float64), a numpy array or a Python number.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the same shape, dtype and device (numpy in, numpy out).

    Examples::

        >>> from nbcourse.activations import mish
        >>> mish(0.0), mish.grad(0.0), mish(1000.0), mish.grad(1000.0)
        (0.0, 0.6, 1000.0, 1.0)
    """

    name, label = "mish", "Mish"
    formula, grad_formula = "z·tanh(softplus(z))", "e^z·ω / δ²"

    @staticmethod
    def _delta(z):
        """(z clipped at 30, (e^z + 1)² - 1, δ = (e^z + 1)² + 1)."""
        zc = torch.clamp_max(z, 30.0)
        e = torch.exp(zc)
        n = torch.add(e, 2.0).mul_(e)  # e(e + 2) = (e + 1)² - 1
        return zc, n, n + 2.0

    def _value(self, z):
        _, n, delta = self._delta(z)
        return n.div_(delta).mul_(z)  # z t with t = tanh(softplus(z)) = (δ - 2)/δ

    def _grad(self, z, value):
        zc, n, delta = self._delta(z)
        t = n.div_(delta)  # tanh(softplus(z))
        r = delta.reciprocal_().mul_(2.0)  # 2/δ = 1 - t, without cancellation
        sech2 = (2 - r).mul_(r)  # 1 - t² = r(2 - r)
        return torch.sigmoid(zc).mul_(zc).mul_(sech2).add_(t)  # t + z σ(z) (1 - t²)


linear = _Linear()
threshold = _Threshold()
sigmoid = _Sigmoid()
tanh = _Tanh()
relu = _ReLU()
softplus = _Softplus()
leaky_relu = _LeakyReLU()
prelu = _PReLU()
elu = _ELU()
selu = _SELU()
swish = _Swish()
mish = _Mish()

#: Every activation of the lecture, by name, in the lecture's order.
ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (linear, threshold, sigmoid, tanh, relu, softplus, leaky_relu, prelu, elu, selu, swish, mish)
}


# ---------------------------------------------------------------------------------------------
# autograd: one torch.autograd.Function per activation, whose backward calls .grad
# ---------------------------------------------------------------------------------------------

def _autograd_function(activation: Activation) -> type[torch.autograd.Function]:
    """The :class:`torch.autograd.Function` of ``activation``: value forward, ``.grad`` backward."""
    names, defaults = tuple(activation.params), list(activation.params.values())

    def forward(z, *given):
        # hyper-parameters (numbers or tensors) in the order of activation.params; missing ones default
        params = list(given) + defaults[len(given):]
        return activation._value(z, **activation._prepare(z, dict(zip(names, params))))

    def setup_context(ctx, inputs, output):
        z, *given = inputs
        params = list(given) + defaults[len(given):]
        ctx.given = len(given)
        ctx.numbers = [None if isinstance(v, torch.Tensor) else v for v in params]
        ctx.save_for_backward(z, output, *(v for v in params if isinstance(v, torch.Tensor)))

    @once_differentiable
    def backward(ctx, grad_out):
        z, out, *tensors = ctx.saved_tensors
        it = iter(tensors)
        params = dict(zip(names, (next(it) if v is None else v for v in ctx.numbers)))
        grads = [None] * (1 + ctx.given)
        if ctx.needs_input_grad[0]:
            # chain rule: dL/dz = dL/dout * dout/dz, with the derivative written by hand
            grads[0] = activation.grad(z, value=out, **params).mul_(grad_out)
        for i, name in enumerate(names[: ctx.given], start=1):
            if ctx.needs_input_grad[i]:  # a learnable alpha or beta: dL/dp = sum of dL/dout * dout/dp
                raw = params[name]
                dparam = activation.param_grad(z, name, value=out, **params).mul_(grad_out)
                shaped = activation._prepare(z, {name: raw})[name]  # how the parameter broadcast
                grads[i] = dparam.sum_to_size(shaped.shape).reshape(raw.shape).to(raw)
        return tuple(grads)

    title = activation.label.replace(" ", "")

    def body(namespace):
        namespace.update(
            __doc__=f"Autograd function of :data:`{activation.name}`: forward is the value, backward "
                    f"multiplies the incoming gradient by ``{activation.name}.grad`` (the analytic "
                    f"derivative).\n\nUse as ``{title}Function.apply(z{''.join(', ' + n for n in names)})``.",
            __module__=__name__,
            forward=staticmethod(forward),
            setup_context=staticmethod(setup_context),
            backward=staticmethod(backward),
            generate_vmap_rule=True,  # works inside torch.func.vmap / grad (per-sample gradients)
        )

    # Function.apply binds its arguments with inspect.signature(forward) on every call: compute it once
    forward.__signature__ = inspect.signature(forward)
    # types.new_class runs torch's Function metaclass, which names the backward node (MishFunctionBackward)
    return types.new_class(f"{title}Function", (torch.autograd.Function,), exec_body=body)


LinearFunction = _autograd_function(linear)
ThresholdFunction = _autograd_function(threshold)
SigmoidFunction = _autograd_function(sigmoid)
TanhFunction = _autograd_function(tanh)
ReLUFunction = _autograd_function(relu)
SoftplusFunction = _autograd_function(softplus)
LeakyReLUFunction = _autograd_function(leaky_relu)
PReLUFunction = _autograd_function(prelu)
ELUFunction = _autograd_function(elu)
SELUFunction = _autograd_function(selu)
SwishFunction = _autograd_function(swish)
MishFunction = _autograd_function(mish)


# ---------------------------------------------------------------------------------------------
# nn.Modules: forward is one line over the activation (which goes through the Function)
# ---------------------------------------------------------------------------------------------

def _number(where: str, name: str, value: Any, default: float) -> float:
    """A module's hyper-parameter: a finite number (a 0-d tensor or array is read as its number)."""
    example = f"{where}({name}={default!r})"
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (torch.Tensor, np.ndarray)):
        raise _bad_param(where, name, value, example)
    return _check_param(where, name, value, example)


class Linear(nn.Module):
    r"""Module of :data:`linear`: :math:`\alpha z` (not :class:`torch.nn.Linear`, the affine layer).

    Args:
        alpha: the slope. Default: ``1.0``.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = _number("Linear", "alpha", alpha, 1.0)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return linear(z, alpha=self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Threshold(nn.Module):
    r"""Module of :data:`threshold`: 1 where :math:`z \ge 0`, else 0 (no useful gradient).

    Not :class:`torch.nn.Threshold`, which replaces values below a threshold.
    """

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return threshold(z)


class Sigmoid(nn.Module):
    r"""Module of :data:`sigmoid`: :math:`1/(1 + e^{-z})`, backward :math:`\sigma(1 - \sigma)`."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return sigmoid(z)


class Tanh(nn.Module):
    r"""Module of :data:`tanh`, backward :math:`1 - \tanh^2`."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return tanh(z)


class ReLU(nn.Module):
    r"""Module of :data:`relu`: :math:`\max(0, z)`, backward 1 for :math:`z > 0`, else 0."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return relu(z)


class Softplus(nn.Module):
    r"""Module of :data:`softplus`: :math:`\ln(1 + e^z)`, backward :math:`\sigma(z)`."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return softplus(z)


class LeakyReLU(nn.Module):
    r"""Module of :data:`leaky_relu`: :math:`z` for :math:`z > 0`, :math:`\alpha z` for :math:`z \le 0`.

    Args:
        alpha: the fixed slope for :math:`z \le 0` (PyTorch's ``negative_slope``). Default: ``0.01``.
    """

    def __init__(self, alpha: float = 0.01):
        super().__init__()
        self.alpha = _number("LeakyReLU", "alpha", alpha, 0.01)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return leaky_relu(z, alpha=self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class PReLU(nn.Module):
    r"""Module of :data:`prelu`: a leaky ReLU whose slope :math:`\alpha` is a learnt parameter.

    As :class:`torch.nn.PReLU` (same arguments, same parameter name ``weight``, so state dicts load
    either way): one slope shared by all inputs, or one per channel (dimension 1 of the input).
    Its gradient is the analytic :math:`\partial R/\partial\alpha = z` for :math:`z \le 0`, else 0.

    Args:
        num_parameters: 1 (one shared slope) or the number of channels. Default: ``1``.
        init: the initial slope. Default: ``0.25``.

    Attributes:
        weight: the slopes :math:`\alpha`, a parameter of shape ``(num_parameters,)``.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25):
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, numbers.Integral) or num_parameters < 1:
            raise ValueError(f"PReLU: argument 'num_parameters' got {num_parameters!r}, expected a positive "
                             f"integer (1 for one shared slope, or the number of channels)")
        self.num_parameters = int(num_parameters)
        self.init = _number("PReLU", "init", init, 0.25)
        self.weight = nn.Parameter(torch.full((self.num_parameters,), self.init))

    @property
    def alpha(self) -> nn.Parameter:
        """The lecture's name for the slopes: the same parameter as :attr:`weight`."""
        return self.weight

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return prelu(z, alpha=self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}, init={self.init}"


class ELU(nn.Module):
    r"""Module of :data:`elu`: :math:`z` for :math:`z \ge 0`, :math:`\alpha(e^z - 1)` below.

    Args:
        alpha: ELU saturates to :math:`-\alpha` for very negative :math:`z`. Default: ``1.0``.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = _number("ELU", "alpha", alpha, 1.0)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return elu(z, alpha=self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(nn.Module):
    r"""Module of :data:`selu`: :math:`\lambda\,\mathrm{ELU}_\alpha(z)` with the fixed SELU constants."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return selu(z)

    def extra_repr(self) -> str:
        return f"alpha={SELU_ALPHA}, lambda={SELU_LAMBDA}"


class Swish(nn.Module):
    r"""Module of :data:`swish`: :math:`z\,\sigma(\beta z)`, with :math:`\beta` fixed or learnt.

    Args:
        beta: the (initial) value of :math:`\beta`. Default: ``1.0`` (the SiLU).
        learnable: if True, :math:`\beta` is an :class:`torch.nn.Parameter` trained with
            :math:`\partial S/\partial\beta = z^2\sigma(\beta z)(1 - \sigma(\beta z))`. Default: ``False``.
    """

    def __init__(self, beta: float = 1.0, learnable: bool = False):
        super().__init__()
        beta = _number("Swish", "beta", beta, 1.0)
        if not isinstance(learnable, (bool, np.bool_)):
            raise TypeError(f"Swish: argument 'learnable' got {describe(learnable)}, expected True or False")
        self.learnable = bool(learnable)
        self.beta = nn.Parameter(torch.tensor(beta)) if self.learnable else beta

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return swish(z, beta=self.beta)

    def extra_repr(self) -> str:
        beta = self.beta.detach().item() if self.learnable else self.beta
        return f"beta={beta}, learnable={self.learnable}"


class Mish(nn.Module):
    r"""Module of :data:`mish`: :math:`z\tanh(\mathrm{softplus}(z))`, backward :math:`e^z\omega/\delta^2`."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return mish(z)


_MODULE_DOC_END = """

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

for _activation, _function, _module in (
    (linear, LinearFunction, Linear), (threshold, ThresholdFunction, Threshold),
    (sigmoid, SigmoidFunction, Sigmoid), (tanh, TanhFunction, Tanh), (relu, ReLUFunction, ReLU),
    (softplus, SoftplusFunction, Softplus), (leaky_relu, LeakyReLUFunction, LeakyReLU),
    (prelu, PReLUFunction, PReLU), (elu, ELUFunction, ELU), (selu, SELUFunction, SELU),
    (swish, SwishFunction, Swish), (mish, MishFunction, Mish),
):
    _activation.function, _activation.module = _function, _module
    _module.activation = _activation
    # every module's help ends with its shapes, an example and where the formulas are
    _module.__doc__ = _module.__doc__.rstrip() + _MODULE_DOC_END.format(module=_module.__name__,
                                                                      name=_activation.name)
    # inspect.signature(mish) shows the hyper-parameters with their defaults
    _activation.__signature__ = inspect.Signature(
        [inspect.Parameter("z", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d)
           for n, d in _activation.params.items()]
    )
del _activation, _function, _module


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
        if target is prelu and "alpha" in params:
            if "init" in params:
                raise TypeError("get: 'prelu' got both 'alpha' and 'init'; give the initial slope once")
            params["init"] = params.pop("alpha")
        target = target.module
    if isinstance(target, type) and issubclass(target, nn.Module):
        # a module class without its own __init__ (ReLU) takes no arguments
        accepted = {} if target.__init__ is nn.Module.__init__ else inspect.signature(target.__init__).parameters
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
