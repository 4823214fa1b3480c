"""nbcourse.colab: every notebook's first cell, the version check, and the one repository address."""

from __future__ import annotations

import importlib.metadata
import re
import warnings
from pathlib import Path

import nbformat
import pytest

import nbcourse
from nbcourse import colab

ROOT = Path(__file__).resolve().parents[1]


def test_first_cell_installs_only_on_colab_and_checks_the_version():
    cell = colab.first_cell("0.1.0")
    lines = cell.splitlines()
    assert lines[1:] == [
        "import sys",
        'if "google.colab" in sys.modules:',
        f'    %pip install --quiet "nbcourse @ git+{colab.REPOSITORY}@v0.1.0"',
        "import nbcourse",
        'nbcourse.require("0.1.0")',
    ]
    assert colab.first_cell() == colab.first_cell(nbcourse.__version__)


def test_require_is_silent_for_the_installed_version():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nbcourse.require(nbcourse.__version__) is None
        nbcourse.require("v" + nbcourse.__version__)


def test_require_warns_with_the_command_that_fixes_it():
    with pytest.warns(colab.NbcourseVersionWarning) as record:
        nbcourse.require("0.0.1")
    message = str(record[0].message)
    assert "written for nbcourse 0.0.1" in message and f"nbcourse {nbcourse.__version__} is installed" in message
    assert f'%pip install --quiet "nbcourse @ git+{colab.REPOSITORY}@v0.0.1"' in message
    assert "restart" in message
    assert record[0].filename == __file__, "the warning points at the notebook's line, not at nbcourse"


@pytest.mark.parametrize("bad, error", [(1.0, TypeError), ("latest", ValueError), ("", ValueError)])
def test_require_rejects_what_is_not_a_version(bad, error):
    with pytest.raises(error, match="nbcourse.require: argument 'version'"):
        nbcourse.require(bad)


def test_on_colab_follows_the_google_colab_module(monkeypatch):
    import sys
    import types

    assert not colab.on_colab()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert colab.on_colab()


def test_one_version_and_one_repository_address():
    assert importlib.metadata.version("nbcourse") == nbcourse.__version__, "pyproject.toml and nbcourse.__version__"
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    url = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, re.M).group(1)
    assert url == colab.REPOSITORY, "_config.yml's repository url and nbcourse.colab.REPOSITORY must agree"


def test_every_notebook_of_the_book_starts_with_the_first_cell():
    notebooks = sorted((ROOT / "book").rglob("*.ipynb"))
    assert notebooks, "the book has notebooks"
    assert colab.check_notebooks([ROOT / "book"]) == []


def test_write_inserts_replaces_and_leaves_the_rest(tmp_path):
    fresh = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
                                            nbformat.v4.new_code_cell("x = 1")])
    old = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(colab.first_cell("0.0.9")),
                                          nbformat.v4.new_code_cell("y = 2")])
    nbformat.write(fresh, tmp_path / "fresh.ipynb")
    nbformat.write(old, tmp_path / "old.ipynb")
    assert len(colab.check_notebooks([tmp_path])) == 2
    assert colab.main(["--check", str(tmp_path)]) == 1
    assert colab.main(["--write", str(tmp_path)]) == 0
    assert colab.check_notebooks([tmp_path]) == []
    fresh_cells = nbformat.read(tmp_path / "fresh.ipynb", as_version=4).cells
    assert [c.source for c in fresh_cells[1:]] == ["# Title", "x = 1"]
    old_cells = nbformat.read(tmp_path / "old.ipynb", as_version=4).cells
    assert len(old_cells) == 2 and old_cells[1].source == "y = 2"
    assert fresh_cells[0].metadata["tags"] == ["remove-cell"] == old_cells[0].metadata["tags"]
    assert colab.write_first_cells([tmp_path]) == [], "a second write changes nothing"
    untagged = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(colab.first_cell())])
    nbformat.write(untagged, tmp_path / "untagged.ipynb")
    assert "lacks the tags" in colab.check_notebooks([tmp_path / "untagged.ipynb"])[0]
    with pytest.raises(ValueError, match="neither a notebook"):
        colab.check_notebooks([tmp_path / "fresh.txt"])
