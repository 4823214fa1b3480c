"""Progress bars for long work, and whether the book build is running.

:func:`progress` is ``tqdm.auto``'s bar (a widget in Jupyter and Colab, text in a terminal), switched
off while the book build executes the notebooks: nobody watches it there, and a widget bar saved in
a page would make the static book load ipywidgets' JavaScript from a CDN.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

__all__ = ["BOOK_BUILD_ENV", "book_build", "progress"]

#: Set to ``1`` by :mod:`nbcourse.sphinxext` in the book build; the kernels it starts inherit it.
BOOK_BUILD_ENV = "NBCOURSE_BOOK_BUILD"


def book_build() -> bool:
    """True while the book build executes this notebook (frames are precomputed then)."""
    return os.environ.get(BOOK_BUILD_ENV, "") not in ("", "0", "false", "False")


def progress(iterable: Iterable | None = None, **kwargs: Any):
    """A ``tqdm.auto`` progress bar over ``iterable`` (keyword arguments go to tqdm), silent in the book build."""
    from tqdm.auto import tqdm

    kwargs["disable"] = bool(kwargs.get("disable", False)) or book_build()
    return tqdm(iterable, **kwargs)
