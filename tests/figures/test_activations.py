"""nbcourse.figures.activations: an activation and its derivative with the flat regions shaded, and the
activation explorer (every activation and parameter; the choice rule between them)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbcourse import activations, widgets  # noqa: E402
from nbcourse.figures.activations import (  # noqa: E402
    EXPLORER_PARAMETERS,
    activation_explorer,
    activation_figure,
    flat_regions,
    gradient_flow,
    gradient_flow_explorer,
    gradient_flow_figure,
    swish_explorer,
    swish_figure,
)


def test_resolve_keeps_the_other_parameters_when_it_can():
    view = activation_explorer()
    names = list(view.params)
    idx = lambda name, value: view.params[name].index(value)  # noqa: E731
    leaky = (idx("name", "leaky_relu"), idx("alpha", 0.1), idx("beta", None))
    to_elu = view.resolve([idx("name", "elu"), *leaky[1:]], names.index("name"))
    assert view.values_of(to_elu) == {"name": "elu", "alpha": 1.0, "beta": None}, \
        "0.1 is not an ELU alpha: the first ELU combination (its default, alpha = 1) is shown"
    to_linear = view.resolve([idx("name", "linear"), *to_elu[1:]], names.index("name"))
    assert view.values_of(to_linear)["alpha"] == 1.0, "alpha = 1 exists for linear: kept"
    assert [view.params["alpha"].values[i] for i in view.available(to_elu, names.index("alpha"))] == \
        [0.5, 1.0, 1.5, 2.0]
    sigmoid = view.resolve([idx("name", "sigmoid"), *to_elu[1:]], names.index("name"))
    assert view.available(sigmoid, names.index("alpha")) == [idx("alpha", None)]


def test_every_activation_and_parameter_is_in_the_explorer():
    view = activation_explorer()
    combos = view.combinations()
    assert {c["name"] for c in combos} == set(activations.ACTIVATIONS)
    for name, (param, values) in EXPLORER_PARAMETERS.items():
        act = activations.ACTIVATIONS[name]
        assert param in act.params, f"{name} has no parameter {param}"
        if name != "prelu":  # prelu's slope has no default in the function; 0.25 is PReLU's init
            assert values[0] == act.params[param], f"the explorer should open {name} at its default"
        assert sorted(c[param] for c in combos if c["name"] == name) == sorted(values)
    assert len(combos) == len(activations.ACTIVATIONS) + sum(len(v) - 1 for _, v in EXPLORER_PARAMETERS.values())


def test_flat_regions():
    z = np.linspace(-2, 2, 5)
    assert flat_regions(z, np.array([True, True, False, False, True])) == [(-2.0, -1.0), (2.0, 2.0)]
    assert flat_regions(z, np.zeros(5, bool)) == []


def test_activation_figure_draws_from_nbcourse_and_rejects_foreign_parameters():
    fig = activation_figure("relu")
    ax_f, ax_df = fig.axes
    z, f = ax_f.lines[-1].get_data()
    assert np.allclose(f, activations.relu(z))
    zd, df = ax_df.lines[-1].get_data()
    assert np.allclose(df, activations.relu.grad(zd))
    legend = [t.get_text() for t in ax_f.get_legend().get_texts()]
    assert legend == ["no gradient, f\u2032 = 0: 50% of z"], "relu's dead half is shaded"
    plt.close(fig)
    fig = activation_figure("sigmoid")
    assert "max |f\u2032(z)| = 0.25" in [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    plt.close(fig)
    with pytest.raises(ValueError, match="sigmoid takes no parameter"):
        activation_figure("sigmoid", alpha=0.1)
    with pytest.raises(ValueError, match="swish takes only beta"):
        activation_figure("swish", alpha=0.1)
    with pytest.raises(ValueError, match="expected one of"):
        activation_figure("gelu")


def test_registry_holds_the_activation_explorer():
    assert "nbcourse.figures.activations.activation_explorer" in widgets.registered()


def test_gradient_flow_vanishes_for_the_deep_sigmoid_and_skips_restore_it():
    plain = gradient_flow(6, "sigmoid", "xavier", False)
    skips = gradient_flow(6, "sigmoid", "xavier", True)
    assert plain["layers"] == ["fc0", "fc1", "fc2", "fc3", "fc4", "fc5", "fc6", "out"]
    assert len(plain["spread"]) == 6
    # each sigmoid layer shrinks the gradient by about its mean slope (< 1/4 ... ~0.3): 6 layers < 1e-2
    assert plain["grad_norm"][0] / plain["grad_norm"][-1] < 1e-2
    assert skips["grad_norm"][0] / skips["grad_norm"][-1] > 1e-1
    # forward: the spread across inputs collapses without skips, not with them
    assert plain["spread"][-1] < 1e-2 * plain["spread"][0]
    assert skips["spread"][-1] > 0.3 * skips["spread"][0]
    tanh = gradient_flow(6, "tanh", "xavier", False)
    assert tanh["grad_norm"][0] / tanh["grad_norm"][-1] > 0.1


def test_gradient_flow_is_reproducible():
    assert gradient_flow(3, "relu", "kaiming", False) == gradient_flow(3, "relu", "kaiming", False)


def test_gradient_flow_explorer_frames_are_valid_combinations():
    view = gradient_flow_explorer()
    assert view.start_values == {"depth": 6, "activation": "sigmoid", "init": "xavier", "residual": False}
    combos = view.combinations()
    assert 8 <= len(combos) <= 20
    fig = gradient_flow_figure(2, "relu", "default", True)
    assert "skip" in fig._suptitle.get_text()
    plt.close(fig)


def test_swish_explorer_runs_from_a_line_to_relu():
    view = swish_explorer()
    assert view.start_values == {"beta": 1.0}
    betas = [c["beta"] for c in view.combinations()]
    assert min(betas) == 0.0 and max(betas) >= 10
    line = swish_figure(0.0)
    assert "to z/2 = 0.000" in line._suptitle.get_text()
    near_relu = swish_figure(50.0)
    to_relu = float(near_relu._suptitle.get_text().split("to ReLU = ")[1].split()[0])
    assert to_relu < 0.01
    plt.close("all")
