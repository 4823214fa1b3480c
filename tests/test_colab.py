"""nbcourse.colab: every notebook's first cell, the version check, and the one repository address."""

from __future__ import annotations

import importlib.metadata
import json
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


# ------------------------------------------------------------------------------------ the Colab branch
def _installed_by_the_first_cell(version: str) -> tuple[str, str]:
    """(requirement, version) of the ``%pip install`` line in the first cell's Colab branch."""
    line = next(l for l in colab.first_cell(version).splitlines() if "%pip install" in l)
    requirement = re.search(r'"([^"]+)"', line).group(1)
    name, url = (part.strip() for part in requirement.split("@", 1))
    tag = url.rsplit("@", 1)[1]
    assert name == "nbcourse" and url.startswith(f"git+{colab.REPOSITORY}"), requirement
    return requirement, tag


def test_the_colab_install_names_this_version_of_the_package():
    """The first cell installs the tag of the version in pyproject.toml (the one the notebooks require); where
    the repository has tags at all, that tag must be one of them."""
    import subprocess

    tomllib = pytest.importorskip("tomllib")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    _, tag = _installed_by_the_first_cell(nbcourse.__version__)
    assert tag == f"v{version}", f"the first cell installs {tag}, but pyproject.toml's version is {version}"
    first = nbformat.read(ROOT / "book/activations/at-a-glance.ipynb", as_version=4).cells[0].source
    assert f'nbcourse.require("{version}")' in first and f"@{tag}" in first
    try:
        tags = subprocess.run(["git", "tag", "--list"], cwd=ROOT, capture_output=True, text=True,
                              timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError):
        tags = []
    if tags:
        assert tag in tags, f"the first cell installs the tag {tag}, which the repository lacks (tags: {tags})"


#: one quick notebook per chapter, run in the clean environment
COLAB_NOTEBOOKS = ["book/gradient-descent/03-interactive-example.ipynb", "book/activations/at-a-glance.ipynb",
                   "book/losses/rule-of-thumb.ipynb", "book/architectures/boltzmann-machines.ipynb"]
#: Colab brings its own torch (and IPython's kernel); here the course's CPU pin stands in for it
COLAB_PREINSTALLED = ["torch==2.13.0", "ipykernel"]


def _source_copy(target: Path) -> Path:
    """The files a build of the package reads, copied (a build in the source tree would leave build/ there)."""
    import shutil

    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "nbcourse", target / "nbcourse", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _colab_venv(tmp_path: Path) -> Path:
    """A virtual environment with what Colab has and nbcourse's loose dependencies, kept between runs
    under ~/.cache while pyproject.toml's dependencies, the preinstalled packages and Python are the same."""
    import hashlib
    import os
    import subprocess
    import sys

    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    key = json.dumps([project["dependencies"], COLAB_PREINSTALLED, sys.version], sort_keys=True)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nbcourse"
    venv = cache / f"colab-venv-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def pip(*args: str) -> None:
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], env=env,
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"pip install {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"

    source = _source_copy(tmp_path)
    if not (venv / "ready").exists():
        import shutil

        shutil.rmtree(venv, ignore_errors=True)
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        pip(*COLAB_PREINSTALLED)
        pip(str(source))  # the dependencies, from pyproject.toml's ranges
        (venv / "ready").write_text(key, encoding="utf-8")
    # this tree's nbcourse, as the cell's `pip install "nbcourse @ git+..."` would build it (not editable)
    pip("--no-deps", "--force-reinstall", str(source))
    return venv


RUN_NOTEBOOKS = r"""
import sys, pathlib, nbformat, nbclient, nbcourse
assert "site-packages" in nbcourse.__file__, nbcourse.__file__   # the installed package, not the tree
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(pathlib.Path(path).parent)}}).execute()
    print("ran", path)
"""


def test_a_clean_environment_installed_as_the_colab_cell_does_runs_a_notebook_of_each_chapter(tmp_path):
    """``pip install`` of the project itself (pyproject.toml's loose ranges, not requirements.txt) beside a
    preinstalled torch, then one notebook of each chapter, executed from a copy outside the source tree."""
    import os
    import shutil
    import subprocess

    chapters = {Path(nb).parent.name for nb in COLAB_NOTEBOOKS}
    assert chapters == {p.name for p in (ROOT / "book").iterdir() if p.is_dir() and any(p.glob("*.ipynb"))}, \
        "one notebook of each chapter"
    (tmp_path / "src").mkdir()
    venv = _colab_venv(tmp_path / "src")
    copies = []
    for nb in COLAB_NOTEBOOKS:
        target = tmp_path / nb
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / nb, target)
        copies.append(str(target))
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "NBCOURSE_BOOK_BUILD", "MPLBACKEND")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", RUN_NOTEBOOKS, *copies], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-6000:]}"
    assert done.stdout.count("ran ") == len(COLAB_NOTEBOOKS)
