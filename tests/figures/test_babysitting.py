"""nbcourse.figures.babysitting: learning curves titled with their diagnosis."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbcourse.babysitting import example_curves  # noqa: E402
from nbcourse.figures.babysitting import plot_learning_curves  # noqa: E402


def test_plot_learning_curves_titles_with_the_diagnosis():
    curves = example_curves("overfit")
    train, val = curves["train_loss"], curves["val_loss"]
    ax = plot_learning_curves({"train_loss": train, "val_loss": val})
    assert ax.get_title() == "overfit" and ax.get_xlabel() == "epoch" and len(ax.lines) == 2
    with pytest.raises(KeyError, match="train_acc"):
        plot_learning_curves({"train_loss": train, "val_loss": val}, metric="acc")
    plt.close("all")


def test_plot_learning_curves_draws_a_metric_on_a_given_axis_and_a_log_scale():
    fig, ax = plt.subplots()
    history = {"train_loss": [2.0, 1.0, 0.5], "val_loss": [2.1, 1.2, 0.8],
               "train_acc": [0.3, 0.6, 0.9], "val_acc": [0.3, 0.5, 0.7]}
    assert plot_learning_curves(history, metric="acc", ax=ax, title="accuracy") is ax
    assert ax.get_ylabel() == "acc" and ax.get_title() == "accuracy"
    x, y = ax.lines[1].get_data()
    assert list(x) == [1, 2, 3] and np.allclose(y, history["val_acc"]), "epochs count from 1"
    ax = plot_learning_curves(history, log=True)
    assert ax.get_yscale() == "log"
    plt.close("all")
