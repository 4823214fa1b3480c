"""The exercises of the page Fully convolutional networks (nbcourse/exercises/architectures/fully_convolutional.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbcourse.exercises import check, get, names

NAMES = ["architectures/fc-head-sizes", "architectures/same-padding", "architectures/upsample-crop"]


# the instructor's solutions, as in book/architectures/fully-convolutional.ipynb
def same_padding(kernel_size, dilation=1):
    return dilation * (kernel_size - 1) // 2


def excess_rows(size, poolings):
    rows = size
    for _ in range(poolings):
        rows = (rows + 1) // 2
    return rows * 2 ** poolings - size


SOLUTIONS = {
    "architectures/same-padding": same_padding,
    "architectures/fc-head-sizes": [8, 9, 10, 11],
    "architectures/upsample-crop": excess_rows,
}


def test_the_page_registers_its_exercises():
    registered = [n for n in names("architectures") if get(n).notebook == "architectures/fully-convolutional"]
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


def test_same_padding_without_dilation_fails_on_dilated_kernels():
    _fails("architectures/same-padding", lambda k, dilation=1: (k - 1) // 2, "dilation 2")
    _fails("architectures/same-padding", lambda k, dilation=1: k // 2 + 1, "3x3 kernel")


def test_fc_head_sizes_feedback_names_the_first_wrong_size():
    _fails("architectures/fc-head-sizes", [8], "9x9 runs too", "rounds")
    _fails("architectures/fc-head-sizes", [8, 9, 10, 11, 12], "12x12 does not run", "16x3x3")
    _fails("architectures/fc-head-sizes", "eight", "expected a collection")


def test_upsample_crop_typical_mistakes():
    _fails("architectures/upsample-crop", lambda n, p: 0, "33 rows")                   # thinks nothing is lost
    _fails("architectures/upsample-crop", lambda n, p: n % 2 ** p, "33 rows")          # the remainder, not what is added
    _fails("architectures/upsample-crop", lambda n, p: (n // 2 ** p) * 2 ** p - n, "33 rows")  # rounds down
