"""nbcourse.check, results, the registry and registration (nbcourse/exercises/_core.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import nbcourse
from nbcourse import exercises
from nbcourse.exercises import (
    BehaviourExercise,
    Case,
    CheckFailed,
    CheckResult,
    FunctionExercise,
    NotAnswered,
    autograd_derivative,
    check,
)
from nbcourse.exercises._registry import Registry
from nbcourse.exercises._source import forbidden_uses


def test_check_is_exposed_as_nbcourse_check():
    assert nbcourse.check is exercises.check


def test_a_right_answer_passes_and_is_truthy(demo_tests_dir):
    result = check("demo/double", lambda x: x * 2)
    assert isinstance(result, CheckResult) and result and result.passed
    assert (result.points, result.max_points) == (1.0, 1.0)
    assert "3 test inputs" in result.message
    assert "✓" in result.text() and "passed" in result._repr_html_()


def test_a_wrong_answer_says_where_and_what(demo_tests_dir):
    with pytest.raises(CheckFailed) as info:
        check("demo/double", lambda x: x + 2)
    assert isinstance(info.value, AssertionError)
    result = info.value.result
    assert not result and result.points == 0 and result.max_points == 1
    # the first input, its first differing element, the expected and received values, a hint
    assert "a vector" in result.message and "x[0] = 0" in result.message
    assert "expected 0" in result.message and "received 2" in result.message
    assert result.hint == "Multiply by two."
    # IPython shows the verdict only, no traceback
    lines = info.value._render_traceback_()
    assert "demo/double" in lines[0] and not any("Traceback" in line for line in lines)


def test_raise_on_failure_false_returns_a_falsy_result(demo_tests_dir):
    result = check("demo/double", lambda x: x, raise_on_failure=False)
    assert isinstance(result, CheckResult) and not result and result.status == "failed"


def test_the_stub_is_not_answered_not_a_traceback(demo_tests_dir):
    def double(x):
        raise NotImplementedError("demo/double: replace this line with your answer")

    with pytest.raises(NotAnswered) as info:
        check("demo/double", double)
    assert isinstance(info.value, NotImplementedError)
    assert info.value.result.status == "not-answered"
    assert "not answered yet" in info.value._render_traceback_()[0]


@pytest.mark.parametrize(
    "answer, words",
    [
        (3, "should be a function, but it is an int"),
        ([2], "should be a function, but it is a list"),
        (lambda x: None, "Did you forget `return`?"),
        (lambda x: "two", "a number or an array of numbers was expected"),
        (lambda x: np.sum(2 * np.asarray(x)), "returned shape ()"),
        (lambda x: 1 / 0, "raised ZeroDivisionError"),
        (lambda x: np.exp(np.asarray(x, dtype=np.float32) * 100) * 0 + 2 * np.asarray(x), "received nan"),
    ],
)
def test_each_kind_of_mistake_gets_words_a_student_can_act_on(demo_tests_dir, answer, words):
    result = check("demo/double", answer, raise_on_failure=False)
    assert not result
    assert words in result.message + " " + result.hint


def test_overflow_gets_an_overflow_hint(demo_tests_dir):
    result = check("demo/double", lambda x: np.exp(np.float32(x) * 10) * 0 + 2 * np.asarray(x), raise_on_failure=False)
    assert "overflow" in result.hint


def test_check_never_reads_notebook_globals(demo_tests_dir):
    # the name the exercise expects is defined here wrongly; the object passed is right
    double = lambda x: x  # noqa: E731, F841
    assert check("demo/double", lambda x: 2 * x)


def test_unknown_names_get_a_suggestion():
    with pytest.raises(ValueError, match="Did you mean 'activations/swish'"):
        check("activations/swishh", lambda z: z)
    with pytest.raises(ValueError, match="no exercise named 'nochapter/x'"):
        check("nochapter/x", lambda z: z)
    with pytest.raises(TypeError, match="must be a string"):
        check(3, lambda z: z)


def test_registration_validates_its_arguments():
    with pytest.raises(ValueError, match="chapter/exercise"):
        FunctionExercise(name="NoSlash", answer="f", cases=lambda: [], reference=abs)
    with pytest.raises(ValueError, match="answer must be the Python name"):
        FunctionExercise(name="a/b", answer="not a name", cases=lambda: [], reference=abs)
    with pytest.raises(ValueError, match="points"):
        FunctionExercise(name="a/b", answer="f", points=0, cases=lambda: [], reference=abs)
    with pytest.raises(TypeError, match="cases must be a function"):
        FunctionExercise(name="a/b", answer="f", cases=[Case(args=(1.0,))], reference=abs)
    with pytest.raises(TypeError, match="args must be a tuple"):
        Case(args=1.0)
    with pytest.raises(TypeError, match="measure and judge"):
        BehaviourExercise(name="a/b", answer="f", measure=None, judge=None)


def test_registry_refuses_duplicates_unless_replacing():
    registry = Registry()
    first = FunctionExercise(name="x/f", answer="f", cases=lambda: [Case(args=(1.0,))], reference=abs)
    second = FunctionExercise(name="x/f", answer="g", cases=lambda: [Case(args=(1.0,))], reference=abs)
    registry.register(first)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(second)
    registry.register(second, replace=True)
    assert registry.get("x/f") is second
    # a chapter module imported after the override does not undo it
    assert registry.register(first) is second and registry.get("x/f") is second


def test_chapters_are_found_by_name():
    # check("activations/...") imports nbcourse/exercises/activations.py on demand
    assert "activations" in exercises._registry.REGISTRY.chapters()
    assert "activations/swish" in exercises.names("activations")
    assert exercises.get("activations/swish").answer == "my_swish"


def test_load_tests_registers_private_exercises_once(demo_tests_dir):
    assert exercises.load_tests(demo_tests_dir) == []  # already loaded by the fixture: harmless
    assert {"demo/double", "demo/lr", "demo/update"} <= set(exercises.names("demo"))
    with pytest.raises(ValueError, match="not a directory"):
        exercises.load_tests(demo_tests_dir / "missing")


def test_behaviour_with_a_data_answer(demo_tests_dir):
    assert check("demo/lr", 0.4).points == 2
    result = check("demo/lr", 1.5, raise_on_failure=False)
    assert not result and "final loss" in result.message
    assert not check("demo/lr", "fast", raise_on_failure=False)  # the experiment raises: a message, not a crash
    assert check("demo/lr", ..., raise_on_failure=False).status == "not-answered"


def test_behaviour_with_a_code_answer(demo_tests_dir):
    assert check("demo/update", lambda w, g: w - 0.25 * g)
    assert not check("demo/update", lambda w, g: w, raise_on_failure=False)

    def update(w, g):
        raise NotImplementedError("demo/update: replace this line with your answer")

    assert check("demo/update", update, raise_on_failure=False).status == "not-answered"


def test_forbidden_names_are_found_in_code_and_in_helpers():
    assert forbidden_uses("def f(z):\n    return np.tanh(z)", ("tanh",)) == ["np.tanh"]
    assert forbidden_uses("from math import tanh as t\ndef f(z): return t(z)", ("tanh",)) == ["tanh"]
    assert forbidden_uses("def tanh_via_sigmoid(z):\n    return 2 * s(2 * z) - 1", ("tanh",)) == []
    ex = FunctionExercise(name="x/t", answer="t", cases=lambda: [Case(args=(np.zeros(2),))],
                          reference=np.tanh, forbidden=("tanh",))

    def helper(z):
        return np.tanh(z)

    def t(z):
        return helper(z)

    result = ex.check_answer(t)
    assert not result and "np.tanh" in result.message


def test_autograd_derivative_matches_known_derivatives():
    z = np.linspace(-5, 5, 11)
    d = autograd_derivative(torch.sigmoid)(z)
    s = 1 / (1 + np.exp(-z))
    assert d.dtype == torch.float64 and np.allclose(d.numpy(), s * (1 - s), rtol=1e-12)
    assert float(autograd_derivative(lambda x, beta=1.0: x * torch.sigmoid(beta * x))(0.0, beta=2.0)) == 0.5


def test_float32_cases_get_float32_tolerances():
    ex = FunctionExercise(name="x/e", answer="e", reference=np.exp,
                          cases=lambda: [Case(args=(np.linspace(-3, 3, 7).astype(np.float32),), label="float32")])
    # an answer computed in float32 differs from the float64 truth by float32 rounding: it passes
    assert ex.check_answer(lambda z: np.exp(z.astype(np.float32)))
    # an error far above float32 rounding fails
    assert not ex.check_answer(lambda z: np.exp(z) * (1 + 1e-3))


def test_result_renderings_agree():
    result = CheckResult(exercise="a/b", status="failed", points=0, max_points=2, message="At x = 1: <bad> `f`",
                         hint="try again", title="T")
    assert "<bad>" not in result._repr_html_() and "&lt;bad&gt;" in result._repr_html_()
    assert "<code>f</code>" in result._repr_html_()
    assert result.one_line().startswith("not yet. At x = 1") and "\n" not in result.one_line()
    assert "### ✗ `a/b` — T" in result.markdown() and "*Hint:* try again" in result.markdown()
    assert str(result) == repr(result) == result.text()


def test_check_imports_only_what_checking_needs(demo_tests_dir):
    code = textwrap.dedent(f'''
        import sys
        import numpy as np
        import nbcourse
        nbcourse.exercises.load_tests({str(demo_tests_dir)!r})
        assert nbcourse.check("demo/double", lambda x: 2 * np.asarray(x))
        assert nbcourse.check("activations/swish", lambda z, beta=1.0: z / (1 + np.exp(-beta * z)))
        heavy = ["nbformat", "jsonschema", "nbclient", "ipywidgets", "nbcourse.widgets", "IPython.display"]
        print(sorted(m for m in heavy if m in sys.modules))
    ''')
    numpy_only = textwrap.dedent(f'''
        import sys
        import numpy as np
        import nbcourse
        nbcourse.exercises.load_tests({str(demo_tests_dir)!r})
        assert nbcourse.check("demo/double", lambda x: 2 * np.asarray(x))
        print(sorted(m for m in ["asyncio", "multiprocessing", "torch"] if m in sys.modules))
    ''')
    for source in (code, numpy_only):
        out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_spelled_rule_follows_globals_not_locals():
    from nbcourse.exercises._source import notebook_uses

    forbidden = ("tanh",)
    assert notebook_uses(["def f(z):\n    return th(z)", "from numpy import tanh as th"], "f", forbidden)
    assert notebook_uses(["if True:\n    def f(z):\n        return np.tanh(z)"], "f", forbidden) == ["np.tanh"]
    assert notebook_uses(["t = np.tanh", "def f(z):\n    return t(z)"], "f", forbidden) == ["np.tanh"]
    # a local variable that shares a name with another cell's global is not that global
    assert notebook_uses(["def f(z):\n    t = 1\n    return t * z", "t = np.tanh"], "f", forbidden) == []
    assert notebook_uses(["def g(w):\n    w = np.tanh(w)\n    return w", "def f(w):\n    return 2 * w"],
                         "f", forbidden) == []
