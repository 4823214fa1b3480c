"""The live representation of an :class:`~nbcourse.widgets.Interactive`: ipywidgets controls
that call the figure function again and show the new figure (in a kernel: Jupyter, Colab)."""

from __future__ import annotations

import html
import traceback
from typing import TYPE_CHECKING, Any

import ipywidgets as W

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

    Attributes:
        view: the :class:`Interactive`.
        values: the parameter values shown now.
        last_frame: the last PNG :class:`Frame` drawn (None in drag mode after the first figure).
        controls: parameter name -> its ipywidget.
    """

    def __init__(self, view: "Interactive", *, drag: bool | None = None) -> None:
        self.view = view
        self.names = list(view.params)
        self.indices: list[int | None] = list(view.start)
        self.values: dict[str, Any] = dict(view.start_values)
        has_points = any(isinstance(c, Points) for c in view.params.values())
        self.drag = has_points and (ipympl_active() if drag is None else drag)
        self._updating = False
        self._figure = None
        self._handles: list[Any] = []
        self.last_frame: Frame | None = None
        self.controls: dict[str, W.Widget] = {}
        style = {"description_width": "initial"}
        for p, (name, choice) in enumerate(view.params.items()):
            label = choice.label or name
            if choice.kind == "slider":
                control = W.SelectionSlider(options=[("", 0)], description=label, style=style,
                                            continuous_update=view.continuous_update,
                                            layout=W.Layout(width="min(36em, 100%)"))
            else:
                options = [(choice.format(choice.values[i]), i) for i in view.used(p)]
                many = len(options) > 6 or sum(len(text) for text, _ in options) > 60
                widget_type = W.Dropdown if many else W.ToggleButtons
                control = widget_type(options=options, value=view.start[p], description=label, style=style)
                if isinstance(choice, Points) and self.drag:
                    control.tooltip = "or drag the ring on the figure"
            control.observe(self._on_change(p), names="value")
            self.controls[name] = control
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.canvas = W.Output()
        self.errors = W.Output()
        children: list[W.Widget] = []
        if view.title:
            children.append(W.HTML(f"<b>{html.escape(view.title)}</b>"))
        children += list(self.controls.values())
        children += [self.canvas if self.drag else self.image, self.errors]
        super().__init__(children=children)
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
                else:
                    control.value = self.indices[p]
        finally:
            self._updating = False

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
        import matplotlib.pyplot as plt
        from IPython.display import display

        from nbcourse.widgets.drag import draggable_point

        with plt.ioff():
            fig = self.view.figure(**self.values)
        if self.last_frame is None:  # the static preview of the first figure
            self.last_frame = self.view.save(fig, self.values)
        if self._figure is not None:
            plt.close(self._figure)
        self._figure = fig
        self._handles = [
            draggable_point(fig.axes[choice.axes], self.values[name],
                            on_release=lambda xy, name=name: self.set_point(name, xy))
            for name, choice in self.view.params.items() if isinstance(choice, Points)
        ]
        if hasattr(fig.canvas, "header_visible"):
            fig.canvas.header_visible = False
        with self.canvas:
            self.canvas.clear_output(wait=True)
            display(fig.canvas)
