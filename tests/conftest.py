"""What the whole suite shares: every notebook of the book executed once per test session, and a record
of how long each test took.

Two checks need the notebooks executed: ``tests/test_notebooks.py`` (each notebook runs top to bottom
without error, and its ``# NBVAL_CHECK_OUTPUT`` cells print what they stored) and ``tests/test_book.py``
(the book builds with ``-W -n`` and every page works in Chromium). One execution serves both. The
:func:`notebook_runs` fixture executes a notebook as the book build would (nbclient, the build's
timeout, the notebook's folder as working directory, ``NBCOURSE_BOOK_BUILD=1`` so that interactive
figures precompute their frames) and keeps the executed notebook in the session's temporary folder.
Whoever asks first executes it; everybody else, in any pytest-xdist worker, reads the result. The
book test then hands the executed notebooks to the build's execution cache (Jupyter Book's
``execute_notebooks: cache``), so the build executes nothing again.

At the end of every session the time of each test, and of each notebook's execution, is kept in
pytest's cache; ``python benches/suite_times.py`` prints it, slowest first.
"""

from __future__ import annotations

import json
import os
import re
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml
from filelock import FileLock, Timeout

ROOT = Path(__file__).resolve().parents[1]


def _share_the_cores() -> None:
    """Under pytest-xdist, give each worker (and the notebook kernels it starts, which inherit its
    environment) its share of the cores, so that workers do not each run torch on every core: small
    tensor operations get many times slower when threads outnumber cores. A value set by the user wins."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if workers <= 1 or "OMP_NUM_THREADS" in os.environ:
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import sys

    if "torch" in sys.modules:  # already imported: its pool is sized, resize it
        sys.modules["torch"].set_num_threads(threads)


_share_the_cores()
#: Where the timing record of the last session is kept in pytest's cache (read by benches/suite_times.py).
TIMES_KEY = "nbcourse/test-times"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def notebook_key(path: Path) -> str:
    """``book/activations/at-a-glance.ipynb`` -> ``book__activations__at-a-glance`` (a file name)."""
    path = path.resolve()
    relative = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(*path.parts[-2:])
    return str(relative.with_suffix("")).replace(os.sep, "__")


def book_timeout() -> int | None:
    """Seconds a cell may run, as in ``_config.yml`` (``execute: timeout``), so both checks agree."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")) or {}
    return (config.get("execute") or {}).get("timeout")


@dataclass
class NotebookRun:
    """One notebook executed in book-build mode."""

    path: Path          #: the notebook in book/
    nb: nbformat.NotebookNode  #: the executed notebook (up to the failing cell when ``error`` is set)
    seconds: float      #: wall time of the execution, kernel start included
    cpu_seconds: float  #: CPU time of the kernel (user + system; nan where unknown): what a busy machine does not inflate
    error: str | None   #: what went wrong, as a reader needs it (cell, source, traceback), or None
    executed_by: str    #: which test process executed it ("gw0", "gw1", or "main" without xdist)
    by_this_call: bool  #: True when this call executed it, False when it was read from an earlier run


def cpu_seconds(*, children_only: bool = False) -> float:
    """User + system CPU seconds of this process and its finished children (nan without ``resource``)."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = used.ru_utime + used.ru_stime
    if not children_only:
        used = resource.getrusage(resource.RUSAGE_SELF)
        total += used.ru_utime + used.ru_stime
    return total


def execute_notebook(path: Path, *, timeout: int | None) -> tuple[nbformat.NotebookNode, float, float, str | None]:
    """Execute ``path`` as ``jupyter-book build`` does (myst-nb, ``execute_notebooks: cache``): nbclient, in
    the notebook's folder, ``timeout`` seconds per cell unless the notebook's metadata says otherwise,
    errors not allowed, with ``NBCOURSE_BOOK_BUILD=1`` in the kernel's environment (set by
    ``nbcourse.sphinxext`` in a real build). Returns the executed notebook, the seconds, the kernel's CPU
    seconds (it is this process's only child while it runs) and the error."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from nbcourse.widgets import BOOK_BUILD_ENV

    nb = nbformat.read(path, as_version=4)
    execution = nb.metadata.get("execution", {})  # myst-nb lets a notebook override these two
    client = NotebookClient(nb, timeout=execution.get("timeout", timeout),
                            allow_errors=execution.get("allow_errors", False),
                            # as jupyter-cache executes: no timing in the cells' metadata, which the
                            # cache hashes (the build would not recognise the notebook)
                            record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    env = dict(os.environ, **{BOOK_BUILD_ENV: "1"})
    error = None
    start, cpu_start = time.perf_counter(), cpu_seconds(children_only=True)
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        failed = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                  and any(o.get("output_type") == "error" for o in cell.get("outputs", []))]
        where = f"cell {failed[0]} (counting every cell from 0)" if failed else "a cell"
        error = f"{where} raised an exception:\n{_ANSI.sub('', str(exc))}"
    except Exception as exc:  # noqa: BLE001 - a timeout, a dead kernel, a kernel that does not start
        error = "the notebook did not run to the end: " + _ANSI.sub("", "".join(traceback.format_exception_only(exc)))
    return nb, time.perf_counter() - start, cpu_seconds(children_only=True) - cpu_start, error


class NotebookRuns:
    """Each notebook executed at most once per test session, shared by every pytest-xdist worker through
    files in ``folder`` (one lock, one executed notebook and one JSON summary per notebook)."""

    def __init__(self, folder: Path, worker: str):
        self.folder = folder
        self.worker = worker
        self.timeout = book_timeout()
        folder.mkdir(parents=True, exist_ok=True)

    def _files(self, path: Path) -> tuple[Path, Path, Path]:
        stem = self.folder / notebook_key(path)
        return stem.with_suffix(".lock"), stem.with_suffix(".ipynb"), stem.with_suffix(".json")

    def get(self, path: Path, *, wait: bool = True) -> NotebookRun | None:
        """The run of ``path``: executed now if nobody has yet, else read back. Returns None instead of
        waiting when ``wait`` is False and another process is executing it right now."""
        path = Path(path).resolve()
        lock_file, nb_file, summary_file = self._files(path)
        lock = FileLock(str(lock_file))
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            return None
        try:
            if summary_file.exists():
                summary = json.loads(summary_file.read_text(encoding="utf-8"))
                return NotebookRun(path, nbformat.read(nb_file, as_version=4), summary["seconds"],
                                   summary["cpu_seconds"], summary["error"], summary["executed_by"], by_this_call=False)
            nb, seconds, cpu, error = execute_notebook(path, timeout=self.timeout)
            nbformat.write(nb, nb_file)
            summary = {"path": str(path), "seconds": seconds, "cpu_seconds": cpu, "error": error,
                       "executed_by": self.worker}
            summary_file.write_text(json.dumps(summary, indent=1), encoding="utf-8")  # written last: the run is complete
            return NotebookRun(path, nb, seconds, cpu, error, self.worker, by_this_call=True)
        finally:
            lock.release()

    def all(self, paths: list[Path]) -> list[NotebookRun]:
        """The runs of every notebook in ``paths``, in that order. Works beside the other workers: first
        executes, from the end of the list backwards (the notebook tests go forwards), every notebook that
        nobody is executing, then waits for those that others were executing."""
        runs: dict[Path, NotebookRun] = {}
        busy = []
        for path in reversed(paths):
            run = self.get(path, wait=False)
            if run is None:
                busy.append(path)
            else:
                runs[path] = run
        for path in busy:
            runs[path] = self.get(path)
        return [runs[path] for path in paths]


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory) -> NotebookRuns:
    """Every notebook executed once per session (see the module's docstring)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker != "main" else base  # xdist: <session basetemp>/popen-gwN per worker
    return NotebookRuns(shared / "executed-notebooks", worker)


# ----------------------------------------------------------------------------------- scheduling
NOTEBOOK_TEST = "tests/test_notebooks.py::test_notebook_runs_and_prints_what_it_stored"
#: Test files whose tests must run in one pytest-xdist worker: they share a module-scoped fixture that
#: must happen once (the book build).
TOGETHER = ("tests/test_book.py",)


def pytest_collection_modifyitems(config, items):
    """The notebooks first: they are the longest tests, and the book's tests need them all."""
    first = [item for item in items if item.nodeid.startswith(NOTEBOOK_TEST)]
    if first:
        rest = [item for item in items if not item.nodeid.startswith(NOTEBOOK_TEST)]
        items[:] = first + rest


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``-n N``: each test goes to the next free worker, except the tests of a file in :data:`TOGETHER`,
    which go to one worker, first (xdist sends the largest group first): that worker's book fixture
    executes notebooks from the end of the list while the other workers take the notebook tests from
    the start, then it builds the book once. (xdist's own ``--dist loadgroup`` would do the grouping,
    but its ``xdist_group`` marks do nothing with pytest 9's node ids, in xdist 3.8.)"""
    if config.getvalue("dist") != "load":
        return None  # another --dist the user asked for
    from xdist.scheduler import LoadScopeScheduling

    class BookInOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return file if file in TOGETHER else nodeid

    return BookInOneWorker(config, log)


# ---------------------------------------------------------------------------------- time record
_TIMES: dict = {}
_CPU_START = pytest.StashKey[float]()


def pytest_sessionstart(session):
    _TIMES.clear()
    _TIMES.update(started=time.time(), tests={})


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[_CPU_START] = cpu_seconds()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report carries the test's CPU seconds so far (its process and finished children:
    kernels, subprocesses), which a busy machine inflates far less than wall time."""
    report = yield
    if _CPU_START in item.stash:
        report.user_properties = [*report.user_properties,
                                  ("cpu_seconds", round(cpu_seconds() - item.stash[_CPU_START], 2))]
    return report


def pytest_runtest_logreport(report):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a worker: its reports reach the controller, which records them
    test = _TIMES.setdefault("tests", {}).setdefault(report.nodeid, {"seconds": 0.0, "outcome": "passed"})
    test["seconds"] += report.duration  # setup (fixtures such as the book build), call and teardown
    test["worker"] = getattr(report, "worker_id", "main")
    if report.failed:
        test["outcome"] = "failed" if report.when == "call" else "error"
    elif report.skipped and test["outcome"] == "passed":
        test["outcome"] = "skipped"
    for name, value in report.user_properties:
        test[name] = value


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if hasattr(config, "workerinput") or getattr(config, "cache", None) is None or not _TIMES.get("tests"):
        return
    config.cache.set(TIMES_KEY, {
        "command": ["python", "-m", "pytest", *config.invocation_params.args],
        "workers": getattr(config.option, "numprocesses", None) or 0,
        "started": _TIMES["started"],
        "wall_seconds": time.time() - _TIMES["started"],
        "exitstatus": int(exitstatus),
        "tests": _TIMES["tests"],
    })
