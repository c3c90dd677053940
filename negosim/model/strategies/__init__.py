"""Negotiation strategies: one base class, one module per family, and a registry.

Use a strategy by object (``Boulware(e=0.2)``) or by name (``make_strategy("boulware", e=0.2)``).
Third-party packages add strategies through the entry-point group ``negosim.strategies``
(``name = "package.module:Class"``); in a session, :func:`register` does the same.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from negosim.model.errors import suggest
from negosim.model.strategies.anac import AgentK, HardHeaded, NiceTitForTat, PonPoko
from negosim.model.strategies.base import (
    ACCEPT_TOLERANCE,
    Strategy,
    View,
    checked_propose,
    checked_respond,
    checked_target,
    classify,
    concession_line,
    snake_case,
)
from negosim.model.strategies.random_walk import RandomWalk
from negosim.model.strategies.rubinstein import Rubinstein, rubinstein_share
from negosim.model.strategies.time_dependent import (
    Boulware,
    Conceder,
    Hardliner,
    Linear,
    TimeDependent,
)
from negosim.model.strategies.tit_for_tat import AbsoluteTitForTat, TitForTat
from negosim.model.strategies.trade_off import TradeOff

_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Register a strategy class under its ``name`` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise TypeError(f"{cls!r} is not a subclass of negosim.model.strategies.Strategy")
    _REGISTRY[cls.name] = cls
    return cls


for _cls in (
    TimeDependent,
    Boulware,
    Linear,
    Conceder,
    Hardliner,
    RandomWalk,
    TitForTat,
    AbsoluteTitForTat,
    TradeOff,
    Rubinstein,
    HardHeaded,
    AgentK,
    NiceTitForTat,
    PonPoko,
):
    register(_cls)


def _load_entry_points() -> None:
    for ep in entry_points(group="negosim.strategies"):
        if ep.name not in _REGISTRY:
            register(ep.load())


def strategy_names() -> list[str]:
    """Names of all registered strategies (built-in and from entry points)."""
    _load_entry_points()
    return sorted(_REGISTRY)


def get_strategy_class(name: str) -> type[Strategy]:
    """The strategy class registered under ``name`` (case and CamelCase are forgiven)."""
    key = _normalise(name)
    if key not in _REGISTRY:
        _load_entry_points()
    if key not in _REGISTRY:
        hint = suggest(key, _REGISTRY)
        raise KeyError(f"unknown strategy {name!r}{hint}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def make_strategy(name: str | Strategy, **params: Any) -> Strategy:
    """Build a strategy from its registered name and parameters (or pass one through).

    Examples
    --------
    >>> make_strategy("boulware", e=0.1)
    Boulware(e=0.1)
    >>> make_strategy("TitForTat").name  # CamelCase is forgiven
    'tit_for_tat'
    """
    if isinstance(name, Strategy):
        return name
    cls = get_strategy_class(name)
    try:
        return cls(**params)
    except TypeError:
        import inspect

        allowed = list(inspect.signature(cls).parameters)
        bad = [p for p in params if p not in allowed]
        raise TypeError(
            f"strategy {cls.name!r} takes parameters {allowed or 'none'}, got {bad or params}"
        ) from None


def _normalise(name: str) -> str:
    return snake_case(str(name).strip()).replace("-", "_").replace(" ", "_")


__all__ = [
    "ACCEPT_TOLERANCE",
    "AbsoluteTitForTat",
    "AgentK",
    "Boulware",
    "Conceder",
    "HardHeaded",
    "Hardliner",
    "Linear",
    "NiceTitForTat",
    "PonPoko",
    "RandomWalk",
    "Rubinstein",
    "Strategy",
    "TimeDependent",
    "TitForTat",
    "TradeOff",
    "View",
    "checked_propose",
    "checked_respond",
    "checked_target",
    "classify",
    "concession_line",
    "get_strategy_class",
    "make_strategy",
    "register",
    "rubinstein_share",
    "strategy_names",
]
