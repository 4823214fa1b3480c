"""The choices of an interactive figure, one per parameter: :class:`Options` (buttons),
:class:`Range` (a slider over evenly spaced numbers) and :class:`Points` (positions on the figure).

They are plain data: both renderings (:mod:`nbcourse.widgets._html` for the book,
:mod:`nbcourse.widgets._live` in a kernel) read them, and neither needs :mod:`nbcourse.widgets._core`.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["Options", "Points", "Range"]


def _plain_number(x: float) -> float:
    # 0.1 * 3 is 0.30000000000000004: keep 12 significant digits so labels and equality behave
    return float(f"{x:.12g}")


class Options:
    """Discrete choices for one parameter, shown as buttons (or as a slider with ``slider=True``).

    Args:
        values: the values the parameter can take, in the order they are shown. Anything
            comparable with ``==`` (strings, numbers, ``None``, tuples).
        default: the value shown first. Default: the figure function's own default when it is
            one of ``values``, else the first value.
        labels: how to show values (a dict value -> text); unlisted values use ``str``,
            and ``None`` shows as an em dash.
        label: the control's caption. Default: the parameter's name.
        slider: show a slider over the values instead of buttons (for ordered values).

    Examples::

        >>> Options(["sigmoid", "tanh"], labels={"tanh": "tanh"}).values
        ('sigmoid', 'tanh')
    """

    kind = "buttons"

    def __init__(self, values: Iterable[Any], *, default: Any = None, labels: Mapping[Any, str] | None = None,
                 label: str | None = None, slider: bool = False) -> None:
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(f"Options: argument 'values' got {values!r}, expected a list of values, "
                            "e.g. Options(['sigmoid', 'tanh'])")
        values = tuple(values)
        if not values:
            raise ValueError("Options: argument 'values' is empty, expected at least one value")
        for i, v in enumerate(values):
            if any(_same(v, w) for w in values[:i]):
                raise ValueError(f"Options: value {v!r} is listed twice in {list(values)!r}")
        self.values = values
        self.labels = dict(labels or {})
        self.label = label
        if slider:
            self.kind = "slider"
        self.default = default
        if default is not None and self.index(default) is None:
            raise ValueError(f"Options: default {default!r} is not one of the values {list(values)!r}")

    def index(self, value: Any) -> int | None:
        """Position of ``value`` among :attr:`values`, or None when it is not one of them."""
        for i, v in enumerate(self.values):
            if _same(v, value):
                return i
        return None

    def format(self, value: Any) -> str:
        """The text a control shows for ``value``."""
        for k, text in self.labels.items():
            if _same(k, value):
                return str(text)
        if value is None:
            return "\u2014"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.values)!r})"


class Range(Options):
    """Evenly spaced numbers from ``start`` to ``stop`` (inclusive), shown as a slider.

    The values are ``int`` when ``start``, ``stop`` and ``step`` all are (``Range(0, 11, 1)`` for a
    step number), floats otherwise.

    Args:
        start: the first value.
        stop: the last value; ``stop - start`` must be a whole number of steps.
        step: the spacing (positive).
        default: the value shown first. Default: the figure function's default if it is on the
            grid, else ``start``.
        label: the control's caption. Default: the parameter's name.
        fmt: format of the value shown beside the slider. Default: ``"{:g}"``.

    Examples::

        >>> Range(0.0, 1.0, 0.25).values
        (0.0, 0.25, 0.5, 0.75, 1.0)
        >>> Range(0, 6, 2).values
        (0, 2, 4, 6)
    """

    kind = "slider"

    def __init__(self, start: float, stop: float, step: float, *, default: float | None = None,
                 label: str | None = None, fmt: str = "{:g}") -> None:
        for name, x in (("start", start), ("stop", stop), ("step", step)):
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise TypeError(f"Range: argument '{name}' got {x!r}, expected a finite number")
        if step <= 0:
            raise ValueError(f"Range: argument 'step' got {step!r}, expected a positive number")
        if stop < start:
            raise ValueError(f"Range: stop ({stop!r}) is below start ({start!r}); swap them")
        count = (stop - start) / step
        if abs(count - round(count)) > 1e-6:
            raise ValueError(f"Range: ({stop!r} - {start!r}) / {step!r} = {count:g} is not a whole number of "
                             f"steps; pick a stop of start + k * step, e.g. {start + math.floor(count) * step:g}")
        if all(isinstance(x, int) for x in (start, stop, step)):  # whole numbers stay int (a step index t)
            values = [start + i * step for i in range(int(round(count)) + 1)]
        else:
            values = [_plain_number(start + i * step) for i in range(int(round(count)) + 1)]
        self.fmt = fmt
        super().__init__(values, default=None, label=label, slider=True)
        if default is not None:
            i = self.index(default)
            if i is None:
                raise ValueError(f"Range: default {default!r} is not on the grid {list(self.values)!r}")
            self.default = self.values[i]

    def index(self, value: Any) -> int | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        for i, v in enumerate(self.values):
            if abs(v - value) <= 1e-9 * max(1.0, abs(v)):
                return i
        return None

    def format(self, value: Any) -> str:
        return self.fmt.format(value)

    def __repr__(self) -> str:
        v = self.values
        return f"Range({v[0]!r}, {v[-1]!r}, {(v[1] - v[0]) if len(v) > 1 else 0!r})"


class Points(Options):
    """Positions ``(x, y)`` in data coordinates of ``fig.axes[axes]``, for "move the dot" figures.

    The book draws a clickable ring on the figure at every position (the reader clicks where the
    dot should go); in a kernel with ``%matplotlib widget`` (ipympl) the dot can be dragged
    anywhere, and the function is called with the dropped position as a tuple of two floats.

    Args:
        points: the candidate positions, a list of ``(x, y)``.
        default: the position shown first. Default: the function's default if listed, else the first.
        axes: index into ``fig.axes`` of the axes whose data coordinates the points are in.
        label: the control's caption. Default: the parameter's name.
        fmt: format of a position in captions. Default: ``"({:.3g}, {:.3g})"``.

    Examples::

        >>> Points([(0, 1), (2.5, -1)]).values
        ((0.0, 1.0), (2.5, -1.0))
    """

    kind = "points"

    def __init__(self, points: Iterable[Sequence[float]], *, default: Sequence[float] | None = None,
                 axes: int = 0, label: str | None = None, fmt: str = "({:.3g}, {:.3g})") -> None:
        pts = []
        for p in points:
            if len(p) != 2 or not all(isinstance(c, (int, float)) and math.isfinite(c) for c in p):
                raise TypeError(f"Points: got the point {p!r}, expected a pair of finite numbers (x, y)")
            pts.append((float(p[0]), float(p[1])))
        if not isinstance(axes, int) or axes < 0:
            raise TypeError(f"Points: argument 'axes' got {axes!r}, expected an index into fig.axes (0, 1, ...)")
        self.axes = axes
        self.fmt = fmt
        super().__init__(pts, default=None, label=label)
        if default is not None:
            i = self.index(default)
            if i is None:
                raise ValueError(f"Points: default {default!r} is not one of the points {pts!r}")
            self.default = self.values[i]

    def index(self, value: Any) -> int | None:
        try:
            x, y = (float(c) for c in value)
        except (TypeError, ValueError):
            return None
        for i, (px, py) in enumerate(self.values):
            if abs(px - x) <= 1e-9 * max(1.0, abs(px)) and abs(py - y) <= 1e-9 * max(1.0, abs(py)):
                return i
        return None

    def format(self, value: Any) -> str:
        return self.fmt.format(*value)


def _same(a: Any, b: Any) -> bool:
    """Equality for choice values: None only equals None, numbers equal within 1e-9 relative."""
    if a is None or b is None:
        return a is b
    a_num = isinstance(a, (int, float)) and not isinstance(a, bool)
    b_num = isinstance(b, (int, float)) and not isinstance(b, bool)
    if a_num and b_num:
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    if a_num != b_num:
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - arrays and other odd values simply do not match
        return False
