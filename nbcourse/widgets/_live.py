"""The live representation of an :class:`~nbcourse.widgets.Interactive`: ipywidgets controls
that call the figure function again and show the new figure (in a kernel: Jupyter, Colab)."""

from __future__ import annotations

import html
import traceback
from typing import TYPE_CHECKING, Any

import ipywidgets as W
import numpy as np

from nbcourse.widgets._choices import Points

if TYPE_CHECKING:  # pragma: no cover
    from nbcourse.widgets._core import Frame, Interactive

__all__ = ["LiveView", "ipympl_active"]


def ipympl_active() -> bool:
    """True when matplotlib draws with ipympl (``%matplotlib widget``), where points can be dragged."""
    import matplotlib

    backend = str(matplotlib.get_backend()).lower()
    return "ipympl" in backend or backend == "widget"


class LiveView(W.VBox):
    """ipywidgets controls over a figure; each change calls the function and shows the new figure.

    Buttons (:class:`Options`) become toggle buttons (a dropdown past six values), sliders a
    ``SelectionSlider`` over the values the other parameters allow, :class:`Points` toggle buttons;
    with ``%matplotlib widget`` the figure is a live canvas whose ring can be dragged anywhere.

    A slider that has a single value with the other choices is greyed out, and a hint beside it
    says which choices make it move. In drag mode one live figure is redrawn in place on every
    change (a new ipympl canvas per change goes blank in JupyterLab); it keeps the size in pixels
    of the static preview (``view.dpi``).

    Attributes:
        view: the :class:`Interactive`.
        values: the parameter values shown now.
        last_frame: the last PNG :class:`Frame` drawn (in drag mode: the first figure's, the preview).
        controls: parameter name -> its ipywidget.
        hints: parameter name -> the ``W.HTML`` beside its control (why a slider is greyed out; where
            a dragged point was dropped).
        figure: in drag mode, the live matplotlib figure (None before the first drawing).
    """

    def __init__(self, view: "Interactive", *, drag: bool | None = None) -> None:
        self.view = view
        self.names = list(view.params)
        self.indices: list[int | None] = list(view.start)
        self.values: dict[str, Any] = dict(view.start_values)
        has_points = any(isinstance(c, Points) for c in view.params.values())
        self.drag = has_points and (ipympl_active() if drag is None else drag)
        self._updating = False
        self.figure = None
        self._image = None
        self._overlays: dict[str, Any] = {}
        self._handles: dict[str, Any] = {}
        self.last_frame: Frame | None = None
        self.controls: dict[str, W.Widget] = {}
        self.hints: dict[str, W.HTML] = {}
        style = {"description_width": "initial"}
        rows: list[W.Widget] = []
        for p, (name, choice) in enumerate(view.params.items()):
            label = choice.label or name
            if choice.kind == "slider":
                control = W.SelectionSlider(options=[("", 0)], description=label, style=style,
                                            continuous_update=view.continuous_update,
                                            layout=W.Layout(width="min(36em, 100%)"))
            else:
                options = [(choice.format(choice.values[i]), i) for i in view.used(p)]
                many = len(options) > 6 or sum(len(text) for text, _ in options) > 60
                if many:
                    control = W.Dropdown(options=options, value=view.start[p], description=label, style=style)
                else:  # buttons as wide as their label: a fixed width cut "SGD (noisy gradient)" off
                    control = W.ToggleButtons(options=options, value=view.start[p], description=label,
                                              style={**style, "button_width": "auto"})
                if isinstance(choice, Points) and self.drag:
                    control.tooltip = "or drag the ring on the figure"
            control.observe(self._on_change(p), names="value")
            self.controls[name] = control
            if choice.kind == "slider" or (isinstance(choice, Points) and self.drag):
                hint = W.HTML(layout=W.Layout(margin="0 0 0 0.6em"))
                hint.add_class("nbw-hint")
                self.hints[name] = hint
                rows.append(W.HBox([control, hint], layout=W.Layout(align_items="center", flex_flow="row wrap")))
            else:
                rows.append(control)
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.canvas = W.Output()
        self.errors = W.Output()
        children: list[W.Widget] = []
        if view.title:
            children.append(W.HTML(f"<b>{html.escape(view.title)}</b>"))
        children += rows
        children += [self.canvas if self.drag else self.image, self.errors]
        super().__init__(children=children)
        self.add_class("nbw-live")
        self._sync_controls()
        self.redraw(raise_errors=True)

    # -- state ------------------------------------------------------------------------------
    def _on_change(self, p: int):
        def handler(change: dict[str, Any]) -> None:
            if self._updating or change["new"] is None:
                return
            self.set_index(p, change["new"])
        return handler

    def set_index(self, p: int, index: int) -> None:
        """Show value number ``index`` of parameter number ``p`` (as a click on its control would)."""
        current = list(self.indices)
        current[p] = index
        combo = self.view.resolve(current, p)
        for q, name in enumerate(self.names):
            if q != p and self.indices[q] is None:
                continue  # a point dragged off the grid stays where it was dropped
            self.indices[q] = combo[q]
            self.values[name] = self.view.params[name].values[combo[q]]
        self._sync_controls()
        self.redraw()

    def set_point(self, name: str, xy: tuple[float, float]) -> None:
        """Move the point parameter ``name`` to ``xy`` (what dropping the dragged ring does)."""
        choice = self.view.params[name]
        if not isinstance(choice, Points):
            raise ValueError(f"LiveView.set_point: parameter '{name}' is {choice!r}, not Points")
        xy = (float(xy[0]), float(xy[1]))
        self.indices[self.names.index(name)] = choice.index(xy)
        self.values[name] = xy
        self._sync_controls()
        self.redraw()

    def _sync_controls(self) -> None:
        self._updating = True
        try:
            for p, name in enumerate(self.names):
                control = self.controls[name]
                choice = self.view.params[name]
                if choice.kind == "slider":
                    avail = self.view.available(self.indices, p)
                    control.options = [(choice.format(choice.values[i]), i) for i in avail]
                    control.value = self.indices[p]
                    control.disabled = len(avail) < 2
                    self.hints[name].value = self._slider_hint(p) if control.disabled else ""
                else:
                    control.value = self.indices[p]
                    if name in self.hints:
                        dropped = self.indices[p] is None
                        self.hints[name].value = (f"dragged to {html.escape(choice.format(self.values[name]))}"
                                                  if dropped else "drag the ring to move it anywhere")
        finally:
            self._updating = False

    def _slider_hint(self, p: int) -> str:
        """Why slider number ``p`` is greyed out, and which values of a button choice move it."""
        view, grid = self.view, self.view.grid
        for q, other in enumerate(view.params.values()):
            if q == p or other.kind == "slider" or self.indices[q] is None:
                continue
            movers = [i for i in view.used(q) if len({c[p] for c in grid if c[q] == i}) > 1]
            if movers and self.indices[q] not in movers:
                names = [html.escape(other.format(other.values[i])) for i in movers]
                listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
                what = html.escape(other.label or self.names[q])
                return f"<i>fixed here: pick {listed} ({what}) to change it</i>"
        return "<i>fixed: the other choices allow only this value</i>"

    # -- drawing ----------------------------------------------------------------------------
    def redraw(self, *, raise_errors: bool = False) -> None:
        """Call the figure function with :attr:`values` and show the result."""
        try:
            if self.drag:
                self._redraw_canvas()
            else:
                self.last_frame = self.view.render(**self.values)
                self.image.value = self.last_frame.png
            if self.errors.outputs:
                self.errors.outputs = ()
        except Exception:
            if raise_errors:
                raise
            # a failing callback would otherwise vanish into the kernel's log: show it under the figure
            self.errors.outputs = ()
            self.errors.append_stderr(traceback.format_exc())

    def _redraw_canvas(self) -> None:
        """Draw the function's figure off screen and paint it into the one live figure, in place."""
        import matplotlib.pyplot as plt

        with plt.ioff():
            fig = self.view.figure(**self.values)
        try:
            if self.figure is None:
                self._make_figure(fig)
            pixels, boxes = _snapshot(fig, self.figure.dpi, [c.axes for c in self.view.params.values()
                                                              if isinstance(c, Points)])
            if self.last_frame is None:  # the static preview of the first figure
                self.last_frame = self.view.save(fig, self.values)
        finally:
            plt.close(fig)
        self._image.set_data(pixels)
        for name, choice in self.view.params.items():
            if isinstance(choice, Points):
                bounds, xlim, ylim, xscale, yscale = boxes[choice.axes]
                overlay = self._overlays[name]
                overlay.set_position(bounds)
                overlay.set_xscale(xscale)
                overlay.set_yscale(yscale)
                overlay.set_xlim(xlim)
                overlay.set_ylim(ylim)
                self._handles[name].move_to(self.values[name])
        self.figure.canvas.draw_idle()

    def _make_figure(self, first) -> None:
        """The live figure: the function's figures as an image on it, one invisible axes per point
        parameter (its data coordinates are those of the function's axes) holding the ring."""
        import matplotlib.pyplot as plt
        from nbcourse.widgets.drag import draggable_point

        width, height = first.get_size_inches()
        with plt.ioff():
            live = plt.figure(figsize=(width, height), dpi=self.view.dpi)
        backdrop = live.add_axes((0.0, 0.0, 1.0, 1.0))
        backdrop.set_axis_off()
        backdrop.set_navigate(False)
        self._image = backdrop.imshow(np.zeros((2, 2, 4), dtype=np.uint8), aspect="auto", interpolation="antialiased")
        for name, choice in self.view.params.items():
            if not isinstance(choice, Points):
                continue
            overlay = live.add_axes((0.0, 0.0, 1.0, 1.0), label=f"nbw-drag-{name}")
            overlay.set_axis_off()
            overlay.set_navigate(False)
            self._overlays[name] = overlay
            self._handles[name] = draggable_point(overlay, self.values[name],
                                                  on_release=lambda xy, name=name: self.set_point(name, xy))
        canvas = live.canvas
        for attribute in ("header_visible", "footer_visible", "toolbar_visible", "resizable"):
            if hasattr(canvas, attribute):  # ipympl: just the figure, no toolbar, no resize handle
                setattr(canvas, attribute, False)
        self.figure = live
        if isinstance(canvas, W.DOMWidget):  # ipympl's canvas takes the place of the Output
            self.children = tuple(canvas if child is self.canvas else child for child in self.children)
        # (another backend, as in tests that force drag=True, has no live canvas to show)


def _snapshot(fig, dpi: float, axes: list[int]):
    """The RGBA pixels of ``fig`` drawn at ``dpi``, and for each index in ``axes``: that axes' position
    (figure fraction), limits and scales after drawing."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    own = fig.canvas
    agg = FigureCanvasAgg(fig)  # drawn off screen by Agg, whatever the figure's backend
    try:
        fig.set_dpi(dpi)
        agg.draw()
        pixels = np.asarray(agg.buffer_rgba()).copy()
    finally:
        fig.set_canvas(own)
    boxes = {}
    for index in axes:
        ax = fig.axes[index]
        boxes[index] = (ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale())
    return pixels, boxes
