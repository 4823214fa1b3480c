r"""An autoencoder: an encoder MLP down to a small code, a decoder MLP back to the input.

.. math::
    h = f_\theta(\tilde{x}), \qquad \hat{x} = g_\phi(h), \qquad
    J = \frac{1}{N d} \sum_{n=1}^{N} \lVert \hat{x}_n - x_n \rVert^2

where :math:`f_\theta` (the encoder) and :math:`g_\phi` (the decoder) are MLPs, :math:`h` is the
*code* (``code_size`` numbers per sample) and :math:`\tilde{x}` is the input itself, or in training
mode a corrupted copy of it when ``noise > 0`` (the *denoising* autoencoder of Vincent et al., 2008):
the target stays the clean :math:`x`, so the network must learn to undo the corruption.

With ``linear=True`` every unit is linear, :math:`\hat{x} = W_d (W_e x + b_e) + b_d`; trained with
the squared error its decoder's columns span the top-``code_size`` principal subspace of the
(centred) data (Bourlard and Kamp, 1988; Baldi and Hornik, 1989). :func:`principal_subspace`,
:func:`principal_angles` and :func:`pca_reconstruction_error` measure that fact.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ._activation import make_activation

__all__ = ["Autoencoder", "principal_subspace", "principal_angles", "pca_reconstruction_error"]

_CORRUPTIONS = ("gaussian", "mask")


class Autoencoder(nn.Module):
    r"""Encoder ``in_features -> hidden_sizes... -> code_size`` and its mirror image as decoder.

    The code layer and the output layer have no activation (the code is a real vector; the
    output reconstructs standardised inputs, which may be negative). Every hidden layer has
    ``activation``.

    Args:
        in_features: size of each input sample (default 64: an 8x8 digit). Inputs with more
            dimensions, such as images ``(N, 1, 8, 8)``, are flattened; ``forward`` returns the
            reconstruction in the input's shape.
        code_size: size of the code :math:`h` (default 2: a code one can draw).
        hidden_sizes: widths of the encoder's hidden layers, outermost first (default ``(32,)``);
            the decoder uses them in reverse. ``()`` gives one layer each way.
        activation: the hidden activation, by name (``"tanh"``, ``"relu"``, ...), ``nn.Module``
            class or instance, as for :class:`~nbcourse.models.MLP` (default None: ``"tanh"``).
            ``"identity"`` (or ``"linear"``) makes every unit linear.
        linear: ``True`` for the linear autoencoder: the same as ``activation="identity"``
            (default False).
        noise: corruption applied to the input in training mode only (default 0: none): the
            standard deviation of added Gaussian noise, or, with ``corruption="mask"``, the
            probability that an input is set to zero.
        corruption: ``"gaussian"`` (default) or ``"mask"``.
        seed: seed for the initial weights (default None: PyTorch's global generator). The global
            random state is left as it was. The corruption draws from the global generator (the
            :class:`~nbcourse.train.Trainer` with ``seed=`` makes it repeatable).

    Shape:
        - ``encode``: :math:`(N, \text{in\_features})` or :math:`(N, *)` -> :math:`(N, \text{code\_size})`.
        - ``decode``: :math:`(N, \text{code\_size})` -> :math:`(N, \text{in\_features})`.
        - ``forward``: input of shape :math:`(N, *)` -> reconstruction of the same shape.

    Examples::

        >>> model = Autoencoder(64, code_size=2, hidden_sizes=(32,), seed=0)
        >>> X = torch.randn(5, 64)
        >>> model.encode(X).shape, model(X).shape
        (torch.Size([5, 2]), torch.Size([5, 64]))
        >>> Autoencoder(64, code_size=3, hidden_sizes=(), linear=True, seed=0).decoder.out.weight.shape
        torch.Size([64, 3])
    """

    def __init__(self, in_features: int = 64, code_size: int = 2, hidden_sizes: Sequence[int] = (32,), *,
                 activation=None, linear: bool = False, noise: float = 0.0, corruption: str = "gaussian",
                 seed: int | None = None) -> None:
        super().__init__()
        sizes = [in_features, *tuple(hidden_sizes), code_size]
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
            raise ValueError(f"Autoencoder: layer sizes must be positive integers, got in_features={in_features!r}, "
                             f"code_size={code_size!r}, hidden_sizes={tuple(hidden_sizes)!r}")
        if not isinstance(linear, bool):
            raise TypeError(f"Autoencoder: argument 'linear' got {linear!r}, expected True or False")
        if linear:
            if not (activation is None or isinstance(activation, str) and activation.lower() in ("identity", "linear")):
                raise ValueError(f"Autoencoder: linear=True makes every unit linear, but activation={activation!r} "
                                 "was given too; drop one of them")
            activation = "identity"
        elif activation is None:
            activation = "tanh"
        if corruption not in _CORRUPTIONS:
            raise ValueError(f"Autoencoder: argument 'corruption' got {corruption!r}, expected one of {_CORRUPTIONS}")
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not np.isfinite(noise) or noise < 0:
            raise ValueError(f"Autoencoder: argument 'noise' got {noise!r}, expected a number >= 0 (0: no corruption)")
        if corruption == "mask" and noise >= 1:
            raise ValueError(f"Autoencoder: with corruption='mask', argument 'noise' is a probability; got {noise!r}, "
                             "expected a number in [0, 1)")
        self.in_features, self.code_size = int(in_features), int(code_size)
        self.hidden_sizes = tuple(int(s) for s in hidden_sizes)
        self.noise, self.corruption = float(noise), corruption
        self.linear = isinstance(activation, str) and activation.lower() in ("identity", "linear")
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.encoder = _stack(sizes, activation, last="code")
            self.decoder = _stack(sizes[::-1], activation, last="out")

    def corrupt(self, X: torch.Tensor) -> torch.Tensor:
        r"""A corrupted copy of ``X``: :math:`x + \epsilon,\ \epsilon \sim \mathcal{N}(0, \text{noise}^2)`, or
        with ``corruption="mask"`` each entry set to 0 with probability ``noise``. ``X`` itself if ``noise == 0``."""
        if self.noise == 0:
            return X
        if self.corruption == "gaussian":
            return X + self.noise * torch.randn_like(X)
        keep = torch.rand_like(X) >= self.noise
        return X * keep

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """The code of each sample, ``(N, code_size)`` (no corruption, whatever the mode)."""
        X = self._check_input(X)
        return self.encoder(X.flatten(1) if X.ndim > 2 else X)    # (N, in_features) -> (N, code_size)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """The reconstruction from a code ``(N, code_size)``, as ``(N, in_features)``."""
        if not isinstance(code, torch.Tensor):
            raise TypeError(f"Autoencoder.decode: argument 'code' got {type(code).__name__}, expected a torch.Tensor")
        if code.ndim != 2 or code.shape[1] != self.code_size:
            raise ValueError(f"Autoencoder.decode: argument 'code' got shape {tuple(code.shape)}, expected "
                             f"(N, {self.code_size}): one code of code_size={self.code_size} numbers per sample")
        return self.decoder(code)                                  # (N, code_size) -> (N, in_features)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        X = self._check_input(X)
        X_in = self.corrupt(X) if self.training else X             # corruption only while training
        code = self.encoder(X_in.flatten(1) if X.ndim > 2 else X_in)   # (N, code_size)
        return self.decoder(code).reshape(X.shape)                 # (N, *) like the input

    def _check_input(self, X) -> torch.Tensor:
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"Autoencoder: argument 'X' got {type(X).__name__}, expected a torch.Tensor of shape "
                            f"(N, {self.in_features}); convert with torch.as_tensor(X, dtype=torch.float32)")
        if X.ndim < 2 or int(np.prod(X.shape[1:])) != self.in_features:
            raise ValueError(f"Autoencoder: argument 'X' got shape {tuple(X.shape)}, expected (N, {self.in_features}) "
                             f"or (N, *) with {self.in_features} features per sample")
        return X

    def extra_repr(self) -> str:
        noise = f", noise={self.noise:g} ({self.corruption})" if self.noise else ""
        return (f"in_features={self.in_features}, code_size={self.code_size}, hidden_sizes={self.hidden_sizes}, "
                f"linear={self.linear}{noise}")


def _stack(sizes: Sequence[int], activation, *, last: str) -> nn.Sequential:
    """Linear layers through ``sizes``, ``activation`` after each but the last (named ``last``)."""
    layers: list[tuple[str, nn.Module]] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-2], sizes[1:-1]), start=1):
        layers.append((f"fc{i}", nn.Linear(fan_in, fan_out)))
        layers.append((f"act{i}", make_activation(activation)))
    layers.append((last, nn.Linear(sizes[-2], sizes[-1])))
    return nn.Sequential(OrderedDict(layers))


# --------------------------------------------------------------------------------------------------
# the linear autoencoder and PCA
# --------------------------------------------------------------------------------------------------
def _as_matrix(A, name: str, caller: str) -> np.ndarray:
    if isinstance(A, torch.Tensor):
        A = A.detach().cpu().double().numpy()
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"{caller}: argument {name!r} got shape {A.shape}, expected a non-empty 2-d matrix")
    if not np.isfinite(A).all():
        raise ValueError(f"{caller}: argument {name!r} holds NaN or infinite values")
    return A


def principal_subspace(X, k: int) -> np.ndarray:
    r"""An orthonormal basis of the top-``k`` principal subspace of the data ``X`` (rows are samples).

    The first ``k`` right singular vectors of the centred data :math:`X - \bar{x}`, as the columns of a
    ``(d, k)`` matrix (numpy SVD, float64).

    Examples::

        >>> X = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
        >>> np.abs(principal_subspace(X, 1)).round(6).ravel().tolist()
        [1.0, 0.0]
    """
    X = _as_matrix(X, "X", "principal_subspace")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= X.shape[1]:
        raise ValueError(f"principal_subspace: argument 'k' got {k!r}, expected an integer in 0..{X.shape[1]}")
    _, _, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    return Vt[:k].T


def principal_angles(A, B) -> np.ndarray:
    r"""The principal angles (radians, ascending) between the column spaces of ``A`` ``(d, p)`` and ``B`` ``(d, q)``.

    With orthonormal bases :math:`Q_A, Q_B` (QR), the cosines of the angles are the singular values
    of :math:`Q_A^\top Q_B`; small angles are read from their sines, the singular values of
    :math:`Q_B - Q_A Q_A^\top Q_B`, which keeps them accurate near 0 (Björck and Golub, 1973). The
    same numbers as :func:`scipy.linalg.subspace_angles` (which lists them in descending order).

    Returns:
        ``min(p, q)`` angles in :math:`[0, \pi/2]`, smallest first. All 0: the spaces are nested.

    Examples::

        >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> B = np.array([[1.0], [0.0], [1.0]])
        >>> np.degrees(principal_angles(A, B)).round(6).tolist()
        [45.0]
    """
    A = _as_matrix(A, "A", "principal_angles")
    B = _as_matrix(B, "B", "principal_angles")
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"principal_angles: A has {A.shape[0]} rows and B has {B.shape[0]}; both must be (d, *) "
                         "matrices in the same space")
    QA, QB = np.linalg.qr(A)[0], np.linalg.qr(B)[0]
    if A.shape[1] < B.shape[1]:
        QA, QB = QB, QA                                     # project the smaller basis onto the larger
    cos = np.linalg.svd(QA.T @ QB, compute_uv=False)        # descending cosines
    sin = np.linalg.svd(QB - QA @ (QA.T @ QB), compute_uv=False)[::-1]  # ascending sines
    angles = np.where(cos ** 2 < 0.5, np.arccos(np.clip(cos, 0.0, 1.0)),
                      np.arcsin(np.clip(sin[:len(cos)], 0.0, 1.0)))
    return np.sort(angles)


def pca_reconstruction_error(X, k: int, *, X_eval=None) -> float:
    r"""The mean squared error of the best rank-``k`` affine reconstruction: PCA with ``k`` components.

    .. math::
        \frac{1}{N d} \sum_n \lVert (x_n - \bar{x}) - V_k V_k^\top (x_n - \bar{x}) \rVert^2
        = \frac{1}{d} \sum_{i > k} \lambda_i

    with :math:`\bar{x}` and :math:`V_k` (:func:`principal_subspace`) from ``X`` and :math:`\lambda_i`
    the eigenvalues of its covariance (divided by :math:`N`). No autoencoder with ``k`` linear code
    units (with biases) trained on ``X`` with the squared error can do better on ``X``: it is the
    lower bound the linear autoencoder reaches. ``X_eval`` (default ``X``): measure on other samples,
    with the mean and subspace of ``X``.

    Examples::

        >>> X = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
        >>> pca_reconstruction_error(X, 1), pca_reconstruction_error(X, 2)
        (0.25, 0.0)
    """
    X = _as_matrix(X, "X", "pca_reconstruction_error")
    V = principal_subspace(X, k)
    E = X if X_eval is None else _as_matrix(X_eval, "X_eval", "pca_reconstruction_error")
    if E.shape[1] != X.shape[1]:
        raise ValueError(f"pca_reconstruction_error: X_eval has {E.shape[1]} features, X has {X.shape[1]}")
    C = E - X.mean(axis=0)
    return float(((C - C @ V @ V.T) ** 2).mean())
