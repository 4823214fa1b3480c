"""Sphinx extension of the course's book (listed in ``_config.yml`` under ``sphinx: extra_extensions``).

It does two things that only the book build needs:

* sets ``NBCOURSE_BOOK_BUILD=1`` in the environment of the build, which the kernels that execute
  the notebooks inherit: :class:`nbcourse.widgets.Interactive` then precomputes its frames and
  shows kernel-free HTML controls. A student's Jupyter, Colab and nbval never load this extension,
  so they never pay for the frames;
* when the HTML is written, warns about any page heavier than :data:`PAGE_BUDGET_BYTES`
  (with ``-W`` a warning fails the build), so a widget with too many frames cannot slip in;
* serves MathJax from the book itself instead of a CDN, so formulas render in a book opened from
  ``file://`` without a network. The files come from the ``sphinx-mathjax-offline`` package
  (MathJax 3.2, in ``requirements.txt``); only the TeX-to-HTML bundle and its fonts are copied
  (about 2 MB). Without that package the book falls back to Sphinx's CDN default.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

from nbcourse.widgets._core import BOOK_BUILD_ENV

__all__ = ["PAGE_BUDGET_BYTES", "heavy_pages", "setup"]

#: Most bytes one HTML page of the book may weigh, frames of its widgets included.
PAGE_BUDGET_BYTES = 3_000_000


def heavy_pages(outdir: str | os.PathLike, budget: int = PAGE_BUDGET_BYTES) -> list[tuple[str, int]]:
    """The HTML pages under ``outdir`` heavier than ``budget`` bytes, as ``(relative path, bytes)``."""
    root = Path(outdir)
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*.html")
                  if p.stat().st_size > budget)


def _check_page_weight(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    for page, size in heavy_pages(app.outdir, PAGE_BUDGET_BYTES):
        logger.warning(f"nbcourse: {page} weighs {size / 1e6:.1f} MB, over the {PAGE_BUDGET_BYTES / 1e6:.0f} MB "
                       "budget: draw fewer frames (a coarser Range step or subset=[...]) or lower dpi")


#: What the book needs of MathJax, relative to MathJax's ``es5`` folder: the TeX input with HTML
#: output in one file, the web fonts it loads from ``output/chtml/fonts`` next to itself, and the TeX
#: extensions it loads on demand (``\\boldsymbol``, for one).
MATHJAX_FILES = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


def local_mathjax() -> Path | None:
    """The folder holding a local MathJax 3 (``tex-chtml.js``), or None when none is installed."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "static" / "mathjax"
        if (folder / MATHJAX_FILES[0]).is_file():
            return folder
    return None


def _use_local_mathjax(app: Any, config: Any) -> None:
    if local_mathjax() is not None:
        # relative to the built book's _static folder; Sphinx writes the right path for each page
        config.mathjax_path = "mathjax/tex-chtml.js"


def _copy_local_mathjax(app: Any, exception: Exception | None) -> None:
    source = local_mathjax()
    if exception is not None or source is None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for name in MATHJAX_FILES:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: mark the process as a book build, serve MathJax locally, check page weight."""
    os.environ[BOOK_BUILD_ENV] = "1"
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_local_mathjax)
    app.connect("build-finished", _check_page_weight)
    from nbcourse import __version__

    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
