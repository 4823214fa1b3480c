"""The kernel-free representation of an :class:`~nbcourse.widgets.Interactive`: HTML controls,
every precomputed frame (PNG, base64, identical frames stored once) and a small inline script
(``assets/frames.js``) that switches frames. Everything is inside the page: nothing is fetched."""

from __future__ import annotations

import base64
import html
import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from nbcourse.widgets._core import Frame, Interactive

__all__ = ["frames_html", "asset"]


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """The text of a file shipped in ``nbcourse/widgets/assets`` (``frames.js``, ``frames.css``)."""
    return resources.files("nbcourse.widgets").joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(data: object) -> str:
    # inside <script>, "</" would end the element early; "<\/" is the same JSON string
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def frames_html(view: "Interactive", frames: "list[Frame]") -> str:
    """HTML for ``view`` with ``frames`` (one per combination of ``view.grid``, in grid order)."""
    if len(frames) != len(view.grid):
        raise ValueError(f"frames_html: got {len(frames)} frames for a grid of {len(view.grid)} combinations")
    images: list[str] = []
    image_index: dict[str, int] = {}
    marker_sets: list[dict[str, list]] = []
    marker_index: dict[str, int] = {}
    names = list(view.params)
    table = []
    for combo, frame in zip(view.grid, frames):
        b64 = base64.b64encode(frame.png).decode("ascii")
        if b64 not in image_index:
            image_index[b64] = len(images)
            images.append(b64)
        # marker positions keyed by parameter index; only positions of values used in the grid
        markers = {str(names.index(name)): [pos if i in view.used(names.index(name)) else None
                                            for i, pos in enumerate(positions)]
                   for name, positions in frame.markers.items()}
        key = json.dumps(markers, sort_keys=True)
        if key not in marker_index:
            marker_index[key] = len(marker_sets)
            marker_sets.append(markers)
        table.append([*combo, image_index[b64], marker_index[key]])

    params = [{"name": name, "label": choice.label or name, "kind": choice.kind,
               "labels": [choice.format(v) for v in choice.values]}
              for name, choice in view.params.items()]
    start = view.grid.index(view.start)
    data = {"params": params, "frames": table, "images": images, "markers": marker_sets,
            "start": start, "title": view.title or ""}

    first = frames[start]
    parts = [f'<div class="nbw" data-nbw-name="{html.escape(view.name)}">', f"<style>{asset('frames.css')}</style>"]
    if view.title:
        parts.append(f'<p class="nbw-title">{html.escape(view.title)}</p>')
    parts.append('<div class="nbw-controls">')
    for p, (name, choice) in enumerate(view.params.items()):
        label = html.escape(choice.label or name)
        value_text = html.escape(choice.format(choice.values[view.start[p]]))
        parts.append(f'<div class="nbw-control" data-param="{p}" data-kind="{choice.kind}">')
        if choice.kind == "slider":
            parts.append(f'<label><span class="nbw-label">{label}</span> '
                         f'<input type="range" class="nbw-slider" min="0" max="0" step="1" value="0" '
                         f'aria-label="{label}"> <output class="nbw-value">{value_text}</output></label>')
        elif choice.kind == "points":
            parts.append(f'<span class="nbw-label">{label}</span> <output class="nbw-value">{value_text}</output> '
                         '<span class="nbw-hint">click a ring on the figure to move the point there</span>')
        else:
            parts.append(f'<span class="nbw-label">{label}</span><span class="nbw-buttons" role="group" '
                         f'aria-label="{label}">')
            for i in view.used(p):
                pressed = "true" if i == view.start[p] else "false"
                parts.append(f'<button type="button" class="nbw-button" data-value="{i}" aria-pressed="{pressed}">'
                             f"{html.escape(choice.format(choice.values[i]))}</button>")
            parts.append("</span>")
        parts.append("</div>")
    parts.append("</div>")
    alt = html.escape(view.title or view.name)
    parts.append(f'<div class="nbw-figure"><img class="nbw-frame" src="{first.data_uri()}" alt="{alt}" '
                 f'width="{first.width}" height="{first.height}"><div class="nbw-markers"></div></div>')
    parts.append(f'<script type="application/json" class="nbw-data">{_script_json(data)}</script>')
    parts.append(f"<script>{asset('frames.js')}</script>")
    parts.append("</div>")
    return "\n".join(parts)
