"""Exercises judged by what the answer does ("the loss goes below X within N steps")."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable

from nbcourse.exercises import _harness
from nbcourse.exercises._compare import _a
from nbcourse.exercises._exercise import _Exercise
from nbcourse.exercises._results import FAILED, PASSED, CheckResult

__all__ = ["BehaviourExercise"]

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
            dict of hyperparameters); the grader reads the value and runs ``measure`` in
            its own process.  When False (an answer that is code) ``measure`` also runs in
            the grader's process, and each call it makes of the answer is sent to the
            submission's kernel: the call's arguments go there, its return value comes back
            (so arguments and return values must be plain data: numbers, strings, arrays,
            tensors, lists, tuples and dicts of them).
    """

    measure: Callable[..., Any] | None = None
    judge: Callable[[Any], tuple] | None = None
    seed: int = 0
    answer_is_data: bool = False

    def __post_init__(self):
        super().__post_init__()
        if not callable(self.measure) or not callable(self.judge):
            raise TypeError(f"BehaviourExercise {self.name}: measure and judge must both be functions")

    def kernel_request(self) -> dict:
        """What the submission's kernel is sent first: the answer's value, or only whether it is callable."""
        return {"kind": "data" if self.answer_is_data else "probe", "answer": self.answer}

    def remote_answer(self, call) -> Callable[..., Any]:
        """A stand-in for the answer that ``measure`` calls in the grader's process.

        ``call(args, kwargs)`` takes the encoded arguments, runs the real answer where it
        lives and returns its record (see :func:`_harness.call_once`).
        """
        name = self.answer

        def answer(*args, **kwargs):
            record = call(_harness.encode(tuple(args)), _harness.encode(dict(kwargs)))
            if isinstance(record, dict) and record.get("ok"):
                return _harness.decode(record["value"])
            error = record.get("error", "Exception") if isinstance(record, dict) else "Exception"
            message = record.get("message", "") if isinstance(record, dict) else "no result"
            raise AnswerRaised(str(error), str(message))

        answer.__name__ = answer.__qualname__ = name
        return answer

    def measure_remote(self, call) -> dict:
        """Run ``measure`` here on :meth:`remote_answer`; the result as :meth:`judge_kernel` reads it."""
        try:
            measured = self.measure(self.remote_answer(call), seed=self.seed)
        except AnswerRaised as error:
            return {"status": "ran", "error": {"error": error.error, "message": error.message}}
        except Exception as error:  # measure failed on what the answer returned
            return {"status": "ran", "error": _harness._error(error)}
        return json.loads(json.dumps({"status": "ran", "measured": _harness.encode(measured)}))

    def check_answer(self, answer) -> CheckResult:
        """Check ``answer`` in this process (what :func:`check` does)."""
        if answer is None or answer is Ellipsis:
            return self.not_answered()
        if self.answer_is_data:
            return self.judge_kernel(json.loads(json.dumps({"status": "ran", "answer": _harness.encode(answer)})))
        try:
            measured = self.measure(answer, seed=self.seed)
        except Exception as error:
            return self.judge_kernel({"status": "ran", "error": _harness._error(error)})
        return self.judge_kernel(json.loads(json.dumps({"status": "ran", "measured": _harness.encode(measured)})))

    def judge_kernel(self, result: dict, **_) -> CheckResult:
        """Judge a measurement, a data answer, or why there is neither."""
        status = result.get("status")
        if status == "missing":
            return self.missing()
        if status == "not-answered":
            return self.not_answered()
        if status == "not-callable":
            return self._result(FAILED, f"`{self.answer}` should be a function, but it is "
                                f"{_a(str(result.get('type', '?')))}.", hint=self.hint)
        if "error" in result:
            error = result["error"]
            if error.get("error") in ("NotImplementedError", "NotAnswered"):
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


class AnswerRaised(Exception):
    """The submission's answer raised ``error`` (its exception's name) with ``message``, where it lives."""

    def __init__(self, error: str, message: str):
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message
