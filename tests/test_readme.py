"""The README's claims: its ten lines run, its commands parse, its figure and links exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

import negosim as ns
from negosim.cli import main as cli

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
    shown = set(re.findall(r"docs/img/(gallery_\w+\.png)", README))
    assert shown and shown == written
    for name in written:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_figure_caption_s_numbers():
    """The caption under the README's figure: 20,000 worlds (seed 7), about 28% agree; without
    agreement missile defence mostly stays at 70; the US deploys in about a fifth."""
    caption = re.sub(r"\s+", " ", README.split("](docs/img/package_2007.png)")[1].split("\n\n")[1])
    assert "20,000 sampled worlds" in caption and "about 28% of the worlds agree" in caption
    sc = ns.load_scenario("package_2007")
    res = ns.simulate(sc, 20_000, seed=7)
    assert abs(res.agreement_rate - 0.28) <= 0.01
    no_deal = res.outcome[~res.agreed, sc.issue_index("missile_defense")]
    assert "missile defence mostly stays at 70" in caption and np.mean(no_deal == 70) > 0.5
    deployed = np.mean(res.moved[:, sc.move_index("us_deploys")] >= 0)
    assert "deploys alone in about a fifth of the worlds" in caption and 0.17 <= deployed <= 0.23


def test_the_nash_line_prints_the_no_deal_package():
    """The ten lines' Nash package, at the file's numbers, is what the moves leave without a
    deal: each party's utility is exactly its reservation (its BATNA)."""
    (code,) = blocks("python")
    assert "nash(sc))  # at the file's numbers: the no-deal package, as moves leave it" in code
    sc = ns.load_scenario("package_2007")
    nash = ns.solutions.nash(sc)
    batna = ns.solutions.disagreement_point(sc)
    np.testing.assert_allclose(nash.utility, batna, atol=1e-9)
