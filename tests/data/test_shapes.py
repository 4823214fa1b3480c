"""The shapes segmentation data: shapes, labels, seeds, that labels mark the bright pixels, and errors."""

from __future__ import annotations

import pytest
import torch

from nbcourse.data.shapes import SHAPE_CLASSES, make_shapes


def test_shapes_dtypes_and_sizes():
    X, y = make_shapes(5, size=(20, 33), seed=0)
    assert X.shape == (5, 1, 20, 33) and X.dtype == torch.float32
    assert y.shape == (5, 20, 33) and y.dtype == torch.int64
    assert make_shapes(3, size=16, dtype=torch.float64)[0].dtype == torch.float64
    assert make_shapes(0)[0].shape == (0, 1, 32, 32)


def test_seeded_and_all_classes_present():
    X, y = make_shapes(40, seed=3)
    X2, y2 = make_shapes(40, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert not torch.equal(make_shapes(40, seed=4)[1], y)
    assert set(y.unique().tolist()) == set(range(len(SHAPE_CLASSES)))
    assert all((y[i] > 0).any() for i in range(len(y))), "every image holds a shape"


def test_labels_mark_the_bright_pixels():
    X, y = make_shapes(20, noise=0.0, seed=1)
    assert torch.equal(X[:, 0] > 0.4, y > 0)
    X, y = make_shapes(200, noise=0.3, seed=1)
    inside, outside = X[:, 0][y > 0].mean(), X[:, 0][y == 0].mean()
    assert abs(inside - 0.8) < 0.02 and abs(outside) < 0.02


def test_disc_square_triangle_geometry():
    """A disc fills about pi/4 of its bounding box, a square all of it, a triangle about half."""
    _, y = make_shapes(300, shapes_per_image=(1, 1), noise=0.0, seed=2)
    fill = {1: [], 2: [], 3: []}
    for lab in y:
        k = int(lab.max())
        rows, cols = torch.nonzero(lab == k, as_tuple=True)
        box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        fill[k].append(float(len(rows) / box))
    mean = {k: sum(v) / len(v) for k, v in fill.items()}
    assert 0.7 < mean[1] < 0.85 and abs(mean[2] - 1) < 1e-6 and 0.45 < mean[3] < 0.65


def test_shapes_keep_their_scale_on_larger_images():
    _, small = make_shapes(100, size=32, seed=0)
    _, large = make_shapes(100, size=(48, 64), seed=0)
    per_image = [float((lab > 0).sum()) / len(lab) for lab in (small, large)]
    assert abs(per_image[0] - per_image[1]) < 0.2 * per_image[0], per_image


def test_errors():
    with pytest.raises(ValueError, match="'size'"):
        make_shapes(2, size=4)
    with pytest.raises(ValueError, match="'size'"):
        make_shapes(2, size=(10, "a"))
    with pytest.raises(ValueError, match="'n'"):
        make_shapes(-1)
    with pytest.raises(ValueError, match="'shapes_per_image'"):
        make_shapes(2, shapes_per_image=(0, 2))
    with pytest.raises(ValueError, match="'radius'"):
        make_shapes(2, radius=(0, 2))
    with pytest.raises(ValueError, match="'radius'"):
        make_shapes(2, size=16, radius=(4, 8))
