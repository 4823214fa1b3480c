r"""scikit-learn's handwritten digits as tensors, split and standardised, ready for the trainer.

1,797 grey images of 8x8 pixels (values 0..16), ten classes (UCI ML hand-written digits, Alpaydin
and Kaynak, 1998), shipped with scikit-learn: nothing is downloaded.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["load_digits"]


def load_digits(*, flatten: bool = True, val_fraction: float = 0.2, seed: int = 0,
                dtype: torch.dtype = torch.float32):
    r"""The digits, as ``((X_train, y_train), (X_val, y_val))`` tensors.

    The split is stratified (each class keeps its share in both parts) and fixed by ``seed``.
    Pixels are standardised with the *training* set's mean :math:`\mu` and standard deviation
    :math:`s` over all pixels (one number each, so images keep their look):

    .. math::
        x' = \frac{x - \mu}{s}

    Args:
        flatten: ``True`` (default) for vectors of 64 pixels, ``False`` for images ``(1, 8, 8)``.
        val_fraction: share of the samples held out for validation (default 0.2; 0 gives an
            empty validation set).
        seed: seed of the split (default 0).
        dtype: floating dtype of the images (default ``torch.float32``); labels are ``torch.long``.

    Shape:
        - X_train: :math:`(N_{train}, 64)`, or :math:`(N_{train}, 1, 8, 8)` with ``flatten=False``.
        - y_train: :math:`(N_{train},)` class indices 0..9. The same for the validation part.

    Examples::

        >>> (X, y), (X_val, y_val) = load_digits()
        >>> X.shape, y.dtype, len(X) + len(X_val)
        (torch.Size([1437, 64]), torch.int64, 1797)
    """
    if not isinstance(val_fraction, (int, float)) or isinstance(val_fraction, bool) or not 0 <= val_fraction < 1:
        raise ValueError(f"load_digits: argument 'val_fraction' got {val_fraction!r}, expected a number in [0, 1)")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"load_digits: argument 'dtype' got {dtype!r}, expected a floating torch dtype such as torch.float32")
    from sklearn.datasets import load_digits as sklearn_digits

    data = sklearn_digits()
    X, y = data.data.astype(np.float64), data.target.astype(np.int64)
    if val_fraction > 0:
        from sklearn.model_selection import train_test_split

        X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=val_fraction, random_state=seed, stratify=y)
    else:
        order = np.random.default_rng(seed).permutation(len(X))
        X_train, y_train = X[order], y[order]
        X_val, y_val = X[:0], y[:0]
    mean, std = X_train.mean(), X_train.std()
    shape = (-1, 64) if flatten else (-1, 1, 8, 8)

    def tensors(X_part, y_part):
        X_t = torch.from_numpy((X_part - mean) / std).to(dtype).reshape(shape)
        return X_t, torch.from_numpy(y_part)

    return tensors(X_train, y_train), tensors(X_val, y_val)
