r"""Exercises of the chapter *Getting gradient descent to work* (pages under ``book/gradient-descent/``).

Sections 1-3 (the optimisation landscape; batch versus stochastic learning; the interactive example):

=========================================  =======================  ======  ===========================================
exercise                                   the student writes       points  checked against
=========================================  =======================  ======  ===========================================
``gradient-descent/saddle-gradient``       ``saddle_grad``          1       ``SURFACES["saddle"].grad`` and autograd
``gradient-descent/descent-path``          ``gradient_descent``     1       ``descent.descend``
``gradient-descent/ravine-learning-rate``  ``lr`` (a number)        1       batch descent on the ravine, 100 steps
``gradient-descent/sgd-step``              ``sgd_step``             1       ``descent.LineCost.grad`` on the batch
``gradient-descent/annealing``             ``annealing``            1       ``descent.annealed_lr``
``gradient-descent/line-cost-grad``        ``line_cost_grad``       1       ``descent.LineCost.grad``
``gradient-descent/max-stable-lr``         ``max_stable_lr``        1       2 / the largest eigenvalue of the Hessian
=========================================  =======================  ======  ===========================================

Sections 4-7 (mini-batches; the value of one sample; shuffling and balancing; babysitting):

=========================================  =======================  ======  ===========================================
exercise                                   the student writes       points  checked against
=========================================  =======================  ======  ===========================================
``gradient-descent/minibatch-variance``    ``minibatch_variance``   1       ``minibatch.predicted_variance``
``gradient-descent/batch-size-and-lr``     ``settings`` (a dict)    2       a seeded run: target loss within 20 steps
``gradient-descent/softmax-grad-norm``     ``grad_norm``            1       ``per_sample.grad_norm_from_probabilities``
``gradient-descent/balanced-weights``      ``balanced_weights``     1       ``sampling.class_weights``
``gradient-descent/shuffled-epochs``       ``epoch_orders``         2       every epoch a new permutation, seeded
``gradient-descent/best-epoch``            ``best_epoch``           1       the arg-min of the validation loss
``gradient-descent/name-the-curves``       ``names`` (a dict)       2       ``babysitting.diagnose``
=========================================  =======================  ======  ===========================================
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


def _annealing_reference(t, lr0, tau):
    from nbcourse.descent import annealed_lr

    return annealed_lr(np.asarray(t, dtype=np.float64), lr=float(lr0), tau=float(tau))


def _annealing_cases():
    return [
        Case(args=(0, 0.1, 100), label="t = 0: the initial rate"),
        Case(args=(100, 0.1, 100), label="t = tau: half the initial rate"),
        Case(args=(np.arange(0, 1000, 50), 0.5, 20.0), label="an array of steps",
             hint="Work elementwise so that an array of steps works too."),
        Case(args=(10 ** 6, 1.0, 10), label="a million steps: about lr0 * tau / t"),
        Case(args=(np.array([0, 1, 2, 3]), 0.3, 0.5), label="tau = 0.5: fast annealing"),
    ]


register(FunctionExercise(
    name="gradient-descent/annealing",
    answer="annealing",
    title="The 1/t annealing schedule",
    points=1,
    cases=_annealing_cases,
    reference=_annealing_reference,
    forbidden=("annealed_lr",),
    arg_names=("t", "lr0", "tau"),
    hint="lr_t = lr0 / (1 + t / tau).",
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


# ------------------------------------------------------------------------- 4. mini-batches

def _variance_cases():
    cases = [
        Case(args=(2.0, 1, 100), label="S = 1: one sample, no correction"),
        Case(args=(2.0, 10, 100), label="S = 10 of m = 100"),
        Case(args=(2.0, 50, 100), label="S = m/2"),
        Case(args=(2.0, 100, 100), label="S = m: the whole data set",
             hint="A mini-batch of all m samples is the batch gradient: its variance is 0."),
        Case(args=(0.37, 64, 1797), label="digits: S = 64 of m = 1797"),
        Case(args=(5.0, 2, 3), label="a tiny data set, m = 3"),
    ]
    sizes = np.array([1, 4, 16, 64, 256, 1024])
    cases.append(Case(args=(1.5, sizes, 1024), label="an array of batch sizes",
                      hint="Work elementwise so an array of batch sizes works too."))
    return cases


def _variance_reference(sigma2, S, m):
    from nbcourse.minibatch import predicted_variance

    return predicted_variance(sigma2, batch_size=S, m=m)


register(FunctionExercise(
    name="gradient-descent/minibatch-variance",
    answer="minibatch_variance",
    title="The variance of a mini-batch gradient",
    points=1,
    cases=_variance_cases,
    reference=_variance_reference,
    arg_names=("sigma2", "S", "m"),
    inputs="batch sizes from 1 to m, m from 3 to 1797, and an array of batch sizes",
    hint="sigma^2 / S, times the finite-population correction (m - S) / (m - 1) for batches drawn "
         "without replacement.",
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


# ------------------------------------------------------------------------- 6. shuffling and balancing

def _weights_cases():
    return [
        Case(args=(torch.tensor([0, 0, 0, 1]), 2), label="3 of class 0, 1 of class 1"),
        Case(args=(torch.tensor([0] * 50 + [1] * 30 + [2] * 5), 3), label="three classes, 50 / 30 / 5"),
        Case(args=(torch.arange(100) % 10, 10), label="ten balanced classes",
             hint="A balanced data set needs no reweighting: every weight is 1."),
        Case(args=(torch.tensor([2, 2, 0, 0, 0, 0]), 4), label="classes 1 and 3 absent",
             hint="A class without samples gets weight 0, and K counts the classes present."),
    ]


def _weights_reference(labels, num_classes):
    from nbcourse.sampling import class_weights

    return class_weights(torch.as_tensor(labels), num_classes=int(num_classes))


register(FunctionExercise(
    name="gradient-descent/balanced-weights",
    answer="balanced_weights",
    title="Class weights that balance the loss",
    points=1,
    cases=_weights_cases,
    reference=_weights_reference,
    arg_names=("labels", "num_classes"),
    rtol=1e-5, atol=1e-6,
    forbidden=("class_weights", "compute_class_weight"),
    inputs="two, three and ten classes, balanced and not, with absent classes",
    hint="w_c = m / (K n_c): m samples, K classes present, n_c samples of class c (0 for absent classes).",
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
    given = {str(k).strip().upper(): str(v).strip().lower() for k, v in dict(names).items()}
    return {"expected": expected, "given": given}


def _names_judge(measured):
    expected, given = measured["expected"], measured["given"]
    missing = [k for k in expected if k not in given]
    if missing:
        return False, f"no name for {', '.join(missing)}: give one of the six cases for each of A to F"
    wrong = [k for k in expected if given[k] != expected[k]]
    if wrong:
        k = wrong[0]
        return False, (f"{len(wrong)} of 6 wrong; for example {k} is not {given[k]!r}: look again at whether its "
                       f"validation loss rises, plateaus, jumps, or is still falling")
    return True, "all six cases named correctly"


register(BehaviourExercise(
    name="gradient-descent/name-the-curves",
    answer="names",
    title="Name the six learning curves",
    points=2,
    measure=_names_measure,
    judge=_names_judge,
    answer_is_data=True,
    seed=0,
    hint="Names: 'underfit-capacity', 'underfit-undertrained', 'overfit', 'train-too-small', "
         "'val-too-small', 'good-fit'. Read the end of the curves: still falling? a gap? a climb? noise?",
    notebook=PAGE_BABYSITTING,
))
