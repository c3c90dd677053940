"""Opponent models: what an actor learns of another's preferences from its offers.

One base class (:class:`OpponentModel`), one module per model and a registry. Build a model
by object (``FrequencyModel(bins=10)``) or by name (``get_model("frequency", bins=10)``).
Third-party packages add models through the entry-point group ``negosim.opponent_models``
(``name = "package.module:Class"``); in a session, :func:`register` does the same.

The built-in models (rules and sources: ``docs/protocols.md``, "Opponent models"):

* ``frequency``: HardHeaded's frequency model (van Krimpen, Looije and Hajizadeh 2013);
* ``bayesian``: the scalable Bayesian model of Hindriks and Tykhonov (2008).
"""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from typing import Any

from negosim.model.errors import UnknownNameError, WrongKindError, unknown
from negosim.model.opponents.base import OpponentModel, Prior, snake_case
from negosim.model.opponents.bayesian import BayesianModel
from negosim.model.opponents.frequency import FrequencyModel

ENTRY_POINTS = "negosim.opponent_models"
"""The entry-point group other packages register their opponent models under."""

_REGISTRY: dict[str, type[OpponentModel]] = {}


def register(cls: type[OpponentModel]) -> type[OpponentModel]:
    """Register an opponent model class under its ``name`` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, OpponentModel)):
        raise TypeError(f"{cls!r} is not a subclass of negosim.model.opponents.OpponentModel")
    _REGISTRY[cls.name] = cls
    return cls


for _cls in (FrequencyModel, BayesianModel):
    register(_cls)


def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINTS):
        if ep.name not in _REGISTRY:
            register(ep.load())


def model_names() -> list[str]:
    """Names of all registered opponent models (built-in and from entry points)."""
    _load_entry_points()
    return sorted(_REGISTRY)


def get_model_class(name: str) -> type[OpponentModel]:
    """The opponent model class registered under ``name`` (case and CamelCase are forgiven).

    Raises
    ------
    UnknownNameError
        (a ``KeyError`` and a ``ValueError``) for a name no model has, with the closest one.
    """
    key = snake_case(str(name).strip()).replace("-", "_").replace(" ", "_")
    if key not in _REGISTRY:
        _load_entry_points()
    if key not in _REGISTRY:
        raise UnknownNameError("opponent_model", unknown("opponent model", name, sorted(_REGISTRY)))
    return _REGISTRY[key]


def get_model(name: str | OpponentModel, **params: Any) -> OpponentModel:
    """Build an opponent model from its registered name and parameters (or pass one through).

    Examples
    --------
    >>> get_model("frequency", bins=10)
    FrequencyModel(learn_coef=0.2, bins=10, tolerance=0.005, start='prior')
    >>> get_model("Bayesian").name
    'bayesian'
    """
    if isinstance(name, OpponentModel):
        return name
    cls = get_model_class(name)
    allowed = list(inspect.signature(cls).parameters)
    bad = [p for p in params if p not in allowed]
    if bad:
        raise WrongKindError(
            "opponent_model", f"{cls.name!r} takes parameters {allowed or 'none'}, got {bad}"
        )
    return cls(**params)


__all__ = [
    "ENTRY_POINTS",
    "BayesianModel",
    "FrequencyModel",
    "OpponentModel",
    "Prior",
    "get_model",
    "get_model_class",
    "model_names",
    "register",
]
