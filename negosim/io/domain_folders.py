"""Reading a folder of negotiation-domain files (GENIUS, GeniusWeb): the folder, its files in
natural order, bounded reads, and the checks both formats share. Every problem is one
:class:`~negosim.model.errors.ScenarioError` line naming the folder or the file.
"""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from negosim.io.scenario_file import MAX_FILE_BYTES
from negosim.model.errors import ScenarioError


def domain_folder(folder: str | Path) -> Path:
    """``folder`` as a path, if it is a folder (else a ScenarioError naming it)."""
    path = Path(folder)
    if not path.is_dir():
        raise ScenarioError("not a folder" if path.exists() else "no such folder", source=str(path))
    return path


def _natural(path: Path) -> list[Any]:
    """Sort key: digits compare as numbers (``p2`` before ``p10``)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def folder_files(folder: Path, suffix: str) -> Iterator[Path]:
    """The regular files of ``folder`` ending in ``suffix`` (any case), in natural order."""
    found = [p for p in folder.iterdir() if p.suffix.lower() == suffix and p.is_file()]
    return iter(sorted(found, key=_natural))


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``, or a ScenarioError."""
    source = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError("not a regular file", source=source)
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"file too large ({info.st_size:,} bytes; at most {MAX_FILE_BYTES:,})",
                source=source,
            )
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror or exc}", source=source) from None


def one_domain(found: list[tuple[Path, Any]], folder: Path, kind: str) -> tuple[Path, Any]:
    """The one (file, content) of ``found`` domain files, or a ScenarioError naming the folder
    (none, or several)."""
    if not found:
        raise ScenarioError(f"no {kind} domain file here", source=str(folder))
    if len(found) > 1:
        names = ", ".join(p.name for p, _ in found)
        raise ScenarioError(f"more than one {kind} domain file: {names}", source=str(folder))
    return found[0]


def attribute_number(text: str | None, source: str, path: str, *, integer: bool = False) -> float:
    """A finite number (an integer when ``integer``) from an attribute, or a ScenarioError."""
    if text is None:
        raise ScenarioError("missing", source=source, path=path)
    clean = text.strip()
    try:
        if "_" in clean:  # Python reads 1_0 as 10; GENIUS (Java) refuses it
            raise ValueError
        value = int(clean) if integer else float(clean)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ScenarioError(f"{text!r} is not {kind}", source=source, path=path) from None
    if not math.isfinite(value):
        raise ScenarioError(f"{text!r} is not a finite number", source=source, path=path)
    return value
