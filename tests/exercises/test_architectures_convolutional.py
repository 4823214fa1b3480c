"""The exercises of the page Convolutional networks (nbcourse/exercises/architectures/convolutional.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbcourse.exercises import check, get, names

NAMES = ["architectures/conv-output-size", "architectures/conv-parameters", "architectures/shift-prediction"]


# the instructor's solutions, as in book/architectures/convolutional.ipynb
def conv_parameters(in_channels, out_channels, kernel_size, bias=True):
    return out_channels * (in_channels * kernel_size * kernel_size + (1 if bias else 0))


def conv_output_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


SOLUTIONS = {
    "architectures/conv-parameters": conv_parameters,
    "architectures/conv-output-size": conv_output_size,
    "architectures/shift-prediction": "mlp",
}


def test_the_page_registers_its_exercises():
    registered = [n for n in names("architectures") if get(n).notebook == "architectures/convolutional"]
    assert sorted(registered) == NAMES
    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        assert get(name).title and get(name).hint
        assert (book / f"{get(name).notebook}.ipynb").exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


def _fails(name, answer, *words):
    result = check(name, answer, raise_on_failure=False)
    assert not result
    text = " ".join(str(result).split())
    for word in words:
        assert word in text, (word, text)


def test_typical_wrong_parameter_counts():
    # forgets that a filter spans every input channel
    _fails("architectures/conv-parameters", lambda i, o, k, bias=True: o * (k * k + 1), "8 -> 16 channels")
    # forgets the bias
    _fails("architectures/conv-parameters", lambda i, o, k, bias=True: o * i * k * k, "1 -> 8 channels")
    # adds the bias even without one
    _fails("architectures/conv-parameters", lambda i, o, k, bias=True: o * (i * k * k + 1), "no bias")


def test_typical_wrong_output_sizes():
    _fails("architectures/conv-output-size", lambda n, k, stride=1, padding=0: n - k + 1 + 2 * padding if stride == 1
           else (n - k + 2 * padding) / stride + 1, "stride 2")          # true division, not floor
    _fails("architectures/conv-output-size", lambda n, k, stride=1, padding=0: (n + padding - k) // stride + 1,
           "padding 1")                                                # pads one side only
    _fails("architectures/conv-output-size", lambda n, k, stride=1, padding=0: -(-(n + 2 * padding - k) // stride) + 1,
           "32x32, 3x3, stride 2")                                       # rounds up


def test_shift_prediction_feedback():
    _fails("architectures/shift-prediction", "cnn", "measured", "MLP from")
    _fails("architectures/shift-prediction", "same", "not the same")
    _fails("architectures/shift-prediction", "rnn", "expected 'mlp', 'cnn' or 'same'")
