r"""Binary images for the energy-based models: 8x8 letters drawn in code, and binarised digits.

- :func:`letter_patterns`: a few capital letters as 8x8 images of -1 (background) and +1 (ink), the
  patterns a Hopfield network stores (:mod:`nbcourse.models.hopfield`).
- :func:`load_binary_digits`: scikit-learn's 8x8 digits (pixels 0..16) thresholded to 0/1, the data
  a restricted Boltzmann machine learns (:mod:`nbcourse.models.rbm`). Nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LETTERS", "candidate_states", "letter_patterns", "load_binary_digits", "parity_data"]

#: 8x8 capital letters, one string per row, ``#`` for ink. All 64 pixels each.
LETTERS: dict[str, tuple[str, ...]] = {
    "A": (
        "..####..",
        ".##..##.",
        "##....##",
        "##....##",
        "########",
        "##....##",
        "##....##",
        "##....##",
    ),
    "C": (
        "..#####.",
        ".##...##",
        "##......",
        "##......",
        "##......",
        "##......",
        ".##...##",
        "..#####.",
    ),
    "E": (
        "########",
        "##......",
        "##......",
        "######..",
        "##......",
        "##......",
        "##......",
        "########",
    ),
    "H": (
        "##....##",
        "##....##",
        "##....##",
        "########",
        "########",
        "##....##",
        "##....##",
        "##....##",
    ),
    "L": (
        "##......",
        "##......",
        "##......",
        "##......",
        "##......",
        "##......",
        "#######.",
        "#######.",
    ),
    "O": (
        "..####..",
        ".##..##.",
        "##....##",
        "##....##",
        "##....##",
        "##....##",
        ".##..##.",
        "..####..",
    ),
    "T": (
        "########",
        "########",
        "...##...",
        "...##...",
        "...##...",
        "...##...",
        "...##...",
        "...##...",
    ),
    "X": (
        "##....##",
        ".##..##.",
        "..####..",
        "...##...",
        "...##...",
        "..####..",
        ".##..##.",
        "##....##",
    ),
    "Z": (
        "########",
        ".....##.",
        "....##..",
        "...##...",
        "..##....",
        ".##.....",
        "##......",
        "########",
    ),
    "J": (
        "....####",
        ".....##.",
        ".....##.",
        ".....##.",
        ".....##.",
        "##...##.",
        ".##.##..",
        "..###...",
    ),
    "V": (
        "##....##",
        "##....##",
        "##....##",
        ".##..##.",
        ".##..##.",
        "..####..",
        "..####..",
        "...##...",
    ),
    "N": (
        "##....##",
        "###...##",
        "####..##",
        "##.##.##",
        "##..####",
        "##...###",
        "##....##",
        "##....##",
    ),
}


def letter_patterns(letters: str = "LXZJV") -> np.ndarray:
    """The letters ``letters`` as rows of 64 values, -1 for background and +1 for ink.

    The default five (L, X, Z, J, V) overlap little (the largest overlap
    :math:`|\\xi^\\mu \\cdot \\xi^\\nu| / 64` is 0.31), so a Hopfield network of 64 units stores all
    five as fixed points. H and N overlap by 0.75: stored together with A, neither is a fixed point.

    Shape:
        Returns :math:`(P, 64)` floats, ``P = len(letters)``; ``.reshape(-1, 8, 8)`` gives the images.

    Examples::

        >>> letter_patterns("T")[0].reshape(8, 8)[2].astype(int).tolist()
        [-1, -1, -1, 1, 1, -1, -1, -1]
    """
    if not isinstance(letters, str) or not letters:
        raise TypeError(f"letter_patterns: argument 'letters' got {letters!r}, expected a non-empty string such as 'LXZJV'")
    unknown = sorted(set(letters) - set(LETTERS))
    if unknown:
        raise ValueError(f"letter_patterns: argument 'letters' holds {unknown}, expected letters among {''.join(LETTERS)}")
    return np.array([[1.0 if c == "#" else -1.0 for row in LETTERS[k] for c in row] for k in letters])


def load_binary_digits(*, threshold: float = 8.0, val_fraction: float = 0.2, seed: int = 0):
    """scikit-learn's digits as 0/1 images: ``((X_train, y_train), (X_val, y_val))`` numpy arrays.

    A pixel is 1 where its grey level (0..16) is above ``threshold``. The split is stratified and
    fixed by ``seed`` (the same split as :func:`nbcourse.data.load_digits` with the same arguments).

    Args:
        threshold: grey level above which a pixel is ink (default 8, half of the range).
        val_fraction: share held out (default 0.2; 0 gives an empty validation set).
        seed: seed of the split (default 0).

    Shape:
        ``X``: :math:`(n, 64)` float64 of 0 and 1; ``y``: :math:`(n,)` int64 classes 0..9.

    Examples::

        >>> (X, y), (X_val, y_val) = load_binary_digits()
        >>> X.shape, sorted(np.unique(X).tolist()), len(X) + len(X_val)
        ((1437, 64), [0.0, 1.0], 1797)
    """
    if not isinstance(val_fraction, (int, float)) or isinstance(val_fraction, bool) or not 0 <= val_fraction < 1:
        raise ValueError(f"load_binary_digits: argument 'val_fraction' got {val_fraction!r}, expected a number in [0, 1)")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold < 16:
        raise ValueError(f"load_binary_digits: argument 'threshold' got {threshold!r}, expected a grey level in [0, 16)")
    from sklearn.datasets import load_digits as sklearn_digits

    data = sklearn_digits()
    X, y = (data.data > threshold).astype(np.float64), data.target.astype(np.int64)
    if val_fraction > 0:
        from sklearn.model_selection import train_test_split

        X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=val_fraction, random_state=seed, stratify=y)
        return (X_train, y_train), (X_val, y_val)
    order = np.random.default_rng(seed).permutation(len(X))
    return (X[order], y[order]), (X[:0], y[:0])


def parity_data() -> np.ndarray:
    """The four 3-bit vectors with an even number of ones (the third bit is the XOR of the first two):
    the data of the page *Boltzmann machines* and of its exercises, shape ``(4, 3)``, values 0/1.

    Examples::

        >>> parity_data().tolist()
        [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    """
    from nbcourse.models.boltzmann import all_states

    V = all_states(3)
    return V[V.sum(axis=1) % 2 == 0]


def candidate_states() -> dict[str, np.ndarray]:
    """Six states of 64 units (-1/+1) by name, ``"A"`` to ``"F"``: the states of the page *Hopfield
    networks* whose stability the reader predicts, for ``HopfieldNetwork(64).fit(letter_patterns("LXZJV"))``.

    A stored letter, the same letter with one unit flipped, an inverted letter, mixtures of three and
    of two letters, and the all -1 state.
    """
    L, X, Z, J, V = letter_patterns("LXZJV")
    b = X.copy()
    b[27] *= -1
    e = np.sign(L + X)
    e[e == 0] = 1.0
    return {"A": X.copy(), "B": b, "C": -Z, "D": np.sign(L + Z + J), "E": e, "F": -np.ones(64)}
