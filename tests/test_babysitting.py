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


def test_quiz_has_one_curve_of_each_case():
    kinds = sorted(diagnose(c).kind for c in quiz_curves().values())
    assert kinds == sorted(k for k in KINDS if k != "too-few-epochs")


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
