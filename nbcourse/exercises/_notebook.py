"""Exercises inside notebooks: finding their cells, writing them, releasing student versions.

Cells are recognised by their ``nbcourse`` metadata (``{"exercise": NAME, "role":
"statement" | "solution" | "check" | "hidden"}``) and, when that metadata was lost or
edited, by their text: the solution markers and the ``check("NAME", ...)`` call.  Nothing
here depends on the order of cells.
"""

from __future__ import annotations

import ast
import copy
import re
import textwrap
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN",
    "END",
    "ROLES",
    "cell_role",
    "exercise_cells",
    "exercise_names",
    "release_notebook",
    "release",
    "strip_solutions",
    "definition_source",
]

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+[ \t]*BEGIN SOLUTION\b.*$")
END = re.compile(r"^[ \t]*#+[ \t]*END SOLUTION\b.*$")
MD_BEGIN = re.compile(r"^[ \t]*<!--[ \t]*BEGIN SOLUTION[ \t]*-->[ \t]*$")
MD_END = re.compile(r"^[ \t]*<!--[ \t]*END SOLUTION[ \t]*-->[ \t]*$")
CHECK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_.-]*$")
ROLES = ("statement", "solution", "check", "hidden")
# what the book uses to fold a solution; taken off in the student version
FOLD_TAGS = ("hide-input", "hide-cell")


class ReleaseError(ValueError):
    """A notebook whose exercise markers are malformed (named file, cell and line)."""


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbcourse", {})
    return meta if isinstance(meta, dict) else {}


def cell_role(cell) -> tuple:
    """``(exercise name or None, role or None)`` of a cell, from metadata or, failing that, its text."""
    meta = _meta(cell)
    name = meta.get("exercise") if isinstance(meta.get("exercise"), str) else None
    role = meta.get("role") if meta.get("role") in ROLES else None
    source = cell.get("source", "")
    if role is None:
        if cell.get("cell_type") == "code" and any(BEGIN.match(line) for line in source.splitlines()):
            role = "solution"
        elif cell.get("cell_type") == "code" and check_calls(source):
            role = "check"
    if name is None and cell.get("cell_type") == "code":
        found = check_calls(source)
        if found:
            name = found[0]
    return name, role


def check_calls(source: str) -> list:
    """The exercise names of the ``check("chapter/name", ...)`` calls in a cell's code.

    Only calls count: a name in a comment or a string does not.  A cell that does not parse
    (it could not run a check either) has none.
    """
    tree = _parse_cell(source)
    if tree is None:
        return []
    names = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        first = node.args[0]
        if called == "check" and isinstance(first, ast.Constant) and isinstance(first.value, str):
            if CHECK_NAME.match(first.value):
                names.append(first.value)
    return names


def exercise_names(nb) -> list:
    """Exercise names a notebook mentions (cell metadata, check calls, notebook metadata), in order."""
    found = []
    listed = nb.get("metadata", {}).get("nbcourse", {})
    if isinstance(listed, dict) and isinstance(listed.get("exercises"), list):
        found += [n for n in listed["exercises"] if isinstance(n, str)]
    for cell in nb.get("cells", []):
        name, _ = cell_role(cell)
        if name:
            found.append(name)
        if cell.get("cell_type") == "code":
            found += check_calls(cell.get("source", ""))
    return list(dict.fromkeys(found))


def exercise_cells(name: str, *, statement: str, solution: str, answer: str, check: str | None = None,
                   heading: str | None = None) -> list:
    """The three cells of an exercise, with the metadata and tags the tools expect.

    Args:
        name: ``"chapter/exercise"``.
        statement: the markdown text of the exercise (what to write, the formula).
        solution: the code cell: the ``def`` line, docstring, and the solution between
            ``# BEGIN SOLUTION`` and ``# END SOLUTION``.
        answer: the name the solution defines (what the check cell passes).
        check: the check cell's source (default ``nbcourse.check(name, answer)``).
        heading: optional markdown heading put above the statement (``"### Exercise 1"``).

    Returns:
        a list of three ``nbformat`` cells: statement, solution (folded in the book behind
        a *Show solution* button), check.
    """
    if not any(BEGIN.match(line) for line in solution.splitlines()):
        raise ValueError(f"exercise_cells({name!r}): the solution has no '# BEGIN SOLUTION' / '# END SOLUTION' markers")
    text = f"{heading}\n\n{statement}" if heading else statement
    cells = [
        nbformat.v4.new_markdown_cell(text, metadata={"nbcourse": {"exercise": name, "role": "statement"}}),
        nbformat.v4.new_code_cell(
            solution,
            metadata={
                "nbcourse": {"exercise": name, "role": "solution"},
                "tags": ["hide-input"],
                "mystnb": {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"},
            },
        ),
        nbformat.v4.new_code_cell(
            check or f'nbcourse.check("{name}", {answer})',
            metadata={"nbcourse": {"exercise": name, "role": "check"}},
        ),
    ]
    return cells


def _stub_lines(indent: str, name: str | None, bound: list = ()) -> list:
    label = f"{name}: " if name else ""
    # a top-level stub rebinds the names its solution defines, so a value left by an earlier
    # cell (a loop variable called ``lr``, say) cannot pass for the student's answer
    return [
        f"{indent}# YOUR CODE HERE",
        *[f"{indent}{n} = ...  # your answer" for n in bound],
        f'{indent}raise NotImplementedError("{label}replace this line with your answer")',
    ]


def _bound_names(lines: list) -> list:
    """Names a top-level solution region defines (assignments, ``def``, ``class``), in order."""
    tree = _parse_cell(textwrap.dedent("\n".join(lines)))
    if tree is None:
        return []
    names = []

    def targets(node):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                targets(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets(node.target)
    return list(dict.fromkeys(names))


def strip_solutions(source: str, name: str | None, *, where: str = "") -> str:
    """``source`` with each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region replaced by a stub.

    The stub keeps the region's indentation, so a solution inside a function leaves the
    ``def`` line and docstring above it for the student.  A region at the top level of the
    cell also sets the names it defines to ``...`` before raising, so no value left over
    from another cell can stand in for the answer.
    """
    out, inside, indent, region = [], False, "", []
    lines = source.splitlines()
    for number, line in enumerate(lines, start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if inside:
                raise ReleaseError(f"{where}line {number}: '# BEGIN SOLUTION' inside another solution region")
            inside, indent, region = True, begin.group("indent"), []
        elif end:
            if not inside:
                raise ReleaseError(f"{where}line {number}: '# END SOLUTION' without a '# BEGIN SOLUTION' above it")
            inside = False
            out += _stub_lines(indent, name, _bound_names(region) if not indent else [])
        elif inside:
            region.append(line)
        else:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}'# BEGIN SOLUTION' is never closed by '# END SOLUTION'")
    return "\n".join(out)


def _strip_markdown_solutions(source: str, *, where: str = "") -> str:
    out, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        if MD_BEGIN.match(line):
            if inside:
                raise ReleaseError(f"{where}line {number}: nested <!-- BEGIN SOLUTION -->")
            inside = True
            out.append("*Your answer here.*")
        elif MD_END.match(line):
            if not inside:
                raise ReleaseError(f"{where}line {number}: <!-- END SOLUTION --> without a BEGIN above it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}<!-- BEGIN SOLUTION --> is never closed")
    return "\n".join(out)


def release_notebook(nb, *, source_name: str = "notebook"):
    """The student version of an instructor notebook (a new notebook; ``nb`` is not changed).

    Solutions become stubs raising ``NotImplementedError`` with the exercise's name, hidden
    cells are removed, the book's folding tags are taken off solution cells, outputs and
    execution counts are cleared; every other cell is kept as it is.  The notebook's
    metadata lists its exercises (``metadata.nbcourse.exercises``) for the grader.

    Raises:
        ReleaseError: when markers are unbalanced or nested (naming the cell and line),
            or a cell marked as a solution has no markers.
    """
    nb = copy.deepcopy(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        name, role = cell_role(cell)
        where = f"{source_name}, cell {index}: "
        if role == "hidden":
            continue
        if cell.cell_type == "code":
            has_markers = any(BEGIN.match(line) for line in cell.source.splitlines())
            if role == "solution" and not has_markers:
                raise ReleaseError(f"{where}a solution cell must hold its solution between "
                                   "'# BEGIN SOLUTION' and '# END SOLUTION'")
            if has_markers:
                cell.source = strip_solutions(cell.source, name, where=where)
                tags = [t for t in cell.metadata.get("tags", []) if t not in FOLD_TAGS]
                if tags:
                    cell.metadata["tags"] = tags
                else:
                    cell.metadata.pop("tags", None)
                mystnb = {k: v for k, v in cell.metadata.get("mystnb", {}).items() if not k.startswith("code_prompt")}
                if mystnb:
                    cell.metadata["mystnb"] = mystnb
                else:
                    cell.metadata.pop("mystnb", None)
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        elif cell.cell_type == "markdown" and any(MD_BEGIN.match(line) for line in cell.source.splitlines()):
            cell.source = _strip_markdown_solutions(cell.source, where=where)
        cells.append(cell)
    nb.cells = cells
    names = exercise_names(nb)
    if names:
        meta = nb.metadata.get("nbcourse", {})
        nb.metadata["nbcourse"] = {**(meta if isinstance(meta, dict) else {}), "exercises": names}
    return nb


def release(sources, out_dir) -> list:
    """Write the student version of each notebook in ``sources`` (files or folders) under ``out_dir``.

    A folder is released recursively (``_build`` and checkpoint folders skipped), keeping
    its layout; a file lands directly in ``out_dir``.  Returns the paths written.
    """
    out_dir = Path(out_dir)
    jobs = []
    for source in map(Path, sources):
        if source.is_dir():
            for path in sorted(source.rglob("*.ipynb")):
                parts = path.relative_to(source).parts
                if any(p.startswith((".", "_build")) for p in parts):
                    continue
                jobs.append((path, out_dir / path.relative_to(source)))
        elif source.is_file():
            jobs.append((source, out_dir / source.name))
        else:
            raise FileNotFoundError(f"release: {str(source)!r} is neither a notebook nor a folder")
    written = []
    for path, target in jobs:
        nb = nbformat.read(path, as_version=4)
        student = release_notebook(nb, source_name=str(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, target)
        written.append(target)
    return written


def _parse_cell(source: str):
    """Parse a cell's code, ignoring IPython magics and shell lines."""
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def definition_source(nb, name: str) -> str | None:
    """The source of the last top-level definition of ``name`` in the notebook's code cells,
    followed by the definitions of the notebook functions it calls (for ``forbidden`` checks).
    """
    definitions = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tree = _parse_cell(cell.get("source", ""))
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                definitions[node.name] = ast.unparse(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        definitions[target.id] = ast.unparse(node)
    if name not in definitions:
        return None
    pieces, seen, todo = [], set(), [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in definitions:
            continue
        seen.add(current)
        pieces.append(definitions[current])
        tree = ast.parse(definitions[current])
        todo += [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return "\n\n".join(pieces)
