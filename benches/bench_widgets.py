"""What each interactive figure costs the book build: seconds to draw its whole grid, and page weight.

The book build precomputes every frame of every interactive figure (``nbcourse.widgets``) that a page
shows; a figure with a fine grid or a slow figure function makes the build slow and the page heavy. For
every registered widget (``nbcourse.widgets.registered()``, the same set ``tests/test_widgets.py`` draws),
this script draws the whole grid as the build does and reports:

- *frames* and *seconds*: the grid's size and the time to draw all of it (``Interactive.precompute``);
- *× empty frame*: those seconds against a baseline measured in the same run: saving, for every frame, a
  figure of the same pixel size holding one line, through the same PNG path (``Interactive.save``). A
  ratio near 1 means the frames cost what any frame costs; a large ratio means the figure function
  itself (training, a loss surface) dominates, which a coarser grid or a cache inside the function fixes;
- *page MB* and *KB / frame*: the kernel-free HTML the page carries (``Interactive.to_html``).

Targets: at most 20 s for a figure's grid on this 2-core machine, and under 3 MB per page (the book
build itself fails a heavier page, and ``tests/test_widgets.py`` fails a heavier figure). Speed is only
measured here, never asserted in the tests. Run from the repository root::

    python benches/bench_widgets.py                              # every registered widget
    python benches/bench_widgets.py --only line_example landscape  # names containing these words
    python benches/bench_widgets.py --markdown benches/results/widgets.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

BUDGET_SECONDS = 20.0
BUDGET_BYTES = 3_000_000


def empty_frame_seconds(view, frame, repeats: int) -> float:
    """Median seconds to save a one-line figure of ``frame``'s pixel size through ``view``'s PNG path."""
    times = []
    for _ in range(repeats):
        fig, ax = plt.subplots(figsize=(frame.width / view.dpi, frame.height / view.dpi))
        ax.plot([0, 1, 2], [0, 1, 0])
        start = time.perf_counter()
        view.save(fig, frame.values)
        times.append(time.perf_counter() - start)
        plt.close(fig)
    return statistics.median(times)


def measure(name: str, factory, repeats: int) -> dict:
    view = factory()
    start = time.perf_counter()
    frames = view.precompute()
    seconds = time.perf_counter() - start
    page = len(view.to_html(frames).encode())
    baseline = empty_frame_seconds(view, frames[0], repeats) * len(frames)
    return {"name": name.removeprefix("nbcourse."), "frames": len(frames), "seconds": seconds,
            "ratio": seconds / baseline, "page": page, "per_frame": page / len(frames)}


def table(rows: list[dict]) -> str:
    lines = ["| widget | frames | seconds | × empty frame | page MB | KB / frame |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: -r["seconds"]):
        slow = " (over 20 s)" if r["seconds"] > BUDGET_SECONDS else ""
        heavy = " (over 3 MB)" if r["page"] >= BUDGET_BYTES else ""
        lines.append(f"| {r['name']} | {r['frames']} | {r['seconds']:.1f}{slow} | {r['ratio']:.1f} | "
                     f"{r['page'] / 1e6:.2f}{heavy} | {r['per_frame'] / 1e3:.0f} |")
    total = sum(r["seconds"] for r in rows)
    lines.append(f"| **all {len(rows)}** | {sum(r['frames'] for r in rows)} | {total:.1f} | | "
                 f"{sum(r['page'] for r in rows) / 1e6:.2f} | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="widgets whose name contains one of these words")
    parser.add_argument("--repeats", type=int, default=5, help="empty frames saved for the baseline (default 5)")
    parser.add_argument("--markdown", type=Path, help="also write the table, with the machine, to this file")
    args = parser.parse_args(argv)

    from nbcourse import widgets

    os.environ.pop(widgets.BOOK_BUILD_ENV, None)  # the progress bars below are for the terminal
    registry = widgets.registered()
    names = sorted(n for n in registry if not args.only or any(word in n for word in args.only))
    if not names:
        print(f"no registered widget matches {args.only}; registered: {sorted(registry)}", file=sys.stderr)
        return 2
    rows = []
    for name in names:
        print(f"drawing {name} ...", file=sys.stderr, flush=True)
        rows.append(measure(name, registry[name], args.repeats))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (f"Measured on {os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), "
              f"load average {load:.1f} at the end, Python {platform.python_version()}, "
              f"matplotlib {matplotlib.__version__}.\n"
              f"Command: `python benches/bench_widgets.py{' --only ' + ' '.join(args.only) if args.only else ''}`. "
              "Seconds: the whole grid drawn once, as the book build does. × empty frame: those seconds over the "
              "time to save as many one-line figures of the same pixel size through the same PNG path (median of "
              f"{args.repeats}). Page MB: the kernel-free HTML the page carries.\n"
              f"Targets: at most {BUDGET_SECONDS:.0f} s per figure; under {BUDGET_BYTES / 1e6:.0f} MB per page "
              "(enforced by the book build and tests/test_widgets.py).")
    text = f"{header}\n\n{table(rows)}\n"
    print(text)
    if args.markdown:
        args.markdown.write_text("# Interactive figures: drawing time and page weight\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
