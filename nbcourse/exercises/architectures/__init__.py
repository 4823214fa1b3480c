r"""Exercises of the chapters *Neural network architectures I and II* (pages ``book/architectures/*``).

One module per page (``perceptron.py`` for ``book/architectures/perceptron.ipynb``, ...), each
registering its exercises as ``architectures/<name>`` and holding a table of them in its docstring.
Importing this package imports every page module, so ``nbcourse.check("architectures/...")`` finds
any of them.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
