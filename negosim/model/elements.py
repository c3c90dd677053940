"""The parts of a scenario: issues, actors, coalitions, moves, uncertainty and updates.

Plain frozen value objects and the vocabulary of the scenario format (roles, ratification
rules, losses, distributions, protocol names). :class:`negosim.model.scenario.Scenario` holds
them; :mod:`negosim.model.parse` builds them from a mapping and checks every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

ROLES = ("negotiator", "ratifier", "mediator")
RULES = ("unanimity", "majority", "qualified")
LOSSES = ("linear", "quadratic")
CONFIDENCE_CODES = ("A", "E")
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "choice": ("values",),
}
DISTRIBUTION_OPTIONAL = {"choice": ("weights",)}
SALIENCE_RANGE = (0.0, 100.0)
MAX_SCALE = 1e9
"""Issue scales stay within +-MAX_SCALE, so that utilities keep full precision."""
MIN_SPAN_SHARE = 1e-5
"""An issue scale is at least this share of its largest end wide ([1e6, 1e6 + 20] is, [1e6,
1e6 + 1] is not), so that positions on it keep about 11 significant digits."""
MAX_POWER = 1e9
"""Power (overall and per issue) is at most this, so that power-weighted sums, products and
squares stay finite and exact enough however many actors there are."""
MIN_POWER = 1e-9
"""Power (overall and per issue) is at least this, given or sampled: two powers then differ
by a factor of at most 1e18 and their products stay normal floats (a power of 5e-324, a
subnormal float of one significant bit, shifted the exchange model's outcomes)."""
MIN_MAGNITUDE = 1e-100
"""A strategy's parameter (given in a file, sampled, set or passed as an argument) is 0 or at
least this far from 0, and an issue scale at least this wide: their reciprocals and products
then stay normal floats (a subnormal number keeps few significant digits, and its reciprocal
overflows: ``boulware:e=1e-320``)."""
MAX_SD_SPAN = 1e6
"""A normal distribution's ``sd`` is at most this many times the range its target may take:
wider, the truncated normal is a uniform to within a millionth, and beyond about 1e15 its
inverse distribution function loses every digit (``sd = 1e20`` on a 0..100 scale drew the
mean every time)."""


def magnitude_problem(value: float) -> str:
    """Why a finite number is too close to 0 to compute with (:data:`MIN_MAGNITUDE`), or "";
    one rule for the strategy parameters of scenario files and of the arguments
    (:mod:`negosim.engine.arguments`).

    Examples
    --------
    >>> magnitude_problem(5e-324)
    'must be 0 or at least 1e-100 in size, got 4.94066e-324 (too close to 0 to compute with)'
    >>> magnitude_problem(0.0), magnitude_problem(1e-9)
    ('', '')
    """
    if value != 0 and abs(value) < MIN_MAGNITUDE:
        return (
            f"must be 0 or at least {MIN_MAGNITUDE:g} in size, got {value:g} (too close to 0 "
            "to compute with)"
        )
    return ""


PROTOCOL_NAMES = (
    "alternating",
    "mediated",
    "eum",
    "exchange",
    "compromise",
    "median",
    "nash",
    "kalai_smorodinsky",
    "utilitarian",
)
"""The protocols a scenario may name; :data:`negosim.engine.protocols.PROTOCOLS` runs each."""
SOLUTION_PROTOCOLS = ("nash", "kalai_smorodinsky", "utilitarian")
"""The bargaining solutions: two parties or more, and exact for linear loss only."""


def solution_problem(protocol: str, loss: str, negotiators: int) -> str:
    """Why a bargaining solution cannot solve a scenario with this ``loss`` and number of
    ``negotiators`` ("" if it can, or for any other protocol): one rule for the scenario
    file's check and the engine's."""
    if protocol not in SOLUTION_PROTOCOLS:
        return ""
    if negotiators < 2:
        return (
            f"the bargaining solution {protocol!r} needs two negotiators or more, got {negotiators}"
        )
    if loss != "linear":
        return f"the bargaining solution {protocol!r} is exact for linear loss only, got {loss!r}"
    return ""


NEEDS_NEGOTIATORS = ("alternating", "mediated", "nash", "kalai_smorodinsky", "utilitarian")
"""Protocols that are played by negotiators (the others forecast from every actor)."""
PLAYS_STRATEGIES = ("alternating", "mediated")
"""Protocols whose negotiators offer and answer by their strategies (the others compute their
outcome from positions, salience and power alone, so a strategy would change nothing)."""


# ----------------------------------------------------------------------------- value objects


@dataclass(frozen=True, slots=True)
class Anchor:
    """A labelled point on an issue scale."""

    value: float
    label: str


@dataclass(frozen=True, slots=True)
class Issue:
    """One negotiated issue: a policy scale with a status quo (the reversion point)."""

    id: str
    label: str
    low: float
    high: float
    status_quo: float
    anchors: tuple[Anchor, ...] = ()
    quote: str = ""
    source: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Exit:
    """An outside option that ends the talks: shorthand for a :class:`Move` of one actor on
    ``issue`` (to ``to``, default the status quo) with ``ends_talks`` and window ``[at, 1]``."""

    issue: str
    at: float
    label: str = ""
    source: str = ""
    to: float | None = None
    cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Move:
    """A unilateral move: its movers settle one issue at ``to`` without an agreement.

    A move needs the consent of ``needs`` (actor or coalition ids), costs each mover
    ``cost + cost_rate * tau`` utility at relative time ``tau`` (kept in [0, 1]) and can be
    made while relative time is in ``[earliest, latest]``; a reaction (``after``, the id of
    an earlier move) only once that move is made. A move with ``ends_talks`` ends the whole
    negotiation (an exit). ``docs/protocols.md`` states when a mover makes it.
    """

    id: str
    actors: tuple[str, ...]
    issue: str
    to: float
    needs: tuple[str, ...] = ()
    cost: float = 0.0
    earliest: float = 0.0
    latest: float = 1.0
    ends_talks: bool = False
    cost_rate: float = 0.0
    after: str = ""
    label: str = ""
    quote: str = ""
    source: str = ""
    confidence: Mapping[str, str] = field(default_factory=dict)


ISSUE_TABLE_NOTE = "issue scales, status quo and the negotiators' ideal points"
"""Caption of the issue table in a scenario's display."""

MOVE_FIELDS = ("to", "cost", "cost_rate", "earliest", "latest")
"""Numbers of a move that uncertainty entries and updates can target (``moves.ID.FIELD``)."""

MOVES_PREFIX = "moves"
"""First part of a move target; reserved, so no actor may have this id."""


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """A strategy named in a scenario file, with its parameters."""

    name: str
    params: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Actor:
    """A state or organisation at the table."""

    id: str
    name: str
    power: float
    position: Mapping[str, float]
    salience: Mapping[str, float]
    role: str = "negotiator"
    power_by_issue: Mapping[str, float] = field(default_factory=dict)
    reservation: float | None = None
    exit: Exit | None = None
    strategy: StrategySpec | None = None
    discount: float | None = None
    confidence: Mapping[str, Any] = field(default_factory=dict)
    sources: Any = ""


@dataclass(frozen=True, slots=True)
class Coalition:
    """A group whose consent an agreement needs on the issues it ratifies."""

    id: str
    members: tuple[str, ...]
    ratifies: tuple[str, ...]
    rule: str = "unanimity"
    threshold: float | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """A distribution over one scenario number, for Monte Carlo."""

    target: str
    dist: str
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Update:
    """A dated change of scenario numbers ("daily-updated analyses")."""

    date: date
    changes: Mapping[str, Any]
    source: str = ""
    note: str = ""
    made: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed uncertainty target such as ``Russia.salience.kosovo_status``."""

    actor: int
    field: str  # position | salience | power | power_by_issue | reservation | strategy | move
    issue: int = -1
    param: str = ""  # strategy parameter, or the move's field (to, cost, earliest, latest)
    move: int = -1
