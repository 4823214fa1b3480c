"""The Examples:: of every module of the package run as written (doctest).

The modules are discovered, not listed: a new module's examples are run by being added to the
package. Examples that draw figures use matplotlib's Agg backend; torch runs on one thread, so that
the examples that train a network are not slowed by threads waiting for each other on a busy machine.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil

import pytest

import nbcourse

# importing nbcourse.__main__ runs the command line
MODULES = sorted(m.name for m in pkgutil.walk_packages(nbcourse.__path__, "nbcourse.")
                 if not m.name.endswith("__main__"))


@pytest.fixture(autouse=True)
def _quiet_backend(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_every_module_is_found():
    assert {"nbcourse.activations", "nbcourse.losses", "nbcourse._declare", "nbcourse._arrays"} <= set(MODULES)
    assert len(MODULES) > 30 and not any(name.endswith("__main__") for name in MODULES)


@pytest.mark.parametrize("name", ["nbcourse", *MODULES])
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (run " \
                               f"python -m doctest -v on it, or doctest.testmod, to see which)"


def test_the_maths_modules_have_examples_for_every_declaration():
    from nbcourse import activations, losses

    finder = doctest.DocTestFinder()
    for module, registry in ((activations, activations.ACTIVATIONS), (losses, losses.LOSSES)):
        named = {t.name.split("__test__.")[-1] for t in finder.find(module) if t.examples}
        for name in registry:
            assert name in named, f"{module.__name__}.{name} has no example that runs"
            assert registry[name].module.__name__ in {n.split(".")[-1] for n in named} | {
                t.name.split(".")[-1] for t in finder.find(module) if t.examples}, f"{name}'s module has no example"
        if module is losses:
            assert all(f"{name}.grad" in named for name in registry)
    assert os.environ.get("MPLBACKEND") == "Agg"
