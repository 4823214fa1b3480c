"""`nbcourse grade`: bad submissions, tampering, parallel grading, the book's own notebooks.

Starting kernels is slow, so the submissions are graded in two shared batches (module
fixtures) and each test reads its rows: batch A through the command line with ``--jobs 2``,
batch B (cells that never end or kill their kernel) with a short per-cell timeout.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import nbformat
import pytest

from nbcourse.cli import main
from nbcourse.exercises import release_notebook
from nbcourse.exercises._grade import _select, expected_exercises, grade
from nbcourse.exercises._notebook import cell_role, exercise_names

ROOT = Path(__file__).resolve().parents[2]
DEMO = {"demo/double": 1.0, "demo/lr": 2.0, "demo/update": 3.0}
WRONG = {"double": "return x + 1", "lr": "lr = 5.0", "update": "return w"}


def book_notebooks():
    """Every notebook of the book that holds exercises (found by their metadata and markers)."""
    found = []
    for path in sorted((ROOT / "book").rglob("*.ipynb")):
        if "_build" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        if exercise_names(nbformat.read(path, as_version=4)):
            found.append(path)
    return found


def _insert_after(nb, name, role, *cells):
    index = next(i for i, c in enumerate(nb.cells) if cell_role(c) == (name, role))
    nb.cells[index + 1:index + 1] = list(cells)
    return nb


def _without(nb, *roles):
    nb.cells = [c for c in nb.cells if cell_role(c) not in roles]
    return nb


def _code(source, **metadata):
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def _tampered(demo_notebook, source):
    """The demo page with wrong answers and ``source`` run right after the setup cell and at the end."""
    nb = demo_notebook(**WRONG)
    nb.cells.insert(2, _code(source))
    nb.cells.append(_code(source))
    return nb


TAMPERING = {
    # redefining check, in every place a student might find it
    "tamper_check": (
        "import nbcourse, nbcourse.exercises\n"
        "def check(*args, **kwargs):\n    return True\n"
        "nbcourse.check = check\nnbcourse.exercises.check = check\n"
    ),
    # printing what a pass looks like
    "tamper_print": (
        "for name in ['demo/double', 'demo/lr', 'demo/update']:\n"
        "    print(f'✓ {name}: passed, 1/1 point')\n"
    ),
    # making every comparison true
    "tamper_allclose": (
        "import numpy, torch\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "numpy.array_equal = lambda *a, **k: True\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)\n"
    ),
    # patching nbcourse: the judge, the results, the harness, and the package used by a measurement
    "tamper_nbcourse": (
        "import nbcourse.exercises._core as C, nbcourse.exercises._harness as H, nbcourse.activations as A\n"
        "C.FunctionExercise.judge = lambda self, *a, **k: self._result('passed', 'ok')\n"
        "C.BehaviourExercise.judge_kernel = lambda self, *a, **k: self._result('passed', 'ok')\n"
        "C.CheckResult.passed = property(lambda self: True)\n"
        "H.call_cases = lambda answer, cases: []\n"
        "A.linear = lambda z, **k: z * 0  # the demo/update measurement computes its loss with linear\n"
        "for e in list(C.REGISTRY._exercises.values()):\n"
        "    e.points = 100\n"
    ),
}


def _metadata_tampered(demo_notebook):
    nb = demo_notebook(**WRONG)
    for cell in nb.cells:
        meta = cell.metadata.get("nbcourse")
        if meta:
            meta["points"] = 100
            meta["role"] = "hidden" if meta.get("role") == "check" else meta.get("role")
            meta["exercise"] = "demo/lr"
        cell.metadata["tags"] = ["raises-exception"]
    nb.metadata["nbcourse"] = {"exercises": [], "points": 100}
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "python"}
    return nb


def _shuffled(demo_notebook):
    nb = demo_notebook()
    roles = {cell_role(c): c for c in nb.cells}
    check_double = roles[("demo/double", "check")]
    solution_update = roles[("demo/update", "solution")]
    nb.cells.remove(solution_update)
    nb.cells.append(solution_update)  # moved below its check
    nb.cells.insert(1, copy.deepcopy(check_double))  # a check before anything is defined
    nb.cells.append(copy.deepcopy(roles[("demo/double", "solution")]))  # duplicated
    nb.cells.append(copy.deepcopy(check_double))
    return nb


def _missing(demo_notebook):
    nb = demo_notebook()
    nb.cells = [c for c in nb.cells if cell_role(c)[0] != "demo/update"]
    return nb


def _shadowing(demo_notebook):
    # names the grader's own cell might use, taken by the student: grading still works
    nb = demo_notebook()
    nb.cells.append(_code("exec = compile = globals = json = open = None\n_nbcourse_g = 3"))
    return nb


@pytest.fixture(scope="module")
def batch_a(tmp_path_factory, demo_notebook, demo_tests_dir):
    folder = tmp_path_factory.mktemp("submissions")
    notebooks = {
        "instructor": demo_notebook(),
        "student": release_notebook(demo_notebook()),
        # a teaching cell leaves a value under the answer's name: the released stub must not pass it off
        "student_leak": _insert_after(release_notebook(demo_notebook()), "demo/lr", "statement",
                                      _code("for lr in (0.1, 0.4):\n    pass")),
        "raises": _insert_after(demo_notebook(), "demo/double", "statement", _code("1 / 0"),
                                _code("undefined_name + 1")),
        "missing": _missing(demo_notebook),
        "shuffled": _shuffled(demo_notebook),
        "shadowing": _shadowing(demo_notebook),
        "tamper_metadata": _metadata_tampered(demo_notebook),
        **{name: _tampered(demo_notebook, source) for name, source in TAMPERING.items()},
    }
    paths = []
    for name, nb in notebooks.items():
        # json, not nbformat.write: the duplicated cells keep their duplicated ids, as a copy-paste would
        (folder / f"{name}.ipynb").write_text(json.dumps(nb))
        paths.append(folder / f"{name}.ipynb")
    (folder / "invalid.ipynb").write_text('{"cells": [ this is not json')
    (folder / "not_a_notebook.ipynb").write_text('{"hello": "world"}')
    paths += [folder / "invalid.ipynb", folder / "not_a_notebook.ipynb"]
    out = folder / "out" / "grades.csv"
    status = main(["grade", *map(str, paths), "--from-submissions", "--out", str(out), "--jobs", "2", "--timeout", "60",
                   "--tests", str(demo_tests_dir), "--quiet"])
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {"status": status, "rows": rows, "folder": folder, "out": out}


@pytest.fixture(scope="module")
def batch_book(tmp_path_factory):
    """Every book notebook with exercises, as written (instructor) and as released (student)."""
    books = book_notebooks()
    if not books:
        pytest.skip("no notebook of the book holds exercises yet")
    folder = tmp_path_factory.mktemp("book")
    paths = []
    for book in books:
        released = folder / f"released-{book.parent.name}-{book.stem}.ipynb"
        nbformat.write(release_notebook(nbformat.read(book, as_version=4)), released)
        paths += [book, released]
    reports = grade(paths, jobs=2, timeout=300)
    return {"books": books, "reports": dict(zip(paths, reports))}


def rows_of(batch, name):
    return {r["exercise"]: r for r in batch["rows"] if Path(r["submission"]).stem == name}


def points(batch, name):
    return {e: float(r["points"]) for e, r in rows_of(batch, name).items()}


def test_the_batch_exits_zero_and_writes_the_sheet(batch_a):
    assert batch_a["status"] == 0
    with open(batch_a["out"], newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == ["submission", "exercise", "points", "max_points", "message"]
    for name in ["instructor", "student", "raises", "missing", "shuffled", "invalid", "not_a_notebook"]:
        rows = rows_of(batch_a, name)
        assert set(rows) == set(DEMO), name
        assert {e: float(r["max_points"]) for e, r in rows.items()} == DEMO, name


def test_the_instructor_version_gets_full_marks(batch_a):
    assert points(batch_a, "instructor") == DEMO


@pytest.mark.parametrize("name", ["student", "student_leak"])
def test_the_released_version_gets_zero_and_says_not_answered(batch_a, name):
    assert points(batch_a, name) == {e: 0.0 for e in DEMO}
    assert all(r["message"].startswith("not answered yet") for r in rows_of(batch_a, name).values())


@pytest.mark.parametrize("name, words", [("invalid", "not valid notebook JSON"), ("not_a_notebook", "not a notebook")])
def test_a_file_that_is_not_a_notebook_costs_only_its_own_points(batch_a, name, words):
    rows = rows_of(batch_a, name)
    assert all(float(r["points"]) == 0 and words in r["message"] for r in rows.values())


def test_cells_that_raise_cost_nothing_else(batch_a):
    assert points(batch_a, "raises") == DEMO
    feedback = (batch_a["out"].parent / "feedback" / "raises.md").read_text()
    assert "raised ZeroDivisionError" in feedback and "raised NameError" in feedback


def test_a_missing_exercise_is_a_zero_row_not_a_missing_row(batch_a):
    assert points(batch_a, "missing") == {"demo/double": 1.0, "demo/lr": 2.0, "demo/update": 0.0}
    assert "does not define `update`" in rows_of(batch_a, "missing")["demo/update"]["message"]


def test_duplicated_and_moved_cells_are_graded_on_what_they_define(batch_a):
    assert points(batch_a, "shuffled") == DEMO


def test_a_notebook_that_shadows_builtins_is_still_graded(batch_a):
    assert points(batch_a, "shadowing") == DEMO


@pytest.mark.parametrize("name", sorted(TAMPERING) + ["tamper_metadata"])
def test_tampering_does_not_raise_the_grade(batch_a, name):
    rows = rows_of(batch_a, name)
    assert set(rows) == set(DEMO)
    assert {e: float(r["points"]) for e, r in rows.items()} == {e: 0.0 for e in DEMO}
    assert {e: float(r["max_points"]) for e, r in rows.items()} == DEMO  # points are the registry's


def test_every_submission_gets_a_feedback_file(batch_a):
    feedback = batch_a["out"].parent / "feedback"
    stems = {Path(r["submission"]).stem for r in batch_a["rows"]}
    files = {p.stem for p in feedback.glob("*.md")}
    assert len(files) == len(stems)
    text = (feedback / "instructor.md").read_text()
    assert "**Total: 6 / 6 points**" in text and "### ✓ `demo/double`" in text
    text = (feedback / "student.md").read_text()
    assert "**Total: 0 / 6 points**" in text and "replace the `raise NotImplementedError(...)`" in text


def test_book_notebooks_get_full_marks(batch_book):
    for book in batch_book["books"]:
        report = batch_book["reports"][book]
        names = exercise_names(nbformat.read(book, as_version=4))
        assert sorted(r.exercise for r in report.results) == sorted(names), book
        failed = [r.text() for r in report.results if not r.passed]
        assert not failed, f"{book}: " + "\n".join(failed)
        assert report.points == report.max_points > 0


def test_released_book_notebooks_run_to_their_stubs_and_get_zero(batch_book):
    for book, report in batch_book["reports"].items():
        if book in batch_book["books"]:
            continue
        assert report.results and not report.error, book
        not_answered = [r for r in report.results if r.status != "not-answered"]
        assert not not_answered, f"{book}: " + "\n".join(r.text() for r in not_answered)
        assert report.points == 0
        # the first cell to fail, if any, is an exercise's NotImplementedError, after every teaching
        # cell ran (check cells do nothing in the grader's kernel: a page whose stubs are all
        # functions runs to its end without an error)
        if not report.cell_errors:
            continue
        nb = nbformat.read(book, as_version=4)
        first_index, first_error = report.cell_errors[0]
        assert first_error in ("NotImplementedError", "NotAnswered"), (book, report.problems)
        first_exercise = min(i for i, c in enumerate(nb.cells) if cell_role(c)[1] in ("solution", "check"))
        assert first_index >= first_exercise, (book, report.problems)


@pytest.fixture(scope="module")
def batch_b(tmp_path_factory, demo_notebook, demo_tests_dir):
    folder = tmp_path_factory.mktemp("stuck")
    notebooks = {
        # a cell that never ends: interrupted after the timeout, the next cells run
        "hangs": _insert_after(demo_notebook(), "demo/lr", "check", _code("while True:\n    pass")),
        # a cell that ignores the interrupt: the kernel is restarted and what worked is run again
        "deaf": _insert_after(demo_notebook(), "demo/lr", "check", _code(
            "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)")),
        # a cell that kills its kernel
        "dies": _insert_after(demo_notebook(), "demo/double", "check", _code("import os\nos._exit(3)")),
        # an answer that never returns (its check cell deleted, as students do)
        "slow_answer": _without(demo_notebook(double="import time\n    time.sleep(3600)"),
                                ("demo/double", "check"), (None, "hidden")),
        # an answer measured by the grader (a behaviour) that never returns
        "slow_update": _without(demo_notebook(update="import time\n    time.sleep(3600)"),
                                ("demo/update", "check")),
    }
    paths = []
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
        paths.append(folder / f"{name}.ipynb")
    reports = grade(paths, jobs=2, timeout=8, tests=[demo_tests_dir])
    return {Path(r.submission).stem: r for r in reports}


def test_a_cell_that_never_ends_costs_nothing_else(batch_b):
    report = batch_b["hangs"]
    assert {r.exercise: r.points for r in report.results} == DEMO
    assert any("still running after 8 s" in p for p in report.problems)


def test_a_cell_that_ignores_interrupts_costs_nothing_else(batch_b):
    assert {r.exercise: r.points for r in batch_b["deaf"].results} == DEMO


def test_a_cell_that_kills_the_kernel_costs_nothing_else(batch_b):
    report = batch_b["dies"]
    assert {r.exercise: r.points for r in report.results} == DEMO
    assert any("kernel die" in p for p in report.problems)


def test_an_answer_that_never_returns_costs_its_own_points(batch_b):
    results = {r.exercise: r for r in batch_b["slow_answer"].results}
    assert results["demo/double"].points == 0 and "longer than 8 s" in results["demo/double"].message
    assert results["demo/lr"].points == 2 and results["demo/update"].points == 3


def test_a_measured_answer_that_never_returns_costs_its_own_points(batch_b):
    results = {r.exercise: r for r in batch_b["slow_update"].results}
    assert results["demo/update"].points == 0 and "longer than 8 s" in results["demo/update"].message
    assert results["demo/double"].points == 1 and results["demo/lr"].points == 2


def test_expected_exercises_include_those_of_the_same_page(demo_notebook, demo_tests_dir):
    nb = _missing(demo_notebook)
    assert expected_exercises(nb) == ["demo/double", "demo/lr", "demo/update"]
    assert _select(["demo/*"], ["activations/swish", "demo/double", "demo/lr"]) == ["demo/double", "demo/lr"]
    with pytest.raises(ValueError, match="matches no registered exercise"):
        _select(["nope/*"], ["demo/double"])


@pytest.mark.parametrize(
    "args, words",
    [
        ([], "the following arguments are required"),
        (["missing.ipynb"], "no such file"),
        (["{nb}", "--jobs", "0"], "positive integer"),
        (["{nb}", "--timeout", "-1"], "positive number"),
        (["{nb}", "--tests", "no-such-folder"], "is not a folder"),
        (["{nb}", "--exercises", "nope/*"], "matches no registered exercise"),
    ],
)
def test_misuse_exits_two_with_a_message(tmp_path, capsys, demo_notebook, args, words):
    nb = tmp_path / "nb.ipynb"
    nbformat.write(demo_notebook(), nb)
    argv = ["grade", *[a.format(nb=nb) for a in args], "--out", str(tmp_path / "g.csv")]
    assert main(argv) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


def test_the_command_grades_what_was_released_unless_told_otherwise(tmp_path, capsys, demo_notebook):
    """Without --released or --exercises a student's added check call would count: the command refuses."""
    nb = tmp_path / "nb.ipynb"
    nbformat.write(demo_notebook(), nb)
    assert main(["grade", str(nb), "--out", str(tmp_path / "g.csv")]) == 2
    assert "--released" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


def test_out_must_be_a_file_and_a_folder_must_hold_notebooks(tmp_path, capsys, demo_notebook):
    nb = tmp_path / "nb.ipynb"
    nbformat.write(demo_notebook(), nb)
    assert main(["grade", str(nb), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["grade", str(empty), "--out", str(tmp_path / "g.csv")]) == 2
    assert "holds no .ipynb file" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


def test_a_folder_of_submissions_is_graded_notebook_by_notebook(tmp_path, demo_notebook, demo_tests_dir):
    folder = tmp_path / "submissions"
    (folder / "alice").mkdir(parents=True)
    (folder / ".ipynb_checkpoints").mkdir()
    nbformat.write(demo_notebook(), folder / "alice" / "nb.ipynb")
    (folder / "bob.ipynb").write_text("{not json")
    nbformat.write(demo_notebook(), folder / ".ipynb_checkpoints" / "nb-checkpoint.ipynb")
    out = tmp_path / "g.csv"
    assert main(["grade", str(folder), "--from-submissions", "--out", str(out), "--tests", str(demo_tests_dir),
                 "--quiet"]) == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {Path(r["submission"]).name for r in rows} == {"nb.ipynb", "bob.ipynb"}
    assert all(r["points"] == r["max_points"] for r in rows if r["submission"].endswith("nb.ipynb"))
    assert all(r["points"] == "0" for r in rows if r["submission"].endswith("bob.ipynb"))


def test_cli_lists_exercises(capsys):
    assert main(["exercises", "activations"]) == 0
    out = capsys.readouterr().out
    assert "activations/swish-grad" in out and "my_swish_grad" in out
    assert main([]) == 2
