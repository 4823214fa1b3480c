"""nbcourse.figures.descent: the line model's cost landscape, the lecture's interactive example, SGD step by step."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbcourse.data import make_line  # noqa: E402
from nbcourse.descent import LineCost, minibatch_descent  # noqa: E402
from nbcourse.figures.descent import (  # noqa: E402
    EXAMPLE_BATCH_SIZES,
    EXAMPLE_LEARNING_RATES,
    EXAMPLE_STARTS,
    line_example,
    line_example_explorer,
    plot_line_cost,
    sgd_landscape_explorer,
    sgd_landscapes,
)
from nbcourse.landscape import SURFACES  # noqa: E402


def test_line_example_draws_the_three_steps():
    fig = line_example("medium", (3.5, 2.0), "small", 24)
    ax_map, ax_cost, ax_fit = fig.axes
    assert "m = 144" in ax_map.get_title()
    assert ax_cost.get_yscale() == "log" and "batch size 24" in ax_cost.get_title()
    labels = [t.get_text() for t in ax_fit.get_legend().get_texts()]
    assert labels[:2] == ["training set", "ground truth"] and labels[2].startswith("fit: w = ")
    plt.close(fig)
    fig = line_example("small", (-1.5, 2.0), "large", "m")
    assert "48" in fig.axes[1].get_title()
    plt.close(fig)


def test_line_example_rejects_unknown_choices():
    with pytest.raises(ValueError, match="line_example: argument 'batch_size' got 7"):
        line_example(batch_size=7)
    with pytest.raises(ValueError, match="'size' got 'huge'"):
        line_example(size="huge")
    with pytest.raises(ValueError, match="'lr'"):
        line_example(lr=0.3)


def test_line_example_explorer_draws_every_rate_and_batch_size():
    view = line_example_explorer()
    combos = view.combinations()
    assert len(combos) == 45
    assert {(c["lr"], c["batch_size"]) for c in combos} == {
        (lr, S) for lr in EXAMPLE_LEARNING_RATES for S in EXAMPLE_BATCH_SIZES}
    assert {c["start"] for c in combos} == set(EXAMPLE_STARTS)
    assert {c["size"] for c in combos} == {"small", "medium", "large"}


def test_sgd_landscapes_shows_the_step_minibatch_descent_takes():
    """The left panel's sample is the one minibatch_descent used at that step: the drawn step must be
    -lr times that sample's gradient."""
    cost = LineCost(*make_line("small", seed=0))
    order = np.random.default_rng(0).permutation(cost.m)
    run = minibatch_descent(cost, EXAMPLE_STARTS[0], lr=0.5, batch_size=1, steps=12, seed=0)
    for t in (0, 5, 11):
        np.testing.assert_allclose(run.params[t + 1] - run.params[t],
                                   -0.5 * cost.grad(run.params[t], index=[order[t]]), atol=1e-12)
    fig = sgd_landscapes(5)
    left, right = fig.axes
    assert f"sample {order[5]} " in left.get_title(loc="left")
    assert right.get_title(loc="left").startswith("the batch landscape J")
    plt.close(fig)
    with pytest.raises(ValueError, match="'t' got 12"):
        sgd_landscapes(12)
    assert len(sgd_landscape_explorer().combinations()) == 12


def test_plot_line_cost_draws_one_sample_or_all():
    cost = LineCost(*make_line("small", seed=0))
    ax = plot_line_cost(cost, index=[3], resolution=21)
    assert ax.get_xlabel() == "slope w" and ax.get_ylabel() == "intercept b"
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="LineCost"):
        plot_line_cost(SURFACES["convex"])
