"""What every exercise has: a name, the answer's name, points, and the verdicts that need no judging."""

from __future__ import annotations

import dataclasses
import re

from nbcourse.exercises._results import ERROR, MISSING, NOT_ANSWERED, PASSED, CheckResult

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_.-]*$")


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
