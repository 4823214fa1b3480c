"""nbcourse.figures.landscape: the surfaces' contour maps, descent on them and the page's explorer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbcourse.figures.landscape import OPTIMIZERS, descent_explorer, plot_descent, plot_surface  # noqa: E402
from nbcourse.landscape import SURFACES, Convex  # noqa: E402

NAMES = ["convex", "local-minima", "saddle", "plateau", "ravine", "cliff"]


def test_plot_surface_and_plot_descent_draw_labelled_figures():
    ax = plot_surface("local-minima", resolution=31)
    assert ax.get_xlabel() == "w\u2081" and ax.get_ylabel() == "w\u2082"
    plt.close(ax.figure)
    fig = plot_descent("saddle", start="B", lr="large", optimizer="SGD (noisy gradient)")
    ax_map, ax_loss = fig.axes
    assert "saddle" in ax_map.get_title() and "SGD" in ax_map.get_title()
    assert ax_loss.get_yscale() == "log" and ax_loss.get_xlabel() == "step t"
    plt.close(fig)
    with pytest.raises(ValueError, match="plot_descent: argument 'lr' got 'huge'"):
        plot_descent("convex", lr="huge")
    with pytest.raises(ValueError, match="expected one of"):
        plot_descent("volcano")


def test_plot_descent_reports_a_diverged_run():
    class TooSteep(Convex):
        learning_rates = {"small": 0.1, "medium": 0.8, "large": 5.0}    # 5 > 2 / 1.25: diverges

    fig = plot_descent(TooSteep(), start="A", lr="large")
    title = fig.axes[1].get_title()
    plt.close(fig)
    assert title.endswith("diverged")
    fig = plot_descent(TooSteep(), start="A", lr="medium")
    assert "final loss" in fig.axes[1].get_title()
    plt.close(fig)


def test_descent_explorer_offers_every_surface_start_rate_and_optimizer():
    view = descent_explorer()
    assert len(view.combinations()) == 6 * 2 * 3 * 2
    assert list(view.params["surface"].values) == NAMES
    assert set(view.params["optimizer"].values) == set(OPTIMIZERS)
