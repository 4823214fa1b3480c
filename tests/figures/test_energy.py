"""nbcourse.figures.energy: image rows, the recall explorer, the capacity curve, distribution bars."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbcourse.figures.energy import capacity_figure, distribution_bars, image_row, recall_figure  # noqa: E402


def _box(fig, artist):
    fig.canvas.draw()
    return artist.get_window_extent(fig.canvas.get_renderer())


def test_image_row_leaves_room_for_two_line_titles_and_a_suptitle():
    images = np.ones((3, 64))
    one_line = image_row(images, ["a", "b", "c"])
    two_lines = image_row(images, ["a\nE = 1", "b", "c"], suptitle="what to see")
    assert two_lines.get_figheight() > one_line.get_figheight()
    # the suptitle sits above every axes title: nothing overlaps
    top_of_titles = max(_box(two_lines, ax.title).y1 for ax in two_lines.axes)
    assert _box(two_lines, two_lines._suptitle).y0 >= top_of_titles - 1
    plt.close("all")


def test_image_row_draws_into_given_axes_without_a_new_figure():
    fig, axes = plt.subplots(2, 3)
    out = image_row(np.zeros((3, 64)), ["x", "y", "z"], axes=axes[1], vmin=0, vmax=1)
    assert out is fig and [ax.get_title() for ax in axes[1]] == ["x", "y", "z"]
    plt.close(fig)


def test_capacity_figure_keeps_its_legend_off_the_data():
    curve = {"n_units": 200, "threshold": 0.9, "loads": np.array([0.02, 0.1, 0.14, 0.2, 0.3]),
             "recalled": np.array([1.0, 1.0, 0.93, 0.36, 0.05]), "stable": np.array([1.0, 0.9, 0.71, 0.1, 0.0])}
    fig = capacity_figure(curve)
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert _box(fig, legend).y1 <= _box(fig, ax).y0          # below the axes, not over the points
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[0].startswith("recalled: at most 5% of the bits wrong")
    assert ax.get_xlabel().startswith("load P / N") and "N = 200" in ax.get_title()
    plt.close(fig)


@pytest.mark.parametrize("corruption, verdict", [(0.0, "recalled X"), (0.5, "")])
def test_recall_figure_says_what_happened(corruption, verdict):
    fig = recall_figure("X", corruption)
    assert verdict in fig._suptitle.get_text() and "the energy only goes down" in fig._suptitle.get_text()
    energies = fig.axes[-1].lines[0].get_ydata()
    assert np.all(np.diff(energies) <= 1e-12)
    plt.close(fig)


def test_distribution_bars_one_group_per_state():
    fig = distribution_bars([0.25, 0.75], [0.5, 0.5], labels=["0", "1"], names=["data", "model"])
    ax = fig.axes[0]
    assert len(ax.patches) == 4 and [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
    plt.close(fig)
