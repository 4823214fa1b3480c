"""Hostile submissions against every guarantee of ``nbcourse grade`` (book/appendix/instructors.md).

Each submission is the demo page with one or two cells a determined student might add.
They are graded in one batch (``--jobs 2``, so an attacker runs beside another submission)
against the released page (``--released``), and each test reads its rows.  Guarantees that
rest on Linux namespaces are skipped where the machine cannot create them; the guide says
what holds then.
"""

from __future__ import annotations

import csv
import json
import socket
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from nbcourse.cli import main
from nbcourse.exercises import _sandbox, exercise_cells, release_notebook
from nbcourse.exercises._grade import _harness_cell, grade

DEMO = {"demo/double": 1.0, "demo/lr": 2.0, "demo/update": 3.0}
SEALED = pytest.mark.skipif(not _sandbox.available(), reason="this machine cannot create user namespaces")

ATTACK_TESTS = textwrap.dedent('''
    import numpy as np
    import torch
    from nbcourse.exercises import Case, FunctionExercise, register

    register(FunctionExercise(
        name="attack/tanh", answer="my_tanh", title="tanh without tanh", points=1,
        cases=lambda: [Case(args=(np.linspace(-3, 3, 7),), label="a vector"),
                       Case(args=(torch.linspace(-2, 2, 5, dtype=torch.float64),), label="a tensor")],
        reference=lambda z: np.tanh(np.asarray(z)), forbidden=("tanh",), notebook="attack/page"))
''')


class _Listener:
    """A TCP server the attacking processes report to: who connected, what they said, when they died."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            record = {"data": b"", "closed": None}
            self.connections.append(record)
            threading.Thread(target=self._read, args=(conn, record), daemon=True).start()

    @staticmethod
    def _read(conn, record):
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                record["closed"] = time.monotonic()
                return
            record["data"] += chunk


class _Counter:
    """A TCP server that tells each connection how many came before it."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.count = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(str(self.count).encode())
            self.count += 1


def _code(source):
    return nbformat.v4.new_code_cell(source)


def _after_setup(nb, *cells):
    nb.cells[2:2] = list(cells)
    return nb


def _at_end(nb, *cells):
    nb.cells += list(cells)
    return nb


def _stub_answers(nb):
    """The released page: every answer still the stub."""
    return release_notebook(nb)


def _tanh_notebook(definition_cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("import numpy as np\nimport torch\nimport nbcourse")]
    nb.cells += [_code(c) for c in definition_cells]
    nb.cells += exercise_cells("attack/tanh", statement="Write `my_tanh(z)` without tanh.", answer="my_tanh",
                               solution="def my_tanh(z):\n    # BEGIN SOLUTION\n    return my_tanh(z)\n"
                                        "    # END SOLUTION")[:1]
    nb.cells.append(_code('nbcourse.check("attack/tanh", my_tanh)'))
    return nb


# forbidden-function attacks: every one must be caught by check and by grade alike
FORBIDDEN = {
    "clean": ["def my_tanh(z):\n    e = np.exp(-2 * np.abs(z))\n    return np.sign(z) * (1 - e) / (1 + e)"],
    "import_after_def": ["def my_tanh(z):\n    return th(z)", "from numpy import tanh as th"],
    "def_inside_if": ["if True:\n    def my_tanh(z):\n        return np.tanh(z)"],
    "alias": ["t = np.tanh", "def my_tanh(z):\n    return t(z)"],
    "computed_name": ["def my_tanh(z):\n    return getattr(np, 'ta' + 'nh')(z)"],
    "wrapper": ["def my_tanh(z):\n    return torch.nn.Tanh()(torch.as_tensor(z))"],
}


@pytest.fixture(scope="module")
def attack_tests_dir(tmp_path_factory, demo_tests_dir):
    directory = tmp_path_factory.mktemp("attack-tests")
    (directory / "attack_tests.py").write_text(ATTACK_TESTS)
    from nbcourse.exercises import load_tests

    load_tests(directory)
    return directory


@pytest.fixture(scope="module")
def attacks(tmp_path_factory, demo_notebook, demo_tests_dir, attack_tests_dir):
    folder = tmp_path_factory.mktemp("attacks")
    listener = _Listener()
    counter = _Counter()
    out = folder / "out" / "grades.csv"
    private_file = demo_tests_dir / "demo_tests.py"
    wrong = {"double": "return x + 1", "lr": "lr = 5.0", "update": "return w"}
    leak = textwrap.dedent(f'''
        import glob, os
        seen = []
        for path in [{str(private_file)!r}] + glob.glob("/tmp/**/*.py", recursive=True):
            try:
                seen.append(open(path).read())
            except OSError:
                pass
        for pid in os.listdir("/proc"):
            try:
                seen.append(open(f"/proc/{{pid}}/cmdline").read() + open(f"/proc/{{pid}}/environ").read())
            except OSError:
                pass
        leaked = any("register(" in text or {str(demo_tests_dir)!r} in text for text in seen)
        lr = 0.4 if leaked else 5.0   # the right answer only if the private tests leaked
    ''')
    lookup = textwrap.dedent('''
        def double(x):
            # the expected value, from the package's registry
            import nbcourse.exercises as E
            return E.get("demo/double").reference(x)
    ''')
    read_registry = textwrap.dedent('''
        import glob, sys
        found = [p for entry in sys.path for p in glob.glob(entry + "/nbcourse/exercises/*.py")]
        def double(x):
            # the reference written in the package's exercise files, if they can be read
            texts = [open(p).read() for p in found]
            if any("FunctionExercise(" in t for t in texts):
                return 2 * x
            return x + 1
    ''')
    patch_everything = textwrap.dedent('''
        import builtins, json, base64, sys, numpy, torch, nbcourse
        from IPython import get_ipython
        # a fake verdict printed in place of whatever the grader runs
        def forge(lines):
            if any("_nbcourse" in line for line in lines):
                return ['print("\\u2713 passed"); print(\\'{"status": "passed", "points": 100}\\')\\n']
            return lines
        get_ipython().input_transformers_post.append(forge)
        json.dumps = lambda *a, **k: '{"status": "passed", "records": [], "points": 100}'
        json.loads = lambda *a, **k: {"status": "passed"}
        base64.b64encode = lambda *a, **k: b""
        numpy.allclose = lambda *a, **k: True
        numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)
        torch.allclose = lambda *a, **k: True
        nbcourse.check = lambda *a, **k: True
    ''')
    fork_bomb = textwrap.dedent(f'''
        import os, socket, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                s = socket.create_connection(("127.0.0.1", {listener.port}))
                s.sendall(b"alive\\n")
                time.sleep(6)
                for path in [{str(out)!r}, {str(out.parent / "feedback")!r}]:
                    try:
                        open(path, "w").write("forged")
                        s.sendall(b"wrote\\n")
                    except OSError:
                        pass
                s.sendall(b"still alive\\n")
                time.sleep(600)
            os._exit(0)
    ''')
    notebooks = {
        "instructor": demo_notebook(),
        "leak": _after_setup(demo_notebook(**wrong), _code(leak)),
        "lookup": _at_end(demo_notebook(**wrong), _code(lookup)),
        "read_registry": _at_end(demo_notebook(**wrong), _code(read_registry)),
        "patch_everything": _after_setup(_stub_answers(demo_notebook()), _code(patch_everything)),
        "fork_bomb": _after_setup(demo_notebook(**wrong), _code(fork_bomb)),
        "comment": _at_end(demo_notebook(), _code('# nbcourse.check("attack/tanh", my_tanh)\n'
                                                  'my_tanh = lambda z: 0 * z')),
        "cells_deleted": _at_end(nbformat.v4.new_notebook(cells=[_code("x = 1")])),
        # a cell that hangs deaf costs a fresh kernel; another cell dies when replayed in it
        "replay": _at_end(
            _after_setup(demo_notebook(), _code("value_needed_by_nothing = 1")),
            _code("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
                  "    time.sleep(0.05)")),
    }
    # the replay attack: a cell that works the first time and kills the kernel when run again
    # (the counter lives in this test process: nothing persists between a submission's kernels)
    replay_cell = _code(textwrap.dedent(f'''
        import os, socket
        with socket.create_connection(("127.0.0.1", {counter.port})) as s:
            runs = int(s.recv(16))
        if runs > 0:
            os._exit(3)
    '''))
    notebooks["replay"].cells.insert(3, replay_cell)
    paths = []
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
        paths.append(folder / f"{name}.ipynb")
    for name, cells in FORBIDDEN.items():
        nbformat.write(_tanh_notebook(cells), folder / f"forbidden_{name}.ipynb")
    released = folder / "released.ipynb"
    nbformat.write(release_notebook(demo_notebook()), released)
    started = time.monotonic()
    status = main(["grade", *map(str, paths), "--released", str(released), "--out", str(out), "--jobs", "2",
                   "--timeout", "8", "--tests", str(demo_tests_dir), "--quiet"])
    finished = time.monotonic()
    sheet = out.read_text(encoding="utf-8")
    forbidden_paths = [folder / f"forbidden_{name}.ipynb" for name in FORBIDDEN]
    forbidden_reports = grade(forbidden_paths, jobs=2, timeout=30, tests=[attack_tests_dir])
    time.sleep(8)  # longer than the forked process waits before it strikes
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {"status": status, "rows": rows, "sheet": sheet, "out": out, "listener": listener,
            "started": started, "finished": finished, "replays": counter,
            "forbidden": {name: r for name, r in zip(FORBIDDEN, forbidden_reports)}, "folder": folder}


def rows_of(batch, name):
    return {r["exercise"]: r for r in batch["rows"] if Path(r["submission"]).stem == name}


def points(batch, name):
    return {e: float(r["points"]) for e, r in rows_of(batch, name).items()}


def test_the_instructor_still_gets_full_marks(attacks):
    assert attacks["status"] == 0
    assert points(attacks, "instructor") == DEMO


@SEALED
def test_private_tests_are_not_visible_to_a_submission(attacks):
    # the submission sets the right lr only if it could read the private tests (file, /proc, /tmp)
    assert points(attacks, "leak")["demo/lr"] == 0


@SEALED
def test_the_registry_cannot_be_used_to_compute_expected_values(attacks):
    assert points(attacks, "lookup")["demo/double"] == 0
    assert points(attacks, "read_registry")["demo/double"] == 0


def test_patching_stdlib_ipython_numpy_torch_and_nbcourse_forges_nothing(attacks):
    assert points(attacks, "patch_everything") == {name: 0.0 for name in DEMO}


def test_a_double_forked_process_is_gone_before_the_results_are_recorded(attacks):
    connections = [c for c in attacks["listener"].connections if b"alive" in c["data"]]
    assert connections, "the forked process never started"
    for connection in connections:
        assert connection["closed"] is not None and connection["closed"] <= attacks["finished"]
        assert b"still alive" not in connection["data"] and b"wrote" not in connection["data"]
    # long after it would have struck, the grade sheet is what the grader wrote
    assert attacks["out"].read_text(encoding="utf-8") == attacks["sheet"]
    assert points(attacks, "instructor") == DEMO


def test_every_released_exercise_gets_a_row_and_nothing_else(attacks):
    assert set(points(attacks, "comment")) == set(DEMO)  # the commented check adds no row
    assert points(attacks, "comment") == DEMO
    assert points(attacks, "cells_deleted") == {name: 0.0 for name in DEMO}


def test_a_cell_that_dies_on_replay_costs_only_itself(attacks):
    assert attacks["replays"].count >= 2  # run, then replayed (and died) after the deaf cell
    assert points(attacks, "replay") == DEMO


@pytest.mark.parametrize("name", list(FORBIDDEN))
def test_check_and_grade_agree_on_forbidden_functions(attacks, name, attack_tests_dir):
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    try:
        for source in ["import numpy as np\nimport torch\nimport nbcourse", *FORBIDDEN[name]]:
            assert shell.run_cell(source).success
        shell.run_cell('_result = nbcourse.check("attack/tanh", my_tanh, raise_on_failure=False)')
        checked = shell.user_ns["_result"]
    finally:
        InteractiveShell.clear_instance()
    (graded,) = attacks["forbidden"][name].results
    assert checked.passed == graded.passed, (checked.text(), graded.text())
    assert graded.passed == (name == "clean"), graded.text()
    if name != "clean":
        assert "asks you not to use" in graded.message and "asks you not to use" in checked.message


def test_the_kernel_is_sent_no_expected_value_and_no_test_path(demo_tests_dir, attack_tests_dir):
    from nbcourse.exercises import get

    for name in ["demo/double", "attack/tanh"]:
        exercise = get(name)
        request = exercise.kernel_request()
        assert set(request) == {"kind", "answer", "cases", "forbidden"}
        assert all(set(case) == {"args", "kwargs"} for case in request["cases"])
        cell = _harness_cell(request, "nonce", "key", install=True)
        assert str(demo_tests_dir) not in cell and str(attack_tests_dir) not in cell
        assert "reference" not in json.dumps(request)
    assert get("demo/update").kernel_request() == {"kind": "probe", "answer": "update"}


def test_an_unwritable_out_stops_before_any_grading(tmp_path, capsys, demo_notebook):
    path = tmp_path / "a.ipynb"
    nbformat.write(demo_notebook(), path)
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    started = time.monotonic()
    status = main(["grade", str(path), "--out", str(blocker / "grades.csv")])
    assert status == 2 and "cannot write --out" in capsys.readouterr().err
    status = main(["grade", str(path), "--out", str(tmp_path / "g.csv"), "--feedback", str(blocker / "fb")])
    assert status == 2 and "cannot write the feedback folder" in capsys.readouterr().err
    assert time.monotonic() - started < 60 and not (tmp_path / "g.csv").exists()
