r"""Exercises of the page *Feed-forward networks* (``book/architectures/feed-forward.ipynb``).

======================================  =========================  ======  ============================================
exercise                                the student gives          points  checked against
======================================  =========================  ======  ============================================
``architectures/mlp-fix-forward``       ``fixed_forward``           2      :class:`nbcourse.models.MLP` with those weights
``architectures/circles-budget``        ``circles_hidden_sizes``    2      three seeded trainings on the circles
======================================  =========================  ======  ============================================

The forward pass, from the page (weights in PyTorch's layout, ``(out_features, in_features)``):

.. math::
    a^{[0]} = X, \qquad a^{[l]} = \max(0,\; a^{[l-1]} W^{[l]\top} + b^{[l]}), \qquad \hat y = a^{[L-1]} W^{[L]\top} + b^{[L]}
"""

from __future__ import annotations

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/feed-forward"

#: the budget of ``architectures/circles-budget``: parameters (weights and biases) and training accuracy
CIRCLES_MAX_PARAMETERS = 16
CIRCLES_MIN_ACCURACY = 0.98
CIRCLES_SEEDS = (0, 1, 2)


# ------------------------------------------------------------------------- 1. find and fix the forward pass

def _weights(sizes, rng, dtype):
    Ws = [rng.normal(size=(n_out, n_in)).astype(dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(size=n_out).astype(dtype) for n_out in sizes[1:]]
    return Ws, bs


def _forward_cases():
    rng = np.random.default_rng(0)
    cases = []
    for sizes, dtype, label in (((2, 3, 1), np.float64, "2 -> 3 -> 1, float64"),
                                ((2, 4, 4, 1), np.float64, "2 -> 4 -> 4 -> 1 (square hidden weights), float64"),
                                ((3, 5, 2, 4), np.float32, "3 -> 5 -> 2 -> 4 outputs, float32"),
                                ((2, 1), np.float64, "no hidden layer: a linear model 2 -> 1")):
        Ws, bs = _weights(sizes, rng, dtype)
        X = rng.normal(size=(6, sizes[0])).astype(dtype)
        cases.append(Case(args=(X, Ws, bs), label=label))
    Ws, bs = _weights((2, 3, 1), rng, np.float64)
    bs[-1] = np.array([-5.0])
    cases.append(Case(args=(rng.normal(size=(5, 2)), Ws, bs), label="negative logits (output bias -5)",
                      hint="The output layer returns logits: they may be negative. Which layers have an activation?"))
    return cases


def _forward_reference(X, weights, biases):
    from nbcourse.models import MLP

    sizes = [w.shape[1] for w in weights] + [weights[-1].shape[0]]
    model = MLP(sizes[0], tuple(sizes[1:-1]), sizes[-1], activation="relu").double()
    linears = [m for m in model.layers if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for lin, W, b in zip(linears, weights, biases):
            lin.weight.copy_(torch.as_tensor(np.asarray(W, dtype=np.float64)))
            lin.bias.copy_(torch.as_tensor(np.asarray(b, dtype=np.float64)))
        return model(torch.as_tensor(np.asarray(X, dtype=np.float64))).numpy()


register(FunctionExercise(
    name="architectures/mlp-fix-forward",
    answer="fixed_forward",
    title="Find and fix the forward pass",
    points=2,
    cases=_forward_cases,
    reference=_forward_reference,
    arg_names=("X", "weights", "biases"),
    inputs="a batch X (N, in_features) and lists of weights (out, in) and biases (out,), numpy float64 and float32",
    hint="Two things are wrong: how a weight matrix in PyTorch's layout (out_features, in_features) multiplies "
         "a batch of rows, and which layers apply the ReLU.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. the circles on a budget

def circles_training(hidden_sizes, *, seed: int, steps: int = 500, lr: float = 0.05) -> dict:
    """Train ``MLP(2, hidden_sizes, 1)`` (ReLU, initial weights from ``seed``) on the page's circles (200 points)
    by full-batch Adam with the binary cross-entropy; return its parameter count, final loss and training
    accuracy."""
    from nbcourse.data import make_circles
    from nbcourse.models import MLP

    X, y = make_circles(200, noise=0.08, seed=0)
    model = MLP(2, tuple(hidden_sizes), 1, activation="relu", seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(X)[:, 0], y.float())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = float(((model(X)[:, 0] > 0).long() == y).float().mean())
    return {"parameters": sum(p.numel() for p in model.parameters()), "loss": float(loss.detach()), "accuracy": accuracy}


def _budget_measure(answer, *, seed):
    try:
        sizes = [answer] if isinstance(answer, (int, np.integer)) else list(answer)
        ok = all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes)
    except TypeError:
        ok = False
    if not ok or not sizes:
        return {"error": f"expected the hidden layer sizes as a tuple of positive integers such as (8, 8), got {answer!r}"}
    sizes = [int(s) for s in sizes]
    dims = [2, *sizes, 1]
    parameters = sum((a + 1) * b for a, b in zip(dims[:-1], dims[1:]))
    if parameters > CIRCLES_MAX_PARAMETERS:
        return {"sizes": sizes, "parameters": parameters}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # a tiny model: one thread is many times faster than two on a busy machine
    try:
        with torch.random.fork_rng(devices=[]):
            runs = [circles_training(sizes, seed=s) for s in CIRCLES_SEEDS]
    finally:
        torch.set_num_threads(threads)
    return {"sizes": sizes, "parameters": parameters, "accuracies": [r["accuracy"] for r in runs]}


def _budget_judge(m):
    if "error" in m:
        return False, m["error"]
    sizes, parameters = tuple(m["sizes"]), m["parameters"]
    if parameters > CIRCLES_MAX_PARAMETERS:
        return False, (f"hidden sizes {sizes} give {parameters} parameters (weights and biases), more than the "
                       f"budget of {CIRCLES_MAX_PARAMETERS}")
    best = max(m["accuracies"])
    if best >= CIRCLES_MIN_ACCURACY:
        return True, (f"hidden sizes {sizes}: {parameters} parameters, training accuracy "
                      f"{', '.join(f'{a:.0%}' for a in m['accuracies'])} with seeds {list(CIRCLES_SEEDS)}")
    if max(sizes) <= 2:
        return False, (f"hidden sizes {sizes}: at most {best:.0%} of the training set right. Every hidden layer is "
                       "at most as wide as the input (2 units): such a ReLU network cannot enclose the inner circle, "
                       "however deep (look at width 2 in the explorer)")
    if min(sizes) <= 2:
        return False, (f"hidden sizes {sizes}: at most {best:.0%} right. A layer of {min(sizes)} unit(s) squeezes "
                       "every case into at most that many numbers; what the layers after it can draw is limited by it")
    return False, (f"hidden sizes {sizes}: at most {best:.0%} right (at least {CIRCLES_MIN_ACCURACY:.0%} needed) "
                   "with seeds " + ", ".join(map(str, CIRCLES_SEEDS)))


register(BehaviourExercise(
    name="architectures/circles-budget",
    answer="circles_hidden_sizes",
    title="Enclose the circle on a budget",
    points=2,
    measure=_budget_measure,
    judge=_budget_judge,
    answer_is_data=True,
    seed=0,
    hint="Count parameters as (inputs + 1) x units per layer, the output layer included. The region of the inner "
         "circle is bounded: how many lines does it take to fence in a region of the plane?",
    notebook=PAGE,
))
