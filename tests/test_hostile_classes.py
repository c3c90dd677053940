"""The classes of defects of the second hostile round (issue 30), one test group each.

Each group holds the example of the issue and at least two other members of its class, so a
fix that covers only the example fails here. The scenario documents come from
``tests/data/minimal.toml`` (:data:`test_hostile_input.MINIMAL`), edited per test.
"""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import math
import os
import re
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_hostile_input import MINIMAL, refused, write

import negosim as ns
from negosim.cli import main as cli
from negosim.engine import arguments as check
from negosim.engine import runner as engine
from negosim.engine.sampling import sample
from negosim.io import store as stores
from negosim.model.elements import MAX_POWER, MAX_SD_SPAN, MIN_POWER, MIN_SPAN_SHARE
from negosim.model.errors import ArgumentError
from negosim.model.ratification import coalition_rules
from negosim.model.strategies import Strategy

from helpers import no_hang

DATA = Path(__file__).parent / "data"
MINIMAL_FILE = DATA / "minimal.toml"
RUN = ["--runs", "6", "--seed", "1", "--no-progress"]


def one_error_line(capsys) -> str:
    """The one stderr line of a refused command (no traceback, no usage block)."""
    err = capsys.readouterr().err
    assert err.startswith("negosim: error: ") and err.count("\n") == 1, err
    return err


def edited(change) -> dict:
    """A copy of the minimal scenario mapping with ``change`` applied to it."""
    data = copy.deepcopy(MINIMAL)
    change(data)
    return data


def scenario(change=lambda d: None, source: str = "case") -> ns.Scenario:
    return ns.Scenario.from_dict(edited(change), source=source)


@pytest.fixture
def stored(tmp_path) -> Path:
    """A finished store of 10 runs of the minimal scenario in chunks of 4."""
    folder = tmp_path / "store"
    ns.simulate(ns.load_scenario(MINIMAL_FILE), 10, seed=2, chunk_size=4, store=folder)
    return folder


def rewrite_chunk(folder: Path, index: int, frame: pd.DataFrame) -> None:
    """Replace chunk ``index`` with ``frame`` and record its true size and checksum, as a
    careless or hostile editor would: the manifest's own checks then pass."""
    data = frame.to_parquet(None, index=False)
    (folder / f"part-{index:06d}.parquet").write_bytes(data)
    manifest = json.loads((folder / stores.MANIFEST).read_text())
    manifest["chunks"][str(index)].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    (folder / stores.MANIFEST).write_text(json.dumps(manifest))


# ----------------------------------------------------------------------------- 1


class TestOutputsNeverOverlapInputsOrStores:
    """Class 1: an output can destroy the store or the file it comes from."""

    def test_out_onto_the_manifest_is_refused_and_the_store_survives(self, stored, capsys):
        before = (stored / stores.MANIFEST).read_bytes()
        args = ["run", str(MINIMAL_FILE), "--store", str(stored), "--resume", *RUN]
        assert cli([*args, "--out", str(stored / stores.MANIFEST)]) == 2
        assert (
            "--out" in one_error_line(capsys) and (stored / stores.MANIFEST).read_bytes() == before
        )
        assert ns.load_results(stored).runs == 10

    def test_out_onto_a_part_file_is_refused(self, stored, capsys):
        part = stored / "part-000000.parquet"
        before = part.read_bytes()
        args = ["run", str(MINIMAL_FILE), "--store", str(stored), "--resume", *RUN]
        assert cli([*args, "--out", str(part)]) == 2
        assert "store folder" in one_error_line(capsys) and part.read_bytes() == before

    def test_out_into_a_new_store_folder_is_refused_before_work(self, tmp_path, capsys):
        store = tmp_path / "new"
        args = ["run", str(MINIMAL_FILE), "--store", str(store), *RUN]
        assert cli([*args, "--out", str(store / "table.csv")]) == 2
        assert "inside the --store folder" in one_error_line(capsys) and not store.exists()

    def test_a_link_to_the_manifest_counts_as_the_manifest(self, stored, tmp_path, capsys):
        link = tmp_path / "table.json"
        link.symlink_to(stored / stores.MANIFEST)
        args = ["run", str(MINIMAL_FILE), "--store", str(stored), "--resume", *RUN]
        assert cli([*args, "--out", str(link)]) == 2
        assert "store folder" in one_error_line(capsys)
        assert ns.load_results(stored).runs == 10

    def test_plot_through_a_link_onto_a_part_file_is_refused(self, stored, tmp_path, capsys):
        part = stored / "part-000001.parquet"
        before = part.read_bytes()
        link = tmp_path / "figure.png"
        link.symlink_to(part)
        args = ["run", str(MINIMAL_FILE), "--store", str(stored), "--resume", *RUN]
        assert cli([*args, "--plot", str(link)]) == 2
        assert "--plot" in one_error_line(capsys) and part.read_bytes() == before

    def test_out_into_a_store_the_command_does_not_name_is_refused(self, stored, capsys):
        before = (stored / stores.MANIFEST).read_bytes()
        assert cli(["run", str(MINIMAL_FILE), *RUN, "--out", str(stored / stores.MANIFEST)]) == 2
        assert "lies in a result store folder" in one_error_line(capsys)
        assert (stored / stores.MANIFEST).read_bytes() == before

    def test_out_onto_the_scenario_file_is_refused(self, tmp_path, capsys):
        scenario_file = tmp_path / "scenario.json"  # a scenario file may have any extension
        shutil.copy(MINIMAL_FILE, scenario_file)
        before = scenario_file.read_bytes()
        assert cli(["run", str(scenario_file), *RUN, "--out", str(scenario_file)]) == 2
        assert "the scenario" in one_error_line(capsys) and scenario_file.read_bytes() == before

    def test_out_onto_a_hard_link_of_a_tournament_scenario_is_refused(self, tmp_path, capsys):
        scenario_file = tmp_path / "world.toml"
        shutil.copy(MINIMAL_FILE, scenario_file)
        os.link(scenario_file, tmp_path / "board.csv")
        args = ["tournament", "--scenario", str(scenario_file), "--runs", "2", "--no-progress"]
        assert cli([*args, "--out", str(tmp_path / "board.csv")]) == 2
        assert "--scenario" in one_error_line(capsys)
        assert scenario_file.read_bytes() == MINIMAL_FILE.read_bytes()

    def test_the_check_refuses_two_outputs_on_one_file(self, tmp_path):
        with pytest.raises(ArgumentError, match=r"--plot: .* is also --out"):
            check.separate_paths({"--out": tmp_path / "a", "--plot": tmp_path / "a"})


# ----------------------------------------------------------------------------- 2


class TestWhatAStoreEmbedsReadsBack:
    """Class 2: a store that cannot be read back (everything it embeds must round-trip)."""

    @pytest.mark.parametrize(
        ("field", "literal"),
        [
            ("date", "2007-10-19T10:00:00"),  # the example: a local date-time
            ("date", "2007-10-19T10:00:00Z"),  # an offset date-time
            ("ends", "2008-01-01 00:00:00"),
            ("date", "10:00:00"),  # a local time
        ],
    )
    def test_a_date_with_a_time_is_refused_by_validate(self, tmp_path, capsys, field, literal):
        data = edited(lambda d: d["scenario"].update({field: "PLACEHOLDER"}))
        path = write(tmp_path, data)
        path.write_text(path.read_text().replace('"PLACEHOLDER"', literal))
        line = refused(path, capsys)
        assert f"scenario.{field}: must be a date like 2007-10-19" in line

    def test_an_update_dated_with_a_time_is_refused(self, tmp_path, capsys):
        update = {"date": "PLACEHOLDER", "set": {"US.power": 90}}
        path = write(tmp_path, edited(lambda d: d.update(updates=[update])))
        path.write_text(path.read_text().replace('"PLACEHOLDER"', "2007-11-01T09:30:00"))
        assert "updates[0].date: must be a date" in refused(path, capsys)

    @pytest.mark.parametrize(
        "make",
        [
            lambda: ns.load_scenario("package_2007"),
            lambda: ns.load_scenario("package_2007", as_of="2007-12-12"),  # start, made
            lambda: ns.load_scenario("cfe_2007").restrict(["cfe"]),
            lambda: scenario(
                lambda d: d["actors"][0].update(strategy={"name": "boulware", "e": 1})
            ),
        ],
        ids=["package", "package_as_of", "restricted", "integer_strategy_parameter"],
    )
    def test_a_store_of_each_form_reads_back(self, tmp_path, make):
        sc = make()
        res = ns.simulate(sc, 5, seed=3, chunk_size=2, store=tmp_path / "s")
        back = ns.load_results(tmp_path / "s")
        assert back.scenario.digest == sc.digest
        np.testing.assert_array_equal(back.outcome, res.outcome)

    def test_numpy_numbers_in_an_update_read_back_from_a_store(self, tmp_path):
        """Found by the second audit: an update's numpy number was embedded in the manifest
        as text ("90"), and the store could never be read back."""
        changes = {"US.power": np.int64(90), "Russia.salience.kosovo": np.float32(55.5)}
        sc = scenario(lambda d: d.update(updates=[{"date": "2007-11-01", "set": changes}]))
        ns.simulate(sc, 4, seed=1, store=tmp_path / "s")
        assert ns.load_results(tmp_path / "s").scenario.digest == sc.digest
        ns.simulate(sc.as_of("2007-11-02"), 4, seed=1, store=tmp_path / "t")
        assert ns.load_results(tmp_path / "t").runs == 4


# ----------------------------------------------------------------------------- 3

UNCERTAIN = "Russia.salience.kosovo"  # uniform 40..80 in the minimal scenario


def sampled_salience(sc: ns.Scenario, actor: str, issue: str) -> np.ndarray:
    batch = sample(sc, 50, 0)
    return batch.salience[:, sc.actor_index(actor), sc.issue_index(issue)]


class TestUpdatesSetUncertainNumbers:
    """Class 3: an input that is silently ignored (an update of an uncertain number)."""

    def test_an_update_makes_an_uncertain_number_certain_from_its_date(self):
        update = {"date": "2007-11-01", "set": {UNCERTAIN: 10}}
        sc = scenario(lambda d: d.update(updates=[update]))
        assert np.ptp(sampled_salience(sc.as_of("2007-10-30"), "Russia", "kosovo")) > 0
        after = sampled_salience(sc.as_of("2007-11-01"), "Russia", "kosovo")
        np.testing.assert_array_equal(after, 10.0)

    def test_timeline_rows_differ_after_the_update(self):
        update = {"date": "2007-11-01", "set": {UNCERTAIN: 0}}  # only the uncertain number
        sc = scenario(lambda d: d.update(updates=[update]))
        table = ns.timeline(sc, runs=40, seed=1)
        assert table["outcome.kosovo"].iloc[0] != table["outcome.kosovo"].iloc[1]

    def test_an_update_of_an_uncertain_move_number_is_applied(self):
        move = {"id": "deploy", "actor": "US", "issue": "shield", "to": 100, "cost": 0.1}
        entry = {"target": "moves.deploy.cost", "dist": "uniform", "low": 0.0, "high": 0.5}
        update = {"date": "2007-11-01", "set": {"moves.deploy.cost": 0.3}}
        sc = scenario(lambda d: d.update(moves=[move], updates=[update]))
        sc = ns.Scenario.from_dict({**sc.to_dict(), "uncertainty": [entry]})
        batch = sample(sc.as_of("2007-11-02"), 30, 0)
        np.testing.assert_array_equal(batch.moves.cost[:, sc.move_index("deploy")], 0.3)

    def test_a_number_coded_e_keeps_its_spread_around_the_value_set(self):
        def change(d):
            d["scenario"]["estimate_spread"] = 10
            d["actors"][0]["confidence"] = {"salience": {"kosovo": "E"}}

        sc = scenario(change).replace_value("US.salience.kosovo", 30)
        drawn = sampled_salience(sc, "US", "kosovo")
        assert np.ptp(drawn) > 0 and drawn.min() >= 20 and drawn.max() <= 40
        assert abs(np.median(drawn) - 30) < 3

    def test_set_on_the_command_line_fixes_an_uncertain_number(self, tmp_path):
        sc = ns.load_scenario(MINIMAL_FILE).replace_value(UNCERTAIN, 55)
        assert UNCERTAIN not in {u.target for u in sc.uncertainty}
        np.testing.assert_array_equal(sampled_salience(sc, "Russia", "kosovo"), 55.0)
        out = tmp_path / "runs.csv"
        args = ["run", str(MINIMAL_FILE), "--set", f"{UNCERTAIN}=0", *RUN, "--out", str(out)]
        assert cli(args) == 0
        nominal = ns.simulate(ns.load_scenario(MINIMAL_FILE), 6, seed=1)
        assert not np.array_equal(pd.read_csv(out)["outcome.kosovo"], nominal.outcome[:, 0])


# ----------------------------------------------------------------------------- 4


class TestNumbersStayFinite:
    """Class 4: numbers that overflow inside the model (bounds at validation, sampled too)."""

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            (lambda d: [a.update(power=1e308) for a in d["actors"]], "actors[0].power"),
            (
                lambda d: d["actors"][1].update(power_by_issue={"kosovo": 1e300}),
                "actors[1].power_by_issue.kosovo",
            ),
            (
                lambda d: d["uncertainty"].append(
                    {"target": "US.power", "dist": "uniform", "low": 1.0, "high": 1e300}
                ),
                "uncertainty[1].high",
            ),
            (
                lambda d: d["uncertainty"].append(
                    {
                        "target": "US.position.kosovo",
                        "dist": "choice",
                        "values": [10, 20],
                        "weights": [1e308, 1e308],
                    }
                ),
                "uncertainty[1].weights",
            ),
        ],
        ids=["power", "power_by_issue", "sampled_power", "choice_weights"],
    )
    def test_numbers_beyond_the_bounds_are_refused(self, tmp_path, capsys, change, field):
        path = write(tmp_path, edited(change))
        assert f"{path}: {field}" in refused(path, capsys)

    def test_sampled_power_stays_within_the_bound(self):
        widest = MAX_SD_SPAN * (MAX_POWER - MIN_POWER)
        entry = {"target": "US.power", "dist": "normal", "mean": MAX_POWER, "sd": widest}
        sc = scenario(lambda d: d["uncertainty"].append(entry))
        power = sample(sc, 200, 0).power[:, sc.actor_index("US")]
        assert np.all(np.isfinite(power)) and power.max() <= MAX_POWER

    def test_the_largest_powers_give_the_results_of_small_ones(self):
        """Power enters only as shares, so scaling every power up to the bound changes
        nothing: overflow would show as a different agreement rate."""
        small = scenario(lambda d: [a.update(power=a["power"] / 100) for a in d["actors"]])
        large = scenario(
            lambda d: [a.update(power=a["power"] * MAX_POWER / 100) for a in d["actors"]]
        )
        assert max(a.power for a in large.actor_specs) == MAX_POWER
        a, b = (ns.simulate(sc, 60, seed=4) for sc in (small, large))
        assert a.agreed.mean() > 0
        np.testing.assert_array_equal(a.agreed, b.agreed)
        np.testing.assert_allclose(a.outcome, b.outcome, rtol=1e-9, atol=1e-9)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            (lambda d: d["actors"][0].update(power=5e-324), "actors[0].power"),
            (
                lambda d: d["actors"][1].update(power_by_issue={"kosovo": 1e-12}),
                "actors[1].power_by_issue.kosovo",
            ),
            (lambda d: d["actors"][2].update(power=MIN_POWER / 2), "actors[2].power"),
        ],
        ids=["subnormal_power", "tiny_power_by_issue", "half_the_least_power"],
    )
    def test_powers_below_the_bound_are_refused(self, tmp_path, capsys, change, field):
        path = write(tmp_path, edited(change))
        assert f"{path}: {field}: must be in [1e-09, 1e+09]" in refused(path, capsys)

    def test_the_least_powers_give_the_results_of_ordinary_ones(self):
        """Power enters as shares: scaled down to the bound, the exchange model gives the same
        outcomes (a subnormal power shifted them)."""
        plain = scenario()
        least = scenario(
            lambda d: [a.update(power=a["power"] * MIN_POWER / 15) for a in d["actors"]]
        )
        assert min(a.power for a in least.actor_specs) == pytest.approx(MIN_POWER)
        a, b = (ns.simulate(sc, 20, seed=3, protocol="exchange") for sc in (plain, least))
        np.testing.assert_allclose(a.outcome, b.outcome, rtol=1e-9, atol=1e-9)

    @pytest.mark.parametrize("power", [MAX_POWER, MIN_POWER], ids=["most", "least"])
    def test_the_spread_of_an_estimated_power_stays_within_the_bounds(self, power):
        """Found by the second audit: a power marked "E" at the bound was sampled up to 1.5
        times it, past MAX_POWER."""

        def change(d):
            d["scenario"]["estimate_spread"] = 50
            d["actors"][0].update(power=power, confidence={"power": "E"})

        drawn = sample(scenario(change), 300, 0).power[:, 0]
        assert np.ptp(drawn) > 0 and drawn.min() >= MIN_POWER and drawn.max() <= MAX_POWER

    @pytest.mark.parametrize("target", ["US.position.kosovo", "US.power"])
    def test_a_normal_wider_than_its_range_is_refused(self, tmp_path, capsys, target):
        entry = {"target": target, "dist": "normal", "mean": 50, "sd": 1e20}
        path = write(tmp_path, edited(lambda d: d["uncertainty"].append(entry)))
        line = refused(path, capsys)
        assert f"{path}: uncertainty[1].sd: must be at most 1e+06 times the range" in line

    def test_the_widest_normal_allowed_draws_across_its_range(self):
        """sd = 1e20 on a 0..100 scale drew the mean every time."""
        entry = {"target": "US.position.kosovo", "dist": "normal", "mean": 50}
        entry["sd"] = MAX_SD_SPAN * 100
        drawn = sample(scenario(lambda d: d["uncertainty"].append(entry)), 500, 0).positions
        assert drawn[:, 0, 0].min() >= 0 and drawn[:, 0, 0].max() <= 100
        assert np.ptp(drawn[:, 0, 0]) > 90

    def test_a_scale_of_subnormal_width_is_refused(self, tmp_path, capsys):
        path = write(tmp_path, edited(lambda d: d["issues"][0].update(scale=[0, 1e-300])))
        assert f"{path}: issues[0].scale: narrower than 1e-100" in refused(path, capsys)

    @pytest.mark.parametrize(
        "spec", ["boulware:e=1e-320", "linear:e=5e-324", "random_walk:scale=1e-300"]
    )
    def test_a_strategy_parameter_too_close_to_0_is_refused_by_name(self, capsys, spec):
        """boulware:e=1e-320 overflowed in 1 / e (a RuntimeWarning)."""
        sc = ns.load_scenario(MINIMAL_FILE)
        problem = r"parameter \w+: must be 0 or at least 1e-100 in size"
        with pytest.raises(ArgumentError, match=rf"^strategies\['US'\]: {problem}"):
            ns.simulate(sc, 2, strategies={"US": spec})
        assert cli(["run", str(MINIMAL_FILE), *RUN, "--strategy", f"US={spec}"]) == 2
        assert re.search(rf"--strategy.*: {problem}", one_error_line(capsys))

    def test_a_strategy_parameter_too_close_to_0_is_refused_everywhere(self, tmp_path, capsys):
        tiny = {"name": "boulware", "e": 1e-320}
        path = write(tmp_path, edited(lambda d: d["actors"][0].update(strategy=tiny)))
        assert f"{path}: actors[0].strategy.e: must be 0 or at least 1e-100" in refused(
            path, capsys
        )
        sc = ns.load_scenario(MINIMAL_FILE)
        with pytest.raises(ArgumentError, match=r"^strategies\['US'\]: parameter e: must be 0"):
            ns.simulate(sc, 2, strategies={"US": ns.strategies.Boulware(e=1e-320)})
        assert cli(["run", str(MINIMAL_FILE), *RUN, "--set", "US.strategy.e=1e-320"]) == 2
        assert "strategy.e: must be 0 or at least 1e-100" in one_error_line(capsys)
        entry = {"target": "US.strategy.e", "dist": "uniform", "low": 1e-320, "high": 1}
        path = write(tmp_path, edited(lambda d: d["uncertainty"].append(entry)), "sampled.toml")
        assert "uncertainty[1]: must be 0 or at least 1e-100" in refused(path, capsys)

    @pytest.mark.parametrize("protocol", ["alternating", "mediated"])
    def test_a_target_far_beyond_the_utilities_acts_as_one_just_beyond(self, protocol):
        """A user's target of 1e308 overflowed (a RuntimeWarning, an error here); a target
        above 1 accepts nothing and one below 0 anything, however far."""
        sc = ns.load_scenario(MINIMAL_FILE)

        def run(value):
            target = _Returns("target", lambda view: np.full(view.runs, value))
            return ns.simulate(sc, 6, seed=1, protocol=protocol, strategies={"US": target})

        for far, near in ((1e308, 1.5), (-1e308, -0.5)):
            a, b = run(far), run(near)
            np.testing.assert_array_equal(a.agreed, b.agreed)
            np.testing.assert_array_equal(a.outcome, b.outcome)


# ----------------------------------------------------------------------------- 5


class _Returns(Strategy):
    """A user's strategy whose ``propose``, ``respond`` or ``target`` returns ``value``
    (a function of the view)."""

    name = "returns_test_value"

    def __init__(self, method: str, value) -> None:
        self.method, self.value = method, value

    def target(self, view):
        if self.method == "target":
            return self.value(view)
        return np.full(view.runs, 0.6)

    def propose(self, view):
        return self.value(view) if self.method == "propose" else super().propose(view)

    def respond(self, view, offer_utility):
        if self.method == "respond":
            return self.value(view)
        return super().respond(view, offer_utility)


class TestStrategyOutputsAreChecked:
    """Class 5: a user's strategy returning nonsense is refused, naming the strategy."""

    @pytest.mark.parametrize(
        ("method", "value", "problem"),
        [
            ("propose", lambda v: np.full((v.runs, 2), np.nan), "not finite"),
            ("propose", lambda v: np.full((v.runs, 2), 1e6), "outside the issue scales"),
            ("target", lambda v: np.full(v.runs, np.inf), "not finite"),
            ("respond", lambda v: np.full(v.runs, 0.5), "other than True/False"),
            ("respond", lambda v: np.array(["yes"] * v.runs), "expected numbers"),
        ],
        ids=["nan_offer", "offer_off_scale", "infinite_target", "half_a_vote", "text_votes"],
    )
    def test_nonsense_is_refused(self, method, value, problem):
        sc = ns.load_scenario(MINIMAL_FILE)
        with pytest.raises(ArgumentError, match=f"strategy 'returns_test_value'.*{problem}"):
            ns.simulate(sc, 4, seed=0, strategies={"US": _Returns(method, value)})

    def test_an_overshoot_within_rounding_is_clipped_onto_the_scale(self):
        def beyond(view):  # 1e-10 of the span past the top of each scale: rounding
            high = view.scale[1] + 1e-10 * view.span
            return np.broadcast_to(high, (view.runs, len(high))).copy()

        sc = ns.load_scenario(MINIMAL_FILE)
        res = ns.simulate(sc, 4, seed=0, strategies={"US": _Returns("propose", beyond)})
        assert np.all(res.outcome <= sc.high)

    def test_votes_of_ones_and_zeros_count_as_booleans(self):
        sc = ns.load_scenario(MINIMAL_FILE)
        yes = _Returns("respond", lambda v: np.ones(v.runs, dtype=int))
        res = ns.simulate(sc, 4, seed=0, strategies={"US": yes, "Russia": "conceder"})
        assert res.agreed.all()


# ----------------------------------------------------------------------------- 6


class TestProtocolsRefuseWhatTheyCannotSolve:
    """Class 6: files that pass validate and crash a protocol."""

    @pytest.mark.parametrize(
        "scale", [[-1e6, -999999], [1e8, 1e8 + 1], [5e8, 5e8 + 4e3]], ids=["example", "1e8", "5e8"]
    )
    def test_a_scale_too_narrow_for_its_magnitude_is_refused(self, tmp_path, capsys, scale):
        def change(d):
            low, high = scale
            d["issues"][0].update(scale=scale, status_quo=low, anchors=[])
            for actor in d["actors"]:
                if "kosovo" in actor["position"]:
                    actor["position"]["kosovo"] = high
            d["uncertainty"] = []
            d["scenario"]["protocol"] = "nash"

        path = write(tmp_path, edited(change))
        assert "issues[0].scale: too narrow for its distance from 0" in refused(path, capsys)
        assert (scale[1] - scale[0]) < MIN_SPAN_SHARE * max(map(abs, scale))

    def test_a_scale_just_wide_enough_runs(self):
        def change(d):
            d["issues"][0].update(scale=[1e6, 1e6 + 20], status_quo=1e6 + 1, anchors=[])
            d["actors"][0]["position"]["kosovo"] = 1e6 + 9
            d["actors"][1]["position"]["kosovo"] = 1e6 + 2
            d["uncertainty"] = []

        res = ns.simulate(scenario(change), 5, seed=0, protocol="nash")
        assert np.all((res.outcome[:, 0] >= 1e6) & (res.outcome[:, 0] <= 1e6 + 20))

    @pytest.mark.parametrize("protocol", ["nash", "utilitarian"])
    def test_an_unsolvable_package_is_one_line(self, monkeypatch, capsys, protocol):
        from negosim.engine.solvers import runs as solver_runs

        never = lambda *a, **k: lambda outcome: np.zeros(len(outcome), bool)  # noqa: E731
        monkeypatch.setattr(solver_runs, "ratification_test", never)
        assert cli(["run", str(MINIMAL_FILE), "--protocol", protocol, *RUN]) == 2
        line = one_error_line(capsys)
        assert f"protocol: {protocol}:" in line and "failed ratification" in line


# ----------------------------------------------------------------------------- 7


class TestDatesOfEveryForm:
    """Class 7: dates and times of every form are read correctly or refused in one line."""

    def test_ends_as_a_datetime_is_refused_not_a_type_error(self, tmp_path, capsys):
        path = write(tmp_path, edited(lambda d: d["scenario"].update(ends="PLACEHOLDER")))
        path.write_text(path.read_text().replace('"PLACEHOLDER"', "2008-01-01T00:00:00"))
        assert "scenario.ends: must be a date" in refused(path, capsys)

    @pytest.mark.parametrize("text", ["2007-10-19", "20071019", "2007-W42-5"])
    def test_iso_date_strings_are_read_as_that_day(self, text):
        sc = scenario(lambda d: d["scenario"].update(date=text))
        assert sc.date == date(2007, 10, 19)

    @pytest.mark.parametrize(
        "when",
        [
            "2007-12-03T10:00",
            datetime(2007, 12, 3, 23, 59),
            pd.Timestamp("2007-12-03 10:00"),
            np.datetime64("2007-12-03T10:00"),
            datetime(2007, 12, 3, 12, tzinfo=UTC),
        ],
        ids=["iso_datetime", "datetime", "timestamp", "datetime64", "aware_datetime"],
    )
    def test_as_of_a_moment_is_as_of_its_day(self, package, when):
        assert package.as_of(when) == package.as_of(date(2007, 12, 3))

    @pytest.mark.parametrize("when", [20071203, "3 December 2007", pd.NaT, None])
    def test_as_of_something_else_names_the_argument(self, package, when):
        with pytest.raises(ArgumentError, match=r"^as_of: must be a date"):
            package.as_of(when)

    @pytest.mark.parametrize(
        ("when", "problem"),
        [
            (np.datetime64("99999-01-01"), "must be a date in the years 1..9999, got 99999-01-01"),
            (np.datetime64("2007-10-19T10:00"), "must be a date like 2007-10-19 (a day, no time"),
            (np.datetime64("2007-10"), "must be a date like 2007-10-19 (a day, no time"),
            (np.datetime64("NaT"), "must be a date like 2007-10-19 (a day, no time"),
        ],
        ids=["beyond_the_years", "with_a_time", "a_month", "not_a_time"],
    )
    def test_a_numpy_date_that_is_no_day_is_one_line_naming_the_field(self, when, problem):
        with pytest.raises(ns.ScenarioError, match=rf"^case: scenario.date: {re.escape(problem)}"):
            scenario(lambda d: d["scenario"].update(date=when))

    def test_a_numpy_day_is_that_day(self):
        day = scenario(lambda d: d["scenario"].update(date=np.datetime64("2007-10-19")))
        assert day == scenario() and day.date == date(2007, 10, 19)

    def test_as_of_a_day_beyond_the_years_names_the_argument(self, package):
        """It said "got 35804357" (the days since 1970)."""
        with pytest.raises(ArgumentError, match=r"^as_of: must be a date in the years 1..9999"):
            package.as_of(np.datetime64("99999-01-01"))

    def test_the_last_days_a_date_can_hold_run_to_the_end(self, tmp_path):
        far = edited(
            lambda d: d["scenario"].update(date=date(9999, 12, 30), ends=date(9999, 12, 31))
        )
        path, plot = write(tmp_path, far), tmp_path / "timeline.png"
        assert cli(["timeline", str(path), *RUN, "--plot", str(plot)]) == 0
        assert plot.read_bytes().startswith(b"\x89PNG")
        assert ns.load_scenario(path).as_of(date(9999, 12, 31)).start == 1.0


# ----------------------------------------------------------------------------- 8


def failing_replace(monkeypatch, fails_on):
    """Make ``os.replace`` fail with a full disk for targets whose name ``fails_on`` accepts."""
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if fails_on(Path(dst)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


class TestWriteErrorsKeepTheWork:
    """Class 8: errors after the work: one line, and what was computed survives."""

    @pytest.mark.parametrize("command", ["run", "sweep"])
    def test_a_full_disk_for_out_saves_the_table_elsewhere(
        self, tmp_path, monkeypatch, capsys, command
    ):
        out = tmp_path / "table.csv"
        failing_replace(monkeypatch, lambda dst: dst == out)
        extra = ["--param", "US.power=50,100"] if command == "sweep" else []
        assert cli([command, str(MINIMAL_FILE), *RUN, *extra, "--out", str(out)]) == 2
        line = one_error_line(capsys)
        assert "--out: cannot write" in line and "No space left" in line
        rescued = Path(line.rsplit("written to ", 1)[1].removesuffix(" instead\n"))
        assert len(pd.read_csv(rescued)) == (6 if command == "run" else 2)
        rescued.unlink()

    def test_a_full_disk_for_plot_saves_the_figure_elsewhere(self, tmp_path, monkeypatch, capsys):
        plot = tmp_path / "figure.png"
        failing_replace(monkeypatch, lambda dst: dst == plot)
        assert cli(["run", str(MINIMAL_FILE), *RUN, "--plot", str(plot)]) == 2
        line = one_error_line(capsys)
        rescued = Path(line.rsplit("written to ", 1)[1].removesuffix(" instead\n"))
        assert rescued.read_bytes().startswith(b"\x89PNG")
        rescued.unlink()

    def test_a_full_disk_in_a_store_keeps_the_finished_chunks(self, tmp_path, monkeypatch):
        sc = ns.load_scenario(MINIMAL_FILE)
        folder = tmp_path / "s"
        failing_replace(monkeypatch, lambda dst: dst.name == "part-000002.parquet")
        with pytest.raises(ns.StoreError, match=r"cannot write part-000002.parquet.*No space"):
            ns.simulate(sc, 12, seed=5, chunk_size=4, store=folder)
        monkeypatch.undo()
        resumed = ns.simulate(sc, 12, seed=5, chunk_size=4, store=folder)
        np.testing.assert_array_equal(resumed.outcome, ns.simulate(sc, 12, seed=5).outcome)


# ----------------------------------------------------------------------------- 9


class TestResourcesFollowTheMachine:
    """Class 9: resources without a limit (processes, quadratic lookups)."""

    def test_workers_beyond_the_cpus_are_refused_before_work(self, capsys, monkeypatch):
        monkeypatch.setattr(engine, "compute_chunk", lambda *a, **k: pytest.fail("work began"))
        assert cli(["run", str(MINIMAL_FILE), *RUN, "--workers", "1000"]) == 2
        assert "--workers: must be a whole number in [1, " in one_error_line(capsys)
        limit = check.WORKERS_PER_CPU * check.available_cpus()
        with pytest.raises(ArgumentError, match=rf"workers: .*\[1, {limit}\]"):
            ns.simulate(ns.load_scenario(MINIMAL_FILE), 2, workers=limit + 1)

    def test_a_coalition_of_30_003_actors_is_read_and_ruled_in_linear_time(self):
        members = [f"r{k}" for k in range(30_000)]
        ratifiers = [
            {"id": m, "role": "ratifier", "power": 1, "position": {"shield": 50}}
            | {"salience": {"shield": 50}}
            for m in members
        ]

        def change(d):
            d["actors"] += ratifiers
            d["coalitions"][0]["members"] += members

        began = time.perf_counter()
        sc = scenario(change)
        rules = coalition_rules(sc)
        lookups = [sc.actor_index(m) for m in members]
        # quadratic lookups took minutes here (30,003 x 30,003 comparisons)
        assert time.perf_counter() - began < 30
        assert len(rules[0].members) == 30_001 and lookups[-1] == len(sc.actors) - 1

    def test_a_sample_beyond_the_machines_memory_is_refused_by_name(self, monkeypatch):
        # sample(sc, 10**12) ended in numpy's MemoryError. A run of the minimal scenario
        # (A actors, I issues, M moves) takes 8 (4 A I + 3 A + 5 M) bytes as float64.
        sc = ns.load_scenario(MINIMAL_FILE)
        per_run = 8 * (4 * len(sc.actors) * len(sc.issues) + 3 * len(sc.actors))
        per_run += 8 * 5 * len(sc.all_moves)
        monkeypatch.setattr(check, "memory_budget", lambda: 100 * per_run)
        assert sample(sc, 100).runs == 100
        with pytest.raises(ArgumentError, match=rf"^runs: 101 runs .* \({per_run} bytes per run;"):
            sample(sc, 101)


# ----------------------------------------------------------------------------- 10


class TestStoreReaderChecksItsFiles:
    """Class 10: the store reader trusting its files."""

    def edit_manifest(self, folder: Path, **fields) -> None:
        manifest = json.loads((folder / stores.MANIFEST).read_text())
        manifest.update(fields)
        (folder / stores.MANIFEST).write_text(json.dumps(manifest))

    def test_a_manifest_of_10_to_the_30_runs_is_refused_at_once(self, stored):
        self.edit_manifest(stored, runs=10**30)
        with (
            no_hang(5),
            pytest.raises(ns.StoreError, match=r"damaged store: .*more than 1,000,000 chunks"),
        ):
            ns.load_results(stored)

    def test_units_beyond_the_runs_are_refused(self, stored):
        self.edit_manifest(stored, units=11)
        with pytest.raises(ns.StoreError, match=r"damaged store: .*units is 11"):
            ns.load_results(stored)

    def test_a_part_with_other_rows_than_recorded_is_refused(self, stored):
        frame = pd.read_parquet(stored / "part-000000.parquet")
        rewrite_chunk(stored, 0, frame.iloc[:3])
        with pytest.raises(ns.StoreError, match="3 rows, the manifest says 4"):
            ns.load_results(stored)

    def test_a_part_with_other_types_is_refused(self, stored):
        frame = pd.read_parquet(stored / "part-000001.parquet")
        rewrite_chunk(stored, 1, frame.assign(rounds=frame["rounds"].astype(str)))
        with pytest.raises(
            ns.StoreError, match=r"part-000001.parquet: the result column 'rounds' holds object"
        ):
            ns.load_results(stored)

    def test_an_outcome_off_its_scale_is_refused(self, stored):
        frame = pd.read_parquet(stored / "part-000002.parquet")
        rewrite_chunk(stored, 2, frame.assign(**{"outcome.kosovo": 1e9}))
        with pytest.raises(ns.StoreError, match=r"part-000002.parquet: an outcome is not"):
            ns.load_results(stored)

    @pytest.mark.parametrize("name", ["part-000001.parquet", stores.MANIFEST])
    def test_a_fifo_in_place_of_a_file_is_refused_not_read(self, stored, name):
        (stored / name).unlink()
        os.mkfifo(stored / name)  # reading it would block for ever
        with no_hang(), pytest.raises(ns.StoreError, match=f"{name}: .*not a regular file"):
            ns.load_results(stored)

    @pytest.mark.parametrize(
        ("columns", "problem"),
        [
            ({"outcome.kosovo": np.nan}, "an outcome is not a number within its issue's scale"),
            ({"utility.US": 2.0}, "a utility is not a number in [-1, 1]"),
            ({"utility.Russia": np.nan}, "a utility is not a number in [-1, 1]"),
            ({"rounds": 999}, "a run's rounds are not within 0..20"),
            ({"exited": 7}, "an exited actor is not -1 (none) or an actor's index"),
            ({"moved.exit_Russia": -5}, "a move's round is not -1 (not made) or within 0..20"),
            ({"agreed": 1}, "the result column 'agreed' holds int64, not booleans"),
        ],
        ids=["nan_outcome", "utility_2", "nan_utility", "rounds", "exited", "moved", "agreed"],
    )
    def test_resume_checks_a_forged_chunk_as_the_reader_does(self, stored, columns, problem):
        """--resume trusted a part file with NaN outcomes and an updated checksum, which
        load_results refused: one check now serves both (the writer recomputes the chunk)."""
        original = ns.load_results(stored)
        frame = pd.read_parquet(stored / "part-000001.parquet")
        rewrite_chunk(stored, 1, frame.assign(**columns))
        where = rf"part-000001.parquet: {re.escape(problem)}"
        with pytest.raises(ns.StoreError, match=rf"^damaged store: .*{where}"):
            ns.load_results(stored)
        with pytest.warns(RuntimeWarning, match=rf"{where}.*; recomputing that chunk"):
            resumed = ns.simulate(
                ns.load_scenario(MINIMAL_FILE), 10, seed=2, chunk_size=4, store=stored
            )
        np.testing.assert_array_equal(resumed.outcome, original.outcome)
        np.testing.assert_array_equal(ns.load_results(stored).utility, original.utility)

    def test_the_command_line_resume_without_gathering_checks_too(self, stored, capsys):
        frame = pd.read_parquet(stored / "part-000002.parquet")
        rewrite_chunk(stored, 2, frame.assign(**{"outcome.shield": np.nan}))
        args = ["run", str(MINIMAL_FILE), "--runs", "10", "--seed", "2", "--chunk-size", "4"]
        with pytest.warns(RuntimeWarning, match=r"part-000002.parquet: an outcome is not"):
            code = cli([*args, "--store", str(stored), "--resume", "--no-progress"])
        assert code == 0 and np.isfinite(ns.load_results(stored).outcome).all()

    def test_a_forged_chunk_0_is_named_not_chunk_1(self, stored):
        frame = pd.read_parquet(stored / "part-000000.parquet")
        rewrite_chunk(stored, 0, frame.assign(rounds=frame["rounds"].astype(float)))
        with pytest.raises(
            ns.StoreError, match=r"part-000000.parquet: the result column 'rounds' holds float64"
        ):
            ns.load_results(stored)

    def test_a_column_only_one_chunk_has_is_read_past_by_reader_and_writer_alike(self, stored):
        """The reader refused it (blaming the next chunk) while a writer resumed it: a store
        that resumed and could not be read back. Such a column is not a result's."""
        original = ns.load_results(stored)
        frame = pd.read_parquet(stored / "part-000000.parquet")
        rewrite_chunk(stored, 0, frame.assign(extra=1.0))
        np.testing.assert_array_equal(ns.load_results(stored).outcome, original.outcome)
        resumed = ns.simulate(
            ns.load_scenario(MINIMAL_FILE), 10, seed=2, chunk_size=4, store=stored
        )
        np.testing.assert_array_equal(resumed.outcome, original.outcome)

    def test_a_result_column_missing_from_every_chunk_is_refused(self, stored):
        for k in range(3):
            frame = pd.read_parquet(stored / f"part-{k:06d}.parquet")
            rewrite_chunk(stored, k, frame.drop(columns="exited"))
        with pytest.raises(ns.StoreError, match=r"part-000000.parquet: the result column 'exited'"):
            ns.load_results(stored)


class TestPeerReadersCheckTheirFiles:
    """Class 10, found by the second audit in the peer readers: a FIFO blocked them for ever,
    a short row of a decide file ended in an IndexError."""

    @pytest.mark.parametrize("reader", [ns.io.read_decide, ns.io.read_eum_csv])
    def test_a_fifo_is_refused_not_read(self, tmp_path, reader):
        os.mkfifo(tmp_path / "pipe.csv")
        with no_hang(), pytest.raises(ns.ScenarioError, match=r"pipe.csv: not a regular file"):
            reader(tmp_path / "pipe.csv")

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("#A\n", "line 1: a #A row needs 2 cells, got 1"),
            ("#A\tUS\tUnited States\n#M\tshield\n", "line 2: a #M row needs 3 cells, got 2"),
            ("#D\tUS\tshield\t1\t2\n", "line 1: a #D row needs 6 cells, got 5"),
        ],
    )
    def test_a_short_row_of_a_decide_file_names_its_line(self, tmp_path, text, problem):
        (tmp_path / "short.txt").write_text(text)
        with pytest.raises(ns.ScenarioError, match=re.escape(problem)):
            ns.io.read_decide(tmp_path / "short.txt")

    def test_a_cell_that_is_no_finite_number_names_its_row(self, tmp_path):
        (tmp_path / "eum.csv").write_text("Actor,Capability,Position,Salience\nUS,nan,10,0.5\n")
        with pytest.raises(ns.ScenarioError, match=r"row 2.Capability: 'nan' is not a finite"):
            ns.io.read_eum_csv(tmp_path / "eum.csv")


# ----------------------------------------------------------------------------- 11


class TestApiErrorsNameTheArgument:
    """Class 11: API errors that do not name the argument."""

    def test_sensitivity_of_zero_runs_names_runs(self):
        with pytest.raises(ArgumentError, match=r"^runs: "):
            ns.sensitivity(ns.load_scenario("cfe_2007"), 0)

    @pytest.mark.parametrize(
        ("value", "problem"),
        [
            ((0.9, 0.1), "0 <= low < high <= 1"),
            ((0, 2), "0 <= low < high <= 1"),
            ("ab", "must be two numbers"),
            ((0.1, math.nan), "must be a finite number"),
        ],
    )
    def test_quantiles_for_the_analyses_are_checked_by_name(self, value, problem):
        with pytest.raises(ArgumentError, match=rf"^quantiles: .*{re.escape(problem)}"):
            check.quantile_pair(value)
        assert check.quantile_pair([np.float64(0.05), 0.95]) == (0.05, 0.95)

    @pytest.mark.parametrize(
        ("grid", "named"),
        [
            (None, "grid: must map targets"),
            ({}, "grid: must map targets"),
            ({"US.nope": [1]}, "grid['US.nope']: unknown target field"),
            ({"US.power": 5}, "grid['US.power']: must be a one-dimensional array"),
            ({"US.power": []}, "grid['US.power']: needs at least one value"),
            ({"US.power": [1, "x"]}, "grid['US.power']: must be a finite number"),
        ],
    )
    def test_a_sweep_grid_is_checked_by_name(self, grid, named):
        sc = ns.load_scenario(MINIMAL_FILE)
        with pytest.raises(ArgumentError, match=re.escape(named)):
            check.grid(grid, sc.parse_target)
        values = np.arange(40, 81, 20)
        assert check.grid({"US.power": values}, sc.parse_target) == {"US.power": [40, 60, 80]}

    @pytest.mark.parametrize("value", [None, 3, "", "a\0b"])
    def test_a_store_path_is_checked_by_name(self, value):
        with pytest.raises(ArgumentError, match=r"^path: "):
            check.store_path(value)
        with pytest.raises(ArgumentError, match=r"^path: "):
            list(stores.iter_parts(value))

    @pytest.mark.parametrize("value", [123, None, b"package_2007", ""])
    def test_load_scenario_of_a_non_path_names_the_argument(self, value):
        with pytest.raises(ArgumentError, match=r"^path_or_name: "):
            ns.load_scenario(value)

    def test_as_of_of_a_number_names_the_argument(self):
        with pytest.raises(ArgumentError, match=r"^as_of: "):
            ns.load_scenario("package_2007", as_of=20071203)

    def test_a_strategy_error_reaches_the_command_line_as_one_line(self, monkeypatch, capsys):
        bad = _Returns("propose", lambda v: np.full((v.runs, 2), np.nan))
        monkeypatch.setattr("negosim.engine.runner.parse_strategy", lambda spec: bad)
        assert cli(["run", str(MINIMAL_FILE), *RUN, "--strategy", "US=linear"]) == 2
        assert "strategy 'returns_test_value'" in one_error_line(capsys)

    @pytest.mark.parametrize(
        ("call", "named"),
        [
            (lambda sc: ns.simulate(sc, 3, bogus_kwarg=1), r"^bogus_kwarg: protocol 'alternating'"),
            (
                lambda sc: ns.simulate(sc, 3, protocol="mediated", step=math.nan),
                r"^step: protocol 'mediated' refuses it: .*step must be",
            ),
            (lambda sc: ns.simulate(sc, 3, protocol="eum", bogus=1), r"^bogus: protocol 'eum'"),
            (
                lambda sc: ns.simulate(sc, 3, protocol="median", order=("US", "Russia")),
                r"^order: protocol 'median'",
            ),
            (lambda sc: ns.simulate(sc, 3, collect=0), r"^collect: must be True or False, got 0"),
            (lambda sc: ns.simulate(sc, 3, collect=False), r"^collect: False keeps no result"),
            (
                lambda sc: ns.simulate("package_2007", 3),
                r"^scenario: must be a Scenario, got 'package_2007'; load it first: "
                r"negosim.load_scenario\('package_2007'\)",
            ),
            (lambda sc: ns.sweep("cfe_2007", {"US.power": [1]}, 2), r"^scenario: must be a "),
            (lambda sc: ns.timeline(None, 2), r"^scenario: must be a Scenario, got None"),
            (lambda sc: ns.sample(sc, 5, start=-5), r"^start: must be a whole number >= 0, got -5"),
            (lambda sc: ns.sample(sc, 2.5), r"^runs: must be a whole number"),
            (lambda sc: ns.generate(reservation=(0.9, 0.1)), r"^reservation: must be two numbers"),
            (lambda sc: ns.generate(0, 3), r"^n_actors: must be a whole number in \[1, "),
            (lambda sc: ns.generate(salience="random"), r"^salience: must be one of independent"),
            (lambda sc: ns.generate(name="a.b"), r"^name: id 'a.b' must not contain '\.'"),
            (lambda sc: ns.abm.DiplomacyModel(sc, seed=-1), r"^seed: must be a whole number >= 0"),
            (lambda sc: ns.abm.DiplomacyModel(sc, run=-1), r"^run: must be a whole number >= 0"),
            (lambda sc: sc.restrict(["nope"]), r"^issue_ids: unknown issue 'nope'"),
            (lambda sc: sc.restrict("kosovo"), r"^issue_ids: .* \(one issue: \['kosovo'\]\)"),
            (lambda sc: sc.restrict([]), r"^issue_ids: needs at least one issue id"),
            (lambda sc: ns.solutions.nash(sc, ["US", "nope"]), r"^actors: unknown actor 'nope'"),
            (lambda sc: ns.solutions.nash(ns.sample(sc, 2), run=2), r"^run: 2 is outside"),
            (lambda sc: ns.gain_from_linkage(sc, 2, protocol="nope"), r"^protocol: unknown"),
        ],
        ids=[
            "simulate_unknown_option",
            "simulate_option_value",
            "eum_unknown_option",
            "order_without_alternating",
            "collect_0",
            "collect_without_store",
            "simulate_a_name",
            "sweep_a_name",
            "timeline_none",
            "sample_start",
            "sample_runs",
            "generate_reservation",
            "generate_actors",
            "generate_salience",
            "generate_name",
            "model_seed",
            "model_run",
            "restrict_unknown",
            "restrict_a_string",
            "restrict_nothing",
            "nash_actors",
            "nash_run",
            "linkage_protocol",
        ],
    )
    def test_every_public_function_names_its_argument(self, call, named):
        with pytest.raises(ns.NegosimError, match=named):
            call(ns.load_scenario(MINIMAL_FILE))

    @pytest.mark.parametrize(
        ("kwargs", "named"),
        [
            ({"batch": 3}, r"^batch: must be a ScenarioBatch"),
            ({"protocol": "mediated", "step": math.nan}, r"^step: protocol 'mediated' refuses"),
            ({"order": ("US", "nope")}, r"^order: unknown actor 'nope'"),
            ({"order": 3}, r"^order: must be a sequence of actor ids"),
            ({"bogus": 1}, r"^bogus: protocol 'alternating' refuses it"),
            ({"protocol": "eum", "variant": "zz"}, r"^variant: protocol 'eum' refuses it"),
            ({"strategies": {"nope": "boulware"}}, r"^strategies: unknown actor 'nope'"),
        ],
        ids=["batch", "step", "order_actor", "order_number", "option", "variant", "strategies"],
    )
    def test_the_mesa_model_checks_its_arguments_as_simulate_does(self, kwargs, named):
        """Each ended in an AttributeError, ValueError, KeyError or TypeError, or was ignored
        (an option the protocol does not take)."""
        with pytest.raises(ns.NegosimError, match=named):
            ns.abm.DiplomacyModel(ns.load_scenario(MINIMAL_FILE), **kwargs)

    def test_lookups_stay_key_and_index_errors_for_older_callers(self):
        sc = ns.load_scenario(MINIMAL_FILE)
        with pytest.raises(KeyError, match="unknown issue 'nope'"):
            sc.restrict(["nope"])
        with pytest.raises(IndexError, match="outside the batch"):
            ns.solutions.nash(ns.sample(sc, 2), run=2)
        with pytest.raises(KeyError, match="unknown EUM variant"):
            ns.simulate(sc, 1, protocol="eum", variant="scholz")
        with pytest.raises(TypeError, match=r"^power: protocol 'nash' refuses it"):
            ns.simulate(sc, 1, protocol="nash", power=(0.3, 0.7))

    @pytest.mark.parametrize("reader", [ns.io.read_decide, ns.io.read_eum_csv])
    @pytest.mark.parametrize("value", [3, None, "", "a\0b"])
    def test_the_peer_readers_name_their_path(self, reader, value):
        with pytest.raises(ArgumentError, match=r"^path: "):
            reader(value)

    def test_the_eum_reader_names_its_issue_and_status_quo(self, tmp_path):
        (tmp_path / "eum.csv").write_text("Actor,Capability,Position,Salience\nUS,1,10,0.5\n")
        with pytest.raises(ArgumentError, match=r"^issue: must be an id, got 'a.b'"):
            ns.io.read_eum_csv(tmp_path / "eum.csv", issue="a.b")
        with pytest.raises(ArgumentError, match=r"^status_quo: must be a number or None"):
            ns.io.read_eum_csv(tmp_path / "eum.csv", status_quo="50")


# ----------------------------------------------------------------------------- 12


class TestNonsenseIsRefused:
    """Class 12: nonsense accepted without a word."""

    def test_a_tournament_under_a_protocol_without_strategies_is_refused(self, capsys):
        assert cli(["tournament", "--protocol", "median", "--runs", "2", "--no-progress"]) == 2
        assert "does not play the negotiators' strategies" in one_error_line(capsys)
        with pytest.raises(ArgumentError, match=r"^strategies: protocol 'eum' does not play"):
            ns.tournament(["boulware", "conceder"], runs=2, protocol="eum")

    def test_strategies_for_a_forecast_protocol_are_refused(self):
        sc = ns.load_scenario(MINIMAL_FILE)
        with pytest.raises(ArgumentError, match=r"^strategies: protocol 'nash'"):
            ns.simulate(sc, 2, protocol="nash", strategies={"US": "boulware"})

    @pytest.mark.parametrize(
        ("args", "named"),
        [
            (["--strategy", "US=boulware", "--strategy", "US=conceder"], "--strategy US: given"),
            (["--set", "US.power=40", "--set", "US.power=60"], "--set US.power: given twice"),
        ],
    )
    def test_an_option_given_twice_for_one_thing_is_refused(self, capsys, args, named):
        assert cli(["run", str(MINIMAL_FILE), *RUN, *args]) == 2
        assert named in one_error_line(capsys)

    def test_a_swept_parameter_given_twice_is_refused(self, capsys):
        args = ["--param", "US.power=40,50", "--param", "US.power=60"]
        assert cli(["sweep", str(MINIMAL_FILE), *RUN, *args]) == 2
        assert "--param US.power: given twice" in one_error_line(capsys)

    @pytest.mark.parametrize(
        ("call", "named"),
        [
            (lambda sc: ns.simulate(sc, "10"), r"^runs: must be a whole number >= 0, got '10'"),
            (lambda sc: ns.simulate(sc, 3, seed="1"), r"^seed: must be a whole number"),
            (lambda sc: ns.simulate(sc, 3, chunk_size="2"), r"^chunk_size: must be a whole"),
            (lambda sc: ns.simulate(sc, 3, progress="yes"), r"^progress: must be True or False"),
            (
                lambda sc: ns.tournament(["boulware", "conceder"], sc, runs=2, self_play="no"),
                r"^self_play: must be True or False, got 'no'",
            ),
            (
                lambda sc: ns.tournament(["boulware", "conceder"], [], runs=2),
                r"^scenarios: needs at least one scenario",
            ),
            (lambda sc: ns.tournament([], sc, runs=2), r"^strategies: needs at least one"),
            (
                lambda sc: ns.tournament(["boulware", "boulware"], sc, runs=2),
                r"^strategies\[1\]: 'boulware' is given twice",
            ),
            (lambda sc: ns.tournament("boulware", sc, runs=2), r"^strategies: must be a sequence"),
            (
                lambda sc: ns.tournament(["boulware"], [sc, "cfe_2007"], runs=2),
                r"^scenarios\[1\]: must be a Scenario",
            ),
        ],
        ids=[
            "runs_text",
            "seed_text",
            "chunk_size_text",
            "progress_text",
            "self_play_text",
            "no_scenarios",
            "no_strategies",
            "a_strategy_twice",
            "one_strategy_as_text",
            "a_scenario_name",
        ],
    )
    def test_loose_types_are_refused_by_name(self, call, named):
        """simulate(sc, "10") ran ten runs, self_play="no" played itself, scenarios=[] played
        the generated worlds: each without a word."""
        with pytest.raises(ArgumentError, match=named):
            call(ns.load_scenario(MINIMAL_FILE))

    def test_the_command_line_still_reads_its_numbers_from_text(self, tmp_path):
        out = tmp_path / "runs.csv"
        argv = ["run", str(MINIMAL_FILE), "--runs", "1_0", "--seed", "1e0", "--no-progress"]
        assert cli([*argv, "--out", str(out)]) == 0
        assert len(pd.read_csv(out)) == 10

    @pytest.mark.parametrize("protocol", ["eum", "nash", "median"])
    def test_a_strategy_parameter_set_or_swept_under_a_protocol_without_strategies(
        self, capsys, protocol
    ):
        """Every point of such a sweep gave the same numbers without a word."""
        sc = ns.load_scenario(MINIMAL_FILE)
        refusal = rf"protocol '{protocol}' does not play the negotiators' strategies"
        with pytest.raises(ArgumentError, match=rf"^grid\['US.strategy.e'\]: {refusal}"):
            ns.sweep(sc, {"US.strategy.e": [0.1, 0.5]}, 2, protocol=protocol)
        argv = ["run", str(MINIMAL_FILE), *RUN, "--protocol", protocol]
        assert cli([*argv, "--set", "US.strategy.e=0.5"]) == 2
        assert re.search(rf"--set US.strategy.e: {refusal}", one_error_line(capsys))
        argv = ["sweep", str(MINIMAL_FILE), *RUN, "--protocol", protocol]
        assert cli([*argv, "--param", "US.strategy.e=0.1,0.5"]) == 2
        assert re.search(rf"--param US.strategy.e: {refusal}", one_error_line(capsys))

    def test_the_scenarios_own_protocol_counts_and_a_playing_one_sweeps(self):
        sc = scenario(lambda d: d["scenario"].update(protocol="eum"))
        with pytest.raises(ArgumentError, match=r"^grid\['US.strategy.e'\]: protocol 'eum'"):
            ns.sweep(sc, {"US.strategy.e": [0.1, 0.5]}, 2)
        table = ns.sweep(sc, {"US.strategy.e": [0.1, 5.0]}, 4, protocol="alternating")
        assert table["US.strategy.e"].tolist() == [0.1, 5.0]

    def test_a_scenario_given_twice_to_a_tournament_is_refused(self, tmp_path, capsys):
        """Found beside the audit: its worlds counted twice as independent, which narrowed
        the intervals without cause (whatever the copy's file or name)."""
        sc = ns.load_scenario(MINIMAL_FILE)
        again = ns.Scenario.from_dict(sc.to_dict(), source="a copy")
        same = r"'minimal' is the same scenario as"
        with pytest.raises(ArgumentError, match=rf"^scenarios\[1\]: {same} scenarios\[0\]"):
            ns.tournament(["boulware", "conceder"], [sc, again], runs=2)
        copied = tmp_path / "copy.toml"
        shutil.copy(MINIMAL_FILE, copied)
        argv = ["tournament", "--scenario", str(MINIMAL_FILE), "--scenario", str(copied)]
        assert cli([*argv, "--runs", "2", "--no-progress"]) == 2
        line = one_error_line(capsys)
        assert f"--scenario {copied}: 'minimal' is the same scenario as --scenario" in line

    def test_a_strategy_given_twice_on_the_command_line_is_refused(self, capsys):
        """The field kept one of them without a word."""
        argv = ["tournament", "--strategies", "boulware", "boulware", "--generate", "2"]
        assert cli([*argv, "--runs", "2", "--no-progress"]) == 2
        assert "--strategies boulware: given twice" in one_error_line(capsys)


# ----------------------------------------------------------------------------- 13


class TestValidInputIsAccepted:
    """Class 13: valid input refused (numpy numbers are numbers)."""

    def test_sweep_over_a_numpy_range_equals_the_sweep_over_a_list(self):
        sc = ns.load_scenario("package_2007")
        target = "Russia.salience.kosovo_status"
        with_numpy = ns.sweep(sc, {target: np.arange(40, 81, 20)}, runs=8, seed=1)
        with_list = ns.sweep(sc, {target: [40, 60, 80]}, runs=8, seed=1)
        pd.testing.assert_frame_equal(with_numpy, with_list, check_dtype=False)

    @pytest.mark.parametrize("value", [np.int64(30), np.float32(30.0), np.uint8(30)])
    def test_replace_value_takes_numpy_scalars(self, value):
        sc = ns.load_scenario(MINIMAL_FILE)
        assert sc.replace_value("US.power", value) == sc.replace_value("US.power", 30)

    def test_a_mapping_of_numpy_numbers_is_a_scenario(self):
        plain = scenario()
        numpy = scenario(lambda d: d["issues"][1].update(status_quo=np.int32(70)))
        assert numpy == plain and numpy.digest == plain.digest

    def test_numpy_booleans_are_not_numbers(self):
        with pytest.raises(ns.ScenarioError, match=r"actors\[0\].power: must be a number"):
            scenario(lambda d: d["actors"][0].update(power=np.bool_(True)))

    def test_numpy_booleans_are_booleans(self):
        move = {"id": "m", "actor": "US", "issue": "kosovo", "to": 10, "ends_talks": True}
        plain = scenario(lambda d: d.update(moves=[move]))
        numpy = scenario(lambda d: d.update(moves=[{**move, "ends_talks": np.bool_(True)}]))
        assert numpy == plain and numpy.moves[0].ends_talks is True

    def test_numpy_values_tuples_and_arrays_make_the_same_scenario(self):
        def change(d):
            d["scenario"].update(rounds=np.int64(20), sources=("test fixture",))
            d["scenario"]["date"] = np.datetime64("2007-10-19")
            d["issues"][0].update(scale=np.array([0, 100]), status_quo=np.float32(15))
            d["actors"][0].update(id=np.str_("US"), power=np.uint16(100))
            d["uncertainty"][0].update(low=np.int8(40), high=np.float64(80))

        numpy, plain = scenario(change), scenario()
        assert numpy == plain and numpy.digest == plain.digest

    def test_numbers_in_zero_dimensional_arrays_are_numbers(self):
        """simulate(sc, np.array(3)) was refused: "got 3" (a number by every look)."""
        sc = ns.load_scenario(MINIMAL_FILE)
        held = ns.simulate(sc, np.array(3), seed=np.array(1), rounds=np.array(12))
        plain = ns.simulate(sc, 3, seed=1, rounds=12)
        np.testing.assert_array_equal(held.outcome, plain.outcome)
        with pytest.raises(ArgumentError, match=r"^runs: must be a whole number >= 0, got ndarray"):
            ns.simulate(sc, np.array([3]))

    def test_a_numpy_fraction_is_no_whole_number(self):
        """np.float32(20.5) rounds were cut to 20 without a word."""
        with pytest.raises(
            ns.ScenarioError, match=r"rounds: must be an integer, got numpy.float32"
        ):
            scenario(lambda d: d["scenario"].update(rounds=np.float32(20.5)))

    @pytest.mark.parametrize(
        "values",
        [pd.Series([40, 60]), (40, 60), np.array([40.0, 60.0]), [np.int64(40), 60]],
        ids=["series", "tuple", "array", "numpy_numbers"],
    )
    def test_sweep_values_of_any_one_dimensional_array(self, values):
        sc = ns.load_scenario(MINIMAL_FILE)
        table = ns.sweep(sc, {"US.power": values}, runs=4, seed=1)
        expected = ns.sweep(sc, {"US.power": [40, 60]}, runs=4, seed=1)
        pd.testing.assert_frame_equal(table, expected, check_dtype=False)

    @pytest.mark.parametrize(
        "values",
        ["40,60", {"a": 40}, {40, 60}, np.array([[40, 60]]), 40, [[40], [60, 70]]],
        ids=["text", "mapping", "set", "two_dimensional", "number", "ragged"],
    )
    def test_sweep_values_that_are_no_array_of_numbers_are_refused(self, values):
        named = r"^grid\['US.power'\]: must be a one-dimensional array of numbers"
        with pytest.raises(ArgumentError, match=named):
            ns.sweep(ns.load_scenario(MINIMAL_FILE), {"US.power": values}, runs=2)

    def test_a_peer_file_named_with_dots_is_read(self, tmp_path):
        """my.data.csv was refused: its name made the scenario id 'my.data'."""
        path = tmp_path / "my.data.v2.csv"
        path.write_text("Actor,Capability,Position,Salience\nUS,1,10,0.5\nRU,2,60,0.7\n")
        sc = ns.io.read_eum_csv(path)
        assert sc.id == "my_data_v2" and sc.actors == ("US", "RU")


# ----------------------------------------------------------------------------- 14


class TestNamesAreUnambiguousAndMessagesTrue:
    """Class 14: ambiguous names and misleading messages."""

    def test_a_coalition_may_not_share_an_actors_id(self, tmp_path, capsys):
        path = write(tmp_path, edited(lambda d: d["coalitions"][0].update(id="US")))
        assert "coalitions[0].id: 'US' is also an actor's id" in refused(path, capsys)

    def test_a_file_with_a_byte_order_mark_is_read(self, tmp_path):
        path = tmp_path / "bom.toml"
        path.write_bytes(b"\xef\xbb\xbf" + MINIMAL_FILE.read_bytes())
        assert ns.load_scenario(path) == ns.load_scenario(MINIMAL_FILE)

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
    def test_a_utf16_or_utf32_file_is_named_as_such(self, tmp_path, capsys, encoding):
        path = tmp_path / "wide.toml"
        path.write_bytes(MINIMAL_FILE.read_text().encode(encoding))
        assert f"the file is {encoding.upper()} text; save it as UTF-8" in refused(path, capsys)

    def test_a_latin1_file_names_the_byte(self, tmp_path, capsys):
        path = tmp_path / "latin.toml"
        text = MINIMAL_FILE.read_text().replace("Kosovo status", "Kosovo statut élargi")
        path.write_bytes(text.encode("latin-1"))
        offset = text.encode("latin-1").index(b"\xe9")
        assert f"not UTF-8 text (byte {offset} is 0xe9)" in refused(path, capsys)

    @pytest.mark.parametrize(
        "char",
        ["\u200b", "\u00a0", "\u2060", "\u202e", "\x07", "\u3000", "\ufe0f", "\u00ad"],
        ids=["zero_width", "no_break", "joiner", "bidi", "bell", "ideographic", "vs16", "shy"],
    )
    @pytest.mark.parametrize("table", ["issues", "actors", "coalitions"])
    def test_an_id_with_an_invisible_character_is_refused(self, tmp_path, capsys, table, char):
        """Two ids that look the same were two ids."""
        path = write(tmp_path, edited(lambda d: d[table][0].update(id=f"x{char}y")))
        line = refused(path, capsys)
        assert f"{table}[0].id: id " in line
        assert f"contains the invisible character U+{ord(char):04X}" in line

    def test_ids_that_differ_only_in_their_unicode_form_are_one_id(self, tmp_path, capsys):
        composed, decomposed = "C\u00f4te", "Co\u0302te"

        def twice(table):
            def change(d):
                d[table][0]["id"], d[table][1]["id"] = composed, decomposed

            return change

        for table in ("issues", "actors"):
            path = write(tmp_path, edited(twice(table)), f"{table}.toml")
            line = refused(path, capsys)
            assert f"{table}[1].id: duplicate id {decomposed!r} (ids that differ only" in line

        def coalition(d):
            d["actors"][0]["id"], d["coalitions"][0]["id"] = composed, decomposed

        path = write(tmp_path, edited(coalition), "coalition.toml")
        assert f"coalitions[0].id: {decomposed!r} is also an actor's id" in refused(path, capsys)

    def test_a_reference_in_another_unicode_form_says_so(self, tmp_path, capsys):
        def change(d):
            d["actors"][2]["id"], d["coalitions"][0]["members"] = "C\u00f4te", ["Co\u0302te"]

        line = refused(write(tmp_path, edited(change)), capsys)
        assert "coalitions[0].members[0]: unknown actor" in line
        assert "(it is 'C\u00f4te' in another Unicode form" in line

    @pytest.mark.parametrize(
        ("table", "ident"),
        [("issues", "a=b"), ("actors", "US=1"), ("coalitions", "h=1"), ("scenario", "x=y")],
    )
    def test_an_id_with_an_equals_sign_is_refused(self, tmp_path, capsys, table, ident):
        """--set Russia.salience.a=b=40 could not name the issue 'a=b'."""
        if table == "scenario":
            data, field = edited(lambda d: d["scenario"].update(id=ident)), "scenario.id"
        else:
            data, field = edited(lambda d: d[table][0].update(id=ident)), f"{table}[0].id"
        line = refused(write(tmp_path, data), capsys)
        assert f"{field}: id {ident!r} must not contain '='" in line


# ----------------------------------------------------------------------------- a spot audit
# Members of classes 6 and 8 that an independent hostile test found after the fixes above.


class TestSolutionsRefuseWhatTheyCannotSolveAtValidation:
    """Class 6: a bargaining solution needs linear loss and two negotiators; a file that asks
    for one without them is refused by `validate` (it passed, then the run crashed)."""

    def test_quadratic_loss_with_a_bargaining_solution(self, tmp_path, capsys):
        for protocol in ("nash", "kalai_smorodinsky", "utilitarian"):
            data = copy.deepcopy(MINIMAL)
            data["scenario"].update(loss="quadratic", protocol=protocol)
            err = refused(write(tmp_path, data, f"{protocol}.toml"), capsys)
            assert "scenario.protocol:" in err and "linear loss only" in err

    def test_one_negotiator_with_a_bargaining_solution(self, tmp_path, capsys):
        data = copy.deepcopy(MINIMAL)
        data["scenario"]["protocol"] = "kalai_smorodinsky"
        data["actors"][1]["role"] = "ratifier"
        assert "needs two negotiators or more, got 1" in refused(write(tmp_path, data), capsys)

    def test_the_api_names_the_protocol_or_the_loss(self):
        data = copy.deepcopy(MINIMAL)
        data["scenario"]["loss"] = "quadratic"
        sc = ns.Scenario.from_dict(data)
        with pytest.raises(ns.ArgumentError, match=r"^protocol: .*linear loss only"):
            ns.simulate(sc, 5, protocol="nash")
        with pytest.raises(ns.ArgumentError, match=r"^loss: "):
            ns.solutions.nash(sc)
        with pytest.raises(ns.ArgumentError, match=r"^actors: .*at least two parties"):
            ns.solutions.nash(ns.load_scenario(MINIMAL_FILE), ["US"])


class TestPathsTheSystemRefusesToLookAt:
    """Class 8: a file or folder name longer than the system's 255 bytes ended in
    `OSError: File name too long` (for --out, --store, the scenario and the API's paths)."""

    LONG = "x" * 300

    def test_the_command_line_names_the_option(self, tmp_path, capsys):
        cases = {
            "--out": ["run", str(MINIMAL_FILE), "--out", str(tmp_path / f"{self.LONG}.csv")],
            "--store": ["run", str(MINIMAL_FILE), "--store", str(tmp_path / self.LONG)],
            "scenario": ["run", str(tmp_path / f"{self.LONG}.toml")],
        }
        for option, argv in cases.items():
            assert cli([*argv, "--runs", "3"]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and f"{option}: a name in the path is" in err

    def test_the_api_names_the_argument(self, tmp_path):
        with pytest.raises(ns.ArgumentError, match=r"^path_or_name: a name in the path is 305"):
            ns.load_scenario(tmp_path / f"{self.LONG}.toml")
        with pytest.raises(ns.ArgumentError, match=r"^store: a name in the path is 300"):
            ns.simulate(ns.load_scenario(MINIMAL_FILE), 3, store=tmp_path / self.LONG)
        with pytest.raises(ns.ArgumentError, match=r"^path: a name in the path is 300"):
            ns.load_results(tmp_path / self.LONG)


class TestMoreMembersFoundByTheSpotAudit:
    """Class 1 (the API overwrote a user's file in a folder given as a store), class 3 (an
    input dropped without a word: --set of a swept number, --generate beside --scenario) and
    class 11 (no runs gave a table of NaN)."""

    def test_the_api_refuses_a_folder_of_other_files_as_a_store(self, tmp_path):
        folder = tmp_path / "mine"
        folder.mkdir()
        (folder / "part-000000.parquet").write_text("a user's file")
        with pytest.raises(ns.StoreError, match=r"^store: .* holds other files"):
            ns.simulate(ns.load_scenario(MINIMAL_FILE), 10, store=folder)
        assert (folder / "part-000000.parquet").read_text() == "a user's file"

    def test_a_swept_number_may_not_also_be_set(self, capsys):
        target = "Russia.salience.kosovo"
        argv = ["sweep", str(MINIMAL_FILE), "--set", f"{target}=40", "--param", f"{target}=50,60"]
        assert cli([*argv, *RUN]) == 2
        assert f"--set {target}: also swept by --param" in capsys.readouterr().err

    def test_generated_worlds_are_not_asked_beside_a_scenario(self, capsys):
        argv = ["tournament", "--scenario", str(MINIMAL_FILE), "--generate", "5"]
        assert cli([*argv, *RUN]) == 2
        assert "--generate: plays generated worlds only without --scenario" in (
            capsys.readouterr().err
        )

    def test_gain_from_linkage_needs_runs(self):
        with pytest.raises(ns.ArgumentError, match=r"^runs: must be a whole number >= 1"):
            ns.gain_from_linkage(ns.load_scenario(MINIMAL_FILE), runs=0)
