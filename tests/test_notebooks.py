"""The notebooks print no warning and nothing on stderr in any output cell (nbmake runs them
too, for errors; this run reads what each cell printed)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_warning_or_stderr_in_any_output_cell(path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("NEGOSIM_QUICK", "1")  # the kernel inherits it: small run counts
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    printed = [
        (k, out.get("text", ""))
        for k, cell in enumerate(notebook.cells)
        for out in cell.get("outputs", [])
        if out.get("name") == "stderr" or "Warning" in out.get("text", "")
    ]
    assert not printed, printed
