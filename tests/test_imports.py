"""The shape of nbcourse's imports: no cycle, algorithms free of plotting, notebooks import public names.

* No module of :mod:`nbcourse` reaches itself through its imports, counting the imports inside
  functions (a lazy import is still a dependency) but not those under ``if TYPE_CHECKING:``.
* The algorithm modules, :mod:`nbcourse.exercises` and the exercises' references import neither
  matplotlib's pyplot, ipywidgets, IPython's display machinery, :mod:`nbcourse.widgets` nor
  :mod:`nbcourse.figures` (checked in a fresh interpreter, through ``sys.modules``).
* Every name a notebook of the book imports from ``nbcourse.X`` is in ``nbcourse.X.__all__``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nbcourse"

# what a grader's process, or a module that only computes, must not load
FORBIDDEN = ("matplotlib.pyplot", "ipywidgets", "IPython.display", "nbcourse.widgets", "nbcourse.figures")
# the modules that draw or display, or run the book build and the command line; everything else computes
DRAWING = ("nbcourse.widgets", "nbcourse.figures", "nbcourse.sphinxext", "nbcourse.cli", "nbcourse.__main__")


# ------------------------------------------------------------------------------------ the graph
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "assets" not in p.parts}


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, at any depth, except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _imports(node)


def import_graph() -> dict[str, set[str]]:
    """module -> the nbcourse modules it imports (``from pkg import sub`` counts as importing ``pkg.sub``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:       # `import nbcourse.a.b` names a.b's module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones():
    graph = import_graph()
    assert "nbcourse.widgets._html" in graph["nbcourse.widgets._core"], "an import inside a method counts"
    assert "nbcourse.widgets._core" not in graph["nbcourse.widgets._html"], "TYPE_CHECKING imports do not"
    assert "nbcourse.descent" in graph["nbcourse.figures.descent"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_nbcourse():
    found = cycles(import_graph())
    assert not found, ("modules of nbcourse import each other in a circle (imports inside functions count): "
                       + "; ".join(" <-> ".join(c) for c in found)
                       + ". Move what both need into a module of its own that imports neither.")


def test_no_algorithm_module_imports_a_figure_or_the_widget_layer():
    graph = import_graph()
    wrong = {name: sorted(t for t in targets if t.startswith(("nbcourse.figures", "nbcourse.widgets")))
             for name, targets in graph.items() if not name.startswith(DRAWING)}
    wrong = {k: v for k, v in wrong.items() if v}
    assert not wrong, f"algorithm modules import figures or widgets (the arrow goes the other way): {wrong}"


# --------------------------------------------------------------------------- what gets loaded
def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (the repository first on the path); it prints one JSON line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def algorithm_modules() -> list[str]:
    return [name for name in _modules()
            if not name.startswith(DRAWING) and name != "nbcourse"
            and not name.startswith("nbcourse.exercises")]


_WATCH = f"""
import importlib, json, sys
FORBIDDEN = {FORBIDDEN!r}
def loaded():
    return sorted(m for m in FORBIDDEN if m in sys.modules)
"""


def test_importing_the_algorithm_modules_loads_no_plotting_and_no_widgets():
    names = algorithm_modules()
    assert "nbcourse.descent" in names and "nbcourse.landscape" in names and "nbcourse.figures.descent" not in names
    code = _WATCH + f"""
culprits = {{}}
for name in {names!r}:
    before = set(loaded())
    importlib.import_module(name)
    new = sorted(set(loaded()) - before)
    if new:
        culprits[name] = new
print(json.dumps(culprits))
"""
    culprits = _fresh(code)
    assert not culprits, f"importing these modules loaded {culprits} (import them inside the function that draws)"


def test_exercises_and_their_references_load_no_plotting_and_no_widgets():
    code = _WATCH + """
out = {}
import nbcourse
import nbcourse.exercises as exercises
out["import nbcourse.exercises"] = loaded()
computed = 0
for name in exercises.names():
    exercise = exercises.get(name)
    if hasattr(exercise, "expected"):          # a FunctionExercise: run the reference on every case
        exercise.expected()
        computed += 1
out["the references"] = loaded()
out["computed"] = computed
print(json.dumps(out))
"""
    out = _fresh(code)
    assert out.pop("computed") >= 5, "the references of the function exercises were computed"
    assert out == {"import nbcourse.exercises": [], "the references": []}, out


def test_grading_a_submission_loads_no_plotting_and_no_widgets_in_the_grader(tmp_path):
    """``nbcourse grade`` end to end: the grader's own process never imports the widget layer or figures."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import nbcourse"),
        nbformat.v4.new_code_cell("def sigmoid_grad_from_value(s):\n    return s * (1 - s)"),
        nbformat.v4.new_code_cell('nbcourse.check("activations/sigmoid-grad", sigmoid_grad_from_value)'),
    ])
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, path)
    code = _WATCH + f"""
from nbcourse.cli import main
status = main(["grade", {str(path)!r}, "--exercises", "activations/sigmoid-grad",
               "--out", {str(tmp_path / "grades.csv")!r}, "--quiet"])
print(json.dumps({{"status": status, "loaded": loaded()}}))
"""
    out = _fresh(code)
    assert out["status"] == 0
    assert (tmp_path / "grades.csv").read_text().count("sigmoid-grad") == 1
    assert out["loaded"] == [], f"grading loaded {out['loaded']} in the grader's process"


def test_a_figure_module_does_register_its_explorers_with_the_widget_layer():
    code = _WATCH + """
from nbcourse import widgets
import nbcourse.figures.landscape
print(json.dumps(sorted(widgets.registered())))
"""
    names = _fresh(code)
    assert "nbcourse.figures.landscape.descent_explorer" in names
    assert "nbcourse.figures.activations.activation_explorer" in names
    assert not [n for n in names if not n.startswith("nbcourse.figures.")], "only figure modules declare explorers"


# ------------------------------------------------------------------ what the notebooks import
def _notebook_imports():
    for path in sorted((ROOT / "book").rglob("*.ipynb")):
        if "_build" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nbcourse."):
                    for alias in node.names:
                        yield path.relative_to(ROOT).as_posix(), node.module, alias.name


def test_every_name_a_notebook_imports_is_public():
    imports = list(_notebook_imports())
    assert imports, "the notebooks import from nbcourse"
    missing = []
    for notebook, module, name in imports:
        mod = importlib.import_module(module)
        if importlib.util.find_spec(f"{module}.{name}") if hasattr(mod, "__path__") else False:
            continue                                              # a submodule
        if name not in getattr(mod, "__all__", ()):
            missing.append(f"{notebook}: from {module} import {name}")
    assert not missing, "names the notebooks use but their module's __all__ lacks:\n" + "\n".join(missing)


def test_no_notebook_imports_an_exercise_module():
    """The grader's sealed kernel has a stand-in for ``nbcourse.exercises`` (the references must not be
    readable there), so a page that imports from an exercise module dies in the released notebook:
    what a page and its exercise share lives in the package (``nbcourse.data``, a model's module)."""
    bad = [f"{notebook}: from {module} import {name}" for notebook, module, name in _notebook_imports()
           if module.startswith("nbcourse.exercises.")]
    assert not bad, "notebooks that import from an exercise module:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", ["nbcourse.landscape", "nbcourse.descent", "nbcourse.minibatch",
                                    "nbcourse.per_sample", "nbcourse.sampling", "nbcourse.babysitting",
                                    "nbcourse.figures.landscape", "nbcourse.figures.descent",
                                    "nbcourse.figures.babysitting", "nbcourse.figures.activations",
                                    "nbcourse.widgets"])
def test_all_lists_only_what_exists(module):
    mod = importlib.import_module(module)
    assert [n for n in mod.__all__ if not hasattr(mod, n)] == []
