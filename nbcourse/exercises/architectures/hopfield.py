r"""Exercises of the page *Hopfield networks* (``book/architectures/hopfield.ipynb``).

=======================================  =========================  ======  ==========================================
exercise                                 the student gives          points  checked against
=======================================  =========================  ======  ==========================================
``architectures/hopfield-stable``        ``stable_states``           1      which of six states are fixed points
``architectures/hopfield-flip-energy``   ``flip_energy_change``      2      :math:`E(s') - E(s)` computed in full
``architectures/hopfield-capacity``      ``n_patterns_reliable``     1      200 networks of 100 units storing that many
=======================================  =========================  ======  ==========================================

The formulas: :math:`E(s) = -\frac12 s^\top W s - b^\top s`, and flipping unit :math:`i` changes it by
:math:`\Delta E = 2 s_i \left(\sum_{j \ne i} W_{ij} s_j + b_i\right)`.
"""

from __future__ import annotations

import numpy as np

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

__all__ = ["STABLE_CANDIDATES", "candidate_states", "flip_energy_reference"]

PAGE = "architectures/hopfield"

# ------------------------------------------------------------------------- 1. which states are stable

#: the six states of the exercise: name -> what it is (the page draws them with candidate_states())
STABLE_CANDIDATES: dict[str, str] = {
    "A": "the stored letter X",
    "B": "the stored letter X with one pixel flipped",
    "C": "the stored letter Z inverted (ink and background swapped)",
    "D": "the pixel-wise majority of the three stored letters L, Z and J",
    "E": "the pixel-wise sum of L and X, with ties (0) set to +1",
    "F": "a blank image: every pixel -1",
}
_STABLE = {"A", "C", "D"}


from nbcourse.data.binary import candidate_states  # noqa: E402  (the page draws them)


def _stable_measure(answer, *, seed):
    try:
        given = sorted({str(a).strip().upper() for a in answer})
    except TypeError:
        return {"error": f"expected a list of names such as ['A', 'B'], got {answer!r}"}
    return {"given": given}


def _stable_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    given = set(measured["given"])
    unknown = sorted(given - set(STABLE_CANDIDATES))
    if unknown:
        return False, f"{unknown} are not among the states {sorted(STABLE_CANDIDATES)}"
    for name in sorted(STABLE_CANDIDATES):
        if (name in given) != (name in _STABLE):
            return False, f"look again at {name} ({STABLE_CANDIDATES[name]}): {_hint_for(name)}"
    return True, "right: A (a stored letter), C (an inverted one) and D (a mixture of three) are fixed points"


def _hint_for(name: str) -> str:
    return {
        "A": "is a stored pattern a fixed point when the stored patterns overlap little?",
        "B": "what do the 63 unchanged pixels say about the flipped one?",
        "C": "how do E(s) and the field h = Ws change when s becomes -s?",
        "D": "each unit agrees with at least two of the three letters; which way does the field point?",
        "E": "where L and X disagree, what is left of their contributions to the field?",
        "F": "a blank image overlaps every letter's background; does any unit feel a push?",
    }[name]


register(BehaviourExercise(
    name="architectures/hopfield-stable",
    answer="stable_states",
    title="Which states are fixed points? (predict, then run)",
    points=1,
    measure=_stable_measure,
    judge=_stable_judge,
    answer_is_data=True,
    seed=0,
    hint="A state is a fixed point when every unit agrees with the sign of its field h = W s. "
         "Think about symmetry (s and -s) and about what a mixture of patterns does to the field.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. the energy change of one flip

def flip_energy_reference(W, b, s, i):
    """E(s with unit i flipped) - E(s), computed from the full energy twice (the slow, sure way)."""
    W, b, s = (np.asarray(a, dtype=np.float64) for a in (W, b, s))
    t = s.copy()
    t[int(i)] *= -1

    def energy(x):
        return -0.5 * x @ W @ x - b @ x

    return float(energy(t) - energy(s))


def _flip_cases():
    rng = np.random.default_rng(0)
    cases = []
    for n, label in ((8, "8 units"), (64, "64 units")):
        A = rng.normal(size=(n, n))
        W = (A + A.T) / 2
        np.fill_diagonal(W, 0.0)
        s = rng.choice([-1.0, 1.0], size=n)
        cases.append(Case(args=(W, np.zeros(n), s, 3), label=f"{label}, no bias, unit 3"))
        cases.append(Case(args=(W, rng.normal(size=n), s, n - 1), label=f"{label}, a bias, the last unit",
                          hint="The bias term -b^T s changes too when s_i flips."))
    from nbcourse.data.binary import letter_patterns
    from nbcourse.models.hopfield import hebbian_weights

    P = letter_patterns("LXZJV")
    cases.append(Case(args=(hebbian_weights(P), np.zeros(64), P[1], 27),
                      label="the letters' Hebbian network, the stored X, unit 27",
                      hint="At a stored pattern a flip costs energy: the answer is positive."))
    A = rng.normal(size=(6, 6))
    W = (A + A.T) / 2                                    # a diagonal that is not zero
    cases.append(Case(args=(W, rng.normal(size=6), rng.choice([-1.0, 1.0], size=6), 2),
                      label="6 units whose weights have a non-zero diagonal",
                      hint="W_ii s_i s_i = W_ii whatever the sign of s_i: the self-connection does not change "
                           "when unit i flips, so it must not appear in the answer."))
    return cases


register(FunctionExercise(
    name="architectures/hopfield-flip-energy",
    answer="flip_energy_change",
    title="The energy change of one flip, derived",
    points=2,
    cases=_flip_cases,
    reference=flip_energy_reference,
    forbidden=("energy",),
    arg_names=("W", "b", "s", "i"),
    inputs="symmetric weights of 8, 64 and 6 units (the last with a non-zero diagonal), with and without bias; "
           "the letters' network at the stored X",
    hint="Write E(s) with the terms that contain s_i apart: -s_i (sum_{j != i} W_ij s_j) - W_ii/2 - b_i s_i. "
         "Only those change when s_i becomes -s_i.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. how many patterns

_N_UNITS, _TRIALS, _RELIABILITY = 100, 200, 0.92


def _capacity_measure(answer, *, seed):
    from nbcourse.models.hopfield import HopfieldNetwork

    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)) or not 1 <= int(answer) <= _N_UNITS:
        return {"error": f"expected a whole number of patterns between 1 and {_N_UNITS}, got {answer!r}"}
    n_patterns = int(answer)
    rng = np.random.default_rng(seed)
    stable = []
    for _ in range(_TRIALS):
        xi = rng.choice([-1.0, 1.0], size=(n_patterns, _N_UNITS))
        stable.append(HopfieldNetwork(_N_UNITS).fit(xi).is_stable(xi))
    return {"n_patterns": n_patterns, "stable": float(np.concatenate(stable).mean())}


def _capacity_judge(m):
    if "error" in m:
        return False, m["error"]
    p, stable = m["n_patterns"], m["stable"]
    if stable < _RELIABILITY:
        extra = ""
        if p >= 13:
            extra = (" 0.138 N is where recall *near* the patterns breaks down for very large N (with about 1.6 % "
                     "of the bits wrong); an exact fixed point needs every one of the N bits stable.")
        return False, f"with {p} patterns only {stable:.1%} of them are fixed points ({_RELIABILITY:.0%} wanted).{extra}"
    if p < 10:   # the Gaussian prediction already allows 11; 10 is the most a cautious answer may give away
        return False, (f"{p} patterns are reliable ({stable:.1%} are fixed points), but the network can hold more "
                       f"at {_RELIABILITY:.0%} reliability: find the largest number that still works")
    return True, f"{p} patterns in {_N_UNITS} units (load {p / _N_UNITS:.2f}): {stable:.1%} of them are fixed points"


register(BehaviourExercise(
    name="architectures/hopfield-capacity",
    answer="n_patterns_reliable",
    title="How many random patterns can 100 units hold?",
    points=1,
    measure=_capacity_measure,
    judge=_capacity_judge,
    answer_is_data=True,
    seed=0,
    hint="Each bit of a stored pattern is stable when the cross-talk of the other P - 1 patterns, roughly "
         "Gaussian with variance (P - 1)/N, does not beat the signal 1. All N bits must be stable at once.",
    notebook=PAGE,
))
