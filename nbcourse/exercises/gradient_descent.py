r"""Exercises of the chapter *Getting gradient descent to work* (pages under ``book/gradient-descent/``).

Sections 1-3 (the optimisation landscape; batch versus stochastic learning; the interactive example):

============================================  =======================  ======  ===========================================
exercise                                      the student writes       points  checked against
============================================  =======================  ======  ===========================================
``gradient-descent/saddle-gradient``          ``saddle_grad``          1       ``SURFACES["saddle"].grad`` and autograd
``gradient-descent/descent-path``             ``gradient_descent``     1       ``descent.descend``
``gradient-descent/ravine-learning-rate``     ``lr`` (a number)        1       batch descent on the ravine, 100 steps
``gradient-descent/shallow-basin``            ``basin_prediction``     1       batch descent on the local minima, 3 rates
``gradient-descent/sgd-step``                 ``sgd_step``             1       ``descent.LineCost.grad`` on the batch
``gradient-descent/sgd-epochs``               ``sgd_epochs``           2       ``descent.minibatch_descent``, batch size 1
``gradient-descent/annealing-tau``            ``tau`` (a number)       1       annealed SGD, 3000 updates
``gradient-descent/line-cost-grad``           ``line_cost_grad``       1       ``descent.LineCost.grad``
``gradient-descent/max-stable-lr``            ``max_stable_lr``        1       2 / the largest eigenvalue of the Hessian
``gradient-descent/example-setting``          ``example_choice``       1       the example's run on the medium set
============================================  =======================  ======  ===========================================

Sections 4-7 (mini-batches; the value of one sample; shuffling and balancing; babysitting):

============================================  =======================  ======  ===========================================
exercise                                      the student writes       points  checked against
============================================  =======================  ======  ===========================================
``gradient-descent/finite-population``        ``exact_variance``       2       ``minibatch.predicted_variance``
``gradient-descent/batch-size-and-lr``        ``settings`` (a dict)    2       a seeded run: target loss within 20 steps
``gradient-descent/softmax-grad-norm``        ``grad_norm``            1       ``per_sample.grad_norm_from_probabilities``
``gradient-descent/one-step-prediction``      ``step_prediction``      1       the page's trained model, one SGD step
``gradient-descent/weighted-cross-entropy``   ``weighted_ce``          1       ``torch.nn.functional.cross_entropy``
``gradient-descent/shuffled-epochs``          ``epoch_orders``         2       every epoch a new permutation, seeded
``gradient-descent/best-epoch``               ``best_epoch``           1       the arg-min of the validation loss
``gradient-descent/name-the-curves``          ``names`` (a dict)       2       ``babysitting.diagnose``, all or nothing
============================================  =======================  ======  ===========================================
"""

from __future__ import annotations

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE_MINIBATCH = "gradient-descent/04-mini-batches"
PAGE_ONE_SAMPLE = "gradient-descent/05-value-of-one-sample"
PAGE_SHUFFLING = "gradient-descent/06-shuffling-and-balancing"
PAGE_BABYSITTING = "gradient-descent/07-babysitting"


# ------------------------------------------------------------------------- 1-3. landscapes, batch and stochastic, the example
# (pages 01-03; the references are nbcourse.landscape and nbcourse.descent, imported when a check runs)

PAGE_LANDSCAPE = "gradient-descent/01-optimisation-landscape"
PAGE_BATCH_VS_STOCHASTIC = "gradient-descent/02-batch-vs-stochastic"
PAGE_EXAMPLE = "gradient-descent/03-interactive-example"


def _saddle(w):
    from nbcourse.landscape import SURFACES

    return SURFACES["saddle"](w)


def _saddle_grad_reference(w):
    from nbcourse.landscape import SURFACES

    return SURFACES["saddle"].grad(w)


def _saddle_cases():
    rng = np.random.default_rng(0)
    grid = rng.uniform(-2.0, 2.0, size=(6, 2))
    return [
        Case(args=(np.array([0.5, -1.5]),), label="one point w = (0.5, -1.5)"),
        Case(args=(np.array([0.0, 0.0]),), label="the saddle point w = (0, 0)",
             hint="At the saddle point both partial derivatives are zero."),
        Case(args=(np.array([0.0, 1.0]),), label="a minimum w = (0, 1)"),
        Case(args=(grid,), label="six points at once, shape (6, 2)",
             hint="Index the last dimension, w[..., 0] and w[..., 1], and stack the two partial derivatives "
                  "along a new last dimension, so that any shape (..., 2) works."),
        Case(args=(grid.astype(np.float32),), label="float32 points"),
        Case(args=(torch.tensor(grid[:3]),), label="a torch tensor of shape (3, 2)"),
        Case(args=(np.array([[1e3, -1e3]]),), label="far away, |w| = 1000"),
    ]


register(FunctionExercise(
    name="gradient-descent/saddle-gradient",
    answer="saddle_grad",
    title="The gradient of the saddle surface",
    points=1,
    cases=_saddle_cases,
    reference=_saddle_grad_reference,
    derivative_of=_saddle,
    forbidden=("grad", "backward"),
    arg_names=("w",),
    hint="f(w) = w1**2 / 2 + w2**4 / 4 - w2**2 / 2: differentiate by w1, then by w2.",
    notebook=PAGE_LANDSCAPE,
))


def _descent_path_reference(w0, lr, steps):
    from nbcourse.descent import descend
    from nbcourse.landscape import SURFACES

    return descend(SURFACES["saddle"], w0, lr=float(lr), steps=int(steps)).params


def _descent_path_cases():
    return [
        Case(args=(np.array([-1.8, 0.02]), 0.3, 20), label="from (-1.8, 0.02), lr = 0.3, 20 steps"),
        Case(args=(np.array([1.0, -0.5]), 0.05, 10), label="from (1, -0.5), lr = 0.05, 10 steps"),
        Case(args=(np.array([-1.8, 0.0]), 0.3, 15), label="from (-1.8, 0), on the line into the saddle"),
        Case(args=(np.array([0.5, 1.5]), 0.1, 0), label="zero steps",
             hint="With steps = 0 the path is the start alone: shape (1, 2)."),
        Case(args=(np.array([0.5, 1.5]), 1.0, 3), label="a large learning rate, lr = 1"),
    ]


register(FunctionExercise(
    name="gradient-descent/descent-path",
    answer="gradient_descent",
    title="Batch gradient descent on the saddle surface",
    points=1,
    cases=_descent_path_cases,
    reference=_descent_path_reference,
    forbidden=("descend",),
    arg_names=("w0", "lr", "steps"),
    hint="Start the path with w0; then, steps times, w = w - lr * SURFACES['saddle'].grad(w) and append w. "
         "Return the path as an array of shape (steps + 1, 2).",
    notebook=PAGE_LANDSCAPE,
))

RAVINE_STEPS = 100
RAVINE_TARGET = 1e-3


def _ravine_run(lr, *, seed):
    from nbcourse.descent import descend
    from nbcourse.landscape import SURFACES

    del seed                                   # batch gradient descent: nothing random
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        return {"lr": lr, "loss": float("nan"), "diverged": False, "valid": False}
    ravine = SURFACES["ravine"]
    run = descend(ravine, ravine.starts["A"], lr=lr, steps=RAVINE_STEPS)
    return {"lr": lr, "loss": float(run.loss[-1]), "start_loss": float(run.loss[0]),
            "diverged": bool(run.diverged), "valid": True}


def _ravine_judge(measured):
    lr, loss = measured["lr"], measured["loss"]
    if not measured["valid"]:
        return False, f"the learning rate must be a positive number, got {lr!r}"
    if measured["diverged"] or not np.isfinite(loss) or loss > measured["start_loss"]:
        return False, (f"with lr = {lr:g} gradient descent diverged: the loss grew from "
                       f"{measured['start_loss']:.3g} to {loss:.3g}, the steps across the ravine grow")
    if loss < RAVINE_TARGET:
        return True, f"with lr = {lr:g} the loss after {RAVINE_STEPS} steps is {loss:.2e} (< {RAVINE_TARGET:g})"
    return False, (f"with lr = {lr:g} the loss after {RAVINE_STEPS} steps is {loss:.3g}, not below "
                   f"{RAVINE_TARGET:g}")


register(BehaviourExercise(
    name="gradient-descent/ravine-learning-rate",
    answer="ravine_lr",
    title="A learning rate for the ravine",
    points=1,
    measure=_ravine_run,
    judge=_ravine_judge,
    answer_is_data=True,
    seed=0,
    hint="Across the ravine the curvature is 5, so any lr above 2/5 = 0.4 diverges; along it the curvature is "
         "0.1, and each step shrinks the distance by 1 - 0.1 lr. You need the largest stable rate you can get.",
    notebook=PAGE_LANDSCAPE,
))


BASIN_CHOICES = ("shallow minimum", "deep minimum", "bounces")


def _basin_run(prediction, *, seed):
    from nbcourse.descent import descend
    from nbcourse.landscape import SURFACES

    del seed                                   # batch gradient descent: nothing random
    surface = SURFACES["local-minima"]
    deep, shallow = (np.array(p) for p in surface.minima)
    outcome = {}
    for name, lr in surface.learning_rates.items():
        end = descend(surface, surface.starts["A"], lr=lr, steps=surface.steps).final
        if np.linalg.norm(end - shallow) < 1e-3:
            outcome[name] = "shallow minimum"
        elif np.linalg.norm(end - deep) < 1e-3:
            outcome[name] = "deep minimum"
        else:
            outcome[name] = "bounces"
    given = {str(k): str(v).strip().lower() for k, v in dict(prediction).items()} if isinstance(prediction, dict) else None
    return {"outcome": outcome, "given": given}


def _basin_judge(measured):
    outcome, given = measured["outcome"], measured["given"]
    if given is None or set(given) != set(outcome):
        return False, (f"basin_prediction must be a dict with the keys {sorted(outcome)}, each mapped to one of "
                       f"{list(BASIN_CHOICES)}")
    bad = [v for v in given.values() if v not in BASIN_CHOICES]
    if bad:
        return False, f"{bad[0]!r} is not one of {list(BASIN_CHOICES)}"
    if given == outcome:
        return True, "right for all three rates: " + ", ".join(f"{k}: {v}" for k, v in outcome.items())
    # all or nothing: saying which rate is wrong would let the answer be found by trying
    return False, ("not all three are right (the check does not say which, so that trying answers does not find "
                   "it). Compare each rate with 2 / lambda_max at the shallow minimum, and remember that batch "
                   "descent only walks downhill")


register(BehaviourExercise(
    name="gradient-descent/shallow-basin",
    answer="basin_prediction",
    title="Predict where batch descent ends in the shallow basin",
    points=1,
    measure=_basin_run,
    judge=_basin_judge,
    answer_is_data=True,
    seed=0,
    hint="Batch descent from A only walks downhill, so it cannot cross the ridge; whether it settles depends on "
         "the rate against 2 / lambda_max of the Hessian at the minimum it falls into.",
    notebook=PAGE_LANDSCAPE,
))


def _sgd_step_reference(w, b, x, y, lr):
    from nbcourse.descent import LineCost

    return np.array([w, b], dtype=np.float64) - lr * LineCost(x, y).grad((w, b))


def _sgd_step_cases():
    from nbcourse.data.synthetic import make_line

    x, y = (t.numpy() for t in make_line(24, seed=3))
    return [
        Case(args=(0.5, -1.0, x[:1], y[:1], 0.1), label="one sample, lr = 0.1"),
        Case(args=(0.0, 0.0, np.array([0.0]), np.array([2.0]), 0.5), label="one sample at x = 0",
             hint="At x = 0 only the intercept moves: the slope's gradient is -r * x."),
        Case(args=(2.0, 1.0, x[:1], y[:1], 0.0), label="lr = 0: nothing moves"),
        Case(args=(1.5, -0.5, x[:5], y[:5], 0.3), label="a mini-batch of 5 samples",
             hint="For a mini-batch, average the per-sample gradients over its samples."),
        Case(args=(-1.0, 2.0, x, y, 0.2), label="all 24 samples (a batch step)"),
        Case(args=(0.5, -1.0, x[:4].astype(np.float32), y[:4].astype(np.float32), 0.1), label="float32 samples"),
        Case(args=(0.5, -1.0, torch.tensor(x[:3]), torch.tensor(y[:3]), 0.1), label="torch tensors"),
    ]


register(FunctionExercise(
    name="gradient-descent/sgd-step",
    answer="sgd_step",
    title="One step of stochastic gradient descent on the line model",
    points=1,
    cases=_sgd_step_cases,
    reference=_sgd_step_reference,
    arg_names=("w", "b", "x", "y", "lr"),
    hint="With the residuals r = y - (w x + b): dJ/dw = -mean(r x), dJ/db = -mean(r); return "
         "np.array([w - lr * dJ/dw, b - lr * dJ/db]).",
    notebook=PAGE_BATCH_VS_STOCHASTIC,
))


def _sgd_epochs_reference(x, y, start, lr, epochs, seed):
    from nbcourse.descent import LineCost, minibatch_descent

    if int(epochs) == 0:
        return np.asarray(start, dtype=np.float64)
    cost = LineCost(x, y)
    return minibatch_descent(cost, start, lr=float(lr), batch_size=1, epochs=int(epochs), seed=int(seed)).final


def _sgd_epochs_cases():
    from nbcourse.data.synthetic import make_line

    x, y = (t.numpy() for t in make_line("small", seed=0))
    x5, y5 = x[:5], y[:5]
    return [
        Case(args=(x5, y5, (0.0, 0.0), 0.1, 1, 0), label="5 samples, one epoch",
             hint="Inside an epoch, each step uses the gradient at the current (w, b), not at the epoch's start."),
        Case(args=(x5, y5, (0.0, 0.0), 0.1, 3, 0), label="5 samples, three epochs",
             hint="Draw a new permutation at the start of every epoch, from one generator seeded once."),
        Case(args=(x, y, (-1.5, 2.0), 0.3, 2, 1), label="the small set (48 samples), two epochs, seed 1"),
        Case(args=(x, y, (-1.5, 2.0), 0.05, 1, 7), label="the small set, lr 0.05, seed 7"),
        Case(args=(x5, y5, (1.0, 1.0), 0.1, 0, 0), label="zero epochs: the start"),
    ]


register(FunctionExercise(
    name="gradient-descent/sgd-epochs",
    answer="sgd_epochs",
    title="Fix a stochastic gradient descent loop",
    points=2,
    cases=_sgd_epochs_cases,
    reference=_sgd_epochs_reference,
    forbidden=("minibatch_descent",),
    arg_names=("x", "y", "start", "lr", "epochs", "seed"),
    rtol=1e-9, atol=1e-12,
    hint="rng = np.random.default_rng(seed) once; every epoch: for i in rng.permutation(len(x)): "
         "(w, b) = (w, b) - lr * (the gradient of sample i at the current (w, b)).",
    notebook=PAGE_BATCH_VS_STOCHASTIC,
))

TAU_STEPS, TAU_LR, TAU_DISTANCE = 3000, 0.3, 0.02


def _tau_run(tau, *, seed):
    from nbcourse.data.synthetic import make_line
    from nbcourse.descent import LineCost, annealed_lr, minibatch_descent

    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not np.isfinite(tau) or tau <= 0:
        return {"valid": False, "tau": repr(tau)}
    cost = LineCost(*make_line("medium", seed=1))
    run = minibatch_descent(cost, (-1.0, 2.0), lr=lambda t: annealed_lr(t, lr=TAU_LR, tau=float(tau)),
                            batch_size=1, steps=TAU_STEPS, seed=seed)
    distance = np.linalg.norm(run.params - cost.solution, axis=1)
    return {"valid": True, "tau": float(tau), "last": float(distance[-500:].mean()),
            "final_lr": float(run.lr[-1])}


def _tau_judge(measured):
    if not measured["valid"]:
        return False, f"tau must be a positive number of updates, got {measured['tau']}"
    tau, last = measured["tau"], measured["last"]
    if last < TAU_DISTANCE:
        return True, (f"with tau = {tau:g} the mean distance to the minimum over the last 500 updates is {last:.3f} "
                      f"(< {TAU_DISTANCE})")
    return False, (f"with tau = {tau:g} the mean distance to the minimum over the last 500 updates is {last:.3f}, "
                   f"not below {TAU_DISTANCE}; the rate at the end is {measured['final_lr']:.2g}. Is that too "
                   f"small to have arrived, or too large to be calm?")


register(BehaviourExercise(
    name="gradient-descent/annealing-tau",
    answer="tau",
    title="An annealing schedule that arrives and settles",
    points=1,
    measure=_tau_run,
    judge=_tau_judge,
    answer_is_data=True,
    seed=0,
    hint="Too small a tau shrinks the steps before SGD has reached the minimum; too large a tau leaves them "
         "large enough to keep rattling. The rate is halved after tau updates.",
    notebook=PAGE_BATCH_VS_STOCHASTIC,
))


def _line_cost_grad_reference(w, b, x, y):
    from nbcourse.descent import LineCost

    return LineCost(x, y).grad((w, b))


def _line_cost_grad_cases():
    from nbcourse.data.synthetic import make_line
    from nbcourse.descent import LineCost

    x, y = (t.numpy() for t in make_line("small", seed=0))
    xl, yl = (t.numpy() for t in make_line("large", seed=1))
    w_star, b_star = LineCost(xl, yl).solution
    return [
        Case(args=(-1.5, 2.0, x, y), label="the small training set at the red dot (-1.5, 2)"),
        Case(args=(1.5, -0.5, x, y), label="at the ground truth (1.5, -0.5)"),
        Case(args=(float(w_star), float(b_star), xl, yl), label="at the minimum of J: the gradient vanishes"),
        Case(args=(0.0, 0.0, np.array([2.0]), np.array([3.0])), label="one sample"),
        Case(args=(4.0, 1.0, x.astype(np.float32), y.astype(np.float32)), label="float32 data"),
        Case(args=(4.0, 1.0, torch.tensor(xl), torch.tensor(yl)), label="torch tensors, the large set"),
    ]


register(FunctionExercise(
    name="gradient-descent/line-cost-grad",
    answer="line_cost_grad",
    title="The gradient of the cost landscape J(w, b)",
    points=1,
    cases=_line_cost_grad_cases,
    reference=_line_cost_grad_reference,
    forbidden=("grad", "backward"),
    arg_names=("w", "b", "x", "y"),
    hint="J = mean((y - w x - b)**2) / 2. With r = y - w x - b: dJ/dw = -mean(r x) and dJ/db = -mean(r). "
         "Return the pair as an array, np.array([dJ/dw, dJ/db]).",
    notebook=PAGE_EXAMPLE,
))


def _max_stable_lr_reference(x):
    from nbcourse.descent import LineCost

    x = np.asarray(x, dtype=np.float64)
    return 2.0 / np.linalg.eigvalsh(LineCost(x, np.zeros_like(x)).hessian()).max()


def _max_stable_lr_cases():
    from nbcourse.data.synthetic import make_line

    return [
        Case(args=(make_line("small", seed=0)[0].numpy(),), label="the small training set"),
        Case(args=(make_line("large", seed=0)[0].numpy(),), label="the large training set"),
        Case(args=(np.zeros(10),), label="every x = 0: only b matters",
             hint="With x = 0 the Hessian is diag(0, 1)."),
        Case(args=(np.ones(10),), label="every x = 1: w and b do the same thing"),
        Case(args=(make_line(50, x_range=(2.0, 4.0), seed=2)[0].numpy().astype(np.float32),),
             label="x between 2 and 4, float32"),
    ]


register(FunctionExercise(
    name="gradient-descent/max-stable-lr",
    answer="max_stable_lr",
    title="The largest learning rate batch descent survives",
    points=1,
    cases=_max_stable_lr_cases,
    reference=_max_stable_lr_reference,
    arg_names=("x",),
    hint="The Hessian of J is [[mean(x**2), mean(x)], [mean(x), 1]]; batch descent is stable for "
         "lr < 2 / (its largest eigenvalue): np.linalg.eigvalsh gives the eigenvalues.",
    notebook=PAGE_EXAMPLE,
))


EXAMPLE_TARGET, EXAMPLE_BUDGET = 1e-3, 2400


def _example_setting_run(choice, *, seed):
    from nbcourse.data.synthetic import make_line
    from nbcourse.descent import EXAMPLE_LEARNING_RATES, EXAMPLE_STARTS, EXAMPLE_TRUTH, LineCost, minibatch_descent

    if not isinstance(choice, dict) or set(choice) != {"lr", "batch_size"}:
        return {"valid": False, "why": "example_choice must be a dict with the keys 'lr' and 'batch_size', "
                                       "e.g. {'lr': 'small', 'batch_size': 1}"}
    lr, S = choice["lr"], choice["batch_size"]
    if lr not in EXAMPLE_LEARNING_RATES:
        return {"valid": False, "why": f"'lr' must be one of {list(EXAMPLE_LEARNING_RATES)}, got {lr!r}"}
    if S not in (1, 24, "m"):
        return {"valid": False, "why": f"'batch_size' must be one of 1, 24, 'm', got {S!r}"}
    cost = LineCost(*make_line("medium", w=EXAMPLE_TRUTH[0], b=EXAMPLE_TRUTH[1], seed=seed))
    run = minibatch_descent(cost, EXAMPLE_STARTS[0], lr=EXAMPLE_LEARNING_RATES[lr],
                            batch_size=cost.m if S == "m" else S, steps=100, seed=seed)
    gap = float(run.loss[-1] - cost(cost.solution)) if not run.diverged else float("inf")
    return {"valid": True, "lr": lr, "batch_size": str(S), "gap": gap, "gradients": int(run.evaluations[-1])}


def _example_setting_judge(measured):
    if not measured["valid"]:
        return False, measured["why"]
    what = f"lr {measured['lr']!r} with batch size {measured['batch_size']}"
    gap, n = measured["gap"], measured["gradients"]
    if not np.isfinite(gap) or gap >= EXAMPLE_TARGET:
        return False, f"{what} ends {gap:.2g} above min J after 100 updates, not within {EXAMPLE_TARGET:g}"
    if n > EXAMPLE_BUDGET:
        return False, (f"{what} gets within {gap:.1e} of min J, but spends {n} per-sample gradients, more than "
                       f"{EXAMPLE_BUDGET}: could a smaller batch do it?")
    return True, f"{what} ends {gap:.1e} above min J after 100 updates, with {n} per-sample gradients"


register(BehaviourExercise(
    name="gradient-descent/example-setting",
    answer="example_choice",
    title="Choose the example's settings for an accurate, cheap fit",
    points=1,
    measure=_example_setting_run,
    judge=_example_setting_judge,
    answer_is_data=True,
    seed=0,
    hint="Batch size 1 never settles with a constant rate; the full batch settles but costs m gradients per "
         "update; the small rate has not arrived after 100 updates.",
    notebook=PAGE_EXAMPLE,
))


# ------------------------------------------------------------------------- 4. mini-batches

def _exact_variance_cases():
    rng = np.random.default_rng(0)
    g6 = rng.normal(size=(6, 3))
    return [
        Case(args=(np.array([[0.0], [1.0], [2.0], [3.0]]), 2), label="four scalar gradients 0, 1, 2, 3, S = 2"),
        Case(args=(g6, 1), label="six gradients of 3 weights, S = 1 (stochastic)",
             hint="With S = 1 the mini-batches are the single samples: the variance is sigma^2 itself."),
        Case(args=(g6, 3), label="six gradients, S = 3"),
        Case(args=(g6, 6), label="S = m: the batch gradient",
             hint="A mini-batch of all m samples is the batch gradient: its variance is 0."),
        Case(args=(rng.normal(size=(9, 2)).astype(np.float32), 4), label="nine float32 gradients, S = 4"),
        Case(args=(torch.tensor(rng.normal(size=(7, 5))), 2), label="a torch tensor, seven gradients, S = 2"),
    ]


def _exact_variance_reference(G, S):
    """The law of the page: sigma^2 / S * (m - S) / (m - 1), with sigma^2 the per-sample variance."""
    from nbcourse.minibatch import predicted_variance

    G = np.asarray(G, dtype=np.float64)
    m = len(G)
    sigma2 = float(((G - G.mean(axis=0)) ** 2).sum(axis=1).mean())
    return predicted_variance(sigma2, batch_size=int(S), m=m)


register(FunctionExercise(
    name="gradient-descent/finite-population",
    answer="exact_variance",
    title="The finite-population factor, by counting every mini-batch",
    points=2,
    cases=_exact_variance_cases,
    reference=_exact_variance_reference,
    forbidden=("predicted_variance", "gradient_variance"),
    arg_names=("G", "S"),
    inputs="2 to 9 gradients of 1 to 5 weights, S from 1 to m, float32, float64 and torch",
    hint="itertools.combinations(range(m), S) lists every mini-batch drawn without replacement, each equally "
         "likely; average ||mean of its rows - mean of all rows||^2 over them.",
    notebook=PAGE_MINIBATCH,
))

#: The problem of ``batch-size-and-lr``: softmax regression on digits, plain SGD with momentum 0.9.
TARGET_LOSS, MAX_STEPS = 0.5, 20


def _batch_size_run(settings, *, seed):
    from nbcourse.minibatch import digits_softmax_problem, steps_to_target

    if not isinstance(settings, dict) or set(settings) != {"batch_size", "lr"}:
        raise ValueError("settings must be a dict with exactly two keys, 'batch_size' and 'lr', "
                         "e.g. {'batch_size': 32, 'lr': 0.1}")
    S, lr = settings["batch_size"], settings["lr"]
    if isinstance(S, bool) or not isinstance(S, int) or not 1 <= S <= 1024:
        raise ValueError(f"batch_size must be an integer from 1 to 1024, got {S!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= 100:
        raise ValueError(f"lr must be a number in (0, 100], got {lr!r}")
    make_model, X, y = digits_softmax_problem(seed=seed)
    steps = steps_to_target(make_model, X, y, batch_size=S, lr=float(lr), target=TARGET_LOSS,
                            max_steps=MAX_STEPS, seed=seed)
    return {"steps": -1 if steps is None else int(steps), "batch_size": S, "lr": float(lr)}


def _batch_size_judge(measured):
    steps, S, lr = measured["steps"], measured["batch_size"], measured["lr"]
    if steps < 0:
        return False, (f"with batch size {S} and learning rate {lr:g} the training loss did not reach "
                       f"{TARGET_LOSS} within {MAX_STEPS} steps")
    return True, (f"batch size {S} with learning rate {lr:g} reached a training loss below {TARGET_LOSS} "
                  f"in {steps} steps (at most {MAX_STEPS} allowed)")


register(BehaviourExercise(
    name="gradient-descent/batch-size-and-lr",
    answer="settings",
    title="Few steps: a batch size and a learning rate",
    points=2,
    measure=_batch_size_run,
    judge=_batch_size_judge,
    answer_is_data=True,
    seed=0,
    hint="Tiny batches are too noisy to get there in 20 steps whatever the learning rate; a larger "
         "batch lets a larger learning rate work. Look at the best learning rate per batch size in the "
         "steps-to-target figure.",
    notebook=PAGE_MINIBATCH,
))


# ------------------------------------------------------------------------- 5. the value of one sample

def _grad_norm_cases():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(10), size=6)
    x = rng.uniform(0, 1, size=(6, 64))
    t = rng.integers(0, 10, size=6)
    confident = np.full(10, 1e-6)
    confident[3] = 1 - 9e-6
    return [
        Case(args=(p[0], int(t[0]), x[0]), label="one sample, 10 classes, 64 inputs"),
        Case(args=(confident, 3, x[1]), label="a confident, correct prediction",
             hint="When p is almost the one-hot target, the gradient is almost zero."),
        Case(args=(confident, 7, x[2]), label="a confident, wrong prediction (a surprise)"),
        Case(args=(np.array([0.5, 0.5]), 0, np.array([1.0, 1.0, 1.0])), label="two classes, p = (0.5, 0.5)",
             hint="With a bias the input is effectively (x, 1): its norm is sqrt(||x||^2 + 1)."),
        Case(args=(p[3].astype(np.float32), int(t[3]), x[3].astype(np.float32)), label="float32"),
        Case(args=(np.array([0.2, 0.8]), 1, np.zeros(4)), label="an all-zero input (only the bias moves)"),
    ]


def _grad_norm_reference(p, target, x):
    from nbcourse.per_sample import grad_norm_from_probabilities

    return grad_norm_from_probabilities(np.asarray(p, dtype=np.float64), int(target), np.asarray(x, dtype=np.float64))


register(FunctionExercise(
    name="gradient-descent/softmax-grad-norm",
    answer="grad_norm",
    title="How much one sample moves softmax regression",
    points=1,
    cases=_grad_norm_cases,
    reference=_grad_norm_reference,
    arg_names=("p", "target", "x"),
    forbidden=("backward", "autograd", "grad_norm_from_probabilities", "per_sample_grad_norms"),
    inputs="random and confident predictions, right and wrong, float32 and float64, a zero input",
    hint="The gradient is the outer product (p - y) [x, 1]^T; the norm of an outer product is the "
         "product of the norms: ||p - y|| * sqrt(||x||^2 + 1), y the one-hot vector of target.",
    notebook=PAGE_ONE_SAMPLE,
))


def _one_step_run(prediction, *, seed):
    """The page's experiment: softmax regression trained 20 epochs on digits with 5% flipped labels, then one
    SGD step (lr 0.05) on the training digit with the largest loss."""
    import torch.nn.functional as F

    from nbcourse.data import flip_labels, load_digits
    from nbcourse.models import MLP
    from nbcourse.per_sample import one_step, per_sample_losses
    from nbcourse.train import Trainer

    (X, y_clean), (X_val, y_val) = load_digits(seed=seed)
    y, flipped = flip_labels(y_clean, fraction=0.05, num_classes=10, seed=seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)       # a tiny model: one thread is ~30 times faster than two on a busy machine
    try:
        model = MLP(64, (), 10, seed=seed)
        trainer = Trainer(model, F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.05), device="cpu",
                          seed=seed)
        for _ in range(20):
            trainer.fit((X, y), epochs=1, batch_size=16)
        i = int(torch.argmax(per_sample_losses(model, X, y)))
        r = one_step(model, X[i], y[i], lr=0.05, X_ref=X_val, y_ref=y_val)
    finally:
        torch.set_num_threads(threads)
    outcome = {"own_loss": "down" if r["loss_after"] < r["loss_before"] else "up",
               "validation_loss": "down" if r["ref_loss_after"] < r["ref_loss_before"] else "up"}
    given = ({str(k): str(v).strip().lower() for k, v in prediction.items()}
             if isinstance(prediction, dict) else None)
    return {"outcome": outcome, "given": given, "corrupted": bool(flipped[i])}


def _one_step_judge(measured):
    outcome, given = measured["outcome"], measured["given"]
    if given is None or set(given) != set(outcome) or not set(given.values()) <= {"up", "down"}:
        return False, (f"step_prediction must be a dict with the keys {sorted(outcome)}, each 'up' or 'down'")
    if given == outcome:
        return True, ("right: the step lowers the sample's own loss (it follows that sample's gradient) and "
                      "raises the validation loss (the sample's label is wrong, so what it teaches is wrong)")
    return False, ("not both right (the check does not say which). What does a gradient step do to the loss it "
                   "was computed on? And what does this sample's label teach the model about other digits?")


register(BehaviourExercise(
    name="gradient-descent/one-step-prediction",
    answer="step_prediction",
    title="Predict what one step on the most surprising digit does",
    points=1,
    measure=_one_step_run,
    judge=_one_step_judge,
    answer_is_data=True,
    seed=0,
    hint="A small enough step along -grad L_i lowers L_i. The most surprising digit of this training set is "
         "most likely one whose label was flipped.",
    notebook=PAGE_ONE_SAMPLE,
))


# ------------------------------------------------------------------------- 6. shuffling and balancing

def _weighted_ce_cases():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 4, generator=g, dtype=torch.float64)
    target = torch.tensor([0, 1, 2, 3, 0, 0, 1, 2])
    w = torch.tensor([1.0, 2.0, 0.5, 4.0], dtype=torch.float64)
    return [
        Case(args=(logits, target, torch.ones(4, dtype=torch.float64)), label="all weights 1: the plain mean",
             hint="With every weight 1 this is the ordinary mean cross-entropy."),
        Case(args=(logits, target, w), label="four classes, weights 1, 2, 0.5, 4"),
        Case(args=(logits, target, 10 * w), label="the same weights times 10",
             hint="With mean reduction, scaling every weight by 10 changes nothing: PyTorch divides by the sum "
                  "of the weights of the samples in the batch, not by their number."),
        Case(args=(logits[:1], target[:1], w), label="a batch of one sample"),
        Case(args=(logits.float(), target, w.float()), label="float32"),
        Case(args=(100 * logits, target, w), label="large logits (|z| up to a few hundred)",
             hint="Compute log-softmax stably: subtract the largest logit first (or use torch.logsumexp)."),
    ]


def _weighted_ce_reference(logits, target, weight):
    return torch.nn.functional.cross_entropy(torch.as_tensor(logits, dtype=torch.float64), torch.as_tensor(target),
                                             weight=torch.as_tensor(weight, dtype=torch.float64))


register(FunctionExercise(
    name="gradient-descent/weighted-cross-entropy",
    answer="weighted_ce",
    title="What a class-weighted mean loss divides by",
    points=1,
    cases=_weighted_ce_cases,
    reference=_weighted_ce_reference,
    arg_names=("logits", "target", "weight"),
    forbidden=("cross_entropy", "CrossEntropyLoss", "nll_loss", "NLLLoss"),
    inputs="4 classes, uniform and uneven weights, scaled weights, one sample, float32, large logits",
    hint="Per sample, L_i = logsumexp(z_i) - z_i[y_i]; the weighted mean is sum_i w[y_i] L_i / sum_i w[y_i].",
    notebook=PAGE_SHUFFLING,
))


def _orders_measure(epoch_orders, *, seed):
    first = epoch_orders(n=9, epochs=5, seed=seed)
    again = epoch_orders(n=9, epochs=5, seed=seed)
    other = epoch_orders(n=9, epochs=5, seed=seed + 1)

    def plain(orders):
        return [[int(i) for i in order] for order in orders]

    return {"first": plain(first), "again": plain(again), "other": plain(other)}


def _orders_judge(measured):
    first, again, other = measured["first"], measured["again"], measured["other"]
    if len(first) != 5:
        return False, f"epoch_orders(n=9, epochs=5, seed=...) returned {len(first)} orders, expected one per epoch (5)"
    for e, order in enumerate(first, start=1):
        if sorted(order) != list(range(9)):
            return False, (f"epoch {e}'s order {order} is not a permutation of 0..8: every sample must be seen "
                           f"exactly once per epoch")
    if len({tuple(o) for o in first}) < 2:
        return False, "every epoch has the same order: draw a new permutation in each epoch"
    if first != again:
        return False, "the same seed gave different orders: seed a generator (np.random.default_rng(seed)) once"
    if first == other:
        return False, "a different seed gave the same orders: the seed must decide the orders"
    return True, "every epoch is a new permutation of all 9 samples, and the seed makes it repeatable"


register(BehaviourExercise(
    name="gradient-descent/shuffled-epochs",
    answer="epoch_orders",
    title="Shuffle in every epoch, see every sample once",
    points=2,
    measure=_orders_measure,
    judge=_orders_judge,
    seed=0,
    hint="One generator seeded once, then one permutation per epoch: rng.permutation(n).",
    notebook=PAGE_SHUFFLING,
))


# ------------------------------------------------------------------------- 7. babysitting

def _best_epoch_cases():
    return [
        Case(args=([2.3, 1.2, 0.8, 0.7, 0.75, 0.9],), label="a U-shaped validation loss"),
        Case(args=([2.3, 1.0, 0.5, 0.4, 0.35],), label="still falling at the last epoch"),
        Case(args=([1.0, 0.5, 0.5, 0.7],), label="a tie: the earlier epoch",
             hint="On a tie, early stopping keeps the first epoch that reached the minimum."),
        Case(args=([0.3],), label="a single epoch", hint="Epochs are counted from 1."),
        Case(args=(np.array([0.9, 0.2, 0.4]),), label="a numpy array"),
    ]


register(FunctionExercise(
    name="gradient-descent/best-epoch",
    answer="best_epoch",
    title="The epoch early stopping would keep",
    points=1,
    cases=_best_epoch_cases,
    reference=lambda val_loss: int(np.argmin(np.asarray(val_loss, dtype=np.float64))) + 1,
    arg_names=("val_loss",),
    inputs="U-shaped and falling curves, a tie, one epoch, a numpy array",
    hint="The epoch (counted from 1) of the lowest validation loss; the first one on a tie.",
    notebook=PAGE_BABYSITTING,
))


def _names_measure(names, *, seed):
    from nbcourse.babysitting import diagnose, quiz_curves

    expected = {letter: diagnose(curves).kind for letter, curves in quiz_curves().items()}
    given = ({str(k).strip().upper(): str(v).strip().lower() for k, v in dict(names).items()}
             if isinstance(names, dict) else {})
    return {"expected": expected, "given": given}


def _names_judge(measured):
    expected, given = measured["expected"], measured["given"]
    letters = ", ".join(sorted(expected))
    missing = [k for k in sorted(expected) if k not in given]
    if missing:
        return False, f"no name for {', '.join(missing)}: give one of the six case names for each of {letters}"
    allowed = set(expected.values())
    unknown = sorted({v for k, v in given.items() if k in expected and v not in allowed})
    if unknown:
        return False, f"{unknown[0]!r} is not one of the six case names"
    if all(given[k] == expected[k] for k in expected):
        return True, f"all {len(expected)} curves named correctly"
    # all or nothing, and not how many: a count or a letter would let the answer be found by trying
    return False, (f"not all {len(expected)} are right. The check does not say which or how many (that would let "
                   f"the answer be found by trying). Read each pair again: is the validation loss still falling, "
                   f"climbing from a minimum, jumping, or level, and how far from the training loss?")


register(BehaviourExercise(
    name="gradient-descent/name-the-curves",
    answer="names",
    title="Name the eight learning curves (all or nothing)",
    points=2,
    measure=_names_measure,
    judge=_names_judge,
    answer_is_data=True,
    seed=0,
    hint="Names: 'underfit-capacity', 'underfit-undertrained', 'overfit', 'train-too-small', "
         "'val-too-small', 'good-fit'; a case may appear more than once. Read the end of the curves: still "
         "falling? a gap? a climb? noise?",
    notebook=PAGE_BABYSITTING,
))
