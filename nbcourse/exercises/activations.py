r"""Exercises of the chapter *Activation functions* (page ``book/activations/at-a-glance``).

=====================================  ==========================  ======  ============================
exercise                               the student writes          points  checked against
=====================================  ==========================  ======  ============================
``activations/sigmoid-grad``           ``sigmoid_grad_from_value``  1      ``sigmoid.grad`` and autograd
``activations/tanh-via-sigmoid``       ``tanh_via_sigmoid``         2      ``tanh`` (no ``tanh`` allowed)
``activations/swish``                  ``my_swish``                 1      ``swish``
``activations/swish-grad``             ``my_swish_grad``            2      ``swish.grad`` and autograd
``activations/dead-units``             ``dead_units``               2      units never switched on
``activations/activation-ranges``      ``no_gradient_left``         2      derivatives on a half-line
``activations/fix-the-run``            ``fixed_run``                3      a 4-layer ReLU net learns
``activations/selu-scale``             ``selu_weight_scale``        2      SELU stays normalised
``activations/rescue-sigmoid``         ``sigmoid_rescue``           2      6 sigmoid layers learn
=====================================  ==========================  ======  ============================

The last five are on the pages *at a glance* (``activation-ranges``) and *vanishing gradients,
saturated and dead units* (``dead-units``, ``fix-the-run``); ``selu-scale`` is on *Activations in action*, ``rescue-sigmoid`` on *Comparing activations*.

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

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

# the failing runs that two exercises give the student to fix: nbcourse.babysitting holds them, so the
# pages (and a graded kernel, which cannot import this module) read them from there
from nbcourse.babysitting import BROKEN_RUN, SIGMOID_RUN  # noqa: E402

PAGE = "activations/at-a-glance"
PAGE_VANISHING = "activations/vanishing-and-dead-units"

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
    hint="Product rule on z * sigma(beta z); the chain rule brings a factor beta into the derivative of "
         "sigma(beta z), and sigma'(u) = sigma(u) (1 - sigma(u)). Check your algebra at z = 0: S'(0) = 1/2.",
    notebook=PAGE,
))


# ----------------------------------------------------------------- dead units, by pre-activation

def _dead_units_reference(Z):
    Z = Z.detach().cpu().numpy() if isinstance(Z, torch.Tensor) else np.asarray(Z)
    return float(np.mean(np.all(Z <= 0, axis=0)))


def _dead_units_cases():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 12)) - np.linspace(-1, 4, 12)   # the last units sit below zero
    Z[:, 11] = -np.abs(Z[:, 11])                                # negative on every sample
    Z[:, 10] = -np.abs(Z[:, 10])
    Z[7, 10] = 0.3                                              # ...except one: it is alive
    zero = np.zeros((5, 3))
    zero[:, 0] = 1.0
    return [
        Case(args=(Z,), label="200 samples, 12 units, float64",
             hint="A unit is dead when z <= 0 on *every* sample: one positive sample keeps it alive."),
        Case(args=(Z.astype(np.float32),), label="the same, float32"),
        Case(args=(torch.tensor(Z),), label="a torch tensor"),
        Case(args=(zero,), label="units whose z is exactly 0 on every sample",
             hint="ReLU'(0) = 0: a unit stuck at z = 0 passes no gradient either; count z <= 0."),
        Case(args=(-np.abs(Z[:, :4]) - 1e-3,), label="every unit negative everywhere"),
        Case(args=(Z[:1],), label="a single sample"),
    ]


register(FunctionExercise(
    name="activations/dead-units",
    answer="dead_units",
    title="Count dead units from pre-activations",
    points=2,
    cases=_dead_units_cases,
    reference=_dead_units_reference,
    arg_names=("Z",),
    inputs="pre-activations Z of shape (samples, units): float64, float32, a torch tensor, units stuck at 0",
    hint="Reduce over the samples (axis 0): is every z <= 0? Then take the share of units for which it is.",
    notebook=PAGE_VANISHING,
))


# ------------------------------------------------- which activations can leave a unit with no gradient

_HALF_LINE = np.linspace(-50.0, -1.0, 50)  # a whole half-line of inputs, well away from 0


def _ranges_run(answer, *, seed):
    from nbcourse import activations

    del seed
    if isinstance(answer, str):
        answer = [answer]
    try:
        chosen = sorted({str(a) for a in answer})
    except TypeError:
        return {"valid": False, "got": repr(answer)[:80]}
    known = list(activations.ACTIVATIONS)
    truth = {}
    for name, act in activations.ACTIVATIONS.items():
        slope = np.asarray(act.grad(_HALF_LINE), dtype=np.float64)
        truth[name] = bool(np.all(slope == 0))
    return {"valid": True, "chosen": chosen, "known": known, "truth": truth,
            "slope_at_minus_3": {n: float(a.grad(-3.0)) for n, a in activations.ACTIVATIONS.items()}}


def _ranges_judge(measured):
    if not measured["valid"]:
        return False, f"give a list of activation names, got {measured['got']}"
    unknown = [n for n in measured["chosen"] if n not in measured["known"]]
    if unknown:
        return False, f"{unknown[0]!r} is not a name in nbcourse.activations.ACTIVATIONS"
    wrong = [n for n in measured["chosen"] if not measured["truth"][n]]
    if wrong:
        n = wrong[0]
        return False, (f"{n!r} is in your list, but its derivative at z = -3 is "
                       f"{measured['slope_at_minus_3'][n]:.3g}: small is not zero")
    missing = [n for n, t in measured["truth"].items() if t and n not in measured["chosen"]]
    if missing:
        return False, (f"every name in your list is right, but {len(missing)} activation(s) with a derivative "
                       f"of exactly 0 for all z <= -1 are missing (look at the dashed curves)")
    return True, "right: only these pass no gradient at all for a whole range of inputs"


register(BehaviourExercise(
    name="activations/activation-ranges",
    answer="no_gradient_left",
    title="Which units can be left with no gradient at all?",
    points=2,
    measure=_ranges_run,
    judge=_ranges_judge,
    answer_is_data=True,
    hint="Look for derivatives that are exactly zero for every z <= -1, not merely small.",
    notebook=PAGE,
))


# ------------------------------------------------------------------- fix a deep ReLU run that fails


FIX_TARGET = 0.5


def _fix_run(answer, *, seed):
    import torch as _torch

    from nbcourse.data import load_digits
    from nbcourse.models import MLP
    from nbcourse.train import Trainer

    if not isinstance(answer, dict):
        return {"valid": False, "why": f"the answer must be a dict like BROKEN_RUN, got {type(answer).__name__}"}
    extra = sorted(set(answer) - set(BROKEN_RUN))
    if extra:
        return {"valid": False, "why": f"unknown setting {extra[0]!r}; the settings are {sorted(BROKEN_RUN)}"}
    run = {**BROKEN_RUN, **answer}
    changed = sorted(k for k in BROKEN_RUN if run[k] != BROKEN_RUN[k])
    fixed = ("hidden_sizes", "epochs", "batch_size")
    if any(k in changed for k in fixed):
        return {"valid": False, "why": f"keep {', '.join(fixed)} as they are: change the settings that break it"}
    try:
        lr, bias = float(run["lr"]), float(run["bias_init"])
    except (TypeError, ValueError):
        return {"valid": False, "why": "lr and bias_init must be numbers"}
    if not (0 < lr <= 10) or not np.isfinite(bias):
        return {"valid": False, "why": f"lr must be in (0, 10] and bias_init finite, got {lr}, {bias}"}
    (X, y), (X_val, y_val) = load_digits(seed=0)
    model = MLP(64, run["hidden_sizes"], 10, activation="relu", init=run["init"], bias_init=bias, seed=seed)
    trainer = Trainer(model, _torch.nn.CrossEntropyLoss(), _torch.optim.SGD(model.parameters(), lr=lr), seed=seed)
    history = trainer.fit((X, y), (X_val, y_val), epochs=run["epochs"], batch_size=run["batch_size"])
    with _torch.no_grad():
        z, dead = X, []
        for name, layer in model.layers.named_children():
            z = layer(z)
            if name.startswith("fc"):
                dead.append(float((z <= 0).all(dim=0).float().mean()))
    return {"valid": True, "changed": changed, "val_loss": float(history["val_loss"][-1]), "dead": dead}


def _fix_judge(measured):
    if not measured["valid"]:
        return False, measured["why"]
    loss, dead = measured["val_loss"], ", ".join(f"{d:.0%}" for d in measured["dead"])
    if not np.isfinite(loss) or loss > FIX_TARGET:
        return False, (f"after your change ({', '.join(measured['changed']) or 'nothing changed'}) the validation "
                       f"loss is {loss:.3g} (target < {FIX_TARGET}); dead units per layer at the end: {dead}")
    return True, (f"the run learns: validation loss {loss:.3f}, dead units per layer {dead}; "
                  f"you changed {', '.join(measured['changed'])}")


register(BehaviourExercise(
    name="activations/fix-the-run",
    answer="fixed_run",
    title="Fix a deep ReLU run that does not learn",
    points=3,
    measure=_fix_run,
    judge=_fix_judge,
    answer_is_data=True,
    hint="Two things are wrong, each shown on the page: one kills units before training starts, "
         "one makes the steps too large for any ReLU network. Keep the activation.",
    notebook=PAGE_VANISHING,
))


# ------------------------------------------------------------- SELU: the weight scale that normalises

PAGE_ACTION = "activations/in-action"


def _selu_run(scale, *, seed):
    from nbcourse import activations

    try:
        c = float(scale)
    except (TypeError, ValueError):
        return {"valid": False, "got": repr(scale)[:60]}
    if not np.isfinite(c) or c <= 0:
        return {"valid": False, "got": repr(scale)[:60]}
    g = torch.Generator().manual_seed(seed)
    width, depth = 256, 20
    a = torch.randn(2000, width, generator=g)
    variances, means = [], []
    for _ in range(depth):
        W = torch.randn(width, width, generator=g) * (c / width) ** 0.5  # Var(w) = c / n
        a = activations.selu(a @ W.T)
        variances.append(float(a.var()))
        means.append(float(a.mean()))
    return {"valid": True, "scale": c, "variances": variances, "means": means}


def _selu_judge(measured):
    if not measured["valid"]:
        return False, f"give a positive number c (the weights' variance is c / n), got {measured['got']}"
    var, mean, c = measured["variances"][-1], measured["means"][-1], measured["scale"]
    if 0.7 <= var <= 1.4 and abs(mean) < 0.15:
        return True, f"with Var(w) = {c:g}/n the activations at layer 20 have mean {mean:+.3f}, variance {var:.3f}"
    trend = "grows" if var > 1.4 else "shrinks"
    return False, (f"with Var(w) = {c:g}/n the variance {trend} to {var:.3g} by layer 20 (mean {mean:+.3g}): "
                   f"the fixed point of SELU's mean and variance needs one particular weight scale")


register(BehaviourExercise(
    name="activations/selu-scale",
    answer="selu_weight_scale",
    title="The weight scale that lets SELU normalise itself",
    points=2,
    measure=_selu_run,
    judge=_selu_judge,
    answer_is_data=True,
    hint="Klambauer et al. derive the constants for weights with zero mean and sum of squares n Var(w) = 1.",
    notebook=PAGE_ACTION,
))


# ----------------------------------------------------------------- rescue a deep sigmoid network

PAGE_COMPARISON = "activations/comparison"

RESCUE_TARGET = 0.85


def _rescue_run(answer, *, seed):
    from torch import nn

    from nbcourse.data import load_digits
    from nbcourse.models import make_activation
    from nbcourse.train import Trainer

    if not isinstance(answer, dict):
        return {"valid": False, "why": f"the answer must be a dict like SIGMOID_RUN, got {type(answer).__name__}"}
    extra = sorted(set(answer) - set(SIGMOID_RUN))
    if extra:
        return {"valid": False, "why": f"unknown setting {extra[0]!r}; the settings are {sorted(SIGMOID_RUN)} "
                                       f"(the activation stays the sigmoid)"}
    run = {**SIGMOID_RUN, **answer}
    if run["init"] not in ("default", "xavier") or run["optimizer"] not in ("sgd", "adam") \
            or not isinstance(run["batch_norm"], bool):
        return {"valid": False, "why": "init is 'default' or 'xavier', optimizer 'sgd' or 'adam', batch_norm True "
                                       "or False"}
    try:
        lr = float(run["lr"])
    except (TypeError, ValueError):
        return {"valid": False, "why": "lr must be a number"}
    if not 0 < lr <= 10:
        return {"valid": False, "why": f"lr must be in (0, 10], got {lr}"}
    changed = sorted(k for k in SIGMOID_RUN if run[k] != SIGMOID_RUN[k])
    torch.manual_seed(seed)
    layers, fan_in = [], 64
    for _ in range(6):
        layers.append(nn.Linear(fan_in, 32))
        if run["init"] == "xavier":
            nn.init.xavier_uniform_(layers[-1].weight)
            nn.init.zeros_(layers[-1].bias)
        if run["batch_norm"]:
            layers.append(nn.BatchNorm1d(32))
        layers.append(make_activation("sigmoid"))
        fan_in = 32
    layers.append(nn.Linear(32, 10))
    model = nn.Sequential(*layers)
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[run["optimizer"]](model.parameters(), lr=lr)
    (X, y), (X_val, y_val) = load_digits(seed=0)
    history = Trainer(model, nn.CrossEntropyLoss(), opt, seed=seed, metrics="accuracy").fit(
        (X, y), (X_val, y_val), epochs=3, batch_size=32)
    return {"valid": True, "changed": changed, "accuracy": float(history["val_accuracy"][-1])}


def _rescue_judge(measured):
    if not measured["valid"]:
        return False, measured["why"]
    acc, changed = measured["accuracy"], ", ".join(measured["changed"]) or "nothing"
    if acc >= RESCUE_TARGET:
        return True, f"changing {changed}: validation accuracy {acc:.1%} after 3 epochs (target {RESCUE_TARGET:.0%})"
    return False, f"changing {changed}: validation accuracy {acc:.1%} after 3 epochs, below {RESCUE_TARGET:.0%}"


register(BehaviourExercise(
    name="activations/rescue-sigmoid",
    answer="sigmoid_rescue",
    title="Make a deep sigmoid network learn",
    points=2,
    measure=_rescue_run,
    judge=_rescue_judge,
    answer_is_data=True,
    hint="The page measured one change that brings six sigmoid layers close to ReLU; the vanishing-gradients "
         "page showed that a matched initialisation alone did not.",
    notebook=PAGE_COMPARISON,
))
