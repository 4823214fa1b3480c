"""nbcourse.models.gan: shapes, errors, seeds, the losses and their gradients, the R1 penalty's second
derivative, and a short seeded training that covers the modes of a small mixture."""

from __future__ import annotations

import math

import pytest
import torch
from torch.func import functional_call

from nbcourse.data.mixtures import mode_coverage, ring
from nbcourse.models import GAN, Discriminator, Generator
from nbcourse.models.gan import discriminator_loss, generator_loss, r1_penalty, train_gan


def test_shapes():
    G = Generator(latent_dim=3, data_dim=2, hidden_sizes=(8, 8), seed=0)
    D = Discriminator(data_dim=2, hidden_sizes=(8,), seed=0)
    z = torch.randn(7, 3)
    assert G(z).shape == (7, 2) and D(G(z)).shape == (7,)
    gan = GAN(latent_dim=4, data_dim=3, generator_hidden=(16,), discriminator_hidden=(16, 16), seed=0)
    assert gan(torch.randn(5, 4)).shape == (5, 3)
    assert gan.sample_latent(6, seed=0).shape == (6, 4)
    X = gan.generate(6, seed=0)
    assert X.shape == (6, 3) and not X.requires_grad
    assert gan.discriminator(X).shape == (6,)
    assert gan.generate(0).shape == (0, 3)


def test_the_discriminator_uses_the_exact_activations_of_the_package():
    from nbcourse import activations

    D = Discriminator(seed=0)
    acts = [m for m in D.modules() if isinstance(m, activations.LeakyReLU)]
    assert len(acts) == 2 and all(a.alpha == 0.2 for a in acts)
    assert any(isinstance(m, activations.Tanh) for m in Discriminator(activation="tanh").modules())


def test_seeds_fix_the_weights_and_the_samples():
    a, b, c = GAN(seed=0), GAN(seed=0), GAN(seed=1)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.generator.net.layers.fc1.weight, c.generator.net.layers.fc1.weight)
    assert torch.equal(a.generate(10, seed=3), b.generate(10, seed=3))
    assert not torch.equal(a.generate(10, seed=3), a.generate(10, seed=4))
    state = torch.get_rng_state()
    GAN(seed=5)
    assert torch.equal(state, torch.get_rng_state())      # the global generator is left alone


def test_errors_name_the_argument_and_the_shape():
    gan = GAN(latent_dim=2, data_dim=2, seed=0)
    with pytest.raises(ValueError, match=r"'z' got shape \(5, 3\), expected \(N, 2\)"):
        gan(torch.randn(5, 3))
    with pytest.raises(ValueError, match=r"'x' got shape \(5,\), expected \(N, 2\)"):
        gan.discriminator(torch.randn(5))
    with pytest.raises(ValueError, match="latent_dim"):
        Generator(latent_dim=0)
    with pytest.raises(ValueError, match="hidden_sizes"):
        Discriminator(hidden_sizes=(8, -1))
    with pytest.raises(ValueError, match="'n'"):
        gan.generate(-1)
    with pytest.raises(ValueError, match="activation"):
        Generator(activation="no-such-activation")
    with pytest.raises(TypeError, match="'gan'"):
        train_gan(gan.generator, ring().sample)
    with pytest.raises(ValueError, match="d_steps"):
        train_gan(gan, ring().sample, d_steps=0)
    with pytest.raises(ValueError, match="lr_g"):
        train_gan(gan, ring().sample, lr_g=-1.0)


def test_losses_are_binary_cross_entropies_with_the_right_labels():
    logits = torch.tensor([-3.0, -0.5, 0.0, 2.0], dtype=torch.float64)
    F = torch.nn.functional
    real, fake = logits, logits.flip(0)
    expected = (F.binary_cross_entropy_with_logits(real, torch.ones(4, dtype=torch.float64))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros(4, dtype=torch.float64)))
    assert torch.allclose(discriminator_loss(real, fake), expected)
    D = torch.sigmoid(logits)
    assert torch.allclose(generator_loss(logits), -torch.log(D).mean())
    assert torch.allclose(generator_loss(logits, saturating=True), torch.log(1 - D).mean())
    # the equilibrium: D = 1/2 everywhere
    assert math.isclose(discriminator_loss(torch.zeros(8), torch.zeros(8)).item(), math.log(4), rel_tol=1e-6)
    assert math.isclose(generator_loss(torch.zeros(8)).item(), math.log(2), rel_tol=1e-6)


@pytest.mark.parametrize("d", [1e-4, 0.01, 0.5, 0.99])
def test_the_saturating_loss_has_a_vanishing_gradient_where_d_rejects_the_fakes(d):
    logit = torch.tensor([math.log(d / (1 - d))], dtype=torch.float64, requires_grad=True)
    (g_sat,) = torch.autograd.grad(generator_loss(logit, saturating=True), logit)
    (g_non,) = torch.autograd.grad(generator_loss(logit), logit)
    assert math.isclose(g_sat.item(), -d, rel_tol=1e-9)          # -sigma(l): vanishes as D(G(z)) -> 0
    assert math.isclose(g_non.item(), d - 1, rel_tol=1e-9)       # sigma(l) - 1: about -1 there
    if d < 0.5:
        assert abs(g_non.item()) > abs(g_sat.item())


def test_r1_penalty_is_the_squared_input_gradient_and_is_differentiable_in_the_weights():
    torch.manual_seed(0)
    D = Discriminator(data_dim=2, hidden_sizes=(5,), activation="tanh", seed=0).double()
    real = torch.randn(6, 2, dtype=torch.float64)
    # value: against torch.func.grad of the logit, sample by sample
    per_sample = torch.func.vmap(torch.func.grad(lambda x: D(x[None])[0]))(real)
    assert torch.allclose(r1_penalty(D, real), per_sample.pow(2).sum(1).mean())
    # its gradient with respect to D's weights (a second derivative) is exact: gradcheck in float64
    # (the output bias shifts the logit, not its slope: the penalty does not depend on it)
    names = [n for n, _ in D.named_parameters() if n != "net.layers.out.bias"]
    params = tuple(p.detach().clone().requires_grad_(True) for n, p in D.named_parameters() if n in names)

    def penalty(*weights):
        return r1_penalty(lambda x: functional_call(D, dict(zip(names, weights)), (x,)), real)

    assert torch.autograd.gradcheck(penalty, params)
    grads = torch.autograd.grad(r1_penalty(D, real), list(D.parameters()), allow_unused=True)
    assert grads[-1] is None
    assert all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads[:-1])


def test_r1_penalty_reaches_the_weights_through_the_package_leaky_relu():
    D = Discriminator(hidden_sizes=(16, 16), seed=0)             # nbcourse.activations.LeakyReLU
    real = ring().sample(32, seed=0)
    named = dict(D.named_parameters())
    grads = dict(zip(named, torch.autograd.grad(r1_penalty(D, real), list(named.values()), allow_unused=True)))
    # a piecewise-linear D: the input gradient is a product of the weight matrices masked by the active
    # units, so the penalty reaches every weight matrix and none of the biases
    for name, g in grads.items():
        if name.endswith("weight"):
            assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0, name
        else:
            assert g is None or not g.any(), name
    assert D.net.layers.fc1.weight.grad is None                 # autograd.grad leaves .grad alone
    # a smooth activation (tanh: second derivative -2 tanh (1 - tanh^2)) reaches the hidden biases too
    D2 = Discriminator(hidden_sizes=(16, 16), activation="tanh", seed=0)
    g2 = torch.autograd.grad(r1_penalty(D2, real), [D2.net.layers.fc1.bias])[0]
    assert g2.abs().sum() > 0


def test_the_discriminator_step_leaves_the_generator_alone():
    gan = GAN(generator_hidden=(16,), discriminator_hidden=(16,), seed=0)
    before = [p.detach().clone() for p in gan.generator.parameters()]
    d_before = [p.detach().clone() for p in gan.discriminator.parameters()]
    train_gan(gan, ring().sample, steps=1, lr_g=0.0, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(before, gan.generator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(d_before, gan.discriminator.parameters()))


def test_training_is_reproducible():
    runs = []
    for _ in range(2):
        gan = GAN(generator_hidden=(16,), discriminator_hidden=(16,), seed=0)
        runs.append(train_gan(gan, ring().sample, steps=20, seed=3, snapshot_steps=(0, 20), n_snapshot=8, r1=1.0))
    assert runs[0]["d_loss"] == runs[1]["d_loss"] and runs[0]["g_loss"] == runs[1]["g_loss"]
    assert set(runs[0]["snapshots"]) == {0, 20} and runs[0]["snapshots"][20].shape == (8, 2)
    assert torch.equal(runs[0]["snapshots"][20], runs[1]["snapshots"][20])
    assert len(runs[0]["d_real"]) == len(runs[0]["d_fake"]) == 20


def test_a_short_training_covers_the_modes_of_a_small_mixture():
    mixture = ring(4, radius=2.0, std=0.1)
    gan = GAN(latent_dim=2, generator_hidden=(32, 32), discriminator_hidden=(32, 32), seed=0)
    before = mode_coverage(gan.generate(1000, seed=0), mixture)
    history = train_gan(gan, mixture.sample, steps=600, batch_size=128, lr_g=2e-3, lr_d=2e-3, seed=0)
    after = mode_coverage(gan.generate(1000, seed=0), mixture)
    assert before.modes <= 1 and before.high_quality < 0.1
    assert after.modes >= 3, after
    assert after.high_quality > 0.5, after
    # the discriminator is not winning outright: its loss is near log 4 rather than near 0
    assert 0.8 < sum(history["d_loss"][-100:]) / 100 < 1.8
