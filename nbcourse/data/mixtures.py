r"""Two-dimensional mixtures of Gaussians, the standard test bed of GANs, and how many of their modes a
generator covers.

A mixture of :math:`K` isotropic Gaussians with equal weights, means :math:`\mu_k` and one standard
deviation :math:`\sigma`:

.. math::
    p(x) = \frac{1}{K} \sum_{k=1}^{K} \mathcal{N}\!\left(x;\ \mu_k,\ \sigma^2 I\right)

- :func:`ring` puts the means on a circle (8 on a ring of radius 2 is the usual choice, Metz et al.
  2017), :func:`grid` on a square grid (5x5).
- :meth:`Mixture.sample` draws seeded samples; :meth:`Mixture.log_density` evaluates :math:`\log p(x)`.
- :func:`mode_coverage` measures what a generator's samples cover: a sample is *high quality* when it
  lies within ``n_sigma`` standard deviations (3 by default) of its nearest mean; a mode is *covered*
  when it holds at least a share of the high-quality samples (by default a tenth of the share a
  uniform spread would give it). A generator that has collapsed onto two modes scores 2 of 8, however
  good each of its samples is.

Examples::

    >>> mixture = ring(8, radius=2.0, std=0.05)
    >>> X = mixture.sample(1000, seed=0)
    >>> X.shape
    torch.Size([1000, 2])
    >>> mode_coverage(X, mixture).modes
    8
    >>> mode_coverage(X[mixture.assign(X) < 2], mixture).modes    # only the samples of modes 0 and 1
    2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

__all__ = ["Mixture", "Coverage", "ring", "grid", "mode_coverage"]


def _positive(value, name, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: argument '{name}' got {value!r}, expected a positive number")
    return float(value)


def _count(value, name, where, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: argument '{name}' got {value!r}, expected an integer >= {minimum}")
    return value


def _points(x, where, name="samples") -> torch.Tensor:
    t = torch.as_tensor(x)
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(f"{where}: argument '{name}' got shape {tuple(t.shape)}, expected (N, 2): one 2-d point per row")
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    return t


@dataclass(frozen=True)
class Mixture:
    r"""An equal-weight mixture of isotropic 2-d Gaussians.

    Args:
        means: the :math:`K` means, shape :math:`(K, 2)`.
        std: the standard deviation :math:`\sigma` of every component (in the units of the plane).

    Build one with :func:`ring` or :func:`grid`.
    """

    means: torch.Tensor
    std: float

    def __post_init__(self):
        means = _points(self.means, "Mixture", "means")
        if len(means) == 0:
            raise ValueError("Mixture: argument 'means' is empty, expected at least one mean")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "std", _positive(self.std, "std", "Mixture"))

    @property
    def n_modes(self) -> int:
        """The number of components :math:`K`."""
        return len(self.means)

    def sample(self, n: int, *, seed: int | None = None, generator: torch.Generator | None = None,
               return_labels: bool = False):
        r"""``n`` samples: a component :math:`k` uniformly, then :math:`\mu_k + \sigma\,\varepsilon`.

        Args:
            n: number of samples.
            seed: seed of the draw (same seed, same samples). Give ``seed`` or ``generator``, not both.
            generator: a ``torch.Generator`` to draw from (a training loop keeps one and draws a
                fresh batch each step). With neither, torch's global generator.
            return_labels: also return each sample's component (int64, shape :math:`(n,)`).

        Returns:
            a float32 tensor of shape :math:`(n, 2)` (and the labels).
        """
        _count(n, "n", "Mixture.sample", minimum=0)
        if seed is not None and generator is not None:
            raise ValueError("Mixture.sample: give 'seed' or 'generator', not both")
        if seed is not None:
            generator = torch.Generator().manual_seed(seed)
        labels = torch.randint(self.n_modes, (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        X = self.means.float()[labels] + self.std * noise
        return (X, labels) if return_labels else X

    def log_density(self, x) -> torch.Tensor:
        r""":math:`\log p(x)` for each row of ``x`` (shape :math:`(N, 2)` in, :math:`(N,)` out), computed with
        a log-sum-exp so that points far from every mode get a finite value."""
        x = _points(x, "Mixture.log_density", "x")
        means = self.means.to(x.dtype)
        d2 = torch.cdist(x, means).pow(2)                                      # (N, K)
        log_components = -d2 / (2 * self.std ** 2) - math.log(2 * math.pi * self.std ** 2)
        return torch.logsumexp(log_components, dim=1) - math.log(self.n_modes)

    def assign(self, x) -> torch.Tensor:
        """The index of the nearest mean of each row of ``x`` (int64, shape :math:`(N,)`)."""
        x = _points(x, "Mixture.assign", "x")
        return torch.cdist(x, self.means.to(x.dtype)).argmin(dim=1)


def ring(n_modes: int = 8, *, radius: float = 2.0, std: float = 0.05) -> Mixture:
    r"""``n_modes`` Gaussians with means evenly spaced on a circle of radius ``radius``, the first at
    :math:`(r, 0)`.

    Examples::

        >>> ring(4, radius=1.0).means
        tensor([[ 1.,  0.],
                [ 0.,  1.],
                [-1.,  0.],
                [ 0., -1.]])
    """
    _count(n_modes, "n_modes", "ring")
    radius = _positive(radius, "radius", "ring")
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    means[means.abs() < 1e-12] = 0.0          # cos(pi/2) is 6e-17, not 0: print (0, 1), not (6e-17, 1)
    means = means.float()
    return Mixture(means, std)


def grid(side: int = 5, *, spacing: float = 2.0, std: float = 0.05) -> Mixture:
    r"""``side`` x ``side`` Gaussians on a square grid centred on the origin, ``spacing`` apart.

    Examples::

        >>> m = grid(5, spacing=2.0)
        >>> m.n_modes, m.means.min().item(), m.means.max().item()
        (25, -4.0, 4.0)
    """
    _count(side, "side", "grid")
    spacing = _positive(spacing, "spacing", "grid")
    ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return Mixture(torch.stack([gx.flatten(), gy.flatten()], dim=1), std)


class Coverage(NamedTuple):
    """What :func:`mode_coverage` measured."""

    modes: int             #: the number of covered modes
    n_modes: int           #: the number of modes of the mixture
    high_quality: float    #: the fraction of samples within n_sigma standard deviations of their nearest mean
    counts: list           #: the high-quality samples each mode holds

    def __str__(self) -> str:
        return f"{self.modes}/{self.n_modes} modes covered, {100 * self.high_quality:.0f}% high-quality samples"


def mode_coverage(samples, mixture: Mixture, *, n_sigma: float = 3.0, min_share: float = 0.1) -> Coverage:
    r"""How many modes of ``mixture`` the ``samples`` cover, and how many samples are good.

    A sample is *high quality* when its distance to the nearest mean is at most
    :math:`n_\sigma \sigma`; mode :math:`k` is *covered* when at least
    :math:`\max(1, \lceil s\, N / K \rceil)` high-quality samples fall on it, with :math:`s` the
    ``min_share`` of a uniform spread's :math:`N/K` (so a few stray samples do not count as a mode).
    Metz et al. (2017) and Srivastava et al. (2017) measure GANs on the ring and the grid this way.

    Args:
        samples: generated points, shape :math:`(N, 2)` (a tensor or an array; NaNs count as bad samples).
        mixture: the target :class:`Mixture`.
        n_sigma: the radius of "high quality", in standard deviations (default 3).
        min_share: the fraction of the uniform share :math:`N/K` a mode needs (default 0.1).

    Returns:
        a :class:`Coverage` ``(modes, n_modes, high_quality, counts)``.

    Examples::

        >>> m = ring(8, std=0.05)
        >>> collapsed = m.means[[0, 0, 3]].repeat(100, 1)      # every sample on mode 0 or 3
        >>> c = mode_coverage(collapsed, m)
        >>> c.modes, c.high_quality, c.counts
        (2, 1.0, [200, 0, 0, 100, 0, 0, 0, 0])
    """
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mode_coverage: argument 'mixture' got {type(mixture).__name__}, expected a Mixture "
                        "(from nbcourse.data.mixtures.ring or grid)")
    x = _points(samples, "mode_coverage").detach().to(torch.float64)
    n_sigma = _positive(n_sigma, "n_sigma", "mode_coverage")
    if isinstance(min_share, bool) or not isinstance(min_share, (int, float)) or not 0 <= min_share <= 1:
        raise ValueError(f"mode_coverage: argument 'min_share' got {min_share!r}, expected a number in [0, 1]")
    if len(x) == 0:
        return Coverage(0, mixture.n_modes, 0.0, [0] * mixture.n_modes)
    dist = torch.cdist(x.nan_to_num(nan=math.inf), mixture.means.to(torch.float64))   # (N, K)
    nearest, index = dist.min(dim=1)
    good = nearest <= n_sigma * mixture.std
    counts = torch.bincount(index[good], minlength=mixture.n_modes)
    need = max(1, math.ceil(min_share * len(x) / mixture.n_modes))
    return Coverage(int((counts >= need).sum()), mixture.n_modes, float(good.double().mean()), counts.tolist())
