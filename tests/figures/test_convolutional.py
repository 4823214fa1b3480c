"""Figures of the pages Convolutional and Fully convolutional networks (nbcourse/figures/convolutional.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nbcourse.data.shapes import make_shapes  # noqa: E402
from nbcourse.figures import convolutional as FC  # noqa: E402
from nbcourse.models import FCN, SmallCNN  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_filters_one_panel_per_kernel_with_symmetric_colours():
    conv = SmallCNN(seed=0).features.conv1
    fig = FC.filters_figure(conv, cols=4)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 8 and fig._suptitle.get_text()
    for k, im in enumerate(images):
        lo, hi = im.get_clim()
        assert lo == -hi and np.allclose(im.get_array(), conv.weight[k, 0].detach().numpy())


def test_feature_maps_input_then_each_channel():
    maps = torch.rand(5, 8, 8)
    fig = FC.feature_maps_figure(torch.rand(1, 8, 8), maps)
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "input"
    assert np.allclose(fig.axes[3].images[0].get_array(), maps[2].numpy())


def test_shift_curves_labelled_in_percent():
    results = {"MLP": {0: 0.9, 1: 0.5, 2: 0.1}, "CNN": {0: 0.92, 1: 0.6, 2: 0.2}}
    fig = FC.shift_curves_figure(results)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert np.allclose(lines["CNN"].get_ydata(), [92, 60, 20]) and "chance" in lines


def test_shift_examples_and_segmentation_panels():
    fig = FC.shift_examples_figure([torch.rand(64), torch.rand(1, 8, 8)], [0, 1])
    assert [ax.get_title() for ax in fig.axes] == ["shift 0 px", "shift 1 px"]
    X, y = make_shapes(3, size=(20, 24), seed=0)
    scores = FCN(seed=0)(X).detach()
    fig = FC.segmentation_figure(X, y, scores)
    assert len([ax for ax in fig.axes if ax.images]) == 9
    assert fig.axes[0].get_ylabel() == "image" and fig.axes[0].get_title() == "20x24"
    assert np.array_equal(np.asarray(fig.axes[6].images[0].get_array()), scores[0].argmax(0).numpy())
    fig = FC.segmentation_figure([X[0], make_shapes(1, size=30, seed=1)[0][0]], [y[0], make_shapes(1, size=30, seed=1)[1][0]])
    assert len([ax for ax in fig.axes if ax.images]) == 4, "images of different sizes, no predictions"
