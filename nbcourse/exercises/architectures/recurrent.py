r"""Exercises of the page *Recurrent networks* (``book/architectures/recurrent``).

=======================================  ========================  ======  ==============================================
exercise                                 the student gives         points  checked against
=======================================  ========================  ======  ==============================================
``architectures/temperature-limits``     ``entropy_limits``         1      the entropy of softmax(z / T) as T -> 0 and T -> inf
``architectures/carry-the-state``        ``greedy_continuation``    2      ``torch.nn.RNN`` with the same weights
``architectures/bptt-truncation``        ``truncation_length``      2      the measured gradient decay of an RNN
``architectures/lstm-parameters``        ``lstm_parameter_count``   2      the parameters of ``torch.nn.LSTM``
=======================================  ========================  ======  ==============================================

The formulas, from the page:

.. math::
    h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h), \qquad \hat{y}_t = W_{hy} h_t + b_y, \qquad
    p_\tau = \text{softmax}(\hat{y} / \tau).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/recurrent"

#: The setting of the truncation exercise: the page measures the same thing.
TRUNCATION_SETUP = {"hidden_size": 128, "cell": "rnn", "seed": 0, "seq_len": 64, "sequences": 32}


# ------------------------------------------------------------------------- 1. temperature limits

#: The vocabulary of the temperature exercise: the 27 characters of the page's first small model (a-z and space);
#: its uniform entropy, log2 27 bits, is printed nowhere on the page (only ln 27, in nats, is).
LIMITS_VOCAB = "abcdefghijklmnopqrstuvwxyz "


def _limits_measure(answer, *, seed):
    if not isinstance(answer, dict) or set(answer) != {"cold", "hot"}:
        return {"error": "expected a dict with the two keys 'cold' (T -> 0) and 'hot' (T -> infinity), "
                         f"got {answer!r}"}
    try:
        cold, hot = float(answer["cold"]), float(answer["hot"])
    except (TypeError, ValueError):
        return {"error": f"expected two numbers (entropies in bits), got {answer!r}"}
    return {"cold": cold, "hot": hot, "V": len(LIMITS_VOCAB)}


def _limits_judge(m):
    if "error" in m:
        return False, m["error"]
    V, cold, hot = m["V"], m["cold"], m["hot"]
    if not abs(cold) < 1e-3:
        return False, (f"'cold': {cold:g} bits. As T -> 0, softmax(z / T) puts all its probability on the largest "
                       "logit: how uncertain is a distribution that is sure of one character?")
    if abs(hot - math.log2(V)) < 1e-2:
        return True, (f"right: from 0 bits (always the most likely character) to log2({V}) = {math.log2(V):.3f} bits "
                      "(every character of the vocabulary equally likely)")
    if abs(hot - math.log(V)) < 1e-2:
        return False, f"'hot': {hot:g} is in nats (natural log); the question asks for bits"
    return False, (f"'hot': {hot:g} bits. As T -> infinity every z / T goes to 0: which distribution is that, over how "
                   "many characters, and what is its entropy?")


register(BehaviourExercise(
    name="architectures/temperature-limits",
    answer="entropy_limits",
    title="Predict the entropy of the sampling distribution at the two ends of the temperature",
    points=1,
    measure=_limits_measure,
    judge=_limits_judge,
    answer_is_data=True,
    seed=0,
    hint="Write softmax(z / T) for T near 0 and for T very large; then its entropy -sum p log2 p.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. carry the state

def _rnn_params(V, H, seed, scale):
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, s=1.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * s)

    return {"W_xh": randn(H, V, s=1.0), "W_hh": randn(H, H, s=scale / math.sqrt(H)), "b_h": randn(H, s=0.1),
            "W_hy": randn(V, H, s=2.0), "b_y": randn(V, s=0.1)}


def _carry_cases():
    cases = []
    for V, H, seed, prefix, length in ((5, 8, 0, [0], 12), (6, 8, 1, [2, 0, 4], 15), (7, 16, 2, [1, 1, 1, 1, 1], 20),
                                       (4, 6, 3, [3, 2], 1), (8, 12, 4, [0, 7, 3, 5, 2, 6], 25)):
        cases.append(Case(args=(_rnn_params(V, H, seed, 1.5), prefix, length),
                          label=f"V = {V} characters, H = {H}, prefix {prefix}, {length} new characters"))
    return cases


def _carry_reference(params, prefix, length):
    """The same greedy loop through torch.nn.RNN (its two biases: b_ih = b_h, b_hh = 0)."""
    W_xh = torch.as_tensor(params["W_xh"], dtype=torch.float64)
    H, V = W_xh.shape
    rnn = torch.nn.RNN(V, H, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_xh)
        rnn.weight_hh_l0.copy_(torch.as_tensor(params["W_hh"], dtype=torch.float64))
        rnn.bias_ih_l0.copy_(torch.as_tensor(params["b_h"], dtype=torch.float64))
        rnn.bias_hh_l0.zero_()
        W_hy = torch.as_tensor(params["W_hy"], dtype=torch.float64)
        b_y = torch.as_tensor(params["b_y"], dtype=torch.float64)
        x = torch.nn.functional.one_hot(torch.as_tensor(list(prefix)), V).double().unsqueeze(0)
        out, h = rnn(x)                                   # read the prefix
        y = W_hy @ out[0, -1] + b_y
        written = []
        for _ in range(int(length)):
            k = int(y.argmax())
            written.append(k)
            out, h = rnn(torch.nn.functional.one_hot(torch.tensor([[k]]), V).double(), h)  # carry h
            y = W_hy @ out[0, -1] + b_y
    return written


register(FunctionExercise(
    name="architectures/carry-the-state",
    answer="greedy_continuation",
    title="Find the bug: a greedy sampling loop that forgets",
    points=2,
    cases=_carry_cases,
    reference=_carry_reference,
    arg_names=("params", "prefix", "length"),
    inputs="five random RNNs (4 to 8 characters, 6 to 16 units) with prefixes of 1 to 6 characters",
    hint="The state h is what the network remembers of the prefix and of what it has written: it must be computed "
         "from the previous step's h at every step, including the steps after the prefix.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. truncation length

def truncation_decay() -> list:
    """The relative gradient norms, distance 0 first, of the exercise's RNN (the page draws the same)."""
    from nbcourse.data.text import Vocabulary, char_sequences, course_text
    from nbcourse.models.char_rnn import CharRNN, gradient_decay

    s = TRUNCATION_SETUP
    text = course_text()
    vocab = Vocabulary.from_text(text)
    model = CharRNN(vocab, hidden_size=s["hidden_size"], cell=s["cell"], seed=s["seed"])
    X, _ = char_sequences(text[: s["seq_len"] * s["sequences"] + 1], vocab=vocab, seq_len=s["seq_len"])
    norms = gradient_decay(model, X).flip(0)
    return (norms / norms[0]).tolist()


def _truncation_measure(k, *, seed):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= 63:
        return {"error": f"expected a whole number of steps between 1 and 63, got {k!r}"}
    return {"k": int(k), "relative": truncation_decay()}


def _truncation_judge(m):
    if "error" in m:
        return False, m["error"]
    k, rel = m["k"], m["relative"]
    # the shortest truncation beyond which every contribution is below 1 % of the nearest one
    needed = next(d for d in range(1, len(rel) + 1) if all(r < 1e-2 for r in rel[d:]))
    if k < needed:
        worst = max(rel[k:])
        return False, (f"k = {k}: a contribution from {k + rel[k:].index(worst)} characters back is still "
                       f"{100 * worst:.1f} % of the nearest one, and truncating at {k} throws it away")
    if k > 2 * needed:
        return False, (f"k = {k}: beyond {needed} steps back every contribution is already below 1 %; "
                       f"backpropagating through {k} steps costs {k / needed:.1f} times the work for nothing measurable")
    return True, (f"k = {k}: everything dropped is below 1 % of the nearest contribution (needed: {needed}), "
                  "at little extra cost")


register(BehaviourExercise(
    name="architectures/bptt-truncation",
    answer="truncation_length",
    title="Choose the truncation length of backpropagation through time",
    points=2,
    measure=_truncation_measure,
    judge=_truncation_judge,
    answer_is_data=True,
    seed=0,
    hint="Read the dashed RNN curve of the gradient-decay figure: where does it stay below the 1 % line?",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 4. LSTM parameters

def _lstm_cases():
    sizes = ((1, 1), (3, 2), (10, 20), (103, 128), (128, 128), (64, 7))
    cases = [Case(args=(i, h), label=f"input_size = {i}, hidden_size = {h}") for i, h in sizes]
    cases[0].hint = "With one input and one unit: how many gates, and how many numbers does each gate have in PyTorch?"
    return cases


def _lstm_reference(input_size, hidden_size):
    return sum(p.numel() for p in torch.nn.LSTM(int(input_size), int(hidden_size)).parameters())


register(FunctionExercise(
    name="architectures/lstm-parameters",
    answer="lstm_parameter_count",
    title="Count the parameters of an LSTM layer",
    points=2,
    cases=_lstm_cases,
    reference=_lstm_reference,
    forbidden=("LSTM", "LSTMCell", "numel", "parameters"),
    arg_names=("input_size", "hidden_size"),
    inputs="six layer sizes from (1, 1) to (128, 128)",
    hint="An LSTM has four gates (input, forget, cell candidate, output); each reads x_t and h_{t-1} through its own "
         "matrices and adds biases. PyTorch stores two bias vectors per gate (b_ih and b_hh).",
    notebook=PAGE,
))
