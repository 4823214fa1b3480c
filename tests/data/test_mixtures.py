"""nbcourse.data.mixtures: the ring and grid mixtures, seeded sampling, the density, mode coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nbcourse.data.mixtures import Coverage, Mixture, grid, mode_coverage, ring


def test_ring_means_lie_on_the_circle_evenly_spaced():
    m = ring(8, radius=2.0, std=0.1)
    assert m.means.shape == (8, 2) and m.n_modes == 8 and m.std == 0.1
    assert torch.allclose(m.means.norm(dim=1), torch.full((8,), 2.0))
    angles = torch.atan2(m.means[:, 1], m.means[:, 0]).double()
    steps = torch.diff(torch.remainder(angles, 2 * math.pi))
    assert torch.allclose(steps, torch.full((7,), 2 * math.pi / 8, dtype=torch.float64), atol=1e-6)


def test_grid_is_centred_and_spaced():
    m = grid(5, spacing=2.0)
    assert m.n_modes == 25
    assert torch.allclose(m.means.mean(dim=0), torch.zeros(2))
    assert sorted(set(m.means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_sampling_is_seeded_and_has_the_mixture_statistics():
    m = ring(8, radius=2.0, std=0.05)
    a, la = m.sample(4000, seed=3, return_labels=True)
    b = m.sample(4000, seed=3)
    assert a.dtype == torch.float32 and torch.equal(a, b)
    assert not torch.equal(a, m.sample(4000, seed=4))
    counts = torch.bincount(la, minlength=8)
    assert counts.min() > 400 and counts.max() < 600           # 500 each expected
    resid = a - m.means[la]
    assert abs(resid.std().item() - 0.05) < 0.003
    # a generator gives a fresh batch each call, and the same stream as a seed would
    g = torch.Generator().manual_seed(3)
    first, second = m.sample(10, generator=g), m.sample(10, generator=g)
    assert torch.equal(first, m.sample(10, seed=3)) and not torch.equal(first, second)


def test_log_density_matches_a_direct_sum_and_integrates_to_one():
    m = ring(3, radius=1.0, std=0.3)
    x = torch.tensor([[0.1, 0.2], [1.0, 0.0], [5.0, 5.0]], dtype=torch.float64)
    direct = sum(torch.exp(-((x - mu.double()) ** 2).sum(1) / (2 * 0.09)) / (2 * math.pi * 0.09) for mu in m.means) / 3
    assert torch.allclose(m.log_density(x).exp(), direct)
    assert torch.isfinite(m.log_density(torch.tensor([[1e3, 1e3]]))).all()   # far away: finite, not -inf
    xs = torch.linspace(-3, 3, 301, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, xs, indexing="ij")
    mass = m.log_density(torch.stack([X.flatten(), Y.flatten()], 1)).exp().sum() * (xs[1] - xs[0]) ** 2
    assert abs(mass.item() - 1.0) < 1e-3


def test_samples_of_the_mixture_cover_every_mode():
    for m in (ring(8), grid(5)):
        c = mode_coverage(m.sample(2000, seed=0), m)
        assert isinstance(c, Coverage) and c.modes == m.n_modes == c.n_modes
        assert c.high_quality > 0.98                  # 3 sigma in 2-d holds 98.9%
        assert sum(c.counts) == round(c.high_quality * 2000)


def test_a_collapsed_generator_covers_few_modes():
    m = ring(8, std=0.05)
    X, labels = m.sample(1000, seed=1, return_labels=True)
    two = X[labels < 2]
    c = mode_coverage(two, m)
    assert c.modes == 2 and c.counts[2:] == [0] * 6
    # a few stray samples on a third mode do not make it covered (min_share), but one is enough with 0
    strays = torch.cat([two, m.means[5:6].repeat(3, 1)])
    assert mode_coverage(strays, m).modes == 2
    assert mode_coverage(strays, m, min_share=0.0).modes == 3


def test_samples_between_modes_are_not_high_quality():
    m = ring(8, radius=2.0, std=0.05)
    between = torch.zeros(100, 2)                          # the centre of the ring: far from every mode
    c = mode_coverage(between, m)
    assert c.modes == 0 and c.high_quality == 0.0
    blurred = m.sample(1000, seed=0) + 0.5 * torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    assert mode_coverage(blurred, m).high_quality < 0.3
    # n_sigma widens "high quality"
    assert mode_coverage(blurred, m, n_sigma=20).high_quality > mode_coverage(blurred, m).high_quality


def test_coverage_accepts_arrays_and_counts_nans_as_bad():
    m = ring(4, radius=1.0, std=0.1)
    X = np.array([[1.0, 0.0], [np.nan, 0.0], [0.0, 1.0], [0.0, -1.0]])
    c = mode_coverage(X, m, min_share=0.0)
    assert c.modes == 3 and c.high_quality == 0.75
    assert "3/4 modes" in str(c)
    assert mode_coverage(torch.zeros(0, 2), m).modes == 0


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="n_modes"):
        ring(0)
    with pytest.raises(ValueError, match="std"):
        ring(8, std=-1.0)
    with pytest.raises(ValueError, match="spacing"):
        grid(5, spacing=0)
    with pytest.raises(ValueError, match=r"samples.*\(N, 2\)"):
        mode_coverage(torch.zeros(5, 3), ring())
    with pytest.raises(TypeError, match="mixture"):
        mode_coverage(torch.zeros(5, 2), "ring")
    with pytest.raises(ValueError, match="min_share"):
        mode_coverage(torch.zeros(5, 2), ring(), min_share=2)
    with pytest.raises(ValueError, match="seed.*generator"):
        ring().sample(3, seed=0, generator=torch.Generator())
    with pytest.raises(ValueError, match="means"):
        Mixture(torch.zeros(3), 0.1)
