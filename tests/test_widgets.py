"""nbcourse.widgets: declaring interactive figures, the grid and its choice rule, the live widget, the
kernel-free HTML (in headless Chromium), dragging, and every registered widget across its whole grid
within the page-weight budget (3 MB). How long drawing takes is measured by benches/bench_widgets.py,
never asserted here."""

from __future__ import annotations

import base64
import json
import re
import shutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backend_bases import MouseEvent  # noqa: E402

from nbcourse import widgets  # noqa: E402
from nbcourse.figures.activations import activation_explorer  # noqa: E402 - a real explorer to drive
from nbcourse.widgets import Options, Points, Range, interactive  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
BUDGET_BYTES = 3_000_000


@pytest.fixture(autouse=True)
def _no_leaked_figures(monkeypatch):
    monkeypatch.delenv(widgets.BOOK_BUILD_ENV, raising=False)
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a widget left matplotlib figures open"


def wave(kind="sine", decay=0.5, start=(0.0, 0.0)):
    """A small figure function with every kind of choice."""
    fig, ax = plt.subplots(figsize=(4, 2.5))
    x = np.linspace(0, 10, 100)
    y = np.exp(-decay * x) * (np.sin(x) if kind == "sine" else np.sign(np.sin(x)))
    ax.plot(x, y)
    ax.plot(*start, "o", color="tab:red")
    ax.set_xlim(0, 10)
    ax.set_ylim(-1, 1)
    return fig


def wave_view(**kw):
    return interactive(wave, kind=Options(["sine", "square"]), decay=Range(0.0, 1.0, 0.5),
                       start=Points([(0, 0), (5, 0.5), (8, -0.5)]), title="Damped wave", **kw)


# ------------------------------------------------------------------------------------ choices
def test_range_values_are_exact_and_inclusive():
    assert Range(0.0, 1.0, 0.1).values[3] == 0.3
    assert Range(-1, 1, 0.5).values == (-1.0, -0.5, 0.0, 0.5, 1.0)
    assert Range(0.0, 1.0, 0.25, default=0.75).default == 0.75
    steps = Range(0, 11, 1).values
    assert steps == tuple(range(12)) and all(type(t) is int for t in steps), "whole numbers stay int"
    assert Range(0, 1, 0.5).values == (0.0, 0.5, 1.0) and type(Range(0, 1, 0.5).values[0]) is float


@pytest.mark.parametrize("args, error, words", [
    ((0.0, 1.0, 0.3), ValueError, "whole number of steps"),
    ((0.0, 1.0, 0.0), ValueError, "positive"),
    ((1.0, 0.0, 0.1), ValueError, "swap"),
    (("0", 1.0, 0.1), TypeError, "finite number"),
])
def test_range_rejects_bad_arguments(args, error, words):
    with pytest.raises(error, match=words):
        Range(*args)


def test_options_and_points_reject_bad_arguments():
    with pytest.raises(TypeError, match="list of values"):
        Options("abc")
    with pytest.raises(ValueError, match="empty"):
        Options([])
    with pytest.raises(ValueError, match="twice"):
        Options([1, 1.0])
    with pytest.raises(ValueError, match="not one of the values"):
        Options(["a", "b"], default="c")
    with pytest.raises(TypeError, match="pair of finite numbers"):
        Points([(0, 1, 2)])
    with pytest.raises(ValueError, match="not one of the points"):
        Points([(0, 1)], default=(1, 1))


def test_option_labels():
    choice = Options([None, 0.5, "relu"], labels={"relu": "ReLU"})
    assert [choice.format(v) for v in choice.values] == ["\u2014", "0.5", "ReLU"]
    assert choice.index(0.5 + 1e-12) == 1 and choice.index(None) == 0 and choice.index(0.6) is None
    assert Points([(1, 2)]).format((1.0, 2.0)) == "(1, 2)"


# -------------------------------------------------------------------------------- declaration
def test_declaration_errors_name_the_function_and_the_fix():
    with pytest.raises(TypeError, match=r"wave\(\) does not take it"):
        interactive(wave, kind=Options(["sine"]), speed=Range(0, 1, 0.5))
    with pytest.raises(TypeError, match="expected Options"):
        interactive(wave, kind=["sine", "square"])
    with pytest.raises(ValueError, match="no parameters declared"):
        interactive(wave)

    def needs(a, b):
        return plt.figure()

    with pytest.raises(TypeError, match=r"requires \['b'\]"):
        interactive(needs, a=Options([1]))
    with pytest.raises(ValueError, match="max_frames"):
        interactive(wave, decay=Range(0, 1, 0.001))


def test_subset_is_validated():
    with pytest.raises(ValueError, match="keys"):
        interactive(wave, kind=Options(["sine", "square"]), subset=[{"kind": "sine", "decay": 0.5}])
    with pytest.raises(ValueError, match="not one of its choices"):
        interactive(wave, kind=Options(["sine", "square"]), subset=[{"kind": "triangle"}])
    with pytest.raises(TypeError, match="list of dicts"):
        interactive(wave, kind=Options(["sine", "square"]), subset={"kind": "sine"})
    view = interactive(wave, kind=Options(["sine", "square"]), subset=[{"kind": "square"}, {"kind": "square"}])
    assert view.combinations() == [{"kind": "square"}]
    assert view.start_values == {"kind": "square"}, "the start must be a drawn combination"


def test_grid_is_the_product_and_starts_at_the_function_defaults():
    view = wave_view()
    assert len(view.grid) == 2 * 3 * 3
    assert view.start_values == {"kind": "sine", "decay": 0.5, "start": (0.0, 0.0)}
    combos = view.combinations()
    assert {"kind": "square", "decay": 1.0, "start": (8.0, -0.5)} in combos


# -------------------------------------------------------------------------------- drawing
def test_frames_are_png_of_one_size_and_figures_are_closed():
    view = wave_view()
    frames = view.precompute()
    assert len(frames) == len(view.grid)
    assert all(f.png.startswith(PNG) for f in frames)
    assert len({(f.width, f.height) for f in frames}) == 1
    assert (frames[0].width, frames[0].height) == (4 * view.dpi, int(2.5 * view.dpi))
    assert frames[0].png != frames[-1].png


def test_point_markers_land_where_the_data_is():
    frame = wave_view().render()
    # axes at the default subplot position: left 0.125, right 0.9, bottom 0.11, top 0.88; x in 0..10, y in -1..1
    (x0, y0), (x1, y1), _ = frame.markers["start"]
    assert x0 == pytest.approx(0.125, abs=1e-3) and y0 == pytest.approx(1 - (0.11 + 0.88) / 2, abs=1e-3)
    assert x1 == pytest.approx(0.125 + 0.5 * 0.775, abs=1e-3) and y1 == pytest.approx(1 - (0.11 + 0.75 * 0.77), abs=1e-3)


def test_a_function_that_returns_no_figure_is_reported():
    def bad(a=1):
        return 42

    with pytest.raises(TypeError, match="returned int, expected a matplotlib Figure"):
        interactive(bad, a=Options([1, 2])).render()

    def draws_on_gcf(a=1):
        plt.plot([0, a])

    assert interactive(draws_on_gcf, a=Options([1, 2])).render().png.startswith(PNG)


def _html_data(html_text):
    match = re.search(r'<script type="application/json" class="nbw-data">(.*?)</script>', html_text, re.S)
    return json.loads(match.group(1))


def test_static_html_is_self_contained():
    view = wave_view()
    text = view.to_html()
    data = _html_data(text)
    assert len(data["frames"]) == len(view.grid)
    assert len(data["images"]) == len({f.png for f in view.precompute()}), "identical frames are stored once"
    assert all(base64.b64decode(img).startswith(PNG) for img in data["images"])
    assert data["params"][2]["kind"] == "points" and len(data["markers"][0]["2"]) == 3
    assert not re.search(r'(src|href)="(https?:)?//', text), "nothing may be fetched"
    assert "crossorigin" not in text and "<link" not in text


def test_mime_bundle_live_in_a_kernel_and_frames_in_the_book(monkeypatch):
    view = wave_view()
    live = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in live, "a kernel must get the live widget"
    assert "nbw-data" not in live["text/html"] and "static preview" in live["text/html"]
    monkeypatch.setenv(widgets.BOOK_BUILD_ENV, "1")
    assert widgets.book_build()
    book = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in book, "no widget state in the book"
    assert len(_html_data(book["text/html"])["frames"]) == len(view.grid)


# ------------------------------------------------------------------------------------ live
def test_live_view_redraws_and_follows_the_choice_rule():
    import ipywidgets

    view = activation_explorer()
    live = view.widget()
    assert isinstance(live, ipywidgets.VBox)
    first = live.last_frame.png
    live.controls["name"].value = view.params["name"].index("elu")
    assert live.values == {"name": "elu", "alpha": 1.0, "beta": None}
    assert live.last_frame.png != first
    alpha = live.controls["alpha"]
    assert [label for label, _ in alpha.options] == ["0.5", "1", "1.5", "2"] and not alpha.disabled
    alpha.value = view.params["alpha"].index(2.0)
    assert live.values["alpha"] == 2.0
    live.controls["name"].value = view.params["name"].index("tanh")
    assert live.controls["alpha"].disabled and live.controls["beta"].disabled
    assert live.controls["alpha"].continuous_update is False


def test_live_view_shows_errors_of_a_callback_without_raising():
    def fragile(a=1):
        if a == 2:
            raise RuntimeError("cannot draw a = 2")
        return plt.figure(figsize=(2, 2))

    live = interactive(fragile, a=Options([1, 2])).widget()
    good = live.last_frame
    live.controls["a"].value = 1  # index 1: a = 2
    assert "cannot draw a = 2" in live.errors.outputs[0]["text"]
    assert live.last_frame is good


def test_live_drag_mode_keeps_a_dropped_point(capsys):
    live = wave_view().widget()
    assert not live.drag, "the inline/Agg backend offers buttons, not dragging"
    dragging = widgets._live.LiveView(wave_view(), drag=True)
    dragging.set_point("start", (3.3, 0.2))
    assert dragging.values["start"] == (3.3, 0.2) and dragging.indices[2] is None
    dragging.set_index(0, 1)  # kind -> square: the dropped point stays where it is
    assert dragging.values == {"kind": "square", "decay": 0.5, "start": (3.3, 0.2)}
    plt.close("all")


# ------------------------------------------------------------------------------------ drag
def _mouse(fig, name, ax, xy, button=1):
    x, y = ax.transData.transform(xy)
    return MouseEvent(name, fig.canvas, x, y, button=button)


def test_draggable_point_follows_the_mouse():
    fig, ax = plt.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    fig.canvas.draw()
    moved, dropped = [], []
    handle = widgets.draggable_point(ax, (2, 2), on_move=moved.append, on_release=dropped.append)
    fig.canvas.callbacks.process("button_press_event", _mouse(fig, "button_press_event", ax, (2, 2)))
    fig.canvas.callbacks.process("motion_notify_event", _mouse(fig, "motion_notify_event", ax, (6, 7)))
    fig.canvas.callbacks.process("button_release_event", _mouse(fig, "button_release_event", ax, (6, 7)))
    assert dropped and dropped[-1] == pytest.approx((6, 7)) and moved
    assert handle.xy == pytest.approx((6, 7))
    assert tuple(handle.artist.get_xdata()) == pytest.approx((6,))
    # a press away from the point does not grab it
    fig.canvas.callbacks.process("button_press_event", _mouse(fig, "button_press_event", ax, (1, 9)))
    fig.canvas.callbacks.process("motion_notify_event", _mouse(fig, "motion_notify_event", ax, (3, 3)))
    assert handle.xy == pytest.approx((6, 7))
    handle.disconnect()
    plt.close(fig)
    with pytest.raises(TypeError, match="pair of numbers"):
        widgets.draggable_point(ax, 3)


# ------------------------------------------------------------------- registry and budgets
def _registered_names():
    try:
        return sorted(widgets.registered())
    except Exception:  # noqa: BLE001 - a module that fails to import fails the test below, not collection
        return ["(a module of nbcourse failed to import)"]


@pytest.mark.parametrize("name", _registered_names())
def test_every_registered_widget_across_its_whole_grid_within_the_page_budget(name):
    view = widgets.registered()[name]()
    assert isinstance(view, widgets.Interactive)
    frames = view.precompute()  # calls the figure function for every combination of the grid
    text = view.to_html(frames)
    assert len(frames) == len(view.grid)
    assert len({(f.width, f.height) for f in frames}) == 1, f"{name}: frames of different sizes jump"
    assert len(text.encode()) < BUDGET_BYTES, f"{name}: {len(text.encode()) / 1e6:.2f} MB of frames"


# -------------------------------------------------------------------------------- browser
def _browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.sync_playwright(), chromium


def test_static_widget_in_chromium(tmp_path):
    """The kernel-free controls switch frames as in Python, markers move the point, no console error."""
    explorer = activation_explorer()
    wave = wave_view()
    page_file = tmp_path / "widgets.html"
    page_file.write_text("<!doctype html><html><head><meta charset='utf-8'></head><body>"
                         + explorer.to_html() + wave.to_html() + "</body></html>", encoding="utf-8")
    manager, chromium = _browser()
    with manager as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: errors.append(f"request {r.url}") if not r.url.startswith(("file:", "data:"))
                else None)
        page.goto(page_file.as_uri())
        first, second = page.locator(".nbw").nth(0), page.locator(".nbw").nth(1)
        frame = lambda root: int(root.get_attribute("data-frame"))  # noqa: E731
        assert frame(first) == explorer.grid.index(explorer.start)

        # leaky ReLU, its slope slider to 0.1, then ELU: JavaScript picks what Interactive.resolve picks
        first.get_by_role("button", name="Leaky ReLU", exact=True).click()
        slider = first.locator('.nbw-control[data-param="1"] input')
        assert slider.is_enabled() and slider.get_attribute("max") == "4"
        slider.fill("2")  # the third of 0.01, 0.05, 0.1, 0.2, 0.3
        shown = explorer.values_of(explorer.grid[frame(first)])
        assert shown == {"name": "leaky_relu", "alpha": 0.1, "beta": None}
        src = first.locator("img.nbw-frame").get_attribute("src")
        first.get_by_role("button", name="ELU", exact=True).click()
        assert explorer.values_of(explorer.grid[frame(first)]) == {"name": "elu", "alpha": 1.0, "beta": None}
        assert first.locator("img.nbw-frame").get_attribute("src") != src
        assert first.locator('.nbw-control[data-param="1"] output').inner_text() == "1"
        first.get_by_role("button", name="Sigmoid", exact=True).click()
        assert slider.is_disabled(), "sigmoid has no alpha: its slider is greyed out"

        # a ring on the figure moves the point there
        ring = second.locator('button.nbw-marker[data-value="2"]')
        ring.click()
        assert wave.values_of(wave.grid[frame(second)])["start"] == (8.0, -0.5)
        assert "nbw-current" in second.locator('button.nbw-marker[data-value="2"]').get_attribute("class")
        natural = page.evaluate("() => [...document.images].map(i => i.complete && i.naturalWidth)")
        assert all(natural), natural
        browser.close()
    assert errors == []
