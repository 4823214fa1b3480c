"""Tests of nbcourse.losses: values against torch.nn.functional, analytic derivatives against
autograd and finite differences, the extremes, properties (hypothesis) and every bad-input error.

The registry walk: CASES holds, for every loss in LOSSES, a few argument sets and a reference
written with torch; a new loss is tested by adding it to both.
"""

from __future__ import annotations

import doctest
import inspect
import math
import pydoc
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nbcourse.losses as L

REDUCTIONS = ("mean", "sum", "none")
DOUBLE = torch.float64


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _reduce(terms, reduction):
    return {"mean": terms.mean(), "sum": terms.sum(), "none": terms}[reduction]


@dataclass
class Case:
    """Arguments for one call of a loss, and torch's answer for it."""

    id: str
    inputs: Callable  # seed -> tuple of float64 tensors / index tensors
    reference: Callable  # (*inputs, reduction=..., **kwargs) -> tensor, written with torch
    kwargs: dict = field(default_factory=dict)
    differentiable: tuple = (0, 1)  # positions gradcheck differentiates


# ---------------------------------------------------------------------------------------- inputs

def _pair(shape, scale=1.0):
    def make(seed):
        g = _gen(seed)
        return (scale * torch.randn(shape, generator=g, dtype=DOUBLE),
                scale * torch.randn(shape, generator=g, dtype=DOUBLE))
    return make


def _probabilities(binary):
    def make(seed):
        g = _gen(seed)
        p = 0.05 + 0.9 * torch.rand(4, 3, generator=g, dtype=DOUBLE)
        y = torch.rand(4, 3, generator=g, dtype=DOUBLE)
        return p, (y > 0.5).to(DOUBLE) if binary else y
    return make


def _logits_binary(seed):
    g = _gen(seed)
    return 3 * torch.randn(4, 3, generator=g, dtype=DOUBLE), torch.rand(4, 3, generator=g, dtype=DOUBLE)


def _logits_index(shape, n_classes=5, ignore=False, log_probs=False):
    def make(seed):
        g = _gen(seed)
        z = 2 * torch.randn(shape, generator=g, dtype=DOUBLE)
        class_dim = 0 if z.dim() == 1 else 1
        index_shape = shape[:class_dim] + shape[class_dim + 1:]
        t = torch.randint(0, n_classes, index_shape, generator=g)
        if ignore:
            t.view(-1)[::3] = -1
        if log_probs:
            z = z.log_softmax(class_dim)
        return z, t
    return make


def _logits_prob(shape, one_hot=False):
    def make(seed):
        g = _gen(seed)
        z = 2 * torch.randn(shape, generator=g, dtype=DOUBLE)
        class_dim = 0 if z.dim() == 1 else 1
        if one_hot:
            index = torch.randint(0, shape[class_dim], shape[:class_dim] + shape[class_dim + 1:], generator=g)
            y = F.one_hot(index, shape[class_dim]).movedim(-1, class_dim).to(DOUBLE)
        else:
            y = torch.rand(shape, generator=g, dtype=DOUBLE).softmax(class_dim)
        return z, y
    return make


def _pairs(seed):
    g = _gen(seed)
    x1, x2 = torch.randn(8, 4, generator=g, dtype=DOUBLE), torch.randn(8, 4, generator=g, dtype=DOUBLE)
    return x1, x2, torch.tensor([1, 0, 1, 0, 0, 1, 0, 0])


def _triplets(seed):
    g = _gen(seed)
    return tuple(torch.randn(6, 4, generator=g, dtype=DOUBLE) for _ in range(3))


# ------------------------------------------------------------------------------------ references

def _log_cosh_reference(x, y, reduction):
    return _reduce(torch.log(torch.cosh(x - y)), reduction)


def _contrastive_reference(x1, x2, same, margin=1.0, reduction="mean"):
    d = torch.linalg.vector_norm(x1 - x2, dim=-1)
    same = same.to(d.dtype)
    return _reduce(0.5 * same * d**2 + 0.5 * (1 - same) * torch.clamp(margin - d, min=0) ** 2, reduction)


_W5 = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7], dtype=DOUBLE)
_W43 = torch.linspace(0.5, 2.0, 12, dtype=DOUBLE).view(4, 3)
_POS3 = torch.tensor([0.5, 2.0, 3.0], dtype=DOUBLE)

CASES: dict[str, list[Case]] = {
    "mse": [Case("5x3", _pair((5, 3)), F.mse_loss)],
    "mae": [Case("5x3", _pair((5, 3)), F.l1_loss)],
    "huber": [
        Case("delta1", _pair((5, 3), 2.0), F.huber_loss),
        Case("delta0.5", _pair((5, 3), 2.0), F.huber_loss, {"delta": 0.5}),
    ],
    "log_cosh": [Case("5x3", _pair((5, 3), 3.0), _log_cosh_reference)],
    "bce": [
        Case("soft", _probabilities(False), F.binary_cross_entropy),
        # labels exactly 0 or 1 sit on the edge of [0, 1]: finite differences cannot step past them
        Case("binary-weight", _probabilities(True), F.binary_cross_entropy, {"weight": _W43}, differentiable=(0,)),
    ],
    "bce_with_logits": [
        Case("plain", _logits_binary, F.binary_cross_entropy_with_logits),
        Case("weight", _logits_binary, F.binary_cross_entropy_with_logits, {"weight": _W43}),
        Case("pos_weight", _logits_binary, F.binary_cross_entropy_with_logits,
             {"weight": _W43, "pos_weight": _POS3}),
    ],
    "cross_entropy": [
        Case("index", _logits_index((6, 5)), F.cross_entropy, differentiable=(0,)),
        Case("index-2d", _logits_index((3, 5, 2, 2)), F.cross_entropy, differentiable=(0,)),
        Case("index-unbatched", _logits_index((5,)), F.cross_entropy, differentiable=(0,)),
        Case("weight-ignore", _logits_index((6, 5), ignore=True), F.cross_entropy,
             {"weight": _W5, "ignore_index": -1}, differentiable=(0,)),
        Case("smoothing", _logits_index((6, 5), ignore=True), F.cross_entropy,
             {"ignore_index": -1, "label_smoothing": 0.2}, differentiable=(0,)),
        Case("weight-smoothing", _logits_index((3, 5, 2), ignore=True), F.cross_entropy,
             {"weight": _W5, "ignore_index": -1, "label_smoothing": 0.3}, differentiable=(0,)),
        Case("prob", _logits_prob((6, 5)), F.cross_entropy),
        Case("one-hot-2d", _logits_prob((3, 5, 2), one_hot=True), F.cross_entropy),
        Case("prob-unbatched", _logits_prob((5,)), F.cross_entropy),
        Case("prob-weight-smoothing", _logits_prob((6, 5)), F.cross_entropy,
             {"weight": _W5, "label_smoothing": 0.1}),
    ],
    "nll": [
        Case("index", _logits_index((6, 5), log_probs=True), F.nll_loss, differentiable=(0,)),
        Case("index-2d", _logits_index((3, 5, 2), log_probs=True), F.nll_loss, differentiable=(0,)),
        Case("weight-ignore", _logits_index((6, 5), ignore=True, log_probs=True), F.nll_loss,
             {"weight": _W5, "ignore_index": -1}, differentiable=(0,)),
    ],
    "contrastive": [
        Case("margin1", _pairs, _contrastive_reference),
        Case("margin3", _pairs, _contrastive_reference, {"margin": 3.0}),
    ],
    "triplet": [
        Case("p2", _triplets, F.triplet_margin_loss, {"margin": 2.0}, differentiable=(0, 1, 2)),
        Case("p1-swap", _triplets, F.triplet_margin_loss, {"margin": 2.0, "p": 1, "swap": True},
             differentiable=(0, 1, 2)),
    ],
}

ALL = [pytest.param(name, case, id=f"{name}-{case.id}") for name, cases in CASES.items() for case in cases]


def test_every_loss_has_a_case_a_grad_a_module_and_a_docstring():
    assert set(CASES) == set(L.LOSSES)
    for name, loss in {**L.LOSSES, **{k: v for k, v in L.OUTPUTS.items() if k != "naive_softmax"}}.items():
        assert loss.name == name and callable(loss.grad) and issubclass(loss.module, torch.nn.Module)
        for text in (".. math::", "Shape:", "Examples::", "Args:"):
            assert text in loss.__doc__, (name, text)
        assert ":math:" in loss.grad.__doc__ and "Examples::" in loss.grad.__doc__
        assert loss.grad.__qualname__ == f"{name}.grad"


def test_docstring_examples_run():
    result = doctest.testmod(L, optionflags=doctest.NORMALIZE_WHITESPACE, extraglobs={"torch": torch})
    assert result.attempted > 50 and result.failed == 0


def test_help_shows_formula_and_signature():
    text = pydoc.render_doc(L.mse, renderer=pydoc.plaintext)
    assert "mse(input, target, *, reduction='mean')" in text and "2(\\hat y_i - y_i)/m" in text
    assert str(inspect.signature(L.cross_entropy)) == (
        "(input, target, weight=None, *, ignore_index=-100, label_smoothing=0.0, reduction='mean')")
    assert str(inspect.signature(L.huber.grad)) == "(input, target, delta=1.0, *, reduction='mean')"
    assert str(inspect.signature(L.CrossEntropyLoss)) == (
        "(weight=None, *, ignore_index=-100, label_smoothing=0.0, reduction='mean')")
    assert "S_i(\\delta_{ij} - S_j)" in pydoc.render_doc(L.softmax.jacobian, renderer=pydoc.plaintext)


# ------------------------------------------------------------------------------ registry walk

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, case", ALL)
def test_value_matches_torch(name, case, reduction):
    inputs = case.inputs(0)
    ours = L.LOSSES[name](*inputs, **case.kwargs, reduction=reduction)
    theirs = case.reference(*inputs, **case.kwargs, reduction=reduction)
    assert ours.shape == theirs.shape and ours.dtype == DOUBLE
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, case", ALL)
def test_grad_matches_autograd_of_torch(name, case, reduction):
    inputs = case.inputs(1)
    leaf = inputs[0].clone().requires_grad_(True)
    theirs = case.reference(leaf, *inputs[1:], **case.kwargs, reduction=reduction)
    (expected,) = torch.autograd.grad(theirs.sum(), leaf)
    ours = L.LOSSES[name].grad(*inputs, **case.kwargs, reduction=reduction)
    torch.testing.assert_close(ours, expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("reduction", ("mean", "none"))
@pytest.mark.parametrize("name, case", ALL)
def test_gradcheck_of_the_analytic_backward(name, case, reduction):
    """gradcheck compares the backward (the analytic formula) with finite differences."""
    inputs = list(case.inputs(2))
    for i in case.differentiable:
        inputs[i] = inputs[i].clone().requires_grad_(True)
    loss = L.LOSSES[name]
    assert torch.autograd.gradcheck(lambda *xs: loss(*xs, **case.kwargs, reduction=reduction), tuple(inputs))


@pytest.mark.parametrize("name, case", [p for p in ALL if p.values[0] not in ("triplet",)])
def test_training_goes_through_the_analytic_backward(name, case):
    inputs = case.inputs(3)
    x = inputs[0].clone().requires_grad_(True)
    loss = L.LOSSES[name]
    module = loss.module(**case.kwargs)
    out = module(x, *inputs[1:])
    assert type(out.grad_fn).__name__ == f"{loss.function.__name__}Backward" == f"{loss.module.__name__}FunctionBackward"
    out.backward()
    torch.testing.assert_close(x.grad, loss.grad(*inputs, **case.kwargs), rtol=1e-12, atol=1e-15)


def test_triplet_module_equals_torch_module_and_trains():
    a, p, n = (t.clone().requires_grad_(True) for t in _triplets(4))
    ours = L.TripletLoss(margin=2.0, swap=True)(a, p, n)
    ours.backward()
    ref = [t.detach().clone().requires_grad_(True) for t in (a, p, n)]
    torch.nn.TripletMarginLoss(margin=2.0, swap=True)(*ref).backward()
    for mine, theirs in zip((a, p, n), ref):
        torch.testing.assert_close(mine.grad, theirs.grad)
    assert L.TripletMarginLoss is L.TripletLoss and L.L1Loss is L.MAELoss


def _grad_or_zero(y, x):
    """dy/dx, or zeros where y has no graph (a derivative that is constant in x)."""
    if not y.requires_grad:
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(y, x, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


@pytest.mark.parametrize("reduction", ("mean", "none"))
@pytest.mark.parametrize("name, case", ALL)
def test_gradgradcheck_of_every_loss(name, case, reduction):
    """Second derivatives: autograd differentiates the analytic first derivative, so it is exact."""
    inputs = list(case.inputs(5))
    for i in case.differentiable:
        inputs[i] = inputs[i].clone().requires_grad_(True)
    loss = L.LOSSES[name]
    assert torch.autograd.gradgradcheck(lambda *xs: loss(*xs, **case.kwargs, reduction=reduction), tuple(inputs))
    # forward mode (jvp) too, and batched gradients (vmap over the backward pass)
    assert torch.autograd.gradcheck(lambda *xs: loss(*xs, **case.kwargs, reduction=reduction), tuple(inputs),
                                    check_forward_ad=True, check_batched_grad=True)


@pytest.mark.parametrize("name, case", ALL)
def test_hessian_and_hvp_equal_torchs(name, case):
    """torch.func.hessian, create_graph=True and Hessian-vector products through the analytic backward."""
    inputs = case.inputs(6)
    x = inputs[0]
    loss = L.LOSSES[name]
    ours = torch.func.hessian(lambda t: loss(t, *inputs[1:], **case.kwargs, reduction="mean"))(x)
    theirs = torch.func.hessian(lambda t: case.reference(t, *inputs[1:], **case.kwargs, reduction="mean"))(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-7, atol=1e-10)
    v = torch.randn(x.shape, generator=_gen(7), dtype=DOUBLE)
    leaf = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(leaf, *inputs[1:], **case.kwargs, reduction="mean"), leaf, create_graph=True)
    hvp = _grad_or_zero((g * v).sum(), leaf)  # mae, nll: piecewise linear, no second derivative
    torch.testing.assert_close(hvp, (theirs.reshape(x.numel(), x.numel()) @ v.reshape(-1)).reshape(x.shape),
                               rtol=1e-7, atol=1e-10)
    # per-sample gradients: vmap over torch.func.grad, as nbcourse.per_sample does
    rowwise = not any(isinstance(v, torch.Tensor) and v.dim() > 1 for v in case.kwargs.values())
    if len(inputs) == 2 and x.dim() == 2 and inputs[1].shape[:1] == x.shape[:1] and rowwise:
        rows = torch.func.vmap(torch.func.grad(lambda xi, yi: loss(xi[None], yi[None], **case.kwargs,
                                                                   reduction="sum")))(x, inputs[1])
        torch.testing.assert_close(rows, loss.grad(*inputs, **case.kwargs, reduction="sum"), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("name, case, weight_name", [
    ("bce", CASES["bce"][1], "weight"),
    ("bce_with_logits", CASES["bce_with_logits"][2], "pos_weight"),
    ("cross_entropy", CASES["cross_entropy"][5], "weight"),
    ("cross_entropy", CASES["cross_entropy"][9], "weight"),
    ("nll", CASES["nll"][2], "weight"),
], ids=["bce", "bce_with_logits-pos_weight", "ce-index-smoothing", "ce-prob-smoothing", "nll"])
def test_gradcheck_when_a_weight_requires_grad(name, case, weight_name):
    """Autograd then differentiates the formula itself: it must stay differentiable."""
    inputs = case.inputs(9)
    x = inputs[0].clone().requires_grad_(True)
    kwargs = dict(case.kwargs)
    w = kwargs.pop(weight_name).clone().requires_grad_(True)
    loss = L.LOSSES[name]
    assert torch.autograd.gradcheck(lambda x, w: loss(x, *inputs[1:], **kwargs, **{weight_name: w}), (x, w))


def test_a_weight_that_requires_grad_is_differentiated_by_autograd():
    z, y = _logits_binary(6)
    z = z.requires_grad_(True)
    w = _W43.clone().requires_grad_(True)
    L.bce_with_logits(z, y, w).backward()
    # torch's own losses refuse a weight that requires grad; d mean(w * l) / dw = l / n
    unweighted = F.binary_cross_entropy_with_logits(z.detach(), y, reduction="none")
    torch.testing.assert_close(w.grad, unweighted / unweighted.numel())
    torch.testing.assert_close(z.grad, L.bce_with_logits.grad(z.detach(), y, _W43))


# --------------------------------------------------------------------------------- softmax

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax_values_grads_and_jacobians(dim):
    z = torch.randn(3, 4, 2, generator=_gen(7), dtype=DOUBLE)
    g = torch.randn(3, 4, 2, generator=_gen(8), dtype=DOUBLE)
    torch.testing.assert_close(L.softmax(z, dim=dim), torch.softmax(z, dim))
    torch.testing.assert_close(L.log_softmax(z, dim=dim), torch.log_softmax(z, dim))
    for ours, theirs in ((L.softmax, torch.softmax), (L.log_softmax, torch.log_softmax)):
        leaf = z.clone().requires_grad_(True)
        (expected,) = torch.autograd.grad(theirs(leaf, dim), leaf, g)
        torch.testing.assert_close(ours.grad(z, g, dim=dim), expected)
        assert torch.autograd.gradcheck(lambda x: ours(x, dim=dim), (leaf,))
        assert torch.autograd.gradgradcheck(lambda x: ours(x, dim=dim), (leaf,))
        # Jacobian (..., C, C): row i is d out_i / dz
        row = z.select(-1, 0).select(0, 0) if dim == 1 else None
        if row is not None:
            full = torch.autograd.functional.jacobian(lambda r: theirs(r, 0), row)
            torch.testing.assert_close(ours.jacobian(z, dim=dim)[0, 0], full)
    assert L.softmax.jacobian(z, dim=1).shape == (3, 2, 4, 4)


def test_softmax_of_the_lecture_example_and_the_naive_failure():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stable = L.softmax([20, 134, 854])
        naive = L.naive_softmax([20, 134, 854])
        naive_np = L.naive_softmax(np.array([20.0, 134.0, 854.0]))
    assert isinstance(stable, np.ndarray) and stable.dtype == np.float64
    assert stable[0] == 0.0 and stable[2] == 1.0 and stable[1] == pytest.approx(2.0322308e-313, rel=1e-6)
    assert stable[1] > 0  # the denormal is kept
    assert naive[0] == 0 and naive[1] == 0 and np.isnan(naive[2]) and np.isnan(naive_np[2])
    assert L.naive_softmax([1.0, 2.0]) == pytest.approx(L.softmax([1.0, 2.0]))


def test_softmax_module_trains_through_its_own_backward():
    z = torch.randn(2, 3, dtype=DOUBLE, requires_grad=True)
    out = L.Softmax(dim=1)(z)
    assert type(out.grad_fn).__name__ == "SoftmaxFunctionBackward"
    assert type(L.LogSoftmax(dim=1)(z).grad_fn).__name__ == "LogSoftmaxFunctionBackward"
    assert "dim=1" in repr(L.Softmax(dim=1))


# --------------------------------------------------------------------------------- extremes

def test_log_cosh_of_a_huge_residual_is_finite():
    assert L.log_cosh(1000.0, 0.0) == pytest.approx(999.3068528194401, rel=1e-12)
    assert L.log_cosh(torch.tensor([1e4], dtype=torch.float32), torch.zeros(1)).item() == pytest.approx(
        1e4 - math.log(2))
    assert L.log_cosh.grad(torch.tensor([-1e4, 1e4]), torch.zeros(2), reduction="sum").tolist() == [-1, 1]


def test_bce_at_probabilities_zero_and_one_is_finite_like_torch():
    p = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=DOUBLE)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=DOUBLE)
    ours = L.bce(p, y, reduction="none")
    assert ours.tolist() == [100.0, 100.0, 0.0, 0.0]
    torch.testing.assert_close(ours, F.binary_cross_entropy(p, y, reduction="none"))
    leaf = p.clone().requires_grad_(True)
    F.binary_cross_entropy(leaf, y, reduction="sum").backward()
    grad = L.bce.grad(p, y, reduction="sum")
    assert torch.isfinite(grad).all()
    torch.testing.assert_close(grad, leaf.grad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_logits_of_1e4_are_stable_and_silent(dtype):
    z = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
    target = torch.tensor([1, 0])
    y = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = {
            "softmax": L.softmax(z), "log_softmax": L.log_softmax(z),
            "cross_entropy": L.cross_entropy(z, target, reduction="none"),
            "cross_entropy.grad": L.cross_entropy.grad(z, target),
            "bce_with_logits": L.bce_with_logits(z, y, reduction="none"),
            "bce_with_logits.grad": L.bce_with_logits.grad(z, y),
            "log_cosh": L.log_cosh(z, torch.zeros_like(z), reduction="none"),
            "huber": L.huber(z, torch.zeros_like(z)), "mse": L.mse(z, torch.zeros_like(z)),
        }
    for name, value in results.items():
        assert torch.isfinite(value).all(), name
    torch.testing.assert_close(results["cross_entropy"], F.cross_entropy(z, target, reduction="none"))
    torch.testing.assert_close(results["bce_with_logits"],
                               F.binary_cross_entropy_with_logits(z, y, reduction="none"))
    torch.testing.assert_close(results["cross_entropy"].to(DOUBLE),
                               torch.tensor([2e4, 2e4 + math.log(2)], dtype=DOUBLE))


@pytest.mark.parametrize("scale", [1.0, 10.0, 100.0])
def test_float32_agrees_with_torch_to_float32_precision(scale):
    g = _gen(11)
    z = scale * torch.randn(64, 10, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    soft = torch.rand(64, 10, generator=g).softmax(1)
    labels = (torch.rand(64, 10, generator=g) > 0.5).float()
    pairs = [
        (L.softmax(z, dim=1), torch.softmax(z, 1)),
        (L.log_softmax(z, dim=1), torch.log_softmax(z, 1)),
        (L.cross_entropy(z, y, reduction="none"), F.cross_entropy(z, y, reduction="none")),
        (L.cross_entropy(z, soft, reduction="none"), F.cross_entropy(z, soft, reduction="none")),
        (L.cross_entropy.grad(z, y), torch.softmax(z, 1).sub(F.one_hot(y, 10)).div(64)),
        (L.bce_with_logits(z, labels, reduction="none"),
         F.binary_cross_entropy_with_logits(z, labels, reduction="none")),
    ]
    for ours, theirs in pairs:
        assert ours.dtype == torch.float32
        torch.testing.assert_close(ours, theirs, rtol=2e-6 * max(1.0, scale / 10), atol=1e-6 * scale)


def test_contrastive_at_zero_distance_has_a_finite_zero_gradient():
    x = torch.ones(3, 4, dtype=DOUBLE, requires_grad=True)
    same = torch.tensor([0, 1, 0])
    loss = L.contrastive(x, x.detach().clone(), same, margin=2.0, reduction="none")
    assert loss.tolist() == [2.0, 0.0, 2.0]  # (1/2) max(0, 2 - 0)^2 for the dissimilar pairs
    loss.sum().backward()
    assert torch.equal(x.grad, torch.zeros(3, 4, dtype=DOUBLE))
    assert torch.equal(L.contrastive.grad(x.detach(), x.detach(), same), torch.zeros(3, 4, dtype=DOUBLE))


def test_empty_input_follows_torch():
    empty = torch.empty(0, dtype=DOUBLE)
    assert math.isnan(L.mse(empty, empty)) and L.mse(empty, empty, reduction="sum").item() == 0.0
    assert L.mse(empty, empty, reduction="none").shape == (0,)
    assert math.isnan(L.cross_entropy(torch.empty(0, 3), torch.empty(0, dtype=torch.long)))
    assert math.isnan(L.cross_entropy(torch.zeros(2, 3), torch.tensor([-100, -100])))  # all ignored


# ------------------------------------------------------------------------------- numpy / floats

def test_numpy_and_python_numbers_in_give_numpy_and_floats_out():
    assert isinstance(L.mse(np.array([1.0, 2.0]), np.array([1.0, 4.0])), np.ndarray)
    assert L.mse([1.0, 2.0], [1.0, 4.0]) == 2.0
    assert isinstance(L.mse(3.0, 1.0), float) and L.mse.grad(3.0, 1.0) == 4.0
    assert isinstance(L.huber.grad(np.zeros((2, 2)), np.ones((2, 2))), np.ndarray)
    assert L.cross_entropy(np.zeros((2, 4)), [0, 3]) == pytest.approx(math.log(4))
    assert L.cross_entropy.grad(np.zeros((1, 2)), np.array([1])).tolist() == [[0.5, -0.5]]
    assert L.softmax(np.zeros(4)).tolist() == [0.25] * 4
    # a float32 tensor against a float64 numpy target stays float32
    assert L.mse(torch.ones(2), np.zeros(2)).dtype == torch.float32


def test_cross_entropy_accepts_integer_one_hot_targets():
    z = torch.randn(4, 3, dtype=DOUBLE)
    y = torch.tensor([0, 2, 1, 1])
    torch.testing.assert_close(L.cross_entropy(z, F.one_hot(y, 3)), L.cross_entropy(z, y))
    # like torch, a negative ignore_index is accepted (and unused) with probability targets
    soft = torch.rand(4, 3, dtype=DOUBLE)
    torch.testing.assert_close(L.cross_entropy(z, soft, ignore_index=-1), F.cross_entropy(z, soft, ignore_index=-1))


def test_module_reprs_and_buffers():
    assert repr(L.HuberLoss(2.0)) == "HuberLoss(delta=2.0, reduction='mean')"
    assert "label_smoothing=0.1" in repr(L.CrossEntropyLoss(label_smoothing=0.1))
    assert "margin=3.0" in repr(L.ContrastiveLoss(3.0)) and "swap=True" in repr(L.TripletLoss(swap=True))
    module = L.CrossEntropyLoss(weight=_W5)
    assert "weight" in dict(module.named_buffers())
    assert module.to(torch.float32).weight.dtype == torch.float32


# --------------------------------------------------------------------------------- properties

_finite = st.floats(-1e4, 1e4, allow_nan=False, width=64)
_vectors = arrays(np.float64, st.integers(1, 8), elements=_finite)


@settings(max_examples=60, deadline=None)
@given(z=_vectors, shift=st.floats(-1e3, 1e3))
def test_softmax_sums_to_one_and_is_shift_invariant(z, shift):
    s = L.softmax(z)
    assert np.all(s >= 0) and s.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(L.softmax(z + shift), s, atol=1e-9)
    log_s = L.log_softmax(z)
    assert np.all(np.isfinite(log_s)) and np.all(log_s <= 0)
    representable = s > 1e-300
    np.testing.assert_allclose(np.log(s[representable]), log_s[representable], rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(z=arrays(np.float64, (3, 4), elements=_finite), y=arrays(np.int64, (3,), elements=st.integers(0, 3)))
def test_cross_entropy_with_one_hot_equals_with_indices(z, y):
    one_hot = np.eye(4)[y]
    indices = L.cross_entropy(z, y, reduction="none")
    np.testing.assert_allclose(L.cross_entropy(z, one_hot, reduction="none"), indices, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(L.cross_entropy.grad(z, one_hot), L.cross_entropy.grad(z, y), atol=1e-12)
    np.testing.assert_allclose(L.nll(L.log_softmax(z), y, reduction="none"), indices, rtol=1e-9, atol=1e-9)
    assert np.all(indices >= 0) and np.all(np.isfinite(indices))


@settings(max_examples=60, deadline=None)
@given(r=_vectors, delta=st.floats(0.01, 100))
def test_huber_lies_between_zero_and_half_mse_and_regression_losses_are_finite(r, delta):
    zeros = np.zeros_like(r)
    h = L.huber(r, zeros, delta, reduction="none")
    assert np.all(h >= 0) and np.all(h <= 0.5 * r**2 * (1 + 1e-12) + 1e-300)
    np.testing.assert_allclose(L.huber(r, zeros, delta, reduction="none"), L.huber(zeros, -r, delta, reduction="none"))
    assert np.all(np.abs(L.huber.grad(r, zeros, delta, reduction="none")) <= delta)
    lc = L.log_cosh(r, zeros, reduction="none")
    assert np.all(np.isfinite(lc)) and np.all(lc >= 0) and np.all(lc <= np.abs(r) + 1e-12)
    assert np.all(np.abs(L.log_cosh.grad(r, zeros, reduction="none")) <= 1)


@settings(max_examples=60, deadline=None)
@given(z=_vectors, data=st.data())
def test_bce_with_logits_equals_bce_of_sigmoid_where_representable(z, data):
    y = data.draw(arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    with_logits = L.bce_with_logits(z, y, reduction="none")
    assert np.all(np.isfinite(with_logits)) and np.all(with_logits >= 0)
    p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
    ok = np.abs(z) < 30
    np.testing.assert_allclose(L.bce(p, y, reduction="none")[ok], with_logits[ok], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(L.bce_with_logits.grad(z, y, reduction="none"), 0.5 + 0.5 * np.tanh(z / 2) - y, atol=1e-12)


# ------------------------------------------------------------------------------- bad input

X, Y = torch.zeros(8, 1), torch.zeros(8)
Z, T = torch.zeros(4, 10), torch.tensor([1, 2, 3, 10])

BAD = [
    ("mse-broadcast", lambda: L.mse(X, Y), ValueError,
     ["mse: input has shape (8, 1) but target has shape (8,); they would broadcast to (8, 8) silently. "
      "Did you mean input.squeeze(1)?"]),
    ("mae-shape", lambda: L.mae(torch.zeros(3), torch.zeros(4)), ValueError, ["mae:", "input", "target", "(3,)"]),
    ("huber-grad-shape", lambda: L.huber.grad(torch.zeros(3), torch.zeros(3, 1)), ValueError,
     ["huber.grad:", "target.squeeze(1)"]),
    ("log_cosh-scalar-target", lambda: L.log_cosh(torch.zeros(3), 0.0), ValueError, ["log_cosh:", "target", "()"]),
    ("reduction", lambda: L.mse(Y, Y, reduction="avg"), ValueError,
     ["mse: reduction='avg' is not one of 'mean', 'sum', 'none'"]),
    ("reduction-grad", lambda: L.cross_entropy.grad(Z, T % 10, reduction=None), ValueError,
     ["cross_entropy:", "reduction=None", "'mean'"]),
    ("reduction-module", lambda: L.MSELoss(reduction="elementwise_mean"), ValueError,
     ["MSELoss:", "reduction='elementwise_mean'"]),
    ("reduction-triplet", lambda: L.triplet(Z, Z, Z, reduction="max"), ValueError, ["triplet:", "'max'"]),
    ("huber-delta", lambda: L.huber(Y, Y, delta=0.0), ValueError, ["huber:", "delta", "> 0"]),
    ("huber-delta-string", lambda: L.huber(Y, Y, "sum"), TypeError, ["huber:", "delta", "'sum'", "keyword"]),
    ("ce-class-too-large", lambda: L.cross_entropy(Z, T), ValueError,
     ["cross_entropy: target holds class 10, but input has 10 classes (0..9). Did you mean target - 1?"]),
    ("ce-negative-class", lambda: L.cross_entropy(Z, torch.tensor([0, -1, 2, 3])), ValueError,
     ["cross_entropy:", "class -1", "0 to 9", "ignore_index"]),
    ("ce-float-indices", lambda: L.cross_entropy(Z, torch.tensor([0.0, 1.0, 2.0, 3.0])), ValueError,
     ["cross_entropy:", "target", "torch.float32", "integers", "target.long()", "(4, 10)"]),
    ("ce-target-shape", lambda: L.cross_entropy(Z, torch.zeros(4, 1, dtype=torch.long)), ValueError,
     ["cross_entropy:", "target has shape (4, 1)", "(4,)", "target.squeeze(1)"]),
    ("ce-scalar-logits", lambda: L.cross_entropy(torch.tensor(1.0), torch.tensor(0)), ValueError,
     ["cross_entropy:", "input", "class dimension"]),
    ("ce-weight", lambda: L.cross_entropy(Z, T % 10, torch.ones(9)), ValueError, ["cross_entropy:", "weight", "(10,)"]),
    ("ce-smoothing", lambda: L.cross_entropy(Z, T % 10, label_smoothing=1.5), ValueError,
     ["cross_entropy:", "label_smoothing", "1.5"]),
    ("ce-ignore-with-probabilities", lambda: L.cross_entropy(Z, torch.rand(4, 10), ignore_index=0), ValueError,
     ["cross_entropy:", "ignore_index=0", "probabilities"]),
    ("ce-grad-class", lambda: L.cross_entropy.grad(Z, T), ValueError, ["cross_entropy.grad:", "class 10"]),
    ("nll-class", lambda: L.nll(Z, T), ValueError, ["nll: target holds class 10", "target - 1"]),
    ("nll-probabilities", lambda: L.nll(Z, torch.rand(4, 10)), ValueError,
     ["nll:", "target has shape (4, 10)", "class indices", "cross_entropy"]),
    ("bce-input", lambda: L.bce(torch.tensor([0.5, 1.2]), torch.tensor([0.0, 1.0])), ValueError,
     ["bce: input must hold probabilities in [0, 1], got values from 0.5 to 1.2", "bce_with_logits"]),
    ("bce-nan", lambda: L.bce(torch.tensor([0.5, math.nan]), torch.tensor([0.0, 1.0])), ValueError,
     ["bce: input", "nan"]),
    ("bce-target", lambda: L.bce(torch.tensor([0.5, 0.2]), torch.tensor([0.0, 2.0])), ValueError,
     ["bce: target must hold probabilities in [0, 1]", "2"]),
    ("bce-grad-input", lambda: L.bce.grad(torch.tensor([-0.1]), torch.tensor([0.0])), ValueError,
     ["bce.grad: input"]),
    ("bce-weight", lambda: L.bce(torch.full((4, 3), 0.5), torch.zeros(4, 3), torch.ones(4)), ValueError,
     ["bce: weight has shape (4,)", "(4, 3)"]),
    ("bcel-target", lambda: L.bce_with_logits(torch.zeros(2), torch.tensor([-1.0, 1.0])), ValueError,
     ["bce_with_logits: target must hold probabilities in [0, 1], got values from -1 to 1", "Labels are 0 or 1"]),
    ("bcel-grad-target", lambda: L.bce_with_logits.grad(torch.zeros(3), torch.tensor([0.0, 1.0, 2.0])), ValueError,
     ["bce_with_logits.grad: target must hold probabilities in [0, 1]", "from 0 to 2"]),
    ("bce-reduction-positional", lambda: L.bce(torch.full((3,), 0.5), torch.ones(3), "sum"), TypeError,
     ["bce: argument 'weight' got str 'sum'", "reduction is keyword-only: write reduction='sum'"]),
    ("ce-reduction-positional", lambda: L.cross_entropy(Z, T % 10, "none"), TypeError,
     ["cross_entropy: argument 'weight' got str 'none'", "write reduction='none'"]),
    ("nll-reduction-positional", lambda: L.nll(Z, T % 10, "sum"), TypeError,
     ["nll: argument 'weight' got str 'sum'", "write reduction='sum'"]),
    ("bcel-pos-weight", lambda: L.bce_with_logits(torch.zeros(4, 3), torch.zeros(4, 3), pos_weight=torch.ones(2)),
     ValueError, ["bce_with_logits: pos_weight has shape (2,)"]),
    ("contrastive-same", lambda: L.contrastive(Z, Z, torch.tensor([0, 1, 2, 1])), ValueError,
     ["contrastive: same must hold 1", "0", "got 2"]),
    ("contrastive-same-shape", lambda: L.contrastive(Z, Z, torch.ones(4, 1)), ValueError,
     ["contrastive: same has shape (4, 1)", "(4,)", "same.squeeze(1)"]),
    ("contrastive-x2", lambda: L.contrastive(Z, torch.zeros(4, 9), torch.ones(4)), ValueError,
     ["contrastive: x1 has shape (4, 10) but x2 has shape (4, 9)"]),
    ("contrastive-margin", lambda: L.contrastive(Z, Z, torch.ones(4), margin=-1.0), ValueError,
     ["contrastive: margin", "-1.0"]),
    ("triplet-shape", lambda: L.triplet(Z, Z, torch.zeros(4, 9)), ValueError,
     ["triplet: negative has shape (4, 9) but anchor has shape (4, 10)"]),
    ("softmax-dim", lambda: L.softmax(Z, dim=2), ValueError, ["softmax: dim=2 is out of range", "[-2, 1]"]),
    ("jacobian-scalar", lambda: L.softmax.jacobian(torch.tensor(1.0)), ValueError,
     ["softmax.jacobian: z must have at least one dimension"]),
    ("softmax-grad-shape", lambda: L.softmax.grad(Z, torch.zeros(10)), ValueError,
     ["softmax.grad: grad_output has shape (10,) but z has shape (4, 10)"]),
    ("not-a-number", lambda: L.mse("abc", Y), TypeError, ["mse", "input", "'abc'"]),
    ("string-array", lambda: L.mse(np.array(["a"]), Y), TypeError, ["mse", "input", "numpy array"]),
]


@pytest.mark.parametrize("call, error, parts", [pytest.param(*b[1:], id=b[0]) for b in BAD])
def test_bad_input_raises_a_clear_error(call, error, parts):
    with pytest.raises(error) as info:
        call()
    for part in parts:
        assert part in str(info.value), (part, str(info.value))


# ------------------------------------------------------------------------- half precision

HALF = [torch.float16, torch.bfloat16]
# within the dtype's tolerance: a few units in the last place of the result (float16 has 11 bits,
# bfloat16 8), and the rounding of the inputs themselves
HALF_TOL = {torch.float16: dict(rtol=2e-3, atol=2e-3), torch.bfloat16: dict(rtol=1.6e-2, atol=1.6e-2)}


def _half_inputs(case, dtype, scale):
    """The case's inputs, scaled towards the dtype's range and rounded to the dtype (indices kept)."""
    inputs = []
    for i, t in enumerate(case.inputs(12)):
        if t.is_floating_point() and i in case.differentiable and case.reference not in (
                F.binary_cross_entropy,) and not (i == 1 and case.reference is F.binary_cross_entropy_with_logits):
            t = t * scale
        inputs.append(t.to(dtype) if t.is_floating_point() else t)
    kwargs = {k: v.to(dtype) if isinstance(v, torch.Tensor) else v for k, v in case.kwargs.items()}
    return inputs, kwargs


def _stable_log_cosh(x, y, reduction="mean"):
    r = x - y
    return _reduce(torch.logaddexp(r, -r) - math.log(2), reduction)


@pytest.mark.parametrize("scale", [1.0, 100.0])
@pytest.mark.parametrize("dtype", HALF, ids=str)
@pytest.mark.parametrize("name, case", ALL)
def test_half_precision_agrees_with_torch(name, case, dtype, scale):
    """float16/bfloat16 in: the dtype out, torch's value and gradient within the dtype's tolerance, no
    nan or inf where torch has none."""
    inputs, kwargs = _half_inputs(case, dtype, scale)
    loss = L.LOSSES[name]
    for reduction in ("mean", "none"):
        x = inputs[0].clone().requires_grad_(True)
        ours = loss(x, *inputs[1:], **kwargs, reduction=reduction)
        assert ours.dtype == dtype
        (g,) = torch.autograd.grad(ours.float().sum(), x)
        assert g.dtype == dtype
        # torch's reference in float32 on the same (rounded) inputs: what a correctly rounded half result is
        x32 = inputs[0].float().requires_grad_(True)
        reference = _stable_log_cosh if name == "log_cosh" else case.reference  # log(cosh(100)) overflows
        theirs = reference(x32, *(t.float() if t.is_floating_point() else t for t in inputs[1:]),
                                **{k: v.float() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()},
                                reduction=reduction)
        (expected,) = torch.autograd.grad(theirs.sum(), x32)
        tol = {k: v * max(1.0, float(theirs.detach().abs().max())) if k == "atol" else v for k, v in HALF_TOL[dtype].items()}
        torch.testing.assert_close(ours.float(), theirs.to(dtype).float(), **tol)
        torch.testing.assert_close(g.float(), expected.to(dtype).float(), **HALF_TOL[dtype])
        assert torch.isfinite(ours).all() == torch.isfinite(theirs.to(dtype)).all()
        torch.testing.assert_close(loss.grad(*inputs, **kwargs, reduction=reduction).float(), g.float(),
                                   **HALF_TOL[dtype])


@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_half_precision_over_the_whole_finite_range(dtype):
    """Logits at the dtype's largest finite values: finite where torch is, equal to torch's."""
    big = torch.finfo(dtype).max
    z = torch.tensor([[big, -big, 0.0], [-big, big, big], [1.0, -1.0, 0.5]], dtype=dtype)
    y = torch.tensor([1, 0, 2])
    p = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.5, 0.5, 0.5]], dtype=dtype)
    pairs = {
        "cross_entropy": (L.cross_entropy, F.cross_entropy, (z, y)),
        "bce_with_logits": (L.bce_with_logits, F.binary_cross_entropy_with_logits, (z, p)),
        "huber": (L.huber, F.huber_loss, (z, z.flip(0))),
        "mae": (L.mae, F.l1_loss, (z, z.flip(0))),
        "log_cosh": (L.log_cosh, _stable_log_cosh, (z, torch.zeros_like(z))),
    }
    for name, (ours, theirs, args) in pairs.items():
        x = args[0].clone().requires_grad_(True)
        value = ours(x, *args[1:], reduction="none")
        (g,) = torch.autograd.grad(value.float().sum(), x)
        reference = theirs(args[0].float(), *(a.float() if a.is_floating_point() else a for a in args[1:]),
                           reduction="none").to(dtype)
        assert value.dtype == dtype and (torch.isfinite(value) == torch.isfinite(reference)).all(), name
        assert torch.isfinite(g).all(), name
        ok = torch.isfinite(reference)
        torch.testing.assert_close(value[ok].float(), reference[ok].float(), **HALF_TOL[dtype])
    s = L.softmax(z, dim=1)
    assert s.dtype == dtype and torch.isfinite(s).all()
    torch.testing.assert_close(s.float(), torch.softmax(z.float(), 1).to(dtype).float(), **HALF_TOL[dtype])
    torch.testing.assert_close(L.log_softmax(z, dim=1).float(), torch.log_softmax(z.float(), 1).to(dtype).float(),
                               **HALF_TOL[dtype])


@pytest.mark.parametrize("name, case", ALL)
def test_under_cpu_autocast_the_loss_is_float32_like_torchs(name, case):
    """torch.autocast: a bfloat16 network, the loss in float32 (autocast's rule for losses)."""
    inputs = case.inputs(13)
    loss = L.LOSSES[name]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        layer = torch.nn.Linear(inputs[0].shape[-1], inputs[0].shape[-1])
        x = layer(inputs[0].float()) if case.reference is not F.binary_cross_entropy else None
        if x is None:  # probabilities: a sigmoid of the layer's output
            x = torch.sigmoid(layer(inputs[0].float()))
        assert x.dtype == torch.bfloat16
        rest = [t.to(torch.bfloat16) if t.is_floating_point() else t for t in inputs[1:]]
        kwargs = {k: v.float() if isinstance(v, torch.Tensor) else v for k, v in case.kwargs.items()}
        ours = loss(x, *rest, **kwargs)
        theirs = case.reference(x, *rest, **kwargs) if name not in ("log_cosh", "contrastive") else None
        ours.backward()
    assert ours.dtype == torch.float32
    if theirs is not None:
        assert theirs.dtype == torch.float32
        torch.testing.assert_close(ours, theirs, rtol=1e-3, atol=1e-3)
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())


# ------------------------------------------------------------------------------ torch's edges

@pytest.mark.parametrize("name, case", ALL)
def test_empty_batches_follow_torch(name, case):
    inputs = case.inputs(14)
    empty = [t[:0] if t.dim() else t for t in inputs]
    if empty[0].dim() == 1 and case.reference in (F.cross_entropy, F.nll_loss):  # (C,): a sample, never empty
        return
    kwargs = {k: v[:0] if isinstance(v, torch.Tensor) and v.dim() > 1 else v for k, v in case.kwargs.items()}
    loss = L.LOSSES[name]
    for reduction in REDUCTIONS:
        x = empty[0].clone().requires_grad_(True)
        ours = loss(x, *empty[1:], **kwargs, reduction=reduction)
        theirs = case.reference(empty[0], *empty[1:], **kwargs, reduction=reduction)
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, equal_nan=True)
        (g,) = torch.autograd.grad(ours.sum(), x)
        assert g.shape == x.shape and g.numel() == 0
        assert loss.grad(*empty, **kwargs, reduction=reduction).shape == x.shape


@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weight", [None, _W5], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", ["cross_entropy", "nll"])
def test_all_ignored_batches_give_torchs_value_and_a_zero_gradient(name, weight, label_smoothing):
    if name == "nll" and label_smoothing:
        return
    z = torch.randn(4, 5, 2, dtype=DOUBLE, generator=_gen(15))
    target = torch.full((4, 2), -1)
    kwargs = dict(weight=weight, ignore_index=-1, **({"label_smoothing": label_smoothing} if label_smoothing else {}))
    reference = F.cross_entropy if name == "cross_entropy" else F.nll_loss
    for reduction in REDUCTIONS:
        x = z.clone().requires_grad_(True)
        ours = L.LOSSES[name](x, target, **kwargs, reduction=reduction)
        leaf = z.clone().requires_grad_(True)
        theirs = reference(leaf, target, **kwargs, reduction=reduction)
        torch.testing.assert_close(ours, theirs, equal_nan=True)
        ours.sum().backward()
        theirs.sum().backward()
        assert torch.equal(x.grad, torch.zeros_like(z)) and torch.equal(leaf.grad, torch.zeros_like(z))
        assert torch.equal(L.LOSSES[name].grad(z, target, **kwargs, reduction=reduction), torch.zeros_like(z))
    # some ignored: label smoothing leaves the ignored samples out of the value, the mean and the gradient
    target[0, 0], target[2, 1] = 3, 0
    x = z.clone().requires_grad_(True)
    leaf = z.clone().requires_grad_(True)
    L.LOSSES[name](x, target, **kwargs).backward()
    reference(leaf, target, **kwargs).backward()
    torch.testing.assert_close(x.grad, leaf.grad)
    assert torch.equal(x.grad[1], torch.zeros_like(z[1]))


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "log_cosh", "bce", "bce_with_logits"])
def test_zero_d_inputs_keep_their_shape(name):
    loss = L.LOSSES[name]
    x, y = torch.tensor(0.3, dtype=DOUBLE), torch.tensor(1.0, dtype=DOUBLE)
    for reduction in REDUCTIONS:
        assert loss(x, y, reduction=reduction).shape == ()
        assert loss.grad(x, y, reduction=reduction).shape == ()
    out = loss(np.array(0.3), np.array(1.0), reduction="none")
    assert isinstance(out, np.ndarray) and out.shape == ()
    assert isinstance(loss.grad(np.array(0.3), np.array(1.0)), np.ndarray) and loss.grad(np.array(0.3), 1.0).shape == ()
    assert isinstance(loss(0.3, 1.0), float) and isinstance(loss.grad(0.3, 1.0), float)
    assert isinstance(loss(np.float32(0.3), 1.0), float)


def test_softmax_of_empty_and_zero_d_input():
    for shape, dim in (((0,), -1), ((2, 0), -1), ((0, 3), -1), ((0, 3), 0)):
        z = torch.empty(shape, dtype=DOUBLE, requires_grad=True)
        for ours, theirs in ((L.softmax, torch.softmax), (L.log_softmax, torch.log_softmax)):
            out = ours(z, dim=dim)
            assert out.shape == theirs(z, dim).shape == shape
            out.sum().backward()
            assert ours.grad(z.detach(), torch.empty(shape, dtype=DOUBLE), dim=dim).shape == shape
    assert L.softmax(torch.tensor(3.0)).item() == 1.0 and L.softmax(torch.tensor(3.0)).shape == ()
    assert L.softmax(np.array(3.0)).shape == () and L.log_softmax(2.0) == 0.0


@pytest.mark.parametrize("bad", ["0.5", ["0.5", "1"], np.array(["1.0"]), [1.0, "2"]])
def test_strings_are_refused_never_parsed(bad):
    for call in (lambda: L.mse(bad, [0.5]), lambda: L.mse([0.5], bad), lambda: L.softmax(bad),
                 lambda: L.cross_entropy(np.zeros((1, 2)), bad)):
        with pytest.raises(TypeError, match=r"(input|target|z)"):
            call()
    with pytest.raises(TypeError, match="huber: delta must be a finite number, got str '0.5'"):
        L.huber([1.0], [0.0], delta="0.5")
    with pytest.raises(TypeError, match="cross_entropy: ignore_index must be an integer, got str"):
        L.cross_entropy(np.zeros((1, 2)), [0], ignore_index="-100")
    with pytest.raises(TypeError, match="CrossEntropyLoss: label_smoothing must be a finite number"):
        L.CrossEntropyLoss(label_smoothing="0.1")


def test_bad_call_names_the_function_and_its_signature():
    with pytest.raises(TypeError, match=r"mse: missing a required argument: 'target'; the signature is mse\(input"):
        L.mse(torch.zeros(2))
    with pytest.raises(TypeError, match=r"HuberLoss: got an unexpected keyword argument 'margin'"):
        L.HuberLoss(margin=1.0)


# ------------------------------------------------------------------- the declared targets

def test_every_loss_module_declares_its_targets():
    expected = {"mse": ("values",), "mae": ("values",), "huber": ("values",), "log_cosh": ("values",),
                "bce": ("probabilities",), "bce_with_logits": ("probabilities",),
                "cross_entropy": ("classes", "probabilities"), "nll": ("classes",), "contrastive": ("pairs",),
                "triplet": ("triplets",)}
    assert set(expected) == set(L.LOSSES)
    for name, loss in L.LOSSES.items():
        module = loss.module
        assert module.targets == loss.targets == expected[name]
        assert set(module.targets) <= set(L.TARGET_KINDS)
        assert module().targets == expected[name]
        assert hasattr(module, "ignore_index") == (name in ("cross_entropy", "nll"))
    assert L.CrossEntropyLoss.ignore_index == -100 and L.NLLLoss(ignore_index=3).ignore_index == 3
    assert L.CrossEntropyLoss(ignore_index=-1).ignore_index == -1
    assert L.L1Loss.targets == ("values",) and L.TripletMarginLoss.targets == ("triplets",)


def test_a_new_loss_is_one_declaration():
    """The mechanism derives the function, .grad, the Function and the module from one block."""
    registry = {}

    @L.loss(module="QuarticLoss", targets=("values",), options={"scale": L.Option(1.0, L._positive)},
            registry=registry)
    class quartic:
        r"""Quartic loss: :math:`\ell_i = s (\hat y_i - y_i)^4`.

        Examples::

            >>> quartic(torch.tensor([2.0]), torch.tensor([0.0]))
            tensor(16.)
        """
        grad_doc = r"""Derivative: :math:`4 s r^3`. Examples:: (see above)"""

        def prepare(where, input, target, scale):
            x, y, kind = L._elementwise_pair(where, input, target)
            return [x, y], kind, {"scale": scale}

        def terms(input, target, *, scale):
            r = input - target
            return scale * r**4, input.numel(), (r,)

        def vjp(input, target, upstream, cache, need_target, *, scale):
            r = input - target if cache is None else cache[0]
            grad = 4 * scale * r**3 * upstream
            return grad, -grad if need_target else None

    assert registry == {"quartic": quartic} and "quartic" not in L.LOSSES
    x = torch.randn(5, dtype=DOUBLE, requires_grad=True)
    y = torch.randn(5, dtype=DOUBLE)
    assert torch.autograd.gradgradcheck(lambda t: quartic(t, y, scale=2.0), (x,))
    torch.testing.assert_close(quartic.grad(x.detach(), y, 2.0), 8 * (x.detach() - y) ** 3 / 5)
    module = quartic.module(scale=3.0)
    assert repr(module) == "QuarticLoss(scale=3.0, reduction='mean')" and module.targets == ("values",)
    assert type(module(x, y).grad_fn).__name__ == "QuarticLossFunctionBackward"
    with pytest.raises(ValueError, match="quartic: scale must be > 0"):
        quartic(x, y, scale=0.0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name, case", ALL)
def test_cuda_autocast_float16_like_torch(name, case):
    """The same code path on the GPU: under torch.autocast('cuda', float16) the loss is float32."""
    inputs = [t.cuda() for t in case.inputs(16)]
    kwargs = {k: v.cuda() if isinstance(v, torch.Tensor) else v for k, v in case.kwargs.items()}
    loss = L.LOSSES[name]
    layer = torch.nn.Linear(inputs[0].shape[-1], inputs[0].shape[-1]).cuda()
    with torch.autocast("cuda", dtype=torch.float16):
        x = layer(inputs[0].float())
        if case.reference is F.binary_cross_entropy:
            x = torch.sigmoid(x.float()).half()
        rest = [t.half() if t.is_floating_point() else t for t in inputs[1:]]
        ours = loss(x, *rest, **kwargs)
        theirs = case.reference(x, *rest, **kwargs) if name not in ("log_cosh", "contrastive", "bce") else None
    assert ours.dtype == torch.float32 and ours.device.type == "cuda"
    if theirs is not None:
        torch.testing.assert_close(ours, theirs.float(), rtol=2e-3, atol=2e-3)
    ours.backward()
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())
