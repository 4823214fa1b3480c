r"""Exercises of the chapter *Activation functions* (page ``book/activations/at-a-glance``).

=====================================  ==========================  ======  ============================
exercise                               the student writes          points  checked against
=====================================  ==========================  ======  ============================
``activations/sigmoid-grad``           ``sigmoid_grad_from_value``  1      ``sigmoid.grad`` and autograd
``activations/tanh-via-sigmoid``       ``tanh_via_sigmoid``         2      ``tanh`` (no ``tanh`` allowed)
``activations/swish``                  ``my_swish``                 1      ``swish``
``activations/swish-grad``             ``my_swish_grad``            2      ``swish.grad`` and autograd
=====================================  ==========================  ======  ============================

Every exercise is checked on zero, moderate values, the extremes :math:`\pm 50` and
:math:`\pm 1000` (where the naive formulas overflow), in float32 and float64 numpy arrays and
Python numbers; the sigmoid exercise also on a torch tensor.

The formulas, from the lecture:

.. math::
    \sigma'(z) = \sigma(z)\,(1 - \sigma(z)), \qquad
    \tanh(z) = 2\sigma(2z) - 1, \qquad
    S(z) = z\,\sigma(\beta z), \qquad
    S'(z) = \beta S(z) + \sigma(\beta z)\,(1 - \beta S(z)).
"""

from __future__ import annotations

import numpy as np
import torch

from nbcourse.exercises import Case, FunctionExercise, register

PAGE = "activations/at-a-glance"

# z from zero to the extremes, both signs; float32 and float64 see the same points
_Z = np.array([0.0, 1e-3, -1e-3, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 10.0, -10.0, 50.0, -50.0, 1e3, -1e3])


def _logit(s):
    """The z with sigmoid(z) = s, in float64 (s = 0 and 1 give -inf and inf)."""
    s = np.asarray(s, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(s) - np.log1p(-s)


def _sigmoid64(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))


def _sigmoid_grad_cases():
    cases = []
    for dtype in (np.float64, np.float32):
        s = _sigmoid64(_Z).astype(dtype)
        cases.append(Case(args=(s,), reference_args=(_logit(s),),
                          label=f"s = sigmoid(z) for z from -1000 to 1000, {np.dtype(dtype).name}"))
    cases.append(Case(args=(0.5,), reference_args=(0.0,), label="a Python number: s = 0.5 (z = 0)"))
    cases.append(Case(args=(np.array([0.0, 1.0]),), reference_args=(np.array([-np.inf, np.inf]),),
                      label="the ends s = 0 and s = 1", hint="At the ends the sigmoid is flat: the derivative is 0."))
    s = torch.tensor(_sigmoid64(np.linspace(-6.0, 6.0, 7)), dtype=torch.float64)
    cases.append(Case(args=(s,), reference_args=(_logit(s.numpy()),), label="a torch float64 tensor"))
    return cases


def _sigmoid_grad_reference(z):
    from nbcourse.activations import sigmoid

    return sigmoid.grad(z)


register(FunctionExercise(
    name="activations/sigmoid-grad",
    answer="sigmoid_grad_from_value",
    title="The sigmoid's derivative from its value",
    points=1,
    cases=_sigmoid_grad_cases,
    reference=_sigmoid_grad_reference,
    derivative_of=torch.sigmoid,
    arg_names=("s",),
    inputs="s = sigmoid(z) for z from -1000 to 1000 in float32 and float64, the ends s = 0 and 1, "
           "a Python number and a torch tensor",
    hint="sigma'(z) = sigma(z) (1 - sigma(z)), and s is sigma(z): the answer needs s only, no exp.",
    notebook=PAGE,
))


def _z_cases(*, betas=()):
    cases = []
    for dtype in (np.float64, np.float32):
        z = _Z.astype(dtype)
        name = np.dtype(dtype).name
        if not betas:
            cases.append(Case(args=(z,), label=f"z from -1000 to 1000, {name}"))
        for beta in betas:
            kwargs = {} if beta is None else {"beta": beta}
            what = "the default beta" if beta is None else f"beta = {beta:g}"
            cases.append(Case(args=(z,), kwargs=kwargs, label=f"z from -1000 to 1000, {name}, {what}"))
    grid = np.linspace(-4.0, 4.0, 6).reshape(2, 3)
    cases.append(Case(args=(grid,), kwargs={} if not betas else {"beta": 1.0}, label="a 2-d array",
                      hint="Work elementwise: the output has the input's shape."))
    cases.append(Case(args=(0.0,), kwargs={} if not betas else {"beta": 1.0}, label="a Python number, z = 0"))
    cases.append(Case(args=(1e3,), kwargs={} if not betas else {"beta": 1.0}, label="a Python number, z = 1000",
                      hint="exp(1000) overflows to inf: arrange the formula so that exp only sees -|z|, "
                           "or use nbcourse.activations.sigmoid, which is stable."))
    return cases


def _tanh_reference(z):
    from nbcourse.activations import tanh

    return tanh(z)


register(FunctionExercise(
    name="activations/tanh-via-sigmoid",
    answer="tanh_via_sigmoid",
    title="tanh written with the sigmoid",
    points=2,
    cases=_z_cases,
    reference=_tanh_reference,
    forbidden=("tanh", "sinh", "cosh"),
    inputs="z from -1000 to 1000 in float32 and float64, a 2-d array and Python numbers",
    hint="The lecture shows tanh(z) = 2 sigma(2z) - 1; use a sigmoid that is stable for large |z|, "
         "such as nbcourse.activations.sigmoid.",
    notebook=PAGE,
))


_BETAS = (None, 0.5, 2.0, 0.0)


def _swish_reference(z, beta=1.0):
    from nbcourse.activations import swish

    return swish(z, beta=beta)


def _swish_grad_reference(z, beta=1.0):
    from nbcourse.activations import swish

    return swish.grad(z, beta=beta)


def _swish_torch(z, beta=1.0):
    return z * torch.sigmoid(beta * z)


register(FunctionExercise(
    name="activations/swish",
    answer="my_swish",
    title="Swish, written from its formula",
    points=1,
    cases=lambda: _z_cases(betas=_BETAS),
    reference=_swish_reference,
    forbidden=("swish", "silu"),
    inputs="z from -1000 to 1000 in float32 and float64 with beta = 1 (the default), 0.5, 2 and 0, "
           "a 2-d array and Python numbers",
    hint="S(z) = z sigma(beta z); the default beta is 1. A stable sigmoid keeps z = -1000 from overflowing.",
    notebook=PAGE,
))

register(FunctionExercise(
    name="activations/swish-grad",
    answer="my_swish_grad",
    title="Swish's derivative",
    points=2,
    cases=lambda: _z_cases(betas=_BETAS),
    reference=_swish_grad_reference,
    derivative_of=_swish_torch,
    forbidden=("swish", "silu", "autograd", "backward"),
    inputs="z from -1000 to 1000 in float32 and float64 with beta = 1 (the default), 0.5, 2 and 0, "
           "a 2-d array and Python numbers",
    hint="The lecture's formula: S'(z) = beta S(z) + sigma(beta z) (1 - beta S(z)), with S(z) = z sigma(beta z).",
    notebook=PAGE,
))
