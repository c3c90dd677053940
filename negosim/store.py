"""Crash-safe result stores: one Parquet file per finished chunk plus a manifest.

Every chunk is written to a temporary name and renamed (atomic on POSIX), then the manifest
(also written and renamed) records its size and SHA-256. A killed or interrupted run leaves
every finished chunk readable; running the same call again reads them instead of recomputing.
A store made by a different call (other scenario, seed, chunking, protocol, strategies,
rounds or options) is refused, so results are never mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MANIFEST = "manifest.json"
FORMAT = 1
IDENTITY = (
    "scenario_digest",
    "seed",
    "runs",
    "chunk_size",
    "protocol",
    "rounds",
    "strategies",
    "options",
)


class StoreError(ValueError):
    """A result store that cannot be used for this call (it names the store and the field)."""


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ResultStore:
    """A folder of chunk files and a manifest for one :func:`negosim.simulate` call.

    Parameters
    ----------
    path
        The folder (created if missing).
    identity
        What defines the call: ``scenario_digest``, ``seed``, ``runs``, ``chunk_size``,
        ``protocol``, ``rounds``, ``strategies``, ``options``; plus ``scenario`` (the scenario
        as a mapping, so :func:`load_results` can rebuild it) and ``version``.
    """

    def __init__(self, path: str | Path, identity: Mapping[str, Any]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.manifest_path = self.path / MANIFEST
        if self.manifest_path.exists():
            self.manifest = self._read_manifest(self.path)
            for key in IDENTITY:
                if self.manifest.get(key) != identity.get(key):
                    raise StoreError(
                        f"{self.path}: the store was made by another call ({key} is "
                        f"{self.manifest.get(key)!r} there, {identity.get(key)!r} here); "
                        "use a new folder or delete this one"
                    )
        else:
            self.manifest = {"format": FORMAT, **identity, "chunks": {}}
            self._save()

    @staticmethod
    def _read_manifest(path: Path) -> dict[str, Any]:
        try:
            manifest = json.loads((path / MANIFEST).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreError(f"{path / MANIFEST}: unreadable manifest ({exc})") from None
        if manifest.get("format") != FORMAT:
            raise StoreError(f"{path / MANIFEST}: unknown store format {manifest.get('format')!r}")
        return manifest

    def _save(self) -> None:
        _atomic_write(self.manifest_path, json.dumps(self.manifest, indent=1, default=str).encode())

    def chunk_file(self, index: int) -> Path:
        return self.path / f"part-{index:06d}.parquet"

    def finished(self, index: int) -> bool:
        """Whether chunk ``index`` is stored intact; a damaged one is reported and forgotten."""
        entry = self.manifest["chunks"].get(str(index))
        if entry is None:
            return False
        path = self.chunk_file(index)
        problem = None
        if not path.exists():
            problem = "is missing"
        elif path.stat().st_size != entry["bytes"]:
            problem = f"has {path.stat().st_size} bytes, the manifest says {entry['bytes']}"
        elif _sha256(path) != entry["sha256"]:
            problem = "does not match its checksum"
        if problem:
            warnings.warn(f"{path} {problem}; recomputing that chunk", RuntimeWarning, stacklevel=3)
            del self.manifest["chunks"][str(index)]
            self._save()
            return False
        return True

    def write(self, index: int, arrays: Mapping[str, np.ndarray], actors, issues) -> None:
        """Store one chunk's result arrays (atomically), then record it in the manifest."""
        frame = chunk_frame(arrays, actors, issues)
        path = self.chunk_file(index)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        self.manifest["chunks"][str(index)] = {
            "rows": len(frame),
            "bytes": path.stat().st_size,
            "sha256": _sha256(path),
        }
        self._save()

    def read(self, index: int, actors, issues) -> dict[str, np.ndarray]:
        return frame_arrays(pd.read_parquet(self.chunk_file(index)), actors, issues)


def chunk_frame(arrays: Mapping[str, np.ndarray], actors, issues) -> pd.DataFrame:
    """The result arrays of a chunk as a flat table (``outcome.<issue>``, ``utility.<actor>``)."""
    cols: dict[str, np.ndarray] = {k: arrays[k] for k in ("agreed", "rounds", "exited")}
    cols.update({f"outcome.{i}": arrays["outcome"][:, k] for k, i in enumerate(issues)})
    cols.update({f"utility.{a}": arrays["utility"][:, k] for k, a in enumerate(actors)})
    return pd.DataFrame(cols)


def frame_arrays(frame: pd.DataFrame, actors, issues) -> dict[str, np.ndarray]:
    """Inverse of :func:`chunk_frame`."""
    return {
        "agreed": frame["agreed"].to_numpy(bool),
        "rounds": frame["rounds"].to_numpy(np.int64),
        "exited": frame["exited"].to_numpy(np.int64),
        "outcome": frame[[f"outcome.{i}" for i in issues]].to_numpy(float).reshape(len(frame), -1),
        "utility": frame[[f"utility.{a}" for a in actors]].to_numpy(float).reshape(len(frame), -1),
    }


def load_results(path: str | Path):
    """The :class:`~negosim.SimulationResult` of a finished store.

    Raises
    ------
    StoreError
        If the store is unfinished (it names the missing chunks) or damaged.
    """
    from negosim.results import SimulationResult
    from negosim.scenario import Scenario

    path = Path(path)
    manifest = ResultStore._read_manifest(path)
    scenario = Scenario.from_dict(manifest["scenario"], source=str(path / MANIFEST))
    n_chunks = -(-manifest["runs"] // manifest["chunk_size"])
    missing = [k for k in range(n_chunks) if str(k) not in manifest["chunks"]]
    if missing:
        raise StoreError(
            f"{path}: unfinished, chunks {missing[:10]} are missing; rerun the same call"
        )
    store = ResultStore(path, manifest)
    parts = []
    for k in range(n_chunks):
        if not store.finished(k):
            raise StoreError(f"{store.chunk_file(k)}: damaged; rerun the same call to recompute it")
        parts.append(store.read(k, scenario.actors, scenario.issues))
    return SimulationResult.from_chunks(
        scenario,
        parts,
        seed=manifest["seed"],
        protocol=manifest["protocol"],
        rounds=manifest["rounds"],
    )
