"""nbcourse.data.synthetic: the line data of the interactive example and the ten-copies set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nbcourse.data import LINE_SIZES, make_duplicated, make_line


def test_sizes_are_those_of_the_interactive_example():
    assert LINE_SIZES == {"small": 48, "medium": 144, "large": 480}
    assert all(m % 24 == 0 for m in LINE_SIZES.values()), "batch size 24 splits every set evenly"
    for name, m in LINE_SIZES.items():
        x, y = make_line(name)
        assert x.shape == y.shape == (m,)


def test_make_line_samples_around_the_ground_truth():
    x, y = make_line(20_000, w=-2.0, b=0.7, noise=0.3, x_range=(-1.0, 3.0), seed=1)
    assert x.dtype == torch.float64 and x.min() >= -1.0 and x.max() <= 3.0
    assert abs(x.mean().item() - 1.0) < 0.05, "x is uniform on the interval"
    residual = y - (-2.0 * x + 0.7)
    assert abs(residual.mean().item()) < 0.01 and abs(residual.std().item() - 0.3) < 0.01
    A = torch.stack([x, torch.ones_like(x)], dim=1)
    w, b = torch.linalg.lstsq(A, y[:, None]).solution[:, 0].tolist()
    assert w == pytest.approx(-2.0, abs=0.01) and b == pytest.approx(0.7, abs=0.01)


def test_make_line_is_seeded_exact_without_noise_and_takes_a_dtype():
    a, b = make_line(30, seed=3), make_line(30, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(make_line(30, seed=4)[0], a[0])
    x, y = make_line(10, noise=0.0, seed=0)
    torch.testing.assert_close(y, 1.5 * x - 0.5)
    x32, _ = make_line(10, dtype=torch.float32)
    assert x32.dtype == torch.float32


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(m="tiny"), ValueError, "'m' got 'tiny'"),
    (dict(m=0), ValueError, "positive integer"),
    (dict(m=2.5), ValueError, "positive integer"),
    (dict(m=10, noise=-1.0), ValueError, "'noise'"),
    (dict(m=10, w="steep"), TypeError, "'w'"),
    (dict(m=10, x_range=(1.0, 1.0)), ValueError, "low < high"),
    (dict(m=10, x_range=3.0), TypeError, "x_range"),
    (dict(m=10, dtype=torch.int64), TypeError, "floating torch dtype"),
])
def test_make_line_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_line(**kwargs)


def test_make_duplicated_repeats_tensors_and_arrays():
    x, y = make_line(100, seed=0)
    X, Y = make_duplicated(x, y, copies=10)
    assert X.shape == (1000,) and torch.equal(X[:100], x) and torch.equal(X[900:], x) and torch.equal(Y[500:600], y)
    images = np.arange(12.0).reshape(3, 2, 2)
    A, B = make_duplicated(images, np.array([0, 1, 2]), copies=2)
    assert A.shape == (6, 2, 2) and B.tolist() == [0, 1, 2, 0, 1, 2]
    # the batch gradient of the copies is the batch gradient of the originals
    w = torch.tensor([0.3, -0.2], dtype=torch.float64)
    J = lambda x_, y_: (0.5 * (y_ - w[0] * x_ - w[1]) ** 2).mean()  # noqa: E731
    torch.testing.assert_close(J(X, Y), J(x, y))


def test_make_duplicated_makes_the_lectures_set_from_a_number_of_samples():
    X, Y = make_duplicated(100, copies=10, seed=3, noise=0.1)
    x, y = make_line(100, seed=3, noise=0.1)
    assert X.shape == (1000,) and torch.equal(X[300:400], x) and torch.equal(Y[:100], y)
    X, _ = make_duplicated("small")
    assert X.shape == (480,)


def test_make_duplicated_rejects_bad_input():
    with pytest.raises(ValueError, match="'copies'"):
        make_duplicated(np.zeros(3), np.zeros(3), copies=0)
    with pytest.raises(ValueError, match="'x' has 3 samples but 'y' has 2"):
        make_duplicated(np.zeros(3), np.zeros(2))
    with pytest.raises(TypeError, match="torch tensor or numpy array"):
        make_duplicated([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="first dimension"):
        make_duplicated(torch.tensor(1.0), torch.tensor(2.0))
    with pytest.raises(TypeError, match="'y' is missing"):
        make_duplicated(np.zeros(3))
    with pytest.raises(TypeError, match="either \\(x, y\\) or a number"):
        make_duplicated(np.zeros(3), np.zeros(3), seed=1)
