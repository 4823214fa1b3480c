r"""Exercises of the page *Attention* (``book/architectures/attention``).

=======================================  ==========================  ======  ======================================
exercise                                 the student writes          points  checked against
=======================================  ==========================  ======  ======================================
``architectures/attention-predict-map``  ``predicted_alignment``     1       where each output digit is in the source
``architectures/attention-pick``         ``scores_to_pick``          2       softmax weight >= 0.99 on position j
``architectures/attention-scaling``      ``predicted_max_weight``    2       the largest weight, measured
``architectures/attention-wrong-axis``   ``fixed_attention``         2       ``dot_product_attention``
=======================================  ==========================  ======  ======================================

The formulas, from the page:

.. math::
    \alpha_{ts} = \frac{e^{q_t^\top k_s / \sqrt{d}}}{\sum_{s'} e^{q_t^\top k_{s'} / \sqrt{d}}}, \qquad
    c_t = \sum_s \alpha_{ts} v_s
"""

from __future__ import annotations

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/attention"

# ------------------------------------------------------------------ 1. predict the map, then look

#: The source of the prediction exercise: no digit repeats, so every output has one right position.
PREDICT_SOURCE = (6, 1, 8, 3, 0)


def _positions(value, n):
    try:
        positions = [int(p) for p in value]
    except (TypeError, ValueError):
        return None
    return positions if len(positions) == n else None


def _predict_measure(answer, *, seed):
    from nbcourse.data.sequences import alignment

    if not isinstance(answer, dict) or set(answer) != {"reverse", "sort"}:
        return {"error": "expected a dict with the keys 'reverse' and 'sort', each a list of source positions, "
                         f"got {answer!r}"}
    n = len(PREDICT_SOURCE)
    given = {}
    for task in ("reverse", "sort"):
        positions = _positions(answer[task], n)
        if positions is None:
            return {"error": f"answer[{task!r}] should be a list of {n} source positions (0..{n - 1}), one per "
                             f"output digit; got {answer[task]!r}"}
        given[task] = positions
    return {"given": given, "right": {t: alignment(PREDICT_SOURCE, t) for t in ("reverse", "sort")},
            "source": list(PREDICT_SOURCE)}


def _predict_judge(m):
    if "error" in m:
        return False, m["error"]
    src = m["source"]
    for task in ("reverse", "sort"):
        for step, (p, r) in enumerate(zip(m["given"][task], m["right"][task])):
            if p == r:
                continue
            if not 0 <= p < len(src):
                return False, f"{task}: output step {step} points at position {p}; the source has positions 0..{len(src) - 1}"
            what = ("the output's digit at step {s} is the source's digit {k} places from the end"
                    if task == "reverse" else "the output's digit at step {s} is the {k}-th smallest digit")
            k = step + 1
            return False, (f"{task}, output step {step}: position {p} holds the digit {src[p]}, but "
                           + what.format(s=step, k=k) + "; positions count from 0")
    return True, "right: reversal is the anti-diagonal, sorting follows the digits' ranks (an argsort)"


register(BehaviourExercise(
    name="architectures/attention-predict-map",
    answer="predicted_alignment",
    title="Predict where each output step looks",
    points=1,
    measure=_predict_measure,
    judge=_predict_judge,
    answer_is_data=True,
    hint="Write the output sequence first (reversed; sorted), then for each output digit find where it "
         "sits in the source 6 1 8 3 0 (positions from 0).",
    notebook=PAGE,
))


# ------------------------------------------------------------------ 2. scores that pick one position

#: The (number of positions, position to pick) the answer is tried on.
PICK_CASES = ((5, 2), (10, 0), (100, 99), (10_000, 3))


def _pick_measure(answer, *, seed):
    from nbcourse.losses import softmax

    rows = []
    for n, j in PICK_CASES:
        scores = np.asarray(answer(n, j), dtype=np.float64).reshape(-1)
        row = {"n": n, "j": j, "size": int(scores.size)}
        if scores.size == n:
            row["finite"] = bool(np.isfinite(scores).all())
            if row["finite"]:
                w = softmax(torch.as_tensor(scores), dim=0).numpy()
                row["weight"] = float(w[j])
                row["runner_up"] = float(np.delete(w, j).max()) if n > 1 else 0.0
        rows.append(row)
    return {"rows": rows}


def _pick_judge(m):
    for row in m["rows"]:
        n, j = row["n"], row["j"]
        if row["size"] != n:
            return False, f"scores_to_pick({n}, {j}) returned {row['size']} scores, expected {n} (one per position)"
        if not row["finite"]:
            return False, (f"scores_to_pick({n}, {j}) returned inf or NaN: softmax of inf is NaN; "
                           "a large finite gap is enough")
        if row["weight"] < 0.99:
            return False, (f"with n = {n}, position {j} gets weight {row['weight']:.3f} (0.99 wanted): the other "
                           f"{n - 1} positions share the rest, so the gap you need grows with n. How large must "
                           "e^gap be against n - 1 other terms?")
    return True, "right: a gap of log(99 (n - 1)) or more puts 99% of the weight on one position, whatever n"


register(BehaviourExercise(
    name="architectures/attention-pick",
    answer="scores_to_pick",
    title="Scores that make attention pick one position",
    points=2,
    measure=_pick_measure,
    judge=_pick_judge,
    hint="With score g on position j and 0 elsewhere, the weight on j is e^g / (e^g + n - 1). Solve for g.",
    notebook=PAGE,
))


# ------------------------------------------------------------------ 3. what 1/sqrt(d) does

#: Setting of the scaling exercise: queries and keys with independent N(0, 1) entries.
SCALING_SETTING = {"d": 64, "n_keys": 10, "n_queries": 4000}


def max_weight_experiment(*, d: int = 64, n_keys: int = 10, n_queries: int = 4000, seed: int = 0) -> dict:
    r"""Mean of the largest attention weight of one query over ``n_keys`` keys, with and without :math:`1/\sqrt{d}`.

    Queries and keys have independent standard-normal entries, so each score :math:`q^\top k` has
    variance :math:`d` (standard deviation 8 for :math:`d = 64`) unscaled, and 1 scaled.

    Returns:
        ``{"unscaled": mean max weight of softmax(q k^T), "scaled": of softmax(q k^T / sqrt(d))}``.
    """
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, 1, d, generator=gen, dtype=torch.float64)
    k = torch.randn(n_queries, n_keys, d, generator=gen, dtype=torch.float64)
    scores = (q @ k.transpose(1, 2)).squeeze(1)                    # (n_queries, n_keys)
    return {"unscaled": float(torch.softmax(scores, dim=-1).max(dim=-1).values.mean()),
            "scaled": float(torch.softmax(scores / d ** 0.5, dim=-1).max(dim=-1).values.mean())}


SCALING_TOLERANCE = 0.1


def _scaling_measure(answer, *, seed):
    if not isinstance(answer, dict) or set(answer) != {"unscaled", "scaled"}:
        return {"error": f"expected a dict {{'unscaled': number, 'scaled': number}}, got {answer!r}"}
    try:
        given = {k: float(v) for k, v in answer.items()}
    except (TypeError, ValueError):
        return {"error": f"both predictions must be numbers between 0 and 1, got {answer!r}"}
    return {"given": given, "measured": max_weight_experiment(**SCALING_SETTING, seed=seed)}


def _scaling_judge(m):
    if "error" in m:
        return False, m["error"]
    n = SCALING_SETTING["n_keys"]
    for key, why in (("unscaled", "the scores' standard deviation is sqrt(64) = 8: the gap between the best "
                                  "and the second score is typically several units"),
                     ("scaled", "scaled scores have standard deviation 1, so the top score is only about one unit "
                                "above the others")):
        p, real = m["given"][key], m["measured"][key]
        if not 1.0 / n <= p <= 1.0:
            return False, f"{key}: the largest of {n} weights that sum to one lies between {1 / n:g} and 1; you gave {p:g}"
        if abs(p - real) > SCALING_TOLERANCE:
            direction = "too low" if p < real else "too high"
            return False, f"{key}: your {p:.2f} is {direction} (off by more than {SCALING_TOLERANCE}); {why}"
    mm = m["measured"]
    return True, (f"measured: {mm['unscaled']:.2f} unscaled (nearly one position), {mm['scaled']:.2f} scaled "
                  "(a real average); unscaled, the softmax saturates and its gradient vanishes")


register(BehaviourExercise(
    name="architectures/attention-scaling",
    answer="predicted_max_weight",
    title="Predict what 1/sqrt(d) does to the weights",
    points=2,
    measure=_scaling_measure,
    judge=_scaling_judge,
    answer_is_data=True,
    hint="A dot product of two vectors of d independent N(0,1) entries has variance d. Compare the spread of "
         "10 such scores with the softmax's sensitivity: a gap of 3 already gives a factor e^3 = 20.",
    notebook=PAGE,
))


# ------------------------------------------------------------------ 4. the softmax over the wrong axis

def buggy_attention(query, key, value):
    """Dot-product attention with a bug (the page shows it): batches ``(N, T, d)``, ``(N, S, d)``, ``(N, S, d_v)``."""
    from nbcourse.losses import softmax

    scores = query @ key.transpose(1, 2) / query.shape[-1] ** 0.5   # (N, T, S)
    weights = softmax(scores, dim=1)
    return weights @ value                                           # (N, T, d_v)


def _axis_cases():
    gen = torch.Generator().manual_seed(0)

    def qkv(n, t, s, d=4, dv=3):
        return (torch.randn(n, t, d, generator=gen, dtype=torch.float64),
                torch.randn(n, s, d, generator=gen, dtype=torch.float64),
                torch.randn(n, s, dv, generator=gen, dtype=torch.float64))

    return [
        Case(args=qkv(2, 3, 5), label="2 sequences, 3 queries, 5 source positions"),
        Case(args=qkv(2, 4, 4), label="as many queries as source positions (4 and 4)",
             hint="Square score matrices hide an axis mistake from shape errors, not from the numbers."),
        Case(args=qkv(1, 1, 6), label="a single query over 6 positions",
             hint="With one query, a softmax over the query axis gives every position weight 1: a sum, not an average."),
        Case(args=qkv(3, 6, 2, d=8, dv=5), label="3 sequences, 6 queries, 2 source positions, d = 8"),
    ]


def _axis_reference(query, key, value):
    from nbcourse.models.attention import dot_product_attention

    return dot_product_attention(query, key, value)[0]


register(FunctionExercise(
    name="architectures/attention-wrong-axis",
    answer="fixed_attention",
    title="Find the bug: attention weights that do not average",
    points=2,
    cases=_axis_cases,
    reference=_axis_reference,
    arg_names=("query", "key", "value"),
    inputs="batches with fewer, as many and more queries than source positions, one query alone",
    hint="For each query, its weights over the source positions must sum to one. Which axis of the "
         "(N, T, S) scores holds the source positions?",
    notebook=PAGE,
))
