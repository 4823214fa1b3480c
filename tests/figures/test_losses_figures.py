"""Figures of the chapter Tasks, losses and the output layer (nbcourse/figures/losses.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nbcourse import losses as L  # noqa: E402
from nbcourse import widgets  # noqa: E402
from nbcourse import tasks as T  # noqa: E402
from nbcourse.figures import losses as FL  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(fig):
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


@pytest.mark.parametrize("make", [
    lambda: FL.temperature_figure(2.0),
    lambda: FL.saturation_figure(),
    lambda: FL.regression_losses_figure(delta=0.5),
    lambda: FL.outlier_fit_figure((2.0, -3.0), delta=3.0),
    lambda: FL.curves_figure({"a": [0.5, 0.7], "b": []}, title="t", ylabel="accuracy"),
])
def test_figures_have_labelled_axes_and_a_title(make):
    fig = make()
    _labelled(fig)
    assert fig.get_suptitle() or fig.axes[0].get_title()


def test_every_figure_is_exported():
    for name in FL.__all__:
        assert hasattr(FL, name)


def test_temperature_figure_shows_the_soft_max_and_rejects_negative_alpha():
    fig = FL.temperature_figure(0.0, z=[1.0, 3.0])
    assert "2.000" in fig.axes[1].get_title()  # alpha = 0: the mean of z
    fig = FL.temperature_figure(16.0, z=[1.0, 3.0])
    assert "3.000" in fig.axes[1].get_title()  # large alpha: the max
    with pytest.raises(ValueError, match="alpha"):
        FL.temperature_figure(-1.0)


def test_saturation_figure_draws_the_package_gradients():
    fig = FL.saturation_figure()
    mse_line, bce_line = fig.axes[1].get_lines()[:2]
    z = torch.as_tensor(mse_line.get_xdata())
    s = torch.sigmoid(z)
    assert np.allclose(mse_line.get_ydata(), (2 * (s - 1) * s * (1 - s)).numpy(), atol=1e-12)
    assert np.allclose(bce_line.get_ydata(), (s - 1).numpy(), atol=1e-12)


def test_regression_losses_figure_draws_each_loss_and_its_gradient():
    fig = FL.regression_losses_figure(delta=0.5)
    grads = fig.axes[1].get_lines()
    r = np.asarray(grads[0].get_xdata())
    assert np.allclose(grads[0].get_ydata(), 2 * r)                  # MSE
    assert np.allclose(grads[1].get_ydata(), np.sign(r))             # MAE
    assert np.allclose(grads[2].get_ydata(), np.clip(r, -0.5, 0.5))  # Huber, delta 0.5
    assert np.allclose(grads[3].get_ydata(), np.tanh(r))             # log-cosh


def test_robust_line_fit_mse_is_least_squares():
    x, y = T.outlier_data(seed=3)
    assert np.allclose(T.robust_line_fit(x, y, "mse"), np.polyfit(x, y, 1), atol=1e-10)


@pytest.mark.parametrize("loss, delta", [("huber", 1.0), ("huber", 0.2), ("log_cosh", 1.0), ("mae", 1.0)])
def test_robust_line_fit_reaches_a_minimum_of_the_package_loss(loss, delta):
    x, y = T.outlier_data(n=12, seed=2)
    x, y = np.append(x, 9.0), np.append(y, 12.0)
    w, b = T.robust_line_fit(x, y, loss, delta=delta)
    fn = getattr(L, loss)
    kwargs = {"delta": delta} if loss == "huber" else {}

    def value(w_, b_):
        return float(fn(torch.tensor(w_ * x + b_), torch.tensor(y), **kwargs))

    best = value(w, b)
    for dw, db in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3), (1e-3, -5e-3), (-1e-3, 5e-3)]:
        assert value(w + dw, b + db) >= best - 1e-9
    if loss != "mae":  # smooth: the package's analytic gradient vanishes at the minimum
        g = np.asarray(fn.grad(torch.tensor(w * x + b), torch.tensor(y), **kwargs))
        assert abs((g * x).sum()) < 1e-6 and abs(g.sum()) < 1e-6


def test_robust_losses_resist_the_outlier_and_mse_does_not():
    x, y = T.outlier_data()
    x_o, y_o = np.append(x, 9.0), np.append(y, 12.0)
    assert abs(T.robust_line_fit(x_o, y_o, "mse")[0] - 0.5) > 0.1  # the true slope is 0.5
    for loss in ("mae", "huber", "log_cosh"):
        assert abs(T.robust_line_fit(x_o, y_o, loss)[0] - 0.5) < 0.03
    # a huge delta makes Huber least squares
    assert np.allclose(T.robust_line_fit(x_o, y_o, "huber", delta=100.0), T.robust_line_fit(x_o, y_o, "mse"))


def test_robust_line_fit_errors():
    with pytest.raises(ValueError, match="loss"):
        T.robust_line_fit([0.0, 1.0], [0.0, 1.0], "bce")
    with pytest.raises(ValueError, match="two distinct x"):
        T.robust_line_fit([1.0, 1.0], [0.0, 1.0])


def test_the_explorers_are_registered_with_their_grids():
    names = widgets.registered()
    assert "nbcourse.figures.losses.outlier_explorer" in names
    assert "nbcourse.figures.losses.softmax_temperature_explorer" in names
    outlier = FL.outlier_explorer()
    assert len(outlier.combinations()) == len(FL.OUTLIER_POSITIONS) * len(FL.HUBER_DELTAS)
    assert outlier.start_values == {"outlier": (9.0, 12.0), "delta": 1.0}
    assert FL.softmax_temperature_explorer().start_values == {"alpha": 1.0}


def test_outlier_rings_land_on_the_data_axes():
    view = FL.outlier_explorer()
    frame = view.render(outlier=(2.0, -3.0), delta=0.3)
    assert frame.width > 0 and frame.height > 0
