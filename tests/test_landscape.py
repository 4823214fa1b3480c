"""nbcourse.landscape: the lecture's surfaces (analytic derivatives, defining shapes) and slices through a network."""

from __future__ import annotations

import copy

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nbcourse import landscape  # noqa: E402
from nbcourse.descent import descend  # noqa: E402
from nbcourse.landscape import SURFACES, loss_surface_2d, random_directions  # noqa: E402

NAMES = ["convex", "local-minima", "saddle", "plateau", "ravine", "cliff"]


def _points(surface, n=64, seed=0, margin=0.0):
    """Random points over (and a little beyond) the surface's domain, float64 numpy, shape (n, 2)."""
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.domain
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    return np.stack([rng.uniform(x0 - dx, x1 + dx, n), rng.uniform(y0 - dy, y1 + dy, n)], axis=-1)


class _WithAnalyticGrad(torch.autograd.Function):
    """f(w) forward, the surface's analytic gradient backward: what gradcheck compares with finite differences."""

    @staticmethod
    def forward(ctx, w, surface):
        ctx.save_for_backward(w)
        ctx.surface = surface
        return surface(w.detach())

    @staticmethod
    def backward(ctx, grad_out):
        (w,) = ctx.saved_tensors
        return grad_out[..., None] * ctx.surface.grad(w.detach()), None


def test_the_registry_names_every_shape_of_the_lecture():
    assert list(SURFACES) == NAMES
    for name, s in SURFACES.items():
        assert s.name == name and s.summary and repr(s).startswith(f"SURFACES[{name!r}]")


@pytest.mark.parametrize("name", NAMES)
def test_analytic_gradient_passes_gradcheck(name):
    s = SURFACES[name]
    w = torch.tensor(_points(s, n=12, seed=1), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: _WithAnalyticGrad.apply(v, s), (w,), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_and_hessian_match_autograd(name):
    s = SURFACES[name]
    w = torch.tensor(_points(s, n=40, seed=2, margin=0.2), dtype=torch.float64, requires_grad=True)
    (auto_grad,) = torch.autograd.grad(s(w).sum(), w)
    torch.testing.assert_close(s.grad(w.detach()), auto_grad, rtol=1e-10, atol=1e-12)
    for p in w.detach()[:8]:
        auto_hess = torch.autograd.functional.hessian(lambda v: s(v), p)
        torch.testing.assert_close(s.hessian(p), auto_hess, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_input_kinds_and_shapes_come_back_as_they_went_in(name):
    s = SURFACES[name]
    p = _points(s, n=6)
    assert isinstance(s(p[0]), np.ndarray) and s(p[0]).shape == ()
    assert s(p).shape == (6,) and s.grad(p).shape == (6, 2) and s.hessian(p).shape == (6, 2, 2)
    grid = p.reshape(3, 2, 2)
    np.testing.assert_allclose(s(grid).reshape(-1), s(p))
    t32 = torch.tensor(p, dtype=torch.float32)
    assert s(t32).dtype == torch.float32 and s.grad(t32).dtype == torch.float32
    np.testing.assert_allclose(s(t32).numpy(), s(p), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s(p.tolist()), s(p))          # nested lists work like arrays


def test_bad_input_names_the_surface_and_the_fix():
    with pytest.raises(ValueError, match=r"SURFACES\['ravine'\].*shape \(2,\) or \(\.\.\., 2\)"):
        SURFACES["ravine"](np.zeros(3))
    with pytest.raises(ValueError, match=r"\.grad: argument 'w'"):
        SURFACES["convex"].grad(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="argument 'w'"):
        SURFACES["saddle"]("not numbers")
    with pytest.raises(ValueError, match="resolution"):
        SURFACES["saddle"].grid(1)


@pytest.mark.parametrize("name", NAMES)
def test_listed_minima_and_saddles_are_critical_points_of_the_right_kind(name):
    s = SURFACES[name]
    assert s.minima, "every surface knows at least one minimum"
    for p in s.minima:
        assert np.linalg.norm(s.grad(np.array(p))) < 1e-8
        assert np.all(np.linalg.eigvalsh(s.hessian(np.array(p))) > 0)
        # and nothing nearby is lower
        ring = np.array(p) + 0.05 * np.stack([np.cos(np.arange(16)), np.sin(np.arange(16))], axis=-1)
        assert np.all(s(ring) > s(np.array(p)))
    for p in s.saddles:
        assert np.linalg.norm(s.grad(np.array(p))) < 1e-8
    values = [float(s(np.array(p))) for p in s.minima]
    assert values == sorted(values), "minima are listed best first"


@pytest.mark.parametrize("name", NAMES)
def test_what_a_figure_needs_is_consistent(name):
    s = SURFACES[name]
    (x0, x1), (y0, y1) = s.domain
    inside = lambda p: x0 <= p[0] <= x1 and y0 <= p[1] <= y1  # noqa: E731
    assert all(inside(p) for p in s.minima) and all(inside(p) for p in s.starts.values())
    assert set(s.starts) == {"A", "B"} and list(s.learning_rates) == ["small", "medium", "large"]
    assert s.learning_rates["small"] < s.learning_rates["medium"] < s.learning_rates["large"]
    W1, W2, F = s.grid(11)
    assert W1.shape == W2.shape == F.shape == (11, 11) and np.all(np.isfinite(F))


# ------------------------------------------------------------------------------- defining properties
def test_convex_hessian_is_positive_semidefinite_everywhere():
    s = SURFACES["convex"]
    p = _points(s, n=500, seed=3, margin=2.0)
    assert np.all(np.linalg.eigvalsh(s.hessian(p)) >= 0)
    # and gradient descent from every start ends in the one minimum
    run = descend(s, p[:50], lr=s.learning_rates["medium"], steps=200)
    np.testing.assert_allclose(run.final, np.broadcast_to(s.minima[0], (50, 2)), atol=1e-6)


def test_local_minima_has_two_basins_of_different_depth():
    s = SURFACES["local-minima"]
    assert len(s.minima) >= 2
    values = sorted(float(s(np.array(p))) for p in s.minima)
    assert values[1] - values[0] > 0.3, "the shallow basin is clearly shallower"
    # gradient descent ends in whichever basin it starts in: both minima are reached from somewhere
    starts = _points(s, n=200, seed=4)
    ends = descend(s, starts, lr=0.2, steps=400).final
    reached = {int(np.argmin(np.linalg.norm(e - np.array(s.minima), axis=-1))) for e in ends}
    assert reached == set(range(len(s.minima)))


def test_saddle_has_zero_gradient_and_curvature_of_both_signs():
    s = SURFACES["saddle"]
    (p,) = s.saddles
    eig = np.linalg.eigvalsh(s.hessian(np.array(p)))
    assert eig.min() < 0 < eig.max()
    # batch gradient descent started on the stable direction walks into the saddle and stays there
    run = descend(s, s.starts["A"], lr=s.learning_rates["medium"], steps=200)
    np.testing.assert_allclose(run.final, p, atol=1e-8)
    # a little gradient noise lets it leave for a minimum
    noisy = descend(s, np.tile(s.starts["A"], (50, 1)), lr=0.3, steps=200, noise=0.3, seed=0)
    assert np.mean(np.abs(noisy.final[:, 1]) > 0.5) > 0.9


def test_plateau_gradient_is_tiny_over_a_wide_region():
    s = SURFACES["plateau"]
    p = _points(s, n=4000, seed=5)
    tiny = np.linalg.norm(s.grad(p), axis=-1) < 1e-3
    assert tiny.mean() > 0.5, "most of the plotted domain is flat"
    # but the hole is steep: on its wall the gradient is hundreds of times larger
    W1, W2, _ = s.grid(201)
    g = np.linalg.norm(s.grad(np.stack([W1, W2], axis=-1)), axis=-1)
    assert g.max() > 500 * 1e-3
    # and gradient descent from the plateau's far side does not move at all
    run = descend(s, s.starts["B"], lr=s.learning_rates["large"], steps=s.steps)
    assert np.linalg.norm(run.final - np.array(s.starts["B"])) < 0.01


def test_ravine_is_badly_conditioned():
    s = SURFACES["ravine"]
    eig = np.linalg.eigvalsh(s.hessian(np.array(s.minima[0])))
    assert eig.max() / eig.min() > 20
    # a learning rate just below 2 / lambda_max still zig-zags: successive steps point in opposite directions
    run = descend(s, s.starts["A"], lr=s.learning_rates["large"], steps=10)
    steps = np.diff(run.params, axis=0)
    assert np.all(np.sum(steps[1:] * steps[:-1], axis=-1) < 0)


def test_cliff_is_a_steep_wall_next_to_a_flat_region():
    s = SURFACES["cliff"]
    W1, W2, F = s.grid(281)
    g = np.linalg.norm(s.grad(np.stack([W1, W2], axis=-1)), axis=-1)
    flat = np.abs(W1) > 1.0
    assert g[~flat].max() > 15 * g[flat].max()
    assert F[W1 < -1].min() - F[W1 > 1].max() > 1.5, "the top of the wall is far above the flat region"
    # one step that lands on the face is thrown far away; clipping the gradient keeps it short
    face = np.array([0.05, 0.0])
    assert np.linalg.norm(s.grad(face)) > 10
    run = descend(s, face, lr=0.6, steps=1)
    assert np.linalg.norm(run.params[1] - face) > 5
    clipped = descend(s, face, lr=0.6, steps=1, clip=1.0)
    assert np.linalg.norm(clipped.params[1] - face) <= 0.6 + 1e-12


# ----------------------------------------------------------------------------------------------- figures
def test_plot_surface_and_plot_descent_draw_labelled_figures():
    ax = landscape.plot_surface("local-minima", resolution=31)
    assert ax.get_xlabel() == "w\u2081" and ax.get_ylabel() == "w\u2082"
    plt.close(ax.figure)
    fig = landscape.plot_descent("saddle", start="B", lr="large", optimiser="SGD (noisy gradient)")
    ax_map, ax_loss = fig.axes
    assert "saddle" in ax_map.get_title() and "SGD" in ax_map.get_title()
    assert ax_loss.get_yscale() == "log" and ax_loss.get_xlabel() == "step t"
    plt.close(fig)
    with pytest.raises(ValueError, match="plot_descent: argument 'lr' got 'huge'"):
        landscape.plot_descent("convex", lr="huge")
    with pytest.raises(ValueError, match="expected one of"):
        landscape.plot_descent("volcano")


def test_plot_descent_reports_a_diverged_run():
    class TooSteep(landscape.Convex):
        learning_rates = {"small": 0.1, "medium": 0.8, "large": 5.0}    # 5 > 2 / 1.25: diverges

    fig = landscape.plot_descent(TooSteep(), start="A", lr="large")
    title = fig.axes[1].get_title()
    plt.close(fig)
    assert title.endswith("diverged")
    fig = landscape.plot_descent(TooSteep(), start="A", lr="medium")
    assert "final f − f_min" in fig.axes[1].get_title()
    plt.close(fig)


def test_plot_descent_titles_and_draws_the_loss_above_the_minimum():
    """The title prints what the axis shows, f - f_min: a run stuck at the saddle is 0.25 above the minima;
    a converged run is drawn far below 1e-6 (the old floor), not as a plateau."""
    fig = landscape.plot_descent("saddle", start="A", lr="medium")
    assert fig.axes[1].get_title().endswith("final f − f_min = 0.25")
    plt.close(fig)
    fig = landscape.plot_descent("convex", start="A", lr="medium")
    line = fig.axes[1].get_lines()[0].get_ydata()
    assert line.min() < 1e-9 and "floor" in fig.axes[1].get_ylabel()
    plt.close(fig)


def test_descent_explorer_offers_every_surface_start_rate_and_optimiser():
    view = landscape.descent_explorer()
    assert len(view.combinations()) == 6 * 2 * 3 * 2
    assert list(view.params["surface"].values) == NAMES
    assert set(view.params["optimiser"].values) == set(landscape.OPTIMISERS)


# ------------------------------------------------------------------------------- slices through a network
def _net(seed=0, bias=True):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 16, bias=bias), torch.nn.ReLU(), torch.nn.Linear(16, 3, bias=bias))


def _data(seed=0, n=60):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_random_directions_are_filter_normalised():
    net = _net()
    delta, eta = random_directions(net, seed=0)
    for d in (delta, eta):
        assert [t.shape for t in d] == [p.shape for p in net.parameters()]
        torch.testing.assert_close(d[0].norm(dim=1), net[0].weight.detach().norm(dim=1))
        torch.testing.assert_close(d[2].norm(dim=1), net[2].weight.detach().norm(dim=1))
        assert torch.count_nonzero(d[1]) == 0 and torch.count_nonzero(d[3]) == 0, "biases are not perturbed"
    assert not torch.allclose(delta[0], eta[0]), "two different directions"


def test_random_directions_for_convolutions_normalise_each_output_channel():
    conv = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.ReLU())
    (d, b), _ = random_directions(conv, seed=1)
    torch.testing.assert_close(d.flatten(1).norm(dim=1), conv[0].weight.detach().flatten(1).norm(dim=1))


def test_random_directions_options_and_seeds():
    net = _net()
    a, _ = random_directions(net, seed=3)
    b, _ = random_directions(net, seed=3)
    c, _ = random_directions(net, seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])
    raw, _ = random_directions(net, seed=3, filter_normalize=False)
    assert torch.count_nonzero(raw[1]) == raw[1].numel(), "without filter normalisation biases move too"
    copied, _ = random_directions(net, seed=3, bias="copy")
    torch.testing.assert_close(copied[1], net[0].bias.detach())
    with pytest.raises(ValueError, match="bias"):
        random_directions(net, seed=0, bias="keep")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        random_directions([torch.zeros(3)], seed=0)


def test_loss_surface_2d_evaluates_the_shifted_model_and_leaves_it_untouched():
    net = _net()
    before = copy.deepcopy(net.state_dict())
    X, y = _data()
    directions = random_directions(net, seed=0)
    net.train()
    surface = loss_surface_2d(net, torch.nn.functional.cross_entropy, (X, y), directions, span=0.5, resolution=5)
    assert surface.loss.shape == (5, 5) and net.training, "training mode is restored"
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    with torch.no_grad():
        torch.testing.assert_close(surface.centre, torch.nn.functional.cross_entropy(net(X), y).item())
        # one corner by hand: alpha = +0.5 (last column), beta = -0.5 (first row)
        moved = copy.deepcopy(net)
        for p, d, e in zip(moved.parameters(), *directions):
            p.add_(0.5 * d - 0.5 * e)
        expected = torch.nn.functional.cross_entropy(moved(X), y).item()
    assert surface.loss[0, -1] == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(surface.alpha, np.linspace(-0.5, 0.5, 5))
    alpha, beta, loss = surface                      # unpacks, and is the loss grid as an array
    assert loss is surface.loss and np.asarray(surface).shape == surface.shape == (5, 5)


def test_filter_normalised_slices_do_not_see_a_rescaling_that_leaves_the_function_unchanged():
    """The point of Li et al.'s normalisation: scale layer 1 by 10 and layer 2 by 1/10 (ReLU is positively
    homogeneous, so the network computes the same function); the filter-normalised slice is the same, the raw
    one is not."""
    net = _net(seed=2)
    scaled = copy.deepcopy(net)
    with torch.no_grad():
        scaled[0].weight.mul_(10)
        scaled[0].bias.mul_(10)
        scaled[2].weight.div_(10)
    X, y = _data(seed=2)
    loss = torch.nn.functional.cross_entropy
    same = [loss_surface_2d(m, loss, (X, y), random_directions(m, seed=5), span=1.0, resolution=7).loss
            for m in (net, scaled)]
    np.testing.assert_allclose(same[0], same[1], rtol=1e-4)
    raw = [loss_surface_2d(m, loss, (X, y), random_directions(m, seed=5, filter_normalize=False),
                           span=1.0, resolution=7).loss for m in (net, scaled)]
    assert np.abs(raw[0] - raw[1]).max() > 0.1


def test_loss_surface_2d_rejects_mismatched_directions_and_bad_arguments():
    net = _net()
    other = torch.nn.Linear(5, 3)
    data = _data()
    loss = torch.nn.functional.cross_entropy
    with pytest.raises(ValueError, match="does not match the model's parameters"):
        loss_surface_2d(net, loss, data, random_directions(other, seed=0))
    with pytest.raises(TypeError, match="pair \\(X, y\\)"):
        loss_surface_2d(net, loss, data[0], random_directions(net, seed=0))
    with pytest.raises(ValueError, match="span"):
        loss_surface_2d(net, loss, data, random_directions(net, seed=0), span=0)
    with pytest.raises(ValueError, match="resolution"):
        loss_surface_2d(net, loss, data, random_directions(net, seed=0), resolution=1)


def test_loss_surface_plot_draws_the_slice_with_its_own_or_given_levels():
    net = _net()
    surface = loss_surface_2d(net, torch.nn.functional.cross_entropy, _data(), random_directions(net, seed=0),
                              resolution=7)
    ax = surface.plot(title="a slice")
    assert ax.get_title() == "a slice" and "first direction" in ax.get_xlabel()
    plt.close(ax.figure)
    levels = np.geomspace(0.1, 10.0, 9)
    ax = surface.plot(levels=levels)
    np.testing.assert_allclose(ax.collections[0].levels, levels)
    plt.close(ax.figure)


def test_loss_surface_plot_has_a_labelled_colour_bar_ticked_at_levels():
    net = _net()
    surface = loss_surface_2d(net, torch.nn.functional.cross_entropy, _data(), random_directions(net, seed=0),
                              resolution=7)
    levels = np.geomspace(0.1, 10.0, 11)
    ax = surface.plot(levels=levels, colorbar="cross-entropy loss")
    bars = [other for other in ax.figure.axes if other is not ax]
    assert len(bars) == 1 and bars[0].get_ylabel() == "cross-entropy loss"
    ticks = bars[0].get_yticks()
    assert 3 <= len(ticks) <= 7 and set(np.round(ticks, 9)) <= set(np.round(levels, 9))
    assert [t.get_text() for t in bars[0].get_yticklabels()][:2] == ["0.1", "0.251"]
    plt.close(ax.figure)
    ax = surface.plot(colorbar=None)
    assert ax.figure.axes == [ax]
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="colorbar"):
        surface.plot(colorbar=True)
