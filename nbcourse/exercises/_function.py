"""Exercises whose answer is a function, checked case by case against a reference (and autograd)."""

from __future__ import annotations

import dataclasses
import inspect
import json
from typing import Any, Callable, Sequence

import sys

from nbcourse.exercises import _harness, _source
from nbcourse.exercises._compare import (
    DEFAULT_TOLERANCES,
    _a,
    _as_float64,
    _describe_value,
    _element,
    _error_hint,
    _precision,
    _promote,
    _short,
)
from nbcourse.exercises._exercise import _Exercise
from nbcourse.exercises._results import FAILED, PASSED, CheckResult

__all__ = ["Case", "FunctionExercise", "autograd_derivative"]



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

    def kernel_request(self) -> dict:
        """What the submission's kernel is sent: the answer's name, the inputs, the forbidden names."""
        cases = [{"args": c["args"], "kwargs": c["kwargs"]} for c in self.encoded_cases()]
        return {"kind": "function", "answer": self.answer, "cases": cases, "forbidden": list(self.forbidden)}

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
        ran = _harness.run_cases(answer, self.kernel_request()["cases"], self.forbidden)
        ran = json.loads(json.dumps({"status": "ran", **ran}))  # exactly what the grader would read
        return self.judge_kernel(ran, spelled=_spelled_in_this_process(self, answer))

    def _not_callable(self, type_name: str) -> CheckResult:
        return self._result(
            FAILED,
            f"`{self.answer}` should be a function, but it is {_a(type_name)}.",
            hint=f"Pass the function itself, without calling it: check({self.name!r}, {self.answer}).",
        )

    def judge_kernel(self, result: dict, *, spelled=()) -> CheckResult:
        """Judge what came back from where the answer lives (see :func:`_harness.run_request`).

        ``spelled`` are the forbidden names the answer's source spells (part 1 of the rule in
        :mod:`nbcourse.exercises._source`), found by the judge itself.
        """
        status = result.get("status")
        if status == "missing":
            return self.missing()
        if status == "not-answered":
            return self.not_answered()
        if status == "not-callable":
            return self._not_callable(str(result.get("type", "?")))
        uses = list(spelled) + [str(u) for u in result.get("resolved", []) + result.get("traced", [])]
        return self.judge(result.get("records", []), uses=uses)

    def judge(self, records: list, *, uses=()) -> CheckResult:
        """Compare the answer's outputs (plain-data records, one per case) with the expected values.

        ``uses`` are the forbidden functions found by the rule; any costs the exercise.
        """
        if self.forbidden and uses:
            listed = ", ".join(f"`{u}`" for u in dict.fromkeys(uses))
            return self._result(
                FAILED,
                f"`{self.answer}` uses {listed}, which this exercise asks you not to use "
                f"(forbidden here: {', '.join(self.forbidden)}).",
                hint=self.hint,
            )
        cases = self.encoded_cases()
        expected = self.expected()
        if not isinstance(records, list) or not records:
            return self.error(f"No result came back from `{self.answer}`.")
        first = records[0]
        if not first.get("ok") and first.get("error") in ("NotImplementedError", "NotAnswered"):
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


def _spelled_in_this_process(exercise, answer) -> list:
    """Part 1 of the forbidden rule for :func:`check`: what the answer's source spells.

    In IPython the cells as they ran (``In``) are read, exactly as the grader reads the
    notebook's cells; elsewhere the source of the answer and of its helpers.
    """
    if not exercise.forbidden:
        return []
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    user_ns = getattr(shell, "user_ns", None) or {}
    history = user_ns.get("In")
    if isinstance(history, list) and user_ns.get(exercise.answer) is answer:
        return _source.notebook_uses([h for h in history if isinstance(h, str)], exercise.answer, exercise.forbidden)
    source = _source.source_of(answer)
    return _source.forbidden_uses(source, exercise.forbidden) if source else []
