"""Exercises, the registry that finds them, and :func:`check`.

The checking of one exercise is split in two halves that never share a process when
grading:

1. *where the answer lives* (:mod:`nbcourse.exercises._harness`): call the student's
   function on the exercise's inputs, or measure its behaviour, and turn the results into
   plain data;
2. *the judge* (this module): compute the expected values with the package's own
   reference (and autograd), compare, and write a message a student can act on.

:func:`check` runs both halves in the student's process, through the same JSON round
trip the grader uses, so a check passes in the notebook exactly when it passes in the
grader.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import html
import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
import textwrap
from pathlib import Path
from typing import Any, Callable, Sequence

from nbcourse.exercises import _harness

__all__ = [
    "Case",
    "FunctionExercise",
    "BehaviourExercise",
    "CheckResult",
    "NotAnswered",
    "CheckFailed",
    "Registry",
    "REGISTRY",
    "register",
    "get",
    "names",
    "load_tests",
    "check",
    "autograd_derivative",
]

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_.-]*$")

# (rtol, atol) by the lowest floating precision among a case's inputs
DEFAULT_TOLERANCES = {
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
    "float32": (1e-4, 1e-6),
    "float64": (1e-6, 1e-9),
}

PASSED, FAILED, NOT_ANSWERED, MISSING, ERROR = "passed", "failed", "not-answered", "missing", "error"


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise: truthy when passed.

    Attributes:
        exercise: the exercise's name, ``"chapter/exercise"``.
        status: ``"passed"``, ``"failed"``, ``"not-answered"``, ``"missing"`` (the
            notebook does not define the answer) or ``"error"`` (the notebook could not
            be graded).
        points: points earned (``max_points`` when passed, else 0).
        max_points: points the exercise is worth.
        message: what was checked, or what is wrong, in words.
        hint: what to try next (empty when passed).
        title: the exercise's title.
        notes: remarks that do not change the verdict (warnings the answer raised, ...).
    """

    exercise: str
    status: str
    points: float
    max_points: float
    message: str
    hint: str = ""
    title: str = ""
    notes: tuple = ()

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    @property
    def verdict(self) -> str:
        return {
            PASSED: "passed",
            FAILED: "not yet",
            NOT_ANSWERED: "not answered yet",
            MISSING: "no answer found",
            ERROR: "could not be graded",
        }.get(self.status, self.status)

    def _points_text(self) -> str:
        unit = "point" if self.max_points == 1 else "points"
        return f"{_num(self.points)}/{_num(self.max_points)} {unit}"

    def summary(self) -> str:
        """One line: mark, name, verdict and points."""
        mark = "✓" if self.passed else "✗"
        title = f" ({self.title})" if self.title else ""
        return f"{mark} {self.exercise}{title}: {self.verdict}, {self._points_text()}"

    def text(self) -> str:
        """The whole verdict as plain text."""
        lines = [self.summary(), *textwrap.wrap(self.message, 100, initial_indent="  ", subsequent_indent="  ")]
        if self.hint:
            lines += textwrap.wrap("Hint: " + self.hint, 100, initial_indent="  ", subsequent_indent="  ")
        lines += [f"  Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def one_line(self) -> str:
        """The verdict in one line, for a CSV cell."""
        parts = [self.verdict + ".", self.message]
        if self.hint:
            parts.append("Hint: " + self.hint)
        return " ".join(p.strip() for p in parts if p).replace("\n", " ")

    def markdown(self) -> str:
        """The verdict as a markdown section (the grader's feedback files)."""
        mark = "✓" if self.passed else "✗"
        title = f" — {self.title}" if self.title else ""
        out = [f"### {mark} `{self.exercise}`{title}", "", f"**{self.verdict}** ({self._points_text()})", "", self.message]
        if self.hint:
            out += ["", f"*Hint:* {self.hint}"]
        out += [f"\n*Note:* {note}" for note in self.notes]
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.text())

    def _repr_html_(self) -> str:
        colour, background = ("#1a7f37", "#dafbe1") if self.passed else ("#9a6700", "#fff8c5")
        mark = "✓" if self.passed else "✗"
        title = f" — {html.escape(self.title)}" if self.title else ""
        parts = [
            f'<div style="border-left:4px solid {colour};background:{background};padding:0.5em 0.8em;'
            f'margin:0.3em 0;border-radius:3px;color:#1f2328">',
            f'<strong style="color:{colour}">{mark} {html.escape(self.verdict)}</strong> '
            f"<code>{html.escape(self.exercise)}</code>{title} "
            f'<span style="float:right">{html.escape(self._points_text())}</span>',
            f'<div style="margin-top:0.3em">{_html_text(self.message)}</div>',
        ]
        if self.hint:
            parts.append(f'<div style="margin-top:0.3em"><em>Hint:</em> {_html_text(self.hint)}</div>')
        parts += [f'<div style="margin-top:0.3em"><em>Note:</em> {_html_text(n)}</div>' for n in self.notes]
        parts.append("</div>")
        return "".join(parts)


def _html_text(text: str) -> str:
    """``text`` escaped for HTML, with its `code spans` shown as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _num(x: float) -> str:
    return f"{x:g}"


class _FriendlyError(Exception):
    """An exception that IPython shows as its message only, without a traceback."""

    def __init__(self, result: CheckResult):
        super().__init__(result.text())
        self.result = result

    def _render_traceback_(self):
        # IPython calls this instead of formatting a traceback: the student sees the verdict
        red, bold, reset = "\x1b[31m", "\x1b[1m", "\x1b[0m"
        first, *rest = self.result.text().splitlines()
        return [f"{red}{bold}{first}{reset}", *rest]


class NotAnswered(_FriendlyError, NotImplementedError):
    """Raised by :func:`check` when the answer is still the released stub."""


class CheckFailed(_FriendlyError, AssertionError):
    """Raised by :func:`check` when the answer is wrong (``raise_on_failure=True``)."""


# --------------------------------------------------------------------------- cases


@dataclasses.dataclass
class Case:
    """One input on which an answer is checked.

    Args:
        args: positional arguments of the student's function.
        kwargs: keyword arguments of the student's function (default: none).
        label: what this input is about, shown when the answer fails here
            ("large positive z, float32").
        reference_args: positional arguments of the reference, when they differ from
            ``args`` (default: ``args``).
        reference_kwargs: keyword arguments of the reference (default: ``kwargs``).
        hint: a hint shown when the answer fails on this case (in addition to the
            exercise's hint).

    Values may be numpy arrays, torch tensors, Python numbers, strings, ``None``, and
    lists / tuples / dicts of them.
    """

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    label: str = ""
    reference_args: tuple | None = None
    reference_kwargs: dict | None = None
    hint: str = ""

    def __post_init__(self):
        if not isinstance(self.args, tuple):
            raise TypeError(f"Case: args must be a tuple, got {type(self.args).__name__}; write args=(x,) for one argument")
        if not isinstance(self.kwargs, dict):
            raise TypeError(f"Case: kwargs must be a dict, got {type(self.kwargs).__name__}")


def _promote(value):
    """Floating inputs in float64, so references compute the truth, not a rounded copy."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.detach().to(torch.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    if isinstance(value, np.floating):
        return np.float64(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_promote(v) for v in value)
    if isinstance(value, dict):
        return {k: _promote(v) for k, v in value.items()}
    return value


def _as_float64(value):
    """``value`` as a float64 numpy array, or ``None`` when it is not numeric."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().to(torch.float64).numpy()
    if isinstance(value, _harness.Opaque) or value is None or isinstance(value, (str, dict)):
        return None
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(np.float64)


def _precision(values) -> str:
    """The lowest floating precision among ``values`` (float64 when none is floating)."""
    import numpy as np
    import torch

    order = ["bfloat16", "float16", "float32", "float64"]
    found = "float64"
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        if isinstance(v, dict):
            stack.extend(v.values())
            continue
        name = None
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            name = str(v.dtype).replace("torch.", "")
        elif isinstance(v, (np.ndarray, np.floating)) and np.asarray(v).dtype.kind == "f":
            name = str(np.asarray(v).dtype)
        if name in order and order.index(name) < order.index(found):
            found = name
    return found


def _describe_value(value) -> str:
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return f"a torch {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return f"a 0-d numpy {value.dtype} array ({value.item()!r})"
        return f"a numpy {value.dtype} array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"numpy {value.dtype} {value.item()!r}"
    if isinstance(value, _harness.Opaque):
        return f"a {value.type_name} ({value.text[:80]})"
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    text = repr(value)
    return f"a {type(value).__name__} {text[:80]}"


def _short(x: float) -> str:
    """A number as a student reads it: enough digits to see the difference."""
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return f"{x:.10g}"


def _element(value, index, shape):
    """The element of an input that corresponds to ``index`` of an output of ``shape``."""
    import numpy as np

    arr = _as_float64(value)
    if arr is None:
        return None
    try:
        return float(np.broadcast_to(arr, shape)[index])
    except ValueError:
        return None


# --------------------------------------------------------------------------- exercises


@dataclasses.dataclass
class _Exercise:
    name: str
    answer: str
    title: str = ""
    points: float = 1.0
    hint: str = ""
    notebook: str | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not NAME_PATTERN.match(self.name):
            raise ValueError(
                f"{type(self).__name__}: name must look like 'chapter/exercise' (lower case, digits, '-'), "
                f"got {self.name!r}"
            )
        if not isinstance(self.answer, str) or not self.answer.isidentifier():
            raise ValueError(
                f"{type(self).__name__} {self.name}: answer must be the Python name the student defines "
                f"(e.g. 'swish'), got {self.answer!r}"
            )
        if not isinstance(self.points, (int, float)) or self.points <= 0:
            raise ValueError(f"{type(self).__name__} {self.name}: points must be a positive number, got {self.points!r}")

    @property
    def chapter(self) -> str:
        return self.name.split("/", 1)[0]

    def _result(self, status: str, message: str, *, hint: str = "", notes=()) -> CheckResult:
        return CheckResult(
            exercise=self.name,
            status=status,
            points=float(self.points) if status == PASSED else 0.0,
            max_points=float(self.points),
            message=message,
            hint=hint if status != PASSED else "",
            title=self.title,
            notes=tuple(notes),
        )

    def missing(self, why: str = "") -> CheckResult:
        """The verdict when the notebook does not define the answer at all."""
        message = why or (
            f"The notebook does not define `{self.answer}` (after running all its cells). "
            f"Keep the exercise cell that defines `{self.answer}` and run it."
        )
        return self._result(MISSING, message)

    def error(self, why: str) -> CheckResult:
        """The verdict when the submission could not be graded for this exercise."""
        return self._result(ERROR, why)

    def not_answered(self) -> CheckResult:
        return self._result(
            NOT_ANSWERED,
            f"`{self.answer}` still raises NotImplementedError: replace the `raise NotImplementedError(...)` "
            "line of the exercise cell with your code, run that cell, then run this check again.",
        )


@dataclasses.dataclass
class FunctionExercise(_Exercise):
    """An exercise whose answer is a function, checked input by input against a reference.

    Args:
        name: ``"chapter/exercise"``, e.g. ``"activations/sigmoid-grad"``.
        answer: the name of the function the student defines, e.g. ``"sigmoid_grad_from_value"``.
        title: a short title shown with the verdict.
        points: points the exercise is worth (all or nothing; default 1).
        cases: a function returning the list of :class:`Case` (called once, when first
            needed; seed anything random inside it).
        reference: the package's implementation, called with each case's reference
            arguments (floating inputs promoted to float64).
        derivative_of: optional torch function; the answer must also match its autograd
            derivative with respect to the first reference argument, in float64.
        rtol, atol: tolerances for every case (default: by the lowest floating precision
            of the case's inputs, see ``DEFAULT_TOLERANCES``).
        forbidden: names the answer's code must not use (``("tanh",)`` rejects
            ``np.tanh``, ``torch.tanh``, ``math.tanh``...), for exercises about *how* to compute.
        arg_names: names of the answer's positional arguments, for messages (default: the
            reference's parameters).
        inputs: the test inputs in a few words, for the message of a pass (default: the
            first case labels).
        hint: shown when the answer fails.
        notebook: the book page holding the exercise (path under ``book/`` without suffix).
    """

    cases: Callable[[], Sequence[Case]] | None = None
    reference: Callable[..., Any] | None = None
    derivative_of: Callable[..., Any] | None = None
    rtol: float | None = None
    atol: float | None = None
    forbidden: tuple = ()
    arg_names: tuple | None = None
    inputs: str = ""

    def __post_init__(self):
        super().__post_init__()
        if not callable(self.cases):
            raise TypeError(f"FunctionExercise {self.name}: cases must be a function returning a list of Case")
        if not callable(self.reference):
            raise TypeError(f"FunctionExercise {self.name}: reference must be a function (the package's implementation)")
        if isinstance(self.forbidden, str):
            self.forbidden = (self.forbidden,)
        self._cache: dict = {}

    # ---- the inputs, encoded once; everybody decodes the same bits
    def encoded_cases(self) -> list:
        if "encoded" not in self._cache:
            cases = list(self.cases())
            if not cases or not all(isinstance(c, Case) for c in cases):
                raise TypeError(f"FunctionExercise {self.name}: cases() must return a non-empty list of Case")
            encoded = []
            for case in cases:
                ref_args = case.args if case.reference_args is None else case.reference_args
                ref_kwargs = case.kwargs if case.reference_kwargs is None else case.reference_kwargs
                encoded.append({
                    "args": _harness.encode(tuple(case.args)),
                    "kwargs": _harness.encode(dict(case.kwargs)),
                    "reference_args": _harness.encode(tuple(ref_args)),
                    "reference_kwargs": _harness.encode(dict(ref_kwargs)),
                    "label": case.label,
                    "hint": case.hint,
                })
            # a JSON round trip now, so the grader's inputs are exactly what the kernel decodes
            self._cache["encoded"] = json.loads(json.dumps(encoded))
        return self._cache["encoded"]

    def kernel_spec(self) -> dict:
        """What the submission's kernel needs to call the answer (plain data)."""
        cases = [{"args": c["args"], "kwargs": c["kwargs"]} for c in self.encoded_cases()]
        return {"kind": "function", "answer": self.answer, "cases": cases}

    def expected(self) -> list:
        """For each case, a list of ``(source, float64 array)`` the answer must match."""
        if "expected" not in self._cache:
            out = []
            for case in self.encoded_cases():
                args = _promote(_harness.decode(case["reference_args"]))
                kwargs = _promote(_harness.decode(case["reference_kwargs"]))
                values = [("the reference", _as_float64(self.reference(*args, **kwargs)))]
                if self.derivative_of is not None:
                    grad = autograd_derivative(self.derivative_of)(*args, **kwargs)
                    values.append(("autograd", _as_float64(grad)))
                out.append(values)
            self._cache["expected"] = out
        return self._cache["expected"]

    def _arg_names(self) -> list:
        if self.arg_names is not None:
            return list(self.arg_names)
        try:
            params = inspect.signature(self.reference).parameters.values()
            return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            return []

    def _describe_case(self, case: dict, index=None, shape=None) -> str:
        """The call's arguments in words; with ``index``, the input elements behind that output element."""
        args = _harness.decode(case["args"])
        kwargs = _harness.decode(case["kwargs"])
        names = self._arg_names()
        parts = []
        for i, value in enumerate(args):
            name = names[i] if i < len(names) else f"argument {i + 1}"
            element = _element(value, index, shape) if index is not None else None
            if element is not None and getattr(value, "ndim", 0) > 0:
                idx = ", ".join(str(j) for j in index)
                parts.append(f"{name}[{idx}] = {_short(element)}")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                parts.append(f"{name} = {_short(float(value))}")
            else:
                parts.append(f"{name} = {_describe_value(value)}")
        parts += [f"{k} = {_describe_value(v)}" for k, v in kwargs.items()]
        return ", ".join(parts)

    def check_answer(self, answer) -> CheckResult:
        """Check ``answer`` in this process (what :func:`check` does)."""
        if answer is None or answer is Ellipsis:
            return self.not_answered()
        if not callable(answer):
            return self._not_callable(type(answer).__name__)
        records = _harness.call_cases(answer, self.kernel_spec()["cases"])
        records = json.loads(json.dumps(records))  # exactly what the grader would read
        return self.judge(records, source=_source_of(answer))

    def _not_callable(self, type_name: str) -> CheckResult:
        return self._result(
            FAILED,
            f"`{self.answer}` should be a function, but it is {_a(type_name)}.",
            hint=f"Pass the function itself, without calling it: check({self.name!r}, {self.answer}).",
        )

    def judge_kernel(self, result: dict, *, source: str | None) -> CheckResult:
        """Judge what the submission's kernel sent back (see :func:`_harness.run_exercise`)."""
        status = result.get("status")
        if status == "missing":
            return self.missing()
        if status == "not-answered":
            return self.not_answered()
        if status == "not-callable":
            return self._not_callable(str(result.get("type", "?")))
        return self.judge(result.get("records", []), source=source)

    def judge(self, records: list, *, source: str | None = None) -> CheckResult:
        """Compare the answer's outputs (plain-data records, one per case) with the expected values."""
        import numpy as np

        if self.forbidden and source:
            used = forbidden_uses(source, self.forbidden)
            if used:
                listed = ", ".join(f"`{u}`" for u in used)
                return self._result(
                    FAILED,
                    f"`{self.answer}` uses {listed}, which this exercise asks you not to use.",
                    hint=self.hint,
                )
        cases = self.encoded_cases()
        expected = self.expected()
        if not isinstance(records, list) or not records:
            return self.error(f"No result came back from `{self.answer}`.")
        first = records[0]
        if not first.get("ok") and first.get("error") == "NotImplementedError":
            return self.not_answered()
        notes = sorted({w for r in records if isinstance(r, dict) for w in r.get("warnings", [])})
        for case, record, values in zip(cases, records, expected):
            problem = self._compare(case, record, values)
            if problem is not None:
                message, hint = problem
                return self._result(FAILED, message, hint=hint)
        if len(records) < len(cases):
            return self.error(f"`{self.answer}` stopped after {len(records)} of {len(cases)} inputs.")
        sources = " and ".join(src for src, _ in expected[0])
        inputs = self._inputs_text(cases)
        count = f"all {len(cases)} test inputs" if len(cases) > 1 else "the test input"
        message = f"`{self.answer}` agrees with {sources} on {count}" + (f": {inputs}." if inputs else ".")
        if notes:
            notes = [f"your function emitted {' and '.join(notes[:2])}; the values are right, "
                     "but a formula that avoids it is more robust"]
        return self._result(PASSED, message, notes=notes)

    def _inputs_text(self, cases) -> str:
        if self.inputs:
            return self.inputs
        labels = list(dict.fromkeys(c["label"] for c in cases if c.get("label")))
        return "; ".join(labels[:4]) + ("; ..." if len(labels) > 4 else "")

    def _compare(self, case: dict, record: dict, values: list):
        """``None`` when the record matches, else ``(message, hint)``."""
        import numpy as np

        hints = [h for h in (case.get("hint"), self.hint) if h]
        where = self._describe_case(case)
        on = f"On {case['label']}: " if case.get("label") else ""
        if not isinstance(record, dict):
            return f"Unreadable result for {where}.", self.hint
        if not record.get("ok"):
            error, text = record.get("error", "Exception"), record.get("message", "")
            extra = _error_hint(error, text)
            return (
                f"{on}`{self.answer}({where})` raised {error}: {text}",
                " ".join(([extra] if extra else []) + hints),
            )
        received = _harness.decode(record["value"])
        got = _as_float64(received)
        if got is None:
            extra = "Did you forget `return`?" if received is None else ""
            return (
                f"{on}`{self.answer}({where})` returned {_describe_value(received)}; "
                "a number or an array of numbers was expected.",
                " ".join(([extra] if extra else []) + hints),
            )
        rtol, atol = DEFAULT_TOLERANCES[_precision(_harness.decode(case["args"]))]
        rtol = self.rtol if self.rtol is not None else rtol
        atol = self.atol if self.atol is not None else atol
        for source, want in values:
            if want is None:
                continue
            if got.shape != want.shape:
                return (
                    f"{on}`{self.answer}({where})` returned shape {got.shape}, expected shape {want.shape}.",
                    " ".join(["Work elementwise: use numpy or torch functions (np.exp), not the math module, "
                              "and do not sum or index the input."] + hints),
                )
            close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
            if close.all():
                continue
            bad = np.argwhere(~close)
            index = tuple(int(i) for i in bad[0])
            e, r = float(want[index]), float(got[index])
            at = self._describe_case(case, index, want.shape)
            count = f"; {len(bad)} of {want.size} values differ" if want.size > 1 else ""
            extra = []
            if np.isfinite(e) and not np.isfinite(r):
                extra.append(
                    f"{_short(r)} where a finite value is expected usually means an overflow: exp of a large "
                    "number is inf, and inf/inf or inf - inf is nan. Rearrange the formula so that exp only "
                    "sees numbers that are not large and positive (or use a stable sigmoid)."
                )
            return (
                f"{on}at {at}, expected {_short(e)} ({source}) but received {_short(r)}{count}.",
                " ".join(extra + hints),
            )
        return None


@dataclasses.dataclass
class BehaviourExercise(_Exercise):
    """An exercise judged by what the answer *does*: "the loss goes below X within N steps".

    Args:
        name, answer, title, points, hint, notebook: as for :class:`FunctionExercise`.
        measure: ``measure(answer, *, seed) -> plain data`` exercises the answer (trains a
            network with it, say) and returns numbers, strings, lists, dicts or numpy
            arrays.  Seed everything from ``seed``.
        judge: ``judge(measured) -> (passed, message)``, on plain data only; it runs in the
            grader.  Leave a margin in thresholds so another machine gives the same verdict.
        seed: the seed given to ``measure`` (default 0).
        answer_is_data: when True the answer itself must be plain data (a learning rate, a
            dict of hyperparameters); the grader then runs ``measure`` in its own process
            and no code of the submission is involved.  When False (an answer that is code)
            ``measure`` runs in the submission's kernel against a freshly imported nbcourse.
    """

    measure: Callable[..., Any] | None = None
    judge: Callable[[Any], tuple] | None = None
    seed: int = 0
    answer_is_data: bool = False

    def __post_init__(self):
        super().__post_init__()
        if not callable(self.measure) or not callable(self.judge):
            raise TypeError(f"BehaviourExercise {self.name}: measure and judge must both be functions")

    def kernel_spec(self) -> dict:
        return {"kind": "behaviour", "answer": self.answer, "name": self.name, "seed": int(self.seed),
                "answer_is_data": bool(self.answer_is_data)}

    def check_answer(self, answer) -> CheckResult:
        """Check ``answer`` in this process (what :func:`check` does)."""
        if answer is None or answer is Ellipsis:
            return self.not_answered()
        if self.answer_is_data:
            return self.judge_kernel(json.loads(json.dumps({"status": "ran", "answer": _harness.encode(answer)})),
                                     source=None)
        try:
            measured = self.measure(answer, seed=self.seed)
        except NotImplementedError as error:
            return self.judge_kernel({"status": "ran", "error": _harness._error(error)}, source=None)
        except Exception as error:
            return self.judge_kernel({"status": "ran", "error": _harness._error(error)}, source=None)
        return self.judge_kernel(json.loads(json.dumps({"status": "ran", "measured": _harness.encode(measured)})),
                                 source=None)

    def judge_kernel(self, result: dict, *, source: str | None) -> CheckResult:
        status = result.get("status")
        if status == "missing":
            return self.missing()
        if status == "not-answered":
            return self.not_answered()
        if "error" in result:
            error = result["error"]
            if error.get("error") == "NotImplementedError":
                return self.not_answered()
            return self._result(
                FAILED,
                f"Running `{self.answer}` raised {error.get('error')}: {error.get('message', '')}",
                hint=self.hint,
            )
        if "answer" in result:
            answer = _harness.decode(result["answer"])
            if isinstance(answer, _harness.Opaque):
                return self._result(
                    FAILED,
                    f"`{self.answer}` should be plain data (a number, a string, a list or a dict), "
                    f"but it is {_a(answer.type_name)}.",
                    hint=self.hint,
                )
            if answer is Ellipsis or answer is None:
                return self.not_answered()
            try:
                measured = self.measure(answer, seed=self.seed)
            except Exception as error:  # the answer is data: a bad value is the student's, in words
                return self._result(
                    FAILED, f"With `{self.answer} = {answer!r}` the experiment raised {type(error).__name__}: {error}",
                    hint=self.hint,
                )
            measured = _harness.decode(json.loads(json.dumps(_harness.encode(measured))))
        elif "measured" in result:
            measured = _harness.decode(result["measured"])
        else:
            return self.error(f"No measurement came back for `{self.answer}`.")
        verdict = self.judge(measured)
        if not (isinstance(verdict, tuple) and len(verdict) == 2):
            raise TypeError(f"BehaviourExercise {self.name}: judge must return (passed, message), got {verdict!r}")
        passed, message = verdict
        return self._result(PASSED if passed else FAILED, str(message), hint=self.hint)


# --------------------------------------------------------------------------- source checks


def _source_of(answer) -> str | None:
    """The source of ``answer`` and of the notebook functions it calls (for ``forbidden``)."""
    if not inspect.isfunction(answer):  # a builtin given as the answer (np.tanh, torch.tanh): its name
        name = getattr(answer, "__name__", None)
        return name if isinstance(name, str) and name.isidentifier() else None
    try:
        pieces, seen, todo = [], set(), [answer]
        while todo:
            fn = todo.pop()
            if id(fn) in seen or not inspect.isfunction(fn):
                continue
            seen.add(id(fn))
            text = textwrap.dedent(inspect.getsource(fn))
            pieces.append(text)
            try:
                found = inspect.getclosurevars(fn)
                scope = {**found.globals, **found.nonlocals}
            except (TypeError, ValueError):
                scope = {}
            for name in _called_names(text):
                other = scope.get(name)
                if inspect.isfunction(other) and other.__module__ == fn.__module__:
                    todo.append(other)
        return "\n\n".join(pieces) or None
    except (OSError, TypeError):
        return None


def _a(noun: str) -> str:
    """``noun`` with its article: "an int", "a list"."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _called_names(source: str) -> set:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def forbidden_uses(source: str, forbidden: Sequence[str]) -> list:
    """The uses of names in ``forbidden`` in ``source``, as written (``np.tanh``, ``tanh``)."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in forbidden:
            found.add(ast.unparse(node))
        elif isinstance(node, ast.Name) and node.id in forbidden:
            found.add(node.id)
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in forbidden:
            found.add(node.name)
    return sorted(found)


def _error_hint(error: str, text: str) -> str:
    if "length-1" in text or "size-1" in text or "only 0-dimensional" in text:
        return "The math module works on single numbers only: use np.exp / np.log (or torch) to work on arrays."
    if error == "NameError":
        return "A name your function uses is not defined: import it (e.g. `import numpy as np`) or run the cell that defines it."
    if error == "TypeError" and "unexpected keyword" in text:
        return "Check the function's signature: it must accept the arguments named in the exercise."
    return ""


# --------------------------------------------------------------------------- autograd


def autograd_derivative(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The elementwise derivative of ``fn`` with respect to its first argument, by autograd.

    ``fn`` takes a torch tensor first; the returned function takes the same arguments
    (numpy, torch or numbers), evaluates ``fn`` in float64 with ``requires_grad`` and
    returns ``d fn / d x`` as a float64 tensor of the input's shape.  Only elementwise
    functions make sense here (each output depends on one input).

    Examples::

        >>> import torch
        >>> d = autograd_derivative(lambda z: z * torch.sigmoid(z))
        >>> float(d(0.0))
        0.5
    """
    import numpy as np
    import torch

    def derivative(x, *args, **kwargs):
        if isinstance(x, torch.Tensor):
            z = x.detach().to(torch.float64)
        else:
            z = torch.as_tensor(np.asarray(x, dtype=np.float64))
        z = z.clone().requires_grad_(True)
        y = fn(z, *args, **kwargs)
        (grad,) = torch.autograd.grad(y.sum(), z)
        return grad.detach()

    derivative.__name__ = f"autograd_derivative({getattr(fn, '__name__', 'fn')})"
    return derivative


# --------------------------------------------------------------------------- registry


class Registry:
    """Exercises by name; a chapter's module is imported the first time one of its names is asked for."""

    package = "nbcourse.exercises"

    def __init__(self):
        self._exercises: dict = {}
        self._overrides: set = set()
        self._loaded: set = set()
        self._test_files: set = set()

    def register(self, exercise: _Exercise, *, replace: bool = False) -> _Exercise:
        """Add ``exercise``; ``replace=True`` overrides one already registered under its name.

        Returns the exercise, so ``register`` can be used in an assignment.
        """
        if not isinstance(exercise, _Exercise):
            raise TypeError(f"register: expected a FunctionExercise or BehaviourExercise, got {type(exercise).__name__}")
        name = exercise.name
        if name in self._exercises and not replace:
            if name in self._overrides:
                return self._exercises[name]  # a private test replaced it before its chapter was imported
            raise ValueError(
                f"register: an exercise named {name!r} is already registered; "
                "pass replace=True to override it (e.g. from a private test file)"
            )
        self._exercises[name] = exercise
        if replace:
            self._overrides.add(name)
        return exercise

    def _import_chapter(self, chapter: str) -> None:
        if chapter in self._loaded:
            return
        self._loaded.add(chapter)
        module = f"{self.package}.{chapter.replace('-', '_')}"
        if chapter.startswith("_") or importlib.util.find_spec(module) is None:
            return
        importlib.import_module(module)

    def get(self, name: str) -> _Exercise:
        """The exercise called ``name`` (``"chapter/exercise"``)."""
        if not isinstance(name, str):
            raise TypeError(f"check: the exercise name must be a string like 'activations/swish', got {type(name).__name__}")
        if name not in self._exercises and "/" in name:
            self._import_chapter(name.split("/", 1)[0])
        if name in self._exercises:
            return self._exercises[name]
        known = self.names()
        close = difflib.get_close_matches(name, known, n=3)
        advice = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"check: there is no exercise named {name!r}.{advice} Names look like 'chapter/exercise'.")

    def chapters(self) -> list:
        """The chapters that have an exercise module in the package."""
        package = importlib.import_module(self.package)
        return sorted(
            m.name.replace("_", "-") for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")
        )

    def names(self, chapter: str | None = None) -> list:
        """All exercise names (of one chapter when ``chapter`` is given), importing chapter modules as needed."""
        for c in [chapter] if chapter else self.chapters():
            self._import_chapter(c)
        return sorted(n for n in self._exercises if chapter is None or n.split("/", 1)[0] == chapter)

    def load_tests(self, directory: str | Path) -> list:
        """Import every ``*.py`` file of ``directory`` (private exercises); return the names they registered.

        A file already loaded is not loaded again, so calling this twice is harmless.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ValueError(f"load_tests: {str(directory)!r} is not a directory of Python files")
        before = {n: id(e) for n, e in self._exercises.items()}
        for i, path in enumerate(sorted(directory.glob("*.py"))):
            if path.resolve() in self._test_files:
                continue
            self._test_files.add(path.resolve())
            spec = importlib.util.spec_from_file_location(f"_nbcourse_private_tests_{len(self._test_files)}_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        return sorted(n for n, e in self._exercises.items() if before.get(n) != id(e))


REGISTRY = Registry()


def register(exercise: _Exercise, *, replace: bool = False) -> _Exercise:
    """Register ``exercise`` in the package's registry (see :class:`Registry.register`)."""
    return REGISTRY.register(exercise, replace=replace)


def get(name: str) -> _Exercise:
    """The exercise called ``name``, importing its chapter's module on demand."""
    return REGISTRY.get(name)


def names(chapter: str | None = None) -> list:
    """The names of all registered exercises (of ``chapter`` when given)."""
    return REGISTRY.names(chapter)


def load_tests(directory: str | Path) -> list:
    """Register the private exercises in ``directory`` (``nbcourse grade --tests DIR``)."""
    return REGISTRY.load_tests(directory)


# --------------------------------------------------------------------------- check


def check(name: str, answer: Any, *, raise_on_failure: bool = True) -> CheckResult:
    """Check a student's answer to exercise ``name`` and say what is wrong, if anything.

    The answer is compared with the package's own reference (and, for derivatives, with
    autograd) on inputs that include zero, the extremes, float32 and float64.  The same
    comparison, on the same inputs, is what ``nbcourse grade`` does.

    Args:
        name: the exercise, ``"chapter/exercise"``.
        answer: the student's function (pass the function itself, do not call it) or, for
            some exercises, a value.  Nothing else from the notebook is read.
        raise_on_failure: when True (default) a wrong answer raises :class:`CheckFailed`
            and an unanswered one :class:`NotAnswered` (a ``NotImplementedError``), so
            "Run all" stops at the first exercise still to do; IPython shows them as the
            verdict only, without a traceback.  When False the result is returned.

    Returns:
        CheckResult: truthy when passed, with ``points``, ``max_points`` and ``message``;
        Jupyter shows it as a coloured box.

    Examples::

        >>> import nbcourse
        >>> nbcourse.check("activations/sigmoid-grad", lambda s: s * (1 - s)).points
        1.0
    """
    exercise = get(name)
    result = exercise.check_answer(answer)
    if result.passed or not raise_on_failure:
        return result
    if result.status == NOT_ANSWERED:
        raise NotAnswered(result)
    raise CheckFailed(result)
