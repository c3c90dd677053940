"""Scenario format, loader and validation (issue: foundation)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.cli import main as cli

DATA = Path(__file__).parent / "data"
BUNDLED = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))

# file -> (field path named in the message, words of the problem)
BAD = {
    "move_unknown_issue": ("moves[0].issue", "unknown issue 'shiled' (did you mean 'shield'?)"),
    "move_unknown_actor": ("moves[0].actor", "unknown actor 'USA' (did you mean 'US'?)"),
    "move_to_outside_scale": ("moves[0].to", "must be in [0, 100], got 120"),
    "move_window_outside": ("moves[0].latest", "must be in [0, 1], got 1.5"),
    "move_window_reversed": ("moves[0].earliest", "must not be after latest (0.8 > 0.2)"),
    "move_needs_unknown": (
        "moves[0].needs[0]",
        "unknown actor or coalition 'hostss' (did you mean 'hosts'?)",
    ),
    "malformed_toml": ("", "invalid TOML"),
    "unknown_field": ("actors[0].salinece", "unknown field (did you mean 'salience'?)"),
    "missing_field": ("issues[1].status_quo", "missing required field"),
    "duplicate_id": ("actors[1].id", "duplicate id 'US'"),
    "position_outside_scale": ("actors[1].position.shield", "must be in [0, 100], got 110"),
    "negative_salience": ("actors[1].salience.shield", "must be in [0, 100], got -5"),
    "no_salient_issue": ("actors[2].salience", "no salient issue"),
    "unknown_actor": ("coalitions[0].members[0]", "unknown actor 'Polnd' (did you mean 'Poland'?)"),
    "unknown_issue": (
        "actors[2].position.kosova",
        "unknown issue 'kosova' (did you mean 'kosovo'?)",
    ),
    "reservation_outside": ("actors[1].reservation", "must be in [0, 1], got 1.4"),
    "distribution_low_above_high": ("uncertainty[0].low", "low must be below high"),
    "unknown_distribution": ("uncertainty[0].dist", "got 'gaussian'"),
    "unknown_target": ("uncertainty[0].target", "unknown issue 'kosov' (did you mean 'kosovo'?)"),
    "unknown_strategy": (
        "actors[0].strategy",
        "unknown strategy 'boulwar' (did you mean 'boulware'?)",
    ),
    "wrong_type": ("actors[1].power", "must be a number, got a string"),
    "update_unknown_target": (
        "updates[0].set.Rusia.power",
        "unknown actor 'Rusia' (did you mean 'Russia'?)",
    ),
}


def test_every_bad_file_has_a_case():
    assert {p.stem for p in (DATA / "bad").glob("*.toml")} == set(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_names_file_field_and_problem(name):
    path = DATA / "bad" / f"{name}.toml"
    field, problem = BAD[name]
    with pytest.raises(ns.ScenarioError) as err:
        ns.load_scenario(path)
    assert err.value.path == field
    assert str(err.value).startswith(f"{path}: {field}" if field else f"{path}: invalid TOML")
    assert problem in str(err.value)
    if name == "malformed_toml":
        assert "line 4, column 14" in str(err.value)


@pytest.mark.parametrize("name", sorted(BAD))
def test_cli_validate_bad_file_exits_2_with_one_line(name, capsys):
    path = DATA / "bad" / f"{name}.toml"
    assert cli(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith(f"negosim: error: {path}: {BAD[name][0]}")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_files_validate(path, capsys):
    assert cli(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


def test_bundled_scenarios_load_by_name():
    names = ns.list_scenarios()
    assert {"package_2007", "missile_defense_2007", "cfe_2007", "kosovo_status_2007"} <= set(names)
    for name in names:
        assert ns.load_scenario(name).id == name


def test_unknown_bundled_name_suggests():
    with pytest.raises(ns.ScenarioError, match="did you mean 'package_2007'"):
        ns.load_scenario("package_2070")


def test_package_2007_matches_the_facts_table(package):
    """Spot checks against the facts file, section 3.1 (positions, saliences, capability)."""
    sc = package
    assert sc.issues == ("kosovo_status", "missile_defense", "cfe")
    us, ru = sc.actor("US"), sc.actor("Russia")
    assert (us.position["missile_defense"], us.salience["missile_defense"], us.power) == (
        80,
        85,
        100,
    )
    assert (ru.position["cfe"], ru.salience["cfe"]) == (5, 70)
    assert sc.actor("Poland").power_by_issue == {"missile_defense": 50}
    assert sc.issue("missile_defense").status_quo == 70
    assert sc.issue("cfe").status_quo == 75
    nato = next(c for c in sc.coalitions if c.id == "nato")
    assert len(nato.members) == 26 and nato.rule == "unanimity"
    assert set(nato.ratifies) == {"missile_defense", "cfe"}
    moves = {m.id: m for m in sc.all_moves}
    assert set(moves) == {"us_deploys", "kosovo_udi", "russia_suspends_cfe"}
    assert moves["russia_suspends_cfe"].actors == ("Russia",)
    assert (
        moves["russia_suspends_cfe"].issue == "cfe" and not moves["russia_suspends_cfe"].ends_talks
    )
    assert moves["us_deploys"].needs == ("host_nations",)
    labels = " ".join(a.label for a in sc.issue("missile_defense").anchors)
    for element in ("on the basis of threat", "Gabala", "liaison officers"):
        assert element in labels
    for actor in sc.actor_specs:  # every number carries a confidence code
        for fld in ("position", "salience"):
            assert set(actor.confidence[fld]) == set(actor.salience), (actor.id, fld)
    for issue in sc.issue_specs:
        assert issue.quote


def test_single_issue_files_are_the_package_restricted(package):
    for issue in package.issues:
        single = ns.load_scenario(f"{issue}_2007")
        restricted = package.restrict([issue])
        assert single.issues == (issue,)
        assert single.actors == restricted.actors
        np.testing.assert_array_equal(single.positions, restricted.positions)
        np.testing.assert_array_equal(single.salience, restricted.salience)


def test_arrays_and_participation(data_dir):
    sc = ns.load_scenario(data_dir / "minimal.toml")
    assert sc.actors == ("US", "Russia", "Poland")
    np.testing.assert_array_equal(sc.participation, [[1, 1], [1, 1], [0, 1]])
    np.testing.assert_array_equal(sc.salience[2], [0, 85])
    np.testing.assert_array_equal(sc.positions[2], [15, 90])  # status quo where not party
    assert np.isnan(sc.reservation[0]) and sc.reservation[1] == 0.4
    assert not sc.positions.flags.writeable


def test_import_does_not_load_mesa():
    code = "import negosim, sys; assert 'mesa' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_show_and_scenarios(capsys):
    assert cli(["scenarios"]) == 0
    assert "package_2007" in capsys.readouterr().out
    assert cli(["show", "package_2007"]) == 0
    out = capsys.readouterr().out
    assert "Russia" in out and "10/90" in out  # missile defence position/salience


# ----------------------------------------------------------------------------- properties

ids = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6).filter(lambda s: s != "moves")


@st.composite
def scenario_dicts(draw):
    n_issues = draw(st.integers(1, 4))
    issue_ids = draw(st.lists(ids, min_size=n_issues, max_size=n_issues, unique=True))
    issues = []
    for i in issue_ids:
        low = draw(st.floats(-100, 100))
        high = low + draw(st.floats(1, 200))
        sq = draw(st.floats(low, high))
        issues.append({"id": i, "label": i.upper(), "scale": [low, high], "status_quo": sq})
    n_actors = draw(st.integers(1, 5))
    actor_ids = draw(st.lists(ids, min_size=n_actors, max_size=n_actors, unique=True))
    actors = []
    for a in actor_ids:
        party = draw(st.lists(st.sampled_from(issue_ids), min_size=1, unique=True))
        sal = {i: draw(st.floats(0, 100)) for i in party}
        sal[party[0]] = draw(st.floats(1, 100))
        pos = {}
        for i in party:
            spec = next(x for x in issues if x["id"] == i)
            pos[i] = draw(st.floats(*spec["scale"]))
        actor = {
            "id": a,
            "power": draw(st.floats(0.1, 100)),
            "position": pos,
            "salience": sal,
            "role": draw(st.sampled_from(["negotiator", "ratifier", "mediator"])),
        }
        if draw(st.booleans()):
            actor["reservation"] = draw(st.floats(0, 1))
        actors.append(actor)
    actors[0]["role"] = "negotiator"  # the default protocol is played by negotiators
    return {"scenario": {"id": "gen", "title": "generated"}, "issues": issues, "actors": actors}


@settings(max_examples=60, deadline=None)
@given(scenario_dicts())
def test_valid_dicts_round_trip(data):
    sc = ns.Scenario.from_dict(data)
    for k, actor in enumerate(data["actors"]):
        for j, issue in enumerate(data["issues"]):
            party = issue["id"] in actor["salience"]
            assert sc.participation[k, j] == party
            if party:
                assert sc.positions[k, j] == actor["position"][issue["id"]]
                assert sc.salience[k, j] == actor["salience"][issue["id"]]
        assert sc.power[k] == actor["power"]
    again = ns.Scenario.from_dict(sc.to_dict())
    assert again == sc
    np.testing.assert_array_equal(again.positions, sc.positions)


def _mutations():
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    )
    return st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(["set", "drop", "rename"]), leaf),
        min_size=1,
        max_size=4,
    )


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _paths(v, (*prefix, k))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_random_mutations_raise_only_scenario_error(mutations):
    doc = tomllib.loads((DATA / "minimal.toml").read_text())
    for pick, kind, value in mutations:
        paths = [p for p in _paths(doc) if p]
        path = paths[pick % len(paths)]
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        if kind == "set":
            parent[last] = copy.deepcopy(value)
        elif kind == "drop":
            del parent[last]
        elif isinstance(parent, dict):
            parent[str(value)[:6] or "x"] = parent.pop(last)
    try:
        sc = ns.Scenario.from_dict(doc, source="mutant")
    except ns.ScenarioError as exc:
        assert str(exc).startswith("mutant")
    else:
        assert sc.positions.shape == (len(sc.actors), len(sc.issues))


def test_dated_updates_apply_up_to_a_date(package):
    assert [str(u.date) for u in package.updates] == ["2007-11-21", "2007-12-03", "2007-12-12"]
    before = ns.load_scenario("package_2007", as_of="2007-11-20")
    middle = ns.load_scenario("package_2007", as_of="2007-11-30")
    after = ns.load_scenario("package_2007", as_of="2007-12-31")
    assert before.actor("US").strategy.params == {"e": 1.0}
    assert middle.actor("US").strategy.params == {"e": 0.5}
    assert middle.actor("US").salience["missile_defense"] == 85
    assert after.actor("US").salience["missile_defense"] == 75
    assert len(after.updates) == 0 and str(after.date) == "2007-12-31" and after.start == 1
    # the talks go on from the share of the window elapsed (19 Oct -> 31 Dec: 73 days)
    assert before.start == pytest.approx(32 / 73) and middle.start == pytest.approx(42 / 73)
    assert middle.made == () and after.made == ("russia_suspends_cfe",)
    # as_of of an as_of keeps the same clock: 30 Nov seen from 20 Nov is still 42/73
    assert before.as_of("2007-11-30").start == pytest.approx(42 / 73)


def test_fix_removes_the_uncertainty_of_a_number(package):
    fixed = package.fix("Russia.salience.kosovo_status", 55)
    batch = ns.sample(fixed, 50, seed=1)
    k, i = fixed.actor_index("Russia"), fixed.issue_index("kosovo_status")
    assert np.all(batch.salience[:, k, i] == 55)
    assert np.ptp(ns.sample(package, 50, seed=1).salience[:, k, i]) > 0


# ----------------------------------------------------------------------------- 2007 as of its date

SOURCES_2007 = tomllib.loads((DATA / "sources_2007.toml").read_text())
SCENARIOS_2007 = sorted(p for p in BUNDLED if p.stem.endswith("_2007"))
TAGS = re.compile(r"\b(S\d+|seed|TEU23)\b")
EU_2007 = {  # the 27 member states from 1 Jan 2007 (Bulgaria and Romania joined that day)
    "Austria", "Belgium", "Bulgaria", "Cyprus", "Czech_Republic", "Denmark", "Estonia",
    "Finland", "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia",
    "Lithuania", "Luxembourg", "Malta", "Netherlands", "Poland", "Portugal", "Romania",
    "Slovakia", "Slovenia", "Spain", "Sweden", "UK",
}  # fmt: skip


def _dated_by(tag: str, when) -> bool:
    d = SOURCES_2007[tag]["date"]
    return not isinstance(d, str) and d <= when


@pytest.mark.parametrize("path", SCENARIOS_2007, ids=lambda p: p.stem)
def test_anchored_numbers_cite_a_source_dated_by_the_scenario_date(path):
    """The hindsight rule: an 'A' number's first cited source (its anchor, by the convention of
    docs/scenarios-2007.md) is dated on or before the scenario date."""
    sc = ns.load_scenario(path)
    assert str(sc.date) == "2007-10-19"
    text = path.read_text()
    assert set(TAGS.findall(text)) <= set(SOURCES_2007)  # every cited tag has a date
    for actor in sc.actor_specs:
        for fld in ("position", "salience"):
            for issue, code in actor.confidence[fld].items():
                if code == "A":
                    cited = TAGS.findall(actor.sources.get(fld, {}).get(issue, ""))
                    assert cited and _dated_by(cited[0], sc.date), (actor.id, fld, issue)
        assert actor.confidence["power"] == "E"  # judgmental milpol term (facts 3.2)


def test_eu_coalition_is_the_27_member_states_of_2007(package):
    eu = next(c for c in package.coalitions if c.id == "eu_members")
    assert set(eu.members) == EU_2007 and len(eu.members) == 27
    assert (eu.rule, eu.threshold, eu.ratifies) == ("qualified", 0.75, ("kosovo_status",))


@pytest.mark.parametrize(
    ("state", "gdp", "milpol"),  # docs/scenarios-2007.md: GDP 2007 in $bn (E), milpol (E)
    [("Austria", 377, 3), ("Finland", 246, 4), ("Ireland", 259, 2), ("Malta", 7.4, 1),
     ("Sweden", 463, 5)],
)  # fmt: skip
def test_eu_states_added_for_kosovo_follow_the_capability_formula(package, state, gdp, milpol):
    """Facts 3.2: cap = 1/2 * 100 * sqrt(GDP / GDP_US) + 1/2 * milpol, GDP_US = 13,844."""
    actor = package.actor(state)
    assert actor.power == pytest.approx(50 * (gdp / 13844) ** 0.5 + milpol / 2, abs=0.05)
    assert actor.role == "ratifier" and set(actor.position) == {"kosovo_status"}
    assert actor.confidence["position"] == {"kosovo_status": "E"}


def _moves_2007():
    """The moves of package_2007, or of the draft fragment while the loader lacks them."""
    raw = tomllib.loads((BUNDLED[0].parent / "package_2007.toml").read_text())
    if "moves" not in raw:
        raw = tomllib.loads(
            (Path(__file__).parent.parent / "drafts" / "moves_2007.toml").read_text()
        )
    return raw


def test_move_windows_follow_the_dated_facts(package):
    """Relative time t = days since 19 Oct 2007 / 73 (to 31 Dec 2007)."""
    from datetime import date

    raw = _moves_2007()
    moves = {m["id"]: m for m in raw["moves"]}
    start, days = date(2007, 10, 19), (date(2007, 12, 31) - date(2007, 10, 19)).days
    assert days == 73
    troika_report, cfe_suspension = date(2007, 12, 10), date(2007, 12, 12)
    assert moves["kosovo_udi"]["earliest"] == pytest.approx(
        (troika_report - start).days / days, abs=5e-4
    )
    assert moves["russia_suspends_cfe"]["earliest"] == pytest.approx(
        (cfe_suspension - start).days / days, abs=5e-4
    )
    coalitions = {c.id for c in package.coalitions} | {c["id"] for c in raw.get("coalitions", [])}
    for m in moves.values():
        issue = package.issue(m["issue"])
        assert issue.low <= m["to"] <= issue.high and 0 <= m["earliest"] <= m["latest"] <= 1
        assert m["actor"] in package.actors
        assert set(m.get("needs", [])) <= set(package.actors) | coalitions
    for u in raw["uncertainty"]:
        if u["target"].startswith("moves."):
            _, mid, fld = u["target"].split(".")
            assert u["low"] <= moves[mid][fld] <= u["high"], u["target"]


def test_cfe_suspension_value_orders_the_dated_readings(package):
    """Docs: Russia decreed suspension (prefers it to the status quo); NATO and the US regret it;
    Steinmeier called it wrong (Germany at most indifferent). Linear distance on issue C."""
    x = next(m for m in _moves_2007()["moves"] if m["id"] == "russia_suspends_cfe")["to"]
    sq = package.issue("cfe").status_quo

    def closer(actor):  # > 0: the suspension is nearer the actor's ideal than the status quo
        p = package.actor(actor).position["cfe"]
        return abs(p - sq) - abs(p - x)

    assert closer("Russia") > 0
    assert closer("NATO") < 0 and closer("US") < 0 and closer("Germany") <= 0
