r"""Exercises of the page *Siamese networks* (``book/architectures/siamese.ipynb``).

======================================  ========================  ======  ==============================================
exercise                                the student gives         points  checked against
======================================  ========================  ======  ==============================================
``architectures/contrastive-grad``      ``my_contrastive_grad``    2      ``contrastive.grad`` (similar, inside, beyond
                                                                          the margin, :math:`d = 0`) and autograd
``architectures/beyond-the-margin``     ``grad_beyond_margin``     1      the gradient of a dissimilar pair 5 apart, m = 2
``architectures/choose-margin``         ``chosen_margin``          1      a siamese run with that margin: dissimilar test
                                                                          pairs end 2.5 to 4 apart on average
``architectures/shared-weights-bug``    ``twin_step``              2      one SGD step of a :class:`SiameseNetwork`
======================================  ========================  ======  ==============================================

The loss (Hadsell, Chopra and LeCun 2006), with :math:`s = 1` for a similar pair:

.. math::
    \ell = s\,\tfrac12 d^2 + (1 - s)\,\tfrac12 \max(0, m - d)^2, \qquad d = \lVert x_1 - x_2 \rVert_2 .
"""

from __future__ import annotations

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/siamese"


# ------------------------------------------------------------------------- 1. the gradient, derived

def _grad_cases():
    g = np.random.default_rng(0)
    x1 = g.normal(size=(6, 3))
    x2 = x1 + g.normal(size=(6, 3)) * np.array([[0.1], [0.2], [3.0], [0.3], [2.5], [0.2]])
    return [
        Case(args=(x1[:2], x2[:2], np.array([1, 1]), 1.0), label="two similar pairs",
             hint="For a similar pair only the term d^2/2 is present: what is its gradient with respect to x1?"),
        Case(args=(x1[3:4], x2[3:4], np.array([0]), 1.0), label="a dissimilar pair inside the margin (d < m)",
             hint="d/dx1 of max(0, m - d)^2 / 2 is -(m - d) times d/dx1 of d, and d/dx1 of d is (x1 - x2)/d."),
        Case(args=(x1[2:3], x2[2:3], np.array([0]), 1.0), label="a dissimilar pair beyond the margin (d > m)",
             hint="Beyond the margin max(0, m - d) is 0."),
        Case(args=(x1, x2, np.array([1, 0, 0, 1, 0, 1]), 2.0), label="six pairs, margin 2, mean over pairs",
             hint="reduction='mean': the loss is the mean over the N pairs, so each row's gradient is divided by N."),
        Case(args=(x1[:2], x1[:2].copy(), np.array([1, 0]), 1.0), label="identical embeddings (d = 0)",
             hint="At d = 0 take the gradient as 0: the direction (x1 - x2)/d is undefined there; avoid 0/0."),
    ]


def _grad_reference(x1, x2, same, margin):
    from nbcourse.losses import contrastive

    return contrastive.grad(torch.as_tensor(x1), torch.as_tensor(x2), torch.as_tensor(same), margin=margin)


register(FunctionExercise(
    name="architectures/contrastive-grad",
    answer="my_contrastive_grad",
    title="The gradient of the contrastive loss",
    points=2,
    cases=_grad_cases,
    reference=_grad_reference,
    forbidden=("backward", "grad"),
    arg_names=("x1", "x2", "same", "margin"),
    inputs="similar pairs, dissimilar pairs inside and beyond the margin, d = 0",
    hint="Differentiate each term per pair, then divide by N (the loss is the mean over pairs).",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. predict: beyond the margin

def _beyond_measure(answer, *, seed):
    try:
        value = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        return {"error": f"expected two numbers (the gradient with respect to x1), got {answer!r}"}
    return {"grad": value.tolist()}


def _beyond_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    grad = measured["grad"]
    if len(grad) != 2:
        return False, f"x1 has two coordinates, so its gradient has two entries; you gave {len(grad)}"
    if np.allclose(grad, 0.0, atol=1e-9):
        return True, ("right: the pair is 5 apart, beyond the margin 2, so max(0, m - d) = 0 and the pair "
                      "sends no gradient at all: well-separated dissimilar pairs cost nothing and teach nothing")
    if np.allclose(np.abs(grad), [3.0, 4.0]):
        return False, ("that is the gradient of d^2/2, the term of a *similar* pair; this pair is dissimilar "
                       "(same = 0): which term of the loss is left, and what is m - d here?")
    return False, "compute m - d first: d = ||x1 - x2|| = 5 and m = 2. What is max(0, m - d)?"


register(BehaviourExercise(
    name="architectures/beyond-the-margin",
    answer="grad_beyond_margin",
    title="Predict: the gradient of a dissimilar pair beyond the margin",
    points=1,
    measure=_beyond_measure,
    judge=_beyond_judge,
    answer_is_data=True,
    hint="Which term of the contrastive loss does a dissimilar pair have, and when is it zero?",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. choose a margin

TARGET_MEAN_DIFF = (2.5, 4.0)  # the mean distance of dissimilar test pairs the chosen margin must give


def _margin_measure(answer, *, seed):
    from nbcourse.data.pairs import load_metric_digits, make_pairs
    from nbcourse.losses import ContrastiveLoss
    from nbcourse.metric import PairLoss, pair_distance_report
    from nbcourse.models import SiameseNetwork
    from nbcourse.train import Trainer

    margin = float(answer)
    if not np.isfinite(margin) or margin < 0 or margin > 100:
        raise ValueError(f"a margin is a distance, a number in [0, 100]; got {margin}")
    data = load_metric_digits(seed=seed)
    pairs, same, _ = make_pairs(data.X_train, data.y_train, 2000, seed=seed)
    test, test_same, _ = make_pairs(data.X_test, data.y_test, 600, seed=seed + 1)
    model = SiameseNetwork(embedding_dim=8, seed=seed)
    Trainer(model, PairLoss(ContrastiveLoss(margin=margin)), torch.optim.Adam(model.parameters(), lr=3e-3),
            device="cpu", seed=seed).fit((pairs, same), epochs=4, batch_size=64)
    with torch.no_grad():
        report = pair_distance_report(model.distance(test[:, 0], test[:, 1]), test_same)
    return {"margin": margin, **{k: report[k] for k in ("mean_same", "mean_diff", "auc")}}


def _margin_judge(measured):
    low, high = TARGET_MEAN_DIFF
    m, diff, same = measured["margin"], measured["mean_diff"], measured["mean_same"]
    said = f"with margin {m:g} the dissimilar test pairs ended {diff:.2f} apart on average (similar ones {same:.2f})"
    if low <= diff <= high:
        return True, f"right: {said}. The margin sets the scale of the embedding: dissimilar pairs settle a little past it."
    if diff < low:
        return False, f"{said}: too close. Where does the loss stop pushing a dissimilar pair?"
    return False, f"{said}: too far. Where does the loss stop pushing a dissimilar pair?"


register(BehaviourExercise(
    name="architectures/choose-margin",
    answer="chosen_margin",
    title="Choose a margin that puts dissimilar digits 2.5 to 4 apart",
    points=1,
    measure=_margin_measure,
    judge=_margin_judge,
    answer_is_data=True,
    hint="Look at the margin explorer: where do the dissimilar pairs' distances end up for each margin?",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 4. find the bug: twins that do not share

def _twin_cases():
    g = np.random.default_rng(1)
    cases = []
    for seed, same in ((0, [1, 0, 1, 0]), (3, [0, 0, 1, 1])):
        x1, x2 = g.normal(size=(4, 4)), g.normal(size=(4, 4))
        cases.append(Case(args=(x1, x2, np.array(same), seed), label=f"four pairs, seed {seed}",
                          hint="Before the step both branches agree; after it, does the branch of x2 still "
                               "compute the same function as the branch of x1? Each copy only gets the "
                               "gradient of its own input."))
    return cases


def _twin_reference(x1, x2, same, seed):
    from nbcourse.losses import contrastive
    from nbcourse.models import SiameseNetwork

    model = SiameseNetwork(in_features=4, hidden_sizes=(6,), embedding_dim=2, seed=int(seed)).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    x1, x2 = torch.as_tensor(x1, dtype=torch.float64), torch.as_tensor(x2, dtype=torch.float64)
    e1, e2 = model(x1, x2)
    loss = contrastive(e1, e2, torch.as_tensor(same), margin=1.0)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        return torch.stack(model(x1, x2))


register(FunctionExercise(
    name="architectures/shared-weights-bug",
    answer="twin_step",
    title="Find the bug: twins that do not share their weights",
    points=2,
    cases=_twin_cases,
    reference=_twin_reference,
    arg_names=("x1", "x2", "same", "seed"),
    inputs="two batches of four pairs",
    hint="A siamese network has ONE set of weights that both inputs go through; a copy is a second set.",
    notebook=PAGE,
))
