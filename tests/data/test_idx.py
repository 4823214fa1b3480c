"""IDX files (MNIST's format): reading, gzip, checks, and the MNIST folder loader, on tiny files written here."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from nbcourse.data import load_idx, load_mnist, read_idx

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path, array, *, compress=False):
    array = np.asarray(array)
    header = bytes([0, 0, CODES[array.dtype.type], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, compress):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype is np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    t = read_idx(write_idx(tmp_path / "a.idx", array, compress=compress))
    assert t.shape == (2, 3, 4)
    assert np.array_equal(t.numpy(), array)


def test_load_idx_images_and_labels(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 4, 4), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_idx(tmp_path / "im", images, compress=True)
    write_idx(tmp_path / "lb", labels)
    X, y = load_idx(tmp_path / "im", tmp_path / "lb")
    assert X.shape == (5, 1, 4, 4) and X.dtype == torch.float32 and y.dtype == torch.long
    assert torch.allclose(X[:, 0], torch.from_numpy(images).float() / 255)
    assert y.tolist() == [3, 1, 4, 1, 5]
    Xf, _ = load_idx(tmp_path / "im", tmp_path / "lb", flatten=True, dtype=torch.float64)
    assert Xf.shape == (5, 16) and Xf.dtype == torch.float64 and 0 <= Xf.min() and Xf.max() <= 1


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing")
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "text")
    (tmp_path / "code").write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]))
    with pytest.raises(ValueError, match="unknown IDX type"):
        read_idx(tmp_path / "code")
    full = write_idx(tmp_path / "full", np.zeros((3, 2, 2), dtype=np.uint8)).read_bytes()
    (tmp_path / "short").write_bytes(full[:-1])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "badgz").write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(ValueError, match="gzip"):
        read_idx(tmp_path / "badgz")
    write_idx(tmp_path / "lb4", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="3 images but .* 4 labels"):
        load_idx(tmp_path / "full", tmp_path / "lb4")
    with pytest.raises(ValueError, match="expected labels"):
        load_idx(tmp_path / "full", tmp_path / "full")


def test_load_mnist_finds_the_standard_files(tmp_path):
    for prefix, n in (("train", 6), ("t10k", 2)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", np.full((n, 28, 28), 255, dtype=np.uint8), compress=True)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", np.arange(n, dtype=np.uint8))
    X, y = load_mnist(tmp_path)
    assert X.shape == (6, 1, 28, 28) and torch.all(X == 1.0) and y.tolist() == list(range(6))
    X_test, _ = load_mnist(tmp_path, split="test", flatten=True)
    assert X_test.shape == (2, 784)
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_mnist(tmp_path / "empty")
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="val")
