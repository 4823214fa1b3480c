"""What a check says: :class:`CheckResult` and the two exceptions a notebook sees.

Plain text, HTML and markdown renderings of one verdict; nothing here computes one.
"""

from __future__ import annotations

import dataclasses
import html
import re
import textwrap

__all__ = ["CheckResult", "NotAnswered", "CheckFailed", "PASSED", "FAILED", "NOT_ANSWERED", "MISSING", "ERROR"]

PASSED, FAILED, NOT_ANSWERED, MISSING, ERROR = "passed", "failed", "not-answered", "missing", "error"


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
        worked: True when the answer checked is the book's own worked solution (a check run
            while the book is built): the page then says so instead of showing a pass that
            the reader has not earned.
    """

    exercise: str
    status: str
    points: float
    max_points: float
    message: str
    hint: str = ""
    title: str = ""
    notes: tuple = ()
    worked: bool = False

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    @property
    def verdict(self) -> str:
        if self.worked and self.passed:
            return "the worked solution passes"
        return {
            PASSED: "passed",
            FAILED: "not yet",
            NOT_ANSWERED: "not answered yet",
            MISSING: "no answer found",
            ERROR: "could not be graded",
        }.get(self.status, self.status)

    def _points_text(self) -> str:
        unit = "point" if self.max_points == 1 else "points"
        if self.worked:
            return f"worth {_num(self.max_points)} {unit}"
        return f"{_num(self.points)}/{_num(self.max_points)} {unit}"

    def _all_notes(self) -> tuple:
        if self.worked:
            return (*self.notes, "In the book this cell checks the solution folded above; in your own "
                                 "notebook it checks your answer.")
        return self.notes

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
        lines += [f"  Note: {note}" for note in self._all_notes()]
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
        out += [f"\n*Note:* {note}" for note in self._all_notes()]
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.text())

    def _repr_html_(self) -> str:
        colour, background = ("#1a7f37", "#dafbe1") if self.passed else ("#9a6700", "#fff8c5")
        if self.worked:
            colour, background = ("#0969da", "#ddf4ff")
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
        parts += [f'<div style="margin-top:0.3em"><em>Note:</em> {_html_text(n)}</div>' for n in self._all_notes()]
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
