"""nbcourse.data.binary: the letters and the binarised digits."""

from __future__ import annotations

import numpy as np
import pytest

from nbcourse.data.binary import LETTERS, letter_patterns, load_binary_digits


def test_letters_are_8x8_and_pm1():
    P = letter_patterns("".join(LETTERS))
    assert P.shape == (len(LETTERS), 64) and set(np.unique(P)) == {-1.0, 1.0}
    assert all(len(rows) == 8 and all(len(r) == 8 for r in rows) for rows in LETTERS.values())
    default = letter_patterns()
    overlaps = np.abs(default @ default.T / 64 - np.eye(5))
    assert overlaps.max() == pytest.approx(0.3125)


def test_letter_errors():
    with pytest.raises(ValueError, match=r"\['Q'\]"):
        letter_patterns("AQ")
    with pytest.raises(TypeError, match="non-empty string"):
        letter_patterns("")


def test_binary_digits_split_and_threshold():
    (X, y), (X_val, y_val) = load_binary_digits(threshold=8, seed=0)
    assert X.shape == (1437, 64) and X_val.shape == (360, 64) and set(np.unique(X)) == {0.0, 1.0}
    assert y.dtype == np.int64 and sorted(np.unique(y)) == list(range(10))
    (X4, _), _ = load_binary_digits(threshold=4, seed=0)
    assert X4.mean() > X.mean()                                 # a lower threshold: more ink
    (X_all, _), (X_none, _) = load_binary_digits(val_fraction=0)
    assert len(X_all) == 1797 and len(X_none) == 0
    with pytest.raises(ValueError, match="threshold"):
        load_binary_digits(threshold=16)
    with pytest.raises(ValueError, match="val_fraction"):
        load_binary_digits(val_fraction=1.0)
