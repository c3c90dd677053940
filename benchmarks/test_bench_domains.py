"""Discrete domains (issue 29): GENIUS's time-dependent tactics under stacked alternating
offers on two bilateral domains of the sizes of ANAC's EnglandZimbabwe (576 outcomes: 4 x 4 x
3 x 4 x 3) and Travel (188,160 outcomes: 4 x 5 x 7 x 7 x 8 x 6 x 4), made here from a seeded
generator (the ANAC files are not shipped). 100 rounds; each run draws both parties' exponents
e: "mixed" log-uniform on [0.1, 10] (Boulware to Conceder), "boulware" uniform on [0.1, 0.3]
(both hold out: most runs go to the last rounds, the slow case). The issue asks >= 20,000
runs/s on the small domain and >= 5,000 on the large one, on one core. Also timed: enumerating
the large domain, and its Pareto frontier, Nash and Kalai-Smorodinsky outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from negosim.engine import discrete_solutions as solutions
from negosim.engine.discrete import negotiate, outcome_space
from negosim.model.domains import CategoricalIssue, Profile, TableEvaluator, make_domain

from conftest import QUICK, record_rate, sizes

SHAPES = {"576": (4, 4, 3, 4, 3), "188160": (4, 5, 7, 7, 8, 6, 4)}
ROUNDS = 100


def _domain(shape: tuple[int, ...], seed: int = 29):
    """Two profiles with GENIUS-like raw evaluations 1..10 and random weights."""
    rng = np.random.default_rng(seed)
    issues = [
        CategoricalIssue(f"issue{i}", tuple(f"v{k}" for k in range(n))) for i, n in enumerate(shape)
    ]
    profiles = [
        Profile(
            name,
            tuple(rng.uniform(0.05, 1.0, len(shape)).tolist()),
            tuple(TableEvaluator(tuple(rng.integers(1, 11, n).astype(float))) for n in shape),
        )
        for name in ("a", "b")
    ]
    return make_domain(f"bench{np.prod(shape)}", issues, profiles)


def _exponents(mix: str, runs: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    if mix == "mixed":
        return [np.exp(rng.uniform(np.log(0.1), np.log(10.0), runs)) for _ in range(2)]
    return [rng.uniform(0.1, 0.3, runs) for _ in range(2)]


@pytest.mark.benchmark(group="domains")
@pytest.mark.parametrize("mix", ["mixed", "boulware"])
@pytest.mark.parametrize("outcomes", list(SHAPES))
def test_tactics_on_a_discrete_domain(benchmark, outcomes, mix):
    runs = sizes([20_000], [200])[0]
    space = outcome_space(_domain(SHAPES[outcomes]))
    e = _exponents(mix, runs)
    negotiate(space, e, rounds=ROUNDS)  # sorts each party's utilities once (cached)
    res = benchmark.pedantic(
        negotiate, args=(space, e), kwargs={"rounds": ROUNDS}, rounds=3, iterations=1
    )
    record_rate(
        benchmark,
        runs,
        outcomes=space.size,
        agreement=float(res.agreed.mean()),
        mean_rounds=float(res.rounds.mean()),
    )


@pytest.mark.benchmark(group="domains")
def test_enumerate_and_solve_the_large_domain(benchmark):
    domain = _domain(SHAPES["576"] if QUICK else SHAPES["188160"])

    def solve():
        space = outcome_space(domain)
        return (
            solutions.pareto_frontier(space),
            solutions.nash(space),
            solutions.kalai_smorodinsky(space),
        )

    front, nash, _ = benchmark.pedantic(solve, rounds=3, iterations=1)
    benchmark.extra_info.update(outcomes=domain.size, frontier=int(front.size), nash=int(nash))
