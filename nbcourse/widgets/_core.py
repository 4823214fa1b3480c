"""The declaration of an interactive figure: the grid of choices, :class:`Interactive`, the registry.

The choices themselves are :mod:`nbcourse.widgets._choices`; rendering lives beside this module:
:mod:`nbcourse.widgets._html` (precomputed frames for the book) and :mod:`nbcourse.widgets._live`
(ipywidgets in a kernel). Imports go one way only: ``_core`` imports the others (the renderings
when first needed), and none of them imports ``_core`` (``tests/test_imports.py`` holds that).
"""

from __future__ import annotations

import base64
import html
import importlib
import inspect
import io
import itertools
import math
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

__all__ = [
    "BOOK_BUILD_ENV",
    "Frame",
    "Interactive",
    "Options",
    "Points",
    "Range",
    "book_build",
    "interactive",
    "register",
    "registered",
]

# BOOK_BUILD_ENV: the variable nbcourse.sphinxext sets during ``jupyter-book build`` (re-exported here)
from nbcourse._progress import BOOK_BUILD_ENV, book_build  # noqa: E402
# the choices are plain data of their own module, which both renderings (_html, _live) import
from nbcourse.widgets._choices import Options, Points, Range  # noqa: E402

# names that interactive() keeps for itself, so a figure function cannot use them as parameters
_RESERVED = ("subset", "continuous_update", "title", "dpi", "max_frames")


# ------------------------------------------------------------------------------------ frames
@dataclass
class Frame:
    """One drawn combination: its values, the PNG bytes and, for :class:`Points` parameters,
    where each candidate point lands in the image (fractions of width and height from top-left)."""

    values: dict[str, Any]
    png: bytes
    width: int
    height: int
    markers: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


# ------------------------------------------------------------------------------- Interactive
class Interactive:
    """An interactive figure: a function of named parameters plus the choices for each.

    Build one with :func:`interactive`. Shown as the last expression of a notebook cell it becomes
    live ipywidgets in a kernel and precomputed frames in the built book (see :mod:`nbcourse.widgets`).

    Attributes:
        func: the figure function.
        params: parameter name -> :class:`Options` / :class:`Range` / :class:`Points`, in order.
        title: caption above the controls (or None).
        continuous_update: redraw while a slider moves (True) or on release (False).
        dpi: resolution of the drawn frames (the book's frames and the live image).
    """

    def __init__(self, func: Callable[..., Any], params: Mapping[str, Options], *,
                 subset: Iterable[Mapping[str, Any]] | None = None, continuous_update: bool = False,
                 title: str | None = None, dpi: int = 80, max_frames: int = 200) -> None:
        where = getattr(func, "__name__", "interactive")
        if not callable(func):
            raise TypeError(f"interactive: argument 'func' got {func!r}, expected a function that returns a figure")
        if not params:
            raise ValueError(f"interactive({where}): no parameters declared; pass at least one, "
                             "e.g. interactive(f, alpha=Range(0, 1, 0.1))")
        for name, choice in params.items():
            if not isinstance(choice, Options):
                raise TypeError(f"interactive({where}): parameter '{name}' got {choice!r}, expected "
                                "Options([...]), Range(start, stop, step) or Points([...])")
        if not isinstance(dpi, int) or not 20 <= dpi <= 300:
            raise ValueError(f"interactive({where}): argument 'dpi' got {dpi!r}, expected an integer in 20..300")
        self.func = func
        self.params: dict[str, Options] = dict(params)
        self.title = title
        self.continuous_update = bool(continuous_update)
        self.dpi = dpi
        self.max_frames = max_frames
        self._check_signature(where)
        self.grid: list[tuple[int, ...]] = self._make_grid(subset, where)
        self.start: tuple[int, ...] = self._start()

    # -- declaration ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return getattr(self.func, "__name__", "figure")

    def _check_signature(self, where: str) -> None:
        try:
            sig = inspect.signature(self.func)
        except (TypeError, ValueError):  # builtins without a signature: trust the declaration
            self._func_defaults = {}
            return
        accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
        for name in self.params:
            p = sig.parameters.get(name)
            if p is None and not accepts_kwargs:
                raise TypeError(f"interactive({where}): parameter '{name}' is declared but {where}() does not "
                                f"take it; its parameters are {list(sig.parameters)}")
            if p is not None and p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL):
                raise TypeError(f"interactive({where}): parameter '{name}' must be passable by keyword")
        missing = [n for n, p in sig.parameters.items()
                   if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                   and n not in self.params]
        if missing:
            raise TypeError(f"interactive({where}): {where}() requires {missing} without a default; declare "
                            "choices for them or give them defaults")
        self._func_defaults = {n: p.default for n, p in sig.parameters.items() if p.default is not p.empty}

    def _make_grid(self, subset: Iterable[Mapping[str, Any]] | None, where: str) -> list[tuple[int, ...]]:
        names = list(self.params)
        if subset is None:
            total = math.prod(len(c.values) for c in self.params.values())
            if total > self.max_frames:
                raise ValueError(f"interactive({where}): {total} combinations "
                                 f"({' x '.join(str(len(c.values)) for c in self.params.values())}) is more than "
                                 f"max_frames={self.max_frames}; use a coarser step, fewer options, or pass "
                                 "subset=[...] with the combinations worth drawing")
            return list(itertools.product(*(range(len(c.values)) for c in self.params.values())))
        if isinstance(subset, Mapping) or isinstance(subset, (str, bytes)):
            raise TypeError(f"interactive({where}): argument 'subset' got {type(subset).__name__}, expected a "
                            "list of dicts, one per combination")
        grid, seen = [], set()
        for k, combo in enumerate(subset):
            if not isinstance(combo, Mapping):
                raise TypeError(f"interactive({where}): subset[{k}] got {combo!r}, expected a dict of every parameter")
            if set(combo) != set(names):
                raise ValueError(f"interactive({where}): subset[{k}] has keys {sorted(combo)}, expected exactly "
                                 f"{sorted(names)}")
            idx = []
            for name in names:
                i = self.params[name].index(combo[name])
                if i is None:
                    raise ValueError(f"interactive({where}): subset[{k}] sets {name}={combo[name]!r}, which is not "
                                     f"one of its choices {list(self.params[name].values)!r}")
                idx.append(i)
            if tuple(idx) not in seen:
                seen.add(tuple(idx))
                grid.append(tuple(idx))
        if not grid:
            raise ValueError(f"interactive({where}): argument 'subset' is empty, expected at least one combination")
        if len(grid) > self.max_frames:
            raise ValueError(f"interactive({where}): subset has {len(grid)} combinations, more than "
                             f"max_frames={self.max_frames}; draw fewer")
        return grid

    def _start(self) -> tuple[int, ...]:
        wanted = []
        for name, choice in self.params.items():
            i = None
            if choice.default is not None:
                i = choice.index(choice.default)
            elif name in self._func_defaults:
                i = choice.index(self._func_defaults[name])
            wanted.append(0 if i is None else i)
        wanted = tuple(wanted)
        if wanted in self.grid:
            return wanted
        # the defaults are not a drawn combination: the first one that agrees with most of them
        return max(self.grid, key=lambda combo: sum(a == b for a, b in zip(combo, wanted)))

    # -- the grid ---------------------------------------------------------------------------
    def values_of(self, combo: Sequence[int]) -> dict[str, Any]:
        """The parameter values of a combination given as indices into each choice."""
        return {name: choice.values[i] for (name, choice), i in zip(self.params.items(), combo)}

    def combinations(self) -> list[dict[str, Any]]:
        """Every combination the book draws, as dicts of parameter values (the grid, in order)."""
        return [self.values_of(c) for c in self.grid]

    @property
    def start_values(self) -> dict[str, Any]:
        """The combination shown first."""
        return self.values_of(self.start)

    def resolve(self, current: Sequence[int | None], changed: int) -> tuple[int, ...]:
        """The combination to show after parameter number ``changed`` took the value ``current[changed]``.

        Among the combinations with that value, the one that keeps most other parameters as they
        are; ties go to the first in grid order. ``None`` in ``current`` (a dragged point that is
        not on the grid) matches nothing. The browser's JavaScript does the same.
        """
        best, best_score = None, -1
        for combo in self.grid:
            if combo[changed] != current[changed]:
                continue
            score = sum(1 for p, (a, b) in enumerate(zip(combo, current)) if p != changed and a == b)
            if score > best_score:
                best, best_score = combo, score
        if best is None:
            name = list(self.params)[changed]
            raise ValueError(f"interactive({self.name}): no drawn combination has {name} = "
                             f"{current[changed]!r}")
        return best

    def available(self, current: Sequence[int | None], param: int) -> list[int]:
        """Indices of the values parameter number ``param`` can take with every other parameter as in
        ``current`` (what its slider offers), in declared order."""
        out = {combo[param] for combo in self.grid
               if all(p == param or current[p] is None or combo[p] == current[p] for p in range(len(combo)))}
        return sorted(out)

    def used(self, param: int) -> list[int]:
        """Indices of the values of parameter number ``param`` that appear anywhere in the grid."""
        return sorted({combo[param] for combo in self.grid})

    # -- drawing ----------------------------------------------------------------------------
    def figure(self, **values: Any):
        """Call the figure function with ``values`` (the start combination fills the rest) and
        return its :class:`matplotlib.figure.Figure`. The caller closes it."""
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        unknown = set(values) - set(self.params)
        if unknown:
            raise TypeError(f"interactive({self.name}): unknown parameter(s) {sorted(unknown)}; "
                            f"declared: {list(self.params)}")
        kwargs = {**self.start_values, **values}
        fig = self.func(**kwargs)
        if fig is None:
            fig = plt.gcf()
        if not isinstance(fig, Figure):
            raise TypeError(f"interactive({self.name}): {self.name}() returned {type(fig).__name__}, expected a "
                            "matplotlib Figure (return fig, or draw on plt.gcf() and return None)")
        return fig

    def render(self, **values: Any) -> Frame:
        """Draw one combination to PNG (the figure is closed afterwards)."""
        import matplotlib.pyplot as plt

        kwargs = {**self.start_values, **values}
        fig = self.figure(**kwargs)
        try:
            return self.save(fig, kwargs)
        finally:
            plt.close(fig)

    def save(self, fig, values: Mapping[str, Any]) -> Frame:
        """A :class:`Frame` of an open figure drawn with ``values`` (the figure stays open)."""
        import matplotlib

        fig.set_dpi(self.dpi)
        buf = io.BytesIO()
        # never bbox "tight" (even when the rc asks for it): every frame keeps the figure's size, so
        # frames do not jump when switched and the Points markers stay aligned
        with matplotlib.rc_context({"savefig.bbox": "standard"}):
            fig.savefig(buf, format="png", dpi=self.dpi, metadata={"Software": None})
        markers = {name: _marker_positions(fig, choice)
                   for name, choice in self.params.items() if isinstance(choice, Points)}
        png, width, height = _shrink_png(buf.getvalue())
        return Frame(values=dict(values), png=png, width=width, height=height, markers=markers)

    def precompute(self) -> list[Frame]:
        """Draw every combination of the grid, in grid order (what the book build does)."""
        from tqdm.auto import tqdm

        frames = []
        for combo in tqdm(self.grid, desc=f"drawing {self.name}", leave=False, 
                          # never in the book: its stderr and widgets would land on the page
                          disable=book_build() or len(self.grid) < 30):
            frames.append(self.render(**self.values_of(combo)))
        return frames

    def to_html(self, frames: list[Frame] | None = None) -> str:
        """The kernel-free HTML: controls, every frame and the JavaScript that switches them."""
        from nbcourse.widgets._html import frames_html

        return frames_html(self, self.precompute() if frames is None else frames)

    def preview_html(self, frame: Frame | None = None) -> str:
        """A static preview (one frame) for viewers that run neither widgets nor the book."""
        frame = frame or self.render(**self.start_values)
        caption = html.escape(self.title or self.name)
        return (f'<figure class="nbw-preview"><img src="{frame.data_uri()}" alt="{caption}" '
                f'width="{frame.width}" height="{frame.height}" style="max-width:100%;height:auto">'
                f"<figcaption>{caption} (static preview: this viewer does not run Jupyter widgets; to change "
                f"the figure, open the notebook in JupyterLab with the widget front end, "
                f"<code>pip install jupyterlab jupyterlab_widgets ipympl</code> (the course's "
                f"<code>requirements.txt</code> has them), and run it)</figcaption></figure>")

    def widget(self):
        """The live ipywidgets view (needs a kernel to be interactive)."""
        from nbcourse.widgets._live import LiveView

        return LiveView(self)

    # -- display ----------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        if book_build():
            return {"text/html": self.to_html(), "text/plain": repr(self)}
        view = self.widget()
        bundle = dict(view._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.preview_html(view.last_frame)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        params = ", ".join(f"{n}={c!r}" for n, c in self.params.items())
        return f"<Interactive {self.name}({params}), {len(self.grid)} frames>"


def _marker_positions(fig, choice: Points) -> list[tuple[float, float]]:
    if choice.axes >= len(fig.axes):
        raise ValueError(f"Points: axes={choice.axes} but the figure has {len(fig.axes)} axes")
    ax = fig.axes[choice.axes]
    width, height = fig.bbox.width, fig.bbox.height
    out = []
    for x, y in choice.values:
        px, py = ax.transData.transform((x, y))
        out.append((round(px / width, 4), round(1.0 - py / height, 4)))
    return out


def _shrink_png(png: bytes) -> tuple[bytes, int, int]:
    """Quantise to a 256-colour palette (median cut keeps white exactly white): about 40 % of the bytes
    of a line plot's PNG, with the same look."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
        small = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
        width, height = rgb.size
    data = out.getvalue()
    return (data if len(data) < len(png) else png), width, height


def interactive(func: Callable[..., Any], /, *, subset: Iterable[Mapping[str, Any]] | None = None,
                continuous_update: bool = False, title: str | None = None, dpi: int = 80,
                max_frames: int = 200, **params: Options) -> Interactive:
    """Declare an interactive figure: ``func(**values)`` draws it, ``params`` give the choices.

    Args:
        func: a function of keyword parameters that returns a matplotlib Figure (or draws on
            ``plt.gcf()`` and returns None). It must not call ``plt.show()``.
        subset: the combinations to draw for the book, as a list of dicts (one per combination,
            every parameter set). Default: every combination (the product of all choices).
        continuous_update: in a kernel, redraw while a slider is dragged (True) or when it is
            released (False, the default: right for figures that take more than ~0.1 s).
        title: a caption shown above the controls. Default: none.
        dpi: resolution of the frames. Default: 80 (sharp enough for line plots, small pages).
        max_frames: refuse grids larger than this (the book draws every frame). Default: 200.
        **params: one :class:`Options`, :class:`Range` or :class:`Points` per parameter of ``func``.
            The names ``subset``, ``continuous_update``, ``title``, ``dpi`` and ``max_frames`` are taken.

    Returns:
        An :class:`Interactive`; make it the last expression of a cell to show it.

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> def line(slope=1.0):
        ...     fig, ax = plt.subplots(figsize=(4, 3))
        ...     ax.plot([0, 1], [0, slope])
        ...     return fig
        >>> view = interactive(line, slope=Range(0.0, 2.0, 0.5))
        >>> len(view.combinations())
        5
    """
    return Interactive(func, params, subset=subset, continuous_update=continuous_update, title=title,
                       dpi=dpi, max_frames=max_frames)


# ---------------------------------------------------------------------------------- registry
_REGISTRY: dict[str, Callable[[], Interactive]] = {}


def register(factory: Callable[[], Interactive]) -> Callable[[], Interactive]:
    """Decorator for a package function that returns an :class:`Interactive` with no arguments.

    Registered widgets are drawn across their whole grid by ``tests/test_widgets.py`` (page weight
    under 3 MB) and timed by ``benches/bench_widgets.py`` (target: drawing under 20 s). Use it for every widget the package
    declares, e.g. in ``nbcourse/figures/landscape.py``::

        from nbcourse.widgets import register, interactive, Points

        @register
        def descent_explorer():
            return interactive(descent_figure, start=Points([...]), ...)
    """
    if not callable(factory):
        raise TypeError(f"register: got {factory!r}, expected a function that returns an Interactive")
    name = f"{factory.__module__}.{factory.__qualname__}"
    _REGISTRY[name] = factory
    return factory


def registered() -> dict[str, Callable[[], Interactive]]:
    """Every registered widget factory (qualified name -> factory), after importing every
    submodule of :mod:`nbcourse` so that none is missed."""
    import nbcourse

    for info in pkgutil.walk_packages(nbcourse.__path__, prefix="nbcourse."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.name in ("nbcourse.sphinxext", "nbcourse.cli"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception as error:
            raise ImportError(f"nbcourse.widgets.registered: importing {info.name} failed ({error!r}); "
                              "its widgets cannot be collected") from error
    return dict(_REGISTRY)
