"""What the teaching page shows, computed without the browser (no Solara import here).

The page keeps its settings in one :class:`Settings` value; everything it displays comes from
the functions below, so the numbers on screen are those of :class:`~negosim.abm.DiplomacyModel`
and :func:`negosim.simulate` with the same settings.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from negosim.analysis.whatif import sweep
from negosim.engine.results import SimulationResult, wilson_interval
from negosim.engine.runner import iter_chunks
from negosim.engine.table import meets_reservation
from negosim.io.scenario_file import load_scenario
from negosim.model import ratification
from negosim.model.elements import PLAYS_STRATEGIES
from negosim.model.information import INFORMATION
from negosim.model.moves import consent_columns
from negosim.model.preferences import utilities
from negosim.model.ratification import CoalitionRule
from negosim.model.scenario import Scenario
from negosim.model.strategies import get_strategy_class

DEFAULT_RUNS = 2_000
"""Runs of the Monte Carlo view unless the user asks for more or fewer."""

PROGRESS_CHUNK = 500
"""Runs per progress tick (results do not depend on it: the core is chunk-size invariant)."""

SWEEP_POINTS = 5
SWEEP_RUNS = 1_000
"""Runs per point of the page's sweep (fewer if the Monte Carlo asks for fewer)."""


@dataclass(frozen=True)
class Settings:
    """Everything the user can set on the page.

    Attributes
    ----------
    scenario
        Bundled scenario name or TOML path.
    protocol, rounds, seed
        As in :func:`negosim.simulate` (``None``: the scenario's protocol and deadline).
    strategies
        Strategy spec per negotiator id (``"conceder:e=5"``); absent ones use the scenario's.
    changes
        Fixed values per target (``"Russia.salience.cfe": 40``), applied with
        :meth:`Scenario.fix` so a moved number is no longer uncertain.
    information
        ``"complete"`` or ``"learned"``, as in :func:`negosim.simulate`.
    """

    scenario: str = "package_2007"
    protocol: str | None = None
    rounds: int | None = None
    seed: int = 7
    strategies: Mapping[str, str] = field(default_factory=dict)
    changes: Mapping[str, float] = field(default_factory=dict)
    information: str = "complete"

    def with_strategy(self, actor: str, spec: str) -> Settings:
        return replace(self, strategies={**self.strategies, actor: spec})

    def with_change(self, target: str, value: float) -> Settings:
        return replace(self, changes={**self.changes, target: value})

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~negosim.abm.DiplomacyModel` (also what its Reset uses)."""
        return {
            "scenario": scenario_of(self),
            "seed": self.seed,
            "protocol": self.protocol,
            "strategies": dict(self.strategies) or None,
            "rounds": self.rounds,
            **self._information(),
        }

    def _information(self) -> dict[str, str]:
        """The information setting as a keyword argument (none under complete information,
        the default of every call)."""
        return {} if self.information == "complete" else {"information": self.information}

    def simulate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`negosim.simulate` besides scenario, runs and seed."""
        return {
            "protocol": self.protocol,
            "strategies": dict(self.strategies) or None,
            "rounds": self.rounds,
            **self._information(),
        }


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    """A copy with some fields changed."""
    return replace(settings, **changes)


def information_choices(settings: Settings) -> list[str]:
    """The information settings the page offers with ``settings``' protocol: both where the
    negotiators play strategies, else only ``"complete"`` (the forecast and one-shot models
    compute their outcome from the true numbers; ``"learned"`` is refused for them)."""
    protocol = settings.protocol or scenario_of(settings).protocol
    return list(INFORMATION) if protocol in PLAYS_STRATEGIES else ["complete"]


def with_protocol(settings: Settings, protocol: str) -> Settings:
    """``settings`` with another protocol; complete information where that protocol allows
    nothing else (:func:`information_choices`)."""
    changed = replace(settings, protocol=protocol)
    if changed.information not in information_choices(changed):
        changed = replace(changed, information="complete")
    return changed


@lru_cache(maxsize=16)
def base_scenario(name: str) -> Scenario:
    """A bundled scenario by name or a TOML file by path (cached: the page reloads it often)."""
    return load_scenario(Path(name) if name.endswith(".toml") else name)


def scenario_of(settings: Settings) -> Scenario:
    """The scenario with the user's changes fixed in."""
    return _fixed(settings.scenario, tuple(sorted(settings.changes.items())))


@lru_cache(maxsize=64)
def _fixed(name: str, changes: tuple[tuple[str, float], ...]) -> Scenario:
    sc = base_scenario(name)
    for target, value in changes:
        sc = sc.fix(target, value)
    return sc


def negotiators(sc: Scenario) -> list[str]:
    """Ids of the actors that negotiate."""
    return [a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator"]


def strategy_param(name: str) -> str | None:
    """The one numeric parameter of a strategy (``e``, ``scale``), or None."""
    params = [
        p
        for p in inspect.signature(get_strategy_class(name).__init__).parameters.values()
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    return params[0].name if params else None


def strategy_default(name: str) -> float | None:
    """Default value of :func:`strategy_param`."""
    param = strategy_param(name)
    if param is None:
        return None
    return float(inspect.signature(get_strategy_class(name).__init__).parameters[param].default)


def strategy_spec(name: str, value: float | None) -> str:
    """A strategy spec string (``"conceder:e=5.0"``) as :func:`negosim.simulate` takes it."""
    param = strategy_param(name)
    return name if param is None or value is None else f"{name}:{param}={value:g}"


def current_strategy(settings: Settings, actor: str) -> tuple[str, float | None]:
    """The strategy name and parameter a negotiator uses under these settings."""
    spec = settings.strategies.get(actor)
    if spec is None:
        return scenario_strategy(base_scenario(settings.scenario), actor)
    name, _, rest = spec.partition(":")
    value = float(rest.partition("=")[2]) if rest else strategy_default(name)
    return name, value


def scenario_strategy(sc: Scenario, actor: str) -> tuple[str, float | None]:
    """The scenario's strategy of a negotiator and its parameter value (default: linear)."""
    spec = sc.actor(actor).strategy
    if spec is None:
        return "linear", strategy_default("linear")
    name = get_strategy_class(spec.name).name
    param = strategy_param(name)
    value = spec.params.get(param, strategy_default(name)) if param else None
    return name, None if value is None else float(value)


# ---------------------------------------------------------------------- one negotiation
def issue_letters(sc: Scenario) -> list[str]:
    """One short tag per issue: its initial, or its id where initials clash."""
    letters = [i[0].upper() for i in sc.issues]
    return letters if len(set(letters)) == len(letters) else list(sc.issues)


def package_words(sc: Scenario, package: np.ndarray) -> str:
    """``"K 30, M 45, C 20"``: a package in words."""
    return ", ".join(
        f"{tag} {value:.0f}" for tag, value in zip(issue_letters(sc), package, strict=True)
    )


def join_names(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = [n.replace("_", " ") for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def coalition_verdicts(model) -> pd.DataFrame:
    """This round's verdict of every coalition: rule, whether it was asked, whether it
    consents, its members who voted no (``against``, ``n_against``), how many of them would
    have had to say yes for it to consent (``needed``) and which of them was nearest to yes
    (``nearest``, ``short``: how far its utility fell below what its yes needed,
    :func:`yes_bar`; ``short_of``: what that was)."""
    sc = model.scenario
    rows = []
    table = model.datacollector.get_table_dataframe("coalitions")
    now = table[table["round"] == model.round] if len(table) else table
    consents = dict(zip(now.get("coalition", []), now.get("consents", []), strict=True))
    by_actor = {d.actor: d for d in model.diplomats}
    for c, rule in zip(sc.coalitions, model.table.coalitions, strict=True):
        verdict = consents.get(c.id, math.nan)
        against = [m for m in c.members if by_actor[m].accepted == 0.0]
        bars = {m: yes_bar(by_actor[m]) for m in against}
        short = {m: bars[m][0] - by_actor[m].utility for m in against}
        asked = model.offer is not None and _moves_ratified_issue(sc, c, model.offer)
        if not asked:
            shown = "not asked"
        elif math.isnan(verdict):
            shown = "—"
        else:
            shown = "consents" if verdict else "vetoes"
        votes = np.array([by_actor[m].accepted == 1.0 for m in c.members])
        nearest = min(short, key=short.get) if short else ""
        rows.append(
            {
                "coalition": c.id,
                "rule": c.rule,
                "ratifies": ", ".join(c.ratifies),
                "asked": asked,
                "verdict": shown,
                "against": _named(against, len(c.members)) if asked else "",
                "voted_no": ", ".join(against) if asked else "",
                "n_against": len(against) if asked else 0,
                "needed": yes_votes_needed(rule, votes) if asked else 0,
                "nearest": nearest,
                "short": short.get(nearest, math.nan),
                "short_of": bars[nearest][1] if nearest else "",
            }
        )
    return pd.DataFrame(rows)


def yes_bar(diplomat) -> tuple[float, str]:
    """The least utility a package needed for an actor's yes this round, and its name: a
    ratifier's reservation; a negotiator's strategy's target or, where higher, its
    reservation plus the deal margin (``docs/protocols.md``, "Deals beat no deal"; the
    margin undiscounted)."""
    if diplomat.role != "negotiator":
        return diplomat.reservation, "its reservation"
    floor = diplomat.reservation + ratification.DEAL_MARGIN
    if np.isfinite(diplomat.target) and diplomat.target > floor:
        return diplomat.target, "its target"
    return floor, "its reservation plus the deal margin"


def _named(members: list[str], size: int) -> str:
    """The members who voted no, by name up to three, else counted."""
    return join_names(members) if len(members) <= 3 else f"{len(members)} of {size} members"


def _moves_ratified_issue(sc: Scenario, coalition, package: np.ndarray) -> bool:
    """Whether ``package`` moves an issue ``coalition`` ratifies (only then is it asked)."""
    issues = [sc.issue_index(i) for i in coalition.ratifies]
    return bool(np.any(np.abs(np.asarray(package)[issues] - sc.status_quo[issues]) > 1e-12))


def negotiator_rows(model) -> pd.DataFrame:
    """Each negotiator's utility of the offer, its target and response this round."""
    rows = []
    for d in model.diplomats:
        if d.role != "negotiator":
            continue
        rows.append(
            {
                "actor": d.actor,
                "strategy": d.strategy.name if d.strategy is not None else "",
                "utility": d.utility,
                "target": d.target,
                "response": _response(d.accepted, d.index == model.proposer),
                "reservation": d.reservation,
            }
        )
    return pd.DataFrame(rows)


def _response(accepted: float, proposed: bool) -> str:
    if proposed:
        return "proposes"
    if math.isnan(accepted):
        return "—"
    return "accepts" if accepted == 1.0 else "rejects"


def describe_round(model) -> str:
    """A plain-words line of what just happened: the moves made, the package put forward, who
    accepted and who rejected it, which coalition vetoed it and who voted no, e.g.
    ``Round 44: Russia makes russia_suspends_cfe (cfe to 13); US proposes K 60, M 79, C 13;
    Russia rejects; 20 of 26 members veto (nato): ...``; once the talks end, how they ended."""
    sc = model.scenario
    if model.steps == 0:
        return f"Round 0: the talks open at the status quo ({package_words(sc, sc.status_quo)})."
    head = f"Round {model.round}: "
    made = moves_words(model, model.moves_made)
    table = table_words(model)
    if not model.running and model._result is not None:  # the run just ended
        return head + _ending(model, made, table) + "."
    if model.offer is None:
        return head + "; ".join([*made, "no package on the table"]) + "."
    return head + "; ".join([*made, *table]) + "."


def table_words(model) -> list[str]:
    """What happened at the table this round: the package put forward, the negotiators who
    accepted and rejected it, and each coalition's veto (:func:`veto_words`)."""
    sc = model.scenario
    if model.offer is None or not (model.offered_this_round or model.rules is None):
        return []
    if model.protocol == "alternating" and model.proposer >= 0:
        says = f"{model.proposer_id.replace('_', ' ')} proposes {package_words(sc, model.offer)}"
    else:
        says = f"the text on the table is {package_words(sc, model.offer)}"
    parts = [says]
    answering = [d for d in model.diplomats if d.role == "negotiator" and d.index != model.proposer]
    for answer, verb in ((1.0, "accept"), (0.0, "reject")):
        who = [d.actor for d in answering if d.accepted == answer]
        if who:
            parts.append(f"{join_names(who)} {verb}{'s' if len(who) == 1 else ''}")
    return parts + veto_words(model)


def veto_words(model) -> list[str]:
    """``"Poland and Czech Republic veto (host_nations): ..."``: per coalition that vetoed the
    package this round, who voted no and who tipped it (:func:`tip_words`)."""
    out = []
    for row in coalition_verdicts(model).itertuples():
        if row.verdict == "vetoes":
            who = row.against or "its members"
            verb = "vetoes" if row.n_against == 1 else "veto"
            out.append(f"{who} {verb} ({row.coalition}): {tip_words(row)}")
    return out


def tip_words(row) -> str:
    """Who tipped a veto (a row of :func:`coalition_verdicts`): the one member whose no alone
    decided it, or how many of the no votes would have had to turn and which member was
    nearest to yes (least short of what its yes needed, :func:`yes_bar`)."""
    name = row.nearest.replace("_", " ")
    if row.needed == 1 and row.n_against == 1:
        return f"{name}'s no alone tipped it"
    nearest = f"nearest to yes: {name}, {gap_words(row.short)} short of {row.short_of}"
    if row.needed == 1:
        return f"any one of them saying yes would have carried it; {nearest}"
    return f"{row.needed} more yes votes needed; {nearest}"


def gap_words(gap: float) -> str:
    """A utility gap to three decimals (``"0.012"``), or ``"less than 0.001"``."""
    return "less than 0.001" if gap < 0.0005 else f"{gap:.3f}"


def yes_votes_needed(rule: CoalitionRule, votes: np.ndarray) -> int:
    """How many of the members who voted no would have had to say yes for the coalition to
    consent (its rule counts votes, not names): 0 when it consents."""
    for extra in range(int((~votes).sum()) + 1):
        turned = votes.copy()
        turned[np.flatnonzero(~votes)[:extra]] = True
        if rule.consents(turned[None])[0]:
            return extra
    return int((~votes).sum())


def moves_words(model, made: str) -> list[str]:
    """``["Russia makes russia_suspends_cfe (cfe to 13)"]`` for the moves named in ``made``
    (comma-separated ids, as ``model.moves_made``), at this run's sampled values."""
    sc = model.scenario
    ids = [m.strip() for m in made.split(",") if m.strip()]
    out = []
    for move_id in ids:
        k = sc.move_index(move_id)
        move = sc.all_moves[k]
        who = join_names(list(move.actors))
        out.append(
            f"{who} {'make' if len(move.actors) > 1 else 'makes'} {move_id} "
            f"({move.issue} to {move_numbers(model)['to'][k]:.0f})"
        )
    return out


def _ending(model, made: list[str], table: list[str]) -> str:
    """How the run ended (after the moves ``made`` and what happened at the ``table`` this
    round): the agreed package, or why there is none and the package that stands."""
    res = model.result()
    sc = model.scenario
    final = package_words(sc, res.outcome[0])
    if bool(res.agreed[0]):
        return "; ".join([*made, *table, f"package agreed: {final}"])
    exiter = int(res.exited[0])
    # at the deadline the end-of-talks moves may settle every issue: the deadline ended it
    if exiter < 0 and (int(res.rounds[0]) >= model.rounds or not settled_issues(model).all()):
        deadline = "the deadline passes without agreement"
        return "; ".join([*table, deadline, *made, f"final package {final}"])
    why = (
        f"{sc.actors[exiter].replace('_', ' ')} has left the talks"
        if exiter >= 0
        else "no issue is left open"
    )
    return "; ".join([*made, *table, f"no agreement ({why})", f"final package {final}"])


def shown_package(model) -> tuple[str, np.ndarray | None]:
    """What the package view shows: the offer on the table while the talks run, the final
    package (agreed, or the no-agreement package after the moves) once they ended."""
    if not model.running and model._result is not None:
        return "final package", model.result().outcome[0]
    return "offer", model.offer


# ---------------------------------------------------------------------- moves
def move_numbers(model) -> dict[str, np.ndarray]:
    """This run's sampled ``to``, ``cost``, ``cost_rate``, ``earliest`` and ``latest`` of every
    move ``(M,)`` (in ``scenario.all_moves`` order)."""
    book = model.batch.moves
    fields = ("to", "cost", "cost_rate", "earliest", "latest")
    return {f: np.asarray(getattr(book, f))[0] for f in fields}


def move_record(model) -> tuple[np.ndarray, np.ndarray]:
    """The round each move was made in (-1: not made) ``(M,)`` and who said yes to the moves
    made ``(K,)`` (columns :func:`negosim.model.moves.consent_columns`), so far in this run."""
    if model._result is not None:
        res = model.result()
        return res.moved[0], res.consented[0]
    return model.table.moves.moved[0], model.table.moves.consented[0]


def settled_issues(model) -> np.ndarray:
    """Whether a move has settled each issue ``(I,)`` (it left the table at the move's value)."""
    sc = model.scenario
    moved, _ = move_record(model)
    out = np.zeros(len(sc.issues), dtype=bool)
    for k, move in enumerate(sc.all_moves):
        out[sc.issue_index(move.issue)] |= moved[k] >= 0
    return out


def window_rounds(earliest: float, latest: float, rounds: int) -> tuple[int, int]:
    """First and last round in which a move's window ``[earliest, latest]`` is open.

    Round ``t`` stands for the relative time ``(tau_{t-1}, tau_t]`` with ``tau_t = t /
    (rounds - 1)``, and the window is open in it iff ``earliest <= tau_t`` and ``latest >
    tau_{t-1}`` (``docs/protocols.md``, "Rounds as time"): the first is ``ceil(earliest (T -
    1))``, the last ``ceil(latest (T - 1))``, at most the last round ``T - 1``: a window of
    one moment is open in the one round that holds it."""
    span = max(rounds - 1, 1)
    first = max(math.ceil(earliest * span - 1e-9), 0)
    return first, min(math.ceil(latest * span - 1e-9), rounds - 1)


def window_words(first: int, last: int) -> str:
    """``"rounds 43..59"``, or ``"round 44"`` for a window open in one round."""
    return f"round {first}" if first == last else f"rounds {first}..{last}"


def consent_words(sc: Scenario, move_index: int, consented: np.ndarray) -> str:
    """Who consented to a move made: ``"US yes; eu_recognisers 22 of 27"``."""
    move = sc.all_moves[move_index]
    yes = {
        actor: bool(consented[k])
        for k, (m, actor) in enumerate(consent_columns(sc))
        if m == move.id
    }
    members = {c.id: c.members for c in sc.coalitions}
    parts = []
    for need in move.needs:
        if need in members:
            agreed = sum(yes.get(a, False) for a in members[need])
            parts.append(f"{need} {agreed} of {len(members[need])}")
        else:
            parts.append(f"{need} {'yes' if yes.get(need) else 'no'}")
    return "; ".join(parts)


def agent_history(model) -> pd.DataFrame:
    """Per round and negotiator: utility and target (from the DataCollector)."""
    frame = model.datacollector.get_agent_vars_dataframe().reset_index()
    if "role" not in frame:  # nothing collected yet
        return pd.DataFrame(columns=["round", "actor", "utility", "target"])
    frame = frame[frame["role"] == "negotiator"]
    return frame.assign(round=frame["Step"] - 1)[["round", "actor", "utility", "target"]]


def package_utilities(model, packages: np.ndarray) -> np.ndarray:
    """Every actor's utility ``(K, A)`` of packages ``(K, I)`` in this run (from the sampled
    batch, which stays whole after the run ends)."""
    b, sc = model.batch, model.scenario
    return utilities(packages[None], b.positions[:1], b.weights[:1], sc.high - sc.low, sc.loss)[0]


def ratified_packages(model, steps: int = 21) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid of packages ``(K, I)``, every actor's utility of them ``(K, A)`` and which of
    them every coalition would ratify ``(K,)`` (:func:`ratified`)."""
    sc = model.scenario
    axes = [np.linspace(lo, hi, steps) for lo, hi in zip(sc.low, sc.high, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(sc.issues))
    util = package_utilities(model, grid)
    return grid, util, ratified(model, grid, util)


def ratified(model, packages: np.ndarray, util: np.ndarray | None = None) -> np.ndarray:
    """Whether every coalition would ratify each package ``(K, I)`` in this run: each member
    votes yes iff the package is worth its current reservation (BATNA), a member who
    negotiates iff it is worth its reservation plus the deal margin (its yes at the table
    needs that: ``docs/protocols.md``, "Deals beat no deal")."""
    util = package_utilities(model, packages) if util is None else util
    reservation = np.array([[d.reservation for d in model.diplomats]])
    negotiates = np.array([[d.role == "negotiator" for d in model.diplomats]])
    votes = meets_reservation(util, reservation + ratification.DEAL_MARGIN * negotiates)
    return model.table.coalition_consent(packages, votes).all(axis=1)


# ---------------------------------------------------------------------- Monte Carlo
def monte_carlo(
    settings: Settings, runs: int, progress: Callable[[float], None] | None = None
) -> SimulationResult:
    """``simulate(scenario, runs, seed, ...)`` in chunks, reporting the share done."""
    sc = scenario_of(settings)
    parts = []
    for start, part in iter_chunks(
        sc, runs, settings.seed, chunk_size=PROGRESS_CHUNK, **settings.simulate_kwargs()
    ):
        parts.append(part)
        if progress is not None:
            progress(min(1.0, (start + PROGRESS_CHUNK) / max(runs, 1)))
    return SimulationResult.from_chunks(
        sc,
        parts,
        seed=settings.seed,
        protocol=settings.protocol or sc.protocol,
        rounds=settings.rounds or sc.rounds,
        information=settings.information,
    )


def sweep_point(settings: Settings, target: str, value: float, runs: int) -> dict[str, float]:
    """One point of the sweep: :func:`negosim.sweep` at ``target = value``, same seed."""
    frame = sweep(
        scenario_of(settings), {target: [value]}, runs, settings.seed, **settings.simulate_kwargs()
    )
    return frame.iloc[0].to_dict()


def sweep_targets(sc: Scenario) -> dict[str, tuple[float, float]]:
    """Inputs the sweep can vary, with their ranges: each negotiator's salience and position
    on every issue it is party to."""
    out = {}
    for actor in negotiators(sc):
        spec = sc.actor(actor)
        for issue in sc.issue_specs:
            if issue.id in spec.salience:
                out[f"{actor}.salience.{issue.id}"] = (0.0, 100.0)
                out[f"{actor}.position.{issue.id}"] = (float(issue.low), float(issue.high))
    return out


def sweep_values(low: float, high: float, points: int = SWEEP_POINTS) -> list[float]:
    """Evenly spaced values of a swept input (salience 0 is left out: an actor must care)."""
    values = np.linspace(low, high, points + 1)[1:] if low == 0 and high == 100 else None
    if values is None:
        values = np.linspace(low, high, points)
    return [float(v) for v in values]


def agreement_line(res: SimulationResult) -> dict[str, float]:
    """Agreed runs, rate and its 95% Wilson interval."""
    k, n = int(res.agreed.sum()), res.runs
    low, high = wilson_interval(k, n)
    return {"agreed": k, "runs": n, "rate": k / n if n else math.nan, "low": low, "high": high}


# ---------------------------------------------------------------------- sliders
SLIDER_DIGITS = 6
"""Finest step of a slider: a value with more decimals than this is shown rounded."""


def slider_step(value: float, low: float, step: float) -> float:
    """``step``, or a tenth of it (then a hundredth, ...) when ``value`` is not on the grid
    ``low + k * step``: a slider snaps its value to its grid when it is drawn, and a snapped
    value would change the scenario though no one touched the slider."""
    for _ in range(SLIDER_DIGITS):
        k = (value - low) / step
        if abs(k - round(k)) < 1e-6:
            return step
        step = round(step / 10, 12)
    return step


def moved_by_hand(shown: float, new: float) -> bool:
    """Whether a slider's new value differs from the value it shows (a value equal to it is
    the slider being drawn, not moved: fixing it would make an uncertain number certain)."""
    return not math.isclose(new, shown, rel_tol=1e-12, abs_tol=1e-12)
