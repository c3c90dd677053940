"""Crash-safe result stores: one Parquet file per finished chunk plus a manifest.

A writer (:func:`negosim.simulate` with ``store=``) holds an exclusive lock on the folder for
the whole call; a second writer is refused at once (``StoreError("store in use: ...")``).
Every file is written to a temporary name, flushed to disk (``fsync``), renamed over the real
name (atomic on POSIX) and the folder is flushed too, so after a crash or power loss each name
holds either its old or its new bytes. The manifest records each chunk's rows, size and
SHA-256 and everything that defines the call (:data:`IDENTITY`), with the scenario embedded.

A killed or interrupted run leaves every finished chunk readable; running the same call again
reads them instead of recomputing. A store made by a different call, or by another negosim
version, is refused, so results are never mixed. A damaged manifest (not JSON, wrong shape,
missing or mistyped fields, an embedded scenario that does not match its digest) is reported
as ``StoreError("damaged store: <file>: <what>")``; :func:`negosim.load_results` only
reads.

Every chunk read back passes one check (:meth:`ResultStore.verified`), for the reader and for
a writer resuming alike: its size and checksum, its row count, the columns and types of the
result arrays, and values the model can give (outcomes within the issue scales, utilities at
most 1, rounds within the deadline ...). A chunk whose checksum an editor updated is still
refused if its content is not a result.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import stat
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from negosim.model.errors import ArgumentError, NegosimError, ScenarioError
from negosim.model.information import belief_arrays
from negosim.model.moves import consent_columns
from negosim.model.scenario import Scenario

MANIFEST = "manifest.json"
LOCK = ".lock"
FORMAT = 2
"""The store format this negosim writes. Format 2 added each run's no-deal package and
no-deal utilities (``no_deal.<issue>``, ``no_deal_utility.<actor>``)."""
FORMATS_READ = (1, 2)
"""Formats :func:`negosim.load_results` reads (a store of format 1 lacks the no-deal columns;
its result knows them only for the runs without agreement). Only :data:`FORMAT` is resumed."""
MAX_CHUNKS = 1_000_000
"""Most chunks a store may hold (beyond this the chunk bookkeeping itself would not fit); a
manifest claiming more is damaged."""
MAX_MANIFEST_BYTES = 512 * 1024 * 1024
"""Largest manifest read (one of :data:`MAX_CHUNKS` chunks takes about 150 bytes)."""
#: Manifest fields that must equal the call's for a store to be resumed.
IDENTITY = (
    "version",
    "scenario_digest",
    "seed",
    "runs",
    "chunk_size",
    "protocol",
    "rounds",
    "strategies",
    "options",
    "units",
)
# Type of every manifest field (bool is never accepted where an int is expected).
_FIELDS: dict[str, tuple[type, ...]] = {
    "format": (int,),
    "version": (str,),
    "scenario_digest": (str,),
    "scenario_id": (str,),
    "seed": (int, type(None)),
    "runs": (int,),
    "chunk_size": (int,),
    "protocol": (str,),
    "rounds": (int,),
    "strategies": (dict,),
    "options": (dict,),
    "units": (int,),
    "scenario": (dict,),
    "chunks": (dict,),
}
_CHUNK_FIELDS: dict[str, tuple[type, ...]] = {"rows": (int,), "bytes": (int,), "sha256": (str,)}
_JSON_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}
_LEFTOVERS = (".*.tmp", ".*.tmp-*")  # temporary files of writers that were killed
RESULT_KINDS = {
    "agreed": "b",
    "outcome": "f",
    "utility": "f",
    "rounds": "iu",
    "exited": "iu",
    "moved": "iu",
    "consented": "b",
}
"""The result arrays every chunk holds (:meth:`negosim.SimulationResult.from_chunks` reads
them) and their numpy kinds; a chunk may hold more arrays, of numbers or booleans (they are
not read into a result)."""
TOLERANCE = 1e-9
"""Round-off allowed on an outcome (a share of its issue's span) and on a utility."""


class StoreError(NegosimError):
    """A result store that cannot be used for this call.

    The message starts with ``"damaged store: <file>: "`` for damage and ``"store in use: "``
    when another call holds the store's lock; otherwise it names the store and the field.
    """


def result_columns(
    scenario: Scenario, format: int = FORMAT, beliefs: bool = False
) -> dict[str, tuple[str, ...]]:
    """Column labels of each 2-D result array (see :func:`chunk_frame`) in a store of this
    ``format`` (format 1 has no ``no_deal`` and ``no_deal_utility``); with ``beliefs`` (a
    run under ``information="learned"``) the accuracy of the beliefs, per actor."""
    columns = {
        "outcome": tuple(scenario.issues),
        "utility": tuple(scenario.actors),
        "moved": tuple(m.id for m in scenario.all_moves),
        "consented": tuple(f"{m}.{a}" for m, a in consent_columns(scenario)),
    }
    if format >= 2:
        columns.update(no_deal=tuple(scenario.issues), no_deal_utility=tuple(scenario.actors))
    if beliefs:
        columns.update(dict.fromkeys(belief_arrays(), tuple(scenario.actors)))
    return columns


def learned(manifest: Mapping[str, Any]) -> bool:
    """Whether a stored call ran under ``information="learned"`` (its options say so)."""
    return manifest.get("options", {}).get("information") == repr("learned")


def chunk_frame(arrays: Mapping[str, Any], columns: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The result arrays of a chunk as one flat table.

    Parameters
    ----------
    arrays
        Result arrays with a leading runs axis. A 2-D array ``name`` becomes the columns
        ``name.<label>`` for the labels ``columns[name]``; a 1-D array is one column of its own
        name. Values that are not arrays (the per-round trace) are not stored.
    columns
        Column labels of every 2-D array.

    Returns
    -------
    pandas.DataFrame
        One row per run, dtypes as in ``arrays``; ``frame.attrs["dtypes"]`` keeps the dtype of
        each 2-D array (so a 2-D array with no labels also reads back exactly).
    """
    cols: dict[str, np.ndarray] = {}
    dtypes: dict[str, str] = {}
    for name, values in arrays.items():
        if not isinstance(values, np.ndarray):
            continue
        if values.ndim == 2 and name in columns:
            labels = tuple(columns[name])
            if values.shape[1] != len(labels):
                raise ValueError(
                    f"result array {name!r} has {values.shape[1]} columns, {len(labels)} labels"
                )
            new = {f"{name}.{label}": values[:, k] for k, label in enumerate(labels)}
            dtypes[name] = values.dtype.str
        elif values.ndim == 1 and name not in columns:
            new = {name: values}
        else:
            raise ValueError(f"result array {name!r} of shape {values.shape} has no column rule")
        if clash := cols.keys() & new.keys():
            raise ValueError(f"result column {sorted(clash)[0]!r} would be written twice")
        cols.update(new)
    frame = pd.DataFrame(cols)
    frame.attrs["dtypes"] = dtypes
    return frame


def frame_arrays(frame: pd.DataFrame, columns: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Inverse of :func:`chunk_frame`: the same arrays with the same dtypes."""
    dtypes = frame.attrs.get("dtypes", {})
    out: dict[str, np.ndarray] = {}
    grouped: set[str] = set()
    for name, labels in columns.items():
        names = [f"{name}.{label}" for label in labels]
        grouped.update(names)
        block = frame[names].to_numpy(dtype=dtypes.get(name))
        out[name] = block.reshape(len(frame), len(names))
    for name in frame.columns:
        if name not in grouped:
            out[name] = frame[name].to_numpy()
    return out


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename is durable only then); POSIX only."""
    if os.name != "posix":  # pragma: no cover - Windows cannot open a folder
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file, flush it to disk, rename it over ``path`` and flush
    the folder: after a crash ``path`` holds the old or the new bytes, never a mix."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``OSError`` (with a
    ``strerror``) for anything else: a FIFO would block and a device never end."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file")
    if info.st_size > limit:
        raise OSError(errno.EFBIG, f"{info.st_size:,} bytes, more than expected ({limit:,})")
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _is(value: Any, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)


def _json_kind(value: Any) -> str:
    """The JSON name of a parsed value's type (for messages)."""
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _manifest_problem(manifest: Any) -> str | None:
    """What is wrong with a parsed manifest's shape, or None."""
    if not isinstance(manifest, dict):
        return f"the manifest is {_json_kind(manifest)}, not a JSON object"
    if manifest.get("format") not in FORMATS_READ or isinstance(manifest.get("format"), bool):
        return f"format is {manifest.get('format')!r}, this negosim reads formats " + " and ".join(
            map(str, FORMATS_READ)
        )
    for key, kinds in _FIELDS.items():
        if key not in manifest:
            return f"field {key!r} is missing"
        if not _is(manifest[key], kinds):
            return f"field {key!r} is {_json_kind(manifest[key])}, not {_JSON_NAMES[kinds[0]]}"
    runs, size = manifest["runs"], manifest["chunk_size"]
    if runs < 0 or size < 1 or manifest["rounds"] < 1:
        return "runs < 0, chunk_size < 1 or rounds < 1"
    n_chunks = -(-runs // size)
    if n_chunks > MAX_CHUNKS:
        return f"{runs} runs in chunks of {size} make more than {MAX_CHUNKS:,} chunks"
    if not 0 <= manifest["units"] <= runs:
        return f"units is {manifest['units']}, not in [0, runs = {runs}]"
    if manifest["seed"] is not None and manifest["seed"] < 0:
        return f"seed is {manifest['seed']}, not >= 0"
    for key, entry in manifest["chunks"].items():
        if not (key.isdecimal() and int(key) < n_chunks):
            return f"chunks: {key!r} is not a chunk number 0..{n_chunks - 1}"
        if not isinstance(entry, dict) or not all(
            _is(entry.get(k), kinds) for k, kinds in _CHUNK_FIELDS.items()
        ):
            return f"chunks.{key}: expected rows, bytes (int) and sha256 (str)"
        rows = min(size, runs - int(key) * size)
        if entry["rows"] != rows:
            return f"chunks.{key}: {entry['rows']} rows recorded, the chunk has {rows}"
    return None


def read_manifest(path: str | Path) -> tuple[dict[str, Any], Scenario]:
    """The checked manifest of a store and its embedded scenario (verified by its digest).

    Raises
    ------
    StoreError
        ``"damaged store: <file>: <what>"`` for every damaged form of the manifest.
    """
    file = Path(path) / MANIFEST
    try:
        raw = _read_regular(file, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        raise StoreError(f"{path}: not a result store (no {MANIFEST})") from None
    except OSError as exc:
        raise StoreError(f"damaged store: {file}: unreadable ({exc.strerror})") from None
    try:
        manifest = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise StoreError(f"damaged store: {file}: not JSON") from None
    problem = _manifest_problem(manifest)
    if problem is None:
        try:
            scenario = Scenario.from_dict(manifest["scenario"], source="embedded scenario")
        except (ScenarioError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            problem = str(exc) if isinstance(exc, ScenarioError) else f"embedded scenario: {exc}"
        else:
            if scenario.digest != manifest["scenario_digest"]:
                problem = "the embedded scenario does not match scenario_digest (edited?)"
    if problem is not None:
        raise StoreError(f"damaged store: {file}: {problem}")
    return manifest, scenario


def _check_identity(path: Path, manifest: Mapping[str, Any], identity: Mapping[str, Any]) -> None:
    """Refuse a store of another negosim version or of another call."""
    if manifest["format"] != FORMAT:
        raise StoreError(
            f"{path}: the store has format {manifest['format']}, this negosim writes format "
            f"{FORMAT}; a store is resumed only in its own format: use a new folder "
            "(negosim.load_results still reads it)"
        )
    there, here = manifest["version"], identity.get("version")
    if there != here:
        raise StoreError(
            f"{path}: the store was written by negosim {there}, this is negosim {here}; "
            "a store is resumed only by the version that began it (results could differ): "
            "use a new folder (negosim.load_results still reads it)"
        )
    for key in IDENTITY:
        if manifest.get(key) != identity.get(key):
            raise StoreError(
                f"{path}: the store was made by another call ({key} is "
                f"{manifest.get(key)!r} there, {identity.get(key)!r} here); "
                "use a new folder or delete this one"
            )


class ResultStore:
    """A folder of chunk files and a manifest for one :func:`negosim.simulate` call.

    Open it for writing with :meth:`open`; :func:`load_results` reads a finished store.

    Parameters
    ----------
    path
        The folder.
    manifest
        Its checked manifest (:func:`read_manifest`).
    columns
        Column labels of the 2-D result arrays (:func:`result_columns`).
    """

    def __init__(
        self,
        path: Path,
        manifest: dict[str, Any],
        columns: Mapping[str, Sequence[str]],
        scenario: Scenario | None = None,
    ) -> None:
        self.path, self.manifest, self.columns = path, manifest, columns
        self.scenario = scenario  # the stored call's, to check the values read back
        self.manifest_path = path / MANIFEST
        self._verified: dict[int, dict[str, np.ndarray]] = {}  # checked, not yet read

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, path: str | Path, identity: Mapping[str, Any], columns: Mapping[str, Sequence[str]]
    ) -> Iterator[ResultStore]:
        """Lock the store for writing, for the life of the ``with`` block.

        Leftover temporary files are removed; an existing manifest must be intact and made by
        the same call (the fields of :data:`IDENTITY`, the negosim version included); a new
        store records ``identity``.

        Raises
        ------
        StoreError
            ``"store in use: ..."`` at once if another call holds the lock (no waiting);
            ``"damaged store: ..."``; or a store of another call or version.
        """
        path = Path(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the store folder ({exc})") from None
        lock = FileLock(path / LOCK, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"store in use: {path}: another call is writing to it; "
                "wait for it to finish or use another folder"
            ) from None
        except OSError as exc:
            raise StoreError(f"{path}: cannot lock the store ({exc})") from None
        try:
            for pattern in _LEFTOVERS:
                for leftover in path.glob(pattern):
                    leftover.unlink(missing_ok=True)
            if (path / MANIFEST).exists():
                manifest, scenario = read_manifest(path)
                _check_identity(path, manifest, identity)
                store = cls(path, manifest, columns, scenario)
            else:
                store = cls(path, {"format": FORMAT, **identity, "chunks": {}}, columns)
                store._save()
            yield store
        finally:
            lock.release()

    def _save(self) -> None:
        self._write(self.manifest_path, json.dumps(self.manifest, indent=1).encode())

    def _write(self, path: Path, data: bytes) -> None:
        """Write a file of the store atomically; a write error (a full disk, a folder made
        read-only) is one line, and every chunk recorded so far stays readable."""
        try:
            _atomic_write(path, data)
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot write {path.name} ({exc.strerror or exc}); the chunks "
                "finished before it are kept: free space or fix the folder, then run the same "
                "call again to continue"
            ) from None

    def chunk_file(self, index: int) -> Path:
        """Path of chunk ``index``."""
        return self.path / f"part-{index:06d}.parquet"

    def verified(self, index: int) -> tuple[dict[str, np.ndarray] | None, str | None]:
        """The result arrays of chunk ``index`` if it is recorded and passes every check
        (size and checksum, rows, columns and types, values: :func:`_content_problem`), else
        what is wrong with it (``(None, None)``: not recorded). The one check of a chunk, for
        :func:`read_parts` and for a writer resuming (:meth:`finished`)."""
        entry = self.manifest["chunks"].get(str(index))
        if entry is None:
            return None, None
        try:
            data = _read_regular(self.chunk_file(index), entry["bytes"])
        except FileNotFoundError:
            return None, "is missing"
        except OSError as exc:
            return None, f"is unreadable ({exc.strerror})"
        if len(data) != entry["bytes"]:
            return None, f"has {len(data)} bytes, the manifest says {entry['bytes']}"
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            return None, "does not match its checksum"
        try:
            frame = pd.read_parquet(io.BytesIO(data))
            arrays = frame_arrays(frame, self.columns)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # pyarrow's derive from these
            return None, f"is an unreadable chunk ({_one_line(exc)})"
        if len(frame) != entry["rows"]:
            return None, f"has {len(frame)} rows, the manifest says {entry['rows']}"
        problem = _content_problem(arrays, self.scenario, self.manifest["rounds"])
        return (None, problem) if problem else (arrays, None)

    def finished(self, index: int) -> bool:
        """Whether chunk ``index`` is stored and passes every check (:meth:`verified`); a
        damaged one is reported and forgotten (writers only: the manifest is rewritten)."""
        arrays, problem = self.verified(index)
        if problem:
            warnings.warn(
                f"{self.chunk_file(index)}: {problem}; recomputing that chunk",
                RuntimeWarning,
                stacklevel=3,
            )
            del self.manifest["chunks"][str(index)]
            self._save()
        if arrays is not None:
            self._verified[index] = arrays
        return arrays is not None

    def write(self, index: int, arrays: Mapping[str, Any]) -> None:
        """Store one chunk's result arrays (atomically), then record it in the manifest."""
        if missing := [name for name in self.columns if name not in arrays]:
            raise ValueError(f"result arrays {missing} are missing from the chunk to store")
        frame = chunk_frame(arrays, self.columns)
        data = frame.to_parquet(None, index=False)
        self._write(self.chunk_file(index), data)
        self.manifest["chunks"][str(index)] = {
            "rows": len(frame),
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        self._save()

    def read(self, index: int) -> dict[str, np.ndarray]:
        """The checked result arrays of chunk ``index`` (:meth:`verified`).

        Raises
        ------
        StoreError
            ``"damaged store: <file>: <what>"`` for a chunk that fails a check or is not
            recorded.
        """
        arrays = self._verified.pop(index, None)
        if arrays is not None:  # checked by finished() a moment ago
            return arrays
        arrays, problem = self.verified(index)
        if arrays is None:
            raise StoreError(
                f"damaged store: {self.chunk_file(index)}: {problem or 'is not recorded'}; "
                "rerun the same call to recompute it"
            )
        return arrays


def iter_parts(path: str | Path) -> Iterator[dict[str, np.ndarray]]:
    """The result arrays of a finished store, chunk by chunk in run order: memory holds one
    chunk at a time, however many runs the store holds (reading never writes).

    Raises
    ------
    StoreError
        As :func:`negosim.load_results`, before the first chunk (unfinished, damaged manifest) or
        at the damaged chunk.

    Examples
    --------
    >>> import tempfile
    >>> import negosim as ns
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = ns.simulate(ns.load_scenario("package_2007"), 8, chunk_size=5, store=folder)
    ...     print([len(part["agreed"]) for part in iter_parts(folder)])
    [5, 3]
    """
    if not isinstance(path, str | os.PathLike) or not str(path).strip() or "\0" in str(path):
        raise ArgumentError("path", f"must name a store folder, got {path!r}")
    store, n_chunks, _ = finished_store(Path(path))
    return read_parts(store, n_chunks)


def finished_store(path: Path) -> tuple[ResultStore, int, Scenario]:
    """A store for reading, its number of chunks and its scenario; refused if a chunk is
    missing."""
    manifest, scenario = read_manifest(path)
    n_chunks = -(-manifest["runs"] // manifest["chunk_size"])
    missing = [k for k in range(n_chunks) if str(k) not in manifest["chunks"]]
    if missing:
        raise StoreError(
            f"{path}: unfinished, chunks {missing[:10]} are missing; rerun the same call"
        )
    columns = result_columns(scenario, manifest["format"], learned(manifest))
    return ResultStore(path, manifest, columns, scenario), n_chunks, scenario


def read_parts(store: ResultStore, n_chunks: int) -> Iterator[dict[str, np.ndarray]]:
    """The checked result arrays of each chunk in run order, each judged alone by
    :meth:`ResultStore.verified` (as a writer resuming judges it), so a damaged chunk is the
    one named.

    Raises
    ------
    StoreError
        ``"damaged store: <file>: <what>"`` at the first chunk that fails a check.
    """
    for k in range(n_chunks):
        yield store.read(k)


def _content_problem(
    arrays: Mapping[str, np.ndarray], scenario: Scenario | None, deadline: int
) -> str | None:
    """What is wrong with one chunk's result arrays read back, or None: the arrays of
    :data:`RESULT_KINDS` missing or of another kind, a column of other values than numbers,
    or values the model cannot give for ``scenario`` (when known) and ``deadline``."""
    for name, kinds in RESULT_KINDS.items():
        if name not in arrays:
            return f"the result column {name!r} is missing"
        if arrays[name].dtype.kind not in kinds:
            return (
                f"the result column {name!r} holds {arrays[name].dtype}, not {_KIND_NAMES[kinds]}"
            )
    if any(a.dtype.kind not in "biuf" for a in arrays.values()):
        return "a column holds values that are not numbers"
    if scenario is None:
        return None
    low, high = np.asarray(scenario.low), np.asarray(scenario.high)
    span = high - low
    lowest = -len(scenario.all_moves)  # a utility less what the actor paid for its moves
    # the no-deal arrays: stores of format 2
    for name, what in (("outcome", "an outcome"), ("no_deal", "a no-deal package")):
        package = arrays.get(name)
        if package is not None and not np.all(
            (package >= low - TOLERANCE * span) & (package <= high + TOLERANCE * span)
        ):
            return f"{what} is not a number within its issue's scale"
    for name, what in (("utility", "a utility"), ("no_deal_utility", "a no-deal utility")):
        utility = arrays.get(name)
        if utility is not None and not np.all(
            (utility <= 1 + TOLERANCE) & (utility >= lowest - TOLERANCE)
        ):
            return f"{what} is not a number in [{lowest}, 1] (the most a package is worth is 1)"
    if not np.all((arrays["rounds"] >= 0) & (arrays["rounds"] <= deadline)):
        return f"a run's rounds are not within 0..{deadline} (the deadline)"
    if not np.all((arrays["exited"] >= -1) & (arrays["exited"] < len(scenario.actors))):
        return "an exited actor is not -1 (none) or an actor's index"
    if not np.all((arrays["moved"] >= -1) & (arrays["moved"] <= deadline)):
        return f"a move's round is not -1 (not made) or within 0..{deadline}"
    return None


_KIND_NAMES = {"b": "booleans", "f": "floating-point numbers", "iu": "whole numbers"}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
