"""The ``nbcourse`` command: release student notebooks and grade submissions.

::

    nbcourse release book/activations/at-a-glance.ipynb --out release/
    nbcourse grade submissions/ --released release/at-a-glance.ipynb --out grades.csv --jobs 4 [--tests private/]
    nbcourse book [--student]
    nbcourse exercises [CHAPTER]

Exit status: 0 when the command did its work (a submission that fails, hangs or is not a
notebook is a row in the grade sheet, not an error of the command), 2 when the command is
misused (no files, a file that does not exist, a bad option), 1 when release finds
malformed solution markers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value:g}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nbcourse",
        description="Release student notebooks and grade submitted ones (course: Activations, Losses and Architectures).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    release = sub.add_parser(
        "release",
        help="write student notebooks: solutions replaced by stubs, hidden cells removed",
        description="Write the student version of each SOURCE notebook (or every notebook under a SOURCE folder): "
                    "code between '# BEGIN SOLUTION' and '# END SOLUTION' becomes a stub raising "
                    "NotImplementedError, cells marked hidden are removed, outputs are stripped.",
    )
    release.add_argument("sources", nargs="+", metavar="SOURCE", help="instructor notebooks or folders of notebooks")
    release.add_argument("--out", required=True, metavar="DIR", help="folder for the student notebooks")

    grade = sub.add_parser(
        "grade",
        help="grade submitted notebooks into a CSV and per-student feedback",
        description="Run each submission in a fresh kernel and grade every exercise it should answer. Writes a CSV "
                    "(submission, exercise, points, max_points, message) and a markdown feedback file per "
                    "submission in a 'feedback' folder next to the CSV.",
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="submitted .ipynb files, or folders (every .ipynb under them)")
    grade.add_argument("--out", required=True, metavar="CSV", help="the grade sheet to write")
    grade.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                       help="submissions graded at once, each in its own process and kernel (default 1)")
    grade.add_argument("--timeout", type=_positive_float, default=60.0, metavar="SECONDS",
                       help="time limit of each cell, and of each exercise's check (default 60)")
    grade.add_argument("--tests", action="append", default=[], metavar="DIR",
                       help="folder of private exercise files (Python files calling nbcourse.exercises.register); "
                            "may be repeated")
    grade.add_argument("--released", action="append", default=[], metavar="NOTEBOOK",
                       help="the notebook given to students (or its instructor version): every submission gets a "
                            "row for each of its exercises, answered or not; may be repeated. Recommended")
    grade.add_argument("--exercises", action="append", default=[], metavar="NAME",
                       help="grade exactly these exercises (names or patterns like 'activations/*') in every "
                            "submission; may be repeated. One of --released, --exercises or --from-submissions is required")
    grade.add_argument("--from-submissions", action="store_true",
                       help="without --released or --exercises, grade each submission on the exercises it holds "
                            "(a check call a student adds then counts; for trusted notebooks only)")
    grade.add_argument("--feedback", metavar="DIR", default=None,
                       help="folder for the feedback files (default: 'feedback' next to the CSV)")
    grade.add_argument("--quiet", action="store_true", help="do not print progress")

    book = sub.add_parser(
        "book",
        help="build the online book: the full edition, or with --student the edition without solutions",
        description="Build the book with jupyter-book (-W -n --keep-going). By default the full edition, "
                    "solutions folded behind 'Show solution', into _build/html. With --student: the edition "
                    "students get from 'nbcourse release' (solutions replaced by stubs, no output that shows a "
                    "solution or a pass), into _build/student/source/_build/html, so the course can be "
                    "published while it is graded.",
    )
    book.add_argument("root", nargs="?", default=".", help="the folder holding _config.yml (default: .)")
    book.add_argument("--student", action="store_true", help="build the student edition (no solutions)")
    book.add_argument("--out", default=None, metavar="DIR",
                      help="with --student: where to put the edition (default ROOT/_build/student)")

    listing = sub.add_parser("exercises", help="list the registered exercises")
    listing.add_argument("chapter", nargs="?", default=None, help="only this chapter's exercises")
    listing.add_argument("--tests", action="append", default=[], metavar="DIR", help="also load private exercises")
    return parser


def _release(args) -> int:
    from nbcourse.exercises._notebook import ReleaseError, release

    missing = [s for s in args.sources if not Path(s).exists()]
    if missing:
        print(f"nbcourse release: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        written = release(args.sources, args.out)
    except ReleaseError as error:
        print(f"nbcourse release: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("nbcourse release: no notebook found in the sources", file=sys.stderr)
        return 2
    return 0


def _grade(args) -> int:
    from nbcourse.exercises._grade import check_writable, grade, write_csv

    out = Path(args.out)
    if out.is_dir() or args.out.endswith(("/", "\\")):
        print(f"nbcourse grade: --out is the grade sheet, a CSV file, but {args.out!r} is a folder; "
              f"write e.g. --out {str(out / 'grades.csv')!r}", file=sys.stderr)
        return 2
    try:  # before any grading: results that cannot be written would be lost
        check_writable(out, args.feedback)
    except ValueError as error:
        print(f"nbcourse {error}", file=sys.stderr)
        return 2

    def progress(done, total, report):
        if not args.quiet:
            print(f"[{done}/{total}] {report.submission}: {report.points:g}/{report.max_points:g} "
                  f"({report.seconds:.1f} s)", file=sys.stderr, flush=True)

    try:
        reports = grade(args.submissions, jobs=args.jobs, timeout=args.timeout, tests=args.tests,
                        exercises=args.exercises or None, released=args.released or None, progress=progress,
                        require_released=not args.from_submissions)
    except ValueError as error:
        print(f"nbcourse {error}", file=sys.stderr)
        return 2
    feedback = write_csv(reports, args.out, feedback_dir=args.feedback)
    if not args.quiet:
        print(f"wrote {args.out} ({sum(len(r.rows()) for r in reports)} rows) and {len(feedback)} feedback files "
              f"in {Path(feedback[0]).parent if feedback else '-'}", file=sys.stderr)
    return 0


def _book(args) -> int:
    import subprocess

    if not Path(args.root, "_config.yml").is_file():
        print(f"nbcourse book: {args.root!r} has no _config.yml; run it from the course's root", file=sys.stderr)
        return 2
    if not args.student:
        return subprocess.call(["jupyter-book", "build", "-W", "-n", "--keep-going", args.root])
    from nbcourse.exercises._student_book import build_student_book

    try:
        html = build_student_book(args.root, out=args.out, progress=lambda line: print(line, file=sys.stderr))
    except (FileNotFoundError, RuntimeError) as error:
        print(f"nbcourse {error}", file=sys.stderr)
        return 1
    print(f"the student edition is in {html} (open index.html)")
    return 0


def _list(args) -> int:
    from nbcourse import exercises

    try:
        for directory in args.tests:
            exercises.load_tests(directory)
        names = exercises.names(args.chapter)
    except ValueError as error:
        print(f"nbcourse exercises: {error}", file=sys.stderr)
        return 2
    for name in names:
        e = exercises.get(name)
        print(f"{name:40s} {e.points:g} pt  {e.answer:28s} {e.title}")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``nbcourse`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse prints its own message
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return {"release": _release, "grade": _grade, "book": _book, "exercises": _list}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
