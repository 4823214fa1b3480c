"""The multi-label digits: three attributes per digit (nbcourse/data/attributes.py)."""

from __future__ import annotations

import pytest
import torch

from nbcourse.data import ATTRIBUTES, digit_attributes, load_digit_attributes, load_digits
from nbcourse.data.attributes import DIGIT_ATTRIBUTES


def test_the_attribute_table():
    assert ATTRIBUTES == ("even", "above 4", "loop")
    table = digit_attributes(torch.arange(10))
    assert table[:, 0].nonzero().flatten().tolist() == [0, 2, 4, 6, 8]
    assert table[:, 1].nonzero().flatten().tolist() == [5, 6, 7, 8, 9]
    assert table[:, 2].nonzero().flatten().tolist() == [0, 6, 8, 9]
    # a multi-label problem: some digits have none, some several
    counts = table.sum(1).tolist()
    assert counts[1] == counts[3] == 0 and counts[6] == counts[8] == 3 and counts[0] == counts[9] == 2
    assert all(tuple(int(v) for v in table[d]) == DIGIT_ATTRIBUTES[d] for d in range(10))


def test_digit_attributes_keeps_shape_and_rejects_non_digits():
    assert digit_attributes([[1, 2], [3, 4]]).shape == (2, 2, 3)
    assert digit_attributes([5], dtype=torch.float64).dtype == torch.float64
    with pytest.raises(ValueError, match="holds 10"):
        digit_attributes([10])
    with pytest.raises(TypeError, match="integer labels"):
        digit_attributes(torch.tensor([1.0]))


def test_load_digit_attributes_uses_the_digits_split():
    (X, Y, d), (X_val, Y_val, d_val) = load_digit_attributes(return_digits=True)
    (X_ref, y_ref), (X_val_ref, y_val_ref) = load_digits()
    assert torch.equal(X, X_ref) and torch.equal(d, y_ref) and torch.equal(X_val, X_val_ref)
    assert Y.shape == (len(X), 3) and Y.dtype == torch.float32
    assert torch.equal(Y, digit_attributes(d)) and torch.equal(Y_val, digit_attributes(d_val))
    (X2, Y2), _ = load_digit_attributes(seed=1, val_fraction=0.5)
    assert len(X2) < len(X)
