"""The Examples:: in the docstrings of the trainer, models and data loaders run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["nbcourse.train", "nbcourse.train.trainer", "nbcourse.train.history", "nbcourse.train.callbacks",
           "nbcourse.train.metrics", "nbcourse.train.devices", "nbcourse.train.preflight", "nbcourse.train.resume",
           "nbcourse.train.batches", "nbcourse.models", "nbcourse.models.mlp",
           "nbcourse.models.cnn", "nbcourse.models._activation", "nbcourse.data.digits", "nbcourse.data.idx"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
