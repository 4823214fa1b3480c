"""nbcourse.descent: batch, stochastic and mini-batch gradient descent and the line model.

Its figures (the line model's landscape, the interactive example) are tested in tests/figures/test_descent.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nbcourse.data import make_duplicated, make_line
from nbcourse.descent import LineCost, annealed_lr, descend, growing_batch_size, minibatch_descent
from nbcourse.landscape import SURFACES


def _cost(m=48, seed=0):
    return LineCost(*make_line(m, seed=seed))


def _torch_cost(params, x, y):
    """J(w, b) written with torch: the reference for LineCost."""
    w, b = params[..., 0:1], params[..., 1:2]
    return (0.5 * (y - w * x - b) ** 2).mean(dim=-1)


class _LineCostFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, params, cost):
        ctx.save_for_backward(params)
        ctx.cost = cost
        return torch.from_numpy(np.asarray(cost(params.detach().numpy())))

    @staticmethod
    def backward(ctx, grad_out):
        (params,) = ctx.saved_tensors
        return grad_out[..., None] * torch.from_numpy(ctx.cost.grad(params.detach().numpy())), None


# --------------------------------------------------------------------------------------------- LineCost
def test_line_cost_matches_torch_and_its_gradient_passes_gradcheck():
    x, y = make_line(30, seed=1)
    cost = LineCost(x, y)
    params = torch.randn(7, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2
    torch.testing.assert_close(torch.from_numpy(cost(params.numpy())), _torch_cost(params, x, y), rtol=1e-12, atol=1e-12)
    p = params.clone().requires_grad_()
    (auto,) = torch.autograd.grad(_torch_cost(p, x, y).sum(), p)
    torch.testing.assert_close(torch.from_numpy(cost.grad(params.numpy())), auto, rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(lambda q: _LineCostFn.apply(q, cost), (params.clone().requires_grad_(),))
    hess = torch.autograd.functional.hessian(lambda q: _torch_cost(q, x, y), params[0])
    torch.testing.assert_close(torch.from_numpy(cost.hessian()), hess)


def test_the_mean_of_the_per_sample_gradients_is_the_batch_gradient():
    cost = _cost(100, seed=2)
    params = np.array([[0.3, -1.0], [2.0, 1.0]])
    per_sample = cost.per_sample_grad(params)
    assert per_sample.shape == (2, 100, 2)
    np.testing.assert_allclose(per_sample.mean(axis=-2), cost.grad(params), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(cost.per_sample(params).mean(axis=-1), cost(params), rtol=1e-12)
    # a mini-batch: the mean over its samples only
    idx = np.array([3, 7, 7, 50])
    np.testing.assert_allclose(cost.grad(params, index=idx), per_sample[:, idx].mean(axis=-2), rtol=1e-13)


def test_line_cost_minimum_is_the_least_squares_fit():
    x, y = make_line(200, seed=3)
    cost = LineCost(x, y)
    A = torch.stack([x, torch.ones_like(x)], dim=1)
    ref = torch.linalg.lstsq(A, y[:, None]).solution[:, 0].numpy()
    np.testing.assert_allclose(cost.solution, ref, rtol=1e-10)
    assert np.linalg.norm(cost.grad(cost.solution)) < 1e-12
    # its Hessian is positive definite: J is a convex bowl
    assert np.all(np.linalg.eigvalsh(cost.hessian()) > 0)


def test_line_cost_accepts_a_grid_and_column_vectors_and_rejects_bad_data():
    x, y = make_line(20, seed=4)
    cost = LineCost(x[:, None], y.numpy())
    W, B = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(0, 2, 3))
    grid = np.stack([W, B], axis=-1)
    assert cost(grid).shape == (3, 4) and cost.grad(grid).shape == (3, 4, 2)
    assert cost.m == 20 and repr(cost) == "LineCost(m=20)"
    with pytest.raises(ValueError, match="'x' has 3 samples but 'y' has 2"):
        LineCost([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        LineCost([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        LineCost(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(IndexError, match="only 20 samples"):
        cost.grad((0.0, 0.0), index=[25])


# ------------------------------------------------------------------------------------------------ descend
def test_descend_is_plain_gradient_descent():
    s = SURFACES["convex"]
    run = descend(s, (-2.5, 2.0), lr=0.1, steps=3)
    w = np.array([-2.5, 2.0])
    for t in range(3):
        w = w - 0.1 * s.grad(w)
        np.testing.assert_allclose(run.params[t + 1], w)
    np.testing.assert_allclose(run.loss, s(run.params))
    assert run.steps == 3 and run.lr.tolist() == [0.1] * 3 and run.evaluations.tolist() == [0, 1, 2, 3]
    assert run.diverged is False


def test_descend_takes_a_schedule_and_runs_many_starts_side_by_side():
    s = SURFACES["ravine"]
    schedule = lambda t: annealed_lr(t, lr=0.3, tau=5)  # noqa: E731
    run = descend(s, (-2.0, 1.0), lr=schedule, steps=20)
    np.testing.assert_allclose(run.lr, [schedule(t) for t in range(20)])
    starts = np.array([[-2.0, 1.0], [2.0, -1.0], [0.0, 1.5]])
    together = descend(s, starts, lr=0.3, steps=15)
    assert together.params.shape == (16, 3, 2) and together.diverged.shape == (3,)
    for k in range(3):
        np.testing.assert_allclose(together.params[:, k], descend(s, starts[k], lr=0.3, steps=15).params)


def test_descend_noise_is_seeded_and_zero_noise_is_batch_descent():
    s = SURFACES["local-minima"]
    a = descend(s, (-2.5, -2.2), lr=0.5, steps=30, noise=1.0, seed=7)
    b = descend(s, (-2.5, -2.2), lr=0.5, steps=30, noise=1.0, seed=7)
    c = descend(s, (-2.5, -2.2), lr=0.5, steps=30, noise=1.0, seed=8)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.allclose(a.params, c.params)
    np.testing.assert_array_equal(descend(s, (-2.5, -2.2), lr=0.5, steps=30, noise=0.0, seed=7).params,
                                  descend(s, (-2.5, -2.2), lr=0.5, steps=30).params)


def test_noise_helps_escape_the_shallow_basin():
    """The lecture: batch descent keeps the basin it starts in; the noise of stochastic descent can carry it into
    the deeper one."""
    s = SURFACES["local-minima"]
    deep, shallow = np.array(s.minima[0]), np.array(s.minima[1])
    start = np.tile(s.starts["A"], (200, 1))
    batch = descend(s, start, lr=0.5, steps=200)
    assert np.allclose(batch.final, shallow, atol=1e-6), "every batch run stays in the shallow basin"
    noisy = descend(s, start, lr=0.5, steps=200, noise=1.0, seed=0)
    in_deep = np.linalg.norm(noisy.final - deep, axis=-1) < np.linalg.norm(noisy.final - shallow, axis=-1)
    assert 0.3 < in_deep.mean() < 1.0


def test_descend_marks_divergence_and_ends_the_path():
    s = SURFACES["convex"]
    run = descend(s, (2.0, 2.0), lr=5.0, steps=100)
    assert run.diverged is True
    first_nan = int(np.argmax(np.isnan(run.params[:, 0])))
    assert 0 < first_nan < 100 and np.all(np.isnan(run.params[first_nan:])) and np.all(np.isnan(run.loss[first_nan:]))
    # side by side, only the run that diverges ends: one started in the minimum stays there
    several = descend(s, np.array([[2.0, 2.0], s.minima[0]]), lr=5.0, steps=100)
    assert several.diverged.tolist() == [True, False]
    np.testing.assert_allclose(several.params[:, 1], np.broadcast_to(s.minima[0], (101, 2)))


def test_descend_clips_the_gradient():
    s = SURFACES["cliff"]
    run = descend(s, (0.05, 0.0), lr=0.5, steps=5, clip=0.4)
    assert np.all(np.linalg.norm(np.diff(run.params, axis=0), axis=-1) <= 0.5 * 0.4 + 1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0, steps=3), "'lr' got"),
    (dict(lr=0.1, steps=-1), "'steps' got"),
    (dict(lr=0.1, steps=3, noise=-0.1), "'noise' got"),
    (dict(lr=0.1, steps=3, clip=0.0), "'clip' got"),
])
def test_descend_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        descend(SURFACES["convex"], (0.0, 0.0), **kwargs)


def test_descend_rejects_a_bad_start_or_objective():
    with pytest.raises(ValueError, match="'start'"):
        descend(SURFACES["convex"], (0.0, 0.0, 1.0), lr=0.1, steps=1)
    with pytest.raises(TypeError, match="'objective'"):
        descend(lambda w: w, (0.0, 0.0), lr=0.1, steps=1)


# --------------------------------------------------------------------------------------------- schedules
def test_annealed_lr_is_the_one_over_t_schedule():
    assert annealed_lr(0, lr=0.5, tau=10) == 0.5
    assert annealed_lr(10, lr=0.5, tau=10) == pytest.approx(0.25)
    assert annealed_lr(990, lr=0.5, tau=10) == pytest.approx(0.005)
    ts = np.arange(1, 10_000)
    rates = np.array([annealed_lr(t, lr=1.0, tau=1) for t in ts])
    np.testing.assert_allclose(rates * (1 + ts), 1.0)            # decays like 1/t
    with pytest.raises(ValueError, match="tau"):
        annealed_lr(3, lr=0.1, tau=0)
    with pytest.raises(ValueError, match="'lr'"):
        annealed_lr(3, lr=0.0, tau=5)


def test_growing_batch_size_doubles_up_to_its_limit():
    sizes = [growing_batch_size(t, initial=1, every=5, limit=20) for t in range(40)]
    assert sizes[:5] == [1] * 5 and sizes[5:10] == [2] * 5 and sizes[20] == 16 and max(sizes) == 20
    assert sizes == sorted(sizes)
    with pytest.raises(ValueError, match="'every'"):
        growing_batch_size(1, initial=1, every=0, limit=4)


# ------------------------------------------------------------------------------------ minibatch_descent
def test_full_batch_descent_equals_descend_on_the_cost():
    cost = _cost()
    a = minibatch_descent(cost, (0.0, 0.0), lr=0.3, batch_size=None, steps=40)
    b = descend(cost, (0.0, 0.0), lr=0.3, steps=40)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12, atol=1e-12)
    assert a.evaluations.tolist() == [cost.m * t for t in range(41)]
    # and it reaches the least-squares fit
    c = minibatch_descent(cost, (0.0, 0.0), lr=0.5, batch_size=None, steps=400)
    np.testing.assert_allclose(c.final, cost.solution, atol=1e-8)


def test_a_stochastic_step_follows_one_sample():
    cost = _cost(10)
    run = minibatch_descent(cost, (0.5, 0.5), lr=0.1, batch_size=1, steps=1, seed=3)
    first = np.random.default_rng(3).permutation(10)[0]
    np.testing.assert_allclose(run.params[1], np.array([0.5, 0.5]) - 0.1 * cost.grad((0.5, 0.5), index=[first]))


def test_every_sample_is_seen_once_per_epoch():
    """With x = 0 the gradient of sample i only moves b, by lr * (b - y_i): with lr tiny, the sum of the steps over an
    epoch tells which samples were used."""
    m = 12
    y = 2.0 ** np.arange(m)                      # distinct powers: their sum identifies the set
    cost = LineCost(np.zeros(m), y)
    run = minibatch_descent(cost, (0.0, 0.0), lr=1e-9, batch_size=4, epochs=1, seed=0)
    moved = (run.final[1] - 0.0) / 1e-9 * 4        # each step adds lr * mean(y_batch) = lr * sum / 4
    assert run.steps == 3 and moved == pytest.approx(y.sum(), rel=1e-6)


def test_batch_size_m_is_exactly_batch_descent_whatever_the_seed():
    """Batch size m (given as m or as None) takes the very steps of descend, to the last bit."""
    cost = _cost(48)
    reference = descend(cost, (-1.5, 2.0), lr=0.3, steps=60)
    for batch_size, seed in ((cost.m, 0), (cost.m, 7), (None, 3)):
        run = minibatch_descent(cost, (-1.5, 2.0), lr=0.3, batch_size=batch_size, steps=60, seed=seed)
        np.testing.assert_array_equal(run.params, reference.params)


@pytest.mark.parametrize("batch_size", [1, 5, 7, 24, 47, 48])
def test_every_batch_size_sees_each_sample_once_per_epoch(batch_size):
    """Powers of two as targets (x = 0): each step moves b by lr * mean(y over the batch), so the batch sizes and
    the sums identify which samples each epoch used. No batch may straddle two epochs."""
    m = 12 if batch_size < 12 else 48
    y = 2.0 ** np.arange(m)
    cost = LineCost(np.zeros(m), y)
    lr = 1e-30                                      # b stays ~0: each step adds lr * mean(y over the batch)
    run = minibatch_descent(cost, (0.0, 0.0), lr=lr, batch_size=batch_size, epochs=3, seed=1)
    # the epochs split the batch sizes: full batches then one smaller remainder per epoch
    per_epoch = [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    assert run.batch_sizes.tolist() == per_epoch * 3
    assert run.evaluations[-1] == 3 * m
    sums = np.diff(run.params[:, 1]) / lr * run.batch_sizes       # the sum of y over each batch
    ends = np.cumsum(per_epoch * 3)
    for epoch in range(3):
        used = sums[(ends > epoch * m) & (ends <= (epoch + 1) * m)].sum()
        assert used == pytest.approx(y.sum(), rel=1e-9)           # every sample once: the sum of all 2**i


def test_a_growing_batch_becomes_batch_descent_and_settles():
    """The "grow the batch" run of the batch-versus-stochastic page: once S reaches m, the steps are batch
    steps, and the distance to the minimum shrinks (it used to grow when batches straddled epochs)."""
    cost = _cost(144, seed=1)
    run = minibatch_descent(cost, (-1.0, 2.0), lr=0.3, steps=3000, seed=0,
                            batch_size=lambda t: growing_batch_size(t, initial=1, every=300, limit=cost.m))
    assert np.all(run.batch_sizes[-599:] == cost.m)          # (one remainder batch ends the epoch before)
    dist = np.linalg.norm(run.params - cost.solution, axis=-1)
    assert np.all(np.diff(dist[-599:]) <= 1e-15)
    # and from the moment S = m, the run is descend started where it was
    t0 = int(np.argmax(run.batch_sizes == cost.m))
    rest = descend(cost, run.params[t0], lr=0.3, steps=run.steps - t0)
    np.testing.assert_allclose(run.params[t0:], rest.params, rtol=0, atol=1e-15)


def test_epochs_steps_and_evaluations():
    cost = _cost(48)
    assert minibatch_descent(cost, (0.0, 0.0), lr=0.1, batch_size=24, epochs=2).steps == 4
    run = minibatch_descent(cost, (0.0, 0.0), lr=0.1, batch_size=1, epochs=1.5)
    assert run.steps == 72 and run.evaluations[-1] == 72 and np.all(run.batch_sizes == 1)
    grow = minibatch_descent(cost, (0.0, 0.0), lr=0.1, steps=30,
                             batch_size=lambda t: growing_batch_size(t, initial=1, every=10, limit=48))
    # the epoch's last batch holds the 2 samples left of 48, then the next epoch starts
    assert grow.batch_sizes.tolist() == [1] * 10 + [2] * 10 + [4] * 4 + [2] + [4] * 5
    assert grow.evaluations[-1] == 68
    with pytest.raises(ValueError, match="exactly one of 'steps' and 'epochs'"):
        minibatch_descent(cost, (0.0, 0.0), lr=0.1, batch_size=1)
    with pytest.raises(ValueError, match="only 48 samples"):
        minibatch_descent(cost, (0.0, 0.0), lr=0.1, batch_size=100, steps=1)
    with pytest.raises(TypeError, match="LineCost"):
        minibatch_descent(SURFACES["convex"], (0.0, 0.0), lr=0.1, batch_size=1, steps=1)


def test_shuffling_is_seeded():
    cost = _cost()
    a = minibatch_descent(cost, (0.0, 0.0), lr=0.2, batch_size=1, steps=50, seed=1)
    b = minibatch_descent(cost, (0.0, 0.0), lr=0.2, batch_size=1, steps=50, seed=1)
    c = minibatch_descent(cost, (0.0, 0.0), lr=0.2, batch_size=1, steps=50, seed=2)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.allclose(a.params, c.params)


def test_sgd_on_ten_copies_gets_there_with_a_tenth_of_the_gradient_evaluations():
    """The lecture's thought experiment: ten copies of 100 samples."""
    x, y = make_duplicated(*make_line(100, seed=0), copies=10)
    cost = LineCost(x, y)
    target = 1.1 * cost(cost.solution)
    budget = 20 * cost.m                                       # per-sample gradient evaluations
    batch = minibatch_descent(cost, (-1.0, 2.0), lr=0.5, batch_size=None, steps=budget // cost.m)
    sgd = minibatch_descent(cost, (-1.0, 2.0), lr=0.05, batch_size=1, steps=budget)
    first_batch = batch.evaluations[np.argmax(batch.loss < target)] if np.any(batch.loss < target) else np.inf
    first_sgd = sgd.evaluations[np.argmax(sgd.loss < target)]
    assert first_sgd * 5 < first_batch


def test_annealing_and_growing_batches_calm_sgd_near_the_minimum():
    cost = _cost(144, seed=1)
    dist = lambda run: np.linalg.norm(run.params[-200:] - cost.solution, axis=-1).mean()  # noqa: E731
    kw = dict(steps=3000, seed=0)
    constant = minibatch_descent(cost, (-1.0, 2.0), lr=0.3, batch_size=1, **kw)
    annealed = minibatch_descent(cost, (-1.0, 2.0), lr=lambda t: annealed_lr(t, lr=0.3, tau=100), batch_size=1, **kw)
    growing = minibatch_descent(cost, (-1.0, 2.0), lr=0.3, **kw,
                                batch_size=lambda t: growing_batch_size(t, initial=1, every=300, limit=144))
    assert dist(annealed) < dist(constant) / 3
    assert dist(growing) < dist(constant) / 3
