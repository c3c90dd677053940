"""Run every notebook as `make test` does (NEGOSIM_QUICK=1) and save it with its outputs.

    .venv/bin/python notebooks/execute.py     # or: make notebooks

The notebooks are committed with these outputs, so they can be read without running them;
`tests/test_notebooks.py` runs them again and compares the numbers they print with the
committed ones (cells tagged ``varies``, such as timings, are not compared).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, run in its folder with the test suite's small run counts."""
    os.environ["NEGOSIM_QUICK"] = "1"  # the kernel inherits it
    # figures are stored in the notebook (as on GitHub), not only drawn off screen
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return notebook


def main(paths: list[str]) -> None:
    for path in [Path(p) for p in paths] or sorted(HERE.glob("*.ipynb")):
        nbformat.write(execute(path), path)
        print(f"executed {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
