"""Discrete issues in the TOML scenario format, and a continuous scenario written as GENIUS XML
on a grid (issue 29).

The TOML fixture tests/data/domains/toml/lunch.toml is the GENIUS fixture genius/lunch
written in the scenario format: its utilities are the hand-computed LUNCH_UTILITIES. The grid
tests compute every continuous utility by hand from docs/domains.md's rule.
"""

from __future__ import annotations

import copy
import itertools
import tomllib

import numpy as np
import pytest
from test_domain_cli import one_error_line
from test_domains import DATA, LUNCH, LUNCH_UTILITIES

from negosim.cli import main as cli
from negosim.engine.discrete import outcome_space
from negosim.io import load_domain, load_scenario, read_genius, write_genius
from negosim.model.domain_format import grid_domain, is_discrete, parse_domain
from negosim.model.errors import ArgumentError, ScenarioError
from negosim.model.scenario import Scenario

LUNCH_TOML = DATA / "toml" / "lunch.toml"
MINIMAL = DATA.parent / "minimal.toml"


def lunch_data() -> dict:
    return tomllib.loads(LUNCH_TOML.read_text())


def test_a_toml_of_discrete_issues_is_the_domain_genius_reads():
    domain = load_domain(LUNCH_TOML)
    space = outcome_space(domain)
    found = {space.labels(x): tuple(space.utility[:, x]) for x in range(space.size)}
    assert found.keys() == LUNCH_UTILITIES.keys()
    for labels, expected in LUNCH_UTILITIES.items():
        assert found[labels] == pytest.approx(expected, abs=1e-12), labels
    alice, bob = domain.profiles
    assert (alice.reservation, alice.delta, bob.reservation, bob.delta) == (0.25, 0.5, 0.0, 1.0)
    genius = read_genius(LUNCH)
    assert domain.issues == genius.issues
    assert [p.weights for p in domain.profiles] == [p.weights for p in genius.profiles]
    assert np.array_equal(space.utility, outcome_space(genius).utility)


def test_negosim_run_plays_a_toml_of_discrete_issues_as_its_folder(capsys):
    assert cli(["run", str(LUNCH_TOML), "--runs", "300", "--seed", "5"]) == 0
    from_toml = capsys.readouterr().out
    assert cli(["run", str(LUNCH), "--runs", "300", "--seed", "5"]) == 0
    from_folder = capsys.readouterr().out
    assert "Nash: food=pizza, price=2, place=inside" in from_toml
    # the same negotiations: bob's discount is none in both (1 here, 0 in the GENIUS file)
    assert from_toml.split("\n", 2)[2] == from_folder.split("\n", 2)[2]
    assert cli(["validate", str(LUNCH_TOML)]) == 0
    assert "ok (a domain: 3 discrete issues, 2 profiles, 24 outcomes)" in capsys.readouterr().out


def test_continuous_scenarios_keep_their_path():
    assert not is_discrete(tomllib.loads(MINIMAL.read_text()))
    assert load_scenario(MINIMAL).id == "minimal"
    with pytest.raises(ScenarioError, match=r"discrete .*: a domain; negosim\.io\.load_domain"):
        load_scenario(LUNCH_TOML)
    with pytest.raises(ScenarioError, match="no discrete issue"):
        load_domain(MINIMAL)


def _set(data: dict, path: str, value) -> dict:
    """A copy of ``data`` with the field at ``path`` (dots; numbers index arrays) set, or removed
    when ``value`` is ``...``."""
    out = copy.deepcopy(data)
    keys = [
        int(k) if k.isdigit() else k for k in path.replace("[", ".").replace("]", "").split(".")
    ]
    node = out
    for key in keys[:-1]:
        node = node[key]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return out


BAD = [
    ("issues.1.range", [4, 1], "issues[1].range: low must not be above high, got [4, 1]"),
    ("issues.1.range", [1.5, 4], "issues[1].range[0]: must be an integer"),
    (
        "issues.0.values",
        ["pizza", "sushi", "pizza"],
        "issues[0].values[2]: value 'pizza' is listed",
    ),
    ("issues.0.values", [], "issues[0].values: at least one value is needed"),
    ("issues.2.scale", [0, 1], "issues[2].scale: unknown field"),
    ("issues.0.label", ..., "issues[0].label: missing required field"),
    ("actors.0.weights.food", -1, "actors[0].weights.food: must be in [0, 1e+09], got -1"),
    ("actors.0.weights.place", ..., "actors[0].weights.place: missing required field"),
    ("actors.0.weights.color", 1, "actors[0].weights.color: unknown issue"),
    ("actors.0.weights", {"food": 0, "price": 0, "place": 0}, "actors[0].weights: at least one"),
    ("actors.0.values.food.pizzza", 1, "actors[0].values.food.pizzza: issue 'food' has no value"),
    ("actors.0.values.food.salad", ..., "actors[0].values.food.salad: missing"),
    ("actors.0.values.price", {"1": 1}, "actors[0].values.price: an issue of the other kind"),
    ("actors.0.values.food.sushi", "high", "actors[0].values.food.sushi: must be a number"),
    ("actors.0.linear.price.slope", "x", "actors[0].linear.price.slope: must be a number"),
    ("actors.0.linear.price", ..., "actors[0].linear.price: missing required field"),
    ("actors.0.reservation", 1.5, "actors[0].reservation: must be in [0, 1], got 1.5"),
    ("actors.0.discount_factor", 0, "actors[0].discount_factor: must be in (0, 1], got 0"),
    ("actors.0.power", 3, "actors[0].power: unknown field"),
    ("actors.1.id", "alice", "actors[1].id: duplicate id 'alice'"),
    ("scenario.protocol", "mediated", "scenario.protocol: must be one of alternating"),
    ("moves", [], "moves: not for a scenario of discrete issues"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD, ids=[b[0] for b in BAD])
def test_every_field_is_checked_by_its_path(path, value, message):
    with pytest.raises(ScenarioError) as caught:
        parse_domain(_set(lunch_data(), path, value), "lunch.toml")
    assert str(caught.value).startswith(f"lunch.toml: {message}"), str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_continuous_issue_among_discrete_ones_is_refused(tmp_path, capsys):
    data = lunch_data()
    data["issues"].append({"id": "time", "label": "When", "status_quo": 12, "scale": [0, 24]})
    with pytest.raises(ScenarioError, match=r"issues\[3\]: a scenario with discrete issues"):
        parse_domain(data, "x.toml")
    with pytest.raises(ScenarioError, match="actors: a negotiation needs at least two actors"):
        parse_domain(_set(lunch_data(), "actors", lunch_data()["actors"][:1]), "x.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(LUNCH_TOML.read_text().replace("slope = -0.25", 'slope = "steep"'))
    assert cli(["run", str(bad)]) == 2
    line = one_error_line(capsys)
    assert f"{bad}: actors[0].linear.price.slope: must be a number" in line


# ----------------------------------------------------------------------------- on a grid


def _continuous(sc: Scenario, actor: str, package: dict[str, float]) -> float:
    """u = sum_i s_i / sum_j s_j * (1 - |x_i - p_i| / (h_i - l_i)), the linear loss."""
    spec = next(a for a in sc.actor_specs if a.id == actor)
    total = sum(spec.salience.values())
    return sum(
        spec.salience[i.id]
        / total
        * (1 - abs(package[i.id] - spec.position[i.id]) / (i.high - i.low))
        for i in sc.issue_specs
    )


def test_a_continuous_scenario_on_a_grid_holding_the_ideal_points_keeps_every_utility(tmp_path):
    sc = load_scenario(MINIMAL)  # US ideal (60, 80), Russia (25, 10); Poland ratifies only
    grid = {"kosovo": [0, 25, 60, 100], "shield": 11}  # shield: 0, 10, ..., 100
    folder = write_genius(sc, tmp_path / "minimal", grid=grid)
    domain = read_genius(folder)
    written = grid_domain(sc, grid)
    assert written.party_names == ("US", "Russia")  # the negotiators, in the file's order
    # the round trip is exact; profiles come back in the natural order of their file names
    assert domain.issues == written.issues and domain.party_names == ("Russia", "US")
    assert domain.profiles == tuple(sorted(written.profiles, key=lambda p: p.name))
    assert domain.issues[1].labels == tuple(repr(float(x)) for x in range(0, 101, 10))
    space = outcome_space(domain)
    for x in range(space.size):
        kosovo, shield = (float(v) for v in space.labels(x))
        for p, actor in enumerate(domain.party_names):
            expected = _continuous(sc, actor, {"kosovo": kosovo, "shield": shield})
            assert space.utility[p, x] == pytest.approx(expected, abs=1e-12)
    russia, us = domain.profiles
    # US: no declared reservation -> its utility of the status quo (15, 70):
    # (70 (1 - 45/100) + 85 (1 - 10/100)) / 155 = 115 / 155
    assert us.reservation == pytest.approx(115 / 155, abs=1e-15)
    assert russia.reservation == 0.4 and us.delta == russia.delta == 1.0


def test_off_the_grid_genius_divides_each_issue_by_its_best_grid_value(tmp_path):
    data = tomllib.loads(MINIMAL.read_text())
    data["actors"][0]["discount"] = 0.99
    sc = Scenario.from_dict(data, source="minimal")
    folder = write_genius(sc, tmp_path / "g", grid=5)  # 0, 25, 50, 75, 100: US's 60, 80 are off
    domain = read_genius(folder)
    space = outcome_space(domain)
    grid = [0.0, 25.0, 50.0, 75.0, 100.0]
    us = next(a for a in sc.actor_specs if a.id == "US")
    best = {i: max(1 - abs(g - us.position[i]) / 100 for g in grid) for i in ("kosovo", "shield")}
    assert best == {"kosovo": 0.9, "shield": 0.95}
    for x, (kosovo, shield) in enumerate(itertools.product(grid, grid)):
        assert space.labels(x) == (repr(kosovo), repr(shield))
        v_k = (1 - abs(kosovo - 60) / 100) / best["kosovo"]
        v_s = (1 - abs(shield - 80) / 100) / best["shield"]
        assert space.utility[1, x] == pytest.approx((70 * v_k + 85 * v_s) / 155, abs=1e-12)
    # a per-round discount delta over the T = 20 rounds: delta ** T per unit of relative time
    assert domain.party_names == ("Russia", "US")  # read back in natural order
    assert domain.profiles[1].discount == pytest.approx(0.99**20, rel=1e-15)
    assert domain.profiles[0].discount == 1.0


@pytest.mark.parametrize(
    ("grid", "words"),
    [
        (None, "a continuous scenario is written on a grid"),
        (1, "at least 2 points"),
        ({"kosovo": 3}, "no grid for issue 'shield'"),
        ({"kosovo": [0, 50, 120], "shield": 3}, "increasing values inside its scale"),
        ({"kosovo": [50, 10], "shield": 3}, "increasing values"),
    ],
)
def test_bad_grids_are_refused(tmp_path, grid, words):
    with pytest.raises(ArgumentError, match=words):
        write_genius(load_scenario(MINIMAL), tmp_path / "g", grid=grid)
    assert not (tmp_path / "g").exists()
    with pytest.raises(ArgumentError, match="only for a continuous scenario"):
        write_genius(read_genius(LUNCH), tmp_path / "h", grid=3)


def test_the_example_of_the_format_doc():
    text = (DATA.parents[2] / "docs" / "scenario-format.md").read_text()
    block = text.split("## Discrete issues", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    space = outcome_space(parse_domain(tomllib.loads(block), "doc"))
    assert space.domain.party_names == ("alice", "bob")
    # alice: w = 2/3, 1/3; food 4, 8, 2 -> .5, 1, .25; price 1 - .25 (x - 1)
    # bob: w = 1/2, 1/2; food 1, 0, .5; price clip(.25 + .5 (x - 1), 0, 1) -> .25, .75, 1, 1
    expected = {
        ("sushi", "1"): (2 / 3 + 1 / 3, 0.5 * 0.25),
        ("pizza", "4"): (2 / 3 * 0.5 + 1 / 3 * 0.25, 0.5 + 0.5),
        ("salad", "2"): (2 / 3 * 0.25 + 1 / 3 * 0.75, 0.25 + 0.5 * 0.75),
    }
    for labels, utilities in expected.items():
        x = next(k for k in range(space.size) if space.labels(k) == labels)
        assert tuple(space.utility[:, x]) == pytest.approx(utilities, abs=1e-12)
    alice = space.domain.profiles[0]
    assert (alice.reservation, alice.delta) == (0.25, 0.5)


def test_quadratic_loss_and_all_zero_values(tmp_path):
    data = tomllib.loads(MINIMAL.read_text())
    data["scenario"]["loss"] = "quadratic"
    sc = Scenario.from_dict(data, source="minimal")
    domain = grid_domain(sc, {"kosovo": [10, 25, 60], "shield": [10, 80, 100]})  # ideals on it
    space = outcome_space(domain)
    for x in range(space.size):
        kosovo, shield = (float(v) for v in space.labels(x))
        us = (70 * (1 - ((kosovo - 60) / 100) ** 2) + 85 * (1 - ((shield - 80) / 100) ** 2)) / 155
        assert space.utility[0, x] == pytest.approx(us, abs=1e-12)
    # a table whose largest evaluation is below 1e-5 is worth 0 everywhere (GENIUS's rule)
    zero = _set(lunch_data(), "actors.1.values.food", {"pizza": 0, "sushi": 0, "salad": 1e-6})
    bob = outcome_space(parse_domain(zero, "x.toml")).utility[1]
    # bob without food: .4 price + .2 place, price .25, .75, 1, 1 -> at most .4 + .2 = .6
    assert bob.max() == pytest.approx(0.6) and bob.min() == pytest.approx(0.3)
