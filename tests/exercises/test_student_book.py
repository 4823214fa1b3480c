"""`nbcourse book --student`: the online book without solutions (nbcourse/exercises/_student_book.py)."""

from __future__ import annotations

import shutil
import textwrap

import nbformat
import pytest

from nbcourse.cli import main
from nbcourse.exercises import exercise_cells
from nbcourse.exercises._student_book import student_notebook

SOLUTION_LINE = "return s * (1 - s)  # the secret line"


def _page():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A page\n\nTeaching first."),
        nbformat.v4.new_code_cell("import nbcourse\nprint('teaching output', 6 * 7)"),
    ]
    nb.cells += exercise_cells(
        "activations/sigmoid-grad", statement="Write `sigmoid_grad_from_value(s)`.", answer="sigmoid_grad_from_value",
        solution=f"def sigmoid_grad_from_value(s):\n    # BEGIN SOLUTION\n    {SOLUTION_LINE}\n    # END SOLUTION",
    )
    nb.cells.append(nbformat.v4.new_code_cell("print('answer at 0.5:', sigmoid_grad_from_value(0.5))"))
    nb.cells.append(nbformat.v4.new_code_cell("print('instructor only')", metadata={"nbcourse": {"role": "hidden"}}))
    return nb


def _book(folder):
    (folder / "_config.yml").write_text(textwrap.dedent("""
        title: A tiny course
        only_build_toc_files: true
        exclude_patterns: [_build]
        execute:
          execute_notebooks: cache
    """))
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: page\n")
    (folder / "intro.md").write_text("# A tiny course\n\nThe introduction.\n")
    nbformat.write(_page(), folder / "page.ipynb")
    return folder


def test_the_student_notebook_keeps_teaching_outputs_and_hides_solutions_and_passes():
    from nbclient import NotebookClient

    nb = _page()
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    student = student_notebook(nb)
    text = nbformat.writes(student)
    assert SOLUTION_LINE not in text and "instructor only" not in text
    assert "teaching output 42" in text  # a teaching cell keeps its output
    assert "answer at 0.5" in text  # the cell is there, without its output
    assert "0.25" not in text and "passed" not in text


@pytest.mark.skipif(shutil.which("jupyter-book") is None, reason="jupyter-book is not installed")
def test_book_student_builds_the_book_without_solutions(tmp_path, capsys):
    (tmp_path / "course").mkdir()
    root = _book(tmp_path / "course")
    status = main(["book", str(root), "--student"])
    assert status == 0, capsys.readouterr().err
    html = (root / "_build" / "student" / "source" / "_build" / "html" / "page.html").read_text(encoding="utf-8")
    assert "teaching output 42" in html
    assert "secret line" not in html and "YOUR CODE HERE" in html
    assert SOLUTION_LINE in (root / "page.ipynb").read_text(encoding="utf-8")  # the sources are untouched
    released = (root / "_build" / "student" / "source" / "page.ipynb").read_text(encoding="utf-8")
    assert "secret line" not in released


def test_book_needs_a_config(tmp_path, capsys):
    assert main(["book", str(tmp_path), "--student"]) == 2
    assert "no _config.yml" in capsys.readouterr().err
