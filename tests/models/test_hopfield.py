"""nbcourse.models.hopfield: shapes, errors, Hebbian storage, the energy facts, capacity, spurious states."""

from __future__ import annotations

import numpy as np
import pytest

from nbcourse.data.binary import letter_patterns
from nbcourse.models import HopfieldNetwork
from nbcourse.models.hopfield import capacity_curve, corrupt, hebbian_weights


@pytest.fixture(scope="module")
def letters():
    patterns = letter_patterns("LXZJV")
    return patterns, HopfieldNetwork(64).fit(patterns)


def test_fit_returns_self_and_hebbian_weights():
    rng = np.random.default_rng(0)
    xi = rng.choice([-1.0, 1.0], size=(4, 30))
    net = HopfieldNetwork(30)
    assert net.fit(xi) is net
    W = net.weights_
    assert W.shape == (30, 30) and np.allclose(W, W.T) and np.all(np.diag(W) == 0)
    expected = sum(np.outer(p, p) for p in xi) / 30
    np.fill_diagonal(expected, 0)
    assert np.allclose(W, expected) and np.allclose(hebbian_weights(xi), expected)
    assert net.bias_.shape == (30,) and net.patterns_.shape == (4, 30)


@pytest.mark.parametrize("bad, error, words", [
    ([[0, 1, 1]], ValueError, r"-1 and \+1 \(0/1 data\? use 2 \* x - 1\)"),
    ([[1, -1, 0.5]], ValueError, "expected only -1 and"),
    ([[1, -1]], ValueError, "2 units per pattern, expected 3"),
    ([[[1, -1, 1]]], ValueError, "shape"),
    ([[True, False, True]], TypeError, "bool"),
])
def test_fit_rejects_bad_patterns(bad, error, words):
    with pytest.raises(error, match=words):
        HopfieldNetwork(3).fit(bad)


def test_constructor_and_recall_arguments():
    with pytest.raises(ValueError, match="n_units"):
        HopfieldNetwork(0)
    net = HopfieldNetwork(4)
    with pytest.raises(RuntimeError, match="fit"):
        net.recall([1, 1, 1, 1])
    net.fit([[1, -1, 1, -1]])
    with pytest.raises(ValueError, match="mode"):
        net.recall([1, 1, 1, 1], mode="parallel")
    with pytest.raises(ValueError, match="max_steps"):
        net.recall([1, 1, 1, 1], max_steps=0)
    with pytest.raises(ValueError, match="state"):
        net.recall([1, 1, 1])


def test_shapes_of_recall_and_energy(letters):
    patterns, net = letters
    assert net.recall(patterns[0], seed=0).shape == (64,)
    assert net.recall(patterns, seed=0).shape == (5, 64)
    assert np.ndim(net.energy(patterns[0])) == 0 and net.energy(patterns).shape == (5,)
    final, trace = net.recall(patterns[:2], seed=0, return_trace=True)
    assert trace.states.shape[1:] == (2, 64) and trace.energies.shape == trace.states.shape[:2]
    assert trace.states.shape[0] == 64 * trace.n_sweeps + 1


def test_energy_formula(letters):
    patterns, net = letters
    s = np.random.default_rng(1).choice([-1.0, 1.0], size=64)
    assert np.isclose(net.energy(s), -0.5 * s @ net.weights_ @ s)
    # a flip changes the energy by 2 s_i h_i
    for i in (0, 17, 63):
        t = s.copy()
        t[i] *= -1
        assert np.isclose(net.energy(t) - net.energy(s), 2 * s[i] * net.field(s)[i])


def test_stored_patterns_are_fixed_points_below_capacity():
    rng = np.random.default_rng(2)
    for n, p in ((100, 5), (200, 10)):                 # loads 0.05: far below 0.138
        xi = rng.choice([-1.0, 1.0], size=(p, n))
        net = HopfieldNetwork(n).fit(xi)
        assert net.is_stable(xi).all()
        assert np.array_equal(net.recall(xi, seed=0), xi)
        assert np.array_equal(net.recall(xi, mode="sync"), xi)


def test_recall_repairs_corrupted_letters(letters):
    patterns, net = letters
    starts = np.array([corrupt(p, 0.1, seed=k) for k, p in enumerate(patterns)])
    assert np.array_equal(net.recall(starts, seed=0), patterns)
    assert np.array_equal(net.recall(starts[2], seed=5), patterns[2])


def test_energy_never_increases_along_asynchronous_recall(letters):
    patterns, net = letters
    starts = np.random.default_rng(3).choice([-1.0, 1.0], size=(100, 64))
    finals, trace = net.recall(starts, seed=0, return_trace=True)
    assert np.all(np.diff(trace.energies, axis=0) <= 1e-12)
    assert (np.diff(trace.energies, axis=0) < 0).any()
    assert np.all(trace.converged) and net.is_stable(finals).all()
    # the energies of the trace are those of its states
    assert np.allclose(trace.energies[-1], net.energy(finals))


def test_random_weights_with_bias_also_descend():
    # the argument needs only symmetry and a zero diagonal, not Hebbian weights
    rng = np.random.default_rng(4)
    A = rng.normal(size=(40, 40))
    net = HopfieldNetwork(40).fit(rng.choice([-1.0, 1.0], size=(1, 40)))
    net.weights_ = (A + A.T) / 2
    np.fill_diagonal(net.weights_, 0)
    net.bias_ = rng.normal(size=40)
    _, trace = net.recall(rng.choice([-1.0, 1.0], size=(20, 40)), seed=1, return_trace=True)
    assert np.all(np.diff(trace.energies, axis=0) <= 1e-9)


def test_synchronous_recall_can_cycle():
    # two units that want to disagree, both starting +1: all at once they flip together forever
    net = HopfieldNetwork(2).fit([[1, -1]])
    final, trace = net.recall([1, 1], mode="sync", return_trace=True)
    assert trace.cycle and not trace.converged
    final, trace = net.recall([1, 1], mode="async", seed=0, return_trace=True)
    assert trace.converged and net.is_stable(final)


def test_seeded_recall_is_reproducible(letters):
    patterns, net = letters
    start = corrupt(patterns[3], 0.4, seed=0)
    assert np.array_equal(net.recall(start, seed=7), net.recall(start, seed=7))


def test_spurious_states(letters):
    patterns, net = letters
    assert net.is_stable(-patterns).all()
    assert np.allclose(net.energy(-patterns), net.energy(patterns))
    L, X, Z, J, V = patterns
    assert net.is_stable(np.sign(L + Z + J))           # a mixture of three letters is a minimum


def test_correlated_letters_do_not_coexist():
    trio = letter_patterns("AHN")                         # H and N overlap by 0.75
    assert HopfieldNetwork(64).fit(trio).is_stable(trio).tolist() == [True, False, False]


def test_capacity_curve_falls_past_the_critical_load():
    curve = capacity_curve(100, loads=(0.05, 0.3), n_trials=2, seed=0)
    assert curve["stable"][0] == 1.0 and curve["recalled"][0] == 1.0
    assert curve["recalled"][1] < 0.5 and curve["overlap"][1] < curve["overlap"][0]


def test_corrupt_flips_exactly():
    x = letter_patterns("X")[0]
    y = corrupt(x, 0.25, seed=3)
    assert int((x != y).sum()) == 16
    with pytest.raises(ValueError, match="fraction"):
        corrupt(x, 1.5)
