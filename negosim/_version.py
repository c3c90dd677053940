"""The installed negosim's version, read from the distribution's metadata when first asked.

Outside the layers (docs/architecture.md): the root package's ``__version__`` and the result
store's record of which version wrote it both read it here.
"""

from __future__ import annotations

from functools import cache


@cache
def package_version() -> str:
    """The version in pyproject.toml, as installed (``0+unknown`` for a source tree that was
    never installed)."""
    from importlib import metadata  # importlib.metadata costs ~20 ms: only when asked

    try:
        return metadata.version("negosim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
