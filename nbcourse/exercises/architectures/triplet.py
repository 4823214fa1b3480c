r"""Exercises of the page *Triplet networks* (``book/architectures/triplet.ipynb``).

========================================  ==========================  ======  ========================================
exercise                                  the student gives           points  checked against
========================================  ==========================  ======  ========================================
``architectures/triplet-categories``      ``triplet_kinds``            1      :func:`nbcourse.metric.triplet_categories`
``architectures/triplet-grad``            ``my_triplet_grad``          2      ``triplet.grad`` (autograd): semi-hard, hard,
                                                                              easy, mean over triplets
``architectures/mining-budget``           ``mining_prediction``        1      the page's measured comparison
========================================  ==========================  ======  ========================================

With :math:`d_{ap}`, :math:`d_{an}` the anchor-positive and anchor-negative distances and :math:`m`
the margin: easy :math:`d_{an} \ge d_{ap} + m`, semi-hard :math:`d_{ap} \le d_{an} < d_{ap} + m`,
hard :math:`d_{an} < d_{ap}`.
"""

from __future__ import annotations

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/triplet"

# ------------------------------------------------------------------------- 1. classify triplets

#: six triplets of 2-D embeddings (anchor, positive, negative); margin TRIPLET_MARGIN
TRIPLETS = (
    ((0.0, 0.0), (1.0, 0.0), (0.0, 3.0)),
    ((0.0, 0.0), (1.0, 0.0), (0.0, 0.6)),
    ((0.0, 0.0), (0.0, 2.0), (1.5, 1.5)),
    ((1.0, 1.0), (1.0, 1.4), (2.6, 1.0)),
    ((0.0, 0.0), (3.0, 4.0), (-4.0, 3.6)),
    ((2.0, 0.0), (2.0, 0.5), (2.0, -0.4)),
)
TRIPLET_MARGIN = 1.0


def _expected_kinds():
    from nbcourse.metric import CATEGORIES, triplet_categories

    t = torch.tensor(TRIPLETS, dtype=torch.float64)
    d_ap = torch.linalg.vector_norm(t[:, 0] - t[:, 1], dim=-1)
    d_an = torch.linalg.vector_norm(t[:, 0] - t[:, 2], dim=-1)
    codes = triplet_categories(d_ap, d_an, TRIPLET_MARGIN)
    return [CATEGORIES[int(c)] for c in codes], d_ap.tolist(), d_an.tolist()


def _kinds_measure(answer, *, seed):
    if isinstance(answer, str) or not hasattr(answer, "__len__"):
        return {"error": f"expected a list of six words ('easy', 'semi-hard' or 'hard'), got {answer!r}"}
    return {"kinds": [str(a).strip().lower().replace(" ", "-").replace("semihard", "semi-hard") for a in answer]}


def _kinds_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    kinds = measured["kinds"]
    expected, d_ap, d_an = _expected_kinds()
    if len(kinds) != len(expected):
        return False, f"there are {len(expected)} triplets; you gave {len(kinds)} answers"
    for k, (got, want) in enumerate(zip(kinds, expected)):
        if got not in ("easy", "semi-hard", "hard"):
            return False, f"triplet {k}: {got!r} is not one of 'easy', 'semi-hard', 'hard'"
        if got != want:
            return False, (f"triplet {k} is not {got}: compute d_ap = ||a - p|| and d_an = ||a - n|| "
                           f"(Euclidean), then compare d_an with d_ap and with d_ap + m (m = {TRIPLET_MARGIN:g})")
    return True, "right: " + ", ".join(f"{w} (d_ap {a:.2f}, d_an {n:.2f})" for w, a, n in zip(expected, d_ap, d_an))


register(BehaviourExercise(
    name="architectures/triplet-categories",
    answer="triplet_kinds",
    title="Easy, semi-hard or hard?",
    points=1,
    measure=_kinds_measure,
    judge=_kinds_judge,
    answer_is_data=True,
    hint="Distances first (Euclidean, in 2-D), then the two comparisons: d_an < d_ap? d_an < d_ap + m?",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. the gradient, derived

def _grad_cases():
    g = np.random.default_rng(0)
    a, p = g.normal(size=(5, 3)), g.normal(size=(5, 3))
    n = a + (a - p) * np.array([[2.0], [0.4], [1.2], [4.0], [0.7]])   # easy, hard, semi-hard, easy, hard at m = 2
    return [
        Case(args=(np.array([[0.0, 0.0]]), np.array([[0.0, 1.0]]), np.array([[1.5, 0.0]]), 1.0),
             label="one semi-hard triplet (d_ap = 1, d_an = 1.5, m = 1)",
             hint="Inside the margin the loss is m + d_ap - d_an: one term of the gradient from each distance. "
                  "What is the gradient of ||a - x|| with respect to a?"),
        Case(args=(np.array([[1.0, 1.0]]), np.array([[1.0, 3.0]]), np.array([[2.0, 1.0]]), 1.0),
             label="one hard triplet (d_ap = 2, d_an = 1, m = 1)",
             hint="A hard triplet is inside the margin too; watch the sign of the negative's term: a step "
                  "against the gradient must move the anchor away from the negative."),
        Case(args=(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]]), 1.0),
             label="one easy triplet (d_an >= d_ap + m)",
             hint="Beyond the margin max(0, m + d_ap - d_an) is 0 all around: what is its gradient?"),
        Case(args=(a, p, n, 2.0), label="five triplets in 3-D, margin 2 (easy, hard and semi-hard), mean over N",
             hint="reduction='mean': the loss is the mean over the N triplets, so each row is divided by N."),
    ]


def _grad_reference(anchor, positive, negative, margin):
    from nbcourse.losses import triplet

    return triplet.grad(torch.as_tensor(anchor), torch.as_tensor(positive), torch.as_tensor(negative),
                        margin=margin, eps=0.0)


register(FunctionExercise(
    name="architectures/triplet-grad",
    answer="my_triplet_grad",
    title="The gradient of the triplet loss with respect to the anchor",
    points=2,
    cases=_grad_cases,
    reference=_grad_reference,
    forbidden=("backward", "grad", "triplet_margin_loss"),
    arg_names=("anchor", "positive", "negative", "margin"),
    inputs="a semi-hard, a hard and an easy triplet, five triplets averaged",
    hint="Per triplet: zero where the loss is zero, else the gradient of d_ap minus that of d_an; "
         "then divide by N (the loss is the mean over triplets).",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. predict what mining does

def _prediction_measure(answer, *, seed):
    if not isinstance(answer, dict):
        return {"error": f"expected a dict like {{'most_easy': 'random', 'lowest_loss': 'random'}}, got {answer!r}"}
    return {"answer": {str(k): str(v).strip().lower() for k, v in answer.items()}}


def _prediction_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    a = measured["answer"]
    for key in ("most_easy", "highest_loss"):
        if key not in a:
            return False, f"the dict needs the key {key!r}"
        if a[key] not in ("random", "semi-hard", "hardest"):
            return False, f"{key}: {a[key]!r} is not one of 'random', 'semi-hard', 'hardest'"
    if a["most_easy"] != "random":
        return False, ("most_easy: which strategy picks negatives without looking at the distances? Once the "
                       "classes are apart, most of those negatives are far beyond the margin")
    if a["highest_loss"] != "hardest":
        return False, ("highest_loss: the loss of a triplet grows as its negative comes closer; which strategy "
                       "always takes the closest negative?")
    return True, ("right: random triplets are mostly easy (zero loss, zero gradient) once training has "
                  "started, and the hardest negatives keep the loss highest; the page measures both")


register(BehaviourExercise(
    name="architectures/mining-budget",
    answer="mining_prediction",
    title="Predict: what the mining strategy does to the batch",
    points=1,
    measure=_prediction_measure,
    judge=_prediction_judge,
    answer_is_data=True,
    hint="Random mining ignores distances; hardest mining takes the closest negative; semi-hard skips closer ones.",
    notebook=PAGE,
))
