"""Tests of nbcourse.babysitting: diagnose() on synthetic learning curves of every case."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nbcourse
from nbcourse.babysitting import KINDS, MIN_EPOCHS, Diagnosis, MissingCurveError, diagnose

E = np.arange(60, dtype=np.float64)


def decay(start, floor, tau, e=E):
    return floor + (start - floor) * np.exp(-e / tau)


# Each case in several shapes a person would draw for it: (train, val).
CASES = {
    "good-fit": [
        (decay(2.3, 0.10, 5), decay(2.3, 0.15, 5)),
        (decay(2.3, 0.02, 4), decay(2.2, 0.09, 5)),
        (decay(1.0, 0.30, 6), decay(1.0, 0.34, 6)),
        (decay(2.3, 0.05, 8) * (1 + 0.1 / (E + 1)), decay(2.1, 0.10, 8)),       # val a bit below early
    ],
    "underfit-capacity": [
        (np.full(60, 2.30), np.full(60, 2.31)),                                   # flat line
        (decay(2.3, 1.50, 3), decay(2.3, 1.52, 3)),                               # levels off high
        (decay(1.5, 1.00, 3), decay(1.55, 1.05, 3)),
        (decay(0.69, 0.66, 2), decay(0.69, 0.67, 2)),                             # a linear model on XOR
    ],
    "underfit-undertrained": [
        (decay(2.3, 0.0, 60), decay(2.3, 0.05, 60)),                              # still curving down
        (2.3 - 0.01 * E, 2.32 - 0.01 * E),                                        # a straight descent
        (decay(2.3, 0.1, 30), decay(2.3, 0.2, 30)),
    ],
    "overfit": [
        (decay(2.3, 0.0, 8), decay(2.3, 0.3, 8) + 0.01 * E),                      # U-shaped validation
        (decay(2.3, 0.01, 5), decay(2.3, 0.5, 5) + 0.5 * np.clip(E - 20, 0, None) / 40),
        (decay(1.0, 0.0, 10), decay(1.0, 0.2, 10) + 0.0002 * E ** 2),                # slowly curving up
    ],
    "train-too-small": [
        (decay(2.3, 0.10, 5), decay(2.3, 0.60, 5)),
        (decay(2.3, 0.01, 4), decay(2.3, 0.90, 6)),
        (decay(2.0, 0.20, 5), decay(2.0, 1.00, 3)),
    ],
    "val-too-small": [
        # noisy around the training loss
        (decay(2.3, 0.1, 5), decay(2.3, 0.1, 5) + np.random.default_rng(0).normal(0, 0.1, 60)),
        (decay(2.3, 0.3, 5), decay(2.3, 0.3, 5) * np.exp(np.random.default_rng(1).normal(0, 0.3, 60))),
        # persistently below the training loss
        (decay(2.3, 0.5, 5), decay(2.3, 0.3, 5)),
        (decay(2.3, 0.6, 5), decay(2.0, 0.35, 4)),
    ],
}


@pytest.mark.parametrize("kind,index", [(k, i) for k, cases in CASES.items() for i in range(len(cases))])
def test_each_case_is_named(kind, index):
    train, val = CASES[kind][index]
    d = diagnose({"train_loss": train, "val_loss": val})
    assert d.kind == kind, str(d)
    assert isinstance(d, Diagnosis) and d.epochs == 60
    assert d.reason.endswith(".") and d.reason.count(". ") == 0            # one sentence
    assert any(ch.isdigit() for ch in d.reason)                             # with numbers from the curves
    assert d.advice


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("scale", [0.01, 1.0, 1000.0])
def test_the_units_of_the_loss_do_not_matter(kind, scale):
    for train, val in CASES[kind]:
        assert diagnose({"train_loss": scale * train, "val_loss": scale * val}).kind == kind


@pytest.mark.parametrize("kind", ["good-fit", "underfit-capacity", "underfit-undertrained", "overfit", "train-too-small"])
def test_a_little_noise_on_both_curves_does_not_change_the_answer(kind):
    """Real curves wiggle: 1% multiplicative noise on both curves keeps every case's name."""
    for seed in range(5):
        rng = np.random.default_rng(seed)
        for train, val in CASES[kind]:
            noisy = {"train_loss": train * (1 + 0.01 * rng.standard_normal(60)),
                     "val_loss": val * (1 + 0.01 * rng.standard_normal(60))}
            assert diagnose(noisy).kind == kind, (seed, str(diagnose(noisy)))


def test_the_same_validation_noise_reads_as_a_small_set_only_when_it_is_large():
    train = decay(2.3, 0.1, 5)
    rng = np.random.default_rng(3)
    wiggle = rng.normal(0, 1, 60)
    assert diagnose({"train_loss": train, "val_loss": train + 0.05 + 0.002 * wiggle}).kind == "good-fit"
    assert diagnose({"train_loss": train, "val_loss": train + 0.05 + 0.08 * wiggle}).kind == "val-too-small"


def test_reason_quotes_the_curves():
    train, val = CASES["overfit"][0]
    d = diagnose({"train_loss": train, "val_loss": val})
    i = int(np.argmin(val))
    assert f"epoch {i + 1}" in d.reason or f"epoch {i}" in d.reason or f"epoch {i + 2}" in d.reason
    assert f"{val.min():.3g}" in d.reason
    assert d.numbers["val_min"] == pytest.approx(val.min(), rel=1e-6)


@pytest.mark.parametrize("n", range(0, MIN_EPOCHS))
def test_too_few_epochs_says_so(n):
    if n == 0:
        with pytest.raises(ValueError, match="empty"):
            diagnose({"train_loss": [], "val_loss": []})
        return
    d = diagnose({"train_loss": list(decay(2.3, 0.1, 1, np.arange(n))), "val_loss": [5.0] * n})
    assert d.kind == "too-few-epochs"
    assert str(n) in d.reason and str(MIN_EPOCHS) in d.reason


def test_exactly_min_epochs_gives_a_diagnosis():
    e = np.arange(MIN_EPOCHS)
    d = diagnose({"train_loss": decay(2.3, 0.1, 0.7, e), "val_loss": decay(2.3, 0.15, 0.7, e)})
    assert d.kind in KINDS and d.kind != "too-few-epochs"


def test_accepts_lists_arrays_tensors_and_a_history_like_mapping():
    train, val = CASES["good-fit"][0]
    kinds = {diagnose({"train_loss": list(train), "val_loss": list(val)}).kind,
             diagnose({"train_loss": torch.tensor(train), "val_loss": torch.tensor(val)}).kind,
             diagnose({"train_loss": [torch.tensor(t) for t in train], "val_loss": tuple(val)}).kind,
             nbcourse.diagnose({"train_loss": train, "val_loss": val, "epoch": list(range(1, 61))}).kind}
    assert kinds == {"good-fit"}


def test_a_trainer_history_is_read():
    History = pytest.importorskip("nbcourse.train.history").History
    h = History()
    train, val = CASES["overfit"][0]
    for epoch, (t, v) in enumerate(zip(train, val), start=1):
        h.append_epoch(epoch=epoch, train_loss=float(t), val_loss=float(v))
    assert diagnose(h).kind == "overfit"


@pytest.mark.parametrize("missing", ["train_loss", "val_loss"])
def test_missing_curve_names_what_was_expected(missing):
    curves = {"train_loss": [1.0] * 10, "val_loss": [1.0] * 10}
    del curves[missing]
    with pytest.raises(KeyError) as info:
        diagnose(curves)
    assert missing in str(info.value) and "train_loss" in str(info.value) and "val_loss" in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, MissingCurveError)


def test_mismatched_lengths_are_a_clear_value_error():
    with pytest.raises(ValueError, match=r"10 epochs.*8"):
        diagnose({"train_loss": [1.0] * 10, "val_loss": [1.0] * 8})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_a_clear_value_error(bad):
    val = list(decay(2.3, 0.1, 5))
    val[7] = bad
    with pytest.raises(ValueError, match=r"val_loss.*epoch 8.*diverged"):
        diagnose({"train_loss": list(decay(2.3, 0.1, 5)), "val_loss": val})


def test_empty_validation_curve_says_how_to_record_one():
    with pytest.raises(ValueError, match="val_data"):
        diagnose({"train_loss": [1.0] * 10, "val_loss": []})


@pytest.mark.parametrize("history,error", [
    ([1.0, 2.0], TypeError),
    ("train_loss", TypeError),
    ({"train_loss": "abc", "val_loss": "abc"}, TypeError),
    ({"train_loss": [[1.0, 2.0]] * 6, "val_loss": [[1.0, 2.0]] * 6}, ValueError),
    ({"train_loss": np.ones((6, 2)), "val_loss": np.ones((6, 2))}, ValueError),
    ({"train_loss": ["a"] * 6, "val_loss": [1.0] * 6}, TypeError),
])
def test_bad_input_is_rejected_clearly(history, error):
    with pytest.raises(error, match="diagnose"):
        diagnose(history)


def test_constant_and_zero_curves_do_not_crash():
    assert diagnose({"train_loss": [0.0] * 10, "val_loss": [0.0] * 10}).kind == "good-fit"
    assert diagnose({"train_loss": [3.0] * 10, "val_loss": [3.0] * 10}).kind == "underfit-capacity"


def test_diagnosis_prints_kind_and_reason():
    d = diagnose({"train_loss": CASES["good-fit"][0][0], "val_loss": CASES["good-fit"][0][1]})
    assert str(d).startswith("good-fit: ")
    assert set(KINDS) == {"too-few-epochs", "val-too-small", "overfit", "underfit-undertrained",
                          "train-too-small", "underfit-capacity", "good-fit"}


# ------------------------------------------------------------------ synthetic and real example runs

from nbcourse.babysitting import RECIPES, example_curves, quiz_curves, run_case  # noqa: E402


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "too-few-epochs"])
@pytest.mark.parametrize("epochs", [12, 60, 150])
def test_example_curves_are_named_as_their_kind(kind, epochs):
    for seed in range(3):
        assert diagnose(example_curves(kind, epochs=epochs, seed=seed)).kind == kind


def test_quiz_has_every_case_and_two_of_them_twice():
    kinds = [diagnose(c).kind for c in quiz_curves().values()]
    assert len(kinds) == 8 and set(kinds) == {k for k in KINDS if k != "too-few-epochs"}


def test_example_curves_bad_input():
    with pytest.raises(ValueError, match="kind"):
        example_curves("underfit")
    with pytest.raises(ValueError, match="epochs"):
        example_curves("overfit", epochs=0)


@pytest.fixture
def one_thread():
    """Tiny networks train faster on one thread; the setting is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("kind", sorted(RECIPES))
def test_every_recipe_trains_a_run_that_is_diagnosed_as_its_case(kind, one_thread):
    """The real runs of the babysitting page: each case produced by training, and read correctly."""
    history = run_case(kind)
    assert len(history["train_loss"]) == RECIPES[kind].epochs
    assert {"train_accuracy", "val_accuracy"} <= set(history)
    assert diagnose(history).kind == kind


def test_run_case_rejects_unknown_kind():
    with pytest.raises(ValueError, match="run_case"):
        run_case("underfit")


# ------------------------------------------------------------------- epoch-mean training loss vs end of epoch
def _fast_fall(epochs=12, floor=0.1, rate=0.5):
    """A run whose loss falls fast: the per-epoch curve at the end of each epoch, and the epoch means
    (the mean of the loss over the epoch, measured while it falls)."""
    e = np.arange(1, epochs + 1, dtype=float)
    at_end = floor + 2.2 * np.exp(-rate * e)
    # the mean of floor + 2.2 exp(-rate s) over s in [e - 1, e]
    mean = floor + 2.2 * (np.exp(-rate * (e - 1)) - np.exp(-rate * e)) / rate
    return at_end, mean


def test_validation_below_the_epoch_mean_is_timing_not_a_small_validation_set():
    """A run still falling fast, validation measured at the end of each epoch and equal to the training loss
    at that moment (2% above): it sits about 20% below the epoch means at every epoch. That is timing, not a
    validation set too small; read from either training curve the run fits well."""
    at_end, mean = _fast_fall(epochs=12, floor=0.0, rate=0.5)
    val = at_end * 1.02
    assert np.all(val < 0.8 * mean)                      # what a reader sees: validation well below training
    by_mean = diagnose({"train_loss": mean, "val_loss": val})
    by_end = diagnose({"train_loss": mean, "train_eval_loss": at_end, "val_loss": val})
    assert by_end.train_curve == "train_eval_loss" and by_mean.train_curve == "train_loss"
    assert by_mean.kind == by_end.kind == "good-fit"
    # read naively, as if the epoch means were measured at the end of the epoch, it looks like a bad
    # validation set: the mistake the shift avoids
    naive = diagnose({"train_loss": mean, "train_eval_loss": mean, "val_loss": val})
    assert naive.kind == "val-too-small"
    # the end-of-epoch estimate from the means is close to the real end-of-epoch loss
    assert by_mean.numbers["train_end"] == pytest.approx(by_end.numbers["train_end"], rel=0.15)


def test_a_levelled_run_reads_the_same_from_either_training_curve():
    at_end, mean = _fast_fall(epochs=30, floor=0.1, rate=0.5)
    val = at_end * 1.05
    assert diagnose({"train_loss": mean, "val_loss": val}).kind == "good-fit"
    assert diagnose({"train_loss": mean, "train_eval_loss": at_end, "val_loss": val}).kind == "good-fit"


def test_train_eval_loss_is_preferred_when_present():
    """With an end-of-epoch training loss the gap is read from it: the same epoch means with a train_eval_loss
    far below the validation loss is a gap, not a good fit."""
    at_end, mean = _fast_fall(epochs=20)
    val = at_end + 0.6
    eval_low = at_end * 0.2
    d = diagnose({"train_loss": mean, "train_eval_loss": eval_low, "val_loss": val})
    assert d.kind == "train-too-small" and d.numbers["train_end"] == pytest.approx(np.median(eval_low[-5:]))


def test_a_history_with_train_eval_loss_is_read():
    from nbcourse.train import History

    at_end, mean = _fast_fall(epochs=10)
    h = History()
    for e, (m_, a, v) in enumerate(zip(mean, at_end, at_end * 1.05), start=1):
        h.append_epoch(epoch=e, train_loss=float(m_), train_eval_loss=float(a), val_loss=float(v))
    assert diagnose(h).train_curve == "train_eval_loss"
    h.append_epoch(epoch=11, train_loss=0.1, val_loss=0.1)        # an epoch without it: NaN, not read
    assert diagnose(h).train_curve == "train_loss"


def test_end_of_epoch_estimate_of_a_falling_mean():
    from nbcourse.babysitting import _end_of_epoch

    at_end, mean = _fast_fall(epochs=10, floor=0.0)   # pure exponential: the estimate is off by a constant 1%
    np.testing.assert_allclose(_end_of_epoch(mean)[:-1], at_end[:-1] * 2 * np.sinh(0.25) / 0.5,   # 1% above
                               rtol=1e-12)
    assert np.all(_end_of_epoch(mean) <= mean)
    flat = np.full(8, 0.7)
    np.testing.assert_array_equal(_end_of_epoch(flat), flat)
