r"""Interactive figures that work in a kernel (Jupyter, Colab) and in the built book without one.

An interactive figure is declared once: a plain function of named parameters that draws a
matplotlib figure, plus the choices for each parameter. :func:`interactive` turns the pair into
an :class:`Interactive` that shows itself, as the last expression of a cell, in the right way:

* **in a kernel** (JupyterLab, Notebook, VS Code, Colab): ipywidgets controls that call the
  function again and show the new figure. Sliders redraw when released
  (``continuous_update=False``), so slow figures stay usable;
* **in the built book** (no kernel behind the page): every combination of choices, or the
  combinations listed in ``subset``, is drawn while the book executes, and plain HTML/JS controls
  embedded in the page switch between those frames (PNG images inside the page: nothing is
  fetched, it works from ``file://``). Only the book build pays for this: the Sphinx extension
  :mod:`nbcourse.sphinxext` (listed in ``_config.yml``) sets the environment variable
  ``NBCOURSE_BOOK_BUILD=1`` that the build's kernels inherit. A student's run and nbval draw one
  frame per change, like any ipywidget.

The same cell output carries both representations: ``application/vnd.jupyter.widget-view+json``
(the live widget) and ``text/html`` (the frames in the book, a static preview elsewhere);
``nb_mime_priority_overrides`` in ``_config.yml`` makes the book's HTML builder pick ``text/html``.

Writing an interactive figure
-----------------------------
::

    import matplotlib.pyplot as plt
    from nbcourse.widgets import interactive, Options, Range

    def damped(kind="sine", decay=0.5):
        # a plain function: usable and testable on its own; it returns the figure
        fig, ax = plt.subplots(figsize=(7, 3))
        ...
        return fig

    interactive(
        damped,
        kind=Options(["sine", "square"]),       # buttons
        decay=Range(0.0, 1.0, 0.25),             # a slider over 0, 0.25, ..., 1
        title="How decay shapes the signal",
    )

Rules for the function: keyword parameters only, every one declared in :func:`interactive`;
return a :class:`matplotlib.figure.Figure` (or draw on ``plt.gcf()`` and return ``None``); do not
call ``plt.show()``; keep the figure size the same for every combination; every random thing takes
a fixed ``seed``. :class:`Interactive` closes each figure after saving it.

Choices
-------
* :class:`Options` ``(values, *, default=None, labels=None, label=None)``: discrete values,
  shown as buttons.
* :class:`Range` ``(start, stop, step, *, default=None, label=None, fmt="{:g}")``: evenly spaced
  numbers from ``start`` to ``stop`` inclusive, shown as a slider.
* :class:`Points` ``(points, *, default=None, axes=0, label=None, fmt=...)``: positions ``(x, y)`` in
  the data coordinates of ``fig.axes[axes]``, for "drag the red dot" figures. The book draws a
  clickable marker at every candidate position on top of the figure (click one to move the dot
  there); in a kernel with the interactive backend (``%matplotlib widget``, from ``ipympl``) the
  dot can be dragged anywhere and the function is called with the dropped position; with the
  default inline backend the positions are buttons.

Budgets and subsets
-------------------
The book draws one frame per combination, so keep the grid small: drawing one widget's frames
should take under 20 s here (``benches/bench_widgets.py`` measures it) and the page with its frames
must stay under 3 MB (``tests/test_widgets.py`` and the book build enforce it). When a parameter only matters for some values of another (the slope
of leaky ReLU means nothing for the sigmoid), pass ``subset``: the list of combinations to draw,
each a dict of every parameter, instead of the full product. When a change leaves another
parameter on a value that has no frame, the first combination of ``subset`` (in the order given)
that matches the rest is shown, so list each group's preferred combination first. A control
whose parameter has a single value in the current context is greyed out.

Direct manipulation
-------------------
:func:`draggable_point` ``(ax, xy, *, on_move=None, on_release=None, ...)`` makes a point on any
axes draggable with the mouse under an interactive backend (``%matplotlib widget``); it is what
:class:`Points` uses in a kernel, and it can be used on its own::

    %matplotlib widget
    fig, ax = plt.subplots()
    ...                                          # draw the cost landscape
    handle = draggable_point(ax, (w0, b0), on_release=lambda xy: print(xy))

"Drag the red dot on the cost landscape" is therefore written as::

    def descent_figure(start=(-1.5, 2.0), lr=0.1):
        fig, ax = plt.subplots(figsize=(6, 4))
        ...                                      # contours, the path from start
        ax.plot(*start, "o", color="tab:red")   # the red dot, drawn by the function
        ax.set_xlim(-3, 3); ax.set_ylim(-3, 3)   # fixed limits: the rings stay put
        return fig

    interactive(descent_figure,
                start=Points([(-1.5, 2.0), (2.0, 2.0), (0.5, -2.5)]),   # the book's clickable rings
                lr=Options([0.01, 0.1, 0.5]))

In a notebook that the book executes, declare the figure with :func:`interactive` and a
:class:`Points` parameter (see above) rather than calling :func:`draggable_point` yourself: the
interactive backend would be frozen in the book.

What an :class:`Interactive` offers
-----------------------------------
``view.figure(**values)`` (the function's figure, start values filling the rest; you close it),
``view.render(**values)`` (one PNG :class:`Frame`), ``view.combinations()`` (the grid as dicts),
``view.precompute()`` (every frame), ``view.to_html()`` (the book's HTML), ``view.widget()`` (the
live ipywidgets view), ``view.resolve(...)`` / ``view.available(...)`` (the choice rule above).

A chapter's interactive figure, step by step
--------------------------------------------
This package knows no chapter: the course's figures live in :mod:`nbcourse.figures`, one module per
topic, beside the algorithm they draw (which imports neither matplotlib nor this package).

1. Write the figure function in ``nbcourse/figures/<topic>.py``, with defaults, returning the
   figure; test it like any function (``tests/figures/test_<topic>.py``).
2. In the same module, add an explorer: a function without arguments, decorated with
   :func:`register`, that returns ``interactive(...)``; list both in the module's ``__all__``.
   ``tests/test_widgets.py`` draws every registered explorer across its whole grid.
3. In the notebook, a cell marked for nbval ends with the explorer's call::

       # NBVAL_IGNORE_OUTPUT
       from nbcourse.figures.activations import activation_explorer
       activation_explorer()

:func:`registered` imports every public module of :mod:`nbcourse` (which registers their
explorers) and returns the factories by qualified name, e.g.
``"nbcourse.figures.activations.activation_explorer"``.
"""

from __future__ import annotations

from nbcourse.widgets._core import (
    BOOK_BUILD_ENV,
    Interactive,
    Options,
    Points,
    Range,
    book_build,
    interactive,
    register,
    registered,
)
from nbcourse.widgets.drag import DraggablePoint, draggable_point

__all__ = [
    "BOOK_BUILD_ENV",
    "DraggablePoint",
    "Interactive",
    "Options",
    "Points",
    "Range",
    "book_build",
    "draggable_point",
    "interactive",
    "register",
    "registered",
]
