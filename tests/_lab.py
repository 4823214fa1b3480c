"""Helpers of tests/test_lab.py: a throwaway JupyterLab server, and driving its page with Playwright.

:class:`LabServer` starts ``jupyter lab`` on a free local port with a random token and its own config,
data, runtime, settings and workspace folders (the lab extensions stay visible: they live under
``sys.prefix/share/jupyter``), in its own process group; :meth:`LabServer.stop` shuts the kernels
and the server down, whatever happened, and kills what is left of them by process id.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: what the test's notebook settings change: every cell stays in the page (JupyterLab 4 otherwise
#: leaves cells out of view out of the DOM), no news and update checks (nothing leaves the machine)
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``jupyter lab`` serving ``root`` (a copy of the book), everything it writes under ``home``."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.home = home
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = home / "jupyterlab.log"
        self.dirs = {name: home / name for name in ("config", "data", "runtime", "settings", "workspaces",
                                                     "ipython")}

    # -- life -------------------------------------------------------------------------------
    def start(self, timeout: float = 180.0) -> None:
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        for name, values in USER_SETTINGS.items():
            target = self.dirs["settings"] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        env = {k: v for k, v in os.environ.items()
               if k not in ("MPLBACKEND", "NBCOURSE_BOOK_BUILD", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH")}
        env.update(
            JUPYTER_CONFIG_DIR=str(self.dirs["config"]), JUPYTER_DATA_DIR=str(self.dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(self.dirs["runtime"]), JUPYTERLAB_SETTINGS_DIR=str(self.dirs["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(self.dirs["workspaces"]), IPYTHONDIR=str(self.dirs["ipython"]),
            # the kernels import this tree's nbcourse
            PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
            OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"),
        )
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly",
               "--ServerApp.port_retries=0",
               "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]
        if os.geteuid() == 0:  # containers and CI often run as root
            cmd.append("--allow-root")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        """Shut every kernel and the server down; then kill by process id whatever is left."""
        if self.proc is None:
            return
        try:
            self.shutdown_kernels()
            self.api("POST", "/api/shutdown")
        except Exception:  # noqa: BLE001 - a dead server is stopped below all the same
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                    self.proc.wait(timeout=10)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        for pid in self.kernel_pids():  # kernels run in sessions of their own
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None

    def kernel_pids(self) -> list[int]:
        """Process ids of kernels started by this server (their connection file is in its runtime folder)."""
        marker = str(self.dirs["runtime"]).encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
        return pids

    # -- REST -------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode() or "null"
        return json.loads(text)

    def shutdown_kernels(self) -> None:
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def page_url(self, notebook: str) -> str:
        # reset: a fresh workspace, or the last notebook's tab (and kernel) would come back
        return f"{self.url}/lab/tree/{notebook}?token={self.token}&reset"

    def disable_extensions(self, names: list[str]) -> None:
        """Pages loaded from now on run without these lab extensions ([] enables them again)."""
        path = self.dirs["config"] / "labconfig/page_config.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"disabledExtensions": {n: True for n in names}}), encoding="utf-8")

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""


# ------------------------------------------------------------------------------------ the page
#: a figure's pixels in the page: an <img> (the live Image widget) or a <canvas> (ipympl), drawn into a
#: canvas of its natural size; returns its CSS width, the share of pixels that are not white, and a hash
FINGERPRINT_JS = """el => {
    const img = el.tagName === 'IMG';
    const w = img ? el.naturalWidth : el.width, h = img ? el.naturalHeight : el.height;
    if (!w || !h) return {width: el.getBoundingClientRect().width, ink: 0, hash: 'empty'};
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const ctx = c.getContext('2d'); ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, w, h); ctx.drawImage(el, 0, 0);
    const d = ctx.getImageData(0, 0, w, h).data;
    let ink = 0, hash = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
        hash = (hash * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    }
    return {width: el.getBoundingClientRect().width, ink: ink / (w * h), hash: String(hash)};
}"""

#: what an <img> or <canvas> says of its picture, for the message of a figure that stays blank
IMAGE_STATE_JS = """el => {
    const r = el.getBoundingClientRect();
    const base = `${el.tagName.toLowerCase()} ${Math.round(r.width)}x${Math.round(r.height)} at y=${Math.round(r.top)}`;
    if (el.tagName !== 'IMG') return `${base}, canvas ${el.width}x${el.height}`;
    return `${base}, natural ${el.naturalWidth}x${el.naturalHeight}, complete=${el.complete}, ` +
           `src ${String(el.getAttribute('src') || '').slice(0, 40)}`;
}"""

#: every code cell's prompt: "[3]:", "[*]:" (running or queued) or "[ ]:" (not run)
PROMPTS_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
    .map(c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '')"""

#: text of every error a cell shows: tracebacks (stderr) and "Error displaying widget"
CELL_ERRORS_JS = """() => {
    const out = [];
    for (const o of document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')) {
        const text = o.textContent || '';
        const mime = o.getAttribute('data-mime-type') || '';
        if ((mime.includes('error') || mime.includes('stderr')) && /Traceback|Error\\b|Exception/.test(text))
            out.push(text.slice(0, 1500));
        else if (/Error displaying widget|model not found/.test(text)) out.push(text.slice(0, 300));
    }
    return out;
}"""


def run_all(page, timeout_s: float = 300.0) -> None:
    """Run every cell from the Run menu and wait until every code cell has run (or one failed)."""
    for attempt in range(4):
        # the Run menu's commands act on the current notebook: make it current first
        page.locator(".jp-NotebookPanel .jp-Cell .jp-InputPrompt").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        item = page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel", has_text="Run All Cells")
        try:
            item.first.click(timeout=10_000)
        except Exception:  # noqa: BLE001 - not enabled yet (a busy machine): close the menu, try again
            page.keyboard.press("Escape")
            continue
        for _ in range(40):  # the first cell starts (or is queued) within seconds
            if any(p.strip() != "[ ]:" for p in page.evaluate(PROMPTS_JS)):
                break
            page.wait_for_timeout(500)
        else:
            page.keyboard.press("Escape")
            continue
        break
    else:
        raise TimeoutError("Run > Run All Cells did not start the notebook (4 tries)")
    deadline = time.monotonic() + timeout_s
    page.wait_for_timeout(500)
    while time.monotonic() < deadline:
        prompts = page.evaluate(PROMPTS_JS)
        errors = page.evaluate(CELL_ERRORS_JS)
        if errors and not any("[*]" in p for p in prompts):
            return  # a failing cell stops "Run All": the caller reports the errors
        if prompts and all(p.strip().startswith("[") and p.strip()[1:-2].strip().isdigit() for p in prompts):
            return
        page.wait_for_timeout(500)
    raise TimeoutError(f"the notebook did not finish within {timeout_s:.0f} s; prompts: "
                       f"{page.evaluate(PROMPTS_JS)}")


def open_notebook(page, server: LabServer, notebook: str) -> None:
    page.goto(server.page_url(notebook), wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    # the kernel is up when the toolbar's indicator says idle
    page.wait_for_selector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]',
                           timeout=120_000)


def wait_for_figure(figure, before: dict | None, timeout_s: float = 120.0) -> dict:
    """Poll the figure until it shows something (a blank figure is no change) that differs from ``before``.

    A figure still blank after 10 s is scrolled into view and photographed once, which makes the
    browser paint (and decode) it: a headless page may defer that for an element nobody looks at,
    and the check is about what the kernel sent, not about when Chromium paints. A figure that is
    still blank after that is reported with what the element says of its image.
    """
    start = time.monotonic()
    deadline, nudged = start + timeout_s, False
    now = figure.evaluate(FINGERPRINT_JS)
    while time.monotonic() < deadline:
        if now["ink"] > 0.01 and (before is None or now["hash"] != before["hash"]):
            if nudged:  # shown by pytest -rP: how often the nudge is what made the figure appear
                print(f"wait_for_figure: the figure appeared only after it was photographed "
                      f"({time.monotonic() - start:.0f} s)")
            return now
        if now["ink"] <= 0.01 and not nudged and time.monotonic() - start > 10:
            nudged = True
            try:
                figure.scroll_into_view_if_needed(timeout=5_000)
                figure.screenshot(timeout=10_000)
            except Exception:  # noqa: BLE001 - only a nudge; the poll below decides
                pass
        figure.page.wait_for_timeout(250)
        now = figure.evaluate(FINGERPRINT_JS)
    what = "blank" if now["ink"] <= 0.01 else "unchanged"
    state = figure.evaluate(IMAGE_STATE_JS)
    raise AssertionError(f"the figure is {what} after {timeout_s:.0f} s (ink {now['ink']:.3f}; {state})")
