"""What private information costs: package_2007 under complete information and under
``information="learned"`` with each opponent model, the same runs in one session (issue 28
asks at most 1.5x the time of complete with the frequency model, 5x with the Bayesian one;
``report.py`` prints the ratios)."""

from __future__ import annotations

import pytest

import negosim as ns

from conftest import record_evaluations, sizes

SETTINGS = {
    "complete": {},
    "learned_frequency": {"information": "learned", "opponent_model": "frequency"},
    "learned_bayesian": {"information": "learned", "opponent_model": "bayesian"},
}


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_information_package_2007(benchmark, package, setting):
    runs = sizes([20_000], [100])[0]
    res = benchmark.pedantic(
        ns.simulate,
        args=(package, runs),
        kwargs={"seed": 1, **SETTINGS[setting]},
        rounds=3,
        iterations=1,
    )
    record_evaluations(benchmark, package, res)
