"""The notebooks in book/ as they are stored: without outputs (except the cells nbval compares),
without saved widget state, with the python3 kernel. A notebook saved from Jupyter after a run
would otherwise bring its outputs, and frozen ipywidgets state that makes the static book fetch
ipywidgets' JavaScript from a CDN."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_the_book_has_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", "kernelspec python3"
    assert "widgets" not in nb["metadata"], "saved ipywidgets state: clear it (Kernel > Restart & Clear Output)"
    stored = [i for i, cell in enumerate(nb["cells"])
              if cell.get("outputs") and "NBVAL_CHECK_OUTPUT" not in "".join(cell["source"])]
    assert stored == [], f"cells {stored} have stored outputs: strip them (only NBVAL_CHECK_OUTPUT cells keep theirs)"
