"""Authoring conventions and `nbcourse release` (nbcourse/exercises/_notebook.py, nbcourse/cli.py)."""

from __future__ import annotations

import nbformat
import pytest

from nbcourse.cli import main
from nbcourse.exercises import exercise_cells, release_notebook
from nbcourse.exercises._notebook import (
    ReleaseError,
    cell_role,
    definition_source,
    exercise_names,
    strip_solutions,
)


def test_exercise_cells_carry_roles_tags_and_the_check_call():
    statement, solution, check = exercise_cells(
        "demo/double", statement="Write it.", answer="double",
        solution="def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION")
    assert [cell_role(c) for c in (statement, solution, check)] == [
        ("demo/double", "statement"), ("demo/double", "solution"), ("demo/double", "check")]
    assert "hide-input" in solution.metadata.tags
    assert solution.metadata.mystnb["code_prompt_show"] == "Show solution"
    assert check.source == 'nbcourse.check("demo/double", double)'
    with pytest.raises(ValueError, match="markers"):
        exercise_cells("demo/x", statement="", answer="f", solution="def f(): return 1")


def test_roles_are_recognised_without_metadata():
    code = nbformat.v4.new_code_cell("def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION")
    assert cell_role(code) == (None, "solution")
    call = nbformat.v4.new_code_cell("nbcourse.check('demo/double', double)")
    assert cell_role(call) == ("demo/double", "check")


def test_a_stub_keeps_the_def_line_docstring_and_indentation():
    source = (
        "import numpy as np\n\n"
        "def f(x):\n"
        '    """Doc."""\n'
        "    # BEGIN SOLUTION\n"
        "    y = x + 1\n"
        "    return y\n"
        "    # END SOLUTION\n\n"
        "## BEGIN SOLUTION\n"
        "z = 3\n"
        "## END SOLUTION\n"
        "print('kept')"
    )
    out = strip_solutions(source, "demo/f")
    assert out.splitlines() == [
        "import numpy as np",
        "",
        "def f(x):",
        '    """Doc."""',
        "    # YOUR CODE HERE",
        '    raise NotImplementedError("demo/f: replace this line with your answer")',
        "",
        "# YOUR CODE HERE",
        "z = ...  # your answer",  # a top-level stub rebinds what its solution defined
        'raise NotImplementedError("demo/f: replace this line with your answer")',
        "print('kept')",
    ]
    compile(out, "stub", "exec")  # the student's cell is valid Python


def test_a_top_level_stub_rebinds_every_name_its_solution_defines():
    source = "# BEGIN SOLUTION\nlr, steps = 0.1, 20\nsettings: dict = {}\ndef helper():\n    pass\n# END SOLUTION"
    out = strip_solutions(source, "demo/x")
    assert [line for line in out.splitlines() if "= ..." in line] == [
        "lr = ...  # your answer", "steps = ...  # your answer", "settings = ...  # your answer",
        "helper = ...  # your answer"]
    namespace = {"lr": 0.4}  # left over from an earlier cell
    with pytest.raises(NotImplementedError, match="demo/x"):
        exec(out, namespace)
    assert namespace["lr"] is Ellipsis


@pytest.mark.parametrize(
    "source, words",
    [
        ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n# END SOLUTION\n", "without a '# BEGIN SOLUTION'"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside another"),
    ],
)
def test_malformed_markers_are_reported_with_their_line(source, words):
    with pytest.raises(ReleaseError, match=words):
        strip_solutions(source, "demo/x", where="nb, cell 3: ")


def test_release_notebook(demo_notebook):
    nb = demo_notebook()
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello")]
    nb.cells[1].execution_count = 7
    student = release_notebook(nb)
    # hidden cells go, nothing else does
    assert len(student.cells) == len(nb.cells) - 1
    assert not any(cell_role(c)[1] == "hidden" for c in student.cells)
    # outputs stripped
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    # solutions became stubs; the folding tags are gone from them
    solutions = [c for c in student.cells if cell_role(c)[1] == "solution"]
    assert len(solutions) == 3
    for cell in solutions:
        assert "BEGIN SOLUTION" not in cell.source and "NotImplementedError(" in cell.source
        assert "tags" not in cell.metadata and "mystnb" not in cell.metadata
    assert solutions[0].source.startswith('def double(x):\n    """Twice x."""\n    # YOUR CODE HERE')
    # every other cell unchanged
    kept = [c for c in nb.cells if cell_role(c)[1] not in ("hidden", "solution")]
    others = [c for c in student.cells if cell_role(c)[1] != "solution"]
    assert [c.source for c in kept] == [c.source for c in others]
    assert [c.metadata for c in kept if c.cell_type == "markdown"] == [c.metadata for c in others if c.cell_type == "markdown"]
    # the grader can find the exercises even if all cell metadata is lost
    assert student.metadata.nbcourse["exercises"] == ["demo/double", "demo/lr", "demo/update"]
    # the instructor notebook is untouched
    assert "BEGIN SOLUTION" in nb.cells[3].source and nb.cells[1].outputs


def test_markdown_solutions_are_replaced():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Why?\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->\nEnd.")]
    assert release_notebook(nb).cells[0].source == "Why?\n*Your answer here.*\nEnd."


def test_a_solution_cell_without_markers_is_an_error():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"nbcourse": {"exercise": "demo/x", "role": "solution"}})]
    with pytest.raises(ReleaseError, match="cell 0"):
        release_notebook(nb, source_name="page.ipynb")


def test_exercise_names_and_definitions(demo_notebook):
    nb = demo_notebook()
    assert exercise_names(nb) == ["demo/double", "demo/lr", "demo/update"]
    nb.cells.append(nbformat.v4.new_code_cell("%matplotlib inline\ndef helper(x):\n    return np.tanh(x)\n"
                                              "def double(x):\n    return helper(x)"))
    source = definition_source(nb, "double")
    assert source.startswith("def double(x):") and "np.tanh" in source  # the last definition, and its helper
    assert definition_source(nb, "lr") == "lr = 0.4"
    assert definition_source(nb, "nothing") is None


def test_cli_release_writes_student_notebooks(tmp_path, demo_notebook):
    source = tmp_path / "book" / "demo"
    source.mkdir(parents=True)
    nbformat.write(demo_notebook(), source / "page.ipynb")
    (source / "_build").mkdir()
    nbformat.write(demo_notebook(), source / "_build" / "copy.ipynb")
    assert main(["release", str(tmp_path / "book"), "--out", str(tmp_path / "out")]) == 0
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.ipynb"))
    assert written == ["demo/page.ipynb"]
    student = nbformat.read(tmp_path / "out" / "demo" / "page.ipynb", as_version=4)
    assert not any("BEGIN SOLUTION" in c.source for c in student.cells)
    assert main(["release", str(source / "page.ipynb"), "--out", str(tmp_path / "flat")]) == 0
    assert (tmp_path / "flat" / "page.ipynb").is_file()


def test_cli_release_misuse(tmp_path, capsys):
    assert main(["release", str(tmp_path / "missing.ipynb"), "--out", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["release", "--out", str(tmp_path)]) == 2  # no source: argparse's usage error
    bad = nbformat.v4.new_notebook()
    bad.cells = [nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1")]
    nbformat.write(bad, tmp_path / "bad.ipynb")
    assert main(["release", str(tmp_path / "bad.ipynb"), "--out", str(tmp_path / "o")]) == 1
    assert "never closed" in capsys.readouterr().err


def test_python_dash_m_nbcourse_is_the_command(tmp_path):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "nbcourse", "exercises", "activations"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and "activations/sigmoid-grad" in run.stdout
    misuse = subprocess.run([sys.executable, "-m", "nbcourse", "release", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert misuse.returncode == 2 and "required" in misuse.stderr
