"""What the compiled paths share: whether numba is installed, and a notice while it compiles.

The exchange model, the expected utility model and the bargaining solutions each have a
compiled path (the optional ``fast`` extra). Their first call in a process may compile or
load numba's cache; :func:`compiling_notice` says so when that takes long, once per machine
and version of the compiled code: after a first call that completed, a marker file in
negosim's cache folder (``$XDG_CACHE_HOME/negosim/compiled``, else ``~/.cache/...``) keeps
later processes quiet while they only load numba's cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

AVAILABLE = importlib.util.find_spec("numba") is not None
"""Whether numba is installed (found without importing it: importing numba takes ~0.5 s)."""

NOTICE_SECONDS = 2.0
"""Say what is happening if the first call of a process takes longer than this."""


def code_key(source: str | Path) -> str:
    """A name for the compiled code of a module: its file name and the digest of its text (a
    new version of the code is a new key, so its first compile is announced again)."""
    path = Path(source)
    return f"{path.stem}-{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"


def marker_folder() -> Path:
    """Where the markers of code compiled on this machine are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "negosim" / "compiled"


@contextlib.contextmanager
def compiling_notice(
    message: str, seconds: float = NOTICE_SECONDS, *, key: str | None = None
) -> Iterator[None]:
    """Print ``message`` (above any progress bar) if the block runs ``seconds``, unless the
    code ``key`` names (:func:`code_key`) has been compiled on this machine before; a block
    that completes marks it so. Without ``key`` the notice is always possible."""
    marker = marker_folder() / key if key else None
    if marker is not None and marker.exists():
        yield
        return
    timer = threading.Timer(seconds, lambda: tqdm.write(message, file=sys.stderr))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
    if marker is not None:
        with contextlib.suppress(OSError):  # a read-only home only means the notice repeats
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
