r"""Exercises of the chapter *Tasks, losses and the output layer* (pages ``book/losses/*``).

=================================  ===========================  ======  =========================================
exercise                           the student gives            points  checked against
=================================  ===========================  ======  =========================================
``losses/softmax-blind-digits``    ``softmax_blind_digits``      1      the digits with two or more attributes
``losses/log-softmax-jacobian``    ``my_log_softmax_jacobian``   2      ``log_softmax.jacobian`` (no autograd)
``losses/mse-sigmoid-grad``        ``mse_sigmoid_grad``          2      the chain rule, and autograd
``losses/cross-entropy-grad``      ``my_cross_entropy_grad``     2      ``cross_entropy.grad`` and autograd
``losses/log-sum-exp``             ``my_logsumexp``              2      ``torch.logsumexp`` up to :math:`|z| = 10^4`
``losses/fix-the-loss``            ``fixed_loss``                2      ``cross_entropy`` up to :math:`|z| = 10^4`
``losses/huber-delta``             ``huber_delta``               1      two fits: robust and efficient
``losses/bins``                    ``n_bins``                    1      a classifier trained with that many bins
``losses/choose-heads``            ``chosen_tasks``              1      :func:`nbcourse.recommend_head`'s tasks
=================================  ===========================  ======  =========================================

The formulas, from the lecture:

.. math::
    \frac{\partial S_i}{\partial z_j} = S_i(\delta_{ij} - S_j), \qquad
    \frac{\partial J_{BCE}}{\partial z} = \sigma(z) - y, \qquad
    \frac{\partial J_{CCE}}{\partial z_i} = S(z)_i - y_i .
"""

from __future__ import annotations

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

from nbcourse.tasks import huber_delta_data  # noqa: E402  (the pages read the exercise's data from there)

PAGE_TASKS = "losses/tasks-and-output-layers"
PAGE_SOFTMAX = "losses/softmax"
PAGE_CE = "losses/cross-entropy"
PAGE_STABILITY = "losses/numerical-stability"
PAGE_PITFALLS = "losses/pytorch-pitfalls"
PAGE_REGRESSION = "losses/regression-losses"
PAGE_VERSUS = "losses/regression-vs-classification"
PAGE_RULE = "losses/rule-of-thumb"


# ------------------------------------------------------------------------- 1. multi-class vs multi-label

def _blind_measure(answer, *, seed):
    try:
        digits = sorted({int(d) for d in answer})
    except (TypeError, ValueError):
        return {"error": f"expected a collection of digits such as {{1, 2}}, got {answer!r}"}
    return {"digits": digits}


def _blind_judge(measured):
    from nbcourse.data.attributes import ATTRIBUTES, DIGIT_ATTRIBUTES

    if "error" in measured:
        return False, measured["error"]
    given = set(measured["digits"])
    if not given <= set(range(10)):
        return False, f"{sorted(given - set(range(10)))} are not digits 0..9"
    blind = {d for d, a in DIGIT_ATTRIBUTES.items() if sum(a) >= 2}
    for d in range(10):
        names = [n for n, on in zip(ATTRIBUTES, DIGIT_ATTRIBUTES[d]) if on]
        if d in given and d not in blind:
            what = "no attribute" if not names else f"one attribute ({names[0]})"
            return False, (f"{d} has {what}: softmax can put every probability below 0.5 or exactly one above it, "
                           f"so {d} can be right")
        if d not in given and d in blind:
            return False, (f"{d} has {len(names)} attributes ({', '.join(names)}); can {len(names)} probabilities "
                           "that sum to one all be above 0.5?")
    return True, f"right: {sorted(blind)}, the digits with two or more attributes"


register(BehaviourExercise(
    name="losses/softmax-blind-digits",
    answer="softmax_blind_digits",
    title="Which digits can a softmax head never get right?",
    points=1,
    measure=_blind_measure,
    judge=_blind_judge,
    answer_is_data=True,
    seed=0,
    hint="Softmax outputs sum to one, and a label counts as present when its probability is above 0.5. "
         "Count the attributes of each digit.",
    notebook=PAGE_TASKS,
))


# ------------------------------------------------------------------------- 2. softmax

def _vector_cases():
    rng = np.random.default_rng(0)
    cases = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        cases.append(Case(args=(rng.normal(size=4).astype(dtype),), label=f"four random logits, {name}"))
        cases.append(Case(args=(np.zeros(3, dtype=dtype),), label=f"three equal logits (zero), {name}",
                          hint="With equal logits S = 1/3 everywhere."))
        cases.append(Case(args=(np.array([1e4, 0.0, -1e4], dtype=dtype),), label=f"logits up to 1e4, {name}",
                          hint="exp(1e4) overflows: compute S with a softmax that shifts by the max "
                               "(nbcourse.losses.softmax) before building the matrix."))
    cases.append(Case(args=(np.array([2.0]),), label="a single logit",
                      hint="One class: log S = 0 whatever z is, so the Jacobian is 0."))
    cases.append(Case(args=(torch.tensor([0.5, -1.0, 3.0, 0.0, 2.0], dtype=torch.float64),),
                      label="a torch float64 tensor of five logits"))
    return cases


def _log_softmax_jacobian_reference(z):
    from nbcourse.losses import log_softmax

    return log_softmax.jacobian(z)


register(FunctionExercise(
    name="losses/log-softmax-jacobian",
    answer="my_log_softmax_jacobian",
    title="The Jacobian of log-softmax",
    points=2,
    cases=_vector_cases,
    reference=_log_softmax_jacobian_reference,
    forbidden=("jacobian", "autograd", "backward", "grad", "vmap", "jacrev"),
    arg_names=("z",),
    inputs="1-d logits in float32 and float64, equal logits, logits up to 1e4, a single logit and a torch tensor",
    hint="d log S_i / d z_j = (1 / S_i) dS_i/dz_j, and dS_i/dz_j = S_i (delta_ij - S_j): entry (i, j) does not "
         "depend on i except through delta_ij. An identity matrix minus a matrix whose every row is S.",
    notebook=PAGE_SOFTMAX,
))


# ------------------------------------------------------------------------- 3. cross-entropy

_Z = np.array([0.0, 0.5, -0.5, 2.0, -2.0, 8.0, -8.0, 30.0, -30.0, 700.0, -700.0])


def _mse_sigmoid_cases():
    cases = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        z = _Z.astype(dtype)
        for target in (1.0, 0.0):
            cases.append(Case(args=(z, np.full_like(z, target)), label=f"z from -700 to 700, y = {target:g}, {name}"))
    cases.append(Case(args=(np.array([[0.3, -1.2], [4.0, -4.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])),
                      label="a 2-d batch", hint="Work elementwise: the output has the shape of z."))
    return cases


def _mse_sigmoid_reference(z, y):
    from nbcourse.activations import sigmoid
    from nbcourse.losses import mse

    s = sigmoid(z)
    return mse.grad(s, y, reduction="none") * sigmoid.grad(z)  # dL/ds * ds/dz


def _mse_sigmoid_torch(z, y):
    return (torch.sigmoid(z) - torch.as_tensor(y, dtype=z.dtype)) ** 2


register(FunctionExercise(
    name="losses/mse-sigmoid-grad",
    answer="mse_sigmoid_grad",
    title="The gradient of MSE after a sigmoid",
    points=2,
    cases=_mse_sigmoid_cases,
    reference=_mse_sigmoid_reference,
    derivative_of=_mse_sigmoid_torch,
    forbidden=("autograd", "backward", "grad"),
    arg_names=("z", "y"),
    inputs="z from -700 to 700 with y = 1 and y = 0 in float32 and float64, and a 2-d batch",
    hint="Chain rule: d/dz (s - y)^2 = 2 (s - y) * ds/dz with s = sigma(z) and ds/dz = s (1 - s). "
         "Use a sigmoid that does not overflow for z = -700 (nbcourse.activations.sigmoid).",
    notebook=PAGE_CE,
))


def _ce_cases():
    rng = np.random.default_rng(1)
    cases = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        cases.append(Case(args=(rng.normal(size=(5, 4)).astype(dtype), np.array([0, 3, 1, 1, 2])),
                          label=f"a batch of 5 samples, 4 classes, {name}",
                          hint="The mean over the batch divides every row by N."))
        big = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype=dtype)
        cases.append(Case(args=(big, np.array([2, 1])), label=f"logits up to 1e4, {name}",
                          hint="exp(1e4) overflows: use a softmax that shifts by the max (nbcourse.losses.softmax)."))
    cases.append(Case(args=(np.zeros((1, 3)), np.array([1])), label="one sample, equal logits"))
    return cases


def _ce_grad_reference(z, y):
    from nbcourse.losses import cross_entropy

    return cross_entropy.grad(z, y)


def _ce_torch(z, y):
    return torch.nn.functional.cross_entropy(z, torch.as_tensor(y, dtype=torch.long))


register(FunctionExercise(
    name="losses/cross-entropy-grad",
    answer="my_cross_entropy_grad",
    title="The gradient of categorical cross-entropy",
    points=2,
    cases=_ce_cases,
    reference=_ce_grad_reference,
    derivative_of=_ce_torch,
    forbidden=("autograd", "backward", "grad", "cross_entropy"),
    arg_names=("z", "y"),
    inputs="batches of logits (N, C) with class indices, float32 and float64, logits up to 1e4",
    hint="For one sample dJ/dz_i = S(z)_i - [i = y]; the loss is the mean over the batch.",
    notebook=PAGE_CE,
))


# ------------------------------------------------------------------------- 4. numerical stability

def _lse_cases():
    rng = np.random.default_rng(2)
    cases = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        cases.append(Case(args=(rng.normal(size=(3, 5)).astype(dtype),), label=f"a (3, 5) batch of logits, {name}"))
        cases.append(Case(args=(np.array([20.0, 134.0, 854.0], dtype=dtype),), label=f"the lecture's [20, 134, 854], {name}",
                          hint="exp(854) overflows: pull the largest logit out of the sum first."))
        cases.append(Case(args=(np.array([[1e4, 1e4], [-1e4, -1e4 + 1.0]], dtype=dtype),), label=f"logits of +-1e4, {name}",
                          hint="exp(-1e4) underflows to 0 and log(0) is -inf: shift by the max, which is -1e4 "
                               "in the second row."))
    cases.append(Case(args=(np.array([3.0]),), label="a single logit", hint="The log-sum-exp of one number is itself."))
    return cases


def _lse_reference(z):
    t = torch.as_tensor(np.asarray(z) if not isinstance(z, torch.Tensor) else z)
    return torch.logsumexp(t, dim=-1)


register(FunctionExercise(
    name="losses/log-sum-exp",
    answer="my_logsumexp",
    title="A log-sum-exp that does not overflow",
    points=2,
    cases=_lse_cases,
    reference=_lse_reference,
    forbidden=("logsumexp", "log_softmax", "softmax", "softplus", "logaddexp", "cross_entropy"),
    arg_names=("z",),
    inputs="batches of logits along the last axis in float32 and float64, [20, 134, 854], +-1e4 and a single logit",
    hint="log sum_j exp(z_j) = m + log sum_j exp(z_j - m) with m = max_j z_j, taken along the last axis "
         "(keep the dimension while subtracting).",
    notebook=PAGE_STABILITY,
))


# ------------------------------------------------------------------------- 5. PyTorch pitfalls

def _fix_cases():
    rng = np.random.default_rng(3)
    cases = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        cases.append(Case(args=(torch.tensor(rng.normal(size=(8, 10)).astype(dtype)), torch.tensor(rng.integers(0, 10, 8))),
                          label=f"a batch of 8 samples, 10 classes, {name} tensors",
                          hint="Compare the loss's value with nn.CrossEntropyLoss() on the same logits: a loss that is "
                               "8 times too big sums instead of averaging."))
        big = torch.tensor(np.array([[60.0, -60.0, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0]], dtype=dtype))
        cases.append(Case(args=(big, torch.tensor([1, 0, 2])), label=f"confidently wrong logits up to 1e4, {name}",
                          hint="log(softmax(z)) is log(0) = -inf once the softmax underflows; the log of the softmax "
                               "must be computed in one step."))
    return cases


def _fix_reference(logits, y):
    from nbcourse.losses import cross_entropy

    return cross_entropy(logits, y)


register(FunctionExercise(
    name="losses/fix-the-loss",
    answer="fixed_loss",
    title="Find and fix the loss",
    points=2,
    cases=_fix_cases,
    reference=_fix_reference,
    arg_names=("logits", "y"),
    inputs="batches of logits as torch tensors in float32 and float64, including confidently wrong logits up to 1e4",
    hint="Two lines are wrong: how the log-probabilities are computed, and how the per-sample losses are combined.",
    notebook=PAGE_PITFALLS,
))


# ------------------------------------------------------------------------- 6. regression losses

def _huber_measure(delta, *, seed):
    from nbcourse.tasks import robust_line_fit

    try:
        delta = float(delta)
    except (TypeError, ValueError):
        return {"error": f"expected a number, got {delta!r}"}
    if not delta > 0 or not np.isfinite(delta):
        return {"error": f"delta must be a positive number, got {delta!r}"}
    x, y, x_all, y_all = huber_delta_data()
    w_mse, b_mse = robust_line_fit(x, y, "mse")
    w_clean, b_clean = robust_line_fit(x, y, "huber", delta=delta)
    w_all, _ = robust_line_fit(x_all, y_all, "huber", delta=delta)
    return {"delta": delta, "w_mse": w_mse, "b_mse": b_mse, "w_clean": w_clean, "b_clean": b_clean, "w_all": w_all}


def _huber_judge(m):
    if "error" in m:
        return False, m["error"]
    robust = abs(m["w_all"] - m["w_mse"])
    efficient = max(abs(m["w_clean"] - m["w_mse"]), abs(m["b_clean"] - m["b_mse"]))
    if robust >= 0.06:
        return False, (f"with delta = {m['delta']:g} the three outliers move the slope by {robust:.3f} "
                       "(more than 0.06): each outlier still pulls with force delta; make delta smaller")
    if efficient >= 2e-3:
        return False, (f"with delta = {m['delta']:g} the fit on the clean points differs from least squares by "
                       f"{efficient:.4f} (2e-3 allowed): delta is below the size of the ordinary noise, so clean "
                       "points are treated like outliers; make delta larger")
    return True, (f"delta = {m['delta']:g}: the outliers move the slope by only {robust:.3f}, and on clean data "
                  f"Huber agrees with least squares (difference {efficient:.1e})")


register(BehaviourExercise(
    name="losses/huber-delta",
    answer="huber_delta",
    title="A Huber delta that is robust and efficient",
    points=1,
    measure=_huber_measure,
    judge=_huber_judge,
    answer_is_data=True,
    seed=0,
    hint="Huber is quadratic for residuals below delta and linear above. The inliers' residuals are of the size "
         "of the noise (0.3, up to about 2.5 times that); the outliers' are about 8.",
    notebook=PAGE_REGRESSION,
))


# ------------------------------------------------------------------------- 7. regression vs classification

def _bins_measure(n_bins, *, seed):
    from nbcourse.tasks import bin_experiment

    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or not 2 <= int(n_bins) <= 200:
        return {"error": f"expected a whole number of bins between 2 and 200, got {n_bins!r}"}
    return bin_experiment(int(n_bins), seed=seed)


def _bins_judge(m):
    if "error" in m:
        return False, m["error"]
    n, err, width = m["n_bins"], m["test_mae"], m["bin_width"]
    if err < 0.23:
        return True, f"{n} bins: the classifier's answers are off by {err:.3f} on average (< 0.23)"
    if width / 4 > 0.2:
        return False, (f"{n} bins are {width:.2f} wide: even a perfect classifier answering bin centres is off by "
                       f"about a quarter of that ({width / 4:.2f}); the error is {err:.3f}")
    return False, (f"{n} bins: the error is {err:.3f} (0.23 wanted); with {m['min_count']} training samples in the "
                   "emptiest bin, many bins are too thin to learn: use fewer")


register(BehaviourExercise(
    name="losses/bins",
    answer="n_bins",
    title="How many bins for the classifier",
    points=1,
    measure=_bins_measure,
    judge=_bins_judge,
    answer_is_data=True,
    seed=0,
    hint="Too few bins: the answer can only be a bin centre. Too many: few samples per bin to learn from.",
    notebook=PAGE_VERSUS,
))


# ------------------------------------------------------------------------- 8. the rule of thumb

#: The scenarios of the rule-of-thumb exercise, each with the task it is.
SCENARIOS: dict[str, str] = {
    "price": "the sale price of a house, in euros, from its description",
    "grey-level": "the grey level of a missing pixel, between 0 (black) and 1 (white)",
    "spam": "whether an e-mail is spam",
    "species": "which one of 37 dog breeds a photo shows (one dog per photo)",
    "genres": "the genres of a film from its synopsis (comedy, drama, thriller, ...; a film can have several)",
}
_SCENARIO_TASKS = {"price": "regression", "grey-level": "regression-unit-interval", "spam": "binary",
                   "species": "multi-class", "genres": "multi-label"}


def _heads_measure(answer, *, seed):
    if not isinstance(answer, dict):
        return {"error": f"expected a dict from scenario to task, got {type(answer).__name__}"}
    return {"answer": {str(k): str(v) for k, v in answer.items()}}


def _heads_judge(m):
    from nbcourse.tasks import TASKS

    if "error" in m:
        return False, m["error"]
    answer = m["answer"]
    missing = [k for k in SCENARIOS if k not in answer]
    if missing:
        return False, f"no task for {', '.join(missing)}; give one for each of {', '.join(SCENARIOS)}"
    for key, task in _SCENARIO_TASKS.items():
        given = answer[key].strip().lower()
        if given not in TASKS:
            return False, f"{key}: {answer[key]!r} is not a task; the tasks are {', '.join(TASKS)}"
        if given != task:
            why = {
                "regression": "the value is a real number without bounds",
                "regression-unit-interval": "the value is a real number, but it lies in [0, 1]",
                "binary": "there are two outcomes",
                "multi-class": "exactly one class is true",
                "multi-label": "several labels can be true at once",
            }[task]
            return False, f"{key} ({SCENARIOS[key]}): not {given}: {why}"
    return True, "every scenario has the right head"


register(BehaviourExercise(
    name="losses/choose-heads",
    answer="chosen_tasks",
    title="Choose the head for each problem",
    points=1,
    measure=_heads_measure,
    judge=_heads_judge,
    answer_is_data=True,
    seed=0,
    hint="Ask two questions: is the answer a number or a category? If categories, can several be true at once?",
    notebook=PAGE_RULE,
))
