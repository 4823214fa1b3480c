"""nbcourse: the companion package of the course *Activations, Losses and Architectures*.

The layout follows the course (see the README for the full map):

- :mod:`nbcourse.activations`  every activation of the lecture, with its analytic derivative
- :mod:`nbcourse.losses`       every loss and output function, with its analytic derivative
- :mod:`nbcourse.models`       the architectures, one file each
- :mod:`nbcourse.train`        one trainer for every chapter, on CPU or GPU
- :mod:`nbcourse.data`         the data sets the chapters use
- :mod:`nbcourse.landscape`    loss surfaces and slices through a network's loss
- :mod:`nbcourse.descent`      batch, stochastic and mini-batch descent on surfaces and the line model
- :mod:`nbcourse.minibatch`    mini-batch gradient variance, cost per update, steps to a target
- :mod:`nbcourse.per_sample`   the value of one sample: per-sample losses and gradient norms
- :mod:`nbcourse.sampling`     shuffling and balancing: samplers and class weights
- :mod:`nbcourse.babysitting`  reading learning curves: :func:`nbcourse.diagnose`
- :mod:`nbcourse.figures`      the figures and explorers of each topic, apart from the algorithms above
- :mod:`nbcourse.widgets`      the framework of interactive figures, with and without a kernel
- :mod:`nbcourse.exercises`    checking (:func:`nbcourse.check`) and grading exercises
- :mod:`nbcourse.colab`        every notebook's first cell: :func:`nbcourse.require` checks the version

Submodules are imported on first use, so ``import nbcourse`` stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "activations", "losses", "models", "train", "data", "landscape",
    "babysitting", "figures", "widgets", "exercises", "style", "colab",
    "descent", "minibatch", "per_sample", "sampling",
}
# public functions that live in a submodule: name -> (module, attribute)
_FUNCTIONS = {
    "check": ("nbcourse.exercises", "check"),
    "diagnose": ("nbcourse.babysitting", "diagnose"),
    "require": ("nbcourse.colab", "require"),
    "recommend_head": ("nbcourse.tasks", "recommend_head"),
}

__all__ = sorted(_SUBMODULES | set(_FUNCTIONS)) + ["__version__"]


def __getattr__(name: str):
    if name in _FUNCTIONS:
        module, attribute = _FUNCTIONS[name]
        return getattr(importlib.import_module(module), attribute)
    if name in _SUBMODULES:
        return importlib.import_module(f"nbcourse.{name}")
    raise AttributeError(f"module 'nbcourse' has no attribute {name!r}")


def __dir__():
    return __all__
