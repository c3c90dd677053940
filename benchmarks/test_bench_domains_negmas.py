"""negosim and NegMAS on the same discrete domain (issue 29; docs/domains.md, "The same
negotiation in NegMAS").

The mapping (:func:`to_negmas`): the outcome space as NegMAS issues with the same labels;
each profile a ``LinearAdditiveUtilityFunction`` of GENIUS's divided values ``v_i = e_i / max
e_i`` (``TableFun``) and renormalised weights, its reservation as ``reserved_value``; the
discount applied when the result is valued, ``ExpDiscountedUFun(factor="relative_time",
dynamic_reservation=True)`` at the agreement's time. negosim's deadline of ``T`` rounds is
``SAOMechanism(n_steps=T)``; a tactic ``e`` is NegMAS's ``GBoulware(offering_params={"e":
e})`` (GENIUS's ``TimeDependentOffering`` and AC_next), negosim's ``acceptance="next",
bidding="at_least"``. The tests check the mapping; the benchmark plays the same exponent pairs
in both and reports agreement, utilities, the share of identical negotiations and the speed
side by side. NegMAS is an optional peer: everything here is skipped without it."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
from test_bench_domains import SHAPES, _domain

from negosim.engine.discrete import negotiate, outcome_space
from negosim.io import read_domain
from negosim.model.domains import make_domain

from conftest import sizes

negmas = pytest.importorskip("negmas")

from negmas import SAOMechanism, make_issue  # noqa: E402
from negmas.genius.gboa_negotiators import GBoulware  # noqa: E402
from negmas.preferences import LinearAdditiveUtilityFunction  # noqa: E402
from negmas.preferences.discounted import ExpDiscountedUFun  # noqa: E402
from negmas.preferences.value_fun import TableFun  # noqa: E402
from negmas.sao import SAOState  # noqa: E402

LUNCH = Path(__file__).parent.parent / "tests" / "data" / "domains" / "genius" / "lunch"
ROUNDS = 100


def _lunch():
    return read_domain(LUNCH)


def to_negmas(domain):
    """NegMAS issues and one undiscounted utility function per profile, by GENIUS's rules."""
    issues = [make_issue(values=list(issue.values), name=issue.name) for issue in domain.issues]
    ufuns = []
    for profile in domain.profiles:
        values = {
            issue.name: TableFun(dict(zip(issue.values, ev.table(issue).tolist(), strict=True)))
            for issue, ev in zip(domain.issues, profile.evaluators, strict=True)
        }
        weights = dict(
            zip([i.name for i in domain.issues], profile.normalised_weights.tolist(), strict=True)
        )
        ufuns.append(
            LinearAdditiveUtilityFunction(
                values=values, weights=weights, issues=issues, reserved_value=profile.reservation
            )
        )
    return issues, ufuns


def discounted(ufun, delta: float):
    """The utility a party gets: ``u d ** t`` and ``r d ** t`` at relative time ``t``."""
    return ExpDiscountedUFun(ufun, discount=delta, factor="relative_time", dynamic_reservation=True)


def play_negmas(issues, ufuns, exponents, rounds: int = ROUNDS):
    """One SAOMechanism run: the agreement (labels or None) and its round ``k`` (the deadline
    ``T`` without one); its time is ``k / (T + 1)``."""
    mechanism = SAOMechanism(issues=issues, n_steps=rounds)
    for k, (ufun, e) in enumerate(zip(ufuns, exponents, strict=True)):
        mechanism.add(GBoulware(name=f"p{k}", offering_params={"e": float(e)}), ufun=ufun)
    state = mechanism.run()
    agreement = None if state.agreement is None else tuple(state.agreement)
    return agreement, int(state.step), float(state.relative_time)


def test_negmas_utilities_are_genius_normalised():
    for domain in (_lunch(), _domain(SHAPES["576"])):
        space = outcome_space(domain)
        _, ufuns = to_negmas(domain)
        for x in range(space.size):
            labels = space.labels(x)
            for p, ufun in enumerate(ufuns):
                assert float(ufun(labels)) == pytest.approx(space.utility[p, x], abs=1e-12)
        assert [u.reserved_value for u in ufuns] == [p.reservation for p in domain.profiles]


def test_negmas_discounts_per_unit_of_relative_time():
    domain = _lunch()  # alice: r = .25, d = .5
    space = outcome_space(domain)
    _, ufuns = to_negmas(domain)
    alice = discounted(ufuns[0], domain.profiles[0].delta)
    for t in (0.0, 0.25, 62 / 101, 1.0):
        state = SAOState(relative_time=t)
        best = space.labels(int(np.argmax(space.utility[0])))
        assert float(alice.eval_on_state(best, state=state)) == pytest.approx(0.5**t)  # u d ** t
        assert float(alice.eval_on_state(None, state=state)) == pytest.approx(0.25 * 0.5**t)


def test_negmas_steps_are_negosim_rounds():
    domain = _lunch()
    space = outcome_space(domain)
    issues, ufuns = to_negmas(domain)
    # Boulware (0.2) against Conceder (2): both agree on sushi/2/inside in round 62, t = 62/101
    agreement, step, _ = play_negmas(issues, ufuns, (0.2, 2.0))
    res = negotiate(space, [0.2, 2.0], rounds=ROUNDS, acceptance="next", bidding="at_least")
    assert agreement == space.labels(int(res.outcome[0])) == ("sushi", "2", "inside")
    assert step == int(res.rounds[0]) == 62 and res.time[0] == 62 / (ROUNDS + 1)
    # two hardliners: no deal in either; NegMAS stops at step T, relative time 1
    agreement, step, relative = play_negmas(issues, ufuns, (0.0, 0.0))
    assert agreement is None and (step, relative) == (ROUNDS, 1.0)
    assert not negotiate(space, [0.0, 0.0], rounds=ROUNDS).agreed[0]


def _zero_reservations(domain):
    """NegMAS's tactic takes P_min over the outcomes above the reservation, GENIUS's as
    max(worst, r): they agree when every outcome beats r, so the benchmark sets r = 0."""
    profiles = [dataclasses.replace(p, reservation=0.0) for p in domain.profiles]
    return make_domain(domain.name, domain.issues, profiles)


@pytest.mark.benchmark(group="domains-negmas")
@pytest.mark.parametrize("outcomes", ["24", "576"])
def test_negosim_and_negmas_side_by_side(benchmark, outcomes):
    domain = _lunch() if outcomes == "24" else _domain(SHAPES["576"])
    domain = _zero_reservations(domain)
    space = outcome_space(domain)
    issues, ufuns = to_negmas(domain)
    runs = sizes([40], [3])[0]
    rng = np.random.default_rng(29)
    e = np.exp(rng.uniform(np.log(0.1), np.log(10.0), (runs, 2)))
    delta = [p.delta for p in domain.profiles]

    def negmas_runs():
        return [play_negmas(issues, ufuns, pair) for pair in e]

    played = benchmark.pedantic(negmas_runs, rounds=1, iterations=1)
    start = time.perf_counter()
    ours = negotiate(
        space, [e[:, 0], e[:, 1]], rounds=ROUNDS, acceptance="next", bidding="at_least"
    )
    ours_s = time.perf_counter() - start
    negmas_u = np.array(
        [
            [
                float(
                    discounted(u, d).eval_on_state(
                        agreement, state=SAOState(relative_time=step / (ROUNDS + 1))
                    )
                )
                for u, d in zip(ufuns, delta, strict=True)
            ]
            for agreement, step, _ in played
        ]
    )
    same = [
        (agreement is not None) == bool(ok)
        and (agreement is None or (agreement == space.labels(int(x)) and step == k))
        for (agreement, step, _), ok, x, k in zip(
            played, ours.agreed, ours.outcome, ours.rounds, strict=True
        )
    ]
    negmas_s = benchmark.stats.stats.min if benchmark.stats else float("nan")
    benchmark.extra_info.update(
        outcomes=space.size,
        runs=runs,
        negosim_runs_per_s=runs / ours_s,
        negmas_runs_per_s=runs / negmas_s,
        speed_ratio=negmas_s / ours_s,
        negosim_agreement=float(ours.agreed.mean()),
        negmas_agreement=float(np.mean([a is not None for a, _, _ in played])),
        negosim_mean_utility=ours.utility.mean(axis=0).tolist(),
        negmas_mean_utility=negmas_u.mean(axis=0).tolist(),
        identical_negotiations=float(np.mean(same)),
    )
    assert np.isfinite(negmas_u).all()


def test_every_difference_starts_at_a_bid_among_equal_utilities():
    """benchmarks/diagnose_domains_negmas.py on the benchmark's 40 pairs: every negotiation
    that differs first differs at a bid whose utility is the same for the mover on both sides,
    another outcome of that utility (docs/domains.md)."""
    from diagnose_domains_negmas import diagnose

    assert diagnose("lunch", _lunch()) == {"identical": 37, "tie": 3}
    assert diagnose("576", _domain(SHAPES["576"])) == {"identical": 24, "tie": 16}
    # the first one on lunch: alice (e = 9.71) bids at t = 1/101 for p = .49486; the outcomes
    # worth at least that and least are (pizza, 1, outside), index 1, and (salad, 3, inside),
    # index 20, both .5: negosim takes the lowest index, NegMAS's sorted list the other one
    domain = _zero_reservations(_lunch())
    space = outcome_space(domain)
    _, ufuns = to_negmas(domain)
    bidder = space.bidder(0)
    target = bidder.target(1 / (ROUNDS + 1), np.array([9.71]))
    assert target[0] == pytest.approx(0.49486, abs=1e-5)
    assert space.labels(int(bidder.at_least(target)[0])) == ("pizza", "1", "outside")
    inverse = ufuns[0].invert(rational_only=True, eps=-1, rel_eps=-1)
    theirs = inverse.worst_in((target[0] - 1e-9, 1 + 1e-9), normalized=False)
    assert tuple(theirs) == ("salad", "3", "inside")
    assert space.utility[0, 1] == space.utility[0, 20] == 0.5
