"""The book as a reader gets it: built once with warnings as errors, then opened in headless Chromium: no
console error of ours, every image shows, every kernel-free widget switches its frame when a control is
clicked, pages stay under 3 MB, launch and download buttons point at the repository. Screenshots of every
page are written to ``<build>/screenshots`` (the path is printed).

The notebooks are not executed a second time for the build: the session's executions (``notebook_runs``
in ``tests/conftest.py``, shared with ``tests/test_notebooks.py``) go into the build's execution cache
first, and the build must find every notebook there. Under pytest-xdist the tests of this file run in one
worker (``TOGETHER`` in ``tests/conftest.py``), so the book is built once. Set ``NBCOURSE_BOOK_OUT=DIR`` to build into DIR (kept)
instead of a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from nbcourse.sphinxext import PAGE_BUDGET_BYTES, heavy_pages

ROOT = Path(__file__).resolve().parents[1]
# not ours and harmless: Jupyter Book 1 declares THEBE_JS_URL twice on every page, and the theme
# (pydata-sphinx-theme) complains once when a fresh browser has no saved light/dark mode
HARMLESS = ("THEBE_JS_URL", "Got invalid theme mode")


def _toc_files(entry) -> list[str]:
    files = []
    if isinstance(entry, dict):
        if "file" in entry:
            files.append(entry["file"])
        for key in ("root", "parts", "chapters", "sections"):
            value = entry.get(key)
            if isinstance(value, str):
                files.append(value)
            elif isinstance(value, list):
                for item in value:
                    files += _toc_files(item)
    return files


PAGES = [re.sub(r"\.(md|ipynb)$", "", f) for f in _toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text()))]


def _report(request, line: str) -> None:
    """Print past pytest's output capture, so the path shows in every run."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print(line)


def _cache_executed_notebooks(cache_folder: Path, runs) -> set[int]:
    """Put the executed notebooks where the build's ``execute_notebooks: cache`` looks for them (myst-nb's
    jupyter-cache in ``<output>/_build/.jupyter_cache``); returns the ids of the cache's records.

    The cache recognises a notebook by its code cells' source and metadata and its kernelspec: each entry
    is the stored notebook with the executed outputs, so it matches whatever nbclient adds to metadata."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_folder))
    for run in runs:
        nb = nbformat.read(run.path, as_version=4)
        for cell, executed in zip(nb.cells, run.nb.cells):
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = executed.outputs, executed.execution_count
        for key in ("language_info", "widgets"):  # what the build takes from a cached notebook's metadata
            if key in run.nb.metadata:
                nb.metadata[key] = run.nb.metadata[key]
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(run.path), data={"execution_seconds": run.seconds}),
                                    check_validity=False, overwrite=True)
    return {record.pk for record in cache.list_cache_records()}


@pytest.fixture(scope="module")
def book(request, tmp_path_factory, notebook_runs) -> Path:
    """Build the book once for this module from the session's notebook executions; returns the HTML folder."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache", "the build takes the executed notebooks from its cache"
    notebooks = [ROOT / f"{p}.ipynb" for p in PAGES if (ROOT / f"{p}.ipynb").exists()]
    runs = notebook_runs.all(notebooks)
    failed = [f"{run.path.relative_to(ROOT)}: {run.error}" for run in runs if run.error]
    if failed:
        pytest.fail("the book cannot build: notebooks fail (tests/test_notebooks.py says more):\n" + "\n".join(failed),
                    pytrace=False)

    out = Path(os.environ.get("NBCOURSE_BOOK_OUT") or tmp_path_factory.mktemp("book"))
    cache_folder = out / "_build" / ".jupyter_cache"
    cached = _cache_executed_notebooks(cache_folder, runs)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book) if jupyter_book.exists() else "jupyter-book", "build", "-W", "-n",
               "--keep-going", "--path-output", str(out), str(ROOT)]
    env = {k: v for k, v in os.environ.items() if k != "NBCOURSE_BOOK_BUILD"}
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=3600, env=env, cwd=ROOT)
    log = proc.stdout[-6000:] + proc.stderr[-6000:]
    assert proc.returncode == 0, f"jupyter-book build -W -n failed (exit {proc.returncode}):\n{log}"
    html = out / "_build" / "html"
    here = [run for run in runs if run.by_this_call]
    _report(request, f"\nbook built into {html} in {time.perf_counter() - start:.0f} s, after executing "
                     f"{len(here)} of its {len(runs)} notebooks here ({sum(r.seconds for r in here):.0f} s)")

    from jupyter_cache import get_cache

    again = [r.uri for r in get_cache(str(cache_folder)).list_cache_records() if r.pk not in cached]
    assert again == [], (f"the book build executed {again} again instead of taking the session's execution from "
                         "its cache (a page that is not an .ipynb in book/, or a cache that no longer matches)")
    return html


def test_every_page_of_the_toc_is_built(book):
    assert PAGES, "_toc.yml lists pages"
    missing = [p for p in PAGES if not (book / f"{p}.html").exists()]
    assert missing == []


def test_pages_stay_under_the_weight_budget(book):
    assert heavy_pages(book, PAGE_BUDGET_BYTES) == []


def test_widgets_show_html_frames_and_no_widget_state(book):
    page = (book / "book/activations/at-a-glance.html").read_text(encoding="utf-8")
    assert page.count('class="nbw"') >= 1, "the activation explorer is on the page as kernel-free HTML"
    for name in PAGES:
        page = (book / f"{name}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" not in page, f"{name}: frozen ipywidgets state"
        assert "require.min.js" not in page and "html-manager" not in page, f"{name}: ipywidgets' CDN scripts"


def test_mathjax_is_served_by_the_book(book):
    """Formulas render from file:// without a network: MathJax is a file of the book, not a CDN's."""
    page = (book / "book/gradient-descent/01-optimisation-landscape.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page, flags=re.IGNORECASE)
    assert scripts and not any(s.startswith("http") for s in scripts), scripts
    assert (book / "_static/mathjax/tex-chtml.js").is_file()


def test_the_html_builders_prefer_the_kernel_free_html_to_the_live_widget():
    """An output that carries both (a notebook run in Jupyter and saved with outputs) shows its HTML."""
    from myst_nb.core.render import get_mime_priority

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    overrides = [tuple(o) for o in config["sphinx"]["config"]["nb_mime_priority_overrides"]]
    for builder in ("html", "dirhtml", "singlehtml"):
        order = get_mime_priority(builder, overrides)
        assert order.index("text/html") < order.index("application/vnd.jupyter.widget-view+json"), builder
    assert "text/html" not in get_mime_priority("latex", overrides), "PDF builds keep their own choice"


def test_launch_and_download_buttons_point_at_the_repository(book):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    page = (book / "book/activations/at-a-glance.html").read_text(encoding="utf-8")
    notebook = "book/activations/at-a-glance.ipynb"
    assert f"https://colab.research.google.com/github/{repo}/blob/{branch}/{notebook}" in page
    assert re.search(rf"https://mybinder\.org/v2/gh/{re.escape(repo)}/{branch}\?urlpath=\S*{re.escape(notebook)}", page)
    downloads = re.findall(r'href="([^"]+\.ipynb)"', page)
    local = [d for d in downloads if not d.startswith("http")]
    assert local, "a download button for the notebook"
    assert all((book / "book/activations" / d).resolve().exists() for d in local), local


def _problems_on_page(page, url: str, shots: Path, name: str) -> list[str]:
    """Open one page and return what a reader would stumble on (empty when the page is fine)."""
    problems: list[str] = []
    errors: list[str] = []

    def on_console(message):
        if message.type != "error" or any(h in message.text for h in HARMLESS):
            return
        source = (message.location or {}).get("url", "")
        if source.startswith(("http://", "https://")):
            return  # a third-party asset that cannot load offline (MathJax from its CDN), not ours
        errors.append(message.text)

    page.on("console", on_console)
    # the static book works offline and from file://: nothing it needs may come from the network
    page.on("request", lambda request: errors.append(f"request leaves the page: {request.url}")
            if request.url.startswith(("http://", "https://")) else None)
    page.on("pageerror", lambda error: None if any(h in str(error) for h in HARMLESS)
            else errors.append(f"uncaught: {error}"))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    broken = page.evaluate("""() => [...document.querySelectorAll('img')]
        .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src.slice(0, 80))""")
    problems += [f"{name}: image does not show: {src}" for src in broken]
    if page.locator(".math").count():
        try:  # MathJax typesets asynchronously; every formula ends up in an mjx-container
            page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0", timeout=10_000)
        except Exception:
            problems.append(f"{name}: formulas are not typeset (raw TeX on the page)")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    widgets = page.locator(".nbw")
    for w in range(widgets.count()):
        root = widgets.nth(w)
        root.scroll_into_view_if_needed()
        controls = root.locator(".nbw-control")
        for c in range(controls.count()):
            control = controls.nth(c)
            kind = control.get_attribute("data-kind")
            before = (root.get_attribute("data-frame"), root.locator("img.nbw-frame").get_attribute("src"))
            if kind == "slider":
                slider = control.locator("input.nbw-slider")
                if slider.is_disabled():
                    continue
                value, top = int(slider.input_value()), int(slider.get_attribute("max"))
                slider.fill(str(0 if value == top else top))
            elif kind == "points":
                rings = root.locator("button.nbw-marker:not(.nbw-current)")
                if rings.count() == 0:
                    continue
                rings.first.click()
            else:
                buttons = control.locator('button.nbw-button[aria-pressed="false"]')
                if buttons.count() == 0:
                    continue
                buttons.last.click()
            after = (root.get_attribute("data-frame"), root.locator("img.nbw-frame").get_attribute("src"))
            if after[0] == before[0]:
                problems.append(f"{name}: widget {w}, control {c} ({kind}) did not change the frame")
            shown = root.locator("img.nbw-frame").evaluate("img => img.complete && img.naturalWidth")
            if not shown:
                problems.append(f"{name}: widget {w} shows a broken frame after control {c}")
        root.screenshot(path=str(shots / f"{name}__widget{w}.png"))
    problems += [f"{name}: console error: {e}" for e in errors]
    return problems


def test_pages_in_chromium(book, request):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    shots = book.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        for name in PAGES:
            page = context.new_page()
            problems += _problems_on_page(page, (book / f"{name}.html").as_uri(), shots, name.replace("/", "__"))
            page.close()
        browser.close()
    _report(request, f"screenshots of the book: {shots}")
    assert problems == [], "\n".join(problems)
