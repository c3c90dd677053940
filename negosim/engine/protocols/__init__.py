"""Negotiation protocols: the rules that move rounds forward over all runs at once."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from negosim.engine.protocols.alternating import Alternating, run_alternating
from negosim.engine.protocols.baselines import SOLUTIONS, run_compromise, run_median, run_solution
from negosim.engine.protocols.eum import run_eum
from negosim.engine.protocols.exchange import run_exchange
from negosim.engine.protocols.mediated import (
    Mediated,
    amend_text,
    compromise_text,
    objections,
    run_mediated,
)
from negosim.engine.table import RoundRecord, RoundRules, Table, play
from negosim.model.errors import suggest

PROTOCOLS: dict[str, Callable[..., None]] = {
    "alternating": run_alternating,
    "mediated": run_mediated,
    "eum": run_eum,
    "exchange": run_exchange,
    "compromise": run_compromise,
    "median": run_median,
    **{name: partial(run_solution, kind=name) for name in SOLUTIONS},
}


def get_protocol(name: str) -> Callable[..., None]:
    """The protocol function registered under ``name``."""
    if name not in PROTOCOLS:
        hint = suggest(name, PROTOCOLS)
        raise KeyError(f"unknown protocol {name!r}{hint}; known: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]


__all__ = [
    "PROTOCOLS",
    "Alternating",
    "Mediated",
    "RoundRecord",
    "RoundRules",
    "Table",
    "amend_text",
    "compromise_text",
    "get_protocol",
    "objections",
    "play",
    "run_alternating",
    "run_mediated",
]
