"""Direct manipulation: a point that the mouse drags across matplotlib axes.

Dragging needs an interactive backend, i.e. a kernel running ``%matplotlib widget`` (the ``ipympl``
package, in the course's requirements; on Colab run ``from google.colab import output;
output.enable_custom_widget_manager()`` first). The built book has no kernel: there, declare the
figure with :func:`nbcourse.widgets.interactive` and a :class:`~nbcourse.widgets.Points` parameter,
which offers the candidate positions as clickable rings, and in a kernel uses this module to drag.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

__all__ = ["DraggablePoint", "draggable_point"]


class DraggablePoint:
    """A marker on ``ax`` that follows the mouse while the left button holds it.

    Args:
        ax: the axes (its data coordinates are the point's coordinates).
        xy: the starting position ``(x, y)``.
        on_move: called with ``(x, y)`` on every mouse move while dragging. Default: None.
        on_release: called with ``(x, y)`` when the button is released. Default: None.
        color: the marker's edge colour. Default: ``"tab:red"``.
        size: the marker's size in points (also the grab radius). Default: 14.

    Attributes:
        xy: the current position, a tuple of two floats.
        artist: the :class:`matplotlib.lines.Line2D` drawn (a hollow ring that says "grab me").

    Examples::

        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> handle = DraggablePoint(ax, (0.5, 0.5), on_release=print)
        >>> handle.xy
        (0.5, 0.5)
        >>> handle.disconnect(); plt.close(fig)
    """

    def __init__(self, ax: Any, xy: Sequence[float], *, on_move: Callable[[tuple[float, float]], Any] | None = None,
                 on_release: Callable[[tuple[float, float]], Any] | None = None, color: str = "tab:red",
                 size: float = 14) -> None:
        try:
            x, y = (float(c) for c in xy)
        except (TypeError, ValueError):
            raise TypeError(f"draggable_point: argument 'xy' got {xy!r}, expected a pair of numbers (x, y)") from None
        if not hasattr(ax, "transData"):
            raise TypeError(f"draggable_point: argument 'ax' got {type(ax).__name__}, expected matplotlib Axes")
        self.ax = ax
        self.xy = (x, y)
        self.on_move = on_move
        self.on_release = on_release
        (self.artist,) = ax.plot([x], [y], "o", markersize=size, markerfacecolor="none", markeredgecolor=color,
                                 markeredgewidth=2.5, zorder=10, pickradius=size)
        canvas = ax.figure.canvas
        self._dragging = False
        self._cids = [
            canvas.mpl_connect("button_press_event", self._press),
            canvas.mpl_connect("motion_notify_event", self._move),
            canvas.mpl_connect("button_release_event", self._release),
        ]

    def _press(self, event: Any) -> None:
        if event.inaxes is not self.ax or event.button != 1:
            return
        hit, _ = self.artist.contains(event)
        self._dragging = bool(hit)

    def _move(self, event: Any) -> None:
        if not self._dragging or event.inaxes is not self.ax or event.xdata is None:
            return
        self.xy = (float(event.xdata), float(event.ydata))
        self.artist.set_data([self.xy[0]], [self.xy[1]])
        self.ax.figure.canvas.draw_idle()
        if self.on_move is not None:
            self.on_move(self.xy)

    def _release(self, event: Any) -> None:
        if not self._dragging:
            return
        self._dragging = False
        if event.inaxes is self.ax and event.xdata is not None:  # where the button was released: a
            self.xy = (float(event.xdata), float(event.ydata))   # front end may drop the last moves
            self.artist.set_data([self.xy[0]], [self.xy[1]])
        if self.on_release is not None:
            self.on_release(self.xy)

    def move_to(self, xy: Sequence[float]) -> None:
        """Put the marker at ``xy`` (a program's move: neither ``on_move`` nor ``on_release`` is called)."""
        self.xy = (float(xy[0]), float(xy[1]))
        self.artist.set_data([self.xy[0]], [self.xy[1]])

    def disconnect(self) -> None:
        """Stop following the mouse (the marker stays drawn)."""
        for cid in self._cids:
            self.ax.figure.canvas.mpl_disconnect(cid)
        self._cids = []


def draggable_point(ax: Any, xy: Sequence[float], *, on_move: Callable[[tuple[float, float]], Any] | None = None,
                    on_release: Callable[[tuple[float, float]], Any] | None = None, color: str = "tab:red",
                    size: float = 14) -> DraggablePoint:
    """Make a point on ``ax`` draggable with the mouse; returns the :class:`DraggablePoint`.

    Keep the returned handle in a variable: matplotlib holds callbacks weakly.

    Args:
        ax: the axes to drag on.
        xy: the starting position ``(x, y)`` in data coordinates.
        on_move: called with ``(x, y)`` while dragging (keep it fast). Default: None.
        on_release: called with ``(x, y)`` when the point is dropped. Default: None.
        color: the ring's colour. Default: ``"tab:red"``.
        size: the ring's size in points. Default: 14.

    Examples::

        %matplotlib widget
        fig, ax = plt.subplots()
        ax.contour(W1, W2, J)                                   # the cost landscape
        start = draggable_point(ax, (-1.5, 2.0), on_release=lambda xy: print("start", xy))
    """
    return DraggablePoint(ax, xy, on_move=on_move, on_release=on_release, color=color, size=size)
