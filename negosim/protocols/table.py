"""The negotiating table of one chunk of runs: arrays, strategies, bookkeeping.

Protocols move rounds forward; the :class:`Table` holds what every protocol needs: the
runs still open (finished runs are dropped from the working arrays as they accumulate),
each actor's :class:`~negosim.strategies.View`, coalition votes, and the result arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from negosim.preferences import PackageEvaluator
from negosim.sampling import ScenarioBatch
from negosim.strategies import Strategy, View

COMPACT_WHEN_DEAD = 0.25
"""Drop finished runs from the working arrays once this share of them has finished."""

RESERVATION_TOLERANCE = 1e-9


def meets_reservation(utility: np.ndarray | float, reservation: np.ndarray | float):
    """The ratification rule: a package passes an actor iff it is worth its reservation."""
    return utility >= reservation - RESERVATION_TOLERANCE


@dataclass(frozen=True)
class CoalitionRule:
    """A coalition as index arrays, ready to vote."""

    members: np.ndarray
    ratifies: np.ndarray
    rule: str
    threshold: float

    def consents(self, votes: np.ndarray) -> np.ndarray:
        """Consent per run given the members' yes votes ``(R, M)``."""
        share = votes.mean(axis=1)
        if self.rule == "unanimity":
            return votes.all(axis=1)
        if self.rule == "majority":
            return share > 0.5
        return share >= self.threshold - 1e-12


class Table:
    """Working state of one chunk of runs under a protocol.

    Parameters
    ----------
    batch
        The sampled runs.
    strategies
        Strategy of each negotiating actor (by actor index).
    rounds
        Deadline T.
    trace
        Record per-round details of the first ``trace`` runs of this chunk.
    """

    def __init__(
        self, batch: ScenarioBatch, strategies: dict[int, Strategy], rounds: int, trace: int = 0
    ) -> None:
        sc = batch.scenario
        self.batch = batch  # as sampled: one-shot protocols read it before any run is dropped
        self.scenario, self.rounds, self.strategies = sc, rounds, strategies
        self.negotiators = tuple(sorted(strategies))
        self.loss, self.span = sc.loss, sc.high - sc.low
        n = batch.runs
        self.seed, self.start = batch.seed, batch.start
        self.ids = np.arange(n)
        self.live = np.ones(n, dtype=bool)
        self.positions = np.ascontiguousarray(batch.positions)
        self.weights = np.ascontiguousarray(batch.weights)
        self.issue_power = batch.issue_power
        self.salience = batch.salience
        parties = np.array([r != "mediator" for r in sc.roles])
        self.ratifiers = np.array([r == "ratifier" for r in sc.roles])
        self.party = np.broadcast_to(sc.participation & parties[:, None], batch.salience.shape)
        self.reservation = np.ascontiguousarray(batch.reservation)
        self.discount = np.ascontiguousarray(batch.discount)
        self.status_quo = sc.status_quo
        self.evaluate = PackageEvaluator(self.positions, self.weights, self.span, self.loss)
        self.counterpart, self.counterpart_weights = {}, {}
        for a in self.negotiators:
            self.counterpart[a], self.counterpart_weights[a] = self._counterpart(batch, a)
        self.states: dict[int, dict] = {a: {} for a in self.negotiators}
        self.noise = {
            a: batch.uniforms(1 + a, rounds + 1)
            for a, s in strategies.items()
            if s.classifier.get("stochastic")
        }
        self.coalitions = [
            CoalitionRule(
                np.array([sc.actor_index(m) for m in c.members]),
                np.array([sc.issue_index(i) for i in c.ratifies]),
                c.rule,
                c.threshold or 0.0,
            )
            for c in sc.coalitions
        ]
        n_actors, n_issues = len(sc.actors), len(sc.issues)
        self.result = {
            "agreed": np.zeros(n, dtype=bool),
            "outcome": np.broadcast_to(sc.status_quo, (n, n_issues)).copy(),
            "utility": np.array(batch.reservation, dtype=float),
            "rounds": np.full(n, rounds, dtype=np.int64),
            "exited": np.full(n, -1, dtype=np.int64),
        }
        self.trace_runs = min(trace, n)
        if self.trace_runs:
            k, t = self.trace_runs, rounds
            self.trace = {
                "offer": np.full((k, t, n_issues), np.nan),
                "proposer": np.full(t, -1, dtype=np.int64),
                "utility": np.full((k, t, n_actors), np.nan),
                "target": np.full((k, t, n_actors), np.nan),
                "accepted": np.full((k, t, n_actors), np.nan),
                "consent": np.full((k, t, len(self.coalitions)), np.nan),
            }

    # ------------------------------------------------------------------ views
    def _counterpart(self, batch: ScenarioBatch, me: int) -> tuple[np.ndarray, np.ndarray]:
        """Power-weighted position and salience of the other negotiators (else of all others)."""
        sc = batch.scenario
        part = sc.participation
        others = [j for j in self.negotiators if j != me]
        fallback = [j for j in range(len(sc.actors)) if j != me and sc.roles[j] != "mediator"]
        position = batch.positions[:, me, :].copy()
        weights = np.zeros_like(position)
        for group in (fallback, others):  # the negotiators win where they take part
            if not group:
                continue
            p = batch.issue_power[:, group, :] * part[group, :]
            total = p.sum(axis=1)
            mean = np.einsum("rji,rji->ri", p, batch.positions[:, group, :])
            ok = total > 0
            position = np.where(
                ok, np.divide(mean, total, out=np.zeros_like(mean), where=ok), position
            )
            power = batch.power[:, group]
            w = (
                np.einsum("rj,rji->ri", power, batch.weights[:, group, :])
                / power.sum(axis=1)[:, None]
            )
            weights = np.where(ok, w, weights)
        return position, weights

    def view(self, actor: int, t: int) -> View:
        """What ``actor`` sees at round ``t`` in the open runs."""
        noise = None
        if actor in self.noise:
            table = self.noise[actor]
            noise = lambda k: table[:, k]  # noqa: E731
        return View(
            me=actor,
            t=t,
            rounds=self.rounds,
            positions=self.positions,
            weights=self.weights,
            span=self.span,
            reservation=self.reservation,
            discount=self.discount,
            counterpart=self.counterpart.get(actor, self.positions[:, actor, :]),
            counterpart_weights=self.counterpart_weights.get(actor, self.weights[:, actor, :]),
            negotiators=self.negotiators,
            state=self.states.setdefault(actor, {}),
            noise=noise,
            loss=self.loss,
        )

    def run_rng(self, row: int) -> np.random.Generator:
        """A generator of its own for open run ``row`` (for protocols that draw per run)."""
        run = self.start + int(self.ids[row])
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(run, 0, 0)))

    @property
    def open_runs(self) -> int:
        return int(self.live.sum())

    # ------------------------------------------------------------------ round helpers
    def utilities(self, packages: np.ndarray) -> np.ndarray:
        """Every actor's utility of one package per open run, ``(R, A)``."""
        return self.evaluate(packages)

    def coalition_consent(self, offer: np.ndarray, votes: np.ndarray) -> np.ndarray:
        """Per coalition, whether it consents ``(R, C)``; coalitions whose ratified issues
        the package leaves at the status quo are not asked and consent."""
        out = np.ones((len(offer), len(self.coalitions)), dtype=bool)
        for c, rule in enumerate(self.coalitions):
            moved = np.any(
                np.abs(offer[:, rule.ratifies] - self.status_quo[rule.ratifies]) > 1e-12, axis=1
            )
            out[:, c] = ~moved | rule.consents(votes[:, rule.members])
        return out

    def reservation_votes(self, utility: np.ndarray) -> np.ndarray:
        """Yes votes of actors that consent iff the package is worth their reservation."""
        return meets_reservation(utility, self.reservation)

    def record(self, t: int, **values: np.ndarray) -> None:
        """Store trace rows of round ``t`` for the traced runs still open."""
        if not self.trace_runs:
            return
        rows = np.flatnonzero((self.ids < self.trace_runs) & self.live)
        for name, value in values.items():
            if name == "proposer":
                self.trace["proposer"][t] = value
            else:
                self.trace[name][self.ids[rows], t] = value[rows]

    def finish(
        self,
        done: np.ndarray,
        t: int,
        *,
        outcome: np.ndarray | None = None,
        utility: np.ndarray | None = None,
        exited: int = -1,
    ) -> np.ndarray | None:
        """Close the open runs in ``done`` at round ``t`` (agreed if ``outcome`` is given).

        Returns the mask of rows kept when finished runs were dropped from the working
        arrays (protocols apply it to their own per-run arrays), else None.
        """
        done = done & self.live
        if not done.any():
            return None
        rows, ids = np.flatnonzero(done), self.ids[done]
        res = self.result
        res["rounds"][ids] = t
        if outcome is not None:
            res["agreed"][ids] = True
            res["outcome"][ids] = outcome[rows]
            res["utility"][ids] = utility[rows] * self.discount[rows] ** t
        res["exited"][ids] = exited
        self.live &= ~done
        if self.live.size and (~self.live).mean() >= COMPACT_WHEN_DEAD:
            return self._compact()
        return None

    def _compact(self) -> np.ndarray:
        keep = self.live
        self.ids = self.ids[keep]
        self.positions, self.weights = self.positions[keep], self.weights[keep]
        self.evaluate = self.evaluate.take(keep)
        self.issue_power = self.issue_power[keep]
        self.salience, self.party = self.salience[keep], self.party[keep]
        self.reservation, self.discount = self.reservation[keep], self.discount[keep]
        self.counterpart = {a: v[keep] for a, v in self.counterpart.items()}
        self.counterpart_weights = {a: v[keep] for a, v in self.counterpart_weights.items()}
        self.noise = {a: v[keep] for a, v in self.noise.items()}
        for state in self.states.values():
            for key, value in state.items():
                if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == keep.size:
                    state[key] = value[keep]
        self.live = np.ones(int(keep.sum()), dtype=bool)
        return keep

    def rounds_to_play(self):
        """Yield the rounds to play while runs are open; at the first exit round every open
        run ends without agreement, recording who exited."""
        exit_round, exiter = self.exit_round()
        for t in range(self.rounds):
            if self.open_runs == 0:
                return
            if t >= exit_round:
                self.finish(self.live.copy(), t, exited=exiter)
                return
            yield t

    def exit_round(self) -> tuple[int, int]:
        """The first round at which some actor exits, and who (``(rounds, -1)`` if none)."""
        exit_at = self.scenario.exit_at
        if not np.isfinite(exit_at).any():
            return self.rounds, -1
        actor = int(np.argmin(exit_at))
        tau = np.arange(self.rounds) / max(self.rounds - 1, 1)
        hits = np.flatnonzero(tau >= exit_at[actor] - 1e-12)
        return (int(hits[0]) if hits.size else self.rounds), actor

    def outputs(self) -> dict[str, np.ndarray]:
        """The result arrays (and the trace, if any)."""
        out = dict(self.result)
        if self.trace_runs:
            out["trace"] = self.trace
        return out
