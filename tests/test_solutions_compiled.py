"""The compiled two-party bargaining solutions (negosim.engine.solvers.compiled) against today's
exact integer programmes solved run by run (``solver_runs._solve_each``), against HiGHS for
the linear programmes, and against a package worked out by hand where every row is tight.

The public solutions take each party's reservation plus the deal margin ``m = 0.01`` as its
disagreement point (docs/protocols.md, "Deals beat no deal"); the engine's internal solvers
take the disagreement point as given, so they are handed the same problem (:func:`floored`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.analysis import solutions as sol
from negosim.engine.solvers import compiled
from negosim.engine.solvers import runs as solver_runs
from negosim.model.errors import ArgumentError

pytestmark = pytest.mark.skipif(not compiled.AVAILABLE, reason="numba is not installed")

KINDS = ["utilitarian", "nash", "kalai_smorodinsky"]
PARTIES = ("p0", "p1")
M = 0.01  # the deal margin (docs/protocols.md, "Deals beat no deal")


def floored(batch: ns.ScenarioBatch, parties=PARTIES) -> ns.ScenarioBatch:
    """The batch with each party's reservation raised by the margin: the problem the public
    solutions solve."""
    reservation = np.array(batch.reservation, dtype=float)
    reservation[:, [batch.scenario.actor_index(a) for a in parties]] += M
    return dataclasses.replace(batch, reservation=reservation)


def own_utilities(sc, positions, packages):
    """``u[k, a] = 1 - sum_i s_ai / sum_i s_ai |x_ki - p_ai| / (h_i - l_i)``."""
    w = sc.salience / sc.salience.sum(axis=1, keepdims=True)
    gap = np.abs(packages[:, None, :] - positions[None]) / (sc.high - sc.low)
    return 1 - np.einsum("ai,kai->ka", w, gap)


def programmes(batch, kind, parties=PARTIES, compiled=False, margin=True):
    """``deal, outcome`` of today's integer programmes run by run, at the disagreement points
    r + m (``margin``) or r (or, with ``compiled``, of the public :func:`solve_runs`, at
    r + m). On wide scales they sometimes give up (RuntimeError: a package failed
    ratification after a retry; found by hypothesis on scales 0..10^4, reported): such a
    generated world has no reference answer and is rejected."""
    try:
        if compiled:
            out = sol.solve_runs(batch, kind, parties, compiled=True)
            return out["deal"], out["outcome"]
        problem = floored(batch, parties) if margin else batch
        return solver_runs._solve_each(problem, np.arange(batch.runs), kind, parties, True, {})
    except RuntimeError as error:
        if "failed ratification after a retry" not in str(error):
            raise
        reject()


def objective(kind, batch, outcome, index):
    """What the solution maximises, per run: the joint utility (utilitarian) or the Nash
    product's log (equal powers; -inf where a party gains nothing); for Kalai-Smorodinsky
    zero (its objective rests on the ideal points: its answers must equal the programmes')."""
    utility = solver_runs.package_utilities(batch, outcome)[:, index]
    if kind == "kalai_smorodinsky":
        return np.zeros(len(outcome))
    if kind == "utilitarian":
        return utility.sum(axis=1)
    gain = utility - batch.reservation[:, index]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            (gain > 0).all(axis=1), np.log(np.maximum(gain, 1e-300)).sum(axis=1), -np.inf
        )


def agree(kind, batch, index, fast, slow, runs):
    """On ``runs`` (both with a deal), the compiled packages ``fast`` are as good as the
    programmes' ``slow``: the same utilities within 1e-7 (the joint utility for the
    utilitarian solution: a trade at rate 1, every one-issue problem, is a tie of many
    packages), or a larger value of the objective (the programmes stop within their gap,
    :data:`negosim.analysis.solutions.NASH_GAP` of the Nash product's log, or short of the optimum;
    the compiled packages are checked ratified apart). Returns the runs where the compiled
    package is better by more than that gap."""
    gap = sol.NASH_GAP if kind == "nash" else 1e-7
    with np.errstate(invalid="ignore"):  # both -inf (no gain): NaN, never ahead
        ahead = objective(kind, batch, fast, index) - objective(kind, batch, slow, index)
    u_fast, u_slow = (solver_runs.package_utilities(batch, x)[:, index] for x in (fast, slow))
    if kind == "utilitarian":
        u_fast, u_slow = u_fast.sum(axis=1), u_slow.sum(axis=1)
    close = np.abs(u_fast - u_slow).reshape(len(runs), -1).max(axis=1) <= 1e-7
    assert np.all(close[runs] | (ahead[runs] > 0)), (ahead[runs], u_fast[runs], u_slow[runs])
    return runs & (ahead > gap)


def check_against_programmes(batch, kind, parties=PARTIES, margin=True):
    """Every run the compiled path answers agrees with the integer programmes, on the same
    problem (disagreement points r + m, or r without ``margin``): a deal wherever they find
    one (and elsewhere only a package the protocols' code ratifies), a package as good
    (:func:`agree`), ratified. Returns what the compiled path settled and the runs where it
    beat the programmes."""
    from negosim.engine.table import Table

    deal, outcome = programmes(batch, kind, parties, margin=margin)
    batch = floored(batch, parties) if margin else batch
    solved = solver_runs._compiled_runs(batch, parties, kind, True, {})
    found = solved.found
    # no deal where the programmes found one; a deal they missed only as a ratified package
    # (checked below; found by hypothesis on a sliver 1e-7 wide of a 10^4 scale)
    assert not np.any(found & deal & ~solved.deal)
    missed = found & solved.deal & ~deal
    index = [batch.scenario.actor_index(a) for a in parties]
    both = found & deal
    if np.any(found & solved.deal):
        table = Table(batch.take(np.flatnonzero(found & solved.deal)), {}, rounds=1)
        package = solved.outcome[found & solved.deal]
        votes = table.reservation_votes(table.utilities(package))
        assert votes[:, index].all()
        assert table.coalition_consent(package, votes).all()
    better = agree(kind, batch, index, solved.outcome, outcome, both)
    return solved, better | missed


# ----------------------------------------------------------------------------- package_2007


@pytest.fixture(scope="module")
def package():
    return ns.load_scenario("package_2007")


@pytest.mark.parametrize("kind", KINDS)
def test_package_2007_equals_the_integer_programmes(package, kind):
    """Sampled runs of package_2007 (US and Russia; NATO, host nations and the troika by
    unanimity, the EU by qualified majority and by majority): the compiled answers equal the
    programmes' run by run, and the compiled path answers nearly every run itself."""
    batch = ns.sample(package, 40, seed=11)
    solved, better = check_against_programmes(batch, kind, ("US", "Russia"))
    assert solved.found.mean() >= 0.9 and not better.any()


# ----------------------------------------------------------------------------- random worlds


@st.composite
def ratified_worlds(draw):
    """Two parties and one to four ratifiers over one to three issues on random scales
    (continuous numbers: no ties), one to three coalitions by unanimity, majority or a
    qualified share; a few runs with the first party's positions uncertain."""
    n_issues = draw(st.integers(1, 3))
    n_actors = 2 + draw(st.integers(1, 4))
    low = draw(st.sampled_from([0.0, -50.0, 1000.0]))
    span = draw(st.sampled_from([1.0, 100.0, 1e4]))
    share = st.floats(0, 1)

    def at(u):
        return low + span * u

    actors = [
        {
            "id": f"p{a}" if a < 2 else f"v{a}",
            "role": "negotiator" if a < 2 else "ratifier",
            "power": 1.0,
            "position": {f"i{k}": at(draw(share)) for k in range(n_issues)},
            "salience": {f"i{k}": draw(st.floats(1, 100)) for k in range(n_issues)},
            "reservation": draw(st.floats(0.0, 0.6) if a < 2 else st.floats(0.3, 0.95)),
        }
        for a in range(n_actors)
    ]
    names = [a["id"] for a in actors]
    issue_ids = [f"i{k}" for k in range(n_issues)]
    coalitions = []
    for c in range(draw(st.integers(1, 3))):
        rule = draw(st.sampled_from(["unanimity", "majority", "qualified"]))
        coalition = {
            "id": f"c{c}",
            "members": draw(st.lists(st.sampled_from(names), min_size=2, unique=True)),
            "ratifies": draw(st.lists(st.sampled_from(issue_ids), min_size=1, unique=True)),
            "rule": rule,
        }
        if rule == "qualified":
            coalition["threshold"] = draw(st.sampled_from([0.5, 0.6, 0.75]))
        coalitions.append(coalition)
    issues = [
        {"id": f"i{k}", "label": "x", "scale": [low, low + span], "status_quo": at(draw(share))}
        for k in range(n_issues)
    ]
    uncertainty = [
        {"target": f"p0.position.i{k}", "dist": "uniform", "low": low, "high": low + span}
        for k in range(n_issues)
    ]
    doc = {
        "scenario": {"id": "r", "title": "r"},
        "issues": issues,
        "actors": actors,
        "coalitions": coalitions,
        "uncertainty": uncertainty,
    }
    return ns.sample(
        ns.Scenario.from_dict(doc), draw(st.integers(1, 4)), seed=draw(st.integers(0, 99))
    )


@settings(max_examples=120, deadline=None)
@given(ratified_worlds(), st.sampled_from(KINDS))
def test_random_worlds_equal_the_integer_programmes(batch, kind):
    """Random scales, positions, rules and members: where the compiled path answers, it
    agrees with the programmes; through :func:`solve_runs` every run does."""
    check_against_programmes(batch, kind)
    fast_deal, fast = programmes(batch, kind, compiled=True)
    deal, outcome = programmes(batch, kind)
    assert not np.any(deal & ~fast_deal)
    problem = floored(batch)
    missed = fast_deal & ~deal  # deals the programmes missed: ratified packages
    if missed.any():
        rows = np.flatnonzero(missed)
        assert solver_runs.ratification_test(problem.take(rows), PARTIES, True)(fast[rows]).all()
    agree(kind, problem, [0, 1], fast, outcome, deal)


# ----------------------------------------------------------------------------- hand-made cases


def pinned_world(party_reservation: float | None) -> tuple[ns.ScenarioBatch, np.ndarray]:
    """Four ratifiers in the corners of a 2-issue square, each with its reservation at its
    utility of the package (30, 70), every one asked by unanimity: their four L1 balls meet
    in that package alone (x + y = 100 from the corners (0, 0) and (100, 100), y - x = 40
    from (0, 100) and (100, 0)), so every ratifier's rows are tight there. The parties'
    reservations: their utility there less the margin (``None``: their disagreement points,
    r + m, are their utilities there), or the number given."""
    x0 = np.array([30.0, 70.0])
    corners = [(0, 0), (100, 100), (0, 100), (100, 0)]
    parties = [(20, 90), (60, 40)]
    positions = np.array([*parties, *corners], float)
    actors = [
        {
            "id": f"p{a}" if a < 2 else f"v{a}",
            "role": "negotiator" if a < 2 else "ratifier",
            "power": 1.0,
            "position": {"i0": float(p[0]), "i1": float(p[1])},
            "salience": {"i0": 1.0, "i1": 1.0},
        }
        for a, p in enumerate(positions)
    ]
    issues = [{"id": f"i{k}", "label": "x", "status_quo": 50.0} for k in range(2)]
    names = [a["id"] for a in actors]
    doc = {
        "scenario": {"id": "pin", "title": "pin"},
        "issues": issues,
        "actors": actors,
        "coalitions": [{"id": "all", "members": names[2:], "ratifies": ["i0", "i1"]}],
    }
    sc = ns.Scenario.from_dict(doc)
    at_x0 = own_utilities(sc, positions, x0[None])[0]
    for a, actor in enumerate(actors):
        if a >= 2:
            actor["reservation"] = float(at_x0[a])
        elif party_reservation is None:
            actor["reservation"] = float(at_x0[a] - M)
        else:
            actor["reservation"] = party_reservation
    return ns.sample(ns.Scenario.from_dict(doc), 1, seed=0), x0


@pytest.mark.parametrize("kind", KINDS)
def test_every_row_tight_at_the_answer(kind):
    """The only ratified package is (30, 70), where the four ratifiers' rows are tight (a
    degenerate programme): the compiled path answers it itself, (30, 70) to 1e-6 and the
    utilities to 1e-7 of it, and agrees with the integer programmes."""
    batch, x0 = pinned_world(0.3)
    solved, better = check_against_programmes(batch, kind)
    assert solved.found.all() and solved.deal.all() and not better.any()
    np.testing.assert_allclose(solved.outcome[0], x0, atol=1e-6)
    at_x0 = own_utilities(batch.scenario, batch.scenario.positions, x0[None])[0, :2]
    np.testing.assert_allclose(
        solver_runs.package_utilities(batch, solved.outcome)[0, :2], at_x0, atol=1e-7
    )


def test_no_gain_for_the_parties_agrees():
    """The parties too at their utility of the only package: the utilitarian solution is that
    package, as the programmes find it; Nash has no gain to weigh, so the compiled step hands
    the run to the programmes (docs/protocols.md: "a party without gain sends the run to the
    integer programmes")."""
    batch, x0 = pinned_world(None)
    fast = sol.solve_runs(batch, "utilitarian", compiled=True)
    deal, outcome = programmes(batch, "utilitarian")
    assert deal.all() and np.array_equal(fast["deal"], deal)
    slow = solver_runs.package_utilities(batch, outcome)[:, :2]
    np.testing.assert_allclose(fast["utility"], slow, atol=1e-7)
    at_x0 = own_utilities(batch.scenario, batch.scenario.positions, x0[None])[0, :2]
    np.testing.assert_allclose(fast["utility"][0], at_x0, atol=1e-7)
    handed = solver_runs._compiled_runs(floored(batch), PARTIES, "nash", True, {})
    assert not handed.found.any()


def one_issue_world(actors, coalition: dict, status_quo: float) -> ns.ScenarioBatch:
    """One run of a world with one issue on [0, 100] and one coalition: ``actors`` as
    ``(id, role, position, reservation)``, every salience 1, every power 1."""
    doc = {
        "scenario": {"id": "one_issue", "title": "one issue"},
        "issues": [{"id": "i0", "label": "x", "scale": [0.0, 100.0], "status_quo": status_quo}],
        "actors": [
            {
                "id": ident,
                "role": role,
                "power": 1.0,
                "position": {"i0": position},
                "salience": {"i0": 1.0},
                "reservation": reservation,
            }
            for ident, role, position, reservation in actors
        ],
        "coalitions": [coalition],
    }
    return ns.sample(ns.Scenario.from_dict(doc), 1, seed=0)


def two_issue_actor(ident, role, position, salience, reservation) -> dict:
    """An actor of a two-issue world (issues i0, i1), power 1."""
    return {
        "id": ident,
        "role": role,
        "power": 1.0,
        "position": dict(zip(("i0", "i1"), position, strict=True)),
        "salience": dict(zip(("i0", "i1"), salience, strict=True)),
        "reservation": reservation,
    }


TWO_OF_THREE = {
    "id": "eu",
    "members": ["v0", "v1", "v2"],
    "ratifies": ["i0"],
    "rule": "qualified",
    "threshold": 0.6,
}
"""A coalition of three ratifiers deciding by a share of 0.6: two votes."""


def qualified_world() -> ns.ScenarioBatch:
    """One issue (status quo 50): the parties want 100 and 60; three ratifiers decide by a
    share of 0.6 (two votes). v2 (at 80, reservation 0.5) always says yes; v0 (at 50) says
    yes up to 53 and v1 (at 55) between 52 and 58 (reservation 0.97). Only one open vote is
    needed, so the coalition is relaxed, and the relaxed answer (60 or beyond, where both
    parties gain most) fails the vote: the integer programmes must answer."""

    actors = [
        ("p0", "negotiator", 100.0, 0.0),
        ("p1", "negotiator", 60.0, 0.0),
        ("v0", "ratifier", 50.0, 0.97),
        ("v1", "ratifier", 55.0, 0.97),
        ("v2", "ratifier", 80.0, 0.5),
    ]
    return one_issue_world(actors, TWO_OF_THREE, status_quo=50.0)


@pytest.mark.parametrize("kind", KINDS)
def test_a_relaxed_answer_that_fails_the_vote_falls_back(kind, monkeypatch):
    """The relaxed answer fails the qualified vote: the compiled path does not settle the
    run, the integer programmes answer it, and solve_runs returns their answer: 58, v1's
    limit (both parties' utilities rise up to 60, so both solutions go as far as the vote
    lets them)."""
    batch = qualified_world()
    status, outcome, _ = compiled.solve_two(
        kind,
        batch.positions,
        batch.weights / batch.span,
        batch.reservation,
        batch.scenario,
        (0, 1),
        True,
    )
    assert status[0] == compiled.OPTIMAL and outcome[0, 0] > 58 + 1e-6  # relaxed: too far
    assert not solver_runs._compiled_runs(floored(batch), PARTIES, kind, True, {}).found[0]
    calls = []
    each = solver_runs._solve_each
    monkeypatch.setattr(
        solver_runs, "_solve_each", lambda *a, **k: calls.append(a[1]) or each(*a, **k)
    )
    fast = sol.solve_runs(batch, kind, compiled=True)
    assert calls and list(calls[0]) == [0]
    assert fast["deal"][0] and fast["outcome"][0, 0] == pytest.approx(58.0, abs=1e-6)


# ----------------------------------------------------------------------------- the switch


def test_compiled_true_without_numba_names_the_extra(monkeypatch, package):
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    with pytest.raises(ImportError, match=r"negosim\[fast\]"):
        sol.solve_runs(ns.sample(package, 2, seed=1), "utilitarian", compiled=True)


def test_compiled_false_never_calls_the_compiled_path(monkeypatch, package):
    def refuse(*args, **kwargs):
        raise AssertionError("compiled path called")

    monkeypatch.setattr(compiled, "solve_two", refuse)
    batch = ns.sample(package, 4, seed=1)
    out = sol.solve_runs(batch, "nash", compiled=False)
    # what is left after the closed form goes to the integer programmes, nothing else
    batch = floored(batch, ("US", "Russia"))  # the problem solve_runs solved
    closed = solver_runs._two_parties(batch, ("US", "Russia"), "nash", True, {})
    left = np.flatnonzero(~closed.exact)
    assert left.size, "every run settled in closed form: the test checks nothing"
    deal, outcome = solver_runs._solve_each(batch, left, "nash", ("US", "Russia"), True, {})
    assert np.array_equal(out["deal"][left], deal)
    assert np.array_equal(out["outcome"][left], outcome)
    settled = closed.exact
    assert np.array_equal(out["outcome"][settled], closed.outcome[settled])


@pytest.mark.parametrize(
    ("option", "calls"), [({}, True), ({"compiled": True}, True), ({"compiled": False}, False)]
)
def test_protocol_takes_the_switch(package, monkeypatch, option, calls):
    """``compiled=`` reaches the solver through the protocol's options; by default (numba
    is installed here) the compiled step runs."""
    seen = []
    real = solver_runs._compiled_runs

    def spy(*args, **kwargs):
        seen.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(solver_runs, "_compiled_runs", spy)
    ns.simulate(package, 6, seed=4, protocol="utilitarian", **option)
    assert bool(seen) == calls


def test_the_programmes_keep_small_chunks():
    """``compiled=False`` sends the solutions to the integer programmes (tens of runs/s):
    their chunks stay small, so a killed run loses seconds, not minutes."""
    from negosim.engine.runner import default_chunk

    for kind in KINDS:
        assert default_chunk(kind) >= 4096  # compiled: thousands of runs/s
        assert default_chunk(kind, {"compiled": False}) <= 128


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        ({"protocol": "nash", "powers": (float("nan"), 0.5)}, ValueError, "powers"),
        ({"protocol": "nash", "powers": (float("inf"), 0.5)}, ValueError, "powers"),
        ({"protocol": "nash", "power": (0.3, 0.7)}, ArgumentError, "power"),
        ({"protocol": "utilitarian", "compiled": "no"}, ArgumentError, "compiled"),
        ({"protocol": "utilitarian", "actors": ("US", "US")}, ValueError, "actors"),
    ],
)
def test_bad_options_are_refused(package, call, error, words):
    """Refused with an error naming the option (a NaN power once gave no deal in every run
    on the compiled path, a misspelt option was ignored)."""
    with pytest.raises(error, match=words):
        ns.simulate(package, 4, seed=1, **call)


def test_a_qualified_vote_that_caps_an_ideal_point():
    """One issue on [0, 100] (status quo 0); the parties want 100 and 40 (reservations 0,
    disagreement points m); three ratifiers decide by a share of 0.6 (two votes): v2 (at
    50, reservation 0) always says yes, v0 (at 0, reservation 0.28) yes up to 72, v1
    (reservation 0.97) only up to 3. The ratified set is [0, 72], so p0's ideal is 0.72
    (not 1, as with the vote relaxed) and p1's is 1; with y = x / 100 the equal share
    ``(y - m) / (0.72 - m) = (1.4 - y - m) / (1 - m)`` gives ``y = ((1.4 - m)(0.72 - m) +
    m (1 - m)) / (1.72 - 2 m)``. The relaxed ideal points would give x = 70, a package the
    vote passes: only the check of the ideal packages catches it."""

    actors = [
        ("p0", "negotiator", 100.0, 0.0),
        ("p1", "negotiator", 40.0, 0.0),
        ("v0", "ratifier", 0.0, 0.28),
        ("v1", "ratifier", 0.0, 0.97),
        ("v2", "ratifier", 50.0, 0.0),
    ]
    batch = one_issue_world(actors, TWO_OF_THREE, status_quo=0.0)
    out = sol.solve_runs(batch, "kalai_smorodinsky", compiled=True)
    assert out["deal"][0]
    y = ((1.4 - M) * (0.72 - M) + M * (1 - M)) / (1.72 - 2 * M)
    np.testing.assert_allclose(out["outcome"][0, 0], 100 * y, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_a_deal_only_at_the_status_quo(kind):
    """One issue, status quo 50, where both parties get 0.7 (reservations 0.68); a ratifier
    at 0 with reservation 0.999 must agree to any move (unanimity), so the status quo itself
    is the only package, and a deal (no piece with a move passes, the piece without one
    must not be pruned)."""

    actors = [
        ("p0", "negotiator", 80.0, 0.68),
        ("p1", "negotiator", 20.0, 0.68),
        ("v0", "ratifier", 0.0, 0.999),
    ]
    everyone = {"id": "c", "members": ["v0", "p0", "p1"], "ratifies": ["i0"], "rule": "unanimity"}
    batch = one_issue_world(actors, everyone, status_quo=50.0)
    out = sol.solve_runs(batch, kind, compiled=True)
    assert out["deal"][0]
    np.testing.assert_allclose(out["outcome"][0, 0], 50.0, atol=1e-7)
    np.testing.assert_allclose(out["utility"][0], [0.7, 0.7], atol=1e-7)


def test_kalai_smorodinsky_takes_the_most_joint_utility_over_the_pieces():
    """Two issues, status quo (70, 30). p0 at (40, 0), saliences (2, 1), reservation 0; p1
    at (80, 30), cares for i0 only, reservation 0.395: disagreement points d = r + m =
    (0.01, 0.405). v0 must ratify any move (it always agrees), v0 and v1 any move of i0, and
    v1 (at (40, 10), reservation 0.9) agrees only where ``|x0 - 40| + |x1 - 10| <= 20``.
    Ideal points: p0 1 at (40, 0), p1 0.9 with i0 at 70. Keeping i0 at 70, ``u0 = 0.8 - x1 /
    300``: shares ((0.8 - 0.01) / 0.99, 1) = (79/99, 1) at (70, 0). Moving i0 caps it at 60,
    where p1's share is at most (0.8 - 0.405) / (0.9 - 0.405) = 79/99, reached only at (60,
    10), where p0's is (0.8333 - 0.01) / 0.99 = 0.832. Both pieces reach the largest common
    share 79/99; the most joint utility is at (70, 0), with utilities (0.8, 0.9) against
    (0.833, 0.8)."""

    doc = {
        "scenario": {"id": "two_pieces", "title": "two pieces at the same share"},
        "issues": [
            {"id": "i0", "label": "x", "scale": [0.0, 100.0], "status_quo": 70.0},
            {"id": "i1", "label": "y", "scale": [0.0, 100.0], "status_quo": 30.0},
        ],
        "actors": [
            two_issue_actor("p0", "negotiator", (40.0, 0.0), (2.0, 1.0), 0.0),
            two_issue_actor("p1", "negotiator", (80.0, 30.0), (2.0, 0.0), 0.395),
            two_issue_actor("v0", "ratifier", (80.0, 20.0), (1.0, 1.0), 0.2),
            two_issue_actor("v1", "ratifier", (40.0, 10.0), (1.0, 1.0), 0.9),
        ],
        "coalitions": [
            {"id": "c0", "members": ["v0"], "ratifies": ["i0", "i1"]},
            {"id": "c2", "members": ["v0", "v1"], "ratifies": ["i0"]},
        ],
    }
    batch = ns.sample(ns.Scenario.from_dict(doc), 1, seed=0)
    out = sol.solve_runs(batch, "kalai_smorodinsky", compiled=True)
    assert out["deal"][0]
    np.testing.assert_allclose(out["outcome"][0], [70.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out["utility"][0], [0.8, 0.9], atol=1e-7)


@pytest.mark.parametrize(("gap", "status"), [(3e-9, compiled.UNSURE), (5e-9, compiled.INFEASIBLE)])
def test_an_empty_piece_is_certified_only_beyond_the_margin(gap, status):
    """``y <= 0`` and ``y >= gap``: empty, with the dual ray ``d = (1, 1)``, ``G^T d = 0``,
    ``-h.d = gap``. docs/protocols.md certifies it only when ``-h.d > 2 (1e-9 sum d +
    |G^T d| . bound) = 4e-9``: a gap a package within the rules' tolerance could cross is
    left to the integer programmes."""
    margin = 2 * (1e-9 * 2 + 0.0)
    assert (gap > margin) == (status == compiled.INFEASIBLE)
    G = np.array([[1.0], [-1.0]])
    found, _ = compiled.solve_lp(G, np.array([0.0, -gap]), np.array([1.0]), 1.0)
    assert found == status


# ----------------------------------------------------------------------------- the kernel


@st.composite
def linear_programmes(draw):
    """``max c.y, G y <= h`` with a random dense ``G`` and a box ``|y| <= 1`` (bounded);
    the right sides shifted so some are infeasible."""
    n = draw(st.integers(2, 6))
    m = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    G = np.vstack([rng.normal(size=(m, n)), np.eye(n), -np.eye(n)])
    h = np.concatenate([rng.normal(size=m) + draw(st.floats(-2, 2)), np.ones(2 * n)])
    c = rng.normal(size=n)
    return G, h, c


@settings(max_examples=200, deadline=None)
@given(linear_programmes())
def test_the_simplex_equals_highs(problem):
    """The tableau simplex against HiGHS: the same optimum where HiGHS finds one (or no
    certified answer), certified infeasible only where HiGHS finds no point."""
    from scipy.optimize import linprog

    G, h, c = problem
    status, y = compiled.solve_lp(G, h, c, 1.0)
    ref = linprog(-c, A_ub=G, b_ub=h, bounds=[(None, None)] * len(c), method="highs")
    if ref.status == 2:
        assert status != compiled.OPTIMAL
        return
    assert ref.status == 0 and status != compiled.INFEASIBLE
    if status == compiled.OPTIMAL:
        assert np.all(G @ y <= h + 1e-9)
        assert c @ y == pytest.approx(-ref.fun, abs=1e-9)


def test_nash_where_the_programmes_stop_short():
    """A world hypothesis found (two issues on 0..1; a ratifier v2 whose reservation 0.9375
    leaves it a small diamond of packages around its ideal (0.25, 0.75)): the integer
    programmes answer (1, 0.714), leaving issue i0 at the status quo, while the diamond's
    corner (0.4375, 0.75) has a larger Nash product. The compiled answer is at least as good
    as every ratified package of a grid of step 1/800 (ratified by the protocols' code at
    the parties' disagreement points r + m, utilities by this file's formula), and strictly
    better than the programmes'."""
    from negosim.engine.table import Table

    doc = {
        "scenario": {"id": "short", "title": "short"},
        "issues": [
            {"id": "i0", "label": "x", "scale": [0.0, 1.0], "status_quo": 1.0},
            {"id": "i1", "label": "x", "scale": [0.0, 1.0], "status_quo": 0.0},
        ],
        "actors": [
            two_issue_actor("p0", "negotiator", (0.88303066, 0.17031857), (1, 1), 0.3125),
            two_issue_actor("p1", "negotiator", (0.0, 1.0), (2, 1), 0.0),
            two_issue_actor("v2", "ratifier", (0.25, 0.75), (1, 2), 0.9375),
        ],
        "coalitions": [
            {"id": "c0", "members": ["p0", "p1", "v2"], "ratifies": ["i0"], "rule": "unanimity"}
        ],
    }
    sc = ns.Scenario.from_dict(doc)
    batch = ns.sample(sc, 1, seed=0)
    fast = sol.solve_runs(batch, "nash", compiled=True)
    slow = sol.solve_runs(batch, "nash", compiled=False)
    grid = np.linspace(0, 1, 801)
    packages = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    table = Table(floored(batch).take(np.zeros(len(packages), int)), {}, rounds=1)
    votes = table.reservation_votes(table.utilities(packages))
    ratified = votes[:, :2].all(axis=1) & table.coalition_consent(packages, votes).all(axis=1)
    d = sc.reservation[:2] + M
    gains = own_utilities(sc, sc.positions, packages)[:, :2] - d
    ok = ratified & (gains > 0).all(axis=1)
    best = np.log(gains[ok]).sum(axis=1).max()

    def log_product(out):
        return np.log(out["utility"][0] - d).sum()

    assert fast["deal"][0] and log_product(fast) >= best - 1e-9
    assert log_product(fast) > log_product(slow) + 0.1


@pytest.mark.parametrize("kind", KINDS)
def test_results_do_not_depend_on_the_chunk_size(package, kind):
    """package_2007 through the protocol with the default chunk (one chunk here), chunks of
    7 and of 1 run: the same agreements, packages and utilities bit for bit."""
    from negosim.engine.runner import default_chunk

    assert default_chunk(kind) >= 4096  # numba is installed (this file is skipped otherwise)
    runs = [ns.simulate(package, 30, seed=8, protocol=kind, chunk_size=c) for c in (None, 7, 1)]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.agreed, runs[0].agreed)
        np.testing.assert_array_equal(other.outcome, runs[0].outcome)
        np.testing.assert_array_equal(other.utility, runs[0].utility)


def test_without_numba_the_default_is_the_programmes(monkeypatch, package):
    """numba missing (``AVAILABLE`` false): the default path never calls the compiled
    code and answers as the integer programmes do."""

    def refuse(*args, **kwargs):
        raise AssertionError("compiled path called")

    monkeypatch.setattr(compiled, "AVAILABLE", False)
    monkeypatch.setattr(compiled, "solve_two", refuse)
    batch = ns.sample(package, 2, seed=5)  # run 0 without a deal, run 1 with one
    out = sol.solve_runs(batch, "utilitarian")
    deal, outcome = programmes(batch, "utilitarian", ("US", "Russia"))
    assert np.array_equal(out["deal"], deal) and deal.any() and not deal.all()
    assert np.array_equal(out["outcome"], outcome)  # the status quo without a deal


@pytest.mark.parametrize("powers", [(0.3, 0.7), (0.8, 0.2)])
def test_nash_with_unequal_powers_equals_the_programmes(package, powers):
    """``powers=`` reaches the compiled Nash search: package_2007 runs with unequal
    bargaining powers agree with the integer programmes (same deals, utilities to 1e-7 or
    a larger weighted Nash product)."""
    parties = ("US", "Russia")
    batch = floored(ns.sample(package, 12, seed=6), parties)
    solved = solver_runs._compiled_runs(batch, parties, "nash", True, {"powers": powers})
    deal, outcome = solver_runs._solve_each(
        batch, np.arange(12), "nash", parties, True, {"powers": powers}
    )
    assert solved.found.mean() >= 0.9
    assert np.array_equal(solved.deal[solved.found], deal[solved.found])
    index = [package.actor_index(a) for a in parties]
    runs = np.flatnonzero(solved.found & deal)
    assert runs.size
    u_fast, u_slow = (
        solver_runs.package_utilities(batch.take(runs), x[runs])[:, index]
        for x in (solved.outcome, outcome)
    )
    d = batch.reservation[runs][:, index]
    ahead = np.log(u_fast - d) @ np.array(powers) - np.log(u_slow - d) @ np.array(powers)
    close = np.abs(u_fast - u_slow).max(axis=1) <= 1e-7
    assert np.all(close | (ahead > 0))


def docs_edge_share(g, d, alpha):
    """docs/protocols.md, the compiled Nash search's last step: on the edge from gains ``g``
    in direction ``d``, ``s = -(alpha_A d_A g_B + alpha_B d_B g_A) / ((alpha_A + alpha_B)
    d_A d_B)``, clipped to [0, 1]."""
    s = -(alpha[0] * d[0] * g[1] + alpha[1] * d[1] * g[0]) / (sum(alpha) * d[0] * d[1])
    return min(max(s, 0.0), 1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.0, 0.4),
    st.floats(0.6, 1.0),
    st.floats(0.3, 1.0),
    st.floats(0.3, 1.0),
    st.floats(0.0, 0.3),
    st.floats(0.0, 0.3),
    st.floats(0.1, 0.9),
)
def test_nash_on_one_edge_follows_the_documented_closed_form(pb, pa, ca, cb, ra, rb, alpha_a):
    """One issue (the frontier is one edge, between the parties' ideal points): the compiled
    Nash point of the piece equals the documented closed form from the edge's ends, the
    gains computed here from the positions and costs."""
    alpha = (alpha_a, 1 - alpha_a)
    pos = np.array([[pa], [pb]])
    cost = np.array([[ca], [cb]])
    res = np.array([ra, rb])
    G, h = compiled._piece(
        pos, cost, res, np.array([0.5]), 0, 1, np.zeros(0, np.int64), np.ones(1, bool)
    )
    status, y, _ = compiled._nash_piece(G, h, ra, rb, alpha[0], alpha[1], 2.0)
    # the edge's ends: B's ideal (or where A's reservation cuts in) to A's
    lo = max(pb, pa - (1 - ra) / ca)  # A needs 1 - ca (pa - z) >= ra
    hi = min(pa, pb + (1 - rb) / cb)  # B needs 1 - cb (z - pb) >= rb
    if lo >= hi - 1e-9:
        return  # at most one package: no edge to test
    assert status == compiled.OPTIMAL

    def gains(z):
        return np.array([1 - ca * abs(z - pa) - ra, 1 - cb * abs(z - pb) - rb])

    s = docs_edge_share(gains(lo), gains(hi) - gains(lo), alpha)
    np.testing.assert_allclose(y[:1], [lo + s * (hi - lo)], atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_package_2007_at_its_point_estimates_sits_on_the_moves_package(package, kind):
    """At the file's numbers every reservation is the actor's utility of the package the
    moves leave (kosovo_udi 60, us_deploys 77.5, russia_suspends_cfe 15), so there, with the
    reservations themselves as the disagreement points, every member's and party's row is
    tight (a degenerate programme). Where the compiled path answers, it agrees with the
    programmes (the utilitarian solution: it answers itself); the Nash and
    Kalai-Smorodinsky packages, where no ratified package gives a party more than its
    reservation, are left to the programmes, which return that package. The public
    solutions, at r + m, find no deal: no package gives both parties the margin over it
    (test_solutions.py: at most 0.0014 for both at once), so the compiled path and the
    programmes agree on none."""
    batch = sol.point_estimates(package)
    parties = ("US", "Russia")
    moves = np.array([60.0, 77.5, 15.0])
    at_moves = solver_runs.package_utilities(batch, moves[None])[0]
    np.testing.assert_allclose(batch.reservation[0], at_moves, atol=1e-12)  # all tight
    solved, better = check_against_programmes(batch, kind, parties, margin=False)
    assert not better.any()
    assert solved.found.all() if kind == "utilitarian" else not solved.found.any()
    deal, outcome = programmes(batch, kind, parties, margin=False)
    assert deal[0]
    np.testing.assert_allclose(outcome[0], moves, atol=1e-6)
    solved, better = check_against_programmes(batch, kind, parties)
    assert not better.any()
    for switch in (True, False):
        assert not sol.solve_runs(batch, kind, compiled=switch)["deal"][0]


@pytest.mark.parametrize("kind", KINDS)
def test_the_public_functions_take_the_switch(package, kind, monkeypatch):
    """``ns.solutions.<kind>(batch, run=k, compiled=True)`` answers as the programmes do at
    the disagreement points r + m (utilities to 1e-7, joint for utilitarian; None where they
    find no deal), and ``compiled=True`` without numba names the extra."""
    batch = ns.sample(package, 5, seed=4)
    parties = ("US", "Russia")
    deal, outcome = programmes(batch, kind, parties)
    assert deal.any() and not deal.all()  # both kinds of run
    index = [package.actor_index(a) for a in parties]
    for run in range(5):
        found = getattr(sol, kind)(batch, run=run, compiled=True)
        assert (found is not None) == deal[run]
        if found is None:
            continue
        slow = solver_runs.package_utilities(batch.take([run]), outcome[[run]])[0, index]
        fast, slow = (u.sum() if kind == "utilitarian" else u for u in (found.utility, slow))
        np.testing.assert_allclose(fast, slow, atol=1e-7)
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    with pytest.raises(ImportError, match=r"negosim\[fast\]"):
        getattr(sol, kind)(batch, run=3, compiled=True)
