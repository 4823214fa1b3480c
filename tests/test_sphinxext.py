"""nbcourse.sphinxext: the book build marks its kernels (frames are precomputed) and checks page weight."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from nbcourse import sphinxext
from nbcourse.widgets import BOOK_BUILD_ENV, book_build


def test_setup_marks_the_build_and_checks_pages_when_done(monkeypatch):
    # setenv (not delenv) so that monkeypatch restores the variable's absence afterwards: setup() sets
    # it for the whole process, and a leak would silence the progress bars of later tests
    monkeypatch.setenv(BOOK_BUILD_ENV, "0")
    assert not book_build()
    connected = []
    css = []
    app = SimpleNamespace(connect=lambda event, handler: connected.append((event, handler)),
                          add_css_file=css.append)
    meta = sphinxext.setup(app)
    assert os.environ[BOOK_BUILD_ENV] == "1" and book_build()
    assert connected == [("config-inited", sphinxext._use_local_mathjax),
                         ("build-finished", sphinxext._copy_local_mathjax),
                         ("build-finished", sphinxext._check_page_weight),
                         ("doctree-read", sphinxext._strip_markers_from_cells),
                         ("build-finished", sphinxext._write_book_css)]
    assert css == [sphinxext.BOOK_CSS_FILE]
    assert meta["parallel_read_safe"] and meta["version"]


def test_heavy_pages_are_found_and_reported(tmp_path, monkeypatch):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "light.html").write_bytes(b"x" * 100)
    (tmp_path / "book" / "heavy.html").write_bytes(b"x" * 2_000)
    assert sphinxext.heavy_pages(tmp_path, budget=1_000) == [("book/heavy.html", 2_000)]
    assert sphinxext.heavy_pages(tmp_path) == []

    warnings = []
    monkeypatch.setattr(sphinxext, "PAGE_BUDGET_BYTES", 1_000)
    monkeypatch.setattr("sphinx.util.logging.getLogger",
                        lambda name: SimpleNamespace(warning=warnings.append))
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    sphinxext._check_page_weight(app, None)
    assert len(warnings) == 1 and "book/heavy.html weighs" in warnings[0] and "subset" in warnings[0]
    sphinxext._check_page_weight(app, RuntimeError("the build failed"))  # nothing more to say then
    assert len(warnings) == 1


@pytest.mark.parametrize("value, expected", [("1", True), ("", False), ("0", False), ("false", False)])
def test_book_build_reads_the_variable(monkeypatch, value, expected):
    monkeypatch.setenv(BOOK_BUILD_ENV, value)
    assert book_build() is expected


def test_mathjax_is_served_from_the_book(tmp_path):
    source = sphinxext.local_mathjax()
    assert source is not None, "sphinx-mathjax-offline (requirements.txt) holds MathJax 3"
    config = SimpleNamespace(mathjax_path="https://cdn.example/mathjax.js")
    sphinxext._use_local_mathjax(None, config)
    assert config.mathjax_path == "mathjax/tex-chtml.js"

    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    sphinxext._copy_local_mathjax(app, None)
    served = tmp_path / "_static" / "mathjax"
    assert (served / "tex-chtml.js").read_bytes() == (source / "tex-chtml.js").read_bytes()
    assert any((served / "output/chtml/fonts/woff-v2").glob("*.woff"))
    assert (served / "input/tex/extensions/boldsymbol.js").is_file()
    assert not (served / "tex-svg.js").exists(), "only what the book needs is copied"

    empty = tmp_path / "failed"
    sphinxext._copy_local_mathjax(SimpleNamespace(outdir=str(empty), builder=app.builder), RuntimeError("failed"))
    assert not empty.exists()


def test_nbval_markers_are_stripped_from_the_cells_shown():
    source = "# NBVAL_CHECK_OUTPUT\nx = 1  # NBVAL_ not a marker line\nprint(x)\n    #NBVAL_IGNORE_OUTPUT"
    assert sphinxext.strip_test_markers(source) == "x = 1  # NBVAL_ not a marker line\nprint(x)"
    assert sphinxext.strip_test_markers("print(1)") == "print(1)"


def test_markers_go_from_cell_inputs_only():
    from docutils import nodes

    doctree = nodes.document(None, None)
    cell = nodes.container(classes=["cell_input"])
    cell += nodes.literal_block("# NBVAL_CHECK_OUTPUT\nprint(1)", "# NBVAL_CHECK_OUTPUT\nprint(1)")
    prose = nodes.literal_block("# NBVAL_CHECK_OUTPUT", "# NBVAL_CHECK_OUTPUT")   # a page that explains nbval
    doctree += cell
    doctree += prose
    sphinxext._strip_markers_from_cells(None, doctree)
    assert cell[0].astext() == "print(1)" and prose.astext() == "# NBVAL_CHECK_OUTPUT"


def test_book_css_wraps_output_lines(tmp_path):
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    sphinxext._write_book_css(app, None)
    css = (tmp_path / "_static" / sphinxext.BOOK_CSS_FILE).read_text()
    assert "white-space: pre-wrap" in css and "cell_output" in css
