"""``nbcourse.check``: one exercise, judged in the student's own process."""

from __future__ import annotations

import dataclasses
from typing import Any

from nbcourse._progress import book_build

from nbcourse.exercises._registry import get
from nbcourse.exercises._results import NOT_ANSWERED, CheckFailed, CheckResult, NotAnswered

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
    if result.passed and book_build():  # the book's own solution: not a pass the reader earned
        result = dataclasses.replace(result, worked=True)
    if result.passed or not raise_on_failure:
        return result
    if result.status == NOT_ANSWERED:
        raise NotAnswered(result)
    raise CheckFailed(result)
