"""Sphinx extension of the course's book (listed in ``_config.yml`` under ``sphinx: extra_extensions``).

It does two things that only the book build needs:

* sets ``NBCOURSE_BOOK_BUILD=1`` in the environment of the build, which the kernels that execute
  the notebooks inherit: :class:`nbcourse.widgets.Interactive` then precomputes its frames and
  shows kernel-free HTML controls. A student's Jupyter, Colab and nbval never load this extension,
  so they never pay for the frames;
* when the HTML is written, warns about any page heavier than :data:`PAGE_BUDGET_BYTES`
  (with ``-W`` a warning fails the build), so a widget with too many frames cannot slip in.
"""

from __future__ import annotations

import os
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


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: mark the process as a book build, check page weight when done."""
    os.environ[BOOK_BUILD_ENV] = "1"
    app.connect("build-finished", _check_page_weight)
    from nbcourse import __version__

    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
