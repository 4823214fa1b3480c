r"""Exercises of the page *Restricted Boltzmann machines* (``book/architectures/restricted-boltzmann-machines.ipynb``).

==========================================  ==========================  ======  ==============================================
exercise                                    the student gives           points  checked against
==========================================  ==========================  ======  ==============================================
``architectures/rbm-fix-cd1``               ``fixed_cd1_gradient``       2      :meth:`nbcourse.models.RBM.cd_gradient`, k = 1
``architectures/rbm-one-hidden-mixture``    ``mixing_weight``            2      :math:`p(h = 1)` from the exact mixture
==========================================  ==========================  ======  ==============================================

With one hidden unit, :math:`p(v) = (1 - \pi)\prod_i \mathrm{Bern}(v_i; \mu^0_i) + \pi \prod_i \mathrm{Bern}(v_i; \mu^1_i)`
with :math:`\mu^0 = \sigma(b)`, :math:`\mu^1 = \sigma(b + W)` and
:math:`\pi = \sigma\big(c + \sum_i [\mathrm{softplus}(b_i + W_i) - \mathrm{softplus}(b_i)]\big)`.
"""

from __future__ import annotations

import numpy as np

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

__all__ = ["BUGGY_CD1_SOURCE", "cd1_reference", "one_hidden_mixture_reference"]

PAGE = "architectures/restricted-boltzmann-machines"

# ------------------------------------------------------------------------- 1. find and fix the CD-1 bug

#: the buggy CD-1 gradient printed on the page (two lines are wrong)
BUGGY_CD1_SOURCE = '''def buggy_cd1_gradient(W, b, c, v0, seed):
    rng = np.random.default_rng(seed)
    ph0 = sigmoid(v0 @ W.T + c)                      # p(h = 1 | v0), (B, H)
    h0 = (rng.random(ph0.shape) < ph0) * 1.0         # a sample of the hidden units
    pv1 = sigmoid(ph0 @ W + b)                       # p(v = 1 | h0), (B, D)
    v1 = (rng.random(pv1.shape) < pv1) * 1.0         # the reconstruction, sampled
    ph1 = sigmoid(v1 @ W.T + c)                      # p(h = 1 | v1)
    dW = (ph1.T @ v1 - ph0.T @ v0) / len(v0)
    db = (v0 - v1).mean(axis=0)
    dc = (ph0 - ph1).mean(axis=0)
    return dW, db, dc                                # the step is W += lr * dW, ...
'''


def cd1_reference(W, b, c, v0, seed):
    """The CD-1 gradient of :class:`nbcourse.models.RBM` for these parameters, as ``(dW, db, dc)``."""
    from nbcourse.models.rbm import RBM

    W = np.asarray(W, dtype=np.float64)
    rbm = RBM(W.shape[1], W.shape[0])
    rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = W, np.asarray(b, float), np.asarray(c, float)
    grad = rbm.cd_gradient(np.asarray(v0, float), k=1, rng=int(seed))
    return grad["W"], grad["b"], grad["c"]


def _cd1_problems(seed):
    rng = np.random.default_rng(seed)
    problems = []
    for n, d, h, scale in ((10, 6, 3, 1.0), (32, 16, 8, 2.0), (16, 64, 12, 0.5)):
        problems.append((rng.normal(scale=scale, size=(h, d)), rng.normal(size=d), rng.normal(size=h),
                         (rng.random((n, d)) < 0.4) * 1.0, int(rng.integers(1000))))
    return problems


def _cd1_measure(answer, *, seed):
    out = []
    for W, b, c, v0, s in _cd1_problems(seed):
        expected = cd1_reference(W, b, c, v0, s)
        got = answer(W, b, c, v0, s)
        try:
            got = [np.asarray(g, dtype=np.float64) for g in got]
        except (TypeError, ValueError):
            return {"error": f"expected a tuple (dW, db, dc) of arrays, got {type(got).__name__}"}
        if len(got) != 3 or any(g.shape != e.shape for g, e in zip(got, expected)):
            return {"error": "expected (dW, db, dc) with the shapes of W, b and c: "
                             f"{[e.shape for e in expected]}, got {[g.shape for g in got]}"}
        # the two typical mistakes, computed here to recognise them
        sign = np.allclose(got[0], -expected[0]) and not np.allclose(expected[0], 0)
        out.append({"ok": [bool(np.allclose(g, e, atol=1e-10)) for g, e in zip(got, expected)], "sign": bool(sign)})
    return {"problems": out}


def _cd1_judge(m):
    if "error" in m:
        return False, m["error"]
    names = ("dW", "db", "dc")
    for k, p in enumerate(m["problems"]):
        if all(p["ok"]):
            continue
        if p["sign"]:
            return False, (f"on problem {k + 1} your dW is minus the right one: the update must raise the "
                           "probability of the data (data statistics first, model statistics second)")
        wrong = [n for n, ok in zip(names, p["ok"]) if not ok]
        return False, (f"on problem {k + 1} {', '.join(wrong)} differ from CD-1. What drives the reconstruction "
                       "v1: the hidden probabilities, or the binary hidden sample? (The random draws must stay "
                       "in the same order: h0, then v1.)")
    return True, "dW, db and dc agree with CD-1 on all three problems"


register(BehaviourExercise(
    name="architectures/rbm-fix-cd1",
    answer="fixed_cd1_gradient",
    title="Find and fix the bugs in a CD-1 update",
    points=2,
    measure=_cd1_measure,
    judge=_cd1_judge,
    seed=0,
    hint="Two lines are wrong. Compare each line with the from-scratch CD-1 on the page: which state drives "
         "the reconstruction, and in which direction the weights move.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. one hidden unit: a mixture

def one_hidden_mixture_reference(W, b, c):
    r"""``(pi, mu0, mu1)``: the mixture an RBM with one hidden unit is (``W`` of shape ``(D,)``, ``c`` a number)."""
    from nbcourse.models.rbm import sigmoid, softplus

    W, b = np.asarray(W, dtype=np.float64).reshape(-1), np.asarray(b, dtype=np.float64)
    c = float(np.asarray(c, dtype=np.float64).reshape(()))
    log_odds = c + (softplus(b + W) - softplus(b)).sum()
    return float(sigmoid(log_odds)), sigmoid(b), sigmoid(b + W)


def _mixing_weight_reference(W, b, c):
    return one_hidden_mixture_reference(W, b, c)[0]


def _mixture_cases():
    rng = np.random.default_rng(5)
    cases = [Case(args=(np.zeros(3), np.zeros(3), 0.0), label="all parameters zero",
                  hint="With everything zero both components are the uniform distribution, and pi = 1/2.")]
    for d in (4, 10):
        cases.append(Case(args=(rng.normal(scale=2, size=d), rng.normal(size=d), float(rng.normal())),
                          label=f"{d} visible units, random parameters",
                          hint="The mixing weight is not sigma(c): each component's weight also counts how much "
                               "probability mass it spreads over the visible states, sum_v exp(...)."))
    cases.append(Case(args=(np.full(6, 3.0), np.full(6, -2.0), -8.0), label="a strong hidden unit with a negative bias",
                      hint="sigma(-8) is tiny, yet the component h = 1 can carry much of the mass: compare "
                           "prod_i (1 + e^{b_i + W_i}) with prod_i (1 + e^{b_i})."))
    return cases


register(FunctionExercise(
    name="architectures/rbm-one-hidden-mixture",
    answer="mixing_weight",
    title="An RBM with one hidden unit is a mixture of two: its mixing weight",
    points=2,
    cases=_mixture_cases,
    reference=_mixing_weight_reference,
    arg_names=("W", "b", "c"),
    inputs="one hidden unit over 3, 4, 6 and 10 visible units: zero, random and strong parameters",
    hint="Write p(v) = sum over h in {0, 1} of exp(b.v + c h + h W.v) / Z and sum each term over v: each sum "
         "is a product of (1 + exp(...)) factors. pi = p(h = 1) is the second sum over the total.",
    notebook=PAGE,
))
