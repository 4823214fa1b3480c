"""The autoencoder: shapes, errors, that it learns, and the linear autoencoder's principal subspace."""

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

from nbcourse.models import Autoencoder
from nbcourse.models.autoencoder import pca_reconstruction_error, principal_angles, principal_subspace
from nbcourse.train import Trainer


def test_shapes_of_encode_decode_and_forward():
    model = Autoencoder(64, code_size=3, hidden_sizes=(16, 8), seed=0)
    X = torch.randn(7, 64)
    assert model.encode(X).shape == (7, 3)
    assert model.decode(torch.randn(7, 3)).shape == (7, 64)
    assert model(X).shape == (7, 64)
    images = torch.randn(4, 1, 8, 8)
    assert model(images).shape == (4, 1, 8, 8)           # the reconstruction keeps the input's shape
    assert model.encode(images).shape == (4, 3)
    # the decoder mirrors the encoder
    widths = [m.out_features for m in model.decoder if isinstance(m, nn.Linear)]
    assert widths == [8, 16, 64]


def test_forward_is_decode_of_encode_in_eval_mode():
    model = Autoencoder(10, code_size=2, hidden_sizes=(6,), noise=0.5, seed=1).eval()
    X = torch.randn(5, 10)
    torch.testing.assert_close(model(X), model.decode(model.encode(X)))


def test_seed_fixes_the_weights_and_leaves_the_global_stream_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = Autoencoder(8, code_size=2, seed=4)
    after = torch.rand(1)
    b = Autoencoder(8, code_size=2, seed=4)
    assert torch.equal(before, after)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_linear_autoencoder_is_an_affine_map():
    model = Autoencoder(6, code_size=2, hidden_sizes=(4,), linear=True, seed=0).eval()
    X, Y = torch.randn(3, 6), torch.randn(3, 6)
    a, b = 0.3, 0.7                                       # affine: f(aX + bY) = a f(X) + b f(Y) when a + b = 1
    torch.testing.assert_close(model(a * X + b * Y), a * model(X) + b * model(Y))
    assert model.linear
    assert not Autoencoder(6, code_size=2, seed=0).linear


def test_noise_only_in_training_mode():
    X = torch.randn(50, 20)
    for corruption, noise in (("gaussian", 0.8), ("mask", 0.5)):
        model = Autoencoder(20, code_size=4, noise=noise, corruption=corruption, seed=0)
        model.train()
        torch.manual_seed(0)
        first = model(X)
        torch.manual_seed(1)
        second = model(X)
        assert not torch.allclose(first, second)          # a new corruption each call
        model.eval()
        torch.testing.assert_close(model(X), model(X))
    masked = Autoencoder(20, code_size=4, noise=0.5, corruption="mask", seed=0).corrupt(torch.ones(2000, 20))
    assert set(masked.unique().tolist()) == {0.0, 1.0}
    assert 0.45 < float((masked == 0).float().mean()) < 0.55
    noisy = Autoencoder(20, code_size=4, noise=0.8, seed=0).corrupt(torch.zeros(2000, 20))
    assert 0.75 < float(noisy.std()) < 0.85


@pytest.mark.parametrize("kwargs, match", [
    (dict(code_size=0), "code_size"),
    (dict(hidden_sizes=(8, -1)), "hidden_sizes"),
    (dict(noise=-0.1), "noise"),
    (dict(noise=1.0, corruption="mask"), "probability"),
    (dict(corruption="salt"), "corruption"),
    (dict(linear=True, activation="relu"), "linear=True"),
    (dict(activation="no_such_thing"), "unknown activation"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Autoencoder(8, **{"code_size": 2, **kwargs})


def test_bad_inputs_are_named():
    model = Autoencoder(8, code_size=2, seed=0)
    with pytest.raises(ValueError, match=r"'X' got shape \(3, 7\), expected \(N, 8\)"):
        model(torch.randn(3, 7))
    with pytest.raises(TypeError, match="torch.as_tensor"):
        model.encode(np.zeros((3, 8)))
    with pytest.raises(ValueError, match=r"'code' got shape \(3, 3\), expected \(N, 2\)"):
        model.decode(torch.randn(3, 3))


def _small_problem(seed=0, n=200, d=8):
    """Data near a 3-d subspace, with clearly separated variances (fast, well conditioned); the
    subspace depends on the seed."""
    g = torch.Generator().manual_seed(seed)
    basis = torch.linalg.qr(torch.randn(d, d, generator=g))[0]
    scales = torch.tensor([3.0, 2.0, 1.5, 0.3, 0.2, 0.15, 0.1, 0.05])[:d]
    return (torch.randn(n, d, generator=g) * scales) @ basis.T + 2.0


def test_it_learns_on_digits_like_data():
    X = _small_problem()
    model = Autoencoder(8, code_size=3, hidden_sizes=(16,), seed=0)
    trainer = Trainer(model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.01), device="cpu", seed=0)
    history = trainer.fit((X, X), epochs=60, batch_size=50)
    assert history["train_loss"][-1] < 0.25 * history["train_loss"][0]


def test_linear_autoencoder_finds_the_principal_subspace():
    X = _small_problem()
    k = 3
    model = Autoencoder(8, code_size=k, hidden_sizes=(), linear=True, seed=0)
    trainer = Trainer(model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05), device="cpu", seed=0)
    trainer.fit((X, X), epochs=500, batch_size=len(X))
    angles = np.degrees(principal_angles(model.decoder.out.weight, principal_subspace(X, k)))
    assert angles.max() < 1.0, angles                      # degrees (0.69 after 300 steps)
    mse = trainer.evaluate((X, X))["loss"]
    bound = pca_reconstruction_error(X, k)
    assert bound <= mse + 1e-6                              # nothing linear beats PCA ...
    assert mse < bound * 1.01                               # ... and the autoencoder reaches it
    # the decoder spans the subspace but its columns are not the principal directions themselves
    W = model.decoder.out.weight.detach().double().numpy()
    cosines = np.abs((W / np.linalg.norm(W, axis=0)).T @ principal_subspace(X, k))
    assert not np.allclose(cosines, np.eye(k), atol=0.05)


def test_principal_angles_agree_with_scipy():
    rng = np.random.default_rng(0)
    for p, q in ((3, 2), (2, 3), (4, 4), (1, 5)):
        A, B = rng.normal(size=(9, p)), rng.normal(size=(9, q))
        np.testing.assert_allclose(principal_angles(A, B), np.sort(scipy.linalg.subspace_angles(A, B)), atol=1e-12)
    A = rng.normal(size=(9, 3))
    B = A @ rng.normal(size=(3, 3)) + 1e-9 * rng.normal(size=(9, 3))   # the same space, up to 1e-9
    small = principal_angles(A, B)
    assert small.max() < 1e-7 and small.max() > 0            # read from sines: not rounded to 0 or 1e-4
    assert principal_angles(np.eye(4)[:, :2], np.eye(4)[:, 2:]).tolist() == [np.pi / 2, np.pi / 2]
    with pytest.raises(ValueError, match="rows"):
        principal_angles(np.ones((3, 1)), np.ones((4, 1)))


def test_pca_error_is_the_sum_of_the_discarded_eigenvalues():
    X = _small_problem().double().numpy()
    eig = np.sort(np.linalg.eigvalsh(np.cov(X.T, bias=True)))[::-1]
    for k in (0, 1, 3, 8):
        assert pca_reconstruction_error(X, k) == pytest.approx(eig[k:].sum() / X.shape[1], abs=1e-12)
    with pytest.raises(ValueError, match="'k'"):
        pca_reconstruction_error(X, 9)


def test_denoising_autoencoder_removes_noise():
    # a linear denoising autoencoder with a 3-d code keeps about 3/8 of noise spread over 8 dimensions
    data = _small_problem(n=600)                            # one subspace: train and test from the same draw
    X, X_test = data[:400], data[400:]
    model = Autoencoder(8, code_size=3, hidden_sizes=(), linear=True, noise=0.7, seed=0)
    trainer = Trainer(model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05), device="cpu", seed=0)
    trainer.fit((X, X), epochs=300, batch_size=len(X))
    noisy = X_test + 0.7 * torch.randn(X_test.shape, generator=torch.Generator().manual_seed(2))
    model.eval()
    with torch.no_grad():
        denoised = model(noisy)
    noisy_error = float(((noisy - X_test) ** 2).mean())
    denoised_error = float(((denoised - X_test) ** 2).mean())
    assert denoised_error < 0.6 * noisy_error, (noisy_error, denoised_error)
