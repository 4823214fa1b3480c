"""The exercises of the chapter Activation functions (nbcourse/exercises/activations.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nbcourse
from nbcourse import activations as A
from nbcourse.exercises import _harness, check, get, names

NAMES = ["activations/sigmoid-grad", "activations/swish", "activations/swish-grad", "activations/tanh-via-sigmoid"]


# the instructor's solutions, as in book/activations/at-a-glance.ipynb
def sigmoid_grad_from_value(s):
    return s * (1 - s)


def tanh_via_sigmoid(z):
    return 2 * A.sigmoid(2 * z) - 1


def my_swish(z, beta=1.0):
    return z * A.sigmoid(beta * z)


def my_swish_grad(z, beta=1.0):
    s = my_swish(z, beta)
    return beta * s + A.sigmoid(beta * z) * (1 - beta * s)


SOLUTIONS = {
    "activations/sigmoid-grad": sigmoid_grad_from_value,
    "activations/tanh-via-sigmoid": tanh_via_sigmoid,
    "activations/swish": my_swish,
    "activations/swish-grad": my_swish_grad,
}


NEW = {"activations/dead-units": "activations/vanishing-and-dead-units",
       "activations/activation-ranges": "activations/at-a-glance",
       "activations/fix-the-run": "activations/vanishing-and-dead-units",
       "activations/selu-scale": "activations/in-action",
       "activations/rescue-sigmoid": "activations/comparison"}


def test_the_chapter_registers_its_exercises():
    assert sorted(names("activations")) == sorted(NAMES + list(NEW))
    for name, page in NEW.items():
        assert get(name).notebook == page and get(name).hint
    for name in NAMES:
        exercise = get(name)
        assert exercise.notebook == "activations/at-a-glance" and exercise.title and exercise.hint
        # a notebook that imports nbcourse.activations cannot answer by accident
        assert not hasattr(A, exercise.answer)


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


@pytest.mark.parametrize("name", NAMES)
def test_the_inputs_include_zero_the_extremes_float32_and_float64(name):
    cases = [_harness.decode(c["args"])[0] for c in get(name).encoded_cases()]
    dtypes = {np.asarray(c).dtype for c in cases}
    assert {np.dtype(np.float32), np.dtype(np.float64)} <= dtypes
    values = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in cases])
    if name == "activations/sigmoid-grad":  # inputs are s = sigmoid(z): the ends 0, 1/2 and 1
        assert {0.0, 0.5, 1.0} <= set(values.tolist())
    else:
        assert {0.0, 50.0, -50.0, 1000.0, -1000.0} <= set(values.tolist())


@pytest.mark.parametrize("name", ["activations/sigmoid-grad", "activations/swish-grad"])
def test_the_reference_and_autograd_agree_on_every_input(name):
    for values in get(name).expected():
        (_, reference), (source, autograd) = values
        assert source == "autograd"
        np.testing.assert_allclose(reference, autograd, rtol=1e-12, atol=1e-15)


def test_naive_tanh_overflows_and_the_message_says_where():
    def naive(z):
        return (np.exp(2 * z) - 1) / (np.exp(2 * z) + 1)

    result = check("activations/tanh-via-sigmoid", naive, raise_on_failure=False)
    assert not result
    assert "z[13] = 1000" in result.message and "expected 1" in result.message and "received nan" in result.message
    assert "overflow" in result.hint and "2 sigma(2z) - 1" in result.hint


def test_tanh_itself_is_not_an_answer():
    def tanh_via_sigmoid(z):
        return np.tanh(z)

    result = check("activations/tanh-via-sigmoid", tanh_via_sigmoid, raise_on_failure=False)
    assert not result and "`np.tanh`" in result.message


@pytest.mark.parametrize("builtin", [np.tanh, torch.tanh, math.tanh])
def test_tanh_passed_itself_is_not_an_answer(builtin):
    result = check("activations/tanh-via-sigmoid", builtin, raise_on_failure=False)
    assert not result and "`tanh`" in result.message


def test_the_math_module_gets_a_numpy_hint():
    def my_swish(z, beta=1.0):
        return z / (1 + math.exp(-beta * z))

    result = check("activations/swish", my_swish, raise_on_failure=False)
    assert not result and "TypeError" in result.message and "np.exp" in result.hint


def test_a_swish_that_ignores_beta_fails_at_the_first_other_beta():
    def my_swish(z, beta=1.0):
        return z * A.sigmoid(z)

    result = check("activations/swish", my_swish, raise_on_failure=False)
    assert not result and "beta = 0.5" in result.message


def test_a_wrong_default_beta_fails():
    result = check("activations/swish", lambda z, beta=2.0: z * A.sigmoid(beta * z), raise_on_failure=False)
    assert not result and "the default beta" in result.message


def test_a_naive_swish_passes_with_a_note_about_overflow():
    def my_swish(z, beta=1.0):
        return z / (1 + np.exp(-beta * z))

    result = check("activations/swish", my_swish)
    assert result.passed and any("overflow" in note for note in result.notes)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda z, beta=1.0: A.sigmoid(beta * z) * (1 - A.sigmoid(beta * z)),  # sigmoid's derivative, not swish's
        lambda z, beta=1.0: A.sigmoid(beta * z) + z * A.sigmoid(beta * z) * (1 - A.sigmoid(beta * z)),  # beta lost
        lambda z, beta=1.0: np.exp(z) * (1 + np.exp(z) + z) / (1 + np.exp(z)) ** 2,  # right for beta=1, overflows
    ],
)
def test_wrong_swish_derivatives_fail(wrong):
    assert not check("activations/swish-grad", wrong, raise_on_failure=False)


def test_float64_inputs_demand_float64_accuracy():
    # the float32 cases pass with float32 rounding (the solution above computes in the input's dtype),
    # but throwing a float64 input down to float32 loses 1 - s near s = 1 and is caught
    def float32_only(s):
        s = np.asarray(s, dtype=np.float32)
        return s * (1 - s)

    result = check("activations/sigmoid-grad", float32_only, raise_on_failure=False)
    assert not result and "float64" in result.message


def test_sigmoid_grad_from_z_instead_of_s_fails():
    result = check("activations/sigmoid-grad", lambda s: A.sigmoid.grad(s), raise_on_failure=False)
    assert not result and "expected" in result.message


def test_check_works_through_the_package_entry_point():
    assert nbcourse.check("activations/sigmoid-grad", sigmoid_grad_from_value).passed


# ----------------------------------------------------------------- the pages' judgement exercises

def dead_units(Z):
    return float(np.mean(np.all(np.asarray(Z) <= 0, axis=0)))


def test_dead_units_solution_passes_and_the_usual_mistakes_fail():
    assert check("activations/dead-units", dead_units).points == 2
    any_sample = lambda Z: float(np.mean(np.any(np.asarray(Z) <= 0, axis=0)))  # noqa: E731
    strict = lambda Z: float(np.mean(np.all(np.asarray(Z) < 0, axis=0)))  # noqa: E731
    per_row = lambda Z: float(np.mean(np.all(np.asarray(Z) <= 0, axis=1)))  # noqa: E731
    for wrong in (any_sample, strict, per_row):
        result = check("activations/dead-units", wrong, raise_on_failure=False)
        assert not result and result.points == 0


def test_activation_ranges_is_judged_on_the_whole_answer_without_giving_it_away():
    assert check("activations/activation-ranges", ["relu", "threshold"]).points == 2
    missing = check("activations/activation-ranges", ["relu"], raise_on_failure=False)
    assert not missing and "threshold" not in str(missing)
    small = check("activations/activation-ranges", ["relu", "threshold", "sigmoid"], raise_on_failure=False)
    assert not small and "sigmoid" in str(small)
    assert not check("activations/activation-ranges", ["nope"], raise_on_failure=False)


def test_fix_the_run_rejects_changing_the_architecture_and_accepts_the_fix():
    from nbcourse.exercises.activations import BROKEN_RUN

    assert not check("activations/fix-the-run", {"epochs": 50}, raise_on_failure=False)
    assert not check("activations/fix-the-run", {"momentum": 0.9}, raise_on_failure=False)
    assert BROKEN_RUN["bias_init"] == -1.0 and BROKEN_RUN["lr"] == 1.0
    assert check("activations/fix-the-run", {"bias_init": 0.1, "lr": 0.1}).points == 3


def test_selu_scale_accepts_lecun_and_rejects_twenty_percent_off():
    assert check("activations/selu-scale", 1.0).points == 2
    for wrong in (0.8, 1.2, 2.0, -1.0, "one"):
        assert not check("activations/selu-scale", wrong, raise_on_failure=False)


def test_rescue_sigmoid_needs_a_change_that_works():
    assert check("activations/rescue-sigmoid", {"batch_norm": True}).points == 2
    assert not check("activations/rescue-sigmoid", {}, raise_on_failure=False)
    assert not check("activations/rescue-sigmoid", {"activation": "relu"}, raise_on_failure=False)
    assert not check("activations/rescue-sigmoid", {"init": "he"}, raise_on_failure=False)
