"""Grading submitted notebooks: each in a fresh kernel, judged in the grader's own process.

For one submission the grader

1. reads the notebook (a file that is not notebook JSON is graded zero, with the reason);
2. starts a fresh ``python3`` kernel (nbclient) in an empty temporary folder and runs
   every code cell in notebook order, each with a time limit; a cell that raises is
   recorded and the next cell runs; a cell that never ends is interrupted (or, when the
   kernel no longer answers, the kernel is restarted and the cells that worked are run
   again without it);
3. for each exercise, runs one grader cell in that kernel: the code of
   :mod:`nbcourse.exercises._harness`, read from the grader's installed package, calls the
   student's function on the exercise's inputs and writes the results as JSON to a file
   only the grader knows;
4. judges those results here, with this process's numpy and torch and the package's
   references: nothing the notebook did to its own kernel (redefining ``check``,
   printing "passed", patching ``numpy.allclose`` or ``nbcourse``) reaches the verdict.

Points are the registry's, never the notebook's metadata.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import dataclasses
import fnmatch
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from nbcourse.exercises import _core, _notebook

__all__ = ["GradeRow", "SubmissionReport", "grade", "write_csv", "expected_exercises"]

HARNESS_FILE = Path(__file__).with_name("_harness.py")
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
            f"**Total: {_core._num(self.points)} / {_core._num(self.max_points)} points** "
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
    """The registered exercises a notebook should answer.

    Those it names (metadata, check calls), plus every exercise registered for the same
    book page (``notebook=``), so deleting an exercise's cells does not hide it.
    """
    registry = registry or _core.REGISTRY
    found = []
    for name in _notebook.exercise_names(nb):
        try:
            found.append(registry.get(name))
        except ValueError:
            continue
    pages = {e.notebook for e in found if e.notebook}
    if pages:
        chapters = {e.chapter for e in found}
        for chapter in chapters:
            for name in registry.names(chapter):
                exercise = registry.get(name)
                if exercise.notebook in pages and exercise not in found:
                    found.append(exercise)
    return [e.name for e in found]


# --------------------------------------------------------------------------- the kernel


class _Kernel:
    """A fresh ``python3`` kernel driven by nbclient, one cell at a time."""

    def __init__(self, workdir: str, env: dict):
        self.workdir = workdir
        self.env = env
        self.client = None

    async def start(self):
        from nbclient import NotebookClient

        self.client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name="python3",  # never the submission's kernelspec
            allow_errors=True,
            interrupt_on_timeout=False,
            record_timing=False,
            shutdown_kernel="immediate",
            startup_timeout=120,
            resources={"metadata": {"path": self.workdir}},
        )
        self.client.create_kernel_manager()
        # the kernel's own stderr (ipykernel's start-up warnings) would clutter the grader's output
        await self.client.async_start_new_kernel(cwd=self.workdir, env=self.env, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL)
        await self.client.async_start_new_kernel_client()

    async def run(self, source: str, timeout: float) -> tuple:
        """``("ok",)``, ``("error", ename, evalue)``, ``("timeout",)`` or ``("dead",)``."""
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
        return ("ok",)

    @staticmethod
    async def _cancel_pollers():
        # nbclient leaves the timed-out cell's output poller running (a timeout is a "control
        # signal" to it); that task would swallow the next cells' messages. This event loop
        # runs only this kernel's tasks, so every other task is such a leftover.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
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
        if self.client is not None and self.client.km is not None:
            try:
                await self.client._async_cleanup_kernel()
            except Exception:
                pass
        self.client = None


def _harness_cell(spec: dict, out_path: str) -> str:
    """A cell that defines the harness in a private namespace and runs one exercise.

    Builtins are reached through the ``builtins`` module, so a notebook that happens to
    define ``exec`` or ``globals`` does not break grading.
    """
    source = HARNESS_FILE.read_text(encoding="utf-8")
    return (
        "import builtins as _nbcourse_b\n"
        "_nbcourse_g = {'__name__': '_nbcourse_grader', '__builtins__': _nbcourse_b}\n"
        f"_nbcourse_b.exec(_nbcourse_b.compile({source!r}, '<nbcourse grader>', 'exec'), _nbcourse_g)\n"
        f"_nbcourse_g['kernel_entry']({json.dumps(spec)!r}, _nbcourse_b.globals(), {out_path!r})\n"
        "del _nbcourse_b, _nbcourse_g\n"
    )


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return text.strip().splitlines()[0][:200] if text.strip() else ""


async def _run_notebook(nb, specs: dict, *, timeout: float, env: dict) -> tuple:
    """Run the submission's cells, then one grader cell per exercise.

    Returns ``(results, problems, cell_errors)``: ``results`` maps exercise name to the
    harness's dict or to a string saying why there is none; ``problems`` are sentences for
    the feedback; ``cell_errors`` are ``(cell index, exception name or "timeout"/"dead")``.
    """
    workdir = tempfile.mkdtemp(prefix="nbcourse-grade-")
    result_dir = tempfile.mkdtemp(prefix="nbcourse-results-")
    problems, results, cell_errors = [], {}, []
    kernel = _Kernel(workdir, env)
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    grace = min(10.0, max(2.0, timeout))
    restarts = 0
    try:
        await kernel.start()
        good = []  # sources that ran without killing or hanging the kernel
        for index, cell in code:
            outcome = await kernel.run(cell.source, timeout)
            if outcome[0] == "ok":
                good.append(cell.source)
                continue
            if outcome[0] == "error":
                problems.append(f"cell {index} raised {outcome[1]}: {_first_line(outcome[2])}")
                cell_errors.append((index, outcome[1]))
                good.append(cell.source)
                continue
            cell_errors.append((index, outcome[0]))
            if outcome[0] == "timeout":
                problems.append(f"cell {index} was still running after {timeout:g} s and was stopped")
                if await kernel.recover(grace):
                    continue
            else:
                problems.append(f"cell {index} made the kernel die (it was restarted without that cell)")
            # the kernel is dead or deaf: start a fresh one and run again what worked
            restarts += 1
            await kernel.stop()
            if restarts > 2:
                problems.append("the kernel was lost three times; the remaining cells were not run")
                break
            kernel = _Kernel(workdir, env)
            await kernel.start()
            replayed = []
            for source in good:
                again = await kernel.run(source, timeout)
                if again[0] in ("ok", "error"):
                    replayed.append(source)
                else:
                    problems.append("a cell that had worked failed when run again after a restart")
                    await kernel.stop()
                    kernel = _Kernel(workdir, env)
                    await kernel.start()
                    break
            good = replayed
        for k, (name, spec) in enumerate(specs.items()):
            out_path = os.path.join(result_dir, f"{k}-{os.urandom(8).hex()}.json")
            if kernel.client is None:
                results[name] = "the notebook's kernel was lost before this exercise could be graded"
                continue
            outcome = await kernel.run(_harness_cell(spec, out_path), timeout)
            if outcome[0] in ("timeout", "dead"):
                results[name] = (f"calling the answer took longer than {timeout:g} s"
                                 if outcome[0] == "timeout" else "the kernel died while calling the answer")
                if outcome[0] == "dead" or not await kernel.recover(grace):
                    await kernel.stop()
                    kernel = _Kernel(workdir, env)
                    await kernel.start()
                    for source in good:
                        await kernel.run(source, timeout)
                continue
            try:
                if os.path.getsize(out_path) > MAX_RESULT_BYTES:
                    results[name] = "the answer's results were too large to read"
                    continue
                with open(out_path, encoding="utf-8") as f:
                    data = json.load(f)
                results[name] = data if isinstance(data, dict) else "the answer's results were unreadable"
            except (OSError, ValueError):
                detail = f" ({outcome[1]}: {_first_line(outcome[2])})" if outcome[0] == "error" else ""
                results[name] = f"the grader could not call the answer{detail}"
    finally:
        await kernel.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(result_dir, ignore_errors=True)
    return results, problems, cell_errors


# --------------------------------------------------------------------------- one submission


def _kernel_env(jobs: int) -> dict:
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if jobs > 1 and "OMP_NUM_THREADS" not in os.environ:
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))
    return env


def grade_submission(path, names: list, *, timeout: float = 60.0, tests: list | None = None,
                     jobs: int = 1, label: str | None = None) -> SubmissionReport:
    """Grade one notebook on the exercises ``names``; never raises for a bad submission."""
    start = time.monotonic()
    path = Path(path)
    label = label or str(path)
    exercises = [_core.get(n) for n in names]
    nb, why = _read(path)
    if nb is None:
        results = [e.error(f"Not graded: {why}.") for e in exercises]
        return SubmissionReport(label, results, [], time.monotonic() - start, error=why)
    specs = {}
    for e in exercises:
        spec = e.kernel_spec()
        spec["tests"] = [str(p) for p in (tests or [])]
        specs[e.name] = spec
    try:
        kernel_results, problems, cell_errors = asyncio.run(_run_notebook(nb, specs, timeout=timeout, env=_kernel_env(jobs)))
    except Exception as error:  # the kernel could not even start: this submission's row says so
        why = f"the grader could not run this notebook ({type(error).__name__}: {error})"
        results = [e.error(f"Not graded: {why}.") for e in exercises]
        return SubmissionReport(label, results, [], time.monotonic() - start, error=why)
    results = []
    for e in exercises:
        outcome = kernel_results.get(e.name, "not run")
        if isinstance(outcome, str):
            results.append(e._result(_core.FAILED, f"Could not check `{e.answer}`: {outcome}.", hint=e.hint))
            continue
        try:
            result = e.judge_kernel(outcome, source=_notebook.definition_source(nb, e.answer))
        except Exception as error:  # malformed data from the kernel costs this exercise only
            result = e.error(f"The answer's results could not be judged ({type(error).__name__}: {error}).")
        if result.status == _core.MISSING and _still_stub(nb, e.name):
            result = e.not_answered()  # a top-level stub raised before defining the answer
        results.append(result)
    return SubmissionReport(label, results, problems, time.monotonic() - start, cell_errors=cell_errors)


def _still_stub(nb, name: str) -> bool:
    marker = f'NotImplementedError("{name}:'
    return any(c.cell_type == "code" and marker in c.source for c in nb.cells)


def _worker_init(tests: list):
    for directory in tests:
        _core.load_tests(directory)


def _worker(args) -> SubmissionReport:
    path, names, timeout, tests_files, jobs, label = args
    try:
        return grade_submission(path, names, timeout=timeout, tests=tests_files, jobs=jobs, label=label)
    except Exception as error:  # a grader bug on one submission must not stop the batch
        results = []
        for n in names:
            try:
                results.append(_core.get(n).error(f"The grader failed on this submission ({type(error).__name__}: {error})."))
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


def grade(submissions, *, jobs: int = 1, timeout: float = 60.0, tests=None, exercises=None,
          progress=None) -> list:
    """Grade notebooks; return one :class:`SubmissionReport` per submission, in order.

    Args:
        submissions: paths of submitted notebooks, or folders (every ``.ipynb`` under them).
        jobs: how many submissions to grade at once (separate processes, one kernel each).
        timeout: seconds each cell may run (and each exercise's answer may take).
        tests: folders of private exercise files (see :func:`nbcourse.exercises.load_tests`).
        exercises: names or glob patterns (``"activations/*"``) of the exercises to grade in
            every submission; by default each submission is graded on the exercises it
            names and those registered for the same book page.
        progress: optional callable ``progress(done, total, report)`` after each submission.

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
    test_files = []
    for directory in tests:
        if not directory.is_dir():
            raise ValueError(f"grade: --tests {str(directory)!r} is not a folder")
        _core.load_tests(directory)
        test_files += [str(p.resolve()) for p in sorted(directory.glob("*.py"))]
    if exercises:
        chosen = _select(list(exercises), _core.names())
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
    tasks = [(str(p), names, float(timeout), test_files, jobs, label)
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
                names = tasks[i][1]
                results = [_core.get(n).error(f"The grader's worker failed ({type(error).__name__})." ) for n in names]
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


def write_csv(reports: list, out: str | Path, *, feedback_dir: str | Path | None = None) -> list:
    """Write the grade sheet ``out`` and one markdown feedback file per submission.

    Feedback goes to ``feedback_dir`` (default: a ``feedback`` folder next to ``out``).
    Returns the feedback paths, in the order of ``reports``.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    feedback_dir = Path(feedback_dir) if feedback_dir else out.parent / "feedback"
    feedback_dir.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for report in reports:
            for row in report.rows():
                writer.writerow([row.submission, row.exercise, _core._num(row.points), _core._num(row.max_points),
                                 row.message])
    paths = []
    for report, name in zip(reports, _feedback_names([r.submission for r in reports])):
        path = feedback_dir / name
        path.write_text(report.markdown(), encoding="utf-8")
        paths.append(path)
    return paths
