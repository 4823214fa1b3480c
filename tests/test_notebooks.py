"""The notebooks in book/: each runs top to bottom without error and its ``# NBVAL_CHECK_OUTPUT`` cells
print what they stored (one test per notebook); and each is stored clean: without outputs (except the
cells whose output is compared), without saved widget state, with the python3 kernel. A notebook saved
from Jupyter after a run would otherwise bring its outputs, and frozen ipywidgets state that makes the
static book fetch ipywidgets' JavaScript from a CDN.

The notebooks are executed once per test session, as the book build executes them (see
``tests/conftest.py``): the book test builds the book from these same executions. The comparison of
checked cells is nbval's own (``--nbval-lax``): text outputs compared exactly, images, metadata,
execution counts and widget model ids skipped. To run one notebook as a student's Jupyter does
(live widgets, progress bars), use nbval itself: ``python -m pytest --nbval-lax book/PATH.ipynb``.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbval.plugin import IPyNbCell, coalesce_streams, find_comment_markers, find_metadata_tags, nocolors

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_the_book_has_notebooks():
    assert len(NOTEBOOKS) >= 2


class _NbvalComparison:
    """nbval's comparison of one cell's outputs (``IPyNbCell.compare_outputs``, nbval 0.11), run on a
    notebook that was executed outside nbval's per-cell items. It fills ``comparison_traceback``."""

    compare_outputs = IPyNbCell.compare_outputs
    format_output_compare = IPyNbCell.format_output_compare
    sanitize = IPyNbCell.sanitize
    #: what nbval's notebook collector skips when it compares (``IPyNbFile.skip_compare`` without --nbdime)
    SKIP = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
            "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")

    def __init__(self, config):
        self.config = config
        self.ihook = config.hook
        self.colors = nocolors
        self.parent = SimpleNamespace(skip_compare=self.SKIP, sanitize_patterns={})
        self.comparison_traceback: list[str] = []


def _markers(cell) -> dict:
    options = dict(find_metadata_tags(cell.metadata))
    options.update(find_comment_markers(cell.source))
    return options


def checked_cell_problems(stored: nbformat.NotebookNode, executed: nbformat.NotebookNode, config) -> list[str]:
    """What differs between the stored and the new outputs of the cells marked ``# NBVAL_CHECK_OUTPUT``
    (or tagged ``nbval-check-output``), as ``pytest --nbval-lax`` reports it; empty when all agree."""
    problems = []
    for index, (cell, new) in enumerate(zip(stored.cells, executed.cells)):
        if cell.cell_type != "code":
            continue
        options = _markers(cell)
        unsupported = sorted({"skip", "check_exception"} & {k for k, v in options.items() if v})
        if unsupported:
            problems.append(f"cell {index}: nbval's {unsupported} marker: the book build runs every cell and stops "
                            "at any error; tag the cell raises-exception (or remove it) instead")
        if not options.get("check") or cell.execution_count is None:
            continue  # like nbval: an unrun reference cell is not compared
        comparison = _NbvalComparison(config)
        if not comparison.compare_outputs(coalesce_streams(new.get("outputs", [])), coalesce_streams(cell.outputs)):
            problems.append(f"cell {index}: outputs differ from the stored ones (# NBVAL_CHECK_OUTPUT)\n"
                            f"{cell.source}\n" + "\n".join(comparison.comparison_traceback))
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_runs_and_prints_what_it_stored(path, notebook_runs, record_property, request):
    run = notebook_runs.get(path)
    # benches/suite_times.py reports these: the execution's own time, wherever it happened
    record_property("notebook_seconds", round(run.seconds, 2))
    record_property("notebook_cpu_seconds", round(run.cpu_seconds, 2))
    record_property("executed_by", "this test" if run.by_this_call else f"another test ({run.executed_by})")
    if run.error:
        pytest.fail(f"{path.relative_to(ROOT)}: {run.error}", pytrace=False)
    stored = nbformat.read(path, as_version=4)
    problems = checked_cell_problems(stored, run.nb, request.config)
    if problems:
        pytest.fail(f"{path.relative_to(ROOT)}:\n" + "\n\n".join(problems), pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", "kernelspec python3"
    assert "widgets" not in nb["metadata"], "saved ipywidgets state: clear it (Kernel > Restart & Clear Output)"
    stored = [i for i, cell in enumerate(nb["cells"])
              if cell.get("outputs") and "NBVAL_CHECK_OUTPUT" not in "".join(cell["source"])]
    assert stored == [], f"cells {stored} have stored outputs: strip them (only NBVAL_CHECK_OUTPUT cells keep theirs)"


# ------------------------------------------------------------ the runner and the comparison themselves
def _code(source, outputs=(), count=None):
    return nbformat.v4.new_code_cell(source, outputs=list(outputs), execution_count=count)


def test_checked_cells_are_compared_as_nbval_does(pytestconfig):
    two = nbformat.v4.new_output("stream", name="stdout", text="2\n")
    three = nbformat.v4.new_output("stream", name="stdout", text="3\n")
    image = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    other_image = nbformat.v4.new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"})
    stored = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A page"),
        _code("# NBVAL_CHECK_OUTPUT\nprint(1 + 1)", [two], count=1),
        _code("print(2 + 2)"),
        _code("# NBVAL_CHECK_OUTPUT\nplot()", [image], count=3),
    ])
    executed = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A page"), _code("", [two], 1), _code("", [three], 2), _code("", [other_image], 3)])
    assert checked_cell_problems(stored, executed, pytestconfig) == [], "unmarked cells and images are not compared"

    executed.cells[1].outputs = [three]
    problems = checked_cell_problems(stored, executed, pytestconfig)
    assert len(problems) == 1 and problems[0].startswith("cell 1: outputs differ") and "print(1 + 1)" in problems[0]

    stored.cells[2].source = "# NBVAL_SKIP\nprint(2 + 2)"
    assert any("cell 2: nbval's ['skip'] marker" in p for p in checked_cell_problems(stored, executed, pytestconfig))


def test_a_notebook_is_executed_once_in_book_build_mode_and_its_error_is_reported(notebook_runs, tmp_path):
    runs = type(notebook_runs)(tmp_path / "runs", "test")
    path = tmp_path / "page.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        _code("import os\nprint(os.environ.get('NBCOURSE_BOOK_BUILD'), os.getcwd())"),
        nbformat.v4.new_markdown_cell("Then it fails."),
        _code("1 / 0"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), path)
    first = runs.get(path)
    assert first.by_this_call and first.executed_by == "test" and first.seconds > 0 and first.cpu_seconds > 0
    assert first.nb.cells[0].outputs[0]["text"] == f"1 {tmp_path}\n", "book-build mode, in the notebook's folder"
    assert first.error.startswith("cell 2 (counting every cell from 0) raised") and "ZeroDivisionError" in first.error
    again = runs.get(path)
    assert not again.by_this_call and again.error == first.error and again.nb == first.nb
    assert runs.all([path]) == [again]
