"""Every exercise's answer name is bound only by its own solution cell.

The grader runs the whole submission, then looks each answer up by name: a later cell that reuses
the name (``for lr in ...``) would silently replace the student's answer with its own value.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from nbcourse import exercises

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


class _TopLevelBindings(ast.NodeVisitor):
    """Collects the names a cell binds in the notebook's namespace (not those local to a function)."""

    def __init__(self):
        self.names: set[str] = set()

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store):
            self.names.add(node.id)

    def visit_FunctionDef(self, node):  # the name is bound; the body is local
        self.names.add(node.name)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Import(self, node):
        self.names.update((a.asname or a.name).split(".")[0] for a in node.names)

    visit_ImportFrom = visit_Import

    def visit_Lambda(self, node):  # local too, like comprehension variables
        pass

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_Lambda


def _bound_names(source: str) -> set[str]:
    """Names a cell binds at its top level: assignments, loops, definitions, imports."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    visitor = _TopLevelBindings()
    visitor.visit(tree)
    return visitor.names


def test_bound_names_sees_loops_and_assignments_but_not_locals():
    source = "for label, lr in rates.items():\n    pass\nx = 1\ndef f(a):\n    y = a\n[z for z in x]\nimport numpy as np"
    assert _bound_names(source) == {"label", "lr", "x", "f", "np"}


def _exercise_notebooks():
    out = []
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(c.get("metadata", {}).get("nbcourse", {}).get("role") == "solution" for c in cells):
            out.append(path)
    return out


def test_the_book_has_exercises():
    assert len(_exercise_notebooks()) >= 2


@pytest.mark.parametrize("path", _exercise_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_answer_names_are_bound_only_by_their_solution(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    solutions = {}
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbcourse", {})
        if meta.get("role") == "solution":
            solutions[meta["exercise"]] = i
    clashes = []
    for name, own in solutions.items():
        answer = exercises.get(name).answer
        for i, cell in enumerate(cells):
            if i != own and cell["cell_type"] == "code" and answer in _bound_names("".join(cell["source"])):
                clashes.append(f"cell {i} binds {answer!r}, the answer of {name} (its solution is cell {own})")
    assert clashes == [], "\n".join(clashes)
