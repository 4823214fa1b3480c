"""Shared fixtures of the exercise tests: a private exercise file and small synthetic notebooks.

The synthetic chapter ``demo`` is registered from a file written here, exactly as an
instructor's private tests would be (``nbcourse grade --tests DIR``), so these tests also
prove that path.  Its three exercises cover the three kinds: a function compared with a
reference, a behaviour whose answer is data, and a behaviour whose answer is code that
runs inside the submission's kernel.
"""

from __future__ import annotations

import textwrap

import nbformat
import pytest

from nbcourse.exercises import exercise_cells

DEMO_TESTS = textwrap.dedent('''
    import numpy as np
    from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

    register(FunctionExercise(
        name="demo/double", answer="double", title="Double it", points=1,
        cases=lambda: [Case(args=(np.arange(5.0),), label="a vector"), Case(args=(0.0,), label="zero"),
                       Case(args=(np.float32([1e3, -1e3]),), label="the extremes in float32")],
        reference=lambda x: 2 * np.asarray(x), hint="Multiply by two.", notebook="demo/page"))


    def _quadratic(lr, *, seed):
        w = 5.0
        for _ in range(20):
            w = w - lr * 2 * w
        return {"loss": w * w}


    register(BehaviourExercise(
        name="demo/lr", answer="lr", title="A learning rate", points=2,
        measure=_quadratic, judge=lambda m: (m["loss"] < 1e-3, f"final loss {m['loss']:.3g}"),
        answer_is_data=True, notebook="demo/page"))


    def _descent(update, *, seed):
        from nbcourse.activations import linear   # nbcourse used inside the kernel
        rng = np.random.default_rng(seed)
        w = rng.normal(size=3)
        for _ in range(50):
            w = update(w, 2 * w)
        return {"loss": float(np.sum(np.asarray(linear(w)) ** 2))}


    register(BehaviourExercise(
        name="demo/update", answer="update", title="An update rule", points=3,
        measure=_descent, judge=lambda m: (m["loss"] < 1e-6, f"final loss {m['loss']:.3g}"),
        notebook="demo/page"))
''')

DEMO_MAX_POINTS = {"demo/double": 1.0, "demo/lr": 2.0, "demo/update": 3.0}


@pytest.fixture(scope="session")
def demo_tests_dir(tmp_path_factory):
    """A folder holding the private exercise file of the ``demo`` chapter (registered on import)."""
    directory = tmp_path_factory.mktemp("private-tests")
    (directory / "demo_tests.py").write_text(DEMO_TESTS)
    from nbcourse.exercises import load_tests

    load_tests(directory)
    return directory


def _demo_notebook(tests_dir, *, double="return 2 * x", lr="lr = 0.4", update="return w - 0.25 * g"):
    """The instructor version of the demo page: three exercises, a hidden cell, a setup cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A demo page\n\nSome teaching first."),
        nbformat.v4.new_code_cell(
            "import numpy as np\nimport nbcourse\n"
            f"_ = nbcourse.exercises.load_tests({str(tests_dir)!r})  # the demo chapter is private"
        ),
    ]
    nb.cells += exercise_cells(
        "demo/double", statement="Write `double(x)`.", answer="double",
        solution=f'def double(x):\n    """Twice x."""\n    # BEGIN SOLUTION\n    {double}\n    # END SOLUTION',
    )
    nb.cells += exercise_cells("demo/lr", statement="Choose `lr`.", answer="lr",
                               solution=f"# BEGIN SOLUTION\n{lr}\n# END SOLUTION")
    nb.cells += exercise_cells(
        "demo/update", statement="Write `update(w, g)`.", answer="update",
        solution=f"def update(w, g):\n    # BEGIN SOLUTION\n    {update}\n    # END SOLUTION",
    )
    nb.cells.append(nbformat.v4.new_code_cell("assert double(2) == 4  # an instructor's extra test",
                                              metadata={"nbcourse": {"role": "hidden"}}))
    nb.cells.append(nbformat.v4.new_markdown_cell("The end."))
    return nb


@pytest.fixture(scope="session")
def demo_notebook(demo_tests_dir):
    """``demo_notebook(**answers)``: the demo page, optionally with other answers in its solution cells."""
    return lambda **answers: _demo_notebook(demo_tests_dir, **answers)
