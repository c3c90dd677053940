"""The README's claims: its ten lines run, its commands parse, its figure and links exist."""

from __future__ import annotations

import re
import shlex
from datetime import date
from pathlib import Path

import numpy as np
import pytest

import negosim as ns
from negosim.cli import main as cli
from negosim.model.ratification import DEAL_MARGIN

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_ten_lines_run_and_answer():
    (code,) = blocks("python")
    assert len(code.strip().splitlines()) <= 12
    small = code.replace("100_000", "2_000").replace("10_000", "300").replace("runs=200", "runs=4")
    namespace: dict = {}
    exec(compile(small, "README.md", "exec"), namespace)  # the README's own code
    res, table = namespace["res"], namespace["table"]
    # a what-if must answer: the runs do not all end the same way, and the sweep moves outcomes
    assert 0 < res.agreement_rate < 1 and not res.summary().verdict
    assert not np.allclose(table["outcome.kosovo_status"], table["outcome.kosovo_status"].iloc[0])
    assert {"move.us_deploys", "move.kosovo_udi", "move.russia_suspends_cfe"} <= set(
        namespace["df"].columns
    )


def command_lines() -> list[list[str]]:
    (text,) = blocks("bash")[1:2]
    joined = text.replace("\\\n", " ")
    return [shlex.split(line.split("#")[0])[1:] for line in joined.splitlines() if line.strip()]


@pytest.mark.parametrize("argv", command_lines(), ids=lambda a: a[0])
def test_every_command_of_the_readme_parses(argv, capsys):
    # --help after the arguments: argparse checks every option name, then prints the help
    assert cli([*argv, "--help"]) == 0
    assert "usage: negosim" in capsys.readouterr().out


def test_linked_files_exist():
    for target in re.findall(r"\]\(((?:docs|notebooks|benchmarks)/[^)#]+)\)", README):
        assert (ROOT / target).is_file(), target


def test_the_gallery_script_draws_every_figure_it_shows(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "QUICK", True)
    written = {p.name for p in module.main(tmp_path)}
    shown = set(re.findall(r"docs/img/((?:gallery_\w+|package_2007)\.png)", README))
    assert "package_2007.png" in shown and len(shown) > 1 and shown == written
    for name in written:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def caption() -> str:
    """The caption under the README's figure, on one line."""
    text = README.split("](docs/img/package_2007.png)")[1].split("\n\n")[1]
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def flagship():
    """The caption's worlds: package_2007, 20,000 runs, seed 7, as one row per run."""
    sc = ns.load_scenario("package_2007")
    return sc, ns.simulate(sc, 20_000, seed=7).to_frame()


def test_the_figure_caption_s_numbers(flagship):
    """Every number and story of the caption, counted run by run from to_frame()."""
    text = caption()
    sc, df = flagship
    assert "20,000 sampled worlds" in text and len(df) == 20_000
    deadline = sc.rounds
    agreed = df["agreed"].to_numpy()
    # about 1.6% agree: 329 of 20,000 would be 1.645%
    assert "about 1.6% of the worlds agree" in text and abs(agreed.mean() - 0.016) < 0.001
    # nearly all in the last round played (T - 1 = 59)
    assert "nearly all in the last round" in text
    assert np.mean(df["rounds"][agreed] == deadline - 1) > 0.9
    # every deal gives the US and Russia each the margin over their own no-deal utility
    assert "each at least 0.01 more utility than no deal" in text and DEAL_MARGIN == 0.01
    for actor in ("US", "Russia"):
        gain = df[f"utility.{actor}"][agreed] - df[f"no_deal_utility.{actor}"][agreed]
        assert (gain >= 0.01 - 1e-9).all(), actor
    # the CFE suspension: 12 Dec is 54 of the window's 73 days; round t stands for relative
    # time (tau_{t-1}, tau_t] with tau_t = t / (T - 1), so the round that holds 54/73 is
    # ceil(54/73 * 59) = ceil(43.6) = 44, in every world, deal or not
    assert "on 12 December, the decree's date, in round 44 of 60 in every world" in text
    assert sc.relative_time(date(2007, 12, 12)) == pytest.approx(54 / 73) and deadline == 60
    window = sc.all_moves[sc.move_index("russia_suspends_cfe")]
    assert window.earliest == window.latest == pytest.approx(54 / 73, abs=0.005)  # 0.74
    held = int(np.ceil(window.latest * (deadline - 1)))
    assert held == 44 and (df["move.russia_suspends_cfe"] == held).all()
    # the other moves wait for the end of the talks (recorded as round T, never played)
    kosovo = df["move.kosovo_udi"].to_numpy(dtype=float, na_value=-1)
    assert "Kosovo declares independence with US and EU recognition in every world" in text
    assert (kosovo[~agreed] == deadline).all() and (kosovo[agreed] == -1).all()
    deploys = df["move.us_deploys"].to_numpy(dtype=float, na_value=-1)
    assert "the US deploys with Poland and the Czech Republic in about a fifth" in text
    assert set(np.unique(deploys)) == {-1, deadline} and 0.17 <= np.mean(deploys >= 0) <= 0.23
    stays = df["outcome.missile_defense"][~agreed] == 70
    assert "(missile defence mostly stays at 70)" in text and stays.mean() > 0.5


def test_the_nash_line_prints_none_at_the_file_s_numbers():
    """At the file's numbers no package gives the US and Russia each the deal margin over no
    deal, so the ten lines' Nash line prints None. Proved independently of the solver: the
    utilities written out (linear loss on 0..100: u = sum_i w_i (1 - |x_i - p_i| / 100)), on
    a grid of step 1 no package comes within 0.009 of both floors; a package differs from
    its nearest grid point by at most 0.5 per issue, so its utility by at most 0.005 (the
    weights add to 1): no package at all reaches both floors."""
    (code,) = blocks("python")
    assert "nash(sc))  # None at the file's numbers: no package beats no deal for both" in code
    sc = ns.load_scenario("package_2007")
    assert ns.solutions.nash(sc) is None
    assert sc.loss == "linear" and (sc.low == 0).all() and (sc.high == 100).all()
    # the file's numbers: the US (60, 80, 55) with saliences (70, 85, 50), Russia (25, 10, 5)
    # with (60, 90, 70); no deal at the point values is (60, 77.5, 15): the moves' `to`,
    # every move made at no cost (notebook 01 works it out)
    us, ru = sc.actor_index("US"), sc.actor_index("Russia")
    np.testing.assert_array_equal(sc.positions[[us, ru]], [[60, 80, 55], [25, 10, 5]])
    np.testing.assert_array_equal(sc.salience[[us, ru]], [[70, 85, 50], [60, 90, 70]])
    no_deal = np.array([60, 77.5, 15])
    step = np.arange(0, 101.0)
    grid = np.stack(np.meshgrid(step, step, step, indexing="ij"), axis=-1).reshape(-1, 3)

    def utility(position, salience, x):
        w = np.asarray(salience, float) / np.sum(salience)
        return (w * (1 - np.abs(x - np.asarray(position, float)) / 100)).sum(axis=-1)

    floors = [utility(sc.positions[a], sc.salience[a], no_deal) + DEAL_MARGIN for a in (us, ru)]
    # the solver's disagreement point is that no deal (0.892 and 0.597 by hand)
    np.testing.assert_allclose(np.array(floors) - DEAL_MARGIN, ns.solutions.disagreement_point(sc))
    short = np.minimum(
        utility(sc.positions[us], sc.salience[us], grid) - floors[0],
        utility(sc.positions[ru], sc.salience[ru], grid) - floors[1],
    )
    assert short.max() < -0.005  # -0.0094 at (60, 80, 11): 0.0006 and 0.0025 over no deal
