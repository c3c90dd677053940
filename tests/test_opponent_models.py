"""The opponent models (negosim.model.opponents) against the scalar reference of
tests/reference_opponents.py, run by run and offer by offer, plus what they learn in worked
cases and the registry. Every formula of docs/protocols.md, "Opponent models", is asserted
here (the list at the end of that section names the test of each)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference_opponents as ref
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim.model.opponents as opponents
from negosim.model.errors import ArgumentError
from negosim.model.opponents import (
    BayesianModel,
    FrequencyModel,
    OpponentModel,
    Prior,
    get_model,
    model_names,
    register,
)

RTOL, ATOL = 1e-9, 1e-12  # float rounding only: the same rules in another order


# ----------------------------------------------------------------------------- offer sequences


@st.composite
def talks(draw, grid_of):
    """A prior and a sequence of offers ``(T, R, I)`` (with, maybe, a step at which the table
    drops finished runs). The offers are built to hit the rules' edges: exact repeats of the
    previous offer (issue by issue or whole), moves within the tolerance, bin edges and
    hypothesis peaks (``grid_of(low, span)``), the scale's ends, and any value."""
    issues, runs, steps = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 9))
    low = [draw(st.sampled_from([0.0, -50.0, 3.25])) for _ in range(issues)]
    span = [draw(st.sampled_from([1.0, 100.0, 7.0])) for _ in range(issues)]
    high = [lo + d for lo, d in zip(low, span, strict=True)]
    unit = st.floats(0, 1)
    position = [lo + d * draw(unit) for lo, d in zip(low, span, strict=True)]
    spread = st.sampled_from([0.0, 0.02, 0.3, math.inf, math.nan])
    position_sd = [d * draw(spread) for d in span]
    weight = [draw(st.floats(0.05, 1)) for _ in range(issues)]
    weight = [w / sum(weight) for w in weight]
    weight_sd = [draw(st.sampled_from([0.0, 0.05, 0.3, math.inf])) for _ in range(issues)]
    loss = draw(st.sampled_from(["linear", "quadratic"]))
    prior = {
        "position": position,
        "position_sd": position_sd,
        "weight": weight,
        "weight_sd": weight_sd,
        "low": low,
        "high": high,
        "loss": loss,
    }
    grids = [grid_of(lo, d) for lo, d in zip(low, span, strict=True)]
    offers = np.empty((steps, runs, issues))
    for t in range(steps):
        for r in range(runs):
            whole = t > 0 and draw(st.integers(0, 5)) == 0  # the whole previous offer again
            for i in range(issues):
                kind = "repeat" if whole else draw(st.sampled_from(KINDS))
                if t == 0 and kind in ("repeat", "near"):
                    kind = "any"
                if kind == "repeat":
                    value = offers[t - 1, r, i]
                elif kind == "near":  # within a tolerance of 0.005 of the span
                    step = span[i] * draw(st.sampled_from([0.001, 0.005, 0.0049, -0.003]))
                    value = min(max(offers[t - 1, r, i] + step, low[i]), high[i])
                elif kind == "edge":
                    value = draw(st.sampled_from(grids[i]))
                elif kind == "end":
                    value = draw(st.sampled_from([low[i], high[i]]))
                else:
                    value = low[i] + span[i] * draw(unit)
                offers[t, r, i] = value
    drop = None
    if runs > 1 and draw(st.booleans()):
        at = draw(st.integers(0, steps - 1))
        keep = draw(st.lists(st.booleans(), min_size=runs, max_size=runs))
        keep[draw(st.integers(0, runs - 1))] = True
        drop = (at, np.array(keep))
    return prior, offers, drop


KINDS = ["repeat", "near", "edge", "edge", "end", "any"]


def _prior(fields: dict) -> Prior:
    return Prior(**fields, rounds=20)


def _take_rows(state: dict, keep: np.ndarray) -> None:
    """What the table does to a model's state when runs finish (negosim.engine.table)."""
    for key, value in state.items():
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == keep.size:
            state[key] = value[keep]


def _packages(prior: dict, offer: np.ndarray, grid) -> np.ndarray:
    """``(R, P, I)`` packages to value: the offer, the scale's ends, a grid point."""
    low, high = np.array(prior["low"]), np.array(prior["high"])
    middle = np.array([grid(lo, h - lo)[1] for lo, h in zip(low, high, strict=True)])
    extra = np.broadcast_to(np.stack([low, high, middle]), (offer.shape[0], 3, offer.shape[1]))
    return np.concatenate([offer[:, None, :], extra], axis=1)


def _check_against_reference(model, refs, prior, offers, drop, grid, state_check=None):
    state = model.start(_prior(prior), offers.shape[1])
    alive = np.arange(offers.shape[1])
    for t, offer in enumerate(offers):
        if drop is not None and drop[0] == t:
            _take_rows(state, drop[1])
            alive = alive[drop[1]]
        model.update(state, offer[alive], t)
        for run in alive:
            refs[run].update(list(offer[run]))
        live = [refs[run] for run in alive]
        close = {"rtol": RTOL, "atol": 100 * ATOL}  # positions: scales up to 100
        np.testing.assert_allclose(model.positions(state), [r.positions() for r in live], **close)
        np.testing.assert_allclose(model.weights(state), [r.weights() for r in live], RTOL, ATOL)
        packages = _packages(prior, offer[alive], grid)
        expected = [
            [r.utility(list(p)) for p in packs] for r, packs in zip(live, packages, strict=True)
        ]
        np.testing.assert_allclose(model.utility(state, packages), expected, RTOL, ATOL)
        np.testing.assert_allclose(
            model.utility(state, packages[:, 0]), [e[0] for e in expected], RTOL, ATOL
        )
        if state_check is not None:
            state_check(state, live)


# ----------------------------------------------------------------------------- frequency


@settings(deadline=None, max_examples=150)
@given(data=st.data())
def test_frequency_model_equals_the_reference_run_by_run(data):
    bins = data.draw(st.integers(1, 25), label="bins")
    learn_coef = data.draw(st.sampled_from([0.2, 0.05, 0.7]), label="learn_coef")
    tolerance = data.draw(st.sampled_from([0.005, 0.0, 0.2]), label="tolerance")
    start = data.draw(st.sampled_from(["prior", "uniform"]), label="start")

    def edges(low, span):  # bin edges, the scale's ends among them
        return [low + span * k / bins for k in range(bins + 1)]

    prior, offers, drop = data.draw(talks(edges), label="talks")
    params = {"learn_coef": learn_coef, "bins": bins, "tolerance": tolerance, "start": start}
    model = FrequencyModel(**params)
    refs = [ref.Frequency(prior, **params) for _ in range(offers.shape[1])]
    _check_against_reference(model, refs, prior, offers, drop, edges)


def test_frequency_model_learns_the_issue_the_opponent_holds_by_its_second_offer():
    """Worked by hand (GENIUS's rule): two issues, l = 0.2, so g = l / I = 0.1. The opponent
    offers (80, 20) at round 0 and (80, 30) at round 1: x unchanged, y moved, so u = 1,
    S = 1 + 0.1 = 1.1 and M = 1 - 2 (0.1) / 1.1 = 9/11. From uniform weights (1/2, 1/2):
    w_x = (1/2 + 0.1) / 1.1 = 6/11 > w_y = (1/2) / 1.1 = 5/11 after round 1 (the second
    offer). From a prior that has it the wrong way round, (0.4, 0.6): after round 1
    w_x = 0.5 / 1.1 = 5/11 < w_y = 6/11, after round 2 ((80, 40))
    w_x = (5/11 + 0.1) / 1.1 = 61/121 > w_y = (6/11) / 1.1 = 60/121."""
    fields = {
        "position": [50.0, 50.0],
        "position_sd": [20.0, 20.0],
        "weight": [0.4, 0.6],
        "weight_sd": [0.1, 0.1],
        "low": [0.0, 0.0],
        "high": [100.0, 100.0],
    }
    offers = [[80.0, 20.0], [80.0, 30.0], [80.0, 40.0]]
    uniform, prior = FrequencyModel(start="uniform"), FrequencyModel()
    states = [m.start(_prior(fields), 1) for m in (uniform, prior)]
    seen = {}
    for t, offer in enumerate(offers):
        for name, model, state in zip(("uniform", "prior"), (uniform, prior), states, strict=True):
            model.update(state, np.array([offer]), t)
            seen[name, t] = model.weights(state)[0]
    np.testing.assert_allclose(seen["uniform", 0], [0.5, 0.5])
    np.testing.assert_allclose(seen["uniform", 1], [6 / 11, 5 / 11])
    np.testing.assert_allclose(seen["prior", 1], [5 / 11, 6 / 11])
    np.testing.assert_allclose(seen["prior", 2], [61 / 121, 60 / 121])
    # the ideal on x: the centre of 80's bin [80, 85) of 20 bins; on y three bins tie
    np.testing.assert_allclose(prior.positions(states[1])[0], [82.5, (22.5 + 32.5 + 42.5) / 3])


def test_frequency_model_caps_a_weight_at_the_maximum():
    """An issue at the maximum M = 1 - I g / S gains nothing: with l = 0.2 and two issues
    (g = 0.1) and one of them unchanged (S = 1.1, M = 1 - 0.2 / 1.1 = 0.8182), the weights
    (0.9, 0.1) become (0.9 / 1.1, 0.1 / 1.1) (GENIUS lets the raw weights sum below 1 then);
    the believed weights are normalised."""
    fields = {
        "position": [0.5, 0.5],
        "position_sd": [0.1, 0.1],
        "weight": [0.9, 0.1],
        "weight_sd": [0.1, 0.1],
        "low": [0.0, 0.0],
        "high": [1.0, 1.0],
    }
    model = FrequencyModel()
    state = model.start(_prior(fields), 2)
    model.update(state, np.full((2, 2), [0.3, 0.1]), 0)
    model.update(state, np.full((2, 2), [0.3, 0.6]), 1)  # issue 0 unchanged, at 0.9 > M
    np.testing.assert_allclose(state["weights"], [[0.9 / 1.1, 0.1 / 1.1]] * 2)
    np.testing.assert_allclose(model.weights(state), [[0.9, 0.1]] * 2)


def test_a_repeated_offer_leaves_the_frequency_weights_as_they_were():
    """Every issue unchanged says nothing of which matters more: GENIUS's update then leaves
    its uniform start as it is ((1/I + g) / (1 + I g) = 1/I) but would pull the prior toward
    uniform; the model leaves any start as it is."""
    fields = {
        "position": [0.5, 0.5],
        "position_sd": [0.1, 0.1],
        "weight": [0.7, 0.3],
        "weight_sd": [0.1, 0.1],
        "low": [0.0, 0.0],
        "high": [1.0, 1.0],
    }
    for start, expected in (("prior", [0.7, 0.3]), ("uniform", [0.5, 0.5])):
        model = FrequencyModel(start=start)
        state = model.start(_prior(fields), 1)
        for t in range(4):
            model.update(state, np.array([[0.2, 0.8]]), t)
        np.testing.assert_allclose(model.weights(state), [expected], rtol=1e-12)


def test_before_any_offer_the_models_believe_the_prior():
    """Before any offer the frequency model values an issue as the prior does; the Bayesian
    model's expectation under its prior is that value where the prior is a known point (sd 0:
    all the mass on the grid points nearest to it, shared on a tie: 0.25 lies halfway between
    the weights 0.2 and 0.3, 0.75 between 0.7 and 0.8)."""
    fields = {
        "position": [20.0, 70.0],
        "position_sd": [5.0, 5.0],
        "weight": [0.25, 0.75],
        "weight_sd": [0.1, 0.1],
        "low": [0.0, 0.0],
        "high": [100.0, 100.0],
        "loss": "quadratic",
    }
    known = {**fields, "position_sd": [0.0, 0.0], "weight_sd": [0.0, 0.0]}
    package = np.array([[30.0, 50.0]] * 3)
    expected = 0.25 * (1 - 0.1**2) + 0.75 * (1 - 0.2**2)
    for model, given_ in ((FrequencyModel(), fields), (BayesianModel(peaks=101), known)):
        state = model.start(_prior(given_), 3)
        np.testing.assert_allclose(model.utility(state, package), expected, rtol=1e-12)
        np.testing.assert_allclose(model.weights(state), [[0.25, 0.75]] * 3, rtol=1e-12)
        np.testing.assert_allclose(model.positions(state), [[20.0, 70.0]] * 3, rtol=1e-12)


# ----------------------------------------------------------------------------- bayesian


@settings(deadline=None, max_examples=150)
@given(data=st.data())
def test_bayesian_model_equals_the_reference_run_by_run(data):
    peaks = data.draw(st.integers(2, 25), label="peaks")
    params = {
        "peaks": peaks,
        "weight_grid": data.draw(st.integers(2, 13), label="weight_grid"),
        "sigma": data.draw(st.sampled_from([0.25, 0.05, 1.0]), label="sigma"),
        "step": data.draw(st.sampled_from([0.003, 0.1, 0.4]), label="step"),  # 0.4: P floors
        "tolerance": data.draw(st.sampled_from([0.005, 0.0, 0.2]), label="tolerance"),
        "start": data.draw(st.sampled_from(["prior", "genius"]), label="start"),
    }

    def peaks_of(low, span):
        return [low + (k / (peaks - 1)) * span for k in range(peaks)]

    prior, offers, drop = data.draw(talks(peaks_of), label="talks")
    model = BayesianModel(**params)
    refs = [ref.Bayesian(prior, **params) for _ in range(offers.shape[1])]

    def posteriors(state, live):
        values = [list(r.pe) for r in live]
        weights = [list(r.pw) for r in live]
        np.testing.assert_allclose(state["values"], values, RTOL, ATOL)
        np.testing.assert_allclose(state["weights"], weights, RTOL, ATOL)
        np.testing.assert_array_equal(state["learned"], [r.learned for r in live])

    _check_against_reference(model, refs, prior, offers, drop, peaks_of, posteriors)


def test_bayesian_model_underflow_keeps_the_posterior():
    """A late, tiny assumed utility (P = step) makes every likelihood underflow; GENIUS's
    model turns NaN there (its known bug 2), this one takes them relative to the largest."""
    fields = {
        "position": [0.5, 0.5],
        "position_sd": [0.0, 0.2],
        "weight": [0.5, 0.5],
        "weight_sd": [0.0, 0.1],
        "low": [0.0, 0.0],
        "high": [1.0, 1.0],
    }
    params = {"step": 0.02, "sigma": 0.05}
    model = BayesianModel(**params)
    state = model.start(_prior(fields), 1)
    scalar = ref.Bayesian({**fields, "loss": "linear"}, **params)
    for t in range(80):  # P reaches its floor 0.02 after 49 offers
        offer = [1.0 - (t % 7) / 10, (t % 5) / 5]
        model.update(state, np.array([offer]), t)
        scalar.update(offer)
    assert np.isfinite(state["values"]).all() and np.isfinite(state["weights"]).all()
    np.testing.assert_allclose(state["values"][0], scalar.pe, RTOL, ATOL)
    np.testing.assert_allclose(state["weights"][0], scalar.pw, RTOL, ATOL)


def test_bayesian_model_keeps_a_posterior_that_nears_underflow():
    """A case hypothesis found: a sharp likelihood (sigma = 0.05, P at its floor 0.4) drives
    every issue's weights toward omega = 0, keeping 3e-278 on omega = 1/3 for the second
    issue and 2e-138 for the third. A likelihood that underflows while the sum of prior times
    likelihood does not lost both (every W_i 0, so the prior's 1/3 each); Bayes' rule relative
    to the largest term keeps them, and the normalised weights are W_i / sum_j W_j."""
    fields = {
        "position": [0.0, 1.0, 0.0],
        "position_sd": [0.0, 0.0, 0.0],
        "weight": [1 / 3, 1 / 3, 1 / 3],
        "weight_sd": [0.05, math.inf, 0.05],
        "low": [0.0, 0.0, 0.0],
        "high": [1.0, 1.0, 1.0],
        "loss": "linear",
    }
    params = {"peaks": 4, "weight_grid": 4, "sigma": 0.05, "step": 0.4, "tolerance": 0.005}
    offers = np.zeros((9, 4, 3))
    offers[7, 2], offers[8, 2] = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    model = BayesianModel(**params)
    refs = [ref.Bayesian(fields, **params) for _ in range(4)]
    _check_against_reference(model, refs, fields, offers, None, lambda lo, d: [lo, lo + d / 3])
    state = model.start(_prior(fields), 4)
    for t, offer in enumerate(offers):
        model.update(state, offer, t)
    weights = state["weights"][2]
    assert weights[:, 0].tolist() == [1.0, 1.0, 1.0]
    assert weights[0, 1] == 0 and 1e-278 < weights[1, 1] < 1e-277 and weights[2, 1] > 1e-138
    # W_i / sum W: issue 0 holds only omega = 0; issue 1 a sliver on omega = 1/3 (its
    # posterior above), so its share is tiny but kept; issue 2 the rest
    believed = model.weights(state)[2]
    assert believed[0] == 0 and 0 < believed[1] < 1e-100
    assert believed[2] == pytest.approx(1.0)
    np.testing.assert_allclose(model.weights(state)[0], [2 / 7, 3 / 7, 2 / 7])


def test_bayesian_model_rules_out_a_probability_below_tiny():
    """A probability below TINY = 1e-280 is 0, in the prior and after an update (a float
    holds down to 1e-308, then ever fewer digits); one above it is kept to full precision."""
    fields = {
        "position": [0.5],
        "position_sd": [0.0],
        "weight": [1.0],
        "weight_sd": [0.0],  # omega = 1
        "low": [0.0],
        "high": [1.0],
    }
    for exponent in (600.0, 700.0):  # the first offer, at peak 0: L = 1 there, e^-x at peak 1
        sigma = math.sqrt(1 / (2 * exponent))
        model = BayesianModel(peaks=2, weight_grid=2, sigma=sigma)
        state = model.start(_prior({**fields, "position_sd": [math.inf]}), 1)
        model.update(state, np.zeros((1, 1)), 0)
        kept = math.exp(-exponent) / (1 + math.exp(-exponent))
        expected = [1 - kept, kept] if kept >= 1e-280 else [1.0, 0.0]
        np.testing.assert_allclose(state["values"][0, 0], expected, rtol=1e-12, atol=0)
        # the prior likewise: sd with (0.5)^2 / (2 sd^2) = x on the peaks 0, 0.5, 1
        sd = 0.5 / math.sqrt(2 * exponent)
        model = BayesianModel(peaks=3)
        state = model.start(_prior({**fields, "position_sd": [sd]}), 1)
        kept = math.exp(-exponent) / (1 + 2 * math.exp(-exponent))
        expected = [kept, 1 - 2 * kept, kept] if kept >= 1e-280 else [0.0, 1.0, 0.0]
        np.testing.assert_allclose(state["values"][0, 0], expected, rtol=1e-12, atol=0)


def test_bayesian_model_with_every_weight_at_zero_believes_the_prior_s_weights():
    """Every issue's weight posterior on omega = 0 (every W_i 0, where GENIUS divides 0 by
    0): the believed weights are the prior's point estimates."""
    fields = {
        "position": [0.5, 0.5, 0.5],
        "position_sd": [0.1, 0.1, 0.1],
        "weight": [0.3, 0.3, 0.4],
        "weight_sd": [0.0, 0.0, 0.0],  # omega = 0 of 0 and 1, the nearest to each
        "low": [0.0, 0.0, 0.0],
        "high": [1.0, 1.0, 1.0],
    }
    model = BayesianModel(weight_grid=2)
    state = model.start(_prior(fields), 2)
    np.testing.assert_array_equal(state["weights"][:, :, 0], 1.0)
    np.testing.assert_allclose(model.weights(state), [[0.3, 0.3, 0.4]] * 2)
    package = np.full((2, 3), 0.5)
    np.testing.assert_allclose(
        model.utility(state, package), model.values(state, package) @ [0.3, 0.3, 0.4]
    )


def _concession(ideal, goal, weights, tau, e=1.0):
    """A time-dependent opponent (Faratin et al. 1998): target 1 - 0.6 tau^(1/e), offered on
    the straight line from its ideal toward ``goal`` (linear loss: the offer's utility is the
    target)."""
    full = np.sum(weights * np.abs(goal - ideal) / 100.0)
    lam = min((0.6 * tau ** (1 / e)) / full, 1.0)
    return ideal + lam * (goal - ideal)


def _peak_errors(model, rounds, e=1.0):
    """The believed peak's largest error, before and after each offer of an opponent with
    ideal (80, 25), weights (0.7, 0.3), conceding toward (20, 75); the prior believes
    (50, 50) +- 25."""
    ideal, goal, weights = np.array([80.0, 25.0]), np.array([20.0, 75.0]), np.array([0.7, 0.3])
    fields = {
        "position": [50.0, 50.0],
        "position_sd": [25.0, 25.0],
        "weight": [0.5, 0.5],
        "weight_sd": [0.2, 0.2],
        "low": [0.0, 0.0],
        "high": [100.0, 100.0],
    }
    state = model.start(_prior(fields), 1)
    errors = [np.abs(model.positions(state)[0] - ideal).max()]
    for t in range(rounds):
        offer = _concession(ideal, goal, weights, t / (rounds - 1), e)
        model.update(state, offer[None], t)
        errors.append(np.abs(model.positions(state)[0] - ideal).max())
    return np.array(errors)


def test_bayesian_model_finds_the_ideal_of_a_conceding_opponent():
    """Hindriks and Tykhonov's assumption met: the opponent's utility falls linearly in time
    (1 - 0.6 tau over 40 offers), by the step the model assumes (0.6 / 39 per offer). The
    believed peak approaches the true ideal: from 30 points off to within 5, nearer after
    each of the first three quarters of the talks than after the one before."""
    errors = _peak_errors(BayesianModel(step=0.6 / 39), 40)
    assert errors[0] == pytest.approx(30.0)
    assert np.all(np.diff(errors[[0, 10, 20, 30]]) < 0)
    assert errors[-1] < 5.0


def test_bayesian_model_with_genius_s_step_drifts_after_a_fast_concession():
    """With GENIUS's assumed 0.003 per offer, the peak first moves toward the ideal (below
    two thirds of the prior's error within 10 offers), then toward the later offers: this
    opponent concedes 200 times faster than assumed (GENIUS's "known bug 1": the model does
    not take the opponent's strategy into account)."""
    errors = _peak_errors(BayesianModel(), 40)
    assert errors[10] < errors[0] * 2 / 3
    assert errors[-1] > errors[10:30].min() + 5


# ----------------------------------------------------------------------------- both models


@pytest.mark.parametrize("model", [FrequencyModel(), BayesianModel()], ids=lambda m: m.name)
def test_beliefs_have_the_contract_s_shapes(model):
    fields = {
        "position": [10.0, 60.0, 0.5],
        "position_sd": [3.0, 3.0, 0.1],
        "weight": [0.2, 0.3, 0.5],
        "weight_sd": [0.1, 0.1, 0.1],
        "low": [0.0, 0.0, 0.0],
        "high": [100.0, 100.0, 1.0],
    }
    state = model.start(_prior(fields), 5)
    rng = np.random.default_rng(1)
    for t in range(4):
        model.update(state, rng.uniform(0, 1, (5, 3)) * [100, 100, 1], t)
    assert model.positions(state).shape == (5, 3)
    weights = model.weights(state)
    assert weights.shape == (5, 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert model.utility(state, rng.uniform(0, 1, (5, 3))).shape == (5,)
    assert model.utility(state, rng.uniform(0, 1, (5, 7, 3))).shape == (5, 7)
    with pytest.raises(ArgumentError, match="offer"):
        model.update(state, np.zeros((4, 3)), 4)
    with pytest.raises(ArgumentError, match=r"Prior\.weight"):
        _prior({**fields, "weight": [0.5, 0.5]})
    with pytest.raises(ArgumentError, match=r"Prior\.loss"):
        _prior({**fields, "loss": "cubic"})


# ----------------------------------------------------------------------------- registry


def test_the_registry_names_the_built_in_models():
    assert {"frequency", "bayesian"} <= set(model_names())
    assert get_model("frequency") == FrequencyModel()
    assert get_model("Bayesian", peaks=11) == BayesianModel(peaks=11)
    model = BayesianModel(start="genius")
    assert get_model(model) is model
    assert repr(model).startswith("BayesianModel(peaks=21,") and "start='genius'" in repr(model)
    for cls in (FrequencyModel, BayesianModel):
        assert cls.citation.strip()


def test_an_unknown_model_is_refused_with_the_closest_name():
    with pytest.raises(KeyError, match="did you mean 'frequency'"):
        get_model("frequncy")
    with pytest.raises(ValueError, match="known: bayesian, frequency"):
        get_model("hardheaded")
    with pytest.raises(TypeError, match="takes parameters"):
        get_model("frequency", peaks=3)
    with pytest.raises(ArgumentError, match="start"):
        FrequencyModel(start="genius")


class Fixed(OpponentModel):
    """Believes the prior, whatever is offered (a user's model)."""

    citation = "a test"

    def start(self, prior, runs):
        return {"prior": prior, "offers": np.zeros(runs, dtype=int)}

    def update(self, state, offer, t):
        state["offers"] += 1

    def positions(self, state):
        return np.tile(state["prior"].position, (len(state["offers"]), 1))

    def weights(self, state):
        return np.tile(state["prior"].weight, (len(state["offers"]), 1))


def test_a_user_model_registers_and_gets_the_default_utility(monkeypatch):
    monkeypatch.setattr(opponents, "_REGISTRY", dict(opponents._REGISTRY))
    assert Fixed.name == "fixed"
    register(Fixed)
    assert "fixed" in model_names()
    model = get_model("fixed")
    fields = {
        "position": [20.0, 80.0],
        "position_sd": [0.0, 0.0],
        "weight": [0.5, 0.5],
        "weight_sd": [0.0, 0.0],
        "low": [0.0, 0.0],
        "high": [100.0, 100.0],
    }
    state = model.start(_prior(fields), 2)
    np.testing.assert_allclose(model.utility(state, np.array([[20.0, 60.0]] * 2)), 0.9)
    with pytest.raises(TypeError, match="not a subclass"):
        register(dict)


def test_an_entry_point_adds_a_model(monkeypatch):
    class EntryPoint:
        name = "fixed_ep"

        @staticmethod
        def load():
            return type("FixedEp", (Fixed,), {"name": "fixed_ep"})

    def entry_points(group):
        assert group == "negosim.opponent_models"
        return [EntryPoint()]

    monkeypatch.setattr(opponents, "_REGISTRY", dict(opponents._REGISTRY))
    monkeypatch.setattr(opponents, "entry_points", entry_points)
    assert "fixed_ep" in model_names()
    assert get_model("fixed_ep").name == "fixed_ep"
