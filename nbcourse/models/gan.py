r"""A generative adversarial network: a generator and a discriminator, two players of one game
(Goodfellow et al., 2014).

The generator :math:`G` maps noise :math:`z \sim \mathcal{N}(0, I)` to samples :math:`G(z)`; the
discriminator :math:`D` outputs a logit :math:`\ell(x)`, and :math:`D(x) = \sigma(\ell(x))` is its
probability that :math:`x` is real. They play the minimax game

.. math::
    \min_G \max_D\ V(D, G) = \mathbb{E}_{x \sim p_{data}}[\log D(x)]
                           + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))]

whose losses are binary cross-entropies on the logits (:func:`nbcourse.losses.bce_with_logits`):

.. math::
    L_D = \mathrm{BCE}(\ell(x), 1) + \mathrm{BCE}(\ell(G(z)), 0) = -V, \qquad
    L_G^{\text{non-sat}} = \mathrm{BCE}(\ell(G(z)), 1) = -\log D(G(z)), \qquad
    L_G^{\text{sat}} = -\mathrm{BCE}(\ell(G(z)), 0) = \log(1 - D(G(z))).

At the equilibrium :math:`p_g = p_{data}` the best discriminator answers :math:`D = 1/2` everywhere,
so :math:`L_D = \log 4` and :math:`L_G^{\text{non-sat}} = \log 2`.

The regulariser :func:`r1_penalty` (Mescheder et al., 2018) is the squared gradient of the
discriminator's logit with respect to its *input*, on real data; training on it differentiates a
gradient, so the discriminator's activations need exact second derivatives (those of
:mod:`nbcourse.activations` have them, see :mod:`nbcourse._declare`).

Everything here is also written out on the book page ``book/architectures/gan.ipynb``;
:func:`train_gan` is that page's loop, for the tests, the figures and longer runs.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn

from .mlp import MLP

__all__ = ["Generator", "Discriminator", "GAN", "discriminator_loss", "generator_loss", "r1_penalty", "train_gan"]


def _check_sizes(where: str, **sizes) -> None:
    for name, value in sizes.items():
        values = value if isinstance(value, (tuple, list)) else (value,)
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
            raise ValueError(f"{where}: argument '{name}' got {value!r}, expected positive integer(s)")


def _default_discriminator_activation():
    from nbcourse.activations import LeakyReLU

    return LeakyReLU(alpha=0.2)   # the slope of DCGAN (Radford et al., 2016); exact second derivative (0)


class Generator(nn.Module):
    r"""The generator :math:`G`: an MLP from noise to samples, ``latent_dim -> hidden_sizes... -> data_dim``.

    Args:
        latent_dim: size of the noise :math:`z` (default 2).
        data_dim: size of a sample (default 2: points of the plane).
        hidden_sizes: widths of the hidden layers (default ``(64, 64)``).
        activation: hidden activation, a name (``"relu"``, ``"tanh"``, ...) or module (default ``"relu"``).
        seed: seed of the initial weights (default None: torch's global generator).

    Shape:
        - Input: :math:`(N, \text{latent\_dim})`.
        - Output: :math:`(N, \text{data\_dim})`: no output activation, the samples are real values.

    Examples::

        >>> G = Generator(latent_dim=3, data_dim=2, seed=0)
        >>> G(torch.randn(5, 3)).shape
        torch.Size([5, 2])
    """

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, hidden_sizes: Sequence[int] = (64, 64), *,
                 activation="relu", seed: int | None = None) -> None:
        super().__init__()
        _check_sizes("Generator", latent_dim=latent_dim, data_dim=data_dim, hidden_sizes=tuple(hidden_sizes))
        self.latent_dim, self.data_dim = latent_dim, data_dim
        self.net = MLP(latent_dim, tuple(hidden_sizes), data_dim, activation=activation, seed=seed)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"Generator: argument 'z' got shape {tuple(z.shape)}, expected (N, {self.latent_dim}): "
                             f"N noise vectors of latent_dim={self.latent_dim}")
        return self.net(z)                        # (N, latent_dim) -> (N, data_dim)


class Discriminator(nn.Module):
    r"""The discriminator :math:`D`: an MLP from a sample to one logit :math:`\ell(x)`,
    with :math:`D(x) = \sigma(\ell(x))` the probability that :math:`x` is real.

    Args:
        data_dim: size of a sample (default 2).
        hidden_sizes: widths of the hidden layers (default ``(64, 64)``).
        activation: hidden activation, a name or module (default: :class:`nbcourse.activations.LeakyReLU`
            with slope 0.2). Keep an :mod:`nbcourse.activations` one (names resolve there) when the
            training differentiates a gradient (:func:`r1_penalty`).
        seed: seed of the initial weights (default None).

    Shape:
        - Input: :math:`(N, \text{data\_dim})`.
        - Output: :math:`(N,)`: logits, no sigmoid (use :func:`nbcourse.losses.bce_with_logits`).

    Examples::

        >>> D = Discriminator(data_dim=2, hidden_sizes=(16,), seed=0)
        >>> D(torch.randn(5, 2)).shape
        torch.Size([5])
    """

    def __init__(self, data_dim: int = 2, hidden_sizes: Sequence[int] = (64, 64), *, activation=None,
                 seed: int | None = None) -> None:
        super().__init__()
        _check_sizes("Discriminator", data_dim=data_dim, hidden_sizes=tuple(hidden_sizes))
        self.data_dim = data_dim
        if activation is None:
            activation = _default_discriminator_activation()
        self.net = MLP(data_dim, tuple(hidden_sizes), 1, activation=activation, seed=seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"Discriminator: argument 'x' got shape {tuple(x.shape)}, expected (N, {self.data_dim}): "
                             f"N samples of data_dim={self.data_dim}")
        return self.net(x).squeeze(1)             # (N, data_dim) -> (N, 1) -> (N,)


class GAN(nn.Module):
    r"""A generator and a discriminator, built together from one seed.

    Args:
        latent_dim: size of the noise :math:`z` (default 2).
        data_dim: size of a sample (default 2).
        generator_hidden: widths of the generator's hidden layers (default ``(64, 64)``).
        discriminator_hidden: widths of the discriminator's hidden layers (default ``(64, 64)``).
        generator_activation: the generator's activation (default ``"relu"``).
        discriminator_activation: the discriminator's (default: LeakyReLU with slope 0.2, from
            :mod:`nbcourse.activations`).
        seed: seed of the initial weights of both (the generator is built first). Default None.

    Attributes:
        generator (:class:`Generator`), discriminator (:class:`Discriminator`).

    Shape:
        - ``forward(z)`` is the generator: :math:`(N, \text{latent\_dim}) \to (N, \text{data\_dim})`.
        - ``discriminator(x)``: :math:`(N, \text{data\_dim}) \to (N,)` logits.
        - ``generate(n)``: :math:`(n, \text{data\_dim})`, without a graph.

    Examples::

        >>> gan = GAN(latent_dim=2, data_dim=2, generator_hidden=(32,), discriminator_hidden=(32,), seed=0)
        >>> X = gan.generate(4, seed=1)
        >>> X.shape, gan.discriminator(X).shape
        (torch.Size([4, 2]), torch.Size([4]))
        >>> torch.equal(X, gan.generate(4, seed=1))
        True
    """

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, *, generator_hidden: Sequence[int] = (64, 64),
                 discriminator_hidden: Sequence[int] = (64, 64), generator_activation="relu",
                 discriminator_activation=None, seed: int | None = None) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.generator = Generator(latent_dim, data_dim, generator_hidden, activation=generator_activation)
            self.discriminator = Discriminator(data_dim, discriminator_hidden, activation=discriminator_activation)
        self.latent_dim, self.data_dim = latent_dim, data_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)                  # (N, latent_dim) -> (N, data_dim)

    def sample_latent(self, n: int, *, seed: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""``n`` noise vectors :math:`z \sim \mathcal{N}(0, I)`, shape :math:`(n, \text{latent\_dim})`."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"GAN.sample_latent: argument 'n' got {n!r}, expected a non-negative integer")
        if seed is not None and generator is not None:
            raise ValueError("GAN.sample_latent: give 'seed' or 'generator', not both")
        if seed is not None:
            generator = torch.Generator().manual_seed(seed)
        weight = next(self.generator.parameters())
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=weight.dtype)
        return z.to(weight.device)

    @torch.no_grad()
    def generate(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` samples :math:`G(z)` (no graph), shape :math:`(n, \\text{data\\_dim})`; the same ``seed``, the same samples."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"GAN.generate: argument 'n' got {n!r}, expected a non-negative integer")
        return self.generator(self.sample_latent(n, seed=seed))

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, data_dim={self.data_dim}"


# ----------------------------------------------------------------------------------------- the losses

def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r""":math:`L_D = \mathrm{BCE}(\ell(x), 1) + \mathrm{BCE}(\ell(G(z)), 0)`: real labelled 1, fake 0
    (each a mean over its batch). :math:`\log 4 \approx 1.386` when :math:`D = 1/2` everywhere.

    Examples::

        >>> round(discriminator_loss(torch.zeros(3), torch.zeros(5)).item(), 4), round(math.log(4), 4)
        (1.3863, 1.3863)
    """
    from nbcourse.losses import bce_with_logits

    return (bce_with_logits(real_logits, torch.ones_like(real_logits))
            + bce_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits: torch.Tensor, *, saturating: bool = False) -> torch.Tensor:
    r"""The generator's loss on the discriminator's logits for fakes.

    - ``saturating=False`` (default): the non-saturating :math:`-\log D(G(z)) = \mathrm{BCE}(\ell, 1)`,
      the discriminator's loss with the label flipped; gradient :math:`\sigma(\ell) - 1` w.r.t. the logit.
    - ``saturating=True``: the minimax :math:`\log(1 - D(G(z))) = -\mathrm{BCE}(\ell, 0)`;
      gradient :math:`-\sigma(\ell)`, which vanishes when :math:`D` rejects the fakes (:math:`\sigma(\ell) \to 0`).

    Examples::

        >>> l = torch.tensor([math.log(0.01 / 0.99)], requires_grad=True)    # D(G(z)) = 0.01
        >>> [round(torch.autograd.grad(generator_loss(l, saturating=s), l)[0].item(), 4) for s in (False, True)]
        [-0.99, -0.01]
    """
    from nbcourse.losses import bce_with_logits

    if saturating:
        return -bce_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return bce_with_logits(fake_logits, torch.ones_like(fake_logits))


def r1_penalty(discriminator: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    r"""The R1 penalty :math:`\mathbb{E}_{x \sim p_{data}} \lVert \nabla_x \ell(x) \rVert^2` (Mescheder et al., 2018),
    added to :math:`L_D` as :math:`\frac{\gamma}{2} R_1`.

    The gradient with respect to the input is taken with ``create_graph=True``, so the penalty is itself
    differentiable with respect to the discriminator's weights (a second derivative).

    Shape: ``real`` :math:`(N, \text{data\_dim})`; returns a scalar.

    Examples::

        >>> D = lambda x: 3.0 * x[:, 0] - x[:, 1]            # gradient (3, -1) everywhere: |grad|^2 = 10
        >>> r1_penalty(D, torch.randn(4, 2))
        tensor(10.)
    """
    x = real.detach().requires_grad_(True)
    logits = discriminator(x)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)   # (N, data_dim), part of the graph
    return grad.pow(2).sum(dim=1).mean()


# ----------------------------------------------------------------------------------------- the loop

def train_gan(gan: GAN, sample_real: Callable[..., torch.Tensor], *, steps: int = 1000, batch_size: int = 128,
              lr_g: float = 1e-3, lr_d: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999), d_steps: int = 1,
              saturating: bool = False, r1: float = 0.0, seed: int = 0, snapshot_steps: Sequence[int] = (),
              n_snapshot: int = 512, progress: bool = False) -> dict:
    r"""Train ``gan`` in place by alternating steps, the loop of the book page.

    Each step: ``d_steps`` discriminator steps (a fresh real batch ``sample_real(batch_size,
    generator=g)`` and a fresh fake batch ``G(z).detach()``, loss :func:`discriminator_loss`
    :math:`+ \frac{r_1}{2}` :func:`r1_penalty`), then one generator step (loss :func:`generator_loss`),
    each with its own Adam. Every random draw comes from one ``torch.Generator`` seeded with ``seed``,
    in this order, so the page's loop and this one give the same numbers.

    Args:
        gan: the :class:`GAN` to train (in place).
        sample_real: ``sample_real(n, generator=g)`` returns ``n`` real samples (e.g.
            :meth:`nbcourse.data.mixtures.Mixture.sample`).
        steps: generator steps (default 1000). batch_size: real and fake samples per step (default 128).
        lr_g, lr_d: Adam learning rates (default 1e-3). betas: Adam's betas (default (0.5, 0.999), DCGAN's).
        d_steps: discriminator steps per generator step (default 1).
        saturating: use the saturating generator loss (default False).
        r1: the weight :math:`\gamma` of the R1 penalty (default 0: none).
        seed: seed of the data and noise draws (default 0).
        snapshot_steps: after which steps (1-based; 0 is before training) to keep ``n_snapshot``
            generated samples (drawn with a fixed noise, the same for every snapshot).
        progress: show a progress bar (default False).

    Returns:
        a dict: ``"d_loss"`` and ``"g_loss"`` (one float per generator step; ``d_loss`` is the last
        discriminator step's :math:`L_D` without the penalty), ``"d_real"`` and ``"d_fake"`` (the mean
        :math:`D` on the real and fake batch of that step) and ``"snapshots"`` (step -> samples, (n, data_dim)).
    """
    if not isinstance(gan, GAN):
        raise TypeError(f"train_gan: argument 'gan' got {type(gan).__name__}, expected an nbcourse.models.GAN")
    for name, value in (("steps", steps), ("batch_size", batch_size), ("d_steps", d_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "steps" else 1):
            raise ValueError(f"train_gan: argument '{name}' got {value!r}, expected a positive integer")
    for name, value in (("lr_g", lr_g), ("lr_d", lr_d), ("r1", r1)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"train_gan: argument '{name}' got {value!r}, expected a non-negative number")
    G, D = gan.generator, gan.discriminator
    g = torch.Generator().manual_seed(seed)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas)
    z_fixed = gan.sample_latent(n_snapshot, seed=seed + 1)
    history = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": [], "snapshots": {}}
    wanted = set(int(s) for s in snapshot_steps)
    if 0 in wanted:
        with torch.no_grad():
            history["snapshots"][0] = G(z_fixed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # matrices of 128 x 64: one thread is faster, and 5x faster on a busy machine
    try:
        _train_loop(gan, sample_real, g, opt_d, opt_g, z_fixed, history, wanted, steps=steps, batch_size=batch_size,
                    d_steps=d_steps, saturating=saturating, r1=r1, progress=progress)
    finally:
        torch.set_num_threads(threads)
    return history


def _train_loop(gan, sample_real, g, opt_d, opt_g, z_fixed, history, wanted, *, steps, batch_size, d_steps,
                saturating, r1, progress):
    G, D = gan.generator, gan.discriminator
    iterator = range(1, steps + 1)
    if progress:
        from nbcourse._progress import progress as _progress
        iterator = _progress(iterator, desc="GAN", total=steps)
    for step in iterator:
        for _ in range(d_steps):                                  # 1. the discriminator: real -> 1, fake -> 0
            real = sample_real(batch_size, generator=g)
            fake = G(gan.sample_latent(batch_size, generator=g)).detach()   # detach: this step leaves G alone
            real_logits, fake_logits = D(real), D(fake)
            d_loss = discriminator_loss(real_logits, fake_logits)
            loss = d_loss + r1 / 2 * r1_penalty(D, real) if r1 > 0 else d_loss
            opt_d.zero_grad(set_to_none=True)
            loss.backward()
            opt_d.step()
        fake_logits = D(G(gan.sample_latent(batch_size, generator=g)))   # 2. the generator: fool D
        g_loss = generator_loss(fake_logits, saturating=saturating)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()                                         # also fills D's .grad: cleared before D's step
        opt_g.step()
        history["d_loss"].append(d_loss.item())
        history["g_loss"].append(g_loss.item())
        history["d_real"].append(torch.sigmoid(real_logits).mean().item())
        history["d_fake"].append(torch.sigmoid(fake_logits).mean().item())
        if step in wanted:
            with torch.no_grad():
                history["snapshots"][step] = G(z_fixed)
