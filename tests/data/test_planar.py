"""The two-dimensional data sets of the architectures chapter."""

from __future__ import annotations

import pytest
import torch

from nbcourse.data import make_circles, make_moons, make_separable, make_spirals, make_xor

MAKERS = [make_separable, make_moons, make_circles, make_spirals, lambda m, **kw: make_xor(m, **kw)]


@pytest.mark.parametrize("make", MAKERS)
def test_shapes_balance_and_seeds(make):
    X, y = make(101, seed=3)
    assert X.shape == (101, 2) and X.dtype == torch.float32 and y.shape == (101,) and y.dtype == torch.int64
    assert set(y.tolist()) == {0, 1} and abs(int(y.sum()) - 50) <= 25
    X2, y2 = make(101, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert not torch.equal(make(101, seed=4)[0], X)
    state = torch.random.get_rng_state()
    make(10, seed=0)
    assert torch.equal(state, torch.random.get_rng_state()), "the global random state is left alone"


def test_separable_has_its_margin():
    X, y = make_separable(200, margin=0.25, w=(2.0, -1.0), b=0.5, seed=0, dtype=torch.float64)
    d = (X @ torch.tensor([2.0, -1.0], dtype=torch.float64) + 0.5) / 5 ** 0.5
    assert bool((d.abs() >= 0.25 - 1e-12).all()) and bool(((d > 0).long() == y).all())
    assert int(y.sum()) == 100


def test_xor_and_circles():
    X, y = make_xor()
    assert y.tolist() == [0, 1, 1, 0] and X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    X, y = make_circles(100, noise=0.0, factor=0.3)
    r = X.norm(dim=1)
    torch.testing.assert_close(r[y == 1], torch.full_like(r[y == 1], 0.3))


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="'m'"):
        make_moons(1)
    with pytest.raises(ValueError, match="'noise'"):
        make_spirals(10, noise=-1.0)
    with pytest.raises(ValueError, match="'factor'"):
        make_circles(10, factor=1.5)
    with pytest.raises(ValueError, match="no room for a margin"):
        make_separable(10, margin=1.4, b=3.0)
    with pytest.raises(TypeError, match="'dtype'"):
        make_moons(10, dtype=torch.int64)
