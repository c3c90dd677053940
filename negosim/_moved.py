"""Deprecated module paths of negosim 0.1, kept for one release (removed in 0.3).

Version 0.2 sorted the flat package into layers (docs/architecture.md): ``negosim.scenario``
became :mod:`negosim.model.scenario` and its neighbours, ``negosim.protocols`` became
:mod:`negosim.engine.protocols`, and so on. Importing an old path still works: it gives the
new module (or, where the old module was split, a module that finds each name where it went)
and warns with a ``DeprecationWarning`` naming the new path. :data:`MOVED` is the whole list.

A name set on a split module's old path (``monkeypatch.setattr(negosim.scenario, ...)``) does
not reach the module that uses it: patch the new module. Removed outright in 0.2, with no
alias: ``negosim.validation.check_protocol`` and ``negosim.scenario.check_protocol`` (the
parser checks a protocol name against ``negosim.model.elements.PROTOCOL_NAMES``) and
``negosim.sampling.SAMPLING_STREAM`` (every sampled number has a stream of its own, keyed by
its target: docs/scaling.md, "Reproducibility"); the internal constants ``MUTABLE`` and
``SUM_BLOCK`` of ``negosim.protocols.exchange`` (now in ``exchange_batch``) and
``NOTICE_SECONDS`` of ``negosim.protocols.exchange_compiled`` (now in ``negosim.engine.compiling``).
A split module is aliased only where its old parent is the root: under a moved package the
import system would bind the alias as an attribute of the new package, in place of the module.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec

MOVED: dict[str, tuple[str, ...]] = {
    "negosim.scenario": (
        "negosim.model.scenario",
        "negosim.model.elements",
        "negosim.model.targets",
        "negosim.model.errors",
        "negosim.io.scenario_file",
    ),
    "negosim.validation": (
        "negosim.engine.arguments",
        "negosim.engine.memory",
        "negosim.model.errors",
        "negosim.cli",
    ),
    "negosim.preferences": ("negosim.model.preferences",),
    "negosim.ratification": ("negosim.model.ratification",),
    "negosim.moves": ("negosim.model.moves",),
    "negosim.strategies": ("negosim.model.strategies",),
    "negosim.sampling": ("negosim.engine.sampling",),
    "negosim.results": ("negosim.engine.results",),
    "negosim.store": ("negosim.io.store", "negosim.engine.results"),
    "negosim.protocols": ("negosim.engine.protocols",),
    "negosim.protocols.table": ("negosim.engine.table",),
    "negosim.frontier": ("negosim.engine.solvers.frontier",),
    "negosim.solutions_compiled": ("negosim.engine.solvers.compiled",),
    "negosim.solutions": ("negosim.analysis.solutions",),  # its solver names: see there
    "negosim.linkage": ("negosim.analysis.linkage",),
    "negosim.whatif": ("negosim.analysis.whatif",),
    "negosim.tournaments": ("negosim.analysis.tournaments",),
}
"""Old module path -> the modules that now hold its names (the first is named in the warning)."""

MOVED_PACKAGES = {
    "negosim.strategies.": "negosim.model.strategies.",
    "negosim.protocols.": "negosim.engine.protocols.",
}
"""Old package prefix -> new prefix, for the submodules of a moved package."""


def homes(name: str) -> tuple[str, ...] | None:
    """The new modules of an old module path, or ``None`` if ``name`` did not move."""
    if name in MOVED:
        return MOVED[name]
    for old, new in MOVED_PACKAGES.items():
        if name.startswith(old):
            return (new + name[len(old) :],)
    return None


class MovedFinder:
    """Finds the old paths of :data:`MOVED` and loads them as their new modules (a meta path
    finder and its loader, by the protocol of :mod:`importlib`; ``importlib.abc`` is not
    subclassed, as importing it would double the import time of ``negosim``)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> ModuleSpec | None:
        if homes(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        return None  # the default module; exec_module puts the real one in its place

    def exec_module(self, module: types.ModuleType) -> None:
        old = module.__name__
        new = homes(old) or ()
        if len(new) == 1:  # the same module object: attributes and monkeypatching agree
            _warn(f"{old} is now {new[0]}: import it from there", _caller_level())
            sys.modules[old] = importlib.import_module(new[0])
            return
        _warn(f"{old} was split into {', '.join(new)}", _caller_level())

        def find(attribute: str) -> object:
            if attribute.startswith("__"):  # a module's own dunders (tools probe __file__)
                raise AttributeError(f"module {old!r} has no attribute {attribute!r}")
            for home in new:
                value = getattr(importlib.import_module(home), attribute, _MISSING)
                if value is not _MISSING:
                    _warn(f"{old}.{attribute} is now {home}.{attribute}: import it from there", 2)
                    return value
            raise AttributeError(f"module {old!r} has no attribute {attribute!r}")

        module.__getattr__ = find  # type: ignore[method-assign]


def _warn(message: str, stacklevel: int) -> None:
    warnings.warn(
        f"{message} (the old path goes in negosim 0.3)",
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )


_MISSING = object()


def _caller_level() -> int:
    """The stack level, for :func:`warnings.warn` called here, of the code that imported the
    old path: this module's frames count, importlib's do not (``warnings`` skips them), so
    the warning points at the user's import line and Python's default filter shows it."""
    frame, level = sys._getframe(1), 1
    while frame is not None:
        name = frame.f_code.co_filename
        if name != __file__ and not name.startswith("<frozen importlib"):
            return level
        level += name == __file__
        frame = frame.f_back
    return level


def install() -> None:
    """Put the finder first on ``sys.meta_path``, once: a submodule of a moved package
    (``negosim.strategies.time_dependent``) would otherwise be found by the path finder in
    the new package's folder and loaded a second time, as a copy with the old name."""
    if not any(isinstance(f, MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MovedFinder())
