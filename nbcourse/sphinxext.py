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
  (about 2 MB). Without that package the book falls back to Sphinx's CDN default;
* keeps test scaffolding out of the rendered book: nbval's ``# NBVAL_...`` marker lines are taken out
  of the code cells shown (the notebooks keep them, so ``pytest --nbval-lax`` still reads them);
* makes long output lines wrap instead of being clipped behind a horizontal scroll bar
  (:data:`BOOK_CSS`, written to ``_static/nbcourse-book.css``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path
from typing import Any

from nbcourse.widgets._core import BOOK_BUILD_ENV

__all__ = ["PAGE_BUDGET_BYTES", "BOOK_CSS", "heavy_pages", "strip_test_markers", "setup"]

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


#: A line that is only an nbval marker comment, e.g. ``# NBVAL_CHECK_OUTPUT`` or ``# NBVAL_IGNORE_OUTPUT``.
_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*$")


def strip_test_markers(source: str) -> str:
    """``source`` without its nbval marker lines (and the blank lines a removed marker leaves at the top)."""
    if "NBVAL_" not in source:
        return source
    kept = [line for line in source.split("\n") if not _MARKER.match(line)]
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


def _strip_markers_from_cells(app: Any, doctree: Any) -> None:
    """Take nbval's marker lines out of the notebook code cells shown in the book (myst-nb puts each cell's
    source in a literal block inside a container of class ``cell_input``)."""
    from docutils import nodes

    for block in list(doctree.findall(nodes.literal_block)):
        parent = block.parent
        if parent is None or "cell_input" not in parent.get("classes", []):
            continue
        text = block.astext()
        cleaned = strip_test_markers(text)
        if cleaned != text:
            block.children = [nodes.Text(cleaned)]
            block.rawsource = cleaned


#: The book's own style sheet: output lines wrap (a long printed line stays readable on a phone and
#: in a screenshot instead of hiding behind a scroll bar); code cells keep their layout.
BOOK_CSS = """\
/* nbcourse: wrap long output lines instead of clipping them */
div.cell_output pre,
div.cell_output .output pre,
div.output.text_plain pre,
div.output.stream pre,
div.output.traceback pre {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
"""
BOOK_CSS_FILE = "nbcourse-book.css"


def _write_book_css(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / BOOK_CSS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(BOOK_CSS, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: mark the process as a book build, serve MathJax locally, check page weight,
    strip nbval markers from the cells shown, and wrap long output lines."""
    os.environ[BOOK_BUILD_ENV] = "1"
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_local_mathjax)
    app.connect("build-finished", _check_page_weight)
    app.connect("doctree-read", _strip_markers_from_cells)
    app.connect("build-finished", _write_book_css)
    app.add_css_file(BOOK_CSS_FILE)
    from nbcourse import __version__

    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
