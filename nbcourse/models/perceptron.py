r"""Rosenblatt's perceptron: one threshold unit and its mistake-driven learning rule (Rosenblatt, 1958).

.. math::
    \hat y = \operatorname{sign}(w \cdot x + b) \in \{-1, +1\}, \qquad
    \text{if } y_i\,(w \cdot x_i + b) \le 0:\quad w \leftarrow w + \eta\, y_i x_i, \quad b \leftarrow b + \eta\, y_i

The rule changes the weights only on a mistake (a point on the wrong side of the line, or on it), and
then by the point itself. On data that a line separates with margin :math:`\gamma`, all points within
:math:`R` of the origin (counting the bias as a constant input 1), it makes at most
:math:`(R/\gamma)^2` mistakes in total, whatever the order (Novikoff, 1962): :func:`mistake_bound`
computes that bound, and :func:`widest_margin` the line that makes it smallest. On data no line
separates (XOR) it never stops making mistakes (Minsky and Papert, 1969).

The model is plain numpy (float64): no gradient, no loss, no optimizer. :class:`Perceptron` follows
scikit-learn's conventions (``fit`` returns ``self``, learned state ends in ``_``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from nbcourse._arrays import describe

__all__ = ["Perceptron", "perceptron_update", "mistake_bound", "widest_margin", "signed_labels"]


def perceptron_update(w: np.ndarray, b: float, x: np.ndarray, y: float, lr: float = 1.0) -> tuple[np.ndarray, float]:
    r"""One step of the perceptron rule on the sample ``(x, y)``, ``y`` in :math:`\{-1, +1\}`.

    A mistake (:math:`y\,(w \cdot x + b) \le 0`) moves the line towards the point:
    :math:`w + \eta y x`, :math:`b + \eta y`; a correctly classified point changes nothing.

    Args:
        w: weights, shape ``(d,)``. b: bias. x: one sample, shape ``(d,)``. y: its label, -1 or +1.
        lr: the step :math:`\eta` (default 1).

    Returns:
        ``(w_new, b_new)``: new arrays, the inputs are not modified.

    Examples::

        >>> perceptron_update(np.zeros(2), 0.0, np.array([1.0, 2.0]), -1)
        (array([-1., -2.]), -1.0)
        >>> perceptron_update(np.array([1.0, 0.0]), 0.0, np.array([2.0, 0.0]), 1)   # right already
        (array([1., 0.]), 0.0)
    """
    w = np.asarray(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if y * (w @ x + b) <= 0:            # a mistake: on the wrong side, or on the line
        return w + lr * y * x, float(b + lr * y)
    return w.copy(), float(b)


def signed_labels(y: Any, *, where: str = "Perceptron") -> tuple[np.ndarray, tuple[int, int]]:
    """Labels 0/1 or -1/+1 (numpy, torch or a list) as a float array of -1/+1, and the convention used.

    Examples::

        >>> signed_labels([0, 1, 1])
        (array([-1.,  1.,  1.]), (0, 1))
        >>> signed_labels(np.array([-1, 1]))[1]
        (-1, 1)
    """
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "biuf":
        raise ValueError(f"{where}: argument 'y' got {describe(y)}, expected a 1-D array of labels 0/1 or -1/+1")
    values = set(np.unique(arr).tolist())
    if values <= {0, 1}:
        classes = (0, 1)
    elif values <= {-1, 1}:
        classes = (-1, 1)
    else:
        raise ValueError(f"{where}: argument 'y' holds the labels {sorted(values)}, expected 0/1 or -1/+1 "
                         "(two classes; for more, train one perceptron per class)")
    return np.where(arr == classes[1], 1.0, -1.0), classes


def _features(X: Any, *, where: str, d: int | None = None) -> np.ndarray:
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    arr = np.asarray(X)
    if arr.ndim != 2 or arr.dtype.kind not in "biuf":
        raise ValueError(f"{where}: argument 'X' got {describe(X)}, expected a 2-D array (samples, features)")
    if d is not None and arr.shape[1] != d:
        raise ValueError(f"{where}: argument 'X' has {arr.shape[1]} features per sample, but the perceptron was "
                         f"fitted with {d}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{where}: argument 'X' holds NaN or infinite values")
    return arr


def mistake_bound(X: Any, y: Any, w: Any, b: float = 0.0) -> float:
    r"""Novikoff's bound :math:`(R/\gamma)^2` on the perceptron's mistakes, measured with the line ``(w, b)``.

    The bias is a weight on a constant input 1, so :math:`R = \max_i \lVert (x_i, 1) \rVert` and the margin
    is that of the unit vector :math:`(w, b) / \lVert (w, b) \rVert`:
    :math:`\gamma = \min_i y_i (w \cdot x_i + b) / \lVert (w, b) \rVert`. Any separating line gives a valid
    bound; the tightest comes from the line of :func:`widest_margin` (the widest margin with the bias
    counted as an input, which is not quite a support vector machine's line: an SVM leaves ``b`` out of
    the norm). Returns ``inf`` if ``(w, b)`` does not separate the
    data (:math:`\gamma \le 0`).

    Args:
        X: samples, shape ``(m, d)``. y: labels 0/1 or -1/+1, shape ``(m,)``.
        w: a separating line's weights, shape ``(d,)``. b: its bias (default 0).

    Examples::

        >>> X = np.array([[1.0, 1.0], [-1.0, -1.0]])
        >>> round(mistake_bound(X, [1, 0], w=[1.0, 1.0]), 6)     # R^2 = 3, gamma^2 = 2
        1.5
    """
    Xa = _features(X, where="mistake_bound")
    ys, _ = signed_labels(y, where="mistake_bound")
    if len(ys) != len(Xa):
        raise ValueError(f"mistake_bound: 'X' has {len(Xa)} samples but 'y' has {len(ys)}")
    v = np.append(np.asarray(w, dtype=np.float64).reshape(-1), float(b))
    if v.shape != (Xa.shape[1] + 1,) or not np.linalg.norm(v) > 0:
        raise ValueError(f"mistake_bound: argument 'w' got {describe(w)}, expected {Xa.shape[1]} weights, not all zero")
    Xa = np.hstack([Xa, np.ones((len(Xa), 1))])
    gamma = float((ys * (Xa @ v)).min() / np.linalg.norm(v))
    if gamma <= 0:
        return float("inf")
    R = float(np.linalg.norm(Xa, axis=1).max())
    return (R / gamma) ** 2


def widest_margin(X: Any, y: Any) -> tuple[np.ndarray, float]:
    r"""The separating line whose margin is widest when the bias counts as an input (a weight on a constant 1).

    Solves the hard-margin problem on the augmented samples :math:`\tilde x_i = (x_i, 1)`:

    .. math::
        \min_{w, b}\ \lVert w \rVert^2 + b^2 \quad \text{subject to} \quad y_i (w \cdot x_i + b) \ge 1,

    so :math:`(w, b) / \lVert (w, b) \rVert` is the unit vector :math:`u` with the largest
    :math:`\gamma = \min_i y_i\, u \cdot \tilde x_i`: the one that makes :func:`mistake_bound` smallest, and
    the direction that gradient descent on the logistic loss of a neuron with a bias converges to on separable
    data (Soudry et al., 2018). A support vector machine solves the same problem without :math:`b^2` in the
    objective (its margin is measured in the plane); the two lines coincide when the widest line passes
    through the origin, and are usually close. Solved with SciPy's SLSQP (a few variables: fine for the
    plane, not meant for large ``d``).

    Args:
        X: samples, shape ``(m, d)``. y: labels 0/1 or -1/+1, shape ``(m,)``; both classes present.

    Returns:
        ``(w, b)``, scaled so that the closest samples have :math:`y_i (w \cdot x_i + b) = 1`.

    Raises:
        ValueError: if no line separates the data.

    Examples::

        >>> w, b = widest_margin(np.array([[2.0, 0.0], [0.0, 0.0]]), [1, 0])
        >>> np.round(w, 4).tolist(), round(b, 4)     # the line x1 = 1, halfway between the points
        ([1.0, 0.0], -1.0)
    """
    from scipy.optimize import minimize

    Xa = _features(X, where="widest_margin")
    ys, _ = signed_labels(y, where="widest_margin")
    if len(ys) != len(Xa):
        raise ValueError(f"widest_margin: 'X' has {len(Xa)} samples but 'y' has {len(ys)}")
    if len(np.unique(ys)) < 2:
        raise ValueError("widest_margin: argument 'y' holds one class only; the margin needs both")
    A = ys[:, None] * np.hstack([Xa, np.ones((len(Xa), 1))])     # rows y_i (x_i, 1): constraints A v >= 1
    start = Perceptron().fit(Xa, ys, epochs=1000, seed=0)         # a feasible start, if the data are separable
    v0 = np.append(start.weights_, start.bias_)
    if start.converged_:
        v0 = v0 / (A @ v0).min()
    result = minimize(lambda v: v @ v, v0, jac=lambda v: 2 * v, method="SLSQP",
                      constraints=[{"type": "ineq", "fun": lambda v: A @ v - 1, "jac": lambda v: A}],
                      options={"ftol": 1e-12, "maxiter": 1000})
    v = result.x
    if not result.success or (A @ v).min() < 1 - 1e-6:
        raise ValueError("widest_margin: no line separates these samples (the hard-margin problem has no "
                         "solution); the widest margin exists only for linearly separable data")
    return v[:-1], float(v[-1])


class Perceptron:
    r"""Rosenblatt's perceptron: a line :math:`w \cdot x + b = 0` learned from mistakes.

    Each epoch visits every sample once (in a new random order when ``shuffle``) and applies
    :func:`perceptron_update`; training stops after the first epoch without a mistake (the rule would
    change nothing after it) or after ``epochs`` epochs. The weights start at zero, so the learning rate
    only scales them: it changes neither the line nor the number of mistakes.

    Args:
        record: keep the line after every update in ``path_`` (default False), to draw the training.

    Attributes (after :meth:`fit`):
        weights_ (numpy array ``(d,)``), bias_ (float): the line.
        errors_ (list of int): mistakes (= updates) made in each epoch.
        updates_ (int): all updates, ``sum(errors_)``.
        converged_ (bool): the last epoch made no mistake (the training data are separated).
        classes_ (tuple): the label convention seen by ``fit``, ``(0, 1)`` or ``(-1, 1)``.
        path_ (list of ``(w, b)``): the line before training and after each update, if ``record``.

    Shape:
        - ``X``: :math:`(N, d)` numpy array or torch tensor; ``y``: :math:`(N,)` labels 0/1 or -1/+1.
        - ``predict(X)``: :math:`(N,)` labels in ``classes_``, numpy or torch as ``X`` came in.

    Examples::

        >>> from nbcourse.data import make_separable, make_xor
        >>> X, y = make_separable(50, margin=0.3, seed=0)
        >>> p = Perceptron().fit(X, y, epochs=100, seed=0)
        >>> p.converged_, p.errors_[-1], bool((p.predict(X) == y).all())
        (True, 0, True)
        >>> Perceptron().fit(*make_xor(), epochs=1000).converged_
        False
    """

    def __init__(self, *, record: bool = False) -> None:
        self.record = record

    def fit(self, X: Any, y: Any, *, epochs: int = 100, lr: float = 1.0, shuffle: bool = True,
            seed: int | None = 0) -> "Perceptron":
        """Learn the line from ``(X, y)`` with the perceptron rule.

        Args:
            X: samples, shape ``(N, d)`` (numpy or torch). y: labels 0/1 or -1/+1, shape ``(N,)``.
            epochs: most passes over the data (default 100).
            lr: step :math:`\\eta` of the rule (default 1; any positive value gives the same mistakes).
            shuffle: visit the samples in a new random order every epoch (default True); False keeps
                the given order.
            seed: seed of the order (default 0; None: numpy's fresh entropy, not repeatable).

        Returns:
            ``self``.
        """
        where = "Perceptron.fit"
        Xa = _features(X, where=where)
        ys, self.classes_ = signed_labels(y, where=where)
        if len(ys) != len(Xa):
            raise ValueError(f"{where}: 'X' has {len(Xa)} samples but 'y' has {len(ys)}; they must match")
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
            raise ValueError(f"{where}: argument 'epochs' got {describe(epochs)}, expected a positive integer")
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"{where}: argument 'lr' got {describe(lr)}, expected a positive number")
        rng = np.random.default_rng(seed)
        w, b = np.zeros(Xa.shape[1]), 0.0
        self.errors_: list[int] = []
        self.path_: list[tuple[np.ndarray, float]] = [(w.copy(), b)] if self.record else []
        for _ in range(int(epochs)):
            order = rng.permutation(len(Xa)) if shuffle else np.arange(len(Xa))
            mistakes = 0
            for i in order:
                if ys[i] * (w @ Xa[i] + b) <= 0:
                    w, b = perceptron_update(w, b, Xa[i], ys[i], lr)
                    mistakes += 1
                    if self.record:
                        self.path_.append((w.copy(), b))
            self.errors_.append(mistakes)
            if mistakes == 0:
                break
        self.weights_, self.bias_ = w, float(b)
        self.updates_ = int(sum(self.errors_))
        self.converged_ = self.errors_[-1] == 0
        return self

    def _check_fitted(self, where: str) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError(f"{where}: this Perceptron is not fitted yet; call fit(X, y) first")

    def decision_function(self, X: Any) -> np.ndarray:
        r""":math:`w \cdot x + b` for each sample: positive on the side of ``classes_[1]``. Shape ``(N,)``, numpy."""
        self._check_fitted("Perceptron.decision_function")
        Xa = _features(X, where="Perceptron.decision_function", d=len(self.weights_))
        return Xa @ self.weights_ + self.bias_

    def predict(self, X: Any):
        """Labels in the convention ``fit`` saw (0/1 or -1/+1), a torch int64 tensor if ``X`` is a tensor,
        else a numpy int array. Points on the line get ``classes_[0]`` (the rule counts them as mistakes)."""
        self._check_fitted("Perceptron.predict")
        labels = np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0]).astype(np.int64)
        return torch.from_numpy(labels) if isinstance(X, torch.Tensor) else labels

    def score(self, X: Any, y: Any) -> float:
        """Fraction of the samples of ``(X, y)`` classified right."""
        ys, _ = signed_labels(y, where="Perceptron.score")
        return float(np.mean(np.where(self.decision_function(X) > 0, 1.0, -1.0) == ys))

    def __repr__(self) -> str:
        if not hasattr(self, "weights_"):
            return "Perceptron(not fitted)"
        return (f"Perceptron(weights={np.round(self.weights_, 4).tolist()}, bias={self.bias_:.4g}, "
                f"epochs={len(self.errors_)}, updates={self.updates_}, converged={self.converged_})")
