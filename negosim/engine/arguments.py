"""One set of argument checks for the engine's functions and the command line.

Every check takes the argument's ``name`` as the caller spells it (``--runs`` on the command
line, ``runs`` in Python) and raises :class:`ArgumentError` (a ``ValueError``) with one line:
the name, the problem and the allowed range, e.g. ``runs: must be a whole number >= 0, got
10.5``. The command line wraps the same functions as argparse ``type=`` functions
(:func:`negosim.cli.cli_type`), so both front ends accept and refuse exactly the same values;
only the command line's text is read as a number first (:func:`from_text`): in Python a
string is not a number (``simulate(sc, "10")`` is refused).
Scenario files follow the same rules in :mod:`negosim.model.parse` (message
``SOURCE: FIELD: problem``); the protocol names both check are
:data:`negosim.model.elements.PROTOCOL_NAMES`.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np

from negosim.io import store as stores
from negosim.io.scenario_file import NAME_MAX, longest_name
from negosim.io.store import MANIFEST, MAX_CHUNKS
from negosim.model.elements import (
    MIN_MAGNITUDE,
    PLAYS_STRATEGIES,
    PROTOCOL_NAMES,
    magnitude_problem,
)
from negosim.model.errors import (
    ArgumentError,
    NegosimError,
    UnknownNameError,
    WrongKindError,
    known_ids,
    unknown,
)
from negosim.model.information import INFORMATION
from negosim.model.opponents import model_names
from negosim.model.scenario import Scenario
from negosim.model.strategies import Strategy, make_strategy
from negosim.model.strategies.base import with_params

MAX_ROUNDS = 1_000_000  # the scenario file's upper bound for ``rounds``
WORKERS_PER_CPU = 4  # more local worker processes than this only share the cores
TABLE_FORMATS = (".parquet", ".csv", ".json")
FIGURE_FORMATS = (".png", ".svg", ".pdf")
MAX_DIGITS = 40  # whole numbers beyond 10**40 are refused before they are built (seeds fit)


# ----------------------------------------------------------------------------- numbers


def whole_number(value: Any, name: str, low: int = 0, high: float = math.inf) -> int:
    """``value`` as an int in ``[low, high]``: an integer (numpy's too), a whole float
    (``1e5``) or a ``Decimal``; fractions, booleans, strings and other objects are refused
    (the command line's text is read by :func:`from_text` first)."""
    bounds = f">= {low}" if high == math.inf else f"in [{low}, {int(high)}]"
    problem = f"must be a whole number {bounds}, got {_shown(value)}"
    number = _exact(value)
    if number is None or number != number.to_integral_value():
        raise ArgumentError(name, problem)
    if number.adjusted() >= MAX_DIGITS or not low <= number <= high:
        raise ArgumentError(name, problem)
    return int(number)


def from_text(text: str) -> Decimal | str:
    """A number written on the command line (``"10_000"``, ``"1e5"``, ``" 4 "``) as its exact
    value, for the checks here; text that is no finite number comes back as it is (the check
    then refuses it, naming the option and the text).

    Examples
    --------
    >>> from_text("1_000") == 1000, from_text("ten")
    (True, 'ten')
    """
    try:
        number = _TypedNumber(text.strip().replace("_", ""))
    except InvalidOperation:
        return text
    number.text = text
    return number if number.is_finite() else text


class _TypedNumber(Decimal):
    """A number read from the command line's text, shown in messages as it was typed."""

    text: str


def _exact(value: Any) -> Decimal | None:
    """The exact value of an integer, a finite float or a ``Decimal``, also in a
    zero-dimensional numpy array (None for anything else: booleans, strings, arrays)."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]  # a number held in a zero-dimensional array
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, numbers.Integral):
        return Decimal(int(value))
    elif isinstance(value, numbers.Real):
        number = Decimal(float(value))
    else:
        return None
    return number if number.is_finite() else None


def _shown(value: Any) -> str:
    """A value as a message shows it: text quoted, numbers as they are, anything else with
    its type (``list [3]``)."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, _TypedNumber):
        return repr(value.text)
    if value is None or isinstance(value, numbers.Number | Decimal | np.bool_):
        return str(value)
    return f"{type(value).__name__} {value}"


def finite_number(value: Any, name: str) -> float:
    """``value`` as a finite float (``nan`` and ``inf`` are refused, as in scenario files)."""
    number = _exact(value)
    if number is None or abs(number) > Decimal(np.finfo(float).max):  # beyond the floats
        raise ArgumentError(name, f"must be a finite number, got {_shown(value)}")
    return float(number)


def number_in(value: Any, name: str, low: float, high: float) -> float:
    """A finite number with ``low <= value <= high``."""
    number = finite_number(value, name)
    if not low <= number <= high:
        raise ArgumentError(name, f"must be in [{low:g}, {high:g}], got {_shown(value)}")
    return number


def flag(value: Any, name: str) -> bool:
    """``True`` or ``False`` (numpy's booleans too); ``0``, ``"no"`` and the rest are refused,
    since they would be read as a truth value without a word."""
    if not isinstance(value, bool | np.bool_):
        raise ArgumentError(name, f"must be True or False, got {_shown(value)}")
    return bool(value)


def choice(value: Any, name: str, options: Sequence[str]) -> str:
    """One of ``options`` (a name)."""
    if not isinstance(value, str) or value not in options:
        raise UnknownNameError(name, f"must be one of {', '.join(options)}, got {_shown(value)}")
    return value


def number_interval(value: Any, name: str, low: float, high: float) -> tuple[float, float]:
    """Two numbers ``(a, b)`` with ``low <= a <= b <= high`` (a range to draw from)."""
    problem = f"must be two numbers (a, b) with {low:g} <= a <= b <= {high:g}, got {_shown(value)}"
    if not _one_dimensional(value) or len(value) != 2:
        raise ArgumentError(name, problem)
    a, b = (finite_number(v, name) for v in value)
    if not low <= a <= b <= high:
        raise ArgumentError(name, problem)
    return a, b


def _one_dimensional(value: Any) -> bool:
    """Whether ``value`` is a one-dimensional array-like (not text, a mapping or a set)."""
    if isinstance(value, str | bytes | Mapping | set | frozenset):
        return False
    try:
        return np.ndim(value) == 1
    except (TypeError, ValueError):  # a ragged nest of lists
        return False


def scenario(value: Any, name: str = "scenario") -> Scenario:
    """A :class:`~negosim.model.scenario.Scenario` (a file or a bundled name is loaded with
    :func:`negosim.load_scenario` first: a string here would be ambiguous)."""
    if not isinstance(value, Scenario):
        hint = (
            f"; load it first: negosim.load_scenario({value!r})" if isinstance(value, str) else ""
        )
        raise ArgumentError(name, f"must be a Scenario, got {_shown(value)}{hint}")
    return value


def distinct_scenarios(scenarios: Sequence[Scenario], names: Sequence[str]) -> None:
    """Refuse a scenario given twice (the same content, whatever its file or name): a study
    over scenarios would count its sampled worlds twice as independent, narrowing its
    intervals without cause. ``names[k]`` names scenario ``k``'s argument or option."""
    first: dict[str, str] = {}
    for sc, name in zip(scenarios, names, strict=False):
        if sc.digest in first:
            raise ArgumentError(
                name,
                f"{sc.id!r} is the same scenario as {first[sc.digest]}: its worlds would count "
                "twice as independent; give each scenario once",
            )
        first[sc.digest] = name


def runs(value: Any, name: str = "runs") -> int:
    """A number of Monte Carlo runs (>= 0)."""
    return whole_number(value, name, 0)


def seed(value: Any, name: str = "seed") -> int | None:
    """A seed: a whole number >= 0, or ``None`` for fresh entropy."""
    return None if value is None else whole_number(value, name, 0)


def chunk_size(value: Any, name: str = "chunk_size") -> int:
    """Runs computed at once (>= 1)."""
    return whole_number(value, name, 1)


def rounds(value: Any, name: str = "rounds") -> int | None:
    """A deadline in rounds, ``[1, 1_000_000]``; ``None`` means the scenario's (0 is refused,
    it does not mean "the scenario's")."""
    return None if value is None else whole_number(value, name, 1, MAX_ROUNDS)


def available_cpus() -> int:
    """CPUs this process may run on (its affinity where the platform tells, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS and Windows
        return os.cpu_count() or 1


def workers(value: Any, name: str = "workers") -> int | None:
    """Dask worker processes, ``[1, WORKERS_PER_CPU * available_cpus()]`` (each a process
    of its own on this machine), or ``None`` to compute in this process."""
    if value is None:
        return None
    return whole_number(value, name, 1, WORKERS_PER_CPU * available_cpus())


def chunks(runs: int, chunk_size: int, name: str = "chunk_size") -> None:
    """Refuse a chunking whose bookkeeping alone would not fit (more than a million chunks)."""
    if -(-runs // chunk_size) > MAX_CHUNKS:
        raise ArgumentError(
            name,
            f"{runs:,} runs in chunks of {chunk_size:,} make more than {MAX_CHUNKS:,} chunks; "
            f"use a chunk size of at least {-(-runs // MAX_CHUNKS):,}",
        )


def quantile_pair(value: Any, name: str = "quantiles") -> tuple[float, float]:
    """Two quantiles ``(low, high)`` with ``0 <= low < high <= 1``."""
    problem = f"must be two numbers (low, high) with 0 <= low < high <= 1, got {_shown(value)}"
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise ArgumentError(name, problem)
    if len(value) != 2:
        raise ArgumentError(name, problem)
    low, high = (finite_number(v, name) for v in value)
    if not 0 <= low < high <= 1:
        raise ArgumentError(name, problem)
    return low, high


def grid(value: Any, targets: Callable[[str], Any], name: str = "grid") -> dict[str, list[float]]:
    """A sweep grid ``{target: values}``: at least one target, each one ``targets`` (a
    scenario's ``parse_target``) accepts, with a non-empty one-dimensional array of finite
    numbers (a list, a tuple, a numpy array, a pandas Series ...; kept as given). A target
    ``targets`` refuses (``KeyError``) is an :class:`UnknownNameError`."""
    if not isinstance(value, Mapping) or not value:
        raise ArgumentError(name, f"must map targets to values, got {_shown(value)}")
    out: dict[str, list[float]] = {}
    for target, values in value.items():
        where = f"{name}[{target!r}]"
        try:
            targets(target)
        except KeyError as exc:
            raise UnknownNameError(where, str(exc.args[0])) from None
        out[target] = list(number_array(values, where))  # as given: a sweep's table shows them
    return out


def number_array(value: Any, name: str) -> Iterable[Any]:
    """A non-empty one-dimensional array-like of finite numbers (each checked), as given;
    strings, mappings, sets and arrays of other shapes are refused."""
    if not _one_dimensional(value):
        raise ArgumentError(
            name, f"must be a one-dimensional array of numbers, got {_shown(value)}"
        )
    values = list(value)
    if not values:
        raise ArgumentError(name, "needs at least one value")
    for v in values:
        finite_number(v, name)
    return values


def store_path(value: Any, name: str = "path") -> Path:
    """A store folder to read (whether it is one is the store's check)."""
    return _path(value, name)


# ----------------------------------------------------------------------------- names


def protocol(value: Any, name: str = "protocol") -> str:
    """A protocol name (:data:`negosim.model.elements.PROTOCOL_NAMES`, each run by
    :data:`negosim.engine.protocols.PROTOCOLS`)."""
    if not isinstance(value, str) or value not in PROTOCOL_NAMES:
        raise UnknownNameError(name, unknown("protocol", value, PROTOCOL_NAMES))
    return value


def information(value: Any, protocol_name: str, name: str = "information") -> str:
    """An information setting, ``"complete"`` or ``"learned"``; ``"learned"`` only for a
    protocol whose negotiators play strategies (the others' outcomes follow from the true
    numbers by their model's own rules)."""
    if not isinstance(value, str) or value not in INFORMATION:
        raise UnknownNameError(name, unknown("information setting", value, INFORMATION))
    if value == "learned" and protocol_name not in PLAYS_STRATEGIES:
        raise ArgumentError(
            name,
            f"'learned' needs a protocol whose negotiators make offers to learn from "
            f"({', '.join(PLAYS_STRATEGIES)}); {protocol_name!r} computes its outcome from the "
            f"true numbers",
        )
    return value


def opponent_model(value: Any, name: str = "opponent_model") -> str:
    """A registered opponent model's name (:func:`negosim.model.opponents.model_names`)."""
    known = model_names()
    if not isinstance(value, str) or value not in known:
        raise UnknownNameError(name, unknown("opponent model", value, known))
    return value


def ids(value: Any, name: str, known: Sequence[str], kind: str = "actor") -> list[str]:
    """A sequence of ids, each one of ``known`` (:func:`negosim.model.errors.known_ids`, the
    model's check of such arguments)."""
    return known_ids(value, name, known, kind)


def strategies_played(given: Any, protocol: str, name: str = "strategies", what: str = "") -> None:
    """Refuse strategies, or ``what`` else concerns them (a strategy parameter set or
    swept), for a protocol that does not play them: they would change nothing, so every
    strategy would score the same and every point of a sweep give the same numbers."""
    if given and protocol not in PLAYS_STRATEGIES:
        changes = f", so {what} changes nothing" if what else ""
        raise ArgumentError(
            name,
            f"protocol {protocol!r} does not play the negotiators' strategies (its outcome "
            f"follows from positions, salience and power){changes}; those that do: "
            f"{', '.join(PLAYS_STRATEGIES)}",
        )


def strategy_targets_played(
    scenario: Scenario, targets: Iterable[str], protocol: str, name: Callable[[str], str]
) -> None:
    """Refuse targets of strategy parameters (``US.strategy.e``) that a call sets or sweeps
    under a protocol that plays no strategies (:func:`strategies_played`); ``name(target)``
    names the argument or option."""
    for target in targets:
        try:
            field = scenario.parse_target(target).field
        except KeyError:  # the caller's own check names an unknown target
            continue
        strategies_played(field == "strategy", protocol, name(target), "a strategy parameter")


def protocol_options(protocol: str, options: Mapping[str, Any], trial: Callable[[], Any]) -> None:
    """Refuse options of ``simulate`` that ``protocol`` does not take or whose values it
    refuses, before any work: ``trial`` plays the protocol with them on no runs, so the
    protocol's own checks decide (one place for each rule)."""
    if not options:
        return
    try:
        trial()
    except NegosimError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        problem = str(exc.args[0]) if exc.args else type(exc).__name__
        named = [k for k in options if repr(k) in problem] or [k for k in options if k in problem]
        name = named[0] if len(named) == 1 else ", ".join(options)
        # of the protocol's kind too (a KeyError, a TypeError), for callers written for it
        kind = ArgumentError
        if isinstance(exc, KeyError | TypeError):
            kind = UnknownNameError if isinstance(exc, KeyError) else WrongKindError
        raise kind(name, f"protocol {protocol!r} refuses it: {problem}") from None


def strategy_spec(spec: str, name: str = "strategy"):
    """A strategy from a spec ``NAME`` or ``NAME:k=v,k=v``; every value a finite number."""
    label, _, rest = str(spec).partition(":")
    params: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ArgumentError(name, f"strategy parameter {item!r} is not of the form k=v")
        try:
            value = finite_number(from_text(text), key.strip())
        except ArgumentError as exc:
            raise ArgumentError(name, f"parameter {exc}") from None
        problem = magnitude_problem(value)  # a strategy may take its reciprocal
        if problem:
            raise ArgumentError(name, f"parameter {key.strip()}: {problem}")
        params[key.strip()] = value
    try:
        return make_strategy(label.strip(), **params)
    except KeyError as exc:
        raise UnknownNameError(name, str(exc.args[0])) from None
    except (TypeError, ValueError) as exc:
        raise ArgumentError(name, str(exc.args[0]) if exc.args else str(exc)) from None


def strategy_object(strategy: Any, name: str = "strategy") -> Any:
    """A strategy object whose numeric parameters are all finite, each 0 or at least
    :data:`~negosim.model.elements.MIN_MAGNITUDE` in size."""
    for key, value in vars(strategy).items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real | np.ndarray):
            continue
        array = np.asarray(value)
        if array.dtype.kind not in "fc":
            continue
        if not np.isfinite(array).all():
            raise ArgumentError(name, f"parameter {key}: must be a finite number, got {value}")
        tiny = array[(array != 0) & (np.abs(array) < MIN_MAGNITUDE)]
        if tiny.size:
            raise ArgumentError(name, f"parameter {key}: {magnitude_problem(float(tiny.flat[0]))}")
    return strategy


def per_run_parameters(strategy: Any, runs: int | None, name: str = "strategy") -> Any:
    """A strategy whose parameters that may vary by run (its class's ``per_run``) are a
    number or one value per run, as an array (a copy of it if one came as a list); ``runs``
    None: unchecked."""
    given = {}
    for key in getattr(strategy, "per_run", ()):
        value = getattr(strategy, key, None)
        if runs is None or np.ndim(value) == 0:
            continue
        if np.ndim(value) != 1 or len(value) != runs:
            got = f"{len(value)} values" if np.ndim(value) == 1 else f"shape {np.shape(value)}"
            raise ArgumentError(
                name, f"parameter {key}: {got} for {runs} runs (give a number, or one per run)"
            )
        given[key] = np.asarray(value, dtype=float)
    return with_params(strategy, given)


def strategies(
    given: Mapping[str, Any] | None, name: str = "strategies", runs: int | None = None
) -> dict[str, Any]:
    """Strategy objects or specs per actor id, each checked (actors are checked by the
    scenario); an array parameter must hold one value per run (``runs``, when given)."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise ArgumentError(name, f"must map actor ids to strategies, got {type(given).__name__}")
    out = {}
    for actor, spec in given.items():
        where = f"{name}[{actor!r}]"
        if isinstance(spec, Strategy):
            out[actor] = per_run_parameters(strategy_object(spec, where), runs, where)
        elif isinstance(spec, str):
            out[actor] = strategy_spec(spec, where)
        else:
            raise ArgumentError(where, "must be a Strategy or a spec like 'boulware:e=0.2'")
    return out


# ----------------------------------------------------------------------------- paths


def output_path(value: Any, name: str, formats: Sequence[str]) -> Path:
    """A file to write: a known extension, not a folder, not in a result store's folder (a
    link counts as the file it leads to), in a folder that exists or can be made and can be
    written to (checked before any work starts)."""
    path = _path(value, name)
    if path.suffix.lower() not in formats:
        raise ArgumentError(
            name, f"{str(path)!r}: unknown extension {path.suffix!r}; use {', '.join(formats)}"
        )
    if path.is_dir():
        raise ArgumentError(name, f"{str(path)!r} is a folder, not a file")
    if (Path(os.path.realpath(path)).parent / MANIFEST).exists():
        raise ArgumentError(
            name,
            f"{str(path)!r} lies in a result store folder (it holds {MANIFEST}); writing it "
            "could damage the store: write it elsewhere",
        )
    writable_folder(path.parent, name)
    return path


def _path(value: Any, name: str) -> Path:
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(text, str) or not text.strip():
        raise ArgumentError(name, f"must name a file or folder, got {text!r}")
    if "\0" in text:
        raise ArgumentError(name, f"{text!r} contains a NUL character")
    longest = longest_name(text)
    if longest > NAME_MAX:  # the system's limit: every later look at the path would fail
        raise ArgumentError(
            name, f"a name in the path is {longest} bytes long (at most {NAME_MAX})"
        )
    return Path(text)


def input_path(value: Any, name: str) -> Path:
    """A file to read, named so that the system can look at it (the reader says whether it
    exists and is a file)."""
    return _path(value, name)


def writable_folder(folder: Path, name: str) -> None:
    """Refuse a folder that cannot be made or written to (its nearest existing ancestor must
    be a folder we may write in)."""
    here = Path(os.path.abspath(folder))
    while not here.exists():
        here = here.parent
    if not here.is_dir():
        raise ArgumentError(name, f"{str(here)!r} is not a folder, so nothing can be written in it")
    if not os.access(here, os.W_OK | os.X_OK):
        raise ArgumentError(name, f"cannot write in folder {str(here)!r}")


def separate_paths(
    outputs: Mapping[str, Path | None],
    inputs: Mapping[str, Path | None] = {},
    stores: Mapping[str, Path | None] = {},
) -> None:
    """Refuse an output file that is an input file, another output, or lies inside a store
    folder (writing it would destroy what a command reads or keeps); symbolic and hard links
    count as the file they lead to. Each mapping takes the option name to its path (None:
    not given)."""
    seen: dict[str, Path] = {}
    for name, path in outputs.items():
        if path is None:
            continue
        for other, taken in {**{k: v for k, v in inputs.items() if v is not None}, **seen}.items():
            if _same_file(path, taken):
                raise ArgumentError(
                    name, f"{str(path)!r} is also {other} {str(taken)!r}; write to another file"
                )
        for store, folder in stores.items():
            if folder is not None and Path(os.path.realpath(folder)) in (
                Path(os.path.realpath(path)).parents
            ):
                raise ArgumentError(
                    name,
                    f"{str(path)!r} lies inside the {store} folder {str(folder)!r}; writing it "
                    "would damage the store: write it elsewhere",
                )
        seen[name] = path


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (the same real path, or the same inode)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def store_folder(value: Any, name: str = "store") -> Path:
    """A result store folder: missing (it is made), a store (to resume), or an empty folder
    we may write in; a folder of other files is refused (a chunk would replace a file of the
    same name)."""
    path = _path(value, name)
    if path.exists() and not path.is_dir():
        raise ArgumentError(name, f"{str(path)!r} is a file, not a store folder")
    fresh = path.is_dir() and not (path / stores.MANIFEST).exists()
    # a store another writer is starting holds only its lock and temporary (hidden) files,
    # and its manifest once written: it may appear between the check above and the listing
    if fresh and any(
        not p.name.startswith(".") and p.name != stores.MANIFEST for p in path.iterdir()
    ):
        raise stores.StoreError(  # a store's error: a damaged store looks the same
            f"{name}: {path} holds other files and no store manifest; choose a new folder"
        )
    writable_folder(path, name)
    return path


MEMORY_SHARE = 0.5
"""Gathered results, a chunk or a sample may use at most this share of the machine's memory."""


def memory_budget() -> int | None:
    """Bytes that gathered results may take: a share of the machine's physical memory
    (``None`` where the platform does not tell)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None
    return int(total * MEMORY_SHARE) if total > 0 else None


def fits_in_memory(
    runs: int,
    per_run: int,
    name: str = "runs",
    hint: str = "pass store= and collect=False",
    *,
    factor: int = 2,
    purpose: str = "to gather",
) -> None:
    """Refuse ``runs`` that would need more than :func:`memory_budget`, with a ``hint``.

    ``factor`` copies of ``per_run`` bytes are needed per run (2 when gathering: the chunks
    and their concatenation).
    """
    budget = memory_budget()
    need = factor * runs * per_run
    if budget is not None and need > budget:
        raise ArgumentError(
            name,
            f"{runs:,} runs would need about {size_words(need)} of memory {purpose} ({per_run} "
            f"bytes per run{f', {factor} times' if factor > 1 else ''}; "
            f"{size_words(budget)} allowed here); use fewer runs" + (f" or {hint}" if hint else ""),
        )


def size_words(n: float) -> str:
    """A number of bytes in words: ``"7.7 TB"``."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"  # pragma: no cover - the loop returns
