"""The names chapter modules written before the exercises were split by job imported from here.

New code imports from :mod:`nbcourse.exercises` (the public authoring names); this module
only re-exports them, so a chapter module that still says
``from nbcourse.exercises._core import Case, FunctionExercise, register`` keeps working.
"""

from __future__ import annotations

from nbcourse.exercises._behaviour import BehaviourExercise
from nbcourse.exercises._check import check
from nbcourse.exercises._function import Case, FunctionExercise, autograd_derivative
from nbcourse.exercises._registry import REGISTRY, Registry, get, load_tests, names, register
from nbcourse.exercises._results import CheckFailed, CheckResult, NotAnswered
from nbcourse.exercises._source import forbidden_uses

__all__ = [
    "BehaviourExercise", "Case", "CheckFailed", "CheckResult", "FunctionExercise", "NotAnswered", "REGISTRY",
    "Registry", "autograd_derivative", "check", "forbidden_uses", "get", "load_tests", "names", "register",
]
