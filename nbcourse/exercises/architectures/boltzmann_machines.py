r"""Exercises of the page *Boltzmann machines* (``book/architectures/boltzmann-machines.ipynb``).

=========================================  ==========================  ======  ============================================
exercise                                   the student gives           points  checked against
=========================================  ==========================  ======  ============================================
``architectures/boltzmann-no-hidden-xor``  ``best_kl_without_hidden``   1      the KL a fully visible machine reaches
``architectures/boltzmann-gibbs-step``     ``unit_on_probability``      2      the ratio of two energies, enumerated
=========================================  ==========================  ======  ============================================

For 0/1 units and :math:`E(s) = -\frac12 s^\top W s - b^\top s`,
:math:`p(s_i = 1 \mid s_{-i}) = \sigma\big(b_i + \sum_{j \ne i} W_{ij} s_j + \tfrac12 W_{ii}\big)`.
"""

from __future__ import annotations

import numpy as np

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

__all__ = ["parity_data", "unit_on_reference"]

PAGE = "architectures/boltzmann-machines"


from nbcourse.data.binary import parity_data  # noqa: E402  (the page's data, re-exported)


# ------------------------------------------------------------------------- 1. predict: no hidden units on XOR

def _xor_measure(answer, *, seed):
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return {"error": f"expected a number (a KL divergence in nats), got {answer!r}"}
    return {"value": value}


def _xor_judge(m):
    if "error" in m:
        return False, m["error"]
    value, target = m["value"], float(np.log(2))
    if abs(value - target) < 0.01:
        return True, (f"right: {value:.3f} nats = log 2. The data's means are 1/2 and its pairwise correlations are "
                      "those of independent bits, so the best pairwise model is uniform over 8 states")
    if value < 0.05:
        return False, ("a fully visible machine only has biases and pairwise weights. Compute the data's "
                       "<s_i> and <s_i s_j>: could a model matching them tell the four vectors from the other four?")
    if value > 1.5:
        return False, "too pessimistic: the uniform distribution over the 8 states is always available (W = 0, b = 0)"
    return False, ("not quite. Learning matches the model's <s_i> and <s_i s_j> to the data's; which distribution over "
                   "the 8 states is the most random one with those statistics, and what is its KL to the data?")


register(BehaviourExercise(
    name="architectures/boltzmann-no-hidden-xor",
    answer="best_kl_without_hidden",
    title="No hidden units, XOR data: how close can it get? (predict, then run)",
    points=1,
    measure=_xor_measure,
    judge=_xor_judge,
    answer_is_data=True,
    seed=0,
    hint="The exact gradient is zero when the model's means and pairwise correlations equal the data's.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. derive the Gibbs step

def unit_on_reference(W, b, s, i):
    """p(s_i = 1 | the other units), from the energies of the two states that differ in unit i."""
    W, b, s = (np.asarray(a, dtype=np.float64) for a in (W, b, s))
    on, off = s.copy(), s.copy()
    on[int(i)], off[int(i)] = 1.0, 0.0

    def energy(x):
        return -0.5 * x @ W @ x - b @ x

    return float(1.0 / (1.0 + np.exp(energy(on) - energy(off))))


def _gibbs_cases():
    rng = np.random.default_rng(0)
    cases = []
    for n in (5, 12):
        A = rng.normal(size=(n, n))
        W = A + A.T
        np.fill_diagonal(W, 0.0)
        s = (rng.random(n) < 0.5) * 1.0
        cases.append(Case(args=(W, rng.normal(size=n), s, 2), label=f"{n} units, zero diagonal"))
        s_on = s.copy()
        s_on[2] = 1 - s_on[2]
        cases.append(Case(args=(W, rng.normal(size=n), s_on, 2), label=f"{n} units, the same unit in the other state",
                          hint="The answer must not depend on the current value of s_i."))
    A = rng.normal(size=(4, 4))
    cases.append(Case(args=(A + A.T, rng.normal(size=4), np.array([1.0, 0.0, 1.0, 1.0]), 0),
                      label="4 units whose weights have a non-zero diagonal",
                      hint="With 0/1 units s_i^2 = s_i: the self-connection W_ii contributes -W_ii s_i / 2 to the "
                           "energy, like half a bias."))
    cases.append(Case(args=(np.zeros((3, 3)), np.array([0.0, 40.0, -40.0]), np.zeros(3), 2),
                      label="a bias of -40", hint="Use a sigmoid that does not overflow (np.exp(40) is fine, "
                                                  "but write it so that large fields work too)."))
    return cases


register(FunctionExercise(
    name="architectures/boltzmann-gibbs-step",
    answer="unit_on_probability",
    title="The probability that a unit turns on, derived from the energy",
    points=2,
    cases=_gibbs_cases,
    reference=unit_on_reference,
    forbidden=("energy",),
    arg_names=("W", "b", "s", "i"),
    inputs="symmetric weights of 5, 12 and 4 units (the last with a non-zero diagonal), unit i on and off, a large bias",
    hint="p(s_i = 1 | rest) = e^{-E_on} / (e^{-E_on} + e^{-E_off}) = sigma(E_off - E_on). Write E_off - E_on with "
         "only the terms that contain s_i.",
    notebook=PAGE,
))
