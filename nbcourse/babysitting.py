r"""Babysitting the learning: reading learning curves.

A learning curve is the loss (or a metric) measured once per epoch, on the training set and on a
held-out validation set. Its *shape* says what to do next. :func:`diagnose` reads the two loss
curves of a training run and names the case it sees, one of the six the lecture shows (the cases
of J. Brownlee, *How to use Learning Curves to Diagnose Machine Learning Model Performance*, Machine
Learning Mastery, 2019):

=============================  ==================================================  ==========================
kind                           what the curves look like                           what to do
=============================  ==================================================  ==========================
``"underfit-capacity"``        both losses level off early at a high value, close  a bigger model
                               to each other
``"underfit-undertrained"``    both losses are still clearly falling when          train longer (or faster)
                               training stops
``"overfit"``                  the validation loss reaches a minimum, then rises   stop earlier, regularise,
                               while the training loss keeps falling               more data
``"train-too-small"``          both fall, the training loss far lower; the gap     more (or more varied)
                               between them stays large and does not close         training data
``"val-too-small"``            the validation loss jumps around from epoch to      a larger validation set
                               epoch (or sits well below the training loss)
``"good-fit"``                 both fall and level off, at a low value, with a     nothing: keep this model
                               small gap
=============================  ==================================================  ==========================

With fewer than :data:`MIN_EPOCHS` epochs there is no shape to read, and :func:`diagnose` says so
(``"too-few-epochs"``) instead of guessing.

Example::

    >>> import nbcourse
    >>> epochs = range(40)
    >>> history = {"train_loss": [0.05 + 2.2 * 0.8 ** e for e in epochs],
    ...            "val_loss":   [0.10 + 2.2 * 0.8 ** e for e in epochs]}
    >>> nbcourse.diagnose(history).kind
    'good-fit'

The figures (:func:`~nbcourse.figures.babysitting.plot_learning_curves`) are in
:mod:`nbcourse.figures.babysitting`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbcourse._arrays import describe

__all__ = [
    "Diagnosis", "diagnose", "KINDS", "MIN_EPOCHS", "THRESHOLDS", "MissingCurveError",
    "example_curves", "quiz_curves", "Recipe", "RECIPES", "run_case",
    "BROKEN_RUN", "SIGMOID_RUN",
]

# ----------------------------------------------------------------------------- runs to fix (activation exercises)

#: the failing run of the exercise: a four-layer ReLU network on the digits, plain SGD, 5 epochs
BROKEN_RUN = {"hidden_sizes": (32, 32, 32, 32), "init": "kaiming", "bias_init": -1.0, "lr": 1.0,
              "epochs": 5, "batch_size": 32}
#: the failing run: six sigmoid layers of 32, PyTorch's default initialisation, plain SGD, 3 epochs
SIGMOID_RUN = {"batch_norm": False, "init": "default", "optimizer": "sgd", "lr": 0.1}


#: The kinds :func:`diagnose` can return, in the order its rules are tried.
KINDS = (
    "too-few-epochs", "val-too-small", "overfit", "underfit-undertrained", "train-too-small",
    "underfit-capacity", "good-fit",
)

#: Fewer epochs than this and :func:`diagnose` answers ``"too-few-epochs"``.
MIN_EPOCHS = 5

#: The thresholds of :func:`diagnose`'s rules (see its docstring for how each is used).
THRESHOLDS = {
    # val-too-small, noisy: the validation loss's epoch-to-epoch noise must be at least ...
    "noise_vs_train": 3.0,      # ... this many times the training loss's noise,
    "noise_vs_level": 0.10,     # ... this fraction of the validation loss's final level,
    "noise_vs_start": 0.01,     # ... and this fraction of the starting loss (visible on the plot)
    # val-too-small, below: the validation loss ends this fraction below the training loss ...
    "below_train": 0.15,
    "below_share": 0.8,         # ... and is below it in this share of the second half's epochs
    # overfit: the validation loss rose above its minimum by at least ...
    "rise_vs_min": 0.10,        # ... this fraction of that minimum,
    "rise_vs_start": 0.02,      # ... this fraction of the starting loss,
    "rise_vs_noise": 3.0,       # ... and this many noise standard deviations
    # still falling (undertrained): over the last quarter of the epochs, the loss dropped by ...
    "fall_vs_total": 0.08,      # ... this fraction of everything it dropped so far,
    "fall_vs_start": 0.01,      # ... this fraction of the starting loss,
    "fall_vs_noise": 2.0,       # ... and this many standard errors of the slope's fit
    # train-too-small: the final gap val - train is at least ...
    "gap_vs_start": 0.10,       # ... this fraction of the starting loss,
    "gap_ratio": 1.5,           # ... and val ends at least this many times the training loss
    # underfit-capacity: the training loss ends at or above this fraction of the starting loss
    "high_vs_start": 0.40,
}

_ADVICE = {
    "too-few-epochs": "train for more epochs before reading the curves",
    "val-too-small": "use a larger (and representative) validation set",
    "overfit": "stop at the best validation epoch (early stopping), regularise, or add data",
    "underfit-undertrained": "train for more epochs or with a larger learning rate",
    "train-too-small": "add training data (or augment it), or use a smaller model",
    "underfit-capacity": "use a model with more capacity (wider or deeper)",
    "good-fit": "nothing to fix: this model and training length suit the data",
}


class MissingCurveError(KeyError, ValueError):
    """A history lacks a curve :func:`diagnose` needs (both a ``KeyError`` and a ``ValueError``)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` reads in a pair of learning curves.

    Attributes:
        kind: one of :data:`KINDS`: ``"underfit-capacity"``, ``"underfit-undertrained"``,
            ``"overfit"``, ``"train-too-small"``, ``"val-too-small"``, ``"good-fit"``, or
            ``"too-few-epochs"`` when the curves are too short to tell.
        reason: one sentence, in plain words and numbers taken from the curves.
        advice: what usually helps in this case.
        epochs: the number of epochs read.
        numbers: the measurements the rules used (levels, gap, noise, rise, ...), by name.
        train_curve: which training curve was read: ``"train_eval_loss"`` (measured at the end of each
            epoch, like the validation loss) when the history has it, else ``"train_loss"`` (the mean over
            the epoch's batches, which :func:`diagnose` shifts by half an epoch before comparing it with
            the validation loss).
    """

    kind: str
    reason: str
    advice: str = ""
    epochs: int = 0
    numbers: Mapping[str, float] = field(default_factory=dict, repr=False, compare=False)
    train_curve: str = field(default="train_loss", compare=False)

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


# ----------------------------------------------------------------------------- reading the input

def _curve(history: Any, key: str) -> np.ndarray:
    """Return ``history[key]`` as a 1-D float64 array, with errors that name what was expected."""
    expected = ("diagnose: expected a History (or any mapping) with per-epoch 'train_loss' and "
                "'val_loss' sequences")
    if isinstance(history, (str, bytes)) or not (hasattr(history, "__getitem__") and hasattr(history, "keys")):
        raise TypeError(f"{expected}, got {type(history).__name__}")
    try:
        values = history[key]
    except (KeyError, IndexError, TypeError):
        keys = sorted(map(str, history.keys()))
        hint = (" Pass val_data to Trainer.fit so that a validation loss is recorded."
                if key == "val_loss" else "")
        raise MissingCurveError(f"{expected}; '{key}' is missing (keys found: {keys}).{hint}") from None
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    if (isinstance(values, (str, bytes)) or not hasattr(values, "__len__")
            or any(isinstance(x, (str, bytes)) for x in values)):
        raise TypeError(f"diagnose: history['{key}'] must be a sequence of numbers (one loss per epoch), "
                        f"got {describe(values)}")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"diagnose: history['{key}'] must hold numbers (one loss per epoch), "
                        f"got {describe(values)}") from None
    if array.ndim != 1:
        raise ValueError(f"diagnose: history['{key}'] must be one value per epoch (1-D), "
                         f"got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"diagnose: history['{key}'] holds {array[bad[0]]} at epoch {bad[0] + 1} "
            f"({bad.size} non-finite value{'s' if bad.size > 1 else ''}); a NaN or infinite loss "
            f"means training diverged (try a smaller learning rate). To read the epochs before it, "
            f"pass the finite part: {{k: v[:{bad[0]}] for k, v in history.items()}}")
    return array


# ----------------------------------------------------------------------------- measurements

def _noise(c: np.ndarray) -> float:
    """Robust standard deviation of epoch-to-epoch noise, from second differences.

    For independent noise of standard deviation sigma on a smooth curve, the second difference
    ``c[i+1] - 2 c[i] + c[i-1]`` has standard deviation sqrt(6) sigma, and its median absolute
    value is 0.6745 sqrt(6) sigma; the median ignores the few large values of a sharp bend.
    """
    d2 = np.diff(c, n=2)
    if d2.size == 0:
        return 0.0
    return float(np.median(np.abs(d2)) / (0.6745 * math.sqrt(6.0)))


def _smooth(c: np.ndarray) -> np.ndarray:
    """Running median of three (the ends kept), so that one noisy epoch is not a minimum."""
    if c.size < 3:
        return c.copy()
    s = c.copy()
    s[1:-1] = np.median(np.stack([c[:-2], c[1:-1], c[2:]]), axis=0)
    return s


def _last_drop(c: np.ndarray, w: int) -> tuple[float, float]:
    """Drop of a least-squares line over the last ``w`` epochs, and its standard error."""
    y = c[-w:]
    x = np.arange(w, dtype=np.float64)
    x -= x.mean()
    slope = float((x * (y - y.mean())).sum() / (x * x).sum())
    drop = -slope * (w - 1)
    return drop, (w - 1) / math.sqrt(float((x * x).sum()))


def _end_of_epoch(c: np.ndarray) -> np.ndarray:
    """The training loss at the end of each epoch, estimated from the epoch means.

    The mean over epoch k's batches is measured while the model improves: it is about the loss half-way
    through the epoch.  The loss at the end of epoch k lies between the means of epochs k and k + 1; we take
    their geometric mean (losses fall roughly exponentially), and for the last epoch extrapolate half an
    epoch on the same log-linear trend.  A curve that does not fall is left as it is.
    """
    if c.size < 2 or np.any(c <= 0):
        return c.copy()
    logc = np.log(c)
    end = np.empty_like(logc)
    end[:-1] = 0.5 * (logc[:-1] + logc[1:])
    end[-1] = logc[-1] + 0.5 * min(logc[-1] - logc[-2], 0.0)    # only extrapolate a fall
    return np.minimum(np.exp(end), c)


def _fmt(x: float) -> str:
    """A loss value for a sentence: 3 significant digits, no scientific notation above 1e-3."""
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.1e}"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


# ----------------------------------------------------------------------------- the rules

def _has(history: Any, key: str) -> bool:
    """Whether ``history[key]`` is a complete curve: present, numeric and finite at every epoch (a run
    continued without ``eval_train=True`` leaves NaN in the epochs it did not measure)."""
    try:
        if key not in history.keys():
            return False
        values = np.asarray([float(x) for x in history[key]], dtype=np.float64)
    except (AttributeError, TypeError, ValueError, KeyError):
        return False
    return values.size > 0 and bool(np.all(np.isfinite(values)))


def diagnose(history: Mapping[str, Any]) -> Diagnosis:
    r"""Read a run's learning curves and name what they show.

    The rules look at the *shape* of the per-epoch training loss :math:`t_1..t_n` and validation
    loss :math:`v_1..v_n`, never at one value alone, and are tried in this order (the first that
    holds wins). All thresholds are in :data:`THRESHOLDS`; every loss is measured against the
    *starting loss* :math:`S = \max(t_1, v_1)`, the height of the plot, so the rules do not depend
    on the loss's units.

    Which training curve: the validation loss is measured at the end of each epoch.  When the history
    has ``"train_eval_loss"`` (``Trainer.fit(..., eval_train=True)``: the training loss measured the same
    way, at the end of the epoch) it is read as :math:`t`.  Otherwise :math:`t` is ``"train_loss"``, the
    mean over the epoch's batches, measured while the model improved, so roughly the loss half-way through
    the epoch: it sits above the end-of-epoch loss while the loss falls, which is why the validation loss
    can sit *below* it early in training without anything being wrong.  For the comparisons with the
    validation loss (final levels, gap, "below") the epoch means are therefore shifted to the end of the
    epoch first, :math:`\tilde t_k = \sqrt{t_k t_{k+1}}` (and half an epoch of the log-linear trend
    for the last one); shapes and noise are read on :math:`t` itself.

    Measurements (with :math:`w = \max(3, \lceil n/4 \rceil)` the last quarter of the epochs):

    * final levels :math:`t_\mathrm{end}, v_\mathrm{end}`: medians of the last :math:`w` epochs;
    * noise :math:`\sigma_t, \sigma_v`: a robust standard deviation of the epoch-to-epoch
      wiggles, from the median absolute second difference, :math:`\sigma =
      \mathrm{median}|c_{i+1} - 2c_i + c_{i-1}| / (0.6745\sqrt{6})`;
    * the drop over the last :math:`w` epochs, from a least-squares line through them.

    1. ``"too-few-epochs"``: :math:`n <` :data:`MIN_EPOCHS` (5).
    2. ``"val-too-small"``: the validation loss is **noisy**, :math:`\sigma_v \ge 3\,\sigma_t`,
       :math:`\sigma_v \ge 0.1\,v_\mathrm{end}` and :math:`\sigma_v \ge 0.01\,S`; or it is
       **well below** the training loss, :math:`v_\mathrm{end} \le (1 - 0.15)\,t_\mathrm{end}`,
       and below it in at least 80% of the second half's epochs (a validation set too small or
       too easy to represent the data).
    3. ``"overfit"``: the validation loss, smoothed by a running median of three epochs, has its
       minimum :math:`v_\mathrm{min}` before the last two epochs, and the median of the last three
       epochs has risen above it by at least 10% of :math:`v_\mathrm{min}`, 2% of :math:`S` and
       :math:`3\sigma_v`, while the (smoothed) training loss kept falling, by at least
       :math:`\sigma_t`.
    4. ``"underfit-undertrained"``: both losses are **still falling**: over the last :math:`w`
       epochs each dropped by at least 8% of all it has dropped so far, by 1% of :math:`S`, and by
       two standard errors of the line's fit.
    5. ``"train-too-small"``: a large gap that does not close, :math:`v_\mathrm{end} -
       t_\mathrm{end} \ge 0.1\,S` and :math:`v_\mathrm{end} \ge 1.5\,t_\mathrm{end}`.
    6. ``"underfit-capacity"``: the training loss levelled off high, :math:`t_\mathrm{end} \ge
       0.4\,S` (less than 60% of the starting loss was learnt away).
    7. ``"good-fit"``: none of the above: both fell and levelled off, low, with a small gap.

    Args:
        history: a :class:`nbcourse.train.History`, or any mapping whose ``"train_loss"`` (or
            ``"train_eval_loss"``) and ``"val_loss"`` are sequences (lists, arrays, tensors) with one loss
            per epoch.

    Returns:
        Diagnosis: ``.kind`` (see above), ``.reason`` (one sentence with numbers from the
        curves), ``.advice``, ``.epochs`` and ``.numbers`` (the measurements).

    Raises:
        MissingCurveError: (a ``KeyError`` and a ``ValueError``) ``"train_loss"`` or
            ``"val_loss"`` is missing.
        ValueError: the curves are empty, of different lengths, not 1-D, or hold NaN or infinity.
        TypeError: ``history`` is not a mapping or a curve does not hold numbers.

    Examples::

        >>> import numpy as np, nbcourse
        >>> e = np.arange(60)
        >>> train = 2.0 * np.exp(-e / 8)
        >>> val = 0.3 + 2.0 * np.exp(-e / 8) + 0.01 * e      # falls, then climbs
        >>> d = nbcourse.diagnose({"train_loss": train, "val_loss": val})
        >>> d.kind
        'overfit'
        >>> nbcourse.diagnose({"train_loss": [2.3, 1.0], "val_loss": [2.3, 1.1]}).kind
        'too-few-epochs'
    """
    train_curve = "train_eval_loss" if _has(history, "train_eval_loss") else "train_loss"
    t = _curve(history, train_curve)
    v = _curve(history, "val_loss")
    if t.size == 0 or v.size == 0:
        empty = train_curve if t.size == 0 else "val_loss"
        hint = " (pass val_data to Trainer.fit to record it)" if empty == "val_loss" else ""
        raise ValueError(f"diagnose: history['{empty}'] is empty{hint}; expected one loss per epoch")
    if t.size != v.size:
        raise ValueError(
            f"diagnose: history['{train_curve}'] has {t.size} epochs but history['val_loss'] has "
            f"{v.size}; expected one value of each per epoch (validate after every epoch, or pass "
            f"the matching epochs only)")
    n = int(t.size)
    if n < MIN_EPOCHS:
        return Diagnosis(
            "too-few-epochs",
            f"Only {n} epoch{'s' if n != 1 else ''} recorded: at least {MIN_EPOCHS} are needed to "
            f"tell a trend from noise, so train longer before reading the curves.",
            _ADVICE["too-few-epochs"], n, {"epochs": float(n)}, train_curve)

    th = THRESHOLDS
    # The validation loss is measured at the end of each epoch. "train_eval_loss" is too; the epoch mean
    # "train_loss" is not (it is about the loss half-way through the epoch, higher while the model is still
    # improving), so for every comparison with the validation loss we use its end-of-epoch estimate.
    t_at_end = t if train_curve == "train_eval_loss" else _end_of_epoch(t)
    S = max(float(t[0]), float(v[0]), 1e-12)
    w = max(3, math.ceil(n / 4))
    t_end, v_end = float(np.median(t_at_end[-w:])), float(np.median(v[-w:]))
    sig_t, sig_v = _noise(t), _noise(v)
    gap = v_end - t_end
    numbers = {"epochs": float(n), "start": S, "train_end": t_end, "val_end": v_end, "gap": gap,
               "train_noise": sig_t, "val_noise": sig_v}

    def result(kind: str, reason: str) -> Diagnosis:
        return Diagnosis(kind, reason, _ADVICE[kind], n, numbers, train_curve)

    # 2. val-too-small: noisy, or well below the training loss
    if (sig_v >= th["noise_vs_train"] * sig_t and sig_v >= th["noise_vs_level"] * v_end
            and sig_v >= th["noise_vs_start"] * S):
        ratio = sig_v / sig_t if sig_t > 0 else math.inf
        times = f"{ratio:.0f} times" if math.isfinite(ratio) else "far"
        return result("val-too-small", (
            f"The validation loss jumps by about {_fmt(sig_v)} from epoch to epoch "
            f"({_pct(sig_v / max(v_end, 1e-12))} of its level {_fmt(v_end)}), {times} more than "
            f"the training loss does, so the validation set is too small to measure the model "
            f"reliably."))
    half = v[n // 2:] < t_at_end[n // 2:]
    if v_end <= (1 - th["below_train"]) * t_end and half.mean() >= th["below_share"]:
        return result("val-too-small", (
            f"The validation loss ends at {_fmt(v_end)}, {_pct(1 - v_end / t_end)} below the "
            f"training loss {_fmt(t_end)} and below it in {_pct(half.mean())} of the last "
            f"{half.size} epochs, so the validation set is too small or too easy to represent "
            f"the data."))

    # 3. overfit: the validation loss turned and climbed while the training loss did not
    vs, ts = _smooth(v), _smooth(t)
    i_smooth = int(np.argmin(vs))                    # one noisy epoch is not a minimum ...
    lo = max(0, i_smooth - 1)
    i_min = lo + int(np.argmin(v[lo:i_smooth + 2]))  # ... but report the lowest value near it
    v_min = float(v[i_min])
    v_last = float(np.median(v[-3:]))
    rise = v_last - float(vs[i_smooth])
    numbers.update(val_min=v_min, val_min_epoch=float(i_min + 1), rise=rise)
    t_kept_falling = float(ts[i_smooth]) - float(np.median(t[-3:])) >= sig_t
    if (i_smooth < n - 2 and rise >= th["rise_vs_min"] * float(vs[i_smooth])
            and rise >= th["rise_vs_start"] * S and rise >= th["rise_vs_noise"] * sig_v and t_kept_falling):
        return result("overfit", (
            f"The validation loss was lowest ({_fmt(v_min)}) at epoch {i_min + 1} and has since "
            f"risen to {_fmt(v_last)} by epoch {n}, while the training loss kept falling to "
            f"{_fmt(float(t[-1]))}, so the model has started to memorise the training set."))

    # 4. underfit-undertrained: both still falling at the end
    def still_falling(c: np.ndarray, sigma: float) -> tuple[bool, float]:
        drop, se = _last_drop(c, w)
        total = float(c.max() - c.min())
        ok = (drop >= th["fall_vs_total"] * total and drop >= th["fall_vs_start"] * S
              and drop >= th["fall_vs_noise"] * sigma * se)
        return ok, drop

    t_falling, t_drop = still_falling(t, sig_t)
    v_falling, v_drop = still_falling(v, sig_v)
    numbers.update(train_last_drop=t_drop, val_last_drop=v_drop)
    if t_falling and v_falling:
        return result("underfit-undertrained", (
            f"Both losses are still falling when training stops: over the last {w} epochs the "
            f"training loss dropped by {_fmt(t_drop)} to {_fmt(float(t[-1]))} and the validation "
            f"loss by {_fmt(v_drop)} to {_fmt(float(v[-1]))}, so the model needs more training."))

    # 5. train-too-small: a large gap that does not close
    if gap >= th["gap_vs_start"] * S and v_end >= th["gap_ratio"] * t_end:
        return result("train-too-small", (
            f"The training loss fell to {_fmt(t_end)} but the validation loss levelled off at "
            f"{_fmt(v_end)}, a gap of {_fmt(gap)} ({_pct(gap / S)} of the starting loss "
            f"{_fmt(S)}) that is not closing, so the training set is too small to represent the "
            f"data."))

    # 6. underfit-capacity: levelled off high
    if t_end >= th["high_vs_start"] * S:
        return result("underfit-capacity", (
            f"The training loss levelled off at {_fmt(t_end)}, still {_pct(t_end / S)} of the "
            f"starting loss {_fmt(S)}, with the validation loss close to it at {_fmt(v_end)}, so "
            f"the model lacks the capacity to fit the data."))

    # 7. good fit
    return result("good-fit", (
        f"Both losses fell and levelled off, the training loss at {_fmt(t_end)} and the "
        f"validation loss at {_fmt(v_end)}, a small gap of {_fmt(gap)} ({_pct(abs(gap) / S)} of "
        f"the starting loss {_fmt(S)})."))


# ----------------------------------------------------------------------------- synthetic curves

def example_curves(kind: str, *, epochs: int = 60, noise: float = 0.01, seed: int = 0) -> dict[str, list[float]]:
    r"""Idealised learning curves of one case: the shape a textbook draws, with a little noise.

    Each curve is an exponential decay :math:`f + (s - f)\,e^{-e/\tau}` (a straight line for
    ``"underfit-undertrained"``, an added climb for ``"overfit"``, large noise on the validation
    curve for ``"val-too-small"``), multiplied by :math:`1 + \varepsilon`,
    :math:`\varepsilon \sim \mathcal N(0, \text{noise}^2)`.

    Args:
        kind: one of the six cases (see :data:`KINDS`, without ``"too-few-epochs"``).
        epochs: number of epochs. Default: 60
        noise: relative noise on both curves. Default: 0.01
        seed: seeds the noise. Default: 0

    Returns:
        ``{"train_loss": [...], "val_loss": [...]}``, which :func:`diagnose` names ``kind``.

    Example::

        >>> diagnose(example_curves("overfit")).kind
        'overfit'
    """
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"example_curves: argument 'epochs' got {epochs!r}, expected a positive integer")
    e = np.arange(int(epochs), dtype=np.float64)
    T = epochs / 60                                 # the same shapes for any number of epochs

    def decay(start: float, floor: float, tau: float) -> np.ndarray:
        return floor + (start - floor) * np.exp(-e / (tau * T))

    shapes = {
        "good-fit": (decay(2.3, 0.08, 5), decay(2.2, 0.14, 5)),
        "underfit-capacity": (decay(2.3, 1.45, 3), decay(2.2, 1.50, 3)),
        "underfit-undertrained": (decay(2.3, 0.0, 70), decay(2.25, 0.05, 70)),
        "overfit": (decay(2.3, 0.02, 6), decay(2.2, 0.35, 6) + 0.012 * e / T),
        "train-too-small": (decay(2.3, 0.06, 5), decay(2.25, 0.75, 5)),
        "val-too-small": (decay(2.3, 0.25, 5), decay(2.2, 0.3, 5)),
    }
    if kind not in shapes:
        raise ValueError(f"example_curves: argument 'kind' got {kind!r}, expected one of {sorted(shapes)}")
    rng = np.random.default_rng(int(seed))
    train, val = shapes[kind]
    train = train * (1 + noise * rng.standard_normal(e.size))
    val_noise = 0.25 if kind == "val-too-small" else noise
    val = val * np.exp(val_noise * rng.standard_normal(e.size)) if kind == "val-too-small" else \
        val * (1 + val_noise * rng.standard_normal(e.size))
    return {"train_loss": train.tolist(), "val_loss": val.tolist()}


#: The letters of :func:`quiz_curves` and the case behind each.
#: Eight curves: every case once, two of them twice (so that the answer is not a permutation of six names
#: and cannot be completed by elimination).
_QUIZ = {"A": "overfit", "B": "good-fit", "C": "val-too-small", "D": "underfit-capacity",
         "E": "train-too-small", "F": "underfit-undertrained", "G": "overfit", "H": "underfit-capacity"}


def quiz_curves() -> dict[str, dict[str, list[float]]]:
    """Eight runs' learning curves, labelled ``"A"`` to ``"H"``: every case at least once, two of them twice,
    for the exercise *name the curves* (``gradient-descent/name-the-curves``).

    Example::

        >>> sorted(quiz_curves())
        ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']
    """
    epochs = {"G": 30, "H": 80}                  # the repeated cases at another length: not copies of A and D
    return {letter: example_curves(kind, epochs=epochs.get(letter, 50), noise=0.015, seed=10 + i)
            for i, (letter, kind) in enumerate(_QUIZ.items())}


# ----------------------------------------------------------------------------- real runs of every case

@dataclass(frozen=True)
class Recipe:
    """How to produce one case of the lecture with a real training run on the digits.

    Every run trains :class:`nbcourse.models.MLP` with :class:`nbcourse.train.Trainer` on (part of)
    the training split of :func:`nbcourse.data.load_digits` and validates on (part of) its
    validation split.

    Attributes:
        kind: the case this run shows.
        why: what was done to produce it, in words.
        hidden_sizes: the MLP's hidden layers.
        n_train: training digits used (the first ``n_train`` of the split).
        n_val: validation digits used: ``None`` for all of them, else a random subset of this size.
        val_seed: which random subset.
        epochs, lr, batch_size: the training run.
        optimizer: ``"sgd"`` or ``"adam"``.
        weight_decay: L2 penalty of the optimizer.
        label_noise: share of the training labels replaced by a wrong class.
    """

    kind: str
    why: str
    hidden_sizes: tuple[int, ...] = (32,)
    n_train: int = 1437
    n_val: int | None = None
    val_seed: int = 0
    epochs: int = 30
    lr: float = 0.05
    batch_size: int = 32
    optimizer: str = "sgd"
    weight_decay: float = 0.0
    label_noise: float = 0.0


#: One real run per case of the lecture (each takes a second or less on a CPU).
RECIPES: dict[str, Recipe] = {r.kind: r for r in (
    Recipe("underfit-capacity", "a hidden layer of a single unit: ten classes squeezed through one number",
           hidden_sizes=(1,), epochs=30),
    Recipe("underfit-undertrained", "a learning rate a fifth of the good fit's, stopped after 20 epochs",
           lr=0.01, batch_size=64, epochs=20),
    Recipe("overfit", "a wide network trained long on 300 digits, 30% of them mislabelled",
           hidden_sizes=(256,), n_train=300, epochs=80, lr=3e-3, optimizer="adam", label_noise=0.3),
    Recipe("train-too-small", "only 40 training digits, against 360 validation digits",
           n_train=40, epochs=60, batch_size=8, weight_decay=1e-2),
    Recipe("val-too-small", "all 1437 training digits, but only 20 validation digits",
           n_val=20, val_seed=2, epochs=40, lr=0.1, batch_size=16),
    Recipe("good-fit", "all the data, a modest network, a little weight decay",
           epochs=30, weight_decay=1e-3),
)}


def run_case(recipe: str | Recipe, *, seed: int = 0):
    """Train the run of one case and return its History (with ``"train_accuracy"`` and ``"val_accuracy"``).

    Args:
        recipe: a kind (a key of :data:`RECIPES`) or a :class:`Recipe`.
        seed: the initial weights, the shuffling and the label noise. Default: 0

    Returns:
        the :class:`nbcourse.train.History` of the run.

    Example::

        >>> history = run_case("good-fit")
        >>> diagnose(history).kind
        'good-fit'
    """
    import torch
    import torch.nn.functional as F

    from nbcourse.data import flip_labels, load_digits
    from nbcourse.models import MLP
    from nbcourse.train import Trainer

    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise ValueError(f"run_case: argument 'recipe' got {recipe!r}, expected one of {sorted(RECIPES)} or a Recipe")
        recipe = RECIPES[recipe]
    (X, y), (X_val, y_val) = load_digits(seed=0)
    X, y = X[:recipe.n_train], y[:recipe.n_train]
    if recipe.label_noise:
        y, _ = flip_labels(y, fraction=recipe.label_noise, num_classes=10, seed=seed)
    if recipe.n_val is not None:
        keep = torch.randperm(len(y_val), generator=torch.Generator().manual_seed(recipe.val_seed))[:recipe.n_val]
        X_val, y_val = X_val[keep], y_val[keep]
    model = MLP(64, recipe.hidden_sizes, 10, seed=seed)
    if recipe.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    trainer = Trainer(model, F.cross_entropy, optimizer, device="cpu", seed=seed, metrics="accuracy")
    return trainer.fit((X, y), (X_val, y_val), epochs=recipe.epochs, batch_size=recipe.batch_size)
