r"""Exercises of the page *Generative adversarial networks* (``book/architectures/gan.ipynb``).

=======================================  ===========================  ======  ==============================================
exercise                                 the student gives            points  checked against
=======================================  ===========================  ======  ==============================================
``architectures/gan-optimal-d``          ``optimal_discriminator``     2      :math:`D^*` maximising :math:`V` pointwise
``architectures/gan-equilibrium``        ``equilibrium_prediction``    1      the losses and outputs at :math:`p_g = p_{data}`
``architectures/gan-generator-grads``    ``generator_logit_grads``     2      the two losses' gradients, and autograd
``architectures/gan-find-the-bugs``      ``gan_bug_lines``             2      the three wrong lines of :data:`BUGGY_LOOP`
=======================================  ===========================  ======  ==============================================

The facts they rest on (Goodfellow et al., 2014): for a fixed generator the discriminator that
maximises :math:`V(D, G) = \mathbb{E}_{p_{data}} \log D + \mathbb{E}_{p_g} \log(1 - D)` is

.. math::
    D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)},

and with :math:`\ell` the discriminator's logit, :math:`\partial_\ell \log(1 - \sigma(\ell)) = -\sigma(\ell)`
while :math:`\partial_\ell [-\log \sigma(\ell)] = \sigma(\ell) - 1`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/gan"

# ------------------------------------------------------------------------- 1. the optimal discriminator


def _optimal_d_cases():
    from nbcourse.data.mixtures import ring

    data, model = ring(4, radius=1.0, std=0.3), ring(4, radius=1.5, std=0.5)
    xs = torch.linspace(-2.5, 2.5, 9, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, xs, indexing="ij")
    points = torch.stack([X.flatten(), Y.flatten()], 1)
    p_data, p_g = data.log_density(points).exp().numpy(), model.log_density(points).exp().numpy()
    return [
        Case(args=(np.array([1.0, 2.0, 0.5]), np.array([1.0, 1.0, 1.5])), label="three points with densities given",
             hint="Where the two densities are equal, the best D cannot tell: what probability is that?"),
        Case(args=(p_data, p_g), label="two 4-mode rings on a 9x9 grid of the plane"),
        Case(args=(np.array([0.3, 0.0]), np.array([0.0, 0.7])),
             label="a point only the data reaches and one only the generator reaches",
             hint="Where p_g = 0 a sample can only be real: D* = 1 there; where p_data = 0, D* = 0."),
        Case(args=(np.array([2.0, 3.0], dtype=np.float32), np.array([6.0, 1.0], dtype=np.float32)),
             label="float32 densities"),
    ]


def _optimal_d_reference(p_data, p_g):
    p_data, p_g = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
    return p_data / (p_data + p_g)


register(FunctionExercise(
    name="architectures/gan-optimal-d",
    answer="optimal_discriminator",
    title="The optimal discriminator",
    points=2,
    cases=_optimal_d_cases,
    reference=_optimal_d_reference,
    arg_names=("p_data", "p_g"),
    inputs="densities at single points, on a grid of the plane for two rings, where one density is 0, float32",
    hint="V(D, G) is an integral over x of p_data(x) log D(x) + p_g(x) log(1 - D(x)). Maximise the integrand "
         "for each x: set the derivative of a log D + b log(1 - D) with respect to D to zero.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. the equilibrium

_EQUILIBRIUM = {"d_loss": math.log(4), "g_loss": math.log(2), "d_real": 0.5, "d_fake": 0.5}
_EQUILIBRIUM_WHAT = {
    "d_loss": "L_D = BCE(l(x), 1) + BCE(l(G(z)), 0), the discriminator's loss",
    "g_loss": "L_G = -log D(G(z)), the non-saturating generator's loss",
    "d_real": "the mean D(x) on real samples",
    "d_fake": "the mean D(G(z)) on generated samples",
}


def _equilibrium_measure(answer, *, seed):
    if not isinstance(answer, dict):
        return {"error": f"expected a dict with keys {sorted(_EQUILIBRIUM)}, got {type(answer).__name__}"}
    values = {}
    for key in _EQUILIBRIUM:
        if key not in answer:
            return {"error": f"no value for {key!r} ({_EQUILIBRIUM_WHAT[key]}); give all of {sorted(_EQUILIBRIUM)}"}
        try:
            values[key] = float(answer[key])
        except (TypeError, ValueError):
            return {"error": f"{key!r}: expected a number, got {answer[key]!r}"}
    return {"values": values}


def _equilibrium_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    v = measured["values"]
    for key in ("d_real", "d_fake"):
        if abs(v[key] - 0.5) > 0.02:
            return False, (f"{key} = {v[key]:g}: when p_g = p_data, D*(x) = p_data / (p_data + p_g) at every x; "
                           "what is that ratio when the two densities are equal?")
    if abs(v["d_loss"] - math.log(2)) < 0.02:
        return False, (f"d_loss = {v['d_loss']:.3f} is the cross-entropy of one batch with D = 1/2; L_D adds the "
                       "real batch's and the fake batch's")
    if abs(v["d_loss"]) < 0.05:
        return False, "d_loss = 0 is a discriminator that is always right; at the equilibrium it cannot be"
    if abs(v["d_loss"] - math.log(4)) > 0.02:
        return False, (f"d_loss = {v['d_loss']:g}: compute BCE with D = 1/2 for a real sample (label 1) and for a "
                       "fake one (label 0), and add them")
    if abs(v["g_loss"] - math.log(2)) > 0.02:
        return False, (f"g_loss = {v['g_loss']:g}: the generator's loss is -log D(G(z)); put in the D(G(z)) you "
                       "predicted")
    return True, (f"right: D = 1/2 on everything, L_D = log 4 = {math.log(4):.3f} and L_G = log 2 = {math.log(2):.3f}; "
                  "the losses alone cannot tell this from a generator and a discriminator that are both poor")


register(BehaviourExercise(
    name="architectures/gan-equilibrium",
    answer="equilibrium_prediction",
    title="The losses at the equilibrium",
    points=1,
    measure=_equilibrium_measure,
    judge=_equilibrium_judge,
    answer_is_data=True,
    seed=0,
    hint="At the equilibrium the generator's distribution equals the data's. Start from the optimal discriminator.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. the generator's gradients


def _grads_cases():
    return [
        Case(args=(0.01,), label="D(G(z)) = 0.01: the discriminator rejects the fakes",
             hint="Differentiate with respect to the logit l, with D = sigma(l) and sigma'(l) = sigma(l)(1 - sigma(l))."),
        Case(args=(0.5,), label="D(G(z)) = 0.5"),
        Case(args=(np.array([1e-6, 0.1, 0.9, 0.999999]),), label="an array of D values from 1e-6 to 1 - 1e-6",
             hint="Work elementwise; write the result with D alone, not with log or 1/D, so it stays finite."),
    ]


def _grads_reference(d):
    d = np.asarray(d, dtype=np.float64)
    return (-d, d - 1.0)


register(FunctionExercise(
    name="architectures/gan-generator-grads",
    answer="generator_logit_grads",
    title="Why the saturating generator loss stalls",
    points=2,
    cases=_grads_cases,
    reference=_grads_reference,
    forbidden=("autograd", "backward", "grad", "bce_with_logits", "generator_loss"),
    arg_names=("d",),
    inputs="D(G(z)) = 0.01 and 0.5, and an array from 1e-6 to 1 - 1e-6",
    hint="Return (d/dl log(1 - sigma(l)), d/dl [-log sigma(l)]) at sigma(l) = d: the saturating loss first.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 4. find the bugs

#: The loop of the find-the-bugs exercise, as the page prints it (line numbers from 1).
BUGGY_LOOP = """\
for step in range(steps):
    real = mixture.sample(128, generator=g)
    fake = G(torch.randn(128, 2, generator=g))
    d_loss = (bce_with_logits(D(real), torch.ones(128))
              + bce_with_logits(D(fake), torch.zeros(128)))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = bce_with_logits(D(fake), torch.zeros(128))
    opt_g.zero_grad()
    g_loss.backward()
    opt_d.step()"""

_BUGS = {
    5: "line 5 sends `fake` into D with G's graph attached: d_loss.backward() runs through G and frees its graph, "
       "so line 11 cannot reach G any more",
    9: "line 9: which label does the generator want D to give its fakes? With this one it helps D",
    12: "line 12: which network did lines 9-11 compute gradients for, and which optimizer steps here?",
}
_NOT_BUGS = {
    1: "line 1 only counts the steps",
    2: "line 2 draws a fresh real batch each step, which is right",
    3: "line 3 may compute `fake` with G's graph: the generator step needs that graph. Where must it not be used "
       "with it?",
    4: "line 4 is right: real samples have label 1",
    6: "line 6 clears D's gradients before its backward, as it should",
    7: "line 7 is the discriminator's backward, as it should be",
    8: "line 8 steps the discriminator after its own backward, as it should",
    10: "line 10 clears G's gradients before its backward, as it should",
    11: "line 11 is the generator's backward, as it should be",
}


def _bugs_measure(answer, *, seed):
    try:
        lines = sorted({int(n) for n in answer})
    except (TypeError, ValueError):
        return {"error": f"expected a collection of line numbers such as [3, 7], got {answer!r}"}
    return {"lines": lines}


def _bugs_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    given = set(measured["lines"])
    outside = sorted(n for n in given if not 1 <= n <= 12)
    if outside:
        return False, f"the loop has lines 1 to 12; {outside} are not among them"
    for n in sorted(given - set(_BUGS)):
        return False, _NOT_BUGS[n]
    missing = sorted(set(_BUGS) - given)
    if missing:
        return False, (f"{len(given)} of the 3 wrong lines found; look again at the "
                       + ("discriminator's loss" if 5 in missing else "generator's loss" if 9 in missing
                          else "generator's update"))
    return True, ("right: detach the fakes in D's loss (line 5), label them 1 in G's loss (line 9: the flipped "
                  "label of the non-saturating loss), and step opt_g after G's backward (line 12)")


register(BehaviourExercise(
    name="architectures/gan-find-the-bugs",
    answer="gan_bug_lines",
    title="Find the three bugs in a GAN loop",
    points=2,
    measure=_bugs_measure,
    judge=_bugs_judge,
    answer_is_data=True,
    seed=0,
    hint="Follow each backward pass: which parameters does it reach, whose optimizer uses those gradients, "
         "and which way does each network want D's answer on the fakes to move?",
    notebook=PAGE,
))
