"""The discrete benchmark domains analysed (issue 29): Monte Carlos of GENIUS's time-dependent
tactics on one domain, the ANAC metrics of each run, and round-robin tournaments of the tactics
over the domains of a directory tree.

**Tactics.** A tactic is an exponent ``e >= 0`` of :mod:`negosim.engine.discrete` (``p(t) =
P_min + (P_max - P_min)(1 - t ** (1 / e))``), given as a number, a name of
:data:`~negosim.engine.discrete.TACTICS` (GENIUS's values: ``hardliner`` 0, ``boulware`` 0.2,
``linear`` 1, ``conceder`` 2) or a strategy spec ``NAME:e=E`` with ``NAME`` one of those or
``time_dependent`` (:func:`tactic`). In a Monte Carlo (:func:`monte_carlo`) a party given no
tactic draws its exponent run by run, log-uniformly on ``[0.1, 10]`` (Boulware to Conceder).

**Metrics of a run** (:func:`run_metrics`; GENIUS ``MultilateralAnalysis`` and the ANL
runner's columns, reference §1.5). With ``u`` the run's undiscounted utilities of the agreement
(one per party), ``r`` the reservations and ``d`` the discount factors:

* ``utility.<party>``: what the party gets, ``u_i * d_i ** t`` at the agreement time ``t``, or
  its reservation ``r_i * d_i ** t_end`` without a deal (the engine's result);
* ``agreed``; ``agreement_time``, the relative time ``t`` of the agreement (NaN without);
* ``welfare``: the sum of the parties' ``utility.<party>`` (GENIUS ``SOCIAL_WELFARE``, with
  the reservations counted where GENIUS counts 0: equal when every reservation is 0);
* ``pareto_distance``: ``min_f ||u - U_f||``, the Euclidean distance from ``u`` to the nearest
  Pareto-optimal outcome's utilities ``U_f``; ``nash_distance`` and ``ks_distance``: ``||u -
  U_x||`` to the Nash and Kalai-Smorodinsky outcomes' utilities (all three on undiscounted
  utilities, as the solutions are, and NaN without a deal or without the solution);
* ``nash_product``: ``prod_i (u_i - r_i)`` of the agreement, 0 without a deal (the gains of
  the disagreement point).

**Tournaments** (:func:`domain_tournament`). Every domain folder found under a directory (a
folder holding ``.xml`` or ``.json`` files, at any depth), or the domains given. A domain with
``P`` profiles gives ``P (P - 1) / 2`` profile pairs; on each pair, in both seat orders (which
profile moves first), every ordered pair of the tactics (self-play included) negotiates once:
the tactics have no randomness, so one negotiation is the whole of it. The independent unit is
a **domain x profile pair**: a strategy's metric is averaged over its plays in each unit, and
the leaderboard's 95% intervals are the t intervals of those unit means
(:func:`negosim.analysis.tournaments.cluster_interval` with the units as clusters, every play
of a unit one observation).
"""

from __future__ import annotations

import itertools
import math
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from negosim.analysis.tournaments import cluster_interval
from negosim.engine import discrete_solutions as solutions
from negosim.engine.discrete import (
    MAX_OUTCOMES,
    MODELS,
    TACTICS,
    DiscreteResult,
    OutcomeSpace,
    negotiate,
    outcome_space,
)
from negosim.engine.summary import wilson_interval
from negosim.io import read_domain
from negosim.io.scenario_file import is_domain_file, load_domain
from negosim.model.domains import Domain
from negosim.model.elements import magnitude_problem
from negosim.model.errors import ArgumentError, NegosimError

DRAWN = (0.1, 10.0)
"""The range a party given no tactic draws its exponent from, log-uniformly, run by run."""

DEFAULT_TACTICS = ("hardliner", "boulware", "linear", "conceder")
"""The field of a domain tournament when none is given."""

METRICS = (
    "utility",
    "agreed",
    "agreement_time",
    "welfare",
    "pareto_distance",
    "nash_distance",
    "ks_distance",
    "nash_product",
)
"""The ANAC metrics of the leaderboard, each with ``_low`` and ``_high`` bounds."""

WIDTH = 100
"""The width of :func:`describe`'s lines (the command line's)."""

INTERVAL_NOTE = (
    "95% t interval over the independent units, domain x profile pair (a strategy's plays in "
    "one unit count as one cluster)"
)

_SPEC = re.compile(r"^\s*([A-Za-z_]+)\s*(?::(.*))?$")
_OPTION = re.compile(r"^\s*(e|model)\s*=\s*(\S+?)\s*$")


def strategy(spec: str | float, name: str = "tactic") -> tuple[float, str]:
    """The exponent ``e`` and the opponent model of a strategy: a number ``>= 0``, a name of
    ``TACTICS``, or ``NAME:OPTIONS`` with ``NAME`` a tactic or ``time_dependent`` and
    ``OPTIONS`` comma-separated ``e=E`` and ``model=M`` (``M`` of
    :data:`~negosim.engine.discrete.MODELS`: ``frequency`` is HardHeaded's frequency model,
    whose belief breaks the ties of the bids; default ``none``).

    >>> strategy("boulware"), strategy("time_dependent:e=3,model=frequency")
    ((0.2, 'none'), (3.0, 'frequency'))
    """
    known = ", ".join([*TACTICS, "time_dependent:e=E"])
    model = "none"
    if isinstance(spec, int | float | np.integer | np.floating) and not isinstance(spec, bool):
        e = float(spec)
    else:
        match = _SPEC.match(str(spec))
        if not match or (match[1] not in TACTICS and match[1] != "time_dependent"):
            raise ArgumentError(
                name, f"{spec!r} is not a time-dependent tactic; the discrete engine plays {known}"
            )
        options: dict[str, str] = {}
        for part in (match[2] or "").split(",") if match[2] is not None else []:
            option = _OPTION.match(part)
            if not option or option[1] in options:
                raise ArgumentError(
                    name, f"{spec!r}: options are e=E and model=M, each once, comma-separated"
                )
            options[option[1]] = option[2]
        model = options.get("model", "none")
        if model not in MODELS:
            raise ArgumentError(
                name, f"{spec!r}: unknown model {model!r}; known: {', '.join(MODELS)}"
            )
        if "e" not in options:
            if match[1] == "time_dependent":
                raise ArgumentError(name, f"{spec!r}: give its exponent, time_dependent:e=E")
            return TACTICS[match[1]], model
        try:
            e = float(options["e"])
        except ValueError:
            raise ArgumentError(name, f"{spec!r}: e={options['e']!r} is not a number") from None
    if not math.isfinite(e) or e < 0:
        raise ArgumentError(name, f"{spec!r}: e must be a finite number >= 0")
    if magnitude_problem(e):  # the scenarios' rule: 1 / e must stay a normal float
        raise ArgumentError(name, f"{spec!r}: parameter e: {magnitude_problem(e)}")
    return e, model


def tactic(spec: str | float, name: str = "tactic") -> float:
    """The exponent ``e`` of a tactic (:func:`strategy`, its model left out).

    >>> tactic("boulware"), tactic("conceder:e=3"), tactic(0.5)
    (0.2, 3.0, 0.5)
    """
    return strategy(spec, name)[0]


def monte_carlo(
    space: OutcomeSpace | Domain,
    runs: int,
    seed: int | None = 0,
    *,
    tactics: Mapping[str, str | float] | None = None,
    parties: Sequence[int | str] | None = None,
    rounds: int = 100,
    acceptance: str = "target",
    bidding: str = "nearest",
) -> DiscreteResult:
    """``runs`` negotiations on one domain: each party plays its tactic of ``tactics`` (by
    profile name), or else draws ``e`` log-uniformly on :data:`DRAWN` run by run from
    ``numpy.random.default_rng(seed)`` (one draw per party, in turn order)."""
    if isinstance(space, Domain):
        space = outcome_space(space)
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise ArgumentError("runs", f"a whole number >= 1, not {runs!r}")
    who = space.parties(parties)
    names = [space.domain.profiles[p].name for p in who]
    given = dict(tactics or {})
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ArgumentError(
            "tactics", f"{unknown[0]!r} does not negotiate here; parties: {', '.join(names)}"
        )
    rng = np.random.default_rng(seed)
    low, high = np.log(DRAWN[0]), np.log(DRAWN[1])
    chosen = {n: strategy(given[n], f"tactic of {n}") for n in names if n in given}
    e = [chosen[n][0] if n in chosen else np.exp(rng.uniform(low, high, runs)) for n in names]
    models = [chosen[n][1] if n in chosen else "none" for n in names]
    return negotiate(
        space,
        e,
        rounds=rounds,
        runs=int(runs),
        parties=who,
        acceptance=acceptance,
        bidding=bidding,
        models=models,
    )


@dataclass(frozen=True)
class Solutions:
    """The exact solutions of a domain for some parties, on undiscounted utilities.

    ``frontier`` ``(F, n)``: the Pareto-optimal outcomes' utilities; ``nash``, ``ks``,
    ``welfare``: outcome indices (-1: none); ``utility`` ``(N, n)``; ``reservation`` ``(n,)``.
    """

    frontier: np.ndarray
    front: np.ndarray
    nash: int
    ks: int
    welfare: int
    utility: np.ndarray
    reservation: np.ndarray


def solve(space: OutcomeSpace, parties: Sequence[int | str] | None = None) -> Solutions:
    """Pareto frontier, Nash, Kalai-Smorodinsky and maximum-welfare outcomes of ``parties``."""
    who = list(space.parties(parties))
    utility, reservation = space.utility[who].T, space.reservation[who]
    front = solutions.pareto_frontier(space, who)
    return Solutions(
        utility[front],
        front,
        solutions.nash(space, who),
        solutions.kalai_smorodinsky(space, who),
        solutions.max_welfare(space, who),
        utility,
        reservation,
    )


def _distance_to(points: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(K,)`` the smallest Euclidean distance from each of ``points`` ``(K, n)`` to the rows
    of ``target`` ``(F, n)``, in blocks (bounded memory)."""
    out = np.empty(points.shape[0])
    step = max(1, 4_000_000 // max(1, target.shape[0]))
    for start in range(0, points.shape[0], step):
        block = points[start : start + step]
        gap = block[:, None, :] - target[None, :, :]
        out[start : start + step] = np.sqrt(np.min(np.einsum("kfn,kfn->kf", gap, gap), axis=1))
    return out


def run_metrics(result: DiscreteResult, solved: Solutions | None = None) -> pd.DataFrame:
    """One row per run: ``run``, ``agreed``, ``agreement_time``, ``welfare``,
    ``pareto_distance``, ``nash_distance``, ``ks_distance``, ``nash_product`` and
    ``utility.<party>`` (the module's docstring defines them)."""
    solved = solved or solve(result.space, result.parties)
    agreed = result.agreed
    distinct, back = np.unique(np.where(agreed, result.outcome, 0), return_inverse=True)
    points = solved.utility[distinct]  # (K, n) the distinct agreements' undiscounted points

    def per_run(values: np.ndarray) -> np.ndarray:
        return np.where(agreed, values[back.ravel()], np.nan)

    def to_point(index: int) -> np.ndarray:
        if index < 0:
            return np.full(distinct.size, np.nan)
        return np.linalg.norm(points - solved.utility[index][None, :], axis=1)

    product = np.prod(points - solved.reservation[None, :], axis=1)
    frame = pd.DataFrame(
        {
            "run": np.arange(result.runs),
            "agreed": agreed,
            "agreement_time": np.where(agreed, result.time, np.nan),
            "welfare": result.utility.sum(axis=1),
            "pareto_distance": per_run(_distance_to(points, solved.frontier)),
            "nash_distance": per_run(to_point(solved.nash)),
            "ks_distance": per_run(to_point(solved.ks)),
            "nash_product": np.where(agreed, product[back.ravel()], 0.0),
        }
    )
    for k, name in enumerate(result.party_names):
        frame[f"utility.{name}"] = result.utility[:, k]
    return frame


def describe(result: DiscreteResult, solved: Solutions | None = None) -> str:
    """A few lines: agreement (95% Wilson interval), mean utilities, mean agreement time, the
    mean distances of the agreements to the exact Pareto frontier, Nash and Kalai-Smorodinsky
    outcomes, and those solutions."""
    space = result.space
    solved = solved or solve(space, result.parties)
    metrics = run_metrics(result, solved)
    names = result.party_names
    count = int(result.agreed.sum())
    low, high = wilson_interval(count, result.runs)

    def outcome(index: int) -> str:
        if index < 0:
            return "none (no outcome beats every reservation)"
        labels = ", ".join(
            f"{i.name}={v}" for i, v in zip(space.domain.issues, space.labels(index), strict=True)
        )
        worth = ", ".join(f"{u:.3f}" for u in solved.utility[index])
        return f"{labels}  ({worth})"

    mean_u = ", ".join(f"{n} {metrics[f'utility.{n}'].mean():.3f}" for n in names)
    lines = [
        f"runs: {result.runs:,}   agreement: {count / result.runs:.1%} "
        f"(95% CI {low:.1%}..{high:.1%})",
        f"mean utility (discounted; the reservation without a deal): {mean_u}",
    ]
    if count:
        lines.append(
            f"agreements: mean time {metrics['agreement_time'].mean():.3f}; mean distance to "
            f"the Pareto frontier {metrics['pareto_distance'].mean():.4f}, to Nash "
            f"{metrics['nash_distance'].mean():.4f}, to Kalai-Smorodinsky "
            f"{metrics['ks_distance'].mean():.4f}; mean Nash product "
            f"{metrics['nash_product'][result.agreed].mean():.4f}"
        )
    lines += [
        "",
        f"exact solutions ({space.size:,} outcomes; utilities of {', '.join(names)}):",
        f"  Pareto frontier: {solved.front.size:,} outcome{'' if solved.front.size == 1 else 's'}",
        f"  Nash: {outcome(solved.nash)}",
        f"  Kalai-Smorodinsky: {outcome(solved.ks)}",
        f"  maximum welfare: {outcome(solved.welfare)}",
    ]
    return "\n".join(
        textwrap.fill(line, WIDTH, subsequent_indent="  ") if line else line for line in lines
    )


# ----------------------------------------------------------------------------- tournaments


def _natural(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def domain_folders(root: str | Path) -> list[Path]:
    """Every folder under ``root`` (``root`` included) holding a ``.xml`` or ``.json`` file, in
    natural order of their paths."""
    base = Path(root)
    if not base.is_dir():
        raise ArgumentError("domains", f"{base}: no such folder")
    found = []
    for folder, subfolders, files in os.walk(base):
        subfolders.sort()
        if any(f.lower().endswith((".xml", ".json")) for f in files):
            found.append(Path(folder))
    return sorted(found, key=lambda p: _natural(str(p.relative_to(base))))


@dataclass(frozen=True, eq=False)
class DomainTournament:
    """A tournament's results.

    Attributes
    ----------
    leaderboard
        One row per strategy, best mean utility first: ``strategy``, ``e``, ``units``,
        ``plays`` and each of :data:`METRICS` with ``_low`` and ``_high``.
    plays
        One row per strategy per negotiation: ``domain``, ``pair``, ``unit``, ``order`` (the
        profiles in turn order), ``strategy``, ``opponent``, ``seat``, ``profile`` and the
        metrics (the strategy's own ``utility``).
    skipped
        ``(folder, problem)`` of the folders found but not played (non-linear, too large).
    """

    leaderboard: pd.DataFrame
    plays: pd.DataFrame
    skipped: tuple[tuple[str, str], ...] = field(default=())


def _domains(domains) -> tuple[list[Domain], list[tuple[str, str]]]:
    """The domains of a directory tree, a folder, a ``.toml`` file or a Domain (or a list of
    them); the folders of a tree that cannot be read are skipped, naming why."""
    items = [domains] if isinstance(domains, str | os.PathLike | Domain) else list(domains)
    out: list[Domain] = []
    skipped: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, Domain):
            out.append(item)
            continue
        path = Path(item)
        if path.is_file() and is_domain_file(path):
            out.append(load_domain(path))
            continue
        for folder in domain_folders(path):
            try:
                out.append(read_domain(folder))
            except NegosimError as exc:
                skipped.append((str(folder), " ".join(str(exc).splitlines())))
    if not out:
        raise ArgumentError("domains", f"no readable domain in {domains}")
    return out, skipped


def domain_tournament(
    domains,
    strategies: Sequence[str | float] | None = None,
    *,
    rounds: int = 100,
    acceptance: str = "target",
    bidding: str = "nearest",
    max_outcomes: int = MAX_OUTCOMES,
) -> DomainTournament:
    """A round-robin of time-dependent tactics over every profile pair of every domain.

    Parameters
    ----------
    domains
        A directory tree searched for domain folders (GENIUS or GeniusWeb, at any depth), a
        domain folder, a ``.toml`` scenario of discrete issues, a :class:`Domain`, or a list
        of them.
        Folders that cannot be read (non-linear profiles, too many outcomes) are skipped and
        listed in ``skipped``.
    strategies
        Tactics (:func:`tactic`), default :data:`DEFAULT_TACTICS`; labels are the specs.
    rounds, acceptance, bidding
        As in :func:`negosim.engine.discrete.negotiate`.

    Examples
    --------
    >>> from negosim.analysis.domains import domain_tournament       # doctest: +SKIP
    >>> res = domain_tournament("anac/y2012", ["boulware", "conceder"])  # doctest: +SKIP
    >>> res.leaderboard[["strategy", "utility", "utility_low", "utility_high"]]  # doctest: +SKIP
    """
    specs = list(DEFAULT_TACTICS if strategies is None else strategies)
    labels = [str(s) for s in specs]
    if not specs or len(set(labels)) < len(labels):
        raise ArgumentError("strategies", "give at least one tactic, each once")
    parsed = [strategy(s, f"strategies {s}") for s in specs]
    exps = np.array([e for e, _ in parsed])
    learns = np.array([model == "frequency" for _, model in parsed])
    found, skipped = _domains(domains)
    k = len(specs)
    first, second = (a.ravel() for a in np.meshgrid(np.arange(k), np.arange(k), indexing="ij"))
    rows = []
    for domain in found:
        try:
            space = outcome_space(domain, max_outcomes=max_outcomes)
        except ArgumentError as exc:
            skipped.append((domain.source, exc.problem))
            continue
        for a, b in itertools.combinations(range(len(domain.profiles)), 2):
            unit = f"{domain.name}:{domain.profiles[a].name}-{domain.profiles[b].name}"
            for order in ((a, b), (b, a)):
                res = negotiate(
                    space,
                    [exps[first], exps[second]],
                    rounds=rounds,
                    parties=order,
                    acceptance=acceptance,
                    bidding=bidding,
                    models=[learns[first], learns[second]],
                )
                metrics = run_metrics(res, solve(space, order))
                for seat, (mine, theirs) in enumerate(((first, second), (second, first))):
                    part = metrics.drop(columns=[c for c in metrics if c.startswith("utility.")])
                    part = part.assign(
                        domain=domain.name,
                        pair=f"{domain.profiles[a].name}-{domain.profiles[b].name}",
                        unit=unit,
                        order="-".join(domain.profiles[p].name for p in order),
                        strategy=[labels[i] for i in mine],
                        opponent=[labels[i] for i in theirs],
                        seat=seat,
                        profile=domain.profiles[order[seat]].name,
                        utility=res.utility[:, seat],
                    )
                    rows.append(part)
    if not rows:
        raise ArgumentError("domains", "no domain with two profiles to play")
    plays = pd.concat(rows, ignore_index=True).drop(columns="run")
    plays["agreed"] = plays["agreed"].astype(float)
    order = ["domain", "pair", "unit", "order", "strategy", "opponent", "seat", "profile"]
    plays = plays[order + list(METRICS)]
    return DomainTournament(_leaderboard(plays, labels, exps), plays, tuple(skipped))


def _leaderboard(plays: pd.DataFrame, labels: list[str], exps: np.ndarray) -> pd.DataFrame:
    rows = []
    for label, e in zip(labels, exps, strict=True):
        mine = plays[plays["strategy"] == label]
        row: dict[str, object] = {
            "strategy": label,
            "e": float(e),
            "units": mine["unit"].nunique(),
            "plays": len(mine),
        }
        for metric in METRICS:
            values = mine[metric]
            grouped = values.groupby(mine["unit"], sort=False)
            mean, low, high = cluster_interval(grouped.sum().to_numpy(), grouped.count().to_numpy())
            row.update({metric: mean, f"{metric}_low": low, f"{metric}_high": high})
        rows.append(row)
    board = pd.DataFrame(rows).sort_values("utility", ascending=False, kind="stable")
    board = board.reset_index(drop=True)
    board.attrs["interval"] = INTERVAL_NOTE
    return board
