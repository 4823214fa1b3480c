"""Tests of nbcourse.activations (and the colours of nbcourse.style).

One parametrised test class, :class:`TestEveryActivation`, walks the whole registry
``ACTIVATIONS``: a new activation is tested by being added to it (and to ``REFERENCE`` below, which
a guard test demands). Each derivative is checked against autograd (``gradcheck`` in float64 on the
autograd function, and autograd of the formula written here in plain torch ops), each value against
``torch.nn.functional``, at the extremes, at the kinks and with hypothesis over wide ranges.
"""

from __future__ import annotations

import ast
import copy
import doctest
import inspect
import math
import pickle
import pydoc
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import nbcourse.activations as A
from nbcourse import style
from nbcourse.activations import ACTIVATIONS, SELU_ALPHA, SELU_LAMBDA

NAMES = list(ACTIVATIONS)
LECTURE_ORDER = ["linear", "threshold", "sigmoid", "tanh", "relu", "softplus", "leaky_relu", "prelu",
                 "elu", "selu", "swish", "mish"]

# ---------------------------------------------------------------------------------------------
# the formulas again, written independently in plain torch ops (autograd differentiates these);
# safe for |z| <= 20, where no exponential overflows
# ---------------------------------------------------------------------------------------------
REFERENCE = {
    "linear": lambda z, alpha=1.0: alpha * z,
    "threshold": lambda z: (z >= 0).to(z.dtype) + 0 * z,  # + 0 * z: a derivative (zero) for autograd
    "sigmoid": lambda z: 1 / (1 + torch.exp(-z)),
    "tanh": lambda z: (torch.exp(z) - torch.exp(-z)) / (torch.exp(z) + torch.exp(-z)),
    "relu": lambda z: torch.where(z > 0, z, torch.zeros_like(z)),
    "softplus": lambda z: torch.log(1 + torch.exp(z)),
    "leaky_relu": lambda z, alpha=0.01: torch.where(z > 0, z, alpha * z),
    "prelu": lambda z, alpha=0.25: torch.where(z > 0, z, alpha * z),
    "elu": lambda z, alpha=1.0: torch.where(z >= 0, z, alpha * (torch.exp(z) - 1)),
    "selu": lambda z: SELU_LAMBDA * torch.where(z >= 0, z, SELU_ALPHA * (torch.exp(z) - 1)),
    "swish": lambda z, beta=1.0: z / (1 + torch.exp(-beta * z)),
    "mish": lambda z: z * torch.tanh(torch.log(1 + torch.exp(z))),
}

# torch's own version, where torch has one (linear: alpha * z; threshold: heaviside)
TORCH = {
    "linear": lambda z, alpha=1.0: z * alpha,
    "threshold": lambda z: torch.heaviside(z, torch.ones((), dtype=z.dtype)),
    "sigmoid": lambda z: torch.sigmoid(z),
    "tanh": lambda z: torch.tanh(z),
    "relu": lambda z: F.relu(z),
    "softplus": lambda z: F.softplus(z),
    "leaky_relu": lambda z, alpha=0.01: F.leaky_relu(z, negative_slope=alpha),
    "prelu": lambda z, alpha=0.25: F.prelu(z, torch.tensor([alpha], dtype=z.dtype)),
    "elu": lambda z, alpha=1.0: F.elu(z, alpha=alpha),
    "selu": lambda z: F.selu(z),
    "swish": lambda z, beta=1.0: F.silu(z) if beta == 1.0 else z * torch.sigmoid(beta * z),
    "mish": lambda z: F.mish(z),
}

# hyper-parameter values to try beyond the defaults: inside and outside [0, 1], negative, zero
PARAM_CASES = {
    "linear": [{"alpha": 2.5}, {"alpha": -0.5}],
    "leaky_relu": [{"alpha": 0.2}, {"alpha": 1.5}, {"alpha": -0.3}, {"alpha": 0.0}],
    "prelu": [{"alpha": 0.1}, {"alpha": -0.2}, {"alpha": 2.0}],
    "elu": [{"alpha": 0.5}, {"alpha": 2.0}, {"alpha": 0.0}, {"alpha": -1.0}],
    "swish": [{"beta": 0.0}, {"beta": 0.5}, {"beta": 2.0}, {"beta": -1.0}],
}

# where the derivative jumps; checks by finite differences stay this far away
KINKED = {"threshold", "relu", "leaky_relu", "prelu", "elu", "selu"}
# non-decreasing with their default hyper-parameters
MONOTONE = set(NAMES) - {"swish", "mish"}

# points from the extremes to the kink: (float64 value, float64 derivative) are checked on these
GRID = [-1e4, -1000.0, -100.0, -30.0, -20.5, -5.0, -1.0, -0.3, -1e-3, -1e-30, 0.0, 1e-30, 1e-3, 0.3, 1.0,
        5.0, 20.5, 30.0, 100.0, 1000.0, 1e4]

# tolerances for values and derivatives against torch: tight, a few rounding errors
TOL = {torch.float64: dict(rtol=1e-12, atol=1e-14), torch.float32: dict(rtol=4e-6, atol=1e-6)}


def tol(name, dtype):
    # F.softplus returns z itself above z = 20, off from ln(1 + e^z) by up to e^-20 = 2.1e-9
    return dict(TOL[dtype], atol=2.1e-9) if name == "softplus" else TOL[dtype]


def cases(name):
    """Every hyper-parameter case of an activation: the defaults first."""
    return [{}] + PARAM_CASES.get(name, [])


def smooth_points(name, dtype=torch.float64, n=64, seed=0):
    """Random points in [-6, 6], at least 0.05 away from a kink at 0."""
    gen = torch.Generator().manual_seed(seed)
    z = 12 * torch.rand(n, generator=gen, dtype=dtype) - 6
    if name in KINKED:
        z = torch.where(z.abs() < 0.05, z.sign() * 0.05 + z, z)
        z = torch.where(z == 0, torch.full_like(z, 0.5), z)
    return z


def test_registry_holds_every_activation_of_the_lecture_in_order():
    assert NAMES == LECTURE_ORDER
    assert set(REFERENCE) == set(NAMES), "add the new activation's formula to REFERENCE in this file"
    for name, activation in ACTIVATIONS.items():
        assert isinstance(activation, A.Activation)
        assert activation.name == name and getattr(A, name) is activation
        assert issubclass(activation.function, torch.autograd.Function)
        assert issubclass(activation.module, nn.Module) and activation.module.activation is activation


def _grad_or_zero(y, x):
    """dy/dx, or zeros where y has no graph (a derivative that is constant in x)."""
    if not y.requires_grad:
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(y, x, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


@pytest.mark.parametrize("name", NAMES)
class TestEveryActivation:
    """Every check, for every activation of the registry."""

    # --- derivatives against autograd -----------------------------------------------------------

    def test_gradcheck_of_the_autograd_function(self, name):
        activation = ACTIVATIONS[name]
        z = smooth_points(name, n=16).requires_grad_()
        for params in cases(name):
            assert torch.autograd.gradcheck(lambda t: activation.function.apply(t, *params.values()), (z,))

    def test_grad_equals_autograd_of_the_formula(self, name):
        activation = ACTIVATIONS[name]
        for params in cases(name):
            z = smooth_points(name).requires_grad_()
            (expected,) = torch.autograd.grad(REFERENCE[name](z, **params).sum(), z)
            torch.testing.assert_close(activation.grad(z.detach(), **params), expected, rtol=1e-12, atol=1e-14)
            torch.testing.assert_close(activation(z.detach(), **params), REFERENCE[name](z.detach(), **params),
                                       rtol=1e-12, atol=1e-14)

    def test_grad_equals_central_differences(self, name):
        activation = ACTIVATIONS[name]
        z = smooth_points(name, seed=1)
        h = 1e-6
        numeric = (activation(z + h) - activation(z - h)) / (2 * h)
        torch.testing.assert_close(activation.grad(z), numeric, rtol=1e-6, atol=1e-8)

    def test_backward_runs_the_analytic_grad(self, name, monkeypatch):
        activation = ACTIVATIONS[name]
        z = smooth_points(name, n=8).requires_grad_()
        y = activation(z)
        assert type(y.grad_fn).__name__ == f"{activation.function.__name__}Backward"
        # replace the declared derivative on the instance: the backward pass must return what it says
        monkeypatch.setattr(activation, "_grad", lambda t, value, **kw: torch.full_like(t, 7.0))
        y.backward(torch.full_like(z, 2.0))
        assert torch.equal(z.grad, torch.full_like(z, 14.0))

    # --- second derivatives: autograd differentiates the analytic first derivative --------------

    def test_gradgradcheck(self, name):
        activation = ACTIVATIONS[name]
        z = smooth_points(name, n=12).requires_grad_()
        for params in cases(name):
            assert torch.autograd.gradgradcheck(lambda t: activation(t, **params), (z,))
            assert torch.autograd.gradcheck(lambda t: activation(t, **params), (z,), check_forward_ad=True,
                                            check_backward_ad=True, check_batched_grad=True)
        for param, default in activation.params.items():  # mixed second derivatives with a tensor parameter
            p = torch.tensor(default + 0.3, dtype=torch.float64, requires_grad=True)
            assert torch.autograd.gradgradcheck(lambda t, q: activation(t, **{param: q}), (z, p))

    def test_second_derivative_equals_autograd_of_the_formula(self, name):
        # create_graph=True, a gradient penalty, torch.func.hessian and an HVP, against the formula in REFERENCE
        activation = ACTIVATIONS[name]
        z = smooth_points(name, n=10).requires_grad_()
        for params in cases(name):
            (g,) = torch.autograd.grad(activation(z, **params).sum(), z, create_graph=True)
            assert g.requires_grad or name not in ("sigmoid", "tanh", "softplus", "elu", "selu", "swish", "mish")
            (expected,) = torch.autograd.grad(REFERENCE[name](z, **params).sum(), z, create_graph=True)
            torch.testing.assert_close(g, expected, rtol=1e-12, atol=1e-14)
            # d/dz of the gradient penalty sum(g^2): 2 g f''
            torch.testing.assert_close(_grad_or_zero(g.square().sum(), z),
                                       _grad_or_zero(expected.square().sum(), z), rtol=1e-10, atol=1e-12)
            hessian = torch.func.hessian(lambda t: activation(t, **params).sum())(z.detach())
            reference = torch.func.hessian(lambda t: REFERENCE[name](t, **params).sum())(z.detach())
            torch.testing.assert_close(hessian, reference, rtol=1e-10, atol=1e-12)
            v = torch.linspace(-1, 1, z.numel(), dtype=z.dtype)
            _, hvp = torch.autograd.functional.hvp(lambda t: activation(t, **params).sum(), z.detach(), v)
            torch.testing.assert_close(hvp, reference @ v, rtol=1e-10, atol=1e-12)

    def test_gradient_penalty_trains_the_weights(self, name):
        # d/dW of ||d out / d x||^2 through a layer: the issue's silent failure, now exact
        activation = ACTIVATIONS[name]
        torch.manual_seed(0)
        W = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
        x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)

        def penalty(f):
            (dx,) = torch.autograd.grad(f(x @ W.T).sum(), x, create_graph=True)
            return _grad_or_zero(dx.square().sum(), W)

        torch.testing.assert_close(penalty(activation), penalty(REFERENCE[name]), rtol=1e-10, atol=1e-12)

    def test_works_inside_torch_func_transforms(self, name):
        # per-sample gradients (torch.func.vmap over torch.func.grad) go through the same analytic grad
        activation = ACTIVATIONS[name]
        z = smooth_points(name, n=12).reshape(3, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for params in cases(name):
                rows = torch.func.vmap(torch.func.grad(lambda t: activation(t, **params).sum()))(z)
                torch.testing.assert_close(rows, activation.grad(z, **params), rtol=1e-15, atol=0)

    # --- values and derivatives against torch ---------------------------------------------------

    @pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
    def test_values_match_torch_functional(self, name, dtype):
        activation = ACTIVATIONS[name]
        z = torch.cat([torch.tensor(GRID, dtype=dtype), 8 * torch.randn(200, dtype=dtype,
                                                                       generator=torch.Generator().manual_seed(2))])
        for params in cases(name):
            torch.testing.assert_close(activation(z, **params), TORCH[name](z, **params), **tol(name, dtype))

    @pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
    def test_grads_match_torch_autograd(self, name, dtype):
        if name == "threshold":  # torch's step has no derivative; ours is 0 (see test_kinks)
            return
        activation = ACTIVATIONS[name]
        z = torch.tensor(GRID, dtype=dtype)
        if name in ("elu", "selu"):  # at exactly 0 torch takes the left branch, the lecture the right
            z = z[z != 0]
        for params in cases(name):
            t = z.clone().requires_grad_()
            (expected,) = torch.autograd.grad(TORCH[name](t, **params).sum(), t)
            torch.testing.assert_close(activation.grad(z, **params), expected, **tol(name, dtype))

    # --- kinds, shapes and dtypes ---------------------------------------------------------------

    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    @pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
    def test_tensor_in_same_shape_dtype_device_out(self, name, dtype, shape):
        activation = ACTIVATIONS[name]
        z = torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(3))
        before = z.clone()
        for out in (activation(z), activation.grad(z)):
            assert isinstance(out, torch.Tensor)
            assert out.shape == z.shape and out.dtype == dtype and out.device == z.device
        assert torch.equal(z, before), "the input must not be modified"

    def test_numpy_and_float_round_trip(self, name):
        activation = ACTIVATIONS[name]
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            value, derivative = activation(0.7), activation.grad(-0.7)
            assert type(value) is float and type(derivative) is float
            assert value == pytest.approx(float(REFERENCE[name](torch.tensor(0.7, dtype=torch.float64))))
            for dtype in (np.float64, np.float32):
                x = np.linspace(-3, 3, 13, dtype=dtype)
                before = x.copy()
                for out in (activation(x), activation.grad(x)):
                    assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == x.shape
                np.testing.assert_array_equal(x, before)
            # read-only arrays, lists and integers work too
            x = np.broadcast_to(np.float64(0.5), (3,))
            assert isinstance(activation(x), np.ndarray)
            assert activation([0.5, -0.5]).dtype == np.float64
            assert activation(np.arange(-2, 3)).dtype == np.float64
            assert activation(torch.arange(-2, 3)).dtype == torch.get_default_dtype()
            assert type(activation(1)) is float

    def test_non_contiguous_and_empty_input(self, name):
        activation = ACTIVATIONS[name]
        z = torch.randn(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(4)).t()
        torch.testing.assert_close(activation(z), activation(z.contiguous()), rtol=1e-15, atol=0)
        torch.testing.assert_close(activation.grad(z), activation.grad(z.contiguous()), rtol=1e-15, atol=0)
        assert activation(torch.empty(0, 3)).shape == (0, 3)

    # --- extremes -------------------------------------------------------------------------------

    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    def test_extremes_are_finite_without_warnings(self, name, dtype):
        activation = ACTIVATIONS[name]
        z = torch.tensor([-1e4, -1000.0, -100.0, -88.8, -30.0, 30.0, 88.8, 100.0, 1000.0, 1e4], dtype=dtype)
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            for params in cases(name):
                assert torch.isfinite(activation(z, **params)).all()
                assert torch.isfinite(activation.grad(z, **params)).all()
                for p in params:
                    assert torch.isfinite(activation.param_grad(z, p, **params)).all()
                x = z.numpy()
                assert np.isfinite(activation(x, **params)).all() and np.isfinite(activation.grad(x, **params)).all()
            t = z.clone().requires_grad_()
            activation(t).backward(torch.ones_like(t))
            assert torch.isfinite(t.grad).all()

    # --- the modules ----------------------------------------------------------------------------

    def test_module_forward_and_backward_match_the_function(self, name):
        activation = ACTIVATIONS[name]
        module = activation.module()
        z = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(5)).requires_grad_()
        g = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
        y = module(z)
        torch.testing.assert_close(y, activation(z.detach()), rtol=0, atol=0)
        y.backward(g)
        torch.testing.assert_close(z.grad, activation.grad(z.detach()) * g, rtol=1e-15, atol=0)
        assert repr(module).startswith(activation.module.__name__ + "(")
        with torch.no_grad():
            assert module(z).grad_fn is None

    def test_pickle_and_copy_keep_the_one_instance(self, name):
        activation = ACTIVATIONS[name]
        assert pickle.loads(pickle.dumps(activation)) is activation and copy.deepcopy(activation) is activation
        module = copy.deepcopy(activation.module())
        assert repr(pickle.loads(pickle.dumps(module))) == repr(module)

    def test_help_shows_formula_derivative_shape_and_example(self, name):
        activation = ACTIVATIONS[name]
        text = pydoc.render_doc(activation, renderer=pydoc.plaintext)
        for part in (".. math::", "Args:", "Shape:", "Examples::", f">>> from nbcourse.activations import {name}"):
            assert part in text, part
        assert activation.formula and activation.grad_formula and activation.label
        assert name in repr(activation)

    # --- bad input ------------------------------------------------------------------------------

    @pytest.mark.parametrize("bad", ["0.5", None, torch.tensor([1 + 2j]), np.array(["a"]), {"z": 1}])
    def test_bad_z_names_the_function_and_the_argument(self, name, bad):
        activation = ACTIVATIONS[name]
        for call, where in ((activation, name), (activation.grad, f"{name}.grad")):
            with pytest.raises(TypeError, match=rf"{where}: argument 'z' got"):
                call(bad)

    def test_bad_hyper_parameters_name_the_function_and_the_argument(self, name):
        activation = ACTIVATIONS[name]
        with pytest.raises(TypeError, match=rf"{name}: unexpected argument 'gamma'"):
            activation(1.0, gamma=2.0)
        with pytest.raises(TypeError, match=rf"{name}: takes z and"):
            activation(1.0, 0.1, 0.2)
        with pytest.raises(ValueError, match=rf"{name}.param_grad: argument 'param' got 'gamma'"):
            activation.param_grad(1.0, "gamma")
        for param in activation.params:
            for bad in ("0.1", True, None, [0.1], torch.tensor([1j])):
                with pytest.raises(TypeError, match=rf"{name}: argument '{param}' got .*expected a real number"):
                    activation(1.0, **{param: bad})
            for bad in (float("nan"), float("inf")):
                with pytest.raises(ValueError, match=rf"{name}: argument '{param}' got .*finite"):
                    activation(1.0, **{param: bad})
            with pytest.raises(TypeError, match=rf"{name}.grad: argument '{param}'"):
                activation.grad(1.0, **{param: "x"})
            with pytest.raises(TypeError, match=f"'{param}' given twice"):
                activation(1.0, 0.5, **{param: 0.5})
        z = torch.ones(3)
        with pytest.raises(ValueError, match=rf"{name}.grad: argument 'value' has shape \(2,\)"):
            activation.grad(z, value=torch.ones(2))
        torch.testing.assert_close(activation.grad(z, value=activation(z)), activation.grad(z))

    # --- hyper-parameters as tensors, and their gradients ---------------------------------------

    def test_tensor_hyper_parameters_get_analytic_gradients(self, name):
        activation = ACTIVATIONS[name]
        z = smooth_points(name, n=12).requires_grad_()
        for param, default in activation.params.items():
            p = torch.tensor(default + 0.3, dtype=torch.float64, requires_grad=True)
            assert torch.autograd.gradcheck(lambda t, q: activation.function.apply(t, q), (z, p))
            y = activation(z, **{param: p})
            (gz, gp) = torch.autograd.grad(y.sum(), (z, p))
            (rz, rp) = torch.autograd.grad(REFERENCE[name](z, **{param: p}).sum(), (z, p))
            torch.testing.assert_close((gz, gp), (rz, rp), rtol=1e-12, atol=1e-13)
            # a float32 input with a float64 parameter: float32 out, float64 gradient
            z32 = z.detach().float().requires_grad_()
            y32 = activation(z32, **{param: p})
            y32.sum().backward()
            assert y32.dtype == torch.float32 and p.grad.dtype == torch.float64

    # --- hypothesis: properties over wide ranges ------------------------------------------------

    @settings(max_examples=40, deadline=None)
    @given(z=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False))
    def test_finite_everywhere_in_range(self, name, z):
        activation = ACTIVATIONS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for dtype in (torch.float32, torch.float64):
                t = torch.tensor([z], dtype=dtype)
                assert torch.isfinite(activation(t)).all() and torch.isfinite(activation.grad(t)).all()
            assert math.isfinite(activation(z)) and math.isfinite(activation.grad(z))

    @settings(max_examples=40, deadline=None)
    @given(a=st.floats(-1e4, 1e4, allow_nan=False), b=st.floats(-1e4, 1e4, allow_nan=False))
    def test_monotone_where_it_should_be(self, name, a, b):
        if name not in MONOTONE:
            return
        activation = ACTIVATIONS[name]
        lo, hi = min(a, b), max(a, b)
        assert activation(lo) <= activation(hi)
        assert activation.grad(lo) >= 0 and activation.grad(hi) >= 0

    @settings(max_examples=40, deadline=None)
    @given(z=st.floats(-20, 20, allow_nan=False).filter(lambda v: abs(v) > 1e-3))
    def test_grad_matches_autograd_at_random_points(self, name, z):
        activation = ACTIVATIONS[name]
        for params in cases(name):
            t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
            (expected,) = torch.autograd.grad(REFERENCE[name](t, **params), t)
            assert activation.grad(z, **params) == pytest.approx(float(expected), rel=1e-9, abs=1e-15)


# ---------------------------------------------------------------------------------------------
# facts of the lecture, one activation at a time
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, z, value, derivative", [
    ("relu", 0.0, 0.0, 0.0),
    ("leaky_relu", 0.0, 0.0, 0.01),
    ("prelu", 0.0, 0.0, 0.25),
    ("elu", 0.0, 0.0, 1.0),
    ("selu", 0.0, 0.0, SELU_LAMBDA),
    ("threshold", 0.0, 1.0, 0.0),
    ("threshold", -1e-30, 0.0, 0.0),
    ("linear", 0.0, 0.0, 1.0),
    ("sigmoid", 0.0, 0.5, 0.25),
    ("tanh", 0.0, 0.0, 1.0),
    ("softplus", 0.0, math.log(2), 0.5),
    ("swish", 0.0, 0.0, 0.5),
    ("mish", 0.0, 0.0, 0.6),
])
def test_kinks_and_zero(name, z, value, derivative):
    activation = ACTIVATIONS[name]
    for dtype in (torch.float32, torch.float64):
        t = torch.tensor([z], dtype=dtype)
        assert activation(t).item() == pytest.approx(value, rel=1e-6)
        assert activation.grad(t).item() == pytest.approx(derivative, rel=1e-6)
    assert activation(z) == pytest.approx(value, rel=1e-15)
    assert activation.grad(z) == pytest.approx(derivative, rel=1e-15)


@pytest.mark.parametrize("name, params, below, at_zero, above", [
    ("leaky_relu", {"alpha": 0.01}, 0.01, 0.01, 1.0), ("leaky_relu", {"alpha": 0.0}, 0.0, 0.0, 1.0),
    ("leaky_relu", {"alpha": 1.5}, 1.5, 1.5, 1.0), ("leaky_relu", {"alpha": -0.3}, -0.3, -0.3, 1.0),
    ("prelu", {"alpha": torch.tensor(0.5)}, 0.5, 0.5, 1.0),
    ("elu", {"alpha": 0.5}, None, 1.0, 1.0), ("elu", {"alpha": 2.0}, None, 1.0, 1.0),
    ("elu", {"alpha": -1.0}, None, 1.0, 1.0), ("selu", {}, None, SELU_LAMBDA, SELU_LAMBDA),
])
def test_the_slope_on_each_side_of_the_kink(name, params, below, at_zero, above):
    # each way the code builds a piecewise slope, checked at 0 (both signed zeros) and on each side
    activation = ACTIVATIONS[name]
    for dtype in (torch.float32, torch.float64):
        z = torch.tensor([-0.0, 0.0, 1e-30, 2.0, -1e-30], dtype=dtype)
        d = activation.grad(z, **params)
        expected_zero = torch.tensor(at_zero, dtype=dtype)
        assert torch.equal(d[:2], expected_zero.expand(2)) and torch.equal(d[2:4], torch.full((2,), above, dtype=dtype))
        if below is not None:
            assert d[4].item() == pytest.approx(below, rel=1e-6)


@pytest.mark.parametrize("name, z, value, derivative", [
    ("softplus", 1000.0, 1000.0, 1.0), ("softplus", -1000.0, 0.0, 0.0), ("softplus", 1e4, 1e4, 1.0),
    ("sigmoid", -1000.0, 0.0, 0.0), ("sigmoid", 1000.0, 1.0, 0.0), ("sigmoid", -1e4, 0.0, 0.0),
    ("tanh", 1000.0, 1.0, 0.0), ("tanh", -1e4, -1.0, 0.0),
    ("mish", 1000.0, 1000.0, 1.0), ("mish", -1000.0, 0.0, 0.0), ("mish", 1e4, 1e4, 1.0), ("mish", -1e4, 0.0, 0.0),
    ("swish", 1000.0, 1000.0, 1.0), ("swish", -1000.0, 0.0, 0.0), ("swish", 1e4, 1e4, 1.0),
    ("elu", -1000.0, -1.0, 0.0), ("elu", 1000.0, 1000.0, 1.0), ("elu", -1e4, -1.0, 0.0),
    ("selu", -1000.0, -SELU_LAMBDA * SELU_ALPHA, 0.0), ("selu", 1000.0, 1000.0 * SELU_LAMBDA, SELU_LAMBDA),
    ("relu", -1e4, 0.0, 0.0), ("relu", 1e4, 1e4, 1.0), ("leaky_relu", -1e4, -100.0, 0.01),
    ("prelu", -1e4, -2500.0, 0.25), ("threshold", 1e4, 1.0, 0.0), ("linear", -1e4, -1e4, 1.0),
])
def test_values_at_the_extremes(name, z, value, derivative):
    activation = ACTIVATIONS[name]
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for dtype in (torch.float32, torch.float64):
            t = torch.tensor([z], dtype=dtype)
            assert activation(t).item() == pytest.approx(value, rel=1e-6, abs=1e-30)
            assert activation.grad(t).item() == pytest.approx(derivative, rel=1e-6, abs=1e-30)
        x = np.array([z])
        assert activation(x)[0] == pytest.approx(value, rel=1e-12, abs=1e-300)
        assert activation.grad(x)[0] == pytest.approx(derivative, rel=1e-12, abs=1e-300)


def test_exact_values_the_issue_names():
    assert A.softplus(1000.0) == 1000.0
    assert A.sigmoid(-1000.0) == 0.0 and A.sigmoid(1000.0) == 1.0
    assert A.mish(1000.0) == 1000.0 and A.mish.grad(1000.0) == 1.0
    assert A.mish(-1000.0) == 0.0 and A.mish.grad(-1000.0) == 0.0  # -0.0 == 0.0
    for dtype in (torch.float32, torch.float64):
        assert A.mish.grad(torch.tensor(1000.0, dtype=dtype)).item() == 1.0
        assert A.mish(torch.tensor(1000.0, dtype=dtype)).item() == 1000.0


def test_mish_grad_is_the_lectures_formula():
    # e^z ω / δ² evaluated directly where it does not overflow
    z = torch.linspace(-20, 20, 401, dtype=torch.float64)
    e = torch.exp(z)
    omega = torch.exp(3 * z) + 4 * torch.exp(2 * z) + (6 + 4 * z) * e + 4 * (z + 1)
    delta = (e + 1) ** 2 + 1
    torch.testing.assert_close(A.mish.grad(z), e * omega / delta**2, rtol=1e-12, atol=1e-15)


def test_swish_grad_is_the_lectures_formula():
    z = torch.linspace(-20, 20, 401, dtype=torch.float64)
    for beta in (0.0, 0.5, 1.0, 3.0):
        S = z * torch.sigmoid(beta * z)
        lecture = beta * S + torch.sigmoid(beta * z) * (1 - beta * S)
        torch.testing.assert_close(A.swish.grad(z, beta=beta), lecture, rtol=1e-12, atol=1e-15)
        dbeta = z**2 * torch.sigmoid(beta * z) * (1 - torch.sigmoid(beta * z))
        torch.testing.assert_close(A.swish.param_grad(z, "beta", beta=beta), dbeta, rtol=1e-12, atol=1e-15)


def test_prelu_param_grad_is_z_below_zero():
    z = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], dtype=torch.float64)
    torch.testing.assert_close(A.prelu.param_grad(z, "alpha"), torch.tensor([-2.0, -0.5, 0.0, 0.0, 0.0],
                                                                           dtype=torch.float64))


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-1e4, 1e4, allow_nan=False))
def test_sigmoid_family_identities(z):
    s = A.sigmoid(z)
    assert 0.0 <= s <= 1.0 and -1.0 <= A.tanh(z) <= 1.0
    assert A.tanh(z) == pytest.approx(2 * A.sigmoid(2 * z) - 1, abs=1e-15)
    assert A.softplus.grad(z) == s
    assert A.sigmoid.grad(z) == pytest.approx(s * (1 - s), abs=1e-300)
    assert max(0.0, z) <= A.softplus(z) <= max(0.0, z) + math.log(2) + 1e-12


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-1e4, 1e4, allow_nan=False))
def test_lower_bounds_of_the_saturating_units(z):
    assert A.mish(z) >= -0.3089  # mish's minimum is -0.30884 near z = -1.19
    assert A.swish(z) >= -0.2785  # the SiLU's minimum is -0.27846 near z = -1.28
    assert A.elu(z) >= -1.0 and A.selu(z) >= -SELU_LAMBDA * SELU_ALPHA - 1e-12


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-30, 30, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
       alpha=st.floats(-2, 3, allow_nan=False), beta=st.floats(-3, 5, allow_nan=False))
def test_any_hyper_parameter_matches_autograd(z, alpha, beta):
    for name, params in (("leaky_relu", {"alpha": alpha}), ("prelu", {"alpha": alpha}), ("elu", {"alpha": alpha}),
                         ("linear", {"alpha": alpha}), ("swish", {"beta": beta})):
        t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        reference = REFERENCE[name](t, **params)
        (expected,) = torch.autograd.grad(reference, t)
        assert ACTIVATIONS[name](z, **params) == pytest.approx(reference.item(), rel=1e-12, abs=1e-300)
        assert ACTIVATIONS[name].grad(z, **params) == pytest.approx(float(expected), rel=1e-9, abs=1e-15)


# ---------------------------------------------------------------------------------------------
# learnable parameters: PReLU and Swish
# ---------------------------------------------------------------------------------------------

def test_prelu_matches_torch_per_channel_with_gradients():
    torch.manual_seed(0)
    ours, theirs = A.PReLU(num_parameters=3, init=0.25).double(), nn.PReLU(3, init=0.25).double()
    with torch.no_grad():
        ours.weight.copy_(torch.tensor([0.1, -0.2, 0.7]))
        theirs.weight.copy_(ours.weight)
    x = torch.randn(4, 3, 5, 2, dtype=torch.float64)
    g = torch.randn_like(x)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = ours(x1), theirs(x2)
    torch.testing.assert_close(y1, y2, rtol=1e-15, atol=0)
    y1.backward(g)
    y2.backward(g)
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-15, atol=0)
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-12, atol=1e-12)
    assert ours.alpha is ours.weight and repr(ours) == "PReLU(num_parameters=3, init=0.25)"
    # gradcheck with respect to the per-channel slopes too
    w = ours.weight.detach().clone().requires_grad_()
    small = x[:2, :, :2, :1].clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda t, a: A.PReLUFunction.apply(t, a), (small, w))


def test_prelu_state_dict_loads_from_torch_and_shapes_are_checked():
    theirs = nn.PReLU(4, init=0.1)
    ours = A.PReLU(num_parameters=4)
    ours.load_state_dict(theirs.state_dict())
    torch.testing.assert_close(ours.weight, theirs.weight)
    assert A.PReLU()(torch.tensor([-4.0])).item() == -1.0  # one shared slope works on 1-D input
    with pytest.raises(ValueError, match=r"prelu: argument 'alpha' has shape \(3,\).*4 channels"):
        A.prelu(torch.randn(2, 4, 5), alpha=torch.ones(3))
    with pytest.raises(ValueError, match=r"prelu: argument 'alpha'.*no channel dimension"):
        A.prelu(torch.randn(5), alpha=torch.ones(5))
    with pytest.raises(ValueError, match="PReLU: argument 'num_parameters' got 0"):
        A.PReLU(num_parameters=0)
    with pytest.raises(TypeError, match="PReLU: argument 'init'"):
        A.PReLU(init="0.25")


def test_learnable_swish_trains_beta_with_the_analytic_gradient():
    module = A.Swish(beta=1.5, learnable=True).double()
    assert isinstance(module.beta, nn.Parameter) and repr(module) == "Swish(beta=1.5, learnable=True)"
    z = torch.randn(50, dtype=torch.float64, generator=torch.Generator().manual_seed(7)).requires_grad_()
    module(z).pow(2).sum().backward()
    beta = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    t = z.detach().clone().requires_grad_()
    REFERENCE["swish"](t, beta=beta).pow(2).sum().backward()
    torch.testing.assert_close(module.beta.grad, beta.grad, rtol=1e-12, atol=0)
    torch.testing.assert_close(z.grad, t.grad, rtol=1e-12, atol=1e-15)
    assert torch.autograd.gradcheck(lambda x, b: A.SwishFunction.apply(x, b), (z.detach()[:8].requires_grad_(), beta))
    fixed = A.Swish()
    assert list(fixed.parameters()) == [] and repr(fixed) == "Swish(beta=1.0, learnable=False)"
    with pytest.raises(TypeError, match="Swish: argument 'learnable'"):
        A.Swish(learnable="yes")
    with pytest.raises(ValueError, match=r"swish: argument 'beta' has shape \(3,\)"):
        A.swish(torch.randn(2, 4), beta=torch.ones(3))


def test_per_sample_gradients_of_learnable_slopes():
    torch.manual_seed(0)
    for module in (A.PReLU(num_parameters=4), A.Swish(beta=0.8, learnable=True)):
        model = nn.Sequential(nn.Linear(3, 4), module, nn.Linear(4, 1)).double()
        X = torch.randn(5, 3, dtype=torch.float64)
        params = dict(model.named_parameters())

        def loss(p, x):
            return torch.func.functional_call(model, p, (x.unsqueeze(0),)).sum()

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            per_sample = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0))(params, X)
        for i in range(len(X)):
            model.zero_grad()
            model(X[i:i + 1]).sum().backward()
            for name, p in model.named_parameters():
                torch.testing.assert_close(per_sample[name][i], p.grad, rtol=1e-12, atol=1e-14)


def test_modules_show_their_hyper_parameters():
    assert repr(A.LeakyReLU(alpha=0.1)) == "LeakyReLU(alpha=0.1)"
    assert repr(A.ELU(alpha=2.0)) == "ELU(alpha=2.0)"
    assert repr(A.Linear(alpha=3.0)) == "Linear(alpha=3.0)"
    assert "lambda=1.0507009873554805" in repr(A.SELU())
    assert repr(A.Mish()) == "Mish()"
    with pytest.raises(TypeError, match="LeakyReLU: argument 'alpha'"):
        A.LeakyReLU(alpha="0.1")
    with pytest.raises(ValueError, match="ELU: argument 'alpha' got nan"):
        A.ELU(alpha=float("nan"))


def test_a_network_of_course_activations_trains():
    torch.manual_seed(0)
    x = torch.linspace(-2, 2, 64).unsqueeze(1)
    y = torch.sin(2 * x)
    model = nn.Sequential(nn.Linear(1, 16), A.PReLU(), nn.Linear(16, 16), A.Swish(learnable=True), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    first = None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: worker threads only wait for each other on a busy machine
    try:
        for _ in range(100):
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            first = first if first is not None else loss.item()
    finally:
        torch.set_num_threads(threads)
    assert loss.item() < 0.1 * first
    assert model[1].weight.grad is not None and model[3].beta.grad is not None


# ---------------------------------------------------------------------------------------------
# get(): modules from names
# ---------------------------------------------------------------------------------------------

def test_get_builds_modules_from_names():
    assert isinstance(A.get("relu"), A.ReLU)
    assert repr(A.get("leaky_relu", alpha=0.1)) == "LeakyReLU(alpha=0.1)"
    assert isinstance(A.get("LeakyReLU"), A.LeakyReLU) and isinstance(A.get("Leaky ReLU"), A.LeakyReLU)
    assert isinstance(A.get("leaky-relu"), A.LeakyReLU) and isinstance(A.get("SiLU"), A.Swish)
    assert A.get("prelu", alpha=0.1).init == 0.1 and A.get("prelu", num_parameters=3).weight.shape == (3,)
    assert isinstance(A.get(A.mish), A.Mish) and isinstance(A.get(A.ELU, alpha=0.5), A.ELU)
    assert isinstance(A.get(nn.GELU), nn.GELU)
    module = A.Tanh()
    assert A.get(module) is module
    assert A.get("relu") is not A.get("relu")
    for name in NAMES:
        assert isinstance(A.get(name), ACTIVATIONS[name].module)


def test_get_errors_list_what_is_valid():
    with pytest.raises(ValueError, match=r"get: unknown activation 'rellu'\. Did you mean 'relu'\? Valid names: lin"):
        A.get("rellu")
    with pytest.raises(TypeError, match="get: ReLU takes no parameter 'alpha'"):
        A.get("relu", alpha=0.1)
    with pytest.raises(TypeError, match="get: argument 'name_or_module' got int"):
        A.get(3)
    with pytest.raises(TypeError, match="parameters only apply"):
        A.get(A.ReLU(), alpha=0.1)


def test_docstring_examples_run():
    results = doctest.testmod(A, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.failed == 0 and results.attempted > 20
    results = doctest.testmod(style)
    assert results.failed == 0 and results.attempted > 3


# ---------------------------------------------------------------------------------------------
# the book's colours (nbcourse.style)
# ---------------------------------------------------------------------------------------------

def test_every_activation_has_its_own_colour():
    assert list(style.ACTIVATION_COLORS) == NAMES
    colours = list(style.ACTIVATION_COLORS.values())
    assert len(set(c.lower() for c in colours)) == len(colours) == 12
    assert all(len(c) == 7 and c[0] == "#" and int(c[1:], 16) >= 0 for c in colours)
    assert style.color("relu") == style.color(A.relu) == style.color(A.ReLU()) == style.color(A.ReLU)
    assert style.color("Leaky ReLU") == style.ACTIVATION_COLORS["leaky_relu"]
    with pytest.raises(ValueError, match="color: unknown activation 'gelu'; valid names: linear"):
        style.color("gelu")
    with pytest.raises(TypeError, match="color: argument 'name' got int"):
        style.color(3)


def test_course_style_changes_nothing_outside_its_block():
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    with style.use_course_style(**{"figure.figsize": (3.0, 2.0)}):
        assert mpl.rcParams["axes.spines.top"] is False
        assert tuple(mpl.rcParams["figure.figsize"]) == (3.0, 2.0)
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == style.PALETTE[0]
    assert dict(mpl.rcParams) == before


# ---------------------------------------------------------------------------------------------
# half precision: every finite float16 and bfloat16 number, against torch.nn.functional
# ---------------------------------------------------------------------------------------------

HALF = [torch.float16, torch.bfloat16]
# a few units in the last place of the dtype (float16 keeps 11 bits, bfloat16 8)
HALF_TOL = {torch.float16: dict(rtol=2e-3, atol=1e-5), torch.bfloat16: dict(rtol=1.6e-2, atol=1e-5)}


def every_finite(dtype):
    """Every finite number of a 16-bit float dtype, from -max to max (subnormals and -0.0 included)."""
    bits = torch.arange(-(2**15), 2**15, dtype=torch.int32).to(torch.int16)
    z = bits.view(dtype)
    return z[torch.isfinite(z)]


def torch_grad(name, z, **params):
    """torch's own derivative (autograd through torch.nn.functional), in z's dtype."""
    t = z.clone().requires_grad_()
    (g,) = torch.autograd.grad(TORCH[name](t, **params).sum(), t)
    return g


@pytest.mark.parametrize("dtype", HALF, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_half_precision_over_the_whole_finite_range(name, dtype):
    activation = ACTIVATIONS[name]
    z = every_finite(dtype)
    for params in cases(name):
        value = activation(z, **params)
        assert value.dtype == dtype and value.shape == z.shape
        expected = TORCH[name](z, **params)
        torch.testing.assert_close(value.float(), expected.float(), **HALF_TOL[dtype], equal_nan=True)
        # never nan or inf where torch has none (selu of the largest float16 overflows in both)
        assert not (~torch.isfinite(value) & torch.isfinite(expected)).any()
        if name == "threshold":  # torch has no derivative of a step
            continue
        keep = z != 0 if name in ("elu", "selu") else torch.ones_like(z, dtype=torch.bool)  # the kink convention
        t = z.clone().requires_grad_()
        (ours,) = torch.autograd.grad(activation(t, **params).float().sum(), t)
        assert ours.dtype == dtype
        assert torch.equal(ours, activation.grad(z, **params))
        theirs = torch_grad(name, z, **params)
        assert not (~torch.isfinite(ours) & torch.isfinite(theirs)).any()
        # torch's half backward of sigmoid/tanh works from the rounded output; ours from z in float32.
        # Agree within the dtype's tolerance, or be at least as close to the float64 derivative.
        truth = torch_grad(name, z.double(), **params)
        close = torch.isclose(ours.double(), theirs.double(), **HALF_TOL[dtype])
        no_worse = (ours.double() - truth).abs() <= (theirs.double() - truth).abs() + 2 * torch.finfo(dtype).eps * truth.abs()
        bad = keep & ~(close | no_worse)
        assert not bad.any(), (name, params, z[bad][:5], ours[bad][:5], theirs[bad][:5], truth[bad][:5])


@pytest.mark.parametrize("name", NAMES)
def test_under_cpu_autocast_like_torch(name):
    """torch.autocast runs the layers in bfloat16: the activation keeps bfloat16 and agrees with torch's."""
    activation = ACTIVATIONS[name]
    torch.manual_seed(0)
    layer = nn.Linear(8, 16)
    x = 3 * torch.randn(32, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h = layer(x)
        assert h.dtype == torch.bfloat16
        ours = activation(h)
        theirs = TORCH[name](h)
    assert ours.dtype == theirs.dtype == torch.bfloat16
    torch.testing.assert_close(ours.float(), theirs.float(), **HALF_TOL[torch.bfloat16])
    (g_ours,) = torch.autograd.grad(ours.float().square().sum(), layer.weight, retain_graph=True)
    if name != "threshold":
        (g_theirs,) = torch.autograd.grad(theirs.float().square().sum(), layer.weight)
        torch.testing.assert_close(g_ours, g_theirs, rtol=5e-2, atol=5e-2 * float(g_theirs.abs().max()))
    assert g_ours.dtype == torch.float32 and torch.isfinite(g_ours).all()


# ---------------------------------------------------------------------------------------------
# torch's contract at the edges
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_empty_and_zero_d_inputs_keep_their_shape(name):
    activation = ACTIVATIONS[name]
    for shape in [(0,), (3, 0), ()]:
        z = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
        out = activation(z)
        assert out.shape == shape and activation.grad(z.detach()).shape == shape
        out.sum().backward()
        assert z.grad.shape == shape
    for x in (np.array(0.5), np.array(-0.5, dtype=np.float32)):
        assert isinstance(activation(x), np.ndarray) and activation(x).shape == () and activation(x).dtype == x.dtype
        assert activation.grad(x).shape == ()
    assert isinstance(activation(np.float32(0.5)), float) and isinstance(activation(2), float)
    assert activation(torch.tensor(0.5, dtype=torch.float16)).shape == ()


@pytest.mark.parametrize("bad", ["0.5", ["0.5"], [0.5, "1"], np.array("1.0"), b"1"])
def test_strings_are_refused_never_parsed(bad):
    for name in NAMES:
        with pytest.raises(TypeError, match=rf"{name}: argument 'z' got"):
            ACTIVATIONS[name](bad)


# ---------------------------------------------------------------------------------------------
# the declaration: one block per activation, everything else derived
# ---------------------------------------------------------------------------------------------

def test_a_thirteenth_activation_is_one_declaration():
    registry = {}

    @A.activation(label="Softsign", module="Softsign", params={"scale": 1.0}, formula="z / (1 + |z|)",
                  grad_formula="1 / (1 + |z|)²", registry=registry)
    class softsign:
        r"""Softsign: :math:`s z / (1 + |z|)`.

        Examples::

            >>> softsign(1.0)
            0.5
        """

        def value(z, *, scale):
            return scale * z / (1 + z.abs())

        def grad(z, value, *, scale):
            return scale / (1 + z.abs()) ** 2

        def grad_scale(z, value, *, scale):
            return z / (1 + z.abs())

    assert registry == {"softsign": softsign} and "softsign" not in ACTIVATIONS
    assert softsign(1.0) == 0.5 and softsign.grad(1.0) == 0.25 and softsign.grad(np.array(1.0)).shape == ()
    z = smooth_points("softsign").requires_grad_()
    assert torch.autograd.gradgradcheck(lambda t: softsign(t, scale=2.0), (z,))
    module = softsign.module(scale=2.0)
    assert repr(module) == "Softsign(scale=2.0)" and module.activation is softsign
    assert type(module(z).grad_fn).__name__ == "SoftsignFunctionBackward"
    torch.testing.assert_close(module(z), F.softsign(z) * 2)
    assert str(inspect.signature(softsign)) == "(z, scale=1.0)" and "softsign(z, scale=1.0)" in repr(softsign)
    with pytest.raises(TypeError, match="needs value, grad"):
        A.activation(label="X", module="X", formula="", grad_formula="", registry={})(type("broken", (), {}))


def test_each_parameter_and_default_is_stated_once():
    # the modules and functions read the declaration: leaky_relu's 0.01 is one number in the source
    numbers_in_code = [node.value for node in ast.walk(ast.parse(inspect.getsource(A)))
                       if isinstance(node, ast.Constant) and isinstance(node.value, float)]
    assert numbers_in_code.count(0.01) == 1 and numbers_in_code.count(0.25) == 1  # leaky_relu's, prelu's
    assert A.LeakyReLU().alpha == A.leaky_relu.params["alpha"] == 0.01
    assert str(inspect.signature(A.LeakyReLU)) == "(alpha=0.01)"
    assert str(inspect.signature(A.Swish)) == "(beta=1.0, learnable=False)"
    assert str(inspect.signature(A.PReLU)) == "(num_parameters=1, init=0.25)"
    assert A.PReLU().init == A.prelu.params["alpha"]


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@CUDA
@pytest.mark.parametrize("name", NAMES)
def test_cuda_half_precision_and_autocast_like_torch(name):
    """The same code path on the GPU: every finite float16, and torch.autocast('cuda', float16)."""
    activation = ACTIVATIONS[name]
    for dtype in HALF:
        z = every_finite(dtype).cuda()
        value = activation(z)
        assert value.dtype == dtype and value.device == z.device
        torch.testing.assert_close(value.float(), TORCH[name](z).float(), **HALF_TOL[dtype], equal_nan=True)
        assert torch.equal(torch.isfinite(value) | ~torch.isfinite(TORCH[name](z)), torch.ones_like(z, dtype=torch.bool))
    torch.manual_seed(0)
    layer = nn.Linear(8, 16).cuda()
    x = 3 * torch.randn(32, 8, device="cuda")
    with torch.autocast("cuda", dtype=torch.float16):
        h = layer(x)
        ours, theirs = activation(h), TORCH[name](h)  # torch runs some (softplus) in float32 under autocast
    assert ours.dtype == torch.float16
    torch.testing.assert_close(ours.float(), theirs.float(), **HALF_TOL[torch.float16])
    (g,) = torch.autograd.grad(ours.float().square().sum(), layer.weight)
    assert torch.isfinite(g).all()
