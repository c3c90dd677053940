"""negosim against NegMAS on the same bilateral 3-issue negotiation (linear-additive
utilities, Boulware vs Conceder time-based negotiators, 100 steps): NegMAS one negotiation
at a time, negosim batched. NegMAS is an optional peer (``pip install 'negosim[bench]'``)."""

from __future__ import annotations

import numpy as np
import pytest

import negosim as ns

from conftest import record_rate, sizes

POSITIONS = [[90.0, 20.0, 70.0], [10.0, 80.0, 30.0]]
SALIENCE = [[60.0, 30.0, 10.0], [20.0, 50.0, 30.0]]
RESERVATION = (0.2, 0.2)
VALUES = list(range(0, 101, 10))  # NegMAS works on discrete issues: 11 values each


def _scenario() -> ns.Scenario:
    issues = [{"id": f"i{k}", "label": f"issue {k}", "status_quo": 50.0} for k in range(3)]
    actors = [
        {
            "id": name,
            "power": 1.0,
            "reservation": RESERVATION[a],
            "position": {f"i{k}": POSITIONS[a][k] for k in range(3)},
            "salience": {f"i{k}": SALIENCE[a][k] for k in range(3)},
        }
        for a, name in enumerate(("A", "B"))
    ]
    return ns.Scenario.from_dict(
        {"scenario": {"id": "bilateral3", "title": "benchmark"}, "issues": issues, "actors": actors}
    )


@pytest.mark.benchmark(group="negmas")
def test_negosim_batched(benchmark):
    runs = sizes([10_000], [100])[0]
    sc = _scenario()
    strategies = {"A": ns.strategies.Boulware(), "B": ns.strategies.Conceder()}
    res = benchmark.pedantic(
        ns.simulate,
        args=(sc, runs),
        rounds=3,
        iterations=1,
        kwargs={"seed": 0, "strategies": strategies, "rounds": 100},
    )
    record_rate(benchmark, runs, agreement=float(res.agreed.mean()))


@pytest.mark.benchmark(group="negmas")
def test_negmas_one_by_one(benchmark):
    negmas = pytest.importorskip("negmas")
    from negmas.preferences import LinearAdditiveUtilityFunction
    from negmas.preferences.value_fun import TableFun
    from negmas.sao.negotiators.timebased import BoulwareTBNegotiator, ConcederTBNegotiator

    runs = sizes([20], [2])[0]

    def one():
        issues = [negmas.make_issue(name=f"i{k}", values=VALUES) for k in range(3)]
        session = negmas.SAOMechanism(issues=issues, n_steps=100)
        for a, negotiator in enumerate((BoulwareTBNegotiator(), ConcederTBNegotiator())):
            weights = np.array(SALIENCE[a]) / sum(SALIENCE[a])
            tables = [
                TableFun({v: 1 - abs(v - POSITIONS[a][k]) / 100 for v in VALUES}) for k in range(3)
            ]
            ufun = LinearAdditiveUtilityFunction(
                values=tables,
                weights=list(weights),
                outcome_space=session.outcome_space,
                reserved_value=RESERVATION[a],
            )
            session.add(negotiator, ufun=ufun)
        return session.run()

    states = benchmark.pedantic(lambda: [one() for _ in range(runs)], rounds=1, iterations=1)
    record_rate(
        benchmark, runs, agreement=float(np.mean([s.agreement is not None for s in states]))
    )
