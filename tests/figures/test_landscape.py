"""nbcourse.figures.landscape: the surfaces' contour maps, descent on them and the page's explorer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nbcourse.figures.landscape import (  # noqa: E402
    OPTIMIZERS,
    descent_explorer,
    plot_descent,
    plot_loss_surface_2d,
    plot_surface,
)
from nbcourse.landscape import SURFACES, Convex, loss_surface_2d, random_directions  # noqa: E402

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
    assert "final f − f_min" in fig.axes[1].get_title()
    plt.close(fig)


def test_plot_descent_titles_and_draws_the_loss_above_the_minimum():
    """The title prints what the axis shows, f - f_min: a run stuck at the saddle is 0.25 above the minima;
    a converged run is drawn far below 1e-6 (the old floor), not as a plateau."""
    fig = plot_descent("saddle", start="A", lr="medium")
    assert fig.axes[1].get_title().endswith("final f − f_min = 0.25")
    plt.close(fig)
    fig = plot_descent("convex", start="A", lr="medium")
    line = fig.axes[1].get_lines()[0].get_ydata()
    assert line.min() < 1e-9 and "floor" in fig.axes[1].get_ylabel()
    plt.close(fig)


def test_descent_explorer_offers_every_surface_start_rate_and_optimizer():
    view = descent_explorer()
    assert len(view.combinations()) == 6 * 2 * 3 * 2
    assert list(view.params["surface"].values) == NAMES
    assert set(view.params["optimizer"].values) == set(OPTIMIZERS)


# ------------------------------------------------------------------------------- slices through a network
def _net(seed=0, bias=True):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 16, bias=bias), torch.nn.ReLU(), torch.nn.Linear(16, 3, bias=bias))


def _data(seed=0, n=60):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_loss_surface_plot_draws_the_slice_with_its_own_or_given_levels():
    net = _net()
    surface = loss_surface_2d(net, torch.nn.functional.cross_entropy, _data(), random_directions(net, seed=0),
                              resolution=7)
    ax = plot_loss_surface_2d(surface, title="a slice")
    assert ax.get_title() == "a slice" and "first direction" in ax.get_xlabel()
    plt.close(ax.figure)
    levels = np.geomspace(0.1, 10.0, 9)
    ax = plot_loss_surface_2d(surface, levels=levels)
    np.testing.assert_allclose(ax.collections[0].levels, levels)
    plt.close(ax.figure)


def test_loss_surface_plot_has_a_labelled_colour_bar_ticked_at_levels():
    net = _net()
    surface = loss_surface_2d(net, torch.nn.functional.cross_entropy, _data(), random_directions(net, seed=0),
                              resolution=7)
    levels = np.geomspace(0.1, 10.0, 11)
    ax = plot_loss_surface_2d(surface, levels=levels, colorbar="cross-entropy loss")
    bars = [other for other in ax.figure.axes if other is not ax]
    assert len(bars) == 1 and bars[0].get_ylabel() == "cross-entropy loss"
    ticks = bars[0].get_yticks()
    assert 3 <= len(ticks) <= 7 and set(np.round(ticks, 9)) <= set(np.round(levels, 9))
    assert [t.get_text() for t in bars[0].get_yticklabels()][:2] == ["0.1", "0.251"]
    plt.close(ax.figure)
    ax = plot_loss_surface_2d(surface, colorbar=None)
    assert ax.figure.axes == [ax]
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="colorbar"):
        plot_loss_surface_2d(surface, colorbar=True)
    with pytest.raises(TypeError, match="expected a LossSurface2D"):
        plot_loss_surface_2d(np.zeros((3, 3)))
