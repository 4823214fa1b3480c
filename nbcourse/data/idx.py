r"""Larger image sets from files you already have: the IDX format of MNIST and Fashion-MNIST.

Nothing is downloaded. Get the four files of a data set once (for MNIST:
``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
``t10k-labels-idx1-ubyte.gz``; Fashion-MNIST uses the same names), put them in a folder, and::

    (X, y) = load_mnist("data/mnist", split="train")

The IDX format (LeCun, Cortes and Burges, *The MNIST database of handwritten digits*): a 4-byte
magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` sizes as big-endian 32-bit integers, then
the values in big-endian order, row-major. Files may be gzip-compressed (recognised by content).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import torch

__all__ = ["read_idx", "load_idx", "load_mnist"]

# IDX type code -> numpy dtype (big-endian)
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"read_idx: {str(path)!r} looks gzip-compressed but cannot be decompressed ({e})") from None
    return raw


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """The array stored in one IDX file (gzip-compressed or not), as a tensor of its own dtype.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not an IDX file, an unknown type code, or a file shorter than its header says.

    Examples::

        >>> import tempfile, numpy as np
        >>> path = Path(tempfile.mkdtemp()) / "tiny-idx1-ubyte"
        >>> _ = path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
        >>> read_idx(path)
        tensor([7, 8, 9], dtype=torch.uint8)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_idx: no file {str(path)!r}")
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {str(path)!r} is not an IDX file (its first two bytes must be 0)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"read_idx: {str(path)!r} has the unknown IDX type code {code:#04x}; "
                         f"known: {[hex(c) for c in _IDX_TYPES]}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {str(path)!r} is truncated: its header needs {header} bytes, the file has {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    expected = header + count * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"read_idx: {str(path)!r} has {len(raw)} bytes, but a {dtype.name} array of shape {shape} "
                         f"needs {expected}: the file is truncated or not what its header says")
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return torch.from_numpy(array.astype(dtype.newbyteorder("="), copy=True))


def load_idx(images_path: str | os.PathLike, labels_path: str | os.PathLike, *, flatten: bool = False,
             dtype: torch.dtype = torch.float32):
    r"""Images and labels from a pair of IDX files, ready for the trainer.

    Pixels of unsigned-byte images are scaled to :math:`[0, 1]` (divided by 255); other types are
    converted as they are.

    Args:
        images_path: IDX file of the images, ``(N, H, W)`` (or ``(N, C, H, W)``).
        labels_path: IDX file of the labels, ``(N,)``.
        flatten: ``False`` (default) for images ``(N, 1, H, W)``, ``True`` for vectors ``(N, H*W)``.
        dtype: floating dtype of the images (default ``torch.float32``); labels are ``torch.long``.

    Returns:
        ``(X, y)``.

    Raises:
        ValueError: when the two files hold different numbers of samples, or have the wrong shapes.

    Examples::

        >>> # X, y = load_idx("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"load_idx: argument 'dtype' got {dtype!r}, expected a floating torch dtype")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim not in (3, 4):
        raise ValueError(f"load_idx: {str(images_path)!r} holds an array of shape {tuple(images.shape)}; "
                         "expected images (N, H, W) or (N, C, H, W)")
    if labels.ndim != 1:
        raise ValueError(f"load_idx: {str(labels_path)!r} holds an array of shape {tuple(labels.shape)}; expected labels (N,)")
    if len(images) != len(labels):
        raise ValueError(f"load_idx: {str(images_path)!r} has {len(images)} images but {str(labels_path)!r} has "
                         f"{len(labels)} labels; are they from the same split?")
    X = images.to(dtype)
    if images.dtype == torch.uint8:
        X = X / 255.0
    if images.ndim == 3:
        X = X.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
    if flatten:
        X = X.flatten(1)
    return X, labels.long()


def load_mnist(root: str | os.PathLike, *, split: str = "train", flatten: bool = False,
               dtype: torch.dtype = torch.float32):
    """MNIST or Fashion-MNIST from the four standard files in ``root`` (gzip-compressed or not).

    Args:
        root: folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``.
        split: ``"train"`` (default, 60,000 images) or ``"test"`` (10,000).
        flatten, dtype: as in :func:`load_idx`.

    Returns:
        ``(X, y)``: images ``(N, 1, 28, 28)`` in [0, 1] and labels ``(N,)``.

    Raises:
        FileNotFoundError: naming the files it looked for.
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_mnist: argument 'split' got {split!r}, expected 'train' or 'test'")
    prefix = "train" if split == "train" else "t10k"
    root = Path(root)
    found = []
    for stem in (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"):
        candidates = [root / stem, root / f"{stem}.gz", root / stem.replace("-idx", ".idx")]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            raise FileNotFoundError(
                f"load_mnist: no {stem}[.gz] in {str(root)!r}. Download the four files of MNIST (or "
                "Fashion-MNIST) once and put them there; nbcourse never downloads data itself."
            )
        found.append(path)
    return load_idx(found[0], found[1], flatten=flatten, dtype=dtype)
