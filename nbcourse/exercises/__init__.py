r"""Exercises a student checks alone and an instructor grades in bulk.

Three users, one mechanism:

- a **student** runs ``nbcourse.check("chapter/exercise", answer)`` in any notebook
  (Colab, local Jupyter, CI) and sees at once whether the answer is right, and if not
  the input where it first goes wrong, the expected and received values and a hint;
- an **author** writes exercises inside the chapter notebooks of ``book/`` (solution
  between markers, a check cell after it) and registers how each one is checked in
  ``nbcourse/exercises/<chapter>.py``;
- an **instructor** runs ``nbcourse release`` to produce student notebooks and
  ``nbcourse grade`` to grade a folder of submissions into a CSV and feedback files.

Authoring an exercise in a notebook
-----------------------------------
An exercise is three cells.  The cells carry ``nbcourse`` metadata, so tools find them
by name and role, never by position.  :func:`exercise_cells` writes all three::

    import nbformat
    from nbcourse.exercises import exercise_cells

    nb = nbformat.read("book/activations/at-a-glance.ipynb", as_version=4)
    nb.cells += exercise_cells(
        "activations/sigmoid-grad",
        statement="Write `sigmoid_grad_from_value(s)`: $\\sigma'(z)$ from $s=\\sigma(z)$ alone.",
        solution='''def sigmoid_grad_from_value(s):
    # sigma'(z) from s = sigma(z) alone
    # BEGIN SOLUTION
    return s * (1 - s)
    # END SOLUTION''',
        answer="sigmoid_grad_from_value",
    )
    nbformat.write(nb, "book/activations/at-a-glance.ipynb")

The three cells are:

1. a **statement** (markdown), metadata
   ``{"nbcourse": {"exercise": "activations/sigmoid-grad", "role": "statement"}}``;
2. a **solution** (code), metadata ``{"nbcourse": {"exercise": ..., "role": "solution"}}``,
   tag ``hide-input`` and ``mystnb.code_prompt_show = "Show solution"`` so the book folds
   the solution behind a *Show solution* button.  The solution sits between the markers
   ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (nbgrader's and otter-grader's; any number
   of ``#``); the lines around them (the ``def`` line, a docstring or comment) are what the
   student will see;
3. a **check** (code), metadata role ``"check"``, whose source is::

       nbcourse.check("activations/sigmoid-grad", sigmoid_grad_from_value)

   (with ``import nbcourse`` in an earlier cell).

A cell with role ``"hidden"`` (for example an instructor's extra test) is removed from the
student version.  In a markdown cell, text between ``<!-- BEGIN SOLUTION -->`` and
``<!-- END SOLUTION -->`` is a written answer, replaced by *Your answer here*.

``nbcourse release book/activations/at-a-glance.ipynb --out release/`` writes the student
notebook: every solution region becomes a stub at the same indentation,

.. code-block:: python

    def sigmoid_grad_from_value(s):
        # sigma'(z) from s = sigma(z) alone
        # YOUR CODE HERE
        raise NotImplementedError("activations/sigmoid-grad: replace this line with your answer")

hidden cells are removed, the folding tags are taken off the solution cells, outputs are
stripped, and everything else is unchanged.  A solution region at the top level of a cell
(a data answer such as ``lr = 0.35``) becomes ``lr = ...`` followed by the ``raise``, so a
value an earlier cell left under that name cannot pass for the student's answer.  Still,
give answers names no other cell uses (``ravine_lr``, ``my_swish``): the grader looks the
answer up by that name after running the whole notebook.

What the student sees: a right answer returns a truthy :class:`CheckResult` (a green box in
Jupyter); a wrong one raises :class:`CheckFailed` and an unanswered one (the stub, or ``...``)
raises :class:`NotAnswered`, a ``NotImplementedError``.  Both show the verdict without a
traceback in IPython, and both stop "Run all" at the first exercise still to do, as nbgrader
does; an instructor notebook whose own solution fails a check therefore fails its nbval run.
``check(..., raise_on_failure=False)`` returns the falsy result instead.

Registering how an exercise is checked
--------------------------------------
Exercises of chapter ``gradient-descent`` live in ``nbcourse/exercises/gradient_descent.py``
(the chapter name with ``-`` written ``_``).  ``check("gradient-descent/...")`` imports that
module on demand; importing it must register every exercise of the chapter and do nothing
else that is slow (cases and references are computed only when a check runs).  A complete
chapter module::

    # nbcourse/exercises/gradient_descent.py
    import numpy as np
    import torch

    from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register


    def _step_cases():
        rng = np.random.default_rng(0)            # seeded: the same cases everywhere
        w = rng.normal(size=5)
        g = rng.normal(size=5)
        return [
            Case(args=(w, g), kwargs={"lr": 0.1}, label="a random vector, lr = 0.1"),
            Case(args=(w.astype(np.float32), g.astype(np.float32)), kwargs={"lr": 0.5},
                 label="float32 input"),
            Case(args=(torch.tensor(w), torch.tensor(g)), kwargs={"lr": 0.0},
                 label="torch tensors, lr = 0", hint="with lr = 0 nothing moves"),
        ]


    register(FunctionExercise(
        name="gradient-descent/step",
        answer="gd_step",                  # the function the student defines
        title="One step of gradient descent",
        points=1,
        cases=_step_cases,                 # a function returning the cases
        reference=lambda w, g, *, lr: w - lr * g,
        hint="Move against the gradient: w_new = w - lr * g.",
        notebook="gradient-descent/intro", # the book page (under book/, no suffix)
    ))


    def _final_loss(lr, *, seed):
        # runs with the answer (here a learning rate); returns plain data
        torch.manual_seed(seed)
        w = torch.zeros(2, requires_grad=True)
        target = torch.tensor([3.0, -1.0])
        for _ in range(20):
            loss = ((w - target) ** 2).sum()
            (grad,) = torch.autograd.grad(loss, w)
            w = (w - lr * grad).detach().requires_grad_()
        return {"loss": float(((w.detach() - target) ** 2).sum())}


    def _loss_small(measured):
        # runs in the grader, on plain data only: (passed, message)
        loss = measured["loss"]
        if loss < 1e-3:
            return True, f"the loss reached {loss:.2e} (< 1e-3) in 20 steps"
        return False, f"after 20 steps the loss is {loss:.3g}, it should be below 1e-3"


    register(BehaviourExercise(
        name="gradient-descent/learning-rate",
        answer="descent_lr",               # a number the student chooses
        title="A learning rate that converges in 20 steps",
        points=2,
        measure=_final_loss,
        judge=_loss_small,
        answer_is_data=True,               # the answer is a number: measured by the grader
        seed=0,
        hint="Too small crawls, too large diverges: try values between 0.01 and 1.",
        notebook="gradient-descent/intro",
    ))

Rules for cases and references, which make a check mean the same everywhere:

- a :class:`Case` holds ``args`` and ``kwargs`` for the student's function: numpy arrays,
  torch tensors, Python numbers, strings, ``None``, and lists / tuples / dicts of them; give
  float32 and float64, zero and the extremes.  ``reference_args`` (default: ``args``) are
  what the reference receives, for exercises whose answer takes something other than the
  reference (``sigmoid_grad_from_value(s)`` is checked against ``sigmoid.grad(z)``);
- ``reference`` is the package's own implementation; ``derivative_of`` (optional) names a
  torch function whose autograd derivative, in float64, the answer must match as well;
- ``forbidden=("tanh",)`` rejects an answer that uses a function of that name
  (``np.tanh``, ``torch.tanh``, ...): spelled in its code or its helpers', reached under
  another name, or called while it runs (:mod:`nbcourse.exercises._source`), for
  exercises about *how* to compute;
- a :class:`BehaviourExercise` splits the work: ``measure(answer, *, seed)`` exercises the
  answer and returns plain data (numbers, strings, lists, dicts, numpy arrays);
  ``judge(measured)`` turns that data into ``(passed, message)``.  Both run in the grader;
  when the answer is code, each call ``measure`` makes of it is sent to the submission's
  kernel, so its arguments and return values must be plain data.  Pick thresholds with a
  margin, so that seeded runs on another machine give the same verdict.

Instructors keep private exercises out of the package: a folder of Python files that call
:func:`register` exactly like a chapter module, given to ``nbcourse grade --tests DIR``
(or loaded with :func:`load_tests`).  ``register(..., replace=True)`` overrides a public
exercise of the same name.

How grading resists tampering
-----------------------------
``nbcourse grade`` runs each submission in a fresh kernel sealed in its own PID and mount
namespaces (:mod:`nbcourse.exercises._sandbox`), where this package's ``exercises``
folder (the registry) and the private tests are not there.  The grader sends the kernel
only the answer's name and the inputs to call it on, and reads back the return values as
plain data (JSON with the raw bytes of arrays, never a pickle).  Expected values are
computed, and compared, in the grader's own process; a behaviour's ``measure`` runs there
too, calling the answer in the kernel.  Redefining ``check``, printing "passed", patching
the standard library, IPython, ``numpy``, ``torch`` or ``nbcourse`` in the notebook, or
editing cell metadata changes nothing but what the submission's own answers return.
``forbidden`` names are judged by one rule in :func:`check` and in the grader
(:mod:`nbcourse.exercises._source`).

The modules, one job each
-------------------------
``_results`` (what a verdict says), ``_compare`` (values, tolerances, where they differ),
``_exercise``, ``_function`` and ``_behaviour`` (the exercise kinds), ``_source`` (the
forbidden-function rule), ``_registry`` (names, chapters, private tests), ``_check``
(:func:`check`), ``_harness`` (what runs next to the answer), ``_notebook`` (cells and
release), ``_grade`` and ``_sandbox`` (the grader), ``_student_book`` (the book without
solutions).  ``import nbcourse.exercises`` loads only what checking needs; the notebook
tools and the grader are imported when first used.

The public names
----------------
- :func:`check` (also ``nbcourse.check``), :class:`CheckResult`, :class:`NotAnswered`,
  :class:`CheckFailed`
- :class:`Case`, :class:`FunctionExercise`, :class:`BehaviourExercise`, :func:`register`,
  :func:`get`, :func:`names`, :func:`load_tests`, :func:`autograd_derivative`
- :func:`exercise_cells`, :func:`release_notebook`, :func:`grade`
"""

from __future__ import annotations

import importlib

# what checking needs, imported now; notebook tools and the grader (nbformat, nbclient,
# asyncio, multiprocessing) only when asked for
from nbcourse.exercises._behaviour import BehaviourExercise
from nbcourse.exercises._check import check
from nbcourse.exercises._function import Case, FunctionExercise, autograd_derivative
from nbcourse.exercises._registry import get, load_tests, names, register
from nbcourse.exercises._results import CheckFailed, CheckResult, NotAnswered

_LAZY = {
    "exercise_cells": "nbcourse.exercises._notebook",
    "release_notebook": "nbcourse.exercises._notebook",
    "grade": "nbcourse.exercises._grade",
}

__all__ = [
    "BehaviourExercise",
    "Case",
    "CheckFailed",
    "CheckResult",
    "FunctionExercise",
    "NotAnswered",
    "autograd_derivative",
    "check",
    "exercise_cells",
    "get",
    "grade",
    "load_tests",
    "names",
    "register",
    "release_notebook",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nbcourse.exercises' has no attribute {name!r}")


def __dir__():
    return __all__
