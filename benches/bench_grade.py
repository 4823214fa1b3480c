"""Grading a submission against running its notebook: ``nbcourse grade`` should cost about one run.

For each notebook (default: every notebook of ``book/`` that holds exercises), the same run
times, interleaved:

- *run*: nbclient executes the notebook in a fresh ``python3`` kernel (the baseline: what a
  student's "Run all" costs, kernel start included);
- *grade*: :func:`nbcourse.exercises._grade.grade_submission` grades it (a fresh kernel, every
  cell, then one grader cell per exercise, judged in this process).

The table gives the median of each, and their ratio ``grade / run``; the target is a ratio close
to 1 (grading adds a sealed kernel's start and one request per exercise). The last lines grade
``--copies`` copies of the first notebook with ``--jobs 1`` and with ``--jobs N`` and report
seconds per submission for each, their ratio (the speed-up), and what a class of ``--class-size``
students (default 300) would take at that rate on this machine.

Run from the repository root::

    python benches/bench_grade.py                       # every book notebook with exercises, 3 repeats
    python benches/bench_grade.py book/activations/at-a-glance.ipynb --repeats 5
    python benches/bench_grade.py --copies 4 --jobs 2
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def book_notebooks() -> list:
    from nbcourse.exercises._notebook import exercise_names

    found = []
    for path in sorted((ROOT / "book").rglob("*.ipynb")):
        if "_build" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        if exercise_names(nbformat.read(path, as_version=4)):
            found.append(path)
    return found


def time_run(path: Path, timeout: float) -> float:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        NotebookClient(nb, timeout=int(timeout), kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": folder}}).execute(stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def time_grade(path: Path, timeout: float) -> tuple:
    from nbcourse.exercises._grade import expected_exercises, grade_submission

    names = expected_exercises(nbformat.read(path, as_version=4))
    start = time.perf_counter()
    report = grade_submission(path, names, timeout=timeout)
    return time.perf_counter() - start, report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to time (default: the book's with exercises)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side per notebook (default 3)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per-cell time limit in seconds (default 300)")
    parser.add_argument("--copies", type=int, default=4, help="copies graded for the --jobs line (0: skip)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs for the last line (default 2)")
    parser.add_argument("--class-size", type=int, default=300, help="students in the class estimate (default 300)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or book_notebooks()
    if not notebooks:
        raise SystemExit("no notebook with exercises found")

    print(f"{'notebook':<52}{'run s':>8}{'grade s':>9}{'grade/run':>11}{'points':>10}")
    for path in notebooks:
        runs, grades, report = [], [], None
        for _ in range(args.repeats):
            runs.append(time_run(path, args.timeout))
            seconds, report = time_grade(path, args.timeout)
            grades.append(seconds)
        run, grade = statistics.median(runs), statistics.median(grades)
        name = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        print(f"{name[-52:]:<52}{run:8.2f}{grade:9.2f}{grade / run:11.2f}{report.points:6g}/{report.max_points:g}")

    if args.copies > 0:
        from nbcourse.exercises._grade import grade

        with tempfile.TemporaryDirectory() as folder:
            copies = []
            for i in range(args.copies):
                copies.append(Path(folder) / f"copy{i}.ipynb")
                shutil.copy(notebooks[0], copies[-1])
            timings = {}
            for jobs in (1, args.jobs):
                start = time.perf_counter()
                grade(copies, jobs=jobs, timeout=args.timeout)
                timings[jobs] = time.perf_counter() - start
        from nbcourse.exercises import _sandbox

        sealed = "PID + mount namespaces" if _sandbox.available() else "subreaper only (no namespaces here)"
        print(f"\n{args.copies} copies of {notebooks[0].name}, each kernel sealed by: {sealed}")
        print(f"{'':<12}{'s / submission':>16}{'vs --jobs 1':>13}{f'class of {args.class_size}':>16}")
        for jobs in (1, args.jobs):
            per = timings[jobs] / args.copies
            total = per * args.class_size
            print(f"--jobs {jobs:<5}{per:16.2f}{timings[1] / timings[jobs]:12.2f}x{total / 60:13.1f} min")


if __name__ == "__main__":
    main()
