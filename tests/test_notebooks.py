"""The notebooks print no warning and nothing on stderr in any output cell, and they print
the numbers they are committed with (nbmake runs them too, for errors; this run reads what
each cell printed)."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import nbformat
import pytest

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location("execute_notebooks", FOLDER / "execute.py")
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def printed(cell) -> str:
    """What a code cell shows as text: streams, and the plain text of results and displays."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return ADDRESS.sub("", "".join("".join(p) if isinstance(p, list) else p for p in parts))


def numbers(text: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(text)]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_print_their_committed_numbers_and_no_warning(path, monkeypatch):
    committed = nbformat.read(path, as_version=4)
    code = [c for c in committed.cells if c.cell_type == "code"]
    ran = [c.get("execution_count") is not None for c in code if c.source.strip()]
    assert all(ran) and any(c.get("outputs") for c in code), (
        f"{path.name} is committed without its outputs: run notebooks/execute.py"
    )
    notebook = execute_notebooks.execute(path)
    warned = [
        (k, out.get("text", ""))
        for k, cell in enumerate(notebook.cells)
        for out in cell.get("outputs", [])
        if out.get("name") == "stderr" or "Warning" in out.get("text", "")
    ]
    assert not warned, warned
    for k, (old, new) in enumerate(zip(committed.cells, notebook.cells, strict=True)):
        if old.cell_type != "code" or "varies" in old.metadata.get("tags", []):
            continue
        was, now = numbers(printed(old)), numbers(printed(new))
        assert len(was) == len(now), f"{path.name} cell {k}: printed {now}, committed {was}"
        differ = [
            (a, b)
            for a, b in zip(was, now, strict=True)
            if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        ]
        assert not differ, (
            f"{path.name} cell {k}: numbers differ from the committed ones {differ[:5]}"
        )
