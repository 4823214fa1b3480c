"""nbcourse.tasks: targets from labels, the lecture's rule of thumb, regression posed as classification."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nbcourse
from nbcourse import losses as L
from nbcourse.tasks import (TASKS, Head, bin_experiment, fit_head, make_wave, multi_hot, one_hot, quantise,
                            recommend_head, rule_of_thumb)


# ------------------------------------------------------------------------------------ targets
def test_one_hot_is_a_row_of_the_identity_and_matches_torch():
    labels = torch.tensor([2, 0, 1, 2])
    Y = one_hot(labels, num_classes=4)
    assert Y.dtype == torch.float32 and Y.shape == (4, 4)
    assert torch.equal(Y, torch.eye(4)[labels])
    assert torch.equal(Y, torch.nn.functional.one_hot(labels, 4).float())
    assert torch.equal(Y.sum(1), torch.ones(4))


def test_one_hot_accepts_lists_arrays_and_keeps_leading_shape():
    assert one_hot([1, 0]).shape == (2, 2)  # num_classes inferred
    assert one_hot(np.array([[0, 2], [1, 1]]), 3).shape == (2, 2, 3)
    assert one_hot(np.array([1.0, 2.0]), 3, dtype=torch.float64).dtype == torch.float64


def test_cross_entropy_on_indices_equals_cross_entropy_on_one_hot():
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 5, dtype=torch.float64), torch.randint(0, 5, (6,))
    a = L.cross_entropy(logits, labels)
    b = L.cross_entropy(logits, one_hot(labels, 5, dtype=torch.float64))
    assert torch.allclose(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("labels, classes, words", [
    ([0, 3], 3, ["class 3", "0..2", "labels - 1"]),
    ([-1, 0], 3, ["class -1"]),
    ([0.5], 3, ["non-integer"]),
    ([0, 1], 0, ["num_classes", "positive"]),
])
def test_one_hot_errors_name_the_problem(labels, classes, words):
    with pytest.raises((ValueError, TypeError)) as info:
        one_hot(labels, classes)
    for word in words:
        assert word in str(info.value)


def test_one_hot_of_nothing_needs_the_number_of_classes():
    assert one_hot([], 3).shape == (0, 3)
    with pytest.raises(ValueError, match="num_classes"):
        one_hot([])


def test_multi_hot_marks_every_label_once():
    Y = multi_hot([[0, 2], [2], [], [1, 1, 0]], num_classes=3)
    assert Y.tolist() == [[1, 0, 1], [0, 0, 1], [0, 0, 0], [1, 1, 0]]
    assert multi_hot([{1}, (0,)], 2, dtype=torch.float64).dtype == torch.float64
    assert multi_hot([np.array([1]), torch.tensor([0])], 2).tolist() == [[0, 1], [1, 0]]


def test_multi_hot_errors():
    with pytest.raises(ValueError, match="sample 1 holds the label 3"):
        multi_hot([[0], [3]], num_classes=3)
    with pytest.raises(TypeError, match=r"sample 0 got 2, expected a collection.*\[2\]"):
        multi_hot([2, [1]], num_classes=3)
    with pytest.raises(TypeError, match="label_sets"):
        multi_hot("012", num_classes=3)
    with pytest.raises(TypeError, match="1.5"):
        multi_hot([[1.5]], num_classes=3)


# ------------------------------------------------------------------------------------ the rule of thumb
EXPECTED = {  # the lecture's summary table
    "regression": ("one", None, ("mse",)),
    "regression-unit-interval": ("one", "sigmoid", ("mse", "bce")),
    "binary": ("one", "sigmoid", ("bce",)),
    "multi-class": ("classes", "softmax", ("cross_entropy",)),
    "multi-label": ("classes", "sigmoid", ("bce",)),
}


@pytest.mark.parametrize("task", list(EXPECTED))
def test_recommend_head_is_the_lecture_table(task):
    head = recommend_head(task)
    assert isinstance(head, Head)
    assert (head.units, head.activation, head.losses) == EXPECTED[task]
    for name in head.losses + (head.fused_loss,):
        assert name in L.LOSSES, name
    assert head.task == task and head.note and task in head.describe()


def test_fused_loss_takes_logits():
    assert recommend_head("binary").fused_loss == "bce_with_logits"
    assert recommend_head("multi-label").fused_loss == "bce_with_logits"
    assert recommend_head("regression-unit-interval").fused_loss == "bce_with_logits"
    assert recommend_head("multi-class").fused_loss == "cross_entropy"
    assert recommend_head("regression").fused_loss == "mse"


def test_recommend_head_is_exported_and_forgiving_about_spelling():
    assert nbcourse.recommend_head is recommend_head
    assert "recommend_head" in dir(nbcourse)
    assert recommend_head("Multi_Class") is recommend_head("multi-class")
    assert TASKS == tuple(EXPECTED)


def test_unknown_task_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        recommend_head("ranking")
    assert "'ranking'" in str(info.value)
    for task in TASKS:
        assert repr(task) in str(info.value)
    with pytest.raises(TypeError, match="task"):
        recommend_head(3)


def test_rule_of_thumb_rows_follow_recommend_head():
    rows = rule_of_thumb()
    assert [r["task"] for r in rows] == list(TASKS)
    assert rows[3]["last activation"] == "softmax" and rows[3]["output units"] == "number of classes"
    assert rows[0]["last activation"] == "none (linear)" and rows[1]["loss"] == "mse / bce"


# ------------------------------------------------------------------------------------ regression as classification
def test_make_wave_is_seeded_and_has_the_outliers_asked_for():
    X, y = make_wave(2000, outlier_fraction=0.05, seed=3)
    X2, y2 = make_wave(2000, outlier_fraction=0.05, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert X.shape == (2000, 1) and y.shape == (2000,)
    share = (y == 15.0).float().mean().item()
    assert 0.035 < share < 0.065
    clean = make_wave(500, outlier_fraction=0.0, noise=0.0, seed=0)
    assert torch.allclose(clean[1], 2 * torch.sin(1.5 * clean[0][:, 0]), atol=1e-5)
    with pytest.raises(ValueError, match="outlier_fraction"):
        make_wave(10, outlier_fraction=1.5)


def test_quantise_puts_values_in_their_bin_and_clips_the_rest():
    classes, centres = quantise(torch.tensor([-9.0, -2.5, -1.01, 0.0, 0.99, 2.5, 15.0]), 5)
    assert torch.allclose(centres, torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]))
    assert classes.tolist() == [0, 0, 1, 2, 3, 4, 4]
    assert classes.dtype == torch.int64
    y = torch.linspace(-2.4, 2.4, 97)
    c, mid = quantise(y, 10)
    assert (mid[c] - y).abs().max() <= 0.25 + 1e-6  # at most half a bin off inside the range
    with pytest.raises(ValueError, match="n_bins"):
        quantise(y, 1)


def test_fit_head_changes_only_the_head_and_learns():
    X, y = make_wave(200, outlier_fraction=0.0, seed=0)
    reg, reg_losses = fit_head(X, y, head="regression", steps=150)
    classes, _ = quantise(y, 8)
    cls, cls_losses = fit_head(X, classes, head="classification", n_out=8, steps=150)
    assert reg[-1].out_features == 1 and cls[-1].out_features == 8
    assert [type(m) for m in reg[:-1]] == [type(m) for m in cls[:-1]]
    assert reg_losses[-1] < 0.5 * reg_losses[0] and cls_losses[-1] < 0.5 * cls_losses[0]
    with pytest.raises(ValueError, match="head"):
        fit_head(X, y, head="ranking")


def test_bin_experiment_reports_plain_data():
    result = bin_experiment(10, steps=100)
    assert set(result) == {"n_bins", "bin_width", "test_mae", "min_count"}
    assert result["n_bins"] == 10 and abs(result["bin_width"] - 0.5) < 1e-6
    assert 0 < result["test_mae"] < 1.5 and result["min_count"] > 0
