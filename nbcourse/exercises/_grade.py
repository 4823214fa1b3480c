"""Grading submitted notebooks: each in a sealed kernel, judged in the grader's own process.

For one submission the grader

1. reads the notebook (a file that is not notebook JSON is graded zero, with the reason);
2. starts a fresh ``python3`` kernel, sealed by :mod:`nbcourse.exercises._sandbox` (its
   own PID and mount namespaces where Linux allows: a read-only file system without the
   exercise registry, the private tests or the grader's files), and runs every code cell
   in notebook order, each with a time limit; a cell that raises is recorded and the next
   cell runs; a cell that never ends is interrupted (or, when the kernel no longer
   answers, the kernel is restarted and the cells that worked are run again without it);
3. for each exercise, sends the kernel one request: the answer's name and the inputs to
   call it on (never an expected value, a reference or a test file).  The harness
   (:mod:`nbcourse.exercises._harness`, sent as text) calls the answer and prints the
   return values as JSON between markers only this request knows.  A behaviour
   exercise's ``measure`` runs here, in the grader, and each call it makes of the answer
   is such a request;
4. stops the kernel and waits until every process the submission started has ended;
5. judges here, with this process's numpy and torch and the package's references and
   the notebook's own text (for forbidden functions): nothing the notebook did to its
   kernel reaches the verdict except the values its answers returned.

Points are the registry's, never the notebook's metadata; the exercises graded are those
of the released notebook (``released=``), never those a submission names itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import dataclasses
import fnmatch
import io
import json
import multiprocessing
import os
import sys
import re
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from nbcourse.exercises import _notebook, _registry, _sandbox, _source
from nbcourse.exercises._behaviour import BehaviourExercise
from nbcourse.exercises._results import FAILED, MISSING, _num

__all__ = ["GradeRow", "SubmissionReport", "grade", "write_csv", "check_writable", "expected_exercises",
           "released_exercises"]

HARNESS_FILE = Path(__file__).with_name("_harness.py")
SOURCE_FILE = Path(__file__).with_name("_source.py")
MAX_RESULT_BYTES = 64 * 2**20
CSV_COLUMNS = ("submission", "exercise", "points", "max_points", "message")


@dataclasses.dataclass(frozen=True)
class GradeRow:
    """One line of the grade sheet."""

    submission: str
    exercise: str
    points: float
    max_points: float
    message: str


@dataclasses.dataclass
class SubmissionReport:
    """Everything the grader found about one submission."""

    submission: str
    results: list  # of CheckResult
    problems: list  # of str: cells that raised, timed out, ...
    seconds: float = 0.0
    error: str = ""  # set when the submission could not be run at all
    cell_errors: list = dataclasses.field(default_factory=list)  # (cell index, exception name), in order

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_points(self) -> float:
        return sum(r.max_points for r in self.results)

    def rows(self) -> list:
        if not self.results:
            message = self.error or "No exercise found in this notebook."
            return [GradeRow(self.submission, "", 0.0, 0.0, message)]
        return [GradeRow(self.submission, r.exercise, r.points, r.max_points, r.one_line()) for r in self.results]

    def markdown(self) -> str:
        lines = [
            f"# Feedback on `{Path(self.submission).name}`",
            "",
            f"**Total: {_num(self.points)} / {_num(self.max_points)} points** "
            f"({len([r for r in self.results if r.passed])} of {len(self.results)} exercises passed).",
            "",
        ]
        if self.error:
            lines += [f"**This notebook could not be graded:** {self.error}", ""]
        for result in self.results:
            lines += [result.markdown()]
        if self.problems:
            lines += ["## While running your notebook", ""]
            lines += [f"- {p}" for p in self.problems[:30]]
            if len(self.problems) > 30:
                lines.append(f"- ... and {len(self.problems) - 30} more")
            lines.append("")
        lines.append(f"*Graded by `nbcourse grade` in {self.seconds:.1f} s.*")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading


def _read(path: Path):
    """``(notebook, None)`` or ``(None, reason)``; never raises for a bad file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"the file could not be read ({type(error).__name__}: {error})"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"the file is not valid notebook JSON ({error.msg} at line {error.lineno})"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, "the file is JSON but not a notebook (no list of cells)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicated cell ids and the like: the student's copy-paste
            nb = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several kinds for malformed notebooks
        return None, f"the file is not a readable notebook ({type(error).__name__}: {str(error)[:200]})"
    cells = []
    for cell in nb.cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        cell["source"] = str(source)
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
        cells.append(cell)
    nb.cells = cells
    return nb, None


def expected_exercises(nb, *, registry=None) -> list:
    """The registered exercises a notebook holds.

    Those its cells and metadata name (cell metadata, ``check("...")`` calls in code, the
    list a released notebook carries), plus every exercise registered for the same book
    page (``notebook=``), so deleting an exercise's cells does not hide it.  A name in a
    comment or a string is not a check call and does not count.
    """
    registry = registry or _registry.REGISTRY
    found = []
    for name in _notebook.exercise_names(nb):
        try:
            found.append(registry.get(name))
        except ValueError:
            continue
    pages = {e.notebook for e in found if e.notebook}
    if pages:
        for chapter in {e.chapter for e in found}:
            for name in registry.names(chapter):
                exercise = registry.get(name)
                if exercise.notebook in pages and exercise not in found:
                    found.append(exercise)
    return [e.name for e in found]


def released_exercises(notebooks, *, registry=None) -> list:
    """The exercises of the released notebooks (student or instructor versions), in order."""
    names = []
    for path in map(Path, notebooks):
        nb, why = _read(path)
        if nb is None:
            raise ValueError(f"grade: --released {str(path)!r}: {why}")
        found = expected_exercises(nb, registry=registry)
        if not found:
            raise ValueError(f"grade: --released {str(path)!r} holds no registered exercise")
        names += [n for n in found if n not in names]
    return names


# --------------------------------------------------------------------------- the kernel


def _package_exercise_dirs() -> list:
    """Every ``nbcourse/exercises`` folder a kernel could import or read the registry from."""
    import sys

    found = [Path(_registry.__file__).resolve().parent]
    for entry in sys.path:
        candidate = Path(entry or ".") / "nbcourse" / "exercises"
        try:
            if candidate.is_dir() and candidate.resolve() not in found:
                found.append(candidate.resolve())
        except OSError:
            continue
    return [str(p) for p in found]


def _shadow_package(folder: str) -> str:
    """Without namespaces: a stand-in ``nbcourse`` first on the kernel's path whose ``exercises`` is a stub."""
    real = Path(_registry.__file__).resolve().parents[1]
    shadow = Path(folder) / "nbcourse"
    (shadow / "exercises").mkdir(parents=True)
    (shadow / "exercises" / "__init__.py").write_text(_sandbox.STUB_EXERCISES, encoding="utf-8")
    init = real / "__init__.py"
    (shadow / "__init__.py").write_text(
        f"__path__ = [{str(shadow)!r}, {str(real)!r}]\n"
        f"exec(compile(open({str(init)!r}, encoding='utf-8').read(), {str(init)!r}, 'exec'))\n",
        encoding="utf-8")
    return folder


class _Kernel:
    """A fresh ``python3`` kernel, sealed (see :mod:`nbcourse.exercises._sandbox`), driven by nbclient."""

    def __init__(self, env: dict, hide: list):
        self.env = env
        self.hide = hide
        self.client = None
        self.private = None
        self.pids = set()
        self.harness_key = None

    async def start(self):
        from jupyter_client.kernelspec import KernelSpec
        from nbclient import NotebookClient

        self.private = tempfile.mkdtemp(prefix="nbcourse-kernel-")
        os.chmod(self.private, 0o700)
        # never the submission's kernelspec: ipykernel in this very Python, as its built-in python3 spec says
        # (written here, because jupyter_client's KernelSpecManager imports IPython to find its folders)
        spec = KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="Python 3 (ipykernel)", language="python")
        env = dict(self.env)
        workdir = os.path.join(self.private, "work")
        os.mkdir(workdir)
        if not _sandbox.available():
            shadow = _shadow_package(os.path.join(self.private, "shadow"))
            env["PYTHONPATH"] = os.pathsep.join([shadow] + [p for p in [env.get("PYTHONPATH")] if p])
        spec.argv = _sandbox.kernel_argv(list(spec.argv), hide=self.hide, exercises_dirs=_package_exercise_dirs())
        self.client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=False,
            record_timing=False,
            shutdown_kernel="immediate",
            startup_timeout=120,
            resources={"metadata": {"path": workdir}},
        )
        km = self.client.create_kernel_manager()
        km._kernel_spec = spec
        km.connection_file = os.path.join(self.private, "connection.json")
        before = _sandbox.children()
        # the kernel's own stderr (ipykernel's start-up warnings) would clutter the grader's output
        await self.client.async_start_new_kernel(cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL)
        self.pids = _sandbox.children() - before
        for pid in list(self.pids):  # with namespaces: unshare, and the namespace's first process
            self.pids |= _sandbox.children(pid)
        await self.client.async_start_new_kernel_client()

    async def run(self, source: str, timeout: float) -> tuple:
        """``("ok", stdout)``, ``("error", ename, evalue)``, ``("timeout",)`` or ``("dead",)``."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        cell = nbformat.v4.new_code_cell(source)
        self.client.nb.cells = [cell]  # nbclient writes the executed cell back into its notebook
        self.client.timeout = max(1, int(round(timeout)))
        try:
            await self.client.async_execute_cell(cell, 0, store_history=False)
        except CellTimeoutError:
            await self._cancel_pollers()
            return ("timeout",)
        except DeadKernelError:
            return ("dead",)
        except Exception as error:  # anything else from the kernel link counts as a lost kernel
            return ("dead", f"{type(error).__name__}: {error}")
        for output in cell.outputs:
            if output.get("output_type") == "error":
                return ("error", str(output.get("ename", "Error")), str(output.get("evalue", ""))[:300])
        text = "".join(str(o.get("text", "")) for o in cell.outputs
                       if o.get("output_type") == "stream" and o.get("name") == "stdout")
        return ("ok", text)

    async def request(self, request: dict, timeout: float):
        """Send one request to the harness in the kernel; its answer (a dict) or why there is none (a str)."""
        nonce = os.urandom(16).hex()
        install = self.harness_key is None
        if install:
            self.harness_key = "_nbcourse_harness_" + os.urandom(8).hex()
        outcome = await self.run(_harness_cell(request, nonce, self.harness_key, install), timeout)
        if outcome[0] == "timeout":
            return f"calling the answer took longer than {timeout:g} s"
        if outcome[0] == "dead":
            return "the kernel died while calling the answer"
        if outcome[0] == "error":
            self.harness_key = None  # defined again by the next request
            return f"the grader could not call the answer ({outcome[1]}: {_first_line(outcome[2])})"
        found = re.search(re.escape(nonce) + "<(.*)>" + re.escape(nonce), outcome[1], re.DOTALL)
        if found is None:
            return "the grader could not read the answer's results (did the notebook replace sys.stdout?)"
        if len(found.group(1)) > MAX_RESULT_BYTES:
            return "the answer's results were too large to read"
        try:
            data = json.loads(found.group(1))
        except ValueError:
            return "the answer's results were unreadable"
        if not isinstance(data, dict):
            return "the answer's results were unreadable"
        if data.get("status") == "harness-error":
            error = data.get("error") or {}
            return f"the grader could not call the answer ({error.get('error')}: {error.get('message', '')})"
        return data

    @staticmethod
    async def _cancel_pollers():
        # nbclient leaves the timed-out cell's output poller running (a timeout is a "control
        # signal" to it); that task would swallow the next cells' messages. This event loop
        # runs only this kernel's tasks (and a measurement's calls), so every other task that
        # is not waiting on a measurement is such a leftover.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not getattr(t, "_nbcourse", False)]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def recover(self, grace: float) -> bool:
        """Interrupt a cell that ran too long; True when the kernel answers again."""
        try:
            await self.client.km.interrupt_kernel()
        except Exception:
            return False
        return (await self.run("pass", grace))[0] == "ok"

    async def stop(self):
        """Shut the kernel down; return when every process of its run has ended."""
        if self.client is not None and self.client.km is not None:
            try:
                await self.client._async_cleanup_kernel()
            except Exception:
                pass
        self.client = None
        for pid in self.pids:  # the kernel killed by process group may leave them to be reaped
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        await asyncio.get_running_loop().run_in_executor(None, _sandbox.wait_gone, self.pids)
        self.pids = set()
        if self.private:
            shutil.rmtree(self.private, ignore_errors=True)
            self.private = None


def _harness_text() -> tuple:
    return (SOURCE_FILE.read_text(encoding="utf-8"), HARNESS_FILE.read_text(encoding="utf-8"))


def _harness_cell(request: dict, nonce: str, key: str, install: bool) -> str:
    """A cell that runs one request with the harness, defined (once per kernel) in a private namespace.

    Builtins are reached through the ``builtins`` module, so a notebook that happens to
    define ``exec`` or ``globals`` does not break grading.  The request holds only the
    answer's name, the call's arguments and the forbidden names: never an expected value.
    """
    lines = ["import builtins as _nbcourse_b"]
    if install:
        source, harness = _harness_text()
        lines += [
            "_nbcourse_g = {'__name__': '_nbcourse_grader', '__builtins__': _nbcourse_b}",
            f"_nbcourse_b.exec(_nbcourse_b.compile({source!r}, '<nbcourse grader: source>', 'exec'), _nbcourse_g)",
            f"_nbcourse_b.exec(_nbcourse_b.compile({harness!r}, '<nbcourse grader>', 'exec'), _nbcourse_g)",
            f"_nbcourse_b.__dict__[{key!r}] = _nbcourse_g['kernel_entry']",
            "del _nbcourse_g",
        ]
    lines += [
        f"_nbcourse_b.__dict__[{key!r}]({json.dumps(request)!r}, _nbcourse_b.globals(), {nonce!r}, "
        "_nbcourse_b.__import__('sys').stdout.write)",
        "del _nbcourse_b",
    ]
    return "\n".join(lines) + "\n"


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return text.strip().splitlines()[0][:200] if text.strip() else ""


MAX_KERNEL_STARTS = 6


async def _run_cells(nb, kernel_factory, timeout: float, problems: list, cell_errors: list):
    """Run the submission's code cells in order; return ``(kernel, good sources)``.

    A cell that raises is recorded and the next cell runs.  A cell that hangs is
    interrupted; a cell that kills the kernel (or ignores the interrupt) costs a fresh
    kernel, in which the cells that had worked are run again; a cell that fails on that
    replay is left out and the replay starts over without it, so answers that do not
    depend on it are not lost.
    """
    code = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    grace = min(10.0, max(2.0, timeout))
    kernel = await kernel_factory()
    starts = 1
    good = []  # sources that ran without killing or hanging the kernel
    for index, source in code:
        outcome = await kernel.run(source, timeout)
        if outcome[0] == "ok":
            good.append(source)
            continue
        if outcome[0] == "error":
            problems.append(f"cell {index} raised {outcome[1]}: {_first_line(outcome[2])}")
            cell_errors.append((index, outcome[1]))
            good.append(source)
            continue
        cell_errors.append((index, outcome[0]))
        if outcome[0] == "timeout":
            problems.append(f"cell {index} was still running after {timeout:g} s and was stopped")
            if await kernel.recover(grace):
                continue
        else:
            problems.append(f"cell {index} made the kernel die (it was restarted without that cell)")
        # the kernel is dead or deaf: start a fresh one and run again what worked
        while True:
            await kernel.stop()
            if starts >= MAX_KERNEL_STARTS:
                problems.append("the kernel was lost too often; the remaining cells were not run")
                return None, good
            kernel = await kernel_factory()
            starts += 1
            for k, again in enumerate(good):
                replay = await kernel.run(again, timeout)
                if replay[0] not in ("ok", "error"):
                    problems.append("a cell that had worked failed when run again after a restart; "
                                    "it was left out and the others were run again")
                    good = good[:k] + good[k + 1:]
                    break
            else:
                break
    return kernel, good


async def _run_notebook(nb, exercises: list, *, timeout: float, env: dict, hide: list) -> tuple:
    """Run the submission's cells, then ask its kernel for each exercise's answer.

    Returns ``(results, problems, cell_errors)``: ``results`` maps exercise name to what
    came back (a dict, see :func:`_harness.run_request`) or to a string saying why nothing
    did; ``problems`` are sentences for the feedback; ``cell_errors`` are ``(cell index,
    exception name or "timeout"/"dead")``.  Every process of the run has ended on return.
    """
    problems, results, cell_errors = [], {}, []
    kernels = []
    asyncio.current_task()._nbcourse = True  # waits on a measurement's thread: not a leftover poller

    async def factory():
        kernel = _Kernel(env, hide)
        kernels.append(kernel)
        await kernel.start()
        return kernel

    grace = min(10.0, max(2.0, timeout))
    try:
        kernel, good = await _run_cells(nb, factory, timeout, problems, cell_errors)
        for exercise in exercises:
            if kernel is None or kernel.client is None:
                results[exercise.name] = "the notebook's kernel was lost before this exercise could be graded"
                continue
            outcome = await kernel.request(exercise.kernel_request(), timeout)
            if (isinstance(outcome, dict) and outcome.get("status") == "ran"
                    and isinstance(exercise, BehaviourExercise) and not exercise.answer_is_data):
                outcome = await _measure(exercise, kernel, timeout)
            results[exercise.name] = outcome
            if isinstance(outcome, str) and ("longer than" in outcome or "died" in outcome):
                if "died" in outcome or not await kernel.recover(grace):
                    await kernel.stop()
                    kernel = await factory()
                    for source in good:
                        await kernel.run(source, timeout)
    finally:
        for kernel in kernels:
            await kernel.stop()
    return results, problems, cell_errors


async def _measure(exercise, kernel, timeout: float):
    """Run a behaviour's ``measure`` here; each call of the answer goes to the kernel as its arguments."""
    loop = asyncio.get_running_loop()
    lost = []

    def call(args, kwargs):
        if lost:
            raise _KernelLost(lost[0])

        async def send():
            asyncio.current_task()._nbcourse = True
            return await kernel.request({"kind": "call", "answer": exercise.answer, "args": args, "kwargs": kwargs},
                                        timeout)

        reply = asyncio.run_coroutine_threadsafe(send(), loop).result()
        if isinstance(reply, str):
            lost.append(reply)
            raise _KernelLost(reply)
        if reply.get("status") != "ran":
            raise _KernelLost(f"the answer was not found when called ({reply.get('status')})")
        return reply.get("record", {})

    outcome = await loop.run_in_executor(None, exercise.measure_remote, call)
    return lost[0] if lost else outcome


class _KernelLost(Exception):
    """The kernel could not answer a call made by a measurement."""


# --------------------------------------------------------------------------- one submission


def _kernel_env(jobs: int) -> dict:
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if jobs > 1 and "OMP_NUM_THREADS" not in os.environ:
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))
    return env


def grade_submission(path, names: list, *, timeout: float = 60.0, hide: list | None = None,
                     jobs: int = 1, label: str | None = None) -> SubmissionReport:
    """Grade one notebook on the exercises ``names``; never raises for a bad submission.

    ``hide`` are paths the submission's kernel must not see (the ``--tests`` folders).
    Every process the submission started has ended when this returns.
    """
    start = time.monotonic()
    path = Path(path)
    label = label or str(path)
    exercises = [_registry.get(n) for n in names]
    nb, why = _read(path)
    if nb is None:
        results = [e.error(f"Not graded: {why}.") for e in exercises]
        return SubmissionReport(label, results, [], time.monotonic() - start, error=why)
    _sandbox.set_subreaper()
    before = _sandbox.children()
    try:
        kernel_results, problems, cell_errors = asyncio.run(
            _run_notebook(nb, exercises, timeout=timeout, env=_kernel_env(jobs), hide=list(hide or [])))
    except Exception as error:  # the kernel could not even start: this submission's row says so
        why = f"the grader could not run this notebook ({type(error).__name__}: {error})"
        results = [e.error(f"Not graded: {why}.") for e in exercises]
        return SubmissionReport(label, results, [], time.monotonic() - start, error=why)
    finally:
        _sandbox.sweep(before)  # whatever the submission left behind (without namespaces: double forks)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    results = []
    for e in exercises:
        outcome = kernel_results.get(e.name, "not run")
        if isinstance(outcome, str):
            results.append(e._result(FAILED, f"Could not check `{e.answer}`: {outcome}.", hint=e.hint))
            continue
        try:
            spelled = _source.notebook_uses(code, e.answer, getattr(e, "forbidden", ()))
            result = e.judge_kernel(outcome, spelled=spelled)
        except Exception as error:  # malformed data from the kernel costs this exercise only
            result = e.error(f"The answer's results could not be judged ({type(error).__name__}: {error}).")
        if result.status == MISSING and _still_stub(nb, e.name):
            result = e.not_answered()  # a top-level stub raised before defining the answer
        results.append(result)
    return SubmissionReport(label, results, problems, time.monotonic() - start, cell_errors=cell_errors)


def _still_stub(nb, name: str) -> bool:
    marker = f'NotImplementedError("{name}:'
    return any(c.cell_type == "code" and marker in c.source for c in nb.cells)


def _worker_init(tests: list):
    _sandbox.set_subreaper()
    for directory in tests:
        _registry.load_tests(directory)


def _worker(args) -> SubmissionReport:
    path, names, timeout, hide, jobs, label = args
    try:
        return grade_submission(path, names, timeout=timeout, hide=hide, jobs=jobs, label=label)
    except Exception as error:  # a grader bug on one submission must not stop the batch
        results = []
        for n in names:
            try:
                results.append(_registry.get(n).error(
                    f"The grader failed on this submission ({type(error).__name__}: {error})."))
            except ValueError:
                pass
        return SubmissionReport(label, results, [], 0.0, error=f"{type(error).__name__}: {error}")


# --------------------------------------------------------------------------- the batch


def _select(patterns: list, known: list) -> list:
    chosen = []
    for pattern in patterns:
        matches = [n for n in known if fnmatch.fnmatchcase(n, pattern)]
        if not matches:
            raise ValueError(f"grade: --exercises {pattern!r} matches no registered exercise (known: {', '.join(known)})")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def _labels(paths: list) -> list:
    """Names for the CSV: the paths as given, made unique."""
    labels, seen = [], {}
    for p in paths:
        label = str(p)
        if label in seen:
            seen[label] += 1
            label = f"{label} ({seen[label]})"
        else:
            seen[label] = 1
        labels.append(label)
    return labels


def check_writable(out, feedback_dir=None) -> tuple:
    """Make sure the grade sheet and the feedback folder can be written, before any grading.

    Returns ``(out, feedback_dir)`` as paths; raises ``ValueError`` naming the one that cannot.
    """
    out = Path(out)
    if out.is_dir():
        raise ValueError(f"grade: --out is the grade sheet, a CSV file, but {str(out)!r} is a folder; "
                         f"write e.g. --out {str(out / 'grades.csv')!r}")
    feedback_dir = Path(feedback_dir) if feedback_dir else out.parent / "feedback"
    for folder, what in ((out.parent, "--out"), (feedback_dir, "the feedback folder")):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".nbcourse-write-test-"):
                pass
        except OSError as error:
            raise ValueError(f"grade: cannot write {what} in {str(folder)!r} ({error.strerror or error}); "
                             "choose a folder you can write to") from None
    if out.exists() and not os.access(out, os.W_OK):
        raise ValueError(f"grade: --out {str(out)!r} exists and cannot be overwritten")
    return out, feedback_dir


def grade(submissions, *, jobs: int = 1, timeout: float = 60.0, tests=None, exercises=None, released=None,
          progress=None, require_released: bool = False) -> list:
    """Grade notebooks; return one :class:`SubmissionReport` per submission, in order.

    Args:
        submissions: paths of submitted notebooks, or folders (every ``.ipynb`` under them).
        jobs: how many submissions to grade at once (separate processes, one kernel each).
        timeout: seconds each cell may run (and each exercise's answer may take).
        tests: folders of private exercise files (see :func:`nbcourse.exercises.load_tests`);
            no submission's kernel sees them.
        exercises: names or glob patterns (``"activations/*"``) of the exercises to grade in
            every submission.
        released: the released notebooks (student or instructor versions): every
            submission is graded on their exercises, each one a row, answered or not,
            whatever the submission holds.  Without ``exercises`` or ``released`` each
            submission is graded on the exercises it holds (see :func:`expected_exercises`):
            convenient, but then a check call the student adds counts too.
        progress: optional callable ``progress(done, total, report)`` after each submission.
        require_released: refuse to grade without ``released`` or ``exercises`` (what the
            ``nbcourse grade`` command does unless given ``--from-submissions``).

    Raises:
        ValueError: misuse (no submissions, jobs < 1, a missing file, an unknown exercise,
            a tests folder that does not exist).
    """
    paths = []
    for p in map(Path, submissions):  # a folder stands for every notebook under it
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.ipynb")  # not .ipynb_checkpoints/ nor other hidden folders
                           if not any(part.startswith(".") for part in q.relative_to(p).parts))
            if not found:
                raise ValueError(f"grade: the folder {str(p)!r} holds no .ipynb file")
            paths += found
        else:
            paths.append(p)
    if not paths:
        raise ValueError("grade: no submissions given")
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"grade: jobs must be a positive integer, got {jobs!r}")
    if not timeout or timeout <= 0:
        raise ValueError(f"grade: timeout must be a positive number of seconds, got {timeout!r}")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ValueError(f"grade: no such file: {', '.join(missing)}")
    tests = [Path(t) for t in (tests or [])]
    for directory in tests:
        if not directory.is_dir():
            raise ValueError(f"grade: --tests {str(directory)!r} is not a folder")
        _registry.load_tests(directory)
    hide = [str(t.resolve()) for t in tests]
    if require_released and not (exercises or released):
        raise ValueError("grade: say what was released: --released NOTEBOOK (the notebook the students got) or "
                         "--exercises 'chapter/*'. Without either, each submission would be graded on the "
                         "exercises it holds, and a check call a student adds would count; pass "
                         "--from-submissions to grade that way on purpose")
    if exercises or released:
        chosen = _select(list(exercises), _registry.names()) if exercises else released_exercises(released)
        per_submission = [chosen for _ in paths]
    else:
        per_submission = []
        for p in paths:
            nb, _ = _read(p)
            per_submission.append(expected_exercises(nb) if nb is not None else None)
        # a file that could not be read is graded (zero) on what the rest of the batch holds
        union = list(dict.fromkeys(n for names in per_submission if names for n in names))
        per_submission = [names if names is not None else union for names in per_submission]
    labels = _labels(paths)
    tasks = [(str(p), names, float(timeout), hide, jobs, label)
             for p, names, label in zip(paths, per_submission, labels)]
    reports = [None] * len(tasks)
    if jobs == 1 or len(tasks) == 1:
        for i, task in enumerate(tasks):
            reports[i] = _worker(task)
            if progress:
                progress(i + 1, len(tasks), reports[i])
        return reports
    context = multiprocessing.get_context("spawn")  # no forked copy of a process holding torch threads
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context,
                                                initializer=_worker_init, initargs=([str(t) for t in tests],)) as pool:
        futures = {pool.submit(_worker, task): i for i, task in enumerate(tasks)}
        done = 0
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            try:
                reports[i] = future.result()
            except Exception as error:  # a worker that died takes only its own submission down
                results = [_registry.get(n).error(f"The grader's worker failed ({type(error).__name__}).")
                           for n in tasks[i][1]]
                reports[i] = SubmissionReport(tasks[i][5], results, [], 0.0, error=str(error))
            done += 1
            if progress:
                progress(done, len(tasks), reports[i])
    return reports


def _feedback_names(labels: list) -> list:
    """File names for the feedback: each submission's path below the batch's common folder."""
    try:
        common = os.path.commonpath([str(Path(label).parent) for label in labels]) if labels else ""
    except ValueError:  # absolute and relative paths mixed
        common = ""
    names, taken = [], set()
    for label in labels:
        relative = os.path.relpath(label, common) if common else label
        stem = re.sub(r"[^A-Za-z0-9._-]+", "__", str(Path(relative).with_suffix(""))).strip("._") or "submission"
        name, k = stem, 1
        while name in taken:
            k += 1
            name = f"{stem}-{k}"
        taken.add(name)
        names.append(name + ".md")
    return names


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the whole new one, never a part."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_csv(reports: list, out: str | Path, *, feedback_dir: str | Path | None = None) -> list:
    """Write the grade sheet ``out`` and one markdown feedback file per submission.

    Feedback goes to ``feedback_dir`` (default: a ``feedback`` folder next to ``out``).
    Every file is written atomically (a temporary file renamed into place), by the
    grader's process only, after every submission's processes have ended.  Returns the
    feedback paths, in the order of ``reports``.
    """
    out, feedback_dir = check_writable(out, feedback_dir)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        for row in report.rows():
            writer.writerow([row.submission, row.exercise, _num(row.points), _num(row.max_points), row.message])
    paths = []
    for report, name in zip(reports, _feedback_names([r.submission for r in reports])):
        path = feedback_dir / name
        _write_atomically(path, report.markdown())
        paths.append(path)
    _write_atomically(out, buffer.getvalue())
    return paths
