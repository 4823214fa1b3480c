"""``python -m nbcourse ...``: the same as the ``nbcourse`` command (see :mod:`nbcourse.cli`)."""

from nbcourse.cli import main

raise SystemExit(main())
