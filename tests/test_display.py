"""How results show in notebooks and terminals, the docstring examples, the seed convention,
the strategy-writing page (docs/strategies.md) and what ``import negosim`` loads."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import negosim as ns
from negosim.model.strategies import (
    Linear,
    Strategy,
    View,
    checked_propose,
    checked_respond,
    checked_target,
)

# tournaments on a few small worlds, on purpose: their FewWorldsWarning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::negosim.analysis.tournaments.FewWorldsWarning")

ROOT = Path(__file__).resolve().parents[1]
REPR_LIMIT = 1500


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def package():
    return ns.load_scenario("package_2007")


@pytest.fixture(scope="module")
def result(package):
    return ns.simulate(package, 60, seed=3)


@pytest.fixture(scope="module")
def shown(package, result):
    """The five display types, on the 38-actor package with its unilateral moves."""
    return {
        "Scenario": package,
        "SimulationResult": result,
        "Summary": result.summary(),
        "TournamentResult": ns.tournament(["boulware", "conceder"], package, runs=4, seed=1),
        # at the file's numbers no package beats no deal by the margin (nash gives None):
        # a sampled run with a deal
        "Solution": ns.solutions.nash(ns.sample(package, 1, seed=4), run=0),
    }


class _Tables(HTMLParser):
    """The text of every table cell, per table and row (the stdlib is enough for our HTML)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def rows_by_name(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table if row}


# ----------------------------------------------------------------------------- reprs
@pytest.mark.parametrize(
    "kind", ["Scenario", "SimulationResult", "Summary", "TournamentResult", "Solution"]
)
def test_repr_is_short_and_html_is_a_table(shown, kind):
    shown_object = shown[kind]
    assert type(shown_object).__name__ == kind
    assert len(repr(shown_object)) < REPR_LIMIT
    html = shown_object._repr_html_()
    assert "<table" in html and tables_of(html)


def test_scenario_display_shows_scales_and_ideal_points(package):
    text = repr(package)
    assert "38 actors" in text and "2 negotiators" in text
    assert all(m.id in text for m in package.all_moves)
    (table,) = tables_of(package._repr_html_())
    assert table[0] == ["issue", "low", "high", "status quo", "US", "Russia"]
    us, ru = package.actor_index("US"), package.actor_index("Russia")
    for i, issue in enumerate(package.issues):
        cells = [float(x) for x in rows_by_name(table)[issue]]
        expected = [package.low[i], package.high[i], package.status_quo[i]]
        expected += [package.positions[us, i], package.positions[ru, i]]
        assert cells == pytest.approx(expected, rel=1e-3)


def test_result_display_numbers_come_from_the_arrays(result, package):
    rate = f"{result.agreed.mean():.1%}"
    assert f"agreement: {rate}" in repr(result)
    html = result._repr_html_()
    assert rate in html
    outcomes = rows_by_name(tables_of(html)[0])
    header = tables_of(html)[0][0]
    q50 = header.index("q50") - 1  # the first cell of a row is its name
    for i, issue in enumerate(package.issues):
        assert float(outcomes[issue][q50]) == pytest.approx(
            np.median(result.outcome[:, i]), abs=0.05
        )
    utilities = rows_by_name(tables_of(html)[1])
    us = package.actor_index("US")
    assert float(utilities["US"][0]) == pytest.approx(result.utility[:, us].mean(), abs=5e-4)
    assert set(utilities) >= {"US", "Russia"} and "Germany" not in utilities


def test_summary_repr_keeps_print_for_the_full_tables(result):
    summary = result.summary()
    assert repr(summary).startswith("Summary\nruns: 60")
    assert "q25" in str(summary) and "q25" not in repr(summary)  # print shows every column


def test_reprs_stay_short_on_a_large_table():
    sc = ns.generate(30, 40, seed=2)
    res = ns.simulate(sc, 5, seed=0, rounds=5)
    for shown_object in (sc, res, res.summary()):
        assert len(repr(shown_object)) < REPR_LIMIT
        assert "more" in repr(shown_object)  # what was left out is said
    assert len(tables_of(res._repr_html_())[0]) <= 1 + 1 + 20 + 1  # header rows, 20, "more"


def test_zero_runs_display(package):
    res = ns.simulate(package, 0, seed=0)
    assert "0 runs" in repr(res) and "no runs" in res._repr_html_()


# ----------------------------------------------------------------------------- to_frame
def test_wide_frame_keeps_its_columns(result, package):
    frame = result.to_frame()
    expected = ["run", "agreed", "rounds", "exited"]
    expected += [f"outcome.{i}" for i in package.issues]
    expected += [f"utility.{a}" for a in package.actors]
    expected += [f"no_deal.{i}" for i in package.issues]
    expected += [f"no_deal_utility.{a}" for a in package.actors]
    expected += [f"move.{m.id}" for m in package.all_moves]
    assert list(frame.columns) == expected
    assert (frame["exited"].isna().to_numpy() == (result.exited < 0)).all()


def test_long_frame_is_one_row_per_run_and_issue(result, package):
    long = result.to_frame(long=True)
    assert list(long.columns) == ["run", "issue", "value", "agreed"]
    assert len(long) == result.runs * len(package.issues)
    back = long.pivot(index="run", columns="issue", values="value")[list(package.issues)]
    np.testing.assert_array_equal(back.to_numpy(), result.outcome)
    per_run = long.groupby("run")["agreed"].agg(["min", "max"])
    assert (per_run["min"] == per_run["max"]).all()
    np.testing.assert_array_equal(per_run["min"].to_numpy(), result.agreed)


def test_long_frame_of_no_runs_is_empty(package):
    long = ns.simulate(package, 0, seed=0).to_frame(long=True)
    assert long.empty and list(long.columns) == ["run", "issue", "value", "agreed"]


# ----------------------------------------------------------------------------- seeds
SEEDED = [
    ns.simulate,
    ns.iter_chunks,
    ns.sample,
    ns.sweep,
    ns.sensitivity,
    ns.timeline,
    ns.tournament,
    ns.generate,
    ns.gain_from_linkage,
]


@pytest.mark.parametrize("function", SEEDED, ids=lambda f: f.__name__)
def test_every_seed_defaults_to_zero(function):
    assert inspect.signature(function).parameters["seed"].default == 0


def test_the_mesa_model_and_the_cli_default_to_seed_zero():
    from negosim.abm import DiplomacyModel
    from negosim.cli import _parser

    assert inspect.signature(DiplomacyModel).parameters["seed"].default == 0
    for command in (["run", "package_2007"], ["timeline", "package_2007"], ["tournament"]):
        assert _parser().parse_args(command).seed == 0


def test_an_unseeded_simulation_is_the_seed_zero_one():
    sc = ns.load_scenario("package_2007")
    np.testing.assert_array_equal(ns.simulate(sc, 12).outcome, ns.simulate(sc, 12, seed=0).outcome)


# ----------------------------------------------------------------------------- doctests
def _modules() -> list[str]:
    names = ["negosim"]
    for info in pkgutil.walk_packages(ns.__path__, "negosim."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module, name) if t.examples]


WITH_EXAMPLES = [name for name in _modules() if _examples(name)]


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name):
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    runner = doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    for test in _examples(name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


PUBLIC_WITH_EXAMPLES = [
    ns.load_scenario,
    ns.list_scenarios,
    *SEEDED,
    ns.load_results,
    ns.SimulationResult.to_frame,
    ns.SimulationResult.summary,
    ns.solutions.nash,
    ns.solutions.utilitarian,
    ns.strategies.make_strategy,
    ns.strategies.Strategy,
]


@pytest.mark.parametrize("function", PUBLIC_WITH_EXAMPLES, ids=lambda f: f.__qualname__)
def test_public_api_has_examples(function):
    assert "Examples\n" in inspect.getdoc(function)
    assert ">>>" in inspect.getdoc(function)


def test_doctests_cover_the_modules_of_the_public_api():
    assert {
        "negosim.engine.runner",
        "negosim.analysis.whatif",
        "negosim.engine.results",
        "negosim.model.scenario",
    } <= set(WITH_EXAMPLES)


# ----------------------------------------------------------------------------- import
def test_import_negosim_loads_no_heavy_module():
    heavy = ("pandas", "scipy", "tqdm", "matplotlib", "mesa")
    code = (
        "import sys, negosim\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))\n"
        "negosim.simulate(negosim.load_scenario('package_2007'), 2)\n"
        "print('scipy.optimize' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split("\n")
    assert out[0] == ""  # nothing heavy at import
    assert out[1] == "False"  # a simulation needs no optimiser


def test_every_public_name_resolves():
    for name in ns.__all__:
        assert getattr(ns, name) is not None
        assert name in dir(ns)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = ns.nonsense


# ----------------------------------------------------------------------------- strategies
def _doc_code(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_the_strategy_page_example_plays_a_tournament():
    blocks = _doc_code(ROOT / "docs" / "strategies.md")
    assert len(blocks) == 2
    code_lines = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(code_lines) <= 12  # the "ten-line" strategy stays short
    space: dict = {}
    exec(blocks[0], space)  # the strategy
    floored = space["Floored"]
    assert floored.name == "floored"  # named after its class: the page says so
    exec(blocks[1], space)  # its tournament
    board = space["result"].leaderboard
    assert "floored:floor=0.7" in list(board["strategy"])
    # its promise: never accept or offer less than its floor (the oracle is the page's text)
    sc = ns.generate(2, 3, seed=1)
    res = ns.simulate(sc, 6, seed=0, strategies={"a0": floored(0.7), "a1": "conceder"})
    assert res.agreed.any()
    assert np.all(res.utility[res.agreed, 0] >= 0.7 - 1e-9)


def test_an_unnamed_subclass_is_named_after_its_class():
    class MyCautiousStrategy(Linear):
        pass

    class Named(Linear):
        name = "chosen"

    assert MyCautiousStrategy.name == "my_cautious_strategy"
    assert Named.name == "chosen" and Linear.name == "linear"
    result = ns.tournament([MyCautiousStrategy(), "conceder"], runs=2, seed=0)
    assert any(s.startswith("my_cautious_strategy") for s in result.leaderboard["strategy"])


class _Scalar(Strategy):
    def target(self, view):
        return 0.5  # one number for every run: must be refused, not broadcast


class _FlatOffer(Linear):
    name = "flat_offer"

    def propose(self, view):
        return super().propose(view)[0]  # (I,) instead of (R, I)


def _view(runs: int = 3, issues: int = 2) -> View:
    rng = np.random.default_rng(0)
    positions = rng.uniform(0, 100, (runs, 2, issues))
    weights = np.full((runs, 2, issues), 1 / issues)
    return View(
        me=0,
        t=1,
        rounds=10,
        positions=positions,
        weights=weights,
        span=np.full(issues, 100.0),
        reservation=np.zeros((runs, 2)),
        discount=np.ones((runs, 2)),
        counterpart=positions[:, 1, :],
        counterpart_weights=weights[:, 1, :],
        negotiators=(0, 1),
    )


def test_a_scalar_target_is_refused_with_the_strategy_and_shape():
    with pytest.raises(ValueError, match=r"'_scalar' \(_Scalar\): target\(\) returned shape \(\)"):
        checked_target(_Scalar(), _view())
    with pytest.raises(ValueError, match=r"expected \(R,\) = \(3,\)"):
        _Scalar().respond(_view(), np.ones(3))  # the default respond checks too
    with pytest.raises(ValueError, match="_scalar"):
        ns.simulate(ns.generate(2, 2, seed=0), 2, strategies={"a0": _Scalar()})


def test_a_flat_offer_is_refused_and_a_good_one_passes():
    view = _view()
    expected = r"'flat_offer'.*shape \(2,\), expected \(R, I\) = \(3, 2\)"
    with pytest.raises(ValueError, match=expected):
        checked_propose(_FlatOffer(), view)
    offer = checked_propose(Linear(), view)
    assert offer.shape == (3, 2)
    np.testing.assert_array_equal(checked_target(Linear(), view), Linear().target(view))


class _Agreeable(Linear):
    name = "agreeable"

    def respond(self, view, offer_utility):
        return True  # one answer for every run: refused


def test_a_single_answer_is_refused():
    view = _view()
    with pytest.raises(ValueError, match=r"'agreeable'.*respond\(\) returned shape \(\)"):
        checked_respond(_Agreeable(), view, np.ones(3))
    votes = checked_respond(Linear(), view, np.array([0.0, 1.0, 1.0]))
    assert votes.dtype == bool and votes.tolist() == [False, True, True]  # target < 1 at t=1


def test_the_view_fields_are_all_documented():
    page = (ROOT / "docs" / "strategies.md").read_text(encoding="utf-8")
    fields = list(inspect.signature(View).parameters)
    missing = [f for f in fields if f"| `{f}` |" not in page]
    assert not missing, f"docs/strategies.md lacks View fields {missing}"


def test_long_frame_values_are_the_wide_outcomes(result, package):
    wide = result.to_frame()
    long = result.to_frame(long=True)
    melted = wide.melt(
        id_vars=["run"], value_vars=[f"outcome.{i}" for i in package.issues], value_name="v"
    )
    merged = long.assign(variable="outcome." + long["issue"].astype(str)).merge(
        melted, on=["run", "variable"]
    )
    assert len(merged) == len(long)
    np.testing.assert_array_equal(merged["value"].to_numpy(), merged["v"].to_numpy())
