r"""A Hopfield network: symmetric weights, binary units, recall by descending an energy.

Patterns :math:`\xi^{\mu} \in \{-1, +1\}^N` (:math:`\mu = 1..P`) are stored by Hebb's rule, with no
self-connections (Hopfield 1982):

.. math::
    W = \frac{1}{N} \sum_{\mu=1}^{P} \xi^{\mu} (\xi^{\mu})^\top - \frac{P}{N} I,
    \qquad W_{ij} = W_{ji}, \quad W_{ii} = 0 .

A state :math:`s \in \{-1, +1\}^N` has the energy

.. math::
    E(s) = -\tfrac{1}{2}\, s^\top W s - b^\top s

(the bias :math:`b` is zero after Hebbian storage; it is kept so the formula is the general one).
Recall updates a unit to the sign of its input field :math:`h_i = \sum_j W_{ij} s_j + b_i`
(a unit whose field is exactly 0 keeps its state). Flipping unit :math:`i` changes the energy by

.. math::
    \Delta E = E(s') - E(s) = 2\, s_i h_i \quad (s'_i = -s_i),

which is negative whenever the update flips the unit, so with **asynchronous** updates (one unit at a
time) the energy never increases and recall stops in a local minimum, a fixed point. **Synchronous**
updates (all units at once) have no such guarantee and can end in a cycle of two states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HopfieldNetwork", "RecallTrace", "capacity_curve", "check_pm1", "corrupt", "hebbian_weights"]


def check_pm1(x, *, name: str, width: int | None = None, where: str = "HopfieldNetwork") -> np.ndarray:
    """``x`` as a float array of -1/+1 values, 1-d or 2-d, checked; an error names ``name`` otherwise."""
    arr = np.asarray(x)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{where}: argument '{name}' got an array of {arr.dtype}, expected numbers -1 and +1")
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise ValueError(f"{where}: argument '{name}' got shape {arr.shape}, expected (n_units,) or (n, n_units)")
    bad = ~np.isin(arr, (-1, 1))
    if bad.any():
        values = np.unique(arr[bad])[:5]
        hint = " (0/1 data? use 2 * x - 1)" if np.isin(arr, (0, 1)).all() else ""
        raise ValueError(f"{where}: argument '{name}' holds {values.tolist()}, expected only -1 and +1{hint}")
    if width is not None and arr.shape[-1] != width:
        raise ValueError(f"{where}: argument '{name}' has {arr.shape[-1]} units per pattern, expected {width} "
                         "(n_units of the network)")
    return arr.astype(np.float64)


def hebbian_weights(patterns) -> np.ndarray:
    r"""Hebb's rule: :math:`W = \frac{1}{N}\sum_\mu \xi^\mu (\xi^\mu)^\top` with a zero diagonal.

    Shape:
        - patterns: :math:`(P, N)` of -1/+1; returns :math:`(N, N)`, symmetric.

    Examples::

        >>> hebbian_weights([[1, -1, 1]])
        array([[ 0.        , -0.33333333,  0.33333333],
               [-0.33333333,  0.        , -0.33333333],
               [ 0.33333333, -0.33333333,  0.        ]])
    """
    xi = check_pm1(patterns, name="patterns", where="hebbian_weights")
    xi = np.atleast_2d(xi)
    n = xi.shape[1]
    W = xi.T @ xi / n
    np.fill_diagonal(W, 0.0)
    return W


def corrupt(pattern, fraction: float, *, seed: int = 0) -> np.ndarray:
    """A copy of a -1/+1 ``pattern`` with exactly ``round(fraction * N)`` units flipped, chosen by ``seed``.

    Shape:
        ``pattern``: :math:`(N,)`, or :math:`(B, N)` (the same units flipped in every row).

    Examples::

        >>> int((corrupt(np.ones(10), 0.3, seed=0) == -1).sum())
        3
    """
    x = check_pm1(pattern, name="pattern", where="corrupt").copy()
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)) or not 0.0 <= fraction <= 1.0:
        raise ValueError(f"corrupt: argument 'fraction' got {fraction!r}, expected a share in [0, 1]")
    n = x.shape[-1]
    flip = np.random.default_rng(seed).choice(n, size=int(round(fraction * n)), replace=False)
    x[..., flip] *= -1
    return x


@dataclass
class RecallTrace:
    """What :meth:`HopfieldNetwork.recall` did, returned with ``return_trace=True``.

    Attributes:
        states: the state after each update, the initial state first: ``(T + 1, N)`` for one state,
            ``(T + 1, B, N)`` for a batch. Asynchronous: one row per unit visited (``N`` rows a sweep);
            synchronous: one row per step.
        energies: the energy of each of those states, ``(T + 1,)`` or ``(T + 1, B)``.
        n_sweeps: sweeps (asynchronous) or steps (synchronous) made.
        converged: whether the last sweep or step changed nothing (per state for a batch).
        cycle: synchronous only: whether the net ended in a cycle of two states.
    """

    states: np.ndarray
    energies: np.ndarray
    n_sweeps: int
    converged: np.ndarray | bool
    cycle: np.ndarray | bool = False


class HopfieldNetwork:
    r"""A Hopfield network of ``n_units`` binary (-1/+1) units with Hebbian storage.

    Args:
        n_units: the number of units :math:`N` (the length of a pattern), a positive integer.

    Attributes (after :meth:`fit`):
        weights_: :math:`(N, N)` symmetric, zero diagonal.
        bias_: :math:`(N,)`, zeros (Hebbian storage learns no bias).
        patterns_: the stored patterns, :math:`(P, N)`.

    Shape:
        - patterns (:meth:`fit`): :math:`(P, N)` or :math:`(N,)`, values -1 and +1.
        - state (:meth:`recall`, :meth:`energy`): :math:`(N,)` or a batch :math:`(B, N)`; the result
          has the same shape (:meth:`energy` gives a number, or :math:`(B,)`).

    Examples::

        >>> net = HopfieldNetwork(6).fit([[1, 1, 1, -1, -1, -1], [1, -1, 1, -1, 1, -1]])
        >>> noisy = np.array([-1, 1, 1, -1, -1, -1])          # first pattern, unit 0 flipped
        >>> net.recall(noisy, seed=0).astype(int).tolist()
        [1, 1, 1, -1, -1, -1]
        >>> float(net.energy(noisy)) > float(net.energy(net.patterns_[0]))
        True
    """

    def __init__(self, n_units: int) -> None:
        if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)) or n_units < 1:
            raise ValueError(f"HopfieldNetwork: argument 'n_units' got {n_units!r}, expected a positive integer")
        self.n_units = int(n_units)

    def __repr__(self) -> str:
        stored = f", patterns={len(self.patterns_)}" if hasattr(self, "patterns_") else ""
        return f"HopfieldNetwork(n_units={self.n_units}{stored})"

    # ------------------------------------------------------------------------------- storage
    def fit(self, patterns) -> "HopfieldNetwork":
        """Store ``patterns`` (-1/+1, shape ``(P, n_units)``) by Hebb's rule; returns ``self``."""
        xi = np.atleast_2d(check_pm1(patterns, name="patterns", width=self.n_units))
        self.patterns_ = xi.copy()
        self.weights_ = hebbian_weights(xi)
        self.bias_ = np.zeros(self.n_units)
        return self

    def _fitted(self, what: str) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError(f"HopfieldNetwork.{what}: the network stores no pattern yet; call fit(patterns) first")

    # ------------------------------------------------------------------------------- energy
    def energy(self, state) -> np.ndarray:
        r"""The energy :math:`E(s) = -\frac12 s^\top W s - b^\top s` of a state (or of each state of a batch)."""
        self._fitted("energy")
        s = check_pm1(state, name="state", width=self.n_units)
        return -0.5 * np.einsum("...i,ij,...j->...", s, self.weights_, s) - s @ self.bias_

    def field(self, state) -> np.ndarray:
        r"""The input field :math:`h = W s + b` of every unit (same shape as ``state``)."""
        self._fitted("field")
        s = check_pm1(state, name="state", width=self.n_units)
        return s @ self.weights_ + self.bias_

    def is_stable(self, state) -> np.ndarray:
        """Whether ``state`` is a fixed point: no unit would change (a bool, or one per state of a batch)."""
        s = check_pm1(state, name="state", width=self.n_units)
        h = self.field(s)
        return np.all((h * s > 0) | (h == 0), axis=-1)

    # ------------------------------------------------------------------------------- recall
    def recall(self, state, *, max_steps: int = 100, mode: str = "async", seed: int | None = None,
               return_trace: bool = False):
        """Update the units until no unit changes (or ``max_steps`` sweeps); returns the final state.

        Args:
            state: the initial state(s), -1/+1, shape ``(N,)`` or ``(B, N)`` (a batch is updated
                together, each state independently, with the same order of units).
            max_steps: at most this many sweeps (asynchronous: each unit visited once, in a random
                order drawn per sweep) or steps (synchronous: all units at once). Default 100.
            mode: ``"async"`` (default; the energy never increases) or ``"sync"`` (may end in a
                cycle of two states).
            seed: seed of the order of units in asynchronous sweeps (default None: fresh randomness).
            return_trace: also return a :class:`RecallTrace` (states and energies along the way).

        Returns:
            The final state, same shape as ``state`` (floats -1.0/+1.0); with ``return_trace=True``
            the pair ``(state, trace)``.
        """
        self._fitted("recall")
        if mode not in ("async", "sync"):
            raise ValueError(f"HopfieldNetwork.recall: argument 'mode' got {mode!r}, expected 'async' or 'sync'")
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
            raise ValueError(f"HopfieldNetwork.recall: argument 'max_steps' got {max_steps!r}, expected a positive integer")
        s0 = check_pm1(state, name="state", width=self.n_units)
        single = s0.ndim == 1
        s = np.atleast_2d(s0).copy()                       # (B, N)
        W, b = self.weights_, self.bias_
        states, converged, cycle = [s.copy()], np.zeros(len(s), bool), np.zeros(len(s), bool)
        sweeps = 0
        if mode == "async":
            rng = np.random.default_rng(seed)
            for sweeps in range(1, max_steps + 1):
                changed = np.zeros(len(s), bool)
                for i in rng.permutation(self.n_units):
                    h = s @ W[i] + b[i]                      # (B,) field of unit i
                    new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, s[:, i]))  # h = 0: keep
                    changed |= new != s[:, i]
                    s[:, i] = new
                    if return_trace:
                        states.append(s.copy())
                if not changed.any():
                    converged[:] = True
                    break
            converged = converged | ~changed
        else:
            previous = None
            for sweeps in range(1, max_steps + 1):
                h = s @ W + b                                # (B, N)
                new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, s))
                still = (new == s).all(axis=1)
                if previous is not None:                     # back where it was two steps ago
                    cycle |= ~still & (new == previous).all(axis=1)
                previous, s = s, new
                if return_trace:
                    states.append(s.copy())
                converged = still
                if (still | cycle).all():
                    break
        out = s[0] if single else s
        if not return_trace:
            return out
        st = np.stack(states)                              # (T + 1, B, N)
        energies = -0.5 * np.einsum("tbi,ij,tbj->tb", st, W, st) - st @ b
        if single:
            st, energies = st[:, 0], energies[:, 0]
            converged, cycle = bool(converged[0]), bool(cycle[0])
        return out, RecallTrace(states=st, energies=energies, n_sweeps=sweeps, converged=converged, cycle=cycle)


def capacity_curve(n_units: int = 200, loads=(0.04, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.25), *,
                   n_trials: int = 2, threshold: float = 0.95, max_steps: int = 30, seed: int = 0) -> dict:
    r"""Store random patterns at each load :math:`\alpha = P/N` and measure how many survive.

    For each load, ``n_trials`` networks of ``n_units`` units each store :math:`P = \mathrm{round}(\alpha N)`
    random -1/+1 patterns. Two measures per pattern:

    - *stable*: the pattern itself is a fixed point (no unit would flip);
    - *recalled*: asynchronous recall started **from** the pattern ends with an overlap
      :math:`m = \xi \cdot s / N \ge` ``threshold`` (at most :math:`(1 - m)/2` of the bits wrong).

    For large :math:`N`, retrieval states near the patterns exist up to :math:`\alpha_c \approx 0.138`
    and the final overlap there is about 0.97 (Amit, Gutfreund and Sompolinsky 1985); at finite
    :math:`N` the step is smoothed.

    Returns:
        a dict of ``n_units``, ``threshold``, ``loads`` and ``n_patterns`` (as measured), ``stable`` and
        ``recalled`` (shares of all patterns stored at that load) and ``overlap`` (the mean final overlap).

    Examples::

        >>> curve = capacity_curve(50, loads=(0.04, 0.5), n_trials=1)
        >>> curve["n_patterns"].tolist(), curve["stable"][0], bool(curve["stable"][1] < 0.5)
        ([2, 25], np.float64(1.0), True)
    """
    if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)) or n_units < 2:
        raise ValueError(f"capacity_curve: argument 'n_units' got {n_units!r}, expected an integer >= 2")
    rng = np.random.default_rng(seed)
    loads = np.asarray(loads, dtype=float)
    out = {k: [] for k in ("n_patterns", "stable", "recalled", "overlap")}
    for load in loads:
        n_patterns = max(1, int(round(load * n_units)))
        stable, overlap = [], []
        for _ in range(n_trials):
            xi = rng.choice([-1.0, 1.0], size=(n_patterns, n_units))
            net = HopfieldNetwork(n_units).fit(xi)
            stable.append(net.is_stable(xi))
            final = net.recall(xi, max_steps=max_steps, seed=int(rng.integers(2**31)))
            overlap.append((final * xi).mean(axis=1))
        stable, overlap = np.concatenate(stable), np.concatenate(overlap)
        out["n_patterns"].append(n_patterns)
        out["stable"].append(stable.mean())
        out["recalled"].append((overlap >= threshold).mean())
        out["overlap"].append(overlap.mean())
    return {"n_units": int(n_units), "threshold": float(threshold), "loads": loads,
            **{k: np.asarray(v) for k, v in out.items()}}
