"""Perceptron: Rosenblatt's rule, convergence on separable data within Novikoff's bound, none on XOR,
label conventions, numpy and torch, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nbcourse.data import make_separable, make_xor
from nbcourse.models import Perceptron
from nbcourse.models.perceptron import mistake_bound, perceptron_update, widest_margin


def _by_hand(X, y, epochs, lr=1.0):
    """The rule written out, visiting the samples in order (labels -1/+1)."""
    w, b, errors = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        mistakes = 0
        for x, t in zip(X, y):
            if t * (w @ x + b) <= 0:
                w, b, mistakes = w + lr * t * x, b + lr * t, mistakes + 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors


def test_it_is_the_rule_written_out():
    X, y = make_separable(60, margin=0.1, b=0.4, seed=2)
    X, s = X.double().numpy(), np.where(y.numpy() == 1, 1.0, -1.0)
    p = Perceptron().fit(X, s, epochs=100, shuffle=False)
    w, b, errors = _by_hand(X, s, 100)
    np.testing.assert_allclose(p.weights_, w)
    assert p.bias_ == pytest.approx(b) and p.errors_ == errors and p.updates_ == sum(errors)


@pytest.mark.parametrize("margin", [0.3, 0.1, 0.03])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_converges_on_separable_data_within_novikoffs_bound(margin, seed):
    X, y = make_separable(100, margin=margin, b=0.2, seed=seed)
    p = Perceptron().fit(X, y, epochs=10_000, seed=seed)
    assert p.converged_ and p.errors_[-1] == 0
    assert bool((p.predict(X) == y).all()) and p.score(X, y) == 1.0
    # the data's own line has margin >= `margin`: its bound holds for every order of the samples
    assert p.updates_ <= mistake_bound(X, y, w=[1.0, 1.0], b=0.2)


def test_never_converges_on_xor():
    for X, y in (make_xor(), make_xor(40, noise=0.1, seed=0)):
        p = Perceptron().fit(X, y, epochs=500)
        assert not p.converged_ and len(p.errors_) == 500 and min(p.errors_) >= 1
        assert p.score(X, y) < 1.0


def test_learning_rate_only_scales_the_weights():
    X, y = make_separable(50, margin=0.1, seed=4)
    a = Perceptron().fit(X, y, lr=1.0, seed=3)
    b = Perceptron().fit(X, y, lr=0.01, seed=3)
    assert a.errors_ == b.errors_
    np.testing.assert_allclose(b.weights_, 0.01 * a.weights_)


@pytest.mark.parametrize("kind", ["numpy", "torch", "list"])
@pytest.mark.parametrize("convention", [(0, 1), (-1, 1)])
def test_labels_and_kinds(kind, convention):
    X, y = make_separable(40, margin=0.2, seed=0)
    labels = np.where(y.numpy() == 1, convention[1], convention[0])
    Xk, yk = {"numpy": (X.numpy(), labels), "torch": (X, torch.from_numpy(labels)),
              "list": (X.tolist(), labels.tolist())}[kind]
    p = Perceptron().fit(Xk, yk)
    assert p.classes_ == convention
    pred = p.predict(Xk if kind != "list" else X.numpy())
    assert isinstance(pred, torch.Tensor) if kind == "torch" else isinstance(pred, np.ndarray)
    assert sorted(set(np.asarray(pred).tolist())) == list(convention)
    np.testing.assert_array_equal(np.asarray(pred), labels)


def test_seeds_repeat_and_differ():
    X, y = make_separable(80, margin=0.05, seed=1)
    a, b = Perceptron().fit(X, y, seed=5), Perceptron().fit(X, y, seed=5)
    assert a.errors_ == b.errors_ and np.array_equal(a.weights_, b.weights_)
    lines = {tuple(np.round(Perceptron().fit(X, y, seed=s).weights_, 6)) for s in range(5)}
    assert len(lines) > 1, "different orders stop at different separating lines"


def test_record_keeps_every_update():
    X, y = make_separable(30, margin=0.1, seed=0)
    p = Perceptron(record=True).fit(X, y, shuffle=False)
    assert len(p.path_) == p.updates_ + 1
    assert np.array_equal(p.path_[0][0], np.zeros(2)) and np.array_equal(p.path_[-1][0], p.weights_)


def test_update_rule():
    w, x = np.array([1.0, 0.0]), np.array([-1.0, 1.0])
    w2, b2 = perceptron_update(w, 0.0, x, 1, lr=0.5)           # 1 * (-1) <= 0: a mistake
    np.testing.assert_allclose(w2, [0.5, 0.5])
    assert b2 == 0.5 and np.array_equal(w, [1.0, 0.0]), "the input is not modified"
    w3, b3 = perceptron_update(w, 0.0, x, -1)                  # right side: nothing changes
    assert np.array_equal(w3, w) and b3 == 0.0
    w4, _ = perceptron_update(np.zeros(2), 0.0, x, -1)         # on the line counts as a mistake
    np.testing.assert_allclose(w4, [1.0, -1.0])


def test_mistake_bound():
    X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    assert mistake_bound(X, [1, 0], [1.0, 1.0]) == pytest.approx(3 / 2)  # R^2 = 3, gamma = 2 / sqrt(2)
    assert mistake_bound(X, [1, 0], [-1.0, 0.0]) == float("inf")
    with pytest.raises(ValueError, match="'w'"):
        mistake_bound(X, [1, 0], [0.0, 0.0], b=0.0)


@pytest.mark.parametrize("seed", [0, 3])
def test_widest_margin_gives_the_smallest_bound(seed):
    """Counting the bias as an input, no separating line beats widest_margin's bound: not the line the data
    came from, not a perceptron's, not a support vector machine's (which measures its margin in the plane)."""
    from sklearn.svm import SVC

    X, y = make_separable(60, margin=0.1, b=0.5, seed=seed)
    w, b = widest_margin(X, y)
    Xa = np.hstack([X.double().numpy(), np.ones((len(X), 1))])
    s = np.where(y.numpy() == 1, 1.0, -1.0)
    assert (s * (Xa @ np.append(w, b))).min() == pytest.approx(1.0, abs=1e-6)   # the closest samples at 1
    best = mistake_bound(X, y, w, b)
    svm = SVC(kernel="linear", C=1e6).fit(X.numpy(), y.numpy())
    p = Perceptron().fit(X, y, seed=seed)
    for w_other, b_other in [([1.0, 1.0], 0.5), (svm.coef_[0], svm.intercept_[0]), (p.weights_, p.bias_)]:
        assert best <= mistake_bound(X, y, w_other, b_other) * (1 + 1e-6)


def test_widest_margin_on_non_separable_data():
    with pytest.raises(ValueError, match="no line separates"):
        widest_margin(*make_xor())
    with pytest.raises(ValueError, match="one class"):
        widest_margin(np.zeros((3, 2)), [1, 1, 1])


def test_errors_name_the_argument():
    X, y = make_separable(10, seed=0)
    with pytest.raises(ValueError, match="'y'.*0/1 or -1/\\+1"):
        Perceptron().fit(X, torch.tensor([0, 1, 2] * 3 + [0]))
    with pytest.raises(ValueError, match="'X'.*2-D"):
        Perceptron().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="10 samples but 'y' has 9"):
        Perceptron().fit(X, y[:9])
    with pytest.raises(ValueError, match="'epochs'"):
        Perceptron().fit(X, y, epochs=0)
    with pytest.raises(ValueError, match="'lr'"):
        Perceptron().fit(X, y, lr=-1.0)
    with pytest.raises(RuntimeError, match="not fitted"):
        Perceptron().predict(X)
    with pytest.raises(ValueError, match="3 features.*fitted with 2"):
        Perceptron().fit(X, y).predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        Perceptron().fit(np.full((2, 2), np.nan), [0, 1])
