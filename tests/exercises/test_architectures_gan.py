"""The exercises of the GAN page (nbcourse/exercises/architectures/gan.py): the reference solutions pass,
typical wrong answers fail with feedback that says where they go wrong."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbcourse.exercises import CheckFailed, check, get, names

NAMES = ["architectures/gan-equilibrium", "architectures/gan-find-the-bugs", "architectures/gan-generator-grads",
         "architectures/gan-optimal-d"]


# the instructor's solutions, as in book/architectures/gan.ipynb
def optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)


def generator_logit_grads(d):
    d = np.asarray(d, dtype=float)
    return -d, d - 1


SOLUTIONS = {
    "architectures/gan-optimal-d": optimal_discriminator,
    "architectures/gan-equilibrium": {"d_loss": math.log(4), "g_loss": math.log(2), "d_real": 0.5, "d_fake": 0.5},
    "architectures/gan-generator-grads": generator_logit_grads,
    "architectures/gan-find-the-bugs": [5, 9, 12],
}


def _fails(name, answer):
    result = check(name, answer, raise_on_failure=False)
    assert not result and result.points == 0
    return str(result)


def test_the_page_registers_its_exercises():
    assert [n for n in names("architectures") if n.startswith("architectures/gan-")] == NAMES
    for name in NAMES:
        exercise = get(name)
        assert exercise.notebook == "architectures/gan" and exercise.title and exercise.hint


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


def test_optimal_discriminator_wrong_answers():
    assert "three points" in _fails("architectures/gan-optimal-d", lambda p, q: q / (p + q))   # the flipped ratio
    text = _fails("architectures/gan-optimal-d", lambda p, q: p / q)                           # a likelihood ratio
    assert "three points" in text


def test_generator_grads_wrong_answers():
    # the gradients with respect to D instead of the logit
    text = _fails("architectures/gan-generator-grads", lambda d: (-1 / (1 - np.asarray(d)), -1 / np.asarray(d)))
    assert "0.01" in text
    # the two swapped
    assert "0.01" in _fails("architectures/gan-generator-grads", lambda d: (np.asarray(d) - 1, -np.asarray(d)))
    with pytest.raises(CheckFailed):
        check("architectures/gan-generator-grads", lambda d: (-np.asarray(d), np.asarray(d) - 1 + 1e-3))


@pytest.mark.parametrize("answer, says", [
    ({"d_loss": math.log(2), "g_loss": math.log(2), "d_real": 0.5, "d_fake": 0.5}, "adds the real batch"),
    ({"d_loss": 0.0, "g_loss": math.log(2), "d_real": 0.5, "d_fake": 0.5}, "always right"),
    ({"d_loss": math.log(4), "g_loss": math.log(2), "d_real": 1.0, "d_fake": 0.0}, "D*(x)"),
    ({"d_loss": math.log(4), "g_loss": math.log(4), "d_real": 0.5, "d_fake": 0.5}, "-log D(G(z))"),
    ({"d_loss": math.log(4), "d_real": 0.5, "d_fake": 0.5}, "no value for 'g_loss'"),
    ([1.386, 0.693], "expected a dict"),
])
def test_equilibrium_wrong_answers(answer, says):
    assert says in _fails("architectures/gan-equilibrium", answer)


@pytest.mark.parametrize("answer, says", [
    ([3, 9, 12], "line 3"),                  # detaching at line 3 would cut the generator off
    ([9, 12], "discriminator's loss"),
    ([5, 12], "generator's loss"),
    ([5, 9], "generator's update"),
    ([5, 9, 12, 13], "lines 1 to 12"),
    ("five", "line numbers"),
])
def test_find_the_bugs_wrong_answers(answer, says):
    text = _fails("architectures/gan-find-the-bugs", answer)
    assert says in text
    assert "line 5" not in text or answer == [3, 9, 12]    # feedback points, it does not list the answer


def test_the_buggy_loop_has_the_lines_the_feedback_names():
    from nbcourse.exercises.architectures.gan import BUGGY_LOOP

    lines = BUGGY_LOOP.splitlines()
    assert len(lines) == 12
    assert "D(fake)" in lines[4] and "detach" not in BUGGY_LOOP
    assert "torch.zeros" in lines[8] and "opt_d.step" in lines[11]
