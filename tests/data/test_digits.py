"""load_digits: split, standardisation, shapes, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nbcourse.data import load_digits


def test_shapes_dtypes_and_sizes():
    (X, y), (X_val, y_val) = load_digits()
    assert X.shape == (1437, 64) and X_val.shape == (360, 64)
    assert X.dtype == torch.float32 and y.dtype == torch.long
    assert set(y.tolist()) == set(range(10))
    (Xi, _), (Xi_val, _) = load_digits(flatten=False)
    assert Xi.shape == (1437, 1, 8, 8) and torch.equal(Xi.flatten(1), X)
    (Xd, _), _ = load_digits(dtype=torch.float64)
    assert Xd.dtype == torch.float64


def test_standardised_with_the_training_statistics():
    (X, _), (X_val, _) = load_digits(dtype=torch.float64)
    assert X.mean().item() == pytest.approx(0.0, abs=1e-10)
    assert X.std(unbiased=False).item() == pytest.approx(1.0, rel=1e-10)
    from sklearn.datasets import load_digits as raw

    pixels = raw().data
    # one scale for every pixel: the darkest pixel maps to the same value in both parts
    assert X.min().item() == pytest.approx(X_val.min().item())
    assert len(np.unique(pixels)) == 17


def test_stratified_and_repeatable():
    (_, y), (_, y_val) = load_digits(seed=1)
    share = torch.bincount(y, minlength=10) / len(y)
    share_val = torch.bincount(y_val, minlength=10) / len(y_val)
    assert torch.allclose(share, share_val, atol=0.01)
    (X1, _), _ = load_digits(seed=1)
    (X2, _), _ = load_digits(seed=1)
    (X3, _), _ = load_digits(seed=2)
    assert torch.equal(X1, X2) and not torch.equal(X1, X3)


def test_no_validation_and_errors():
    (X, _), (X_val, y_val) = load_digits(val_fraction=0)
    assert len(X) == 1797 and X_val.shape == (0, 64) and y_val.shape == (0,)
    with pytest.raises(ValueError, match="val_fraction"):
        load_digits(val_fraction=1.0)
    with pytest.raises(TypeError, match="dtype"):
        load_digits(dtype=torch.int64)
