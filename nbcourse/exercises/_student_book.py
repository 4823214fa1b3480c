"""The student edition of the online book: every page as ``nbcourse release`` gives it to students.

``nbcourse book --student`` (or :func:`build_student_book`) builds the book into
``_build/student/html`` without any solution, so an instructor can publish the course
while grading it.  The default ``nbcourse book`` (``jupyter-book build``) stays the full
edition.  How the student edition is made:

1. the book's sources (``_config.yml``, ``_toc.yml``, ``book/`` and every other file the
   build reads) are copied into ``_build/student/source``;
2. each notebook with exercises is **executed as the instructor wrote it** (so figures and
   numbers on the page are there), then released: solution regions become the stubs, hidden
   cells are removed, and the outputs of the solution and check cells, and of every cell
   that uses an answer's name, are removed, so no output shows a solution or a pass the
   reader has not earned;
3. the copy is built with ``jupyter-book build -W -n --keep-going``, notebook execution
   off (the released notebooks would stop at their first stub).  The pages' download
   button therefore gives the student notebook.
"""

from __future__ import annotations

import ast
import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["student_notebook", "build_student_book"]

_SKIP = {"_build", ".git", ".github", "tests", "nbcourse", ".venv", "venv", ".pytest_cache",
         ".ipynb_checkpoints", "__pycache__"}


def _uses(source: str, names: set) -> bool:
    from nbcourse.exercises._notebook import _parse_cell

    tree = _parse_cell(source)
    if tree is None:
        return False
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))


def student_notebook(executed, *, source_name: str = "notebook"):
    """The released version of an executed instructor notebook, keeping the outputs that reveal nothing.

    Outputs are removed from solution and check cells and from every cell that uses a name
    a solution defines (``my_swish``, ``ravine_lr``); the other cells keep theirs.
    """
    from nbcourse.exercises._notebook import BEGIN, END, _bound_names, cell_role, release_notebook

    executed = copy.deepcopy(executed)
    answers = set()
    for cell in executed.cells:
        if cell.cell_type == "code" and cell_role(cell)[1] == "solution":
            lines = cell.source.splitlines()
            answers.update(_bound_names(lines))
            inside, region = False, []
            for line in lines:
                if BEGIN.match(line):
                    inside = True
                elif END.match(line):
                    inside = False
                elif inside:
                    region.append(line)
            answers.update(_bound_names(region))
    kept = []  # release_notebook removes the hidden cells and keeps the others in order
    for cell in executed.cells:
        role = cell_role(cell)[1]
        if role == "hidden":
            continue
        reveals = role in ("solution", "check") or _uses(cell.source, answers)
        kept.append([] if cell.cell_type != "code" or reveals else copy.deepcopy(cell.get("outputs", [])))
    student = release_notebook(executed, source_name=source_name)
    for cell, outputs in zip(student.cells, kept):
        if cell.cell_type == "code":
            cell.outputs = outputs
    return student


def _copy_sources(root: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for entry in root.iterdir():
        if entry.name in _SKIP or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name,
                            ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(entry, target / entry.name)


def _execute(nb, folder: Path, timeout: int):
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up warnings are not the book's
    return nb


def build_student_book(root: str | Path = ".", *, out: str | Path | None = None, timeout: int = 180,
                       build: bool = True, progress=print) -> Path:
    """Build the student edition of the book at ``root``; return the folder of its HTML.

    Args:
        root: the folder holding ``_config.yml`` and ``_toc.yml``.
        out: where to put the edition (default ``ROOT/_build/student``): the released
            sources go to ``OUT/source``, the HTML to ``OUT/source/_build/html``.
        timeout: seconds each cell of an instructor notebook may run.
        build: False prepares the released sources only (no ``jupyter-book build``).
        progress: called with a line of text per step.

    Raises:
        FileNotFoundError: ``root`` has no ``_config.yml``.
        RuntimeError: a notebook or the build failed (with its message).
    """
    import nbformat

    from nbcourse.exercises._notebook import exercise_names

    root = Path(root).resolve()
    if not (root / "_config.yml").is_file():
        raise FileNotFoundError(f"book --student: {str(root)!r} has no _config.yml (run it from the course's root)")
    out = Path(out).resolve() if out else root / "_build" / "student"
    source = out / "source"
    _copy_sources(root, source)
    for path in sorted(source.rglob("*.ipynb")):
        if any(part.startswith(("_build", ".")) for part in path.relative_to(source).parts):
            continue
        nb = nbformat.read(path, as_version=4)
        if not exercise_names(nb):
            continue
        progress(f"releasing {path.relative_to(source)}")
        try:
            executed = _execute(nb, path.parent, timeout)
        except Exception as error:
            raise RuntimeError(f"book --student: {path.relative_to(source)} failed when run as written: "
                               f"{type(error).__name__}: {str(error)[:500]}") from None
        nbformat.write(student_notebook(executed, source_name=str(path.relative_to(source))), path)
    config = (source / "_config.yml").read_text(encoding="utf-8")
    config += "\n# the student edition (nbcourse book --student): notebooks ran before their release\n"
    config += "execute:\n  execute_notebooks: \"off\"\n"
    config = _drop_key(config, "execute")
    (source / "_config.yml").write_text(config, encoding="utf-8")
    if not build:
        return source
    progress(f"building {source}")
    command = ["jupyter-book", "build", "-W", "-n", "--keep-going", str(source)]
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
    if done.returncode != 0:
        raise RuntimeError(f"book --student: jupyter-book build failed:\n{(done.stdout + done.stderr)[-4000:]}")
    return source / "_build" / "html"


def _drop_key(config: str, key: str) -> str:
    """``config`` with the first top-level block ``key:`` removed (the last one, appended, stays)."""
    lines = config.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"{key}:")]
    if len(starts) < 2:
        return config
    start = starts[0]
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    return "\n".join(lines[:start] + lines[end:]) + "\n"


if __name__ == "__main__":
    print(build_student_book(sys.argv[1] if len(sys.argv) > 1 else "."))
