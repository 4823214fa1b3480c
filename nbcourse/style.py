"""The look of the book's figures: one colour per activation, reused by every chapter.

A reader who met ReLU in vermillion on the first page should find it in vermillion in the chapter
on dead units. :data:`ACTIVATION_COLORS` fixes that colour for every activation of
:mod:`nbcourse.activations`; :func:`color` looks one up; :func:`use_course_style` is a context
manager with the book's matplotlib settings, so nothing changes globally at import::

    >>> from nbcourse.style import color
    >>> color("relu")
    '#D55E00'

The first seven colours are the Okabe-Ito palette (Okabe and Ito, *Color Universal Design*, 2008),
distinguishable with the common forms of colour blindness; the other five come from matplotlib's
``tab10``. Colours of one family share a hue family: the sigmoid family is blue, the ReLU family
red-purple, the exponential units green, the smooth non-monotonic units cyan and brown.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ACTIVATION_COLORS", "PALETTE", "COURSE_RC", "color", "use_course_style"]

#: The Okabe-Ito palette (without its yellow, too pale for lines on white) then tab10 extras:
#: the default colour cycle of the course's figures.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#9467BD",  # tab:purple
    "#8C564B",  # tab:brown
    "#7F7F7F",  # tab:gray
    "#BCBD22",  # tab:olive
    "#17BECF",  # tab:cyan
)

#: One colour per activation (hex strings), the same in every figure of the book.
ACTIVATION_COLORS: dict[str, str] = {
    "linear": "#7F7F7F",      # gray: the do-nothing baseline
    "threshold": "#000000",   # black: the historical step
    "sigmoid": "#0072B2",     # blue
    "tanh": "#56B4E9",        # sky blue: a rescaled sigmoid
    "relu": "#D55E00",        # vermillion
    "softplus": "#E69F00",    # orange: the smooth ReLU
    "leaky_relu": "#CC79A7",  # reddish purple
    "prelu": "#9467BD",       # purple: the learnt leaky ReLU
    "elu": "#009E73",         # bluish green
    "selu": "#BCBD22",        # olive: the scaled ELU
    "swish": "#17BECF",       # cyan
    "mish": "#8C564B",        # brown
}

#: The book's matplotlib settings, applied by :func:`use_course_style`.
COURSE_RC: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "legend.frameon": False,
}


def color(name: Any) -> str:
    """The book's colour for an activation, as a hex string.

    Args:
        name: an activation name (``"relu"``, ``"leaky_relu"``; case, spaces and dashes do not
            matter), an :class:`nbcourse.activations.Activation`, or one of its modules (class or
            instance, e.g. ``nbcourse.activations.ReLU()``).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: for anything else.

    Examples::

        >>> from nbcourse.style import color
        >>> color("Leaky ReLU") == color("leaky_relu")
        True
    """
    key = getattr(name, "name", None)  # an Activation
    if key is None:
        activation = getattr(name, "activation", None)  # an nbcourse activation module or its class
        key = getattr(activation, "name", None)
    if key is None:
        if not isinstance(name, str):
            raise TypeError(f"color: argument 'name' got {type(name).__name__} {name!r}, expected an "
                            f"activation name such as 'relu'")
        key = name
    normalized = key.strip().lower().replace("-", "_").replace(" ", "_")
    if normalized not in ACTIVATION_COLORS:
        raise ValueError(f"color: unknown activation {key!r}; valid names: {', '.join(ACTIVATION_COLORS)}")
    return ACTIVATION_COLORS[normalized]


def use_course_style(**overrides: Any):
    """A context manager with the book's matplotlib settings (:data:`COURSE_RC`), nothing global.

    Args:
        **overrides: matplotlib rc settings that replace the course's; their names hold dots, so
            pass them as ``use_course_style(**{"figure.figsize": (8, 3)})``.

    Examples::

        >>> import matplotlib.pyplot as plt
        >>> from nbcourse.style import use_course_style
        >>> with use_course_style():
        ...     fig, ax = plt.subplots()
        >>> plt.close(fig)
    """
    import matplotlib as mpl
    from cycler import cycler

    rc = dict(COURSE_RC, **{"axes.prop_cycle": cycler(color=list(PALETTE))})
    rc.update(overrides)
    return mpl.rc_context(rc)
