r"""Colab and local use: the first cell of every notebook, and the version check behind it.

Every notebook of the book opens with the same short cell (:func:`first_cell`)::

    # Colab only: install the nbcourse version this book was written with (nothing happens elsewhere).
    import sys
    if "google.colab" in sys.modules:
        %pip install --quiet "nbcourse @ git+https://github.com/nbcourse/activations-losses-architectures@v0.1.0"
    import nbcourse
    nbcourse.require("0.1.0")

On Colab it installs the package from the repository's tag of the book's version; elsewhere (a
local Jupyter with ``pip install -r requirements.txt``, nbval, the book build) it installs nothing.
:func:`require` then warns when the installed ``nbcourse`` is another version than the notebook's,
with the command that fixes it. The cell carries the tag ``remove-cell`` (:data:`FIRST_CELL_TAGS`):
the book runs it but does not show it, so every page opens with its title.

After a version bump or when the book moves to another repository, update :data:`REPOSITORY` (the
same address as ``repository: url`` in ``_config.yml``) and rewrite every notebook's first cell::

    python -m nbcourse.colab --write book          # --check only reports (tests run it)
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path
from typing import Iterable, Sequence

__all__ = [
    "FIRST_CELL_TAGS",
    "REPOSITORY",
    "NbcourseVersionWarning",
    "check_notebooks",
    "first_cell",
    "install_command",
    "on_colab",
    "require",
    "write_first_cells",
]

#: The course's repository; tags ``v<version>`` hold each released version of book and package.
REPOSITORY = "https://github.com/nbcourse/activations-losses-architectures"

#: Tags of the first cell: Jupyter Book executes it but leaves it out of the page.
FIRST_CELL_TAGS = ("remove-cell",)

# the first line of the first cell: how notebooks recognise (and --write replaces) it
_MARKER = "# Colab only: install the nbcourse version this book was written with"
_VERSION = re.compile(r"^[vV]?(\d+(?:\.\d+)*)((?:[.-]?(?:a|b|rc|dev|post)\d*)*)$")


class NbcourseVersionWarning(UserWarning):
    """The installed nbcourse is not the version a notebook was written for."""


def _installed_version() -> str:
    from nbcourse import __version__

    return __version__


def _normalise(version: str, *, where: str) -> str:
    if not isinstance(version, str):
        raise TypeError(f"{where}: argument 'version' got {type(version).__name__} {version!r}, expected a "
                        "string such as '0.1.0'")
    match = _VERSION.match(version.strip())
    if match is None:
        raise ValueError(f"{where}: argument 'version' got {version!r}, expected a version such as '0.1.0'")
    release = ".".join(str(int(part)) for part in match.group(1).split("."))
    return release + match.group(2).replace("-", ".").lower()


def on_colab() -> bool:
    """True inside Google Colab (its kernel has imported ``google.colab``)."""
    return "google.colab" in sys.modules


def install_command(version: str | None = None) -> str:
    """The pip command that installs nbcourse ``version`` (default: this one) from the repository's tag.

    Examples::

        >>> install_command("0.1.0")
        'pip install --quiet "nbcourse @ git+https://github.com/nbcourse/activations-losses-architectures@v0.1.0"'
    """
    version = _normalise(version or _installed_version(), where="install_command")
    return f'pip install --quiet "nbcourse @ git+{REPOSITORY}@v{version}"'


def require(version: str) -> None:
    """Warn when the installed nbcourse is not ``version``, the version the calling notebook expects.

    The warning (:class:`NbcourseVersionWarning`) names both versions and the command that installs the
    right one; the notebook still runs (most cells will work), but numbers may differ from the book's.

    Args:
        version: the version the notebook was written for, e.g. ``"0.1.0"``.

    Raises:
        TypeError, ValueError: when ``version`` is not a version string.

    Examples::

        >>> import nbcourse
        >>> nbcourse.require(nbcourse.__version__)      # silent: the versions match
    """
    wanted = _normalise(version, where="nbcourse.require")
    installed = _installed_version()
    if _normalise(installed, where="nbcourse.require") == wanted:
        return
    import nbcourse

    where = Path(nbcourse.__file__).parent
    restart = "Runtime > Restart session" if on_colab() else "Kernel > Restart Kernel"
    warnings.warn(
        f"this notebook was written for nbcourse {wanted}, but nbcourse {installed} is installed (from {where}). "
        f"Numbers and figures may differ from the book's. Install the matching version in a cell:\n"
        f"    %{install_command(wanted)}\n"
        f"then restart ({restart}) and run the notebook again.",
        NbcourseVersionWarning,
        stacklevel=2,
    )


def first_cell(version: str | None = None) -> str:
    """The source of the cell every notebook of the book starts with (for ``version``, default this one)."""
    version = _normalise(version or _installed_version(), where="first_cell")
    return (
        f"{_MARKER} (nothing happens elsewhere).\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f"    %{install_command(version)}\n"
        "import nbcourse\n"
        f'nbcourse.require("{version}")'
    )


def _notebooks(paths: Iterable[str | Path]) -> list[Path]:
    out = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                          and "_build" not in p.parts)
        elif path.suffix == ".ipynb":
            out.append(path)
        else:
            raise ValueError(f"nbcourse.colab: {path} is neither a notebook (.ipynb) nor a folder")
    return out


def check_notebooks(paths: Iterable[str | Path], version: str | None = None) -> list[str]:
    """Problems with the first cell of every notebook under ``paths`` (empty when all are right)."""
    import nbformat

    expected = first_cell(version)
    problems = []
    for path in _notebooks(paths):
        nb = nbformat.read(path, as_version=4)
        cells = nb.cells
        if not cells or cells[0].cell_type != "code":
            problems.append(f"{path}: does not start with a code cell; insert nbcourse.colab.first_cell()")
        elif cells[0].source.strip() != expected:
            problems.append(f"{path}: first cell differs from nbcourse.colab.first_cell(); "
                            "run python -m nbcourse.colab --write " + str(path))
        elif not set(FIRST_CELL_TAGS) <= set(cells[0].metadata.get("tags", [])):
            problems.append(f"{path}: the first cell lacks the tags {list(FIRST_CELL_TAGS)}; "
                            "run python -m nbcourse.colab --write " + str(path))
    return problems


def write_first_cells(paths: Iterable[str | Path], version: str | None = None) -> list[Path]:
    """Insert or update the first cell of every notebook under ``paths``; returns the notebooks changed.

    A first cell that starts with the marker line (an older version's cell) is replaced; otherwise the
    cell is inserted before the notebook's first cell; either way it gets :data:`FIRST_CELL_TAGS`.
    Nothing else in the notebook changes.
    """
    import nbformat

    expected = first_cell(version)
    changed = []
    for path in _notebooks(paths):
        nb = nbformat.read(path, as_version=4)
        cells = nb.cells
        if not check_notebooks([path], version):
            continue
        if cells and cells[0].cell_type == "code" and cells[0].source.startswith(_MARKER):
            cells[0].source = expected
            cells[0].outputs = []
            cells[0].execution_count = None
        else:
            cells.insert(0, nbformat.v4.new_code_cell(expected))
        tags = list(cells[0].metadata.get("tags", []))
        cells[0].metadata["tags"] = tags + [t for t in FIRST_CELL_TAGS if t not in tags]
        nbformat.write(nb, path)
        changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nbcourse.colab [--check | --write] PATH...``: check or write every notebook's first cell."""
    parser = argparse.ArgumentParser(prog="python -m nbcourse.colab", description=main.__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report notebooks whose first cell is wrong (default)")
    mode.add_argument("--write", action="store_true", help="insert or update the first cell")
    parser.add_argument("--version", default=None, help="the nbcourse version (default: the installed one)")
    parser.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_first_cells(args.paths, args.version):
            print(f"updated {path}")
        return 0
    problems = check_notebooks(args.paths, args.version)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
