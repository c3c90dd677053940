"""What the compiled paths share: whether numba is installed, and a notice while it compiles.

The exchange model, the expected utility model and the bargaining solutions each have a
compiled path (the optional ``fast`` extra). Their first call in a process may compile or
load numba's cache; :func:`compiling_notice` says so when that takes long.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from collections.abc import Iterator

from tqdm.auto import tqdm

AVAILABLE = importlib.util.find_spec("numba") is not None
"""Whether numba is installed (found without importing it: importing numba takes ~0.5 s)."""

NOTICE_SECONDS = 2.0
"""Say what is happening if the first call of a process takes longer than this."""


@contextlib.contextmanager
def compiling_notice(message: str, seconds: float = NOTICE_SECONDS) -> Iterator[None]:
    """Print ``message`` (above any progress bar) if the block runs ``seconds``."""
    timer = threading.Timer(seconds, lambda: tqdm.write(message, file=sys.stderr))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
