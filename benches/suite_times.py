"""Where the test suite's time goes: each notebook's execution and each test file, slowest first.

Every pytest session of this repository records how long each test took (``tests/conftest.py`` keeps it
in pytest's cache, ``.pytest_cache/v/nbcourse/test-times``), so after any run::

    python -m pytest -n auto                 # the README's test command
    python benches/suite_times.py            # the report of that run

or both in one step (the arguments after ``--run`` go to pytest; without any, the README's command)::

    python benches/suite_times.py --run
    python benches/suite_times.py --run tests/test_notebooks.py -n 2

The report gives the command and its wall time, then three tables: the notebooks (each executed once
per session, by its test in ``tests/test_notebooks.py`` or by the book build's fixture, whichever came
first; the time is the execution's own, kernel start included), the test files (the sum of their tests'
setup, call and teardown, so a module's fixture such as the book build counts once, in its file), and
the slowest single tests. Under pytest-xdist the files' seconds add up to more than the wall time: the
workers run at once. ``--markdown FILE`` also writes the report to a file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / ".pytest_cache" / "v" / "nbcourse" / "test-times"
README_COMMAND = ["-n", "auto"]


NAN = float("nan")


def notebooks(tests: dict) -> list[tuple[str, float, float, str, str]]:
    """(notebook, execution seconds, CPU seconds, executed by, outcome) of every notebook test, slowest first."""
    rows = []
    for nodeid, test in tests.items():
        if "notebook_seconds" in test:
            name = nodeid[nodeid.index("[") + 1:-1] if "[" in nodeid else nodeid
            rows.append((name, test["notebook_seconds"], test.get("notebook_cpu_seconds", NAN),
                         test.get("executed_by", "?"), test["outcome"]))
    return sorted(rows, key=lambda r: -r[1])


def files(tests: dict) -> list[tuple[str, int, float, float, int]]:
    """(test file, tests, seconds, CPU seconds, failed) of every file, slowest first."""
    seconds: dict = defaultdict(float)
    cpu: dict = defaultdict(float)
    count: dict = defaultdict(int)
    failed: dict = defaultdict(int)
    for nodeid, test in tests.items():
        name = nodeid.split("::", 1)[0]
        seconds[name] += test["seconds"]
        cpu[name] += test.get("cpu_seconds", NAN)
        count[name] += 1
        failed[name] += test["outcome"] in ("failed", "error")
    return sorted(((n, count[n], seconds[n], cpu[n], failed[n]) for n in seconds), key=lambda r: -r[2])


def report(record: dict, slowest: int = 15) -> str:
    tests = record["tests"]
    outcomes: dict = defaultdict(int)
    for test in tests.values():
        outcomes[test["outcome"]] += 1
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record["started"]))
    lines = [f"Command: `{' '.join(record['command'])}` ({record['workers'] or 'no'} xdist workers), {when}.",
             f"Wall time: {record['wall_seconds']:.0f} s ({record['wall_seconds'] / 60:.1f} min); "
             f"{len(tests)} tests: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) + "."]
    cpu = sum(test.get("cpu_seconds", NAN) for test in tests.values())
    if cpu == cpu:
        lines.append(f"CPU time of the tests (their processes and finished children): {cpu:.0f} s, so at least "
                     f"{cpu / 2:.0f} s ({cpu / 120:.1f} min) of wall time on 2 idle cores.")
    lines.append("")

    rows = notebooks(tests)
    if rows:
        total = sum(r[1] for r in rows)
        total_cpu = sum(r[2] for r in rows)
        lines += [f"Notebooks ({len(rows)}, executed once each: {total:.0f} s in all, {total / len(rows):.0f} s on average; "
                  f"CPU {total_cpu:.0f} s, {total_cpu / len(rows):.0f} s on average)",
                  "", "| notebook | seconds | CPU seconds | executed by | outcome |", "|---|---:|---:|---|---|"]
        lines += [f"| {name} | {seconds:.1f} | {cpu:.1f} | {by} | {outcome} |" for name, seconds, cpu, by, outcome in rows]
        lines.append("")

    lines += ["Test files (seconds: the sum of their tests' setup, call and teardown)", "",
              "| file | tests | seconds | CPU seconds | failed |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {name} | {n} | {seconds:.1f} | {cpu:.1f} | {bad or ''} |" for name, n, seconds, cpu, bad in files(tests)]
    lines += ["", f"Slowest {slowest} tests", "", "| test | seconds | CPU seconds | worker |", "|---|---:|---:|---|"]
    for nodeid, test in sorted(tests.items(), key=lambda kv: -kv[1]["seconds"])[:slowest]:
        lines.append(f"| {nodeid} | {test['seconds']:.1f} | {test.get('cpu_seconds', NAN):.1f} | {test.get('worker', '')} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    pytest_args = None
    if "--run" in argv:
        at = argv.index("--run")
        argv, pytest_args = argv[:at], argv[at + 1:] or README_COMMAND
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument("--slowest", type=int, default=15, help="how many single tests to list (default 15)")
    args = parser.parse_args(argv)

    status = 0
    if pytest_args is not None:
        status = subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT)
    if not RECORD.exists():
        print(f"no timing record in {RECORD}: run the tests first (python -m pytest -n auto)", file=sys.stderr)
        return 2
    text = report(json.loads(RECORD.read_text(encoding="utf-8")), args.slowest)
    try:
        print(text)
    except BrokenPipeError:  # piped into head
        sys.stderr.close()
    if args.markdown:
        args.markdown.write_text("# Where the test suite's time goes\n\n" + text, encoding="utf-8")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
