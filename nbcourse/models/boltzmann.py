r"""A (general) Boltzmann machine: stochastic binary units, symmetric weights, visible and hidden units.

The state :math:`s = (v, h) \in \{0, 1\}^{D + H}` of all units has the energy and probability

.. math::
    E(s) = -\tfrac12\, s^\top W s - b^\top s, \qquad p(s) = \frac{e^{-E(s)}}{Z},
    \qquad W = W^\top,\ W_{ii} = 0,

with every pair of units connected (visible-visible, visible-hidden and hidden-hidden). A unit turns on
with probability :math:`p(s_i = 1 \mid s_{-i}) = \sigma(b_i + \sum_j W_{ij} s_j)`: the stochastic version
of a Hopfield unit. **Gibbs sampling** updates the units one at a time with that probability.

**Learning** (Ackley, Hinton and Sejnowski 1985): the gradient of the mean log-likelihood of the data is a
difference of correlations, with the visible units clamped to the data and running freely,

.. math::
    \frac{\partial \langle \log p(v) \rangle_{data}}{\partial W_{ij}} = \langle s_i s_j \rangle_{data} - \langle s_i s_j \rangle_{model},
    \qquad \frac{\partial \langle \log p(v) \rangle_{data}}{\partial b_i} = \langle s_i \rangle_{data} - \langle s_i \rangle_{model}.

For a few units both averages are sums over all :math:`2^{D + H}` states (:meth:`exact_gradient`); otherwise
they are estimated by Gibbs sampling (:meth:`sampled_gradient`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BoltzmannMachine", "all_states", "empirical_distribution", "kl_divergence"]

_MAX_UNITS = 20


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


def all_states(n: int) -> np.ndarray:
    """Every binary vector of length ``n``, ``(2**n, n)``, in counting order (the first unit is the most significant bit).

    Examples::

        >>> all_states(2).astype(int).tolist()
        [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    return ((np.arange(2 ** n)[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


def empirical_distribution(X) -> np.ndarray:
    """The share of the rows of binary ``X`` (``(N, D)``) equal to each of the ``2**D`` states of :func:`all_states`.

    Examples::

        >>> empirical_distribution([[0, 1], [0, 1], [1, 1], [0, 0]]).tolist()
        [0.25, 0.5, 0.0, 0.25]
    """
    X = np.atleast_2d(np.asarray(X))
    index = (X.astype(np.int64) << np.arange(X.shape[1] - 1, -1, -1)).sum(axis=1)
    return np.bincount(index, minlength=2 ** X.shape[1]) / len(X)


def kl_divergence(p, q) -> float:
    r""":math:`\mathrm{KL}(p \,\|\, q) = \sum_x p(x) \log \frac{p(x)}{q(x)}` in nats (terms with :math:`p(x) = 0` count 0).

    Examples::

        >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)
        0.5108
    """
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    mask = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask]))))


class BoltzmannMachine:
    r"""A Boltzmann machine with ``n_visible`` visible and ``n_hidden`` hidden binary (0/1) units, all connected.

    Args:
        n_visible: visible units :math:`D` (at least 1).
        n_hidden: hidden units :math:`H` (0 allowed: a fully visible Boltzmann machine).
        seed: seed of the initial weights (default None: fresh randomness).
        init_std: standard deviation of the initial weights (default 0.1); biases start at 0.

    Attributes:
        weights_: :math:`(D + H, D + H)`, symmetric with a zero diagonal; units ``0..D-1`` are visible.
        bias_: :math:`(D + H,)`.
        history_: after :meth:`fit`, ``"kl"``: :math:`\mathrm{KL}(p_{data} \| p_{model})` after each epoch, in nats.

    Shape:
        - X (:meth:`fit`, :meth:`exact_gradient`, :meth:`sampled_gradient`): :math:`(N, D)` of 0 and 1.
        - :meth:`exact_distribution`: :math:`(2^D,)`, in the order of :func:`all_states`.
        - :meth:`sample`: :math:`(n\_samples, D)` (with ``return_hidden=True``, :math:`(n\_samples, D + H)`).

    Exact enumeration needs :math:`D + H \le 20`.

    Examples::

        >>> bm = BoltzmannMachine(3, 1, seed=0)
        >>> p = bm.exact_distribution()
        >>> p.shape, round(float(p.sum()), 6)
        ((8,), 1.0)
        >>> X = np.array([[1, 1, 0], [0, 0, 1]] * 10)
        >>> bm.fit(X, epochs=200, lr=0.5, seed=0).history_["kl"][-1] < 0.05
        True
    """

    def __init__(self, n_visible: int, n_hidden: int = 0, *, seed: int | None = None, init_std: float = 0.1) -> None:
        for name, value, low in (("n_visible", n_visible, 1), ("n_hidden", n_hidden, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"BoltzmannMachine: argument '{name}' got {value!r}, expected an integer >= {low}")
        self.n_visible, self.n_hidden = int(n_visible), int(n_hidden)
        self.n_units = self.n_visible + self.n_hidden
        rng = np.random.default_rng(seed)
        A = init_std * rng.standard_normal((self.n_units, self.n_units))
        self.weights_ = np.triu(A, 1) + np.triu(A, 1).T
        self.bias_ = np.zeros(self.n_units)
        self.history_: dict[str, list[float]] = {"kl": []}

    def __repr__(self) -> str:
        return f"BoltzmannMachine(n_visible={self.n_visible}, n_hidden={self.n_hidden})"

    # ---------------------------------------------------------------------------- checks
    def _data(self, X, where: str) -> np.ndarray:
        arr = np.atleast_2d(np.asarray(X))
        if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
            raise TypeError(f"BoltzmannMachine.{where}: argument 'X' got an array of {arr.dtype}, expected 0/1 numbers")
        arr = arr.astype(np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.n_visible:
            raise ValueError(f"BoltzmannMachine.{where}: argument 'X' got shape {np.shape(X)}, expected "
                             f"(n_samples, {self.n_visible}) (n_visible = {self.n_visible})")
        if not np.isin(arr, (0.0, 1.0)).all():
            raise ValueError(f"BoltzmannMachine.{where}: argument 'X' holds {np.unique(arr[~np.isin(arr, (0, 1))])[:5].tolist()}, "
                             "expected binary values 0 and 1")
        return arr

    def _enumerable(self, where: str) -> None:
        if self.n_units > _MAX_UNITS:
            raise ValueError(f"BoltzmannMachine.{where}: {self.n_units} units have 2^{self.n_units} states; exact "
                             f"enumeration is offered up to {_MAX_UNITS} units. Use sample() or sampled_gradient().")

    # ---------------------------------------------------------------------------- energy and exact distributions
    def energy(self, s) -> np.ndarray:
        r""":math:`E(s) = -\frac12 s^\top W s - b^\top s` of full states ``(N, D + H)``, returns ``(N,)``."""
        s = np.atleast_2d(np.asarray(s, dtype=np.float64))
        return -0.5 * np.einsum("ni,ij,nj->n", s, self.weights_, s) - s @ self.bias_

    def _joint(self) -> tuple[np.ndarray, np.ndarray]:
        S = all_states(self.n_units)
        log_w = -self.energy(S)
        p = np.exp(log_w - log_w.max())
        return S, p / p.sum()

    def exact_joint(self) -> np.ndarray:
        """:math:`p(v, h)` over all :math:`2^{D+H}` states (visible bits first), by enumeration."""
        self._enumerable("exact_joint")
        return self._joint()[1]

    def exact_distribution(self) -> np.ndarray:
        r""":math:`p(v) = \sum_h p(v, h)` over the :math:`2^D` visible states (order of :func:`all_states`)."""
        self._enumerable("exact_distribution")
        _, p = self._joint()
        return p.reshape(2 ** self.n_visible, 2 ** self.n_hidden).sum(axis=1)

    def _statistics(self, weights_of_states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        S = all_states(self.n_units)
        return (S.T * weights_of_states) @ S, weights_of_states @ S

    def exact_gradient(self, X) -> tuple[np.ndarray, np.ndarray]:
        r"""The exact gradient of the mean log-likelihood of ``X``: ``(dW, db)``, data minus model statistics.

        Data statistics clamp :math:`v` to each row of ``X`` and weigh the hidden states by the exact
        :math:`p(h \mid v)`; model statistics weigh every state by :math:`p(v, h)`. ``dW`` has a zero diagonal.
        """
        X = self._data(X, "exact_gradient")
        self._enumerable("exact_gradient")
        S, p = self._joint()
        p_vh = p.reshape(2 ** self.n_visible, 2 ** self.n_hidden)
        p_v = p_vh.sum(axis=1, keepdims=True)
        p_h_given_v = p_vh / p_v                                  # (2^D, 2^H)
        data = empirical_distribution(X)[:, None] * p_h_given_v   # data over v, the model's p(h | v)
        data_ss, data_s = self._statistics(data.reshape(-1))
        model_ss, model_s = self._statistics(p)
        dW = data_ss - model_ss
        np.fill_diagonal(dW, 0.0)
        return dW, data_s - model_s

    # ---------------------------------------------------------------------------- sampling
    def _gibbs(self, s: np.ndarray, units: np.ndarray, n_sweeps: int, rng) -> np.ndarray:
        for _ in range(n_sweeps):
            for i in units:                                       # one unit at a time: its neighbours are fixed
                p_on = _sigmoid(self.bias_[i] + s @ self.weights_[i])
                s[:, i] = (rng.random(len(s)) < p_on).astype(np.float64)
        return s

    def sample(self, n_samples: int, *, n_sweeps: int = 100, seed: int | None = None, clamp=None,
               return_hidden: bool = False) -> np.ndarray:
        """Gibbs sampling: ``n_samples`` independent chains, each ``n_sweeps`` sweeps over the units from a random start.

        Args:
            n_samples: the number of chains (one sample each).
            n_sweeps: sweeps per chain (burn-in); a sweep updates every free unit once (default 100).
            seed: seed of the chains (default None: fresh randomness).
            clamp: visible states ``(n_samples, D)`` to hold fixed while the hidden units are sampled
                (the "clamped" phase of learning); default None (all units run freely).
            return_hidden: return the full states ``(n_samples, D + H)`` instead of the visible part.
        """
        for name, value in (("n_samples", n_samples), ("n_sweeps", n_sweeps)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"BoltzmannMachine.sample: argument '{name}' got {value!r}, expected a positive integer")
        rng = np.random.default_rng(seed)
        s = (rng.random((n_samples, self.n_units)) < 0.5).astype(np.float64)
        units = np.arange(self.n_units)
        if clamp is not None:
            v = self._data(clamp, "sample")
            if len(v) != n_samples:
                raise ValueError(f"BoltzmannMachine.sample: argument 'clamp' has {len(v)} rows, expected n_samples = {n_samples}")
            s[:, :self.n_visible] = v
            units = units[self.n_visible:]
        s = self._gibbs(s, units, n_sweeps, rng)
        return s if return_hidden else s[:, :self.n_visible]

    def sampled_gradient(self, X, *, n_samples: int = 1000, n_sweeps: int = 20, seed: int | None = None):
        """The gradient of :meth:`exact_gradient`, estimated by Gibbs sampling: ``(dW, db)``.

        Clamped phase: ``n_samples`` rows drawn from ``X`` with their hidden units sampled (``n_sweeps``);
        free phase: ``n_samples`` free chains of ``n_sweeps`` sweeps.
        """
        X = self._data(X, "sampled_gradient")
        rng = np.random.default_rng(seed)
        rows = X[rng.integers(len(X), size=n_samples)]
        clamped = self.sample(n_samples, n_sweeps=n_sweeps, seed=int(rng.integers(2**31)), clamp=rows,
                              return_hidden=True) if self.n_hidden else rows
        free = self.sample(n_samples, n_sweeps=n_sweeps, seed=int(rng.integers(2**31)), return_hidden=True)
        dW = (clamped.T @ clamped - free.T @ free) / n_samples
        np.fill_diagonal(dW, 0.0)
        return dW, clamped.mean(axis=0) - free.mean(axis=0)

    # ---------------------------------------------------------------------------- learning
    def fit(self, X, *, epochs: int = 200, lr: float = 0.1, method: str = "exact", n_samples: int = 1000,
            n_sweeps: int = 20, seed: int | None = None) -> "BoltzmannMachine":
        """Gradient ascent on the mean log-likelihood of ``X``; returns ``self``.

        Args:
            X: the data, ``(N, D)`` of 0 and 1.
            epochs: full-batch steps (default 200).
            lr: learning rate (default 0.1).
            method: ``"exact"`` (enumerated statistics, default) or ``"sampled"`` (Gibbs estimates).
            n_samples, n_sweeps: the Gibbs chains of ``method="sampled"`` (defaults 1000 and 20).
            seed: seed of the sampling (default None).

        ``history_["kl"]`` records :math:`\\mathrm{KL}(p_{data} \\| p_{model})` after every step (exact, so
        :math:`D + H \\le 20`).
        """
        X = self._data(X, "fit")
        if method not in ("exact", "sampled"):
            raise ValueError(f"BoltzmannMachine.fit: argument 'method' got {method!r}, expected 'exact' or 'sampled'")
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ValueError(f"BoltzmannMachine.fit: argument 'lr' got {lr!r}, expected a positive number")
        self._enumerable("fit")
        rng = np.random.default_rng(seed)
        p_data = empirical_distribution(X)
        for _ in range(epochs):
            if method == "exact":
                dW, db = self.exact_gradient(X)
            else:
                dW, db = self.sampled_gradient(X, n_samples=n_samples, n_sweeps=n_sweeps,
                                               seed=int(rng.integers(2**31)))
            self.weights_ += lr * dW
            self.bias_ += lr * db
            self.history_["kl"].append(kl_divergence(p_data, self.exact_distribution()))
        return self
