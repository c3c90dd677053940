# Test-only reference: the per-run implementation as of 28e2a83; only the parts the batched
# code replaced; the rest is imported. The methods below are negosim/protocols/exchange.py of
# that commit verbatim: outcome sums rebuilt position by position, the list sorted by the gain
# itself, and every open exchange recalculated after each realised one. The candidate
# exchanges, their rates, moves and gains (rules 2-6), the randomized variant and the end of a
# round did not change and come from the library. The library's per-run and batched paths are
# compared with this run by run, so a change there is checked against an independent older
# implementation rather than against itself. Do not edit.
"""The exchange model's rounds as played per run before the batched float path: see
:mod:`negosim.engine.protocols.exchange` for the model."""

from __future__ import annotations

from typing import Any

from negosim.engine.protocols import exchange
from negosim.engine.protocols.exchange import TIE, _Exchange


class _Round(exchange._Round):
    def outcome_with(self, issue: int, updates: dict[int, Any], actor: int, position: Any) -> Any:
        x = {k: self.x[k][issue] for k in self.members[issue]}
        x.update(updates)
        x[actor] = position
        return self._weighted(issue, x)

    def shift_to(self, issue: int, updates: dict, actor: int, position: Any, target: Any) -> Any:
        """How far ``actor`` (now at ``position``) must move for the outcome to be ``target``."""
        x = {k: self.x[k][issue] for k in self.members[issue]}
        x[actor] = position
        x.update(updates)
        s, c = self.s, self.c
        weighted = sum(x[k] * s[k][issue] * c[k][issue] for k in self.members[issue])
        return (target * self.total[issue] - weighted) / (s[actor][issue] * c[actor][issue])


class ExchangeModel(exchange.ExchangeModel):
    """:class:`negosim.engine.protocols.exchange.ExchangeModel` with the rounds of 28e2a83."""

    round_type = _Round

    def _order(self, exchanges: list[_Exchange]) -> None:
        if self.exact:
            exchanges.sort(key=lambda e: e.gain, reverse=True)
        else:  # stable: the earlier exchange first on (rounded) ties
            exchanges.sort(key=lambda e: -round(e.gain / TIE))

    def _realise(self, exchanges: list[_Exchange]) -> list[_Exchange]:
        realized: list[_Exchange] = []
        while exchanges:
            self._order(exchanges)
            best = self._pick(exchanges)
            if not best.valid:
                continue
            kept = []
            for ex in exchanges:
                if ex.valid:
                    ex.recalculate(best)
                    if ex.valid:
                        kept.append(ex)
            exchanges = kept
            realized.append(best)
        return realized
