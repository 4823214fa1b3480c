r"""Exercises of the page *The perceptron: a single neuron* (``book/architectures/perceptron.ipynb``).

========================================  ========================  ======  ==========================================
exercise                                  the student gives         points  checked against
========================================  ========================  ======  ==========================================
``architectures/perceptron-fix-update``   ``fixed_update``           2      :func:`~nbcourse.models.perceptron.perceptron_update`
``architectures/perceptron-updates``      ``predicted_updates``      1      the updates a run in that order makes
``architectures/perceptron-fails``        ``never_separated``        2      a linear program: no line separates them
========================================  ========================  ======  ==========================================

The rule, from the page (labels :math:`y \in \{-1, +1\}`; in ``perceptron-fix-update`` the bias is the last
weight, on a constant input 1 that ends every sample):

.. math::
    \text{if } y\,(w \cdot x + b) \le 0: \quad w \leftarrow w + \eta\, y\, x, \quad b \leftarrow b + \eta\, y
"""

from __future__ import annotations

import numpy as np

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/perceptron"

#: The data of ``architectures/perceptron-updates``: visited in this order, labels -1/+1, w = 0, b = 0, lr = 1.
UPDATES_X = [[2.0, 1.0], [0.0, -1.0], [-1.0, 1.0]]
UPDATES_Y = [1, -1, -1]


# ------------------------------------------------------------------------- 1. find and fix the update

def _one(x):
    return np.append(np.asarray(x), np.ones(1, dtype=np.asarray(x).dtype))   # the constant input of the bias


def _update_cases():
    # the bias is the last weight, on a constant input 1 (the last entry of every x)
    rng = np.random.default_rng(0)
    cases = []
    for dtype in (np.float64, np.float32):
        w = rng.normal(size=4).astype(dtype)
        x = _one(rng.normal(size=3).astype(dtype))
        y = -1.0 if float(w @ x) > 0 else 1.0       # a mistake by construction
        cases.append(Case(args=(w, x, y, 1.0), label=f"a misclassified sample, {np.dtype(dtype).name}",
                          hint="A mistake must move the line towards the right side of the sample: "
                               "afterwards y * (w . x) is larger than before."))
    cases.append(Case(args=(np.array([1.0, -2.0, 0.0]), _one([3.0, 1.0]), 1.0, 1.0),
                      label="a sample already on the right side", hint="A sample classified right changes nothing."))
    cases.append(Case(args=(np.zeros(3), _one([1.0, 2.0]), 1.0, 1.0), label="w = 0: the very first sample",
                      hint="With w = 0 every sample lies on the line, y (w . x) = 0: the rule counts that as "
                           "a mistake, else a perceptron started at zero would never move."))
    cases.append(Case(args=(np.zeros(3), _one([-1.0, 0.5]), -1.0, 0.5), label="w = 0, label -1, lr = 0.5"))
    cases.append(Case(args=(np.array([0.5, 0.5, -1.0]), _one([1.0, 1.0]), 1.0, 0.1),
                      label="a sample exactly on the line (w . x = 0)"))
    cases.append(Case(args=(np.array([2.0, 0.0, 1.0]), _one([-3.0, 0.0]), -1.0, 1.0),
                      label="label -1 on the right side already"))
    return cases


def _update_reference(w, x, y, lr):
    from nbcourse.models.perceptron import perceptron_update

    w_new, b_new = perceptron_update(w[:-1], w[-1], x[:-1], y, lr)
    return np.append(w_new, b_new)


register(FunctionExercise(
    name="architectures/perceptron-fix-update",
    answer="fixed_update",
    title="Find and fix the perceptron update",
    points=2,
    cases=_update_cases,
    reference=_update_reference,
    arg_names=("w", "x", "y", "lr"),
    inputs="weights w (the bias last), one sample x (ending with the constant 1), its label (-1 or +1) and a "
           "learning rate; returns the new weights",
    hint="Two things are wrong: when the rule updates, and in which direction it moves the line.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. predict, then run

def updates_run() -> dict:
    """The run of ``architectures/perceptron-updates``: mistakes per epoch and the line after each update."""
    from nbcourse.models import Perceptron

    p = Perceptron(record=True).fit(np.array(UPDATES_X), np.array(UPDATES_Y), epochs=50, shuffle=False)
    return {"errors": p.errors_, "updates": p.updates_, "path": [(w.tolist(), b) for w, b in p.path_]}


def _updates_measure(answer, *, seed):
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return {"error": f"expected a whole number of updates, got {answer!r}"}
    if not value.is_integer() or value < 0:
        return {"error": f"expected a whole number of updates (0, 1, 2, ...), got {answer!r}"}
    return {"answer": int(value), **updates_run()}


def _updates_judge(m):
    if "error" in m:
        return False, m["error"]
    answer, errors, total = m["answer"], m["errors"], m["updates"]
    if answer == total:
        return True, f"right: {total} updates ({' + '.join(str(e) for e in errors)} per epoch), then no mistake"
    first = errors[0]
    if answer < first:
        return False, (f"{answer} is fewer than the first epoch alone makes: at w = 0, b = 0 the first sample lies "
                       "on the line, which counts as a mistake; trace each sample of the first epoch in turn")
    if answer < total:
        return False, (f"{answer} is too few: the line after the first epoch still has a sample on the wrong side "
                       "or on it; keep tracing the next epoch")
    return False, (f"{answer} is too many: after each update, check whether the next samples are already on their "
                   "side, y (w . x + b) > 0; training stops at the first epoch without a mistake")


register(BehaviourExercise(
    name="architectures/perceptron-updates",
    answer="predicted_updates",
    title="Predict the number of updates",
    points=1,
    measure=_updates_measure,
    judge=_updates_judge,
    answer_is_data=True,
    seed=0,
    hint="Start at w = (0, 0), b = 0, lr = 1; visit the samples in the order given; a sample with "
         "y (w . x + b) <= 0 is a mistake and gets an update; stop after an epoch without a mistake.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. data it can never learn

def separating_line(X, y):
    """A line ``(w, b)`` with ``y_i (w . x_i + b) >= 1`` for every sample (labels -1/+1), or None if there is
    none, from a linear program (scipy's ``linprog``): the exact test of linear separability."""
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    s = np.asarray(y, dtype=float)
    d = X.shape[1]
    # variables (w, b); constraints -y_i (w . x_i + b) <= -1; any feasible point will do (zero cost)
    A = -s[:, None] * np.hstack([X, np.ones((len(X), 1))])
    res = linprog(np.zeros(d + 1), A_ub=A, b_ub=-np.ones(len(X)), bounds=[(None, None)] * (d + 1), method="highs")
    if res.status == 0:
        return res.x[:d], float(res.x[d])
    return None


def _fails_measure(answer, *, seed):
    from nbcourse.models import Perceptron

    try:
        X, y = answer
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
    except (TypeError, ValueError):
        return {"error": "expected a pair (points, labels): points a list of (x1, x2) pairs, labels a list of 0/1 "
                         "or -1/+1, e.g. ([(0, 0), (1, 1)], [0, 1])"}
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),) or not np.isfinite(X).all():
        return {"error": f"expected {len(X) if X.ndim else 'n'} points in the plane, each a pair (x1, x2), and one "
                         f"label per point; got points of shape {X.shape} and labels of shape {y.shape}"}
    values = set(np.unique(y).tolist())
    if not (values <= {0, 1} or values <= {-1, 1}):
        return {"error": f"labels must be 0/1 or -1/+1, got {sorted(values)}"}
    if len({tuple(p) for p in X.tolist()}) < len(X):
        return {"error": "two of your points are the same point; the points must be distinct (one point with two "
                         "labels is a contradiction, not a hard problem)"}
    s = np.where(y == max(values), 1.0, -1.0)
    line = separating_line(X, s)
    p = Perceptron().fit(X, y, epochs=200, shuffle=False)
    return {"n": int(len(X)), "classes": len(values), "separable": line is not None,
            "line": None if line is None else [*np.round(line[0], 3).tolist(), round(line[1], 3)],
            "converged": bool(p.converged_), "updates": int(p.updates_), "epochs": len(p.errors_)}


def _fails_judge(m):
    if "error" in m:
        return False, m["error"]
    if m["classes"] < 2:
        return False, "all your points have the same label: any line with every point on one side separates them"
    if m["separable"]:
        w1, w2, b = m["line"]
        return False, (f"a line separates these {m['n']} points ({w1:g} x1 + {w2:g} x2 + {b:g} = 0), so the "
                       f"perceptron converges: here after {m['updates']} updates in {m['epochs']} epochs")
    if m["n"] > 3:
        return False, (f"right that no line separates these {m['n']} points and the perceptron never stops, but a "
                       "smaller set of distinct points exists: how few points can already defeat every line?")
    return True, (f"right: no line separates these {m['n']} points (a linear program finds none), and the "
                  "perceptron was still making mistakes after 200 epochs")


register(BehaviourExercise(
    name="architectures/perceptron-fails",
    answer="never_separated",
    title="The smallest data set the perceptron never learns",
    points=2,
    measure=_fails_measure,
    judge=_fails_judge,
    answer_is_data=True,
    seed=0,
    hint="XOR has four points. Can fewer distinct points in the plane, with two labels, be impossible to separate "
         "by a line? Where must they lie?",
    notebook=PAGE,
))
