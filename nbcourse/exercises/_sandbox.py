"""The sealed run of one submission: where its kernel lives, and making sure all of it is gone.

``nbcourse grade`` starts each submission's kernel through :func:`kernel_argv`.  Where
Linux lets an ordinary user create namespaces (``unshare --user``: most distributions,
not every container), the kernel runs

- in its own **PID namespace**: the kernel is process 1 there; when it ends, Linux kills
  every process it started, whatever they did to escape (``setsid``, double fork), and
  the grader waits until that has happened before it records anything;
- in its own **mount namespace**, where the whole file system is read-only, ``/tmp``,
  ``/var/tmp`` and ``/dev/shm`` are fresh and empty (the grader's files, other
  submissions' kernels and connection files are not there), the package's
  ``nbcourse/exercises`` folder (the registry: cases, references) is replaced by a
  stand-in whose ``check`` does nothing, and each ``--tests`` folder is replaced by an
  empty one; a second, nested user namespace locks these mounts, so the kernel cannot
  undo them;
- with its own ``/proc``: it sees only its own processes.

Without namespaces (:func:`available` is False) the kernel runs as a plain child, the
grader becomes a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``) so every process
the submission leaves behind becomes the grader's child, and :func:`sweep` kills them all
before the result is recorded; ``nbcourse.exercises`` is then hidden from imports only
(a stand-in package first on the kernel's path), not from reading the files.

Run as a script (``python _sandbox.py CONNECTION_FILE SETUP_JSON -- KERNEL ARGV``) this
module is the first process inside the namespaces: it sets up the mounts, then replaces
itself with the kernel.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time

__all__ = ["available", "kernel_argv", "set_subreaper", "children", "sweep", "wait_gone", "STUB_EXERCISES"]

# the stand-in for nbcourse.exercises inside a graded kernel
STUB_EXERCISES = '''"""nbcourse.exercises is not available in a kernel that nbcourse grade runs.

The grader checks the answers itself, outside this kernel; check() here does nothing.
"""


class _Graded:
    def __repr__(self):
        return "(this notebook is being graded: nbcourse grade checks the answers itself)"

    def __bool__(self):
        return True


def check(name=None, answer=None, *args, **kwargs):
    return _Graded()


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return lambda *args, **kwargs: None
'''

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_PR_SET_CHILD_SUBREAPER = 36
_available = None


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _unshare_base() -> list:
    return ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child=SIGKILL", "--mount",
            "--mount-proc", "--propagation", "private"]


def available() -> bool:
    """True when namespaces can seal a kernel here (checked once, by trying)."""
    global _available
    if _available is None:
        if os.environ.get("NBCOURSE_GRADE_SANDBOX", "") == "off" or shutil.which("unshare") is None:
            _available = False
        else:
            try:
                probe = subprocess.run(_unshare_base() + [sys.executable, __file__, "--probe"],
                                       capture_output=True, text=True, timeout=60)
                _available = probe.returncode == 0 and probe.stdout.strip() == "sealed"
            except (OSError, subprocess.SubprocessError):
                _available = False
    return _available


def kernel_argv(kernel: list, *, hide: list, exercises_dirs: list) -> list:
    """The command that starts ``kernel`` (with ``{connection_file}``) sealed, or ``kernel`` itself."""
    if not available():
        return list(kernel)
    setup = json.dumps({"hide": [str(p) for p in hide], "exercises": [str(p) for p in exercises_dirs],
                        "keep": _kept_paths()})
    return _unshare_base() + [sys.executable, os.path.abspath(__file__), "{connection_file}", setup, "--", *kernel]


def _kept_paths() -> list:
    """What the kernel needs to start: this Python (its prefixes), the folder holding nbcourse, PYTHONPATH.

    The sealed kernel gets fresh, empty ``/tmp``, ``/var/tmp`` and ``/dev/shm``; a virtual environment or
    a clone of the course that lives under one of them (a CI checkout, say) is mounted back, read-only.
    """
    import nbcourse

    paths = [sys.prefix, sys.exec_prefix, sys.base_prefix, os.path.dirname(os.path.dirname(nbcourse.__file__))]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return sorted({os.path.realpath(p) for p in paths if os.path.isabs(p) and os.path.isdir(p)})


# --------------------------------------------------------------------------- inside the namespaces


def _mount(source, target, fstype, flags, data=None) -> None:
    libc = _libc()
    enc = lambda s: None if s is None else str(s).encode()  # noqa: E731
    if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def _seal(setup: dict) -> None:
    """Make the file system read-only, hide what the grader keeps, lock it with a nested user namespace."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    with open("/proc/self/mounts", encoding="utf-8") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    for point in points:
        if point == "/proc" or point.startswith("/proc/"):
            continue
        try:
            _mount(None, point, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)
        except OSError:
            pass  # a mount this namespace may not touch stays as it is (it was not the grader's to give)
    keep = []   # the outermost of the kept folders
    for path in sorted(setup.get("keep", [])):
        if not any(path.startswith(k.rstrip("/") + "/") for k in keep):
            keep.append(path)
    for point in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(point):
            inside = [k for k in keep if k.startswith(point.rstrip("/") + "/") and os.path.isdir(k)]
            handles = [(k, os.open(k, os.O_PATH | os.O_DIRECTORY)) for k in inside]  # reachable once covered
            _mount("tmpfs", point, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777,size=2g")
            for path, fd in handles:       # mounted back where they were, read-only
                os.makedirs(path, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
                _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)
                os.close(fd)
    os.makedirs("/tmp/.nbcourse/empty", exist_ok=True)
    stub = "/tmp/.nbcourse/exercises"
    os.makedirs(stub, exist_ok=True)
    with open(os.path.join(stub, "__init__.py"), "w", encoding="utf-8") as f:
        f.write(STUB_EXERCISES)
    covered = []
    for directory in setup.get("exercises", []):
        if os.path.isdir(directory):
            _mount(stub, directory, None, _MS_BIND)
            covered.append(directory)
    for path in setup.get("hide", []):
        if os.path.isdir(path):
            _mount("/tmp/.nbcourse/empty", path, None, _MS_BIND)
            covered.append(path)
        elif os.path.exists(path):
            _mount("/dev/null", path, None, _MS_BIND)
    for point in covered:
        _mount(None, point, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)
    # a nested user namespace: mounts made above become locked (no unmount, no remount rw)
    uid, gid = os.getuid(), os.getgid()
    if _libc().unshare(_CLONE_NEWUSER | _CLONE_NEWNS) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _main(argv: list) -> int:
    if argv[:1] == ["--probe"]:
        _seal({"hide": [], "exercises": []})
        if not os.statvfs("/").f_flag & os.ST_RDONLY or os.getpid() != 1:
            return 1  # not sealed after all
        print("sealed")
        return 0
    connection_file, setup, separator, *kernel = argv
    if separator != "--" or not kernel:
        print("usage: _sandbox.py CONNECTION_FILE SETUP_JSON -- KERNEL ARGV", file=sys.stderr)
        return 2
    with open(connection_file, encoding="utf-8") as f:
        connection = f.read()
    _seal(json.loads(setup))
    for folder in ("/tmp/work", "/tmp/home", "/tmp/runtime"):
        os.makedirs(folder, exist_ok=True)
    inside = "/tmp/runtime/kernel.json"
    with open(inside, "w", encoding="utf-8") as f:
        f.write(connection)
    os.chdir("/tmp/work")
    env = dict(os.environ, HOME="/tmp/home", IPYTHONDIR="/tmp/home/.ipython", MPLCONFIGDIR="/tmp/home/.mpl",
               JUPYTER_RUNTIME_DIR="/tmp/runtime", TMPDIR="/tmp")
    kernel = [inside if part == connection_file else part for part in kernel]
    os.execvpe(kernel[0], kernel, env)
    return 127


# --------------------------------------------------------------------------- in the grader


def set_subreaper() -> bool:
    """Make this process adopt the orphans of its descendants (Linux); False where unsupported."""
    try:
        return _libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children(pid: int | None = None) -> set:
    """The ids of the live child processes of ``pid`` (default: this process), from ``/proc``."""
    pid = os.getpid() if pid is None else pid
    found = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def sweep(keep: set, *, rounds: int = 50) -> int:
    """Kill (and reap) every child of this process not in ``keep``, until there is none; returns how many."""
    killed = 0
    for _ in range(rounds):
        strays = children() - set(keep)
        for pid in strays:
            try:
                os.kill(pid, signal.SIGSTOP)  # stopped first, so it cannot fork while the others die
            except ProcessLookupError:
                pass
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        for pid in strays:
            while time.monotonic() < deadline:
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if done:
                    break
                time.sleep(0.01)
        if not strays:
            break
    return killed


def wait_gone(pids, timeout: float = 30.0) -> bool:
    """Wait until the processes ``pids`` have ended (and reap those that are this process's children)."""
    deadline = time.monotonic() + timeout
    pending = set(pids)
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            _reap(pid)
            try:
                with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
                    state = f.read()
                state = state[state.rfind(")") + 2:].split()[0]
            except OSError:
                state = "gone"
            if state in ("gone", "Z", "X"):  # a zombie has ended (for a PID namespace's init: all of it)
                pending.discard(pid)
        if pending:
            time.sleep(0.02)
    return not pending


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
