r"""A multi-label data set made from scikit-learn's digits: three attributes of each digit.

Every image of :func:`nbcourse.data.load_digits` gets three yes/no labels instead of its class:

============  =================================  ======================
label         true for the digits                how many of 0..9
============  =================================  ======================
``even``      0, 2, 4, 6, 8                      5
``above 4``   5, 6, 7, 8, 9 (greater than 4)     5
``loop``      0, 6, 8, 9 (a closed loop)         4
============  =================================  ======================

A digit can have none of them (1, 3), one (2, 4, 5, 7) or several (0, 9: two; 6, 8: all three):
the labels are not mutually exclusive, which is what makes this a *multi-label* problem (one
sigmoid per label and binary cross-entropy), not a multi-class one (one softmax over classes).
The "closed loop" follows the printed shapes: a handwritten 4 is usually open, so it has none;
a few writers close their 4s or leave their 0s open, so that label is noisier than the others.
"""

from __future__ import annotations

import torch

__all__ = ["ATTRIBUTES", "DIGIT_ATTRIBUTES", "digit_attributes", "load_digit_attributes"]

ATTRIBUTES: tuple[str, ...] = ("even", "above 4", "loop")
"""The names of the three labels, in the order of the columns."""

_LOOP_DIGITS = frozenset({0, 6, 8, 9})

DIGIT_ATTRIBUTES: dict[int, tuple[int, int, int]] = {
    d: (int(d % 2 == 0), int(d > 4), int(d in _LOOP_DIGITS)) for d in range(10)
}
"""Digit -> its multi-hot attributes ``(even, above 4, loop)``."""


def digit_attributes(digits, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""The multi-hot attributes ``(even, above 4, loop)`` of each digit label.

    Args:
        digits: integer labels 0..9 (list, numpy array or tensor), any shape.
        dtype: floating dtype of the result. Default: ``torch.float32``.

    Shape:
        - digits: :math:`(*)`.
        - Output: :math:`(*, 3)`, columns in the order of :data:`ATTRIBUTES`.

    Examples::

        >>> digit_attributes([8, 1])
        tensor([[1., 1., 1.],
                [0., 0., 0.]])
    """
    t = torch.as_tensor(digits)
    if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"digit_attributes: argument 'digits' got dtype {t.dtype}, expected integer labels 0..9")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) > 9):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        raise ValueError(f"digit_attributes: argument 'digits' holds {bad}, expected digits 0..9")
    table = torch.tensor([DIGIT_ATTRIBUTES[d] for d in range(10)], dtype=dtype)
    return table[t.long()]


def load_digit_attributes(*, val_fraction: float = 0.2, seed: int = 0, dtype: torch.dtype = torch.float32,
                          return_digits: bool = False):
    r"""The digits with multi-hot attribute targets, as ``((X_train, Y_train), (X_val, Y_val))``.

    The images, split and standardisation are those of :func:`nbcourse.data.load_digits` with the
    same ``val_fraction`` and ``seed``; only the targets change: ``Y[n]`` is
    ``digit_attributes(digit[n])``.

    Args:
        val_fraction: share of samples held out for validation. Default: ``0.2``.
        seed: seed of the split. Default: ``0``.
        dtype: floating dtype of images and targets. Default: ``torch.float32``.
        return_digits: also return the digit labels, ``((X, Y, digits), (X_val, Y_val, digits_val))``,
            to see which digits a model gets wrong. Default: ``False``.

    Shape:
        - X_train: :math:`(N_{train}, 64)`; Y_train: :math:`(N_{train}, 3)`, values 0.0 or 1.0.

    Examples::

        >>> (X, Y), (X_val, Y_val) = load_digit_attributes()
        >>> X.shape, Y.shape, Y.dtype
        (torch.Size([1437, 64]), torch.Size([1437, 3]), torch.float32)
    """
    from nbcourse.data.digits import load_digits

    (X, d), (X_val, d_val) = load_digits(val_fraction=val_fraction, seed=seed, dtype=dtype)
    Y, Y_val = digit_attributes(d, dtype=dtype), digit_attributes(d_val, dtype=dtype)
    if return_digits:
        return (X, Y, d), (X_val, Y_val, d_val)
    return (X, Y), (X_val, Y_val)
