r"""A restricted Boltzmann machine (RBM) on binary data, trained by contrastive divergence.

Visible units :math:`v \in \{0, 1\}^{D}` and hidden units :math:`h \in \{0, 1\}^{H}` form a bipartite graph:
every visible unit is connected to every hidden unit, and there is **no connection within a layer**.
The energy and the distribution are

.. math::
    E(v, h) = -b^\top v - c^\top h - h^\top W v, \qquad p(v, h) = \frac{e^{-E(v, h)}}{Z},

with :math:`W` of shape :math:`(H, D)`. Because no two hidden units are connected, the hidden units are
independent given :math:`v` (and the visible units given :math:`h`): the conditionals factorise,

.. math::
    p(h_j = 1 \mid v) = \sigma(c_j + W_j v), \qquad p(v_i = 1 \mid h) = \sigma(b_i + W_{:, i}^\top h),

so a whole layer is sampled in one step (block Gibbs sampling). Summing out :math:`h` gives the
**free energy** :math:`p(v) = e^{-F(v)} / Z`,

.. math::
    F(v) = -b^\top v - \sum_{j=1}^{H} \log\left(1 + e^{c_j + W_j v}\right)

(each term a softplus, computed stably). The gradient of the log-likelihood is the difference of data and
model statistics, :math:`\partial \log p(v) / \partial W = \mathbb{E}[h v^\top \mid v] - \mathbb{E}_{model}[h v^\top]`;
**contrastive divergence** CD-k (Hinton 2002) replaces the model expectation by the statistics after
:math:`k` steps of Gibbs sampling started at the data.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RBM", "sigmoid", "softplus"]


def sigmoid(x):
    """The logistic function, without overflow warnings for large negative inputs."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def softplus(x):
    r""":math:`\log(1 + e^x)`, stable for large :math:`|x|` (``np.logaddexp(0, x)``)."""
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def _check_size(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"RBM: argument '{name}' got {value!r}, expected a positive integer")
    return int(value)


class RBM:
    r"""A binary restricted Boltzmann machine with ``n_visible`` visible and ``n_hidden`` hidden units.

    Args:
        n_visible: the number of visible units :math:`D` (64 for an 8x8 image).
        n_hidden: the number of hidden units :math:`H`.
        seed: seed of the initial weights, drawn from :math:`\mathcal{N}(0, 0.01^2)` (default None: fresh
            randomness). Biases start at 0.
        init_std: standard deviation of the initial weights (default 0.01, Hinton 2010's guide).

    Attributes:
        weights_: :math:`(H, D)`. visible_bias_: :math:`(D,)`. hidden_bias_: :math:`(H,)`.
        history_: after :meth:`fit`, per epoch: ``"reconstruction_error"`` (mean squared difference
            between a batch and its one-step reconstruction) and ``"free_energy"`` (mean :math:`F` of the data).

    Shape:
        - X (:meth:`fit`, :meth:`reconstruct`, :meth:`free_energy`, :meth:`hidden_probs`):
          :math:`(N, D)` of 0 and 1 (a single vector :math:`(D,)` is accepted).
        - :meth:`free_energy` returns :math:`(N,)`; :meth:`reconstruct` :math:`(N, D)` probabilities;
          :meth:`hidden_probs` :math:`(N, H)`; :meth:`sample` :math:`(n\_samples, D)`.

    Examples::

        >>> X = np.array([[1, 1, 0, 0], [0, 0, 1, 1]] * 50, dtype=float)
        >>> rbm = RBM(4, 2, seed=0).fit(X, epochs=200, lr=0.1, batch_size=10, seed=0)
        >>> rbm.reconstruct(X[:2]).round().tolist()
        [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
        >>> bool(rbm.free_energy([1, 1, 0, 0])[0] < rbm.free_energy([1, 0, 1, 0])[0])
        True
    """

    def __init__(self, n_visible: int, n_hidden: int, *, seed: int | None = None, init_std: float = 0.01) -> None:
        self.n_visible = _check_size(n_visible, "n_visible")
        self.n_hidden = _check_size(n_hidden, "n_hidden")
        if not init_std >= 0:
            raise ValueError(f"RBM: argument 'init_std' got {init_std!r}, expected a number >= 0")
        self.seed, self.init_std = seed, init_std
        rng = np.random.default_rng(seed)
        self.weights_ = init_std * rng.standard_normal((self.n_hidden, self.n_visible))
        self.visible_bias_ = np.zeros(self.n_visible)
        self.hidden_bias_ = np.zeros(self.n_hidden)
        self.history_: dict[str, list[float]] = {"reconstruction_error": [], "free_energy": []}

    def __repr__(self) -> str:
        return f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden})"

    # ---------------------------------------------------------------------------- checks
    def _binary(self, X, name="X", where="RBM") -> np.ndarray:
        arr = np.asarray(X)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{where}: argument '{name}' got an array of {arr.dtype}, expected 0/1 numbers")
        arr = np.atleast_2d(arr.astype(np.float64))
        if arr.ndim != 2 or arr.shape[1] != self.n_visible:
            raise ValueError(f"{where}: argument '{name}' got shape {np.shape(X)}, expected (n_samples, "
                             f"{self.n_visible}) (n_visible = {self.n_visible})")
        bad = ~np.isin(arr, (0.0, 1.0))
        if bad.any():
            values = np.unique(arr[bad])[:5].tolist()
            hint = " (-1/+1 data? use (x + 1) / 2)" if np.isin(arr, (-1.0, 1.0)).all() else \
                " (grey levels? threshold them, e.g. X > 0.5)"
            raise ValueError(f"{where}: argument '{name}' holds {values}, expected binary values 0 and 1{hint}")
        return arr

    # ---------------------------------------------------------------------------- the conditionals
    def hidden_probs(self, v) -> np.ndarray:
        r""":math:`p(h_j = 1 \mid v) = \sigma(c_j + W_j v)` for every hidden unit, ``(N, H)``."""
        return sigmoid(np.atleast_2d(v) @ self.weights_.T + self.hidden_bias_)

    def visible_probs(self, h) -> np.ndarray:
        r""":math:`p(v_i = 1 \mid h) = \sigma(b_i + W_{:,i}^\top h)` for every visible unit, ``(N, D)``."""
        return sigmoid(np.atleast_2d(h) @ self.weights_ + self.visible_bias_)

    # ---------------------------------------------------------------------------- energies
    def energy(self, v, h) -> np.ndarray:
        r"""The joint energy :math:`E(v, h) = -b^\top v - c^\top h - h^\top W v`, ``(N,)``."""
        v, h = np.atleast_2d(np.asarray(v, float)), np.atleast_2d(np.asarray(h, float))
        return -v @ self.visible_bias_ - h @ self.hidden_bias_ - np.einsum("nj,jd,nd->n", h, self.weights_, v)

    def free_energy(self, X) -> np.ndarray:
        r"""The free energy :math:`F(v) = -b^\top v - \sum_j \mathrm{softplus}(c_j + W_j v)` of each row, ``(N,)``.

        Lower free energy means higher probability: :math:`p(v) = e^{-F(v)} / Z`.
        """
        v = self._binary(X, where="RBM.free_energy")
        return -v @ self.visible_bias_ - softplus(v @ self.weights_.T + self.hidden_bias_).sum(axis=1)

    def log_partition(self) -> float:
        r""":math:`\log Z`, exactly, by summing over the :math:`2^H` hidden states (``n_hidden`` at most 20).

        :math:`Z = \sum_h e^{c^\top h} \prod_i (1 + e^{b_i + W_{:,i}^\top h})`.
        """
        if self.n_hidden > 20:
            raise ValueError(f"RBM.log_partition: n_hidden is {self.n_hidden}; exact enumeration of 2^n_hidden "
                             "hidden states is only offered up to n_hidden = 20")
        H = ((np.arange(2 ** self.n_hidden)[:, None] >> np.arange(self.n_hidden)) & 1).astype(np.float64)
        terms = H @ self.hidden_bias_ + softplus(H @ self.weights_ + self.visible_bias_).sum(axis=1)
        m = terms.max()
        return float(m + np.log(np.exp(terms - m).sum()))

    def log_likelihood(self, X) -> np.ndarray:
        r"""The exact :math:`\log p(v) = -F(v) - \log Z` of each row (``n_hidden`` at most 20), ``(N,)``."""
        return -self.free_energy(X) - self.log_partition()

    # ---------------------------------------------------------------------------- learning
    def cd_gradient(self, v0, *, k: int = 1, rng=None) -> dict:
        r"""The CD-k estimate of the log-likelihood gradient on a batch ``v0`` (no update is made).

        Positive phase: :math:`p(h \mid v_0)`. Negative phase: :math:`k` steps of block Gibbs sampling
        :math:`h \sim p(h \mid v)`, :math:`v \sim p(v \mid h)` started at the data, statistics taken with
        the sampled :math:`v_k` and the probabilities :math:`p(h \mid v_k)`. Random draws, in order: a
        uniform array for :math:`h_0`, then per step one for :math:`v` and one for :math:`h`.

        Returns:
            a dict with ``"W"`` :math:`(H, D)`, ``"b"`` :math:`(D,)`, ``"c"`` :math:`(H,)` (averaged over the
            batch; *add* ``lr`` times them to ascend the likelihood) and ``"v_k"``, the chain's last visible state.
        """
        rng = np.random.default_rng(rng)
        v0 = np.atleast_2d(np.asarray(v0, dtype=np.float64))
        ph0 = self.hidden_probs(v0)                                   # (B, H) positive statistics
        h = (rng.random(ph0.shape) < ph0).astype(np.float64)          # a sample of the hidden units
        for _ in range(k):
            v = (rng.random((len(v0), self.n_visible)) < self.visible_probs(h)).astype(np.float64)
            ph = self.hidden_probs(v)
            h = (rng.random(ph.shape) < ph).astype(np.float64)
        n = len(v0)
        return {"W": (ph0.T @ v0 - ph.T @ v) / n, "b": (v0 - v).mean(axis=0), "c": (ph0 - ph).mean(axis=0),
                "v_k": v}

    def fit(self, X, *, epochs: int = 10, k: int = 1, lr: float = 0.05, batch_size: int = 20,
            momentum: float = 0.5, weight_decay: float = 0.0, persistent: bool = False,
            seed: int | None = None, progress: bool = False) -> "RBM":
        r"""Train by contrastive divergence CD-``k`` (or persistent CD) on binary ``X``; returns ``self``.

        Each mini-batch moves the parameters by ``lr`` times the CD-k gradient (:meth:`cd_gradient`), with
        momentum and an optional L2 weight decay on :math:`W`. Training continues from the current
        parameters, so ``fit`` may be called again to train longer.

        Args:
            X: training data, ``(N, n_visible)`` of 0 and 1.
            epochs: passes over the data (default 10).
            k: Gibbs steps of the negative phase (default 1: CD-1).
            lr: learning rate (default 0.05).
            batch_size: samples per update (default 20).
            momentum: momentum of the updates (default 0.5; 0 for plain steps).
            weight_decay: L2 penalty on :math:`W` (default 0).
            persistent: persistent CD (Tieleman 2008): the negative chains continue from where the previous
                batch left them instead of restarting at the data (default False).
            seed: seed of the batch order and of the Gibbs sampling (default None: fresh randomness).
            progress: show a progress bar over the epochs (default False).
        """
        X = self._binary(X, where="RBM.fit")
        for name, value in (("epochs", epochs), ("k", k), ("batch_size", batch_size)):
            _check_size(value, name)
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ValueError(f"RBM.fit: argument 'lr' got {lr!r}, expected a positive number")
        if not 0 <= momentum < 1:
            raise ValueError(f"RBM.fit: argument 'momentum' got {momentum!r}, expected a number in [0, 1)")
        rng = np.random.default_rng(seed)
        velocity = {"W": np.zeros_like(self.weights_), "b": np.zeros(self.n_visible), "c": np.zeros(self.n_hidden)}
        chains = None
        epochs_iter = range(epochs)
        if progress:
            from tqdm.auto import tqdm

            epochs_iter = tqdm(epochs_iter, desc="RBM.fit", unit="epoch")
        for _ in epochs_iter:
            order = rng.permutation(len(X))
            errors = []
            for start in range(0, len(X), batch_size):
                v0 = X[order[start:start + batch_size]]
                if persistent:
                    if chains is None:                       # the fantasy particles start at data
                        chains = X[rng.integers(len(X), size=batch_size)].copy()
                    grad = self._persistent_gradient(v0, chains[:len(v0)], k=k, rng=rng)
                    chains[:len(v0)] = grad["v_k"]
                else:
                    grad = self.cd_gradient(v0, k=k, rng=rng)
                grad["W"] = grad["W"] - weight_decay * self.weights_
                for key in velocity:
                    velocity[key] = momentum * velocity[key] + lr * grad[key]
                self.weights_ += velocity["W"]
                self.visible_bias_ += velocity["b"]
                self.hidden_bias_ += velocity["c"]
                errors.append(float(((v0 - self.reconstruct(v0)) ** 2).mean()))
            self.history_["reconstruction_error"].append(float(np.mean(errors)))
            self.history_["free_energy"].append(float(self.free_energy(X).mean()))
        return self

    def _persistent_gradient(self, v0, chains, *, k, rng):
        ph0 = self.hidden_probs(v0)
        v = chains
        for _ in range(k):
            h = (rng.random((len(v), self.n_hidden)) < self.hidden_probs(v)).astype(np.float64)
            v = (rng.random(v.shape) < self.visible_probs(h)).astype(np.float64)
        ph = self.hidden_probs(v)
        n = len(v0)
        return {"W": (ph0.T @ v0 - ph.T @ v) / n, "b": v0.mean(axis=0) - v.mean(axis=0),
                "c": ph0.mean(axis=0) - ph.mean(axis=0), "v_k": v}

    # ---------------------------------------------------------------------------- using the model
    def reconstruct(self, X) -> np.ndarray:
        r"""One deterministic up-down pass: :math:`p(v \mid h = p(h \mid X))`, probabilities ``(N, D)``."""
        v = self._binary(X, where="RBM.reconstruct")
        return self.visible_probs(self.hidden_probs(v))

    def sample(self, n_samples: int, *, n_steps: int = 1000, seed: int | None = None, start=None,
               probabilities: bool = False) -> np.ndarray:
        r"""Samples of the model by ``n_steps`` of block Gibbs sampling.

        Args:
            n_samples: the number of independent chains (one sample each).
            n_steps: Gibbs steps per chain (default 1000); the chains start at ``start`` (``(n_samples, D)``
                binary, e.g. data) or, by default, at uniformly random binary vectors.
            seed: seed of the chains (default None: fresh randomness).
            probabilities: return :math:`p(v \mid h)` of the last step instead of the binary sample
                (smoother images, same chain).

        Returns:
            ``(n_samples, n_visible)``.
        """
        n_samples = _check_size(n_samples, "n_samples")
        if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
            raise ValueError(f"RBM.sample: argument 'n_steps' got {n_steps!r}, expected a positive integer")
        rng = np.random.default_rng(seed)
        if start is None:
            v = (rng.random((n_samples, self.n_visible)) < 0.5).astype(np.float64)
        else:
            v = self._binary(start, name="start", where="RBM.sample")
            if len(v) != n_samples:
                raise ValueError(f"RBM.sample: argument 'start' has {len(v)} rows, expected n_samples = {n_samples}")
            v = v.copy()
        for _ in range(n_steps):
            h = (rng.random((n_samples, self.n_hidden)) < self.hidden_probs(v)).astype(np.float64)
            pv = self.visible_probs(h)
            v = (rng.random(pv.shape) < pv).astype(np.float64)
        return pv if probabilities else v
