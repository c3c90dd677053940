"""Scenario files: TOML read safely, validated, and the bundled scenarios found by name.

:func:`load_scenario` reads a regular file of bounded size and nesting and hands the mapping
to :meth:`negosim.model.scenario.Scenario.from_dict`; every problem is one
:class:`~negosim.model.errors.ScenarioError` naming the file and the field.
"""

from __future__ import annotations

import codecs
import os
import stat
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from negosim.model.domain_format import is_discrete, parse_domain
from negosim.model.domains import Domain
from negosim.model.errors import ArgumentError, ScenarioError, suggest
from negosim.model.scenario import Scenario


def bundled_dir() -> Path:
    """The folder of bundled scenario files (installed package data, or the source checkout)."""
    installed = resources.files("negosim") / "_bundled_scenarios"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "scenarios"


def list_scenarios() -> list[str]:
    """Names of the bundled scenarios, loadable with :func:`load_scenario`.

    Examples
    --------
    >>> "package_2007" in list_scenarios()
    True
    """
    return sorted(p.stem for p in bundled_dir().glob("*.toml"))


def load_scenario(path_or_name: str | Path, as_of: date | str | None = None) -> Scenario:
    """Load and validate a scenario from a TOML file or a bundled name.

    Parameters
    ----------
    path_or_name
        A path to a ``.toml`` file, or the name of a bundled scenario such as
        ``"package_2007"`` (see :func:`list_scenarios`).
    as_of
        Apply the scenario's ``[[updates]]`` dated on or before this date.

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid TOML, or fails validation.

    Examples
    --------
    >>> sc = load_scenario("package_2007")
    >>> len(sc.actors), sc.issues
    (38, ('kosovo_status', 'missile_defense', 'cfe'))
    >>> sc.positions.shape  # actors x issues
    (38, 3)
    """
    path, source = _scenario_path(path_or_name)
    data = _read_toml(path, source)
    if is_discrete(data):
        raise ScenarioError(
            "its issues are discrete (values or range): a domain; negosim.io.load_domain reads "
            "it and negosim run plays it",
            source=source,
        )
    scenario = Scenario.from_dict(data, source=source)
    return scenario if as_of is None else scenario.as_of(as_of)


def _scenario_path(path_or_name: str | Path) -> tuple[Path, str]:
    """The file of a scenario argument (a path, or a bundled name) and its name in messages."""
    path = path_argument(path_or_name, "path_or_name", "a file path or a bundled name")
    if not path.exists() and not path.is_symlink():
        bundled = bundled_dir() / f"{path_or_name}.toml"
        if path.suffix or not bundled.exists():
            names = list_scenarios()
            hint = suggest(str(path_or_name), names)
            raise ScenarioError(
                f"no such file or bundled scenario{hint}; bundled: {', '.join(names)}",
                source=str(path_or_name),
            )
        path = bundled
    source = str(path_or_name) if Path(path_or_name).exists() else f"{path_or_name} ({path.name})"
    return path, source


def load_domain(path: str | Path) -> Domain:
    """The discrete :class:`~negosim.model.domains.Domain` of a TOML scenario whose issues are
    discrete (docs/scenario-format.md, "Discrete issues").

    Raises
    ------
    ScenarioError
        Naming the file and the field; also for a scenario of continuous issues.
    """
    path, source = _scenario_path(path)
    data = _read_toml(path, source)
    if not is_discrete(data):
        raise ScenarioError(
            "no discrete issue (values or range): a continuous scenario; load_scenario reads it",
            source=source,
        )
    return parse_domain(data, source)


def is_domain_file(path: str | Path) -> bool:
    """Whether ``path`` is a readable TOML file whose issues are discrete (False for anything
    else, a continuous scenario or a file that cannot be read: those are reported by
    :func:`load_scenario`)."""
    try:
        candidate = Path(path)
        if not candidate.is_file() or candidate.suffix.lower() != ".toml":
            return False
        return is_discrete(_read_toml(candidate, str(path)))
    except (OSError, ValueError):
        return False


NAME_MAX = 255
"""Bytes in one file or folder name that the system will look at (Linux, macOS, Windows)."""


def path_argument(value: Any, name: str, what: str = "a file path") -> Path:
    """A path argument the system will look at: text or a path object, not empty, without a
    NUL character and without a name longer than :data:`NAME_MAX` bytes.

    Raises
    ------
    ArgumentError
        Naming ``name``.
    """
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise ArgumentError(name, f"must be {what}, got {value!r}")
    if "\0" in str(value):
        raise ArgumentError(name, f"{str(value)!r} contains a NUL character")
    longest = longest_name(value)
    if longest > NAME_MAX:  # the system refuses to look at such a path at all
        raise ArgumentError(
            name, f"a name in the path is {longest} bytes long (at most {NAME_MAX})"
        )
    return Path(value)


def longest_name(path: str | Path) -> int:
    """Bytes of the longest file or folder name in ``path`` (the system's limit is
    :data:`NAME_MAX`)."""
    return max((len(os.fsencode(part)) for part in Path(path).parts), default=0)


MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest scenario file read (the bundled ones are about 50 kB)."""

MAX_NESTING = 16
"""Deepest nesting of tables and arrays in a scenario file (the format needs 4)."""
TOO_DEEP = f"nested too deeply (at most {MAX_NESTING} levels)"


def read_text(path: Path, source: str) -> str:
    """The text of a regular file of at most :data:`MAX_FILE_BYTES` (UTF-8, with or without a
    byte order mark), or a ScenarioError naming ``source``: a FIFO would block the reader, a
    device never end. Scenario files and the peer formats are read so."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError("not a regular file", source=source)
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError(
            f"file too large ({info.st_size:,} bytes; at most {MAX_FILE_BYTES:,})", source=source
        )
    try:
        with path.open("rb") as handle:
            return _text(handle.read(MAX_FILE_BYTES + 1), source)
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror or exc}", source=source) from None


def _read_toml(path: Path, source: str) -> dict[str, Any]:
    """The parsed TOML of a regular file of bounded size and nesting, or a ScenarioError."""
    text = read_text(path, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"invalid TOML: {exc}", source=source) from None
    except RecursionError:
        raise ScenarioError(TOO_DEEP, source=source) from None
    if _depth(data) > MAX_NESTING:
        raise ScenarioError(TOO_DEEP, source=source)
    return data


_OTHER_ENCODINGS = {
    codecs.BOM_UTF32_LE: "UTF-32",  # before UTF-16: its mark begins with UTF-16's
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def _text(raw: bytes, source: str) -> str:
    """A file's bytes as text: UTF-8, with or without a byte order mark (some editors write
    one); a file marked as UTF-16 or UTF-32 is refused naming its encoding."""
    for mark, encoding in _OTHER_ENCODINGS.items():
        if raw.startswith(mark):
            raise ScenarioError(f"the file is {encoding} text; save it as UTF-8", source=source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x}); save it as UTF-8",
            source=source,
        ) from None


def _depth(value: Any) -> int:
    """Nesting depth of tables and arrays (iterative: a hostile file cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
